//! The servers the benchmarks talk to, all on loopback:
//! - the fake mod.io server, in a child process (this binary's `serve` mode), so the client
//!   process's memory and allocation counts are the client's alone;
//! - a black hole that accepts connections and never answers;
//! - a static server that answers every request with one fixed body at once (isolates the
//!   client's parsing from the fake's rendering).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::Duration;

use fake_modio::state::{NewMod, NewUser, Purchase};
use fake_modio::FakeServer;

/// How many mods the bulk user has bought (the purchased-list refresh and `owns()`).
pub const BULK_PURCHASES: u64 = 10_000;
/// The purchased-list sizes measured: a user of the fake for each, owning the first N bulk mods.
pub const BULK_SIZES: [u64; 3] = [1_000, 10_000, 100_000];
/// Their ids: BULK_FIRST_MOD_ID .. BULK_FIRST_MOD_ID + N.
pub const BULK_FIRST_MOD_ID: u64 = 100_000;

/// The price of bulk mod `mod_id` (what a checkout must display).
pub fn bulk_price(mod_id: u64) -> i64 {
    100 + ((mod_id - BULK_FIRST_MOD_ID) % 50) as i64
}

/// `modio-market-bench serve`: the demo seed plus "bulk" users who bought 1,000, 10,000 and
/// 100,000 paid mods and a "buyer" with a large balance who owns none of them (the checkout
/// benchmark buys them). Prints `FAKE_MODIO_URL=...`, `BULK_TOKEN_<size>=...` for each size and
/// `BUYER_TOKEN=...`, then serves until stdin closes.
pub fn serve() {
    let server = FakeServer::start();
    let (bulk_tokens, buyer_token) = {
        let mut state = server.state().lock().unwrap_or_else(|e| e.into_inner());
        let game_id = fake_modio::demo::GAME_ID;
        let largest = *BULK_SIZES.iter().max().expect("sizes");
        let date = state.now();
        let mut mods = Vec::with_capacity(largest as usize);
        for i in 0..largest {
            mods.push(state.add_mod(NewMod {
                id: Some(BULK_FIRST_MOD_ID + i),
                game_id,
                name: format!("Bulk Mod {i}"),
                price: bulk_price(BULK_FIRST_MOD_ID + i),
                ..Default::default()
            }));
        }
        let mut tokens = Vec::new();
        for size in BULK_SIZES {
            let (user_id, token) =
                state.add_user(NewUser { username: format!("bulk{size}"), game_id, terms_agreed: true, ..Default::default() });
            for &mod_id in &mods[..size as usize] {
                let transaction_id = state.next_transaction_id();
                let user = state.users.get_mut(&user_id).expect("the bulk user was just added");
                user.purchases.push(Purchase { mod_id, game_id, transaction_id, date });
            }
            tokens.push(token);
        }
        let (_, buyer_token) =
            state.add_user(NewUser { username: "buyer".into(), game_id, balance: 1_000_000_000, terms_agreed: true, ..Default::default() });
        (tokens, buyer_token)
    };
    println!("FAKE_MODIO_URL={}", server.base_url());
    for (size, token) in BULK_SIZES.iter().zip(&bulk_tokens) {
        println!("BULK_TOKEN_{size}={token}");
    }
    println!("BUYER_TOKEN={buyer_token}");
    let _ = std::io::stdout().flush();
    // The request log (kept for tests' assertions) would grow by every benchmark request:
    // empty it now and then so the server stays the same size through 100,000 requests.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        let _ = done_tx.send(());
    });
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(Duration::from_millis(250)) {
        let mut state = server.state().lock().unwrap_or_else(|e| e.into_inner());
        state.requests = Vec::new();
    }
    drop(server);
}

/// The fake server child process; it exits when this is dropped (its stdin closes).
pub struct FakeProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub base_url: String,
    /// The user who bought BULK_PURCHASES mods.
    pub bulk_token: String,
    /// A user for each of BULK_SIZES, in that order.
    pub bulk_tokens: Vec<String>,
    pub buyer_token: String,
}

impl FakeProcess {
    pub fn spawn() -> FakeProcess {
        let exe = std::env::current_exe().expect("current_exe");
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start the fake server process");
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut value = |prefix: &str| -> String {
            let line = lines.next().and_then(|l| l.ok()).unwrap_or_default();
            line.strip_prefix(prefix).unwrap_or_else(|| panic!("fake server said {line:?}, expected {prefix}...")).to_string()
        };
        let base_url = value("FAKE_MODIO_URL=");
        let bulk_tokens: Vec<String> = BULK_SIZES.iter().map(|size| value(&format!("BULK_TOKEN_{size}="))).collect();
        let bulk_token = bulk_tokens[BULK_SIZES.iter().position(|&s| s == BULK_PURCHASES).expect("BULK_PURCHASES is measured")].clone();
        let buyer_token = value("BUYER_TOKEN=");
        FakeProcess { child, stdin, base_url, bulk_token, bulk_tokens, buyer_token }
    }

    pub fn control_url(&self) -> String {
        format!("{}/_control", self.base_url.trim_end_matches("/v1"))
    }

    /// Delays the answers of the next `count` requests under `path` by `ms` (the fake's `delay` fault).
    pub fn delay(&self, path: &str, count: u32, ms: u64) {
        let body = serde_json::json!({"path": path, "count": count, "kind": "delay", "ms": ms});
        let response = reqwest::blocking::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{}/faults", self.control_url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .expect("control call");
        assert!(response.status().is_success(), "adding a delay fault: {}", response.status());
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        let _ = reqwest::blocking::Client::builder().no_proxy().build().unwrap().delete(format!("{}/faults", self.control_url())).send();
    }
}

impl Drop for FakeProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Accepts connections and never reads or answers; they stay open until the process exits.
pub fn black_hole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}

/// Answers every HTTP/1.1 request with `200` and `body` (keep-alive), as fast as it can.
pub fn static_server(body: Vec<u8>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    let mut response = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(&body);
    let response = std::sync::Arc::new(response);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let response = response.clone();
            thread::spawn(move || answer_forever(stream, &response));
        }
    });
    addr
}

fn answer_forever(mut stream: TcpStream, response: &[u8]) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let mut have = 0;
    loop {
        // Requests here are GETs without a body: one ends at the blank line.
        if let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
            let used = end + 4;
            buf.copy_within(used..have, 0);
            have -= used;
            if stream.write_all(response).is_err() {
                return;
            }
            continue;
        }
        if have == buf.len() {
            return;
        }
        match stream.read(&mut buf[have..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
}
