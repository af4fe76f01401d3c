//! Several purchase-server instances (separate processes) on one PostgreSQL database, all told
//! about the same purchases in different orders, one of them killed with SIGKILL mid-run and
//! restarted: every entitlement ends with one transaction, one consumption and one credit, and
//! every refund, delivered to two instances at once, reaches mod.io once. The fake's ledger and
//! the database agree at the end.
//!
//! Like `crash.rs`, this binary is both sides (`harness = false`): the parent starts the fake,
//! the database and the instances (`MODIO_INSTANCE_ROLE=instance`).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::pg::Cluster;
use common::*;
use fake_modio::FakeServer;
use modio_market_server::{
    ClawbackEvent, ClawbackKind, ClawbackStatus, ConsumeOutcome, ConsumeRequest, Entitlement, Outcome, PostgresStorage, Processor,
    ProcessorConfig, S2sPortal, Secret, Step,
};

const ROLE: &str = "MODIO_INSTANCE_ROLE";
const INSTANCES: usize = 3;
const USERS: usize = 4;
const PER_USER: usize = 3;

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

/// The platform's inventory, shared by every instance: one file, changed under an exclusive
/// lock (several processes consume at once).
fn consume_locked(dir: &Path, request: &ConsumeRequest<'_>) -> ConsumeOutcome {
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("platform.lock")).unwrap();
    lock.lock().unwrap();
    // A platform call takes a moment: long enough for a kill to land inside one now and then. The
    // instance to be killed is slower, so it is still at work when the kill comes (the kill must
    // find it running, however loaded the machine is).
    let slow = std::env::var_os("MODIO_INSTANCE_SLOW").is_some();
    std::thread::sleep(Duration::from_millis(if slow { 150 } else { 15 }));
    let outcome = Platform::new(dir.join("platform.json")).consume(request);
    lock.unlock().unwrap();
    outcome
}

fn xbox(entitlement: &str, user: u64) -> Entitlement {
    Entitlement::new(S2sPortal::XboxLive, entitlement, SKU, format!("player-{user}")).gateway_uuid(entitlement)
}

/// The work: (entitlement id, user id) pairs, and each user's delegation token.
fn work() -> (Vec<(String, u64)>, BTreeMap<u64, Secret>) {
    let pairs: Vec<(String, u64)> = var("MODIO_INSTANCE_WORK")
        .split(',')
        .map(|p| {
            let (e, u) = p.split_once(':').unwrap();
            (e.to_owned(), u.parse().unwrap())
        })
        .collect();
    let tokens = var("MODIO_INSTANCE_TOKENS")
        .split(',')
        .map(|p| {
            let (u, t) = p.split_once(':').unwrap();
            (u.parse().unwrap(), Secret::new(t))
        })
        .collect();
    (pairs, tokens)
}

fn instance() {
    let dir = PathBuf::from(var("MODIO_INSTANCE_DIR"));
    let config = ProcessorConfig { instance_id: var("MODIO_INSTANCE_ID"), ..ProcessorConfig::default() };
    let storage = PostgresStorage::connect(&var("MODIO_INSTANCE_DB")).unwrap();
    let p = Processor::new(s2s_client(&var("MODIO_INSTANCE_BASE_URL")), storage, config);
    let (mut pairs, tokens) = work();
    // Each instance hears of the purchases in its own order.
    let shift: usize = var("MODIO_INSTANCE_SHIFT").parse().unwrap();
    let n = pairs.len();
    pairs.rotate_left(shift % n);
    for (entitlement, user) in &pairs {
        // Busy (another instance holds it) is fine: that instance finishes it.
        let outcome = p.process(&xbox(entitlement, *user), &tokens[user], |r| consume_locked(&dir, r)).unwrap();
        let state = match outcome {
            Outcome::Credited(_) => "credited",
            Outcome::Pending { .. } => "pending",
            other => panic!("{entitlement}: {other:?}"),
        };
        println!("HANDLED {entitlement} {state}");
    }
    println!("DONE");
}

fn spawn(envs: &[(&str, String)]) -> (Child, mpsc::Receiver<String>) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(ROLE, "instance").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn an instance");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// Waits for an instance's DONE (a safety net against a hang, not a timing assumption).
fn finish(mut child: Child, lines: mpsc::Receiver<String>, name: &str) {
    loop {
        match lines.recv_timeout(Duration::from_secs(180)) {
            Ok(line) if line == "DONE" => break,
            Ok(_) => {}
            Err(e) => panic!("{name} did not finish: {e}"),
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{name} exited {status:?}");
}

fn parent() {
    let server = FakeServer::start();
    let base = server.base_url();
    let cluster = Cluster::start();
    let db = cluster.database("instances");
    let dir = tempfile::tempdir().unwrap();
    let platform = Platform::new(dir.path().join("platform.json"));
    let mut pairs = Vec::new();
    let mut tokens = Vec::new();
    for u in 0..USERS {
        let (user, access) = new_user(&base, &format!("buyer-{u}"));
        tokens.push(format!("{user}:{}", delegation(&base, &access).expose()));
        for k in 0..PER_USER {
            let entitlement = format!("xbl-{u}-{k}");
            platform.grant(&entitlement);
            pairs.push((entitlement, user));
        }
    }
    let work = pairs.iter().map(|(e, u)| format!("{e}:{u}")).collect::<Vec<_>>().join(",");
    let env = |id: usize| {
        vec![
            ("MODIO_INSTANCE_ID", format!("instance-{id}")),
            ("MODIO_INSTANCE_SHIFT", (id * pairs.len() / INSTANCES).to_string()),
            ("MODIO_INSTANCE_DB", db.clone()),
            ("MODIO_INSTANCE_BASE_URL", base.clone()),
            ("MODIO_INSTANCE_DIR", dir.path().display().to_string()),
            ("MODIO_INSTANCE_WORK", work.clone()),
            ("MODIO_INSTANCE_TOKENS", tokens.join(",")),
        ]
    };
    let mut victim_env = env(0);
    victim_env.push(("MODIO_INSTANCE_SLOW", "1".into()));
    let mut running: Vec<(Child, mpsc::Receiver<String>)> =
        (0..INSTANCES).map(|i| if i == 0 { spawn(&victim_env) } else { spawn(&env(i)) }).collect();

    // Kill instance 0 once it has handled two purchases (it is then in the middle of more), and
    // start it again under the same id: it takes its own leased work back at once.
    let (mut victim, lines) = running.remove(0);
    let mut handled = 0;
    while handled < 2 {
        let line = lines.recv_timeout(Duration::from_secs(180)).expect("instance 0 makes progress");
        assert_ne!(line, "DONE", "instance 0 finished before it could be killed");
        handled += usize::from(line.starts_with("HANDLED"));
    }
    victim.kill().unwrap();
    let status = victim.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "instance 0 was killed with SIGKILL");
    println!("ok: instance 0 killed after {handled} purchases, restarted");
    let (restarted, restarted_lines) = spawn(&env(0));
    finish(restarted, restarted_lines, "instance 0 (restarted)");
    for (i, (child, lines)) in running.into_iter().enumerate() {
        finish(child, lines, &format!("instance {}", i + 1));
    }

    // Anything still pending (its holder was busy when others asked) is finished by one more pass.
    let storage = PostgresStorage::connect(&db).unwrap();
    let p = Processor::new(s2s_client(&base), storage, ProcessorConfig { instance_id: "instance-0".into(), ..ProcessorConfig::default() });
    let by_user: BTreeMap<u64, Secret> =
        tokens.iter().map(|t| t.split_once(':').unwrap()).map(|(u, t)| (u.parse().unwrap(), Secret::new(t))).collect();
    for (entitlement, user) in &pairs {
        let outcome = p.process(&xbox(entitlement, *user), &by_user[user], |r| consume_locked(dir.path(), r)).unwrap();
        assert!(outcome.is_credited(), "{entitlement}: {outcome:?}");
    }

    // One transaction, one consumption, one credit per entitlement; the fake and the database agree.
    for (u, (user, _)) in by_user.iter().enumerate() {
        assert_eq!(wallet(&base, *user), (PER_USER as i64 * AMOUNT, 0), "buyer-{u}: one credit per entitlement");
        let txs = transactions_of(&base, *user);
        assert_eq!(txs.len(), PER_USER, "buyer-{u}: one transaction per entitlement: {txs:?}");
        for tx in &txs {
            let entitlement = tx["gateway_uuid"].as_str().unwrap();
            let record = p.record(S2sPortal::XboxLive, entitlement).unwrap().unwrap();
            assert_eq!((record.step, record.transaction_id), (Step::Credited, tx["transaction_id"].as_u64()), "{entitlement}");
            assert_eq!(tx["state"], "paid");
        }
    }
    for (entitlement, _) in &pairs {
        assert_eq!(platform.consumptions(entitlement), 1, "{entitlement}: consumed once");
    }
    println!("ok: {} purchases over {INSTANCES} instances, one killed: one transaction, one consumption, one credit each", pairs.len());

    // Every refund delivered to two instances at once: forwarded once.
    let other = Processor::new(
        s2s_client(&base),
        PostgresStorage::connect(&db).unwrap(),
        ProcessorConfig { instance_id: "instance-1".into(), ..ProcessorConfig::default() },
    );
    std::thread::scope(|s| {
        for (entitlement, _) in &pairs {
            let event = ClawbackEvent::new(S2sPortal::XboxLive, entitlement.as_str(), ClawbackKind::Refund, "refunded by the platform");
            let (a, b) = (&p, &other);
            let (e1, e2) = (event.clone(), event);
            let t1 = s.spawn(move || a.clawback(&e1).unwrap());
            let t2 = s.spawn(move || b.clawback(&e2).unwrap());
            let statuses = [t1.join().unwrap().status, t2.join().unwrap().status];
            assert!(statuses.contains(&ClawbackStatus::Forwarded), "{entitlement}: {statuses:?}");
        }
    });
    for (entitlement, _) in &pairs {
        let record = p.record(S2sPortal::XboxLive, entitlement).unwrap().unwrap();
        let forwarded = p.clawbacks(record.id).unwrap().iter().filter(|c| c.status == ClawbackStatus::Forwarded).count();
        assert_eq!(forwarded, 1, "{entitlement}: one refund forwarded");
    }
    for user in by_user.keys() {
        assert_eq!(wallet(&base, *user), (0, 0), "every credit taken back once");
        assert!(transactions_of(&base, *user).iter().all(|t| t["state"] == "refunded"));
    }
    println!("ok: every refund, delivered to two instances at once, reached mod.io once");
    println!("instances: passed");
}

fn main() {
    if std::env::var_os(ROLE).is_some() {
        instance();
        return;
    }
    parent();
}
