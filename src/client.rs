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

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::attempts::{Inflight, RecoveryReport};
pub use crate::callbacks::{Callback, WithId};
use crate::callbacks::{CallbackSlot, LogOutput, LogSink};
use crate::checkout::{retry_unresolved, run_checkout, take_due, InflightGuard};
use crate::config::Config;
use crate::downloads::{DownloadProgress, InstalledMod, Installs};
use crate::error::{Error, Result, Secret};
use crate::keys::IdempotencyKey;
use crate::log::{LogLevel, Logger};
use crate::models::{
    AccessToken, CheckoutReceipt, DelegationToken, EntitlementSync, Game, Mod, ModPage, ModQuery, Modfile, Terms, TokenPacks,
    UnconvertedEntitlements, User, Wallet,
};
use crate::persist::{now_unix, DataDir};
use crate::platform::{auth_request, require_secret, AuthOptions, EntitlementQuery, EntitlementSource, PlatformAuth};
use crate::runtime::{lock, JobContext, RequestId, Runtime};
use crate::session::Session;
pub use crate::shared::Purchases;
use crate::shared::Shared;
use crate::transport::{ApiRequest, Auth, Transport};

type RecoverySink = Box<dyn FnMut(RecoveryReport) + Send>;

/// A mod.io Marketplace client. Cheap to share by reference across threads (`Send + Sync`);
/// callbacks run on whichever thread calls [`Client::poll`] or [`Client::wait`].
pub struct Client {
    runtime: Runtime<Shared>,
    logs: LogOutput,
    recovery_sink: CallbackSlot<RecoverySink>,
}

impl Client {
    /// Validates the configuration and starts the workers.
    pub fn new(config: Config) -> Result<Client> {
        let logger = Logger::new();
        let logs = LogOutput::new(logger.clone());
        let transport = Transport::new(&config, logger.clone())?;
        let data = config.data_dir.as_deref().map(DataDir::open).transpose()?;
        let installs = config.install_dir.as_deref().map(|dir| Installs::open(dir, config.data_dir.as_deref()));
        let shared = Arc::new(Shared::new(transport, config.game_id, data, config.background_retry.clone(), logger, installs));
        let doorbell = shared.logger.doorbell();
        let runtime = Runtime::new(shared, config.worker_threads, config.shutdown_timeout, doorbell)?;
        Ok(Client { runtime, logs, recovery_sink: CallbackSlot::new() })
    }

    pub(crate) fn shared(&self) -> &Shared {
        self.runtime.shared()
    }

    pub fn game_id(&self) -> u64 {
        self.shared().game_id
    }

    /// Sets or replaces the user's access token; `None` (or an empty token) clears it. Either
    /// starts a new session: requests submitted before keep the session (token, user) they
    /// captured, and their answers never reach this one's ownership view. `owns()` answers
    /// "not owned" until the new player's list is known: at once when the data directory
    /// remembers this token (it reads that user's stored list), else after `GET /me`.
    pub fn set_access_token(&self, token: Option<Secret>) {
        self.shared().begin_session(token);
    }

    pub fn has_access_token(&self) -> bool {
        self.shared().sessions.current().token().is_some()
    }

    /// Routes log records at `max_level` or more severe to `sink`, which runs inside poll/wait.
    /// `None` turns logging off.
    pub fn set_logger(&self, max_level: Option<LogLevel>, sink: Option<LogSink>) {
        self.logs.set(max_level, sink);
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
        if shared.progress.is_dirty() {
            shared.progress.deliver(|id| self.runtime.is_pending(id));
        }
        if shared.unresolved_count.load(Ordering::Acquire) > 0 {
            self.start_background_retries(false);
        }
        if shared.recovery_wanted.load(Ordering::Acquire) && shared.recovery_wanted.swap(false, Ordering::AcqRel) {
            let session = shared.sessions.current();
            let queued = self.runtime.submit(
                move |shared: &Shared, ctx: &JobContext| match crate::checkout::recover(shared, &session, ctx) {
                    Ok(()) => Ok(()),
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
        if shared.recovery_backlog_filled.load(Ordering::Acquire) && self.recovery_sink.is_set() {
            shared.recovery_backlog_filled.store(false, Ordering::Release);
            let reports = std::mem::take(&mut *lock(&shared.recovery_backlog));
            let undelivered = self.recovery_sink.deliver(reports, |sink, report| sink(report));
            if !undelivered.is_empty() {
                // The callback was replaced or cleared meanwhile: the rest waits for the next one.
                let mut backlog = lock(&shared.recovery_backlog);
                let later = std::mem::replace(&mut *backlog, undelivered);
                backlog.extend(later);
                shared.recovery_backlog_filled.store(true, Ordering::Release);
            }
        }
    }

    /// Submits a background resend for each unresolved attempt that is due (`all`: every one).
    fn start_background_retries(&self, all: bool) {
        for unresolved in take_due(self.shared(), all) {
            let key = unresolved.attempt.key.clone();
            let queued = self.runtime.submit(
                move |shared: &Shared, ctx: &JobContext| {
                    retry_unresolved(shared, unresolved, ctx);
                    Ok(())
                },
                |_, _outcome: Result<()>| {},
            );
            if queued.is_err() {
                // Shutting down: the attempt stays journaled (with a data directory) for next time.
                self.shared().release(&key);
            }
        }
    }

    fn flush_logs(&self) {
        self.logs.flush();
    }

    /// Runs the callbacks of every request that has completed; never blocks. Returns how many ran.
    /// Refused with `Reentrant` from inside a callback.
    #[inline]
    pub fn poll(&self) -> Result<usize> {
        if self.runtime.is_idle() && !self.housekeeping_due() {
            return Ok(0);
        }
        self.poll_queued()
    }

    /// Out of line, so that the idle check above inlines into the C export without the full
    /// path's stack frame.
    #[inline(never)]
    fn poll_queued(&self) -> Result<usize> {
        self.runtime.poll(|| self.pump_housekeeping())
    }

    /// Whether [`Client::pump_housekeeping`] has anything to do besides the logs (which ring the
    /// runtime's bell): four loads.
    fn housekeeping_due(&self) -> bool {
        let shared = self.shared();
        shared.unresolved_count.load(Ordering::Acquire) > 0
            || shared.recovery_wanted.load(Ordering::Acquire)
            || shared.recovery_backlog_filled.load(Ordering::Acquire)
            || shared.progress.is_dirty()
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

    /// Whether this thread is inside this client's `poll`/`wait` (a callback is running): then
    /// freeing the client must wait until the pump returns.
    pub fn is_pumping_on_this_thread(&self) -> bool {
        self.runtime.is_pumping_on_this_thread()
    }

    /// Stops the client: every pending callback runs now with `ShutDown`, on this thread; workers
    /// are joined (bounded by the shutdown timeout). Also done on drop.
    pub fn shutdown(&self) {
        self.runtime.shutdown();
        self.flush_logs();
    }

    /// Submits `work` in the session current now: it runs with that session whatever tokens
    /// are set before a worker picks it up.
    fn run<T, W>(&self, work: W, callback: impl Callback<T>) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&Shared, &Arc<Session>, &JobContext) -> Result<T> + Send + 'static,
    {
        let session = self.shared().sessions.current();
        self.run_in(session, work, callback)
    }

    fn run_in<T, W>(&self, session: Arc<Session>, work: W, callback: impl Callback<T>) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&Shared, &Arc<Session>, &JobContext) -> Result<T> + Send + 'static,
    {
        crate::callbacks::submit(&self.runtime, move |shared: &Shared, ctx: &JobContext| work(shared, &session, ctx), callback)
    }

    // -----------------------------------------------------------------------------------------
    // Authentication
    // -----------------------------------------------------------------------------------------

    /// Signs the user in through a platform; on success the returned token becomes the client's.
    pub fn authenticate(&self, auth: PlatformAuth, options: AuthOptions, callback: impl Callback<AccessToken>) -> Result<RequestId> {
        let request = auth_request(auth, options)?;
        self.run(
            move |shared: &Shared, _: &Arc<Session>, ctx: &JobContext| {
                let token = shared.transport.call(&request, None, AccessToken::decode, &|| ctx.is_cancelled())?;
                shared.begin_session(Some(token.token.clone()));
                Ok(token)
            },
            callback,
        )
    }

    /// `GET /authenticate/terms`: the text, buttons and links the game must show before a
    /// player's first sign-in, in the configured language ([`Config::language`]) and worded for
    /// the configured portal. Pass the player's answer as [`AuthOptions::terms_agreed`]. Works
    /// with the API key alone.
    pub fn get_terms(&self, callback: impl Callback<Terms>) -> Result<RequestId> {
        self.run(
            move |shared: &Shared, _: &Arc<Session>, ctx: &JobContext| {
                let request = ApiRequest::get("authenticate/terms", Auth::ApiKey);
                shared.transport.call(&request, None, Terms::decode, &|| ctx.is_cancelled())
            },
            callback,
        )
    }

    /// `GET /me`: the signed-in player.
    pub fn get_user(&self, callback: impl Callback<User>) -> Result<RequestId> {
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                shared.call(&ApiRequest::get("me", Auth::User), session, ctx, User::decode)
            },
            callback,
        )
    }

    // -----------------------------------------------------------------------------------------
    // Wallet, entitlements
    // -----------------------------------------------------------------------------------------

    /// `GET /games/{id}/monetization/token-packs`: the currency packs the game sells, with the
    /// game's currency name (read from `GET /games/{id}` in the same request).
    pub fn get_token_packs(&self, callback: impl Callback<TokenPacks>) -> Result<RequestId> {
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                let request = ApiRequest::get(format!("games/{}/monetization/token-packs", shared.game_id), Auth::User);
                let packs = shared.call(&request, session, ctx, TokenPacks::decode_packs)?;
                let game =
                    shared.call(&ApiRequest::get(format!("games/{}", shared.game_id), Auth::UserOrApiKey), session, ctx, Game::decode)?;
                Ok(TokenPacks { packs, token_name: game.token_name })
            },
            callback,
        )
    }

    /// `POST /me/entitlements`: what the player bought on `query`'s platform and has not
    /// converted yet (so a game can say "2 packs to convert" before [`Client::sync_entitlements`]).
    /// Converts nothing.
    pub fn get_unconverted_entitlements(
        &self,
        query: EntitlementQuery,
        callback: impl Callback<UnconvertedEntitlements>,
    ) -> Result<RequestId> {
        let request = query.request(self.game_id(), self.shared().transport.has_platform)?;
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                shared.call(&request, session, ctx, UnconvertedEntitlements::decode)
            },
            callback,
        )
    }

    /// `GET /me/wallets`: the user's wallet for this game.
    pub fn get_wallet(&self, callback: impl Callback<Wallet>) -> Result<RequestId> {
        // The request's strings are made on the worker: the game thread only queues (issue 12).
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                let request = ApiRequest::get("me/wallets", Auth::User).query("game_id", shared.game_id);
                shared.call(&request, session, ctx, Wallet::decode)
            },
            callback,
        )
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
                if *user_id == 0 {
                    return Err(Error::invalid_argument("user_id", "must not be 0"));
                }
                request = request.field("device", device.as_str()).field("user_id", user_id);
            }
            EntitlementSource::Apple { receipt } | EntitlementSource::Google { receipt } => {
                require_secret("receipt", receipt)?;
                request = request.secret_field("receipt", receipt);
            }
        }
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| shared.call(&request, session, ctx, EntitlementSync::decode),
            callback,
        )
    }

    // -----------------------------------------------------------------------------------------
    // Browsing
    // -----------------------------------------------------------------------------------------

    /// `GET /games/{id}`: the game's settings, including `api_access_options`.
    pub fn get_game(&self, callback: impl Callback<Game>) -> Result<RequestId> {
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                let request = ApiRequest::get(format!("games/{}", shared.game_id), Auth::UserOrApiKey);
                shared.call(&request, session, ctx, Game::decode)
            },
            callback,
        )
    }

    /// `GET /games/{id}/mods` with `revenue_type`, pagination, a text search, the filters and
    /// the order of [`ModQuery`] (checked here, before anything is queued).
    pub fn get_mods(&self, query: ModQuery, callback: impl Callback<ModPage>) -> Result<RequestId> {
        query.validate()?;
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                let mut request = ApiRequest::get(format!("games/{}/mods", shared.game_id), Auth::UserOrApiKey);
                for (name, value) in query.parameters() {
                    request = request.query(name, value);
                }
                shared.call(&request, session, ctx, ModPage::decode)
            },
            callback,
        )
    }

    /// `GET /games/{id}/mods/{mod_id}`.
    pub fn get_mod(&self, mod_id: u64, callback: impl Callback<Mod>) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                let request = ApiRequest::get(format!("games/{}/mods/{mod_id}", shared.game_id), Auth::UserOrApiKey);
                shared.call(&request, session, ctx, Mod::decode)
            },
            callback,
        )
    }

    /// `GET /games/{id}/mods/{mod_id}/files/{modfile_id}`: one file of a mod, with a fresh
    /// `binary_url` (download links of games without direct downloads expire: see
    /// `date_expires`).
    pub fn get_modfile(&self, mod_id: u64, modfile_id: u64, callback: impl Callback<Modfile>) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        if modfile_id == 0 {
            return Err(Error::invalid_argument("modfile_id", "must not be 0"));
        }
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                crate::install::fetch_modfile(shared, session, ctx, mod_id, modfile_id)
            },
            callback,
        )
    }

    /// Downloads and installs `mod_id` into the install directory ([`Config::install_dir`]), or
    /// updates it when mod.io has a newer modfile; answers at once, without a download, when the
    /// current modfile is installed. Follows the game's `api_access_options`: the player's token
    /// is sent when downloads need a signed-in player, and a paid mod the player does not own is
    /// refused (`NotOwned`) before any byte is fetched when only owners may download paid mods.
    /// The archive streams to disk, its size and MD5 are checked (`IntegrityFailed`: deleted),
    /// an interrupted download resumes where it stopped (in this run or the next), and it is
    /// extracted beside the mod's directory and renamed into place; an entry that would land
    /// outside it refuses the whole archive (`UnsafeArchive`). A full disk is `DiskFull`.
    ///
    /// `progress` runs inside poll on the polling thread, at most five times a second, never
    /// after the completion callback. Cancel at any time with [`Client::cancel`] (the part
    /// downloaded so far is kept for next time). Operations on one mod run one after the other:
    /// a second install of a mod being installed waits for the first, then finds it installed.
    pub fn install_mod(
        &self,
        mod_id: u64,
        progress: impl FnMut(RequestId, DownloadProgress) + Send + 'static,
        callback: impl Callback<InstalledMod>,
    ) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        let shared = self.shared();
        shared.installs.as_ref().ok_or_else(crate::install::no_install_dir)?;
        let slot = shared.progress.register(Box::new(progress));
        // Dropped with the job however it ends (run, refused, never run): the entry then goes.
        let finish = crate::downloads::progress::FinishOnDrop(Arc::clone(&slot));
        let submitted = self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                crate::install::install(shared, session, ctx, mod_id, &finish.0)
            },
            callback,
        );
        match submitted {
            Ok(id) => {
                slot.set_id(id);
                Ok(id)
            }
            Err(e) => {
                shared.progress.unregister(&slot);
                Err(e)
            }
        }
    }

    /// Removes an installed mod (its directory, then its entry in the list); `InvalidArgument`
    /// when it is not installed. The files are deleted on a worker.
    pub fn uninstall_mod(&self, mod_id: u64, callback: impl Callback<InstalledMod>) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        self.shared().installs.as_ref().ok_or_else(crate::install::no_install_dir)?;
        self.run(move |shared: &Shared, _: &Arc<Session>, ctx: &JobContext| crate::install::uninstall(shared, ctx, mod_id), callback)
    }

    /// What is installed in the install directory, by mod id (from memory: no disk access).
    pub fn installed_mods(&self) -> Result<Vec<InstalledMod>> {
        Ok(self.shared().installs.as_ref().ok_or_else(crate::install::no_install_dir)?.list())
    }

    // -----------------------------------------------------------------------------------------
    // Checkout and ownership
    // -----------------------------------------------------------------------------------------

    /// Buys a mod with virtual currency (`type=0`). `display_amount` is the price shown to the
    /// player; `idempotency_key` is generated (UUID v4) when `None`. The checkout runs in the
    /// session current now: that token pays and that player owns, even when the token changes
    /// before it is sent. The key is reused by every retry and, with a data directory, across
    /// restarts until a definitive answer; a key already used for another mod, price or player
    /// is refused (`InvalidArgument`) before anything is sent. The receipt must name this mod in
    /// a paid or cleared state (else `UnexpectedAnswer`, and nothing is owned). On success the
    /// mod is owned at once (see [`Client::owns`]); on 900034 the purchased list is refreshed and
    /// the mod is owned too. Left without an answer by a transient failure, the attempt is resent
    /// in the background (see [`BackgroundRetry`](crate::BackgroundRetry)) and its outcome
    /// reaches the recovery callback. A second checkout of the same mod while one is in flight
    /// (same session) joins it: both callbacks get its outcome.
    pub fn checkout(
        &self,
        mod_id: u64,
        display_amount: i64,
        idempotency_key: Option<IdempotencyKey>,
        callback: impl Callback<CheckoutReceipt>,
    ) -> Result<RequestId> {
        if mod_id == 0 {
            return Err(Error::invalid_argument("mod_id", "must not be 0"));
        }
        if display_amount < 1 || display_amount > i64::from(i32::MAX) {
            // 0 would be a free mod, which mod.io does not sell (403 / 900014): nothing to buy.
            return Err(Error::invalid_argument("display_amount", "must be between 1 and 2147483647 (a free mod is not bought)"));
        }
        // A typed key was checked when it was made; none means a fresh UUID v4.
        let key = idempotency_key.unwrap_or_else(IdempotencyKey::generate).as_str().to_owned();
        let shared = self.runtime.shared();
        let session = shared.sessions.current();
        let slot = (session.epoch, mod_id);
        let mut inflight = lock(&shared.inflight);
        if let Some(leader) = inflight.get(&slot).cloned() {
            drop(inflight);
            return self.run_in(session, move |_: &Shared, _: &Arc<Session>, ctx: &JobContext| leader.join(ctx), callback);
        }
        let leader = Inflight::new();
        inflight.insert(slot, Arc::clone(&leader));
        drop(inflight);
        // Dropped with the job if it never runs (cancelled while queued, shut down): clears the slot.
        let guard = InflightGuard { slot, inflight: leader, shared: Arc::downgrade(shared) };
        let created_at = now_unix();
        self.run_in(
            session,
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| {
                let outcome = run_checkout(shared, session, ctx, mod_id, display_amount, &key, created_at);
                guard.finish(&outcome);
                outcome
            },
            callback,
        )
    }

    /// Fetches every page of `GET /me/purchased` and replaces the ownership cache with it (and,
    /// with a data directory, the user's list on disk).
    pub fn refresh_purchases(&self, callback: impl Callback<Purchases>) -> Result<RequestId> {
        self.run(move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| shared.fetch_purchases(session, ctx), callback)
    }

    /// Resends now every attempt waiting for its background retry, and asks for journal recovery
    /// at the next poll (it also starts by itself whenever a token is set): call it when the
    /// network comes back after checkouts failed without a definitive answer.
    pub fn resume_checkouts(&self) {
        self.start_background_retries(true);
        if self.shared().data.is_some() {
            self.shared().recovery_wanted.store(true, Ordering::Release);
        }
    }

    /// Whether the current session's player owns `mod_id`, from the cache (refreshed by
    /// [`Client::refresh_purchases`] and successful checkouts). Never touches the network, never
    /// answers from another player's list: false until the current player's list is known.
    pub fn owns(&self, mod_id: u64) -> bool {
        let shared = self.shared();
        shared.ownership.owns(shared.sessions.current_epoch(), mod_id)
    }

    /// The current player's cached purchased mod ids, sorted.
    pub fn owned_mod_ids(&self) -> Vec<u64> {
        let shared = self.shared();
        shared.ownership.owned_ids(shared.sessions.current_epoch())
    }

    /// How long ago the server last confirmed the current player's purchased list; `None` if
    /// never (or not yet known for this session).
    pub fn purchases_age(&self) -> Option<Duration> {
        let shared = self.shared();
        let confirmed = shared.ownership.confirmed_at(shared.sessions.current_epoch())?;
        Some(Duration::from_secs(now_unix().saturating_sub(confirmed).max(0) as u64))
    }

    // -----------------------------------------------------------------------------------------
    // S2S hand-off
    // -----------------------------------------------------------------------------------------

    /// `POST /me/s2s/oauth/token`: a user delegation token to hand to the studio's purchase server.
    pub fn request_delegation_token(&self, callback: impl Callback<DelegationToken>) -> Result<RequestId> {
        let request = ApiRequest::post("me/s2s/oauth/token", Auth::User);
        self.run(
            move |shared: &Shared, session: &Arc<Session>, ctx: &JobContext| shared.call(&request, session, ctx, DelegationToken::decode),
            callback,
        )
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}
