//! fake-modio: a faithful fake of the mod.io Marketplace API for tests and the offline
//! demo. See README.md for the endpoints, the demo seed, the control interface and the
//! faults.
//!
//! ```no_run
//! let server = fake_modio::FakeServer::start();
//! let wallets = format!("{}/me/wallets?game_id={}", server.base_url(), fake_modio::demo::GAME_ID);
//! server.add_fault("/v1/me/wallets", 1, fake_modio::Fault::StatusBefore { status: 503 });
//! # let _ = wallets;
//! ```

// The mod and game objects are large `json!` literals.
#![recursion_limit = "256"]

mod control;
pub mod demo;
mod errors;
mod faults;
mod filters;
mod http;
mod md5;
mod objects;
mod platforms;
mod ratelimit;
mod routes;
mod server;
pub mod state;
mod wire;

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

pub use faults::{Fault, FaultRule};
pub use md5::md5_hex;
pub use routes::transactions::monetization_team_id;
pub use state::{Charge, LoggedRequest, State};

/// How to start a server (the binary's flags; `start()`/`start_empty()` for tests).
#[derive(Debug, Clone)]
pub struct Options {
    /// 0 = an ephemeral port.
    pub port: u16,
    /// Seed the demo data (else start empty).
    pub demo_seed: bool,
    /// Log one line per request to stderr.
    pub verbose: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            port: 0,
            demo_seed: true,
            verbose: false,
        }
    }
}

/// A running fake on 127.0.0.1. Each instance owns its own state and port; dropping it
/// stops the server and closes its connections.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    // Dropping it stops accepting and closes every live connection.
    _wire: wire::Wire,
}

impl FakeServer {
    /// Starts with the demo seed on an ephemeral port. Panics if it cannot bind
    /// (it is test infrastructure; `start_with` returns the error instead).
    pub fn start() -> FakeServer {
        Self::start_with(Options::default()).expect("fake-modio: cannot start")
    }

    /// Starts with nothing seeded.
    pub fn start_empty() -> FakeServer {
        Self::start_with(Options {
            demo_seed: false,
            ..Options::default()
        })
        .expect("fake-modio: cannot start")
    }

    pub fn start_with(options: Options) -> io::Result<FakeServer> {
        let loopback = |port| SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        let listener = nodelay_listener(loopback(options.port))?;
        let addr = listener.local_addr()?;
        let mut state = State::new(&format!("http://{addr}/v1"));
        if options.demo_seed {
            demo::seed(&mut state);
        }
        let shared = Arc::new(server::Shared {
            state: Mutex::new(state),
            stop: Default::default(),
            verbose: options.verbose,
        });
        let wire = wire::Wire::start(listener, shared.clone())?;
        Ok(FakeServer {
            addr: wire.addr(),
            shared,
            _wire: wire,
        })
    }

    /// `http://127.0.0.1:PORT/v1`
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// `http://127.0.0.1:PORT/_control`
    pub fn control_url(&self) -> String {
        format!("http://{}/_control", self.addr)
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The whole state, to seed or inspect from Rust tests. Hold the lock briefly:
    /// every request waits for it.
    pub fn state(&self) -> &Mutex<State> {
        &self.shared.state
    }

    /// The next `count` requests whose path starts with `path` (e.g. "/v1/me/wallets")
    /// get `fault`.
    pub fn add_fault(&self, path: &str, count: u32, fault: Fault) {
        self.shared.lock().add_fault(path, count, fault);
    }

    /// Like `add_fault`, only for requests with this method.
    pub fn add_fault_for_method(&self, method: &str, path: &str, count: u32, fault: Fault) {
        self.shared
            .lock()
            .add_fault_for_method(path, Some(method), count, fault);
    }

    /// Moves the fake clock forward (idempotency keys expire after 24 hours of it).
    pub fn advance_clock(&self, secs: i64) {
        self.shared.lock().advance_clock(secs);
    }

    /// Every API request received so far (control calls excluded).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().requests.clone()
    }

    /// The checkout ledger.
    pub fn charges(&self) -> Vec<Charge> {
        self.shared.lock().charges.clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // Delays and trickles see it and end; `_wire` drops next and closes the connections.
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

/// A listening socket whose accepted connections have Nagle's algorithm off.
fn nodelay_listener(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_tcp_nodelay(true)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

#[cfg(test)]
mod listener_tests {
    use super::*;

    #[test]
    fn accepted_connections_have_nagle_off() {
        let listener =
            nodelay_listener(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))).unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(
            accepted.nodelay().unwrap(),
            "the accepted socket inherits TCP_NODELAY"
        );
    }
}
