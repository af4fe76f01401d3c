//! Freeing a client while its requests wait on a server that never answers: the requests are
//! abandoned and every worker thread is joined, not left behind blocked on the network (a game
//! would otherwise hang at exit for the shutdown timeout, and a Unity domain reload with it).
//! Its own test binary: it counts this process's threads.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use modio_market::{Client, Config, ResultCode, RetryPolicy};

/// The names of this process's threads (Linux: /proc/self/task/*/comm).
fn worker_threads() -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir("/proc/self/task").expect("/proc/self/task") {
        let comm = entry.unwrap().path().join("comm");
        if let Ok(name) = std::fs::read_to_string(comm) {
            if name.starts_with("modio-market-") {
                names.push(name.trim().to_owned());
            }
        }
    }
    names
}

#[test]
fn free_abandons_requests_stuck_on_a_silent_server_and_joins_every_worker() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&accepted);
    let (accepted_tx, accepted_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream);
            let _ = accepted_tx.send(());
        }
    });
    let config = Config::new(1, "0123456789abcdef0123456789abcdef")
        .base_url(url)
        .worker_threads(3)
        // Long enough that only abandoning the requests can end them.
        .request_timeout(Duration::from_secs(600))
        .retry_policy(RetryPolicy::never())
        // A free that waited for the network would leave the workers behind after this.
        .shutdown_timeout(Duration::from_secs(2));
    let client = Client::new(config).unwrap();
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..5 {
        let o = Arc::clone(&outcomes);
        client
            .get_game(move |r: modio_market::Result<modio_market::Game>| o.lock().unwrap().push(r.map(|_| ()).map_err(|e| e.code())))
            .unwrap();
    }
    // Three requests are on the wire (one per worker), two wait in the queue.
    for _ in 0..3 {
        accepted_rx.recv_timeout(Duration::from_secs(60)).expect("the server saw the request");
    }
    drop(client);
    let outcomes = outcomes.lock().unwrap().clone();
    assert_eq!(outcomes, vec![Err(ResultCode::ShutDown); 5], "every callback ran once, with SHUT_DOWN");
    assert_eq!(worker_threads(), Vec::<String>::new(), "every worker was joined, none left blocked on the network");
}
