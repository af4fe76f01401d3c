//! Helpers shared by the integration tests: a client wired to a fresh fake server, and a
//! blocking "run this request and give me its result" wrapper over the callback API.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_modio::{demo, FakeServer};
use modio_market::{Client, Config, RequestId, Result, RetryPolicy, Secret};

pub const WAIT: Duration = Duration::from_secs(20);

pub fn config(server: &FakeServer) -> Config {
    Config::new(demo::GAME_ID, demo::API_KEY).base_url(server.base_url()).request_timeout(Duration::from_secs(10)).retry_policy(
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            deadline: Duration::from_secs(5),
        },
    )
}

pub fn client(server: &FakeServer) -> Client {
    Client::new(config(server)).expect("client")
}

/// A client signed in as alice (through the demo token).
pub fn alice(server: &FakeServer) -> Client {
    let c = client(server);
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    c
}

pub fn bob(server: &FakeServer) -> Client {
    let c = client(server);
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    c
}

/// Starts a request through `start` and pumps until its callback ran; returns its result.
pub fn run<T: Send + 'static>(client: &Client, start: impl FnOnce(Box<dyn FnOnce(Result<T>) + Send>) -> Result<RequestId>) -> Result<T> {
    let slot: Arc<Mutex<Option<Result<T>>>> = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = start(Box::new(move |r| *s.lock().unwrap() = Some(r))).expect("request accepted");
    client.wait(id, WAIT).expect("callback ran in time");
    let taken = slot.lock().unwrap().take();
    taken.expect("callback stored a result")
}

/// A fresh directory under the system temp dir, unique to this process and moment.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "modio-market-test-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The fake's checkout path for a mod of the demo game.
pub fn checkout_path(mod_id: u64) -> String {
    format!("/v1/games/{}/mods/{mod_id}/checkout", demo::GAME_ID)
}

/// The journal entries in a data directory.
pub fn journal_files(data_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let dir = data_dir.join("modio-market").join("journal");
    std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect())
        .unwrap_or_default()
}

/// Collects the recovery reports delivered by poll.
pub fn recovery_sink(client: &Client) -> Arc<Mutex<Vec<modio_market::RecoveryReport>>> {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&reports);
    client.set_recovery_callback(Some(Box::new(move |report| r.lock().unwrap().push(report))));
    reports
}

/// Pumps (as a game's frames) until `done`, failing after 30 s with `what`.
pub fn pump_until(client: &Client, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        let _ = client.wait_any(Duration::from_millis(20));
    }
}
