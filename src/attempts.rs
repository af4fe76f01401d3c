//! The data of purchase attempts: what one attempt is, how it ended, and the bookkeeping the
//! client keeps for attempts in flight or waiting for a background resend. The algorithms that
//! move attempts along are in `checkout`.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::models::CheckoutReceipt;
use crate::persist::JournalEntry;
use crate::runtime::{lock, JobContext};
use crate::session::Session;

/// mod.io keeps an idempotency key's answer this long; after it a resend could charge again.
pub const KEY_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// A journal entry dated further in the future than this is not trusted as young (clock skew
/// between runs is allowed this much); it is settled against the purchased list, never resent.
pub const MAX_FUTURE_SKEW_SECS: i64 = 5 * 60;

/// Whether a journaled attempt may be resent with its key: made within the key's lifetime, and
/// not dated in the future beyond clock skew. Saturating arithmetic: `i64::MIN`/`MAX` are old/future.
pub(crate) fn is_resendable(created_at: i64, now: i64) -> bool {
    created_at >= now.saturating_sub(KEY_LIFETIME_SECS) && created_at <= now.saturating_add(MAX_FUTURE_SKEW_SECS)
}

/// How unresolved attempts are retried in the background while the client lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundRetry {
    /// Wait before the first background resend; doubles each time.
    pub first_delay: Duration,
    /// Longest wait between two resends.
    pub max_delay: Duration,
    /// Background resends in all before the attempt is left to the next recovery (0: none).
    pub max_attempts: u32,
}

impl Default for BackgroundRetry {
    fn default() -> BackgroundRetry {
        BackgroundRetry { first_delay: Duration::from_secs(2), max_delay: Duration::from_secs(60), max_attempts: 8 }
    }
}

impl BackgroundRetry {
    /// The one place these settings are checked (the builder and the C setter both call it).
    pub fn validate(&self) -> Result<()> {
        if self.max_attempts > 100 || self.first_delay.is_zero() || self.max_delay < self.first_delay {
            return Err(Error::invalid_argument(
                "background_retry",
                "needs first_delay > 0, max_delay >= first_delay and at most 100 attempts",
            ));
        }
        Ok(())
    }

    pub(crate) fn delay(&self, tries: u32) -> Duration {
        self.first_delay.saturating_mul(1u32 << tries.min(20)).min(self.max_delay)
    }
}

/// One purchase attempt: who buys what, at which price, under which key, since when.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attempt {
    pub user_id: u64,
    pub mod_id: u64,
    pub display_amount: i64,
    pub key: String,
    pub created_at: i64,
}

impl Attempt {
    pub(crate) fn from_entry(entry: &JournalEntry) -> Attempt {
        Attempt {
            user_id: entry.user_id,
            mod_id: entry.mod_id,
            display_amount: entry.display_amount,
            key: entry.idempotency_key.clone(),
            created_at: entry.created_at,
        }
    }

    pub(crate) fn report(&self, outcome: RecoveryOutcome) -> RecoveryReport {
        RecoveryReport {
            user_id: self.user_id,
            mod_id: self.mod_id,
            display_amount: self.display_amount,
            idempotency_key: self.key.clone(),
            attempted_at: self.created_at,
            outcome,
        }
    }
}

/// An attempt waiting for its next background resend, with the session it was made in.
pub(crate) struct Unresolved {
    pub session: Arc<Session>,
    pub attempt: Attempt,
    /// Background resends so far.
    pub tries: u32,
    pub due: Instant,
}

impl Unresolved {
    pub fn due_in(mut self, delay: Duration) -> Unresolved {
        self.due = Instant::now() + delay;
        self
    }
}

/// A checkout in flight that later checkouts of the same mod wait for.
pub(crate) struct Inflight {
    result: Mutex<Option<Result<CheckoutReceipt>>>,
    done: Condvar,
}

impl Inflight {
    pub fn new() -> Arc<Inflight> {
        Arc::new(Inflight { result: Mutex::new(None), done: Condvar::new() })
    }
    pub(crate) fn complete(&self, outcome: &Result<CheckoutReceipt>) {
        let mut slot = lock(&self.result);
        if slot.is_none() {
            *slot = Some(outcome.clone());
            self.done.notify_all();
        }
    }

    /// Waits for the leader's outcome; stops early when this request is cancelled.
    pub fn join(&self, ctx: &JobContext) -> Result<CheckoutReceipt> {
        let mut slot = lock(&self.result);
        loop {
            if let Some(outcome) = slot.as_ref() {
                return outcome.clone();
            }
            if ctx.is_cancelled() {
                return Err(Error::cancelled());
            }
            slot = self.done.wait_timeout(slot, Duration::from_millis(50)).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

/// How an attempt left without an answer ended: resent in the background while the client lived,
/// or from the journal after a restart.
// Reports are rare and go to one callback: boxing the receipt would only make every match deref.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RecoveryOutcome {
    /// Resent with its key: the purchase went through (or had already): here is the receipt.
    Completed(CheckoutReceipt),
    /// Resent with its key: mod.io refused it definitively (e.g. insufficient funds).
    Failed(Error),
    /// The mod is the player's: mod.io answered "already owned" (900034), or an attempt too old
    /// (or too oddly dated) to resend is in the purchased list.
    Owned,
    /// Too old (or too oddly dated) to resend, and not in the purchased list: it never went through.
    Abandoned,
    /// Still no definitive answer (offline, 5xx, rate limited): resent in the background while
    /// the client lives (a later report says how it ended) and, journaled, at the next recovery.
    StillPending(Error),
    /// A journal file could not be read; it was moved aside (see `kept_at`), not dropped.
    CorruptJournal { kept_at: String, reason: String },
}

/// One recovery report, delivered to the game's recovery callback inside poll.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecoveryReport {
    pub user_id: u64,
    pub mod_id: u64,
    pub display_amount: i64,
    pub idempotency_key: String,
    /// Unix seconds of the original attempt.
    pub attempted_at: i64,
    pub outcome: RecoveryOutcome,
}
