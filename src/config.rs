//! Client configuration: which game, which mod.io environment, headers, timeouts, workers.

use std::time::Duration;

use crate::attempts::BackgroundRetry;
use crate::error::{Error, Result, ResultCode, Secret};
use std::net::IpAddr;

/// Which mod.io API a client talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://g-{game_id}.modapi.io/v1`
    Live,
    /// `https://g-{game_id}.test.mod.io/v1`
    Test,
    /// Any base URL (a private test server, the local fake, the S2S `{game-id}.modapi.io` form).
    Custom(String),
}

/// Values accepted in the `X-Modio-Portal` header (`restapi-platforms.md`).
pub const PORTALS: &[&str] =
    &["apple", "discord", "epicgames", "facebook", "gog", "google", "itchio", "nintendo", "psn", "sso", "steam", "xboxlive"];

/// Values accepted in the `X-Modio-Platform` header (`restapi-platforms.md`).
pub const PLATFORMS: &[&str] = &[
    "source",
    "windows",
    "mac",
    "linux",
    "android",
    "ios",
    "xboxone",
    "xboxseriesx",
    "ps4",
    "ps5",
    "switch",
    "switch2",
    "oculus",
    "windowsserver",
    "linuxserver",
];

/// When and how requests that are safe to repeat are retried: connection failures, timeouts,
/// 5xx, 429, and 2xx answers cut short. Other 4xx are never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the 2nd attempt; doubles each time, with full jitter.
    pub base_delay: Duration,
    /// Longest single backoff.
    pub max_delay: Duration,
    /// No retry starts when it would end later than this after the first attempt began. A 429
    /// whose `retry-after` goes past it is returned at once as `RateLimited` carrying the wait.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            deadline: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// Send once, never retry.
    pub fn never() -> RetryPolicy {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }
}

/// The certificates of a PEM bundle, each checked to be a usable trust anchor.
pub(crate) fn parse_root_certificates(pem: &str) -> Result<Vec<reqwest::Certificate>> {
    let bad = || Error::invalid_argument("root_certificate", "not a PEM bundle of CA certificates");
    let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|_| bad())?;
    if certs.is_empty() {
        return Err(bad());
    }
    // rustls parses a trust anchor only when a client is built: build a throwaway one (the async
    // builder starts no thread) so a bad certificate is refused here, naming the argument.
    let mut probe = reqwest::Client::builder().tls_built_in_root_certs(false);
    for cert in &certs {
        probe = probe.add_root_certificate(cert.clone());
    }
    probe.build().map_err(|_| bad())?;
    Ok(certs)
}

/// `http://` is only for loopback hosts unless the configuration opts in; other schemes never.
pub(crate) fn check_scheme(url: &url::Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => {
            Err(Error::new(ResultCode::InsecureUrl, "plain http:// is refused for non-loopback hosts; use https:// or opt in explicitly"))
        }
        _ => Err(Error::new(ResultCode::InsecureUrl, "the base URL must use https:// (or http:// for loopback)")),
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Everything a client needs before its first request. Build with [`Config::new`] and the setters.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) game_id: u64,
    pub(crate) api_key: Secret,
    pub(crate) environment: Environment,
    pub(crate) portal: Option<String>,
    pub(crate) platform: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) worker_threads: usize,
    pub(crate) allow_insecure_http: bool,
    pub(crate) max_response_bytes: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    /// Extra trust anchors (PEM), added to the bundled web roots.
    pub(crate) root_certificates_pem: Vec<String>,
    pub(crate) data_dir: Option<std::path::PathBuf>,
    pub(crate) background_retry: BackgroundRetry,
    /// `Accept-Language` on every request (the terms' language); `None`: the server's default.
    pub(crate) language: Option<String>,
    /// Where installed mods go, one directory per mod (see `Client::install_mod`).
    pub(crate) install_dir: Option<std::path::PathBuf>,
    /// The game's monetization team (0: not set), for the S2S transaction history.
    pub(crate) monetization_team_id: u64,
}

/// Default cap on a response body: a page of 100 full mod objects is ~300 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

impl Config {
    /// A configuration for `game_id` with its API key, on the live environment.
    pub fn new(game_id: u64, api_key: impl Into<Secret>) -> Config {
        Config {
            game_id,
            api_key: api_key.into(),
            environment: Environment::Live,
            portal: None,
            platform: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            worker_threads: 2,
            allow_insecure_http: false,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            shutdown_timeout: Duration::from_secs(2),
            retry: RetryPolicy::default(),
            root_certificates_pem: Vec::new(),
            data_dir: None,
            background_retry: BackgroundRetry::default(),
            language: None,
            install_dir: None,
            monetization_team_id: 0,
        }
    }

    pub fn environment(mut self, environment: Environment) -> Config {
        self.environment = environment;
        self
    }

    /// Shorthand for `environment(Environment::Custom(url))`.
    pub fn base_url(self, url: impl Into<String>) -> Config {
        self.environment(Environment::Custom(url.into()))
    }

    /// `X-Modio-Portal` on every request (case-insensitive; validated in [`Config::validate`]).
    pub fn portal(mut self, portal: impl Into<String>) -> Config {
        self.portal = Some(portal.into().to_ascii_lowercase());
        self
    }

    /// `X-Modio-Platform` on every request (case-insensitive; validated in [`Config::validate`]).
    pub fn platform(mut self, platform: impl Into<String>) -> Config {
        self.platform = Some(platform.into().to_ascii_lowercase());
        self
    }

    pub fn connect_timeout(mut self, timeout: Duration) -> Config {
        self.connect_timeout = timeout;
        self
    }

    /// The deadline of one HTTP exchange, connect to last byte.
    pub fn request_timeout(mut self, timeout: Duration) -> Config {
        self.request_timeout = timeout;
        self
    }

    /// How many worker threads run requests (1 to 64).
    pub fn worker_threads(mut self, threads: usize) -> Config {
        self.worker_threads = threads;
        self
    }

    /// Allow plain `http://` to non-loopback hosts (loopback is always allowed, for local test servers).
    pub fn allow_insecure_http(mut self, allow: bool) -> Config {
        self.allow_insecure_http = allow;
        self
    }

    /// Answers larger than this are cut off with `ResponseTooLarge` instead of being buffered.
    pub fn max_response_bytes(mut self, bytes: usize) -> Config {
        self.max_response_bytes = bytes;
        self
    }

    /// How long freeing the client waits for workers busy on the network before leaving them to finish alone.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Config {
        self.shutdown_timeout = timeout;
        self
    }

    /// Also trusts the CA certificate(s) in `pem` (one or more `BEGIN CERTIFICATE` blocks), for a
    /// private test server with its own CA. Added to the bundled web roots, never instead of them:
    /// certificates are always verified. Checked in [`Config::validate`].
    pub fn add_root_certificate_pem(mut self, pem: impl Into<String>) -> Config {
        self.root_certificates_pem.push(pem.into());
        self
    }

    /// How requests that are safe to repeat are retried (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Config {
        self.retry = policy;
        self
    }

    /// How a checkout left without an answer (connection lost, 5xx, rate limited) is resent in
    /// the background, with its key, while the client lives (see [`BackgroundRetry`]).
    pub fn background_retry(mut self, retry: BackgroundRetry) -> Config {
        self.background_retry = retry;
        self
    }

    /// A directory the game owns where the library keeps its checkout journal and the purchased
    /// list per user (never a token). Without it, checkout works but cannot survive a crash and
    /// ownership is known only after a refresh.
    pub fn data_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Config {
        self.data_dir = Some(dir.into());
        self
    }

    /// The language mod.io localizes into (`Accept-Language`: `en`, `de`, `pt-BR`, …): the terms
    /// come back in it. Checked in [`Config::validate`].
    pub fn language(mut self, language: impl Into<String>) -> Config {
        self.language = Some(language.into());
        self
    }

    /// The directory installed mods go to, one subdirectory per mod id, beside a list of what is
    /// installed (`modio-market-installed.json`). Needed by [`crate::Client::install_mod`].
    pub fn install_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Config {
        self.install_dir = Some(dir.into());
        self
    }

    /// The game's monetization team id (from its dashboard): an S2S client reads the
    /// transaction history of this team.
    pub fn monetization_team_id(mut self, team: u64) -> Config {
        self.monetization_team_id = team;
        self
    }

    /// The API base URL, without a trailing slash.
    pub fn base_url_string(&self) -> String {
        match &self.environment {
            Environment::Live => format!("https://g-{}.modapi.io/v1", self.game_id),
            Environment::Test => format!("https://g-{}.test.mod.io/v1", self.game_id),
            Environment::Custom(url) => url.trim_end_matches('/').to_owned(),
        }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        self.checked_base_url().map(|_| ())
    }

    /// [`Config::validate`], giving the checked base URL to the transport.
    pub(crate) fn checked_base_url(&self) -> Result<url::Url> {
        check_identity(self.game_id, self.api_key.expose())?;
        check_portal(self.portal.as_deref())?;
        check_platform(self.platform.as_deref())?;
        check_worker_threads(self.worker_threads)?;
        check_timeouts(self.connect_timeout, self.request_timeout)?;
        check_retry_policy(&self.retry)?;
        self.background_retry.validate()?;
        check_max_response_bytes(self.max_response_bytes)?;
        check_language(self.language.as_deref())?;
        check_dir("install_dir", self.install_dir.as_deref())?;
        for pem in &self.root_certificates_pem {
            parse_root_certificates(pem)?;
        }
        check_base_url(&self.base_url_string(), self.allow_insecure_http)
    }
}

/// Setters that check their one field at once, for callers that want the error where the value
/// is given (the C ABI's `modio_market_config_set_*`). Each applies the same rule
/// [`Config::validate`] applies later, and leaves the configuration unchanged when it fails.
impl Config {
    /// A checked [`Config::new`]: `game_id` not 0 and `api_key` not empty. What the key is made
    /// of is checked when a client is created ([`Config::validate`]), as the C ABI documents.
    pub fn checked(game_id: u64, api_key: &str) -> Result<Config> {
        check_present(game_id, api_key)?;
        Ok(Config::new(game_id, api_key))
    }

    pub fn set_environment(&mut self, environment: Environment) -> Result<()> {
        if let Environment::Custom(url) = &environment {
            check_base_url(url, self.allow_insecure_http)?;
        }
        self.environment = environment;
        Ok(())
    }

    pub fn set_base_url(&mut self, url: &str) -> Result<()> {
        self.set_environment(Environment::Custom(url.to_owned()))
    }

    /// `None` clears the header.
    pub fn set_portal(&mut self, portal: Option<&str>) -> Result<()> {
        let portal = portal.map(str::to_ascii_lowercase);
        check_portal(portal.as_deref())?;
        self.portal = portal;
        Ok(())
    }

    /// `None` clears the header.
    pub fn set_platform(&mut self, platform: Option<&str>) -> Result<()> {
        let platform = platform.map(str::to_ascii_lowercase);
        check_platform(platform.as_deref())?;
        self.platform = platform;
        Ok(())
    }

    pub fn set_timeouts(&mut self, connect: Duration, request: Duration) -> Result<()> {
        check_timeouts(connect, request)?;
        self.connect_timeout = connect;
        self.request_timeout = request;
        Ok(())
    }

    pub fn set_worker_threads(&mut self, threads: usize) -> Result<()> {
        check_worker_threads(threads)?;
        self.worker_threads = threads;
        Ok(())
    }

    pub fn set_allow_insecure_http(&mut self, allow: bool) {
        self.allow_insecure_http = allow;
    }

    pub fn set_max_response_bytes(&mut self, bytes: usize) -> Result<()> {
        check_max_response_bytes(bytes)?;
        self.max_response_bytes = bytes;
        Ok(())
    }

    pub fn add_checked_root_certificate_pem(&mut self, pem: &str) -> Result<()> {
        parse_root_certificates(pem)?;
        self.root_certificates_pem.push(pem.to_owned());
        Ok(())
    }

    pub fn set_retry_policy(&mut self, policy: RetryPolicy) -> Result<()> {
        check_retry_policy(&policy)?;
        self.retry = policy;
        Ok(())
    }

    pub fn set_background_retry(&mut self, retry: BackgroundRetry) -> Result<()> {
        retry.validate()?;
        self.background_retry = retry;
        Ok(())
    }

    pub fn set_data_dir(&mut self, dir: &str) -> Result<()> {
        if dir.is_empty() {
            return Err(Error::invalid_argument("data_dir", "must not be empty"));
        }
        self.data_dir = Some(std::path::PathBuf::from(dir));
        Ok(())
    }

    /// `None` (or "") sends no `Accept-Language`.
    pub fn set_language(&mut self, language: Option<&str>) -> Result<()> {
        let language = language.filter(|l| !l.is_empty());
        check_language(language)?;
        self.language = language.map(str::to_owned);
        Ok(())
    }

    /// 0 clears it.
    pub fn set_monetization_team_id(&mut self, team: u64) {
        self.monetization_team_id = team;
    }

    pub fn set_install_dir(&mut self, dir: &str) -> Result<()> {
        let dir = std::path::Path::new(dir);
        check_dir("install_dir", Some(dir))?;
        self.install_dir = Some(dir.to_path_buf());
        Ok(())
    }
}

/// A language tag as `Accept-Language` takes it (BCP 47's letters, digits and hyphens; RFC 4647
/// ranges up to 8 characters per part), or a list of them with `,` and `;q=` weights.
fn check_language(language: Option<&str>) -> Result<()> {
    let Some(language) = language else { return Ok(()) };
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b',' | b';' | b'=' | b'.' | b' ' | b'*');
    if language.is_empty() || language.len() > 64 || !language.bytes().all(allowed) {
        return Err(Error::invalid_argument("language", "must be a language tag such as `en` or `pt-BR` (at most 64 characters)"));
    }
    Ok(())
}

fn check_dir(name: &str, dir: Option<&std::path::Path>) -> Result<()> {
    match dir {
        Some(d) if d.as_os_str().is_empty() => Err(Error::invalid_argument(name, "must not be empty")),
        _ => Ok(()),
    }
}

// One rule per field, used by both the checked setters and `validate`.

fn check_present(game_id: u64, api_key: &str) -> Result<()> {
    if game_id == 0 {
        return Err(Error::invalid_argument("game_id", "must not be 0"));
    }
    if api_key.is_empty() {
        return Err(Error::invalid_argument("api_key", "must not be empty"));
    }
    Ok(())
}

fn check_identity(game_id: u64, api_key: &str) -> Result<()> {
    check_present(game_id, api_key)?;
    if !api_key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_argument("api_key", "must be letters and digits only"));
    }
    Ok(())
}

fn check_portal(portal: Option<&str>) -> Result<()> {
    match portal {
        Some(p) if !PORTALS.contains(&p) => Err(Error::invalid_argument("portal", "not one of the documented X-Modio-Portal values")),
        _ => Ok(()),
    }
}

fn check_platform(platform: Option<&str>) -> Result<()> {
    match platform {
        Some(p) if !PLATFORMS.contains(&p) => Err(Error::invalid_argument("platform", "not one of the documented X-Modio-Platform values")),
        _ => Ok(()),
    }
}

fn check_worker_threads(threads: usize) -> Result<()> {
    if !(1..=64).contains(&threads) {
        return Err(Error::invalid_argument("worker_threads", "must be between 1 and 64"));
    }
    Ok(())
}

fn check_timeouts(connect: Duration, request: Duration) -> Result<()> {
    if connect.is_zero() {
        return Err(Error::invalid_argument("connect_timeout", "must be greater than 0"));
    }
    if request.is_zero() {
        return Err(Error::invalid_argument("request_timeout", "must be greater than 0"));
    }
    Ok(())
}

fn check_retry_policy(policy: &RetryPolicy) -> Result<()> {
    if policy.max_attempts == 0 || policy.max_attempts > 20 {
        return Err(Error::invalid_argument("max_attempts", "must be between 1 and 20"));
    }
    if policy.max_delay < policy.base_delay {
        return Err(Error::invalid_argument("max_delay", "must not be shorter than base_delay"));
    }
    Ok(())
}

fn check_max_response_bytes(bytes: usize) -> Result<()> {
    if bytes < 1024 {
        return Err(Error::invalid_argument("max_response_bytes", "must be at least 1024"));
    }
    Ok(())
}

fn check_base_url(base: &str, allow_insecure_http: bool) -> Result<url::Url> {
    let url = url::Url::parse(base.trim_end_matches('/')).map_err(|_| Error::invalid_argument("base_url", "not a valid URL"))?;
    check_scheme(&url, allow_insecure_http)?;
    // Paths are appended to the base: a query or fragment would end up in the middle of every
    // URL, and user:pass@ would send a Basic Authorization beside the Bearer one.
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_argument("base_url", "must not have a query (?...) or a fragment (#...)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid_argument("base_url", "must not carry a user name or password (user:pass@)"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ResultCode;

    #[test]
    fn environments_build_the_documented_urls() {
        let c = Config::new(42, "abc");
        assert_eq!(c.base_url_string(), "https://g-42.modapi.io/v1");
        let c = c.environment(Environment::Test);
        assert_eq!(c.base_url_string(), "https://g-42.test.mod.io/v1");
        let c = c.base_url("http://127.0.0.1:9/v1/");
        assert_eq!(c.base_url_string(), "http://127.0.0.1:9/v1");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn bad_fields_are_named() {
        let e = Config::new(0, "abc").validate().unwrap_err();
        assert!(e.message().contains("game_id"));
        let e = Config::new(1, "").validate().unwrap_err();
        assert!(e.message().contains("api_key"));
        let e = Config::new(1, "abc").portal("myspace").validate().unwrap_err();
        assert!(e.message().contains("portal"));
        let e = Config::new(1, "abc").platform("amiga").validate().unwrap_err();
        assert!(e.message().contains("platform"));
        let e = Config::new(1, "abc").worker_threads(0).validate().unwrap_err();
        assert!(e.message().contains("worker_threads"));
        assert!(Config::new(1, "abc").portal("STEAM").platform("Windows").validate().is_ok());
    }

    #[test]
    fn root_certificates_must_be_pem_certificates() {
        for bad in ["", "hello", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] {
            let e = Config::new(1, "abc").add_root_certificate_pem(bad).validate().unwrap_err();
            assert_eq!(e.code(), ResultCode::InvalidArgument, "{bad:?}");
            assert!(e.message().contains("root_certificate"), "{}", e.message());
        }
    }

    #[test]
    fn base_urls_with_a_query_fragment_or_credentials_are_refused() {
        for bad in [
            "https://h/v1?x=1",
            "https://h/v1#frag",
            "https://h/v1?",
            "https://alice:hunter2@h/v1",
            "https://alice@h/v1",
            "https://:hunter2@h/v1",
        ] {
            let e = Config::new(1, "abc").base_url(bad).validate().unwrap_err();
            assert_eq!(e.code(), crate::error::ResultCode::InvalidArgument, "{bad}");
            assert!(e.message().contains("base_url"), "{bad}: {}", e.message());
            assert!(!e.message().contains("hunter2") && !e.message().contains("alice"), "the message never repeats the credentials");
        }
        assert!(Config::new(1, "abc").base_url("https://h:8443/api/v1/").validate().is_ok());
    }

    #[test]
    fn retry_settings_are_checked_once_here() {
        let p = RetryPolicy { base_delay: Duration::from_secs(2), max_delay: Duration::from_secs(1), ..RetryPolicy::default() };
        assert!(Config::new(1, "abc").retry_policy(p).validate().unwrap_err().message().contains("max_delay"));
        let b = BackgroundRetry { first_delay: Duration::ZERO, ..BackgroundRetry::default() };
        assert!(Config::new(1, "abc").background_retry(b).validate().unwrap_err().message().contains("background_retry"));
    }

    #[test]
    fn plain_http_needs_loopback_or_opt_in() {
        let e = Config::new(1, "abc").base_url("http://example.com/v1").validate().unwrap_err();
        assert_eq!(e.code(), ResultCode::InsecureUrl);
        assert!(Config::new(1, "abc").base_url("http://example.com/v1").allow_insecure_http(true).validate().is_ok());
        assert!(Config::new(1, "abc").base_url("http://localhost:8080/v1").validate().is_ok());
        assert!(Config::new(1, "abc").base_url("http://[::1]:8080/v1").validate().is_ok());
        let e = Config::new(1, "abc").base_url("ftp://example.com").validate().unwrap_err();
        assert_eq!(e.code(), ResultCode::InsecureUrl);
    }
}
