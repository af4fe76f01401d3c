//! Service to service (S2S): the calls a studio's own purchase server makes to mod.io
//! (`studio-as-purchase-server.md`, `restapi/s2s-authentication.md`).
//!
//! - A **service token** (`POST /oauth/token`, client credentials) is fetched on first use, kept,
//!   and renewed before its `expires_in` runs out (a number or a numeric string: both are
//!   accepted). A call refused with 401 renews it once and is sent again.
//! - **Transaction intent** and **commit** carry the service token, the user's
//!   `X-Modio-Delegation-Token` and an `X-Modio-Idempotent-Key`. Keys are validated against
//!   `[a-zA-Z0-9_-]+` before anything is sent, and one key is reused on every retry of its
//!   operation, so a dropped answer never makes a second transaction or a second credit.
//! - **Clawback** relays a refund or chargeback of a committed transaction.
//!
//! [`S2sClient`] has a blocking API for servers (each call runs on the caller's thread) and the
//! callback + poll API of [`crate::Client`] for the C ABI. The client secret, service token and
//! delegation tokens are [`Secret`]s: never in `Debug` output, log lines or error messages.
//!
//! ```no_run
//! use modio_market::{Config, S2sClient, S2sConfig, IntentRequest, CommitRequest, IdempotencyKey, S2sPortal, Secret};
//! let config = S2sConfig::new(Config::new(1, "0123456789abcdef0123456789abcdef"), "7001", "client-secret");
//! let s2s = S2sClient::new(config).unwrap();
//! let delegation = Secret::new("token-from-the-game-client");
//! // Store both keys with your purchase record *before* sending: a retry after a crash reuses them.
//! let (intent_key, commit_key) = (IdempotencyKey::generate(), IdempotencyKey::generate());
//! let intent = s2s.intent(&delegation, &IntentRequest::new("GOLD_1000", S2sPortal::Steam), &intent_key).unwrap();
//! // ... consume the entitlement on the platform, then:
//! let paid = s2s.commit(&delegation, &CommitRequest::new(intent.transaction.id), &commit_key).unwrap();
//! ```

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::callbacks::{Callback, CallbackSlot, LogSink};
use crate::config::Config;
use crate::error::{Error, Result, ResultCode, Secret};
pub use crate::keys::{is_alpha_dash, IdempotencyKey};
use crate::log::{LogLevel, Logger};
use crate::models::{lenient_string, lenient_u64, Transaction};
use crate::runtime::{lock, JobContext, RequestId, Runtime};
use crate::transport::{ApiRequest, Auth, Transport};

/// `error_ref` of bad OAuth client credentials on `POST /oauth/token` (`OAUTH_CLIENT_DATA_NOT_VALID`).
pub const ERROR_REF_OAUTH_CLIENT_INVALID: i64 = crate::error::error_ref::OAUTH_CLIENT_DATA_NOT_VALID;
/// `error_ref` of a token without the write scope (`TOKEN_MISSING_SCOPE_WRITE`).
pub const ERROR_REF_TOKEN_MISSING_SCOPE_WRITE: i64 = crate::error::error_ref::TOKEN_MISSING_SCOPE_WRITE;

/// Scopes asked for when the configuration names none: the transaction endpoints need `write`
/// and `monetization` (their OpenAPI security), `read` costs nothing.
pub const DEFAULT_S2S_SCOPES: &str = "read,write,monetization";

/// Scopes `POST /oauth/token` accepts.
const VALID_SCOPES: [&str; 4] = ["read", "write", "update", "monetization"];

/// How long before a service token's expiry it is renewed (capped at half its lifetime).
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(3600);

/// After a 401 has renewed the service token, another 401 renews it again only this much later.
/// A 401 can also mean a bad delegation token (sent by a game client): without this, every
/// request with a forged delegation token would mint a new service token.
const FORCED_RENEWAL_INTERVAL: Duration = Duration::from_secs(30);

/// Idempotency keys live 24 hours at mod.io; the client remembers the keys it sent as long.
pub const IDEMPOTENCY_KEY_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Most keys the in-memory key book holds (older ones are forgotten first).
const KEY_BOOK_CAPACITY: usize = 100_000;

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// The portals the S2S transaction endpoints accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum S2sPortal {
    Apple,
    Google,
    XboxLive,
    Psn,
    Steam,
}

impl S2sPortal {
    pub const ALL: [S2sPortal; 5] = [S2sPortal::Apple, S2sPortal::Google, S2sPortal::XboxLive, S2sPortal::Psn, S2sPortal::Steam];

    /// The value mod.io expects: `apple`, `google`, `xboxlive`, `psn`, `steam`.
    pub fn as_str(self) -> &'static str {
        match self {
            S2sPortal::Apple => "apple",
            S2sPortal::Google => "google",
            S2sPortal::XboxLive => "xboxlive",
            S2sPortal::Psn => "psn",
            S2sPortal::Steam => "steam",
        }
    }

    /// Parses a portal name, case-insensitively; anything else is `InvalidArgument`.
    pub fn parse(s: &str) -> Result<S2sPortal> {
        S2sPortal::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::invalid_argument("portal", "must be one of apple, google, xboxlive, psn, steam"))
    }

    /// Whether the platform's API tracks the consumption of entitlements (Xbox Live, PSN, Steam).
    /// For Google Play and the Apple App Store the purchase server must keep its own ledger.
    pub fn tracks_consumption(self) -> bool {
        !matches!(self, S2sPortal::Apple | S2sPortal::Google)
    }
}

impl fmt::Display for S2sPortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn check_alpha_dash(name: &str, value: &str) -> Result<()> {
    crate::keys::check_alpha_dash(name, value)
}

fn check_text(name: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_argument(name, "must not be empty"));
    }
    if value.len() > max {
        return Err(Error::invalid_argument(name, "is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(name, "must not contain control characters"));
    }
    Ok(())
}

/// `POST /s2s/transactions/intent`: begin converting one platform entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRequest {
    /// The platform SKU mapped to a token pack on mod.io.
    pub sku: String,
    pub portal: S2sPortal,
    /// Optional alpha-dash id to track the transaction; the reference recommends the
    /// entitlement's own id on the platform. Clawbacks may name the transaction by it.
    pub gateway_uuid: Option<String>,
}

impl IntentRequest {
    pub fn new(sku: impl Into<String>, portal: S2sPortal) -> IntentRequest {
        IntentRequest { sku: sku.into(), portal, gateway_uuid: None }
    }
    pub fn gateway_uuid(mut self, gateway_uuid: impl Into<String>) -> IntentRequest {
        self.gateway_uuid = Some(gateway_uuid.into());
        self
    }
    fn validate(&self) -> Result<()> {
        check_text("sku", &self.sku, 255)?;
        if let Some(g) = &self.gateway_uuid {
            check_alpha_dash("gateway_uuid", g)?;
        }
        Ok(())
    }
}

/// `POST /s2s/transactions/commit`: finish a transaction after the entitlement was consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRequest {
    pub transaction_id: u64,
    /// Optional alpha-dash id grouping this transaction with others.
    pub clawback_uuid: Option<String>,
}

impl CommitRequest {
    pub fn new(transaction_id: u64) -> CommitRequest {
        CommitRequest { transaction_id, clawback_uuid: None }
    }
    pub fn clawback_uuid(mut self, clawback_uuid: impl Into<String>) -> CommitRequest {
        self.clawback_uuid = Some(clawback_uuid.into());
        self
    }
    fn validate(&self) -> Result<()> {
        if self.transaction_id == 0 {
            return Err(Error::invalid_argument("transaction_id", "must not be 0"));
        }
        if let Some(c) = &self.clawback_uuid {
            check_alpha_dash("clawback_uuid", c)?;
        }
        Ok(())
    }
}

/// Which transaction a clawback names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClawbackTarget {
    TransactionId(u64),
    /// The `gateway_uuid` given at intent.
    GatewayUuid(String),
}

/// `POST /s2s/transactions/clawback`: relay a refund or chargeback of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClawbackRequest {
    pub target: ClawbackTarget,
    pub portal: S2sPortal,
    /// Why the platform reverted the payment (`refund_reason`).
    pub refund_reason: String,
    /// Optional alpha-dash id grouping clawbacks (mod.io sets it on follow-up deficit clawbacks).
    pub clawback_uuid: Option<String>,
}

impl ClawbackRequest {
    pub fn new(target: ClawbackTarget, portal: S2sPortal, refund_reason: impl Into<String>) -> ClawbackRequest {
        ClawbackRequest { target, portal, refund_reason: refund_reason.into(), clawback_uuid: None }
    }
    fn validate(&self) -> Result<()> {
        match &self.target {
            ClawbackTarget::TransactionId(0) => return Err(Error::invalid_argument("transaction_id", "must not be 0")),
            ClawbackTarget::TransactionId(_) => {}
            ClawbackTarget::GatewayUuid(g) => check_alpha_dash("gateway_uuid", g)?,
        }
        check_text("refund_reason", &self.refund_reason, 1024)?;
        if let Some(c) = &self.clawback_uuid {
            check_alpha_dash("clawback_uuid", c)?;
        }
        Ok(())
    }
}

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
struct RawMeta {
    #[serde(deserialize_with = "lenient_u64")]
    game_id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    buyer_id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    mod_id: u64,
    #[serde(deserialize_with = "lenient_string")]
    game_name: String,
    #[serde(deserialize_with = "lenient_string")]
    buyer_name: String,
    #[serde(deserialize_with = "lenient_string")]
    mod_name: String,
    #[serde(deserialize_with = "lenient_string")]
    token_name: String,
    #[serde(deserialize_with = "lenient_u64")]
    token_pack_id: u64,
    #[serde(deserialize_with = "lenient_string")]
    token_pack_name: String,
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
struct RawServiceToken {
    #[serde(deserialize_with = "lenient_string")]
    token_type: String,
    #[serde(deserialize_with = "lenient_string")]
    access_token: String,
    expires_in: Value,
    #[serde(deserialize_with = "lenient_string")]
    scopes: String,
}

/// `expires_in` is an integer in the schema and a string in the example: accept both.
fn parse_expires_in(v: &Value) -> Result<Option<Duration>> {
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

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// What an [`S2sClient`] needs: the game's [`Config`] (game id, API key, environment or base URL,
/// timeouts, retry policy) and the OAuth client credentials from the game's dashboard.
///
/// The S2S guide writes the base URL as `https://{game-id}.modapi.io/v1`, the authentication
/// guide as `https://g-{game-id}.modapi.io/v1`: set `Config::base_url` when yours differs.
#[derive(Debug, Clone)]
pub struct S2sConfig {
    pub(crate) base: Config,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) scopes: String,
    pub(crate) renew_before: Duration,
}

impl S2sConfig {
    pub fn new(base: Config, client_id: impl Into<String>, client_secret: impl Into<Secret>) -> S2sConfig {
        S2sConfig {
            base,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: DEFAULT_S2S_SCOPES.to_owned(),
            renew_before: DEFAULT_RENEW_BEFORE,
        }
    }

    /// The scopes to ask for (any of `read`, `write`, `update`, `monetization`); the transaction
    /// endpoints need `write` and `monetization`.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: &[S]) -> S2sConfig {
        self.scopes = scopes.iter().map(|s| s.as_ref().trim().to_ascii_lowercase()).collect::<Vec<_>>().join(",");
        self
    }

    /// Renew the service token this long before it expires (default one hour, capped at half
    /// the token's lifetime).
    pub fn renew_before(mut self, margin: Duration) -> S2sConfig {
        self.renew_before = margin;
        self
    }

    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        check_text("client_id", &self.client_id, 255)?;
        if self.client_secret.is_empty() {
            return Err(Error::invalid_argument("client_secret", "must not be empty"));
        }
        if self.client_secret.expose().chars().any(char::is_control) {
            return Err(Error::invalid_argument("client_secret", "must not contain control characters"));
        }
        if self.scopes.is_empty() || self.scopes.split(',').any(|s| !VALID_SCOPES.contains(&s)) {
            return Err(Error::invalid_argument("scopes", "must be a comma-separated list of read, write, update, monetization"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state: transport, service token, key book
// ---------------------------------------------------------------------------------------------

struct CachedToken {
    token: Secret,
    /// When to fetch a new one; `None` when mod.io gave no lifetime (renewed on 401 only).
    renew_at: Option<Instant>,
    info: ServiceTokenInfo,
}

#[derive(Default)]
struct TokenSlot {
    current: Option<CachedToken>,
    /// Bumped on every new token, so a 401 renews only the token it was answered for.
    generation: u64,
    last_forced_renewal: Option<Instant>,
}

/// The keys this client sent in the last 24 hours, per delegation token, with a fingerprint of
/// the operation each named. It refuses to send one key for two different operations of one
/// delegation token (mod.io would answer the second with the first's answer). Holds hashes
/// only (keyed per process): no token can be read back from it.
struct KeyBook {
    hasher: RandomState,
    entries: HashMap<(u64, String), (u64, Instant)>,
}

impl KeyBook {
    fn new() -> KeyBook {
        KeyBook { hasher: RandomState::new(), entries: HashMap::new() }
    }

    fn hash(&self, parts: &[&str]) -> u64 {
        let mut h = self.hasher.build_hasher();
        for p in parts {
            h.write(p.as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }

    fn check_and_record(&mut self, delegation: &Secret, key: &IdempotencyKey, operation: &[&str]) -> Result<()> {
        let now = Instant::now();
        let scope = self.hash(&[delegation.expose()]);
        let fingerprint = self.hash(operation);
        let slot = (scope, key.as_str().to_owned());
        if let Some((seen, at)) = self.entries.get(&slot) {
            if *seen != fingerprint && now.duration_since(*at) < IDEMPOTENCY_KEY_LIFETIME {
                return Err(Error::invalid_argument(
                    "idempotency_key",
                    "already used for a different operation with this delegation token; generate one key per operation",
                ));
            }
        }
        self.entries.insert(slot, (fingerprint, now));
        if self.entries.len() > KEY_BOOK_CAPACITY {
            self.entries.retain(|_, (_, at)| now.duration_since(*at) < IDEMPOTENCY_KEY_LIFETIME);
            if self.entries.len() > KEY_BOOK_CAPACITY {
                let mut ages: Vec<Instant> = self.entries.values().map(|(_, at)| *at).collect();
                ages.sort_unstable();
                let cutoff = ages[ages.len() - KEY_BOOK_CAPACITY * 9 / 10];
                self.entries.retain(|_, (_, at)| *at >= cutoff);
            }
        }
        Ok(())
    }
}

pub(crate) struct S2sShared {
    transport: Transport,
    client_id: String,
    client_secret: Secret,
    scopes: String,
    renew_before: Duration,
    token: Mutex<TokenSlot>,
    keys: Mutex<KeyBook>,
    logger: Logger,
}

/// An intent or commit ready to send: validated, with its key.
struct Prepared {
    delegation: Secret,
    key: IdempotencyKey,
    path: &'static str,
    fields: Vec<(&'static str, String)>,
}

impl S2sShared {
    fn fetch_token(&self, cancel: &dyn Fn() -> bool) -> Result<CachedToken> {
        let request = ApiRequest::post("oauth/token", Auth::None)
            .field("client_id", &self.client_id)
            .secret_field("client_secret", &self.client_secret)
            .field("grant_type", "client_credentials")
            .field("scope", &self.scopes)
            // Asking for a token twice is harmless: the second one is simply used.
            .idempotent();
        let (token, info) = self.transport.call(&request, None, decode_service_token, cancel)?;
        let renew_at = info.expires_in.map(|life| {
            let margin = self.renew_before.min(life / 2);
            Instant::now() + (life - margin)
        });
        self.logger.log(
            LogLevel::Info,
            format_args!(
                "S2S service token obtained (scopes {}, expires in {})",
                if info.scopes.is_empty() { "?" } else { &info.scopes },
                info.expires_in.map_or_else(|| "an unknown time".to_owned(), |d| format!("{} s", d.as_secs()))
            ),
        );
        Ok(CachedToken { token, renew_at, info })
    }

    /// The current service token, fetched when there is none or it is due for renewal.
    fn service_token(&self, cancel: &dyn Fn() -> bool) -> Result<(Secret, u64)> {
        // Held across the fetch: concurrent callers wait for one renewal instead of each minting.
        let mut slot = lock(&self.token);
        let due = match &slot.current {
            None => true,
            Some(t) => t.renew_at.is_some_and(|at| Instant::now() >= at),
        };
        if due {
            let fresh = self.fetch_token(cancel)?;
            slot.current = Some(fresh);
            slot.generation += 1;
        }
        let token = slot.current.as_ref().map(|t| t.token.clone()).expect("set above");
        Ok((token, slot.generation))
    }

    /// After a 401 answered to token `generation`: a token to retry with, or `None` to give up.
    fn renew_after_refusal(&self, generation: u64, cancel: &dyn Fn() -> bool) -> Result<Option<Secret>> {
        let mut slot = lock(&self.token);
        if slot.generation != generation {
            // Someone renewed meanwhile: retry with theirs.
            return Ok(slot.current.as_ref().map(|t| t.token.clone()));
        }
        if slot.last_forced_renewal.is_some_and(|at| at.elapsed() < FORCED_RENEWAL_INTERVAL) {
            return Ok(None);
        }
        self.logger.log(LogLevel::Info, format_args!("S2S call refused with 401: renewing the service token once"));
        slot.last_forced_renewal = Some(Instant::now());
        let fresh = self.fetch_token(cancel)?;
        let token = fresh.token.clone();
        slot.current = Some(fresh);
        slot.generation += 1;
        Ok(Some(token))
    }

    fn refresh_service_token(&self, cancel: &dyn Fn() -> bool) -> Result<ServiceTokenInfo> {
        let mut slot = lock(&self.token);
        let fresh = self.fetch_token(cancel)?;
        let info = fresh.info.clone();
        slot.current = Some(fresh);
        slot.generation += 1;
        Ok(info)
    }

    /// Sends a request built around the service token; a 401 renews the token once and resends.
    fn with_service_token<T>(
        &self,
        build: impl Fn(Secret) -> ApiRequest,
        decode: impl Fn(&[u8]) -> Result<T>,
        cancel: &dyn Fn() -> bool,
    ) -> Result<T> {
        let (token, generation) = self.service_token(cancel)?;
        match self.transport.call(&build(token), None, &decode, cancel) {
            Err(e) if e.http_status() == 401 && !cancel() => match self.renew_after_refusal(generation, cancel)? {
                Some(token) => self.transport.call(&build(token), None, &decode, cancel),
                None => Err(e),
            },
            other => other,
        }
    }

    fn prepare_intent(&self, delegation: Secret, request: &IntentRequest, key: Option<IdempotencyKey>) -> Result<Prepared> {
        request.validate()?;
        check_delegation(&delegation)?;
        let key = key.unwrap_or_else(IdempotencyKey::generate);
        let gateway = request.gateway_uuid.clone().unwrap_or_default();
        lock(&self.keys).check_and_record(&delegation, &key, &["intent", &request.sku, request.portal.as_str(), &gateway])?;
        let mut fields = vec![("sku", request.sku.clone()), ("portal", request.portal.as_str().to_owned())];
        if let Some(g) = &request.gateway_uuid {
            fields.push(("gateway_uuid", g.clone()));
        }
        Ok(Prepared { delegation, key, path: "s2s/transactions/intent", fields })
    }

    fn prepare_commit(&self, delegation: Secret, request: &CommitRequest, key: Option<IdempotencyKey>) -> Result<Prepared> {
        request.validate()?;
        check_delegation(&delegation)?;
        let key = key.unwrap_or_else(IdempotencyKey::generate);
        let id = request.transaction_id.to_string();
        let clawback = request.clawback_uuid.clone().unwrap_or_default();
        lock(&self.keys).check_and_record(&delegation, &key, &["commit", &id, &clawback])?;
        let mut fields = vec![("transaction_id", id)];
        if let Some(c) = &request.clawback_uuid {
            fields.push(("clawback_uuid", c.clone()));
        }
        Ok(Prepared { delegation, key, path: "s2s/transactions/commit", fields })
    }

    fn send_prepared(&self, p: &Prepared, cancel: &dyn Fn() -> bool) -> Result<S2sTransaction> {
        let build = |token: Secret| {
            let mut r = ApiRequest::post(p.path, Auth::Bearer(token))
                .header("x-modio-delegation-token", p.delegation.clone())
                .header("x-modio-idempotent-key", Secret::new(p.key.as_str()))
                // The key makes a repeat answer the first answer: every retry reuses it.
                .idempotent();
            for (k, v) in &p.fields {
                r = r.field(k, v);
            }
            r
        };
        let mut t = self.with_service_token(build, S2sTransaction::decode, cancel)?;
        t.idempotency_key = Some(p.key.clone());
        Ok(t)
    }

    fn clawback(&self, request: &ClawbackRequest, cancel: &dyn Fn() -> bool) -> Result<S2sTransaction> {
        let build = |token: Secret| {
            let mut r = ApiRequest::post("s2s/transactions/clawback", Auth::Bearer(token));
            r = match &request.target {
                ClawbackTarget::TransactionId(id) => r.field("transaction_id", id),
                ClawbackTarget::GatewayUuid(g) => r.field("gateway_uuid", g),
            };
            r = r.field("portal", request.portal.as_str()).field("refund_reason", &request.refund_reason);
            if let Some(c) = &request.clawback_uuid {
                r = r.field("clawback_uuid", c);
            }
            // A clawback names one transaction, which is refunded once: mod.io answers a repeat
            // with the refunded transaction and takes nothing twice, so retrying is safe.
            r.idempotent()
        };
        self.with_service_token(build, S2sTransaction::decode, cancel)
    }
}

fn check_delegation(delegation: &Secret) -> Result<()> {
    if delegation.expose().trim().is_empty() {
        return Err(Error::invalid_argument("delegation_token", "must not be empty"));
    }
    if delegation.expose().len() > 16 * 1024 || delegation.expose().chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(Error::invalid_argument("delegation_token", "is not a token (too long, or characters not allowed in a header)"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/// A purchase server's mod.io S2S client. `Send + Sync`: share it by reference or `Arc`.
///
/// Blocking calls ([`S2sClient::intent`], ...) run on the calling thread. The `*_async` calls run
/// on worker threads (started on first use) and report through callbacks that run inside
/// [`S2sClient::poll`] / [`S2sClient::wait`], like [`crate::Client`].
pub struct S2sClient {
    shared: Arc<S2sShared>,
    worker_threads: usize,
    shutdown_timeout: Duration,
    runtime: OnceLock<Runtime<S2sShared>>,
    runtime_init: Mutex<()>,
    log_sink: CallbackSlot<LogSink>,
}

impl fmt::Debug for S2sClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S2sClient").field("client_id", &self.shared.client_id).finish_non_exhaustive()
    }
}

impl S2sClient {
    /// Validates the configuration. No request is made until the first call.
    pub fn new(config: S2sConfig) -> Result<S2sClient> {
        config.validate()?;
        let logger = Logger::new();
        let transport = Transport::new(&config.base, logger.clone())?;
        let shared = Arc::new(S2sShared {
            transport,
            client_id: config.client_id,
            client_secret: config.client_secret,
            scopes: config.scopes,
            renew_before: config.renew_before,
            token: Mutex::new(TokenSlot::default()),
            keys: Mutex::new(KeyBook::new()),
            logger,
        });
        Ok(S2sClient {
            shared,
            worker_threads: config.base.worker_threads,
            shutdown_timeout: config.base.shutdown_timeout,
            runtime: OnceLock::new(),
            runtime_init: Mutex::new(()),
            log_sink: CallbackSlot::new(),
        })
    }

    // -- blocking ------------------------------------------------------------------------------

    /// Fetches a new service token now (normally done on demand) and describes it.
    pub fn refresh_service_token(&self) -> Result<ServiceTokenInfo> {
        let r = self.shared.refresh_service_token(&|| false);
        self.flush_logs();
        r
    }

    /// `POST /s2s/transactions/intent` on behalf of the user of `delegation`. Retries (on
    /// connection failures, timeouts, 5xx, 429, answers cut short) reuse `key`.
    pub fn intent(&self, delegation: &Secret, request: &IntentRequest, key: &IdempotencyKey) -> Result<S2sTransaction> {
        let r = self
            .shared
            .prepare_intent(delegation.clone(), request, Some(key.clone()))
            .and_then(|p| self.shared.send_prepared(&p, &|| false));
        self.flush_logs();
        r
    }

    /// `POST /s2s/transactions/commit`: only after the entitlement was consumed. Retries reuse `key`.
    pub fn commit(&self, delegation: &Secret, request: &CommitRequest, key: &IdempotencyKey) -> Result<S2sTransaction> {
        let r = self
            .shared
            .prepare_commit(delegation.clone(), request, Some(key.clone()))
            .and_then(|p| self.shared.send_prepared(&p, &|| false));
        self.flush_logs();
        r
    }

    /// `POST /s2s/transactions/clawback` (service token only).
    pub fn clawback(&self, request: &ClawbackRequest) -> Result<S2sTransaction> {
        let r = request.validate().and_then(|()| self.shared.clawback(request, &|| false));
        self.flush_logs();
        r
    }

    // -- callback + poll -------------------------------------------------------------------------

    fn runtime(&self) -> Result<&Runtime<S2sShared>> {
        if let Some(rt) = self.runtime.get() {
            return Ok(rt);
        }
        let _guard = lock(&self.runtime_init);
        if let Some(rt) = self.runtime.get() {
            return Ok(rt);
        }
        let rt = Runtime::new(Arc::clone(&self.shared), self.worker_threads, self.shutdown_timeout)?;
        Ok(self.runtime.get_or_init(|| rt))
    }

    fn run<T, W>(&self, work: W, callback: impl Callback<T>) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&S2sShared, &JobContext) -> Result<T> + Send + 'static,
    {
        let callback: Box<dyn Callback<T>> = Box::new(callback);
        self.runtime()?.submit(work, move |id, result| callback.call(id, result))
    }

    /// [`S2sClient::refresh_service_token`] on a worker; the callback runs in poll/wait.
    pub fn refresh_service_token_async(&self, callback: impl Callback<ServiceTokenInfo>) -> Result<RequestId> {
        self.run(|shared: &S2sShared, ctx: &JobContext| shared.refresh_service_token(&|| ctx.is_cancelled()), callback)
    }

    /// [`S2sClient::intent`] on a worker. Arguments are checked now (a bad key or portal fails
    /// here, before anything is sent). `key: None` generates one, returned in the transaction.
    pub fn intent_async(
        &self,
        delegation: Secret,
        request: IntentRequest,
        key: Option<IdempotencyKey>,
        callback: impl Callback<S2sTransaction>,
    ) -> Result<RequestId> {
        let prepared = self.shared.prepare_intent(delegation, &request, key)?;
        self.run(move |shared: &S2sShared, ctx: &JobContext| shared.send_prepared(&prepared, &|| ctx.is_cancelled()), callback)
    }

    /// [`S2sClient::commit`] on a worker; same contract as [`S2sClient::intent_async`].
    pub fn commit_async(
        &self,
        delegation: Secret,
        request: CommitRequest,
        key: Option<IdempotencyKey>,
        callback: impl Callback<S2sTransaction>,
    ) -> Result<RequestId> {
        let prepared = self.shared.prepare_commit(delegation, &request, key)?;
        self.run(move |shared: &S2sShared, ctx: &JobContext| shared.send_prepared(&prepared, &|| ctx.is_cancelled()), callback)
    }

    /// [`S2sClient::clawback`] on a worker.
    pub fn clawback_async(&self, request: ClawbackRequest, callback: impl Callback<S2sTransaction>) -> Result<RequestId> {
        request.validate()?;
        self.run(move |shared: &S2sShared, ctx: &JobContext| shared.clawback(&request, &|| ctx.is_cancelled()), callback)
    }

    /// Runs the callbacks of completed `*_async` calls on this thread; never blocks.
    pub fn poll(&self) -> Result<usize> {
        match self.runtime.get() {
            Some(rt) => rt.poll(|| self.flush_logs()),
            None => {
                self.flush_logs();
                Ok(0)
            }
        }
    }

    /// Blocks until the callback of `id` ran (running others meanwhile), or `timeout` passed.
    pub fn wait(&self, id: RequestId, timeout: Duration) -> Result<usize> {
        match self.runtime.get() {
            Some(rt) => rt.wait(Some(id), timeout, || self.flush_logs()),
            None => Err(Error::new(ResultCode::RequestNotFound, format!("no pending request {id}"))),
        }
    }

    /// Blocks until any callback ran, or `timeout` passed.
    pub fn wait_any(&self, timeout: Duration) -> Result<usize> {
        self.runtime()?.wait(None, timeout, || self.flush_logs())
    }

    /// Cancels a pending `*_async` call (its callback reports `Cancelled`). An intent or commit
    /// that reached mod.io may still have happened: send it again with the same key to know.
    pub fn cancel(&self, id: RequestId) -> Result<()> {
        match self.runtime.get() {
            Some(rt) => rt.cancel(id),
            None => Err(Error::new(ResultCode::RequestNotFound, format!("no pending request {id}"))),
        }
    }

    pub fn pending_requests(&self) -> usize {
        self.runtime.get().map_or(0, |rt| rt.pending_count())
    }

    pub(crate) fn is_pumping_on_this_thread(&self) -> bool {
        self.runtime.get().is_some_and(|rt| rt.is_pumping_on_this_thread())
    }

    /// Routes log records at `max_level` or more severe to `sink`. The sink runs at the end of
    /// blocking calls (on their thread) and inside poll/wait. Log lines name methods, paths,
    /// statuses and scopes, never a secret, key-holder or body.
    pub fn set_logger(&self, max_level: Option<LogLevel>, sink: Option<LogSink>) {
        self.log_sink.set(sink);
        self.shared.logger.set_max_level(max_level);
    }

    fn flush_logs(&self) {
        let records = self.shared.logger.drain();
        if records.is_empty() {
            return;
        }
        // The sink may replace itself while it runs (see `CallbackSlot`); what it leaves is dropped.
        self.log_sink.deliver(records, |sink, r| sink(r.level, &r.message));
    }

    /// Stops the workers (pending callbacks run now with `ShutDown`). Also done on drop.
    pub fn shutdown(&self) {
        if let Some(rt) = self.runtime.get() {
            rt.shutdown();
        }
        self.flush_logs();
    }
}

impl Drop for S2sClient {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_before_anything_is_sent() {
        assert!(IdempotencyKey::new("d720901c-a8ed-42ff-9343-39d4a3e16b18").is_ok());
        assert!(IdempotencyKey::new("a_B-9").is_ok());
        for bad in ["", "has space", "semi;colon", "dot.ted", "ünï", "new\nline", &"x".repeat(256)] {
            let e = IdempotencyKey::new(bad).unwrap_err();
            assert_eq!(e.code(), ResultCode::InvalidArgument, "{bad:?}");
            assert!(e.message().contains("idempotency_key"));
        }
        let a = IdempotencyKey::generate();
        assert!(is_alpha_dash(a.as_str()));
        assert_ne!(a, IdempotencyKey::generate());
    }

    #[test]
    fn portals_parse_case_insensitively() {
        assert_eq!(S2sPortal::parse("XboxLive").unwrap(), S2sPortal::XboxLive);
        assert_eq!(S2sPortal::parse("psn").unwrap(), S2sPortal::Psn);
        assert!(S2sPortal::parse("meta").is_err());
        assert!(!S2sPortal::Apple.tracks_consumption() && !S2sPortal::Google.tracks_consumption());
        assert!(S2sPortal::Steam.tracks_consumption());
    }

    #[test]
    fn expires_in_is_a_number_or_a_string() {
        let (t, info) =
            decode_service_token(br#"{"token_type":"Bearer","expires_in":"2592000","access_token":"x","scopes":"read,write"}"#).unwrap();
        assert_eq!(t.expose(), "x");
        assert_eq!(info.expires_in, Some(Duration::from_secs(2_592_000)));
        let (_, info) = decode_service_token(br#"{"token_type":"bearer","expires_in":2592000,"access_token":"x"}"#).unwrap();
        assert_eq!(info.expires_in, Some(Duration::from_secs(2_592_000)));
        let (_, info) = decode_service_token(br#"{"access_token":"x"}"#).unwrap();
        assert_eq!(info.expires_in, None);
        let e = decode_service_token(br#"{"access_token":"SECRET-TOKEN","expires_in":"soon"}"#).unwrap_err();
        assert_eq!(e.code(), ResultCode::MalformedResponse);
        assert!(!e.message().contains("SECRET"));
        let e = decode_service_token(br#""SECRET-TOKEN""#).unwrap_err();
        assert!(!e.message().contains("SECRET"));
        assert!(decode_service_token(br#"{"token_type":"Mac","access_token":"x"}"#).is_err());
    }

    #[test]
    fn meta_lines_are_typed() {
        let body = br#"{"transaction_id":897258250,"gross_amount":104,"net_amount":104,"platform_fee":24,"gateway_fee":0,
            "transaction_type":"PENDING","meta":[{"game_id":2621,"buyer_id":6990060,"game_name":"Rogue Knight","buyer_name":"Gordon",
            "token_name":"Gold","token_pack_id":1,"token_pack_name":"200 Pack"}],"purchase_date":1715323164}"#;
        let t = S2sTransaction::decode(body).unwrap();
        assert_eq!(t.transaction.id, 897258250);
        assert_eq!(t.transaction.state, crate::TransactionState::Pending);
        assert_eq!(t.meta.len(), 1);
        assert_eq!(t.meta[0].buyer_id, 6990060);
        assert_eq!(t.meta[0].token_pack_name, "200 Pack");
        // The clawback answer has tax and no meta.
        let t = S2sTransaction::decode(br#"{"transaction_id":"5","tax":3,"tax_type":"none","transaction_type":"refunded"}"#).unwrap();
        assert_eq!((t.transaction.id, t.transaction.tax), (5, 3));
        assert!(t.meta.is_empty());
        assert!(S2sTransaction::decode(br#"{"transaction_id":0}"#).is_err());
    }

    #[test]
    fn one_key_names_one_operation_per_delegation_token() {
        let mut book = KeyBook::new();
        let (alice, bob) = (Secret::new("alice-token"), Secret::new("bob-token"));
        let key = IdempotencyKey::new("k1").unwrap();
        book.check_and_record(&alice, &key, &["intent", "GOLD", "steam"]).unwrap();
        // A retry of the same operation is fine; another user may use the same key.
        book.check_and_record(&alice, &key, &["intent", "GOLD", "steam"]).unwrap();
        book.check_and_record(&bob, &key, &["commit", "5"]).unwrap();
        let e = book.check_and_record(&alice, &key, &["commit", "5"]).unwrap_err();
        assert_eq!(e.code(), ResultCode::InvalidArgument);
    }

    #[test]
    fn requests_validate_their_fields() {
        assert!(IntentRequest::new("", S2sPortal::Steam).validate().is_err());
        assert!(IntentRequest::new("SKU", S2sPortal::Steam).gateway_uuid("has.dot").validate().is_err());
        assert!(CommitRequest::new(0).validate().is_err());
        assert!(CommitRequest::new(1).clawback_uuid("ok-1").validate().is_ok());
        assert!(ClawbackRequest::new(ClawbackTarget::TransactionId(1), S2sPortal::Psn, " ").validate().is_err());
        assert!(ClawbackRequest::new(ClawbackTarget::GatewayUuid("g_1".into()), S2sPortal::Psn, "Chargeback").validate().is_ok());
    }

    #[test]
    fn config_never_prints_the_secret() {
        let c = S2sConfig::new(Config::new(1, "abc"), "7001", "demo-client-secret");
        assert!(!format!("{c:?}").contains("demo-client-secret"));
        assert!(c.clone().scopes(&["read", "bogus"]).validate().is_err());
        assert!(S2sConfig::new(Config::new(1, "abc"), "7001", "").validate().is_err());
    }
}
