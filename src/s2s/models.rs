//! What mod.io answers: S2S transactions with their `meta` lines, and the service token.

use super::*;

/// One `meta` line of a transaction (a token pack bought, or a mod).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TransactionMeta {
    pub game_id: u64,
    pub buyer_id: u64,
    pub mod_id: u64,
    pub game_name: String,
    pub buyer_name: String,
    pub mod_name: String,
    pub token_name: String,
    pub token_pack_id: u64,
    pub token_pack_name: String,
    /// The whole line as mod.io sent it.
    pub json: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawMeta {
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) game_id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) buyer_id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) mod_id: u64,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) game_name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) buyer_name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) mod_name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) token_name: String,
    #[serde(deserialize_with = "lenient_u64")]
    pub(super) token_pack_id: u64,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) token_pack_name: String,
}

impl TransactionMeta {
    /// The lines of a transaction's `meta_json`: an array of objects, or one object (an empty
    /// object, or anything else, is no line).
    pub fn parse_all(meta_json: &str) -> Result<Vec<TransactionMeta>> {
        let value: Value = serde_json::from_str(meta_json).map_err(|_| Error::malformed("the transaction's `meta` is not JSON"))?;
        let items = match value {
            Value::Array(items) => items,
            Value::Object(map) if map.is_empty() => Vec::new(),
            obj @ Value::Object(_) => vec![obj],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .filter(|v| v.is_object())
            .map(|v| {
                let json = v.to_string();
                let raw: RawMeta = serde_json::from_value(v)
                    .map_err(|_| Error::malformed("a `meta` line of the transaction has a field of the wrong type"))?;
                Ok(TransactionMeta {
                    game_id: raw.game_id,
                    buyer_id: raw.buyer_id,
                    mod_id: raw.mod_id,
                    game_name: raw.game_name,
                    buyer_name: raw.buyer_name,
                    mod_name: raw.mod_name,
                    token_name: raw.token_name,
                    token_pack_id: raw.token_pack_id,
                    token_pack_name: raw.token_pack_name,
                    json,
                })
            })
            .collect()
    }
}

/// A transaction as an S2S call returns it: amounts, fees, tax, state, meta lines, purchase date.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct S2sTransaction {
    /// id, gross/net amounts, platform and gateway fees, tax, state (case-insensitive), date.
    pub transaction: Transaction,
    /// The `meta` lines, typed (the raw JSON is in `transaction.meta_json`).
    pub meta: Vec<TransactionMeta>,
    /// The key the call was sent with (intent and commit; `None` for clawback).
    pub idempotency_key: Option<IdempotencyKey>,
}

impl S2sTransaction {
    pub(crate) fn decode(body: &[u8]) -> Result<S2sTransaction> {
        let transaction = Transaction::decode(body)?;
        if transaction.id == 0 {
            return Err(Error::malformed("the transaction has no usable `transaction_id`"));
        }
        let meta = TransactionMeta::parse_all(&transaction.meta_json)?;
        Ok(S2sTransaction { transaction, meta, idempotency_key: None })
    }
}

/// What is known about the current service token, without the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceTokenInfo {
    /// Always "Bearer".
    pub token_type: String,
    /// The scopes granted, comma-separated.
    pub scopes: String,
    /// The lifetime mod.io gave (`expires_in`), when it gave one.
    pub expires_in: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawServiceToken {
    #[serde(deserialize_with = "lenient_string")]
    pub(super) token_type: String,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) access_token: String,
    pub(super) expires_in: Value,
    #[serde(deserialize_with = "lenient_string")]
    pub(super) scopes: String,
}

/// `expires_in` is an integer in the schema and a string in the example: accept both.
pub(super) fn parse_expires_in(v: &Value) -> Result<Option<Duration>> {
    let secs = match v {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0 && f.is_finite()).map(|f| f as u64)),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    match secs {
        Some(s) => Ok(Some(Duration::from_secs(s))),
        None => Err(Error::malformed("the service token answer has an `expires_in` that is not a number of seconds")),
    }
}

pub(crate) fn decode_service_token(body: &[u8]) -> Result<(Secret, ServiceTokenInfo)> {
    // Decoded by hand so no decoding error can quote the token.
    let raw: RawServiceToken = serde_json::from_slice(body)
        .map_err(|_| Error::malformed("could not decode the service token answer (not the documented object)"))?;
    if raw.access_token.is_empty() {
        return Err(Error::malformed("the service token answer has no `access_token`"));
    }
    if !raw.token_type.is_empty() && !raw.token_type.eq_ignore_ascii_case("bearer") {
        return Err(Error::malformed("the service token answer's `token_type` is not Bearer"));
    }
    let expires_in = parse_expires_in(&raw.expires_in)?;
    let info = ServiceTokenInfo { token_type: "Bearer".to_owned(), scopes: raw.scopes, expires_in };
    Ok((Secret::new(raw.access_token), info))
}
