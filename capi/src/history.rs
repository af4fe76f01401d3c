//! The studio's transaction history through the S2S client: a query (the ABI's second input
//! struct), cursor pages and single transactions. Server-side only.
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

use modio_market::{Error, HistoryTransaction, ResultCode, TransactionHistoryPage, TransactionQuery};

use super::arg_opt_str;
use super::client::tag_list;
use super::s2s::{meta_lines, modio_market_s2s_client, modio_market_s2s_meta_line, s2s_ref};
use super::types::{modio_market_error, modio_market_transaction_state, read_input, size, start, state_number, Arena};

/// What `modio_market_s2s_client_transactions` lists. Every field left zero means "not set", so
/// `modio_market_s2s_transaction_query q = {.struct_size = sizeof q};` lists everything, newest
/// first, a page of the server's default size; set the fields you need. The library copies what
/// it needs during the call. Same `struct_size` rule as `modio_market_mod_query`.
#[repr(C)]
pub struct modio_market_s2s_transaction_query {
    pub struct_size: u32,
    /// Page size, 1 to 100; 0 for the server's default.
    pub limit: u32,
    /// Optional: only these `transaction_type`s (CANCELLED, CLEARED, CREDITED, FAILED, PAID,
    /// PENDING, REFUNDED; case-insensitive), `transaction_type_count` strings.
    pub transaction_types: *const *const c_char,
    pub transaction_type_count: usize,
    /// Optional (NULL): FIAT, TOKEN or EXTERNAL.
    pub monetization_type: *const c_char,
    /// Optional (0): the buyer's user id.
    pub buyer_id: u64,
    /// Optional (NULL): the transaction an intent with this `gateway_uuid` made.
    pub gateway_uuid: *const c_char,
    /// Optional (NULL): the transaction a clawback with this uuid reversed.
    pub clawback_uuid: *const c_char,
    /// Optional (NULL): a line item's key (mod_id, buyer_id, game_id or token_pack_id), matched
    /// against `line_item_value`.
    pub line_item_key: *const c_char,
    pub line_item_value: u64,
    /// Unix time: only transactions from then on; only when `has_created_at_start` is true.
    pub created_at_start: i64,
    /// Optional (NULL): the page to read, a `next_cursor` or `prev_cursor` of an earlier page.
    pub cursor: *const c_char,
    pub has_created_at_start: bool,
}

unsafe fn read_transaction_query(query: *const modio_market_s2s_transaction_query) -> Result<TransactionQuery, Error> {
    let bools = [std::mem::offset_of!(modio_market_s2s_transaction_query, has_created_at_start)];
    let q = read_input(query, "query", "modio_market_s2s_transaction_query", &bools)?;
    let mut out = TransactionQuery::new();
    out.transaction_types = tag_list(q.transaction_types, q.transaction_type_count, "query.transaction_types")?;
    out.monetization_type = arg_opt_str(q.monetization_type, "query.monetization_type")?.map(str::to_owned);
    out.buyer = (q.buyer_id != 0).then_some(q.buyer_id);
    out.gateway_uuid = arg_opt_str(q.gateway_uuid, "query.gateway_uuid")?.map(str::to_owned);
    out.clawback_uuid = arg_opt_str(q.clawback_uuid, "query.clawback_uuid")?.map(str::to_owned);
    out.line_item = arg_opt_str(q.line_item_key, "query.line_item_key")?.map(|k| (k.to_owned(), q.line_item_value));
    out.created_at_start = q.has_created_at_start.then_some(q.created_at_start);
    out.limit = (q.limit != 0).then_some(q.limit);
    out.cursor = arg_opt_str(q.cursor, "query.cursor")?.map(str::to_owned);
    Ok(out)
}

/// One transaction as the studio's history shows it.
#[repr(C)]
pub struct modio_market_s2s_history_transaction {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub gateway_uuid: *const c_char,
    pub gateway_name: *const c_char,
    pub account_id: u64,
    /// The buyer named by the line items (0 when none does).
    pub buyer_id: u64,
    pub gross_amount: i64,
    pub net_amount: i64,
    pub platform_fee: i64,
    pub gateway_fee: i64,
    pub tax: i64,
    pub tax_type: *const c_char,
    pub currency: *const c_char,
    /// Virtual currency involved (0 when none).
    pub tokens: i64,
    pub state: modio_market_transaction_state,
    /// `transaction_type` as text ("paid", or what the server sent for `OTHER`).
    pub state_name: *const c_char,
    /// "fiat", "token" or "external", as sent.
    pub monetization_type: *const c_char,
    /// As sent: "2024-10-07 02:29:11".
    pub purchase_date: *const c_char,
    /// Microseconds since the epoch, as sent.
    pub created_at: *const c_char,
    /// `line_item_count` pointers: the mod, the token pack, the buyer.
    pub line_items: *const *const modio_market_s2s_meta_line,
    pub line_item_count: usize,
    /// The whole object as mod.io sent it.
    pub json: *const c_char,
}

fn history_transaction_view(arena: &mut Arena, t: &HistoryTransaction) -> modio_market_s2s_history_transaction {
    let (line_items, line_item_count) = meta_lines(arena, &t.line_items);
    modio_market_s2s_history_transaction {
        struct_size: size::<modio_market_s2s_history_transaction>(),
        id: t.id,
        gateway_uuid: arena.str(&t.gateway_uuid),
        gateway_name: arena.str(&t.gateway_name),
        account_id: t.account_id,
        buyer_id: t.buyer_id(),
        gross_amount: t.gross_amount,
        net_amount: t.net_amount,
        platform_fee: t.platform_fee,
        gateway_fee: t.gateway_fee,
        tax: t.tax,
        tax_type: arena.str(&t.tax_type),
        currency: arena.str(&t.currency),
        tokens: t.tokens,
        state: state_number(&t.state),
        state_name: arena.str(t.state.name()),
        monetization_type: arena.str(&t.monetization_type),
        purchase_date: arena.str(&t.purchase_date),
        created_at: arena.str(&t.created_at),
        line_items,
        line_item_count,
        json: arena.str(&t.json),
    }
}

/// One page of the history, newest first.
#[repr(C)]
pub struct modio_market_s2s_history_page {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// `transaction_count` pointers.
    pub transactions: *const *const modio_market_s2s_history_transaction,
    pub transaction_count: usize,
    /// Pass as `cursor` for the next (older) page; NULL on the last page.
    pub next_cursor: *const c_char,
    /// Pass as `cursor` for the previous page; NULL on the first.
    pub prev_cursor: *const c_char,
    pub per_page: u64,
}

fn history_page_view(arena: &mut Arena, p: &TransactionHistoryPage) -> modio_market_s2s_history_page {
    let views: Vec<modio_market_s2s_history_transaction> = p.transactions.iter().map(|t| history_transaction_view(arena, t)).collect();
    let (transactions, transaction_count) = arena.ptr_slice(views);
    modio_market_s2s_history_page {
        struct_size: size::<modio_market_s2s_history_page>(),
        transactions,
        transaction_count,
        next_cursor: arena.opt_str(p.next_cursor.as_deref()),
        prev_cursor: arena.opt_str(p.prev_cursor.as_deref()),
        per_page: p.per_page,
    }
}

/// `void cb(void *user_data, uint64_t request_id, const modio_market_error *error,
/// const modio_market_s2s_history_page *page)`; runs in poll/wait; everything it points to is valid
/// during the call only.
pub type modio_market_s2s_history_page_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        page: *const modio_market_s2s_history_page,
    ),
>;
/// As `modio_market_s2s_history_page_cb`, with one transaction.
pub type modio_market_s2s_history_transaction_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        transaction: *const modio_market_s2s_history_transaction,
    ),
>;

/// Lists one page of the studio's transactions (`GET /s2s/monetization-teams/{team}/transactions`)
/// matching `query`, newest first; the team is the configuration's
/// (`modio_market_config_set_monetization_team_id`). Use it to reconcile: the transaction an
/// intent made (`gateway_uuid`), a buyer's purchases, what was refunded. The query is checked
/// before anything is queued (`INVALID_ARGUMENT` naming the bad field). Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param query What to list (see modio_market_s2s_transaction_query; copied during the call).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `query` a `modio_market_s2s_transaction_query` of `struct_size` readable bytes whose
/// pointers are NULL or valid; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_transactions(
    client: *mut modio_market_s2s_client,
    query: *const modio_market_s2s_transaction_query,
    callback: modio_market_s2s_history_page_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        let query = read_transaction_query(query)?;
        start(callback, user_data, request_id_out, history_page_view, |cb| handle.client.transactions_async(query, cb))
    })
}

/// Reads one transaction of the studio's history
/// (`GET /s2s/monetization-teams/{team}/transactions/{id}`). Any thread.
///
/// @param client The S2S client (from modio_market_s2s_client_new).
/// @param transaction_id The transaction's id (not 0).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_s2s_client_transaction(
    client: *mut modio_market_s2s_client,
    transaction_id: u64,
    callback: modio_market_s2s_history_transaction_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = s2s_ref(client)?;
        start(callback, user_data, request_id_out, history_transaction_view, |cb| handle.client.transaction_async(transaction_id, cb))
    })
}
