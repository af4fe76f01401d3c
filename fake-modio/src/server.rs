//! tiny_http glue: one dispatcher thread receives requests and gives each its own
//! thread, so a `delay` or `trickle` fault on one request never holds up another.
//! Here faults are applied around the routes.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::errors;
use crate::faults::Fault;
use crate::front::Killer;
use crate::http::{ApiResponse, Req};
use crate::state::{LoggedRequest, State};

/// What every handler thread shares.
pub struct Shared {
    pub state: Mutex<State>,
    pub stop: AtomicBool,
    /// Log one line per request to stderr (the binary; tests stay quiet).
    pub verbose: bool,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking handler must not wedge every later test request.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Receives until `stop` is set and the server is unblocked.
pub fn dispatch_loop(server: Arc<tiny_http::Server>, shared: Arc<Shared>, killer: Killer) {
    loop {
        let request = match server.recv() {
            Ok(r) => r,
            Err(_) => break, // unblocked by Drop
        };
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let (shared, killer) = (shared.clone(), killer.clone());
        let spawned = thread::Builder::new()
            .name("fake-modio-request".into())
            .spawn(move || handle(request, &shared, &killer));
        if let Err(e) = spawned {
            eprintln!("fake-modio: cannot spawn a request thread: {e}");
        }
    }
}

fn read_request(rq: &mut tiny_http::Request) -> Req {
    let url = rq.url().to_string();
    let (path, raw_query) = match url.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (url, String::new()),
    };
    let headers = rq
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let mut body = Vec::new();
    // Always drain the body: the next request on a keep-alive connection starts after it.
    let _ = rq.as_reader().read_to_end(&mut body);
    Req {
        method: rq.method().as_str().to_ascii_uppercase(),
        path,
        raw_query,
        headers,
        body,
    }
}

fn handle(mut rq: tiny_http::Request, shared: &Shared, killer: &Killer) {
    let req = read_request(&mut rq);
    if req.path == "/_control" || req.path.starts_with("/_control/") {
        let response = crate::control::handle(&mut shared.lock(), &req);
        send(rq, response);
        return;
    }

    let (fault, response) = {
        let mut state = shared.lock();
        state.requests.push(LoggedRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.raw_query.clone(),
            headers: req.headers.clone(),
            body: String::from_utf8_lossy(&req.body).into_owned(),
        });
        let fault = state.take_fault(&req.method, &req.path);
        let now = state.now();
        let response = match &fault {
            Some(f) if f.is_before() => {
                if let Fault::RateLimit {
                    retry_after,
                    error_ref,
                } = f
                {
                    // The limit holds after this answer, as mod.io's does.
                    state
                        .rate_limits
                        .record(&req, *error_ref, *retry_after, now);
                }
                answer_instead(f)
            }
            _ if req.path == "/v1" || req.path.starts_with("/v1/") => {
                match state.rate_limits.check(&req, now) {
                    Some(limited) => limited,
                    None => crate::routes::dispatch(&mut state, &req),
                }
            }
            _ => errors::resource_not_found(),
        };
        (fault, response)
    };
    if shared.verbose {
        let tag = fault
            .as_ref()
            .map(|f| format!(" [fault {}]", f.kind()))
            .unwrap_or_default();
        eprintln!(
            "fake-modio: {} {} -> {}{tag}",
            req.method, req.path, response.status
        );
    }

    match fault {
        None => send(rq, response),
        Some(f) if f.is_before() => send(rq, response),
        Some(Fault::CloseAfter) => close(rq, killer),
        Some(Fault::Delay { ms }) => {
            sleep_unless_stopped(Duration::from_millis(ms), shared);
            send(rq, response);
        }
        Some(Fault::TruncatedJson) => {
            let mut cut = response;
            cut.body.truncate(cut.body.len() / 2);
            cut.status = 200;
            send(rq, cut);
        }
        Some(Fault::Oversized { bytes }) => send_padded(rq, response, bytes),
        Some(Fault::Trickle { bytes_per_sec }) => trickle(rq, response, bytes_per_sec, shared),
        Some(_) => unreachable!("every fault kind is handled above"),
    }
}

/// The answer of a fault that replaces processing.
fn answer_instead(fault: &Fault) -> ApiResponse {
    match fault {
        Fault::StatusBefore { status } => errors::server_error(*status),
        Fault::RateLimit {
            retry_after,
            error_ref,
        } => errors::rate_limited(*error_ref).with_header("retry-after", &retry_after.to_string()),
        Fault::HtmlError => ApiResponse {
            status: 502,
            headers: vec![("Content-Type".into(), "text/html; charset=UTF-8".into())],
            body: b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n".to_vec(),
        },
        Fault::Raw {
            status,
            content_type,
            body,
        } => ApiResponse {
            status: *status,
            headers: vec![("Content-Type".into(), content_type.clone())],
            body: body.clone().into_bytes(),
        },
        Fault::Redirect { status, location } => ApiResponse {
            status: *status,
            headers: vec![("Location".into(), location.clone())],
            body: Vec::new(),
        },
        _ => unreachable!("only 'before' faults answer instead of processing"),
    }
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn send(rq: tiny_http::Request, response: ApiResponse) {
    // Always Content-Length framing, never chunked: the real API sends lengths, and a
    // client's size limit should be testable from the header.
    let mut r = tiny_http::Response::from_data(response.body)
        .with_status_code(response.status)
        .with_chunked_threshold(usize::MAX);
    for (name, value) in &response.headers {
        if let Some(h) = header(name, value) {
            r.add_header(h);
        }
    }
    let _ = rq.respond(r);
}

/// The real body followed by spaces up to `bytes` in total, streamed rather than
/// allocated so a test can ask for a very large answer.
fn send_padded(rq: tiny_http::Request, response: ApiResponse, bytes: usize) {
    let pad = bytes.saturating_sub(response.body.len());
    let total = response.body.len() + pad;
    let reader = std::io::Cursor::new(response.body).chain(std::io::repeat(b' ').take(pad as u64));
    let headers = response
        .headers
        .iter()
        .filter_map(|(n, v)| header(n, v))
        .collect();
    let r = tiny_http::Response::new(
        tiny_http::StatusCode(response.status),
        headers,
        reader,
        Some(total),
        None,
    )
    .with_chunked_threshold(usize::MAX);
    let _ = rq.respond(r);
}

/// Drops the connection without a byte of answer (see `front.rs` for why a plain
/// `into_writer()` is not enough).
fn close(rq: tiny_http::Request, killer: &Killer) {
    let peer = rq.remote_addr().copied();
    if let Some(peer) = peer {
        killer.kill(&peer);
    }
    // Taking the writer stops tiny_http from answering 500 when the request drops.
    drop(rq.into_writer());
}

/// Formats a complete HTTP/1.1 response by hand (used when we own the socket).
fn raw_http(response: &ApiResponse) -> Vec<u8> {
    let reason = tiny_http::StatusCode(response.status).default_reason_phrase();
    let mut out = format!("HTTP/1.1 {} {}\r\n", response.status, reason);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", response.body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    bytes
}

/// Sends the whole response (status line included) at `bytes_per_sec`, in chunks of a
/// tenth of a second, flushing each so the client really sees a slow stream.
fn trickle(rq: tiny_http::Request, response: ApiResponse, bytes_per_sec: u64, shared: &Shared) {
    let bytes = raw_http(&response);
    let chunk = (bytes_per_sec / 10).max(1) as usize;
    let interval = Duration::from_secs_f64(chunk as f64 / bytes_per_sec as f64);
    let mut writer = rq.into_writer();
    let start = Instant::now();
    for (i, piece) in bytes.chunks(chunk).enumerate() {
        // Wait first, so that by any moment t at most `bytes_per_sec * t` bytes are out;
        // pacing against the start time keeps sleep overshoot from accumulating.
        let due = interval * (i as u32 + 1);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            sleep_unless_stopped(wait, shared);
        }
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if writer
            .write_all(piece)
            .and_then(|_| writer.flush())
            .is_err()
        {
            return; // client gave up
        }
    }
}

/// Sleeps in short steps so a dropped server does not leave threads sleeping on.
fn sleep_unless_stopped(total: Duration, shared: &Shared) {
    let end = Instant::now() + total;
    while !shared.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            break;
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}
