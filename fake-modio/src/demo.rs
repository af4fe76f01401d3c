//! The demo seed: three games, three users and seven mods, with every value a test might
//! need exposed as a constant so tests never hard-code strings of their own.

use std::collections::BTreeSet;

use crate::state::{
    Credentials, Game, MetaCredential, NewMod, NewUser, OAuthClient, Purchase, SkuMapping, State,
    SYNC_PORTALS,
};

/// Game 1 "Rogue Knight": monetized, IAP configured on every portal.
pub const GAME_ID: u64 = 1;
pub const GAME_NAME: &str = "Rogue Knight";
pub const API_KEY: &str = "0123456789abcdef0123456789abcdef";
pub const TOKEN_NAME: &str = "Gold";
/// `api_access_options` of game 1: 1 (third-party access) + 2 (direct downloads).
pub const API_ACCESS_OPTIONS: u32 = 3;

/// Game 2 "Unmonetized": wallet and checkout answer 404 / 900022, sync 403 / 900057.
pub const UNMONETIZED_GAME_ID: u64 = 2;
pub const UNMONETIZED_API_KEY: &str = "fedcba9876543210fedcba9876543210";

/// Game 3 "No IAP": monetized, but sync answers 900054.
pub const NO_IAP_GAME_ID: u64 = 3;
pub const NO_IAP_API_KEY: &str = "00000000000000000000000000000003";

/// User 1 alice: linked to every portal, 2 × GOLD_1000 in her Steam inventory, balance 0.
pub const ALICE_ID: u64 = 1;
pub const ALICE_USERNAME: &str = "alice";
pub const ALICE_STEAM_TICKET: &str = "demo-steam-ticket-alice";
/// Contains `+ / = & % ?` and a space: only a properly URL-encoded form round-trips it.
pub const ALICE_XBOX_TOKEN: &str = "XBL3.0 x=alice;ey+/=&%?";
pub const ALICE_PSN_AUTH_CODE: &str = "psn-alice";
pub const ALICE_META_USER_ID: &str = "1001";
pub const ALICE_META_DEVICE: &str = "quest";
pub const ALICE_META_NONCE: &str = "n";
pub const ALICE_META_ACCESS_TOKEN: &str = "meta-alice";
pub const ALICE_APPLE_ID_TOKEN: &str = "apple-alice";
pub const ALICE_GOOGLE_AUTH_CODE: &str = "google-alice";
pub const ALICE_EPIC_ID_TOKEN: &str = "epic-alice";
/// A ready-made access token for alice on game 1 (valid for a year of fake time), so
/// tests that are not about authentication can skip it.
pub const ALICE_ACCESS_TOKEN: &str = "demo-access-token-alice";

/// User 2 bob: Steam only, balance 500, owns mod 1002.
pub const BOB_ID: u64 = 2;
pub const BOB_USERNAME: &str = "bob";
pub const BOB_STEAM_TICKET: &str = "demo-steam-ticket-bob";
pub const BOB_BALANCE: i64 = 500;
pub const BOB_ACCESS_TOKEN: &str = "demo-access-token-bob";

/// User 3 carol: has not agreed to the terms (auth without `terms_agreed=true` is 11074).
pub const CAROL_ID: u64 = 3;
pub const CAROL_USERNAME: &str = "carol";
pub const CAROL_STEAM_TICKET: &str = "demo-steam-ticket-carol";

/// SKUs mapped on every portal of game 1.
pub const SKU_GOLD_1000: &str = "GOLD_1000";
pub const SKU_GOLD_500: &str = "GOLD_500";

/// Paid mods of game 1.
pub const MOD_HD_PACK: u64 = 1001;
pub const MOD_CASTLE_SIEGE: u64 = 1002;
pub const MOD_DRAGON_SKINS: u64 = 1003;
pub const MOD_SUNNY_SKIES: u64 = 1004;
pub const MOD_NIGHT_MODE: u64 = 1005;
/// Free mods of game 1.
pub const MOD_FREE_MAPS: u64 = 2001;
pub const MOD_FREE_MUSIC: u64 = 2002;
/// (id, name, price) of every demo mod.
pub const MODS: [(u64, &str, i64); 7] = [
    (MOD_HD_PACK, "Rogue Knight HD Pack", 100),
    (MOD_CASTLE_SIEGE, "Castle Siege", 250),
    (MOD_DRAGON_SKINS, "Dragon Skins", 400),
    (MOD_SUNNY_SKIES, "Sunny Skies", 1500),
    (MOD_NIGHT_MODE, "Night Mode", 50),
    (MOD_FREE_MAPS, "Free Maps", 0),
    (MOD_FREE_MUSIC, "Free Music", 0),
];

/// The S2S OAuth client of game 1.
pub const OAUTH_CLIENT_ID: &str = "7001";
pub const OAUTH_CLIENT_SECRET: &str = "demo-client-secret";

fn game(id: u64, name: &str, api_key: &str, monetized: bool, iap: bool) -> Game {
    let iap_portals: BTreeSet<String> = if iap {
        SYNC_PORTALS.iter().map(|p| p.to_string()).collect()
    } else {
        BTreeSet::new()
    };
    let mut skus = Vec::new();
    if monetized {
        for portal in SYNC_PORTALS {
            for (pack_id, sku, amount) in [(1, SKU_GOLD_1000, 1000), (2, SKU_GOLD_500, 500)] {
                skus.push(SkuMapping {
                    portal: portal.to_string(),
                    sku: sku.to_string(),
                    amount,
                    token_pack_id: pack_id,
                    token_pack_name: format!("{amount} {TOKEN_NAME}"),
                    price: amount - 1,
                });
            }
        }
    }
    Game {
        id,
        name: name.to_string(),
        name_id: crate::state::slugify(name),
        api_key: api_key.to_string(),
        monetized,
        iap_portals,
        api_access_options: API_ACCESS_OPTIONS,
        token_name: TOKEN_NAME.to_string(),
        skus,
        platform_filtering: false,
    }
}

/// Replaces `state` with the demo world.
pub fn seed(state: &mut State) {
    state.reset();
    state.add_game(game(GAME_ID, GAME_NAME, API_KEY, true, true));
    state.add_game(game(
        UNMONETIZED_GAME_ID,
        "Unmonetized",
        UNMONETIZED_API_KEY,
        false,
        false,
    ));
    state.add_game(game(NO_IAP_GAME_ID, "No IAP", NO_IAP_API_KEY, true, false));

    let year = 365 * 24 * 3600;
    let (alice, _) = state.add_user(NewUser {
        username: ALICE_USERNAME.into(),
        game_id: GAME_ID,
        balance: 0,
        terms_agreed: true,
        credentials: Credentials {
            steam_ticket: Some(ALICE_STEAM_TICKET.into()),
            xbox_token: Some(ALICE_XBOX_TOKEN.into()),
            psn_auth_code: Some(ALICE_PSN_AUTH_CODE.into()),
            meta: Some(MetaCredential {
                user_id: ALICE_META_USER_ID.into(),
                device: ALICE_META_DEVICE.into(),
                nonce: ALICE_META_NONCE.into(),
                access_token: ALICE_META_ACCESS_TOKEN.into(),
            }),
            apple_id_token: Some(ALICE_APPLE_ID_TOKEN.into()),
            google_auth_code: Some(ALICE_GOOGLE_AUTH_CODE.into()),
            epic_id_token: Some(ALICE_EPIC_ID_TOKEN.into()),
        },
    });
    debug_assert_eq!(alice, ALICE_ID);
    state.add_entitlement(ALICE_ID, "steam", SKU_GOLD_1000, 2);

    let (bob, _) = state.add_user(NewUser {
        username: BOB_USERNAME.into(),
        game_id: GAME_ID,
        balance: BOB_BALANCE,
        terms_agreed: true,
        credentials: Credentials {
            steam_ticket: Some(BOB_STEAM_TICKET.into()),
            ..Credentials::default()
        },
    });
    debug_assert_eq!(bob, BOB_ID);

    let (carol, _) = state.add_user(NewUser {
        username: CAROL_USERNAME.into(),
        game_id: GAME_ID,
        balance: 0,
        terms_agreed: false,
        credentials: Credentials {
            steam_ticket: Some(CAROL_STEAM_TICKET.into()),
            ..Credentials::default()
        },
    });
    debug_assert_eq!(carol, CAROL_ID);

    // Well-known tokens in addition to the random ones add_user issued.
    let expires = state.now() + year;
    for (token, user) in [(ALICE_ACCESS_TOKEN, ALICE_ID), (BOB_ACCESS_TOKEN, BOB_ID)] {
        state.tokens.insert(
            token.to_string(),
            crate::state::AccessToken {
                user_id: user,
                game_id: GAME_ID,
                expires_at: expires,
            },
        );
    }

    let summaries = [
        "It's time to bask in the glory of beautiful 4k textures!",
        "Lay siege to the castle with new maps and siege engines.",
        "Twelve dragon skins, hand painted.",
        "Brighter skies for every level.",
        "Play every level at night.",
        "Ten community maps, free.",
        "A free soundtrack remix.",
    ];
    for ((id, name, price), summary) in MODS.iter().zip(summaries) {
        state.add_mod(NewMod {
            id: Some(*id),
            game_id: GAME_ID,
            name: name.to_string(),
            price: *price,
            summary: Some(summary.to_string()),
            tags: vec![if *price > 0 { "Premium" } else { "Free" }.to_string()],
            version: Some("1.3".into()),
            ..NewMod::default()
        });
    }

    let transaction_id = state.next_transaction_id();
    let now = state.now();
    state
        .users
        .get_mut(&BOB_ID)
        .expect("seeded")
        .purchases
        .push(Purchase {
            mod_id: MOD_CASTLE_SIEGE,
            game_id: GAME_ID,
            transaction_id,
            date: now,
        });

    state.add_oauth_client(OAuthClient {
        client_id: OAUTH_CLIENT_ID.into(),
        client_secret: OAUTH_CLIENT_SECRET.into(),
        game_id: GAME_ID,
        scopes: vec!["read".into(), "write".into(), "monetization".into()],
    });
}
