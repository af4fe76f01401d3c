//! `GET /games/{id}/monetization/token-packs` and `POST /me/entitlements`: what a store page
//! shows around the mods.

use serde_json::{json, Value};

use super::{ok, path_id, require_user};
use crate::errors;
use crate::http::{Answer, Req, Validation};
use crate::objects::page;
use crate::state::State;

/// The portals `POST /me/entitlements` takes (get-user-entitlements.json's `X-Modio-Portal`).
const ENTITLEMENT_PORTALS: [&str; 4] = ["steam", "psn", "xboxlive", "epicgames"];

/// The game's currency packs, one per mapped SKU and portal, as a list page (the OpenAPI
/// object names one Game Token Pack Object under "Get all token packs"). Its security is
/// `oauth2` only: a user token is required.
pub fn token_packs(state: &mut State, req: &Req, game: &str) -> Answer {
    require_user(state, req)?;
    let game_id = path_id(game, errors::game_not_found)?;
    let g = state
        .games
        .get(&game_id)
        .ok_or_else(errors::game_not_found)?;
    if !g.monetized {
        return Err(errors::monetization_team_not_found());
    }
    let data: Vec<Value> = g
        .skus
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "id": i + 1,
                "token_pack_id": s.token_pack_id,
                "price": s.price,
                "amount": s.amount,
                "portal": s.portal.to_ascii_uppercase(),
                "sku": s.sku,
                "name": s.token_pack_name,
                "description": format!("This pack contains {} {}!", s.amount, g.token_name),
                "date_added": 1_700_000_000,
                "date_updated": 1_700_000_000
            })
        })
        .collect();
    let total = data.len();
    ok(page(data, 0, total.max(1), total))
}

/// What the user bought on the portal and has not converted, one entry per unit of a mapped
/// SKU; converts nothing. Order of checks: auth, portal (400 / 900098), form, game (404 /
/// 14001), 900054 (no IAP config for the portal), 11069 (not linked), 900096.
pub fn unconverted(state: &mut State, req: &Req) -> Answer {
    let user = require_user(state, req)?;
    let portal = req
        .header("x-modio-portal")
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| ENTITLEMENT_PORTALS.contains(&p.as_str()))
        .ok_or_else(errors::portal_invalid)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let game_id = v.optional_int(&form, "game_id");
    let credential = match portal.as_str() {
        "xboxlive" => v.require(&form, "xbox_token").map(str::to_string),
        "psn" => {
            if req
                .header("x-modio-platform")
                .is_none_or(|p| p.trim().is_empty())
            {
                v.add(
                    "X-Modio-Platform",
                    "The platform header is required when the portal is psn.",
                );
            }
            v.optional_int(&form, "psn_env");
            v.optional_int(&form, "psn_service_label");
            v.require(&form, "psn_token").map(str::to_string)
        }
        "epicgames" => {
            let token = v.require(&form, "epicgames_token").map(str::to_string);
            let _ = form.get("epicgames_sandbox_id");
            token
        }
        _ => None,
    };
    v.finish()?;
    let game_id = match game_id {
        Some(id) if id > 0 => id as u64,
        _ => user.game_id,
    };
    let game = state
        .games
        .get(&game_id)
        .ok_or_else(errors::game_not_found)?;
    // Epic Games has no sync endpoint of its own to configure: any IAP configuration counts.
    let configured = if portal == "epicgames" {
        !game.iap_portals.is_empty()
    } else {
        game.iap_portals.contains(&portal)
    };
    if !configured {
        return Err(errors::iap_not_configured());
    }
    let u = state.users.get(&user.user_id).expect("token checked");
    if !u.credentials.linked(&portal) {
        return Err(errors::portal_not_linked());
    }
    let expected = match portal.as_str() {
        "xboxlive" => u.credentials.xbox_token.clone(),
        "psn" => u.credentials.psn_auth_code.clone(),
        "epicgames" => u.credentials.epic_id_token.clone(),
        _ => None,
    };
    if u.platform_fetch_fails || (credential.is_some() && credential != expected) {
        return Err(errors::platform_fetch_failed());
    }
    let mut data = Vec::new();
    if let Some(inventory) = u.entitlements.get(&portal) {
        for (sku, count) in inventory {
            if game
                .skus
                .iter()
                .any(|s| s.portal == portal && s.sku == *sku)
            {
                for _ in 0..*count {
                    data.push(json!({"sku_id": sku, "entitlement_type": 0}));
                }
            }
        }
    }
    let total = data.len();
    ok(page(data, 0, 100, total))
}
