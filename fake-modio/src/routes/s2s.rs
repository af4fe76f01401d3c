//! Service-to-service: client-credentials service tokens, user delegation tokens, and
//! the transaction intent → commit → clawback flow of `studio-as-purchase-server.md`.
//!
//! Service tokens and user tokens are not interchangeable (the S2S guide): a user token
//! on an S2S route, or a service token on a user route, is 401 / 11005.
//! Idempotency keys for intent and commit are scoped to the user named by the delegation
//! token and to the endpoint (the guide's own example sends one key to both).

use serde_json::{json, Value};

use super::{ok, require_user};
use crate::errors;
use crate::http::{settle, Answer, ApiResponse, Form, Req, Validation};
use crate::state::{
    new_token, DelegationToken, IdemScope, S2sTransaction, ServiceToken, State, TxState,
    DELEGATION_TOKEN_TTL_SECS, S2S_PORTALS, SERVICE_TOKEN_TTL_SECS,
};

const VALID_SCOPES: [&str; 4] = ["read", "write", "update", "monetization"];

/// Alpha-dash: the guide's `/A[a-zA-Z0-9_-]+z/` (a mangled `\A...\z`).
pub fn is_alpha_dash(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `POST /oauth/token` (client credentials).
pub fn service_token(state: &mut State, req: &Req) -> Answer {
    let form = req.form()?;
    let mut v = Validation::new();
    let client_id = v.require(&form, "client_id");
    let secret = v.require(&form, "client_secret");
    if let Some(grant) = v.require(&form, "grant_type") {
        if grant != "client_credentials" {
            v.add("grant_type", "The grant type must be client_credentials.");
        }
    }
    let requested: Option<Vec<String>> = form.get("scope").map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    });
    if let Some(scopes) = &requested {
        if scopes.iter().any(|s| !VALID_SCOPES.contains(&s.as_str())) {
            v.add(
                "scope",
                "Valid scopes are read, write, update and monetization.",
            );
        }
    }
    v.finish()?;
    let (client_id, secret) = (client_id.expect("validated"), secret.expect("validated"));
    let client = state
        .oauth_clients
        .get(client_id)
        .filter(|c| c.client_secret == secret)
        .ok_or_else(errors::oauth_client_invalid)?
        .clone();
    let scopes = requested.unwrap_or(client.scopes.clone());
    let token = new_token("modio-service");
    let expires_at = state.now() + SERVICE_TOKEN_TTL_SECS;
    state.service_tokens.insert(
        token.clone(),
        ServiceToken {
            game_id: client.game_id,
            client_id: client.client_id,
            scopes: scopes.clone(),
            expires_at,
        },
    );
    // The reference's table says integer, its example shows a string: a test picks (default: the
    // example's string).
    let expires_in = if state.expires_in_as_integer {
        json!(SERVICE_TOKEN_TTL_SECS)
    } else {
        json!(SERVICE_TOKEN_TTL_SECS.to_string())
    };
    ok(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "access_token": token,
        "scopes": scopes.join(",")
    }))
}

/// `POST /me/s2s/oauth/token`: a delegation token for the calling user.
pub fn delegation_token(state: &mut State, req: &Req) -> Answer {
    let user = require_user(state, req)?;
    req.form()?;
    let token = new_token("modio-delegation");
    let expires_at = state.now() + DELEGATION_TOKEN_TTL_SECS;
    state.delegation_tokens.insert(
        token.clone(),
        DelegationToken {
            user_id: user.user_id,
            game_id: user.game_id,
            expires_at,
        },
    );
    ok(json!({"entity": "purchase_server", "token": token}))
}

/// The request's current service token (401 / 11005 without one).
pub(super) fn current_service_token<'a>(
    state: &'a State,
    req: &Req,
) -> Result<&'a ServiceToken, ApiResponse> {
    let token = req.bearer().ok_or_else(errors::token_invalid)?;
    state
        .service_tokens
        .get(&token)
        .filter(|t| t.expires_at > state.now())
        .ok_or_else(errors::token_invalid)
}

/// A valid service token with `write` and `monetization` (the OpenAPI security of the
/// transaction endpoints). Returns the token's game.
fn require_service(state: &State, req: &Req) -> Result<u64, ApiResponse> {
    let t = current_service_token(state, req)?;
    for scope in ["write", "monetization"] {
        if !t.scopes.iter().any(|s| s == scope) {
            return Err(errors::token_missing_scope(scope));
        }
    }
    Ok(t.game_id)
}

/// The S2S headers of intent and commit, checked into `v`: returns (delegation, key).
fn s2s_headers(req: &Req, v: &mut Validation) -> (Option<String>, Option<String>) {
    let delegation = req
        .header("x-modio-delegation-token")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    if delegation.is_none() {
        v.add(
            "X-Modio-Delegation-Token",
            "The X-Modio-Delegation-Token header is required.",
        );
    }
    let key = req
        .header("x-modio-idempotent-key")
        .map(str::to_string)
        .filter(|s| !s.is_empty());
    match &key {
        None => v.add(
            "X-Modio-Idempotent-Key",
            "The X-Modio-Idempotent-Key header is required.",
        ),
        Some(k) if !is_alpha_dash(k) => v.add(
            "X-Modio-Idempotent-Key",
            "The X-Modio-Idempotent-Key may only contain letters, numbers, dashes and underscores.",
        ),
        Some(_) => {}
    }
    (delegation, key)
}

/// The user a delegation token names; it must be current and for the service's game.
fn delegation_user(state: &State, token: &str, game_id: u64) -> Result<u64, ApiResponse> {
    state
        .delegation_tokens
        .get(token)
        .filter(|d| d.expires_at > state.now() && d.game_id == game_id)
        .filter(|d| state.users.contains_key(&d.user_id))
        .map(|d| d.user_id)
        .ok_or_else(errors::token_invalid)
}

fn optional_alpha_dash(form: &Form, v: &mut Validation, field: &str) -> Option<String> {
    let value = form.get(field)?;
    if !is_alpha_dash(value) {
        v.add(
            field,
            format!(
                "The {} may only contain letters, numbers, dashes and underscores.",
                field.replace('_', " ")
            ),
        );
    }
    Some(value.to_string())
}

fn portal_field(form: &Form, v: &mut Validation) -> Option<String> {
    let portal = v.require(form, "portal")?;
    if !S2S_PORTALS.contains(&portal) {
        v.add("portal", "The selected portal is invalid. Valid values are apple, google, xboxlive, psn and steam.");
        return None;
    }
    Some(portal.to_string())
}

/// The S2S pay object of intent and commit.
fn transaction_object(state: &State, t: &S2sTransaction) -> Value {
    let game = state.games.get(&t.game_id);
    let user = state.users.get(&t.user_id);
    let mut v = json!({
        "transaction_id": t.id,
        "gross_amount": t.amount,
        "net_amount": t.amount,
        "platform_fee": t.platform_fee,
        "gateway_fee": 0,
        "transaction_type": t.state.as_str(),
        "meta": [{
            "game_id": t.game_id,
            "buyer_id": t.user_id,
            "game_name": game.map(|g| g.name.clone()),
            "buyer_name": user.map(|u| u.username.clone()),
            "token_name": game.map(|g| g.token_name.clone()),
            "token_pack_id": t.token_pack_id,
            "token_pack_name": t.token_pack_name
        }],
        "purchase_date": t.purchase_date
    });
    // Only when the studio supplied one (the guide's example has none, the OpenAPI has it).
    if let Some(g) = &t.gateway_uuid {
        v["gateway_uuid"] = json!(g);
    }
    v
}

/// Whose keys an S2S request's key is among: the user's, or (under the stricter reading) the
/// delegation token's own, as a number that no user id reaches.
fn key_owner(state: &State, user_id: u64, delegation: &str) -> u64 {
    if !state.s2s_keys_per_delegation_token {
        return user_id;
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    delegation.hash(&mut h);
    h.finish() | (1 << 63)
}

/// Replays or runs `f`, storing its answer under (user, scope, key).
fn idempotent(
    state: &mut State,
    user_id: u64,
    scope: IdemScope,
    key: &str,
    f: impl FnOnce(&mut State) -> Answer,
) -> Answer {
    if let Some(stored) = state.idempotent_answer(user_id, scope, key) {
        return Ok(ApiResponse {
            status: stored.status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: stored.body,
        });
    }
    let response = settle(f(state));
    state.store_idempotent_answer(user_id, scope, key, response.status, response.body.clone());
    Ok(response)
}

/// `POST /s2s/transactions/intent`: a pending transaction for a mapped SKU.
pub fn intent(state: &mut State, req: &Req) -> Answer {
    let game_id = require_service(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let (delegation, key) = s2s_headers(req, &mut v);
    let sku = v.require(&form, "sku").map(str::to_string);
    let portal = portal_field(&form, &mut v);
    let gateway_uuid = optional_alpha_dash(&form, &mut v, "gateway_uuid");
    v.finish()?;
    let (delegation, key) = (delegation.expect("validated"), key.expect("validated"));
    let (sku, portal) = (sku.expect("validated"), portal.expect("validated"));
    let user_id = delegation_user(state, &delegation, game_id)?;

    let owner = key_owner(state, user_id, &delegation);
    idempotent(state, owner, IdemScope::S2sIntent, &key, |state| {
        let game = state
            .games
            .get(&game_id)
            .ok_or_else(errors::game_not_found)?;
        if !game.monetized {
            return Err(errors::game_not_monetized());
        }
        let mapping = game
            .skus
            .iter()
            .find(|s| s.portal == portal && s.sku == sku)
            .cloned();
        let Some(mapping) = mapping else {
            let mut v = Validation::new();
            v.add(
                "sku",
                "The sku is not mapped to a token pack for this portal.",
            );
            v.finish()?;
            unreachable!("a validation with an error always fails");
        };
        let id = state.next_transaction_id();
        let t = S2sTransaction {
            id,
            user_id,
            game_id,
            portal,
            sku,
            amount: mapping.amount,
            platform_fee: mapping.amount * 3 / 10,
            gateway_uuid,
            clawback_uuid: None,
            token_pack_id: mapping.token_pack_id,
            token_pack_name: mapping.token_pack_name,
            state: TxState::Pending,
            purchase_date: state.now(),
            refund_reason: None,
        };
        let body = transaction_object(state, &t);
        state.transactions.insert(id, t);
        ok(body)
    })
}

/// `POST /s2s/transactions/commit`: pending → paid, crediting the wallet exactly once.
/// Committing a paid transaction again (with another key) answers it unchanged.
pub fn commit(state: &mut State, req: &Req) -> Answer {
    let game_id = require_service(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let (delegation, key) = s2s_headers(req, &mut v);
    let transaction_id = v.require_int(&form, "transaction_id");
    let clawback_uuid = optional_alpha_dash(&form, &mut v, "clawback_uuid");
    v.finish()?;
    let (delegation, key) = (delegation.expect("validated"), key.expect("validated"));
    let transaction_id = transaction_id.expect("validated");
    let user_id = delegation_user(state, &delegation, game_id)?;

    let owner = key_owner(state, user_id, &delegation);
    idempotent(state, owner, IdemScope::S2sCommit, &key, |state| {
        let t = u64::try_from(transaction_id)
            .ok()
            .and_then(|id| state.transactions.get(&id))
            .filter(|t| t.user_id == user_id && t.game_id == game_id)
            .ok_or_else(errors::resource_not_found)?
            .clone();
        match t.state {
            TxState::Refunded => {
                let mut v = Validation::new();
                v.add(
                    "transaction_id",
                    "The transaction has been refunded and cannot be committed.",
                );
                v.finish()?;
                unreachable!("a validation with an error always fails");
            }
            TxState::Paid => {}
            TxState::Pending => {
                state.credit(user_id, game_id, t.amount);
                let stored = state.transactions.get_mut(&t.id).expect("found above");
                stored.state = TxState::Paid;
                stored.clawback_uuid = clawback_uuid;
            }
        }
        let t = state.transactions[&t.id].clone();
        ok(transaction_object(state, &t))
    })
}

/// `POST /s2s/transactions/clawback` (service token only): paid → refunded, taking the
/// amount back from the balance, the shortfall recorded as deficit. A repeated clawback
/// answers the refunded transaction again without taking anything twice.
pub fn clawback(state: &mut State, req: &Req) -> Answer {
    let game_id = require_service(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let transaction_id = v.optional_int(&form, "transaction_id");
    let gateway_uuid = form.get("gateway_uuid").map(str::to_string);
    if form.get("transaction_id").is_none() && gateway_uuid.is_none() {
        v.add(
            "transaction_id",
            "The transaction id field is required when gateway uuid is not present.",
        );
        v.add(
            "gateway_uuid",
            "The gateway uuid field is required when transaction id is not present.",
        );
    }
    let portal = portal_field(&form, &mut v);
    let reason = v.require(&form, "refund_reason").map(str::to_string);
    let clawback_uuid = optional_alpha_dash(&form, &mut v, "clawback_uuid");
    v.finish()?;
    let portal = portal.expect("validated");

    let found = state
        .transactions
        .values()
        .filter(|t| t.game_id == game_id)
        .find(|t| match transaction_id {
            Some(id) => t.id as i64 == id,
            None => t.gateway_uuid == gateway_uuid,
        })
        .cloned()
        .ok_or_else(errors::resource_not_found)?;
    let mut v = Validation::new();
    if found.portal != portal {
        v.add(
            "portal",
            "The portal does not match the transaction's portal.",
        );
    }
    if found.state == TxState::Pending {
        v.add("transaction_id", "The transaction has not been committed.");
    }
    v.finish()?;
    if found.state == TxState::Paid {
        state.claw_back(found.user_id, found.game_id, found.amount);
        let t = state.transactions.get_mut(&found.id).expect("found above");
        t.state = TxState::Refunded;
        t.refund_reason = reason;
        if clawback_uuid.is_some() {
            t.clawback_uuid = clawback_uuid;
        }
    }
    let t = &state.transactions[&found.id];
    ok(json!({
        "transaction_id": t.id,
        "gross_amount": t.amount,
        "net_amount": t.amount,
        "platform_fee": t.platform_fee,
        "gateway_fee": 0,
        "tax": 0,
        "tax_type": "none",
        "transaction_type": t.state.as_str(),
        "purchase_date": t.purchase_date
    }))
}
