//! The whole game-client flow through the Rust API, against the fake mod.io server:
//! every call of issue 2 and every listed error ref.

mod common;

use std::time::Duration;

use common::*;
use fake_modio::{demo, FakeServer};
use modio_market::{
    error_ref, AuthOptions, Client, Config, EntitlementSource, EntitlementState, Environment, ModQuery, ModSortField, PlatformAuth,
    ResultCode, RevenueType, Secret, TransactionState,
};

fn auth(c: &Client, a: PlatformAuth, options: AuthOptions) -> modio_market::Result<modio_market::AccessToken> {
    run(c, |cb| c.authenticate(a, options, cb))
}

#[test]
fn steam_auth_keeps_the_token_and_reads_the_wallet() {
    let server = FakeServer::start();
    let c = client(&server);
    assert!(!c.has_access_token());
    let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
    assert_eq!(e.code(), ResultCode::NotAuthenticated);

    let token = auth(&c, PlatformAuth::Steam { appdata: Secret::new(demo::ALICE_STEAM_TICKET) }, AuthOptions::agreed()).unwrap();
    assert!(!token.token.is_empty());
    assert!(token.date_expires > 0);
    assert!(c.has_access_token());

    let wallet = run(&c, |cb| c.get_wallet(cb)).unwrap();
    assert_eq!(wallet.balance, 0);
    assert_eq!(wallet.game_id, demo::GAME_ID);
    assert!(!wallet.currency.is_empty());

    // The request carried the api_key on auth, the bearer token on the wallet, and game_id.
    let requests = server.requests();
    let auth_req = requests.iter().find(|r| r.path.ends_with("/external/steamauth")).unwrap();
    assert!(auth_req.query.contains("api_key=0123456789abcdef0123456789abcdef"), "{}", auth_req.query);
    assert!(auth_req.body.contains("terms_agreed=true"));
    let wallet_req = requests.iter().find(|r| r.path.ends_with("/me/wallets")).unwrap();
    assert!(wallet_req.header("authorization").unwrap().starts_with("Bearer "));
    assert!(wallet_req.query.contains("game_id=1"));
}

#[test]
fn every_platform_authenticates_with_properly_encoded_fields() {
    let server = FakeServer::start();
    let c = client(&server);
    let cases = vec![
        PlatformAuth::XboxLive { xbox_token: Secret::new(demo::ALICE_XBOX_TOKEN) },
        PlatformAuth::Psn { auth_code: Secret::new(demo::ALICE_PSN_AUTH_CODE), env: Some(256) },
        PlatformAuth::Meta {
            device: demo::ALICE_META_DEVICE.parse().unwrap(),
            nonce: Secret::new(demo::ALICE_META_NONCE),
            user_id: demo::ALICE_META_USER_ID.parse().unwrap(),
            access_token: Secret::new(demo::ALICE_META_ACCESS_TOKEN),
        },
        PlatformAuth::Apple { id_token: Secret::new(demo::ALICE_APPLE_ID_TOKEN) },
        PlatformAuth::Google { auth_code: Some(Secret::new(demo::ALICE_GOOGLE_AUTH_CODE)), id_token: None },
        PlatformAuth::Epic { id_token: Secret::new(demo::ALICE_EPIC_ID_TOKEN) },
        PlatformAuth::Steam { appdata: Secret::new(demo::ALICE_STEAM_TICKET) },
    ];
    for a in cases {
        let what = format!("{a:?}");
        c.set_access_token(None);
        auth(&c, a, AuthOptions::agreed()).unwrap_or_else(|e| panic!("{what}: {e}"));
        // Each token is alice's: the wallet answers for her.
        assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap().game_id, demo::GAME_ID, "{what}");
    }
    // The Xbox token's special characters arrived intact (the fake compares after decoding);
    // on the wire they were percent-encoded.
    let xbox = server.requests().into_iter().find(|r| r.path.ends_with("/external/xboxauth")).unwrap();
    assert!(xbox.body.contains("xbox_token=XBL3.0+x%3Dalice%3Bey%2B%2F%3D%26%25%3F"), "{}", xbox.body);
    let psn = server.requests().into_iter().find(|r| r.path.ends_with("/external/psnauth")).unwrap();
    assert!(psn.body.contains("env=256"));
}

#[test]
fn auth_errors_are_typed() {
    let server = FakeServer::start();
    let c = client(&server);
    let e = auth(&c, PlatformAuth::Steam { appdata: Secret::new("not-a-ticket") }, AuthOptions::agreed()).unwrap_err();
    assert_eq!((e.code(), e.http_status(), e.error_ref()), (ResultCode::Http, 401, error_ref::STEAM_APP_TICKET_INVALID));
    assert!(!c.has_access_token());
    let e = auth(&c, PlatformAuth::XboxLive { xbox_token: Secret::new("XBL3.0 x=nobody") }, AuthOptions::agreed()).unwrap_err();
    assert_eq!(e.error_ref(), error_ref::XBOX_LIVE_INVALID_TOKEN);
    // carol has not agreed to the terms: without terms_agreed she gets 11074.
    let e = auth(&c, PlatformAuth::Steam { appdata: Secret::new(demo::CAROL_STEAM_TICKET) }, AuthOptions::default()).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (403, error_ref::NO_TERMS_AGREEMENT));
    assert_eq!(e.error_ref_name(), Some("NO_TERMS_AGREEMENT"));
    auth(&c, PlatformAuth::Steam { appdata: Secret::new(demo::CAROL_STEAM_TICKET) }, AuthOptions::agreed()).unwrap();
    // Invalid arguments never reach the network.
    let before = server.requests().len();
    let e = c.authenticate(PlatformAuth::Steam { appdata: Secret::new("") }, AuthOptions::agreed(), |_| {}).unwrap_err();
    assert_eq!(e.code(), ResultCode::InvalidArgument);
    assert!(e.message().contains("appdata"));
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_bad_or_expired_token_is_11005() {
    let server = FakeServer::start();
    let c = client(&server);
    c.set_access_token(Some(Secret::new("no-such-token")));
    let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (401, error_ref::TOKEN_EXPIRED_OR_REVOKED));
    assert!(e.is_token_invalid());
    // Replacing the token fixes it; clearing it makes calls refuse locally.
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    run(&c, |cb| c.get_wallet(cb)).unwrap();
    c.set_access_token(None);
    assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap_err().code(), ResultCode::NotAuthenticated);
}

#[test]
fn steam_sync_credits_every_entitlement_once() {
    let server = FakeServer::start();
    let c = alice(&server);
    let sync = run(&c, |cb| c.sync_entitlements(EntitlementSource::Steam, cb)).unwrap();
    assert_eq!(sync.balance, 2000);
    assert_eq!(sync.entitlements.len(), 2);
    for line in &sync.entitlements {
        assert_eq!(line.sku_id, demo::SKU_GOLD_1000);
        assert_eq!(line.state, EntitlementState::Fulfilled);
        assert!(line.consumed);
        assert!(!line.transaction_id.is_empty());
    }
    // Consumed: a second sync converts nothing more.
    let again = run(&c, |cb| c.sync_entitlements(EntitlementSource::Steam, cb)).unwrap();
    assert_eq!(again.balance, 2000);
    assert!(again.entitlements.is_empty());
    assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap().balance, 2000);
}

#[test]
fn every_platform_syncs_with_its_fields() {
    let server = FakeServer::start();
    let c = alice(&server);
    {
        let mut state = server.state().lock().unwrap();
        for portal in ["xboxlive", "psn", "meta", "apple", "google"] {
            assert!(state.add_entitlement(demo::ALICE_ID, portal, demo::SKU_GOLD_500, 1), "{portal}");
        }
    }
    let sources = vec![
        EntitlementSource::XboxLive { xbox_token: Secret::new(demo::ALICE_XBOX_TOKEN) },
        EntitlementSource::Psn { auth_code: Secret::new(demo::ALICE_PSN_AUTH_CODE), env: Some(1), service_label: Some(0) },
        EntitlementSource::Meta { device: modio_market::MetaDevice::Quest, user_id: demo::ALICE_META_USER_ID.parse().unwrap() },
        EntitlementSource::Apple { receipt: Secret::new("apple-receipt") },
        EntitlementSource::Google { receipt: Secret::new("google-receipt") },
    ];
    let mut expected = 0;
    for source in sources {
        let what = format!("{source:?}");
        let sync = run(&c, |cb| c.sync_entitlements(source, cb)).unwrap_or_else(|e| panic!("{what}: {e}"));
        expected += 500;
        assert_eq!(sync.balance, expected, "{what}");
        assert_eq!(sync.entitlements.len(), 1, "{what}");
    }
    let psn = server.requests().into_iter().find(|r| r.path.ends_with("/me/iap/psn/sync")).unwrap();
    assert!(psn.body.contains("auth_code=psn-alice") && psn.body.contains("env=1") && psn.body.contains("service_label=0"), "{}", psn.body);
    let meta = server.requests().into_iter().find(|r| r.path.ends_with("/me/iap/meta/sync")).unwrap();
    assert!(meta.body.contains("device=quest") && meta.body.contains("user_id=1001"), "{}", meta.body);
}

#[test]
fn sync_errors_are_named() {
    let server = FakeServer::start();
    // bob is linked to Steam only.
    let b = bob(&server);
    let e = run(&b, |cb| b.sync_entitlements(EntitlementSource::XboxLive { xbox_token: Secret::new("XBL3.0 x=bob") }, cb)).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (400, error_ref::USER_CONNECTION_MEMBER_NOT_FOUND));
    // Platform fetch failure.
    server.state().lock().unwrap().users.get_mut(&demo::ALICE_ID).unwrap().platform_fetch_fails = true;
    let a = alice(&server);
    let e = run(&a, |cb| a.sync_entitlements(EntitlementSource::Steam, cb)).unwrap_err();
    assert_eq!(e.error_ref(), error_ref::MONETIZATION_PLATFORM_FETCH_FAILED);
    // A game without IAP configured, and a game that is not monetized.
    for (game, key, want) in [
        (demo::NO_IAP_GAME_ID, demo::NO_IAP_API_KEY, error_ref::MONETIZATION_IAP_NOT_CONFIGURED),
        (demo::UNMONETIZED_GAME_ID, demo::UNMONETIZED_API_KEY, error_ref::MONETIZATION_GAME_NOT_MONETIZED),
    ] {
        let c = Client::new(Config::new(game, key).base_url(server.base_url())).unwrap();
        auth(&c, PlatformAuth::Steam { appdata: Secret::new(demo::ALICE_STEAM_TICKET) }, AuthOptions::agreed()).unwrap();
        let e = run(&c, |cb| c.sync_entitlements(EntitlementSource::Steam, cb)).unwrap_err();
        assert_eq!((e.http_status(), e.error_ref()), (403, want), "game {game}");
        if game == demo::UNMONETIZED_GAME_ID {
            // get-user-wallet.json: 404 / 900022, no active monetization team.
            let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
            assert_eq!((e.http_status(), e.error_ref()), (404, error_ref::MONETIZATION_TEAM_NOT_FOUND));
            assert_eq!(e.error_ref_name(), Some("MONETIZATION_TEAM_NOT_FOUND"));
        }
    }
    // Bad Meta input is refused before anything is sent: an unknown device cannot even be
    // written as a MetaDevice, and user id 0 is refused by the call.
    let a = alice(&server);
    let e = "vive".parse::<modio_market::MetaDevice>().unwrap_err();
    assert_eq!(e.code(), ResultCode::InvalidArgument);
    let e = a.sync_entitlements(EntitlementSource::Meta { device: modio_market::MetaDevice::Quest, user_id: 0 }, |_| {}).unwrap_err();
    assert_eq!(e.code(), ResultCode::InvalidArgument);
}

#[test]
fn missing_fields_come_back_as_a_field_map() {
    // The library validates before sending, so provoke the server with a raw form POST.
    let server = FakeServer::start();
    let url = format!("{}/me/iap/xboxlive/sync", server.base_url());
    let body = http_post(&url, demo::ALICE_ACCESS_TOKEN, "");
    assert!(body.starts_with("HTTP/1.1 422"), "{body}");
    assert!(body.contains("\"errors\"") && body.contains("xbox_token"), "{body}");
    assert!(body.contains("13009"), "{body}");
}

fn http_post(url: &str, token: &str, form: &str) -> String {
    use std::io::{Read, Write};
    let u = url::Url::parse(url).unwrap();
    let mut s = std::net::TcpStream::connect((u.host_str().unwrap(), u.port().unwrap())).unwrap();
    write!(
        s,
        "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        u.path(),
        form.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn browsing_premium_mods_paginates_and_searches() {
    let server = FakeServer::start();
    let c = client(&server); // the API key alone can browse
    let paid = run(&c, |cb| {
        c.get_mods(ModQuery { revenue_type: RevenueType::Paid, offset: 0, limit: 100, search: None, ..ModQuery::default() }, cb)
    })
    .unwrap();
    assert_eq!(paid.page.result_total, 5);
    assert!(paid.mods.iter().all(|m| m.price > 0));
    let hd = paid.mods.iter().find(|m| m.id == demo::MOD_HD_PACK).unwrap();
    assert_eq!(hd.price, 100);
    assert_eq!(hd.name, "Rogue Knight HD Pack");
    assert!(!hd.logo_url.is_empty() && !hd.profile_url.is_empty());
    assert!(hd.modfile.id > 0 && hd.modfile.filesize > 0);
    assert_eq!(hd.modfile.md5.len(), 32);
    assert!(!hd.modfile.version.is_empty());
    assert!(hd.json.contains("\"submitted_by\""), "the whole object is kept");

    let free = run(&c, |cb| {
        c.get_mods(ModQuery { revenue_type: RevenueType::Free, offset: 0, limit: 100, search: None, ..ModQuery::default() }, cb)
    })
    .unwrap();
    assert_eq!(free.page.result_total, 2);
    assert!(free.mods.iter().all(|m| m.price == 0));
    let both = run(&c, |cb| {
        c.get_mods(ModQuery { revenue_type: RevenueType::Both, offset: 0, limit: 100, search: None, ..ModQuery::default() }, cb)
    })
    .unwrap();
    assert_eq!(both.page.result_total, 7);

    // Pages of 2 cover all 5 paid mods exactly once.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = run(&c, |cb| {
            c.get_mods(ModQuery { revenue_type: RevenueType::Paid, offset, limit: 2, search: None, ..ModQuery::default() }, cb)
        })
        .unwrap();
        assert_eq!(page.page.result_offset, offset);
        assert_eq!(page.page.result_limit, 2);
        if page.mods.is_empty() {
            break;
        }
        offset += page.mods.len() as u64;
        seen.extend(page.mods.into_iter().map(|m| m.id));
    }
    seen.sort();
    assert_eq!(seen, vec![1001, 1002, 1003, 1004, 1005]);

    let found = run(&c, |cb| {
        c.get_mods(
            ModQuery { revenue_type: RevenueType::Both, offset: 0, limit: 100, search: Some("dragon".into()), ..ModQuery::default() },
            cb,
        )
    })
    .unwrap();
    assert_eq!(found.mods.iter().map(|m| m.id).collect::<Vec<_>>(), vec![demo::MOD_DRAGON_SKINS]);

    assert_eq!(c.get_mods(ModQuery { limit: 0, ..ModQuery::default() }, |_| {}).unwrap_err().code(), ResultCode::InvalidArgument);
    assert_eq!(c.get_mods(ModQuery { limit: 101, ..ModQuery::default() }, |_| {}).unwrap_err().code(), ResultCode::InvalidArgument);
}

#[test]
fn a_store_page_filters_and_sorts() {
    let server = FakeServer::start();
    {
        let mut state = server.state().lock().unwrap();
        for (id, name, price, tags, downloads) in [
            (3001, "Texture Pack", 300, vec!["Textures", "HD"], 50),
            (3002, "HD textures", 120, vec!["Textures"], 900),
            (3003, "Armor", 700, vec!["HD"], 10),
        ] {
            state.add_mod(fake_modio::state::NewMod {
                id: Some(id),
                game_id: demo::GAME_ID,
                name: name.into(),
                price,
                tags: tags.into_iter().map(String::from).collect(),
                downloads_total: Some(downloads),
                ..Default::default()
            });
        }
    }
    let c = client(&server);
    let ids = |q: ModQuery| run(&c, |cb| c.get_mods(q, cb)).unwrap().mods.into_iter().map(|m| m.id).collect::<Vec<_>>();
    // Most popular first; cheapest first; newest first is date_live, descending.
    assert_eq!(
        ids(ModQuery {
            sort: ModSortField::DownloadsTotal,
            descending: true,
            tags_any: vec!["Textures".into(), "HD".into()],
            ..ModQuery::default()
        }),
        vec![3002, 3001, 3003]
    );
    assert_eq!(ids(ModQuery { sort: ModSortField::Price, limit: 3, ..ModQuery::default() }), vec![1005, 1001, 3002]);
    assert_eq!(ids(ModQuery { sort: ModSortField::Name, ids: vec![3003, 1002, 3001], ..ModQuery::default() }), vec![3003, 1002, 3001]);
    assert_eq!(ids(ModQuery { tags_all: vec!["Textures".into(), "HD".into()], ..ModQuery::default() }), vec![3001]);
    assert_eq!(ids(ModQuery { price_min: Some(300), price_max: Some(700), ..ModQuery::default() }), vec![1003, 3001, 3003]);
    // What went on the wire, in the reference's syntax.
    let last = server.requests().into_iter().rev().find(|r| r.path == "/v1/games/1/mods").unwrap();
    assert!(last.query.contains("price-min=300") && last.query.contains("price-max=700"), "{}", last.query);
    assert!(!last.query.contains("_sort"), "the default order sends no _sort");
    // Refused before anything is sent.
    let sent = server.requests().len();
    let bad = |q: ModQuery| c.get_mods(q, |_| {}).unwrap_err();
    for (q, field) in [
        (ModQuery { ids: vec![0], ..ModQuery::default() }, "ids"),
        (ModQuery { ids: (1..=101).collect(), ..ModQuery::default() }, "ids"),
        (ModQuery { tags_all: vec!["a,b".into()], ..ModQuery::default() }, "tags_all"),
        (ModQuery { tags_any: vec![" ".into()], ..ModQuery::default() }, "tags_any"),
        (ModQuery { price_min: Some(10), price_max: Some(9), ..ModQuery::default() }, "price_min"),
    ] {
        let e = bad(q);
        assert_eq!(e.code(), ResultCode::InvalidArgument);
        assert!(e.to_string().contains(field), "{e}");
    }
    assert_eq!(server.requests().len(), sent);
    assert_eq!(modio_market::MAX_QUERY_IDS, 100);
    assert_eq!(ModSortField::from_raw(8), Some(ModSortField::Price));
    assert_eq!(ModSortField::from_raw(9), None);
}

#[test]
fn one_mod_by_id_and_unknown_ids() {
    let server = FakeServer::start();
    let c = client(&server);
    let m = run(&c, |cb| c.get_mod(demo::MOD_CASTLE_SIEGE, cb)).unwrap();
    assert_eq!((m.id, m.price), (demo::MOD_CASTLE_SIEGE, 250));
    let e = run(&c, |cb| c.get_mod(999_999, cb)).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (404, error_ref::MOD_NOT_FOUND));
    assert_eq!(c.get_mod(0, |_| {}).unwrap_err().code(), ResultCode::InvalidArgument);
}

#[test]
fn game_access_options_by_name() {
    let server = FakeServer::start();
    let c = client(&server);
    let g = run(&c, |cb| c.get_game(cb)).unwrap();
    assert_eq!(g.id, demo::GAME_ID);
    assert_eq!(g.api_access_options.bits(), demo::API_ACCESS_OPTIONS);
    assert!(g.api_access_options.open());
    assert!(g.api_access_options.direct_downloads());
    assert!(!g.api_access_options.authorised_downloads_only());
    assert!(!g.api_access_options.paid_downloads_need_purchase());
    assert_eq!(g.token_name, demo::TOKEN_NAME);
}

#[test]
fn checkout_buys_once_and_owns_at_once() {
    let server = FakeServer::start();
    let c = bob(&server); // balance 500, owns 1002
    run(&c, |cb| c.refresh_purchases(cb)).unwrap();
    assert!(c.owns(demo::MOD_CASTLE_SIEGE));
    assert!(!c.owns(demo::MOD_HD_PACK));

    let receipt = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap();
    assert_eq!(receipt.balance, 400);
    assert_eq!(receipt.purchased_mod.id, demo::MOD_HD_PACK);
    assert_eq!(receipt.transaction.state, TransactionState::Paid);
    assert!(receipt.transaction.id > 0);
    assert!(uuid::Uuid::parse_str(&receipt.idempotency_key).is_ok(), "a generated UUID key");
    assert!(c.owns(demo::MOD_HD_PACK), "owned at once, without a refresh");

    let req = server.requests().into_iter().find(|r| r.path.ends_with("/mods/1001/checkout")).unwrap();
    assert!(req.body.contains("type=0") && req.body.contains("display_amount=100"), "{}", req.body);
    assert!(req.body.contains(&format!("idempotent_key={}", receipt.idempotency_key)));

    let charges = server.charges();
    assert_eq!(charges.len(), 1);
    assert_eq!((charges[0].user_id, charges[0].mod_id, charges[0].amount), (demo::BOB_ID, demo::MOD_HD_PACK, 100));
}

#[test]
fn checkout_errors_are_named() {
    let server = FakeServer::start();
    let c = bob(&server);
    let e = run(&c, |cb| c.checkout(demo::MOD_CASTLE_SIEGE, 250, None, cb)).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (422, error_ref::MONETIZATION_MARKETPLACE_ALREADY_OWNED));
    assert!(e.is_already_owned());
    let e = run(&c, |cb| c.checkout(demo::MOD_DRAGON_SKINS, 399, None, cb)).unwrap_err();
    assert_eq!(e.error_ref(), error_ref::MONETIZATION_PRICE_MISMATCH);
    assert!(e.is_price_mismatch());
    let e = run(&c, |cb| c.checkout(demo::MOD_SUNNY_SKIES, 1500, None, cb)).unwrap_err();
    assert_eq!(e.error_ref(), error_ref::MONETIZATION_INSUFFICIENT_FUNDS);
    assert!(e.is_insufficient_funds());
    assert!(!c.owns(demo::MOD_SUNNY_SKIES));
    assert!(server.charges().is_empty());
    assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap().balance, 500);
    // Bad arguments are refused before anything is sent.
    // 0 would be a free mod, which mod.io does not sell (403 / 900014).
    for (mod_id, amount) in [(0, 1), (1001, -1), (demo::MOD_FREE_MAPS, 0)] {
        assert_eq!(c.checkout(mod_id, amount, None, |_| {}).unwrap_err().code(), ResultCode::InvalidArgument);
    }
    assert_eq!(modio_market::IdempotencyKey::new("bad key").unwrap_err().code(), ResultCode::InvalidArgument);
}

#[test]
fn a_caller_key_replays_the_same_purchase_without_a_second_charge() {
    let server = FakeServer::start();
    let c = bob(&server);
    let first =
        run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, Some(modio_market::IdempotencyKey::new("order-42").unwrap()), cb)).unwrap();
    let second =
        run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, Some(modio_market::IdempotencyKey::new("order-42").unwrap()), cb)).unwrap();
    assert_eq!(first.transaction.id, second.transaction.id);
    assert_eq!(second.idempotency_key, "order-42");
    assert_eq!(server.charges().len(), 1);
    assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap().balance, 450);
}

#[test]
fn purchases_refresh_every_page_and_replace_the_cache() {
    let server = FakeServer::start();
    {
        let mut state = server.state().lock().unwrap();
        for i in 0..230u64 {
            let id = state.add_mod(fake_modio::state::NewMod {
                game_id: demo::GAME_ID,
                name: format!("Bulk {i}"),
                price: 1,
                ..Default::default()
            });
            state.users.get_mut(&demo::BOB_ID).unwrap().purchases.push(fake_modio::state::Purchase {
                mod_id: id,
                game_id: demo::GAME_ID,
                transaction_id: 90_000 + i,
                date: 1_700_000_000,
            });
        }
    }
    let c = bob(&server);
    assert_eq!(c.purchases_age(), None);
    let purchases = run(&c, |cb| c.refresh_purchases(cb)).unwrap();
    assert_eq!(purchases.mods.len(), 231, "230 bulk + mod 1002");
    assert_eq!(c.owned_mod_ids().len(), 231);
    assert!(c.purchases_age().unwrap() < Duration::from_secs(5));
    let pages = server.requests().iter().filter(|r| r.path.ends_with("/me/purchased")).count();
    assert_eq!(pages, 3, "100 + 100 + 31");

    // A refund on the server disappears at the next refresh.
    server.state().lock().unwrap().users.get_mut(&demo::BOB_ID).unwrap().purchases.retain(|p| p.mod_id != demo::MOD_CASTLE_SIEGE);
    assert!(c.owns(demo::MOD_CASTLE_SIEGE));
    run(&c, |cb| c.refresh_purchases(cb)).unwrap();
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE));

    // Another user's token empties the cache at once.
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    assert!(c.owned_mod_ids().is_empty());
}

#[test]
fn delegation_token_for_the_purchase_server() {
    let server = FakeServer::start();
    let c = alice(&server);
    let t = run(&c, |cb| c.request_delegation_token(cb)).unwrap();
    assert_eq!(t.entity, "purchase_server");
    assert!(!t.token.is_empty());
    assert!(!format!("{t:?}").contains(t.token.expose()), "Debug never shows the token");
}

#[test]
fn portal_and_platform_headers_go_on_every_request() {
    let server = FakeServer::start();
    let c = Client::new(config(&server).portal("Steam").platform("windows")).unwrap();
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    run(&c, |cb| c.get_wallet(cb)).unwrap();
    run(&c, |cb| c.get_game(cb)).unwrap();
    for r in server.requests() {
        assert_eq!(r.header("x-modio-portal"), Some("steam"));
        assert_eq!(r.header("x-modio-platform"), Some("windows"));
    }
}

#[test]
fn environments_and_bad_configs() {
    assert_eq!(Config::new(7, "abc").environment(Environment::Test).base_url_string(), "https://g-7.test.mod.io/v1");
    assert_eq!(Client::new(Config::new(0, "abc")).err().unwrap().code(), ResultCode::InvalidArgument);
    assert_eq!(Client::new(Config::new(1, "abc").base_url("http://example.com/v1")).err().unwrap().code(), ResultCode::InsecureUrl);
    assert_eq!(Client::new(Config::new(1, "abc").worker_threads(65)).err().unwrap().code(), ResultCode::InvalidArgument);
}

#[test]
fn clients_live_side_by_side() {
    let server = FakeServer::start();
    let a = alice(&server);
    let b = bob(&server);
    run(&b, |cb| b.refresh_purchases(cb)).unwrap();
    run(&a, |cb| a.refresh_purchases(cb)).unwrap();
    assert!(b.owns(demo::MOD_CASTLE_SIEGE));
    assert!(!a.owns(demo::MOD_CASTLE_SIEGE));
    assert_eq!(run(&a, |cb| a.get_wallet(cb)).unwrap().balance, 0);
    assert_eq!(run(&b, |cb| b.get_wallet(cb)).unwrap().balance, 500);
}

#[test]
fn unreachable_server_is_a_connect_error() {
    // Bind then drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = Client::new(
        Config::new(demo::GAME_ID, demo::API_KEY)
            .base_url(format!("http://127.0.0.1:{port}/v1"))
            .retry_policy(modio_market::RetryPolicy::never()),
    )
    .unwrap();
    let e = run(&c, |cb| c.get_game(cb)).unwrap_err();
    assert_eq!(e.code(), ResultCode::Connect, "{e:?}");
    assert!(!e.message().contains(demo::API_KEY), "the URL (with the api_key) never reaches a message");
}

#[test]
fn a_host_name_is_resolved_by_the_librarys_resolver() {
    // `localhost` comes from /etc/hosts: the resolver the library installs (which tags its
    // failures as DNS errors by type) serves real names, with no query leaving the machine.
    let server = FakeServer::start();
    let url = server.base_url().replace("127.0.0.1", "localhost");
    assert!(url.contains("localhost"), "{url}");
    let c = Client::new(config(&server).base_url(url)).unwrap();
    let game = run(&c, |cb| c.get_game(cb)).unwrap();
    assert_eq!(game.id, demo::GAME_ID);
}

#[test]
fn the_configured_platform_selects_what_a_per_platform_game_lists() {
    let server = FakeServer::start();
    let key = "77777777777777777777777777777777";
    {
        let mut state = server.state().lock().unwrap();
        let mut game = state.games[&demo::GAME_ID].clone();
        game.id = 7;
        game.api_key = key.into();
        game.platform_filtering = true;
        state.add_game(game);
        for (id, platforms) in [(7001, vec!["windows"]), (7002, vec!["xboxseriesx"]), (7003, vec![])] {
            state.add_mod(fake_modio::state::NewMod {
                id: Some(id),
                game_id: 7,
                name: format!("Mod {id}"),
                price: 10,
                platforms: platforms.into_iter().map(String::from).collect(),
                ..Default::default()
            });
        }
    }
    let on = |platform: &str| Client::new(Config::new(7, key).base_url(server.base_url()).platform(platform)).unwrap();
    let ids = |c: &Client| run(c, |cb| c.get_mods(ModQuery::default(), cb)).unwrap().mods.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let xbox = on("XboxSeriesX");
    assert_eq!(ids(&xbox), vec![7002, 7003], "the header the client sends selects the platform's mods");
    assert_eq!(ids(&on("windows")), vec![7001, 7003]);
    // On a platform it is not live on, a mod's modfile is `{}`: decoded as no file, not an error.
    let windows = on("windows");
    let m = run(&windows, |cb| windows.get_mod(7002, cb)).unwrap();
    assert_eq!((m.id, m.modfile.id, m.modfile.binary_url.as_str()), (7002, 0, ""));
    assert!(run(&xbox, |cb| xbox.get_mod(7002, cb)).unwrap().modfile.id > 0);
}
