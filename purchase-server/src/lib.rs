//! modio-market-server: a crash-safe purchase processor for studios that run their own
//! purchase server on the mod.io Marketplace (`studio-as-purchase-server.md`).
//!
//! - [`Processor`] turns one platform entitlement of one user into mod.io virtual currency:
//!   record, transaction intent, the studio's consume function, commit; each step durable before
//!   the next, so a crash anywhere resumes without losing or doubling money. Google Play and
//!   Apple App Store orders go through a ledger that converts each order once. Clawbacks are
//!   forwarded, recorded or deferred as the reference says.
//! - [`Storage`] is the small interface the records live behind (compare-and-set writes and
//!   leases, so a shared database can back several instances); [`SqliteStorage`] is the
//!   embedded default.
//! - The S2S calls themselves are `modio_market::S2sClient`, re-exported here.
//!
//! This crate is not part of the game library: a game never links it (nor SQLite).

mod postgres;
mod processor;
mod sqlite;
mod storage;

pub use modio_market::{
    ClawbackRequest, ClawbackTarget, CommitRequest, Config, Error, HistoryTransaction, IdempotencyKey, IntentRequest, RetryPolicy,
    S2sClient, S2sConfig, S2sPortal, S2sTransaction, Secret, TransactionQuery, TransactionState,
};
pub use postgres::PostgresStorage;

/// The storage a configuration names: a `postgresql://` (or `postgres://`) URL is a
/// [`PostgresStorage`] (several instances on one database); anything else is a SQLite file's
/// path, optionally written `sqlite:PATH` (one instance, the default).
pub fn open_storage(url: &str) -> Result<std::sync::Arc<dyn Storage>, StorageError> {
    if url.starts_with("postgresql://") || url.starts_with("postgres://") {
        Ok(std::sync::Arc::new(PostgresStorage::connect(url)?))
    } else {
        Ok(std::sync::Arc::new(SqliteStorage::open(url.strip_prefix("sqlite:").unwrap_or(url))?))
    }
}
pub use processor::{
    ClawbackEvent, ConsumeOutcome, ConsumeRequest, Discrepancy, Entitlement, Outcome, PendingCause, Processor, ProcessorConfig,
    ProcessorError, Reconciliation,
};
pub use sqlite::SqliteStorage;
pub use storage::{
    ClawbackKind, ClawbackRecord, ClawbackStatus, Created, NewClawback, NewRecord, Record, RecordId, Step, Storage, StorageError,
};
