//! Every answer the fake gives, checked against its operation's response schema in the mod.io
//! reference (`tests/reference/openapi/`, copied verbatim from `../shared/reference/openapi/`;
//! `the_copies_are_the_reference` fails if they drift), and every error body against the error
//! object those operations document. Issue 13 item 12: a fake that answers the wrong shape makes
//! the library's tests prove the wrong thing.

mod common;

use std::path::PathBuf;

use common::*;
use fake_modio::{demo, FakeServer};
use serde_json::Value;

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/reference/openapi")
}

/// The operation object of `file`.
fn operation(file: &str) -> Value {
    let path = reference_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// OpenAPI 3.0 schema → JSON Schema, with the reference's own words where its schemas are
/// narrower than its text (each is a documented reading, not a convenience):
/// - `nullable: true` becomes a "null" in `type`, and so does a field whose description says its
///   value "will be `null`" (`display_name_portal` without a portal header);
/// - a BITWISE field's `enum` lists the single bits, while its description says to add them
///   together (`api_access_options` 3 = 1 + 2): any integer is kept;
/// - `transaction_type` and a platform's `platform` are compared case-insensitively: the README
///   says transaction types appear in both cases (the S2S guide's examples are lower-case), and
///   `restapi-platforms.md` says platform values are case-insensitive (its table is lower-case).
///
/// Where the reference contradicts itself, both readings pass (the library decodes either): the
/// wallet's `game_id` (schema: string; guide: `2795`) and `monetization_status` (schema: one
/// value; guide: 33, a bit set), and a checkout's `meta` (schema: an array; guide: `{}`).
///
/// The rest of the keywords (`format`, `example`, `x-*`) are annotations to a validator.
fn json_schema(file: &str, mut schema: Value) -> Value {
    // Where the reference contradicts itself (its README lists these), the guide's reading and
    // the schema's are both accepted: the library must survive either.
    if file == "get-user-wallet.json" && schema["properties"]["monetization_status"].is_object() {
        let props = &mut schema["properties"];
        // The schema says a string, the guide's example `2795`.
        props["game_id"]["type"] = serde_json::json!(["integer", "string"]);
        // The schema lists single values, the guide's example is 33 (1 + 32): a bit set.
        if let Some(status) = props["monetization_status"].as_object_mut() {
            status.remove("enum");
        }
    }
    if file == "purchase.json" && schema["properties"]["meta"].is_object() {
        // The schema says an array of objects, the guide's checkout example `"meta": {}`.
        schema["properties"]["meta"] = serde_json::json!({"type": ["array", "object"]});
    }
    if file == "get-monetization-transactions.json" && schema["properties"]["download"].is_object()
    {
        // The pagination object types its page links as integers, its examples are paths;
        // the last page has none (`null`).
        if let Some(download) = schema["properties"]["download"]["properties"].as_object_mut() {
            for link in ["next_page_url", "prev_page_url"] {
                download[link]["type"] = serde_json::json!(["integer", "string", "null"]);
            }
        }
    }
    fn adjust(name: Option<&str>, v: &mut Value) {
        if let Value::Object(map) = v {
            let description = map
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let nullable = map.remove("nullable") == Some(Value::Bool(true))
                || description.contains("will be `null`");
            if nullable {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert(
                        "type".into(),
                        Value::Array(vec![Value::String(t), Value::String("null".into())]),
                    );
                }
            }
            if description.contains("BITWISE") {
                map.remove("enum");
            }
            if matches!(name, Some("transaction_type" | "platform")) {
                if let Some(Value::Array(values)) = map.get_mut("enum") {
                    let lower: Vec<Value> = values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|s| Value::String(s.to_lowercase()))
                        .collect();
                    values.extend(lower);
                }
            }
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("properties", Value::Object(props)) => {
                        for (prop, schema) in props.iter_mut() {
                            adjust(Some(prop.as_str()), schema);
                        }
                    }
                    (_, child) => adjust(None, child),
                }
            }
        } else if let Value::Array(items) = v {
            items.iter_mut().for_each(|i| adjust(None, i));
        }
    }
    adjust(None, &mut schema);
    schema
}

/// The JSON schema of `file`'s answer with `status`. An error status the operation does not list
/// is checked against the error object (`restapi-errors.md`), as every operation documents it.
fn schema(file: &str, status: u16) -> Value {
    let op = operation(file);
    let s = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
    if s.is_object() {
        return json_schema(file, s.clone());
    }
    assert!(
        status >= 400,
        "{file} documents no JSON answer for {status}"
    );
    let error_object = operation("get-user-wallet.json")["responses"]["404"]["content"]
        ["application/json"]["schema"]
        .clone();
    let title = error_object["title"].as_str().unwrap_or("");
    assert!(
        title.starts_with("Error") && title.ends_with("Object"),
        "the wallet's 404 is the error object, not {title:?}"
    );
    json_schema(file, error_object)
}

/// Fails with every violation when `resp` does not match `file`'s schema for its status.
#[track_caller]
fn conforms(file: &str, what: &str, resp: &Resp) {
    let body = resp.json();
    let schema = schema(file, resp.status);
    let validator = jsonschema::draft4::new(&schema)
        .unwrap_or_else(|e| panic!("{file}: the schema does not compile: {e}"));
    let problems: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{what} ({file}, HTTP {}) breaks the reference's schema:\n{}",
        resp.status,
        problems.join("\n")
    );
}

/// A service token of the demo OAuth client, with every scope the S2S calls need.
fn service_token(s: &FakeServer) -> String {
    post_form(
        &url(s, "/oauth/token"),
        None,
        &[
            ("client_id", demo::OAUTH_CLIENT_ID),
            ("client_secret", demo::OAUTH_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "read,write,monetization"),
        ],
    )
    .json()["access_token"]
        .as_str()
        .expect("a service token")
        .to_owned()
}

fn url(server: &FakeServer, path: &str) -> String {
    format!("{}{}", server.base_url(), path)
}

#[test]
fn the_copies_are_the_reference() {
    let upstream = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/openapi");
    if !upstream.is_dir() {
        // A machine with the repository alone: the copies are what the tests read.
        eprintln!(
            "schemas: {} is not here; checked the copies only",
            upstream.display()
        );
        return;
    }
    let mut checked = 0;
    for entry in std::fs::read_dir(reference_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let ours = std::fs::read(&path).unwrap();
        let theirs = std::fs::read(upstream.join(&name))
            .unwrap_or_else(|e| panic!("{name:?} is not in the reference: {e}"));
        assert!(
            ours == theirs,
            "{name:?} differs from the reference: copy it again"
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} copies");
}

#[test]
fn the_validator_rejects_a_wrong_shape() {
    // The check itself must be able to fail: a mod whose id is a string.
    let s = FakeServer::start();
    let mut resp = get(&with_key(&url(&s, "/games/1/mods/1001")));
    let mut body = resp.json();
    body["id"] = Value::String("1001".into());
    resp.body = serde_json::to_vec(&body).unwrap();
    let outcome = std::panic::catch_unwind(|| conforms("get-mod.json", "a broken mod", &resp));
    assert!(outcome.is_err(), "a mod with a string id passed the schema");
}

#[test]
fn browsing_answers_match_the_schemas() {
    let s = FakeServer::start();
    conforms(
        "get-game.json",
        "GET /games/1",
        &get(&with_key(&url(&s, "/games/1"))),
    );
    conforms(
        "get-mods.json",
        "GET /games/1/mods (paid)",
        &get(&with_key(&url(&s, "/games/1/mods?revenue_type=1"))),
    );
    conforms(
        "get-mods.json",
        "GET /games/1/mods (free)",
        &get(&with_key(&url(&s, "/games/1/mods"))),
    );
    conforms(
        "get-mod.json",
        "GET /games/1/mods/1001",
        &get(&with_key(&url(&s, "/games/1/mods/1001"))),
    );
    conforms(
        "terms.json",
        "GET /authenticate/terms",
        &get(&with_key(&url(&s, "/authenticate/terms"))),
    );
    // Errors against the error object of the same operations.
    conforms(
        "get-game.json",
        "an unknown game",
        &get(&with_key(&url(&s, "/games/99"))),
    );
    conforms(
        "get-mod.json",
        "an unknown mod",
        &get(&with_key(&url(&s, "/games/1/mods/9999"))),
    );
}

#[test]
fn user_answers_match_the_schemas() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    conforms(
        "get-authenticated-user.json",
        "GET /me",
        &get_auth(&url(&s, "/me"), bob),
    );
    conforms(
        "get-user-wallet.json",
        "GET /me/wallets",
        &get_auth(&url(&s, "/me/wallets?game_id=1"), bob),
    );
    conforms(
        "get-user-wallet.json",
        "the wallet of an unmonetized game",
        &get_auth(&url(&s, "/me/wallets?game_id=2"), bob),
    );
    conforms(
        "get-user-wallet.json",
        "a wallet without game_id",
        &get_auth(&url(&s, "/me/wallets"), bob),
    );
    conforms(
        "get-user-purchases.json",
        "GET /me/purchased",
        &get_auth(&url(&s, "/me/purchased"), bob),
    );
    let buy = |key: &str, amount: &str, mod_id: u64| {
        post_form(
            &url(&s, &format!("/games/1/mods/{mod_id}/checkout")),
            Some(bob),
            &[
                ("type", "0"),
                ("display_amount", amount),
                ("idempotent_key", key),
            ],
        )
    };
    let bought = buy("schema-1", "100", demo::MOD_HD_PACK);
    assert_eq!(bought.status, 200, "{}", bought.text());
    conforms("purchase.json", "a checkout", &bought);
    conforms(
        "purchase.json",
        "a checkout at the wrong price",
        &buy("schema-2", "1", demo::MOD_DRAGON_SKINS),
    );
    conforms(
        "purchase.json",
        "a checkout of an owned mod",
        &buy("schema-3", "100", demo::MOD_HD_PACK),
    );
    conforms(
        "purchase.json",
        "a checkout without the funds",
        &buy("schema-4", "1500", demo::MOD_SUNNY_SKIES),
    );
    conforms("purchase.json", "a checkout in an unmonetized game", &{
        post_form(
            &url(&s, "/games/2/mods/1001/checkout"),
            Some(bob),
            &[
                ("type", "0"),
                ("display_amount", "100"),
                ("idempotent_key", "k5"),
            ],
        )
    });
}

#[test]
fn authentication_answers_match_the_schemas() {
    let s = FakeServer::start();
    let auth = |endpoint: &str, fields: &[(&str, &str)]| {
        post_form(
            &with_key(&url(&s, &format!("/external/{endpoint}"))),
            None,
            fields,
        )
    };
    let steam = auth(
        "steamauth",
        &[
            ("appdata", demo::ALICE_STEAM_TICKET),
            ("terms_agreed", "true"),
        ],
    );
    assert_eq!(steam.status, 200, "{}", steam.text());
    conforms("authenticate-via-steam.json", "Steam sign-in", &steam);
    conforms(
        "authenticate-via-steam.json",
        "a bad Steam ticket",
        &auth("steamauth", &[("appdata", "nope")]),
    );
    conforms(
        "authenticate-via-xbox-live.json",
        "Xbox sign-in",
        &auth(
            "xboxauth",
            &[
                ("xbox_token", demo::ALICE_XBOX_TOKEN),
                ("terms_agreed", "true"),
            ],
        ),
    );
    conforms(
        "authenticate-via-psn.json",
        "PSN sign-in",
        &auth(
            "psnauth",
            &[
                ("auth_code", demo::ALICE_PSN_AUTH_CODE),
                ("terms_agreed", "true"),
            ],
        ),
    );
}

#[test]
fn s2s_answers_match_the_schemas() {
    let s = FakeServer::start();
    let service = service_token(&s);
    let delegation = post_form(
        &url(&s, "/me/s2s/oauth/token"),
        Some(demo::ALICE_ACCESS_TOKEN),
        &[],
    )
    .json()["token"]
        .as_str()
        .expect("a delegation token")
        .to_owned();
    let call = |what: &str, key: &str, fields: &[(&str, &str)]| {
        let auth = format!("Bearer {service}");
        send(
            "POST",
            &url(&s, &format!("/s2s/transactions/{what}")),
            &[
                FORM,
                ("Authorization", &auth),
                ("X-Modio-Delegation-Token", &delegation),
                ("X-Modio-Idempotent-Key", key),
            ],
            &form(fields),
        )
    };
    let intent = call(
        "intent",
        "schema-intent",
        &[("sku", "GOLD_500"), ("portal", "steam")],
    );
    assert_eq!(intent.status, 200, "{}", intent.text());
    conforms("s-2-s-transaction-intent.json", "an intent", &intent);
    let id = intent.json()["transaction_id"].to_string();
    let commit = call("commit", "schema-commit", &[("transaction_id", &id)]);
    assert_eq!(commit.status, 200, "{}", commit.text());
    conforms("s-2-s-transaction-commit.json", "a commit", &commit);
    // A clawback takes the service token alone.
    let auth = format!("Bearer {service}");
    let clawback = send(
        "POST",
        &url(&s, "/s2s/transactions/clawback"),
        &[FORM, ("Authorization", &auth)],
        &form(&[
            ("transaction_id", &id),
            ("refund_reason", "Chargeback"),
            ("portal", "steam"),
        ]),
    );
    assert_eq!(clawback.status, 200, "{}", clawback.text());
    conforms("s-2-s-transaction-clawback.json", "a clawback", &clawback);
}

#[test]
fn store_download_and_history_answers_match_the_schemas() {
    let s = FakeServer::start();
    let alice = demo::ALICE_ACCESS_TOKEN;
    conforms(
        "terms.json",
        "the terms in German for Steam",
        &send(
            "GET",
            &with_key(&url(&s, "/authenticate/terms")),
            &[("Accept-Language", "de"), ("X-Modio-Portal", "steam")],
            b"",
        ),
    );
    conforms(
        "get-game-token-packs.json",
        "the token packs",
        &get_auth(&url(&s, "/games/1/monetization/token-packs"), alice),
    );
    let entitlements = |headers: &[(&str, &str)]| {
        let auth = format!("Bearer {alice}");
        let mut all = vec![FORM, ("Authorization", auth.as_str())];
        all.extend_from_slice(headers);
        send("POST", &url(&s, "/me/entitlements"), &all, &form(&[]))
    };
    let listed = entitlements(&[("X-Modio-Portal", "steam")]);
    assert_eq!(listed.json()["result_total"], 2, "{}", listed.text());
    conforms(
        "get-user-entitlements.json",
        "unconverted entitlements",
        &listed,
    );
    let no_portal = entitlements(&[]);
    no_portal.assert_error(400, 900098);
    conforms("get-user-entitlements.json", "no portal", &no_portal);
    let m = get(&with_key(&url(&s, "/games/1/mods/1001"))).json();
    let file_id = m["modfile"]["id"].as_u64().unwrap();
    let modfile = get(&with_key(&url(
        &s,
        &format!("/games/1/mods/1001/files/{file_id}"),
    )));
    conforms("get-modfile.json", "a modfile", &modfile);
    assert_eq!(
        modfile.json(),
        m["modfile"],
        "the modfile endpoint and the mod agree"
    );
    let missing = get(&with_key(&url(&s, "/games/1/mods/1001/files/999999")));
    missing.assert_error(404, 15010);
    conforms("get-modfile.json", "an unknown modfile", &missing);

    let delegation = post_form(&url(&s, "/me/s2s/oauth/token"), Some(alice), &[]).json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let udt = send(
        "POST",
        &with_key(&url(&s, "/external/udtauth")),
        &[FORM, ("X-Modio-Delegation-Token", &delegation)],
        &form(&[]),
    );
    assert_eq!(udt.status, 200, "{}", udt.text());
    conforms("authenticate-via-udt.json", "UDT sign-in", &udt);

    let service = service_token(&s);
    let auth = format!("Bearer {service}");
    let intent = send(
        "POST",
        &url(&s, "/s2s/transactions/intent"),
        &[
            FORM,
            ("Authorization", &auth),
            ("X-Modio-Delegation-Token", &delegation),
            ("X-Modio-Idempotent-Key", "schema-history"),
        ],
        &form(&[
            ("sku", "GOLD_500"),
            ("portal", "steam"),
            ("gateway_uuid", "order-7"),
        ]),
    );
    assert_eq!(intent.status, 200, "{}", intent.text());
    let team = fake_modio::monetization_team_id(1);
    let list = send(
        "GET",
        &url(
            &s,
            &format!("/s2s/monetization-teams/{team}/transactions?gateway_uuid=order-7"),
        ),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(
        list.json()["data"].as_array().map(Vec::len),
        Some(1),
        "{}",
        list.text()
    );
    conforms("get-monetization-transactions.json", "the history", &list);
    let id = intent.json()["transaction_id"].as_u64().unwrap();
    let one = send(
        "GET",
        &url(
            &s,
            &format!("/s2s/monetization-teams/{team}/transactions/{id}"),
        ),
        &[("Authorization", &auth)],
        b"",
    );
    assert_eq!(one.status, 200, "{}", one.text());
    conforms("get-monetization-transaction.json", "one transaction", &one);
}
