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

use crate::callbacks::{Callback, LogOutput, LogSink};
use crate::config::Config;
use crate::error::{Error, Result, ResultCode, Secret};
pub use crate::keys::{is_alpha_dash, IdempotencyKey};
use crate::log::{LogLevel, Logger};
use crate::models::{lenient_i64, lenient_string, lenient_u64, Transaction, TransactionState};
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

mod config;
mod history;
mod models;
mod requests;
mod shared;

pub use self::config::*;
pub use self::history::*;
pub use self::models::*;
pub use self::requests::*;
use self::shared::*;

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
    logs: LogOutput,
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
        let output_logger = logger.clone();
        let transport = Transport::new(&config.base, logger.clone())?;
        let shared = Arc::new(S2sShared {
            transport,
            client_id: config.client_id,
            client_secret: config.client_secret,
            scopes: config.scopes,
            renew_before: config.renew_before,
            monetization_team_id: config.base.monetization_team_id,
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
            logs: LogOutput::new(output_logger),
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

    /// The monetization team whose history [`S2sClient::transactions`] reads; `None` when it is
    /// not configured ([`S2sConfig::monetization_team_id`]).
    pub fn monetization_team_id(&self) -> Option<u64> {
        (self.shared.monetization_team_id != 0).then_some(self.shared.monetization_team_id)
    }

    /// One page of the transaction history (`GET /s2s/monetization-teams/{team}/transactions`),
    /// newest first; pass [`TransactionHistoryPage::next_cursor`] as the query's `cursor` for
    /// the next. Needs [`S2sConfig::monetization_team_id`].
    pub fn transactions(&self, query: &TransactionQuery) -> Result<TransactionHistoryPage> {
        let r = query.validate().and_then(|()| self.shared.transactions(query, &|| false));
        self.flush_logs();
        r
    }

    /// Every page of the history matching `query` (its `cursor` is where to start), at most
    /// `max_pages` of them (`MalformedResponse` if the history does not end by then).
    pub fn all_transactions(&self, query: &TransactionQuery, max_pages: usize) -> Result<Vec<HistoryTransaction>> {
        let r = query.validate().and_then(|()| self.shared.all_transactions(query, max_pages.max(1), &|| false));
        self.flush_logs();
        r
    }

    /// One transaction (`GET /s2s/monetization-teams/{team}/transactions/{id}`).
    pub fn transaction(&self, transaction_id: u64) -> Result<HistoryTransaction> {
        if transaction_id == 0 {
            return Err(Error::invalid_argument("transaction_id", "must not be 0"));
        }
        let r = self.shared.transaction(transaction_id, &|| false);
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
        let rt = Runtime::new(Arc::clone(&self.shared), self.worker_threads, self.shutdown_timeout, self.shared.logger.doorbell())?;
        Ok(self.runtime.get_or_init(|| rt))
    }

    fn run<T, W>(&self, work: W, callback: impl Callback<T>) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&S2sShared, &JobContext) -> Result<T> + Send + 'static,
    {
        crate::callbacks::submit(self.runtime()?, work, callback)
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

    /// [`S2sClient::transactions`] on a worker.
    pub fn transactions_async(&self, query: TransactionQuery, callback: impl Callback<TransactionHistoryPage>) -> Result<RequestId> {
        query.validate()?;
        self.run(move |shared: &S2sShared, ctx: &JobContext| shared.transactions(&query, &|| ctx.is_cancelled()), callback)
    }

    /// [`S2sClient::transaction`] on a worker.
    pub fn transaction_async(&self, transaction_id: u64, callback: impl Callback<HistoryTransaction>) -> Result<RequestId> {
        if transaction_id == 0 {
            return Err(Error::invalid_argument("transaction_id", "must not be 0"));
        }
        self.run(move |shared: &S2sShared, ctx: &JobContext| shared.transaction(transaction_id, &|| ctx.is_cancelled()), callback)
    }

    /// Runs the callbacks of completed `*_async` calls on this thread; never blocks.
    pub fn poll(&self) -> Result<usize> {
        match self.runtime.get() {
            Some(rt) if rt.is_idle() => Ok(0),
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

    /// Whether this thread is inside this client's `poll`/`wait` (a callback is running): then
    /// freeing the client must wait until the pump returns.
    pub fn is_pumping_on_this_thread(&self) -> bool {
        self.runtime.get().is_some_and(|rt| rt.is_pumping_on_this_thread())
    }

    /// Routes log records at `max_level` or more severe to `sink`. The sink runs at the end of
    /// blocking calls (on their thread) and inside poll/wait. Log lines name methods, paths,
    /// statuses and scopes, never a secret, key-holder or body.
    pub fn set_logger(&self, max_level: Option<LogLevel>, sink: Option<LogSink>) {
        self.logs.set(max_level, sink);
    }

    fn flush_logs(&self) {
        self.logs.flush();
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
