//! `modio_market_config`: the builder a game fills before creating a client.
#![allow(non_camel_case_types)]

use std::ffi::c_char;
use std::time::Duration;

use crate::attempts::BackgroundRetry;
use crate::config::RetryPolicy;
use crate::config::{Config, Environment, PLATFORMS, PORTALS};
use crate::error::{Error, ResultCode};

use super::{arg_opt_str, arg_out, arg_str};

/// Opaque client configuration. Create with `modio_market_config_new`, free with
/// `modio_market_config_free`. Not thread-safe: fill it on one thread.
pub struct modio_market_config {
    pub(crate) inner: Config,
}

/// Which mod.io environment a configuration targets.
#[repr(u32)]
pub enum modio_market_environment {
    /// `https://g-{game_id}.modapi.io/v1`
    Live = 0,
    /// `https://g-{game_id}.test.mod.io/v1`
    Test = 1,
}

pub(crate) unsafe fn config_mut<'a>(config: *mut modio_market_config) -> Result<&'a mut Config, Error> {
    arg_out(config, "config").map(|c| &mut c.inner)
}

/// Creates a configuration for `game_id` and its `api_key`, targeting the live environment with
/// default timeouts (connect 10 s, request 30 s) and 2 worker threads.
///
/// Ownership: `*config_out` is yours; free it with `modio_market_config_free` (a client made from
/// it keeps its own copy). `api_key` is copied. Any thread.
///
/// # Safety
/// `api_key` must be NULL or a NUL-terminated string; `config_out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_new(
    game_id: u64,
    api_key: *const c_char,
    config_out: *mut *mut modio_market_config,
) -> ResultCode {
    ffi_result!({
        let out = arg_out(config_out, "config_out")?;
        let key = arg_str(api_key, "api_key")?;
        if game_id == 0 {
            return Err(Error::invalid_argument("game_id", "must not be 0"));
        }
        if key.is_empty() {
            return Err(Error::invalid_argument("api_key", "must not be empty"));
        }
        *out = Box::into_raw(Box::new(modio_market_config { inner: Config::new(game_id, key) }));
        Ok(())
    })
}

/// Frees a configuration. NULL is ignored. Any thread, but not while another call uses it.
///
/// # Safety
/// `config` must be NULL or a pointer from `modio_market_config_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_free(config: *mut modio_market_config) {
    ffi_boundary!({
        if !config.is_null() {
            drop(Box::from_raw(config));
        }
    })
}

/// Targets the live or test environment (a `modio_market_environment`); unknown values give
/// `MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE`. Replaces a custom base URL.
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_environment(config: *mut modio_market_config, environment: u32) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.environment = match environment {
            0 => Environment::Live,
            1 => Environment::Test,
            other => return Err(Error::new(ResultCode::UnknownEnumValue, format!("unknown environment {other}"))),
        };
        Ok(())
    })
}

/// Targets any base URL, e.g. `https://g-1.modapi.io/v1` or a local test server
/// `http://127.0.0.1:8080/v1`. Plain `http://` is accepted for loopback hosts only, unless
/// `modio_market_config_set_allow_insecure_http` opts in. Copied.
///
/// # Safety
/// `config` must be a live configuration; `base_url` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_base_url(config: *mut modio_market_config, base_url: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        let url = arg_str(base_url, "base_url")?;
        let parsed = url::Url::parse(url).map_err(|_| Error::invalid_argument("base_url", "not a valid URL"))?;
        crate::config::check_scheme(&parsed, config.allow_insecure_http)?;
        config.environment = Environment::Custom(url.to_owned());
        Ok(())
    })
}

/// Sends `X-Modio-Portal` on every request (`steam`, `xboxlive`, `psn`, `apple`, `google`,
/// `epicgames`, ...; case-insensitive). NULL clears it. Copied.
///
/// # Safety
/// `config` must be a live configuration; `portal` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_portal(config: *mut modio_market_config, portal: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.portal = match arg_opt_str(portal, "portal")? {
            None => None,
            Some(p) => {
                let p = p.to_ascii_lowercase();
                if !PORTALS.contains(&p.as_str()) {
                    return Err(Error::invalid_argument("portal", "not one of the documented X-Modio-Portal values"));
                }
                Some(p)
            }
        };
        Ok(())
    })
}

/// Sends `X-Modio-Platform` on every request (`windows`, `ps5`, `xboxseriesx`, `android`, ...;
/// case-insensitive). NULL clears it. Copied.
///
/// # Safety
/// `config` must be a live configuration; `platform` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_platform(config: *mut modio_market_config, platform: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.platform = match arg_opt_str(platform, "platform")? {
            None => None,
            Some(p) => {
                let p = p.to_ascii_lowercase();
                if !PLATFORMS.contains(&p.as_str()) {
                    return Err(Error::invalid_argument("platform", "not one of the documented X-Modio-Platform values"));
                }
                Some(p)
            }
        };
        Ok(())
    })
}

/// Connect and whole-request timeouts in milliseconds (both > 0).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_timeouts(
    config: *mut modio_market_config,
    connect_ms: u32,
    request_ms: u32,
) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        if connect_ms == 0 {
            return Err(Error::invalid_argument("connect_ms", "must be greater than 0"));
        }
        if request_ms == 0 {
            return Err(Error::invalid_argument("request_ms", "must be greater than 0"));
        }
        config.connect_timeout = Duration::from_millis(u64::from(connect_ms));
        config.request_timeout = Duration::from_millis(u64::from(request_ms));
        Ok(())
    })
}

/// How many worker threads run requests (1 to 64; default 2).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_worker_threads(config: *mut modio_market_config, threads: u32) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        if !(1..=64).contains(&threads) {
            return Err(Error::invalid_argument("threads", "must be between 1 and 64"));
        }
        config.worker_threads = threads as usize;
        Ok(())
    })
}

/// Allows plain `http://` to non-loopback hosts (for a private test server without TLS).
/// Never enable it in a shipped game.
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_allow_insecure_http(config: *mut modio_market_config, allow: bool) -> ResultCode {
    ffi_result!({
        config_mut(config)?.allow_insecure_http = allow;
        Ok(())
    })
}

/// Answers larger than `bytes` are cut off with `MODIO_MARKET_RESULT_RESPONSE_TOO_LARGE` instead of
/// being buffered (default 4 MiB; at least 1024).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_max_response_bytes(config: *mut modio_market_config, bytes: usize) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        if bytes < 1024 {
            return Err(Error::invalid_argument("bytes", "must be at least 1024"));
        }
        config.max_response_bytes = bytes;
        Ok(())
    })
}

/// Also trusts the CA certificate(s) in `pem` (NUL-terminated PEM text with one or more
/// `-----BEGIN CERTIFICATE-----` blocks; copied), for a private test server with its own CA. They
/// are added to the bundled web roots, never instead of them: certificates are always verified,
/// and there is no way to turn verification off. `MODIO_MARKET_RESULT_INVALID_ARGUMENT` when the
/// text holds no usable certificate. Call once per CA.
///
/// # Safety
/// `config` must be a live configuration; `pem` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_add_root_certificate_pem(config: *mut modio_market_config, pem: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        let pem = arg_str(pem, "pem")?;
        crate::config::parse_root_certificates(pem)?;
        config.root_certificates_pem.push(pem.to_owned());
        Ok(())
    })
}

/// How requests that are safe to repeat are retried: GETs, checkout (it carries an idempotency
/// key) and entitlement syncs (mod.io consumes server-side, so a repeat converts nothing twice).
/// Authentication and delegation-token requests are never retried. Retried: connection failures,
/// timeouts, 5xx, 429 (honouring `retry-after`; 0 means wait 60 s) and 2xx answers cut short;
/// never other 4xx. `max_attempts` counts the first attempt (1 = never retry, at most 20); the
/// backoff starts at `base_delay_ms`, doubles, is capped at `max_delay_ms` and is jittered; no
/// retry starts that would end more than `deadline_ms` after the first attempt: a 429 asking for
/// a longer wait is reported at once as `MODIO_MARKET_RESULT_RATE_LIMITED` with
/// `retry_after_secs`. Defaults: 4 attempts, 200 ms, 5000 ms, 20000 ms.
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_retry_policy(
    config: *mut modio_market_config,
    max_attempts: u32,
    base_delay_ms: u32,
    max_delay_ms: u32,
    deadline_ms: u32,
) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        if !(1..=20).contains(&max_attempts) {
            return Err(Error::invalid_argument("max_attempts", "must be between 1 and 20"));
        }
        if max_delay_ms < base_delay_ms {
            return Err(Error::invalid_argument("max_delay_ms", "must be at least base_delay_ms"));
        }
        config.retry = RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(u64::from(base_delay_ms)),
            max_delay: Duration::from_millis(u64::from(max_delay_ms)),
            deadline: Duration::from_millis(u64::from(deadline_ms)),
        };
        Ok(())
    })
}

/// How a checkout left without an answer by a transient failure (connection lost, timeout, 5xx,
/// 429, an answer cut short) is resent in the background, with its idempotency key and the
/// session (token, user) it was made in, while the client lives: the first resend after
/// `first_delay_ms`, each wait doubling up to `max_delay_ms`, `max_attempts` resends in all
/// (0 = none; at most 100). How it ends reaches the recovery callback
/// (`modio_market_client_set_recovery_callback`) inside poll/wait: COMPLETED, OWNED, FAILED, or
/// STILL_PENDING after the last resend (then, with a data directory, the next recovery tries
/// again). `modio_market_client_resume_checkouts` resends the waiting ones at once. Defaults:
/// 2000 ms, 60000 ms, 8. Any thread; `INVALID_ARGUMENT` for `first_delay_ms` 0,
/// `max_delay_ms < first_delay_ms` or more than 100 attempts.
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_background_retry(
    config: *mut modio_market_config,
    first_delay_ms: u32,
    max_delay_ms: u32,
    max_attempts: u32,
) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        let retry = BackgroundRetry {
            first_delay: Duration::from_millis(u64::from(first_delay_ms)),
            max_delay: Duration::from_millis(u64::from(max_delay_ms)),
            max_attempts,
        };
        retry.validate()?;
        config.background_retry = retry;
        Ok(())
    })
}

/// A directory the game owns (created if missing) where the library keeps its checkout journal,
/// each user's purchased list and salted fingerprints of recent tokens (never a token, ticket or
/// receipt). With it, a checkout interrupted by a crash or a lost connection is resumed with its
/// idempotency key the next time that user's token is set (see
/// `modio_market_client_set_recovery_callback`), and when the game sets a token the directory
/// has seen before, `modio_market_client_owns` answers at once, offline, from that user's list.
/// Without it, checkout still works but cannot survive a crash. Copied.
///
/// # Safety
/// `config` must be a live configuration; `path` a NUL-terminated UTF-8 path.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_data_dir(config: *mut modio_market_config, path: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        let path = arg_str(path, "path")?;
        if path.is_empty() {
            return Err(Error::invalid_argument("path", "must not be empty"));
        }
        config.data_dir = Some(std::path::PathBuf::from(path));
        Ok(())
    })
}
