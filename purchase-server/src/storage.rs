//! The durable records of the purchase processor, behind a small interface.
//!
//! Every write is a compare-and-set on the record's `version`, and a record being worked on
//! carries a lease (`lease_owner`, `lease_until`). Those two rules are what let several purchase
//! server instances share one database later (a SQL server implementing [`Storage`]): two
//! instances can never both move a record forward, and a crashed instance's work is picked up
//! once its lease runs out. [`crate::SqliteStorage`] is the embedded default.
//!
//! Records hold ids, keys, states and reasons: never a token or a secret. Resuming a commit
//! needs the user's delegation token, which the caller supplies again.

use std::fmt;
use std::sync::Arc;

use modio_market::S2sPortal;

/// A record's id in its storage.
pub type RecordId = i64;

/// Where the processing of one entitlement stands. The order of the happy path is
/// `Recorded → IntentCreated → Consuming → Consumed → Credited`; the others end it without credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Recorded, with its intent idempotency key; the intent may or may not have been sent.
    Recorded,
    /// mod.io answered the intent: the transaction id is known.
    IntentCreated,
    /// The studio's consume function was (or is about to be) called: a resume after a crash here
    /// calls it again with `interrupted` set and the same tracking id.
    Consuming,
    /// The platform entitlement is consumed; the commit is owed until mod.io answers definitively.
    Consumed,
    /// Terminal: mod.io committed the transaction and credited the user.
    Credited,
    /// Terminal: the platform says the entitlement was already consumed. Never committed.
    AlreadyConsumed,
    /// Terminal (may be reopened): consuming failed for good. Never committed.
    ConsumeFailed,
    /// Terminal (may be reopened): mod.io refused the intent (e.g. an unmapped SKU). Nothing consumed.
    IntentRejected,
    /// Terminal (may be reopened): mod.io refused the commit of a consumed entitlement. The user
    /// paid the platform and got nothing: the studio must act (see `reason`).
    CommitRejected,
    /// Terminal: refunded or charged back before it was converted. Never converted.
    Cancelled,
}

impl Step {
    pub const ALL: [Step; 10] = [
        Step::Recorded,
        Step::IntentCreated,
        Step::Consuming,
        Step::Consumed,
        Step::Credited,
        Step::AlreadyConsumed,
        Step::ConsumeFailed,
        Step::IntentRejected,
        Step::CommitRejected,
        Step::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Recorded => "recorded",
            Step::IntentCreated => "intent_created",
            Step::Consuming => "consuming",
            Step::Consumed => "consumed",
            Step::Credited => "credited",
            Step::AlreadyConsumed => "already_consumed",
            Step::ConsumeFailed => "consume_failed",
            Step::IntentRejected => "intent_rejected",
            Step::CommitRejected => "commit_rejected",
            Step::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.as_str() == s)
    }

    /// No further processing happens (without `Processor::reopen`).
    pub fn is_terminal(self) -> bool {
        !matches!(self, Step::Recorded | Step::IntentCreated | Step::Consuming | Step::Consumed)
    }

    /// The platform entitlement has been (or may have been) consumed.
    pub fn may_be_consumed(self) -> bool {
        matches!(self, Step::Consuming | Step::Consumed | Step::Credited | Step::CommitRejected)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The durable record of one platform entitlement being converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: RecordId,
    /// Bumped by every write; a write naming an older version is a [`StorageError::Conflict`].
    pub version: i64,
    pub portal: S2sPortal,
    /// The entitlement's id on the platform (for Apple and Google, the order id).
    pub entitlement_id: String,
    /// The platform order id (required for Apple and Google, whose orders go in the ledger).
    pub order_id: Option<String>,
    pub sku: String,
    /// The studio's id for the player (never a token).
    pub user: String,
    pub gateway_uuid: Option<String>,
    pub clawback_uuid: Option<String>,
    pub step: Step,
    /// Why the record is where it is: the last refusal, failure, or what it waits for.
    pub reason: Option<String>,
    /// `X-Modio-Idempotent-Key` of the intent, and when it was made (unix seconds).
    pub intent_key: String,
    pub intent_key_at: i64,
    pub transaction_id: Option<u64>,
    /// The last `transaction_type` mod.io answered.
    pub transaction_state: Option<String>,
    pub gross_amount: Option<i64>,
    /// Handed to every consume call of this entitlement (use it as the platform's tracking id).
    pub consume_tracking_id: String,
    pub consume_attempts: u32,
    /// `X-Modio-Idempotent-Key` of the commit, made (and stored) before the first commit is sent.
    pub commit_key: Option<String>,
    pub commit_key_at: Option<i64>,
    pub lease_owner: Option<String>,
    pub lease_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A record to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    pub portal: S2sPortal,
    pub entitlement_id: String,
    pub order_id: Option<String>,
    /// Claim `order_id` in the order ledger (Apple, Google): creation fails with
    /// [`Created::DuplicateOrder`] when another record holds it.
    pub claim_order: bool,
    pub sku: String,
    pub user: String,
    pub gateway_uuid: Option<String>,
    pub clawback_uuid: Option<String>,
    pub step: Step,
    pub reason: Option<String>,
    pub intent_key: String,
    pub consume_tracking_id: String,
    pub now: i64,
}

/// What [`Storage::create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New(Record),
    /// A record for this (portal, entitlement id) already exists: nothing was written.
    Existing(Record),
    /// The order id is already in the ledger, held by this record: nothing was written.
    DuplicateOrder(Record),
}

/// The platform event behind a clawback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClawbackKind {
    Refund,
    Chargeback,
    /// A chargeback that was reversed: the payment stands. Recorded for the studio, never sent.
    ChargebackReversal,
}

impl ClawbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClawbackKind::Refund => "refund",
            ClawbackKind::Chargeback => "chargeback",
            ClawbackKind::ChargebackReversal => "chargeback_reversal",
        }
    }
    pub fn parse(s: &str) -> Option<ClawbackKind> {
        [ClawbackKind::Refund, ClawbackKind::Chargeback, ClawbackKind::ChargebackReversal].into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a clawback event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClawbackStatus {
    /// Being sent to mod.io (or to be sent again after a failure or a crash).
    Sending,
    /// The entitlement may still be converted (consumed, commit not settled): sent if and
    /// when the commit succeeds, else closed as `NotConverted`.
    Deferred,
    /// Terminal: mod.io took the clawback (see `transaction_state`).
    Forwarded,
    /// Terminal: the entitlement was never converted; nothing to send (the reference says so).
    NotConverted,
    /// Terminal: an earlier clawback of the same transaction was already forwarded.
    AlreadyForwarded,
    /// Terminal: recorded for the studio to act on (a chargeback reversal); not sent.
    ForStudio,
    /// Terminal: mod.io refused the clawback (see `detail`).
    Rejected,
}

impl ClawbackStatus {
    pub const ALL: [ClawbackStatus; 7] = [
        ClawbackStatus::Sending,
        ClawbackStatus::Deferred,
        ClawbackStatus::Forwarded,
        ClawbackStatus::NotConverted,
        ClawbackStatus::AlreadyForwarded,
        ClawbackStatus::ForStudio,
        ClawbackStatus::Rejected,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ClawbackStatus::Sending => "sending",
            ClawbackStatus::Deferred => "deferred",
            ClawbackStatus::Forwarded => "forwarded",
            ClawbackStatus::NotConverted => "not_converted",
            ClawbackStatus::AlreadyForwarded => "already_forwarded",
            ClawbackStatus::ForStudio => "for_studio",
            ClawbackStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<ClawbackStatus> {
        ClawbackStatus::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn is_open(self) -> bool {
        matches!(self, ClawbackStatus::Sending | ClawbackStatus::Deferred)
    }
}

/// The durable record of one clawback event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClawbackRecord {
    pub id: i64,
    pub version: i64,
    /// The entitlement record it concerns.
    pub record_id: RecordId,
    pub kind: ClawbackKind,
    /// The platform's reason, sent as `refund_reason`.
    pub reason: String,
    pub status: ClawbackStatus,
    pub transaction_id: Option<u64>,
    /// `transaction_type` of mod.io's answer.
    pub transaction_state: Option<String>,
    /// What happened (the error of a failed send, why it was not sent).
    pub detail: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClawback {
    pub record_id: RecordId,
    pub kind: ClawbackKind,
    pub reason: String,
    pub status: ClawbackStatus,
    pub transaction_id: Option<u64>,
    pub detail: Option<String>,
    pub now: i64,
}

/// A storage failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The record changed since it was read (another writer moved it first).
    Conflict,
    /// The backend failed (I/O, corruption, a lost connection). The text never holds a secret.
    Backend(String),
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageError::Conflict => f.write_str("the record was changed by another writer"),
            StorageError::Backend(e) => write!(f, "storage failed: {e}"),
        }
    }
}

impl std::error::Error for StorageError {}

/// Durable storage for the processor. Each method is atomic; `update`s are compare-and-set.
///
/// Implementations must make a successful write durable before returning (the processor calls
/// the platform and mod.io right after), and must be safe to call from several threads.
pub trait Storage: Send + Sync {
    /// Creates a record unless one exists for (portal, entitlement id) or, with `claim_order`,
    /// the order id is in the ledger; both checks and both inserts are one atomic step.
    fn create(&self, new: &NewRecord) -> Result<Created, StorageError>;
    fn get(&self, id: RecordId) -> Result<Option<Record>, StorageError>;
    fn find(&self, portal: S2sPortal, entitlement_id: &str) -> Result<Option<Record>, StorageError>;
    /// The record holding `order_id` in the ledger.
    fn find_order(&self, portal: S2sPortal, order_id: &str) -> Result<Option<Record>, StorageError>;
    /// Writes every field of `record` if the stored version is still `record.version`, and
    /// returns it with the version bumped; [`StorageError::Conflict`] otherwise.
    fn update(&self, record: &Record) -> Result<Record, StorageError>;
    /// Records not in a terminal step, oldest first.
    fn unfinished(&self) -> Result<Vec<Record>, StorageError>;
    /// The record whose intent made mod.io transaction `transaction_id` (reconciliation).
    fn find_transaction(&self, transaction_id: u64) -> Result<Option<Record>, StorageError>;

    fn add_clawback(&self, new: &NewClawback) -> Result<ClawbackRecord, StorageError>;
    /// Compare-and-set like [`Storage::update`]. At most one clawback per entitlement record may
    /// be `Sending` or `Forwarded` at a time: a write that would make a second one fails with
    /// [`StorageError::Conflict`], atomically with the other instance's write (so the same refund
    /// delivered to two instances at once is forwarded once).
    fn update_clawback(&self, clawback: &ClawbackRecord) -> Result<ClawbackRecord, StorageError>;
    fn clawbacks_for(&self, record_id: RecordId) -> Result<Vec<ClawbackRecord>, StorageError>;
    /// Clawbacks still `Sending` or `Deferred`, oldest first.
    fn open_clawbacks(&self) -> Result<Vec<ClawbackRecord>, StorageError>;
}

impl<S: Storage + ?Sized> Storage for Arc<S> {
    fn create(&self, new: &NewRecord) -> Result<Created, StorageError> {
        (**self).create(new)
    }
    fn get(&self, id: RecordId) -> Result<Option<Record>, StorageError> {
        (**self).get(id)
    }
    fn find(&self, portal: S2sPortal, entitlement_id: &str) -> Result<Option<Record>, StorageError> {
        (**self).find(portal, entitlement_id)
    }
    fn find_order(&self, portal: S2sPortal, order_id: &str) -> Result<Option<Record>, StorageError> {
        (**self).find_order(portal, order_id)
    }
    fn update(&self, record: &Record) -> Result<Record, StorageError> {
        (**self).update(record)
    }
    fn unfinished(&self) -> Result<Vec<Record>, StorageError> {
        (**self).unfinished()
    }
    fn find_transaction(&self, transaction_id: u64) -> Result<Option<Record>, StorageError> {
        (**self).find_transaction(transaction_id)
    }
    fn add_clawback(&self, new: &NewClawback) -> Result<ClawbackRecord, StorageError> {
        (**self).add_clawback(new)
    }
    fn update_clawback(&self, clawback: &ClawbackRecord) -> Result<ClawbackRecord, StorageError> {
        (**self).update_clawback(clawback)
    }
    fn clawbacks_for(&self, record_id: RecordId) -> Result<Vec<ClawbackRecord>, StorageError> {
        (**self).clawbacks_for(record_id)
    }
    fn open_clawbacks(&self) -> Result<Vec<ClawbackRecord>, StorageError> {
        (**self).open_clawbacks()
    }
}
