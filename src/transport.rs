//! HTTP transport: one async `reqwest` client per library client, driven directly on the worker
//! thread that runs the request (a current-thread runtime per worker, as reqwest's blocking client
//! does on a thread of its own: one thread hop per request instead of two). A request in flight
//! is abandoned within [`crate::executor::CANCEL_CHECK`] of being cancelled or of the client being freed.
//!
//! Builds URLs and form bodies with proper encoding, attaches the API key or bearer token and the
//! portal/platform headers, reads bodies under a size cap and a deadline, and turns every failure
//! into a typed [`Error`]. It never puts a URL, header or body into an error message or a log line:
//! those can carry tokens, tickets and receipts.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use reqwest::Client as HttpClient;
use reqwest::Method;
use serde::Deserialize;

use crate::config::{check_scheme, is_loopback, parse_root_certificates, Config, RetryPolicy};
use crate::error::{Error, Result, ResultCode, Secret};
use crate::executor::{run_abortable, WORKER_HTTP};
use crate::log::{LogLevel, Logger};
use crate::ratelimit::RateLimitGate;
use crate::ratelimit::MAX_RETRY_AFTER_SECS;

/// How a request authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    /// Nothing: the request carries its own credentials (S2S `POST /oauth/token`).
    None,
    /// `api_key` in the query (the `/external/*auth` endpoints).
    ApiKey,
    /// The user's access token; fails with `NotAuthenticated` when none is set.
    User,
    /// The user's access token when set, else the API key (public reads).
    UserOrApiKey,
    /// An explicit bearer token (S2S service token).
    Bearer(Secret),
}

/// One API call, relative to the base URL.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    /// Path below the base URL, without a leading slash: `me/wallets`.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    /// `application/x-www-form-urlencoded` body; `Some(vec![])` sends an empty form.
    pub form: Option<Vec<(&'static str, FormValue)>>,
    pub auth: Auth,
    /// Extra headers (S2S delegation token, idempotency key). Values may be secrets.
    pub headers: Vec<(&'static str, Secret)>,
    /// Safe to send again after a failure: GETs, and POSTs that carry an idempotency key or are
    /// idempotent by nature. Only these are retried.
    pub retry_safe: bool,
}

/// A form field's value; secrets are kept wrapped so a `Debug` of the request never shows them.
#[derive(Debug, Clone)]
pub(crate) enum FormValue {
    Plain(String),
    Secret(Secret),
}

impl FormValue {
    fn as_str(&self) -> &str {
        match self {
            FormValue::Plain(s) => s,
            FormValue::Secret(s) => s.expose(),
        }
    }
}

impl ApiRequest {
    pub fn get(path: impl Into<String>, auth: Auth) -> ApiRequest {
        ApiRequest { method: Method::GET, path: path.into(), query: Vec::new(), form: None, auth, headers: Vec::new(), retry_safe: true }
    }
    pub fn post(path: impl Into<String>, auth: Auth) -> ApiRequest {
        ApiRequest {
            method: Method::POST,
            path: path.into(),
            query: Vec::new(),
            form: Some(Vec::new()),
            auth,
            headers: Vec::new(),
            retry_safe: false,
        }
    }
    pub fn query(mut self, key: &'static str, value: impl ToString) -> ApiRequest {
        self.query.push((key, value.to_string()));
        self
    }
    pub fn field(mut self, key: &'static str, value: impl ToString) -> ApiRequest {
        self.form.get_or_insert_with(Vec::new).push((key, FormValue::Plain(value.to_string())));
        self
    }
    pub fn secret_field(mut self, key: &'static str, value: &Secret) -> ApiRequest {
        self.form.get_or_insert_with(Vec::new).push((key, FormValue::Secret(value.clone())));
        self
    }
    pub fn header(mut self, name: &'static str, value: Secret) -> ApiRequest {
        self.headers.push((name, value));
        self
    }
    /// Marks a POST as safe to repeat (it carries an idempotency key, or repeating is harmless).
    pub fn idempotent(mut self) -> ApiRequest {
        self.retry_safe = true;
        self
    }
}

// The policy is configuration (`config.rs`); how it paces retries is the transport's.
impl RetryPolicy {
    /// The backoff before attempt `next_attempt` (2 = first retry): full jitter in [0, cap].
    fn backoff(&self, next_attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << (next_attempt.saturating_sub(2)).min(16));
        let cap = exp.min(self.max_delay);
        let nanos = cap.as_nanos() as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(jitter() % (nanos + 1))
    }
}

/// A cheap random number for jitter, from std's randomly keyed hasher (no RNG crate needed).
fn jitter() -> u64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}

/// What mod.io's `retry-after` asks for; 0 means a rolling limit, for which the reference says
/// to wait 60 seconds. Capped at [`MAX_RETRY_AFTER_SECS`].
fn rate_limit_wait(retry_after: Option<u64>) -> u64 {
    match retry_after {
        Some(0) | None => 60,
        Some(s) => s.min(MAX_RETRY_AFTER_SECS),
    }
}

pub(crate) fn is_retryable(e: &Error) -> bool {
    match e.code() {
        ResultCode::Connect | ResultCode::Timeout | ResultCode::Transport | ResultCode::Dns => true,
        ResultCode::RateLimited => true,
        ResultCode::Http => e.http_status() >= 500,
        // A 2xx answer cut short (the connection dropped mid-body): sending again is safe here.
        ResultCode::MalformedResponse => true,
        _ => false,
    }
}

pub(crate) struct Transport {
    /// Builds this transport's HTTP client. A reqwest client's pooled connections are driven by
    /// the runtime that opened them, so each worker thread keeps a client of its own (see
    /// [`Transport::http`]): a connection is never left waiting on another worker's runtime.
    make_http: Box<dyn Fn() -> Result<HttpClient> + Send + Sync>,
    base: url::Url,
    /// Whether every request carries `X-Modio-Platform` (PSN's entitlement query needs it).
    pub(crate) has_platform: bool,
    allow_insecure_http: bool,
    api_key: Secret,
    max_response_bytes: usize,
    request_timeout: Duration,
    retry: RetryPolicy,
    /// mod.io's rate limits in force (global 11008, per endpoint 11009).
    rate_limits: RateLimitGate,
    logger: Logger,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default, deserialize_with = "crate::models::lenient_i64")]
    error_ref: i64,
    #[serde(default, deserialize_with = "crate::models::lenient_string")]
    message: String,
    #[serde(default)]
    errors: Option<serde_json::Value>,
}

impl Transport {
    pub fn new(config: &Config, logger: Logger) -> Result<Transport> {
        let base = config.checked_base_url()?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(concat!("modio-market/", env!("CARGO_PKG_VERSION"))));
        if let Some(portal) = &config.portal {
            headers.insert(
                "x-modio-portal",
                HeaderValue::from_str(portal).map_err(|_| Error::invalid_argument("portal", "bad header value"))?,
            );
        }
        if let Some(language) = &config.language {
            headers.insert(
                reqwest::header::ACCEPT_LANGUAGE,
                HeaderValue::from_str(language).map_err(|_| Error::invalid_argument("language", "bad header value"))?,
            );
        }
        if let Some(platform) = &config.platform {
            headers.insert(
                "x-modio-platform",
                HeaderValue::from_str(platform).map_err(|_| Error::invalid_argument("platform", "bad header value"))?,
            );
        }
        let origin = base.origin();
        let loopback = is_loopback(&base);
        let mut certificates = Vec::new();
        for pem in &config.root_certificates_pem {
            certificates.extend(parse_root_certificates(pem)?);
        }
        let connect_timeout = config.connect_timeout;
        // No reqwest `timeout`: `execute` bounds the whole exchange with the request timeout.
        let make_http = move || {
            let origin = origin.clone();
            let mut builder = HttpClient::builder()
                .dns_resolver(std::sync::Arc::new(SystemResolver))
                .default_headers(headers.clone())
                .connect_timeout(connect_timeout)
                // mod.io does not redirect API calls; follow only same-origin redirects so the
                // Authorization and X-Modio-Delegation-Token headers never reach another host.
                .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() >= 5 || attempt.url().origin() != origin {
                        attempt.stop()
                    } else {
                        attempt.follow()
                    }
                }));
            if loopback {
                // A local test server is never reached through HTTP(S)_PROXY.
                builder = builder.no_proxy();
            }
            for cert in &certificates {
                builder = builder.add_root_certificate(cert.clone());
            }
            builder.build().map_err(|e| Error::new(ResultCode::Internal, format!("could not build the HTTP client: {e}")))
        };
        // Built once here so that a configuration it refuses fails the client's creation.
        make_http()?;
        Ok(Transport {
            make_http: Box::new(make_http),
            base,
            has_platform: config.platform.is_some(),
            allow_insecure_http: config.allow_insecure_http,
            api_key: config.api_key.clone(),
            max_response_bytes: config.max_response_bytes,
            request_timeout: config.request_timeout,
            retry: config.retry.clone(),
            rate_limits: RateLimitGate::default(),
            logger,
        })
    }

    /// Sends the request and decodes the answer, retrying under the policy when the request is
    /// safe to repeat. Once `is_cancelled` turns true the request in flight (or the wait before a
    /// retry) is abandoned within [`crate::executor::CANCEL_CHECK`], with `Cancelled`.
    pub fn call<T>(
        &self,
        request: &ApiRequest,
        user_token: Option<&Secret>,
        decode: impl Fn(&[u8]) -> Result<T>,
        is_cancelled: &dyn Fn() -> bool,
    ) -> Result<T> {
        let first_started = Instant::now();
        let mut attempt = 1;
        loop {
            let outcome = match self.rate_limits.remaining(&request.path) {
                Some(wait) => Err(RateLimitGate::held_back(&request.path, wait)),
                None => {
                    let sent = self.execute(request, user_token, is_cancelled).and_then(|body| decode(&body).map_err(redact_decode_error));
                    if let Err(e) = &sent {
                        self.rate_limits.note(&request.path, e);
                    }
                    sent
                }
            };
            let error = match outcome {
                Ok(value) => return Ok(value),
                Err(e) => e,
            };
            if !request.retry_safe || !is_retryable(&error) || attempt >= self.retry.max_attempts || is_cancelled() {
                return Err(error);
            }
            attempt += 1;
            let wait = if error.code() == ResultCode::RateLimited {
                Duration::from_secs(rate_limit_wait(error.retry_after_secs()))
            } else {
                self.retry.backoff(attempt)
            };
            if first_started.elapsed() + wait > self.retry.deadline {
                // Sleeping a minute on a worker helps nobody: hand the wait to the caller.
                return Err(error);
            }
            self.logger.log(
                LogLevel::Info,
                format_args!(
                    "{} /{} failed ({}); retry {} of {} in {} ms",
                    request.method,
                    request.path,
                    error.code().name(),
                    attempt - 1,
                    self.retry.max_attempts - 1,
                    wait.as_millis()
                ),
            );
            run_abortable(async move { tokio::time::sleep(wait).await }, is_cancelled)?;
        }
    }

    /// Sends the request once and returns the body of a 2xx answer, or a typed error.
    pub fn execute(&self, request: &ApiRequest, user_token: Option<&Secret>, is_cancelled: &dyn Fn() -> bool) -> Result<Vec<u8>> {
        let started = Instant::now();
        let mut url = self.url_for(&request.path)?;
        let bearer: Option<&Secret> = match &request.auth {
            Auth::None | Auth::ApiKey => None,
            Auth::User => Some(user_token.ok_or_else(|| {
                Error::new(ResultCode::NotAuthenticated, "this call needs a user access token: authenticate or set one first")
            })?),
            Auth::UserOrApiKey => user_token,
            Auth::Bearer(token) => Some(token),
        };
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &request.query {
                pairs.append_pair(k, v);
            }
            if bearer.is_none() && !matches!(request.auth, Auth::None) {
                pairs.append_pair("api_key", self.api_key.expose());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut builder = self.http()?.request(request.method.clone(), url);
        if let Some(token) = bearer {
            // Zeroed after use like the token itself; the HTTP stack's own copies are outside our reach.
            let header = zeroize::Zeroizing::new(format!("Bearer {}", token.expose()));
            let mut value = HeaderValue::from_str(&header)
                .map_err(|_| Error::invalid_argument("access_token", "contains characters not allowed in a header"))?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        for (name, value) in &request.headers {
            let mut v = HeaderValue::from_str(value.expose())
                .map_err(|_| Error::invalid_argument(name, "contains characters not allowed in a header"))?;
            v.set_sensitive(true);
            builder = builder.header(HeaderName::from_static(name), v);
        }
        if let Some(form) = &request.form {
            let body = {
                let mut ser = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in form {
                    ser.append_pair(k, v.as_str());
                }
                ser.finish()
            };
            builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(body);
        }

        // The one deadline of the exchange, connect to last byte (a body that trickles in
        // included).
        let deadline = tokio::time::Instant::from_std(started + self.request_timeout);
        let exchange = async move {
            match tokio::time::timeout_at(deadline, self.exchange(builder)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::new(ResultCode::Timeout, "the answer did not arrive within the request timeout")),
            }
        };
        let outcome = run_abortable(exchange, is_cancelled).and_then(|outcome| outcome);
        let status_text = match &outcome {
            Ok((status, _)) => status.to_string(),
            Err(e) => e.code().name().to_owned(),
        };
        self.logger.log(
            LogLevel::Debug,
            format_args!("{} /{} -> {} in {} ms", request.method, request.path, status_text, started.elapsed().as_millis()),
        );
        let (status, body) = outcome?;
        if (200..300).contains(&status) {
            return Ok(body);
        }
        Err(self.http_error(status, &body))
    }

    async fn exchange(&self, builder: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>)> {
        let mut response = builder.send().await.map_err(map_reqwest_error)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            // Digits beyond u64 are as good as "very long": the cap applies below.
            .and_then(|v| v.trim().parse::<u64>().ok().or_else(|| v.trim().bytes().all(|b| b.is_ascii_digit()).then_some(u64::MAX)));
        if let Some(len) = response.content_length() {
            if len > self.max_response_bytes as u64 {
                return Err(self.too_large());
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(map_body_error)? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        if status == 429 {
            // Carry the wait through the body parse below.
            let mut err = self.http_error(status, &body);
            err = err.with_retry_after(Some(rate_limit_wait(retry_after)));
            return Err(err);
        }
        Ok((status, body))
    }

    /// This thread's HTTP client: a worker keeps one for its whole life (its pooled connections
    /// live on its runtime); another thread (a blocking S2S call) gets one for the call. The
    /// cache is keyed by this transport's address: workers hold the shared state, so a transport
    /// outlives every worker that cached a client for it.
    fn http(&self) -> Result<HttpClient> {
        if !crate::executor::is_worker() {
            return (self.make_http)();
        }
        let me = self as *const Transport as usize;
        WORKER_HTTP.with(|slot| {
            let mut slot = slot.borrow_mut();
            match &*slot {
                Some((owner, http)) if *owner == me => Ok(http.clone()),
                _ => {
                    let http = (self.make_http)()?;
                    *slot = Some((me, http.clone()));
                    Ok(http)
                }
            }
        })
    }

    /// The deadline of one exchange; for a download, of its head and of each pause between chunks.
    pub(crate) fn request_timeout(&self) -> Duration {
        self.request_timeout
    }

    /// How many times a download is tried in all (the retry policy's attempts).
    pub(crate) fn download_attempts(&self) -> u32 {
        self.retry.max_attempts
    }

    pub(crate) fn logger(&self) -> &Logger {
        &self.logger
    }

    /// Starts a download of `url` (a modfile's `binary_url`) from byte `from` (`Range`), and
    /// returns the answer with its body still to be read, whatever its status. The user's token
    /// goes only to the API's own origin: a redirect elsewhere (a CDN) is followed without it,
    /// at most 5 times, and only to https (or to loopback, or with the insecure-http opt-in).
    pub(crate) async fn open_download(&self, url: &url::Url, bearer: Option<&Secret>, from: u64) -> Result<reqwest::Response> {
        let http = self.http()?;
        let mut url = url.clone();
        for _ in 0..6 {
            check_scheme(&url, self.allow_insecure_http)?;
            let mut builder = http.get(url.clone()).header(ACCEPT, "*/*");
            if from > 0 {
                builder = builder.header(reqwest::header::RANGE, format!("bytes={from}-"));
            }
            if let Some(token) = bearer.filter(|_| url.origin() == self.base.origin()) {
                let header = zeroize::Zeroizing::new(format!("Bearer {}", token.expose()));
                let mut value = HeaderValue::from_str(&header)
                    .map_err(|_| Error::invalid_argument("access_token", "contains characters not allowed in a header"))?;
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
            let response = builder.send().await.map_err(map_reqwest_error)?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Error::malformed("a download redirect without a Location"))?;
            url = url.join(location).map_err(|_| Error::malformed("a download redirect to an invalid URL"))?;
        }
        Err(Error::new(ResultCode::Transport, "the download was redirected more than 5 times"))
    }

    fn too_large(&self) -> Error {
        Error::new(ResultCode::ResponseTooLarge, format!("the answer was larger than the {}-byte cap", self.max_response_bytes))
    }

    fn url_for(&self, path: &str) -> Result<url::Url> {
        let joined = format!("{}/{}", self.base.as_str().trim_end_matches('/'), path.trim_start_matches('/'));
        url::Url::parse(&joined).map_err(|_| Error::invalid_argument("path", "could not build the request URL"))
    }

    /// Builds the error for a non-2xx status from mod.io's error object, or from the status alone.
    fn http_error(&self, status: u16, body: &[u8]) -> Error {
        parse_error_body(status, body)
    }
}

/// The error for a non-2xx answer: mod.io's error object when the body is one, else the status
/// alone. Never fails and never panics, whatever the body (fuzzed by the fuzz/ crate).
pub(crate) fn parse_error_body(status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(envelope) => {
            let e = envelope.error;
            let mut fields = BTreeMap::new();
            if let Some(serde_json::Value::Object(map)) = e.errors {
                for (k, v) in map {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    fields.insert(k, text);
                }
            }
            let message = if e.message.is_empty() { format!("HTTP {status}") } else { e.message };
            Error::http(status, e.error_ref, message, fields)
        }
        Err(_) => Error::http(status, 0, format!("HTTP {status} without a mod.io error object"), BTreeMap::new()),
    }
}

/// A decoder's error without the server's values in it. serde quotes the offending string
/// (`invalid type: string "…", expected …`), and a misbehaving server can put a token or a
/// receipt exactly there (an access-token answer that is a bare string): every quoted span of a
/// `MalformedResponse` message is blanked. Field names (in backticks) stay.
pub(crate) fn redact_decode_error(error: Error) -> Error {
    if error.code() != ResultCode::MalformedResponse || !error.message().contains('"') {
        return error;
    }
    let mut out = String::with_capacity(error.message().len());
    let mut chars = error.message().chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' {
            // Skip to the closing quote, honouring backslash escapes.
            let mut escaped = false;
            for q in chars.by_ref() {
                if escaped {
                    escaped = false;
                } else if q == '\\' {
                    escaped = true;
                } else if q == '"' {
                    break;
                }
            }
            out.push_str("…\"");
        }
    }
    Error::malformed(out)
}

fn chain_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&e.to_string());
        current = e.source();
    }
    text
}

/// A host name the system resolver could not resolve. Its own type, so a DNS failure is known by
/// what is in the error chain, not by searching reqwest's text.
#[derive(Debug)]
pub(crate) struct DnsFailure(std::io::Error);

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host name could not be resolved ({})", self.0)
    }
}

impl std::error::Error for DnsFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The system resolver (getaddrinfo, as reqwest's default), run on the blocking pool of the
/// runtime reqwest drives; its failures are [`DnsFailure`]s.
pub(crate) struct SystemResolver;

impl reqwest::dns::Resolve for SystemResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            use std::net::ToSocketAddrs;
            let looked_up = tokio::task::spawn_blocking(move || (host.as_str(), 0).to_socket_addrs().map(|a| a.collect::<Vec<_>>()))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|r| r);
            match looked_up {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs),
                Err(e) => Err(Box::new(DnsFailure(e)) as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// The code an error in a failure's chain stands for, by its type and kind.
fn code_of(e: &(dyn std::error::Error + 'static)) -> Option<ResultCode> {
    use std::io::ErrorKind;
    if e.is::<DnsFailure>() {
        return Some(ResultCode::Dns);
    }
    if e.is::<rustls::Error>() {
        return Some(ResultCode::Tls);
    }
    let io = e.downcast_ref::<std::io::Error>()?;
    match io.kind() {
        ErrorKind::TimedOut => Some(ResultCode::Timeout),
        ErrorKind::ConnectionRefused
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::NotConnected
        | ErrorKind::AddrNotAvailable
        | ErrorKind::HostUnreachable
        | ErrorKind::NetworkUnreachable => Some(ResultCode::Connect),
        // rustls reports a failed handshake as an io::Error that wraps its own error, which
        // io::Error's source() skips: look inside.
        _ => io.get_ref().and_then(|inner| code_of(inner as &(dyn std::error::Error + 'static))),
    }
}

/// Classifies a failure from the types in its source chain (never its text): the first error
/// that says DNS, TLS, timeout or connect decides; `fallback` otherwise.
fn classify(first: Option<&(dyn std::error::Error + 'static)>, fallback: ResultCode) -> ResultCode {
    let mut current = first;
    while let Some(e) = current {
        if let Some(code) = code_of(e) {
            return code;
        }
        current = e.source();
    }
    fallback
}

fn map_reqwest_error(err: reqwest::Error) -> Error {
    // without_url: the URL can carry the api_key; never put it in a message.
    let err = err.without_url();
    let text = chain_text(&err);
    let code = if err.is_timeout() {
        ResultCode::Timeout
    } else {
        let fallback = if err.is_connect() { ResultCode::Connect } else { ResultCode::Transport };
        classify(std::error::Error::source(&err), fallback)
    };
    Error::new(code, format!("{}: {}", code.message(), text))
}

/// A failure while the body was arriving: the connection was there, so it is a transport failure
/// (or a timeout), never a DNS or connect one.
pub(crate) fn map_body_error(err: reqwest::Error) -> Error {
    let err = err.without_url();
    let text = chain_text(&err);
    let code = match classify(std::error::Error::source(&err), ResultCode::Transport) {
        ResultCode::Timeout => ResultCode::Timeout,
        _ if err.is_timeout() => ResultCode::Timeout,
        _ => ResultCode::Transport,
    };
    Error::new(code, format!("reading the answer failed: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection() {
        for (u, want) in [
            ("http://127.0.0.1:1/v1", true),
            ("http://127.9.9.9/v1", true),
            ("http://[::1]:5/v1", true),
            ("http://LOCALHOST/v1", true),
            ("http://10.0.0.1/v1", false),
            ("http://example.com/v1", false),
        ] {
            assert_eq!(is_loopback(&url::Url::parse(u).unwrap()), want, "{u}");
        }
    }

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            deadline: Duration::from_secs(5),
        };
        for attempt in 2..10 {
            let cap = Duration::from_millis(100 * (1 << (attempt - 2))).min(Duration::from_millis(400));
            for _ in 0..50 {
                assert!(p.backoff(attempt) <= cap);
            }
        }
        let samples: std::collections::HashSet<_> = (0..20).map(|_| p.backoff(4)).collect();
        assert!(samples.len() > 1, "jitter must vary the delay");
    }

    #[test]
    fn retry_after_zero_means_sixty_seconds() {
        assert_eq!(rate_limit_wait(Some(0)), 60);
        assert_eq!(rate_limit_wait(None), 60);
        assert_eq!(rate_limit_wait(Some(7)), 7);
        assert_eq!(rate_limit_wait(Some(u64::MAX)), MAX_RETRY_AFTER_SECS);
        assert_eq!(rate_limit_wait(Some(99_999_999_999)), MAX_RETRY_AFTER_SECS);
    }

    #[test]
    fn only_transient_failures_retry() {
        use std::collections::BTreeMap;
        assert!(is_retryable(&Error::http(503, 0, "x", BTreeMap::new())));
        assert!(is_retryable(&Error::http(429, 11008, "x", BTreeMap::new())));
        assert!(!is_retryable(&Error::http(422, 900049, "x", BTreeMap::new())));
        assert!(!is_retryable(&Error::http(401, 11005, "x", BTreeMap::new())));
        assert!(is_retryable(&Error::new(ResultCode::Connect, "x")));
        assert!(!is_retryable(&Error::new(ResultCode::Cancelled, "x")));
    }

    #[test]
    fn form_values_are_url_encoded() {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        ser.append_pair("xbox_token", "XBL3.0 x=1;ey+/=&%?");
        assert_eq!(ser.finish(), "xbox_token=XBL3.0+x%3D1%3Bey%2B%2F%3D%26%25%3F");
    }

    #[test]
    fn decode_errors_never_quote_the_body() {
        let e =
            redact_decode_error(Error::malformed(r#"could not decode the x: invalid type: string "SECRET\"TOKEN", expected `id` at 1"#));
        assert_eq!(e.message(), r#"could not decode the x: invalid type: string "…", expected `id` at 1"#);
        assert_eq!(e.code(), ResultCode::MalformedResponse);
        let e = redact_decode_error(Error::malformed(r#"unterminated "SECRET"#));
        assert!(!e.message().contains("SECRET"), "{}", e.message());
        let http = Error::http(422, 1, r#"server said "x""#, BTreeMap::new());
        assert_eq!(redact_decode_error(http.clone()), http);
    }

    #[test]
    fn failures_are_classified_by_the_types_in_their_chain_not_their_text() {
        use std::io::{Error as IoError, ErrorKind};
        #[derive(Debug)]
        struct Wrapper(&'static str, Box<dyn std::error::Error + Send + Sync>);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&*self.1)
            }
        }
        let chain = |msg: &'static str, inner: Box<dyn std::error::Error + Send + Sync>| Wrapper(msg, inner);
        let dns = chain("client error (Connect)", Box::new(DnsFailure(IoError::other("no such host"))));
        let tls = chain("connect", Box::new(IoError::new(ErrorKind::InvalidData, rustls::Error::General("bad certificate".into()))));
        let refused = chain("tcp connect error", Box::new(IoError::from(ErrorKind::ConnectionRefused)));
        let timed_out = chain("read", Box::new(IoError::from(ErrorKind::TimedOut)));
        // Words that the old text search keyed on, in errors of no such kind: they decide nothing now.
        let misleading = chain("dns error: certificate handshake timed out", Box::new(IoError::other("tls connection refused")));
        let by_chain = |e: &Wrapper, fallback| classify(Some(e as &(dyn std::error::Error + 'static)), fallback);
        assert_eq!(by_chain(&dns, ResultCode::Connect), ResultCode::Dns);
        assert_eq!(by_chain(&tls, ResultCode::Connect), ResultCode::Tls);
        assert_eq!(by_chain(&refused, ResultCode::Transport), ResultCode::Connect);
        assert_eq!(by_chain(&timed_out, ResultCode::Transport), ResultCode::Timeout);
        assert_eq!(by_chain(&misleading, ResultCode::Transport), ResultCode::Transport);
    }

    #[test]
    fn secrets_do_not_show_in_request_debug() {
        let r = ApiRequest::post("external/steamauth", Auth::ApiKey)
            .secret_field("appdata", &Secret::new("TICKET-SECRET"))
            .header("x-modio-delegation-token", Secret::new("DELEGATION-SECRET"));
        let text = format!("{r:?}");
        assert!(!text.contains("TICKET-SECRET") && !text.contains("DELEGATION-SECRET"), "{text}");
    }
}
