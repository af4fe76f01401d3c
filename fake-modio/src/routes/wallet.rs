//! `GET /me/wallets` and `POST /me/iap/{portal}/sync`.

use serde_json::json;

use super::{ok, require_user};
use crate::errors;
use crate::http::{Answer, Req, Validation};
use crate::objects::wallet_object;
use crate::state::{State, SYNC_PORTALS};

/// `GET /me/wallets?game_id=N`: the OpenAPI object makes `game_id` required.
pub fn get_wallet(state: &mut State, req: &Req) -> Answer {
    let user = require_user(state, req)?;
    let mut v = Validation::new();
    let game_id = match req.query("game_id").filter(|s| !s.is_empty()) {
        None => {
            v.add("game_id", "The game id field is required.");
            None
        }
        Some(raw) => match raw.parse::<u64>() {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("game_id", "The game id must be an integer.");
                None
            }
        },
    };
    v.finish()?;
    let game_id = game_id.expect("validated");
    let game = state
        .games
        .get(&game_id)
        .ok_or_else(errors::game_not_found)?;
    if !game.monetized {
        return Err(errors::monetization_team_not_found());
    }
    let wallet = state.wallet_mut(user.user_id, game_id).clone();
    ok(wallet_object(&wallet, game_id))
}

/// Entitlement sync: consumes the user's mapped platform inventory on that portal and
/// credits the token game's wallet. Unmapped SKUs stay in the inventory, unlisted.
///
/// Order of checks: auth, form, required fields, then 900057 (game not monetized),
/// 900054 (no IAP config for the portal), 11069 (no linked account), 900096 (platform
/// unreachable, or the platform credential in the body is not the user's).
pub fn sync(state: &mut State, req: &Req, portal: &str) -> Answer {
    if !SYNC_PORTALS.contains(&portal) {
        return Err(errors::resource_not_found());
    }
    let user = require_user(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    // The credential the platform would be called with, if this portal takes one.
    let credential: Option<String> = match portal {
        "xboxlive" => v.require(&form, "xbox_token").map(str::to_string),
        "psn" => {
            let code = v.require(&form, "auth_code").map(str::to_string);
            v.optional_int(&form, "env");
            v.optional_int(&form, "service_label");
            code
        }
        "meta" => {
            let device = v.require(&form, "device");
            if let Some(d) = device {
                if d != "rift" && d != "quest" {
                    v.add("device", "The selected device is invalid.");
                }
            }
            v.require(&form, "user_id").map(str::to_string)
        }
        "apple" | "google" => {
            // A store receipt, not an identity: any non-empty one is accepted.
            v.require(&form, "receipt");
            None
        }
        _ => None, // Steam: no body.
    };
    v.finish()?;

    let game = state
        .games
        .get(&user.game_id)
        .ok_or_else(errors::game_not_found)?;
    if !game.monetized {
        return Err(errors::game_not_monetized());
    }
    if !game.iap_portals.contains(portal) {
        return Err(errors::iap_not_configured());
    }
    let u = state.users.get(&user.user_id).expect("token checked");
    if !u.credentials.linked(portal) {
        return Err(errors::portal_not_linked());
    }
    let expected = match portal {
        "xboxlive" => u.credentials.xbox_token.clone(),
        "psn" => u.credentials.psn_auth_code.clone(),
        "meta" => u.credentials.meta.as_ref().map(|m| m.user_id.clone()),
        _ => None,
    };
    if u.platform_fetch_fails || (credential.is_some() && credential != expected) {
        return Err(errors::platform_fetch_failed());
    }

    // Consume every mapped entitlement, one data entry per unit.
    let mapped: Vec<(String, i64)> = game
        .skus
        .iter()
        .filter(|s| s.portal == portal)
        .map(|s| (s.sku.clone(), s.amount))
        .collect();
    let inventory = u.entitlements.get(portal).cloned().unwrap_or_default();
    let mut consumed: Vec<(String, i64)> = Vec::new();
    for (sku, count) in &inventory {
        if let Some((_, amount)) = mapped.iter().find(|(s, _)| s == sku) {
            for _ in 0..*count {
                consumed.push((sku.clone(), *amount));
            }
        }
    }
    let game_id = user.game_id;
    let mut data = Vec::new();
    for (sku, amount) in &consumed {
        let transaction_id = state.next_transaction_id();
        state.credit(user.user_id, game_id, *amount);
        data.push(json!({
            "transaction_id": transaction_id.to_string(),
            "transaction_state": 2,
            "sku_id": sku,
            "entitlement_consumed": true,
            "entitlement_type": 0,
            "details": null
        }));
    }
    if let Some(inv) = state
        .users
        .get_mut(&user.user_id)
        .and_then(|u| u.entitlements.get_mut(portal))
    {
        inv.retain(|sku, _| !mapped.iter().any(|(s, _)| s == sku));
    }
    let balance = state.wallet_mut(user.user_id, game_id).balance;
    ok(json!({"wallet": {"balance": balance}, "data": data}))
}
