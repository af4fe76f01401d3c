//! One request, start to answer: the control interface, the request log, faults, rate limits
//! and the routes. `wire.rs` reads the request off the connection and writes the [`Reply`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::errors;
use crate::faults::Fault;
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

/// How `wire.rs` answers one request.
pub enum Reply {
    Send(ApiResponse),
    /// The body padded with spaces to this many bytes (the `oversized` fault).
    Padded(ApiResponse, usize),
    /// The whole answer, status line included, at this many bytes a second (`trickle`).
    Trickle(ApiResponse, u64),
    /// Drop the connection without a byte of answer (`close_after`).
    Close,
    /// The head and this many bytes of the body, then close (`drop_after`).
    Cut(ApiResponse, u64),
}

/// Answers one request (its faults applied).
pub fn handle(req: Req, shared: &Shared) -> Reply {
    if req.path == "/_control" || req.path.starts_with("/_control/") {
        return Reply::Send(crate::control::handle(&mut shared.lock(), &req));
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
        None => Reply::Send(response),
        Some(f) if f.is_before() => Reply::Send(response),
        Some(Fault::CloseAfter) => Reply::Close,
        Some(Fault::Delay { ms }) => {
            sleep_unless_stopped(Duration::from_millis(ms), shared);
            Reply::Send(response)
        }
        Some(Fault::TruncatedJson) => {
            let mut cut = response;
            cut.body.truncate(cut.body.len() / 2);
            cut.status = 200;
            Reply::Send(cut)
        }
        Some(Fault::Oversized { bytes }) => Reply::Padded(response, bytes),
        Some(Fault::Trickle { bytes_per_sec }) => Reply::Trickle(response, bytes_per_sec),
        Some(Fault::DropAfter { bytes }) => Reply::Cut(response, bytes),
        Some(Fault::Corrupt) => {
            let mut bent = response;
            if !bent.body.is_empty() {
                let middle = bent.body.len() / 2;
                bent.body[middle] ^= 0xFF;
            }
            Reply::Send(bent)
        }
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

/// Sleeps in short steps so a dropped server does not leave threads sleeping on.
pub fn sleep_unless_stopped(total: Duration, shared: &Shared) {
    let end = Instant::now() + total;
    while !shared.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            break;
        }
        thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}
