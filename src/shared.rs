//! What a client's worker threads share with the game's thread: the transport, the sessions, the
//! ownership cache, the data directory and the checkout bookkeeping.
//!
//! Every operation here that talks to mod.io or writes state takes the [`Session`] its request
//! captured when it was submitted; none reads "the current token" on its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::attempts::{BackgroundRetry, Inflight, RecoveryReport, Unresolved, KEY_LIFETIME_SECS};
use crate::downloads::progress::ProgressBoard;
use crate::downloads::Installs;
use crate::error::{Error, Result, Secret};
use crate::log::{LogLevel, Logger};
use crate::models::{Mod, ModPage, User};
use crate::ownership::Ownership;
use crate::persist::{now_unix, DataDir, KnownSessions};
use crate::runtime::{lock, JobContext};
use crate::session::{fingerprint, Session, Sessions};
use crate::transport::{ApiRequest, Auth, Transport};

/// The result of a purchases refresh: every purchased mod.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Purchases {
    pub mods: Vec<Mod>,
}

/// What an idempotency key was first used for. mod.io replays a key's first answer for 24 hours,
/// so the same key sent for another mod, price or player would come back as the first purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyUse {
    pub user_id: u64,
    pub mod_id: u64,
    pub display_amount: i64,
}

/// Upper bound on pages fetched by one purchases refresh: stops a server that never ends a list.
const MAX_PURCHASE_PAGES: u64 = 10_000;
const PAGE_LIMIT: u64 = 100;

pub(crate) struct Shared {
    pub(crate) transport: Transport,
    pub(crate) game_id: u64,
    pub(crate) sessions: Sessions,
    /// Salted fingerprints of recent tokens and their users (with a data directory).
    known_sessions: Mutex<KnownSessions>,
    pub(crate) ownership: Ownership,
    /// The game's data directory, when configured: journal and on-disk ownership cache.
    pub(crate) data: Option<DataDir>,
    /// Checkouts in flight, by (session epoch, mod id), so a second buy joins the first.
    pub(crate) inflight: Mutex<HashMap<(u64, u64), Arc<Inflight>>>,
    /// Every idempotency key used in the last 24 hours, with what it bought.
    key_uses: Mutex<HashMap<String, (KeyUse, i64)>>,
    /// Keys being worked on (a checkout in flight, a background retry, a recovery pass), counted:
    /// recovery leaves them alone.
    claims: Mutex<HashMap<String, u32>>,
    /// Attempts left without a definitive answer, retried in the background while the client lives.
    pub(crate) unresolved: Mutex<Vec<Unresolved>>,
    /// `unresolved.len()`, readable by poll without taking the lock.
    pub(crate) unresolved_count: AtomicUsize,
    pub(crate) background_retry: BackgroundRetry,
    /// Recovery reports waiting for the next poll.
    pub(crate) recovery_backlog: Mutex<Vec<RecoveryReport>>,
    /// Whether `recovery_backlog` may hold reports: read by every poll before it takes the lock.
    pub(crate) recovery_backlog_filled: AtomicBool,
    /// Set when a token appears: the next poll starts journal recovery for its session.
    pub(crate) recovery_wanted: AtomicBool,
    /// One recovery at a time.
    pub(crate) recovery_lock: Mutex<()>,
    pub(crate) logger: Logger,
    /// The install directory, when configured.
    pub(crate) installs: Option<Arc<Installs>>,
    /// Downloads in flight and their progress callbacks.
    pub(crate) progress: Arc<ProgressBoard>,
}

impl Shared {
    pub fn new(
        transport: Transport,
        game_id: u64,
        data: Option<DataDir>,
        background_retry: BackgroundRetry,
        logger: Logger,
        installs: Option<Installs>,
    ) -> Shared {
        let progress = ProgressBoard::new(logger.doorbell());
        let known = data.as_ref().map(DataDir::load_sessions).unwrap_or_default();
        Shared {
            transport,
            game_id,
            sessions: Sessions::new(),
            known_sessions: Mutex::new(known),
            ownership: Ownership::new(data.clone(), logger.clone()),
            data,
            inflight: Mutex::new(HashMap::new()),
            key_uses: Mutex::new(HashMap::new()),
            claims: Mutex::new(HashMap::new()),
            unresolved: Mutex::new(Vec::new()),
            unresolved_count: AtomicUsize::new(0),
            background_retry,
            recovery_backlog: Mutex::new(Vec::new()),
            recovery_backlog_filled: AtomicBool::new(false),
            recovery_wanted: AtomicBool::new(false),
            recovery_lock: Mutex::new(()),
            logger,
            installs: installs.map(Arc::new),
            progress,
        }
    }

    /// Starts a new session with `token` (`None` or empty: signed out). When the data directory
    /// remembers this token's fingerprint, the session knows its user at once and the ownership
    /// view takes that user's stored list, offline; otherwise the view is empty until the user
    /// is known. Requests of earlier sessions keep their own token.
    pub fn begin_session(&self, token: Option<Secret>) -> Arc<Session> {
        let session = self.sessions.begin(token, |session| {
            if let (Some(_), Some(token)) = (&self.data, session.token()) {
                let known = lock(&self.known_sessions);
                if let Some(user) = known.user_for(&fingerprint(&known.salt, token)) {
                    session.resolve(user);
                }
            }
            // Before the session becomes current: no request of it can write to an older view.
            self.ownership.switch_to(session.epoch, session.user_id());
        });
        if session.token().is_some() && self.data.is_some() {
            self.recovery_wanted.store(true, Ordering::Release);
        }
        session
    }

    /// Sends with the session's token and decodes, retrying when the request is safe to repeat.
    pub fn call<T>(&self, request: &ApiRequest, session: &Session, ctx: &JobContext, decode: impl Fn(&[u8]) -> Result<T>) -> Result<T> {
        self.transport.call(request, session.token(), decode, &|| ctx.is_cancelled())
    }

    /// The user behind the session's token (`GET /me` with that token, once per session). The
    /// ownership view and the data directory learn it too.
    pub fn identify(&self, session: &Session, ctx: &JobContext) -> Result<u64> {
        if let Some(user) = session.user_id() {
            return Ok(user);
        }
        let me = self.call(&ApiRequest::get("me", Auth::User), session, ctx, User::decode)?;
        let user = session.resolve(me.id);
        self.ownership.resolve_user(session.epoch, user);
        if let (Some(data), Some(token)) = (&self.data, session.token()) {
            let mut known = lock(&self.known_sessions);
            let print = fingerprint(&known.salt, token);
            if known.remember(print, user) {
                if let Err(e) = data.save_sessions(&known) {
                    self.logger.log(LogLevel::Warn, format_args!("could not remember the signed-in user: {e}"));
                }
            }
        }
        Ok(user)
    }

    /// Every purchased mod (all pages of `GET /me/purchased`) of the session's user; replaces
    /// that user's list (in view only if the view is that session's or that user's).
    pub fn fetch_purchases(&self, session: &Session, ctx: &JobContext) -> Result<Purchases> {
        let user = if self.data.is_some() { Some(self.identify(session, ctx)?) } else { session.user_id() };
        let started_ms = self.ownership.stamp();
        let mut mods = Vec::new();
        let mut offset = 0u64;
        for _ in 0..MAX_PURCHASE_PAGES {
            let request = ApiRequest::get("me/purchased", Auth::User)
                .query("game_id", self.game_id)
                .query("_offset", offset)
                .query("_limit", PAGE_LIMIT);
            let page = self.call(&request, session, ctx, ModPage::decode)?;
            let count = page.mods.len() as u64;
            mods.extend(page.mods);
            offset += count;
            if count == 0 || offset >= page.page.result_total {
                let ids: crate::ownership::IdSet = mods.iter().map(|m| m.id).collect();
                self.ownership.replace(session.epoch, user, ids, started_ms);
                return Ok(Purchases { mods });
            }
        }
        Err(Error::malformed("the purchased list did not end after 10000 pages"))
    }

    /// Binds `key` to what it buys, or refuses it when it was already used, in this client in the
    /// last 24 hours or in the journal, for another mod, price or player.
    pub fn bind_key(&self, key: &str, wanted: KeyUse) -> Result<()> {
        let refuse = || {
            Error::invalid_argument(
                "idempotency_key",
                "was already used for another purchase (another mod, price or player); each purchase needs its own key",
            )
        };
        if let Some(entry) = self.data.as_ref().and_then(|d| d.entry(key)) {
            if (entry.user_id, entry.mod_id, entry.display_amount) != (wanted.user_id, wanted.mod_id, wanted.display_amount) {
                return Err(refuse());
            }
        }
        let now = now_unix();
        let mut uses = lock(&self.key_uses);
        uses.retain(|_, (_, at)| now.saturating_sub(*at) < KEY_LIFETIME_SECS);
        match uses.get(key) {
            Some((used, _)) if *used != wanted => Err(refuse()),
            Some(_) => Ok(()),
            None => {
                uses.insert(key.to_owned(), (wanted, now));
                Ok(())
            }
        }
    }

    /// Marks `key` as being worked on.
    pub fn claim(&self, key: &str) {
        *lock(&self.claims).entry(key.to_owned()).or_insert(0) += 1;
    }

    /// Claims `key` only if nobody works on it; false when someone does.
    pub fn try_claim(&self, key: &str) -> bool {
        let mut claims = lock(&self.claims);
        if claims.contains_key(key) {
            return false;
        }
        claims.insert(key.to_owned(), 1);
        true
    }

    pub fn release(&self, key: &str) {
        let mut claims = lock(&self.claims);
        if let Some(n) = claims.get_mut(key) {
            *n -= 1;
            if *n == 0 {
                claims.remove(key);
            }
        }
    }

    pub fn report(&self, report: RecoveryReport) {
        lock(&self.recovery_backlog).push(report);
        self.recovery_backlog_filled.store(true, Ordering::Release);
    }

    /// Hands an attempt to the background retry, due after `delay`.
    pub fn defer(&self, attempt: Unresolved, delay: Duration) {
        let mut queue = lock(&self.unresolved);
        queue.push(attempt.due_in(delay));
        self.unresolved_count.store(queue.len(), Ordering::Release);
    }
}
