//! The Rust API: a [`Client`] owns its configuration, token, caches, workers and queues.
//!
//! Every network operation returns a [`RequestId`] at once and reports through a callback that runs
//! inside [`Client::poll`] or [`Client::wait`], on the thread that calls them. Nothing here blocks
//! the caller on the network.
//!
//! ```no_run
//! use modio_market::{Client, Config, PlatformAuth, AuthOptions, Secret};
//! let client = Client::new(Config::new(1, "0123456789abcdef0123456789abcdef")).unwrap();
//! client.authenticate(PlatformAuth::Steam { appdata: Secret::new("ticket") }, AuthOptions::agreed(), |r: modio_market::Result<_>| {
//!     println!("signed in: {}", r.is_ok());
//! }).unwrap();
//! // Once per frame, on the game thread: callbacks run here.
//! client.poll().unwrap();
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::config::Config;
use crate::checkout::{run_checkout, Inflight, InflightGuard, RecoveryReport};
use crate::error::{Error, Result, ResultCode, Secret};
use crate::log::{LogLevel, Logger};
use crate::models::{
    AccessToken, CheckoutReceipt, DelegationToken, EntitlementSync, Game, Mod, ModPage, ModQuery, User, Wallet,
};
use crate::persist::{now_unix, DataDir, StoredPurchases};
use crate::runtime::{lock, JobContext, RequestId, Runtime};
use crate::transport::{ApiRequest, Auth, Transport};

/// A completion callback. Implemented for `FnOnce(Result<T>)` closures, and for [`WithId`].
pub trait Callback<T>: Send + 'static {
    fn call(self: Box<Self>, id: RequestId, result: Result<T>);
}

impl<T, F: FnOnce(Result<T>) + Send + 'static> Callback<T> for F {
    fn call(self: Box<Self>, _id: RequestId, result: Result<T>) {
        (*self)(result)
    }
}

/// Wraps a closure that also wants the request's id: `WithId(|id, result| ...)`.
pub struct WithId<F>(pub F);

impl<T, F: FnOnce(RequestId, Result<T>) + Send + 'static> Callback<T> for WithId<F> {
    fn call(self: Box<Self>, id: RequestId, result: Result<T>) {
        (self.0)(id, result)
    }
}

/// Platform credentials for `POST /external/*auth` (secrets stay wrapped).
#[derive(Debug, Clone)]
pub enum PlatformAuth {
    /// Steam encrypted app ticket, base64 (`appdata`).
    Steam { appdata: Secret },
    /// Xbox Live token from `GetTokenAndSignatureAsync` (`xbox_token`).
    XboxLive { xbox_token: Secret },
    /// PlayStation Network auth code; `env` only when not production.
    Psn { auth_code: Secret, env: Option<i64> },
    /// Meta Quest / Rift: device `quest` or `rift`, nonce, user id, access token.
    Meta { device: String, nonce: Secret, user_id: u64, access_token: Secret },
    /// Sign in with Apple `id_token`.
    Apple { id_token: Secret },
    /// Google: a server `auth_code`, or an `id_token`.
    Google { auth_code: Option<Secret>, id_token: Option<Secret> },
    /// Epic Games `id_token`.
    Epic { id_token: Secret },
}

/// Options every platform authentication takes.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthOptions {
    /// The user has seen and agreed to the mod.io terms (`terms_agreed`).
    pub terms_agreed: bool,
    /// Ask for a shorter-lived token (unix time); `None` for mod.io's default of one year.
    pub date_expires: Option<i64>,
}

impl AuthOptions {
    pub fn agreed() -> AuthOptions {
        AuthOptions { terms_agreed: true, date_expires: None }
    }
}

/// Where to sync entitlements from (`POST /me/iap/{portal}/sync`).
#[derive(Debug, Clone)]
pub enum EntitlementSource {
    /// Steam: no body; the user's Steam link is used.
    Steam,
    XboxLive { xbox_token: Secret },
    Psn { auth_code: Secret, env: Option<i64>, service_label: Option<i64> },
    /// Meta: device `quest` or `rift` and the Meta user id.
    Meta { device: String, user_id: u64 },
    /// Apple App Store receipt.
    Apple { receipt: Secret },
    /// Google Play purchase token / receipt.
    Google { receipt: Secret },
}

impl EntitlementSource {
    fn portal_path(&self) -> &'static str {
        match self {
            EntitlementSource::Steam => "steam",
            EntitlementSource::XboxLive { .. } => "xboxlive",
            EntitlementSource::Psn { .. } => "psn",
            EntitlementSource::Meta { .. } => "meta",
            EntitlementSource::Apple { .. } => "apple",
            EntitlementSource::Google { .. } => "google",
        }
    }
}

/// The result of a purchases refresh: every purchased mod.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Purchases {
    pub mods: Vec<Mod>,
}

/// The in-memory ownership cache: whose list it is and when the server last confirmed it.
#[derive(Default)]
pub(crate) struct PurchaseCache {
    pub(crate) user_id: Option<u64>,
    pub(crate) ids: HashSet<u64>,
    /// Unix seconds of the last full refresh from the server.
    pub(crate) confirmed_at: Option<i64>,
}

/// Which user the current token belongs to, learned from `GET /me`.
#[derive(Clone, Copy)]
struct Identity {
    generation: u64,
    user_id: u64,
}

/// State the workers share with the caller's thread.
pub(crate) struct Shared {
    pub(crate) transport: Transport,
    pub(crate) game_id: u64,
    token: RwLock<Option<Secret>>,
    /// Bumped whenever the token changes: answers for an older token do not touch the caches.
    token_generation: AtomicU64,
    identity: Mutex<Option<Identity>>,
    purchases: RwLock<PurchaseCache>,
    /// The game's data directory, when configured: journal and on-disk ownership cache.
    pub(crate) data: Option<DataDir>,
    /// Checkouts in flight, by (token generation, mod id), so a second buy joins the first.
    pub(crate) inflight: Mutex<HashMap<(u64, u64), Arc<Inflight>>>,
    /// Recovery reports waiting for the next poll.
    pub(crate) recovery_backlog: Mutex<Vec<RecoveryReport>>,
    /// Set when a token appears: the next poll starts journal recovery for its user.
    pub(crate) recovery_wanted: AtomicBool,
    /// One recovery at a time.
    pub(crate) recovery_lock: Mutex<()>,
    /// Numbers each change of the ownership cache (taken under its lock), so the disk copy,
    /// written after the lock is released, never goes back to an older list.
    cache_version: AtomicU64,
    /// Serializes disk writes of the ownership cache; holds the version last written.
    cache_written: Mutex<u64>,
    pub(crate) logger: Logger,
}

/// The ownership cache as it goes to disk: copied under the cache's lock, written after it is
/// released, so `owns()` on the game thread never waits for a file sync.
struct CacheSnapshot {
    version: u64,
    user_id: u64,
    stored: StoredPurchases,
}

impl Shared {
    pub(crate) fn token(&self) -> (Option<Secret>, u64) {
        let token = self.token.read().unwrap_or_else(|p| p.into_inner()).clone();
        (token, self.token_generation.load(Ordering::Acquire))
    }

    fn set_token(&self, token: Option<Secret>) {
        let token = token.filter(|t| !t.is_empty());
        let has_token = token.is_some();
        let mut slot = self.token.write().unwrap_or_else(|p| p.into_inner());
        *slot = token;
        self.token_generation.fetch_add(1, Ordering::AcqRel);
        *lock(&self.identity) = None;
        if self.data.is_none() {
            // Without a data directory the list cannot be tied to a user: forget it.
            *self.purchases.write().unwrap_or_else(|p| p.into_inner()) = PurchaseCache::default();
        }
        // With one, the last user's list stays until `GET /me` says the token is someone else's
        // (so ownership still answers offline for the player who was signed in).
        if has_token && self.data.is_some() {
            self.recovery_wanted.store(true, Ordering::Release);
        }
    }

    pub(crate) fn generation(&self) -> u64 {
        self.token_generation.load(Ordering::Acquire)
    }

    /// Sends with the current user token and decodes, retrying when the request is safe to repeat.
    pub(crate) fn call<T>(&self, request: &ApiRequest, ctx: &JobContext, decode: impl Fn(&[u8]) -> Result<T>) -> Result<T> {
        let (token, _) = self.token();
        self.transport.call(request, token.as_ref(), decode, &|| ctx.is_cancelled())
    }

    /// The user id behind the current token (`GET /me`, once per token). Switches the ownership
    /// cache to that user's stored list when it belonged to someone else.
    pub(crate) fn identify(&self, ctx: &JobContext) -> Result<(u64, u64)> {
        let generation = self.generation();
        if let Some(id) = *lock(&self.identity) {
            if id.generation == generation {
                return Ok((id.user_id, generation));
            }
        }
        let user = self.call(&ApiRequest::get("me", Auth::User), ctx, User::decode)?;
        if self.generation() != generation {
            return Err(Error::new(ResultCode::Cancelled, "the access token changed while identifying the user"));
        }
        *lock(&self.identity) = Some(Identity { generation, user_id: user.id });
        if let Some(data) = &self.data {
            let mut cache = self.purchases.write().unwrap_or_else(|p| p.into_inner());
            if cache.user_id != Some(user.id) {
                let stored = data.load_purchases(user.id);
                *cache = PurchaseCache { user_id: Some(user.id), ids: stored.mod_ids.into_iter().collect(), confirmed_at: stored.confirmed_at };
            }
            drop(cache);
            if let Err(e) = data.save_session(user.id) {
                self.logger.log(LogLevel::Warn, format_args!("could not remember the signed-in user: {e}"));
            }
        }
        Ok((user.id, generation))
    }

    pub(crate) fn record_purchase(&self, mod_id: u64, generation: u64) {
        if self.generation() != generation {
            return;
        }
        let snapshot = {
            let mut cache = self.purchases.write().unwrap_or_else(|p| p.into_inner());
            cache.ids.insert(mod_id);
            self.snapshot_cache(&cache)
        };
        self.persist_cache(snapshot);
    }

    fn replace_purchases(&self, ids: HashSet<u64>, generation: u64, user_id: Option<u64>) {
        if self.generation() != generation {
            return;
        }
        let snapshot = {
            let mut cache = self.purchases.write().unwrap_or_else(|p| p.into_inner());
            cache.ids = ids;
            cache.confirmed_at = Some(now_unix());
            if user_id.is_some() {
                cache.user_id = user_id;
            }
            self.snapshot_cache(&cache)
        };
        self.persist_cache(snapshot);
    }

    /// Copies the cache for `persist_cache`; call with the cache's write lock held.
    fn snapshot_cache(&self, cache: &PurchaseCache) -> Option<CacheSnapshot> {
        let (Some(_), Some(user_id)) = (&self.data, cache.user_id) else { return None };
        Some(CacheSnapshot {
            version: self.cache_version.fetch_add(1, Ordering::AcqRel) + 1,
            user_id,
            stored: StoredPurchases { mod_ids: cache.ids.iter().copied().collect(), confirmed_at: cache.confirmed_at },
        })
    }

    /// Writes a copy of the cache to the data directory (a cache: failure is logged, not fatal),
    /// outside the cache's lock; a copy older than the one already written is dropped.
    fn persist_cache(&self, snapshot: Option<CacheSnapshot>) {
        let (Some(data), Some(snapshot)) = (&self.data, snapshot) else { return };
        let mut written = lock(&self.cache_written);
        if snapshot.version <= *written {
            return;
        }
        if let Err(e) = data.save_purchases(snapshot.user_id, &snapshot.stored) {
            self.logger.log(LogLevel::Warn, format_args!("could not save the purchased list: {e}"));
        }
        *written = snapshot.version;
    }

    /// Every purchased mod (all pages of `GET /me/purchased`); replaces the cache.
    pub(crate) fn fetch_purchases(&self, ctx: &JobContext) -> Result<Purchases> {
        let user_id = if self.data.is_some() { Some(self.identify(ctx)?.0) } else { None };
        let (token, generation) = self.token();
        let mut mods = Vec::new();
        let mut offset = 0u64;
        for _ in 0..MAX_PURCHASE_PAGES {
            let request = ApiRequest::get("me/purchased", Auth::User)
                .query("game_id", self.game_id)
                .query("_offset", offset)
                .query("_limit", PAGE_LIMIT);
            let page = self.transport.call(&request, token.as_ref(), ModPage::decode, &|| ctx.is_cancelled())?;
            let count = page.mods.len() as u64;
            mods.extend(page.mods);
            offset += count;
            if count == 0 || offset >= page.page.result_total {
                let ids = mods.iter().map(|m| m.id).collect();
                self.replace_purchases(ids, generation, user_id);
                return Ok(Purchases { mods });
            }
        }
        Err(Error::malformed("the purchased list did not end after 10000 pages"))
    }
}

pub(crate) type LogSink = Box<dyn FnMut(LogLevel, &str) + Send>;

/// A slot for a game callback (log sink, recovery sink) that the callback itself may replace or
/// clear while it runs: a game that turns logging off from its log callback. The slot's lock is
/// never held during a call (std's Mutex deadlocks on re-entry), and once the slot is replaced
/// the old callback gets nothing more (its `user_data` may be gone). Replacing it from another
/// thread while it runs waits for that call to return, so the caller may free the old
/// `user_data` as soon as `set` returns.
pub(crate) struct CallbackSlot<T> {
    current: Mutex<Option<Arc<Mutex<T>>>>,
    /// The thread inside `deliver`, if any.
    running_on: Mutex<Option<std::thread::ThreadId>>,
}

impl<T> CallbackSlot<T> {
    pub(crate) fn new() -> CallbackSlot<T> {
        CallbackSlot { current: Mutex::new(None), running_on: Mutex::new(None) }
    }

    pub(crate) fn set(&self, value: Option<T>) {
        let old = std::mem::replace(&mut *lock(&self.current), value.map(|v| Arc::new(Mutex::new(v))));
        let Some(old) = old else { return };
        let running = *lock(&self.running_on);
        if running.is_some() && running != Some(std::thread::current().id()) {
            // Another thread is calling the old callback: wait until that call returns.
            drop(old.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        lock(&self.current).is_some()
    }

    /// Calls the current callback with each item, in order. Returns the items it did not deliver:
    /// all of them when no callback is set or it is already running further up this thread's
    /// stack; the rest when the callback was replaced or cleared meanwhile.
    pub(crate) fn deliver<I>(&self, items: Vec<I>, mut call: impl FnMut(&mut T, I)) -> Vec<I> {
        let Some(current) = lock(&self.current).clone() else { return items };
        let mut callback = match current.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return items,
        };
        // Announced before the first "still current?" check below, so a concurrent `set` either
        // makes that check fail or sees this thread running and waits for it.
        *lock(&self.running_on) = Some(std::thread::current().id());
        let mut items = items.into_iter();
        let mut undelivered = Vec::new();
        while let Some(item) = items.next() {
            if !lock(&self.current).as_ref().is_some_and(|s| Arc::ptr_eq(s, &current)) {
                undelivered = std::iter::once(item).chain(items).collect();
                break;
            }
            call(&mut callback, item);
        }
        *lock(&self.running_on) = None;
        drop(callback);
        undelivered
    }
}

type RecoverySink = Box<dyn FnMut(RecoveryReport) + Send>;

/// A mod.io Marketplace client. Cheap to share by reference across threads (`Send + Sync`);
/// callbacks run on whichever thread calls [`Client::poll`] or [`Client::wait`].
pub struct Client {
    runtime: Runtime<Shared>,
    log_sink: CallbackSlot<LogSink>,
    recovery_sink: CallbackSlot<RecoverySink>,
}

/// Upper bound on pages fetched by one purchases refresh: stops a server that never ends a list.
const MAX_PURCHASE_PAGES: u64 = 10_000;
const PAGE_LIMIT: u64 = 100;

fn validate_idempotency_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::invalid_argument("idempotency_key", "must be 1 to 255 of [a-zA-Z0-9_-]"));
    }
    Ok(())
}

fn require_secret(name: &str, value: &Secret) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(name, "must not be empty"));
    }
    Ok(())
}

fn validate_meta_device(device: &str) -> Result<()> {
    if device != "quest" && device != "rift" {
        return Err(Error::invalid_argument("device", "must be `quest` or `rift`"));
    }
    Ok(())
}

impl Client {
    /// Validates the configuration and starts the workers.
    pub fn new(config: Config) -> Result<Client> {
        let logger = Logger::new();
        let transport = Transport::new(&config, logger.clone())?;
        let data = config.data_dir.as_deref().map(DataDir::open).transpose()?;
        // The last signed-in user's list answers ownership at once, offline, until a token says otherwise.
        let cache = match data.as_ref().and_then(|d| d.load_session().map(|user| (d, user))) {
            Some((d, user)) => {
                let stored = d.load_purchases(user);
                PurchaseCache { user_id: Some(user), ids: stored.mod_ids.into_iter().collect(), confirmed_at: stored.confirmed_at }
            }
            None => PurchaseCache::default(),
        };
        let shared = Arc::new(Shared {
            transport,
            game_id: config.game_id,
            token: RwLock::new(None),
            token_generation: AtomicU64::new(0),
            identity: Mutex::new(None),
            purchases: RwLock::new(cache),
            data,
            inflight: Mutex::new(HashMap::new()),
            recovery_backlog: Mutex::new(Vec::new()),
            recovery_wanted: AtomicBool::new(false),
            recovery_lock: Mutex::new(()),
            cache_version: AtomicU64::new(0),
            cache_written: Mutex::new(0),
            logger,
        });
        let runtime = Runtime::new(shared, config.worker_threads, config.shutdown_timeout)?;
        Ok(Client { runtime, log_sink: CallbackSlot::new(), recovery_sink: CallbackSlot::new() })
    }

    pub(crate) fn shared(&self) -> &Shared {
        self.runtime.shared()
    }

    pub fn game_id(&self) -> u64 {
        self.shared().game_id
    }

    /// Sets or replaces the user's access token; `None` (or an empty token) clears it.
    /// Requests already running keep the token they started with.
    pub fn set_access_token(&self, token: Option<Secret>) {
        self.shared().set_token(token);
    }

    pub fn has_access_token(&self) -> bool {
        self.shared().token().0.is_some()
    }

    /// Routes log records at `max_level` or more severe to `sink`, which runs inside poll/wait.
    /// `None` turns logging off.
    pub fn set_logger(&self, max_level: Option<LogLevel>, sink: Option<LogSink>) {
        self.log_sink.set(sink);
        self.shared().logger.set_max_level(max_level);
    }

    /// Registers the callback that hears how journaled checkouts from an earlier run ended
    /// (see [`RecoveryReport`]). It runs inside poll/wait. Reports that arrive before one is
    /// registered wait for it.
    pub fn set_recovery_callback(&self, sink: Option<RecoverySink>) {
        self.recovery_sink.set(sink);
    }

    /// Work done at the start of every poll/wait, on the polling thread.
    fn pump_housekeeping(&self) {
        self.flush_logs();
        let shared = self.shared();
        if shared.recovery_wanted.swap(false, Ordering::AcqRel) {
            let queued = self.runtime.submit(
                |shared: &Shared, ctx: &JobContext| match crate::checkout::recover(shared, ctx) {
                    Ok(reports) => {
                        lock(&shared.recovery_backlog).extend(reports);
                        Ok(())
                    }
                    Err(e) => {
                        shared.logger.log(LogLevel::Warn, format_args!("checkout recovery did not run: {e}"));
                        Err(e)
                    }
                },
                |_, _outcome: Result<()>| {
                    // The reports went to the backlog; flushed to the sink at the next poll.
                },
            );
            if let Err(e) = queued {
                shared.logger.log(LogLevel::Warn, format_args!("could not start checkout recovery: {e}"));
            }
        }
        if self.recovery_sink.is_set() {
            let reports = std::mem::take(&mut *lock(&shared.recovery_backlog));
            let undelivered = self.recovery_sink.deliver(reports, |sink, report| sink(report));
            if !undelivered.is_empty() {
                // The callback was replaced or cleared meanwhile: the rest waits for the next one.
                let mut backlog = lock(&shared.recovery_backlog);
                let later = std::mem::replace(&mut *backlog, undelivered);
                backlog.extend(later);
            }
        }
    }

    fn flush_logs(&self) {
        let records = self.shared().logger.drain();
        if records.is_empty() {
            return;
        }
        // Records the callback does not take (it turned logging off meanwhile) are dropped.
        self.log_sink.deliver(records, |sink, r| sink(r.level, &r.message));
    }

    /// Runs the callbacks of every request that has completed; never blocks. Returns how many ran.
    /// Refused with `Reentrant` from inside a callback.
    pub fn poll(&self) -> Result<usize> {
        self.runtime.poll(|| self.pump_housekeeping())
    }

    /// Blocks until the callback of `id` has run, running other callbacks that complete meanwhile.
    pub fn wait(&self, id: RequestId, timeout: Duration) -> Result<usize> {
        self.runtime.wait(Some(id), timeout, || self.pump_housekeeping())
    }

    /// Blocks until at least one callback has run.
    pub fn wait_any(&self, timeout: Duration) -> Result<usize> {
        self.runtime.wait(None, timeout, || self.pump_housekeeping())
    }

    /// Cancels a request: its callback reports `Cancelled` at the next poll. A request that already
    /// reached the server may still have taken effect (a checkout: refresh purchases to know).
    pub fn cancel(&self, id: RequestId) -> Result<()> {
        self.runtime.cancel(id)
    }

    /// How many requests are waiting for their callback.
    pub fn pending_requests(&self) -> usize {
        self.runtime.pending_count()
    }

    pub(crate) fn is_pumping_on_this_thread(&self) -> bool {
        self.runtime.is_pumping_on_this_thread()
    }

    /// Stops the client: every pending callback runs now with `ShutDown`, on this thread; workers
    /// are joined (bounded by the shutdown timeout). Also done on drop.
    pub fn shutdown(&self) {
        self.runtime.shutdown();
        self.flush_logs();
    }

    fn run<T, W>(&self, work: W, callback: impl Callback<T>) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&Shared, &JobContext) -> Result<T> + Send + 'static,
    {
        let callback: Box<dyn Callback<T>> = Box::new(callback);
        self.runtime.submit(work, move |id, result| callback.call(id, result))
    }

    // -----------------------------------------------------------------------------------------
    // Authentication
    // -----------------------------------------------------------------------------------------

    /// Signs the user in through a platform; on success the returned token becomes the client's.
    pub fn authenticate(&self, auth: PlatformAuth, options: AuthOptions, callback: impl Callback<AccessToken>) -> Result<RequestId> {
        let request = auth_request(auth, options)?;
        self.run(
            move |shared: &Shared, ctx: &JobContext| {
                let token = shared.transport.call(&request, None, AccessToken::decode, &|| ctx.is_cancelled())?;
                shared.set_token(Some(token.token.clone()));
                Ok(token)
            },
            callback,
        )
    }

    // -----------------------------------------------------------------------------------------
    // Wallet, entitlements
    // -----------------------------------------------------------------------------------------

    /// `GET /me/wallets`: the user's wallet for this game.
    pub fn get_wallet(&self, callback: impl Callback<Wallet>) -> Result<RequestId> {
        let request = ApiRequest::get("me/wallets", Auth::User).query("game_id", self.game_id());
        self.run(move |shared: &Shared, ctx: &JobContext| shared.call(&request, ctx, Wallet::decode), callback)
    }

    /// Converts the user's platform entitlements into virtual currency.
    pub fn sync_entitlements(&self, source: EntitlementSource, callback: impl Callback<EntitlementSync>) -> Result<RequestId> {
        // Sync consumes server-side: a repeat converts nothing twice, so it is safe to retry.
        let mut request = ApiRequest::post(format!("me/iap/{}/sync", source.portal_path()), Auth::User).idempotent();
        match &source {
            EntitlementSource::Steam => {}
            EntitlementSource::XboxLive { xbox_token } => {
                require_secret("xbox_token", xbox_token)?;
                request = request.secret_field("xbox_token", xbox_token);
            }
            EntitlementSource::Psn { auth_code, env, service_label } => {
                require_secret("auth_code", auth_code)?;
                request = request.secret_field("auth_code", auth_code);
                if let Some(env) = env {
                    request = request.field("env", env);
                }
                if let Some(label) = service_label {
                    request = request.field("service_label", label);
                }
            }
            EntitlementSource::Meta { device, user_id } => {
                validate_meta_device(device)?;
                if *user_id == 0 {
                    return Err(Error::invalid_argument("user_id", "must not be 0"));
                }
                request = request.field("device", device).field("user_id", user_id);
            }
            EntitlementSource::Apple { receipt } | EntitlementSource::Google { receipt } => {
                require_secret("receipt", receipt)?;
                request = request.secret_field("receipt", receipt);
            }
        }
        self.run(move |shared: &Shared, ctx: &JobContext| shared.call(&request, ctx, EntitlementSync::decode), callback)
    }

    // -----------------------------------------------------------------------------------------
    // Browsing
    // -----------------------------------------------------------------------------------------

    /// `GET /games/{id}`: the game's settings, including `api_access_options`.
    pub fn get_game(&self, callback: impl Callback<Game>) -> Result<RequestId> {
        let request = ApiRequest::get(format!("games/{}", self.game_id()), Auth::UserOrApiKey);
        self.run(move |shared: &Shared, ctx: &JobContext| shared.call(&request, ctx, Game::decode), callback)
    }

    /// `GET /games/{id}/mods` with `revenue_type`, pagination and an optional text search.
    pub fn get_mods(&self, query: ModQuery, callback: impl Callback<ModPage>) -> Result<RequestId> {
        if !(1..=100).contains(&query.limit) {
            return Err(Error::invalid_argument("limit", "must be between 1 and 100"));
        }
        let mut request = ApiRequest::get(format!("games/{}/mods", self.game_id()), Auth::UserOrApiKey)
            .query("revenue_type", query.revenue_type as u32)
            .query("_offset", query.offset)
            .query("_limit", query.limit);
        if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
            request = request.query("_q", search);
        }
        self.run(move |shared: &Shared, ctx: &JobContext| shared.call(&request, ctx, ModPage::decode), callback)
    }

    /// `GET /games/{id}/mods/{mod_id}`.
    pub fn get_mod(&self, mod_id: u64, callback: impl Callback<Mod>) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        let request = ApiRequest::get(format!("games/{}/mods/{mod_id}", self.game_id()), Auth::UserOrApiKey);
        self.run(move |shared: &Shared, ctx: &JobContext| shared.call(&request, ctx, Mod::decode), callback)
    }

    // -----------------------------------------------------------------------------------------
    // Checkout and ownership
    // -----------------------------------------------------------------------------------------

    /// Buys a mod with virtual currency (`type=0`). `display_amount` is the price shown to the
    /// player; `idempotency_key` is generated (UUID v4) when `None`. The key is reused by every
    /// retry and, with a data directory, across restarts until a definitive answer (see
    /// [`crate::checkout`]). On success the mod is owned at once (see [`Client::owns`]). A second
    /// checkout of the same mod while one is in flight joins it: both callbacks get its outcome.
    pub fn checkout(
        &self,
        mod_id: u64,
        display_amount: i64,
        idempotency_key: Option<String>,
        callback: impl Callback<CheckoutReceipt>,
    ) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        if display_amount < 0 || display_amount > i64::from(i32::MAX) {
            return Err(Error::invalid_argument("display_amount", "must be between 0 and 2147483647"));
        }
        let key = match idempotency_key {
            Some(k) => {
                validate_idempotency_key(&k)?;
                k
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let shared = self.runtime.shared();
        let slot = (shared.generation(), mod_id);
        let mut inflight = lock(&shared.inflight);
        if let Some(leader) = inflight.get(&slot).cloned() {
            drop(inflight);
            return self.run(move |_: &Shared, ctx: &JobContext| leader.join(ctx), callback);
        }
        let leader = Inflight::new(key.clone());
        inflight.insert(slot, Arc::clone(&leader));
        drop(inflight);
        let guard = InflightGuard { slot, inflight: leader, shared: Arc::downgrade(shared) };
        let created_at = now_unix();
        let submitted = self.run(
            move |shared: &Shared, ctx: &JobContext| {
                let outcome = run_checkout(shared, ctx, mod_id, display_amount, &key, created_at);
                guard.finish(&outcome);
                outcome
            },
            callback,
        );
        if submitted.is_err() {
            // Never queued: the guard was dropped with the job and cleared the slot.
        }
        submitted
    }

    /// Fetches every page of `GET /me/purchased` and replaces the ownership cache with it (and,
    /// with a data directory, the user's list on disk).
    pub fn refresh_purchases(&self, callback: impl Callback<Purchases>) -> Result<RequestId> {
        self.run(move |shared: &Shared, ctx: &JobContext| shared.fetch_purchases(ctx), callback)
    }

    /// Asks for journal recovery at the next poll (it also starts by itself whenever a token is
    /// set): call it when the network comes back after checkouts failed without a definitive answer.
    pub fn resume_checkouts(&self) {
        if self.shared().data.is_some() {
            self.shared().recovery_wanted.store(true, Ordering::Release);
        }
    }

    /// Whether the user owns `mod_id`, from the cache (refreshed by [`Client::refresh_purchases`]
    /// and successful checkouts). Never touches the network.
    pub fn owns(&self, mod_id: u64) -> bool {
        self.shared().purchases.read().unwrap_or_else(|p| p.into_inner()).ids.contains(&mod_id)
    }

    /// The cached purchased mod ids, sorted.
    pub fn owned_mod_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.shared().purchases.read().unwrap_or_else(|p| p.into_inner()).ids.iter().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// How long ago the server last confirmed the purchased list; `None` if never this session.
    pub fn purchases_age(&self) -> Option<Duration> {
        let confirmed = self.shared().purchases.read().unwrap_or_else(|p| p.into_inner()).confirmed_at?;
        Some(Duration::from_secs(now_unix().saturating_sub(confirmed).max(0) as u64))
    }

    // -----------------------------------------------------------------------------------------
    // S2S hand-off
    // -----------------------------------------------------------------------------------------

    /// `POST /me/s2s/oauth/token`: a user delegation token to hand to the studio's purchase server.
    pub fn request_delegation_token(&self, callback: impl Callback<DelegationToken>) -> Result<RequestId> {
        let request = ApiRequest::post("me/s2s/oauth/token", Auth::User);
        self.run(move |shared: &Shared, ctx: &JobContext| shared.call(&request, ctx, DelegationToken::decode), callback)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn auth_request(auth: PlatformAuth, options: AuthOptions) -> Result<ApiRequest> {
    let (path, mut request) = match &auth {
        PlatformAuth::Steam { appdata } => {
            require_secret("appdata", appdata)?;
            ("external/steamauth", ApiRequest::post("", Auth::ApiKey).secret_field("appdata", appdata))
        }
        PlatformAuth::XboxLive { xbox_token } => {
            require_secret("xbox_token", xbox_token)?;
            ("external/xboxauth", ApiRequest::post("", Auth::ApiKey).secret_field("xbox_token", xbox_token))
        }
        PlatformAuth::Psn { auth_code, env } => {
            require_secret("auth_code", auth_code)?;
            let mut r = ApiRequest::post("", Auth::ApiKey).secret_field("auth_code", auth_code);
            if let Some(env) = env {
                r = r.field("env", env);
            }
            ("external/psnauth", r)
        }
        PlatformAuth::Meta { device, nonce, user_id, access_token } => {
            validate_meta_device(device)?;
            require_secret("nonce", nonce)?;
            require_secret("access_token", access_token)?;
            if *user_id == 0 {
                return Err(Error::invalid_argument("user_id", "must not be 0"));
            }
            (
                "external/oculusauth",
                ApiRequest::post("", Auth::ApiKey)
                    .field("device", device)
                    .secret_field("nonce", nonce)
                    .field("user_id", user_id)
                    .secret_field("access_token", access_token),
            )
        }
        PlatformAuth::Apple { id_token } => {
            require_secret("id_token", id_token)?;
            ("external/appleauth", ApiRequest::post("", Auth::ApiKey).secret_field("id_token", id_token))
        }
        PlatformAuth::Google { auth_code, id_token } => {
            let auth_code = auth_code.as_ref().filter(|s| !s.is_empty());
            let id_token = id_token.as_ref().filter(|s| !s.is_empty());
            if auth_code.is_none() && id_token.is_none() {
                return Err(Error::invalid_argument("auth_code", "Google needs an auth_code or an id_token"));
            }
            let mut r = ApiRequest::post("", Auth::ApiKey);
            if let Some(code) = auth_code {
                r = r.secret_field("auth_code", code);
            }
            if let Some(token) = id_token {
                r = r.secret_field("id_token", token);
            }
            ("external/googleauth", r)
        }
        PlatformAuth::Epic { id_token } => {
            require_secret("id_token", id_token)?;
            ("external/epicgamesauth", ApiRequest::post("", Auth::ApiKey).secret_field("id_token", id_token))
        }
    };
    request.path = path.to_owned();
    request = request.field("terms_agreed", options.terms_agreed);
    if let Some(date) = options.date_expires {
        request = request.field("date_expires", date);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_a_running_callback_from_another_thread_waits_for_that_call() {
        use std::sync::atomic::AtomicBool;
        type Sink = Box<dyn FnMut(u32) + Send>;
        let slot: Arc<CallbackSlot<Sink>> = Arc::new(CallbackSlot::new());
        let (entered_tx, entered_rx) = crossbeam_channel::bounded::<()>(0);
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
        let finished = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&finished);
        slot.set(Some(Box::new(move |_| {
            entered_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            f.store(true, Ordering::SeqCst);
        })));
        let pumping = Arc::clone(&slot);
        let pump = std::thread::spawn(move || pumping.deliver(vec![1u32], |cb, i| cb(i)));
        entered_rx.recv().unwrap(); // the old callback is running on the pump thread
        let replacing = Arc::clone(&slot);
        let seen = Arc::clone(&finished);
        let replacer = std::thread::spawn(move || {
            replacing.set(None);
            // The game may free the old user_data now: the old call must be over.
            seen.load(Ordering::SeqCst)
        });
        release_tx.send(()).unwrap();
        assert!(replacer.join().unwrap(), "set returned while the old callback was still running");
        assert!(pump.join().unwrap().is_empty());
        assert!(!slot.is_set());
    }

    #[test]
    fn a_callback_may_replace_or_clear_its_own_slot_while_it_runs() {
        // Before: the slot's lock was held during the call, so a log callback that turned
        // logging off (or set a new callback) deadlocked the game thread.
        type Sink = Box<dyn FnMut(u32) + Send>;
        let slot: Arc<CallbackSlot<Sink>> = Arc::new(CallbackSlot::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s2, seen2) = (Arc::clone(&slot), Arc::clone(&seen));
        slot.set(Some(Box::new(move |n| {
            seen2.lock().unwrap().push(n);
            if n == 2 {
                s2.set(None); // turn myself off from inside
            }
        })));
        let rest = slot.deliver(vec![1, 2, 3, 4], |cb, n| cb(n));
        assert_eq!(*seen.lock().unwrap(), vec![1, 2], "nothing reaches a callback after it was cleared");
        assert_eq!(rest, vec![3, 4], "the undelivered items come back");
        assert!(!slot.is_set());
        assert_eq!(slot.deliver(vec![5], |cb, n| cb(n)), vec![5]);

        // Re-entry (the callback triggers another delivery on the same slot) is refused, not a deadlock.
        let inner = Arc::new(Mutex::new(None));
        let (s3, inner2) = (Arc::clone(&slot), Arc::clone(&inner));
        slot.set(Some(Box::new(move |_| {
            *inner2.lock().unwrap() = Some(s3.deliver(vec![9], |cb, n| cb(n)));
        })));
        assert!(slot.deliver(vec![1], |cb, n| cb(n)).is_empty());
        assert_eq!(*inner.lock().unwrap(), Some(vec![9]));
    }

    #[test]
    fn idempotency_keys_are_validated() {
        assert!(validate_idempotency_key("de6382c1-f077-4a53-9805-b0fa3b79478e").is_ok());
        assert!(validate_idempotency_key("a_b-C9").is_ok());
        for bad in ["", "has space", "semi;colon", "ünï", &"x".repeat(256)] {
            assert!(validate_idempotency_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn auth_requests_name_their_fields() {
        let r = auth_request(PlatformAuth::Steam { appdata: Secret::new("t") }, AuthOptions::agreed()).unwrap();
        assert_eq!(r.path, "external/steamauth");
        let r = auth_request(
            PlatformAuth::Meta { device: "quest".into(), nonce: "n".into(), user_id: 5, access_token: "a".into() },
            AuthOptions::default(),
        )
        .unwrap();
        assert_eq!(r.path, "external/oculusauth");
        let fields: Vec<&str> = r.form.as_ref().unwrap().iter().map(|(k, _)| *k).collect();
        assert_eq!(fields, ["device", "nonce", "user_id", "access_token", "terms_agreed"]);
        let e = auth_request(PlatformAuth::Google { auth_code: None, id_token: None }, AuthOptions::default()).unwrap_err();
        assert!(e.message().contains("auth_code"));
        let e = auth_request(
            PlatformAuth::Meta { device: "vive".into(), nonce: "n".into(), user_id: 5, access_token: "a".into() },
            AuthOptions::default(),
        )
        .unwrap_err();
        assert!(e.message().contains("device"));
    }
}
