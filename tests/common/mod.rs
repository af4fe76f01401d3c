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
