//! C views of the Rust models. Every pointer inside a view points into an [`Arena`] that lives
//! exactly as long as the callback call: C code copies what it wants to keep.
//!
//! ABI 1.0: every view begins with `struct_size` (the `sizeof` of the view as this library
//! defines it), fields are only ever appended, arrays are arrays of pointers, and no struct is
//! embedded in another by value: a game built against an older header reads the fields it knows
//! at the offsets it knows, and checks `struct_size` before reading a field added later.
#![allow(non_camel_case_types)]

use std::any::Any;
use std::ffi::{c_char, c_void};

use modio_market::Purchases;
use modio_market::RequestId;
use modio_market::{
    AccessToken, CheckoutReceipt, DelegationToken, EntitlementSync, Game, Mod, ModPage, Transaction, TransactionState, Wallet,
};
use modio_market::{Error, ResultCode};
use modio_market::{FreeSmallInPoll, Prepared};
use modio_market::{RecoveryOutcome, RecoveryReport};

/// `struct_size` of a view: its size as this build of the library defines it.
pub(crate) fn size<T>() -> u32 {
    std::mem::size_of::<T>() as u32
}

/// Owns the strings and arrays a view points into.
#[derive(Default)]
pub(crate) struct Arena {
    /// NUL-terminated strings, packed into a few large blocks: a view of 100,000 mods is then a
    /// few hundred allocations to free, not a million. A block is never grown once a pointer
    /// into it is handed out (only filled up to the capacity it was made with).
    text: Vec<Vec<u8>>,
    blobs: Vec<Box<dyn Any>>,
    /// Bytes allocated for the view so far (text blocks and items), for [`Arena::is_small`].
    bytes: usize,
}

/// A view at most this big, in at most [`SMALL_VIEW_BLOCKS`] allocations, is freed on the polling
/// thread after its callback (a wallet, a checkout: a microsecond or less); a bigger one (a list)
/// goes to a worker, as waking one is worth it only then.
const SMALL_VIEW_BYTES: usize = 16 * 1024;
const SMALL_VIEW_BLOCKS: usize = 32;

/// Bytes of the first text block, and the most a block grows to (a longer string gets a block of
/// its own size).
const FIRST_TEXT_BLOCK: usize = 1024;
const TEXT_BLOCK: usize = 256 * 1024;

impl Arena {
    /// A NUL-terminated copy of `s` (interior NULs from a hostile server are dropped).
    pub fn str(&mut self, s: &str) -> *const c_char {
        let needed = s.len() + 1;
        let fits = self.text.last().is_some_and(|block| block.capacity() - block.len() >= needed);
        if !fits {
            // Blocks start small (a wallet's view needs a few hundred bytes) and double up to
            // TEXT_BLOCK, so a big list still ends in few blocks.
            let next = self.text.last().map_or(FIRST_TEXT_BLOCK, |b| (b.capacity() * 2).min(TEXT_BLOCK));
            let capacity = needed.max(next);
            self.text.push(Vec::with_capacity(capacity));
            self.bytes += capacity;
        }
        let block = self.text.last_mut().expect("a block with room was just made");
        let start = block.len();
        if s.as_bytes().contains(&0) {
            block.extend(s.bytes().filter(|b| *b != 0));
        } else {
            block.extend_from_slice(s.as_bytes());
        }
        block.push(0);
        // Within capacity: the block's buffer did not move, earlier pointers stay valid.
        block[start..].as_ptr() as *const c_char
    }

    pub fn opt_str(&mut self, s: Option<&str>) -> *const c_char {
        s.map_or(std::ptr::null(), |s| self.str(s))
    }

    /// Keeps `items` alive; returns a pointer to the first (NULL when empty) and the count.
    pub fn slice<T: 'static>(&mut self, items: Vec<T>) -> (*const T, usize) {
        if items.is_empty() {
            return (std::ptr::null(), 0);
        }
        let boxed: Box<[T]> = items.into_boxed_slice();
        let ptr = boxed.as_ptr();
        let len = boxed.len();
        self.bytes += std::mem::size_of_val(&*boxed);
        self.blobs.push(Box::new(boxed));
        (ptr, len)
    }

    /// Keeps each of `items` alive in its own allocation; returns an array of pointers to them
    /// (NULL when empty) and the count. A view's stride is then a pointer's, whatever it grows to.
    pub fn ptr_slice<T: 'static>(&mut self, items: Vec<T>) -> (*const *const T, usize) {
        if items.is_empty() {
            return (std::ptr::null(), 0);
        }
        // One allocation for the items and one for the pointers to them.
        let items: Box<[T]> = items.into_boxed_slice();
        let pointers: Vec<*const T> = items.iter().map(|item| item as *const T).collect();
        self.bytes += std::mem::size_of_val(&*items);
        self.blobs.push(Box::new(items));
        self.slice(pointers)
    }

    pub fn boxed<T: 'static>(&mut self, item: T) -> *const T {
        let b = Box::new(item);
        let ptr: *const T = &*b;
        self.bytes += std::mem::size_of::<T>();
        self.blobs.push(b);
        ptr
    }

    /// Whether freeing the view is cheap enough to do on the polling thread (see
    /// [`SMALL_VIEW_BYTES`]).
    pub fn is_small(&self) -> bool {
        self.bytes <= SMALL_VIEW_BYTES && self.text.len() + self.blobs.len() <= SMALL_VIEW_BLOCKS
    }
}

/// One entry of a 422 answer's `errors` map.
#[repr(C)]
pub struct modio_market_field_error {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub field: *const c_char,
    pub message: *const c_char,
}

/// Why a request failed. Passed to callbacks (NULL on success); valid during the callback only.
#[repr(C)]
pub struct modio_market_error {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// The kind of failure.
    pub code: ResultCode,
    /// HTTP status for `HTTP`/`RATE_LIMITED`, else 0.
    pub http_status: u32,
    /// mod.io's `error_ref`, 0 when none.
    pub error_ref: i64,
    /// The ref's name (`"MONETIZATION_INSUFFICIENT_FUNDS"`) when the library knows it, else NULL.
    pub error_ref_name: *const c_char,
    /// A readable description: for HTTP errors the server's message followed by
    /// "(HTTP status, error_ref N NAME)". Never contains a secret.
    pub message: *const c_char,
    /// For `RATE_LIMITED`: seconds mod.io asked to wait; else -1.
    pub retry_after_secs: i64,
    /// The `errors` field map of a 422 answer: `field_error_count` pointers.
    pub field_errors: *const *const modio_market_field_error,
    pub field_error_count: usize,
}

pub(crate) fn error_view(arena: &mut Arena, e: &Error) -> modio_market_error {
    let fields: Vec<modio_market_field_error> = e
        .field_errors()
        .iter()
        .map(|(k, v)| modio_market_field_error {
            struct_size: size::<modio_market_field_error>(),
            field: arena.str(k),
            message: arena.str(v),
        })
        .collect();
    let (field_errors, field_error_count) = arena.ptr_slice(fields);
    modio_market_error {
        struct_size: size::<modio_market_error>(),
        code: e.code(),
        http_status: u32::from(e.http_status()),
        error_ref: e.error_ref(),
        error_ref_name: arena.opt_str(e.error_ref_name()),
        message: arena.str(&e.to_string()),
        retry_after_secs: e.retry_after_secs().map_or(-1, |s| s.min(i64::MAX as u64) as i64),
        field_errors,
        field_error_count,
    }
}

/// A user access token from platform authentication. The client already keeps it; the game may
/// store it (securely) to restore a session with `modio_market_client_set_access_token`.
#[repr(C)]
pub struct modio_market_access_token {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub access_token: *const c_char,
    /// Unix time the token expires.
    pub date_expires: i64,
}

pub(crate) fn access_token_view(arena: &mut Arena, t: &AccessToken) -> modio_market_access_token {
    modio_market_access_token {
        struct_size: size::<modio_market_access_token>(),
        access_token: arena.str(t.token.expose()),
        date_expires: t.date_expires,
    }
}

/// The user's wallet for the game. Amounts are in the game's virtual currency.
#[repr(C)]
pub struct modio_market_wallet {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub wallet_type: *const c_char,
    pub currency: *const c_char,
    pub payment_method_id: *const c_char,
    pub game_id: u64,
    pub balance: i64,
    pub pending_balance: i64,
    pub deficit: i64,
    /// `MODIO_MARKET_MONETIZATION_STATUS_*` flags; 0 = unregistered.
    pub monetization_status: u32,
}

pub(crate) fn wallet_view(arena: &mut Arena, w: &Wallet) -> modio_market_wallet {
    modio_market_wallet {
        struct_size: size::<modio_market_wallet>(),
        wallet_type: arena.str(&w.wallet_type),
        currency: arena.str(&w.currency),
        payment_method_id: arena.str(&w.payment_method_id),
        game_id: w.game_id,
        balance: w.balance,
        pending_balance: w.pending_balance,
        deficit: w.deficit,
        monetization_status: w.monetization_status.bits(),
    }
}

/// `monetization_status` flags of a wallet.
pub const MODIO_MARKET_MONETIZATION_STATUS_PENDING: u32 = 1;
pub const MODIO_MARKET_MONETIZATION_STATUS_REJECTED: u32 = 2;
pub const MODIO_MARKET_MONETIZATION_STATUS_REVIEW: u32 = 4;
pub const MODIO_MARKET_MONETIZATION_STATUS_ACTION: u32 = 8;
pub const MODIO_MARKET_MONETIZATION_STATUS_APPROVED: u32 = 16;
pub const MODIO_MARKET_MONETIZATION_STATUS_MEMBER: u32 = 32;

/// `api_access_options` flags of a game.
pub const MODIO_MARKET_API_ACCESS_OPEN: u32 = 1;
pub const MODIO_MARKET_API_ACCESS_DOWNLOADS: u32 = 2;
pub const MODIO_MARKET_API_ACCESS_AUTHORISED_DOWNLOADS: u32 = 4;
pub const MODIO_MARKET_API_ACCESS_PAID_DOWNLOADS: u32 = 8;

/// `transaction_state` of a synced entitlement (other values pass through as numbers).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum modio_market_entitlement_state {
    Failed = 0,
    Pending = 1,
    Fulfilled = 2,
    ConsumeLimitExceeded = 3,
}

/// One entitlement line of a sync.
#[repr(C)]
pub struct modio_market_entitlement {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub transaction_id: *const c_char,
    /// A `modio_market_entitlement_state` value, or another number mod.io sent.
    pub state: i64,
    /// "failed", "pending", "fulfilled", "consume limit exceeded" or "unknown".
    pub state_name: *const c_char,
    pub sku_id: *const c_char,
    pub consumed: bool,
    /// 0 = virtual currency.
    pub entitlement_type: i64,
    /// `details` as JSON, or NULL.
    pub details_json: *const c_char,
}

/// The answer of an entitlement sync.
#[repr(C)]
pub struct modio_market_entitlement_sync {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// The wallet balance after the sync.
    pub balance: i64,
    /// `entitlement_count` pointers.
    pub entitlements: *const *const modio_market_entitlement,
    pub entitlement_count: usize,
}

pub(crate) fn sync_view(arena: &mut Arena, s: &EntitlementSync) -> modio_market_entitlement_sync {
    let lines: Vec<modio_market_entitlement> = s
        .entitlements
        .iter()
        .map(|e| modio_market_entitlement {
            struct_size: size::<modio_market_entitlement>(),
            transaction_id: arena.str(&e.transaction_id),
            state: e.state.raw(),
            state_name: arena.str(e.state.name()),
            sku_id: arena.str(&e.sku_id),
            consumed: e.consumed,
            entitlement_type: e.entitlement_type,
            details_json: arena.opt_str(e.details_json.as_deref()),
        })
        .collect();
    let (entitlements, entitlement_count) = arena.ptr_slice(lines);
    modio_market_entitlement_sync {
        struct_size: size::<modio_market_entitlement_sync>(),
        balance: s.balance,
        entitlements,
        entitlement_count,
    }
}

/// A mod with what a store page needs; `json` holds the whole object as mod.io sent it.
#[repr(C)]
pub struct modio_market_mod {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub game_id: u64,
    pub name: *const c_char,
    pub name_id: *const c_char,
    pub summary: *const c_char,
    /// Price in virtual currency; 0 for free mods.
    pub price: i64,
    pub logo_url: *const c_char,
    pub profile_url: *const c_char,
    pub modfile_id: u64,
    /// Size of the modfile in bytes.
    pub filesize: u64,
    pub md5: *const c_char,
    pub version: *const c_char,
    pub downloads_total: u64,
    /// Percentage of positive ratings, 0-100.
    pub rating_percentage_positive: u32,
    pub rating_weighted_aggregate: f64,
    pub rating_display_text: *const c_char,
    pub json: *const c_char,
}

pub(crate) fn mod_view(arena: &mut Arena, m: &Mod) -> modio_market_mod {
    modio_market_mod {
        struct_size: size::<modio_market_mod>(),
        id: m.id,
        game_id: m.game_id,
        name: arena.str(&m.name),
        name_id: arena.str(&m.name_id),
        summary: arena.str(&m.summary),
        price: m.price,
        logo_url: arena.str(&m.logo_url),
        profile_url: arena.str(&m.profile_url),
        modfile_id: m.modfile.id,
        filesize: m.modfile.filesize,
        md5: arena.str(&m.modfile.md5),
        version: arena.str(&m.modfile.version),
        downloads_total: m.downloads_total,
        rating_percentage_positive: m.rating_percentage_positive.min(u64::from(u32::MAX)) as u32,
        rating_weighted_aggregate: m.rating_weighted_aggregate,
        rating_display_text: arena.str(&m.rating_display_text),
        json: arena.str(&m.json),
    }
}

fn mods_slice(arena: &mut Arena, mods: &[Mod]) -> (*const *const modio_market_mod, usize) {
    let views: Vec<modio_market_mod> = mods.iter().map(|m| mod_view(arena, m)).collect();
    arena.ptr_slice(views)
}

/// One page of a mod list.
#[repr(C)]
pub struct modio_market_mod_page {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// `mod_count` pointers.
    pub mods: *const *const modio_market_mod,
    pub mod_count: usize,
    pub result_offset: u64,
    pub result_limit: u64,
    /// Every mod matching the query, across pages.
    pub result_total: u64,
}

pub(crate) fn mod_page_view(arena: &mut Arena, p: &ModPage) -> modio_market_mod_page {
    let (mods, mod_count) = mods_slice(arena, &p.mods);
    modio_market_mod_page {
        struct_size: size::<modio_market_mod_page>(),
        mods,
        mod_count,
        result_offset: p.page.result_offset,
        result_limit: p.page.result_limit,
        result_total: p.page.result_total,
    }
}

/// Every mod the user has purchased.
#[repr(C)]
pub struct modio_market_purchases {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// `mod_count` pointers.
    pub mods: *const *const modio_market_mod,
    pub mod_count: usize,
}

/// Takes the list by value: each mod is dropped as soon as its view is copied out, so a list of
/// 100,000 mods (their JSON included) is never held twice while the view is built.
pub(crate) fn purchases_view(arena: &mut Arena, p: Purchases) -> modio_market_purchases {
    let mut views = Vec::with_capacity(p.mods.len());
    for m in p.mods {
        views.push(mod_view(arena, &m));
    }
    let (mods, mod_count) = arena.ptr_slice(views);
    modio_market_purchases { struct_size: size::<modio_market_purchases>(), mods, mod_count }
}

/// `transaction_type` of a transaction, compared case-insensitively.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum modio_market_transaction_state {
    Pending = 0,
    Paid = 1,
    Refunded = 2,
    Cancelled = 3,
    Cleared = 4,
    Failed = 5,
    /// A state the docs do not list; see `state_name`.
    Other = 6,
}

/// A mod.io transaction.
#[repr(C)]
pub struct modio_market_transaction {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub gateway_uuid: *const c_char,
    pub gross_amount: i64,
    pub net_amount: i64,
    pub platform_fee: i64,
    pub gateway_fee: i64,
    pub tax: i64,
    pub tax_type: *const c_char,
    pub state: modio_market_transaction_state,
    /// The state as text ("paid", or what the server sent for `OTHER`).
    pub state_name: *const c_char,
    /// `meta` as JSON.
    pub meta_json: *const c_char,
    /// Unix time.
    pub purchase_date: i64,
}

pub(crate) fn state_number(s: &TransactionState) -> modio_market_transaction_state {
    match s {
        TransactionState::Pending => modio_market_transaction_state::Pending,
        TransactionState::Paid => modio_market_transaction_state::Paid,
        TransactionState::Refunded => modio_market_transaction_state::Refunded,
        TransactionState::Cancelled => modio_market_transaction_state::Cancelled,
        TransactionState::Cleared => modio_market_transaction_state::Cleared,
        TransactionState::Failed => modio_market_transaction_state::Failed,
        // `TransactionState` may grow (it is `#[non_exhaustive]`): a state this skin does not
        // number yet is OTHER, with its text in `state_name`.
        _ => modio_market_transaction_state::Other,
    }
}

pub(crate) fn transaction_view(arena: &mut Arena, t: &Transaction) -> modio_market_transaction {
    modio_market_transaction {
        struct_size: size::<modio_market_transaction>(),
        id: t.id,
        gateway_uuid: arena.str(&t.gateway_uuid),
        gross_amount: t.gross_amount,
        net_amount: t.net_amount,
        platform_fee: t.platform_fee,
        gateway_fee: t.gateway_fee,
        tax: t.tax,
        tax_type: arena.str(&t.tax_type),
        state: state_number(&t.state),
        state_name: arena.str(t.state.name()),
        meta_json: arena.str(&t.meta_json),
        purchase_date: t.purchase_date,
    }
}

/// A completed checkout.
#[repr(C)]
pub struct modio_market_checkout {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub transaction: *const modio_market_transaction,
    /// Wallet balance after the purchase.
    pub balance: i64,
    pub deficit: i64,
    pub wallet_type: *const c_char,
    pub payment_method_id: *const c_char,
    /// The idempotency key the purchase was made with.
    pub idempotency_key: *const c_char,
    pub purchased_mod: *const modio_market_mod,
}

pub(crate) fn checkout_view(arena: &mut Arena, r: &CheckoutReceipt) -> modio_market_checkout {
    let purchased = mod_view(arena, &r.purchased_mod);
    let transaction = transaction_view(arena, &r.transaction);
    modio_market_checkout {
        struct_size: size::<modio_market_checkout>(),
        transaction: arena.boxed(transaction),
        balance: r.balance,
        deficit: r.deficit,
        wallet_type: arena.str(&r.wallet_type),
        payment_method_id: arena.str(&r.payment_method_id),
        idempotency_key: arena.str(&r.idempotency_key),
        purchased_mod: arena.boxed(purchased),
    }
}

/// The game's settings that matter to a store.
#[repr(C)]
pub struct modio_market_game {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub name: *const c_char,
    /// `MODIO_MARKET_API_ACCESS_*` flags.
    pub api_access_options: u32,
    /// Third parties may use the game's API.
    pub open: bool,
    /// Mods may be downloaded directly.
    pub direct_downloads: bool,
    /// Downloads need a bearer token.
    pub authorised_downloads_only: bool,
    /// Paid mods can be downloaded only by their owners.
    pub paid_downloads_need_purchase: bool,
    /// The game's name for its virtual currency.
    pub token_name: *const c_char,
    pub json: *const c_char,
}

pub(crate) fn game_view(arena: &mut Arena, g: &Game) -> modio_market_game {
    let o = g.api_access_options;
    modio_market_game {
        struct_size: size::<modio_market_game>(),
        id: g.id,
        name: arena.str(&g.name),
        api_access_options: o.bits(),
        open: o.open(),
        direct_downloads: o.direct_downloads(),
        authorised_downloads_only: o.authorised_downloads_only(),
        paid_downloads_need_purchase: o.paid_downloads_need_purchase(),
        token_name: arena.str(&g.token_name),
        json: arena.str(&g.json),
    }
}

/// A user delegation token for the studio's purchase server. Send it to your backend only.
#[repr(C)]
pub struct modio_market_delegation_token {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub entity: *const c_char,
    pub token: *const c_char,
}

pub(crate) fn delegation_view(arena: &mut Arena, d: &DelegationToken) -> modio_market_delegation_token {
    modio_market_delegation_token {
        struct_size: size::<modio_market_delegation_token>(),
        entity: arena.str(&d.entity),
        token: arena.str(d.token.expose()),
    }
}

/// How a journaled checkout from an earlier run ended (`modio_market_recovery.outcome`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum modio_market_recovery_outcome {
    /// Resent with its key: the purchase went through; `checkout` holds the receipt.
    Completed = 0,
    /// Resent with its key: mod.io refused it definitively; see `error`.
    Failed = 1,
    /// Older than the key's 24 hours, and the mod is in the purchased list: it was bought.
    Owned = 2,
    /// Older than the key's 24 hours, and not purchased: it never went through.
    Abandoned = 3,
    /// Still no definitive answer (offline, 5xx, rate limited); kept for the next recovery; see `error`.
    StillPending = 4,
    /// A journal file was unreadable; it was moved aside to `journal_file`; see `error`.
    CorruptJournal = 5,
}

/// One recovery report. Valid during the callback only.
#[repr(C)]
pub struct modio_market_recovery {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub outcome: modio_market_recovery_outcome,
    pub user_id: u64,
    pub mod_id: u64,
    pub display_amount: i64,
    pub idempotency_key: *const c_char,
    /// Unix seconds of the original attempt.
    pub attempted_at: i64,
    /// The receipt, for `COMPLETED`; else NULL.
    pub checkout: *const modio_market_checkout,
    /// Why, for `FAILED`, `STILL_PENDING` and `CORRUPT_JOURNAL`; else NULL.
    pub error: *const modio_market_error,
    /// Where an unreadable journal file was kept, for `CORRUPT_JOURNAL`; else NULL.
    pub journal_file: *const c_char,
}

pub(crate) fn recovery_view(arena: &mut Arena, r: &RecoveryReport) -> modio_market_recovery {
    let mut view = modio_market_recovery {
        struct_size: size::<modio_market_recovery>(),
        outcome: modio_market_recovery_outcome::Abandoned,
        user_id: r.user_id,
        mod_id: r.mod_id,
        display_amount: r.display_amount,
        idempotency_key: arena.str(&r.idempotency_key),
        attempted_at: r.attempted_at,
        checkout: std::ptr::null(),
        error: std::ptr::null(),
        journal_file: std::ptr::null(),
    };
    match &r.outcome {
        RecoveryOutcome::Completed(receipt) => {
            view.outcome = modio_market_recovery_outcome::Completed;
            let c = checkout_view(arena, receipt);
            view.checkout = arena.boxed(c);
        }
        RecoveryOutcome::Failed(e) => {
            view.outcome = modio_market_recovery_outcome::Failed;
            let e = error_view(arena, e);
            view.error = arena.boxed(e);
        }
        RecoveryOutcome::Owned => view.outcome = modio_market_recovery_outcome::Owned,
        RecoveryOutcome::Abandoned => view.outcome = modio_market_recovery_outcome::Abandoned,
        RecoveryOutcome::StillPending(e) => {
            view.outcome = modio_market_recovery_outcome::StillPending;
            let e = error_view(arena, e);
            view.error = arena.boxed(e);
        }
        RecoveryOutcome::CorruptJournal { kept_at, reason } => {
            view.outcome = modio_market_recovery_outcome::CorruptJournal;
            view.journal_file = arena.str(kept_at);
            let e = error_view(arena, &Error::new(ResultCode::Io, format!("unreadable checkout journal entry: {reason}")));
            view.error = arena.boxed(e);
        }
        // `RecoveryOutcome` may grow (it is `#[non_exhaustive]`): until this skin numbers a new
        // outcome, the game hears STILL_PENDING, the one outcome that neither claims nor denies
        // the purchase.
        _ => {
            view.outcome = modio_market_recovery_outcome::StillPending;
            let e = error_view(arena, &Error::new(ResultCode::Internal, "a recovery outcome this library version does not name"));
            view.error = arena.boxed(e);
        }
    }
    view
}

/// The caller's `user_data`, carried to the thread that polls. The library never dereferences it.
#[derive(Clone, Copy)]
pub(crate) struct UserData(pub *mut c_void);
// SAFETY: the pointer is only handed back to the caller's callback, on the caller's polling thread.
unsafe impl Send for UserData {}

impl UserData {
    /// By method, so closures capture the Send wrapper rather than its raw-pointer field.
    pub fn get(self) -> *mut c_void {
        self.0
    }
}

/// Callback shape shared by every request: `user_data` first, then the request id, then either
/// `error` (non-NULL on failure, `result` NULL) or `result` (non-NULL on success, `error` NULL).
pub(crate) type ResultCallback<V> = unsafe extern "C" fn(*mut c_void, u64, *const modio_market_error, *const V);

/// A request's outcome as the C callback will see it, built on the worker thread (see
/// [`modio_market::Prepared`]) so the game thread only makes the call.
pub(crate) struct PreparedView<V> {
    /// What the pointers in `outcome` point into.
    arena: Arena,
    outcome: Result<V, modio_market_error>,
}

// SAFETY: the raw pointers in a view point into its own arena's heap blocks, which move with it
// and are not shared; the view is read on the polling thread only after the worker let go.
unsafe impl<V> Send for PreparedView<V> {}

fn prepare_view<T, V>(result: modio_market::Result<T>, view: impl FnOnce(&mut Arena, T) -> V) -> PreparedView<V> {
    let mut arena = Arena::default();
    let outcome = match result {
        Ok(value) => Ok(view(&mut arena, value)),
        Err(error) => Err(error_view(&mut arena, &error)),
    };
    PreparedView { arena, outcome }
}

impl<V> PreparedView<V> {
    fn is_small(&self) -> bool {
        self.arena.is_small()
    }
}

/// Calls the C callback with a prepared view; everything it points to dies after it returns.
fn invoke<V>(cb: ResultCallback<V>, user_data: UserData, id: u64, prepared: &PreparedView<V>) {
    // SAFETY: the callback and user_data come from the caller, with the documented contract.
    match &prepared.outcome {
        Ok(v) => unsafe { cb(user_data.0, id, std::ptr::null(), v) },
        Err(e) => unsafe { cb(user_data.0, id, e, std::ptr::null()) },
    }
}

/// Checks the callback, submits, and writes the request id: the one path every request takes.
pub(crate) unsafe fn start<T: Send + 'static, V: 'static>(
    callback: Option<ResultCallback<V>>,
    user_data: *mut c_void,
    request_id_out: *mut u64,
    view: fn(&mut Arena, &T) -> V,
    submit: impl FnOnce(FreeSmallInPoll<T, PreparedView<V>>) -> modio_market::Result<RequestId>,
) -> Result<(), Error> {
    start_taking(callback, user_data, request_id_out, move |arena, value: T| view(arena, &value), submit)
}

/// As [`start`], for a view that takes the result by value (and can free it as it goes).
pub(crate) unsafe fn start_taking<T: Send + 'static, V: 'static>(
    callback: Option<ResultCallback<V>>,
    user_data: *mut c_void,
    request_id_out: *mut u64,
    view: impl Fn(&mut Arena, T) -> V + Send + Sync + 'static,
    submit: impl FnOnce(FreeSmallInPoll<T, PreparedView<V>>) -> modio_market::Result<RequestId>,
) -> Result<(), Error> {
    let callback = callback.ok_or_else(|| Error::new(ResultCode::NullPointer, "argument `callback` is NULL"))?;
    let user_data = UserData(user_data);
    // The views are built on the worker (a purchased list of 100,000 mods included); poll only
    // calls the callback, then frees a few large blocks.
    let id = submit(
        Prepared {
            prepare: Box::new(move |result| prepare_view(result, &view)),
            deliver: Box::new(move |id, prepared: &PreparedView<V>| invoke(callback, user_data, id, prepared)),
        }
        .free_small_in_poll(PreparedView::is_small),
    )?;
    if let Some(out) = request_id_out.as_mut() {
        *out = id;
    }
    Ok(())
}

/// Reads an input struct of the caller's `struct_size` bytes into this library's layout (zero =
/// not set), refusing set fields this build does not know (the kernel's `copy_struct_from_user`
/// rule): a newer caller's unknown fields are refused, an older caller's missing ones defaulted.
/// `T` must be a `#[repr(C)]` struct starting with `struct_size: u32` whose every field is valid
/// all-zero (pointers, integers, bools); `bools` are the offsets of its bool fields, checked to
/// be 0 or 1 before the value is made.
pub(crate) unsafe fn read_input<T>(input: *const T, name: &str, type_name: &str, bools: &[usize]) -> Result<T, Error> {
    if input.is_null() {
        return Err(Error::new(ResultCode::NullPointer, format!("argument `{name}` is NULL")));
    }
    // Only `struct_size` bytes are the caller's: read the size alone first, not the struct.
    let theirs = input.cast::<u32>().read_unaligned() as usize;
    let ours = std::mem::size_of::<T>();
    if theirs < std::mem::size_of::<u32>() * 2 {
        return Err(Error::invalid_argument(name, &format!("struct_size must be sizeof({type_name})")));
    }
    let src = input.cast::<u8>();
    if theirs > ours {
        let extra = std::slice::from_raw_parts(src.add(ours), theirs - ours);
        if extra.iter().any(|&b| b != 0) {
            return Err(Error::invalid_argument(name, "sets fields this library does not know: update the library"));
        }
    }
    let mut copy = std::mem::MaybeUninit::<T>::zeroed();
    std::ptr::copy_nonoverlapping(src, copy.as_mut_ptr().cast::<u8>(), theirs.min(ours));
    for &at in bools {
        if *copy.as_ptr().cast::<u8>().add(at) > 1 {
            return Err(Error::invalid_argument(name, "a bool field is neither true nor false"));
        }
    }
    // SAFETY: all-zero is a valid value of every field (the caller's contract), the bytes copied
    // over it came from the caller's struct of the same layout, and the bools were just checked.
    let mut value = copy.assume_init();
    copy_size(&mut value, ours as u32);
    Ok(value)
}

/// Writes `struct_size` (the first field of every input struct) as this library's size.
unsafe fn copy_size<T>(value: &mut T, size: u32) {
    (value as *mut T).cast::<u32>().write_unaligned(size);
}

// Keep ResultCode importable for the header's typedef.
#[allow(dead_code)]
fn _uses(_: ResultCode) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn arena_strings_stay_valid_across_blocks_and_lose_interior_nuls() {
        let mut arena = Arena::default();
        let long = "x".repeat(TEXT_BLOCK * 2);
        let mut kept = Vec::new();
        for i in 0..20_000 {
            let s = if i == 777 { long.clone() } else { format!("mod number {i}") };
            kept.push((arena.str(&s), s));
        }
        let with_nul = arena.str("a\0b");
        assert!(arena.text.len() > 2, "several blocks were used: {}", arena.text.len());
        for (ptr, want) in &kept {
            // SAFETY: the arena is alive and every pointer it handed out stays valid.
            assert_eq!(unsafe { CStr::from_ptr(*ptr) }.to_str().unwrap(), want.as_str());
        }
        assert_eq!(unsafe { CStr::from_ptr(with_nul) }.to_str().unwrap(), "ab");
    }

    #[test]
    fn a_wallet_sized_view_is_small_and_a_list_is_not() {
        let mut wallet = Arena::default();
        wallet.str("wallet");
        wallet.str("ALICE");
        wallet.boxed(0u64);
        assert!(wallet.is_small(), "freed in poll: {} bytes", wallet.bytes);
        let mut text = Arena::default();
        for i in 0..2_000 {
            text.str(&format!("a mod's name number {i}"));
        }
        assert!(!text.is_small(), "{} bytes of text goes to a worker", text.bytes);
        let mut items = Arena::default();
        items.slice(vec![[0u8; 256]; 100]);
        assert!(!items.is_small(), "100 items of 256 bytes go to a worker");
        let mut many = Arena::default();
        for i in 0..(SMALL_VIEW_BLOCKS as u64 + 1) {
            many.boxed(i);
        }
        assert!(!many.is_small(), "more than {SMALL_VIEW_BLOCKS} allocations go to a worker");
    }

    #[test]
    fn a_pointer_slice_points_at_each_item() {
        let mut arena = Arena::default();
        let (items, count) = arena.ptr_slice(vec![10u64, 20, 30]);
        assert_eq!(count, 3);
        // SAFETY: three valid pointers, alive with the arena.
        let got: Vec<u64> = (0..count).map(|i| unsafe { **items.add(i) }).collect();
        assert_eq!(got, [10, 20, 30]);
        assert_eq!(arena.ptr_slice(Vec::<u64>::new()), (std::ptr::null(), 0));
    }
}
