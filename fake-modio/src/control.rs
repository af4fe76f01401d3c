//! The control interface under `/_control` (JSON in, JSON out): how tests in other
//! languages seed state, read the ledger and inject faults. Never logged in the request
//! log and never subject to faults, so a test can always reach it.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::demo;
use crate::faults::Fault;
use crate::http::{ApiResponse, Req};
use crate::objects::mod_object;
use crate::state::{
    ArchiveEntry, Credentials, Game, MetaCredential, NewMod, NewUser, OAuthClient, SkuMapping,
    State, TxState, ACCESS_TOKEN_TTL_SECS,
};

fn bad(message: impl Into<String>) -> ApiResponse {
    ApiResponse::json(400, json!({"error": message.into()}))
}

fn not_found(what: &str) -> ApiResponse {
    ApiResponse::json(404, json!({"error": format!("no such {what}")}))
}

fn ok() -> ApiResponse {
    ApiResponse::ok(json!({"ok": true}))
}

fn str_field(v: &Value, name: &str) -> Option<String> {
    match v.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn handle(state: &mut State, req: &Req) -> ApiResponse {
    let body: Value = if req.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => return bad(format!("body is not JSON: {e}")),
        }
    };
    let rest = req.path.strip_prefix("/_control").unwrap_or("");
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["reset"]) => {
            state.reset();
            ok()
        }
        ("POST", ["seed", "demo"]) => {
            demo::seed(state);
            ok()
        }
        ("POST", ["games"]) => add_game(state, &body),
        ("POST", ["users"]) => add_user(state, &body),
        ("GET", ["users", id]) => with_user(state, id, |state, id| get_user(state, req, id)),
        ("POST", ["users", id, "token"]) => with_user(state, id, |state, id| {
            let expired = body
                .get("expired")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let home = state.users[&id].game_id;
            let game_id = body.get("game_id").and_then(Value::as_u64).unwrap_or(home);
            let now = state.now();
            let expires_at = if expired {
                now - 1
            } else {
                now + ACCESS_TOKEN_TTL_SECS
            };
            let token = state.issue_token(id, game_id, expires_at);
            ApiResponse::ok(json!({"access_token": token, "date_expires": expires_at}))
        }),
        ("POST", ["users", id, "entitlements"]) => with_user(state, id, |state, id| {
            let (Some(portal), Some(sku)) = (str_field(&body, "portal"), str_field(&body, "sku"))
            else {
                return bad("\"portal\" and \"sku\" are required");
            };
            let count = body.get("count").and_then(Value::as_u64).unwrap_or(1) as u32;
            state.add_entitlement(id, &portal, &sku, count);
            ok()
        }),
        ("POST", ["users", id, "platform_fetch_fails"]) => with_user(state, id, |state, id| {
            let fails = body.get("fails").and_then(Value::as_bool).unwrap_or(true);
            state
                .users
                .get_mut(&id)
                .expect("checked")
                .platform_fetch_fails = fails;
            ok()
        }),
        // A purchase taken back by mod.io's support: "refund" credits what the purchase's charge
        // debited back to the wallet, "revoke" does not. Either way the mod leaves
        // `GET /me/purchased`, so a refresh shows the game it is no longer owned.
        ("POST", ["users", id, action @ ("refund" | "revoke")]) => {
            with_user(state, id, |state, id| {
                let Some(mod_id) = body.get("mod_id").and_then(Value::as_u64) else {
                    return bad("\"mod_id\" (an integer) is required");
                };
                take_back(state, id, mod_id, *action == "refund")
            })
        }
        ("POST", ["mods"]) => add_mod(state, &body),
        ("GET", ["charges"]) => ApiResponse::ok(Value::Array(
            state
                .charges
                .iter()
                .map(|c| {
                    json!({
                        "user_id": c.user_id,
                        "game_id": c.game_id,
                        "mod_id": c.mod_id,
                        "amount": c.amount,
                        "idempotent_key": c.idempotent_key,
                        "transaction_id": c.transaction_id
                    })
                })
                .collect(),
        )),
        ("GET", ["requests"]) => ApiResponse::ok(Value::Array(
            state
                .requests
                .iter()
                .map(|r| {
                    let mut headers = serde_json::Map::new();
                    for (name, value) in &r.headers {
                        // Repeated headers are joined as HTTP allows.
                        let joined = match headers.get(name).and_then(Value::as_str) {
                            Some(prev) => format!("{prev}, {value}"),
                            None => value.clone(),
                        };
                        headers.insert(name.clone(), Value::String(joined));
                    }
                    json!({
                        "method": r.method,
                        "path": r.path,
                        "query": r.query,
                        "headers": headers,
                        "body": r.body
                    })
                })
                .collect(),
        )),
        ("DELETE", ["requests"]) => {
            state.requests.clear();
            ok()
        }
        ("POST", ["clock"]) => {
            let Some(secs) = body.get("advance_secs").and_then(Value::as_i64) else {
                return bad("\"advance_secs\" (an integer) is required");
            };
            state.advance_clock(secs);
            ApiResponse::ok(json!({"now": state.now()}))
        }
        ("GET", ["clock"]) => ApiResponse::ok(json!({"now": state.now()})),
        ("POST", ["rate_limits"]) => match state.rate_limits.configure(&body) {
            Ok(v) => ApiResponse::ok(v),
            Err(e) => bad(e),
        },
        // Lifts every hold and restarts the counts (the configuration stays).
        ("DELETE", ["rate_limits"]) => {
            state.rate_limits.clear();
            ok()
        }
        // Ends an access token's life now: the next request with it answers 401 / 11005.
        ("POST", ["tokens", "expire"]) => {
            let Some(token) = str_field(&body, "access_token") else {
                return bad("\"access_token\" is required");
            };
            let now = state.now();
            match state.tokens.get_mut(&token) {
                Some(t) => {
                    t.expires_at = now - 1;
                    ok()
                }
                None => not_found("access token"),
            }
        }
        ("POST", ["service_token_format"]) => {
            match body.get("expires_in").and_then(Value::as_str) {
                Some("integer") => {
                    state.expires_in_as_integer = true;
                    ok()
                }
                Some("string") => {
                    state.expires_in_as_integer = false;
                    ok()
                }
                _ => bad("\"expires_in\" must be \"integer\" or \"string\""),
            }
        }
        ("POST", ["s2s_key_scope"]) => match str_field(&body, "scope").as_deref() {
            Some("user") => {
                state.s2s_keys_per_delegation_token = false;
                ok()
            }
            Some("delegation_token") => {
                state.s2s_keys_per_delegation_token = true;
                ok()
            }
            _ => bad("\"scope\" must be \"user\" or \"delegation_token\""),
        },
        ("POST", ["mods", id, "modfile"]) => with_mod(state, id, |state, id| {
            let version = str_field(&body, "version").unwrap_or_else(|| "2.0".into());
            let modfile_id = state.next_modfile_id;
            state.next_modfile_id += 1;
            let now = state.now();
            state
                .mods
                .get_mut(&id)
                .expect("checked")
                .publish(modfile_id, version, now);
            ApiResponse::ok(json!({"modfile_id": modfile_id}))
        }),
        ("POST", ["mods", id, "archive"]) => with_mod(state, id, |state, id| {
            let Some(entries) = body.get("entries").and_then(Value::as_array) else {
                return bad("\"entries\" (an array) is required");
            };
            let mut archive = Vec::new();
            for e in entries {
                let Some(name) = str_field(e, "name") else {
                    return bad("each entry needs a \"name\"");
                };
                archive.push(ArchiveEntry {
                    name,
                    data: str_field(e, "data").unwrap_or_default().into_bytes(),
                    symlink_target: str_field(e, "symlink_to"),
                });
            }
            let m = state.mods.get_mut(&id).expect("checked");
            m.set_archive(archive);
            ApiResponse::ok(json!({"md5": m.md5(), "filesize": m.archive().bytes.len()}))
        }),
        ("POST", ["games", id, "api_access_options"]) => {
            let Some(game) = id
                .parse::<u64>()
                .ok()
                .and_then(|id| state.games.get_mut(&id))
            else {
                return not_found("game");
            };
            let Some(options) = body.get("options").and_then(Value::as_u64) else {
                return bad("\"options\" (an integer) is required");
            };
            game.api_access_options = options as u32;
            ok()
        }
        ("POST", ["faults"]) => add_fault(state, &body),
        ("GET", ["faults"]) => ApiResponse::ok(Value::Array(
            state
                .faults
                .iter()
                .map(|r| {
                    let mut v = r.fault.to_json();
                    v["path"] = json!(r.path_prefix);
                    v["count"] = json!(r.remaining);
                    if let Some(m) = &r.method {
                        v["method"] = json!(m);
                    }
                    v
                })
                .collect(),
        )),
        ("DELETE", ["faults"]) => {
            state.faults.clear();
            ok()
        }
        ("POST", ["oauth_clients"]) => {
            let (Some(client_id), Some(secret)) = (
                str_field(&body, "client_id"),
                str_field(&body, "client_secret"),
            ) else {
                return bad("\"client_id\" and \"client_secret\" are required");
            };
            let scopes = body
                .get("scopes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_else(|| vec!["read".into(), "write".into(), "monetization".into()]);
            state.add_oauth_client(OAuthClient {
                client_id,
                client_secret: secret,
                game_id: body
                    .get("game_id")
                    .and_then(Value::as_u64)
                    .unwrap_or(demo::GAME_ID),
                scopes,
            });
            ok()
        }
        ("GET", ["transactions"]) => ApiResponse::ok(Value::Array(
            state
                .transactions
                .values()
                .map(|t| {
                    json!({
                        "transaction_id": t.id,
                        "user_id": t.user_id,
                        "game_id": t.game_id,
                        "portal": t.portal,
                        "sku": t.sku,
                        "amount": t.amount,
                        "gateway_uuid": t.gateway_uuid,
                        "clawback_uuid": t.clawback_uuid,
                        "state": t.state.as_str(),
                        "refund_reason": t.refund_reason,
                        "purchase_date": t.purchase_date
                    })
                })
                .collect(),
        )),
        // A transaction's state set by hand (mod.io's support reverting a payment, a test of a
        // purchase server's reconciliation): `{"state": "pending" | "paid" | "refunded"}`.
        ("POST", ["transactions", id, "state"]) => {
            let Ok(id) = id.parse::<u64>() else {
                return bad("the transaction id must be a number");
            };
            let next = match str_field(&body, "state").as_deref() {
                Some("pending") => TxState::Pending,
                Some("paid") => TxState::Paid,
                Some("refunded") => TxState::Refunded,
                _ => return bad("\"state\" must be \"pending\", \"paid\" or \"refunded\""),
            };
            match state.transactions.get_mut(&id) {
                Some(t) => {
                    t.state = next;
                    ok()
                }
                None => not_found("transaction"),
            }
        }
        _ => not_found("control endpoint"),
    }
}

/// Removes user `user_id`'s purchase of `mod_id`; with `refund`, credits the amount its charge
/// debited. Answers what was credited.
fn take_back(state: &mut State, user_id: u64, mod_id: u64, refund: bool) -> ApiResponse {
    let user = state.users.get_mut(&user_id).expect("checked by with_user");
    let Some(at) = user.purchases.iter().position(|p| p.mod_id == mod_id) else {
        return not_found("purchase of that mod by that user");
    };
    let purchase = user.purchases.remove(at);
    let paid = state
        .charges
        .iter()
        .find(|c| c.transaction_id == purchase.transaction_id && c.user_id == user_id)
        .map_or(0, |c| c.amount);
    let credited = if refund { paid } else { 0 };
    if credited > 0 {
        state.credit(user_id, purchase.game_id, credited);
    }
    ApiResponse::ok(json!({"mod_id": mod_id, "credited": credited}))
}

fn with_user(
    state: &mut State,
    id: &str,
    f: impl FnOnce(&mut State, u64) -> ApiResponse,
) -> ApiResponse {
    match id.parse::<u64>() {
        Ok(id) if state.users.contains_key(&id) => f(state, id),
        _ => not_found("user"),
    }
}

fn get_user(state: &mut State, req: &Req, id: u64) -> ApiResponse {
    let game_id = req
        .query("game_id")
        .and_then(|g| g.parse().ok())
        .unwrap_or(state.users[&id].game_id);
    let wallet = state.wallet_mut(id, game_id).clone();
    let wallets: serde_json::Map<String, Value> = state
        .wallets
        .iter()
        .filter(|((u, _), _)| *u == id)
        .map(|((_, g), w)| {
            (
                g.to_string(),
                json!({"balance": w.balance, "deficit": w.deficit}),
            )
        })
        .collect();
    let user = &state.users[&id];
    ApiResponse::ok(json!({
        "id": user.id,
        "username": user.username,
        "game_id": game_id,
        "balance": wallet.balance,
        "deficit": wallet.deficit,
        "wallets": wallets,
        "purchases": user.purchases.iter().map(|p| p.mod_id).collect::<Vec<_>>(),
        "entitlements": user.entitlements,
        "terms_agreed": user.terms_agreed,
        "platform_fetch_fails": user.platform_fetch_fails
    }))
}

/// `{"username","game_id","balance","terms_agreed","steam_ticket","xbox_token",
/// "psn_auth_code","meta_user_id","meta_device","meta_nonce","meta_access_token",
/// "apple_id_token","google_auth_code","epic_id_token"}` → `{"id","access_token"}`.
fn add_user(state: &mut State, body: &Value) -> ApiResponse {
    let Some(username) = str_field(body, "username") else {
        return bad("\"username\" is required");
    };
    let game_id = body
        .get("game_id")
        .and_then(Value::as_u64)
        .unwrap_or(demo::GAME_ID);
    let meta = str_field(body, "meta_user_id").map(|user_id| MetaCredential {
        user_id,
        device: str_field(body, "meta_device").unwrap_or_else(|| "quest".into()),
        nonce: str_field(body, "meta_nonce").unwrap_or_else(|| "n".into()),
        access_token: str_field(body, "meta_access_token").unwrap_or_default(),
    });
    let (id, token) = state.add_user(NewUser {
        username,
        game_id,
        balance: body.get("balance").and_then(Value::as_i64).unwrap_or(0),
        terms_agreed: body
            .get("terms_agreed")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        credentials: Credentials {
            steam_ticket: str_field(body, "steam_ticket"),
            xbox_token: str_field(body, "xbox_token"),
            psn_auth_code: str_field(body, "psn_auth_code"),
            meta,
            apple_id_token: str_field(body, "apple_id_token"),
            google_auth_code: str_field(body, "google_auth_code"),
            epic_id_token: str_field(body, "epic_id_token"),
        },
    });
    ApiResponse::ok(json!({"id": id, "access_token": token}))
}

/// `{"id","game_id","name","price","summary","tags":[..],"version","filesize",
/// "downloads_total","ratings_positive","ratings_negative","platforms":[..]}` → the mod object.
fn add_mod(state: &mut State, body: &Value) -> ApiResponse {
    let Some(name) = str_field(body, "name") else {
        return bad("\"name\" is required");
    };
    let u = |n: &str| body.get(n).and_then(Value::as_u64);
    let id = state.add_mod(NewMod {
        id: u("id"),
        game_id: u("game_id").unwrap_or(demo::GAME_ID),
        name,
        price: body.get("price").and_then(Value::as_i64).unwrap_or(0),
        summary: str_field(body, "summary"),
        tags: body
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        version: str_field(body, "version"),
        filesize: u("filesize"),
        downloads_total: u("downloads_total"),
        ratings_positive: u("ratings_positive"),
        ratings_negative: u("ratings_negative"),
        platforms: match body.get("platforms").and_then(Value::as_array) {
            None => Vec::new(),
            Some(list) => {
                let mut platforms = Vec::new();
                for p in list {
                    match p
                        .as_str()
                        .and_then(|p| crate::platforms::canonical(p, &crate::platforms::PLATFORMS))
                    {
                        Some(known) => platforms.push(known.to_string()),
                        None => {
                            return bad(format!(
                                "unknown platform {p}: one of restapi-platforms.md's values"
                            ))
                        }
                    }
                }
                platforms
            }
        },
    });
    ApiResponse::ok(mod_object(state, &state.mods[&id]))
}

/// `{"id","name","api_key","monetized":bool,"iap_portals":[..],"api_access_options",
/// "token_name","skus":[{"portal","sku","amount"}],"platform_filtering":bool}`.
/// Runs `f` with a mod's id, or answers 404 for an unknown one.
fn with_mod(
    state: &mut State,
    id: &str,
    f: impl FnOnce(&mut State, u64) -> ApiResponse,
) -> ApiResponse {
    match id.parse::<u64>() {
        Ok(id) if state.mods.contains_key(&id) => f(state, id),
        _ => not_found("mod"),
    }
}

fn add_game(state: &mut State, body: &Value) -> ApiResponse {
    let (Some(id), Some(api_key)) = (
        body.get("id").and_then(Value::as_u64),
        str_field(body, "api_key"),
    ) else {
        return bad("\"id\" and \"api_key\" are required");
    };
    // mod.io keys are 32 characters; the API answers 11001 for any other (routes/mod.rs).
    if !crate::routes::well_formed_api_key(&api_key) {
        return bad("\"api_key\" must be 32 letters and digits, as mod.io's are");
    }
    let name = str_field(body, "name").unwrap_or_else(|| format!("Game {id}"));
    let strings = |n: &str| -> Vec<String> {
        body.get(n)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut skus = Vec::new();
    for (i, s) in body
        .get("skus")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let (Some(portal), Some(sku), Some(amount)) = (
            str_field(s, "portal"),
            str_field(s, "sku"),
            s.get("amount").and_then(Value::as_i64),
        ) else {
            return bad("each sku needs \"portal\", \"sku\" and \"amount\"");
        };
        skus.push(SkuMapping {
            portal,
            sku,
            amount,
            token_pack_id: i as u64 + 1,
            token_pack_name: format!("{amount} pack"),
            price: s
                .get("price")
                .and_then(Value::as_i64)
                .unwrap_or((amount - 1).max(0)),
        });
    }
    state.add_game(Game {
        id,
        name_id: crate::state::slugify(&name),
        name,
        api_key,
        monetized: body
            .get("monetized")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        iap_portals: strings("iap_portals").into_iter().collect::<BTreeSet<_>>(),
        api_access_options: body
            .get("api_access_options")
            .and_then(Value::as_u64)
            .unwrap_or(3) as u32,
        token_name: str_field(body, "token_name").unwrap_or_else(|| "Tokens".into()),
        skus,
        platform_filtering: body
            .get("platform_filtering")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    });
    ok()
}

/// `{"path","count","method"?,"kind",...params}`; see `Fault::from_json`.
fn add_fault(state: &mut State, body: &Value) -> ApiResponse {
    let Some(path) = str_field(body, "path") else {
        return bad("\"path\" is required");
    };
    let count = body.get("count").and_then(Value::as_u64).unwrap_or(1) as u32;
    let fault = match Fault::from_json(body) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let method = str_field(body, "method");
    state.add_fault_for_method(&path, method.as_deref(), count, fault);
    ok()
}
