//! Service-to-service: service tokens, delegation tokens, intent, commit, clawback.

mod common;

use common::*;
use fake_modio::{demo, FakeServer};
use serde_json::{json, Value};

fn url(server: &FakeServer, path: &str) -> String {
    format!("{}{}", server.base_url(), path)
}

fn service_token_with(s: &FakeServer, fields: &[(&str, &str)]) -> Resp {
    post_form(&url(s, "/oauth/token"), None, fields)
}

fn service_token(s: &FakeServer) -> String {
    let r = service_token_with(
        s,
        &[
            ("client_id", demo::OAUTH_CLIENT_ID),
            ("client_secret", demo::OAUTH_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "read,write,monetization"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

fn delegation(s: &FakeServer, user_token: &str) -> String {
    let r = post_form(&url(s, "/me/s2s/oauth/token"), Some(user_token), &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["entity"], "purchase_server");
    r.json()["token"].as_str().unwrap().to_string()
}

/// A transaction call with the S2S headers (`None` leaves a header out).
fn s2s(
    s: &FakeServer,
    what: &str,
    service: &str,
    delegation: Option<&str>,
    key: Option<&str>,
    fields: &[(&str, &str)],
) -> Resp {
    let auth = format!("Bearer {service}");
    let mut headers = vec![FORM, ("Authorization", auth.as_str())];
    if let Some(d) = delegation {
        headers.push(("X-Modio-Delegation-Token", d));
    }
    if let Some(k) = key {
        headers.push(("X-Modio-Idempotent-Key", k));
    }
    send(
        "POST",
        &url(s, &format!("/s2s/transactions/{what}")),
        &headers,
        &form(fields),
    )
}

fn balance(s: &FakeServer, user: u64) -> (i64, i64) {
    let v = control(s, "GET", &format!("/users/{user}?game_id=1"), Value::Null).json();
    (
        v["balance"].as_i64().unwrap(),
        v["deficit"].as_i64().unwrap(),
    )
}

struct Setup {
    s: FakeServer,
    service: String,
    alice: String,
}

fn setup() -> Setup {
    let s = FakeServer::start();
    let service = service_token(&s);
    let alice = delegation(&s, demo::ALICE_ACCESS_TOKEN);
    Setup { s, service, alice }
}

fn intent(t: &Setup, key: &str, sku: &str, portal: &str) -> Resp {
    s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&t.alice),
        Some(key),
        &[("sku", sku), ("portal", portal)],
    )
}

fn commit(t: &Setup, key: &str, id: &Value) -> Resp {
    let id = id.to_string();
    s2s(
        &t.s,
        "commit",
        &t.service,
        Some(&t.alice),
        Some(key),
        &[("transaction_id", &id)],
    )
}

#[test]
fn service_token_shape_and_errors() {
    let s = FakeServer::start();
    let base = [
        ("client_id", demo::OAUTH_CLIENT_ID),
        ("client_secret", demo::OAUTH_CLIENT_SECRET),
        ("grant_type", "client_credentials"),
    ];
    let r = service_token_with(&s, &[&base[..], &[("scope", "read,write")]].concat());
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], "2592000");
    assert!(v["access_token"].as_str().unwrap().len() > 10);
    // The reference's table says integer: a test may ask for that reading.
    assert_eq!(
        control(
            &s,
            "POST",
            "/service_token_format",
            json!({"expires_in": "integer"})
        )
        .status,
        200
    );
    let r = service_token_with(&s, &base);
    assert_eq!(r.json()["expires_in"], 2_592_000);
    assert_eq!(
        control(
            &s,
            "POST",
            "/service_token_format",
            json!({"expires_in": "neither"})
        )
        .status,
        400
    );
    assert_eq!(
        control(
            &s,
            "POST",
            "/service_token_format",
            json!({"expires_in": "string"})
        )
        .status,
        200
    );
    assert_eq!(
        service_token_with(&s, &base).json()["expires_in"],
        "2592000"
    );
    assert_eq!(v["scopes"], "read,write");
    // Without `scope`, the client's scopes.
    assert_eq!(
        service_token_with(&s, &base).json()["scopes"],
        "read,write,monetization"
    );

    let wrong = [
        ("client_id", "7001"),
        ("client_secret", "nope"),
        ("grant_type", "client_credentials"),
    ];
    service_token_with(&s, &wrong).assert_error(401, 11075);
    let v = service_token_with(&s, &[]).assert_error(422, 13009);
    for f in ["client_id", "client_secret", "grant_type"] {
        assert!(v["error"]["errors"][f].is_string(), "{f}");
    }
    let v = service_token_with(&s, &[&base[..2], &[("grant_type", "password")]].concat())
        .assert_error(422, 13009);
    assert!(v["error"]["errors"]["grant_type"].is_string());
    service_token_with(&s, &[&base[..], &[("scope", "read,admin")]].concat())
        .assert_error(422, 13009);

    // Clients added through control.
    let r = control(
        &s,
        "POST",
        "/oauth_clients",
        json!({"client_id": "42", "client_secret": "s", "game_id": 1}),
    );
    assert_eq!(r.status, 200);
    let r = service_token_with(
        &s,
        &[
            ("client_id", "42"),
            ("client_secret", "s"),
            ("grant_type", "client_credentials"),
        ],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn delegation_token_needs_a_user() {
    let s = FakeServer::start();
    post_form(&url(&s, "/me/s2s/oauth/token"), None, &[]).assert_error(401, 11000);
    let service = service_token(&s);
    post_form(&url(&s, "/me/s2s/oauth/token"), Some(&service), &[]).assert_error(401, 11005);
    delegation(&s, demo::ALICE_ACCESS_TOKEN);
}

#[test]
fn intent_then_commit_credits_once() {
    let t = setup();
    let r = s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&t.alice),
        Some("d720901c-a8ed-42ff-9343-39d4a3e16b18"),
        &[
            ("sku", "GOLD_1000"),
            ("portal", "xboxlive"),
            ("gateway_uuid", "1f1ecb47-0074-4092-8eda-f6a65aa2ce32"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let id = v["transaction_id"].clone();
    assert!(id.is_u64());
    assert_eq!(v["gross_amount"], 1000);
    assert_eq!(v["net_amount"], 1000);
    assert!(v["platform_fee"].is_i64() && v["gateway_fee"].is_i64() && v["purchase_date"].is_i64());
    assert_eq!(v["transaction_type"], "pending");
    assert_eq!(v["gateway_uuid"], "1f1ecb47-0074-4092-8eda-f6a65aa2ce32");
    let meta = &v["meta"][0];
    assert_eq!(meta["game_id"], 1);
    assert_eq!(meta["buyer_id"], demo::ALICE_ID);
    assert_eq!(meta["buyer_name"], "alice");
    assert_eq!(meta["game_name"], demo::GAME_NAME);
    assert_eq!(meta["token_name"], demo::TOKEN_NAME);
    assert!(meta["token_pack_id"].is_u64() && meta["token_pack_name"].is_string());
    assert_eq!(
        balance(&t.s, demo::ALICE_ID),
        (0, 0),
        "nothing credited before commit"
    );

    // The guide sends the same key to intent and commit: keys are per endpoint.
    let r = commit(&t, "d720901c-a8ed-42ff-9343-39d4a3e16b18", &id);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["transaction_type"], "paid");
    assert_eq!(r.json()["transaction_id"], id);
    assert_eq!(balance(&t.s, demo::ALICE_ID), (1000, 0));
    // Replayed, and committed again under another key: still credited once.
    assert_eq!(
        commit(&t, "d720901c-a8ed-42ff-9343-39d4a3e16b18", &id).body,
        r.body
    );
    let again = commit(&t, "another-key", &id);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["transaction_type"], "paid");
    assert_eq!(balance(&t.s, demo::ALICE_ID), (1000, 0));
    // The wallet the game client sees.
    let w = get_auth(
        &url(&t.s, "/me/wallets?game_id=1"),
        demo::ALICE_ACCESS_TOKEN,
    )
    .json();
    assert_eq!(w["balance"], 1000);

    let list = control(&t.s, "GET", "/transactions", Value::Null).json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["state"], "paid");
    assert_eq!(list[0]["user_id"], demo::ALICE_ID);
    assert_eq!(list[0]["portal"], "xboxlive");
    assert_eq!(list[0]["sku"], "GOLD_1000");
    assert_eq!(list[0]["amount"], 1000);
}

#[test]
fn intent_is_idempotent_per_user_and_expires_after_a_day() {
    let t = setup();
    let a = intent(&t, "key_1", "GOLD_500", "steam");
    let b = intent(&t, "key_1", "GOLD_1000", "psn");
    assert_eq!(a.status, 200);
    assert_eq!(a.body, b.body, "replayed byte for byte");
    // Bob's key_1 is his own transaction.
    let bob = delegation(&t.s, demo::BOB_ACCESS_TOKEN);
    let c = s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&bob),
        Some("key_1"),
        &[("sku", "GOLD_500"), ("portal", "steam")],
    );
    assert_ne!(c.json()["transaction_id"], a.json()["transaction_id"]);
    // A new delegation token for alice is still alice: the key replays.
    let alice2 = delegation(&t.s, demo::ALICE_ACCESS_TOKEN);
    let d = s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&alice2),
        Some("key_1"),
        &[("sku", "GOLD_500"), ("portal", "steam")],
    );
    assert_eq!(d.body, a.body);
    assert_eq!(
        control(&t.s, "GET", "/transactions", Value::Null)
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // 24 h later the key is new (and delegation tokens are short-lived: get another).
    t.s.advance_clock(24 * 3600);
    let fresh = delegation(&t.s, demo::ALICE_ACCESS_TOKEN);
    let e = s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&fresh),
        Some("key_1"),
        &[("sku", "GOLD_500"), ("portal", "steam")],
    );
    assert_eq!(e.status, 200);
    assert_ne!(e.json()["transaction_id"], a.json()["transaction_id"]);
}

#[test]
fn s2s_headers_are_validated() {
    let t = setup();
    let fields = [("sku", "GOLD_500"), ("portal", "steam")];
    let v = s2s(&t.s, "intent", &t.service, None, None, &fields).assert_error(422, 13009);
    assert!(v["error"]["errors"]["X-Modio-Delegation-Token"].is_string());
    assert!(v["error"]["errors"]["X-Modio-Idempotent-Key"].is_string());
    // A non-ASCII key is answered like any other bad key (it used to close the connection).
    for bad in [
        "has space",
        "dots.are.bad",
        "slash/",
        "plus+",
        "ключ-1",
        "caf\u{e9}",
    ] {
        let v = s2s(
            &t.s,
            "intent",
            &t.service,
            Some(&t.alice),
            Some(bad),
            &fields,
        )
        .assert_error(422, 13009);
        assert!(
            v["error"]["errors"]["X-Modio-Idempotent-Key"].is_string(),
            "{bad}"
        );
    }
    s2s(&t.s, "intent", &t.service, Some("nope"), Some("k"), &fields).assert_error(401, 11005);
    let v = s2s(&t.s, "commit", &t.service, Some(&t.alice), None, &[]).assert_error(422, 13009);
    assert!(v["error"]["errors"]["transaction_id"].is_string());
    // Delegation tokens expire.
    t.s.advance_clock(3600);
    s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&t.alice),
        Some("k"),
        &fields,
    )
    .assert_error(401, 11005);
}

#[test]
fn tokens_are_not_interchangeable() {
    let t = setup();
    let fields = [("sku", "GOLD_500"), ("portal", "steam")];
    // A user token cannot call S2S, a service token cannot call user endpoints.
    s2s(
        &t.s,
        "intent",
        demo::ALICE_ACCESS_TOKEN,
        Some(&t.alice),
        Some("k"),
        &fields,
    )
    .assert_error(401, 11005);
    get_auth(&url(&t.s, "/me/wallets?game_id=1"), &t.service).assert_error(401, 11005);
    // Service token without the monetization scope.
    let r = service_token_with(
        &t.s,
        &[
            ("client_id", demo::OAUTH_CLIENT_ID),
            ("client_secret", demo::OAUTH_CLIENT_SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "read,write"),
        ],
    );
    let limited = r.json()["access_token"].as_str().unwrap().to_string();
    s2s(&t.s, "intent", &limited, Some(&t.alice), Some("k"), &fields).assert_error(403, 11003);
    // Expired service token (30 days).
    t.s.advance_clock(2_592_000);
    let fresh = delegation(&t.s, demo::ALICE_ACCESS_TOKEN);
    s2s(&t.s, "intent", &t.service, Some(&fresh), Some("k"), &fields).assert_error(401, 11005);
}

#[test]
fn intent_body_errors() {
    let t = setup();
    let v =
        s2s(&t.s, "intent", &t.service, Some(&t.alice), Some("k1"), &[]).assert_error(422, 13009);
    assert!(v["error"]["errors"]["sku"].is_string() && v["error"]["errors"]["portal"].is_string());
    // Meta and Epic are sync portals but not S2S portals.
    let v = intent(&t, "k2", "GOLD_500", "meta").assert_error(422, 13009);
    assert!(v["error"]["errors"]["portal"].is_string());
    let v = intent(&t, "k3", "NOT_MAPPED", "steam").assert_error(422, 13009);
    assert!(v["error"]["errors"]["sku"].is_string());
    let v = s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&t.alice),
        Some("k4"),
        &[
            ("sku", "GOLD_500"),
            ("portal", "steam"),
            ("gateway_uuid", "not alpha dash!"),
        ],
    )
    .assert_error(422, 13009);
    assert!(v["error"]["errors"]["gateway_uuid"].is_string());
    // An unmonetized game's client: 900057.
    control(
        &t.s,
        "POST",
        "/oauth_clients",
        json!({"client_id": "8", "client_secret": "x", "game_id": 2}),
    );
    let r = service_token_with(
        &t.s,
        &[
            ("client_id", "8"),
            ("client_secret", "x"),
            ("grant_type", "client_credentials"),
        ],
    );
    let service2 = r.json()["access_token"].as_str().unwrap().to_string();
    let auth2 = post_form(
        &format!(
            "{}/external/steamauth?api_key={}",
            t.s.base_url(),
            demo::UNMONETIZED_API_KEY
        ),
        None,
        &[("appdata", demo::ALICE_STEAM_TICKET)],
    );
    let user2 = auth2.json()["access_token"].as_str().unwrap().to_string();
    let d2 = delegation(&t.s, &user2);
    s2s(
        &t.s,
        "intent",
        &service2,
        Some(&d2),
        Some("k5"),
        &[("sku", "GOLD_500"), ("portal", "steam")],
    )
    .assert_error(403, 900057);
    // A delegation token from another game is refused.
    s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&d2),
        Some("k6"),
        &[("sku", "GOLD_500"), ("portal", "steam")],
    )
    .assert_error(401, 11005);
}

#[test]
fn commit_errors() {
    let t = setup();
    commit(&t, "c1", &json!(123)).assert_error(404, 14000);
    // Bob cannot commit alice's transaction.
    let id = intent(&t, "i1", "GOLD_500", "steam").json()["transaction_id"].clone();
    let bob = delegation(&t.s, demo::BOB_ACCESS_TOKEN);
    s2s(
        &t.s,
        "commit",
        &t.service,
        Some(&bob),
        Some("c2"),
        &[("transaction_id", &id.to_string())],
    )
    .assert_error(404, 14000);
    s2s(
        &t.s,
        "commit",
        &t.service,
        Some(&t.alice),
        Some("c3"),
        &[("transaction_id", "abc")],
    )
    .assert_error(422, 13009);
    assert_eq!(balance(&t.s, demo::ALICE_ID), (0, 0));
}

fn clawback(t: &Setup, fields: &[(&str, &str)]) -> Resp {
    s2s(&t.s, "clawback", &t.service, None, None, fields)
}

#[test]
fn clawback_refunds_and_records_deficit() {
    let t = setup();
    let id = intent(&t, "i", "GOLD_500", "steam").json()["transaction_id"].clone();
    let sid = id.to_string();
    // Not committed yet.
    let v = clawback(
        &t,
        &[
            ("transaction_id", &sid),
            ("portal", "steam"),
            ("refund_reason", "Chargeback"),
        ],
    )
    .assert_error(422, 13009);
    assert!(v["error"]["errors"]["transaction_id"].is_string());
    assert_eq!(commit(&t, "c", &id).status, 200);
    assert_eq!(balance(&t.s, demo::ALICE_ID), (500, 0));
    // Alice spends 400 of it, then the platform claws the 500 back.
    let r = post_form(
        &url(&t.s, "/games/1/mods/1003/checkout"),
        Some(demo::ALICE_ACCESS_TOKEN),
        &[
            ("type", "0"),
            ("display_amount", "400"),
            ("idempotent_key", "buy"),
        ],
    );
    assert_eq!(r.status, 200);
    // The wrong portal is refused.
    clawback(
        &t,
        &[
            ("transaction_id", &sid),
            ("portal", "psn"),
            ("refund_reason", "r"),
        ],
    )
    .assert_error(422, 13009);
    let r = clawback(
        &t,
        &[
            ("transaction_id", &sid),
            ("portal", "steam"),
            ("refund_reason", "Chargeback Issued"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["transaction_type"], "refunded");
    assert_eq!(v["transaction_id"], id);
    assert_eq!(v["gross_amount"], 500);
    assert_eq!(v["tax"], 0);
    assert!(v["tax_type"].is_string() && v["purchase_date"].is_i64());
    assert_eq!(balance(&t.s, demo::ALICE_ID), (0, 400));
    let w = get_auth(
        &url(&t.s, "/me/wallets?game_id=1"),
        demo::ALICE_ACCESS_TOKEN,
    )
    .json();
    assert_eq!(
        (w["balance"].as_i64(), w["deficit"].as_i64()),
        (Some(0), Some(400))
    );
    // Again: answered, nothing taken twice.
    let again = clawback(
        &t,
        &[
            ("transaction_id", &sid),
            ("portal", "steam"),
            ("refund_reason", "Chargeback Issued"),
        ],
    );
    assert_eq!(again.json()["transaction_type"], "refunded");
    assert_eq!(balance(&t.s, demo::ALICE_ID), (0, 400));
    // Later credits pay the deficit first.
    let id2 = intent(&t, "i2", "GOLD_1000", "steam").json()["transaction_id"].clone();
    assert_eq!(commit(&t, "c2", &id2).status, 200);
    assert_eq!(balance(&t.s, demo::ALICE_ID), (600, 0));
    let list = control(&t.s, "GET", "/transactions", Value::Null).json();
    assert_eq!(list[0]["state"], "refunded");
    assert_eq!(list[0]["refund_reason"], "Chargeback Issued");
}

#[test]
fn clawback_by_gateway_uuid_and_errors() {
    let t = setup();
    let r = s2s(
        &t.s,
        "intent",
        &t.service,
        Some(&t.alice),
        Some("i"),
        &[
            ("sku", "GOLD_1000"),
            ("portal", "google"),
            ("gateway_uuid", "GPA-1234"),
        ],
    );
    let id = r.json()["transaction_id"].clone();
    assert_eq!(commit(&t, "c", &id).status, 200);
    let r = clawback(
        &t,
        &[
            ("gateway_uuid", "GPA-1234"),
            ("portal", "google"),
            ("refund_reason", "Refund"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["transaction_id"], id);
    assert_eq!(balance(&t.s, demo::ALICE_ID), (0, 0));

    let v = clawback(&t, &[("portal", "google")]).assert_error(422, 13009);
    let errors = v["error"]["errors"].as_object().unwrap();
    for f in ["transaction_id", "gateway_uuid", "refund_reason"] {
        assert!(errors.contains_key(f), "{f} in {v}");
    }
    clawback(
        &t,
        &[
            ("gateway_uuid", "unknown"),
            ("portal", "google"),
            ("refund_reason", "r"),
        ],
    )
    .assert_error(404, 14000);
    // Service token only; a user token is refused.
    s2s(
        &t.s,
        "clawback",
        demo::ALICE_ACCESS_TOKEN,
        None,
        None,
        &[
            ("gateway_uuid", "GPA-1234"),
            ("portal", "google"),
            ("refund_reason", "r"),
        ],
    )
    .assert_error(401, 11005);
}
