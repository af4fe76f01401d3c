//! Checkout that never loses a purchase, never charges twice, and never charges the wrong player.
//!
//! - Every attempt runs in the [`Session`] captured when the game asked to buy: its token sends
//!   the request, its user names the journal entry, and only that user's ownership list learns
//!   the outcome. A token switch mid-checkout changes none of that.
//! - One idempotency key per purchase attempt: generated when the game asks to buy, reused by every
//!   retry and, through the journal, across process restarts, until a definitive answer arrives;
//!   then retired. A definitive failure (insufficient funds, price mismatch, any other 4xx but
//!   429) retires the key, so the next attempt gets a new one and can succeed. A key is bound to
//!   (user, mod, display amount): reusing it for anything else is refused before sending.
//! - The receipt must name the mod bought and a paid state; anything else is `UnexpectedAnswer`,
//!   nothing is recorded as owned, and the attempt stays journaled.
//! - "Already owned" (900034) refreshes the purchased list: the game hears the refusal and
//!   `owns()` is true.
//! - With a data directory, the attempt is journaled durably before its request leaves, and
//!   removed once the answer is definitive. Recovery resends young attempts with their key and
//!   settles the others against the purchased list.
//! - While the client lives, an attempt left without an answer by a transient failure is retried
//!   in the background with its key (bounded backoff); how it ends reaches the recovery callback.
//! - A second checkout of a mod while one is in flight (same session) joins it.

use std::sync::{Arc, Weak};
use std::time::Instant;

use crate::attempts::{is_resendable, Attempt, Inflight, Unresolved};
pub use crate::attempts::{BackgroundRetry, RecoveryOutcome, RecoveryReport, KEY_LIFETIME_SECS, MAX_FUTURE_SKEW_SECS};
use crate::error::{Error, Result, ResultCode};
use crate::log::LogLevel;
use crate::models::{CheckoutReceipt, TransactionState};
use crate::persist::{now_unix, JournalEntry, JOURNAL_VERSION};
use crate::runtime::{lock, JobContext};
use crate::session::Session;
use crate::shared::{KeyUse, Shared};
use crate::transport::{is_retryable, ApiRequest, Auth};

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

/// One purchase attempt in `session`: identify, bind the key, journal, send with retries (same
/// key), conclude. Left unresolved by a transient failure, it goes to the background retry.
pub(crate) fn run_checkout(
    shared: &Shared,
    session: &Arc<Session>,
    ctx: &JobContext,
    mod_id: u64,
    display_amount: i64,
    key: &str,
    created_at: i64,
) -> Result<CheckoutReceipt> {
    // The journal and the key binding need the user: learned with this session's token.
    let user_id = shared.identify(session, ctx)?;
    shared.bind_key(key, KeyUse { user_id, mod_id, display_amount })?;
    let attempt = Attempt { user_id, mod_id, display_amount, key: key.to_owned(), created_at };
    shared.claim(key);
    if let Some(data) = &shared.data {
        let entry = JournalEntry { version: JOURNAL_VERSION, user_id, mod_id, display_amount, idempotency_key: key.to_owned(), created_at };
        if let Err(e) = data.record(&entry) {
            shared.release(key);
            return Err(e);
        }
    }
    let sent = send_checkout(shared, session, &attempt, ctx);
    let outcome = conclude(shared, session, &attempt, sent, ctx);
    match &outcome {
        Err(e) if !is_definitive(&outcome) && is_retryable(e) && shared.background_retry.max_attempts > 0 => {
            // The claim passes to the background retry.
            let unresolved = Unresolved { session: Arc::clone(session), attempt, tries: 0, due: Instant::now() };
            shared.defer(unresolved, shared.background_retry.delay(0));
        }
        _ => shared.release(key),
    }
    outcome
}

/// Sends the attempt with the session's token and checks the receipt before anything counts as
/// owned.
fn send_checkout(shared: &Shared, session: &Session, attempt: &Attempt, ctx: &JobContext) -> Result<CheckoutReceipt> {
    let request = ApiRequest::post(format!("games/{}/mods/{}/checkout", shared.game_id, attempt.mod_id), Auth::User)
        .field("type", 0)
        .field("display_amount", attempt.display_amount)
        .field("idempotent_key", &attempt.key)
        // The key makes a repeat return the first answer instead of charging twice.
        .idempotent();
    let mut receipt = shared.call(&request, session, ctx, CheckoutReceipt::decode)?;
    check_receipt(&receipt, attempt.mod_id)?;
    receipt.idempotency_key = attempt.key.clone();
    shared.ownership.insert(session.epoch, Some(attempt.user_id), attempt.mod_id);
    Ok(receipt)
}

/// A success answer counts only when it is the purchase of the mod asked for, paid.
pub(crate) fn check_receipt(receipt: &CheckoutReceipt, mod_id: u64) -> Result<()> {
    if receipt.purchased_mod.id != mod_id {
        return Err(Error::new(
            ResultCode::UnexpectedAnswer,
            format!("the checkout answer is the purchase of mod {}, not of mod {mod_id}: nothing was unlocked", receipt.purchased_mod.id),
        ));
    }
    match &receipt.transaction.state {
        TransactionState::Paid | TransactionState::Cleared => Ok(()),
        state => {
            // A state outside the documented ones is not quoted: it is the server's text.
            let named = if matches!(state, TransactionState::Other(_)) { "an undocumented state" } else { state.name() };
            Err(Error::new(
                ResultCode::UnexpectedAnswer,
                format!("the checkout answer's transaction is {named}, not paid: nothing was unlocked"),
            ))
        }
    }
}

/// After an answer: "already owned" makes the mod owned (and refreshes the list); a definitive
/// answer retires the journal entry.
fn conclude(
    shared: &Shared,
    session: &Session,
    attempt: &Attempt,
    outcome: Result<CheckoutReceipt>,
    ctx: &JobContext,
) -> Result<CheckoutReceipt> {
    if let Err(e) = &outcome {
        if e.is_already_owned() {
            // mod.io says this user owns it: so does the cache, and the list is brought up to date.
            shared.ownership.insert(session.epoch, Some(attempt.user_id), attempt.mod_id);
            if let Err(refresh) = shared.fetch_purchases(session, ctx) {
                shared.logger.log(LogLevel::Warn, format_args!("could not refresh the purchased list after 900034: {refresh}"));
            }
        }
    }
    if is_definitive(&outcome) {
        if let Some(data) = &shared.data {
            if let Err(e) = data.retire(&attempt.key) {
                // Left in the journal: recovery will replay the same answer and retire it then.
                shared.logger.log(LogLevel::Warn, format_args!("could not retire a finished checkout: {e}"));
            }
        }
    }
    outcome
}

/// The report for an answer to a resend.
fn resend_outcome(outcome: Result<CheckoutReceipt>) -> RecoveryOutcome {
    let definitive = is_definitive(&outcome);
    match outcome {
        Ok(receipt) => RecoveryOutcome::Completed(receipt),
        Err(e) if e.is_already_owned() => RecoveryOutcome::Owned,
        Err(e) if definitive => RecoveryOutcome::Failed(e),
        Err(e) => RecoveryOutcome::StillPending(e),
    }
}

/// Takes the background attempts whose time has come (poll calls it when any are waiting).
pub(crate) fn take_due(shared: &Shared, all: bool) -> Vec<Unresolved> {
    let now = Instant::now();
    let mut queue = lock(&shared.unresolved);
    let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut *queue).into_iter().partition(|u| all || u.due <= now);
    *queue = waiting;
    shared.unresolved_count.store(queue.len(), std::sync::atomic::Ordering::Release);
    due
}

/// One background resend, on a worker: reports a definitive outcome, waits again after a
/// transient failure, and gives up (StillPending, still journaled) after the last try.
pub(crate) fn retry_unresolved(shared: &Shared, unresolved: Unresolved, ctx: &JobContext) {
    let Unresolved { session, attempt, tries, .. } = unresolved;
    let sent = send_checkout(shared, &session, &attempt, ctx);
    let outcome = conclude(shared, &session, &attempt, sent, ctx);
    let tries = tries + 1;
    if let Err(e) = &outcome {
        if !is_definitive(&outcome) && is_retryable(e) && tries < shared.background_retry.max_attempts && !ctx.is_cancelled() {
            let delay = shared.background_retry.delay(tries);
            shared.defer(Unresolved { session, attempt, tries, due: Instant::now() }, delay);
            return;
        }
    }
    shared.release(&attempt.key);
    shared.report(attempt.report(resend_outcome(outcome)));
}

/// Settles the journal for `session`'s user. Runs on a worker; reports go to the backlog. One
/// entry that cannot be resent, retired or moved aside never keeps the others from their reports.
pub(crate) fn recover(shared: &Shared, session: &Arc<Session>, ctx: &JobContext) -> Result<()> {
    let Some(data) = &shared.data else { return Ok(()) };
    let _one_at_a_time = lock(&shared.recovery_lock);
    let user_id = shared.identify(session, ctx)?;
    let (entries, corrupt) = data.load_journal()?;
    for c in corrupt {
        shared.report(RecoveryReport {
            user_id: 0,
            mod_id: 0,
            display_amount: 0,
            idempotency_key: String::new(),
            attempted_at: 0,
            outcome: RecoveryOutcome::CorruptJournal { kept_at: c.kept_at.display().to_string(), reason: c.reason },
        });
    }
    let now = now_unix();
    let mut purchased: Option<std::collections::HashSet<u64>> = None;
    for entry in entries.iter().filter(|e| e.user_id == user_id) {
        if ctx.is_cancelled() {
            break;
        }
        if !shared.try_claim(&entry.idempotency_key) {
            continue; // in flight, or waiting for its background resend
        }
        // The listing is a snapshot: a checkout of this run may have finished (retired its entry,
        // then released its claim) since. Once the claim is ours nobody else works on the key, so
        // an entry still on disk now is truly unsettled; one gone is settled and not reported.
        if data.entry(&entry.idempotency_key).is_none() {
            shared.release(&entry.idempotency_key);
            continue;
        }
        let attempt = Attempt::from_entry(entry);
        let outcome = if is_resendable(entry.created_at, now) {
            let sent = send_checkout(shared, session, &attempt, ctx);
            let outcome = conclude(shared, session, &attempt, sent, ctx);
            if let Err(e) = &outcome {
                if !is_definitive(&outcome) && is_retryable(e) && shared.background_retry.max_attempts > 0 {
                    // Reported now, and resent in the background (which reports how it ends).
                    shared.report(attempt.report(RecoveryOutcome::StillPending(e.clone())));
                    let unresolved = Unresolved { session: Arc::clone(session), attempt, tries: 0, due: Instant::now() };
                    shared.defer(unresolved, shared.background_retry.delay(0));
                    continue;
                }
            }
            resend_outcome(outcome)
        } else {
            // Past the key's lifetime (or dated where no honest clock puts it): a resend could
            // charge again. Ask the purchased list.
            if purchased.is_none() {
                match shared.fetch_purchases(session, ctx) {
                    Ok(p) => purchased = Some(p.mods.iter().map(|m| m.id).collect()),
                    Err(e) => {
                        shared.release(&attempt.key);
                        shared.report(attempt.report(RecoveryOutcome::StillPending(e)));
                        continue;
                    }
                }
            }
            if let Err(e) = data.retire(&attempt.key) {
                shared.logger.log(LogLevel::Warn, format_args!("could not retire a settled checkout: {e}"));
            }
            if purchased.as_ref().is_some_and(|ids| ids.contains(&entry.mod_id)) {
                RecoveryOutcome::Owned
            } else {
                RecoveryOutcome::Abandoned
            }
        };
        shared.release(&attempt.key);
        shared.report(attempt.report(outcome));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;

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
        assert!(!is_definitive(&Err(Error::new(ResultCode::UnexpectedAnswer, "x"))), "a wrong receipt stays journaled");
    }

    #[test]
    fn only_honestly_dated_young_attempts_are_resent() {
        let now = 1_800_000_000;
        assert!(is_resendable(now, now));
        assert!(is_resendable(now - KEY_LIFETIME_SECS + 1, now));
        assert!(is_resendable(now + 60, now), "clock skew");
        for bad in
            [now - KEY_LIFETIME_SECS - 1, now - 30 * 86_400, now + 10 * 365 * 86_400, now + MAX_FUTURE_SKEW_SECS + 1, i64::MIN, i64::MAX]
        {
            assert!(!is_resendable(bad, now), "{bad}");
        }
    }

    #[test]
    fn background_delays_double_up_to_the_cap() {
        let b = BackgroundRetry { first_delay: Duration::from_millis(100), max_delay: Duration::from_millis(500), max_attempts: 5 };
        let d: Vec<u128> = (0..5).map(|t| b.delay(t).as_millis()).collect();
        assert_eq!(d, [100, 200, 400, 500, 500]);
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(500));
    }
}
