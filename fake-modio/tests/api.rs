//! The client API: authentication, wallet, sync, browsing, checkout, purchases.

mod common;

use common::*;
use fake_modio::{demo, FakeServer};
use serde_json::{json, Value};

fn url(server: &FakeServer, path: &str) -> String {
    format!("{}{}", server.base_url(), path)
}

fn auth(server: &FakeServer, endpoint: &str, key: &str, fields: &[(&str, &str)]) -> Resp {
    post_form(
        &format!("{}/external/{endpoint}?api_key={key}", server.base_url()),
        None,
        fields,
    )
}

fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["code"], 200);
    assert!(v["date_expires"].as_i64().unwrap() > 0);
    v["access_token"].as_str().unwrap().to_string()
}

fn balance(server: &FakeServer, token: &str) -> i64 {
    let r = get_auth(&url(server, "/me/wallets?game_id=1"), token);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["balance"].as_i64().unwrap()
}

// ---------------------------------------------------------------- authentication

#[test]
fn every_platform_authenticates_alice() {
    let s = FakeServer::start();
    let k = demo::API_KEY;
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("steamauth", vec![("appdata", demo::ALICE_STEAM_TICKET)]),
        ("xboxauth", vec![("xbox_token", demo::ALICE_XBOX_TOKEN)]),
        (
            "psnauth",
            vec![("auth_code", demo::ALICE_PSN_AUTH_CODE), ("env", "256")],
        ),
        (
            "oculusauth",
            vec![
                ("device", demo::ALICE_META_DEVICE),
                ("nonce", demo::ALICE_META_NONCE),
                ("user_id", demo::ALICE_META_USER_ID),
                ("access_token", demo::ALICE_META_ACCESS_TOKEN),
            ],
        ),
        ("appleauth", vec![("id_token", demo::ALICE_APPLE_ID_TOKEN)]),
        (
            "googleauth",
            vec![("auth_code", demo::ALICE_GOOGLE_AUTH_CODE)],
        ),
        (
            "googleauth",
            vec![("id_token", demo::ALICE_GOOGLE_AUTH_CODE)],
        ),
        (
            "epicgamesauth",
            vec![("id_token", demo::ALICE_EPIC_ID_TOKEN)],
        ),
    ];
    for (endpoint, fields) in cases {
        let token = token_of(&auth(&s, endpoint, k, &fields));
        let me = get_auth(&url(&s, "/me"), &token);
        assert_eq!(me.status, 200, "{endpoint}");
        assert_eq!(me.json()["username"], "alice", "{endpoint}");
        assert_eq!(me.json()["id"], demo::ALICE_ID);
    }
}

#[test]
fn unknown_credentials_answer_the_platform_ref() {
    let s = FakeServer::start();
    let k = demo::API_KEY;
    auth(&s, "steamauth", k, &[("appdata", "nope")]).assert_error(401, 11018);
    auth(&s, "xboxauth", k, &[("xbox_token", "nope")]).assert_error(401, 11027);
    auth(&s, "psnauth", k, &[("auth_code", "nope")]).assert_error(401, 11032);
    auth(&s, "appleauth", k, &[("id_token", "nope")]).assert_error(401, 11032);
    auth(&s, "googleauth", k, &[("auth_code", "nope")]).assert_error(401, 11032);
    auth(&s, "epicgamesauth", k, &[("id_token", "nope")]).assert_error(401, 11032);
    auth(
        &s,
        "oculusauth",
        k,
        &[
            ("device", "quest"),
            ("nonce", "n"),
            ("user_id", "1001"),
            ("access_token", "wrong"),
        ],
    )
    .assert_error(401, 11032);
}

#[test]
fn xbox_token_must_be_url_encoded() {
    let s = FakeServer::start();
    // Sent raw, `+` becomes a space and `&`/`=` split the value: not alice's token.
    let raw = format!("xbox_token={}", demo::ALICE_XBOX_TOKEN);
    let r = send(
        "POST",
        &with_key(&url(&s, "/external/xboxauth")),
        &[FORM],
        raw.as_bytes(),
    );
    r.assert_error(401, 11027);
    let encoded = form(&[("xbox_token", demo::ALICE_XBOX_TOKEN)]);
    let r = send(
        "POST",
        &with_key(&url(&s, "/external/xboxauth")),
        &[FORM],
        &encoded,
    );
    token_of(&r);
}

#[test]
fn api_key_is_required_and_checked() {
    let s = FakeServer::start();
    let body = form(&[("appdata", demo::ALICE_STEAM_TICKET)]);
    send("POST", &url(&s, "/external/steamauth"), &[FORM], &body).assert_error(401, 11000);
    send(
        "POST",
        &url(&s, "/external/steamauth?api_key=bad"),
        &[FORM],
        &body,
    )
    .assert_error(401, 11001);
    send(
        "POST",
        &url(
            &s,
            "/external/steamauth?api_key=ffffffffffffffffffffffffffffffff",
        ),
        &[FORM],
        &body,
    )
    .assert_error(401, 11002);
}

#[test]
fn missing_fields_are_named() {
    let s = FakeServer::start();
    let v = auth(&s, "oculusauth", demo::API_KEY, &[("device", "quest")]).assert_error(422, 13009);
    let errors = v["error"]["errors"].as_object().unwrap();
    for field in ["nonce", "user_id", "access_token"] {
        assert!(errors.contains_key(field), "{field} missing from {v}");
    }
    assert!(!errors.contains_key("device"));
    auth(&s, "steamauth", demo::API_KEY, &[]).assert_error(422, 13009);
}

#[test]
fn post_bodies_must_be_form_encoded() {
    let s = FakeServer::start();
    let r = send(
        "POST",
        &with_key(&url(&s, "/external/steamauth")),
        &[("Content-Type", "application/json")],
        br#"{"appdata":"demo-steam-ticket-alice"}"#,
    );
    r.assert_error(415, 13006);
    // A charset parameter is fine.
    let r = send(
        "POST",
        &with_key(&url(&s, "/external/steamauth")),
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        &form(&[("appdata", demo::ALICE_STEAM_TICKET)]),
    );
    token_of(&r);
}

#[test]
fn carol_must_agree_to_the_terms_once() {
    let s = FakeServer::start();
    let k = demo::API_KEY;
    auth(&s, "steamauth", k, &[("appdata", demo::CAROL_STEAM_TICKET)]).assert_error(403, 11074);
    auth(
        &s,
        "steamauth",
        k,
        &[
            ("appdata", demo::CAROL_STEAM_TICKET),
            ("terms_agreed", "false"),
        ],
    )
    .assert_error(403, 11074);
    token_of(&auth(
        &s,
        "steamauth",
        k,
        &[
            ("appdata", demo::CAROL_STEAM_TICKET),
            ("terms_agreed", "true"),
        ],
    ));
    // Recorded: no need to agree again.
    token_of(&auth(
        &s,
        "steamauth",
        k,
        &[("appdata", demo::CAROL_STEAM_TICKET)],
    ));
}

#[test]
fn date_expires_shortens_the_token() {
    let s = FakeServer::start();
    let now = control(&s, "GET", "/clock", json!(null)).json()["now"]
        .as_i64()
        .unwrap();
    let wanted = (now + 100).to_string();
    let r = auth(
        &s,
        "steamauth",
        demo::API_KEY,
        &[
            ("appdata", demo::ALICE_STEAM_TICKET),
            ("date_expires", &wanted),
        ],
    );
    let token = token_of(&r);
    assert_eq!(r.json()["date_expires"], now + 100);
    assert_eq!(balance(&s, &token), 0);
    s.advance_clock(100);
    get_auth(&url(&s, "/me/wallets?game_id=1"), &token).assert_error(401, 11005);
}

#[test]
fn tokens_last_a_common_year_and_an_out_of_range_date_expires_is_ignored() {
    let s = FakeServer::start();
    let clock = |s: &FakeServer| {
        control(s, "GET", "/clock", json!(null)).json()["now"]
            .as_i64()
            .unwrap()
    };
    let year = 365 * 24 * 60 * 60;
    let now = clock(&s);
    for wanted in [None, Some(now - 10), Some(now + year + 1000)] {
        let mut form = vec![("appdata", demo::ALICE_STEAM_TICKET.to_owned())];
        if let Some(w) = wanted {
            form.push(("date_expires", w.to_string()));
        }
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let before = clock(&s);
        let r = auth(&s, "steamauth", demo::API_KEY, &fields);
        let after = clock(&s);
        // The fake's clock follows real seconds: the default is a year from the moment of issue.
        let expires = r.json()["date_expires"].as_i64().unwrap();
        assert!(
            (before + year..=after + year).contains(&expires),
            "date_expires {wanted:?}: the default year, got {expires}"
        );
        let token = token_of(&r);
        // 100 s of slack for real time passing during the test.
        s.advance_clock(expires - after - 100);
        assert_eq!(
            balance(&s, &token),
            0,
            "still valid shortly before its year ends"
        );
        s.advance_clock(200);
        get_auth(&url(&s, "/me/wallets?game_id=1"), &token).assert_error(401, 11005);
        s.advance_clock(-(expires - after + 100));
    }
}

#[test]
fn bearer_tokens_are_checked() {
    let s = FakeServer::start();
    let w = url(&s, "/me/wallets?game_id=1");
    // No credentials at all: restapi-errors.md's 11000; a bad or expired token: 11005.
    get(&w).assert_error(401, 11000);
    get_auth(&w, "not-a-token").assert_error(401, 11005);
    let expired = control(&s, "POST", "/users/1/token", json!({"expired": true})).json();
    get_auth(&w, expired["access_token"].as_str().unwrap()).assert_error(401, 11005);
    let fresh = control(&s, "POST", "/users/1/token", json!({"expired": false})).json();
    assert_eq!(balance(&s, fresh["access_token"].as_str().unwrap()), 0);
}

// ---------------------------------------------------------------- wallet

#[test]
fn wallet_object_and_errors() {
    let s = FakeServer::start();
    let r = get_auth(&url(&s, "/me/wallets?game_id=1"), demo::BOB_ACCESS_TOKEN);
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["balance"], 500);
    assert_eq!(v["game_id"], 1);
    for field in [
        "type",
        "currency",
        "payment_method_id",
        "pending_balance",
        "deficit",
        "monetization_status",
    ] {
        assert!(v.get(field).is_some(), "{field} in {v}");
    }
    let t = demo::ALICE_ACCESS_TOKEN;
    let v = get_auth(&url(&s, "/me/wallets"), t).assert_error(422, 13009);
    assert!(v["error"]["errors"]["game_id"].is_string());
    get_auth(&url(&s, "/me/wallets?game_id=2"), t).assert_error(404, 900022);
    get_auth(&url(&s, "/me/wallets?game_id=99"), t).assert_error(404, 14001);
}

// ---------------------------------------------------------------- entitlement sync

fn sync(s: &FakeServer, portal: &str, token: &str, fields: &[(&str, &str)]) -> Resp {
    post_form(
        &url(s, &format!("/me/iap/{portal}/sync")),
        Some(token),
        fields,
    )
}

#[test]
fn steam_sync_consumes_mapped_entitlements_once() {
    let s = FakeServer::start();
    let t = alice_token(&s);
    // Without a body and without a Content-Type, as the guide shows.
    let r = send(
        "POST",
        &url(&s, "/me/iap/steam/sync"),
        &[("Authorization", &format!("Bearer {t}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["wallet"]["balance"], 2000);
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for d in data {
        assert!(d["transaction_id"].is_string());
        assert_eq!(d["transaction_state"], 2);
        assert_eq!(d["sku_id"], demo::SKU_GOLD_1000);
        assert_eq!(d["entitlement_consumed"], true);
        assert_eq!(d["entitlement_type"], 0);
        assert!(d["details"].is_null());
    }
    assert_ne!(data[0]["transaction_id"], data[1]["transaction_id"]);
    let again = sync(&s, "steam", &t, &[]);
    assert_eq!(again.json()["data"].as_array().unwrap().len(), 0);
    assert_eq!(again.json()["wallet"]["balance"], 2000);
    assert_eq!(balance(&s, &t), 2000);
}

#[test]
fn unmapped_skus_stay_in_the_inventory() {
    let s = FakeServer::start();
    let t = demo::ALICE_ACCESS_TOKEN;
    control(
        &s,
        "POST",
        "/users/1/entitlements",
        json!({"portal": "xboxlive", "sku": "HAT", "count": 1}),
    );
    control(
        &s,
        "POST",
        "/users/1/entitlements",
        json!({"portal": "xboxlive", "sku": "GOLD_500", "count": 3}),
    );
    let r = sync(&s, "xboxlive", t, &[("xbox_token", demo::ALICE_XBOX_TOKEN)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["wallet"]["balance"], 1500);
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 3);
    let user = control(&s, "GET", "/users/1", json!(null)).json();
    assert_eq!(user["entitlements"]["xboxlive"], json!({"HAT": 1}));
    assert_eq!(user["balance"], 1500);
}

#[test]
fn every_portal_syncs_with_its_fields() {
    let s = FakeServer::start();
    let t = demo::ALICE_ACCESS_TOKEN;
    for portal in ["psn", "meta", "apple", "google"] {
        control(
            &s,
            "POST",
            "/users/1/entitlements",
            json!({"portal": portal, "sku": "GOLD_500", "count": 1}),
        );
    }
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "psn",
            vec![
                ("auth_code", demo::ALICE_PSN_AUTH_CODE),
                ("env", "256"),
                ("service_label", "0"),
            ],
        ),
        (
            "meta",
            vec![("device", "quest"), ("user_id", demo::ALICE_META_USER_ID)],
        ),
        ("apple", vec![("receipt", "MIIT...")]),
        ("google", vec![("receipt", "{\"orderId\":\"GPA.1\"}")]),
    ];
    let mut expected = 0;
    for (portal, fields) in cases {
        let r = sync(&s, portal, t, &fields);
        expected += 500;
        assert_eq!(r.status, 200, "{portal}: {}", r.text());
        assert_eq!(r.json()["wallet"]["balance"], expected, "{portal}");
    }
}

#[test]
fn sync_errors() {
    let s = FakeServer::start();
    let alice = demo::ALICE_ACCESS_TOKEN;
    // Required fields per portal.
    let v = sync(&s, "xboxlive", alice, &[]).assert_error(422, 13009);
    assert!(v["error"]["errors"]["xbox_token"].is_string());
    let v = sync(&s, "psn", alice, &[]).assert_error(422, 13009);
    assert!(v["error"]["errors"]["auth_code"].is_string());
    let v = sync(&s, "meta", alice, &[]).assert_error(422, 13009);
    assert!(
        v["error"]["errors"]["device"].is_string() && v["error"]["errors"]["user_id"].is_string()
    );
    // Bob is linked to Steam only.
    for (portal, fields) in [
        ("xboxlive", vec![("xbox_token", "x")]),
        ("psn", vec![("auth_code", "x")]),
        ("meta", vec![("device", "rift"), ("user_id", "1")]),
        ("apple", vec![("receipt", "r")]),
        ("google", vec![("receipt", "r")]),
    ] {
        sync(&s, portal, demo::BOB_ACCESS_TOKEN, &fields).assert_error(400, 11069);
    }
    // A platform credential that is not the user's: the platform fetch fails.
    sync(&s, "xboxlive", alice, &[("xbox_token", "someone-else")]).assert_error(422, 900096);
    // Switched on through control.
    control(
        &s,
        "POST",
        "/users/1/platform_fetch_fails",
        json!({"fails": true}),
    );
    sync(&s, "steam", alice, &[]).assert_error(422, 900096);
    control(
        &s,
        "POST",
        "/users/1/platform_fetch_fails",
        json!({"fails": false}),
    );
    assert_eq!(sync(&s, "steam", alice, &[]).status, 200);
    // Tokens issued through game 3 (no IAP) and game 2 (not monetized).
    let no_iap = token_of(&auth(
        &s,
        "steamauth",
        demo::NO_IAP_API_KEY,
        &[("appdata", demo::ALICE_STEAM_TICKET)],
    ));
    sync(&s, "steam", &no_iap, &[]).assert_error(403, 900054);
    let unmonetized = token_of(&auth(
        &s,
        "steamauth",
        demo::UNMONETIZED_API_KEY,
        &[("appdata", demo::ALICE_STEAM_TICKET)],
    ));
    sync(&s, "steam", &unmonetized, &[]).assert_error(403, 900057);
    sync(&s, "steam", "bad", &[]).assert_error(401, 11005);
    sync(&s, "nintendo", alice, &[]).assert_error(404, 14000);
}

// ---------------------------------------------------------------- games and mods

#[test]
fn game_object() {
    let s = FakeServer::start();
    let r = get(&with_key(&url(&s, "/games/1")));
    assert_eq!(r.status, 200);
    let g = r.json();
    assert_eq!(g["id"], 1);
    assert_eq!(g["name"], demo::GAME_NAME);
    assert_eq!(g["api_access_options"], demo::API_ACCESS_OPTIONS);
    assert_eq!(g["token_name"], demo::TOKEN_NAME);
    assert_eq!(g["monetization_options"], 3);
    assert_eq!(
        get(&with_key(&url(&s, "/games/2"))).json()["monetization_options"],
        0
    );
    get(&with_key(&url(&s, "/games/42"))).assert_error(404, 14001);
    get(&url(&s, "/games/1")).assert_error(401, 11000);
    // A malformed key (not 32 alphanumerics) is 11001, a well-formed unknown one 11002.
    get(&url(&s, "/games/1?api_key=wrong")).assert_error(401, 11001);
    get(&url(
        &s,
        "/games/1?api_key=ffffffffffffffffffffffffffffffff",
    ))
    .assert_error(401, 11002);
    // A bearer token works for reads too, and a bad one is rejected.
    assert_eq!(
        get_auth(&url(&s, "/games/1"), demo::ALICE_ACCESS_TOKEN).status,
        200
    );
    get_auth(&url(&s, "/games/1"), "bad").assert_error(401, 11005);
}

#[test]
fn get_mods_filters_and_paginates() {
    let s = FakeServer::start();
    let list = |q: &str| get(&with_key(&url(&s, &format!("/games/1/mods{q}"))));
    assert_eq!(ids(&list("")), vec![2001, 2002], "free by default");
    assert_eq!(ids(&list("?revenue_type=0")), vec![2001, 2002]);
    assert_eq!(
        ids(&list("?revenue_type=1")),
        vec![1001, 1002, 1003, 1004, 1005]
    );
    assert_eq!(ids(&list("?revenue_type=2")).len(), 7);
    assert_eq!(
        ids(&list("?revenue_type=2&_q=dragon%20MUSIC")),
        vec![1003, 2002]
    );
    assert_eq!(ids(&list("?revenue_type=1&_q=siege")), vec![1002]);

    let page = list("?revenue_type=1&_offset=1&_limit=2");
    assert_eq!(ids(&page), vec![1002, 1003]);
    let v = page.json();
    assert_eq!(v["result_count"], 2);
    assert_eq!(v["result_offset"], 1);
    assert_eq!(v["result_limit"], 2);
    assert_eq!(v["result_total"], 5);
    let v = list("?revenue_type=1&_offset=4").json();
    assert_eq!(
        (v["result_count"].as_u64(), v["result_limit"].as_u64()),
        (Some(1), Some(100))
    );
    assert_eq!(list("?_limit=500").json()["result_limit"], 100);
    let v = list("?_limit=abc").assert_error(422, 13009);
    assert!(v["error"]["errors"]["_limit"].is_string());
    list("?revenue_type=7").assert_error(422, 13009);
    get(&with_key(&url(&s, "/games/9/mods"))).assert_error(404, 14001);
    get(&url(&s, "/games/1/mods")).assert_error(401, 11000);
}

#[test]
fn mod_objects_are_complete_and_downloadable() {
    let s = FakeServer::start();
    let r = get(&with_key(&url(&s, "/games/1/mods/1001")));
    assert_eq!(r.status, 200);
    let m = r.json();
    assert_eq!(m["id"], 1001);
    assert_eq!(m["game_id"], 1);
    assert_eq!(m["name"], "Rogue Knight HD Pack");
    assert_eq!(m["name_id"], "rogue-knight-hd-pack");
    assert_eq!(m["price"], 100);
    for field in [
        "status",
        "visible",
        "submitted_by",
        "date_added",
        "date_updated",
        "date_live",
        "tax",
        "summary",
        "description",
        "profile_url",
        "media",
        "monetization_options",
        "metadata_kvp",
        "tags",
        "platforms",
    ] {
        assert!(m.get(field).is_some(), "{field}");
    }
    for thumb in [
        "original",
        "thumb_320x180",
        "thumb_640x360",
        "thumb_1280x720",
    ] {
        assert!(m["logo"][thumb].is_string(), "{thumb}");
    }
    let stats = &m["stats"];
    for field in [
        "downloads_total",
        "ratings_percentage_positive",
        "ratings_weighted_aggregate",
        "ratings_display_text",
    ] {
        assert!(stats.get(field).is_some(), "{field}");
    }
    let file = &m["modfile"];
    let md5 = file["filehash"]["md5"].as_str().unwrap();
    assert_eq!(md5.len(), 32);
    assert!(md5.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        file["version"].is_string()
            && file["id"].is_u64()
            && file["download"]["date_expires"].is_i64()
    );
    // The archive really has that size and hash.
    let download = get(file["download"]["binary_url"].as_str().unwrap());
    assert_eq!(download.status, 200);
    assert_eq!(
        download.body.len() as u64,
        file["filesize"].as_u64().unwrap()
    );
    assert_eq!(fake_modio::md5_hex(&download.body), md5);
    // Another mod has another hash.
    let other = get(&with_key(&url(&s, "/games/1/mods/1002"))).json();
    assert_ne!(other["modfile"]["filehash"]["md5"], md5);

    get(&with_key(&url(&s, "/games/1/mods/9999"))).assert_error(404, 15022);
    get(&with_key(&url(&s, "/games/1/mods/abc"))).assert_error(404, 15022);
    get(&with_key(&url(&s, "/games/3/mods/1001"))).assert_error(404, 15022);
}

// ---------------------------------------------------------------- checkout

fn checkout(s: &FakeServer, token: &str, mod_id: u64, amount: i64, key: &str) -> Resp {
    let amount = amount.to_string();
    post_form(
        &url(s, &format!("/games/1/mods/{mod_id}/checkout")),
        Some(token),
        &[
            ("type", "0"),
            ("display_amount", &amount),
            ("idempotent_key", key),
        ],
    )
}

#[test]
fn checkout_answers_the_pay_object() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    let r = checkout(&s, bob, demo::MOD_HD_PACK, 100, "k-1");
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(v["transaction_id"].is_u64());
    assert!(v["gateway_uuid"].as_str().unwrap().len() == 36);
    assert_eq!(v["gross_amount"], 100);
    assert_eq!(v["net_amount"], 100);
    assert!(v["platform_fee"].is_i64() && v["gateway_fee"].is_i64());
    assert_eq!(v["transaction_type"], "PAID");
    assert_eq!(v["meta"], json!({}));
    assert!(v["purchase_date"].is_i64());
    assert!(v["wallet_type"].is_string());
    assert_eq!(v["balance"], 400);
    assert_eq!(v["deficit"], 0);
    assert!(v["payment_method_id"].is_string());
    assert_eq!(v["mod"]["id"], demo::MOD_HD_PACK);
    assert!(v["mod"]["modfile"]["filehash"]["md5"].is_string());

    assert_eq!(balance(&s, bob), 400);
    let charges = control(&s, "GET", "/charges", json!(null)).json();
    assert_eq!(
        charges,
        json!([{"user_id": 2, "game_id": 1, "mod_id": 1001, "amount": 100, "idempotent_key": "k-1",
                "transaction_id": v["transaction_id"]}])
    );
    let purchased = get_auth(&url(&s, "/me/purchased"), bob);
    assert_eq!(
        ids(&purchased),
        vec![demo::MOD_CASTLE_SIEGE, demo::MOD_HD_PACK]
    );
}

#[test]
fn input_json_carries_the_payload_and_a_missing_content_type_is_13005() {
    let s = FakeServer::start();
    let alice = demo::ALICE_ACCESS_TOKEN;
    let u = url(
        &s,
        &format!("/games/1/mods/{}/checkout", demo::MOD_NIGHT_MODE),
    );
    // The JSON object wins over the form's own display_amount.
    let r = post_form(
        &u,
        Some(alice),
        &[
            ("display_amount", "1"),
            (
                "input_json",
                r#"{"type": 0, "display_amount": 50, "idempotent_key": "json-1"}"#,
            ),
        ],
    );
    // Alice cannot afford it: 900049 means the price check passed with the JSON's 50 (the form's
    // 1 would have been a price mismatch, 900035).
    r.assert_error(422, 900049);
    post_form(&u, Some(alice), &[("input_json", "{not json")]).assert_error(400, 13004);
    post_form(&u, Some(alice), &[("input_json", "[1]")]).assert_error(400, 13004);
    let auth = format!("Bearer {alice}");
    send(
        "POST",
        &u,
        &[("Authorization", &auth)],
        b"type=0&display_amount=50&idempotent_key=k",
    )
    .assert_error(415, 13005);
}

#[test]
fn checkout_errors_in_documented_order() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    // Owned beats a wrong price and missing funds.
    checkout(&s, bob, demo::MOD_CASTLE_SIEGE, 1, "a").assert_error(422, 900034);
    // A wrong price beats missing funds.
    checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1, "b").assert_error(422, 900035);
    checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1500, "c").assert_error(422, 900049);
    checkout(&s, bob, 9999, 1, "d").assert_error(404, 15022);
    // A free mod is not for sale (openapi/purchase.json 403 / 900014), whatever the price given.
    checkout(&s, bob, demo::MOD_FREE_MAPS, 0, "f").assert_error(403, 900014);
    checkout(&s, bob, demo::MOD_FREE_MAPS, 5, "g").assert_error(403, 900014);
    assert!(
        s.charges().is_empty(),
        "nothing was recorded for the free mod"
    );
    let r = post_form(
        &url(&s, "/games/2/mods/1001/checkout"),
        Some(bob),
        &[
            ("type", "0"),
            ("display_amount", "100"),
            ("idempotent_key", "e"),
        ],
    );
    // purchase.json: 404 / 900022 for a game with no active monetization team.
    r.assert_error(404, 900022);
    checkout(&s, "nope", demo::MOD_HD_PACK, 100, "f").assert_error(401, 11005);
    // Validation names every missing field; type must be 0.
    let v =
        post_form(&url(&s, "/games/1/mods/1001/checkout"), Some(bob), &[]).assert_error(422, 13009);
    let errors = v["error"]["errors"].as_object().unwrap();
    assert!(
        errors.contains_key("type")
            && errors.contains_key("display_amount")
            && errors.contains_key("idempotent_key")
    );
    let v = post_form(
        &url(&s, "/games/1/mods/1001/checkout"),
        Some(bob),
        &[
            ("type", "1"),
            ("display_amount", "100"),
            ("idempotent_key", "g"),
        ],
    )
    .assert_error(422, 13009);
    assert!(v["error"]["errors"]["type"].is_string());
    // Nothing was charged by any of these.
    assert_eq!(balance(&s, bob), 500);
    assert!(s.charges().is_empty());
}

#[test]
fn idempotent_replay_charges_once() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    let first = checkout(&s, bob, demo::MOD_NIGHT_MODE, 50, "same-key");
    assert_eq!(first.status, 200);
    let second = checkout(&s, bob, demo::MOD_NIGHT_MODE, 50, "same-key");
    assert_eq!(second.status, 200);
    assert_eq!(first.body, second.body, "replayed byte for byte");
    // Even a different request body under the same key replays the first answer.
    let third = checkout(&s, bob, demo::MOD_HD_PACK, 100, "same-key");
    assert_eq!(third.body, first.body);
    assert_eq!(s.charges().len(), 1);
    assert_eq!(balance(&s, bob), 450);
    // Another key is a new purchase: bob already owns it now.
    checkout(&s, bob, demo::MOD_NIGHT_MODE, 50, "other-key").assert_error(422, 900034);
}

#[test]
fn idempotent_errors_replay_and_keys_are_per_user() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1500, "k").assert_error(422, 900049);
    s.state().lock().unwrap().credit(demo::BOB_ID, 1, 5000);
    // Funds arrived, but the key replays its stored error.
    checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1500, "k").assert_error(422, 900049);
    assert!(s.charges().is_empty());
    // Alice's "k" is her own.
    s.state().lock().unwrap().credit(demo::ALICE_ID, 1, 1500);
    let r = checkout(
        &s,
        demo::ALICE_ACCESS_TOKEN,
        demo::MOD_SUNNY_SKIES,
        1500,
        "k",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.charges().len(), 1);
}

#[test]
fn idempotency_keys_expire_after_24_hours_of_fake_clock() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1500, "day-key").assert_error(422, 900049);
    s.state().lock().unwrap().credit(demo::BOB_ID, 1, 1000);
    control(&s, "POST", "/clock", json!({"advance_secs": 24 * 3600 - 1}));
    checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1500, "day-key").assert_error(422, 900049);
    control(&s, "POST", "/clock", json!({"advance_secs": 1}));
    let r = checkout(&s, bob, demo::MOD_SUNNY_SKIES, 1500, "day-key");
    assert_eq!(r.status, 200, "after 24 h the key is new: {}", r.text());
    assert_eq!(s.charges().len(), 1);
}

#[test]
fn concurrent_checkouts_with_one_key_charge_once() {
    let s = FakeServer::start();
    let bodies: Vec<Vec<u8>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    checkout(&s, demo::BOB_ACCESS_TOKEN, demo::MOD_HD_PACK, 100, "race").body
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(s.charges().len(), 1);
}

// ---------------------------------------------------------------- purchases and misc

#[test]
fn purchased_paginates_and_filters() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    s.state().lock().unwrap().credit(demo::BOB_ID, 1, 10_000);
    for (id, price) in [(1001, 100), (1003, 400), (1005, 50)] {
        assert_eq!(checkout(&s, bob, id, price, &format!("p{id}")).status, 200);
    }
    let all = get_auth(&url(&s, "/me/purchased"), bob);
    assert_eq!(ids(&all), vec![1002, 1001, 1003, 1005]);
    assert_eq!(all.json()["result_total"], 4);
    let page = get_auth(&url(&s, "/me/purchased?_offset=1&_limit=2"), bob);
    assert_eq!(ids(&page), vec![1001, 1003]);
    assert_eq!(page.json()["result_total"], 4);
    assert_eq!(
        ids(&get_auth(&url(&s, "/me/purchased?game_id=3"), bob)),
        Vec::<u64>::new()
    );
    assert_eq!(
        ids(&get_auth(&url(&s, "/me/purchased?game_id=1"), bob)).len(),
        4
    );
    assert_eq!(
        ids(&get_auth(
            &url(&s, "/me/purchased"),
            demo::ALICE_ACCESS_TOKEN
        )),
        Vec::<u64>::new()
    );
    get(&url(&s, "/me/purchased")).assert_error(401, 11000);
    get(&url(
        &s,
        "/me/purchased?api_key=0123456789abcdef0123456789abcdef",
    ))
    .assert_error(401, 11005);
}

#[test]
fn request_log_records_encoding_and_headers() {
    let s = FakeServer::start();
    let body = form(&[("xbox_token", demo::ALICE_XBOX_TOKEN)]);
    send(
        "POST",
        &with_key(&url(&s, "/external/xboxauth")),
        &[FORM, ("X-Modio-Platform", "windows")],
        &body,
    );
    control(&s, "GET", "/charges", json!(null));
    let log = control(&s, "GET", "/requests", json!(null)).json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "control calls are not logged: {log:?}");
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], "/v1/external/xboxauth");
    assert_eq!(log[0]["query"], format!("api_key={}", demo::API_KEY));
    assert_eq!(log[0]["headers"]["x-modio-platform"], "windows");
    assert_eq!(log[0]["body"], String::from_utf8(body).unwrap());
    assert_eq!(
        s.requests()[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    control(&s, "DELETE", "/requests", json!(null));
    assert!(s.requests().is_empty());
}

#[test]
fn unknown_routes_and_terms() {
    let s = FakeServer::start();
    get(&url(&s, "/nothing/here")).assert_error(404, 14000);
    // A known path with the wrong method is 405 with `Allow`, not 404.
    let wrong = get(&url(&s, "/games/1/mods/1001/checkout"));
    wrong.assert_error(405, 14000);
    assert_eq!(wrong.header("allow"), Some("POST"));
    let wrong = post_form(&url(&s, "/me/wallets"), Some(demo::BOB_ACCESS_TOKEN), &[]);
    wrong.assert_error(405, 14000);
    assert_eq!(wrong.header("allow"), Some("GET"));
    send("DELETE", &url(&s, "/s2s/transactions/intent"), &[], b"").assert_error(405, 14000);
    // Nothing was done on the way: bob's purchases are untouched.
    assert_eq!(
        get_auth(&url(&s, "/me/purchased"), demo::BOB_ACCESS_TOKEN).json()["result_total"],
        1
    );
    let terms = get(&with_key(&url(&s, "/authenticate/terms")));
    assert_eq!(terms.status, 200);
    assert_eq!(terms.json()["buttons"]["agree"]["text"], "I Agree");
    get(&url(&s, "/authenticate/terms")).assert_error(401, 11000);
}

#[test]
fn servers_are_independent() {
    let a = FakeServer::start();
    let b = FakeServer::start_empty();
    assert_ne!(a.base_url(), b.base_url());
    assert_eq!(get(&with_key(&url(&a, "/games/1"))).status, 200);
    // b knows no api key at all.
    get(&with_key(&url(&b, "/games/1"))).assert_error(401, 11002);
    assert_eq!(b.state().lock().unwrap().users.len(), 0);
}

#[test]
fn mods_are_filtered_and_sorted_as_the_reference_says() {
    let s = FakeServer::start();
    for (id, name, price, tags, downloads) in [
        (3001, "Texture Pack", 300, json!(["Textures", "HD"]), 50),
        (3002, "HD textures", 120, json!(["Textures"]), 900),
        (3003, "Armor texture pack", 700, json!(["HD", "Armor"]), 10),
    ] {
        let r = control(
            &s,
            "POST",
            "/mods",
            json!({"id": id, "game_id": 1, "name": name, "price": price, "tags": tags, "downloads_total": downloads}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let paid = |q: &str| {
        ids(&get(&with_key(&url(
            &s,
            &format!("/games/1/mods?revenue_type=1&{q}"),
        ))))
    };
    // Equals, in, not-in, min, max (restapi-filtering.md).
    assert_eq!(paid("id=3002"), vec![3002]);
    assert_eq!(paid("id-in=3003,1001,9"), vec![1001, 3003]);
    assert_eq!(
        paid("id-not-in=1001,1002,1003,1004,1005"),
        vec![3001, 3002, 3003]
    );
    assert_eq!(paid("price-min=300&price-max=700"), vec![1003, 3001, 3003]);
    assert_eq!(paid("price-not=100&price-max=250"), vec![1002, 1005, 3002]);
    // -lk with the reference's three wildcard examples.
    assert_eq!(paid("name-lk=texture"), Vec::<u64>::new());
    assert_eq!(paid("name-lk=texture*"), vec![3001]);
    assert_eq!(paid("name-lk=*texture*"), vec![3001, 3002, 3003]);
    assert_eq!(paid("name-not-lk=*texture*&price-min=1000"), vec![1004]);
    // tags: all of them; tags-in: any; tags-not-in: none (get-mods.json).
    assert_eq!(paid("tags=Textures,HD"), vec![3001]);
    assert_eq!(paid("tags-in=Armor,Textures"), vec![3001, 3002, 3003]);
    assert_eq!(paid("tags-in=HD&tags-not-in=Armor"), vec![3001]);
    // _sort, ascending and descending; ties keep id order.
    assert_eq!(
        paid("tags-in=HD,Textures&_sort=name"),
        vec![3003, 3002, 3001]
    );
    assert_eq!(
        paid("tags-in=HD,Textures&_sort=-downloads_total"),
        vec![3002, 3001, 3003]
    );
    assert_eq!(paid("price-min=400&_sort=-price"), vec![1004, 3003, 1003]);
    assert_eq!(paid("id-in=1001,3001&_sort=price"), vec![1001, 3001]);
    // The total counts what the filters let through, and pagination applies after sorting.
    let page = get(&with_key(&url(
        &s,
        "/games/1/mods?revenue_type=1&_sort=-price&_limit=2&_offset=1",
    )));
    assert_eq!(ids(&page), vec![3003, 1003]);
    assert_eq!(page.json()["result_total"], 8);
    // Bad filters are 422 / 13009 naming the parameter.
    let bad = get(&with_key(&url(&s, "/games/1/mods?price-min=cheap")));
    assert!(bad.assert_error(422, 13009)["error"]["errors"]["price-min"].is_string());
    let bad = get(&with_key(&url(&s, "/games/1/mods?_sort=colour")));
    assert!(bad.assert_error(422, 13009)["error"]["errors"]["_sort"].is_string());
    let bad = get(&with_key(&url(&s, "/games/1/mods?id-in=")));
    bad.assert_error(422, 13009);
}

#[test]
fn the_purchased_list_takes_the_same_filters() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    let buy = post_form(
        &url(&s, "/games/1/mods/1001/checkout"),
        Some(bob),
        &[
            ("type", "0"),
            ("display_amount", "100"),
            ("idempotent_key", "filters"),
        ],
    );
    assert_eq!(buy.status, 200, "{}", buy.text());
    let purchased = |q: &str| ids(&get_auth(&url(&s, &format!("/me/purchased?{q}")), bob));
    assert_eq!(purchased(""), vec![1002, 1001], "purchase order by default");
    assert_eq!(purchased("id=1001"), vec![1001]);
    assert_eq!(purchased("id-in=1002,1003"), vec![1002]);
    assert_eq!(purchased("_sort=id"), vec![1001, 1002]);
    assert_eq!(purchased("_sort=-price"), vec![1002, 1001]);
    assert_eq!(
        get_auth(&url(&s, "/me/purchased?id=1003"), bob).json()["result_total"],
        0
    );
}

#[test]
fn platform_and_portal_headers_shape_the_answers() {
    let s = FakeServer::start();
    let add_game = control(
        &s,
        "POST",
        "/games",
        json!({"id": 7, "api_key": "77777777777777777777777777777777", "name": "Per Platform", "platform_filtering": true}),
    );
    assert_eq!(add_game.status, 200, "{}", add_game.text());
    for (id, platforms) in [
        (7001, json!(["windows", "PS5"])),
        (7002, json!(["xboxseriesx"])),
        (7003, json!([])),
    ] {
        let r = control(
            &s,
            "POST",
            "/mods",
            json!({"id": id, "game_id": 7, "name": format!("Mod {id}"), "price": 10, "platforms": platforms}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert_eq!(
        control(
            &s,
            "POST",
            "/mods",
            json!({"game_id": 7, "name": "x", "platforms": ["dreamcast"]})
        )
        .status,
        400,
        "an unknown platform is refused by the control interface"
    );
    let list = |platform: Option<&str>| {
        let u = format!(
            "{}/games/7/mods?revenue_type=1&api_key=77777777777777777777777777777777",
            s.base_url()
        );
        let headers: Vec<(&str, &str)> = platform
            .map(|p| vec![("X-Modio-Platform", p)])
            .unwrap_or_default();
        ids(&send("GET", &u, &headers, b""))
    };
    // No header means windows; the values are case-insensitive; an unknown one means windows.
    assert_eq!(list(None), vec![7001, 7003]);
    assert_eq!(list(Some("ps5")), vec![7001, 7003]);
    assert_eq!(list(Some("XboxSeriesX")), vec![7002, 7003]);
    assert_eq!(list(Some("dreamcast")), vec![7001, 7003]);
    // Read on a platform it is not live on, a mod's modfile is an empty object (get-mod.json).
    let one = |platform: &str| {
        let u = format!(
            "{}/games/7/mods/7002?api_key=77777777777777777777777777777777",
            s.base_url()
        );
        send("GET", &u, &[("X-Modio-Platform", platform)], b"").json()
    };
    assert_eq!(one("windows")["modfile"], json!({}));
    assert!(one("xboxseriesx")["modfile"]["id"].as_u64().unwrap() > 0);
    assert_eq!(
        one("xboxseriesx")["platforms"][0]["platform"],
        "xboxseriesx"
    );
    // A game without per-platform filtering lists everything everywhere.
    let demo_paid = |platform: &str| {
        let u = with_key(&url(&s, "/games/1/mods?revenue_type=1"));
        ids(&send("GET", &u, &[("X-Modio-Platform", platform)], b""))
    };
    assert_eq!(demo_paid("switch"), demo_paid("windows"));

    // X-Modio-Portal: display_name_portal of the user objects, null without a known portal.
    let me = |portal: Option<&str>| {
        let auth = format!("Bearer {}", demo::BOB_ACCESS_TOKEN);
        let mut headers = vec![("Authorization", auth.as_str())];
        if let Some(p) = portal {
            headers.push(("X-Modio-Portal", p));
        }
        send("GET", &url(&s, "/me"), &headers, b"").json()
    };
    assert_eq!(me(None)["display_name_portal"], Value::Null);
    assert_eq!(me(Some("XboxLive"))["display_name_portal"], "bob@xboxlive");
    assert_eq!(
        me(Some("myspace"))["display_name_portal"],
        Value::Null,
        "an unknown portal is ignored"
    );
    let creator = send(
        "GET",
        &with_key(&url(&s, "/games/1/mods/1001")),
        &[("X-Modio-Portal", "steam")],
        b"",
    )
    .json();
    assert!(creator["submitted_by"]["display_name_portal"]
        .as_str()
        .unwrap()
        .ends_with("@steam"));
}

#[test]
fn many_connections_arriving_at_once_are_all_served() {
    // The fake's old HTTP server could leave one unserved when several arrived together.
    let s = FakeServer::start();
    let target = with_key(&url(&s, "/games/1"));
    let n = 24;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (target, barrier) = (target.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut stream = connect(&target);
                stream
                    .set_read_timeout(Some(std::time::Duration::from_secs(20)))
                    .unwrap();
                barrier.wait();
                write_request(&mut stream, "GET", &target, &[], b"").unwrap();
                let first = read_response(&mut stream).map(|r| r.status);
                // And the connection is kept alive for the next request.
                write_request(&mut stream, "GET", &target, &[], b"").unwrap();
                (first, read_response(&mut stream).map(|r| r.status))
            })
        })
        .collect();
    for t in threads {
        let (first, second) = t.join().unwrap();
        assert_eq!(first.ok(), Some(200), "every connection gets its answer");
        assert_eq!(second.ok(), Some(200), "on the same connection too");
    }
}

#[test]
fn request_framing_chunked_bodies_expect_continue_and_bad_heads() {
    use std::io::{Read, Write};
    let s = FakeServer::start();
    let path = format!("/v1/external/steamauth?api_key={}", demo::API_KEY);
    let body = format!("appdata={}&terms_agreed=true", demo::ALICE_STEAM_TICKET);
    // A chunked body, with Expect: 100-continue.
    let mut stream = std::net::TcpStream::connect(s.addr()).unwrap();
    let half = body.len() / 2;
    let chunked = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
        half,
        &body[..half],
        body.len() - half,
        &body[half..]
    );
    stream.write_all(chunked.as_bytes()).unwrap();
    let mut continued = [0u8; 25];
    stream.read_exact(&mut continued).unwrap();
    assert_eq!(&continued, b"HTTP/1.1 100 Continue\r\n\r\n");
    let answer = read_response(&mut stream).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(answer.json()["access_token"].is_string());
    // Garbage is a 400 and the connection closes.
    let mut stream = std::net::TcpStream::connect(s.addr()).unwrap();
    stream.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, 400);
    let mut rest = Vec::new();
    assert_eq!(
        stream.read_to_end(&mut rest).unwrap(),
        0,
        "closed after the 400"
    );
    // HTTP/1.0 without keep-alive closes after its answer.
    let mut stream = std::net::TcpStream::connect(s.addr()).unwrap();
    write!(
        stream,
        "GET /v1/games/1?api_key={} HTTP/1.0\r\n\r\n",
        demo::API_KEY
    )
    .unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, 200);
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
}

// ---------------------------------------------------------------- downloads

#[test]
fn downloads_answer_ranges_and_follow_the_access_options() {
    let s = FakeServer::start();
    let m = get(&with_key(&url(&s, "/games/1/mods/1001"))).json();
    let link = m["modfile"]["download"]["binary_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let whole = get(&link);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(&whole.body[..2], b"PK", "a zip archive");
    let total = whole.body.len();
    let part = send("GET", &link, &[("Range", "bytes=100-")], b"");
    assert_eq!(part.status, 206);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 100-{}/{total}", total - 1).as_str())
    );
    assert_eq!(part.body, whole.body[100..]);
    let past = send("GET", &link, &[("Range", &format!("bytes={total}-"))], b"");
    assert_eq!(past.status, 416);
    assert_eq!(
        past.header("content-range"),
        Some(format!("bytes */{total}").as_str())
    );

    // AUTHORISED_DOWNLOADS: a token; PAID_DOWNLOADS: a token whose user owns the paid mod.
    control(
        &s,
        "POST",
        "/games/1/api_access_options",
        json!({"options": 2 | 4}),
    );
    get(&link).assert_error(401, 11000);
    assert_eq!(get_auth(&link, demo::ALICE_ACCESS_TOKEN).status, 200);
    control(
        &s,
        "POST",
        "/games/1/api_access_options",
        json!({"options": 2 | 8}),
    );
    get_auth(&link, demo::ALICE_ACCESS_TOKEN).assert_error(403, 15023);
    let castle = get(&with_key(&url(&s, "/games/1/mods/1002"))).json();
    let bobs = castle["modfile"]["download"]["binary_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get_auth(&bobs, demo::BOB_ACCESS_TOKEN).status,
        200,
        "bob owns Castle Siege"
    );
    let free = get(&with_key(&url(&s, "/games/1/mods/2001"))).json();
    let free_link = free["modfile"]["download"]["binary_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get_auth(&free_link, demo::ALICE_ACCESS_TOKEN).status,
        200,
        "a free mod needs no purchase"
    );

    // Without DOWNLOADS the link carries an expiring hash; the stable one stops working.
    control(
        &s,
        "POST",
        "/games/1/api_access_options",
        json!({"options": 1}),
    );
    get(&link).assert_error(404, 15010);
    let fresh = get(&with_key(&url(&s, "/games/1/mods/1001"))).json();
    let expiring = fresh["modfile"]["download"]["binary_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(expiring, link);
    assert_eq!(get(&expiring).status, 200);
    s.advance_clock(601);
    get(&expiring).assert_error(410, 15010);
}

#[test]
fn a_new_modfile_keeps_the_old_one_readable_and_archives_can_be_set() {
    let s = FakeServer::start();
    let before = get(&with_key(&url(&s, "/games/1/mods/2001"))).json()["modfile"].clone();
    let published = control(&s, "POST", "/mods/2001/modfile", json!({"version": "9.9"})).json();
    let new_id = published["modfile_id"].as_u64().unwrap();
    let after = get(&with_key(&url(&s, "/games/1/mods/2001"))).json()["modfile"].clone();
    assert_eq!(
        (after["id"].as_u64(), after["version"].as_str()),
        (Some(new_id), Some("9.9"))
    );
    assert_ne!(after["filehash"]["md5"], before["filehash"]["md5"]);
    let old = get(&with_key(&url(
        &s,
        &format!("/games/1/mods/2001/files/{}", before["id"]),
    )))
    .json();
    assert_eq!(old["filehash"], before["filehash"]);
    let set = control(
        &s,
        "POST",
        "/mods/2001/archive",
        json!({"entries": [{"name": "../x", "data": "y"}]}),
    )
    .json();
    let now = get(&with_key(&url(&s, "/games/1/mods/2001"))).json()["modfile"].clone();
    assert_eq!(now["filehash"]["md5"], set["md5"]);
    let bytes = get(now["download"]["binary_url"].as_str().unwrap()).body;
    assert_eq!(fake_modio::md5_hex(&bytes), set["md5"].as_str().unwrap());
    assert!(
        bytes.windows(4).any(|w| w == b"../x"),
        "the name is written as given"
    );
}
