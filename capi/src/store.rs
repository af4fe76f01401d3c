//! The store page's reads: mod.io's terms, the signed-in player, the currency packs and the
//! platform purchases not converted yet. Each is a thin call into [`modio_market::Client`].
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

use modio_market::{EntitlementQuery, Error, ResultCode};
use modio_market::{Terms, TokenPacks, UnconvertedEntitlements, User};

use super::client::{client_ref, modio_market_client, optional_number, secret};
use super::types::{modio_market_error, size, start, Arena};
use super::{arg_opt_str, arg_str};

/// A link the terms name (the terms of use, the privacy policy, the refund policy...).
#[repr(C)]
pub struct modio_market_terms_link {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// The link's key in mod.io's answer: "website", "terms", "privacy", "refund", "manage".
    pub name: *const c_char,
    /// The text to show for it, in the configured language.
    pub text: *const c_char,
    pub url: *const c_char,
    /// The game must show this link.
    pub required: bool,
}

/// `GET /authenticate/terms`: what the game shows before a player's first sign-in, in the
/// configured language. Show `plaintext` (or `html`) with a button for each of `agree_text` and
/// `disagree_text`, and the required links; pass the player's answer as `terms_agreed`.
#[repr(C)]
pub struct modio_market_terms {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub plaintext: *const c_char,
    pub html: *const c_char,
    /// The accept button's label.
    pub agree_text: *const c_char,
    /// The decline button's label.
    pub disagree_text: *const c_char,
    /// `link_count` pointers.
    pub links: *const *const modio_market_terms_link,
    pub link_count: usize,
}

fn terms_view(arena: &mut Arena, t: &Terms) -> modio_market_terms {
    let links: Vec<modio_market_terms_link> = t
        .links
        .iter()
        .map(|l| modio_market_terms_link {
            struct_size: size::<modio_market_terms_link>(),
            name: arena.str(&l.name),
            text: arena.str(&l.text),
            url: arena.str(&l.url),
            required: l.required,
        })
        .collect();
    let (links, link_count) = arena.ptr_slice(links);
    modio_market_terms {
        struct_size: size::<modio_market_terms>(),
        plaintext: arena.str(&t.plaintext),
        html: arena.str(&t.html),
        agree_text: arena.str(&t.agree_text),
        disagree_text: arena.str(&t.disagree_text),
        links,
        link_count,
    }
}

/// The signed-in player (`GET /me`).
#[repr(C)]
pub struct modio_market_user {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub username: *const c_char,
}

fn user_view(arena: &mut Arena, u: &User) -> modio_market_user {
    modio_market_user { struct_size: size::<modio_market_user>(), id: u.id, username: arena.str(&u.username) }
}

/// A virtual currency pack the game sells on a platform store.
#[repr(C)]
pub struct modio_market_token_pack {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub token_pack_id: u64,
    /// The price on the platform, in its smallest unit (cents).
    pub price: i64,
    /// The virtual currency the pack gives.
    pub amount: i64,
    /// The platform store selling it ("steam", "xboxlive", ...).
    pub portal: *const c_char,
    /// The pack's product id in that store.
    pub sku: *const c_char,
    pub name: *const c_char,
    pub description: *const c_char,
    /// Unix times.
    pub date_added: i64,
    pub date_updated: i64,
}

/// The currency packs of the game, with its name for the currency.
#[repr(C)]
pub struct modio_market_token_packs {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// `pack_count` pointers.
    pub packs: *const *const modio_market_token_pack,
    pub pack_count: usize,
    /// The game's name for its virtual currency ("Gems").
    pub token_name: *const c_char,
}

fn token_packs_view(arena: &mut Arena, t: &TokenPacks) -> modio_market_token_packs {
    let packs: Vec<modio_market_token_pack> = t
        .packs
        .iter()
        .map(|p| modio_market_token_pack {
            struct_size: size::<modio_market_token_pack>(),
            id: p.id,
            token_pack_id: p.token_pack_id,
            price: p.price,
            amount: p.amount,
            portal: arena.str(&p.portal),
            sku: arena.str(&p.sku),
            name: arena.str(&p.name),
            description: arena.str(&p.description),
            date_added: p.date_added,
            date_updated: p.date_updated,
        })
        .collect();
    let (packs, pack_count) = arena.ptr_slice(packs);
    modio_market_token_packs { struct_size: size::<modio_market_token_packs>(), packs, pack_count, token_name: arena.str(&t.token_name) }
}

/// `entitlement_type` of an unconverted entitlement (other values pass through as numbers).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum modio_market_entitlement_kind {
    /// A virtual currency pack.
    TokenPack = 0,
    /// A SKU product.
    Sku = 1,
}

/// A platform purchase not converted into virtual currency yet.
#[repr(C)]
pub struct modio_market_unconverted_entitlement {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// The platform's product id.
    pub sku_id: *const c_char,
    /// A `modio_market_entitlement_kind` value, or another number mod.io sent.
    pub entitlement_type: i64,
}

/// What the player bought on the platform and has not converted yet.
#[repr(C)]
pub struct modio_market_unconverted_entitlements {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// `entitlement_count` pointers.
    pub entitlements: *const *const modio_market_unconverted_entitlement,
    pub entitlement_count: usize,
    /// Every match, across pages.
    pub total: u64,
}

fn unconverted_view(arena: &mut Arena, u: &UnconvertedEntitlements) -> modio_market_unconverted_entitlements {
    let lines: Vec<modio_market_unconverted_entitlement> = u
        .entitlements
        .iter()
        .map(|e| modio_market_unconverted_entitlement {
            struct_size: size::<modio_market_unconverted_entitlement>(),
            sku_id: arena.str(&e.sku_id),
            entitlement_type: e.kind.raw(),
        })
        .collect();
    let (entitlements, entitlement_count) = arena.ptr_slice(lines);
    modio_market_unconverted_entitlements {
        struct_size: size::<modio_market_unconverted_entitlements>(),
        entitlements,
        entitlement_count,
        total: u.total,
    }
}

/// `void cb(void *user_data, uint64_t request_id, const modio_market_error *error,
/// const modio_market_terms *terms)`; runs in poll/wait; everything it points to is valid during
/// the call only.
pub type modio_market_terms_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, terms: *const modio_market_terms),
>;
/// As `modio_market_terms_cb`, with the signed-in player.
pub type modio_market_user_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, user: *const modio_market_user)>;
/// As `modio_market_terms_cb`, with the currency packs.
pub type modio_market_token_packs_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, packs: *const modio_market_token_packs),
>;
/// As `modio_market_terms_cb`, with the unconverted entitlements.
pub type modio_market_unconverted_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        entitlements: *const modio_market_unconverted_entitlements,
    ),
>;

/// Reads mod.io's terms (`GET /authenticate/terms`) in the configured language
/// (`modio_market_config_set_language`), worded for the configured portal. The game must show
/// them before a player's first sign-in and pass the player's answer as `terms_agreed`. Works
/// with the API key alone. Any thread.
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
pub unsafe extern "C" fn modio_market_client_get_terms(
    client: *mut modio_market_client,
    callback: modio_market_terms_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, terms_view, |cb| handle.client.get_terms(cb))
    })
}

/// Reads the signed-in player (`GET /me`): the id and the name to show. Needs an access token.
/// Any thread.
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
pub unsafe extern "C" fn modio_market_client_get_user(
    client: *mut modio_market_client,
    callback: modio_market_user_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, user_view, |cb| handle.client.get_user(cb))
    })
}

/// Reads the currency packs the game sells (`GET /games/{id}/monetization/token-packs`) with the
/// game's name for its currency. Needs an access token. Any thread.
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
pub unsafe extern "C" fn modio_market_client_get_token_packs(
    client: *mut modio_market_client,
    callback: modio_market_token_packs_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, token_packs_view, |cb| handle.client.get_token_packs(cb))
    })
}

unsafe fn unconverted(
    client: *mut modio_market_client,
    query: EntitlementQuery,
    callback: modio_market_unconverted_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> Result<(), Error> {
    let handle = client_ref(client)?;
    start(callback, user_data, request_id_out, unconverted_view, |cb| handle.client.get_unconverted_entitlements(query, cb))
}

/// Lists what the player bought on Steam and has not converted yet (`POST /me/entitlements`,
/// `X-Modio-Portal: steam`), so the game can say "2 packs to convert" before
/// `modio_market_client_sync_steam`. Converts nothing. `callback` runs in poll with the list or
/// the error (11069 no Steam account linked, 900054 IAP not configured, 900098 portal not
/// supported). Needs an access token. Any thread.
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
pub unsafe extern "C" fn modio_market_client_unconverted_entitlements_steam(
    client: *mut modio_market_client,
    callback: modio_market_unconverted_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({ unconverted(client, EntitlementQuery::Steam, callback, user_data, request_id_out) })
}

/// As `modio_market_client_unconverted_entitlements_steam`, for Xbox Live, with a token from
/// `GetTokenAndSignatureAsync`.
///
/// @param client The client (from modio_market_client_new).
/// @param xbox_token The Xbox Live token for mod.io's relying party (copied, never logged).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_unconverted_entitlements_steam`; `xbox_token` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_unconverted_entitlements_xbox_live(
    client: *mut modio_market_client,
    xbox_token: *const c_char,
    callback: modio_market_unconverted_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let xbox_token = secret(arg_str(xbox_token, "xbox_token")?);
        unconverted(client, EntitlementQuery::XboxLive { xbox_token }, callback, user_data, request_id_out)
    })
}

/// As `modio_market_client_unconverted_entitlements_steam`, for PlayStation Network: the auth
/// code, and `env` / `service_label` (negative to leave out). mod.io needs the platform header:
/// set the platform ("ps4" or "ps5") on the configuration first (else `INVALID_ARGUMENT`).
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
/// As `modio_market_client_unconverted_entitlements_steam`; `auth_code` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_unconverted_entitlements_psn(
    client: *mut modio_market_client,
    auth_code: *const c_char,
    env: i64,
    service_label: i64,
    callback: modio_market_unconverted_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let psn_token = secret(arg_str(auth_code, "auth_code")?);
        let query = EntitlementQuery::Psn { psn_token, env: optional_number(env), service_label: optional_number(service_label) };
        unconverted(client, query, callback, user_data, request_id_out)
    })
}

/// As `modio_market_client_unconverted_entitlements_steam`, for the Epic Games Store: a bearer
/// token acting for the player, and the sandbox (NULL or "" to leave it out; letters, digits,
/// '-' and '_').
///
/// @param client The client (from modio_market_client_new).
/// @param epicgames_token An Epic bearer token acting for the player (copied, never logged).
/// @param sandbox_id Optional (NULL): the Epic sandbox id (copied).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// As `modio_market_client_unconverted_entitlements_steam`; strings NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_unconverted_entitlements_epic(
    client: *mut modio_market_client,
    epicgames_token: *const c_char,
    sandbox_id: *const c_char,
    callback: modio_market_unconverted_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let epicgames_token = secret(arg_str(epicgames_token, "epicgames_token")?);
        let sandbox_id = arg_opt_str(sandbox_id, "sandbox_id")?.map(str::to_owned);
        unconverted(client, EntitlementQuery::EpicGames { epicgames_token, sandbox_id }, callback, user_data, request_id_out)
    })
}
