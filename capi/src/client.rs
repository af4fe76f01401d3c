//! `modio_market_client`: the exported client functions, each a thin call into [`Client`].
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use modio_market::Client;
use modio_market::IdempotencyKey;
use modio_market::LogLevel;
use modio_market::{AuthOptions, EntitlementSource, MetaDevice, PlatformAuth};
use modio_market::{Error, ResultCode, Secret};
use modio_market::{ModQuery, RevenueType};

use super::config::modio_market_config;
use super::pump::{c_log_sink, free_pumped, pump_pumped, Pumped};
use super::types::*;
use super::{arg_opt_str, arg_out, arg_ref, arg_slice, arg_str};

/// Opaque client handle: owns the configuration, the user's token, the ownership cache, the
/// worker threads and the completion queue. Create with `modio_market_client_new`, free with
/// `modio_market_client_free`. Internally synchronized: any thread may call its functions;
/// callbacks run only inside `modio_market_client_poll`/`modio_market_client_wait`.
pub struct modio_market_client {
    pub(crate) client: Client,
    /// Set when free is called from inside one of this client's callbacks; poll frees on return.
    free_requested: AtomicBool,
}

impl Pumped for modio_market_client {
    fn free_requested(&self) -> &AtomicBool {
        &self.free_requested
    }
    fn is_pumping_on_this_thread(&self) -> bool {
        self.client.is_pumping_on_this_thread()
    }
    #[inline]
    fn poll(&self) -> modio_market::Result<usize> {
        self.client.poll()
    }
    fn wait_one(&self, request_id: u64, timeout: Duration) -> modio_market::Result<usize> {
        self.client.wait(request_id, timeout)
    }
    fn wait_any(&self, timeout: Duration) -> modio_market::Result<usize> {
        self.client.wait_any(timeout)
    }
}

/// `void (*)(void *user_data, modio_market_log_level level, const char *message)`; `message` is
/// valid during the call only. Runs inside poll/wait, on the polling thread.
pub type modio_market_log_cb = Option<unsafe extern "C" fn(user_data: *mut c_void, level: LogLevel, message: *const c_char)>;

/// Completion callbacks: `user_data` first, the request id, then `error` (non-NULL on failure) or
/// the result (non-NULL on success). Everything they point to is valid during the call only.
pub type modio_market_auth_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        token: *const modio_market_access_token,
    ),
>;
pub type modio_market_wallet_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, wallet: *const modio_market_wallet),
>;
pub type modio_market_sync_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        sync: *const modio_market_entitlement_sync,
    ),
>;
pub type modio_market_game_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, game: *const modio_market_game)>;
pub type modio_market_mod_page_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, page: *const modio_market_mod_page),
>;
pub type modio_market_mod_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, mod_info: *const modio_market_mod),
>;
pub type modio_market_checkout_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, checkout: *const modio_market_checkout),
>;
pub type modio_market_purchases_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        purchases: *const modio_market_purchases,
    ),
>;
/// `void (*)(void *user_data, const modio_market_recovery *report)`; runs inside poll/wait.
pub type modio_market_recovery_cb = Option<unsafe extern "C" fn(user_data: *mut c_void, report: *const modio_market_recovery)>;

pub type modio_market_delegation_token_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        token: *const modio_market_delegation_token,
    ),
>;

pub(crate) unsafe fn client_ref<'a>(client: *const modio_market_client) -> Result<&'a modio_market_client, Error> {
    arg_ref(client, "client")
}

pub(crate) fn secret(value: &str) -> Secret {
    Secret::new(value)
}

pub(crate) fn optional_number(value: i64) -> Option<i64> {
    (value >= 0).then_some(value)
}

/// Creates a client from `config` (copied: free the config whenever you like) and starts its
/// worker threads. Fails with the first invalid setting (`INVALID_ARGUMENT`, `INSECURE_URL`).
///
/// Ownership: `*client_out` is yours; free it with `modio_market_client_free`. Any thread.
///
/// @param config The configuration (from modio_market_config_new).
/// @param client_out Receives the new handle on success; free it with the matching _free.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` must be a live configuration; `client_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_new(
    config: *const modio_market_config,
    client_out: *mut *mut modio_market_client,
) -> ResultCode {
    ffi_result!({
        let out = arg_out(client_out, "client_out")?;
        let config = arg_ref(config, "config")?;
        let client = Client::new(config.inner.clone())?;
        *out = Box::into_raw(Box::new(modio_market_client { client, free_requested: AtomicBool::new(false) }));
        Ok(())
    })
}

/// Frees a client. Every request still pending gets its callback now, on this thread, with
/// `MODIO_MARKET_RESULT_SHUT_DOWN` (so per-request `user_data` can be released); worker threads
/// are joined (waiting at most 2 s for ones blocked on the network, which then finish alone and
/// never call back). No callback fires after this returns. NULL is ignored.
///
/// Called from inside one of this client's callbacks, the free happens when that poll/wait
/// returns. Must not race other calls on the same client from other threads.
///
/// @param client The client (from modio_market_client_new).
///
/// # Safety
/// `client` must be NULL or a pointer from `modio_market_client_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_free(client: *mut modio_market_client) {
    ffi_boundary!({ free_pumped(client) })
}

/// Sets or replaces the user's access token (copied; the previous one is zeroed once no request
/// uses it). NULL or "" clears it. Either starts a new session: every request submitted before
/// keeps the session (token, user) it captured, with or without a worker picking it up yet, and
/// its answer never reaches the new session's ownership cache. `modio_market_client_owns` then
/// answers false until the new player's list is known: at once when the data directory has seen
/// this token before (its user's stored list is read here), else after mod.io says whose token it
/// is (`GET /me`, done by the next request that needs the user). With a data directory, the next
/// poll starts checkout recovery for this player. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param access_token The user's token (copied, zeroed when replaced or freed, never logged).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live; `access_token` NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_set_access_token(client: *mut modio_market_client, access_token: *const c_char) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let token = arg_opt_str(access_token, "access_token")?;
        handle.client.set_access_token(token.map(secret));
        Ok(())
    })
}

/// Clears the user's access token (sign out): a new session without a user, in which
/// `modio_market_client_owns` answers false. Requests already submitted finish with the session
/// they captured. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_clear_access_token(client: *mut modio_market_client) -> ResultCode {
    ffi_result!({
        client_ref(client)?.client.set_access_token(None);
        Ok(())
    })
}

/// Routes log records at `max_level` or more severe (a `modio_market_log_level`) to `callback`,
/// which runs inside poll/wait on the polling thread. A NULL callback turns logging off. Log
/// lines never contain tokens, tickets, receipts or the API key. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param max_level The most verbose modio_market_log_level delivered.
/// @param callback Receives each log record at max_level or more severe, inside poll/wait on the polling thread; NULL unregisters.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live; `callback` and `user_data` must stay valid until replaced or the client is freed.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_set_log_callback(
    client: *mut modio_market_client,
    max_level: u32,
    callback: modio_market_log_cb,
    user_data: *mut c_void,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let (level, sink) = c_log_sink(max_level, callback, user_data)?;
        handle.client.set_logger(level, sink);
        Ok(())
    })
}

/// Runs the callbacks of every request completed so far, on this thread, and returns at once
/// (never waits on the network). `ran_out` (optional) receives how many ran. Call it once per
/// frame. From inside a callback it returns `MODIO_MARKET_RESULT_REENTRANT`.
///
/// @param client The client (from modio_market_client_new).
/// @param ran_out Optional (NULL): receives how many callbacks ran.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live; `ran_out` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_poll(client: *mut modio_market_client, ran_out: *mut usize) -> ResultCode {
    ffi_result!({ pump_pumped(client, ran_out, Pumped::poll) })
}

/// Blocks up to `timeout_ms` until the callback of `request_id` has run (0 = until any callback
/// ran), running callbacks on this thread as requests complete. `MODIO_MARKET_RESULT_WAIT_TIMED_OUT`
/// when the time passes first; `MODIO_MARKET_RESULT_REQUEST_NOT_FOUND` for an unknown or finished
/// id. For tools, tests and loading screens: a game loop should use poll.
///
/// @param client The client (from modio_market_client_new).
/// @param request_id The request to wait for, or 0 to return after any callback ran.
/// @param timeout_ms How long to wait at most, in milliseconds.
/// @param ran_out Optional (NULL): receives how many callbacks ran.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live; `ran_out` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_wait(
    client: *mut modio_market_client,
    request_id: u64,
    timeout_ms: u32,
    ran_out: *mut usize,
) -> ResultCode {
    ffi_result!({ pump_pumped(client, ran_out, |handle| handle.wait_c(request_id, timeout_ms)) })
}

/// Cancels a pending request: its callback reports `MODIO_MARKET_RESULT_CANCELLED` at the next
/// poll, exactly once. `REQUEST_NOT_FOUND` for an unknown id, `ALREADY_COMPLETED` when its result
/// is already queued. A cancelled checkout may still have been charged if it had reached mod.io:
/// refresh purchases to know. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param request_id The request to cancel.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_cancel(client: *mut modio_market_client, request_id: u64) -> ResultCode {
    ffi_result!({
        client_ref(client)?.client.cancel(request_id)?;
        Ok(())
    })
}

/// How many requests still wait for their callback. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param count_out Receives the number of requests whose callback has not run yet.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` must be live; `count_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_pending_requests(client: *const modio_market_client, count_out: *mut usize) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let out = arg_out(count_out, "count_out")?;
        *out = handle.client.pending_requests();
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Authentication: POST /external/{platform}auth. On success the client keeps the token.
// ---------------------------------------------------------------------------------------------

unsafe fn authenticate(
    client: *mut modio_market_client,
    auth: PlatformAuth,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> Result<(), Error> {
    let handle = client_ref(client)?;
    let options = AuthOptions { terms_agreed, date_expires: None };
    start(callback, user_data, request_id_out, access_token_view, |cb| handle.client.authenticate(auth, options, cb))
}

/// Signs in with a Steam encrypted app ticket (base64, `appdata`). `terms_agreed`: the player
/// accepted the mod.io terms. `callback` runs in poll with the access token (also kept by the
/// client) or the error (e.g. 401 / 11018 invalid ticket, 403 / 11074 terms not agreed).
/// `request_id_out` is optional. Strings are copied. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param appdata The Steam encrypted app ticket, base64 (copied, never logged).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; strings NUL-terminated; `user_data` passed back untouched.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_steam(
    client: *mut modio_market_client,
    appdata: *const c_char,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let appdata = secret(arg_str(appdata, "appdata")?);
        authenticate(client, PlatformAuth::Steam { appdata }, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with an Xbox Live token from `GetTokenAndSignatureAsync` (URL-encoded by the library).
/// Same contract as `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param xbox_token The Xbox Live token for mod.io's relying party (copied, never logged).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_xbox_live(
    client: *mut modio_market_client,
    xbox_token: *const c_char,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let xbox_token = secret(arg_str(xbox_token, "xbox_token")?);
        authenticate(client, PlatformAuth::XboxLive { xbox_token }, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with a PlayStation Network auth code; `env` is the PSN environment, or a negative
/// number to leave it out (production). Same contract as `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param auth_code The platform's one-time authorization code (copied, never logged).
/// @param env The PSN environment number as the PSN SDK gives it, or negative to leave it out (production).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_psn(
    client: *mut modio_market_client,
    auth_code: *const c_char,
    env: i64,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let auth_code = secret(arg_str(auth_code, "auth_code")?);
        let auth = PlatformAuth::Psn { auth_code, env: optional_number(env) };
        authenticate(client, auth, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with Meta Quest / Rift: `device` is "quest" or "rift", plus the nonce, the Meta user
/// id and the user's Meta access token. Same contract as `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param device The Meta device: "quest", "quest2", "questpro", "quest3", "rift" or "go" (case-insensitive).
/// @param nonce The Meta user proof nonce (copied, never logged).
/// @param user_id The platform's numeric user id.
/// @param access_token The user's token (copied, zeroed when replaced or freed, never logged).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_meta(
    client: *mut modio_market_client,
    device: *const c_char,
    nonce: *const c_char,
    user_id: u64,
    access_token: *const c_char,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let device: MetaDevice = arg_str(device, "device")?.parse()?;
        let nonce = secret(arg_str(nonce, "nonce")?);
        let access_token = secret(arg_str(access_token, "access_token")?);
        let auth = PlatformAuth::Meta { device, nonce, user_id, access_token };
        authenticate(client, auth, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with an Apple `id_token`. Same contract as `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param id_token The platform's ID token (copied, never logged).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_apple(
    client: *mut modio_market_client,
    id_token: *const c_char,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let id_token = secret(arg_str(id_token, "id_token")?);
        authenticate(client, PlatformAuth::Apple { id_token }, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with Google: a server `auth_code`, an `id_token`, or both (either may be NULL, not
/// both). Same contract as `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param auth_code The platform's one-time authorization code (copied, never logged).
/// @param id_token The platform's ID token (copied, never logged).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_google(
    client: *mut modio_market_client,
    auth_code: *const c_char,
    id_token: *const c_char,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let auth_code = arg_opt_str(auth_code, "auth_code")?.map(secret);
        let id_token = arg_opt_str(id_token, "id_token")?.map(secret);
        authenticate(client, PlatformAuth::Google { auth_code, id_token }, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with an Epic Games `id_token`. Same contract as `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param id_token The platform's ID token (copied, never logged).
/// @param terms_agreed true when the player has agreed to mod.io's current terms (shown in your UI); mod.io refuses a first sign-in without it.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_epic(
    client: *mut modio_market_client,
    id_token: *const c_char,
    terms_agreed: bool,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let id_token = secret(arg_str(id_token, "id_token")?);
        authenticate(client, PlatformAuth::Epic { id_token }, terms_agreed, callback, user_data, request_id_out)
    })
}

/// Signs in with a user delegation token (`POST /external/udtauth`): a studio server (or a
/// companion tool) acting as the player the token was issued for by
/// `modio_market_client_request_delegation_token`. The player agreed to the terms when they
/// signed in on the game, so no `terms_agreed` is sent. Same contract as
/// `modio_market_client_auth_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param delegation_token The user delegation token (copied, zeroed when freed, never logged).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_auth_steam`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_auth_udt(
    client: *mut modio_market_client,
    delegation_token: *const c_char,
    callback: modio_market_auth_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let delegation_token = secret(arg_str(delegation_token, "delegation_token")?);
        authenticate(client, PlatformAuth::Udt { delegation_token }, false, callback, user_data, request_id_out)
    })
}

// ---------------------------------------------------------------------------------------------
// Wallet and entitlements
// ---------------------------------------------------------------------------------------------

/// Reads the user's wallet (`GET /me/wallets`). Needs an access token. `callback` runs in poll
/// with the wallet or the error (e.g. 404 / 900022: the game has no monetization team). Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `user_data` passed back untouched; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_get_wallet(
    client: *mut modio_market_client,
    callback: modio_market_wallet_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, wallet_view, |cb| handle.client.get_wallet(cb))
    })
}

unsafe fn sync(
    client: *mut modio_market_client,
    source: EntitlementSource,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> Result<(), Error> {
    let handle = client_ref(client)?;
    start(callback, user_data, request_id_out, sync_view, |cb| handle.client.sync_entitlements(source, cb))
}

/// Converts the user's Steam entitlements into virtual currency (`POST /me/iap/steam/sync`).
/// `callback` runs in poll with the new balance and every entitlement line, or the error
/// (11069 no Steam account linked, 900054 IAP not configured, 900057 not monetized, 900096
/// platform fetch failed). Needs an access token. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `user_data` passed back untouched; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_sync_steam(
    client: *mut modio_market_client,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({ sync(client, EntitlementSource::Steam, callback, user_data, request_id_out) })
}

/// Syncs Xbox Live entitlements with an Xbox Live token. Same contract as `modio_market_client_sync_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param xbox_token The Xbox Live token for mod.io's relying party (copied, never logged).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_sync_steam`; `xbox_token` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_sync_xbox_live(
    client: *mut modio_market_client,
    xbox_token: *const c_char,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let xbox_token = secret(arg_str(xbox_token, "xbox_token")?);
        sync(client, EntitlementSource::XboxLive { xbox_token }, callback, user_data, request_id_out)
    })
}

/// Syncs PlayStation Network entitlements: `auth_code`, and `env` / `service_label` (negative to
/// leave out). Same contract as `modio_market_client_sync_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param auth_code The platform's one-time authorization code (copied, never logged).
/// @param env The PSN environment number as the PSN SDK gives it, or negative to leave it out (production).
/// @param service_label The PSN service label, or negative to leave it out.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_sync_steam`; `auth_code` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_sync_psn(
    client: *mut modio_market_client,
    auth_code: *const c_char,
    env: i64,
    service_label: i64,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let auth_code = secret(arg_str(auth_code, "auth_code")?);
        let source = EntitlementSource::Psn { auth_code, env: optional_number(env), service_label: optional_number(service_label) };
        sync(client, source, callback, user_data, request_id_out)
    })
}

/// Syncs Meta entitlements: `device` "quest" or "rift" and the Meta `user_id`. Same contract as
/// `modio_market_client_sync_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param device The Meta device: "quest", "quest2", "questpro", "quest3", "rift" or "go" (case-insensitive).
/// @param user_id The platform's numeric user id.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_sync_steam`; `device` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_sync_meta(
    client: *mut modio_market_client,
    device: *const c_char,
    user_id: u64,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let device: MetaDevice = arg_str(device, "device")?.parse()?;
        sync(client, EntitlementSource::Meta { device, user_id }, callback, user_data, request_id_out)
    })
}

/// Syncs Apple App Store purchases from a receipt. Same contract as `modio_market_client_sync_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param receipt The store's receipt (copied, never logged).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_sync_steam`; `receipt` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_sync_apple(
    client: *mut modio_market_client,
    receipt: *const c_char,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let receipt = secret(arg_str(receipt, "receipt")?);
        sync(client, EntitlementSource::Apple { receipt }, callback, user_data, request_id_out)
    })
}

/// Syncs Google Play purchases from a receipt (purchase token). Same contract as
/// `modio_market_client_sync_steam`.
///
/// @param client The client (from modio_market_client_new).
/// @param receipt The store's receipt (copied, never logged).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_sync_steam`; `receipt` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_sync_google(
    client: *mut modio_market_client,
    receipt: *const c_char,
    callback: modio_market_sync_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let receipt = secret(arg_str(receipt, "receipt")?);
        sync(client, EntitlementSource::Google { receipt }, callback, user_data, request_id_out)
    })
}

// ---------------------------------------------------------------------------------------------
// Browsing
// ---------------------------------------------------------------------------------------------

/// Reads the game (`GET /games/{id}`), including its `api_access_options` flags by name.
/// Works with the API key alone. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `user_data` passed back untouched; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_get_game(
    client: *mut modio_market_client,
    callback: modio_market_game_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, game_view, |cb| handle.client.get_game(cb))
    })
}

/// Lists mods (`GET /games/{id}/mods`): `revenue_type` is a `modio_market_revenue_type`
/// (PAID for the premium store), `offset`/`limit` paginate (`limit` 1-100), `search` is an
/// optional full-text search on the name (NULL or "" for none, copied). Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param revenue_type Which mods to list: a modio_market_revenue_type (PAID for the premium store).
/// @param offset How many results to skip (paging).
/// @param limit How many results per page, 1 to 100.
/// @param search Optional (NULL): full-text search on the mod name.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `search` NULL or NUL-terminated; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_get_mods(
    client: *mut modio_market_client,
    revenue_type: u32,
    offset: u64,
    limit: u32,
    search: *const c_char,
    callback: modio_market_mod_page_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let revenue_type = RevenueType::from_raw(revenue_type)
            .ok_or_else(|| Error::new(ResultCode::UnknownEnumValue, format!("unknown revenue_type {revenue_type}")))?;
        let search = arg_opt_str(search, "search")?.map(str::to_owned);
        let query = ModQuery { revenue_type, offset, limit: u64::from(limit), search, ..ModQuery::default() };
        start(callback, user_data, request_id_out, mod_page_view, |cb| handle.client.get_mods(query, cb))
    })
}

/// Reads one mod by id (`GET /games/{id}/mods/{mod_id}`; 404 / 15022 when unknown). Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param mod_id The mod's id (not 0).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_get_mod(
    client: *mut modio_market_client,
    mod_id: u64,
    callback: modio_market_mod_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, mod_view, |cb| handle.client.get_mod(mod_id, cb))
    })
}

/// What `modio_market_client_get_mods_query` lists: the filters and the order of a store page.
/// Every field left zero means "not set", so `modio_market_mod_query q = {.struct_size = sizeof q};`
/// lists free mods, 100 per page, by id; set the fields you need. The library copies what it
/// needs during the call: the strings and arrays may be freed when it returns.
///
/// `struct_size` must be `sizeof(modio_market_mod_query)` as your header defines it. A library
/// newer than your header reads only the fields within it (the rest stay "not set"); a library
/// older than your header refuses a query that sets a field it does not know
/// (`MODIO_MARKET_RESULT_INVALID_ARGUMENT`) rather than list without it.
#[repr(C)]
pub struct modio_market_mod_query {
    pub struct_size: u32,
    /// A `modio_market_revenue_type`; 0 is FREE, the API's default (PAID for the premium store).
    pub revenue_type: u32,
    /// How many results to skip (paging).
    pub offset: u64,
    /// Results per page, 1 to 100; 0 means 100.
    pub limit: u32,
    /// A `modio_market_mod_sort_field`; 0 is ID, the API's default order.
    pub sort: u32,
    /// Optional (NULL): full-text search on the mod name.
    pub search: *const c_char,
    /// Optional: only these mods (`id_count` ids, at most 100, none 0).
    pub ids: *const u64,
    pub id_count: usize,
    /// Optional: only mods with every one of these tags (`tags_all_count` strings, at most 32).
    pub tags_all: *const *const c_char,
    pub tags_all_count: usize,
    /// Optional: only mods with at least one of these tags (`tags_any_count` strings, at most 32).
    pub tags_any: *const *const c_char,
    pub tags_any_count: usize,
    /// Price bounds in virtual currency, inclusive; each only when its `has_` flag is true.
    pub price_min: u64,
    pub price_max: u64,
    /// Reverse the order (`-` in `_sort`): most downloads, newest, most expensive first.
    pub sort_descending: bool,
    pub has_price_min: bool,
    pub has_price_max: bool,
}

/// Reads a caller's query through the one input-struct rule ([`read_input`]).
unsafe fn read_mod_query(query: *const modio_market_mod_query) -> Result<modio_market_mod_query, Error> {
    let bools = [
        std::mem::offset_of!(modio_market_mod_query, sort_descending),
        std::mem::offset_of!(modio_market_mod_query, has_price_min),
        std::mem::offset_of!(modio_market_mod_query, has_price_max),
    ];
    read_input(query, "query", "modio_market_mod_query", &bools)
}

/// The strings of a C array argument, copied.
pub(crate) unsafe fn tag_list(ptr: *const *const c_char, count: usize, name: &str) -> Result<Vec<String>, Error> {
    arg_slice(ptr, count, modio_market::MAX_QUERY_TAGS + 1, name)?.iter().map(|&t| arg_str(t, name).map(str::to_owned)).collect()
}

/// Lists mods (`GET /games/{id}/mods`) with the filters and the order of `query`: a store page
/// by popularity, by price, newest first, by tag, a wishlist by ids. The library's checks (limit,
/// id and tag lists, price bounds) run before anything is queued. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param query What to list (see modio_market_mod_query). Must not be NULL; read during the call only.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `query` NULL or a `modio_market_mod_query` of `struct_size` readable bytes whose
/// pointers are NULL or valid for their counts; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_get_mods_query(
    client: *mut modio_market_client,
    query: *const modio_market_mod_query,
    callback: modio_market_mod_page_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let q = read_mod_query(query)?;
        let revenue_type = RevenueType::from_raw(q.revenue_type)
            .ok_or_else(|| Error::new(ResultCode::UnknownEnumValue, format!("unknown revenue_type {}", q.revenue_type)))?;
        let sort = modio_market::ModSortField::from_raw(q.sort)
            .ok_or_else(|| Error::new(ResultCode::UnknownEnumValue, format!("unknown sort field {}", q.sort)))?;
        let query = ModQuery {
            revenue_type,
            offset: q.offset,
            limit: if q.limit == 0 { 100 } else { u64::from(q.limit) },
            search: arg_opt_str(q.search, "query.search")?.map(str::to_owned),
            sort,
            descending: q.sort_descending,
            // One past the limit still reaches the Rust check, which names it.
            ids: arg_slice(q.ids, q.id_count, modio_market::MAX_QUERY_IDS + 1, "query.ids")?.to_vec(),
            tags_all: tag_list(q.tags_all, q.tags_all_count, "query.tags_all")?,
            tags_any: tag_list(q.tags_any, q.tags_any_count, "query.tags_any")?,
            price_min: q.has_price_min.then_some(q.price_min),
            price_max: q.has_price_max.then_some(q.price_max),
        };
        start(callback, user_data, request_id_out, mod_page_view, |cb| handle.client.get_mods(query, cb))
    })
}

/// Revenue filter of `modio_market_client_get_mods`.
#[repr(u32)]
pub enum modio_market_revenue_type {
    Free = 0,
    Paid = 1,
    Both = 2,
}

// ---------------------------------------------------------------------------------------------
// Checkout and ownership
// ---------------------------------------------------------------------------------------------

/// Buys a mod with virtual currency (`POST .../checkout`, `type=0`). `display_amount` is the
/// price the player saw (mod.io refuses a mismatch: 900035). `idempotency_key` (optional,
/// `[a-zA-Z0-9_-]`, copied) makes a retry safe; NULL generates a UUID, returned in the receipt.
/// `callback` runs in poll with the transaction, the new balance and the mod, or the error
/// (900049 insufficient funds, 900034 already owned, 900035 price mismatch). The checkout runs in
/// the session current when this is called: that token pays and that player owns, even when the
/// token changes before it is sent. A key already used for another mod, price or player is
/// refused with `INVALID_ARGUMENT` before anything is sent. The receipt is checked: one that names
/// another mod or a state other than paid/cleared is `UNEXPECTED_ANSWER` and unlocks nothing. On
/// success the mod is owned at once (`modio_market_client_owns`); on 900034 the purchased list is
/// refreshed and the mod is owned too. Left without an answer by a transient failure, the attempt
/// is resent in the background (`modio_market_config_set_background_retry`) and its outcome
/// reaches the recovery callback. Needs an access token. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param mod_id The mod's id (not 0).
/// @param display_amount The price the player was shown, in the game's virtual currency, 1 to INT32_MAX (a free mod is not bought: 0 is INVALID_ARGUMENT); mod.io refuses a checkout whose price changed.
/// @param idempotency_key Optional (NULL generates one, returned in the receipt): 1 to 255 characters of [a-zA-Z0-9_-], one per purchase; store it to resend the same purchase safely (copied).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `idempotency_key` NULL or NUL-terminated; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_checkout(
    client: *mut modio_market_client,
    mod_id: u64,
    display_amount: i64,
    idempotency_key: *const c_char,
    callback: modio_market_checkout_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let key = arg_opt_str(idempotency_key, "idempotency_key")?.map(IdempotencyKey::new).transpose()?;
        start(callback, user_data, request_id_out, checkout_view, |cb| handle.client.checkout(mod_id, display_amount, key, cb))
    })
}

/// Fetches every page of the user's purchased mods (`GET /me/purchased`) and replaces the
/// ownership cache with them. `callback` runs in poll with every purchased mod. Needs an access
/// token. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_refresh_purchases(
    client: *mut modio_market_client,
    callback: modio_market_purchases_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start_taking(callback, user_data, request_id_out, purchases_view, |cb| handle.client.refresh_purchases(cb))
    })
}

/// Whether the current session's player owns `mod_id`, answered at once from the cache filled by
/// `modio_market_client_refresh_purchases` and successful checkouts (never the network, never
/// another player's list: false until the current player's list is known). Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param mod_id The mod's id (not 0).
/// @param owns_out Receives whether the current user owns the mod.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `owns_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_owns(client: *const modio_market_client, mod_id: u64, owns_out: *mut bool) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let out = arg_out(owns_out, "owns_out")?;
        *out = handle.client.owns(mod_id);
        Ok(())
    })
}

/// Milliseconds since mod.io last confirmed the purchased list, or -1 when it has not this
/// session. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param age_ms_out Receives how old the purchased list is in milliseconds, or -1 when it is not known yet.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `age_ms_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_purchases_age(client: *const modio_market_client, age_ms_out: *mut i64) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let out = arg_out(age_ms_out, "age_ms_out")?;
        *out = handle.client.purchases_age().map_or(-1, |d| d.as_millis().min(i64::MAX as u128) as i64);
        Ok(())
    })
}

/// Obtains a user delegation token (`POST /me/s2s/oauth/token`) for the studio's purchase
/// server. Send it to your backend only; never log it. Needs an access token. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_request_delegation_token(
    client: *mut modio_market_client,
    callback: modio_market_delegation_token_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, delegation_view, |cb| handle.client.request_delegation_token(cb))
    })
}

/// Registers the callback that reports how checkouts left without a definitive answer ended:
/// resent in the background while the client lives (`modio_market_config_set_background_retry`),
/// or journaled in the data directory and recovered after a crash or restart. Recovery starts by
/// itself whenever an access token is set (or after `modio_market_client_resume_checkouts`), for
/// that player only: attempts made within the last 24 hours are resent with their idempotency key
/// and the player's token (COMPLETED / FAILED / OWNED for 900034 / STILL_PENDING, then resent in
/// the background); any other (older, dated in the future, of an unknown format) is never resent
/// but settled against the purchased list (OWNED / ABANDONED); unreadable, oversized or symlinked
/// journal files are moved aside and reported (CORRUPT_JOURNAL). Each report names the player
/// (`user_id`) whose attempt it was. Reports run inside poll/wait on the polling thread; reports
/// that arrive before a callback is registered wait for one. NULL unregisters. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param callback Receives each recovery report, inside poll/wait on the polling thread; NULL unregisters.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `callback` and `user_data` valid until replaced or the client is freed.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_set_recovery_callback(
    client: *mut modio_market_client,
    callback: modio_market_recovery_cb,
    user_data: *mut c_void,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let Some(callback) = callback else {
            handle.client.set_recovery_callback(None);
            return Ok(());
        };
        let user_data = UserData(user_data);
        handle.client.set_recovery_callback(Some(Box::new(move |report| {
            let mut arena = Arena::default();
            let view = recovery_view(&mut arena, &report);
            callback(user_data.get(), &view);
        })));
        Ok(())
    })
}

/// Resends at once every checkout waiting for its background resend, and (with a data directory)
/// starts journal recovery for the current player at the next poll (it also starts whenever a
/// token is set): call it when the network is back after checkouts ended without a definitive
/// answer. Outcomes reach the recovery callback. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_resume_checkouts(client: *mut modio_market_client) -> ResultCode {
    ffi_result!({
        client_ref(client)?.client.resume_checkouts();
        Ok(())
    })
}
