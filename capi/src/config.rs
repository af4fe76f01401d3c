//! `modio_market_config`: the builder a game fills before creating a client.
#![allow(non_camel_case_types)]

use std::ffi::c_char;
use std::time::Duration;

use modio_market::BackgroundRetry;
use modio_market::RetryPolicy;
use modio_market::{Config, Environment};
use modio_market::{Error, ResultCode};

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
/// @param game_id The game's mod.io id (not 0).
/// @param api_key The game's mod.io API key (copied, never logged).
/// @param config_out Receives the new configuration; free it with modio_market_config_free.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
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
        *out = Box::into_raw(Box::new(modio_market_config { inner: Config::checked(game_id, key)? }));
        Ok(())
    })
}

/// Frees a configuration. NULL is ignored. Any thread, but not while another call uses it.
///
/// @param config The configuration (from modio_market_config_new).
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
/// @param config The configuration (from modio_market_config_new).
/// @param environment A modio_market_environment.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_environment(config: *mut modio_market_config, environment: u32) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_environment(match environment {
            0 => Environment::Live,
            1 => Environment::Test,
            other => return Err(Error::new(ResultCode::UnknownEnumValue, format!("unknown environment {other}"))),
        })
    })
}

/// Targets any base URL, e.g. `https://g-1.modapi.io/v1` or a local test server
/// `http://127.0.0.1:8080/v1`. Plain `http://` is accepted for loopback hosts only, unless
/// `modio_market_config_set_allow_insecure_http` opts in. Copied.
///
/// @param config The configuration (from modio_market_config_new).
/// @param base_url The API base URL, e.g. `https://g-1.modapi.io/v1` (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `base_url` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_base_url(config: *mut modio_market_config, base_url: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        let url = arg_str(base_url, "base_url")?;
        config.set_base_url(url)
    })
}

/// Sends `X-Modio-Portal` on every request (`steam`, `xboxlive`, `psn`, `apple`, `google`,
/// `epicgames`, ...; case-insensitive). NULL clears it. Copied.
///
/// @param config The configuration (from modio_market_config_new).
/// @param portal Optional (NULL clears): the X-Modio-Portal value (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `portal` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_portal(config: *mut modio_market_config, portal: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_portal(arg_opt_str(portal, "portal")?)
    })
}

/// Sends `X-Modio-Platform` on every request (`windows`, `ps5`, `xboxseriesx`, `android`, ...;
/// case-insensitive). NULL clears it. Copied.
///
/// @param config The configuration (from modio_market_config_new).
/// @param platform Optional (NULL clears): the X-Modio-Platform value (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `platform` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_platform(config: *mut modio_market_config, platform: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_platform(arg_opt_str(platform, "platform")?)
    })
}

/// Connect and whole-request timeouts in milliseconds (both > 0).
///
/// @param config The configuration (from modio_market_config_new).
/// @param connect_ms The connect timeout in milliseconds (> 0).
/// @param request_ms The whole-request timeout in milliseconds (> 0).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
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
        config.set_timeouts(Duration::from_millis(u64::from(connect_ms)), Duration::from_millis(u64::from(request_ms)))
    })
}

/// How many worker threads run requests (1 to 64; default 2).
///
/// @param config The configuration (from modio_market_config_new).
/// @param threads How many worker threads, 1 to 64.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_worker_threads(config: *mut modio_market_config, threads: u32) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_worker_threads(threads as usize)
    })
}

/// Allows plain `http://` to non-loopback hosts (for a private test server without TLS).
/// Never enable it in a shipped game.
///
/// @param config The configuration (from modio_market_config_new).
/// @param allow true to allow, false to refuse (the default).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_allow_insecure_http(config: *mut modio_market_config, allow: bool) -> ResultCode {
    ffi_result!({
        config_mut(config)?.set_allow_insecure_http(allow);
        Ok(())
    })
}

/// Answers larger than `bytes` are cut off with `MODIO_MARKET_RESULT_RESPONSE_TOO_LARGE` instead of
/// being buffered (default 4 MiB; at least 1024).
///
/// @param config The configuration (from modio_market_config_new).
/// @param bytes The cap in bytes (at least 1024).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_max_response_bytes(config: *mut modio_market_config, bytes: usize) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_max_response_bytes(bytes)
    })
}

/// Also trusts the CA certificate(s) in `pem` (NUL-terminated PEM text with one or more
/// `-----BEGIN CERTIFICATE-----` blocks; copied), for a private test server with its own CA. They
/// are added to the bundled web roots, never instead of them: certificates are always verified,
/// and there is no way to turn verification off. `MODIO_MARKET_RESULT_INVALID_ARGUMENT` when the
/// text holds no usable certificate. Call once per CA.
///
/// @param config The configuration (from modio_market_config_new).
/// @param pem PEM text with one or more CA certificates (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `pem` a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_add_root_certificate_pem(config: *mut modio_market_config, pem: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        let pem = arg_str(pem, "pem")?;
        config.add_checked_root_certificate_pem(pem)
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
/// @param config The configuration (from modio_market_config_new).
/// @param max_attempts How many attempts in all (see above for the range).
/// @param base_delay_ms The first backoff, in milliseconds (doubles each retry).
/// @param max_delay_ms The longest single wait between attempts, in milliseconds.
/// @param deadline_ms No retry starts that would end later than this after the first attempt, in milliseconds.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
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
        config.set_retry_policy(RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(u64::from(base_delay_ms)),
            max_delay: Duration::from_millis(u64::from(max_delay_ms)),
            deadline: Duration::from_millis(u64::from(deadline_ms)),
        })
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
/// @param config The configuration (from modio_market_config_new).
/// @param first_delay_ms The wait before the first resend, in milliseconds (> 0).
/// @param max_delay_ms The longest single wait between attempts, in milliseconds.
/// @param max_attempts How many attempts in all (see above for the range).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
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
        config.set_background_retry(BackgroundRetry {
            first_delay: Duration::from_millis(u64::from(first_delay_ms)),
            max_delay: Duration::from_millis(u64::from(max_delay_ms)),
            max_attempts,
        })
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
/// @param config The configuration (from modio_market_config_new).
/// @param path The directory, UTF-8 (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `path` a NUL-terminated UTF-8 path.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_data_dir(config: *mut modio_market_config, path: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_data_dir(arg_str(path, "path")?)
    })
}

/// The language mod.io answers in (`Accept-Language`): the terms' text and buttons, error
/// messages. A BCP 47 tag such as "en", "de" or "pt-BR"; NULL or "" goes back to mod.io's
/// default (English). Copied.
///
/// @param config The configuration (from modio_market_config_new).
/// @param language A language tag, or NULL / "" for mod.io's default (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `language` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_language(config: *mut modio_market_config, language: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_language(arg_opt_str(language, "language")?)
    })
}

/// The directory installed mods go to (created if missing): one subdirectory per mod id, beside
/// the list of what is installed (`modio-market-installed.json`) and the partial downloads an
/// interruption left, which the next install of that mod resumes. Needed by
/// `modio_market_client_install_mod`, `_uninstall_mod` and `_installed_mods`. Copied.
///
/// @param config The configuration (from modio_market_config_new).
/// @param path The directory, UTF-8 (copied).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `path` a NUL-terminated UTF-8 path.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_install_dir(config: *mut modio_market_config, path: *const c_char) -> ResultCode {
    ffi_result!({
        let config = config_mut(config)?;
        config.set_install_dir(arg_str(path, "path")?)
    })
}

/// The game's monetization team id (from its mod.io dashboard), which the S2S transaction
/// history reads (`modio_market_s2s_client_transactions`); 0 clears it. Server-side only.
///
/// @param config The configuration (from modio_market_config_new).
/// @param team_id The monetization team id, or 0 to clear it.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration.
#[no_mangle]
pub unsafe extern "C" fn modio_market_config_set_monetization_team_id(config: *mut modio_market_config, team_id: u64) -> ResultCode {
    ffi_result!({
        config_mut(config)?.set_monetization_team_id(team_id);
        Ok(())
    })
}
