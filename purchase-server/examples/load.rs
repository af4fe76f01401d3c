//! The purchase server's load benchmark (run by `scripts/bench --only purchase`; results in
//! BENCHMARKS.md): conversions per second (record, intent, consume, commit: each step durable)
//! with 1, 2 and 4 instances on one PostgreSQL database, and with one instance on SQLite, against
//! the local fake mod.io; `pgbench` on the same cluster beside it for the database's own numbers.
//! Instances are threads here, each with its own processor, S2S client and database connection,
//! working on their own share of the purchases. Nothing is asserted: it prints a table.
//!
//!     cargo run --release -p modio-market-server --example load [-- --quick]

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use common::pg::Cluster;
use common::*;
use fake_modio::FakeServer;
use modio_market_server::{open_storage, ConsumeOutcome, Entitlement, Processor, ProcessorConfig, S2sPortal, Secret, Storage};

/// Converts `per_instance` purchases on each of `instances` threads over `db`; conversions/s.
fn run(server: &FakeServer, db: &str, instances: usize, per_instance: usize, tag: &str) -> f64 {
    let base = server.base_url();
    // One buyer per instance, so instances never wait on each other's records.
    let buyers: Vec<(u64, Secret)> = (0..instances)
        .map(|i| {
            let (id, access) = new_user(&base, &format!("load-{tag}-{i}"));
            (id, delegation(&base, &access))
        })
        .collect();
    let processors: Vec<Processor<Arc<dyn Storage>>> = (0..instances)
        .map(|i| {
            let config = ProcessorConfig { instance_id: format!("load-{tag}-{i}"), ..ProcessorConfig::default() };
            let p = Processor::new(s2s_client(&base), open_storage(db).expect("storage"), config);
            p.s2s().refresh_service_token().expect("a service token before the clock starts");
            p
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for (i, (p, (user, token))) in processors.iter().zip(&buyers).enumerate() {
            s.spawn(move || {
                for k in 0..per_instance {
                    let id = format!("{tag}-{i}-{k}");
                    let e = Entitlement::new(S2sPortal::XboxLive, id.as_str(), SKU, format!("player-{user}")).gateway_uuid(id.as_str());
                    let outcome = p.process(&e, token, |_| ConsumeOutcome::Consumed).expect("process");
                    assert!(outcome.is_credited(), "{outcome:?}");
                }
            });
        }
    });
    (instances * per_instance) as f64 / start.elapsed().as_secs_f64()
}

/// pgbench's select-only transactions per second with `clients` clients, as a reference.
fn pgbench(cluster: &Cluster, db: &str, clients: usize, seconds: u32) -> Option<f64> {
    // The cluster's own server version ships pgbench beside its binaries.
    let bin = common::pg::server_bin().join("pgbench");
    let port = cluster.port.to_string();
    let common = ["-h", "127.0.0.1", "-p", port.as_str(), "-U", "test"];
    let init = Command::new(&bin).args(common).args(["-i", "-q", "-s", "1", db]).output().ok()?;
    if !init.status.success() {
        return None;
    }
    let out = Command::new(&bin)
        .args(common)
        .args(["-S", "-c", &clients.to_string(), "-j", &clients.to_string(), "-T", &seconds.to_string(), db])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("tps = "))?;
    line.trim_start_matches("tps = ").split_whitespace().next()?.parse().ok()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let per_instance = if quick { 10 } else { 100 };
    let server = FakeServer::start();
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    let sqlite = dir.path().join("load.sqlite").display().to_string();
    rows.push(("SQLite", 1, run(&server, &sqlite, 1, per_instance, "sqlite")));
    for instances in [1, 2, 4] {
        let db = cluster.database(&format!("load_{instances}"));
        rows.push(("PostgreSQL", instances, run(&server, &db, instances, per_instance, &format!("pg{instances}"))));
    }
    let reference = cluster.database("pgbench");
    println!("| storage | instances | conversions/s | the database alone (pgbench -S, same clients) |");
    println!("| --- | --- | --- | --- |");
    for (storage, instances, rate) in rows {
        let alone = if storage == "PostgreSQL" {
            pgbench(&cluster, &reference, instances, if quick { 1 } else { 5 }).map_or("n/a".into(), |t| format!("{t:.0} tps"))
        } else {
            "(in process)".into()
        };
        println!("| {storage} | {instances} | {rate:.0} | {alone} |");
    }
    println!(
        "\n{per_instance} conversions per instance; each is record, intent, consume, commit with every step committed before the \
         next, against the local fake mod.io (one process: it bounds the rate as much as the database does)."
    );
}
