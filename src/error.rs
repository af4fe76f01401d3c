//! Typed errors: one numbered result code shared by the Rust API and the C ABI, plus the
//! context a failed request carries (HTTP status, mod.io `error_ref`, server message, 422 field map).

use std::collections::BTreeMap;
use std::fmt;

/// Every outcome the library reports, numbered for the C ABI (`modio_market_result`).
///
/// Numbers are never reused: a retired code stays in the list as a comment.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResultCode {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullPointer = 1,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 2,
    /// An argument was out of range or malformed (the message names it).
    InvalidArgument = 3,
    /// An enum argument had a value the library does not know.
    UnknownEnumValue = 4,
    /// The operation needs a user access token and none is set.
    NotAuthenticated = 5,
    /// The host name could not be resolved.
    Dns = 10,
    /// The TCP connection could not be made or was reset.
    Connect = 11,
    /// TLS failed (certificate not trusted, handshake error).
    Tls = 12,
    /// The request did not complete within its deadline.
    Timeout = 13,
    /// Another transport failure (I/O error mid-body, protocol error).
    Transport = 14,
    /// The URL was refused: plain `http://` to a non-loopback host without the opt-in.
    InsecureUrl = 15,
    /// The server answered with an HTTP error status; see the error's status, `error_ref` and message.
    Http = 20,
    /// The server's answer could not be decoded (not JSON, truncated, wrong shape).
    MalformedResponse = 21,
    /// The server's answer was larger than the configured cap.
    ResponseTooLarge = 22,
    /// mod.io rate-limited the request (HTTP 429); see the error's `retry_after_secs`.
    RateLimited = 23,
    /// The server answered success, but not to what was asked: a checkout receipt for another
    /// mod, or in a state that is not paid. Nothing was recorded as owned.
    UnexpectedAnswer = 24,
    /// The request was cancelled by the caller.
    Cancelled = 30,
    /// The client is shutting down (freed); the request did not complete.
    ShutDown = 31,
    /// `poll`/`wait` was called from inside a callback, or from two threads at once.
    Reentrant = 32,
    /// `wait` reached its timeout before the awaited callback ran.
    WaitTimedOut = 33,
    /// No pending request has that id.
    RequestNotFound = 34,
    /// The request already finished; its callback will report the real outcome.
    AlreadyCompleted = 35,
    /// The caller's buffer is too small; the needed size was written to the length out-param.
    BufferTooSmall = 36,
    /// A filesystem operation failed (data directory, journal, cache).
    Io = 40,
    /// A bug inside the library was caught (a panic); the library stays usable.
    Internal = 41,
    /// The disk (or the quota) is full: nothing half-written was kept as complete.
    DiskFull = 42,
    /// A paid mod the player does not own, where the game lets only owners download paid mods:
    /// refused before any byte was fetched.
    NotOwned = 50,
    /// A download's size or MD5 did not match its modfile: the file was deleted.
    IntegrityFailed = 51,
    /// An archive entry would land outside its directory (`..`, an absolute path, a symlink), or
    /// the archive could not be read: nothing was installed.
    UnsafeArchive = 52,
    /// The mod has no file to download on this platform.
    NoModfile = 53,
}

impl ResultCode {
    /// Every code, for tests and message tables.
    pub const ALL: &'static [ResultCode] = &[
        ResultCode::Ok,
        ResultCode::NullPointer,
        ResultCode::InvalidUtf8,
        ResultCode::InvalidArgument,
        ResultCode::UnknownEnumValue,
        ResultCode::NotAuthenticated,
        ResultCode::Dns,
        ResultCode::Connect,
        ResultCode::Tls,
        ResultCode::Timeout,
        ResultCode::Transport,
        ResultCode::InsecureUrl,
        ResultCode::Http,
        ResultCode::MalformedResponse,
        ResultCode::ResponseTooLarge,
        ResultCode::RateLimited,
        ResultCode::UnexpectedAnswer,
        ResultCode::Cancelled,
        ResultCode::ShutDown,
        ResultCode::Reentrant,
        ResultCode::WaitTimedOut,
        ResultCode::RequestNotFound,
        ResultCode::AlreadyCompleted,
        ResultCode::BufferTooSmall,
        ResultCode::Io,
        ResultCode::Internal,
        ResultCode::DiskFull,
        ResultCode::NotOwned,
        ResultCode::IntegrityFailed,
        ResultCode::UnsafeArchive,
        ResultCode::NoModfile,
    ];

    /// A short English description, stable enough to show a player or log.
    pub fn message(self) -> &'static str {
        strip_nul(self.message_nul())
    }

    /// [`ResultCode::message`] with a trailing NUL, for the C ABI.
    pub fn message_nul(self) -> &'static str {
        match self {
            ResultCode::Ok => "success\0",
            ResultCode::NullPointer => "a required pointer argument was NULL\0",
            ResultCode::InvalidUtf8 => "a string argument was not valid UTF-8\0",
            ResultCode::InvalidArgument => "an argument was invalid\0",
            ResultCode::UnknownEnumValue => "an enum argument had an unknown value\0",
            ResultCode::NotAuthenticated => "no user access token is set\0",
            ResultCode::Dns => "the server's host name could not be resolved\0",
            ResultCode::Connect => "could not connect to the server\0",
            ResultCode::Tls => "the secure connection failed (TLS)\0",
            ResultCode::Timeout => "the request timed out\0",
            ResultCode::Transport => "the connection failed while talking to the server\0",
            ResultCode::InsecureUrl => "plain http is refused for non-loopback hosts\0",
            ResultCode::Http => "the server answered with an error\0",
            ResultCode::MalformedResponse => "the server's answer could not be read\0",
            ResultCode::ResponseTooLarge => "the server's answer was too large\0",
            ResultCode::RateLimited => "too many requests: rate limited by mod.io\0",
            ResultCode::UnexpectedAnswer => "the server's answer did not match the request\0",
            ResultCode::Cancelled => "the request was cancelled\0",
            ResultCode::ShutDown => "the client was shut down\0",
            ResultCode::Reentrant => "poll or wait called from inside a callback or from two threads at once\0",
            ResultCode::WaitTimedOut => "the wait timed out\0",
            ResultCode::RequestNotFound => "no pending request has that id\0",
            ResultCode::AlreadyCompleted => "the request already completed\0",
            ResultCode::BufferTooSmall => "the buffer is too small\0",
            ResultCode::Io => "a file operation failed\0",
            ResultCode::Internal => "an internal error occurred\0",
            ResultCode::DiskFull => "the disk is full\0",
            ResultCode::NotOwned => "the player does not own this paid mod\0",
            ResultCode::IntegrityFailed => "the download did not match its size or MD5\0",
            ResultCode::UnsafeArchive => "the archive is unreadable or would write outside its directory\0",
            ResultCode::NoModfile => "the mod has no file to download\0",
        }
    }

    /// The C constant's name, e.g. `MODIO_MARKET_RESULT_HTTP`.
    pub fn name(self) -> &'static str {
        strip_nul(self.name_nul())
    }

    /// [`ResultCode::name`] with a trailing NUL, for the C ABI.
    pub fn name_nul(self) -> &'static str {
        match self {
            ResultCode::Ok => "MODIO_MARKET_RESULT_OK\0",
            ResultCode::NullPointer => "MODIO_MARKET_RESULT_NULL_POINTER\0",
            ResultCode::InvalidUtf8 => "MODIO_MARKET_RESULT_INVALID_UTF8\0",
            ResultCode::InvalidArgument => "MODIO_MARKET_RESULT_INVALID_ARGUMENT\0",
            ResultCode::UnknownEnumValue => "MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE\0",
            ResultCode::NotAuthenticated => "MODIO_MARKET_RESULT_NOT_AUTHENTICATED\0",
            ResultCode::Dns => "MODIO_MARKET_RESULT_DNS\0",
            ResultCode::Connect => "MODIO_MARKET_RESULT_CONNECT\0",
            ResultCode::Tls => "MODIO_MARKET_RESULT_TLS\0",
            ResultCode::Timeout => "MODIO_MARKET_RESULT_TIMEOUT\0",
            ResultCode::Transport => "MODIO_MARKET_RESULT_TRANSPORT\0",
            ResultCode::InsecureUrl => "MODIO_MARKET_RESULT_INSECURE_URL\0",
            ResultCode::Http => "MODIO_MARKET_RESULT_HTTP\0",
            ResultCode::MalformedResponse => "MODIO_MARKET_RESULT_MALFORMED_RESPONSE\0",
            ResultCode::ResponseTooLarge => "MODIO_MARKET_RESULT_RESPONSE_TOO_LARGE\0",
            ResultCode::RateLimited => "MODIO_MARKET_RESULT_RATE_LIMITED\0",
            ResultCode::UnexpectedAnswer => "MODIO_MARKET_RESULT_UNEXPECTED_ANSWER\0",
            ResultCode::Cancelled => "MODIO_MARKET_RESULT_CANCELLED\0",
            ResultCode::ShutDown => "MODIO_MARKET_RESULT_SHUT_DOWN\0",
            ResultCode::Reentrant => "MODIO_MARKET_RESULT_REENTRANT\0",
            ResultCode::WaitTimedOut => "MODIO_MARKET_RESULT_WAIT_TIMED_OUT\0",
            ResultCode::RequestNotFound => "MODIO_MARKET_RESULT_REQUEST_NOT_FOUND\0",
            ResultCode::AlreadyCompleted => "MODIO_MARKET_RESULT_ALREADY_COMPLETED\0",
            ResultCode::BufferTooSmall => "MODIO_MARKET_RESULT_BUFFER_TOO_SMALL\0",
            ResultCode::Io => "MODIO_MARKET_RESULT_IO\0",
            ResultCode::Internal => "MODIO_MARKET_RESULT_INTERNAL\0",
            ResultCode::DiskFull => "MODIO_MARKET_RESULT_DISK_FULL\0",
            ResultCode::NotOwned => "MODIO_MARKET_RESULT_NOT_OWNED\0",
            ResultCode::IntegrityFailed => "MODIO_MARKET_RESULT_INTEGRITY_FAILED\0",
            ResultCode::UnsafeArchive => "MODIO_MARKET_RESULT_UNSAFE_ARCHIVE\0",
            ResultCode::NoModfile => "MODIO_MARKET_RESULT_NO_MODFILE\0",
        }
    }

    /// The code for a raw number, if it is one of ours.
    pub fn from_u32(value: u32) -> Option<ResultCode> {
        ResultCode::ALL.iter().copied().find(|c| *c as u32 == value)
    }
}

/// The tables keep a trailing NUL so the C ABI can hand out the same static text.
fn strip_nul(s: &'static str) -> &'static str {
    s.strip_suffix('\0').unwrap_or(s)
}

/// mod.io `error_ref` values the library names (see `../shared/reference/restapi/restapi-errors.md`).
/// Unknown refs pass through as plain numbers.
pub mod error_ref {
    /// `(CONST, "CONST\0")` pairs from the constants' own names: a name can never drift from its value.
    macro_rules! named {
        ($($name:ident),* $(,)?) => { &[$(($name, concat!(stringify!($name), "\0"))),*] };
    }

    pub const UNEXPECTED_SERVICE_OUTAGE: i64 = 10000;
    pub const UNEXPECTED_OPERATION_FAILURE: i64 = 10002;
    pub const API_KEY_MISSING: i64 = 11000;
    pub const API_KEY_MALFORMED: i64 = 11001;
    pub const API_KEY_INVALID: i64 = 11002;
    pub const TOKEN_MISSING_SCOPE_WRITE: i64 = 11003;
    pub const TOKEN_EXPIRED_OR_REVOKED: i64 = 11005;
    pub const USER_DELETED: i64 = 11006;
    pub const USER_BANNED: i64 = 11007;
    pub const RATE_LIMITED: i64 = 11008;
    pub const RATE_LIMITED_ENDPOINT: i64 = 11009;
    pub const STEAM_APP_TICKET_INVALID: i64 = 11018;
    pub const XBOX_LIVE_INVALID_TOKEN: i64 = 11027;
    pub const XBOX_LIVE_TOKEN_EXPIRED: i64 = 11029;
    pub const UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS: i64 = 11032;
    pub const USER_CONNECTION_MEMBER_NOT_FOUND: i64 = 11069;
    pub const NO_TERMS_AGREEMENT: i64 = 11074;
    pub const OAUTH_CLIENT_DATA_NOT_VALID: i64 = 11075;
    pub const INCORRECT_CONTENT_TYPE: i64 = 13006;
    pub const VALIDATION_GENERIC: i64 = 13009;
    pub const RESOURCE_NOT_FOUND: i64 = 14000;
    pub const GAME_NOT_FOUND: i64 = 14001;
    pub const MODFILE_NOT_FOUND: i64 = 15010;
    pub const MOD_NOT_FOUND: i64 = 15022;
    pub const MONETIZATION_PAYMENT_FAILED: i64 = 900030;
    pub const MONETIZATION_MARKETPLACE_ALREADY_OWNED: i64 = 900034;
    pub const MONETIZATION_PRICE_MISMATCH: i64 = 900035;
    pub const MONETIZATION_INSUFFICIENT_FUNDS: i64 = 900049;
    pub const MONETIZATION_IAP_NOT_CONFIGURED: i64 = 900054;
    /// The wallet and checkout of a game with no active monetization team (404).
    pub const MONETIZATION_TEAM_NOT_FOUND: i64 = 900022;
    /// Entitlement sync and S2S calls for a game that is not monetization-enabled (403).
    pub const MONETIZATION_GAME_NOT_MONETIZED: i64 = 900057;
    pub const MONETIZATION_PLATFORM_FETCH_FAILED: i64 = 900096;
    /// `POST /me/entitlements` without a valid `X-Modio-Portal` (400).
    pub const MONETIZATION_PORTAL_INVALID: i64 = 900098;

    /// The constant's name for a ref the library knows, `None` for others.
    pub fn name(error_ref: i64) -> Option<&'static str> {
        name_nul(error_ref).map(super::strip_nul)
    }

    /// Every ref the library names, with its constant's name (NUL-terminated for the C ABI): the
    /// one list the name lookups and the generated C#/Unreal/C++ mirrors read.
    pub const ALL: &[(i64, &str)] = named![
        UNEXPECTED_SERVICE_OUTAGE,
        UNEXPECTED_OPERATION_FAILURE,
        API_KEY_MISSING,
        API_KEY_MALFORMED,
        API_KEY_INVALID,
        TOKEN_MISSING_SCOPE_WRITE,
        TOKEN_EXPIRED_OR_REVOKED,
        USER_DELETED,
        USER_BANNED,
        RATE_LIMITED,
        RATE_LIMITED_ENDPOINT,
        STEAM_APP_TICKET_INVALID,
        XBOX_LIVE_INVALID_TOKEN,
        XBOX_LIVE_TOKEN_EXPIRED,
        UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS,
        USER_CONNECTION_MEMBER_NOT_FOUND,
        NO_TERMS_AGREEMENT,
        OAUTH_CLIENT_DATA_NOT_VALID,
        INCORRECT_CONTENT_TYPE,
        VALIDATION_GENERIC,
        RESOURCE_NOT_FOUND,
        GAME_NOT_FOUND,
        MODFILE_NOT_FOUND,
        MOD_NOT_FOUND,
        MONETIZATION_TEAM_NOT_FOUND,
        MONETIZATION_PAYMENT_FAILED,
        MONETIZATION_MARKETPLACE_ALREADY_OWNED,
        MONETIZATION_PRICE_MISMATCH,
        MONETIZATION_INSUFFICIENT_FUNDS,
        MONETIZATION_IAP_NOT_CONFIGURED,
        MONETIZATION_GAME_NOT_MONETIZED,
        MONETIZATION_PLATFORM_FETCH_FAILED,
        MONETIZATION_PORTAL_INVALID,
    ];

    /// [`name`] with a trailing NUL, for the C ABI.
    pub fn name_nul(error_ref: i64) -> Option<&'static str> {
        ALL.iter().find(|(value, _)| *value == error_ref).map(|(_, name)| *name)
    }
}

/// What kind of failure an [`Error`] is, for Rust callers: the C result codes without those only
/// a C caller can cause (a NULL pointer, bad UTF-8, a short buffer). New kinds may be added.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument was out of range or malformed (the message names it).
    InvalidArgument,
    /// The operation needs a user access token and none is set.
    NotAuthenticated,
    /// The host name could not be resolved.
    Dns,
    /// The TCP connection could not be made or was reset.
    Connect,
    /// TLS failed (certificate not trusted, handshake error).
    Tls,
    /// The request did not complete within its deadline.
    Timeout,
    /// Another transport failure (I/O error mid-body, protocol error).
    Transport,
    /// Plain `http://` to a non-loopback host without the opt-in.
    InsecureUrl,
    /// mod.io answered with an HTTP error: see [`Error::http_status`] and [`Error::error_ref`].
    Http,
    /// The answer could not be decoded.
    MalformedResponse,
    /// The answer was larger than the configured cap.
    ResponseTooLarge,
    /// mod.io rate-limited the request: see [`Error::retry_after_secs`].
    RateLimited,
    /// A success answer that was not for what was asked (a receipt for another mod, or not paid).
    UnexpectedAnswer,
    /// The request was cancelled.
    Cancelled,
    /// The client was shut down before the request completed.
    ShutDown,
    /// `poll`/`wait` from inside a callback, or from two threads at once.
    Reentrant,
    /// `wait` reached its timeout first.
    WaitTimedOut,
    /// No pending request has that id.
    RequestNotFound,
    /// The request already finished; its callback reports the outcome.
    AlreadyCompleted,
    /// A file operation failed (data directory, journal, cache).
    Io,
    /// A bug inside the library was caught; the library stays usable.
    Internal,
    /// The disk or quota is full.
    DiskFull,
    /// A paid mod the player does not own, where only owners may download paid mods.
    NotOwned,
    /// A download did not match its modfile's size or MD5 (and was deleted).
    IntegrityFailed,
    /// An archive that would write outside its directory, or is unreadable.
    UnsafeArchive,
    /// The mod has no file to download.
    NoModfile,
}

impl ErrorKind {
    /// The kind of a result code; the C-only codes (which the Rust API never produces) map to
    /// `InvalidArgument`, and `Ok` (never an error) to `Internal`.
    pub fn of(code: ResultCode) -> ErrorKind {
        match code {
            ResultCode::NullPointer | ResultCode::InvalidUtf8 | ResultCode::InvalidArgument | ResultCode::UnknownEnumValue => {
                ErrorKind::InvalidArgument
            }
            ResultCode::BufferTooSmall => ErrorKind::InvalidArgument,
            ResultCode::NotAuthenticated => ErrorKind::NotAuthenticated,
            ResultCode::Dns => ErrorKind::Dns,
            ResultCode::Connect => ErrorKind::Connect,
            ResultCode::Tls => ErrorKind::Tls,
            ResultCode::Timeout => ErrorKind::Timeout,
            ResultCode::Transport => ErrorKind::Transport,
            ResultCode::InsecureUrl => ErrorKind::InsecureUrl,
            ResultCode::Http => ErrorKind::Http,
            ResultCode::MalformedResponse => ErrorKind::MalformedResponse,
            ResultCode::ResponseTooLarge => ErrorKind::ResponseTooLarge,
            ResultCode::RateLimited => ErrorKind::RateLimited,
            ResultCode::UnexpectedAnswer => ErrorKind::UnexpectedAnswer,
            ResultCode::Cancelled => ErrorKind::Cancelled,
            ResultCode::ShutDown => ErrorKind::ShutDown,
            ResultCode::Reentrant => ErrorKind::Reentrant,
            ResultCode::WaitTimedOut => ErrorKind::WaitTimedOut,
            ResultCode::RequestNotFound => ErrorKind::RequestNotFound,
            ResultCode::AlreadyCompleted => ErrorKind::AlreadyCompleted,
            ResultCode::Io => ErrorKind::Io,
            ResultCode::DiskFull => ErrorKind::DiskFull,
            ResultCode::NotOwned => ErrorKind::NotOwned,
            ResultCode::IntegrityFailed => ErrorKind::IntegrityFailed,
            ResultCode::UnsafeArchive => ErrorKind::UnsafeArchive,
            ResultCode::NoModfile => ErrorKind::NoModfile,
            ResultCode::Ok | ResultCode::Internal => ErrorKind::Internal,
        }
    }
}

/// A failed operation: the code, and whatever context the failure has.
///
/// Never contains a secret: messages are built from our own text and the server's error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    code: ResultCode,
    message: String,
    http_status: u16,
    error_ref: i64,
    field_errors: BTreeMap<String, String>,
    retry_after_secs: Option<u64>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ResultCode, message: impl Into<String>) -> Error {
        Error { code, message: message.into(), http_status: 0, error_ref: 0, field_errors: BTreeMap::new(), retry_after_secs: None }
    }

    /// An invalid argument, naming it: `invalid argument `mod_id`: must not be 0`.
    pub fn invalid_argument(name: &str, why: &str) -> Error {
        Error::new(ResultCode::InvalidArgument, format!("invalid argument `{name}`: {why}"))
    }

    /// An HTTP error status with mod.io's error object.
    pub fn http(status: u16, error_ref: i64, message: impl Into<String>, field_errors: BTreeMap<String, String>) -> Error {
        let code = if status == 429 { ResultCode::RateLimited } else { ResultCode::Http };
        Error { code, message: message.into(), http_status: status, error_ref, field_errors, retry_after_secs: None }
    }

    pub fn with_retry_after(mut self, secs: Option<u64>) -> Error {
        self.retry_after_secs = secs;
        self
    }

    pub fn malformed(what: impl Into<String>) -> Error {
        Error::new(ResultCode::MalformedResponse, what)
    }

    pub fn cancelled() -> Error {
        Error::new(ResultCode::Cancelled, "the request was cancelled")
    }

    pub fn shut_down() -> Error {
        Error::new(ResultCode::ShutDown, "the client was shut down before the request completed")
    }

    /// What kind of failure this is (the Rust view; match it with a wildcard arm).
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::of(self.code)
    }
    /// The numbered result code (the C ABI's `modio_market_result`).
    pub fn code(&self) -> ResultCode {
        self.code
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// The HTTP status for `Http`/`RateLimited` errors, 0 otherwise.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }
    /// mod.io's `error_ref`, 0 when the failure did not come with one.
    pub fn error_ref(&self) -> i64 {
        self.error_ref
    }
    /// The name of the `error_ref` when the library knows it.
    pub fn error_ref_name(&self) -> Option<&'static str> {
        error_ref::name(self.error_ref)
    }
    /// The `errors` field map of a 422 answer (field → message).
    pub fn field_errors(&self) -> &BTreeMap<String, String> {
        &self.field_errors
    }
    /// For `RateLimited`: how long mod.io asked us to wait.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }

    pub fn is_insufficient_funds(&self) -> bool {
        self.error_ref == error_ref::MONETIZATION_INSUFFICIENT_FUNDS
    }
    pub fn is_already_owned(&self) -> bool {
        self.error_ref == error_ref::MONETIZATION_MARKETPLACE_ALREADY_OWNED
    }
    pub fn is_price_mismatch(&self) -> bool {
        self.error_ref == error_ref::MONETIZATION_PRICE_MISMATCH
    }
    pub fn is_token_invalid(&self) -> bool {
        self.error_ref == error_ref::TOKEN_EXPIRED_OR_REVOKED
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("code", &self.code).field("message", &self.message);
        if self.http_status != 0 {
            d.field("http_status", &self.http_status);
        }
        if self.error_ref != 0 {
            d.field("error_ref", &self.error_ref);
        }
        if !self.field_errors.is_empty() {
            d.field("field_errors", &self.field_errors);
        }
        if let Some(s) = self.retry_after_secs {
            d.field("retry_after_secs", &s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.http_status != 0 {
            write!(f, " (HTTP {}", self.http_status)?;
            if self.error_ref != 0 {
                write!(f, ", error_ref {}", self.error_ref)?;
                if let Some(name) = self.error_ref_name() {
                    write!(f, " {name}")?;
                }
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A secret value (access token, ticket, receipt, client secret): usable, never printed, and
/// overwritten with zeros when dropped (replaced, cleared, or its owner freed), so it does not
/// linger in freed memory or a core dump.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}
impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_kind_and_the_c_only_ones_are_invalid_arguments() {
        for code in ResultCode::ALL {
            let kind = ErrorKind::of(*code);
            if *code != ResultCode::Ok && *code != ResultCode::Internal && !matches!(kind, ErrorKind::InvalidArgument) {
                assert_eq!(format!("{kind:?}"), format!("{code:?}"), "the kind of {code:?} has its name");
            }
        }
        assert_eq!(ErrorKind::of(ResultCode::NullPointer), ErrorKind::InvalidArgument);
        assert_eq!(Error::new(ResultCode::UnexpectedAnswer, "x").kind(), ErrorKind::UnexpectedAnswer);
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ResultCode::ALL {
            assert!(seen.insert(*code as u32), "duplicate number for {code:?}");
            assert_eq!(ResultCode::from_u32(*code as u32), Some(*code));
            assert!(code.name().starts_with("MODIO_MARKET_RESULT_"));
            assert!(!code.message().is_empty());
        }
        assert_eq!(ResultCode::from_u32(9999), None);
    }

    #[test]
    fn http_429_is_rate_limited() {
        let e = Error::http(429, error_ref::RATE_LIMITED, "slow down", BTreeMap::new());
        assert_eq!(e.code(), ResultCode::RateLimited);
        assert_eq!(e.error_ref_name(), Some("RATE_LIMITED"));
    }

    #[test]
    fn listed_refs_are_named_and_unknown_pass_through() {
        for r in [11003, 11005, 11008, 11009, 11069, 11075, 900022, 900034, 900035, 900049, 900054, 900057, 900096] {
            assert!(error_ref::name(r).is_some(), "{r} must be named");
        }
        let e = Error::http(422, 123456, "x", BTreeMap::new());
        assert_eq!(e.error_ref(), 123456);
        assert_eq!(e.error_ref_name(), None);
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2-token");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn display_names_the_ref() {
        let e = Error::http(422, 900049, "The account has insufficent funds", BTreeMap::new());
        let text = e.to_string();
        assert!(text.contains("900049") && text.contains("MONETIZATION_INSUFFICIENT_FUNDS"), "{text}");
        assert!(e.is_insufficient_funds());
    }
}
