//! The API under `/v1`: routing and the authentication rules every route shares.

mod auth;
mod catalog;
mod checkout;
mod files;
mod s2s;
mod store;
pub mod transactions;
mod wallet;

use crate::errors;
use crate::http::{settle, Answer, ApiResponse, Req};
use crate::state::State;

/// Answers one API request (path already known to start with `/v1`).
pub fn dispatch(state: &mut State, req: &Req) -> ApiResponse {
    let rest = req.path.strip_prefix("/v1").unwrap_or("");
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let answer = match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["external", "udtauth"]) => auth::udt_auth(state, req),
        ("POST", ["external", endpoint]) => auth::external_auth(state, req, endpoint),
        ("GET", ["authenticate", "terms"]) => auth::terms(state, req),
        ("GET", ["me"]) => catalog::me(state, req),
        ("GET", ["me", "wallets"]) => wallet::get_wallet(state, req),
        ("POST", ["me", "iap", portal, "sync"]) => wallet::sync(state, req, portal),
        ("GET", ["me", "purchased"]) => catalog::purchased(state, req),
        ("POST", ["me", "s2s", "oauth", "token"]) => s2s::delegation_token(state, req),
        ("GET", ["games", game]) => catalog::get_game(state, req, game),
        ("GET", ["games", game, "mods"]) => catalog::get_mods(state, req, game),
        ("GET", ["games", game, "mods", m]) => catalog::get_mod(state, req, game, m),
        ("GET", ["games", game, "mods", m, "files", file]) => {
            files::modfile(state, req, game, m, file)
        }
        ("GET", ["games", game, "mods", m, "files", file, "download", hash]) => {
            files::download(state, req, game, m, file, hash)
        }
        ("GET", ["games", game, "monetization", "token-packs"]) => {
            store::token_packs(state, req, game)
        }
        ("POST", ["me", "entitlements"]) => store::unconverted(state, req),
        ("POST", ["games", game, "mods", m, "checkout"]) => checkout::checkout(state, req, game, m),
        ("POST", ["oauth", "token"]) => s2s::service_token(state, req),
        ("POST", ["s2s", "transactions", "intent"]) => s2s::intent(state, req),
        ("POST", ["s2s", "transactions", "commit"]) => s2s::commit(state, req),
        ("POST", ["s2s", "transactions", "clawback"]) => s2s::clawback(state, req),
        ("GET", ["s2s", "monetization-teams", team, "transactions"]) => {
            transactions::list(state, req, team)
        }
        ("GET", ["s2s", "monetization-teams", team, "transactions", id]) => {
            transactions::get(state, req, team, id)
        }
        // A known path with another method: 405 (`restapi-introduction.md`'s response codes).
        _ => Err(match allowed_method(&segs) {
            Some(allowed) => errors::method_not_allowed(allowed),
            None => errors::resource_not_found(),
        }),
    };
    settle(answer)
}

/// The method a path of the API takes (each takes one), `None` for a path it does not have.
/// Kept beside `dispatch`, whose patterns it repeats without the methods.
fn allowed_method(segs: &[&str]) -> Option<&'static str> {
    Some(match segs {
        ["external", _] | ["me", "iap", _, "sync"] | ["me", "s2s", "oauth", "token"] => "POST",
        ["me", "entitlements"] => "POST",
        ["games", _, "mods", _, "files", _] | ["games", _, "monetization", "token-packs"] => "GET",
        ["games", _, "mods", _, "checkout"] | ["oauth", "token"] => "POST",
        ["s2s", "transactions", "intent" | "commit" | "clawback"] => "POST",
        ["s2s", "monetization-teams", _, "transactions"] => "GET",
        ["s2s", "monetization-teams", _, "transactions", _] => "GET",
        ["authenticate", "terms"] | ["me"] | ["me", "wallets"] | ["me", "purchased"] => "GET",
        ["games", _] | ["games", _, "mods"] | ["games", _, "mods", _] => "GET",
        ["games", _, "mods", _, "files", _, "download", _] => "GET",
        _ => return None,
    })
}

/// Who a user token belongs to.
#[derive(Debug, Clone, Copy)]
pub struct UserCtx {
    pub user_id: u64,
    /// The game whose api_key issued the token.
    pub game_id: u64,
}

/// `Authorization: Bearer` with a valid user access token, else 401 / 11005; a request with no
/// credentials at all (no token, no `api_key`) is 401 / 11000, as `restapi-errors.md` names it.
pub fn require_user(state: &State, req: &Req) -> Result<UserCtx, ApiResponse> {
    if req.header("authorization").is_none() && req.query("api_key").is_none_or(|k| k.is_empty()) {
        return Err(errors::api_key_missing());
    }
    let token = req.bearer().ok_or_else(errors::token_invalid)?;
    let t = state.tokens.get(&token).ok_or_else(errors::token_invalid)?;
    if t.expires_at <= state.now() || !state.users.contains_key(&t.user_id) {
        return Err(errors::token_invalid());
    }
    Ok(UserCtx {
        user_id: t.user_id,
        game_id: t.game_id,
    })
}

/// Reads accept a bearer token (which must then be valid) or an `api_key` query
/// parameter: missing → 401 / 11000, unknown → 401 / 11002.
pub fn require_read(state: &State, req: &Req) -> Result<Option<UserCtx>, ApiResponse> {
    if req.header("authorization").is_some() {
        return require_user(state, req).map(Some);
    }
    require_api_key(state, req)?;
    Ok(None)
}

/// Whether `key` has the shape of a mod.io API key: 32 letters and digits.
pub fn well_formed_api_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The `api_key` query parameter, resolved to its game id.
pub fn require_api_key(state: &State, req: &Req) -> Result<u64, ApiResponse> {
    let key = req
        .query("api_key")
        .filter(|k| !k.is_empty())
        .ok_or_else(errors::api_key_missing)?;
    // "your unique 32-character API key" (restapi-introduction.md); anything else is the
    // malformed key of restapi-errors.md's example (11001), a well-formed unknown one 11002.
    if !well_formed_api_key(&key) {
        return Err(errors::api_key_malformed());
    }
    state
        .game_by_api_key(&key)
        .map(|g| g.id)
        .ok_or_else(errors::api_key_invalid)
}

/// A numeric path segment; anything else cannot name a resource (404 with `not_found`).
pub fn path_id(seg: &str, not_found: fn() -> ApiResponse) -> Result<u64, ApiResponse> {
    seg.parse::<u64>().map_err(|_| not_found())
}

/// `_offset` / `_limit` as the pagination guide describes (limit defaults to and is
/// capped at 100); a non-integer is a 422 naming the parameter.
pub fn pagination(req: &Req) -> Result<(usize, usize), ApiResponse> {
    let mut v = crate::http::Validation::new();
    let mut parse = |name: &str, default: usize| match req.query(name) {
        None => default,
        Some(raw) => raw.trim().parse::<usize>().unwrap_or_else(|_| {
            v.add(name, format!("The {name} must be a non-negative integer."));
            default
        }),
    };
    let offset = parse("_offset", 0);
    let limit = parse("_limit", 100);
    v.finish()?;
    Ok((offset, limit.clamp(1, 100)))
}

/// Helper for routes that answer a plain object.
pub fn ok(value: serde_json::Value) -> Answer {
    Ok(ApiResponse::ok(value))
}
