//! Crash tests: a purchase server killed with SIGKILL at every step of the processor, then
//! resumed over the same database, ends with exactly one credit per entitlement, one
//! transaction, and an entitlement consumed once. Every scenario runs twice: over a SQLite file
//! and over a PostgreSQL database (a throwaway cluster the parent starts).
//!
//! This binary is both sides (`harness = false`): run normally it is the parent, which starts
//! the fake mod.io and, per scenario, re-runs itself as a child server (`MODIO_CRASH_ROLE=child`).
//! The child stops at the chosen point (right before or after a step is written, or inside the
//! consume call after the platform consumed), says so on stdout and waits; the parent kills it
//! with SIGKILL (`Child::kill`), checks what the database recorded, and resumes the work with a
//! fresh processor and a fresh delegation token.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use fake_modio::FakeServer;
use modio_market_server::{
    open_storage, ClawbackRecord, Created, Entitlement, NewClawback, NewRecord, Outcome, Processor, ProcessorConfig, Record, RecordId,
    S2sPortal, Secret, Step, Storage, StorageError,
};
use std::sync::Arc;

const ROLE: &str = "MODIO_CRASH_ROLE";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Point {
    AfterRecord,
    BeforeWrite(Step),
    AfterWrite(Step),
    /// Inside consume, after the platform consumed, before the callback returned.
    InConsume,
}

impl Point {
    const ALL: [Point; 9] = [
        Point::AfterRecord,
        Point::BeforeWrite(Step::IntentCreated),
        Point::AfterWrite(Step::IntentCreated),
        Point::AfterWrite(Step::Consuming),
        Point::InConsume,
        Point::BeforeWrite(Step::Consumed),
        Point::AfterWrite(Step::Consumed),
        Point::BeforeWrite(Step::Credited),
        Point::AfterWrite(Step::Credited),
    ];

    fn name(self) -> String {
        match self {
            Point::AfterRecord => "after:recorded".into(),
            Point::BeforeWrite(s) => format!("before:{s}"),
            Point::AfterWrite(s) => format!("after:{s}"),
            Point::InConsume => "in:consume".into(),
        }
    }

    fn parse(s: &str) -> Point {
        Point::ALL.into_iter().find(|p| p.name() == s).unwrap_or_else(|| panic!("unknown crash point {s}"))
    }

    /// The step the database shows after a crash here.
    fn recorded_step(self) -> Step {
        match self {
            Point::AfterRecord | Point::BeforeWrite(Step::IntentCreated) => Step::Recorded,
            Point::AfterWrite(Step::IntentCreated) => Step::IntentCreated,
            Point::AfterWrite(Step::Consuming) | Point::InConsume | Point::BeforeWrite(Step::Consumed) => Step::Consuming,
            Point::AfterWrite(Step::Consumed) | Point::BeforeWrite(Step::Credited) => Step::Consumed,
            Point::AfterWrite(Step::Credited) => Step::Credited,
            other => unreachable!("{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Child: a purchase server that stops dead at the crash point
// ---------------------------------------------------------------------------------------------

/// Tells the parent where we are and waits to be killed.
fn halt() -> ! {
    let mut out = std::io::stdout().lock();
    writeln!(out, "CRASHPOINT").unwrap();
    out.flush().unwrap();
    loop {
        std::thread::park();
    }
}

struct CrashingStorage {
    inner: Arc<dyn Storage>,
    point: Point,
}

impl Storage for CrashingStorage {
    fn create(&self, new: &NewRecord) -> Result<Created, StorageError> {
        let created = self.inner.create(new)?;
        if self.point == Point::AfterRecord {
            halt();
        }
        Ok(created)
    }
    fn get(&self, id: RecordId) -> Result<Option<Record>, StorageError> {
        self.inner.get(id)
    }
    fn find(&self, portal: S2sPortal, entitlement_id: &str) -> Result<Option<Record>, StorageError> {
        self.inner.find(portal, entitlement_id)
    }
    fn find_order(&self, portal: S2sPortal, order_id: &str) -> Result<Option<Record>, StorageError> {
        self.inner.find_order(portal, order_id)
    }
    fn find_transaction(&self, transaction_id: u64) -> Result<Option<Record>, StorageError> {
        self.inner.find_transaction(transaction_id)
    }
    fn update(&self, record: &Record) -> Result<Record, StorageError> {
        let stored = self.inner.get(record.id)?.map(|r| r.step);
        let moves_to = (stored != Some(record.step)).then_some(record.step);
        if moves_to.is_some() && self.point == Point::BeforeWrite(record.step) {
            halt();
        }
        let written = self.inner.update(record)?;
        if moves_to.is_some() && self.point == Point::AfterWrite(record.step) {
            halt();
        }
        Ok(written)
    }
    fn unfinished(&self) -> Result<Vec<Record>, StorageError> {
        self.inner.unfinished()
    }
    fn add_clawback(&self, new: &NewClawback) -> Result<ClawbackRecord, StorageError> {
        self.inner.add_clawback(new)
    }
    fn update_clawback(&self, c: &ClawbackRecord) -> Result<ClawbackRecord, StorageError> {
        self.inner.update_clawback(c)
    }
    fn clawbacks_for(&self, record_id: RecordId) -> Result<Vec<ClawbackRecord>, StorageError> {
        self.inner.clawbacks_for(record_id)
    }
    fn open_clawbacks(&self) -> Result<Vec<ClawbackRecord>, StorageError> {
        self.inner.open_clawbacks()
    }
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

fn entitlement(portal: S2sPortal, id: &str, user: &str) -> Entitlement {
    Entitlement::new(portal, id, SKU, user)
}

fn child() {
    let point = Point::parse(&var("MODIO_CRASH_POINT"));
    let base_url = var("MODIO_CRASH_BASE_URL");
    let storage = CrashingStorage { inner: open_storage(&var("MODIO_CRASH_DB")).expect("the database"), point };
    let config = ProcessorConfig { instance_id: "server-a".into(), ..ProcessorConfig::default() };
    let processor = Processor::new(s2s_client(&base_url), storage, config);
    let platform = Platform::new(var("MODIO_CRASH_PLATFORM"));
    let portal = S2sPortal::parse(&var("MODIO_CRASH_PORTAL")).unwrap();
    let e = entitlement(portal, &var("MODIO_CRASH_ENTITLEMENT"), &var("MODIO_CRASH_USER"));
    let token = Secret::new(var("MODIO_CRASH_DELEGATION"));
    let outcome = processor.process(&e, &token, |r| {
        let out = platform.consume(r);
        if point == Point::InConsume {
            halt();
        }
        out
    });
    // Reaching here means the crash point was never hit: the parent fails the scenario.
    println!("FINISHED {outcome:?}");
}

// ---------------------------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------------------------

struct Scenario<'a> {
    server: &'a FakeServer,
    dir: &'a Path,
    /// The PostgreSQL cluster to make the scenario's database in; `None`: a SQLite file.
    postgres: Option<&'a common::pg::Cluster>,
    portal: S2sPortal,
    point: Point,
    /// Resume as another instance after the dead one's lease ran out (else as the same instance).
    takeover: bool,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Runs the child until it reports the crash point, then kills it with SIGKILL.
fn run_child_and_kill(envs: &[(&str, String)]) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(ROLE, "child").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn the child server");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    // A safety net against a hung child, not a timing assumption: the child reports at once.
    let line = rx.recv_timeout(Duration::from_secs(120));
    child.kill().expect("SIGKILL the child");
    let status = child.wait().unwrap();
    let line = line.expect("the child reported in time");
    assert_eq!(line.trim(), "CRASHPOINT", "the child must stop at its crash point");
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
}

fn run(s: &Scenario<'_>) {
    let url = s.server.base_url();
    let name = format!(
        "{}-{}{}{}",
        s.portal,
        s.point.name().replace(':', "-"),
        if s.takeover { "-takeover" } else { "" },
        if s.postgres.is_some() { "-pg" } else { "" }
    );
    let (user, access) = new_user(&url, &name);
    let entitlement_id = format!("ent-{name}");
    let db = match s.postgres {
        Some(cluster) => cluster.database(&name.replace('-', "_")),
        None => s.dir.join(format!("{name}.sqlite")).display().to_string(),
    };
    let platform_file = s.dir.join(format!("{name}.platform.json"));
    let platform = Platform::new(&platform_file);
    platform.grant(&entitlement_id);
    let player = format!("player-{user}");

    run_child_and_kill(&[
        ("MODIO_CRASH_POINT", s.point.name()),
        ("MODIO_CRASH_BASE_URL", url.clone()),
        ("MODIO_CRASH_DB", db.clone()),
        ("MODIO_CRASH_PLATFORM", platform_file.display().to_string()),
        ("MODIO_CRASH_PORTAL", s.portal.as_str().to_owned()),
        ("MODIO_CRASH_ENTITLEMENT", entitlement_id.clone()),
        ("MODIO_CRASH_USER", player.clone()),
        ("MODIO_CRASH_DELEGATION", delegation(&url, &access).expose().to_owned()),
    ]);

    // What the dead server left behind.
    let storage = open_storage(&db).expect("the database");
    let left = storage.find(s.portal, &entitlement_id).unwrap().expect("the entitlement was recorded");
    assert_eq!(left.step, s.point.recorded_step(), "{name}: recorded step");
    let consumed_before = platform.is_consumed(&entitlement_id);
    let consumed_by_then = matches!(
        s.point,
        Point::InConsume
            | Point::BeforeWrite(Step::Consumed)
            | Point::AfterWrite(Step::Consumed)
            | Point::BeforeWrite(Step::Credited)
            | Point::AfterWrite(Step::Credited)
    );
    assert_eq!(consumed_before, consumed_by_then, "{name}: platform state at the crash");
    drop(storage);

    // Restarted: a fresh processor over the same file, with a fresh delegation token (the game
    // client sends a new one when the player comes back).
    let fresh = delegation(&url, &access);
    let instance = if s.takeover { "server-b" } else { "server-a" };
    let mut processor = processor(&url, &db, instance);
    if s.takeover {
        let lease = ProcessorConfig::default().lease.as_secs() as i64;
        processor = processor.with_clock(move || unix_now() + lease + 1);
    }
    let consume_calls_before = if platform_file.exists() { platform.calls(&entitlement_id) } else { 0 };
    let outcome = processor.process(&entitlement(s.portal, &entitlement_id, &player), &fresh, |r| platform.consume(r)).unwrap();
    let Outcome::Credited(record) = &outcome else { panic!("{name}: not credited after resuming: {outcome:?}") };

    // Exactly one credit, one transaction, one consumption.
    assert_eq!(wallet(&url, user), (AMOUNT, 0), "{name}: one credit");
    let txs = transactions_of(&url, user);
    assert_eq!(txs.len(), 1, "{name}: one transaction: {txs:?}");
    assert_eq!(txs[0]["state"], "paid");
    assert_eq!(txs[0]["transaction_id"].as_u64(), record.transaction_id);
    assert!(platform.is_consumed(&entitlement_id));
    let resumed_calls = platform.calls(&entitlement_id) - consume_calls_before;
    match s.point {
        // Consumed and recorded: consume never runs again.
        Point::AfterWrite(Step::Consumed) | Point::BeforeWrite(Step::Credited) | Point::AfterWrite(Step::Credited) => {
            assert_eq!(resumed_calls, 0, "{name}: consume ran again")
        }
        // Consume started, result unknown: asked again, flagged interrupted, same tracking id.
        Point::AfterWrite(Step::Consuming) | Point::InConsume | Point::BeforeWrite(Step::Consumed) => {
            assert_eq!(resumed_calls, 1, "{name}");
            assert_eq!(platform.interrupted_calls(&entitlement_id), 1, "{name}: the resumed call is flagged interrupted");
        }
        // Crashed before consume: it runs once, not interrupted.
        _ => {
            assert_eq!(resumed_calls, 1, "{name}");
            assert_eq!(platform.interrupted_calls(&entitlement_id), 0, "{name}");
        }
    }
    assert_eq!(platform.consumptions(&entitlement_id), 1, "{name}: consumed exactly once");
    // An intent sent before the crash, its answer never recorded, is found in the studio's
    // history by its gateway uuid rather than sent again (with the fresh delegation token the
    // same key could make a second transaction under the reference's stricter reading).
    let intents: Vec<_> = s.server.requests().into_iter().filter(|r| r.path == "/v1/s2s/transactions/intent").collect();
    let with_key = intents.iter().filter(|r| r.header("x-modio-idempotent-key") == Some(record.intent_key.as_str())).count();
    assert_eq!(with_key, 1, "{name}: one intent, sent with the recorded key");
    // (The fake serves every scenario: count this record's requests only.)
    let uuid = format!("gateway_uuid={}", record.gateway_uuid.as_deref().expect("every record has a gateway uuid"));
    let lookups =
        s.server.requests().into_iter().filter(|r| r.path.starts_with("/v1/s2s/monetization-teams/") && r.query.contains(&uuid)).count();
    let expected_lookups = usize::from(s.point == Point::BeforeWrite(Step::IntentCreated));
    assert_eq!(lookups, expected_lookups, "{name}: the history is read only when an intent may have been sent");
    // Once more, as a duplicate notification: nothing moves.
    let again = processor.process(&entitlement(s.portal, &entitlement_id, &player), &fresh, |_| panic!("never again")).unwrap();
    assert!(again.is_credited());
    assert_eq!(wallet(&url, user), (AMOUNT, 0));
}

fn parent() -> i32 {
    let server = FakeServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cluster = common::pg::Cluster::start();
    let mut scenarios = Vec::new();
    for postgres in [None, Some(&cluster)] {
        for portal in [S2sPortal::XboxLive, S2sPortal::Google] {
            for point in Point::ALL {
                scenarios.push(Scenario { server: &server, dir: dir.path(), postgres, portal, point, takeover: false });
            }
        }
        for point in [Point::AfterWrite(Step::Consuming), Point::BeforeWrite(Step::Credited)] {
            scenarios.push(Scenario { server: &server, dir: dir.path(), postgres, portal: S2sPortal::Steam, point, takeover: true });
        }
    }
    let (mut passed, mut failed) = (0, 0);
    for s in &scenarios {
        let label = format!(
            "crash {} at {}{} ({})",
            s.portal,
            s.point.name(),
            if s.takeover { ", taken over by another instance" } else { "" },
            if s.postgres.is_some() { "PostgreSQL" } else { "SQLite" }
        );
        match catch_unwind(AssertUnwindSafe(|| run(s))) {
            Ok(()) => {
                passed += 1;
                println!("ok: {label}: one transaction, one credit, consumed once");
            }
            Err(_) => {
                failed += 1;
                println!("FAILED: {label}");
            }
        }
    }
    println!("crash: {passed} passed, {failed} failed");
    i32::from(failed > 0)
}

fn main() {
    if std::env::var_os(ROLE).is_some() {
        child();
        return;
    }
    std::process::exit(parent());
}
