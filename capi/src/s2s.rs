//! `modio_market_s2s_client`: the studio purchase server's S2S calls (service token, transaction
//! intent, commit, clawback) as C functions, each a thin call into [`S2sClient`].
//!
//! Same rules as `modio_market_client`: every call returns at once; network work runs on the
//! S2S client's worker threads (started on the first request); callbacks run only inside
//! `modio_market_s2s_client_poll`/`modio_market_s2s_client_wait`, on the thread calling them.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use modio_market::{
    ClawbackRequest, ClawbackTarget, CommitRequest, IdempotencyKey, IntentRequest, S2sClient, S2sConfig, S2sPortal, S2sTransaction,
    ServiceTokenInfo, TransactionMeta,
};
use modio_market::{Error, ResultCode, Secret};

use super::pump::{c_log_sink, free_pumped, pump_pumped, Pumped};
use super::types::{modio_market_error, modio_market_transaction, size, start, transaction_view, Arena};
use super::{arg_opt_str, arg_out, arg_ref, arg_str, modio_market_config, modio_market_log_cb};

/// Opaque S2S client handle for a studio's purchase server: owns the OAuth client credentials
/// (copied), the cached service token, worker threads and a completion queue. Create with
/// `modio_market_s2s_client_new`, free with `modio_market_s2s_client_free`. Internally
/// synchronized: any thread may call its functions; callbacks run only inside
/// `modio_market_s2s_client_poll`/`modio_market_s2s_client_wait`.
///
/// Server-side only: the client secret must never ship in a game.
pub struct modio_market_s2s_client {
    pub(crate) client: S2sClient,
    /// Set when free is called from inside one of this client's callbacks; poll frees on return.
    free_requested: AtomicBool,
}

impl Pumped for modio_market_s2s_client {
    fn free_requested(&self) -> &AtomicBool {
        &self.free_requested
    }
    fn is_pumping_on_this_thread(&self) -> bool {
        self.client.is_pumping_on_this_thread()
    }
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

/// One `meta` line of an S2S transaction (the token pack, or the mod, and the buyer).
#[repr(C)]
pub struct modio_market_s2s_meta_line {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub game_id: u64,
    pub buyer_id: u64,
    /// 0 when the line is not about a mod.
    pub mod_id: u64,
    pub game_name: *const c_char,
    pub buyer_name: *const c_char,
    pub mod_name: *const c_char,
    pub token_name: *const c_char,
    pub token_pack_id: u64,
    pub token_pack_name: *const c_char,
    /// The line as mod.io sent it, JSON.
    pub json: *const c_char,
}

/// An S2S transaction: `transaction` has the id, amounts, fees, tax, state and purchase date.
#[repr(C)]
pub struct modio_market_s2s_transaction {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub transaction: *const modio_market_transaction,
    /// `meta_count` pointers.
    pub meta: *const *const modio_market_s2s_meta_line,
    pub meta_count: usize,
    /// The `X-Modio-Idempotent-Key` the call was sent with (generated when you passed NULL):
    /// store it to repeat the call safely. NULL for clawbacks.
    pub idempotency_key: *const c_char,
}

/// The current service token, described without the token itself.
#[repr(C)]
pub struct modio_market_s2s_service_token {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// "Bearer".
    pub token_type: *const c_char,
    /// The scopes granted, comma-separated.
    pub scopes: *const c_char,
    /// The lifetime mod.io gave, in seconds; -1 when it gave none.
    pub expires_in_secs: i64,
}

/// `void cb(void *user_data, uint64_t request_id, const modio_market_error *error,
/// const modio_market_s2s_transaction *transaction)`; runs in poll/wait; everything it points to
/// is valid during the call only.
pub type modio_market_s2s_transaction_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        transaction: *const modio_market_s2s_transaction,
    ),
>;

/// `void cb(void *user_data, uint64_t request_id, const modio_market_error *error,
/// const modio_market_s2s_service_token *token)`; runs in poll/wait.
pub type modio_market_s2s_service_token_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        token: *const modio_market_s2s_service_token,
    ),
>;

/// The views of a transaction's `meta` lines (the history calls them `line_items`).
pub(crate) fn meta_lines(arena: &mut Arena, lines: &[TransactionMeta]) -> (*const *const modio_market_s2s_meta_line, usize) {
    let lines: Vec<modio_market_s2s_meta_line> = lines
        .iter()
        .map(|m| modio_market_s2s_meta_line {
            struct_size: size::<modio_market_s2s_meta_line>(),
            game_id: m.game_id,
            buyer_id: m.buyer_id,
            mod_id: m.mod_id,
            game_name: arena.str(&m.game_name),
            buyer_name: arena.str(&m.buyer_name),
            mod_name: arena.str(&m.mod_name),
            token_name: arena.str(&m.token_name),
            token_pack_id: m.token_pack_id,
            token_pack_name: arena.str(&m.token_pack_name),
            json: arena.str(&m.json),
        })
        .collect();
    arena.ptr_slice(lines)
}

fn s2s_transaction_view(arena: &mut Arena, t: &S2sTransaction) -> modio_market_s2s_transaction {
    let (meta, meta_count) = meta_lines(arena, &t.meta);
    let transaction = transaction_view(arena, &t.transaction);
    modio_market_s2s_transaction {
        struct_size: size::<modio_market_s2s_transaction>(),
        transaction: arena.boxed(transaction),
        meta,
        meta_count,
        idempotency_key: arena.opt_str(t.idempotency_key.as_ref().map(IdempotencyKey::as_str)),
    }
}

fn service_token_view(arena: &mut Arena, t: &ServiceTokenInfo) -> modio_market_s2s_service_token {
    modio_market_s2s_service_token {
        struct_size: size::<modio_market_s2s_service_token>(),
        token_type: arena.str(&t.token_type),
        scopes: arena.str(&t.scopes),
        expires_in_secs: t.expires_in.map_or(-1, |d| d.as_secs().min(i64::MAX as u64) as i64),
    }
}

pub(crate) unsafe fn s2s_ref<'a>(client: *const modio_market_s2s_client) -> Result<&'a modio_market_s2s_client, Error> {
    arg_ref(client, "client")
}

unsafe fn opt_key(key: *const c_char) -> Result<Option<IdempotencyKey>, Error> {
    arg_opt_str(key, "idempotency_key")?.map(IdempotencyKey::new).transpose()
}

/// Creates an S2S client from `config` (copied: game id, API key, environment or base URL,
/// timeouts, retry policy, worker threads) and the OAuth client credentials of the game
/// (`client_id`, `client_secret`, copied). `scopes` is a comma-separated list of `read`, `write`,
/// `update`, `monetization`, or NULL for "read,write,monetization" (the transaction calls need
/// write and monetization). No request is made until the first call. Fails with the first
/// invalid setting. Ownership: `*client_out` is yours; free it with
/// `modio_market_s2s_client_free`. Any thread.
///
/// @param config The configuration (from modio_market_config_new).
/// @param client_id The S2S OAuth client id (copied).
/// @param client_secret The S2S OAuth client secret (copied, zeroed when freed, never logged).
/// @param scopes Optional (NULL for "read,write,monetization"): the comma-separated scopes to ask for.
/// @param client_out Receives the new handle on success; free it with the matching _free.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `config` live; strings NULL or NUL-terminated; `client_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_new(
    config: *const modio_market_config,
    client_id: *const c_char,
    client_secret: *const c_char,
    scopes: *const c_char,
    client_out: *mut *mut modio_market_s2s_client,
) -> ResultCode {
    ffi_result!({
        let out = arg_out(client_out, "client_out")?;
        let config = arg_ref(config, "config")?;
        let client_id = arg_str(client_id, "client_id")?;
        let secret = Secret::new(arg_str(client_secret, "client_secret")?);
        let mut s2s = S2sConfig::new(config.inner.clone(), client_id, secret);
        if let Some(scopes) = arg_opt_str(scopes, "scopes")? {
            let list: Vec<&str> = scopes.split(',').collect();
            s2s = s2s.scopes(&list);
        }
        let client = S2sClient::new(s2s)?;
        *out = Box::into_raw(Box::new(modio_market_s2s_client { client, free_requested: AtomicBool::new(false) }));
        Ok(())
    })
}

/// Frees an S2S client. Pending requests get their callback now, on this thread, with
/// `MODIO_MARKET_RESULT_SHUT_DOWN`; no callback fires after this returns. An intent or commit
/// already sent may still have reached mod.io: send it again later with the same idempotency
/// key to learn its outcome. From inside one of this client's callbacks, the free happens when
/// that poll/wait returns. NULL is ignored. Must not race other calls on the same client.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
///
/// # Safety
/// `client` NULL or from `modio_market_s2s_client_new`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_free(client: *mut modio_market_s2s_client) {
    ffi_boundary!({ free_pumped(client) })
}

/// Runs the callbacks of every S2S request completed so far, on this thread; never blocks.
/// `ran_out` (optional) receives how many ran. From inside a callback: `MODIO_MARKET_RESULT_REENTRANT`.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param ran_out Optional (NULL): receives how many callbacks ran.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `ran_out` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_poll(client: *mut modio_market_s2s_client, ran_out: *mut usize) -> ResultCode {
    ffi_result!({ pump_pumped(client, ran_out, Pumped::poll) })
}

/// Blocks up to `timeout_ms` until the callback of `request_id` ran (0 = any callback), running
/// callbacks on this thread. `WAIT_TIMED_OUT` when the time passes first, `REQUEST_NOT_FOUND`
/// for an unknown or finished id. Suits a server thread that waits for its answer.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param request_id The request to wait for, or 0 to return after any callback ran.
/// @param timeout_ms How long to wait at most, in milliseconds.
/// @param ran_out Optional (NULL): receives how many callbacks ran.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `ran_out` NULL or valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_wait(
    client: *mut modio_market_s2s_client,
    request_id: u64,
    timeout_ms: u32,
    ran_out: *mut usize,
) -> ResultCode {
    ffi_result!({ pump_pumped(client, ran_out, |handle| handle.wait_c(request_id, timeout_ms)) })
}

/// Cancels a pending request: its callback reports `MODIO_MARKET_RESULT_CANCELLED` at the next
/// poll. An intent or commit that reached mod.io may still have happened: repeat it with the
/// same idempotency key to know. Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param request_id The id a submitting call gave through request_id_out.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_cancel(client: *mut modio_market_s2s_client, request_id: u64) -> ResultCode {
    ffi_result!({
        s2s_ref(client)?.client.cancel(request_id)?;
        Ok(())
    })
}

/// Routes log records at `max_level` or more severe to `callback` (inside poll/wait, on the
/// polling thread). NULL turns logging off. Log lines never contain the client secret, tokens
/// or idempotency keys. Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param max_level The most verbose modio_market_log_level delivered; 0 turns logging off.
/// @param callback Receives each log record at max_level or more severe, inside poll/wait on the polling thread; NULL unregisters.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `callback`/`user_data` valid until replaced or the client is freed.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_set_log_callback(
    client: *mut modio_market_s2s_client,
    max_level: u32,
    callback: modio_market_log_cb,
    user_data: *mut c_void,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        let (level, sink) = c_log_sink(max_level, callback, user_data)?;
        handle.client.set_logger(level, sink);
        Ok(())
    })
}

/// Fetches a new service token now (`POST /oauth/token`; normally done on demand and renewed
/// before it expires). `callback` gets its scopes and lifetime, never the token, or the error
/// (401 / 11075 bad client credentials). Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_refresh_service_token(
    client: *mut modio_market_s2s_client,
    callback: modio_market_s2s_service_token_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        start(callback, user_data, request_id_out, service_token_view, |cb| handle.client.refresh_service_token_async(cb))
    })
}

/// Begins converting one platform entitlement (`POST /s2s/transactions/intent`) on behalf of the
/// user of `delegation_token` (from the game client's `modio_market_client_request_delegation_token`).
/// `sku` is the platform SKU mapped on mod.io; `portal` one of "apple", "google", "xboxlive",
/// "psn", "steam"; `gateway_uuid` optional (NULL) alpha-dash id, ideally the entitlement's id on
/// the platform. `idempotency_key` (`[a-zA-Z0-9_-]`, up to 255) names this one operation: store
/// it before calling and pass it again to repeat the call safely; NULL generates one, returned
/// in the transaction. Bad arguments (a key with other characters, an unknown portal) fail here,
/// before anything is sent. Retries after dropped connections, timeouts, 5xx and 429 reuse the
/// key. `callback` runs in poll/wait with the pending transaction (keep its id for the commit)
/// or the error. Strings are copied. Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param delegation_token The delegation token a game client obtained with modio_market_client_request_delegation_token (copied, never logged).
/// @param sku The platform SKU mapped on mod.io.
/// @param portal The platform of the purchase: one of the S2S portals ("steam", "xboxlive", "psn", ...).
/// @param gateway_uuid Optional (NULL): the studio's own alpha-dash id of the platform transaction.
/// @param idempotency_key Optional (NULL generates one, returned in the transaction): 1 to 255 characters of [a-zA-Z0-9_-] naming this one operation (copied).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; strings NULL (where optional) or NUL-terminated; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_intent(
    client: *mut modio_market_s2s_client,
    delegation_token: *const c_char,
    sku: *const c_char,
    portal: *const c_char,
    gateway_uuid: *const c_char,
    idempotency_key: *const c_char,
    callback: modio_market_s2s_transaction_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        let delegation = Secret::new(arg_str(delegation_token, "delegation_token")?);
        let mut request = IntentRequest::new(arg_str(sku, "sku")?, S2sPortal::parse(arg_str(portal, "portal")?)?);
        request.gateway_uuid = arg_opt_str(gateway_uuid, "gateway_uuid")?.map(str::to_owned);
        let key = opt_key(idempotency_key)?;
        start(callback, user_data, request_id_out, s2s_transaction_view, |cb| handle.client.intent_async(delegation, request, key, cb))
    })
}

/// Finishes a transaction (`POST /s2s/transactions/commit`): call it only after the platform
/// entitlement was consumed. mod.io then credits the user's wallet. `clawback_uuid` optional
/// (NULL). `idempotency_key`: as for the intent, but its own key (one key per operation).
/// `callback` runs in poll/wait with the paid transaction or the error. Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param delegation_token The delegation token a game client obtained with modio_market_client_request_delegation_token (copied, never logged).
/// @param transaction_id The id of the transaction the intent opened.
/// @param clawback_uuid Optional (NULL): the studio's own alpha-dash id of this clawback.
/// @param idempotency_key Optional (NULL generates one, returned in the transaction): 1 to 255 characters of [a-zA-Z0-9_-] naming this one operation (copied).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_s2s_client_intent`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_commit(
    client: *mut modio_market_s2s_client,
    delegation_token: *const c_char,
    transaction_id: u64,
    clawback_uuid: *const c_char,
    idempotency_key: *const c_char,
    callback: modio_market_s2s_transaction_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        let delegation = Secret::new(arg_str(delegation_token, "delegation_token")?);
        let mut request = CommitRequest::new(transaction_id);
        request.clawback_uuid = arg_opt_str(clawback_uuid, "clawback_uuid")?.map(str::to_owned);
        let key = opt_key(idempotency_key)?;
        start(callback, user_data, request_id_out, s2s_transaction_view, |cb| handle.client.commit_async(delegation, request, key, cb))
    })
}

/// Relays a refund or chargeback of a committed transaction (`POST /s2s/transactions/clawback`,
/// service token only). Name the transaction by `transaction_id` (non-zero) or, with
/// `transaction_id` 0, by the `gateway_uuid` given at intent. `portal` as for the intent;
/// `refund_reason` required; `clawback_uuid` optional (NULL). mod.io takes the amount back from
/// the wallet, recording what the balance cannot cover as a deficit. Only for entitlements that
/// were converted: a refund of one never committed is not sent. Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param transaction_id The mod.io transaction id (see above for what 0 means).
/// @param gateway_uuid Optional (NULL): the studio's own alpha-dash id of the platform transaction.
/// @param portal The platform of the purchase: one of the S2S portals ("steam", "xboxlive", "psn", ...).
/// @param refund_reason Why the purchase is clawed back (required).
/// @param clawback_uuid Optional (NULL): the studio's own alpha-dash id of this clawback.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_s2s_client_intent`.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_clawback(
    client: *mut modio_market_s2s_client,
    transaction_id: u64,
    gateway_uuid: *const c_char,
    portal: *const c_char,
    refund_reason: *const c_char,
    clawback_uuid: *const c_char,
    callback: modio_market_s2s_transaction_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        let gateway = arg_opt_str(gateway_uuid, "gateway_uuid")?;
        let target = match (transaction_id, gateway) {
            (0, Some(g)) => ClawbackTarget::GatewayUuid(g.to_owned()),
            (0, None) => return Err(Error::invalid_argument("transaction_id", "give a transaction_id or a gateway_uuid")),
            (id, _) => ClawbackTarget::TransactionId(id),
        };
        let portal = S2sPortal::parse(arg_str(portal, "portal")?)?;
        let mut request = ClawbackRequest::new(target, portal, arg_str(refund_reason, "refund_reason")?);
        request.clawback_uuid = arg_opt_str(clawback_uuid, "clawback_uuid")?.map(str::to_owned);
        start(callback, user_data, request_id_out, s2s_transaction_view, |cb| handle.client.clawback_async(request, cb))
    })
}

/// Writes a fresh idempotency key (a UUID v4, 36 characters) into `buffer` with a trailing NUL.
/// `length_out` receives its length without the NUL; a NULL or short `buffer` gives
/// `MODIO_MARKET_RESULT_BUFFER_TOO_SMALL` (37 bytes always suffice). Any thread.
///
/// @param buffer Where the text is written, NUL-terminated; may be NULL when buffer_len is 0.
/// @param buffer_len The size of buffer in bytes (0 to only ask for the length).
/// @param length_out Receives the text's length in bytes without the NUL, also when buffer is too small.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `buffer` NULL or valid for `buffer_len` bytes; `length_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_idempotency_key_generate(
    buffer: *mut c_char,
    buffer_len: usize,
    length_out: *mut usize,
) -> ResultCode {
    ffi_result!({
        let length_out = arg_out(length_out, "length_out")?;
        let key = IdempotencyKey::generate();
        let bytes = key.as_str().as_bytes();
        *length_out = bytes.len();
        if buffer.is_null() || buffer_len <= bytes.len() {
            return Err(Error::new(ResultCode::BufferTooSmall, format!("the key needs {} bytes", bytes.len() + 1)));
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer as *mut u8, bytes.len());
        *buffer.add(bytes.len()) = 0;
        Ok(())
    })
}

/// `MODIO_MARKET_RESULT_OK` when `key` is a valid idempotency key (1 to 255 of `[a-zA-Z0-9_-]`),
/// else `MODIO_MARKET_RESULT_INVALID_ARGUMENT`. Any thread.
///
/// @param key The key to check.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `key` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_idempotency_key_validate(key: *const c_char) -> ResultCode {
    ffi_result!({
        IdempotencyKey::new(arg_str(key, "key")?)?;
        Ok(())
    })
}
