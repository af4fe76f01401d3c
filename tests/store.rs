//! The store page around the mods, against the fake: terms (localized, per portal), currency
//! packs, unconverted entitlements, the signed-in user and UDT sign-in.

mod common;

use common::*;
use fake_modio::{demo, FakeServer};
use modio_market::{AuthOptions, Client, EntitlementKind, EntitlementQuery, ErrorKind, PlatformAuth, Secret};

#[test]
fn terms_follow_the_configured_language_and_portal() {
    let server = FakeServer::start();
    let english = client(&server);
    let terms = run(&english, |cb| english.get_terms(cb)).unwrap();
    assert_eq!((terms.agree_text.as_str(), terms.disagree_text.as_str()), ("I Agree", "No, Thanks"));
    assert!(terms.link("terms").unwrap().required, "the Terms of Use link is required");
    assert!(terms.link("privacy").unwrap().url.starts_with("https://"));
    assert_eq!(terms.links.len(), 6);

    let german = Client::new(config(&server).language("de-DE").portal("steam")).unwrap();
    let terms = run(&german, |cb| german.get_terms(cb)).unwrap();
    assert_eq!(terms.agree_text, "Ich stimme zu");
    assert!(terms.plaintext.contains("Steam"), "the portal's account is named: {}", terms.plaintext);
    let sent = server.requests();
    let last = sent.iter().rev().find(|r| r.path.ends_with("/authenticate/terms")).unwrap();
    assert_eq!(last.header("accept-language"), Some("de-DE"));
    assert_eq!(last.header("x-modio-portal"), Some("steam"));
    assert!(last.query.contains("api_key="), "terms are read with the API key: {}", last.query);

    assert_eq!(
        modio_market::Config::new(1, "k").language("en\r\nX: y").validate().unwrap_err().kind(),
        ErrorKind::InvalidArgument,
        "a language that is not a tag is refused"
    );
}

#[test]
fn token_packs_name_the_games_currency() {
    let server = FakeServer::start();
    let alice = alice(&server);
    let packs = run(&alice, |cb| alice.get_token_packs(cb)).unwrap();
    assert_eq!(packs.token_name, demo::TOKEN_NAME);
    let steam: Vec<_> = packs.packs.iter().filter(|p| p.portal == "STEAM").collect();
    assert_eq!(steam.len(), 2, "{:?}", packs.packs);
    let thousand = steam.iter().find(|p| p.sku == demo::SKU_GOLD_1000).unwrap();
    assert_eq!((thousand.amount, thousand.price), (1000, 999));
    // The operation's security is a user token.
    let anonymous = client(&server);
    assert_eq!(run(&anonymous, |cb| anonymous.get_token_packs(cb)).unwrap_err().kind(), ErrorKind::NotAuthenticated);
}

#[test]
fn unconverted_entitlements_are_listed_without_converting_them() {
    let server = FakeServer::start();
    let alice = alice(&server);
    let before = run(&alice, |cb| alice.get_wallet(cb)).unwrap().balance;
    let pending = run(&alice, |cb| alice.get_unconverted_entitlements(EntitlementQuery::Steam, cb)).unwrap();
    assert_eq!((pending.total, pending.token_packs()), (2, 2), "alice has two GOLD_1000 on Steam");
    assert!(pending.entitlements.iter().all(|e| e.sku_id == demo::SKU_GOLD_1000 && e.kind == EntitlementKind::TokenPack));
    let again = run(&alice, |cb| alice.get_unconverted_entitlements(EntitlementQuery::Steam, cb)).unwrap();
    assert_eq!(again.total, 2, "listing converts nothing");
    assert_eq!(run(&alice, |cb| alice.get_wallet(cb)).unwrap().balance, before);
    let sent = server.requests();
    let last = sent.iter().rev().find(|r| r.path == "/v1/me/entitlements").unwrap();
    assert_eq!(last.header("x-modio-portal"), Some("steam"));

    // After a sync there is nothing left to convert.
    run(&alice, |cb| alice.sync_entitlements(modio_market::EntitlementSource::Steam, cb)).unwrap();
    let after = run(&alice, |cb| alice.get_unconverted_entitlements(EntitlementQuery::Steam, cb)).unwrap();
    assert_eq!(after.total, 0);

    // Xbox with the player's token (secret in the body), and the checks before sending.
    let xbox = EntitlementQuery::XboxLive { xbox_token: Secret::new(demo::ALICE_XBOX_TOKEN) };
    assert_eq!(run(&alice, |cb| alice.get_unconverted_entitlements(xbox, cb)).unwrap().total, 0);
    let empty = EntitlementQuery::XboxLive { xbox_token: Secret::new("") };
    assert_eq!(alice.get_unconverted_entitlements(empty, |_: modio_market::Result<_>| {}).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let psn = EntitlementQuery::Psn { psn_token: Secret::new("p"), env: None, service_label: None };
    let e = alice.get_unconverted_entitlements(psn, |_: modio_market::Result<_>| {}).unwrap_err();
    assert!(e.message().contains("platform"), "PSN needs the platform header: {e}");
    let bad_sandbox = EntitlementQuery::EpicGames { epicgames_token: Secret::new("t"), sandbox_id: Some("a b".into()) };
    assert_eq!(
        alice.get_unconverted_entitlements(bad_sandbox, |_: modio_market::Result<_>| {}).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );

    // Carol has no Xbox account linked: 11069.
    let carol = client(&server);
    let token = run(&carol, |cb| {
        carol.authenticate(PlatformAuth::Steam { appdata: Secret::new(demo::CAROL_STEAM_TICKET) }, AuthOptions::agreed(), cb)
    })
    .unwrap();
    assert!(!token.token.is_empty());
    let xbox = EntitlementQuery::XboxLive { xbox_token: Secret::new("XBL3.0 x=carol") };
    let e = run(&carol, |cb| carol.get_unconverted_entitlements(xbox, cb)).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (400, modio_market::error_ref::USER_CONNECTION_MEMBER_NOT_FOUND));
}

#[test]
fn get_user_names_the_signed_in_player() {
    let server = FakeServer::start();
    let alice = alice(&server);
    let me = run(&alice, |cb| alice.get_user(cb)).unwrap();
    assert_eq!((me.id, me.username.as_str()), (demo::ALICE_ID, demo::ALICE_USERNAME));
    let nobody = client(&server);
    assert_eq!(run(&nobody, |cb| nobody.get_user(cb)).unwrap_err().kind(), ErrorKind::NotAuthenticated);
}

#[test]
fn a_studio_server_signs_in_as_the_player_with_a_delegation_token() {
    let server = FakeServer::start();
    let alice = alice(&server);
    let delegation = run(&alice, |cb| alice.request_delegation_token(cb)).unwrap();
    let studio = client(&server);
    let token = run(&studio, |cb| {
        studio.authenticate(PlatformAuth::Udt { delegation_token: delegation.token.clone() }, AuthOptions::default(), cb)
    })
    .unwrap();
    assert!(studio.has_access_token());
    assert!(!token.token.is_empty());
    let me = run(&studio, |cb| studio.get_user(cb)).unwrap();
    assert_eq!(me.id, demo::ALICE_ID, "the studio acts as alice");
    let sent = server.requests();
    let udt = sent.iter().find(|r| r.path == "/v1/external/udtauth").unwrap();
    assert_eq!(udt.header("x-modio-delegation-token"), Some(delegation.token.expose()));
    assert!(!udt.body.contains("terms_agreed"), "UDT sends no terms_agreed: {}", udt.body);

    let forged =
        run(&studio, |cb| studio.authenticate(PlatformAuth::Udt { delegation_token: Secret::new("forged") }, AuthOptions::default(), cb))
            .unwrap_err();
    assert_eq!((forged.http_status(), forged.error_ref()), (401, modio_market::error_ref::TOKEN_EXPIRED_OR_REVOKED));
    let empty = studio.authenticate(
        PlatformAuth::Udt { delegation_token: Secret::new("") },
        AuthOptions::default(),
        |_: modio_market::Result<_>| {},
    );
    assert_eq!(empty.unwrap_err().kind(), ErrorKind::InvalidArgument);
}
