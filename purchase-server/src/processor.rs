//! The purchase processor: converts one platform entitlement of one user into mod.io virtual
//! currency without ever losing or doubling money, across crashes and retries.
//!
//! One call of [`Processor::process`] walks one entitlement through
//! `record → intent → consume → commit`, writing each step durably before the next begins:
//!
//! | crashed or interrupted at | what resuming does |
//! | --- | --- |
//! | recorded, intent maybe sent | looks it up in the studio's history by its gateway uuid and adopts it; sends it again (same key) only when the history has none |
//! | intent answered, consume not started | calls consume (once) |
//! | consume started, result unknown | calls consume again with `interrupted` set and the same tracking id |
//! | consumed, commit not confirmed | sends the commit again with its key until mod.io answers definitively; consume never runs again |
//! | consume failed / already consumed | nothing: never committed; the record says why |
//!
//! Google Play and the Apple App Store do not track consumption: their order ids go into a
//! ledger when recorded, and an order already in it is refused ([`Outcome::DuplicateOrder`]).
//!
//! [`Processor::reconcile`] compares the studio's transaction history with the records: intents
//! never committed, commits owed or lost, credited records mod.io does not show paid, and paid
//! transactions this server does not know.
//!
//! Clawbacks follow the reference: a refund or chargeback of a converted entitlement is sent to
//! mod.io with its transaction id; one never converted is recorded and not sent; a chargeback
//! reversal is recorded for the studio to act on.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use modio_market::{
    check_alpha_dash, ClawbackRequest, ClawbackTarget, CommitRequest, Error, HistoryTransaction, IdempotencyKey, IntentRequest, ResultCode,
    S2sClient, S2sPortal, Secret, TransactionQuery, TransactionState,
};

use crate::storage::{
    ClawbackKind, ClawbackRecord, ClawbackStatus, Created, NewClawback, NewRecord, Record, RecordId, Step, Storage, StorageError,
};

/// One platform entitlement of one user, as the studio's server learned it from the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    pub portal: S2sPortal,
    /// The entitlement's id on the platform: one record per (portal, entitlement id).
    pub entitlement_id: String,
    /// The platform's order id. For Apple and Google it defaults to `entitlement_id` and goes
    /// into the order ledger; for the others it is only recorded.
    pub order_id: Option<String>,
    /// The platform SKU mapped to a token pack on mod.io.
    pub sku: String,
    /// The studio's id for the player (recorded for bookkeeping; never a token).
    pub user: String,
    /// Sent with the intent (alpha-dash); clawbacks may name the transaction by it.
    pub gateway_uuid: Option<String>,
    /// Sent with the commit (alpha-dash).
    pub clawback_uuid: Option<String>,
}

impl Entitlement {
    pub fn new(portal: S2sPortal, entitlement_id: impl Into<String>, sku: impl Into<String>, user: impl Into<String>) -> Entitlement {
        Entitlement {
            portal,
            entitlement_id: entitlement_id.into(),
            order_id: None,
            sku: sku.into(),
            user: user.into(),
            gateway_uuid: None,
            clawback_uuid: None,
        }
    }
    pub fn order_id(mut self, order_id: impl Into<String>) -> Entitlement {
        self.order_id = Some(order_id.into());
        self
    }
    pub fn gateway_uuid(mut self, gateway_uuid: impl Into<String>) -> Entitlement {
        self.gateway_uuid = Some(gateway_uuid.into());
        self
    }
    pub fn clawback_uuid(mut self, clawback_uuid: impl Into<String>) -> Entitlement {
        self.clawback_uuid = Some(clawback_uuid.into());
        self
    }

    /// The order id that goes into the ledger (Apple, Google), if any.
    fn ledger_order(&self) -> Option<String> {
        (!self.portal.tracks_consumption()).then(|| self.order_id.clone().unwrap_or_else(|| self.entitlement_id.clone()))
    }

    fn validate(&self) -> Result<(), ProcessorError> {
        text("entitlement_id", &self.entitlement_id)?;
        text("sku", &self.sku)?;
        text("user", &self.user)?;
        if let Some(o) = &self.order_id {
            text("order_id", o)?;
        }
        for (name, value) in [("gateway_uuid", &self.gateway_uuid), ("clawback_uuid", &self.clawback_uuid)] {
            if let Some(v) = value {
                check_alpha_dash(name, v).map_err(ProcessorError::Invalid)?;
            }
        }
        Ok(())
    }
}

fn text(name: &str, value: &str) -> Result<(), ProcessorError> {
    if value.trim().is_empty() || value.len() > 255 || value.chars().any(char::is_control) {
        return Err(ProcessorError::Invalid(Error::invalid_argument(name, "must be 1 to 255 characters, no control characters")));
    }
    Ok(())
}

/// What the studio's consume function is asked to do: consume `record.entitlement_id` of
/// `record.user` on `record.portal`.
#[derive(Debug)]
pub struct ConsumeRequest<'a> {
    pub record: &'a Record,
    /// A previous attempt started and its result was never recorded (the server crashed or lost
    /// its lease mid-consume). The platform may already have consumed the entitlement *for this
    /// attempt*: answer [`ConsumeOutcome::Consumed`] if it did under this tracking id.
    pub interrupted: bool,
}

impl ConsumeRequest<'_> {
    /// The same for every attempt on this entitlement: pass it to the platform as its
    /// idempotency or tracking id where it takes one (Xbox's `trackingId`, for example).
    pub fn tracking_id(&self) -> &str {
        &self.record.consume_tracking_id
    }
    /// 1 for the first attempt.
    pub fn attempt(&self) -> u32 {
        self.record.consume_attempts
    }
}

/// What consuming the entitlement on the platform did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumeOutcome {
    /// Consumed now (or, for an interrupted attempt, by the earlier attempt with this tracking id).
    Consumed,
    /// The platform says it was already consumed before: never committed.
    AlreadyConsumed,
    /// Consuming failed for good (the reason is recorded): never committed.
    Failed(String),
    /// Nothing was consumed; try again later (the platform was unreachable).
    RetryLater(String),
}

/// Why [`Outcome::Pending`] stopped short; resuming later is safe.
#[derive(Debug, Clone)]
pub enum PendingCause {
    /// mod.io could not be reached or kept answering with transient errors (after the
    /// library's retries, with the same idempotency key).
    Unreachable(Error),
    /// mod.io refused the credentials: 401 (the delegation token expired or is not this
    /// user's, or the service token) or 403 (scopes, configuration). Resume with a fresh
    /// delegation token, or after fixing the configuration.
    Refused(Error),
    /// mod.io answered, but not with a settled state (e.g. a commit still pending).
    Unsettled(String),
    /// The consume function asked to try again later.
    ConsumeRetryLater(String),
    /// Another instance or thread is working on this record right now.
    Busy,
}

/// One transaction of the studio's history that does not agree with this server's records.
#[derive(Debug, Clone)]
pub struct Discrepancy {
    pub transaction: HistoryTransaction,
    /// This server's record of it, if it has one.
    pub record: Option<Record>,
}

/// What [`Processor::reconcile`] found, by kind. Only `settled` was changed; the rest is for the
/// studio (or [`Processor::resume`]) to act on.
#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    /// Transactions of the history compared.
    pub checked: usize,
    /// Intents mod.io holds as pending that this server will never commit (the entitlement was
    /// not consumed, refused, cancelled) or does not know of (`record` is `None`: an intent whose
    /// answer was lost before it was recorded). No money moved; nothing to undo.
    pub never_committed: Vec<Discrepancy>,
    /// Consumed entitlements whose transaction mod.io still shows as not paid: the commit is
    /// owed. Resume the record with a delegation token of its player.
    pub commit_owed: Vec<Discrepancy>,
    /// Records this server held as consumed (or as a refused commit) that mod.io shows paid: the
    /// commit's answer was lost. They are now credited.
    pub settled: Vec<Discrepancy>,
    /// Records this server holds as credited that mod.io does not show as paid (pending,
    /// failed, cancelled): the player may not have their currency. The studio must look.
    pub commits_not_paid: Vec<Discrepancy>,
    /// Paid transactions this server did not commit: no record (another server, a lost database)
    /// or a record that never reached the commit. The studio must look.
    pub paid_unknown: Vec<Discrepancy>,
}

impl Reconciliation {
    /// Nothing disagrees.
    pub fn is_clean(&self) -> bool {
        self.never_committed.is_empty() && self.commit_owed.is_empty() && self.commits_not_paid.is_empty() && self.paid_unknown.is_empty()
    }
}

/// The result of [`Processor::process`] / [`Processor::resume`].
#[derive(Debug, Clone)]
pub enum Outcome {
    /// mod.io committed the transaction: the user was credited.
    Credited(Record),
    /// Finished without credit; `record.step` and `record.reason` say why.
    NotCredited(Record),
    /// Not finished; resume later (the record says why as well).
    Pending { record: Record, cause: PendingCause },
    /// Apple / Google: the order is already in the ledger, held by this record.
    DuplicateOrder { holder: Record },
}

impl Outcome {
    pub fn record(&self) -> &Record {
        match self {
            Outcome::Credited(r) | Outcome::NotCredited(r) | Outcome::Pending { record: r, .. } | Outcome::DuplicateOrder { holder: r } => {
                r
            }
        }
    }
    pub fn is_credited(&self) -> bool {
        matches!(self, Outcome::Credited(_))
    }
}

/// Misuse or a storage failure. Network trouble is never an error here: it is
/// [`Outcome::Pending`], and the record says why.
#[derive(Debug)]
pub enum ProcessorError {
    /// A bad argument (named in the message); nothing was recorded or sent.
    Invalid(Error),
    /// This entitlement id is already recorded with another SKU, user or order.
    Mismatch {
        record: Box<Record>,
        field: &'static str,
    },
    NotFound(RecordId),
    /// [`Processor::reopen`] of a record that may not be reopened.
    CannotReopen(Box<Record>),
    Storage(StorageError),
    /// The studio's transaction history could not be read (reconciliation, or the look-up before
    /// an intent is sent again): mod.io unreachable, the monetization team not configured.
    History(Error),
}

impl fmt::Display for ProcessorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessorError::Invalid(e) => write!(f, "{e}"),
            ProcessorError::Mismatch { record, field } => {
                write!(f, "entitlement {} is already recorded (record {}) with another {field}", record.entitlement_id, record.id)
            }
            ProcessorError::NotFound(id) => write!(f, "no record {id}"),
            ProcessorError::CannotReopen(r) => write!(f, "record {} is {} and cannot be reopened", r.id, r.step),
            ProcessorError::Storage(e) => write!(f, "{e}"),
            ProcessorError::History(e) => write!(f, "the transaction history could not be read: {e}"),
        }
    }
}

impl std::error::Error for ProcessorError {}

impl From<StorageError> for ProcessorError {
    fn from(e: StorageError) -> ProcessorError {
        ProcessorError::Storage(e)
    }
}

/// A clawback event from a platform (refund, chargeback, chargeback reversal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClawbackEvent {
    pub portal: S2sPortal,
    /// The entitlement id given to `process` (for Apple and Google the order id works too).
    pub entitlement_id: String,
    pub kind: ClawbackKind,
    /// The platform's reason; sent to mod.io as `refund_reason`.
    pub reason: String,
}

impl ClawbackEvent {
    pub fn new(portal: S2sPortal, entitlement_id: impl Into<String>, kind: ClawbackKind, reason: impl Into<String>) -> ClawbackEvent {
        ClawbackEvent { portal, entitlement_id: entitlement_id.into(), kind, reason: reason.into() }
    }
}

/// Settings of a [`Processor`].
#[derive(Debug, Clone)]
pub struct ProcessorConfig {
    /// Names this server instance in leases. Give a restarted server the same id so it takes its
    /// own unfinished work back at once; give concurrent instances different ids.
    pub instance_id: String,
    /// How long a record stays leased to the instance working on it (renewed at every step).
    /// Another instance resumes a record whose lease ran out. Longer than any consume call.
    pub lease: Duration,
    /// Idempotency keys expire at mod.io after 24 hours: a key older than this is replaced
    /// (stored first) before its operation is sent again.
    pub key_reuse_window: Duration,
}

impl Default for ProcessorConfig {
    fn default() -> ProcessorConfig {
        ProcessorConfig {
            instance_id: format!("instance-{}", uuid::Uuid::new_v4()),
            lease: Duration::from_secs(600),
            key_reuse_window: Duration::from_secs(23 * 3600),
        }
    }
}

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The crash-safe purchase processor over a [`Storage`]. `Sync`: share it between threads.
pub struct Processor<S: Storage> {
    s2s: Arc<S2sClient>,
    storage: S,
    config: ProcessorConfig,
    clock: Clock,
    /// Records a thread of this process is working on (leases name the instance, not the thread).
    in_flight: Mutex<HashSet<RecordId>>,
}

/// Removes a record from `in_flight` when the work on it ends.
struct InFlight<'a> {
    set: &'a Mutex<HashSet<RecordId>>,
    id: RecordId,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.set.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.id);
    }
}

/// One step's result.
enum Flow {
    Next(Record),
    Pause(Record, PendingCause),
}

/// mod.io allocated the tokens: paid, cleared, or (the OpenAPI lists it) credited.
fn is_paid(state: &TransactionState) -> bool {
    matches!(state, TransactionState::Paid | TransactionState::Cleared)
        || matches!(state, TransactionState::Other(s) if s.eq_ignore_ascii_case("credited"))
}

/// The commit went through: paid now, or paid and refunded since.
fn was_credited(state: &TransactionState) -> bool {
    is_paid(state) || *state == TransactionState::Refunded
}

fn is_refusal(e: &Error) -> bool {
    // mod.io refused the operation itself (not the credentials, not a transient failure).
    e.code() == ResultCode::Http && matches!(e.http_status(), 400 | 404 | 409 | 410 | 422)
}

/// An S2S call that mod.io did not refuse: a bad argument is the caller's error; anything else
/// (unreachable, 5xx, an expired delegation token) pauses the record to be resumed.
fn unanswered(record: Record, e: Error) -> Result<Flow, ProcessorError> {
    if e.code() == ResultCode::InvalidArgument {
        return Err(ProcessorError::Invalid(e));
    }
    Ok(Flow::Pause(record, cause_of(e)))
}

fn cause_of(e: Error) -> PendingCause {
    match e.http_status() {
        401 | 403 => PendingCause::Refused(e),
        _ => PendingCause::Unreachable(e),
    }
}

fn cause_text(cause: &PendingCause) -> String {
    match cause {
        PendingCause::Unreachable(e) => format!("waiting: mod.io did not answer definitively: {e}"),
        PendingCause::Refused(e) => format!("waiting: mod.io refused the credentials (resume with a fresh delegation token): {e}"),
        PendingCause::Unsettled(why) => format!("waiting: {why}"),
        PendingCause::ConsumeRetryLater(why) => format!("waiting: consume asked to retry later: {why}"),
        PendingCause::Busy => "waiting: another instance holds the record".to_owned(),
    }
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl<S: Storage> Processor<S> {
    pub fn new(s2s: impl Into<Arc<S2sClient>>, storage: S, config: ProcessorConfig) -> Processor<S> {
        Processor { s2s: s2s.into(), storage, config, clock: Arc::new(now_unix), in_flight: Mutex::new(HashSet::new()) }
    }

    /// Replaces the clock (unix seconds): for tests of leases and key expiry.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Processor<S> {
        self.clock = Arc::new(clock);
        self
    }

    pub fn storage(&self) -> &S {
        &self.storage
    }

    pub fn s2s(&self) -> &S2sClient {
        &self.s2s
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn lease_secs(&self) -> i64 {
        self.config.lease.as_secs().max(1) as i64
    }

    fn window_secs(&self) -> i64 {
        self.config.key_reuse_window.as_secs() as i64
    }

    // -----------------------------------------------------------------------------------------
    // Entry points
    // -----------------------------------------------------------------------------------------

    /// Processes one entitlement for the user of `delegation` (the token the game client got from
    /// `POST /me/s2s/oauth/token`), or resumes it if it was seen before. `consume` consumes the
    /// entitlement on the platform; it is called only after mod.io answered the intent, and the
    /// commit is sent only if it answered [`ConsumeOutcome::Consumed`].
    pub fn process<F>(&self, entitlement: &Entitlement, delegation: &Secret, mut consume: F) -> Result<Outcome, ProcessorError>
    where
        F: FnMut(&ConsumeRequest<'_>) -> ConsumeOutcome,
    {
        entitlement.validate()?;
        check_delegation(delegation)?;
        let ledger = entitlement.ledger_order();
        let consume_tracking_id = uuid::Uuid::new_v4().to_string();
        // Every intent carries a gateway uuid, so an intent whose answer was lost can be found in
        // the studio's history before it is sent again (see `earlier_intent`).
        let gateway_uuid = entitlement.gateway_uuid.clone().or_else(|| Some(format!("mmk-{consume_tracking_id}")));
        let new = NewRecord {
            portal: entitlement.portal,
            entitlement_id: entitlement.entitlement_id.clone(),
            order_id: ledger.clone().or_else(|| entitlement.order_id.clone()),
            claim_order: ledger.is_some(),
            sku: entitlement.sku.clone(),
            user: entitlement.user.clone(),
            gateway_uuid,
            clawback_uuid: entitlement.clawback_uuid.clone(),
            step: Step::Recorded,
            reason: None,
            intent_key: IdempotencyKey::generate().to_string(),
            consume_tracking_id,
            now: self.now(),
        };
        let record = match self.storage.create(&new)? {
            Created::New(r) => r,
            Created::DuplicateOrder(holder) => return Ok(Outcome::DuplicateOrder { holder }),
            Created::Existing(r) => {
                // A placeholder made by an early clawback has no SKU: it stays cancelled.
                if r.step != Step::Cancelled || !r.sku.is_empty() {
                    if r.sku != new.sku {
                        return Err(ProcessorError::Mismatch { record: Box::new(r), field: "sku" });
                    }
                    if r.user != new.user {
                        return Err(ProcessorError::Mismatch { record: Box::new(r), field: "user" });
                    }
                    if entitlement.order_id.is_some() && r.order_id != new.order_id {
                        return Err(ProcessorError::Mismatch { record: Box::new(r), field: "order_id" });
                    }
                }
                r
            }
        };
        self.drive(record, delegation, &mut consume)
    }

    /// Resumes record `id` (see [`Processor::unfinished`]) with a current delegation token of its
    /// user. A terminal record just reports its outcome (and settles its open clawbacks).
    pub fn resume<F>(&self, id: RecordId, delegation: &Secret, mut consume: F) -> Result<Outcome, ProcessorError>
    where
        F: FnMut(&ConsumeRequest<'_>) -> ConsumeOutcome,
    {
        check_delegation(delegation)?;
        let record = self.storage.get(id)?.ok_or(ProcessorError::NotFound(id))?;
        self.drive(record, delegation, &mut consume)
    }

    /// Records not finished, oldest first: resume each with a delegation token of its user.
    pub fn unfinished(&self) -> Result<Vec<Record>, ProcessorError> {
        Ok(self.storage.unfinished()?)
    }

    /// Resumes every unfinished record for which `delegation_for` has a token (e.g. players
    /// online now), then retries open clawbacks. Returns the outcomes of the records tried.
    pub fn resume_all<D, F>(&self, mut delegation_for: D, mut consume: F) -> Result<Vec<Outcome>, ProcessorError>
    where
        D: FnMut(&Record) -> Option<Secret>,
        F: FnMut(&ConsumeRequest<'_>) -> ConsumeOutcome,
    {
        let mut outcomes = Vec::new();
        for record in self.storage.unfinished()? {
            if let Some(token) = delegation_for(&record) {
                outcomes.push(self.drive(record, &token, &mut consume)?);
            }
        }
        self.resume_clawbacks()?;
        Ok(outcomes)
    }

    /// The record of an entitlement.
    pub fn record(&self, portal: S2sPortal, entitlement_id: &str) -> Result<Option<Record>, ProcessorError> {
        Ok(self.storage.find(portal, entitlement_id)?)
    }

    /// Opens a terminal record again after the studio fixed the cause: an intent refused (back
    /// to `Recorded`, new intent key), a commit refused (back to `Consumed`, new commit key: the
    /// entitlement is not consumed again), a consume failure (back to `IntentCreated`).
    /// Never a credited, already-consumed or cancelled record.
    pub fn reopen(&self, id: RecordId) -> Result<Record, ProcessorError> {
        let record = self.storage.get(id)?.ok_or(ProcessorError::NotFound(id))?;
        let now = self.now();
        let mut next = record.clone();
        match record.step {
            Step::IntentRejected => {
                next.step = Step::Recorded;
                next.intent_key = IdempotencyKey::generate().to_string();
                next.intent_key_at = now;
            }
            Step::CommitRejected => {
                next.step = Step::Consumed;
                next.commit_key = Some(IdempotencyKey::generate().to_string());
                next.commit_key_at = Some(now);
            }
            Step::ConsumeFailed => next.step = Step::IntentCreated,
            _ => return Err(ProcessorError::CannotReopen(Box::new(record))),
        }
        next.reason = Some(format!("reopened from {}", record.step));
        next.updated_at = now;
        Ok(self.storage.update(&next)?)
    }

    // -----------------------------------------------------------------------------------------
    // The state machine
    // -----------------------------------------------------------------------------------------

    fn enter(&self, id: RecordId) -> Option<InFlight<'_>> {
        let inserted = self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
        // Built only when inserted: its drop removes the id (and takes the lock).
        inserted.then(|| InFlight { set: &self.in_flight, id })
    }

    /// Takes the record's lease: `Ok(Err(record))` when another live instance holds it.
    fn take_lease(&self, mut record: Record) -> Result<Result<Record, Record>, ProcessorError> {
        for _ in 0..5 {
            let now = self.now();
            if let Some(owner) = &record.lease_owner {
                // Our own id on a record no thread of ours holds: left by our previous run.
                if *owner != self.config.instance_id && record.lease_until > now {
                    return Ok(Err(record));
                }
            }
            let mut next = record.clone();
            next.lease_owner = Some(self.config.instance_id.clone());
            next.lease_until = now + self.lease_secs();
            next.updated_at = now;
            match self.storage.update(&next) {
                Ok(r) => return Ok(Ok(r)),
                Err(StorageError::Conflict) => {
                    record = self.storage.get(record.id)?.ok_or(ProcessorError::NotFound(record.id))?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Err(record))
    }

    /// Writes `change` on top of `record`, renewing the lease. `Ok(None)`: the lease was lost
    /// (another instance moved the record): stop.
    fn write(&self, record: &Record, change: impl FnOnce(&mut Record)) -> Result<Option<Record>, ProcessorError> {
        let now = self.now();
        let mut next = record.clone();
        change(&mut next);
        next.updated_at = now;
        next.lease_until = now + self.lease_secs();
        match self.storage.update(&next) {
            Ok(r) => Ok(Some(r)),
            Err(StorageError::Conflict) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A step's write went through (the next step), or another instance moved the record first.
    fn advance(&self, id: RecordId, written: Option<Record>) -> Result<Flow, ProcessorError> {
        match written {
            Some(r) => Ok(Flow::Next(r)),
            None => self.lost(id),
        }
    }

    fn lost(&self, id: RecordId) -> Result<Flow, ProcessorError> {
        let record = self.storage.get(id)?.ok_or(ProcessorError::NotFound(id))?;
        Ok(Flow::Pause(record, PendingCause::Busy))
    }

    fn drive<F>(&self, record: Record, delegation: &Secret, consume: &mut F) -> Result<Outcome, ProcessorError>
    where
        F: FnMut(&ConsumeRequest<'_>) -> ConsumeOutcome,
    {
        if record.step.is_terminal() {
            return self.finish(record);
        }
        let Some(_guard) = self.enter(record.id) else {
            return Ok(Outcome::Pending { record, cause: PendingCause::Busy });
        };
        // An intent may already have reached mod.io: an earlier call paused without its answer
        // (a reason is recorded), or an earlier run stopped mid-step (its lease is still there).
        let mut intent_maybe_sent = record.step == Step::Recorded && (record.reason.is_some() || record.lease_owner.is_some());
        let mut record = match self.take_lease(record)? {
            Ok(r) => r,
            Err(busy) => return Ok(Outcome::Pending { record: busy, cause: PendingCause::Busy }),
        };
        let paused = loop {
            let flow = match record.step {
                Step::Recorded => self.step_intent(record, delegation, std::mem::take(&mut intent_maybe_sent))?,
                Step::IntentCreated | Step::Consuming => self.step_consume(record, consume)?,
                Step::Consumed => self.step_commit(record, delegation)?,
                _ => break None,
            };
            match flow {
                Flow::Next(r) => record = r,
                Flow::Pause(r, PendingCause::Busy) => return Ok(Outcome::Pending { record: r, cause: PendingCause::Busy }),
                Flow::Pause(r, cause) => {
                    record = r;
                    break Some(cause);
                }
            }
        };
        // Release the lease (and say why we stopped) in one write.
        let reason = paused.as_ref().map(cause_text).or(record.reason.clone());
        let released = self.write(&record, |r| {
            r.lease_owner = None;
            r.lease_until = 0;
            r.reason = reason;
        })?;
        let record = match released {
            Some(r) => r,
            None => return Ok(Outcome::Pending { record, cause: PendingCause::Busy }),
        };
        match paused {
            Some(cause) => Ok(Outcome::Pending { record, cause }),
            None => self.finish(record),
        }
    }

    /// The outcome of a terminal record, after settling its open clawbacks.
    fn finish(&self, record: Record) -> Result<Outcome, ProcessorError> {
        for c in self.storage.clawbacks_for(record.id)? {
            if c.status.is_open() {
                self.settle_clawback(c, &record)?;
            }
        }
        Ok(if record.step == Step::Credited { Outcome::Credited(record) } else { Outcome::NotCredited(record) })
    }

    /// The pending transaction an earlier send of this record's intent made, found in the
    /// studio's history by the record's gateway uuid; `None` when there is none, or when the S2S
    /// client has no monetization team to read the history of.
    ///
    /// Why: the reference scopes an idempotency key to the delegation token in one reading, so
    /// resending with the fresh token a player brings later would make a second transaction.
    fn earlier_intent(&self, record: &Record) -> Result<Option<HistoryTransaction>, ProcessorError> {
        let (Some(uuid), Some(_)) = (&record.gateway_uuid, self.s2s.monetization_team_id()) else {
            return Ok(None);
        };
        let page = self.s2s.transactions(&TransactionQuery::by_gateway_uuid(uuid.clone())).map_err(ProcessorError::History)?;
        for t in page.transactions {
            if t.gateway_uuid != *uuid || t.state != TransactionState::Pending {
                continue;
            }
            // Another record's transaction (a gateway uuid reused by the studio) is not ours.
            match self.storage.find_transaction(t.id)? {
                Some(other) if other.id != record.id => continue,
                _ => return Ok(Some(t)),
            }
        }
        Ok(None)
    }

    fn step_intent(&self, record: Record, delegation: &Secret, maybe_sent: bool) -> Result<Flow, ProcessorError> {
        let now = self.now();
        let mut record = record;
        if maybe_sent {
            match self.earlier_intent(&record) {
                Ok(Some(t)) => {
                    let written = self.write(&record, |r| {
                        r.step = Step::IntentCreated;
                        r.transaction_id = Some(t.id);
                        r.transaction_state = Some(t.state.name().to_owned());
                        r.gross_amount = Some(t.gross_amount);
                        r.reason = Some("an earlier intent was found in the history by its gateway uuid; it was not sent again".into());
                    })?;
                    return self.advance(record.id, written);
                }
                Ok(None) => {}
                // Never send again without knowing: the record waits, like an unanswered intent.
                Err(ProcessorError::History(e)) => return unanswered(record, e),
                Err(e) => return Err(e),
            }
        }
        if now - record.intent_key_at >= self.window_secs() {
            // mod.io forgot the old key: sending it again would not be recognised anyway. At
            // worst an earlier unanswered intent stays pending at mod.io; no money moves.
            let key = IdempotencyKey::generate().to_string();
            match self.write(&record, |r| {
                r.intent_key = key;
                r.intent_key_at = now;
            })? {
                Some(r) => record = r,
                None => return self.lost(record.id),
            }
        }
        let key = IdempotencyKey::new(record.intent_key.clone()).map_err(ProcessorError::Invalid)?;
        let mut request = IntentRequest::new(record.sku.clone(), record.portal);
        request.gateway_uuid = record.gateway_uuid.clone();
        let written = match self.s2s.intent(delegation, &request, &key) {
            Ok(t) => self.write(&record, |r| {
                r.step = Step::IntentCreated;
                r.transaction_id = Some(t.transaction.id);
                r.transaction_state = Some(t.transaction.state.name().to_owned());
                r.gross_amount = Some(t.transaction.gross_amount);
                r.reason = None;
            })?,
            Err(e) if is_refusal(&e) => self.write(&record, |r| {
                r.step = Step::IntentRejected;
                r.reason = Some(format!("mod.io refused the intent: {e}"));
            })?,
            Err(e) => return unanswered(record, e),
        };
        self.advance(record.id, written)
    }

    fn step_consume<F>(&self, record: Record, consume: &mut F) -> Result<Flow, ProcessorError>
    where
        F: FnMut(&ConsumeRequest<'_>) -> ConsumeOutcome,
    {
        let interrupted = record.step == Step::Consuming;
        // Durable before the platform is touched: a crash from here on is seen as interrupted.
        let Some(record) = self.write(&record, |r| {
            r.step = Step::Consuming;
            r.consume_attempts = r.consume_attempts.saturating_add(1);
            r.reason = None;
        })?
        else {
            return self.lost(record.id);
        };
        let outcome = consume(&ConsumeRequest { record: &record, interrupted });
        let mut pause = None;
        let written = self.write(&record, |r| match outcome {
            ConsumeOutcome::Consumed => r.step = Step::Consumed,
            ConsumeOutcome::AlreadyConsumed => {
                r.step = Step::AlreadyConsumed;
                r.reason = Some("the platform reports the entitlement already consumed: the transaction is not committed".into());
            }
            ConsumeOutcome::Failed(why) => {
                r.step = Step::ConsumeFailed;
                r.reason = Some(format!("consuming failed: {why}; the transaction is not committed"));
            }
            ConsumeOutcome::RetryLater(why) => {
                // An interrupted attempt stays interrupted: the earlier one may have consumed.
                r.step = if interrupted { Step::Consuming } else { Step::IntentCreated };
                r.reason = Some(format!("consume asked to retry later: {why}"));
                pause = Some(PendingCause::ConsumeRetryLater(why));
            }
        })?;
        match (written, pause) {
            (Some(r), None) => Ok(Flow::Next(r)),
            (Some(r), Some(cause)) => Ok(Flow::Pause(r, cause)),
            (None, _) => self.lost(record.id),
        }
    }

    fn step_commit(&self, record: Record, delegation: &Secret) -> Result<Flow, ProcessorError> {
        let now = self.now();
        let transaction_id = record
            .transaction_id
            .ok_or_else(|| StorageError::Backend(format!("record {} is consumed but has no transaction id", record.id)))?;
        let mut record = record;
        let key_expired = record.commit_key_at.is_none_or(|at| now - at >= self.window_secs());
        if record.commit_key.is_none() || key_expired {
            // Stored before the first send, so every retry (and every resume) sends the same key.
            // A replaced key is harmless: the commit names its transaction, which pays once.
            let key = IdempotencyKey::generate().to_string();
            match self.write(&record, |r| {
                r.commit_key = Some(key);
                r.commit_key_at = Some(now);
            })? {
                Some(r) => record = r,
                None => return self.lost(record.id),
            }
        }
        let key = IdempotencyKey::new(record.commit_key.clone().unwrap_or_default()).map_err(ProcessorError::Invalid)?;
        let mut request = CommitRequest::new(transaction_id);
        request.clawback_uuid = record.clawback_uuid.clone();
        let written = match self.s2s.commit(delegation, &request, &key) {
            Ok(t) if t.transaction.id != transaction_id => {
                // Never record someone else's answer as ours (a server bug, or a key collision).
                let why = format!("mod.io answered the commit of {transaction_id} with transaction {}", t.transaction.id);
                return Ok(Flow::Pause(record, PendingCause::Unsettled(why)));
            }
            Ok(t) => {
                let state = t.transaction.state.clone();
                let credited = was_credited(&state);
                match state {
                    _ if credited => self.write(&record, |r| {
                        r.step = Step::Credited;
                        r.transaction_state = Some(state.name().to_owned());
                        r.gross_amount = Some(t.transaction.gross_amount);
                        r.reason = None;
                    })?,
                    TransactionState::Pending => {
                        return Ok(Flow::Pause(
                            record,
                            PendingCause::Unsettled("mod.io answered the commit with a pending transaction".into()),
                        ))
                    }
                    TransactionState::Other(unknown) => {
                        // Accepted, in a state this build does not know: keep the commit owed
                        // rather than guess either way; the record says what mod.io answered.
                        let why = format!("mod.io answered the commit with an unknown transaction state {unknown:?}");
                        return Ok(Flow::Pause(record, PendingCause::Unsettled(why)));
                    }
                    other => self.write(&record, |r| {
                        r.step = Step::CommitRejected;
                        r.transaction_state = Some(other.name().to_owned());
                        r.reason = Some(format!(
                            "mod.io answered the commit with a {} transaction: the entitlement was consumed and not credited",
                            other.name()
                        ));
                    })?,
                }
            }
            Err(e) if is_refusal(&e) => self.write(&record, |r| {
                r.step = Step::CommitRejected;
                r.reason = Some(format!("mod.io refused the commit: {e}; the entitlement was consumed and not credited"));
            })?,
            Err(e) => return unanswered(record, e),
        };
        self.advance(record.id, written)
    }

    // -----------------------------------------------------------------------------------------
    // Clawbacks
    // -----------------------------------------------------------------------------------------

    /// Handles a platform clawback event and returns its durable record:
    /// - converted (credited) entitlement: sent to mod.io with its transaction id (`Forwarded`,
    ///   or `Sending` to retry with [`Processor::resume_clawbacks`] when mod.io was unreachable);
    /// - never converted (unknown, refused, not yet consumed): `NotConverted`, not sent; an
    ///   entitlement not yet consumed is cancelled so it is never converted;
    /// - consumed but commit unsettled: `Deferred`, sent if and when the commit succeeds;
    /// - chargeback reversal: `ForStudio`, recorded for the studio to act on, not sent.
    pub fn clawback(&self, event: &ClawbackEvent) -> Result<ClawbackRecord, ProcessorError> {
        text("entitlement_id", &event.entitlement_id)?;
        if event.reason.trim().is_empty() || event.reason.len() > 1024 || event.reason.chars().any(char::is_control) {
            return Err(ProcessorError::Invalid(Error::invalid_argument("reason", "must be 1 to 1024 characters, no control characters")));
        }
        let now = self.now();
        let found = match self.storage.find(event.portal, &event.entitlement_id)? {
            Some(r) => Some(r),
            None if !event.portal.tracks_consumption() => self.storage.find_order(event.portal, &event.entitlement_id)?,
            None => None,
        };
        let record = match found {
            Some(r) => r,
            None => {
                // Never seen: record it cancelled, so a late `process` of it never converts it.
                let ledger = !event.portal.tracks_consumption();
                let new = NewRecord {
                    portal: event.portal,
                    entitlement_id: event.entitlement_id.clone(),
                    order_id: ledger.then(|| event.entitlement_id.clone()),
                    claim_order: ledger,
                    sku: String::new(),
                    user: String::new(),
                    gateway_uuid: None,
                    clawback_uuid: None,
                    step: Step::Cancelled,
                    reason: Some(format!("{} before the entitlement was processed: {}", event.kind.as_str(), event.reason)),
                    intent_key: IdempotencyKey::generate().to_string(),
                    consume_tracking_id: uuid::Uuid::new_v4().to_string(),
                    now,
                };
                match self.storage.create(&new)? {
                    Created::New(r) | Created::Existing(r) | Created::DuplicateOrder(r) => r,
                }
            }
        };
        let (status, detail) = if event.kind == ClawbackKind::ChargebackReversal {
            (
                ClawbackStatus::ForStudio,
                Some(
                    "a chargeback was reversed: recorded for the studio to act on per the platform's instructions; not sent to mod.io"
                        .into(),
                ),
            )
        } else {
            // Settled like a deferred one below, which knows every step.
            (ClawbackStatus::Deferred, None)
        };
        let c = self.storage.add_clawback(&NewClawback {
            record_id: record.id,
            kind: event.kind,
            reason: event.reason.clone(),
            status,
            transaction_id: record.transaction_id,
            detail,
            now,
        })?;
        if status == ClawbackStatus::ForStudio {
            return Ok(c);
        }
        self.settle_clawback(c, &record)
    }

    /// Retries clawbacks still `Sending` (mod.io was unreachable) and settles `Deferred` ones
    /// whose entitlement has finished. Returns them as they are now.
    pub fn resume_clawbacks(&self) -> Result<Vec<ClawbackRecord>, ProcessorError> {
        let mut out = Vec::new();
        for c in self.storage.open_clawbacks()? {
            let record = self.storage.get(c.record_id)?.ok_or(ProcessorError::NotFound(c.record_id))?;
            out.push(self.settle_clawback(c, &record)?);
        }
        Ok(out)
    }

    /// Clawbacks recorded for an entitlement record.
    pub fn clawbacks(&self, record_id: RecordId) -> Result<Vec<ClawbackRecord>, ProcessorError> {
        Ok(self.storage.clawbacks_for(record_id)?)
    }

    // -----------------------------------------------------------------------------------------
    // Reconciliation against the studio's transaction history
    // -----------------------------------------------------------------------------------------

    /// Compares the studio's transaction history (from `since`, unix seconds, or all of it; at
    /// most `max_pages` pages of 100) with this server's records and sorts what disagrees (see
    /// [`Reconciliation`]). The one change it makes: a record consumed here whose transaction
    /// mod.io shows paid is marked credited, as the commit's lost answer would have. Needs the
    /// S2S client's monetization team ([`modio_market::S2sConfig::monetization_team_id`]).
    pub fn reconcile(&self, since: Option<i64>, max_pages: usize) -> Result<Reconciliation, ProcessorError> {
        let mut query = TransactionQuery::new();
        query.created_at_start = since;
        query.limit = Some(100);
        let history = self.s2s.all_transactions(&query, max_pages).map_err(ProcessorError::History)?;
        let mut out = Reconciliation::default();
        for transaction in history {
            out.checked += 1;
            let record = self.storage.find_transaction(transaction.id)?;
            let paid = is_paid(&transaction.state);
            let pending = transaction.state == TransactionState::Pending;
            let Some(r) = record else {
                if paid {
                    out.paid_unknown.push(Discrepancy { transaction, record: None });
                } else if pending {
                    out.never_committed.push(Discrepancy { transaction, record: None });
                }
                continue;
            };
            match r.step {
                Step::Credited if was_credited(&transaction.state) => {}
                Step::Credited => out.commits_not_paid.push(Discrepancy { transaction, record: Some(r) }),
                Step::Consumed | Step::CommitRejected if paid => {
                    let settled = self.settle_paid(r, &transaction)?;
                    out.settled.push(Discrepancy { transaction, record: Some(settled) });
                }
                Step::Consumed => out.commit_owed.push(Discrepancy { transaction, record: Some(r) }),
                _ if paid => out.paid_unknown.push(Discrepancy { transaction, record: Some(r) }),
                Step::Recorded | Step::IntentCreated | Step::Consuming => {} // in progress
                _ if pending => out.never_committed.push(Discrepancy { transaction, record: Some(r) }),
                _ => {}
            }
        }
        Ok(out)
    }

    /// Marks a consumed record credited because mod.io shows its transaction paid. Written with
    /// compare-and-set: if another thread or instance moves the record meanwhile, its own answer
    /// from mod.io decides.
    fn settle_paid(&self, record: Record, transaction: &HistoryTransaction) -> Result<Record, ProcessorError> {
        let Some(_guard) = self.enter(record.id) else {
            return Ok(record);
        };
        let mut next = record.clone();
        next.step = Step::Credited;
        next.transaction_state = Some(transaction.state.name().to_owned());
        next.gross_amount = Some(transaction.gross_amount);
        next.reason = Some("the transaction history shows the commit paid (its answer was lost)".into());
        next.updated_at = self.now();
        match self.storage.update(&next) {
            Ok(r) => Ok(r),
            Err(StorageError::Conflict) => Ok(self.storage.get(record.id)?.unwrap_or(record)),
            Err(e) => Err(e.into()),
        }
    }

    fn close_clawback(&self, c: &ClawbackRecord, status: ClawbackStatus, detail: String) -> Result<ClawbackRecord, ProcessorError> {
        let mut next = c.clone();
        next.status = status;
        next.detail = Some(detail);
        next.updated_at = self.now();
        match self.storage.update_clawback(&next) {
            Ok(r) => Ok(r),
            // Someone else settled it meanwhile: report theirs.
            Err(StorageError::Conflict) => Ok(self.storage.clawbacks_for(c.record_id)?.into_iter().find(|x| x.id == c.id).unwrap_or(next)),
            Err(e) => Err(e.into()),
        }
    }

    fn settle_clawback(&self, c: ClawbackRecord, record: &Record) -> Result<ClawbackRecord, ProcessorError> {
        match record.step {
            Step::Credited => {
                let others = self.storage.clawbacks_for(record.id)?;
                if let Some(first) = others.iter().find(|o| o.id != c.id && o.status == ClawbackStatus::Forwarded) {
                    let detail = format!("clawback {} of this transaction was already forwarded", first.id);
                    return self.close_clawback(&c, ClawbackStatus::AlreadyForwarded, detail);
                }
                self.forward(c, record)
            }
            Step::Recorded | Step::IntentCreated => {
                // Not consumed yet: cancel it so it is never converted.
                match self.cancel_unconsumed(record, &c)? {
                    Some(_cancelled) => {
                        let detail = format!("not sent: the entitlement was never converted (cancelled at step {})", record.step);
                        self.close_clawback(&c, ClawbackStatus::NotConverted, detail)
                    }
                    None => Ok(c), // being processed right now: settled when that ends
                }
            }
            Step::Consuming | Step::Consumed => Ok(c),
            step => {
                let detail = format!("not sent: the entitlement was never converted ({step})");
                self.close_clawback(&c, ClawbackStatus::NotConverted, detail)
            }
        }
    }

    /// Moves a not-yet-consumed record to `Cancelled`; `None` when it is busy elsewhere.
    fn cancel_unconsumed(&self, record: &Record, c: &ClawbackRecord) -> Result<Option<Record>, ProcessorError> {
        let Some(_guard) = self.enter(record.id) else { return Ok(None) };
        let leased = match self.take_lease(record.clone())? {
            Ok(r) => r,
            Err(_) => return Ok(None),
        };
        if leased.step != Step::Recorded && leased.step != Step::IntentCreated {
            // It moved on while we looked: release and let the normal settling handle it.
            self.write(&leased, |r| {
                r.lease_owner = None;
                r.lease_until = 0;
            })?;
            return Ok(None);
        }
        let reason = format!("{} before conversion: {}", c.kind.as_str(), c.reason);
        self.write(&leased, |r| {
            r.step = Step::Cancelled;
            r.reason = Some(reason);
            r.lease_owner = None;
            r.lease_until = 0;
        })
    }

    fn forward(&self, c: ClawbackRecord, record: &Record) -> Result<ClawbackRecord, ProcessorError> {
        let Some(transaction_id) = record.transaction_id else {
            return self.close_clawback(&c, ClawbackStatus::NotConverted, "not sent: no transaction id".into());
        };
        let mut c = c;
        if c.status != ClawbackStatus::Sending {
            // Durable before sending: a crash now leaves it `Sending`, retried on resume.
            let mut next = c.clone();
            next.status = ClawbackStatus::Sending;
            next.transaction_id = Some(transaction_id);
            next.updated_at = self.now();
            c = match self.storage.update_clawback(&next) {
                Ok(r) => r,
                Err(StorageError::Conflict) => {
                    // Either another clawback of this entitlement is being (or was) forwarded, in
                    // this instance or another: this one is closed, never sent; or this one was
                    // updated meanwhile: report it as it is.
                    let siblings = self.storage.clawbacks_for(record.id)?;
                    let forwarder =
                        siblings.iter().find(|o| o.id != c.id && matches!(o.status, ClawbackStatus::Sending | ClawbackStatus::Forwarded));
                    return match forwarder {
                        Some(first) => {
                            let detail = format!("clawback {} of this transaction was already forwarded", first.id);
                            self.close_clawback(&c, ClawbackStatus::AlreadyForwarded, detail)
                        }
                        None => Ok(siblings.into_iter().find(|x| x.id == c.id).unwrap_or(c)),
                    };
                }
                Err(e) => return Err(e.into()),
            };
        }
        let reason = format!("{}: {}", c.kind.as_str(), c.reason);
        let request = ClawbackRequest::new(ClawbackTarget::TransactionId(transaction_id), record.portal, reason);
        let mut next = c.clone();
        next.updated_at = self.now();
        match self.s2s.clawback(&request) {
            Ok(t) => {
                next.status = ClawbackStatus::Forwarded;
                next.transaction_state = Some(t.transaction.state.name().to_owned());
                next.detail = None;
            }
            Err(e) if is_refusal(&e) => {
                next.status = ClawbackStatus::Rejected;
                next.detail = Some(format!("mod.io refused the clawback: {e}"));
            }
            Err(e) => next.detail = Some(format!("not sent yet (resume_clawbacks retries it): {e}")),
        }
        match self.storage.update_clawback(&next) {
            Ok(r) => Ok(r),
            Err(StorageError::Conflict) => Ok(next),
            Err(e) => Err(e.into()),
        }
    }
}

fn check_delegation(delegation: &Secret) -> Result<(), ProcessorError> {
    if delegation.expose().trim().is_empty() {
        return Err(ProcessorError::Invalid(Error::invalid_argument("delegation_token", "must not be empty")));
    }
    Ok(())
}
