//! [`Storage`] on a PostgreSQL server: the storage several purchase-server instances share.
//!
//! The same rules as [`crate::SqliteStorage`], kept by the database itself: every write is one
//! statement or one transaction, committed (and so durable) before the call returns; a record's
//! update is a compare-and-set on its `version` (`UPDATE … WHERE version = $n`); one record per
//! (portal, entitlement id) and one per ledger order are unique constraints, claimed with
//! `INSERT … ON CONFLICT DO NOTHING` in the same transaction, so two instances recording the same
//! entitlement or order at once make one record (the second waits on the first's row lock, then
//! sees it); at most one clawback per record is `sending` or `forwarded` (a partial unique index).
//! No sleeps, no polling, no lock table of its own.
//!
//! The schema is applied by [`PostgresStorage::connect`] in one transaction guarded by an
//! advisory lock, so instances starting together migrate once.

use std::sync::Mutex;

use modio_market::S2sPortal;
use postgres::error::SqlState;
use postgres::{Client, NoTls, Row};

use crate::storage::{
    ClawbackKind, ClawbackRecord, ClawbackStatus, Created, NewClawback, NewRecord, Record, RecordId, Step, Storage, StorageError,
};

/// The schema this build writes; `modio_market_schema` holds the database's.
const SCHEMA_VERSION: i64 = 1;

/// An arbitrary constant naming this crate's migration lock (`pg_advisory_xact_lock`).
const MIGRATION_LOCK: i64 = 0x6d6f_6469_6f6d_6b74;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS modio_market_schema (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS entitlements (
    id BIGSERIAL PRIMARY KEY,
    version BIGINT NOT NULL,
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
    intent_key_at BIGINT NOT NULL,
    transaction_id BIGINT,
    transaction_state TEXT,
    gross_amount BIGINT,
    consume_tracking_id TEXT NOT NULL,
    consume_attempts BIGINT NOT NULL,
    commit_key TEXT,
    commit_key_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (portal, entitlement_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS entitlements_transaction ON entitlements (transaction_id) WHERE transaction_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS entitlements_unfinished ON entitlements (id) WHERE step IN ('recorded', 'intent_created', 'consuming', 'consumed');
-- Google Play and the Apple App Store do not track consumption: an order converts once.
CREATE TABLE IF NOT EXISTS order_ledger (
    portal TEXT NOT NULL,
    order_id TEXT NOT NULL,
    record_id BIGINT NOT NULL REFERENCES entitlements (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (portal, order_id)
);
CREATE TABLE IF NOT EXISTS clawbacks (
    id BIGSERIAL PRIMARY KEY,
    version BIGINT NOT NULL,
    record_id BIGINT NOT NULL REFERENCES entitlements (id),
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    transaction_id BIGINT,
    transaction_state TEXT,
    detail TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS clawbacks_record ON clawbacks (record_id);
CREATE INDEX IF NOT EXISTS clawbacks_open ON clawbacks (id) WHERE status IN ('sending', 'deferred');
-- One clawback per entitlement reaches mod.io (see SqliteStorage).
CREATE UNIQUE INDEX IF NOT EXISTS clawbacks_one_forward ON clawbacks (record_id) WHERE status IN ('sending', 'forwarded');
";

const RECORD_COLUMNS: &str = "id, version, portal, entitlement_id, order_id, sku, user_ref, gateway_uuid, clawback_uuid, step, reason, \
     intent_key, intent_key_at, transaction_id, transaction_state, gross_amount, consume_tracking_id, consume_attempts, \
     commit_key, commit_key_at, lease_owner, lease_until, created_at, updated_at";

const CLAWBACK_COLUMNS: &str =
    "id, version, record_id, kind, reason, status, transaction_id, transaction_state, detail, created_at, updated_at";

/// A [`Storage`] in a PostgreSQL database. One connection per instance, used by one call at a
/// time (the processor's calls are short; several instances are several processes).
pub struct PostgresStorage {
    client: Mutex<Client>,
}

fn backend(e: postgres::Error) -> StorageError {
    // The driver's text names the SQL state and the server's message: never a parameter value.
    StorageError::Backend(e.to_string())
}

/// A write refused by a unique constraint lost a race to another writer: a conflict, not a fault.
fn conflict_or_backend(e: postgres::Error) -> StorageError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        StorageError::Conflict
    } else {
        backend(e)
    }
}

fn corrupt(what: &str) -> StorageError {
    StorageError::Backend(format!("unknown {what} in the database"))
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn record_from_row(row: &Row) -> Result<Record, StorageError> {
    let portal: String = row.get(2);
    let step: String = row.get(9);
    let transaction_id: Option<i64> = row.get(13);
    let attempts: i64 = row.get(17);
    Ok(Record {
        id: row.get(0),
        version: row.get(1),
        portal: S2sPortal::parse(&portal).map_err(|_| corrupt("portal"))?,
        entitlement_id: row.get(3),
        order_id: row.get(4),
        sku: row.get(5),
        user: row.get(6),
        gateway_uuid: row.get(7),
        clawback_uuid: row.get(8),
        step: Step::parse(&step).ok_or_else(|| corrupt("step"))?,
        reason: row.get(10),
        intent_key: row.get(11),
        intent_key_at: row.get(12),
        transaction_id: transaction_id.map(|t| t as u64),
        transaction_state: row.get(14),
        gross_amount: row.get(15),
        consume_tracking_id: row.get(16),
        consume_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        commit_key: row.get(18),
        commit_key_at: row.get(19),
        lease_owner: row.get(20),
        lease_until: row.get(21),
        created_at: row.get(22),
        updated_at: row.get(23),
    })
}

fn clawback_from_row(row: &Row) -> Result<ClawbackRecord, StorageError> {
    let kind: String = row.get(3);
    let status: String = row.get(5);
    let transaction_id: Option<i64> = row.get(6);
    Ok(ClawbackRecord {
        id: row.get(0),
        version: row.get(1),
        record_id: row.get(2),
        kind: ClawbackKind::parse(&kind).ok_or_else(|| corrupt("clawback kind"))?,
        reason: row.get(4),
        status: ClawbackStatus::parse(&status).ok_or_else(|| corrupt("clawback status"))?,
        transaction_id: transaction_id.map(|t| t as u64),
        transaction_state: row.get(7),
        detail: row.get(8),
        created_at: row.get(9),
        updated_at: row.get(10),
    })
}

fn records(rows: Vec<Row>) -> Result<Vec<Record>, StorageError> {
    rows.iter().map(record_from_row).collect()
}

fn clawbacks(rows: Vec<Row>) -> Result<Vec<ClawbackRecord>, StorageError> {
    rows.iter().map(clawback_from_row).collect()
}

impl PostgresStorage {
    /// Connects to `url` (`postgresql://user@host:port/database`, or `host=/run/postgresql
    /// dbname=…`) and applies the schema if needed. The connection is not encrypted: run the
    /// server on the same host or a private network (or put TLS in front of it).
    pub fn connect(url: &str) -> Result<PostgresStorage, StorageError> {
        let mut client = Client::connect(url, NoTls).map_err(backend)?;
        let mut tx = client.transaction().map_err(backend)?;
        // Instances starting together: the first migrates, the others wait for it, then see it.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(backend)?;
        tx.batch_execute(SCHEMA).map_err(backend)?;
        let version: Option<i64> =
            tx.query_opt("SELECT max(version) FROM modio_market_schema", &[]).map_err(backend)?.and_then(|r| r.get(0));
        match version {
            Some(v) if v > SCHEMA_VERSION => {
                return Err(StorageError::Backend(format!("the database has schema version {v}; this build knows up to {SCHEMA_VERSION}")))
            }
            Some(_) => {}
            None => {
                tx.execute("INSERT INTO modio_market_schema (version) VALUES ($1)", &[&SCHEMA_VERSION]).map_err(backend)?;
            }
        }
        tx.commit().map_err(backend)?;
        Ok(PostgresStorage { client: Mutex::new(client) })
    }

    fn client(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn one_record(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Option<Record>, StorageError> {
        self.client().query_opt(sql, params).map_err(backend)?.as_ref().map(record_from_row).transpose()
    }
}

impl Storage for PostgresStorage {
    fn create(&self, new: &NewRecord) -> Result<Created, StorageError> {
        let mut client = self.client();
        let mut tx = client.transaction().map_err(backend)?;
        // A concurrent insert of the same entitlement waits here on its row until that commits,
        // then does nothing: the existing record is read below.
        let inserted = tx
            .query_opt(
                &format!(
                    "INSERT INTO entitlements (version, portal, entitlement_id, order_id, sku, user_ref, gateway_uuid, clawback_uuid, \
                     step, reason, intent_key, intent_key_at, consume_tracking_id, consume_attempts, lease_until, created_at, updated_at) \
                     VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0, 0, $11, $11) \
                     ON CONFLICT (portal, entitlement_id) DO NOTHING RETURNING {RECORD_COLUMNS}"
                ),
                &[
                    &new.portal.as_str(),
                    &new.entitlement_id,
                    &new.order_id,
                    &new.sku,
                    &new.user,
                    &new.gateway_uuid,
                    &new.clawback_uuid,
                    &new.step.as_str(),
                    &new.reason,
                    &new.intent_key,
                    &new.now,
                    &new.consume_tracking_id,
                ],
            )
            .map_err(backend)?;
        let Some(row) = inserted else {
            let existing = tx
                .query_one(
                    &format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE portal = $1 AND entitlement_id = $2"),
                    &[&new.portal.as_str(), &new.entitlement_id],
                )
                .map_err(backend)?;
            return Ok(Created::Existing(record_from_row(&existing)?));
        };
        let record = record_from_row(&row)?;
        if new.claim_order {
            let order = new.order_id.as_deref().ok_or_else(|| StorageError::Backend("claim_order without an order_id".into()))?;
            let claimed = tx
                .execute(
                    "INSERT INTO order_ledger (portal, order_id, record_id, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (portal, order_id) DO NOTHING",
                    &[&new.portal.as_str(), &order, &record.id, &new.now],
                )
                .map_err(backend)?;
            if claimed == 0 {
                // The order belongs to another record: this one is not kept.
                tx.rollback().map_err(backend)?;
                drop(client);
                let holder =
                    self.find_order(new.portal, order)?.ok_or_else(|| StorageError::Backend("the order's holder vanished".into()))?;
                return Ok(Created::DuplicateOrder(holder));
            }
        }
        tx.commit().map_err(backend)?;
        Ok(Created::New(record))
    }

    fn get(&self, id: RecordId) -> Result<Option<Record>, StorageError> {
        self.one_record(&format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE id = $1"), &[&id])
    }

    fn find(&self, portal: S2sPortal, entitlement_id: &str) -> Result<Option<Record>, StorageError> {
        self.one_record(
            &format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE portal = $1 AND entitlement_id = $2"),
            &[&portal.as_str(), &entitlement_id],
        )
    }

    fn find_order(&self, portal: S2sPortal, order_id: &str) -> Result<Option<Record>, StorageError> {
        let id: Option<i64> = self
            .client()
            .query_opt("SELECT record_id FROM order_ledger WHERE portal = $1 AND order_id = $2", &[&portal.as_str(), &order_id])
            .map_err(backend)?
            .map(|r| r.get(0));
        match id {
            Some(id) => self.get(id),
            None => Ok(None),
        }
    }

    fn update(&self, r: &Record) -> Result<Record, StorageError> {
        let row = self
            .client()
            .query_opt(
                &format!(
                    "UPDATE entitlements SET version = version + 1, order_id = $3, sku = $4, user_ref = $5, gateway_uuid = $6, \
                     clawback_uuid = $7, step = $8, reason = $9, intent_key = $10, intent_key_at = $11, transaction_id = $12, \
                     transaction_state = $13, gross_amount = $14, consume_attempts = $15, commit_key = $16, commit_key_at = $17, \
                     lease_owner = $18, lease_until = $19, updated_at = $20 \
                     WHERE id = $1 AND version = $2 RETURNING {RECORD_COLUMNS}"
                ),
                &[
                    &r.id,
                    &r.version,
                    &r.order_id,
                    &r.sku,
                    &r.user,
                    &r.gateway_uuid,
                    &r.clawback_uuid,
                    &r.step.as_str(),
                    &r.reason,
                    &r.intent_key,
                    &r.intent_key_at,
                    &r.transaction_id.map(to_i64),
                    &r.transaction_state,
                    &r.gross_amount,
                    &i64::from(r.consume_attempts),
                    &r.commit_key,
                    &r.commit_key_at,
                    &r.lease_owner,
                    &r.lease_until,
                    &r.updated_at,
                ],
            )
            .map_err(conflict_or_backend)?;
        match row {
            Some(row) => record_from_row(&row),
            None => Err(StorageError::Conflict),
        }
    }

    fn unfinished(&self) -> Result<Vec<Record>, StorageError> {
        records(
            self.client()
                .query(
                    &format!(
                        "SELECT {RECORD_COLUMNS} FROM entitlements \
                         WHERE step IN ('recorded', 'intent_created', 'consuming', 'consumed') ORDER BY id"
                    ),
                    &[],
                )
                .map_err(backend)?,
        )
    }

    fn find_transaction(&self, transaction_id: u64) -> Result<Option<Record>, StorageError> {
        self.one_record(&format!("SELECT {RECORD_COLUMNS} FROM entitlements WHERE transaction_id = $1"), &[&to_i64(transaction_id)])
    }

    fn add_clawback(&self, new: &NewClawback) -> Result<ClawbackRecord, StorageError> {
        let row = self
            .client()
            .query_one(
                &format!(
                    "INSERT INTO clawbacks (version, record_id, kind, reason, status, transaction_id, detail, created_at, updated_at) \
                     VALUES (1, $1, $2, $3, $4, $5, $6, $7, $7) RETURNING {CLAWBACK_COLUMNS}"
                ),
                &[
                    &new.record_id,
                    &new.kind.as_str(),
                    &new.reason,
                    &new.status.as_str(),
                    &new.transaction_id.map(to_i64),
                    &new.detail,
                    &new.now,
                ],
            )
            .map_err(conflict_or_backend)?;
        clawback_from_row(&row)
    }

    fn update_clawback(&self, c: &ClawbackRecord) -> Result<ClawbackRecord, StorageError> {
        let row = self
            .client()
            .query_opt(
                &format!(
                    "UPDATE clawbacks SET version = version + 1, status = $3, transaction_id = $4, transaction_state = $5, detail = $6, \
                     updated_at = $7 WHERE id = $1 AND version = $2 RETURNING {CLAWBACK_COLUMNS}"
                ),
                &[&c.id, &c.version, &c.status.as_str(), &c.transaction_id.map(to_i64), &c.transaction_state, &c.detail, &c.updated_at],
            )
            .map_err(conflict_or_backend)?;
        match row {
            Some(row) => clawback_from_row(&row),
            None => Err(StorageError::Conflict),
        }
    }

    fn clawbacks_for(&self, record_id: RecordId) -> Result<Vec<ClawbackRecord>, StorageError> {
        clawbacks(
            self.client()
                .query(&format!("SELECT {CLAWBACK_COLUMNS} FROM clawbacks WHERE record_id = $1 ORDER BY id"), &[&record_id])
                .map_err(backend)?,
        )
    }

    fn open_clawbacks(&self) -> Result<Vec<ClawbackRecord>, StorageError> {
        clawbacks(
            self.client()
                .query(&format!("SELECT {CLAWBACK_COLUMNS} FROM clawbacks WHERE status IN ('sending', 'deferred') ORDER BY id"), &[])
                .map_err(backend)?,
        )
    }
}
