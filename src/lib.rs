//! modio-market: the mod.io Marketplace for games, as a Rust library and a plain C ABI.
//!
//! - [`Client`]: configure, authenticate through a platform, read the wallet, sync entitlements,
//!   browse premium mods, check out, and answer ownership from a cache.
//! - Network work runs on the client's worker threads; callbacks run only inside
//!   [`Client::poll`] / [`Client::wait`] on the caller's thread.
//! - The C ABI is a thin skin over this API in its own crate, `modio-market-capi` (`capi/`).

mod attempts;
mod callbacks;
mod checkout;
mod client;
mod config;
mod doorbell;
mod downloads;
mod error;
mod executor;
pub mod fuzzing;
mod hex;
mod install;
mod keys;
mod log;
mod models;
mod ownership;
mod persist;
mod platform;
mod ratelimit;
mod runtime;
mod s2s;
mod session;
mod shared;
mod transport;

pub use callbacks::{FreeSmallInPoll, LogSink, Prepared};
pub use checkout::{BackgroundRetry, RecoveryOutcome, RecoveryReport, KEY_LIFETIME_SECS, MAX_FUTURE_SKEW_SECS};
pub use client::{Callback, Client, Purchases, WithId};
pub use config::RetryPolicy;
pub use config::{Config, Environment, DEFAULT_MAX_RESPONSE_BYTES, PLATFORMS, PORTALS};
pub use downloads::{DownloadProgress, InstalledMod};
pub use error::{error_ref, Error, ErrorKind, Result, ResultCode, Secret};
pub use keys::check_alpha_dash;
pub use log::{LogLevel, LogRecord};
pub use models::{
    AccessToken, ApiAccessOptions, CheckoutReceipt, DelegationToken, Entitlement, EntitlementState, EntitlementSync, Game, Mod, ModPage,
    ModQuery, ModSortField, Modfile, MonetizationStatus, PageInfo, RevenueType, Transaction, TransactionState, Wallet, MAX_QUERY_IDS,
    MAX_QUERY_TAGS,
};
pub use models::{EntitlementKind, Terms, TermsLink, TokenPack, TokenPacks, UnconvertedEntitlement, UnconvertedEntitlements, User};
pub use platform::{AuthOptions, EntitlementQuery, EntitlementSource, MetaDevice, PlatformAuth};
pub use ratelimit::MAX_RETRY_AFTER_SECS;
pub use runtime::RequestId;
pub use s2s::{
    is_alpha_dash, ClawbackRequest, ClawbackTarget, CommitRequest, HistoryTransaction, IdempotencyKey, IntentRequest, S2sClient, S2sConfig,
    S2sPortal, S2sTransaction, ServiceTokenInfo, TransactionHistoryPage, TransactionMeta, TransactionQuery, DEFAULT_RENEW_BEFORE,
    DEFAULT_S2S_SCOPES, ERROR_REF_OAUTH_CLIENT_INVALID, ERROR_REF_TOKEN_MISSING_SCOPE_WRITE, HISTORY_LINE_ITEM_KEYS,
    HISTORY_MONETIZATION_TYPES, HISTORY_TRANSACTION_TYPES, IDEMPOTENCY_KEY_LIFETIME,
};

/// The library's version (`CARGO_PKG_VERSION`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
