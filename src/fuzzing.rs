//! Entry points for the fuzzer (`fuzz/`) and the hostile-input tests: every decoder the library
//! runs on bytes from the network, callable from outside the crate. Not part of the supported
//! API (hidden from the docs; may change without notice).
//!
//! Each `decode_*` takes a whole response body exactly as the transport hands it to the decoder,
//! and returns what the transport would (decode errors with the server's values blanked).
//! The contract under test: whatever the bytes, each returns a value or an [`Error`] with code
//! `MalformedResponse` (the error object: an `Http`/`RateLimited` error), and never panics.
#![doc(hidden)]

use crate::error::Error;
use crate::models::{AccessToken, CheckoutReceipt, DelegationToken, EntitlementSync, Game, Mod, ModPage, Transaction, Wallet};
use crate::Result;

/// As the transport does with every decoder's error.
fn redact(e: Error) -> Error {
    crate::transport::redact_decode_error(e)
}

/// `GET /me/wallets`.
pub fn decode_wallet(body: &[u8]) -> Result<Wallet> {
    Wallet::decode(body).map_err(redact)
}

/// `POST /me/iap/{portal}/sync`.
pub fn decode_entitlement_sync(body: &[u8]) -> Result<EntitlementSync> {
    EntitlementSync::decode(body).map_err(redact)
}

/// `GET /games/{id}`.
pub fn decode_game(body: &[u8]) -> Result<Game> {
    Game::decode(body).map_err(redact)
}

/// `GET /games/{id}/mods/{mod_id}`.
pub fn decode_mod(body: &[u8]) -> Result<Mod> {
    Mod::decode(body).map_err(redact)
}

/// `GET /games/{id}/mods` and `GET /me/purchased`.
pub fn decode_mod_page(body: &[u8]) -> Result<ModPage> {
    ModPage::decode(body).map_err(redact)
}

/// A transaction object (S2S intent/commit/clawback answers).
pub fn decode_transaction(body: &[u8]) -> Result<Transaction> {
    Transaction::decode(body).map_err(redact)
}

/// `POST /games/{id}/mods/{mod_id}/checkout`.
pub fn decode_checkout(body: &[u8]) -> Result<CheckoutReceipt> {
    CheckoutReceipt::decode(body).map_err(redact)
}

/// `POST /external/*auth`.
pub fn decode_access_token(body: &[u8]) -> Result<AccessToken> {
    AccessToken::decode(body).map_err(redact)
}

/// `POST /me/s2s/oauth/token`.
pub fn decode_delegation_token(body: &[u8]) -> Result<DelegationToken> {
    DelegationToken::decode(body).map_err(redact)
}

/// `POST /s2s/transactions/{intent,commit,clawback}`.
pub fn decode_s2s_transaction(body: &[u8]) -> Result<crate::S2sTransaction> {
    crate::S2sTransaction::decode(body).map_err(redact)
}

/// `POST /oauth/token` (S2S service token): the token and what is known about it.
pub fn decode_service_token(body: &[u8]) -> Result<(crate::Secret, crate::ServiceTokenInfo)> {
    crate::s2s::decode_service_token(body).map_err(redact)
}

/// The error object of a non-2xx answer with this status, as the transport builds it.
pub fn decode_error(status: u16, body: &[u8]) -> Error {
    crate::transport::parse_error_body(status, body)
}

/// The names of every decoder [`decode_any`] knows, in a stable order.
pub const TARGETS: &[&str] = &[
    "wallet",
    "entitlement_sync",
    "game",
    "mod",
    "mod_page",
    "transaction",
    "checkout",
    "access_token",
    "delegation_token",
    "s2s_transaction",
    "service_token",
    "error",
];

/// Runs the decoder `target` (one of [`TARGETS`]) on `body`: `Ok(())` when it decoded, the
/// decoder's error otherwise. `None` for an unknown target name. For `"error"` the status is 422
/// and the answer is the built error as `Err`.
pub fn decode_any(target: &str, body: &[u8]) -> Option<Result<()>> {
    Some(match target {
        "wallet" => decode_wallet(body).map(drop),
        "entitlement_sync" => decode_entitlement_sync(body).map(drop),
        "game" => decode_game(body).map(drop),
        "mod" => decode_mod(body).map(drop),
        "mod_page" => decode_mod_page(body).map(drop),
        "transaction" => decode_transaction(body).map(drop),
        "checkout" => decode_checkout(body).map(drop),
        "access_token" => decode_access_token(body).map(drop),
        "delegation_token" => decode_delegation_token(body).map(drop),
        "s2s_transaction" => decode_s2s_transaction(body).map(drop),
        "service_token" => decode_service_token(body).map(drop),
        "error" => Err(decode_error(422, body)),
        _ => return None,
    })
}
