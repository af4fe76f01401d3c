//! Checkout that never loses a purchase and never charges twice.
//!
//! - One idempotency key per purchase attempt: generated when the game asks to buy, reused by every
//!   retry and, through the journal, across process restarts, until a definitive answer arrives;
//!   then retired. A definitive failure (insufficient funds, price mismatch, already owned, any
//!   other 4xx but 429) retires the key, so the next attempt gets a new one and can succeed.
//! - With a data directory, the attempt is journaled durably before its request leaves, and
//!   removed once the answer is definitive. Recovery resends young attempts with their key and
//!   settles old ones (past the key's 24 hours) against the purchased list.
//! - A second checkout of a mod while one is in flight joins it instead of sending another.

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use crate::client::Shared;
use crate::error::{Error, Result, ResultCode};
use crate::log::LogLevel;
use crate::models::CheckoutReceipt;
use crate::persist::{now_unix, JournalEntry};
use crate::runtime::{lock, JobContext};
use crate::transport::{ApiRequest, Auth};

/// mod.io keeps an idempotency key's answer this long; after it a resend could charge again.
pub const KEY_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// The answer is final for this key: success, or an error a resend would only repeat.
pub(crate) fn is_definitive(outcome: &Result<CheckoutReceipt>) -> bool {
    match outcome {
        Ok(_) => true,
        Err(e) => match e.code() {
            ResultCode::Http => (400..500).contains(&e.http_status()),
            // Refused before anything was sent.
            ResultCode::NotAuthenticated | ResultCode::InvalidArgument => true,
            _ => false,
        },
    }
}

/// A checkout in flight that later checkouts of the same mod wait for.
pub(crate) struct Inflight {
    pub key: String,
    result: Mutex<Option<Result<CheckoutReceipt>>>,
    done: Condvar,
}

impl Inflight {
    pub fn new(key: String) -> Arc<Inflight> {
        Arc::new(Inflight { key, result: Mutex::new(None), done: Condvar::new() })
    }

    fn complete(&self, outcome: &Result<CheckoutReceipt>) {
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

/// Completes the in-flight entry however the leader's job ends, even when the job is dropped
/// unrun (cancelled while queued, client shut down): joiners never wait forever.
pub(crate) struct InflightGuard {
    pub slot: (u64, u64),
    pub inflight: Arc<Inflight>,
    pub shared: Weak<Shared>,
}

impl InflightGuard {
    pub fn finish(self, outcome: &Result<CheckoutReceipt>) {
        self.inflight.complete(outcome);
        // Drop then removes the map entry.
    }
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.inflight.complete(&Err(Error::cancelled()));
        if let Some(shared) = self.shared.upgrade() {
            let mut map = lock(&shared.inflight);
            if map.get(&self.slot).is_some_and(|f| Arc::ptr_eq(f, &self.inflight)) {
                map.remove(&self.slot);
            }
        }
    }
}

/// One purchase attempt: journal, send with retries (same key), retire when definitive.
pub(crate) fn run_checkout(
    shared: &Shared,
    ctx: &JobContext,
    mod_id: u64,
    display_amount: i64,
    key: &str,
    created_at: i64,
) -> Result<CheckoutReceipt> {
    let journaled = match &shared.data {
        Some(data) => {
            // The journal needs the user id: learn it before anything is sent.
            let (user_id, _) = shared.identify(ctx)?;
            let entry = JournalEntry {
                version: 1,
                user_id,
                mod_id,
                display_amount,
                idempotency_key: key.to_owned(),
                created_at,
            };
            data.record(&entry)?;
            true
        }
        None => false,
    };
    let outcome = send_checkout(shared, ctx, mod_id, display_amount, key);
    if journaled && is_definitive(&outcome) {
        if let Some(data) = &shared.data {
            if let Err(e) = data.retire(key) {
                // Left in the journal: recovery will replay the same answer and retire it then.
                shared.logger.log(LogLevel::Warn, format_args!("could not retire a finished checkout: {e}"));
            }
        }
    }
    outcome
}

fn send_checkout(shared: &Shared, ctx: &JobContext, mod_id: u64, display_amount: i64, key: &str) -> Result<CheckoutReceipt> {
    let request = ApiRequest::post(format!("games/{}/mods/{mod_id}/checkout", shared.game_id), Auth::User)
        .field("type", 0)
        .field("display_amount", display_amount)
        .field("idempotent_key", key)
        // The key makes a repeat return the first answer instead of charging twice.
        .idempotent();
    let (token, generation) = shared.token();
    let mut receipt = shared.transport.call(&request, token.as_ref(), CheckoutReceipt::decode, &|| ctx.is_cancelled())?;
    receipt.idempotency_key = key.to_owned();
    shared.record_purchase(mod_id, generation);
    Ok(receipt)
}

/// How a journaled attempt ended after a restart.
#[derive(Debug, Clone, PartialEq)]
pub enum RecoveryOutcome {
    /// Resent with its key: the purchase went through (or had already): here is the receipt.
    Completed(CheckoutReceipt),
    /// Resent with its key: mod.io refused it definitively (e.g. insufficient funds).
    Failed(Error),
    /// Older than the key's 24 hours: the mod is in the purchased list, so it was bought.
    Owned,
    /// Older than the key's 24 hours and not in the purchased list: it never went through.
    Abandoned,
    /// Still no definitive answer (offline, 5xx, rate limited): kept for the next recovery.
    StillPending(Error),
    /// A journal file could not be read; it was moved aside (see `kept_at`), not dropped.
    CorruptJournal { kept_at: String, reason: String },
}

/// One recovery report, delivered to the game's recovery callback inside poll.
#[derive(Debug, Clone, PartialEq)]
pub struct RecoveryReport {
    pub user_id: u64,
    pub mod_id: u64,
    pub display_amount: i64,
    pub idempotency_key: String,
    /// Unix seconds of the original attempt.
    pub attempted_at: i64,
    pub outcome: RecoveryOutcome,
}

/// Settles the journal for the signed-in user. Runs on a worker; reports go to the backlog.
pub(crate) fn recover(shared: &Shared, ctx: &JobContext) -> Result<Vec<RecoveryReport>> {
    let Some(data) = &shared.data else { return Ok(Vec::new()) };
    let _one_at_a_time = lock(&shared.recovery_lock);
    let (user_id, generation) = shared.identify(ctx)?;
    let (entries, corrupt) = data.load_journal()?;
    let mut reports: Vec<RecoveryReport> = corrupt
        .into_iter()
        .map(|c| RecoveryReport {
            user_id: 0,
            mod_id: 0,
            display_amount: 0,
            idempotency_key: String::new(),
            attempted_at: 0,
            outcome: RecoveryOutcome::CorruptJournal { kept_at: c.kept_at.display().to_string(), reason: c.reason },
        })
        .collect();
    let in_flight: Vec<String> = lock(&shared.inflight).values().map(|f| f.key.clone()).collect();
    let now = now_unix();
    let mut purchased: Option<std::collections::HashSet<u64>> = None;
    for entry in entries.into_iter().filter(|e| e.user_id == user_id && !in_flight.contains(&e.idempotency_key)) {
        if ctx.is_cancelled() || shared.generation() != generation {
            break;
        }
        let outcome = if now - entry.created_at < KEY_LIFETIME_SECS {
            let sent = send_checkout(shared, ctx, entry.mod_id, entry.display_amount, &entry.idempotency_key);
            let definitive = is_definitive(&sent);
            if definitive {
                data.retire(&entry.idempotency_key)?;
            }
            match sent {
                Ok(receipt) => RecoveryOutcome::Completed(receipt),
                Err(e) if definitive => RecoveryOutcome::Failed(e),
                Err(e) => RecoveryOutcome::StillPending(e),
            }
        } else {
            // The key has expired on mod.io: a resend could charge again. Ask the purchased list.
            if purchased.is_none() {
                match shared.fetch_purchases(ctx) {
                    Ok(p) => purchased = Some(p.mods.iter().map(|m| m.id).collect()),
                    Err(e) => {
                        reports.push(report(&entry, RecoveryOutcome::StillPending(e)));
                        continue;
                    }
                }
            }
            data.retire(&entry.idempotency_key)?;
            if purchased.as_ref().is_some_and(|ids| ids.contains(&entry.mod_id)) {
                RecoveryOutcome::Owned
            } else {
                RecoveryOutcome::Abandoned
            }
        };
        reports.push(report(&entry, outcome));
    }
    Ok(reports)
}

fn report(entry: &JournalEntry, outcome: RecoveryOutcome) -> RecoveryReport {
    RecoveryReport {
        user_id: entry.user_id,
        mod_id: entry.mod_id,
        display_amount: entry.display_amount,
        idempotency_key: entry.idempotency_key.clone(),
        attempted_at: entry.created_at,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn definitive_answers() {
        let http = |status, r| Err(Error::http(status, r, "x", BTreeMap::new()));
        assert!(is_definitive(&http(422, 900049)));
        assert!(is_definitive(&http(422, 900034)));
        assert!(is_definitive(&http(401, 11005)));
        assert!(!is_definitive(&http(503, 0)));
        assert!(!is_definitive(&Err(Error::http(429, 11008, "x", BTreeMap::new()))));
        assert!(!is_definitive(&Err(Error::new(ResultCode::Timeout, "x"))));
        assert!(!is_definitive(&Err(Error::new(ResultCode::MalformedResponse, "x"))));
        assert!(!is_definitive(&Err(Error::cancelled())));
    }
}
