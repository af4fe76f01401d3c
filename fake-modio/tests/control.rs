//! The control interface and the demo seed it restores.

mod common;

use common::*;
use fake_modio::{demo, FakeServer};
use serde_json::{json, Value};

fn url(server: &FakeServer, path: &str) -> String {
    format!("{}{}", server.base_url(), path)
}

#[test]
fn demo_seed_matches_the_readme() {
    let s = FakeServer::start();
    let alice = control(&s, "GET", "/users/1", Value::Null).json();
    assert_eq!(alice["username"], "alice");
    assert_eq!(alice["balance"], 0);
    assert_eq!(alice["entitlements"], json!({"steam": {"GOLD_1000": 2}}));
    assert_eq!(alice["terms_agreed"], true);
    let bob = control(&s, "GET", "/users/2", Value::Null).json();
    assert_eq!(
        (bob["username"].as_str(), bob["balance"].as_i64()),
        (Some("bob"), Some(500))
    );
    assert_eq!(bob["purchases"], json!([demo::MOD_CASTLE_SIEGE]));
    assert_eq!(
        control(&s, "GET", "/users/3", Value::Null).json()["terms_agreed"],
        false
    );
    let mods = get(&with_key(&url(&s, "/games/1/mods?revenue_type=2"))).json();
    let got: Vec<(u64, String, i64)> = mods["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_u64().unwrap(),
                m["name"].as_str().unwrap().to_string(),
                m["price"].as_i64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(u64, String, i64)> = demo::MODS
        .iter()
        .map(|(i, n, p)| (*i, n.to_string(), *p))
        .collect();
    assert_eq!(got, want);
    let state = s.state().lock().unwrap();
    let g1 = &state.games[&1];
    for portal in ["steam", "xboxlive", "psn", "meta", "apple", "google"] {
        assert!(g1.iap_portals.contains(portal));
        for (sku, amount) in [(demo::SKU_GOLD_1000, 1000), (demo::SKU_GOLD_500, 500)] {
            assert!(g1
                .skus
                .iter()
                .any(|m| m.portal == portal && m.sku == sku && m.amount == amount));
        }
    }
    assert!(!state.games[&2].monetized);
    assert!(state.games[&3].monetized && state.games[&3].iap_portals.is_empty());
}

#[test]
fn reset_and_reseed() {
    let s = FakeServer::start();
    assert_eq!(control(&s, "POST", "/reset", Value::Null).status, 200);
    get(&with_key(&url(&s, "/games/1"))).assert_error(401, 11002);
    get_auth(&url(&s, "/me/wallets?game_id=1"), demo::ALICE_ACCESS_TOKEN).assert_error(401, 11005);
    assert_eq!(control(&s, "POST", "/seed/demo", Value::Null).status, 200);
    assert_eq!(get(&with_key(&url(&s, "/games/1"))).status, 200);
    assert_eq!(
        get_auth(&url(&s, "/me/wallets?game_id=1"), demo::BOB_ACCESS_TOKEN).json()["balance"],
        500
    );
}

#[test]
fn users_games_and_mods_from_an_empty_start() {
    let s = FakeServer::start_empty();
    let r = control(
        &s,
        "POST",
        "/games",
        json!({"id": 7, "name": "Space Game", "api_key": "5pace5pace5pace5pace5pace5pace55", "monetized": true,
               "iap_portals": ["steam"], "token_name": "Credits",
               "skus": [{"portal": "steam", "sku": "CRED_10", "amount": 10}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let u = control(
        &s,
        "POST",
        "/users",
        json!({"username": "dave", "game_id": 7, "balance": 30, "steam_ticket": "dave-ticket"}),
    )
    .json();
    let (id, token) = (
        u["id"].as_u64().unwrap(),
        u["access_token"].as_str().unwrap().to_string(),
    );
    let w = get_auth(&url(&s, "/me/wallets?game_id=7"), &token).json();
    assert_eq!(w["balance"], 30);

    let m = control(
        &s,
        "POST",
        "/mods",
        json!({"id": 77, "game_id": 7, "name": "Laser Pack", "price": 25, "tags": ["Weapons"]}),
    )
    .json();
    assert_eq!(m["id"], 77);
    assert_eq!(m["name_id"], "laser-pack");
    assert_eq!(m["tags"][0]["name"], "Weapons");
    let list = get(&format!(
        "{}/games/7/mods?revenue_type=1&api_key=5pace5pace5pace5pace5pace5pace55",
        s.base_url()
    ))
    .json();
    assert_eq!(list["result_total"], 1);

    control(
        &s,
        "POST",
        &format!("/users/{id}/entitlements"),
        json!({"portal": "steam", "sku": "CRED_10", "count": 2}),
    );
    let sync = post_form(&url(&s, "/me/iap/steam/sync"), Some(&token), &[]);
    assert_eq!(sync.json()["wallet"]["balance"], 50);
    // A control-issued token belongs to the user's own game (sync uses the token's game).
    let t2 = control(&s, "POST", &format!("/users/{id}/token"), json!({})).json();
    let again = post_form(
        &url(&s, "/me/iap/steam/sync"),
        t2["access_token"].as_str(),
        &[],
    );
    assert_eq!(again.status, 200, "{}", again.text());
    let r = post_form(
        &url(&s, "/games/7/mods/77/checkout"),
        Some(&token),
        &[
            ("type", "0"),
            ("display_amount", "25"),
            ("idempotent_key", "x"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let user = control(&s, "GET", &format!("/users/{id}"), Value::Null).json();
    assert_eq!(user["balance"], 25);
    assert_eq!(user["purchases"], json!([77]));
    let charges = control(&s, "GET", "/charges", Value::Null).json();
    assert_eq!(charges[0]["mod_id"], 77);
    assert_eq!(charges[0]["amount"], 25);
    assert_eq!(charges[0]["idempotent_key"], "x");

    // Authentication works for the added user through the new game's key.
    let auth = post_form(
        &format!(
            "{}/external/steamauth?api_key=5pace5pace5pace5pace5pace5pace55",
            s.base_url()
        ),
        None,
        &[("appdata", "dave-ticket")],
    );
    assert_eq!(auth.status, 200);
}

#[test]
fn clock_and_bad_control_calls() {
    let s = FakeServer::start();
    let before = control(&s, "GET", "/clock", Value::Null).json()["now"]
        .as_i64()
        .unwrap();
    let after = control(&s, "POST", "/clock", json!({"advance_secs": 1000})).json()["now"]
        .as_i64()
        .unwrap();
    assert!(after - before >= 1000);
    assert_eq!(control(&s, "POST", "/clock", json!({})).status, 400);
    assert_eq!(control(&s, "GET", "/users/99", Value::Null).status, 404);
    assert_eq!(control(&s, "POST", "/nothing", Value::Null).status, 404);
    let r = send(
        "POST",
        &format!("{}/users", s.control_url()),
        &[],
        b"{not json",
    );
    assert_eq!(r.status, 400);
}

fn purchased_ids(s: &FakeServer, token: &str) -> Vec<u64> {
    ids(&get_auth(&url(s, "/me/purchased"), token))
}

fn balance(s: &FakeServer, user: u64) -> i64 {
    control(s, "GET", &format!("/users/{user}"), Value::Null).json()["balance"]
        .as_i64()
        .unwrap()
}

#[test]
fn refund_and_revoke_take_a_purchase_back() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    // Bob buys the HD pack (100), so its charge is in the ledger.
    let bought = post_form(
        &url(&s, &format!("/games/1/mods/{}/checkout", demo::MOD_HD_PACK)),
        Some(bob),
        &[
            ("type", "0"),
            ("display_amount", "100"),
            ("idempotent_key", "refund-1"),
        ],
    );
    assert_eq!(bought.status, 200, "{}", bought.text());
    let before = balance(&s, demo::BOB_ID);
    assert!(purchased_ids(&s, bob).contains(&demo::MOD_HD_PACK));

    // A refund removes the purchase and credits what the charge took.
    let r = control(
        &s,
        "POST",
        &format!("/users/{}/refund", demo::BOB_ID),
        json!({"mod_id": demo::MOD_HD_PACK}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["credited"], 100);
    assert!(!purchased_ids(&s, bob).contains(&demo::MOD_HD_PACK));
    assert_eq!(balance(&s, demo::BOB_ID), before + 100);

    // A revoke removes without credit (the seed's Castle Siege has no charge either way).
    let r = control(
        &s,
        "POST",
        &format!("/users/{}/revoke", demo::BOB_ID),
        json!({"mod_id": demo::MOD_CASTLE_SIEGE}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["credited"], 0);
    assert_eq!(purchased_ids(&s, bob), Vec::<u64>::new());
    assert_eq!(balance(&s, demo::BOB_ID), before + 100);

    // Not owned (any more), unknown user, missing field: refused, nothing changes.
    let again = control(
        &s,
        "POST",
        &format!("/users/{}/refund", demo::BOB_ID),
        json!({"mod_id": demo::MOD_HD_PACK}),
    );
    assert_eq!(again.status, 404);
    assert_eq!(
        control(&s, "POST", "/users/999/refund", json!({"mod_id": 1})).status,
        404
    );
    assert_eq!(
        control(
            &s,
            "POST",
            &format!("/users/{}/revoke", demo::BOB_ID),
            json!({})
        )
        .status,
        400
    );
    assert_eq!(balance(&s, demo::BOB_ID), before + 100);
}

#[test]
fn an_expired_token_answers_11005() {
    let s = FakeServer::start();
    let bob = demo::BOB_ACCESS_TOKEN;
    assert_eq!(get_auth(&url(&s, "/me/wallets?game_id=1"), bob).status, 200);
    let r = control(&s, "POST", "/tokens/expire", json!({"access_token": bob}));
    assert_eq!(r.status, 200, "{}", r.text());
    get_auth(&url(&s, "/me/wallets?game_id=1"), bob).assert_error(401, 11005);
    // Other tokens live on; an unknown token is a 404 of the control interface.
    assert_eq!(
        get_auth(&url(&s, "/me/wallets?game_id=1"), demo::ALICE_ACCESS_TOKEN).status,
        200
    );
    assert_eq!(
        control(
            &s,
            "POST",
            "/tokens/expire",
            json!({"access_token": "nope"})
        )
        .status,
        404
    );
    assert_eq!(control(&s, "POST", "/tokens/expire", json!({})).status, 400);
}
