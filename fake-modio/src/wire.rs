//! The fake's HTTP/1.1 server: one thread per connection, reading requests with `httparse` and
//! writing answers on the socket itself.
//!
//! Why not a server crate: the fake's faults need the raw socket. `close_after` drops a
//! connection without a byte of answer, `trickle` sends the status line itself slowly, and
//! `oversized` streams a padded body; servers hide the socket for exactly those. (tiny_http also
//! left Nagle on, closed the connection on a non-ASCII header value instead of letting the route
//! answer, and its thread pool could leave a new connection unserved when several arrived at
//! once: issue 13 items 7 and 10.) Parsing is `httparse`'s, as hyper's is; what is here is the
//! framing the fake needs: `Content-Length` or chunked request bodies, `Expect: 100-continue`,
//! keep-alive, and always `Content-Length` answers (the real API sends lengths, and a client's
//! size limit should be testable from the header).
//!
//! Dropping the [`Wire`] closes every live connection, so a stopped server cannot keep answering
//! on pooled keep-alive connections.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::http::{ApiResponse, Req};
use crate::server::{self, Reply, Shared};

/// A request head larger than this is refused (431), as real servers do.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// A request body larger than this is refused (413): nothing the API takes is near it.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
const MAX_HEADERS: usize = 100;

type Conns = Arc<Mutex<HashMap<u64, TcpStream>>>;

/// The listening side: accepts connections until dropped.
pub struct Wire {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    conns: Conns,
    accept_thread: Option<JoinHandle<()>>,
}

impl Wire {
    pub fn start(listener: TcpListener, shared: Arc<Shared>) -> io::Result<Wire> {
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let conns: Conns = Arc::default();
        let (stop2, conns2) = (stop.clone(), conns.clone());
        let accept_thread = thread::Builder::new()
            .name("fake-modio-accept".into())
            .spawn(move || {
                let next_id = AtomicU64::new(0);
                for stream in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let Ok(handle) = stream.try_clone() else {
                        continue;
                    };
                    // Registered before any byte is read, so a drop always finds it.
                    conns2
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(id, handle);
                    let (shared, conns) = (shared.clone(), conns2.clone());
                    let spawned =
                        thread::Builder::new()
                            .name("fake-modio-conn".into())
                            .spawn(move || {
                                serve(stream, &shared);
                                conns.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                            });
                    if let Err(e) = spawned {
                        eprintln!("fake-modio: cannot spawn a connection thread: {e}");
                        conns2.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    }
                }
            })?;
        Ok(Wire {
            addr,
            stop,
            conns,
            accept_thread: Some(accept_thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        for (_, conn) in self.conns.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }
}

/// Why a connection ends without another request.
enum Stop {
    /// The client closed it (or it broke): nothing to answer.
    Gone,
    /// The request cannot be read: answer this and close.
    Refuse(u16, &'static str),
}

/// One request read off the connection, and whether the connection stays open after it.
struct Incoming {
    req: Req,
    keep_alive: bool,
}

/// Serves one connection's requests in order until it closes.
fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut writer = write_half;
    let mut reader = BufReader::with_capacity(16 * 1024, stream);
    loop {
        let incoming = match read_request(&mut reader, &mut writer) {
            Ok(incoming) => incoming,
            Err(Stop::Gone) => return,
            Err(Stop::Refuse(status, message)) => {
                let response = ApiResponse::json(
                    status,
                    serde_json::json!({"error": {"code": status, "message": message}}),
                );
                let _ = writer
                    .write_all(&head(&response, response.body.len(), false))
                    .and_then(|_| writer.write_all(&response.body));
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        };
        let keep_alive = incoming.keep_alive;
        let written = match server::handle(incoming.req, shared) {
            Reply::Send(response) => send(&mut writer, &response, None, keep_alive),
            Reply::Padded(response, bytes) => send(&mut writer, &response, Some(bytes), keep_alive),
            Reply::Trickle(response, bytes_per_sec) => {
                trickle(&mut writer, &response, bytes_per_sec, keep_alive, shared)
            }
            Reply::Close => {
                // No answer at all: the client sees EOF.
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Cut(response, bytes) => {
                let mut out = head(&response, response.body.len(), false);
                let keep = (bytes as usize).min(response.body.len());
                out.extend_from_slice(&response.body[..keep]);
                let _ = writer.write_all(&out).and_then(|_| writer.flush());
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
        };
        if written.is_err() || !keep_alive || shared.stop.load(Ordering::SeqCst) {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Reads the next request: its head (parsed by httparse) and its whole body.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> Result<Incoming, Stop> {
    let head = read_head(reader)?;
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&head) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => return Err(Stop::Refuse(400, "Bad Request")),
    }
    let method = parsed.method.unwrap_or("GET").to_ascii_uppercase();
    let target = parsed.path.unwrap_or("/").to_string();
    let http10 = parsed.version == Some(0);
    // Header values are bytes on the wire; a non-ASCII one reaches the routes as text (lossy
    // where it is not UTF-8), so the route answers it as the API does (a 422 for a bad key).
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    let connection = header("connection").unwrap_or_default();
    let keep_alive = if http10 {
        connection == "keep-alive"
    } else {
        connection != "close"
    };
    if header("expect").as_deref() == Some("100-continue") {
        writer
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| Stop::Gone)?;
    }
    let body = if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        read_chunked(reader)?
    } else {
        let length = match header("content-length") {
            None => 0,
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| Stop::Refuse(400, "Bad Content-Length"))?,
        };
        if length > MAX_BODY_BYTES {
            return Err(Stop::Refuse(413, "Payload Too Large"));
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).map_err(|_| Stop::Gone)?;
        body
    };
    let (path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    Ok(Incoming {
        req: Req {
            method,
            path,
            raw_query,
            headers,
            body,
        },
        keep_alive,
    })
}

/// The bytes up to and including the blank line that ends a request head.
fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, Stop> {
    let mut head = Vec::new();
    loop {
        let start = head.len();
        let n = reader
            .read_until(b'\n', &mut head)
            .map_err(|_| Stop::Gone)?;
        if n == 0 {
            return Err(Stop::Gone);
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(Stop::Refuse(431, "Request Header Fields Too Large"));
        }
        // Blank lines before a request are allowed (RFC 9112 section 2.2).
        if start == 0 && (head == b"\r\n" || head == b"\n") {
            head.clear();
            continue;
        }
        if head[start..] == *b"\r\n" || head[start..] == *b"\n" {
            return Ok(head);
        }
    }
}

/// A chunked request body (RFC 9112 section 7.1), trailers skipped.
fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, Stop> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).map_err(|_| Stop::Gone)?;
        let size = line.trim().split(';').next().unwrap_or("");
        let size =
            usize::from_str_radix(size, 16).map_err(|_| Stop::Refuse(400, "Bad chunk size"))?;
        if body.len() + size > MAX_BODY_BYTES {
            return Err(Stop::Refuse(413, "Payload Too Large"));
        }
        if size == 0 {
            // Trailers, up to the blank line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer).map_err(|_| Stop::Gone)? == 0
                    || trailer.trim().is_empty()
                {
                    return Ok(body);
                }
            }
        }
        let at = body.len();
        body.resize(at + size, 0);
        reader.read_exact(&mut body[at..]).map_err(|_| Stop::Gone)?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).map_err(|_| Stop::Gone)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// The status line and headers of `response`, with a body of `length` bytes.
pub fn head(response: &ApiResponse, length: usize, keep_alive: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        // A value with a line break would split the answer: never written.
        if !value.contains(['\r', '\n']) {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    out.push_str(&format!("Content-Length: {length}\r\n"));
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Writes `response` (padded with spaces to `padded_to` bytes of body, streamed).
fn send(
    writer: &mut TcpStream,
    response: &ApiResponse,
    padded_to: Option<usize>,
    keep_alive: bool,
) -> io::Result<()> {
    let pad = padded_to.map_or(0, |total| total.saturating_sub(response.body.len()));
    let length = response.body.len() + pad;
    let mut first = head(response, length, keep_alive);
    first.extend_from_slice(&response.body);
    writer.write_all(&first)?;
    let spaces = [b' '; 16 * 1024];
    let mut left = pad;
    while left > 0 {
        let n = left.min(spaces.len());
        writer.write_all(&spaces[..n])?;
        left -= n;
    }
    writer.flush()
}

/// Sends the whole response (status line included) at `bytes_per_sec`, in chunks of a tenth of
/// a second; the connection stays usable after it.
fn trickle(
    writer: &mut TcpStream,
    response: &ApiResponse,
    bytes_per_sec: u64,
    keep_alive: bool,
    shared: &Shared,
) -> io::Result<()> {
    let mut bytes = head(response, response.body.len(), keep_alive);
    bytes.extend_from_slice(&response.body);
    let chunk = (bytes_per_sec / 10).max(1) as usize;
    let interval = Duration::from_secs_f64(chunk as f64 / bytes_per_sec.max(1) as f64);
    let start = Instant::now();
    for (i, piece) in bytes.chunks(chunk).enumerate() {
        // Wait first, so that by any moment t at most `bytes_per_sec * t` bytes are out;
        // pacing against the start time keeps sleep overshoot from accumulating.
        let due = interval * (i as u32 + 1);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            server::sleep_unless_stopped(wait, shared);
        }
        if shared.stop.load(Ordering::SeqCst) {
            return Err(io::Error::other("stopped"));
        }
        writer.write_all(piece)?;
        writer.flush()?;
    }
    Ok(())
}
