//! The embedded default [`Storage`]: one SQLite file (rusqlite, SQLite compiled in), no server.
//!
//! Durability: WAL journal with `synchronous=FULL`, so a write has reached the disk when it
//! returns. Several processes may open the same file (SQLite locks it; writers wait up to the
//! busy timeout), which is how the crash tests resume a killed server's work.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use modio_market::S2sPortal;
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use crate::storage::{
    ClawbackKind, ClawbackRecord, ClawbackStatus, Created, NewClawback, NewRecord, Record, RecordId, Step, Storage, StorageError,
};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entitlements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL,
    portal TEXT NOT NULL,
    entitlement_id TEXT NOT NULL,
    order_id TEXT,
    sku TEXT NOT NULL,
    user_ref TEXT NOT NULL,
    gateway_uuid TEXT,
    clawback_uuid TEXT,
    step TEXT NOT NULL,
    reason TEXT,
    intent_key TEXT NOT NULL,
    intent_key_at INTEGER NOT NULL,
    transaction_id INTEGER,
    transaction_state TEXT,
    gross_amount INTEGER,
    consume_tracking_id TEXT NOT NULL,
    consume_attempts INTEGER NOT NULL,
    commit_key TEXT,
    commit_key_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (portal, entitlement_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS entitlements_transaction ON entitlements (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entitlements_step ON entitlements (step);
-- Google Play and the Apple App Store do not track consumption: an order converts once.
CREATE TABLE IF NOT EXISTS order_ledger (
    portal TEXT NOT NULL,
    order_id TEXT NOT NULL,
    record_id INTEGER NOT NULL REFERENCES entitlements (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (portal, order_id)
);
CREATE TABLE IF NOT EXISTS clawbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL,
    record_id INTEGER NOT NULL REFERENCES entitlements (id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    transaction_id INTEGER,
    transaction_state TEXT,
    detail TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS clawbacks_record ON clawbacks (record_id);
CREATE INDEX IF NOT EXISTS clawbacks_status ON clawbacks (status);
-- One clawback per entitlement reaches mod.io: the same refund delivered to two instances at once
-- makes two rows, and only one of them can be sending or forwarded (the other's update fails).
CREATE UNIQUE INDEX IF NOT EXISTS clawbacks_one_forward ON clawbacks (record_id) WHERE status IN ('sending', 'forwarded');
";

const RECORD_COLUMNS: &str = "id, version, portal, entitlement_id, order_id, sku, user_ref, gateway_uuid, clawback_uuid, step, reason, \
     intent_key, intent_key_at, transaction_id, transaction_state, gross_amount, consume_tracking_id, consume_attempts, \
     commit_key, commit_key_at, lease_owner, lease_until, created_at, updated_at";

const CLAWBACK_COLUMNS: &str =
    "id, version, record_id, kind, reason, status, transaction_id, transaction_state, detail, created_at, updated_at";

/// A [`Storage`] in one SQLite file.
pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

fn backend(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

/// A write refused by a unique constraint lost a race to another writer: a conflict, not a fault.
fn conflict_or_backend(e: rusqlite::Error) -> StorageError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => StorageError::Conflict,
        _ => backend(e),
    }
}

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("unknown {what} in the database").into())
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<Record> {
    let portal: String = row.get(2)?;
    let step: String = row.get(9)?;
    let transaction_id: Option<i64> = row.get(13)?;
    let attempts: i64 = row.get(17)?;
    Ok(Record {
        id: row.get(0)?,
        version: row.get(1)?,
        portal: S2sPortal::parse(&portal).map_err(|_| corrupt("portal"))?,
        entitlement_id: row.get(3)?,
        order_id: row.get(4)?,
        sku: row.get(5)?,
        user: row.get(6)?,
        gateway_uuid: row.get(7)?,
        clawback_uuid: row.get(8)?,
        step: Step::parse(&step).ok_or_else(|| corrupt("step"))?,
        reason: row.get(10)?,
        intent_key: row.get(11)?,
        intent_key_at: row.get(12)?,
        transaction_id: transaction_id.map(|t| t as u64),
        transaction_state: row.get(14)?,
        gross_amount: row.get(15)?,
        consume_tracking_id: row.get(16)?,
        consume_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        commit_key: row.get(18)?,
        commit_key_at: row.get(19)?,
        lease_owner: row.get(20)?,
        lease_until: row.get(21)?,
        created_at: row.get(22)?,
        updated_at: row.get(23)?,
    })
}

fn clawback_from_row(row: &Row<'_>) -> rusqlite::Result<ClawbackRecord> {
    let kind: String = row.get(3)?;
    let status: String = row.get(5)?;
    let transaction_id: Option<i64> = row.get(6)?;
    Ok(ClawbackRecord {
        id: row.get(0)?,
        version: row.get(1)?,
        record_id: row.get(2)?,
        kind: ClawbackKind::parse(&kind).ok_or_else(|| corrupt("clawback kind"))?,
        reason: row.get(4)?,
        status: ClawbackStatus::parse(&status).ok_or_else(|| corrupt("clawback status"))?,
        transaction_id: transaction_id.map(|t| t as u64),
        transaction_state: row.get(7)?,
        detail: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
    })
}

fn get_record(conn: &Connection, id: RecordId) -> rusqlite::Result<Option<Record>> {
    conn.query_row(&format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE id = ?1"), params![id], record_from_row).optional()
}

fn find_record(conn: &Connection, portal: S2sPortal, entitlement_id: &str) -> rusqlite::Result<Option<Record>> {
    conn.query_row(
        &format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE portal = ?1 AND entitlement_id = ?2"),
        params![portal.as_str(), entitlement_id],
        record_from_row,
    )
    .optional()
}

fn find_order_record(conn: &Connection, portal: S2sPortal, order_id: &str) -> rusqlite::Result<Option<Record>> {
    let id: Option<i64> = conn
        .query_row("SELECT record_id FROM order_ledger WHERE portal = ?1 AND order_id = ?2", params![portal.as_str(), order_id], |r| {
            r.get(0)
        })
        .optional()?;
    match id {
        Some(id) => get_record(conn, id),
        None => Ok(None),
    }
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path`. On Unix a new file is made readable
    /// by its owner only: it holds no secret, but it is the studio's purchase ledger.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage, StorageError> {
        let path = path.as_ref();
        #[cfg(unix)]
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(path)
                .map_err(|e| StorageError::Backend(format!("could not create the database file: {e}")))?;
        }
        let conn = Connection::open(path).map_err(backend)?;
        SqliteStorage::init(conn)
    }

    /// A database in memory (tests, tools): gone when dropped.
    pub fn open_in_memory() -> Result<SqliteStorage, StorageError> {
        SqliteStorage::init(Connection::open_in_memory().map_err(backend)?)
    }

    fn init(conn: Connection) -> Result<SqliteStorage, StorageError> {
        conn.busy_timeout(Duration::from_secs(10)).map_err(backend)?;
        // WAL: readers do not block the writer; FULL: every commit is synced to disk.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(backend)?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;").map_err(backend)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(backend)?;
        if version > SCHEMA_VERSION {
            return Err(StorageError::Backend(format!(
                "the database has schema version {version}; this build knows up to {SCHEMA_VERSION}"
            )));
        }
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")).map_err(backend)?;
        Ok(SqliteStorage { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Storage for SqliteStorage {
    fn create(&self, new: &NewRecord) -> Result<Created, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(backend)?;
        if let Some(existing) = find_record(&tx, new.portal, &new.entitlement_id).map_err(backend)? {
            return Ok(Created::Existing(existing));
        }
        if new.claim_order {
            let order = new.order_id.as_deref().ok_or_else(|| StorageError::Backend("claim_order without an order_id".into()))?;
            if let Some(holder) = find_order_record(&tx, new.portal, order).map_err(backend)? {
                return Ok(Created::DuplicateOrder(holder));
            }
        }
        tx.execute(
            "INSERT INTO entitlements (version, portal, entitlement_id, order_id, sku, user_ref, gateway_uuid, clawback_uuid, step, \
             reason, intent_key, intent_key_at, consume_tracking_id, consume_attempts, lease_until, created_at, updated_at) \
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, 0, ?11, ?11)",
            params![
                new.portal.as_str(),
                new.entitlement_id,
                new.order_id,
                new.sku,
                new.user,
                new.gateway_uuid,
                new.clawback_uuid,
                new.step.as_str(),
                new.reason,
                new.intent_key,
                new.now,
                new.consume_tracking_id,
            ],
        )
        .map_err(backend)?;
        let id = tx.last_insert_rowid();
        if new.claim_order {
            tx.execute(
                "INSERT INTO order_ledger (portal, order_id, record_id, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![new.portal.as_str(), new.order_id, id, new.now],
            )
            .map_err(backend)?;
        }
        let record = get_record(&tx, id).map_err(backend)?.ok_or_else(|| StorageError::Backend("the new record vanished".into()))?;
        tx.commit().map_err(backend)?;
        Ok(Created::New(record))
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>, StorageError> {
        get_record(&self.conn(), id).map_err(backend)
    }

    fn find(&self, portal: S2sPortal, entitlement_id: &str) -> Result<Option<Record>, StorageError> {
        find_record(&self.conn(), portal, entitlement_id).map_err(backend)
    }

    fn find_order(&self, portal: S2sPortal, order_id: &str) -> Result<Option<Record>, StorageError> {
        find_order_record(&self.conn(), portal, order_id).map_err(backend)
    }

    fn update(&self, r: &Record) -> Result<Record, StorageError> {
        let conn = self.conn();
        let changed = conn
            .execute(
                "UPDATE entitlements SET version = version + 1, order_id = ?3, sku = ?4, user_ref = ?5, gateway_uuid = ?6, \
                 clawback_uuid = ?7, step = ?8, reason = ?9, intent_key = ?10, intent_key_at = ?11, transaction_id = ?12, \
                 transaction_state = ?13, gross_amount = ?14, consume_attempts = ?15, commit_key = ?16, commit_key_at = ?17, \
                 lease_owner = ?18, lease_until = ?19, updated_at = ?20 \
                 WHERE id = ?1 AND version = ?2",
                params![
                    r.id,
                    r.version,
                    r.order_id,
                    r.sku,
                    r.user,
                    r.gateway_uuid,
                    r.clawback_uuid,
                    r.step.as_str(),
                    r.reason,
                    r.intent_key,
                    r.intent_key_at,
                    r.transaction_id.map(to_i64),
                    r.transaction_state,
                    r.gross_amount,
                    i64::from(r.consume_attempts),
                    r.commit_key,
                    r.commit_key_at,
                    r.lease_owner,
                    r.lease_until,
                    r.updated_at,
                ],
            )
            .map_err(backend)?;
        if changed == 0 {
            return Err(StorageError::Conflict);
        }
        Ok(Record { version: r.version + 1, ..r.clone() })
    }

    fn unfinished(&self) -> Result<Vec<Record>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM entitlements WHERE step IN ('recorded', 'intent_created', 'consuming', 'consumed') ORDER BY id"
            ))
            .map_err(backend)?;
        let rows = stmt.query_map([], record_from_row).map_err(backend)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
    }

    fn find_transaction(&self, transaction_id: u64) -> Result<Option<Record>, StorageError> {
        self.conn()
            .query_row(
                &format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE transaction_id = ?1"),
                params![to_i64(transaction_id)],
                record_from_row,
            )
            .optional()
            .map_err(backend)
    }

    fn add_clawback(&self, new: &NewClawback) -> Result<ClawbackRecord, StorageError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO clawbacks (version, record_id, kind, reason, status, transaction_id, detail, created_at, updated_at) \
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![new.record_id, new.kind.as_str(), new.reason, new.status.as_str(), new.transaction_id.map(to_i64), new.detail, new.now],
        )
        .map_err(backend)?;
        let id = conn.last_insert_rowid();
        conn.query_row(&format!("SELECT {CLAWBACK_COLUMNS} FROM clawbacks WHERE id = ?1"), params![id], clawback_from_row).map_err(backend)
    }

    fn update_clawback(&self, c: &ClawbackRecord) -> Result<ClawbackRecord, StorageError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE clawbacks SET version = version + 1, status = ?3, transaction_id = ?4, transaction_state = ?5, detail = ?6, \
                 updated_at = ?7 WHERE id = ?1 AND version = ?2",
                params![c.id, c.version, c.status.as_str(), c.transaction_id.map(to_i64), c.transaction_state, c.detail, c.updated_at],
            )
            .map_err(conflict_or_backend)?;
        if changed == 0 {
            return Err(StorageError::Conflict);
        }
        Ok(ClawbackRecord { version: c.version + 1, ..c.clone() })
    }

    fn clawbacks_for(&self, record_id: RecordId) -> Result<Vec<ClawbackRecord>, StorageError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare(&format!("SELECT {CLAWBACK_COLUMNS} FROM clawbacks WHERE record_id = ?1 ORDER BY id")).map_err(backend)?;
        let rows = stmt.query_map(params![record_id], clawback_from_row).map_err(backend)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
    }

    fn open_clawbacks(&self) -> Result<Vec<ClawbackRecord>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {CLAWBACK_COLUMNS} FROM clawbacks WHERE status IN ('sending', 'deferred') ORDER BY id"))
            .map_err(backend)?;
        let rows = stmt.query_map([], clawback_from_row).map_err(backend)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_record(entitlement: &str, order: Option<&str>) -> NewRecord {
        NewRecord {
            portal: if order.is_some() { S2sPortal::Google } else { S2sPortal::Steam },
            entitlement_id: entitlement.into(),
            order_id: order.map(str::to_owned),
            claim_order: order.is_some(),
            sku: "GOLD_1000".into(),
            user: "player-1".into(),
            gateway_uuid: None,
            clawback_uuid: None,
            step: Step::Recorded,
            reason: None,
            intent_key: "k1".into(),
            consume_tracking_id: "t1".into(),
            now: 100,
        }
    }

    #[test]
    fn create_is_once_per_entitlement_and_per_order() {
        let s = SqliteStorage::open_in_memory().unwrap();
        let Created::New(a) = s.create(&new_record("e1", None)).unwrap() else { panic!("new") };
        assert_eq!((a.version, a.step, a.intent_key_at), (1, Step::Recorded, 100));
        assert!(matches!(s.create(&new_record("e1", None)).unwrap(), Created::Existing(r) if r.id == a.id));
        let Created::New(g) = s.create(&new_record("GPA.1", Some("GPA.1"))).unwrap() else { panic!("new") };
        match s.create(&new_record("other-id", Some("GPA.1"))).unwrap() {
            Created::DuplicateOrder(holder) => assert_eq!(holder.id, g.id),
            other => panic!("{other:?}"),
        }
        assert_eq!(s.find_order(S2sPortal::Google, "GPA.1").unwrap().unwrap().id, g.id);
        assert!(s.find(S2sPortal::Google, "other-id").unwrap().is_none(), "a refused create writes nothing");
    }

    #[test]
    fn updates_are_compare_and_set() {
        let s = SqliteStorage::open_in_memory().unwrap();
        let Created::New(r) = s.create(&new_record("e1", None)).unwrap() else { panic!("new") };
        let mut next = r.clone();
        next.step = Step::IntentCreated;
        next.transaction_id = Some(u64::from(u32::MAX) + 5);
        let written = s.update(&next).unwrap();
        assert_eq!(written.version, 2);
        assert_eq!(s.get(r.id).unwrap().unwrap(), written);
        // A writer holding the old version loses.
        assert_eq!(s.update(&r).unwrap_err(), StorageError::Conflict);
        assert_eq!(s.unfinished().unwrap().len(), 1);
        let mut done = written.clone();
        done.step = Step::Credited;
        s.update(&done).unwrap();
        assert!(s.unfinished().unwrap().is_empty());
    }

    #[test]
    fn clawbacks_round_trip() {
        let s = SqliteStorage::open_in_memory().unwrap();
        let Created::New(r) = s.create(&new_record("e1", None)).unwrap() else { panic!("new") };
        let c = s
            .add_clawback(&NewClawback {
                record_id: r.id,
                kind: ClawbackKind::Chargeback,
                reason: "dispute".into(),
                status: ClawbackStatus::Sending,
                transaction_id: Some(7),
                detail: None,
                now: 5,
            })
            .unwrap();
        assert_eq!(s.open_clawbacks().unwrap(), vec![c.clone()]);
        let mut done = c.clone();
        done.status = ClawbackStatus::Forwarded;
        done.transaction_state = Some("refunded".into());
        let done = s.update_clawback(&done).unwrap();
        assert!(s.open_clawbacks().unwrap().is_empty());
        assert_eq!(s.clawbacks_for(r.id).unwrap(), vec![done]);
        assert_eq!(s.update_clawback(&c).unwrap_err(), StorageError::Conflict);
    }
}
