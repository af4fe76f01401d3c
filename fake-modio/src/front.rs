//! The front door: a byte relay between clients and the tiny_http server.
//!
//! Why it exists: `close_after` must drop the client's connection with no response at
//! all. tiny_http never lets go of its socket: dropping a `Request` answers 500, and
//! `Request::into_writer()` dropped unwritten leaves the keep-alive connection open
//! (the client just waits). So clients connect here instead; each connection is relayed
//! to tiny_http over loopback, and we keep a handle on the client socket, keyed by the
//! relay's own address (which is what tiny_http reports as `remote_addr`). `kill` then
//! shuts that client socket down: the client sees EOF with no status line.
//!
//! Dropping the front door also closes every live client connection, so a stopped
//! server cannot keep answering on pooled keep-alive connections.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

type Conns = Arc<Mutex<HashMap<SocketAddr, TcpStream>>>;

pub struct FrontDoor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    conns: Conns,
    accept_thread: Option<JoinHandle<()>>,
}

/// Shared handle used by request handlers to kill a connection.
#[derive(Clone)]
pub struct Killer {
    conns: Conns,
}

impl Killer {
    /// Closes the client connection relayed through `relay_addr` (tiny_http's view of
    /// the peer). Returns false when no such connection is known.
    pub fn kill(&self, relay_addr: &SocketAddr) -> bool {
        let conns = self.conns.lock().unwrap_or_else(|e| e.into_inner());
        match conns.get(relay_addr) {
            Some(client) => {
                let _ = client.shutdown(Shutdown::Both);
                true
            }
            None => false,
        }
    }
}

impl FrontDoor {
    /// Listens on `bind` and relays every connection to `backend`.
    pub fn start(bind: SocketAddr, backend: SocketAddr) -> io::Result<FrontDoor> {
        let listener = TcpListener::bind(bind)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Conns = Arc::default();
        let (stop2, conns2) = (stop.clone(), conns.clone());
        let accept_thread = thread::Builder::new()
            .name("fake-modio-accept".into())
            .spawn(move || {
                for client in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(client) = client else { continue };
                    if let Err(e) = relay(client, backend, &conns2) {
                        eprintln!("fake-modio: relay setup failed: {e}");
                    }
                }
            })?;
        Ok(FrontDoor {
            addr,
            stop,
            conns,
            accept_thread: Some(accept_thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn killer(&self) -> Killer {
        Killer {
            conns: self.conns.clone(),
        }
    }
}

/// Connects the client to the backend and starts one pump per direction.
fn relay(client: TcpStream, backend: SocketAddr, conns: &Conns) -> io::Result<()> {
    let upstream = TcpStream::connect(backend)?;
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let key = upstream.local_addr()?;
    // Registered before any byte flows, so a handler can always find its connection.
    conns
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, client.try_clone()?);
    let (client_r, upstream_w) = (client.try_clone()?, upstream.try_clone()?);
    thread::Builder::new()
        .name("fake-modio-up".into())
        .spawn(move || pump(client_r, upstream_w))?;
    let conns = conns.clone();
    thread::Builder::new()
        .name("fake-modio-down".into())
        .spawn(move || {
            pump(upstream, client);
            conns.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
        })?;
    Ok(())
}

/// Copies until EOF or error, flushing every chunk at once (trickle faults depend on
/// bytes arriving as they are written), then half-closes the destination.
fn pump(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

impl Drop for FrontDoor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        for (_, client) in self.conns.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            let _ = client.shutdown(Shutdown::Both);
        }
    }
}
