/*
 * modio_market.hpp: a header-only C++17 wrapper over the modio_market C ABI (modio_market.h).
 *
 * Include this header and link the library (static: libmodio_market.a plus -lpthread -ldl -lm on
 * Linux; or the shared library). Everything lives in namespace modio_market.
 *
 * OWNERSHIP
 * - Config, Client and S2sClient own their C handle through std::unique_ptr with the matching _free
 *   function. All are move-only; a moved-from object is empty (valid() == false) and every call
 *   on it fails with Code::NullPointer instead of crashing.
 * - Strings go in as std::string_view (copied by the library during the call; an embedded NUL
 *   byte is refused with Code::InvalidArgument). Results come out as plain C++ value types that
 *   own std::string copies: the C data they are made from is only borrowed during the callback.
 * - AccessToken::token and DelegationToken::token are secrets: never log them or write them to
 *   files (keep a session token in the platform's secure storage).
 *
 * RESULTS AND ERRORS
 * - Every fallible call returns Result<T> ([[nodiscard]]): check ok() (or operator bool) before
 *   value(); error() carries the typed Error (code, HTTP status, mod.io error_ref and its name,
 *   message, 422 field errors, retry-after). value() on an error (or error() on a value) throws
 *   BadResultAccess, or calls std::abort() when exceptions are disabled (-fno-exceptions, as in
 *   Unreal by default).
 * - A request call (Client: auth_*, get_*, sync_*, checkout, refresh_purchases,
 *   request_delegation_token; S2sClient: refresh_service_token, intent, commit, clawback) returns
 *   Result<RequestId>. When it succeeds, the callback runs
 *   EXACTLY ONCE later: with the value, the error, Code::Cancelled (cancel) or Code::ShutDown
 *   (the Client is destroyed first). When the call itself fails (bad argument, empty callback,
 *   client shut down), the returned Result holds the error and the callback never runs: it is
 *   destroyed before the call returns.
 *
 * THREADS
 * - The library is internally synchronized: a Client's methods may be called from any thread.
 *   Callbacks (request callbacks, the log and recovery callbacks) run ONLY inside poll() / wait() /
 *   wait_any(), on the thread that calls them, and inside the Client's destructor (Code::ShutDown,
 *   on the destroying thread). Call poll() once per frame from the game thread. poll()/wait() from
 *   inside a callback, or from two threads at once, fails with Code::Reentrant.
 * - Do not move, assign or destroy a Client (or Config) while another thread is using it.
 * - From a request callback you may start new requests, cancel, and even destroy the Client (its
 *   other pending callbacks then get Code::ShutDown when that poll returns). Do not destroy the
 *   Client from inside the log or recovery callback; changing either callback from inside itself
 *   fails with Code::Reentrant.
 * - S2sClient is for a studio's purchase server, never a game: it holds the OAuth client secret.
 * - Each callback std::function is heap-allocated, handed to the library as user_data and deleted
 *   by a static trampoline right after it ran, so what it captures is released then. No exception
 *   ever crosses into C: one thrown by your callback is caught and discarded (handle errors inside
 *   the callback).
 */

#ifndef MODIO_MARKET_HPP
#define MODIO_MARKET_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "modio_market.h"

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define MODIO_MARKET_HPP_EXCEPTIONS 1
#define MODIO_MARKET_HPP_TRY try
#define MODIO_MARKET_HPP_CATCH_ALL catch (...) {}
#else
#define MODIO_MARKET_HPP_EXCEPTIONS 0
#define MODIO_MARKET_HPP_TRY
#define MODIO_MARKET_HPP_CATCH_ALL
#endif

namespace modio_market {

/// Identifies one request of a Client; never 0.
using RequestId = std::uint64_t;

/// Every outcome the library reports (modio_market_result). Numbers the header gains later pass
/// through unchanged.
enum class Code : std::uint32_t {
    // <generated:result-codes> (cargo run -p xtask -- mirrors: from modio_market::ResultCode)
    Ok = MODIO_MARKET_RESULT_OK,
    NullPointer = MODIO_MARKET_RESULT_NULL_POINTER,
    InvalidUtf8 = MODIO_MARKET_RESULT_INVALID_UTF8,
    InvalidArgument = MODIO_MARKET_RESULT_INVALID_ARGUMENT,
    UnknownEnumValue = MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE,
    NotAuthenticated = MODIO_MARKET_RESULT_NOT_AUTHENTICATED,
    Dns = MODIO_MARKET_RESULT_DNS,
    Connect = MODIO_MARKET_RESULT_CONNECT,
    Tls = MODIO_MARKET_RESULT_TLS,
    Timeout = MODIO_MARKET_RESULT_TIMEOUT,
    Transport = MODIO_MARKET_RESULT_TRANSPORT,
    InsecureUrl = MODIO_MARKET_RESULT_INSECURE_URL,
    Http = MODIO_MARKET_RESULT_HTTP,
    MalformedResponse = MODIO_MARKET_RESULT_MALFORMED_RESPONSE,
    ResponseTooLarge = MODIO_MARKET_RESULT_RESPONSE_TOO_LARGE,
    RateLimited = MODIO_MARKET_RESULT_RATE_LIMITED,
    UnexpectedAnswer = MODIO_MARKET_RESULT_UNEXPECTED_ANSWER,
    Cancelled = MODIO_MARKET_RESULT_CANCELLED,
    ShutDown = MODIO_MARKET_RESULT_SHUT_DOWN,
    Reentrant = MODIO_MARKET_RESULT_REENTRANT,
    WaitTimedOut = MODIO_MARKET_RESULT_WAIT_TIMED_OUT,
    RequestNotFound = MODIO_MARKET_RESULT_REQUEST_NOT_FOUND,
    AlreadyCompleted = MODIO_MARKET_RESULT_ALREADY_COMPLETED,
    BufferTooSmall = MODIO_MARKET_RESULT_BUFFER_TOO_SMALL,
    Io = MODIO_MARKET_RESULT_IO,
    Internal = MODIO_MARKET_RESULT_INTERNAL,
    DiskFull = MODIO_MARKET_RESULT_DISK_FULL,
    NotOwned = MODIO_MARKET_RESULT_NOT_OWNED,
    IntegrityFailed = MODIO_MARKET_RESULT_INTEGRITY_FAILED,
    UnsafeArchive = MODIO_MARKET_RESULT_UNSAFE_ARCHIVE,
    NoModfile = MODIO_MARKET_RESULT_NO_MODFILE,
    // </generated:result-codes>
};

enum class LogLevel : std::uint32_t {
    // <generated:log-levels> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    Error = MODIO_MARKET_LOG_LEVEL_ERROR,
    Warn = MODIO_MARKET_LOG_LEVEL_WARN,
    Info = MODIO_MARKET_LOG_LEVEL_INFO,
    Debug = MODIO_MARKET_LOG_LEVEL_DEBUG,
    Trace = MODIO_MARKET_LOG_LEVEL_TRACE,
    // </generated:log-levels>
};

enum class Environment : std::uint32_t {
    // <generated:environments> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    /// https://g-{game_id}.modapi.io/v1
    Live = MODIO_MARKET_ENVIRONMENT_LIVE,
    /// https://g-{game_id}.test.mod.io/v1
    Test = MODIO_MARKET_ENVIRONMENT_TEST,
    // </generated:environments>
};

/// Revenue filter of Client::get_mods (Paid for the premium store).
enum class RevenueType : std::uint32_t {
    // <generated:revenue-types> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    Free = MODIO_MARKET_REVENUE_TYPE_FREE,
    Paid = MODIO_MARKET_REVENUE_TYPE_PAID,
    Both = MODIO_MARKET_REVENUE_TYPE_BOTH,
    // </generated:revenue-types>
};

/// The order of a ModQuery (`_sort`): descending with ModQuery::descending.
enum class ModSortField : std::uint32_t {
    // <generated:mod-sort-fields> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    /// The API's default order: by id, oldest first.
    Id = MODIO_MARKET_MOD_SORT_FIELD_ID,
    /// Alphabetical (name).
    Name = MODIO_MARKET_MOD_SORT_FIELD_NAME,
    /// When the mod went live (date_live): descending is "newest".
    DateLive = MODIO_MARKET_MOD_SORT_FIELD_DATE_LIVE,
    /// Last update (date_updated).
    DateUpdated = MODIO_MARKET_MOD_SORT_FIELD_DATE_UPDATED,
    /// Downloads in the last 24 hours (downloads_today): descending is "trending".
    DownloadsToday = MODIO_MARKET_MOD_SORT_FIELD_DOWNLOADS_TODAY,
    /// All-time downloads (downloads_total): descending is "most popular".
    DownloadsTotal = MODIO_MARKET_MOD_SORT_FIELD_DOWNLOADS_TOTAL,
    /// Subscribers (subscribers_total).
    SubscribersTotal = MODIO_MARKET_MOD_SORT_FIELD_SUBSCRIBERS_TOTAL,
    /// Rating (ratings_weighted_aggregate): descending is "highest rated".
    Rating = MODIO_MARKET_MOD_SORT_FIELD_RATING,
    /// Price (price).
    Price = MODIO_MARKET_MOD_SORT_FIELD_PRICE,
    // </generated:mod-sort-fields>
};

/// State of a synced entitlement; other numbers mod.io sends pass through.
enum class EntitlementState : std::int64_t {
    // <generated:entitlement-states> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    Failed = MODIO_MARKET_ENTITLEMENT_STATE_FAILED,
    Pending = MODIO_MARKET_ENTITLEMENT_STATE_PENDING,
    Fulfilled = MODIO_MARKET_ENTITLEMENT_STATE_FULFILLED,
    ConsumeLimitExceeded = MODIO_MARKET_ENTITLEMENT_STATE_CONSUME_LIMIT_EXCEEDED,
    // </generated:entitlement-states>
};

/// What an unconverted entitlement is; other numbers mod.io sends pass through.
enum class EntitlementKind : std::int64_t {
    // <generated:entitlement-kinds> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    /// A virtual currency pack.
    TokenPack = MODIO_MARKET_ENTITLEMENT_KIND_TOKEN_PACK,
    /// A SKU product.
    Sku = MODIO_MARKET_ENTITLEMENT_KIND_SKU,
    // </generated:entitlement-kinds>
};

enum class TransactionState : std::uint32_t {
    // <generated:transaction-states> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    Pending = MODIO_MARKET_TRANSACTION_STATE_PENDING,
    Paid = MODIO_MARKET_TRANSACTION_STATE_PAID,
    Refunded = MODIO_MARKET_TRANSACTION_STATE_REFUNDED,
    Cancelled = MODIO_MARKET_TRANSACTION_STATE_CANCELLED,
    Cleared = MODIO_MARKET_TRANSACTION_STATE_CLEARED,
    Failed = MODIO_MARKET_TRANSACTION_STATE_FAILED,
    /// A state the docs do not list; see state_name.
    Other = MODIO_MARKET_TRANSACTION_STATE_OTHER,
    // </generated:transaction-states>
};

// ---------------------------------------------------------------------------------------------
// Library-wide functions
// ---------------------------------------------------------------------------------------------

/// The library version ("1.0.0").
inline std::string_view version() noexcept {
    const char* v = modio_market_version();
    return v != nullptr ? std::string_view(v) : std::string_view();
}

/// Whether the loaded library serves the header this wrapper was compiled with (same major
/// version, minor at least the header's): check it once at start; false means a stale library.
inline bool version_is_compatible() noexcept { return MODIO_MARKET_VERSION_CHECK(); }

/// Whether the loaded library serves a header of version `major`.`minor`.
inline bool version_is_compatible(std::uint32_t major, std::uint32_t minor) noexcept {
    return modio_market_version_is_compatible(major, minor);
}

/// The constant's name of a code ("MODIO_MARKET_RESULT_HTTP").
inline std::string_view code_name(Code code) noexcept {
    const char* n = modio_market_result_name(static_cast<std::uint32_t>(code));
    return n != nullptr ? std::string_view(n) : std::string_view();
}

/// A short English description of a code ("the request timed out").
inline std::string_view code_message(Code code) noexcept {
    const char* m = modio_market_result_message(static_cast<std::uint32_t>(code));
    return m != nullptr ? std::string_view(m) : std::string_view();
}

/// The name of a mod.io error_ref the library knows ("MONETIZATION_INSUFFICIENT_FUNDS"), or an
/// empty view for others.
inline std::string_view error_ref_name(std::int64_t error_ref) noexcept {
    const char* n = modio_market_error_ref_name(error_ref);
    return n != nullptr ? std::string_view(n) : std::string_view();
}

/// The text of the most recent failed C call on this thread (names the bad argument).
inline std::string last_error_message() {
    std::size_t length = 0;
    if (modio_market_last_error_message(nullptr, 0, &length) != MODIO_MARKET_RESULT_BUFFER_TOO_SMALL || length == 0) {
        return std::string();
    }
    std::string text(length + 1, '\0');
    if (modio_market_last_error_message(&text[0], text.size(), &length) != MODIO_MARKET_RESULT_OK) {
        return std::string();
    }
    text.resize(length);
    return text;
}

// ---------------------------------------------------------------------------------------------
// Errors and Result<T>
// ---------------------------------------------------------------------------------------------

/// One entry of a 422 answer's `errors` map.
struct FieldError {
    std::string field;
    std::string message;
};

/// Why a call or a request failed. Never contains a secret.
struct Error {
    Code code = Code::Internal;
    /// HTTP status for Code::Http / Code::RateLimited, else 0.
    std::uint32_t http_status = 0;
    /// mod.io's error_ref (e.g. MODIO_MARKET_ERROR_REF_MONETIZATION_INSUFFICIENT_FUNDS), 0 when none.
    std::int64_t error_ref = 0;
    /// The ref's name ("MONETIZATION_INSUFFICIENT_FUNDS") when the library knows it, else empty.
    std::string error_ref_name;
    /// A readable description (the server's message for HTTP errors).
    std::string message;
    /// The `errors` field map of a 422 answer.
    std::vector<FieldError> field_errors;
    /// For Code::RateLimited: seconds mod.io asked to wait; else -1.
    std::int64_t retry_after_secs = -1;

    bool is(Code c) const noexcept { return code == c; }
    bool has_ref(std::int64_t ref) const noexcept { return error_ref == ref; }
    /// How long mod.io asked to wait (rate limiting), if it did.
    std::optional<std::chrono::seconds> retry_after() const {
        if (retry_after_secs < 0) {
            return std::nullopt;
        }
        return std::chrono::seconds(retry_after_secs);
    }
    /// "MODIO_MARKET_RESULT_HTTP (HTTP 422, error_ref 900049 MONETIZATION_INSUFFICIENT_FUNDS): <message>"
    /// (the details are left out when the library's message already ends with them).
    std::string to_string() const {
        std::string out(code_name(code));
        if (out.empty()) {
            out = "MODIO_MARKET_RESULT_" + std::to_string(static_cast<std::uint32_t>(code));
        }
        std::string details;
        if (http_status != 0) {
            details = "HTTP " + std::to_string(http_status);
        }
        if (error_ref != 0) {
            details += details.empty() ? "error_ref " : ", error_ref ";
            details += std::to_string(error_ref);
            if (!error_ref_name.empty()) {
                details += " " + error_ref_name;
            }
        }
        if (!details.empty() && message.find("(" + details + ")") == std::string::npos) {
            out += " (" + details + ")";
        }
        if (!message.empty()) {
            out += ": " + message;
        }
        return out;
    }

    static Error make(Code c, std::string text) {
        Error e;
        e.code = c;
        e.message = std::move(text);
        return e;
    }
};

/// Thrown by Result::value() on an error and Result::error() on a value (when exceptions are on).
class BadResultAccess : public std::exception {
public:
    const char* what() const noexcept override {
        return "modio_market::Result: value() read on an error, or error() on a value; check ok() first";
    }
};

namespace detail {
[[noreturn]] inline void bad_result_access() {
#if MODIO_MARKET_HPP_EXCEPTIONS
    throw BadResultAccess();
#else
    std::abort();
#endif
}
}  // namespace detail

/// A value or an Error. Must be checked: [[nodiscard]].
template <class T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }
    /// True when this is an error with that code.
    bool has_error(Code code) const noexcept { return !ok() && std::get_if<1>(&v_)->code == code; }
    /// True when this is an error with that mod.io error_ref.
    bool has_error_ref(std::int64_t ref) const noexcept { return !ok() && std::get_if<1>(&v_)->error_ref == ref; }

    T& value() & {
        if (!ok()) detail::bad_result_access();
        return *std::get_if<0>(&v_);
    }
    const T& value() const& {
        if (!ok()) detail::bad_result_access();
        return *std::get_if<0>(&v_);
    }
    T&& value() && {
        if (!ok()) detail::bad_result_access();
        return std::move(*std::get_if<0>(&v_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U>
    T value_or(U&& fallback) const& {
        return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
    }
    template <class U>
    T value_or(U&& fallback) && {
        return ok() ? std::move(*std::get_if<0>(&v_)) : static_cast<T>(std::forward<U>(fallback));
    }

    const Error& error() const& {
        if (ok()) detail::bad_result_access();
        return *std::get_if<1>(&v_);
    }
    Error&& error() && {
        if (ok()) detail::bad_result_access();
        return std::move(*std::get_if<1>(&v_));
    }

private:
    std::variant<T, Error> v_;
};

/// Success without a value, or an Error. Must be checked: [[nodiscard]].
template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;
    Result(Error e) : error_(std::move(e)) {}

    bool ok() const noexcept { return !error_.has_value(); }
    explicit operator bool() const noexcept { return ok(); }
    bool has_error(Code code) const noexcept { return error_.has_value() && error_->code == code; }
    bool has_error_ref(std::int64_t ref) const noexcept { return error_.has_value() && error_->error_ref == ref; }
    void value() const {
        if (!ok()) detail::bad_result_access();
    }
    const Error& error() const& {
        if (ok()) detail::bad_result_access();
        return *error_;
    }
    Error&& error() && {
        if (ok()) detail::bad_result_access();
        return std::move(*error_);
    }

private:
    std::optional<Error> error_;
};

// ---------------------------------------------------------------------------------------------
// Value types (owned copies of what the library passes to callbacks)
// ---------------------------------------------------------------------------------------------

/// A user access token. SECRET: never log it. Already kept by the Client that authenticated; store
/// it securely to restore a session later with Client::set_access_token.
struct AccessToken {
    std::string token;
    /// Unix time the token expires.
    std::int64_t date_expires = 0;
};

/// The user's wallet for the game; amounts in the game's virtual currency.
struct Wallet {
    std::string wallet_type;
    std::string currency;
    std::string payment_method_id;
    std::uint64_t game_id = 0;
    std::int64_t balance = 0;
    std::int64_t pending_balance = 0;
    std::int64_t deficit = 0;
    /// MODIO_MARKET_MONETIZATION_STATUS_* flags; 0 = unregistered.
    std::uint32_t monetization_status = 0;

    bool has_status(std::uint32_t flag) const noexcept { return (monetization_status & flag) != 0; }
};

/// One entitlement line of a sync.
struct Entitlement {
    std::string transaction_id;
    EntitlementState state = EntitlementState::Failed;
    /// "failed", "pending", "fulfilled", "consume limit exceeded" or "unknown".
    std::string state_name;
    std::string sku_id;
    bool consumed = false;
    /// 0 = virtual currency.
    std::int64_t entitlement_type = 0;
    /// `details` as JSON, if mod.io sent any.
    std::optional<std::string> details_json;

    bool fulfilled() const noexcept { return state == EntitlementState::Fulfilled; }
};

/// The answer of an entitlement sync.
struct EntitlementSync {
    /// Wallet balance after the sync.
    std::int64_t balance = 0;
    std::vector<Entitlement> entitlements;
};

/// The game's settings that matter to a store.
struct Game {
    std::uint64_t id = 0;
    std::string name;
    /// MODIO_MARKET_API_ACCESS_* flags.
    std::uint32_t api_access_options = 0;
    bool open = false;
    bool direct_downloads = false;
    bool authorised_downloads_only = false;
    bool paid_downloads_need_purchase = false;
    /// The game's name for its virtual currency.
    std::string token_name;
    /// The whole game object as mod.io sent it.
    std::string json;
};

/// A mod with what a store page needs.
struct Mod {
    std::uint64_t id = 0;
    std::uint64_t game_id = 0;
    std::string name;
    std::string name_id;
    std::string summary;
    /// Price in virtual currency; 0 for free mods.
    std::int64_t price = 0;
    std::string logo_url;
    std::string profile_url;
    std::uint64_t modfile_id = 0;
    /// Size of the modfile in bytes.
    std::uint64_t filesize = 0;
    std::string md5;
    std::string version;
    std::uint64_t downloads_total = 0;
    /// Percentage of positive ratings, 0-100.
    std::uint32_t rating_percentage_positive = 0;
    double rating_weighted_aggregate = 0.0;
    std::string rating_display_text;
    /// The whole mod object as mod.io sent it.
    std::string json;

    bool is_free() const noexcept { return price == 0; }
};

/// One page of a mod list.
/// What Client::get_mods lists: the filters and the order of a store page (every field is
/// optional; they combine with AND). The library checks it (limit 1-100, at most 100 ids and 32
/// tags per list, no comma in a tag, price_min <= price_max) before anything is sent.
struct ModQuery {
    RevenueType revenue_type = RevenueType::Paid;
    std::uint64_t offset = 0;
    /// 1 to 100.
    std::uint32_t limit = 100;
    /// Full-text search on the name; empty for none.
    std::string search;
    ModSortField sort = ModSortField::Id;
    /// Most downloads, newest, most expensive first.
    bool descending = false;
    /// Only these mods (a wishlist, a bundle).
    std::vector<std::uint64_t> ids;
    /// Only mods with every one of these tags / with at least one of them.
    std::vector<std::string> tags_all;
    std::vector<std::string> tags_any;
    std::optional<std::uint64_t> price_min;
    std::optional<std::uint64_t> price_max;
};

struct ModPage {
    std::vector<Mod> mods;
    std::uint64_t result_offset = 0;
    std::uint64_t result_limit = 0;
    /// Every mod matching the query, across pages.
    std::uint64_t result_total = 0;
};

/// A mod.io transaction.
struct Transaction {
    std::uint64_t id = 0;
    std::string gateway_uuid;
    std::int64_t gross_amount = 0;
    std::int64_t net_amount = 0;
    std::int64_t platform_fee = 0;
    std::int64_t gateway_fee = 0;
    std::int64_t tax = 0;
    std::string tax_type;
    TransactionState state = TransactionState::Other;
    /// The state as text ("paid", or what the server sent for Other).
    std::string state_name;
    /// `meta` as JSON.
    std::string meta_json;
    /// Unix time.
    std::int64_t purchase_date = 0;
};

/// A completed checkout.
struct Checkout {
    Transaction transaction;
    /// Wallet balance after the purchase.
    std::int64_t balance = 0;
    std::int64_t deficit = 0;
    std::string wallet_type;
    std::string payment_method_id;
    /// The idempotency key the purchase was made with (generated when none was given).
    std::string idempotency_key;
    Mod purchased_mod;
};

/// Every mod the user has purchased.
struct Purchases {
    std::vector<Mod> mods;
};

/// A user delegation token for the studio's purchase server. SECRET: send it to your backend only.
struct DelegationToken {
    std::string entity;
    std::string token;
};

enum class RecoveryOutcome : std::uint32_t {
    // <generated:recovery-outcomes> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
    /// Resent with its key: the purchase went through; checkout holds the receipt.
    Completed = MODIO_MARKET_RECOVERY_OUTCOME_COMPLETED,
    /// Resent with its key: mod.io refused it definitively; see error.
    Failed = MODIO_MARKET_RECOVERY_OUTCOME_FAILED,
    /// Older than the key's 24 hours, and the mod is in the purchased list: it was bought.
    Owned = MODIO_MARKET_RECOVERY_OUTCOME_OWNED,
    /// Older than the key's 24 hours, and not purchased: it never went through.
    Abandoned = MODIO_MARKET_RECOVERY_OUTCOME_ABANDONED,
    /// Still no definitive answer (offline, 5xx, rate limited); kept for the next recovery; see error.
    StillPending = MODIO_MARKET_RECOVERY_OUTCOME_STILL_PENDING,
    /// A journal file was unreadable; it was moved aside to journal_file; see error.
    CorruptJournal = MODIO_MARKET_RECOVERY_OUTCOME_CORRUPT_JOURNAL,
    // </generated:recovery-outcomes>
};

/// How a checkout journaled in the data directory (by this run or an earlier one) ended.
struct RecoveryReport {
    RecoveryOutcome outcome = RecoveryOutcome::StillPending;
    std::uint64_t user_id = 0;
    std::uint64_t mod_id = 0;
    std::int64_t display_amount = 0;
    std::string idempotency_key;
    /// Unix seconds of the original attempt.
    std::int64_t attempted_at = 0;
    /// The receipt, for Completed.
    std::optional<Checkout> checkout;
    /// Why, for Failed, StillPending and CorruptJournal.
    std::optional<Error> error;
    /// Where an unreadable journal file was kept, for CorruptJournal.
    std::string journal_file;
};

/// The S2S service token, described without the token itself.
struct ServiceToken {
    /// "Bearer".
    std::string token_type;
    /// The scopes granted, comma-separated.
    std::string scopes;
    /// The lifetime mod.io gave, in seconds; -1 when it gave none.
    std::int64_t expires_in_secs = -1;
};

/// One `meta` line of an S2S transaction (the token pack, or the mod, and the buyer).
struct S2sMetaLine {
    std::uint64_t game_id = 0;
    std::uint64_t buyer_id = 0;
    /// 0 when the line is not about a mod.
    std::uint64_t mod_id = 0;
    std::string game_name;
    std::string buyer_name;
    std::string mod_name;
    std::string token_name;
    std::uint64_t token_pack_id = 0;
    std::string token_pack_name;
    /// The line as mod.io sent it.
    std::string json;
};

/// An S2S transaction (intent, commit or clawback).
struct S2sTransaction {
    Transaction transaction;
    std::vector<S2sMetaLine> meta;
    /// The idempotency key the call was sent with (generated when none was given); store it to
    /// repeat the call safely. Empty for clawbacks.
    std::string idempotency_key;
};

/// A link mod.io's terms name (terms of use, privacy policy, refund policy...).
struct TermsLink {
    /// The link's key: "website", "terms", "privacy", "refund", "manage".
    std::string name;
    /// The text to show, in the configured language.
    std::string text;
    std::string url;
    /// The game must show this link.
    bool required = false;
};

/// What the game shows before a player's first sign-in (Client::get_terms): the text, a button
/// for each answer, the links. Pass the player's answer as `terms_agreed` when signing in.
struct Terms {
    std::string plaintext;
    std::string html;
    std::string agree_text;
    std::string disagree_text;
    std::vector<TermsLink> links;

    /// The link named `name`, or nullptr.
    const TermsLink* link(std::string_view name) const noexcept {
        for (const TermsLink& l : links) {
            if (l.name == name) return &l;
        }
        return nullptr;
    }
};

/// The signed-in player.
struct User {
    std::uint64_t id = 0;
    std::string username;
};

/// A virtual currency pack the game sells on a platform store.
struct TokenPack {
    std::uint64_t id = 0;
    std::uint64_t token_pack_id = 0;
    /// The platform price, in its smallest unit (cents).
    std::int64_t price = 0;
    /// The virtual currency it gives.
    std::int64_t amount = 0;
    /// The store selling it ("STEAM", ...).
    std::string portal;
    std::string sku;
    std::string name;
    std::string description;
    std::int64_t date_added = 0;
    std::int64_t date_updated = 0;
};

/// The game's currency packs and its name for the currency.
struct TokenPacks {
    std::vector<TokenPack> packs;
    std::string token_name;
};

/// A platform purchase not converted into virtual currency yet.
struct UnconvertedEntitlement {
    std::string sku_id;
    /// An EntitlementKind value, or another number mod.io sent.
    std::int64_t entitlement_type = 0;

    bool is_token_pack() const noexcept { return entitlement_type == static_cast<std::int64_t>(EntitlementKind::TokenPack); }
};

/// What the player bought on the platform and has not converted yet.
struct UnconvertedEntitlements {
    std::vector<UnconvertedEntitlement> entitlements;
    /// Every match, across pages.
    std::uint64_t total = 0;

    std::size_t token_packs() const noexcept {
        std::size_t n = 0;
        for (const UnconvertedEntitlement& e : entitlements) n += e.is_token_pack() ? std::size_t{1} : std::size_t{0};
        return n;
    }
};

/// One file of a mod.
struct Modfile {
    std::uint64_t id = 0;
    std::uint64_t mod_id = 0;
    std::uint64_t filesize = 0;
    std::uint64_t filesize_uncompressed = 0;
    /// Lowercase hex.
    std::string md5;
    std::string filename;
    std::string version;
    std::string changelog;
    std::string metadata_blob;
    /// Needs the player's token and expires at date_expires when the game restricts downloads.
    std::string binary_url;
    std::int64_t date_added = 0;
    std::int64_t date_expires = 0;
    std::uint32_t virus_status = 0;
    std::uint32_t virus_positive = 0;
};

/// An installed mod.
struct InstalledMod {
    std::uint64_t mod_id = 0;
    /// A newer modfile on mod.io means an update: install again.
    std::uint64_t modfile_id = 0;
    std::string version;
    std::string md5;
    /// `{install_dir}/{mod_id}`, UTF-8.
    std::string path;
    std::int64_t installed_at = 0;
    /// Bytes extracted.
    std::uint64_t size = 0;
};

/// How far a download has come.
struct DownloadProgress {
    std::uint64_t bytes_done = 0;
    /// 0 while unknown.
    std::uint64_t bytes_total = 0;
};

/// What S2sClient::transactions lists; every field is optional (empty / 0 = not set).
struct TransactionQuery {
    /// CANCELLED, CLEARED, CREDITED, FAILED, PAID, PENDING, REFUNDED (case-insensitive).
    std::vector<std::string> transaction_types;
    /// FIAT, TOKEN or EXTERNAL.
    std::string monetization_type;
    std::uint64_t buyer_id = 0;
    /// The transaction an intent with this uuid made.
    std::string gateway_uuid;
    std::string clawback_uuid;
    /// A line item's key (mod_id, buyer_id, game_id, token_pack_id) and the value it must have.
    std::string line_item_key;
    std::uint64_t line_item_value = 0;
    /// Unix time: only transactions from then on.
    std::optional<std::int64_t> created_at_start;
    /// 1 to 100; 0 for the server's default.
    std::uint32_t limit = 0;
    /// A next_cursor / prev_cursor of an earlier page.
    std::string cursor;
};

/// One transaction of the studio's history.
struct HistoryTransaction {
    std::uint64_t id = 0;
    std::string gateway_uuid;
    std::string gateway_name;
    std::uint64_t account_id = 0;
    /// The buyer the line items name (0 when none does).
    std::uint64_t buyer_id = 0;
    std::int64_t gross_amount = 0;
    std::int64_t net_amount = 0;
    std::int64_t platform_fee = 0;
    std::int64_t gateway_fee = 0;
    std::int64_t tax = 0;
    std::string tax_type;
    std::string currency;
    std::int64_t tokens = 0;
    TransactionState state = TransactionState::Other;
    std::string state_name;
    std::string monetization_type;
    /// As sent: "2024-10-07 02:29:11".
    std::string purchase_date;
    /// Microseconds since the epoch, as sent.
    std::string created_at;
    std::vector<S2sMetaLine> line_items;
    std::string json;
};

/// One page of the history, newest first.
struct HistoryPage {
    std::vector<HistoryTransaction> transactions;
    /// For TransactionQuery::cursor; empty on the last page.
    std::optional<std::string> next_cursor;
    std::optional<std::string> prev_cursor;
    std::uint64_t per_page = 0;
};

/// A request's completion handler: runs exactly once, inside poll()/wait() (or the Client's
/// destructor, with Code::ShutDown).
template <class T>
using Callback = std::function<void(Result<T>)>;

/// Receives log records inside poll()/wait(); the text never contains a secret.
using LogCallback = std::function<void(LogLevel, std::string_view)>;

/// Receives checkout recovery reports inside poll()/wait().
using RecoveryCallback = std::function<void(const RecoveryReport&)>;

/// Receives a download's progress inside poll()/wait(), at most five times a second, never after
/// the install's completion callback.
using ProgressCallback = std::function<void(RequestId, DownloadProgress)>;

// ---------------------------------------------------------------------------------------------
// Internals: C view -> C++ value conversion, argument checks, trampolines
// ---------------------------------------------------------------------------------------------

namespace detail {

inline std::string str(const char* s) { return s != nullptr ? std::string(s) : std::string(); }

inline std::optional<std::string> opt_str(const char* s) {
    if (s == nullptr) return std::nullopt;
    return std::string(s);
}

inline Error from_c(const modio_market_error& e) {
    Error out;
    out.code = static_cast<Code>(e.code);
    out.http_status = e.http_status;
    out.error_ref = e.error_ref;
    out.error_ref_name = str(e.error_ref_name);
    out.message = str(e.message);
    out.retry_after_secs = e.retry_after_secs;
    if (e.field_errors != nullptr) {
        out.field_errors.reserve(e.field_error_count);
        for (std::size_t i = 0; i < e.field_error_count; ++i) {
            const modio_market_field_error* f = e.field_errors[i];
            if (f != nullptr) out.field_errors.push_back(FieldError{str(f->field), str(f->message)});
        }
    }
    return out;
}

/// The error of a failed C call: its code and this thread's last error text (read at once).
inline Error call_error(modio_market_result rc) {
    Error e;
    e.code = static_cast<Code>(rc);
    e.message = last_error_message();
    if (e.message.empty()) {
        e.message = std::string(code_message(e.code));
    }
    return e;
}

inline Result<void> to_result(modio_market_result rc) {
    if (rc == MODIO_MARKET_RESULT_OK) return Result<void>();
    return call_error(rc);
}

inline AccessToken from_c(const modio_market_access_token& t) { return AccessToken{str(t.access_token), t.date_expires}; }

inline Wallet from_c(const modio_market_wallet& w) {
    Wallet out;
    out.wallet_type = str(w.wallet_type);
    out.currency = str(w.currency);
    out.payment_method_id = str(w.payment_method_id);
    out.game_id = w.game_id;
    out.balance = w.balance;
    out.pending_balance = w.pending_balance;
    out.deficit = w.deficit;
    out.monetization_status = w.monetization_status;
    return out;
}

inline Entitlement from_c(const modio_market_entitlement& e) {
    Entitlement out;
    out.transaction_id = str(e.transaction_id);
    out.state = static_cast<EntitlementState>(e.state);
    out.state_name = str(e.state_name);
    out.sku_id = str(e.sku_id);
    out.consumed = e.consumed;
    out.entitlement_type = e.entitlement_type;
    out.details_json = opt_str(e.details_json);
    return out;
}

inline EntitlementSync from_c(const modio_market_entitlement_sync& s) {
    EntitlementSync out;
    out.balance = s.balance;
    if (s.entitlements != nullptr) {
        out.entitlements.reserve(s.entitlement_count);
        for (std::size_t i = 0; i < s.entitlement_count; ++i) {
            if (s.entitlements[i] != nullptr) out.entitlements.push_back(from_c(*s.entitlements[i]));
        }
    }
    return out;
}

inline Game from_c(const modio_market_game& g) {
    Game out;
    out.id = g.id;
    out.name = str(g.name);
    out.api_access_options = g.api_access_options;
    out.open = g.open;
    out.direct_downloads = g.direct_downloads;
    out.authorised_downloads_only = g.authorised_downloads_only;
    out.paid_downloads_need_purchase = g.paid_downloads_need_purchase;
    out.token_name = str(g.token_name);
    out.json = str(g.json);
    return out;
}

inline Mod from_c(const modio_market_mod& m) {
    Mod out;
    out.id = m.id;
    out.game_id = m.game_id;
    out.name = str(m.name);
    out.name_id = str(m.name_id);
    out.summary = str(m.summary);
    out.price = m.price;
    out.logo_url = str(m.logo_url);
    out.profile_url = str(m.profile_url);
    out.modfile_id = m.modfile_id;
    out.filesize = m.filesize;
    out.md5 = str(m.md5);
    out.version = str(m.version);
    out.downloads_total = m.downloads_total;
    out.rating_percentage_positive = m.rating_percentage_positive;
    out.rating_weighted_aggregate = m.rating_weighted_aggregate;
    out.rating_display_text = str(m.rating_display_text);
    out.json = str(m.json);
    return out;
}

inline std::vector<Mod> mods_from_c(const modio_market_mod* const* mods, std::size_t count) {
    std::vector<Mod> out;
    if (mods != nullptr) {
        out.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            if (mods[i] != nullptr) out.push_back(from_c(*mods[i]));
        }
    }
    return out;
}

inline ModPage from_c(const modio_market_mod_page& p) {
    ModPage out;
    out.mods = mods_from_c(p.mods, p.mod_count);
    out.result_offset = p.result_offset;
    out.result_limit = p.result_limit;
    out.result_total = p.result_total;
    return out;
}

inline Transaction from_c(const modio_market_transaction& t) {
    Transaction out;
    out.id = t.id;
    out.gateway_uuid = str(t.gateway_uuid);
    out.gross_amount = t.gross_amount;
    out.net_amount = t.net_amount;
    out.platform_fee = t.platform_fee;
    out.gateway_fee = t.gateway_fee;
    out.tax = t.tax;
    out.tax_type = str(t.tax_type);
    out.state = static_cast<TransactionState>(t.state);
    out.state_name = str(t.state_name);
    out.meta_json = str(t.meta_json);
    out.purchase_date = t.purchase_date;
    return out;
}

inline Checkout from_c(const modio_market_checkout& c) {
    Checkout out;
    if (c.transaction != nullptr) out.transaction = from_c(*c.transaction);
    out.balance = c.balance;
    out.deficit = c.deficit;
    out.wallet_type = str(c.wallet_type);
    out.payment_method_id = str(c.payment_method_id);
    out.idempotency_key = str(c.idempotency_key);
    if (c.purchased_mod != nullptr) out.purchased_mod = from_c(*c.purchased_mod);
    return out;
}

inline Purchases from_c(const modio_market_purchases& p) { return Purchases{mods_from_c(p.mods, p.mod_count)}; }

inline DelegationToken from_c(const modio_market_delegation_token& d) { return DelegationToken{str(d.entity), str(d.token)}; }

inline RecoveryReport from_c(const modio_market_recovery& r) {
    RecoveryReport out;
    out.outcome = static_cast<RecoveryOutcome>(r.outcome);
    out.user_id = r.user_id;
    out.mod_id = r.mod_id;
    out.display_amount = r.display_amount;
    out.idempotency_key = str(r.idempotency_key);
    out.attempted_at = r.attempted_at;
    if (r.checkout != nullptr) out.checkout = from_c(*r.checkout);
    if (r.error != nullptr) out.error = from_c(*r.error);
    out.journal_file = str(r.journal_file);
    return out;
}

inline ServiceToken from_c(const modio_market_s2s_service_token& t) {
    return ServiceToken{str(t.token_type), str(t.scopes), t.expires_in_secs};
}

inline std::vector<S2sMetaLine> meta_from_c(const modio_market_s2s_meta_line* const* lines, std::size_t count) {
    std::vector<S2sMetaLine> out;
    if (lines == nullptr) return out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (lines[i] == nullptr) continue;
        const modio_market_s2s_meta_line& m = *lines[i];
        S2sMetaLine line;
        line.game_id = m.game_id;
        line.buyer_id = m.buyer_id;
        line.mod_id = m.mod_id;
        line.game_name = str(m.game_name);
        line.buyer_name = str(m.buyer_name);
        line.mod_name = str(m.mod_name);
        line.token_name = str(m.token_name);
        line.token_pack_id = m.token_pack_id;
        line.token_pack_name = str(m.token_pack_name);
        line.json = str(m.json);
        out.push_back(std::move(line));
    }
    return out;
}

inline S2sTransaction from_c(const modio_market_s2s_transaction& t) {
    S2sTransaction out;
    if (t.transaction != nullptr) out.transaction = from_c(*t.transaction);
    out.meta = meta_from_c(t.meta, t.meta_count);
    out.idempotency_key = str(t.idempotency_key);
    return out;
}

// The item conversions list_from_c calls, declared before it (a template sees only the
// overloads declared before its definition: the C views are not in this namespace).
inline TermsLink from_c(const modio_market_terms_link& l);
inline TokenPack from_c(const modio_market_token_pack& p);
inline UnconvertedEntitlement from_c(const modio_market_unconverted_entitlement& e);
inline InstalledMod from_c(const modio_market_installed_mod& m);
inline HistoryTransaction from_c(const modio_market_s2s_history_transaction& t);

/// The `count` items of a C array of pointers, converted (NULL entries skipped).
template <class T, class CView>
std::vector<T> list_from_c(const CView* const* items, std::size_t count) {
    std::vector<T> out;
    if (items == nullptr) return out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (items[i] != nullptr) out.push_back(from_c(*items[i]));
    }
    return out;
}

inline TermsLink from_c(const modio_market_terms_link& l) { return TermsLink{str(l.name), str(l.text), str(l.url), l.required}; }

inline Terms from_c(const modio_market_terms& t) {
    Terms out;
    out.plaintext = str(t.plaintext);
    out.html = str(t.html);
    out.agree_text = str(t.agree_text);
    out.disagree_text = str(t.disagree_text);
    out.links = list_from_c<TermsLink>(t.links, t.link_count);
    return out;
}

inline User from_c(const modio_market_user& u) { return User{u.id, str(u.username)}; }

inline TokenPack from_c(const modio_market_token_pack& p) {
    return TokenPack{p.id, p.token_pack_id, p.price, p.amount, str(p.portal), str(p.sku), str(p.name), str(p.description),
                     p.date_added, p.date_updated};
}

inline TokenPacks from_c(const modio_market_token_packs& p) {
    return TokenPacks{list_from_c<TokenPack>(p.packs, p.pack_count), str(p.token_name)};
}

inline UnconvertedEntitlement from_c(const modio_market_unconverted_entitlement& e) {
    return UnconvertedEntitlement{str(e.sku_id), e.entitlement_type};
}

inline UnconvertedEntitlements from_c(const modio_market_unconverted_entitlements& u) {
    return UnconvertedEntitlements{list_from_c<UnconvertedEntitlement>(u.entitlements, u.entitlement_count), u.total};
}

inline Modfile from_c(const modio_market_modfile& f) {
    Modfile out;
    out.id = f.id;
    out.mod_id = f.mod_id;
    out.filesize = f.filesize;
    out.filesize_uncompressed = f.filesize_uncompressed;
    out.md5 = str(f.md5);
    out.filename = str(f.filename);
    out.version = str(f.version);
    out.changelog = str(f.changelog);
    out.metadata_blob = str(f.metadata_blob);
    out.binary_url = str(f.binary_url);
    out.date_added = f.date_added;
    out.date_expires = f.date_expires;
    out.virus_status = f.virus_status;
    out.virus_positive = f.virus_positive;
    return out;
}

inline InstalledMod from_c(const modio_market_installed_mod& m) {
    return InstalledMod{m.mod_id, m.modfile_id, str(m.version), str(m.md5), str(m.path), m.installed_at, m.size};
}

inline HistoryTransaction from_c(const modio_market_s2s_history_transaction& t) {
    HistoryTransaction out;
    out.id = t.id;
    out.gateway_uuid = str(t.gateway_uuid);
    out.gateway_name = str(t.gateway_name);
    out.account_id = t.account_id;
    out.buyer_id = t.buyer_id;
    out.gross_amount = t.gross_amount;
    out.net_amount = t.net_amount;
    out.platform_fee = t.platform_fee;
    out.gateway_fee = t.gateway_fee;
    out.tax = t.tax;
    out.tax_type = str(t.tax_type);
    out.currency = str(t.currency);
    out.tokens = t.tokens;
    out.state = static_cast<TransactionState>(t.state);
    out.state_name = str(t.state_name);
    out.monetization_type = str(t.monetization_type);
    out.purchase_date = str(t.purchase_date);
    out.created_at = str(t.created_at);
    out.line_items = meta_from_c(t.line_items, t.line_item_count);
    out.json = str(t.json);
    return out;
}

inline HistoryPage from_c(const modio_market_s2s_history_page& p) {
    HistoryPage out;
    out.transactions = list_from_c<HistoryTransaction>(p.transactions, p.transaction_count);
    out.next_cursor = opt_str(p.next_cursor);
    out.prev_cursor = opt_str(p.prev_cursor);
    out.per_page = p.per_page;
    return out;
}

/// A string argument as the C ABI wants it: NUL-terminated, with no NUL inside.
class CStr {
public:
    CStr(std::string_view value, const char* name) : value_(value), name_(name) {}
    /// Empty views become NULL (for the C ABI's optional strings).
    static CStr optional(std::string_view value, const char* name) {
        CStr s(value, name);
        s.null_when_empty_ = true;
        return s;
    }
    bool valid() const noexcept { return value_.find('\0') == std::string::npos; }
    Error error() const {
        return Error::make(Code::InvalidArgument, std::string("argument `") + name_ + "` contains a NUL byte");
    }
    const char* get() const noexcept { return null_when_empty_ && value_.empty() ? nullptr : value_.c_str(); }

private:
    std::string value_;
    const char* name_;
    bool null_when_empty_ = false;
};

/// The first invalid argument's error, if any.
inline std::optional<Error> first_invalid(std::initializer_list<const CStr*> args) {
    for (const CStr* a : args) {
        if (!a->valid()) return a->error();
    }
    return std::nullopt;
}

/// The clients whose poll/wait is running on this thread, innermost first: a Client destroyed
/// from inside one of its own callbacks is freed by the library only when that poll returns.
struct PumpMark {
    const void* client;
    const PumpMark* previous;

    static const PumpMark*& top() noexcept {
        static thread_local const PumpMark* current = nullptr;
        return current;
    }
    static bool active(const void* c) noexcept {
        for (const PumpMark* m = top(); m != nullptr; m = m->previous) {
            if (m->client == c) return true;
        }
        return false;
    }
    explicit PumpMark(const void* c) noexcept : client(c), previous(top()) { top() = this; }
    ~PumpMark() { top() = previous; }
    PumpMark(const PumpMark&) = delete;
    PumpMark& operator=(const PumpMark&) = delete;
};

/// Depth of log callbacks running on this thread.
inline int& log_callback_depth() noexcept {
    static thread_local int depth = 0;
    return depth;
}

/// The heap-allocated log callback; user_data of the C log callback.
struct LogSlot {
    LogCallback callback;
};

inline void log_trampoline(void* user_data, modio_market_log_level level, const char* message) noexcept {
    auto* slot = static_cast<LogSlot*>(user_data);
    if (slot == nullptr || !slot->callback) return;
    ++log_callback_depth();
    MODIO_MARKET_HPP_TRY {
        slot->callback(static_cast<LogLevel>(level), message != nullptr ? std::string_view(message) : std::string_view());
    }
    MODIO_MARKET_HPP_CATCH_ALL
    --log_callback_depth();
}

/// Depth of recovery callbacks running on this thread.
inline int& recovery_callback_depth() noexcept {
    static thread_local int depth = 0;
    return depth;
}

/// The heap-allocated recovery callback; user_data of the C recovery callback.
struct RecoverySlot {
    RecoveryCallback callback;
};

inline void recovery_trampoline(void* user_data, const modio_market_recovery* report) noexcept {
    auto* slot = static_cast<RecoverySlot*>(user_data);
    if (slot == nullptr || !slot->callback || report == nullptr) return;
    ++recovery_callback_depth();
    MODIO_MARKET_HPP_TRY { slot->callback(from_c(*report)); }
    MODIO_MARKET_HPP_CATCH_ALL
    --recovery_callback_depth();
}

/// What a client keeps alive for the library: the log and recovery callbacks. A replaced
/// callback is retired, not deleted: the library stops calling it once replaced, but a call
/// already running on the polling thread may still be using it, and nothing says when that call
/// ends. Retired callbacks go with the client.
struct ClientState {
    std::mutex mutex;  // serializes replacing the callbacks
    std::unique_ptr<LogSlot> log;
    std::unique_ptr<RecoverySlot> recovery;
    std::vector<std::unique_ptr<LogSlot>> retired_logs;
    std::vector<std::unique_ptr<RecoverySlot>> retired_recoveries;

    void replace_log(std::unique_ptr<LogSlot> slot) {
        if (log != nullptr) retired_logs.push_back(std::move(log));
        log = std::move(slot);
    }
    void replace_recovery(std::unique_ptr<RecoverySlot> slot) {
        if (recovery != nullptr) retired_recoveries.push_back(std::move(recovery));
        recovery = std::move(slot);
    }
};

/// Runs `callback` with a request's outcome. Never lets an exception out.
template <class T, class CView>
void deliver(Callback<T>& callback, const modio_market_error* error, const CView* view) noexcept {
    MODIO_MARKET_HPP_TRY {
        if (error != nullptr) {
            callback(Result<T>(from_c(*error)));
        } else if (view != nullptr) {
            callback(Result<T>(from_c(*view)));
        } else {
            callback(Result<T>(Error::make(Code::Internal, "the library passed neither a result nor an error")));
        }
    }
    MODIO_MARKET_HPP_CATCH_ALL
}

/// Runs a request's callback once with its outcome, then deletes it. Never lets an exception out.
template <class T, class CView>
void complete(void* user_data, std::uint64_t /*request_id*/, const modio_market_error* error, const CView* view) noexcept {
    std::unique_ptr<Callback<T>> callback(static_cast<Callback<T>*>(user_data));
    if (!callback) return;
    deliver<T, CView>(*callback, error, view);
    MODIO_MARKET_HPP_TRY { callback.reset(); }
    MODIO_MARKET_HPP_CATCH_ALL
}

template <class CView>
using CCallback = void (*)(void*, std::uint64_t, const modio_market_error*, const CView*);

/// Moves `callback` to the heap and submits it; on failure deletes it and returns the error.
template <class T, class CView, class Submit>
Result<RequestId> start(Callback<T>&& callback, Submit&& submit) {
    if (!callback) {
        return Error::make(Code::NullPointer, "argument `callback` is an empty std::function");
    }
    auto heap = std::make_unique<Callback<T>>(std::move(callback));
    RequestId id = 0;
    const CCallback<CView> trampoline = &complete<T, CView>;
    const modio_market_result rc = submit(trampoline, static_cast<void*>(heap.get()), &id);
    if (rc != MODIO_MARKET_RESULT_OK) {
        Error e = call_error(rc);  // read the thread's last error before user destructors run
        heap.reset();
        return e;
    }
    heap.release();  // the library owns it now: complete<> deletes it
    return id;
}

/// An install's two handlers, owned by the library between submission and completion.
struct InstallCalls {
    Callback<InstalledMod> done;
    ProgressCallback progress;
};

inline void install_progress(void* user_data, std::uint64_t request_id, std::uint64_t bytes_done, std::uint64_t bytes_total) noexcept {
    auto* calls = static_cast<InstallCalls*>(user_data);
    if (calls == nullptr || !calls->progress) return;
    MODIO_MARKET_HPP_TRY { calls->progress(request_id, DownloadProgress{bytes_done, bytes_total}); }
    MODIO_MARKET_HPP_CATCH_ALL
}

inline void install_done(void* user_data, std::uint64_t /*request_id*/, const modio_market_error* error,
                         const modio_market_installed_mod* view) noexcept {
    std::unique_ptr<InstallCalls> calls(static_cast<InstallCalls*>(user_data));
    if (!calls) return;
    if (calls->done) deliver<InstalledMod, modio_market_installed_mod>(calls->done, error, view);
    MODIO_MARKET_HPP_TRY { calls.reset(); }
    MODIO_MARKET_HPP_CATCH_ALL
}

inline std::uint32_t clamp_ms(std::chrono::milliseconds ms) noexcept {
    if (ms.count() <= 0) return 0;
    if (ms.count() > static_cast<std::int64_t>((std::numeric_limits<std::uint32_t>::max)())) {
        return (std::numeric_limits<std::uint32_t>::max)();
    }
    return static_cast<std::uint32_t>(ms.count());
}

struct ConfigDeleter {
    void operator()(modio_market_config* c) const noexcept { modio_market_config_free(c); }
};
struct ClientDeleter {
    void operator()(modio_market_client* c) const noexcept { modio_market_client_free(c); }
};
struct InstalledListDeleter {
    void operator()(modio_market_installed_list* l) const noexcept { modio_market_installed_list_free(l); }
};
struct S2sClientDeleter {
    void operator()(modio_market_s2s_client* c) const noexcept { modio_market_s2s_client_free(c); }
};

/// The C calls Client and S2sClient share, so that pumping and logging are written once.
struct ClientCalls {
    using Raw = modio_market_client;
    static modio_market_result poll(Raw* raw, std::size_t* ran) noexcept { return modio_market_client_poll(raw, ran); }
    static modio_market_result wait(Raw* raw, std::uint64_t request, std::uint32_t ms, std::size_t* ran) noexcept {
        return modio_market_client_wait(raw, request, ms, ran);
    }
    static modio_market_result set_log(Raw* raw, std::uint32_t level, modio_market_log_cb cb, void* user_data) noexcept {
        return modio_market_client_set_log_callback(raw, level, cb, user_data);
    }
};
struct S2sClientCalls {
    using Raw = modio_market_s2s_client;
    static modio_market_result poll(Raw* raw, std::size_t* ran) noexcept { return modio_market_s2s_client_poll(raw, ran); }
    static modio_market_result wait(Raw* raw, std::uint64_t request, std::uint32_t ms, std::size_t* ran) noexcept {
        return modio_market_s2s_client_wait(raw, request, ms, ran);
    }
    static modio_market_result set_log(Raw* raw, std::uint32_t level, modio_market_log_cb cb, void* user_data) noexcept {
        return modio_market_s2s_client_set_log_callback(raw, level, cb, user_data);
    }
};

/// poll (request 0 and no timeout: never blocks) or wait. Touches nothing of the wrapper after
/// the C call: a callback may have destroyed it.
template <class Calls>
Result<std::size_t> pump(typename Calls::Raw* raw, bool blocking, std::uint64_t request, std::chrono::milliseconds timeout) {
    PumpMark mark(raw);
    std::size_t ran = 0;
    const modio_market_result rc = blocking ? Calls::wait(raw, request, clamp_ms(timeout), &ran) : Calls::poll(raw, &ran);
    if (rc != MODIO_MARKET_RESULT_OK) return call_error(rc);
    return ran;
}

/// Client::set_log_callback and S2sClient::set_log_callback.
template <class Calls>
Result<void> set_log_callback(typename Calls::Raw* raw, ClientState* state, LogLevel max_level, LogCallback callback) {
    if (log_callback_depth() > 0) {
        return Error::make(Code::Reentrant, "set_log_callback was called from inside the log callback");
    }
    if (raw == nullptr || state == nullptr) return to_result(Calls::set_log(nullptr, 0, nullptr, nullptr));
    std::lock_guard<std::mutex> lock(state->mutex);
    std::unique_ptr<LogSlot> slot;
    if (callback) {
        slot.reset(new LogSlot{std::move(callback)});
    }
    const modio_market_result rc = slot != nullptr
        ? Calls::set_log(raw, static_cast<std::uint32_t>(max_level), &log_trampoline, slot.get())
        : Calls::set_log(raw, static_cast<std::uint32_t>(max_level), nullptr, nullptr);
    if (rc != MODIO_MARKET_RESULT_OK) return call_error(rc);
    state->replace_log(std::move(slot));
    return Result<void>();
}

/// Before freeing a client from inside one of its own callbacks: the library frees it only when
/// that poll/wait returns and may log until then, so the log callback is detached first and its
/// slot can go now. From inside the log callback itself, detaching would deadlock: the slot is
/// kept instead (a small, one-off leak).
template <class Calls>
void detach_log_before_free(typename Calls::Raw* raw, ClientState& state) noexcept {
    if (state.log == nullptr) return;
    if (log_callback_depth() > 0) {
        (void)state.log.release();
    } else {
        (void)Calls::set_log(raw, MODIO_MARKET_LOG_LEVEL_ERROR, nullptr, nullptr);
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

/// A client configuration (game id, API key, environment or base URL, headers, timeouts).
/// Fill it on one thread, then make any number of Clients from it (each copies it).
class Config {
public:
    /// A configuration for `game_id` and its `api_key`, targeting the live environment.
    [[nodiscard]] static Result<Config> create(std::uint64_t game_id, std::string_view api_key) {
        detail::CStr key(api_key, "api_key");
        if (!key.valid()) return key.error();
        modio_market_config* raw = nullptr;
        const modio_market_result rc = modio_market_config_new(game_id, key.get(), &raw);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        return Config(raw);
    }

    Config(Config&&) noexcept = default;
    Config& operator=(Config&&) noexcept = default;
    Config(const Config&) = delete;
    Config& operator=(const Config&) = delete;
    ~Config() = default;

    bool valid() const noexcept { return handle_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    const modio_market_config* native_handle() const noexcept { return handle_.get(); }

    Result<void> set_environment(Environment environment) {
        return detail::to_result(modio_market_config_set_environment(handle_.get(), static_cast<std::uint32_t>(environment)));
    }
    /// Any base URL (`https://g-1.modapi.io/v1`, or `http://127.0.0.1:PORT/v1` for a local server).
    Result<void> set_base_url(std::string_view base_url) {
        detail::CStr url(base_url, "base_url");
        if (!url.valid()) return url.error();
        return detail::to_result(modio_market_config_set_base_url(handle_.get(), url.get()));
    }
    /// `X-Modio-Portal` (steam, xboxlive, psn, apple, google, epicgames, ...); empty clears it.
    Result<void> set_portal(std::string_view portal) {
        auto p = detail::CStr::optional(portal, "portal");
        if (!p.valid()) return p.error();
        return detail::to_result(modio_market_config_set_portal(handle_.get(), p.get()));
    }
    /// `X-Modio-Platform` (windows, ps5, xboxseriesx, android, ...); empty clears it.
    Result<void> set_platform(std::string_view platform) {
        auto p = detail::CStr::optional(platform, "platform");
        if (!p.valid()) return p.error();
        return detail::to_result(modio_market_config_set_platform(handle_.get(), p.get()));
    }
    /// Connect and whole-request timeouts (both > 0).
    Result<void> set_timeouts(std::chrono::milliseconds connect, std::chrono::milliseconds request) {
        return detail::to_result(modio_market_config_set_timeouts(handle_.get(), detail::clamp_ms(connect), detail::clamp_ms(request)));
    }
    /// Worker threads that run requests (1 to 64; default 2).
    Result<void> set_worker_threads(std::uint32_t threads) {
        return detail::to_result(modio_market_config_set_worker_threads(handle_.get(), threads));
    }
    /// Allows plain http:// to non-loopback hosts. Never in a shipped game.
    Result<void> set_allow_insecure_http(bool allow) {
        return detail::to_result(modio_market_config_set_allow_insecure_http(handle_.get(), allow));
    }
    /// Answers larger than this are refused with Code::ResponseTooLarge (default 4 MiB, min 1024).
    Result<void> set_max_response_bytes(std::size_t bytes) {
        return detail::to_result(modio_market_config_set_max_response_bytes(handle_.get(), bytes));
    }
    /// Retries of requests safe to repeat (GETs, checkout, syncs): `max_attempts` counts the first
    /// (1 = never retry, at most 20); exponential backoff from `base_delay` capped at `max_delay`;
    /// no retry that would end after `deadline`. Defaults: 4, 200 ms, 5000 ms, 20000 ms.
    Result<void> set_retry_policy(std::uint32_t max_attempts, std::chrono::milliseconds base_delay, std::chrono::milliseconds max_delay,
                                  std::chrono::milliseconds deadline) {
        return detail::to_result(modio_market_config_set_retry_policy(handle_.get(), max_attempts, detail::clamp_ms(base_delay),
                                                                  detail::clamp_ms(max_delay), detail::clamp_ms(deadline)));
    }
    /// Background resends of a checkout left without an answer (lost connection, 5xx, 429), with
    /// its key and the session it was made in: first after `first_delay`, doubling up to
    /// `max_delay`, `max_attempts` in all (0 = none). Outcomes reach Client::set_recovery_callback.
    /// Defaults: 2000 ms, 60000 ms, 8.
    Result<void> set_background_retry(std::chrono::milliseconds first_delay, std::chrono::milliseconds max_delay,
                                      std::uint32_t max_attempts) {
        return detail::to_result(modio_market_config_set_background_retry(handle_.get(), detail::clamp_ms(first_delay),
                                                                      detail::clamp_ms(max_delay), max_attempts));
    }

    /// A directory the game owns (created if missing) for the checkout journal, each user's
    /// purchased list and salted fingerprints of recent tokens (never a secret). With it, a
    /// checkout cut off by a crash or a lost connection is resumed with its idempotency key (see
    /// Client::set_recovery_callback), and owns() answers offline as soon as a token the
    /// directory has seen before is set.
    Result<void> set_data_dir(std::string_view path) {
        detail::CStr p(path, "path");
        if (!p.valid()) return p.error();
        return detail::to_result(modio_market_config_set_data_dir(handle_.get(), p.get()));
    }
    /// The language mod.io answers in (Accept-Language: the terms, error messages): "de",
    /// "pt-BR"; empty for mod.io's default (English).
    Result<void> set_language(std::string_view language) {
        auto l = detail::CStr::optional(language, "language");
        if (!l.valid()) return l.error();
        return detail::to_result(modio_market_config_set_language(handle_.get(), l.get()));
    }
    /// Where installed mods go, one directory per mod id (needed by Client::install_mod).
    Result<void> set_install_dir(std::string_view path) {
        detail::CStr p(path, "path");
        if (!p.valid()) return p.error();
        return detail::to_result(modio_market_config_set_install_dir(handle_.get(), p.get()));
    }
    /// The game's monetization team (for S2sClient::transactions); 0 clears it. Server-side.
    Result<void> set_monetization_team_id(std::uint64_t team_id) {
        return detail::to_result(modio_market_config_set_monetization_team_id(handle_.get(), team_id));
    }
    /// Also trusts the CA certificate(s) in `pem` (a private test server's CA); added to the
    /// bundled roots, never instead of them. Code::InvalidArgument when it holds no certificate.
    Result<void> add_root_certificate_pem(std::string_view pem) {
        detail::CStr p(pem, "pem");
        if (!p.valid()) return p.error();
        return detail::to_result(modio_market_config_add_root_certificate_pem(handle_.get(), p.get()));
    }

private:
    explicit Config(modio_market_config* raw) noexcept : handle_(raw) {}
    std::unique_ptr<modio_market_config, detail::ConfigDeleter> handle_;
};

// ---------------------------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------------------------

/// The marketplace client: owns the user's token, the ownership cache, worker threads and the
/// completion queue. Move-only. Destroying it runs every pending callback with Code::ShutDown on
/// the destroying thread, and no callback runs after the destructor returns.
class Client {
public:
    /// Starts a client (and its worker threads) from `config` (copied).
    [[nodiscard]] static Result<Client> create(const Config& config) {
        modio_market_client* raw = nullptr;
        const modio_market_result rc = modio_market_client_new(config.native_handle(), &raw);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        return Client(raw);
    }

    Client(Client&& other) noexcept : handle_(std::move(other.handle_)), state_(std::move(other.state_)) {}
    Client& operator=(Client&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::move(other.handle_);
            state_ = std::move(other.state_);
        }
        return *this;
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client() { reset(); }

    bool valid() const noexcept { return handle_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    /// The C handle, for calls this wrapper does not cover. Still owned by this Client.
    modio_market_client* native_handle() const noexcept { return handle_.get(); }

    /// Frees the client now (as the destructor does): pending callbacks run with Code::ShutDown.
    void reset() noexcept {
        modio_market_client* raw = handle_.release();
        std::unique_ptr<detail::ClientState> state = std::move(state_);
        if (raw == nullptr) return;
        if (state != nullptr && detail::PumpMark::active(raw)) {
            // Inside one of this client's callbacks: detach the log and recovery callbacks first
            // (see detach_log_before_free; the recovery callback follows the same rule).
            detail::detach_log_before_free<detail::ClientCalls>(raw, *state);
            if (state->recovery != nullptr) {
                if (detail::recovery_callback_depth() > 0) {
                    (void)state->recovery.release();
                } else {
                    (void)modio_market_client_set_recovery_callback(raw, nullptr, nullptr);
                }
            }
        }
        modio_market_client_free(raw);
        // `state` (the log and recovery callbacks) is released here, after the library let go.
    }

    // --- session ---------------------------------------------------------------------------

    /// Sets the user's access token (a saved session); empty clears it. Empties the ownership cache.
    Result<void> set_access_token(std::string_view access_token) {
        auto t = detail::CStr::optional(access_token, "access_token");
        if (!t.valid()) return t.error();
        return detail::to_result(modio_market_client_set_access_token(handle_.get(), t.get()));
    }
    /// Signs the user out.
    Result<void> clear_access_token() { return detail::to_result(modio_market_client_clear_access_token(handle_.get())); }

    /// Routes log records at `max_level` or more severe to `callback` (run inside poll/wait). An
    /// empty callback turns logging off. Not from inside the log callback (Code::Reentrant). A
    /// replaced callback (and what it captured) is released with the Client: a poll on another
    /// thread may still be running it when this returns.
    Result<void> set_log_callback(LogLevel max_level, LogCallback callback) {
        return detail::set_log_callback<detail::ClientCalls>(handle_.get(), state_.get(), max_level, std::move(callback));
    }
    Result<void> clear_log_callback() { return set_log_callback(LogLevel::Error, LogCallback()); }

    /// Hears how checkouts journaled in the data directory ended (Config::set_data_dir). Recovery
    /// starts whenever an access token is set, or after resume_checkouts(); reports run inside
    /// poll/wait, and those that arrive before a callback is registered wait for one. An empty
    /// callback unregisters. Not from inside the recovery callback (Code::Reentrant).
    Result<void> set_recovery_callback(RecoveryCallback callback) {
        if (detail::recovery_callback_depth() > 0) {
            return Error::make(Code::Reentrant, "set_recovery_callback was called from inside the recovery callback");
        }
        if (!handle_ || !state_) return detail::to_result(modio_market_client_set_recovery_callback(nullptr, nullptr, nullptr));
        std::lock_guard<std::mutex> lock(state_->mutex);
        std::unique_ptr<detail::RecoverySlot> slot;
        if (callback) {
            slot.reset(new detail::RecoverySlot{std::move(callback)});
        }
        const modio_market_result rc = slot != nullptr
            ? modio_market_client_set_recovery_callback(handle_.get(), &detail::recovery_trampoline, slot.get())
            : modio_market_client_set_recovery_callback(handle_.get(), nullptr, nullptr);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        state_->replace_recovery(std::move(slot));
        return Result<void>();
    }
    Result<void> clear_recovery_callback() { return set_recovery_callback(RecoveryCallback()); }

    /// Starts checkout recovery at the next poll: call it when the network is back after
    /// checkouts ended without a definitive answer. Does nothing without a data directory.
    Result<void> resume_checkouts() { return detail::to_result(modio_market_client_resume_checkouts(handle_.get())); }

    // --- pumping ---------------------------------------------------------------------------

    /// Runs the callbacks of every request completed so far, on this thread; never blocks.
    /// Returns how many ran. Call once per frame.
    Result<std::size_t> poll() { return detail::pump<detail::ClientCalls>(handle_.get(), false, 0, {}); }
    /// Blocks up to `timeout` until `request`'s callback has run, running callbacks meanwhile.
    /// Code::WaitTimedOut when the time passes; Code::RequestNotFound for unknown/finished ids.
    /// For tools, tests and loading screens; a game loop should use poll().
    Result<std::size_t> wait(RequestId request, std::chrono::milliseconds timeout) {
        if (request == 0) return Error::make(Code::RequestNotFound, "request id 0 is never a request; use wait_any");
        return wait_raw(request, timeout);
    }
    /// Blocks up to `timeout` until any callback has run.
    Result<std::size_t> wait_any(std::chrono::milliseconds timeout) { return wait_raw(0, timeout); }

    /// Cancels a pending request: its callback gets Code::Cancelled at the next poll, once.
    /// Code::RequestNotFound / Code::AlreadyCompleted otherwise. A cancelled checkout may still
    /// have been charged: refresh purchases to know.
    Result<void> cancel(RequestId request) { return detail::to_result(modio_market_client_cancel(handle_.get(), request)); }

    /// How many requests still wait for their callback.
    Result<std::size_t> pending_requests() const {
        std::size_t count = 0;
        const modio_market_result rc = modio_market_client_pending_requests(handle_.get(), &count);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        return count;
    }

    // --- authentication (the client keeps the token on success) ----------------------------

    /// Steam encrypted app ticket (base64). `terms_agreed`: the player accepted mod.io's terms.
    Result<RequestId> auth_steam(std::string_view appdata, bool terms_agreed, Callback<AccessToken> callback) {
        detail::CStr a(appdata, "appdata");
        if (auto e = detail::first_invalid({&a})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_steam(handle_.get(), a.get(), terms_agreed, cb, ud, id);
        });
    }
    /// Xbox Live token from GetTokenAndSignatureAsync (URL-encoded by the library).
    Result<RequestId> auth_xbox_live(std::string_view xbox_token, bool terms_agreed, Callback<AccessToken> callback) {
        detail::CStr t(xbox_token, "xbox_token");
        if (auto e = detail::first_invalid({&t})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_xbox_live(handle_.get(), t.get(), terms_agreed, cb, ud, id);
        });
    }
    /// PlayStation Network auth code; `env` is the PSN environment (none = production).
    Result<RequestId> auth_psn(std::string_view auth_code, std::optional<std::int64_t> env, bool terms_agreed,
                               Callback<AccessToken> callback) {
        detail::CStr c(auth_code, "auth_code");
        if (auto e = detail::first_invalid({&c})) return std::move(*e);
        const std::int64_t env_raw = env.value_or(-1);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_psn(handle_.get(), c.get(), env_raw, terms_agreed, cb, ud, id);
        });
    }
    /// Meta Quest / Rift: `device` "quest" or "rift", the nonce, the Meta user id and access token.
    Result<RequestId> auth_meta(std::string_view device, std::string_view nonce, std::uint64_t user_id, std::string_view access_token,
                                bool terms_agreed, Callback<AccessToken> callback) {
        detail::CStr d(device, "device"), n(nonce, "nonce"), t(access_token, "access_token");
        if (auto e = detail::first_invalid({&d, &n, &t})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_meta(handle_.get(), d.get(), n.get(), user_id, t.get(), terms_agreed, cb, ud, id);
        });
    }
    /// Apple `id_token`.
    Result<RequestId> auth_apple(std::string_view id_token, bool terms_agreed, Callback<AccessToken> callback) {
        detail::CStr t(id_token, "id_token");
        if (auto e = detail::first_invalid({&t})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_apple(handle_.get(), t.get(), terms_agreed, cb, ud, id);
        });
    }
    /// Google: a server `auth_code`, an `id_token`, or both (an empty view is left out; not both).
    Result<RequestId> auth_google(std::string_view auth_code, std::string_view id_token, bool terms_agreed,
                                  Callback<AccessToken> callback) {
        auto c = detail::CStr::optional(auth_code, "auth_code");
        auto t = detail::CStr::optional(id_token, "id_token");
        if (auto e = detail::first_invalid({&c, &t})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_google(handle_.get(), c.get(), t.get(), terms_agreed, cb, ud, id);
        });
    }
    /// Epic Games `id_token`.
    Result<RequestId> auth_epic(std::string_view id_token, bool terms_agreed, Callback<AccessToken> callback) {
        detail::CStr t(id_token, "id_token");
        if (auto e = detail::first_invalid({&t})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_epic(handle_.get(), t.get(), terms_agreed, cb, ud, id);
        });
    }
    /// A user delegation token: a studio tool acting as the player it was issued for (no terms
    /// answer is sent: the player gave it when signing in on the game).
    Result<RequestId> auth_udt(std::string_view delegation_token, Callback<AccessToken> callback) {
        detail::CStr t(delegation_token, "delegation_token");
        if (auto e = detail::first_invalid({&t})) return std::move(*e);
        return detail::start<AccessToken, modio_market_access_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_auth_udt(handle_.get(), t.get(), cb, ud, id);
        });
    }

    // --- the store page ----------------------------------------------------------------------

    /// mod.io's terms, in the configured language: show them before a player's first sign-in.
    Result<RequestId> get_terms(Callback<Terms> callback) {
        return detail::start<Terms, modio_market_terms>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_terms(handle_.get(), cb, ud, id);
        });
    }
    /// The signed-in player (needs an access token).
    Result<RequestId> get_user(Callback<User> callback) {
        return detail::start<User, modio_market_user>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_user(handle_.get(), cb, ud, id);
        });
    }
    /// The currency packs the game sells, with its currency name (needs an access token).
    Result<RequestId> get_token_packs(Callback<TokenPacks> callback) {
        return detail::start<TokenPacks, modio_market_token_packs>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_token_packs(handle_.get(), cb, ud, id);
        });
    }
    /// What the player bought on Steam and has not converted yet (converts nothing).
    Result<RequestId> unconverted_entitlements_steam(Callback<UnconvertedEntitlements> callback) {
        return detail::start<UnconvertedEntitlements, modio_market_unconverted_entitlements>(
            std::move(callback), [&](auto cb, void* ud, RequestId* id) {
                return modio_market_client_unconverted_entitlements_steam(handle_.get(), cb, ud, id);
            });
    }
    Result<RequestId> unconverted_entitlements_xbox_live(std::string_view xbox_token, Callback<UnconvertedEntitlements> callback) {
        detail::CStr t(xbox_token, "xbox_token");
        if (auto e = detail::first_invalid({&t})) return std::move(*e);
        return detail::start<UnconvertedEntitlements, modio_market_unconverted_entitlements>(
            std::move(callback), [&](auto cb, void* ud, RequestId* id) {
                return modio_market_client_unconverted_entitlements_xbox_live(handle_.get(), t.get(), cb, ud, id);
            });
    }
    /// PSN needs the configuration's platform ("ps4"/"ps5"); `env` / `service_label` left out when empty.
    Result<RequestId> unconverted_entitlements_psn(std::string_view auth_code, std::optional<std::int64_t> env,
                                                   std::optional<std::int64_t> service_label,
                                                   Callback<UnconvertedEntitlements> callback) {
        detail::CStr c(auth_code, "auth_code");
        if (auto e = detail::first_invalid({&c})) return std::move(*e);
        const std::int64_t env_raw = env.value_or(-1);
        const std::int64_t label_raw = service_label.value_or(-1);
        return detail::start<UnconvertedEntitlements, modio_market_unconverted_entitlements>(
            std::move(callback), [&](auto cb, void* ud, RequestId* id) {
                return modio_market_client_unconverted_entitlements_psn(handle_.get(), c.get(), env_raw, label_raw, cb, ud, id);
            });
    }
    /// Epic Games Store: a bearer token acting for the player, and the sandbox (empty: none).
    Result<RequestId> unconverted_entitlements_epic(std::string_view epicgames_token, std::string_view sandbox_id,
                                                    Callback<UnconvertedEntitlements> callback) {
        detail::CStr t(epicgames_token, "epicgames_token");
        auto s = detail::CStr::optional(sandbox_id, "sandbox_id");
        if (auto e = detail::first_invalid({&t, &s})) return std::move(*e);
        return detail::start<UnconvertedEntitlements, modio_market_unconverted_entitlements>(
            std::move(callback), [&](auto cb, void* ud, RequestId* id) {
                return modio_market_client_unconverted_entitlements_epic(handle_.get(), t.get(), s.get(), cb, ud, id);
            });
    }

    // --- wallet and entitlement sync (need an access token) ---------------------------------

    /// The user's wallet for the game (404 / 900022 when the game has no monetization team).
    Result<RequestId> get_wallet(Callback<Wallet> callback) {
        return detail::start<Wallet, modio_market_wallet>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_wallet(handle_.get(), cb, ud, id);
        });
    }
    /// Converts the user's Steam entitlements into virtual currency.
    Result<RequestId> sync_steam(Callback<EntitlementSync> callback) {
        return detail::start<EntitlementSync, modio_market_entitlement_sync>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_sync_steam(handle_.get(), cb, ud, id);
        });
    }
    Result<RequestId> sync_xbox_live(std::string_view xbox_token, Callback<EntitlementSync> callback) {
        detail::CStr t(xbox_token, "xbox_token");
        if (auto e = detail::first_invalid({&t})) return std::move(*e);
        return detail::start<EntitlementSync, modio_market_entitlement_sync>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_sync_xbox_live(handle_.get(), t.get(), cb, ud, id);
        });
    }
    /// `env` / `service_label` are left out when empty.
    Result<RequestId> sync_psn(std::string_view auth_code, std::optional<std::int64_t> env, std::optional<std::int64_t> service_label,
                               Callback<EntitlementSync> callback) {
        detail::CStr c(auth_code, "auth_code");
        if (auto e = detail::first_invalid({&c})) return std::move(*e);
        const std::int64_t env_raw = env.value_or(-1);
        const std::int64_t label_raw = service_label.value_or(-1);
        return detail::start<EntitlementSync, modio_market_entitlement_sync>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_sync_psn(handle_.get(), c.get(), env_raw, label_raw, cb, ud, id);
        });
    }
    /// `device` "quest" or "rift" and the Meta user id.
    Result<RequestId> sync_meta(std::string_view device, std::uint64_t user_id, Callback<EntitlementSync> callback) {
        detail::CStr d(device, "device");
        if (auto e = detail::first_invalid({&d})) return std::move(*e);
        return detail::start<EntitlementSync, modio_market_entitlement_sync>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_sync_meta(handle_.get(), d.get(), user_id, cb, ud, id);
        });
    }
    Result<RequestId> sync_apple(std::string_view receipt, Callback<EntitlementSync> callback) {
        detail::CStr r(receipt, "receipt");
        if (auto e = detail::first_invalid({&r})) return std::move(*e);
        return detail::start<EntitlementSync, modio_market_entitlement_sync>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_sync_apple(handle_.get(), r.get(), cb, ud, id);
        });
    }
    Result<RequestId> sync_google(std::string_view receipt, Callback<EntitlementSync> callback) {
        detail::CStr r(receipt, "receipt");
        if (auto e = detail::first_invalid({&r})) return std::move(*e);
        return detail::start<EntitlementSync, modio_market_entitlement_sync>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_sync_google(handle_.get(), r.get(), cb, ud, id);
        });
    }

    // --- browsing (the API key is enough) ---------------------------------------------------

    /// The game's settings.
    Result<RequestId> get_game(Callback<Game> callback) {
        return detail::start<Game, modio_market_game>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_game(handle_.get(), cb, ud, id);
        });
    }
    /// A page of mods: RevenueType::Paid for the premium store; `limit` 1-100; `search` (full
    /// text on the name) empty for none.
    Result<RequestId> get_mods(RevenueType revenue_type, std::uint64_t offset, std::uint32_t limit, std::string_view search,
                               Callback<ModPage> callback) {
        auto s = detail::CStr::optional(search, "search");
        if (auto e = detail::first_invalid({&s})) return std::move(*e);
        return detail::start<ModPage, modio_market_mod_page>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_mods(handle_.get(), static_cast<std::uint32_t>(revenue_type), offset, limit, s.get(), cb, ud, id);
        });
    }
    /// A page of mods with the filters and order of `query` (see ModQuery).
    Result<RequestId> get_mods(const ModQuery& query, Callback<ModPage> callback) {
        auto search = detail::CStr::optional(query.search, "search");
        if (auto e = detail::first_invalid({&search})) return std::move(*e);
        // The C strings and arrays live until the call returns; the library copies them.
        std::vector<detail::CStr> all, any;
        for (const std::string& t : query.tags_all) all.emplace_back(t, "tags_all");
        for (const std::string& t : query.tags_any) any.emplace_back(t, "tags_any");
        std::vector<const char*> all_ptrs, any_ptrs;
        for (const detail::CStr& t : all) {
            if (!t.valid()) return t.error();
            all_ptrs.push_back(t.get());
        }
        for (const detail::CStr& t : any) {
            if (!t.valid()) return t.error();
            any_ptrs.push_back(t.get());
        }
        modio_market_mod_query q{};
        q.struct_size = sizeof q;
        q.revenue_type = static_cast<std::uint32_t>(query.revenue_type);
        q.offset = query.offset;
        q.limit = query.limit;
        q.sort = static_cast<std::uint32_t>(query.sort);
        q.search = search.get();
        q.ids = query.ids.data();
        q.id_count = query.ids.size();
        q.tags_all = all_ptrs.data();
        q.tags_all_count = all_ptrs.size();
        q.tags_any = any_ptrs.data();
        q.tags_any_count = any_ptrs.size();
        q.price_min = query.price_min.value_or(0);
        q.price_max = query.price_max.value_or(0);
        q.sort_descending = query.descending;
        q.has_price_min = query.price_min.has_value();
        q.has_price_max = query.price_max.has_value();
        return detail::start<ModPage, modio_market_mod_page>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_mods_query(handle_.get(), &q, cb, ud, id);
        });
    }
    /// One mod (HTTP 404 / 15022 when unknown).
    Result<RequestId> get_mod(std::uint64_t mod_id, Callback<Mod> callback) {
        return detail::start<Mod, modio_market_mod>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_mod(handle_.get(), mod_id, cb, ud, id);
        });
    }

    // --- downloads (Config::set_install_dir) -----------------------------------------------

    /// One file of a mod with a fresh download link (404 / 15010 when unknown).
    Result<RequestId> get_modfile(std::uint64_t mod_id, std::uint64_t modfile_id, Callback<Modfile> callback) {
        return detail::start<Modfile, modio_market_modfile>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_get_modfile(handle_.get(), mod_id, modfile_id, cb, ud, id);
        });
    }
    /// Downloads (resuming what an interruption left), checks (size, MD5) and installs `mod_id`
    /// into the install directory, or updates it; answers at once when its current file is
    /// installed. `progress` (may be empty) runs in poll()/wait() at most five times a second,
    /// never after `callback`. Errors: Code::NotOwned, IntegrityFailed, UnsafeArchive, DiskFull,
    /// NoModfile, Cancelled (cancel() keeps what was downloaded for next time).
    Result<RequestId> install_mod(std::uint64_t mod_id, ProgressCallback progress, Callback<InstalledMod> callback) {
        if (!callback) return Error::make(Code::NullPointer, "argument `callback` is an empty std::function");
        auto calls = std::make_unique<detail::InstallCalls>(detail::InstallCalls{std::move(callback), std::move(progress)});
        RequestId id = 0;
        const modio_market_result rc = modio_market_client_install_mod(handle_.get(), mod_id, &detail::install_progress,
                                                                       &detail::install_done, calls.get(), &id);
        if (rc != MODIO_MARKET_RESULT_OK) {
            Error e = detail::call_error(rc);
            calls.reset();
            return e;
        }
        calls.release();  // the library owns it now: install_done deletes it
        return id;
    }
    /// Removes an installed mod (Code::InvalidArgument in the callback when it is not installed).
    Result<RequestId> uninstall_mod(std::uint64_t mod_id, Callback<InstalledMod> callback) {
        return detail::start<InstalledMod, modio_market_installed_mod>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_uninstall_mod(handle_.get(), mod_id, cb, ud, id);
        });
    }
    /// What is installed, by mod id (from memory: no disk or network).
    Result<std::vector<InstalledMod>> installed_mods() const {
        modio_market_installed_list* list = nullptr;
        const modio_market_result rc = modio_market_client_installed_mods(handle_.get(), &list);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        std::unique_ptr<modio_market_installed_list, detail::InstalledListDeleter> owned(list);
        return detail::list_from_c<InstalledMod>(owned->mods, owned->mod_count);
    }

    // --- checkout and ownership ------------------------------------------------------------

    /// Buys a mod with virtual currency. `display_amount` is the price the player saw (a mismatch
    /// is 900035). `idempotency_key` ([a-zA-Z0-9_-]) makes a retry safe; empty generates one,
    /// returned in Checkout::idempotency_key. Errors: 900049 insufficient funds, 900034 already
    /// owned. On success the mod is owned at once (owns()).
    Result<RequestId> checkout(std::uint64_t mod_id, std::int64_t display_amount, std::string_view idempotency_key,
                               Callback<Checkout> callback) {
        auto k = detail::CStr::optional(idempotency_key, "idempotency_key");
        if (auto e = detail::first_invalid({&k})) return std::move(*e);
        return detail::start<Checkout, modio_market_checkout>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_checkout(handle_.get(), mod_id, display_amount, k.get(), cb, ud, id);
        });
    }
    /// Fetches every purchased mod and replaces the ownership cache with them.
    Result<RequestId> refresh_purchases(Callback<Purchases> callback) {
        return detail::start<Purchases, modio_market_purchases>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_refresh_purchases(handle_.get(), cb, ud, id);
        });
    }
    /// Whether the user owns `mod_id`, from the cache (never the network).
    Result<bool> owns(std::uint64_t mod_id) const {
        bool owned = false;
        const modio_market_result rc = modio_market_client_owns(handle_.get(), mod_id, &owned);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        return owned;
    }
    /// How long ago mod.io last confirmed the purchased list; empty when it has not this session.
    Result<std::optional<std::chrono::milliseconds>> purchases_age() const {
        std::int64_t age = -1;
        const modio_market_result rc = modio_market_client_purchases_age(handle_.get(), &age);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        if (age < 0) return std::optional<std::chrono::milliseconds>();
        return std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(age));
    }
    /// A user delegation token for the studio's purchase server (send it to your backend only).
    Result<RequestId> request_delegation_token(Callback<DelegationToken> callback) {
        return detail::start<DelegationToken, modio_market_delegation_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_client_request_delegation_token(handle_.get(), cb, ud, id);
        });
    }

private:
    explicit Client(modio_market_client* raw) : handle_(raw), state_(new detail::ClientState()) {}

    Result<std::size_t> wait_raw(RequestId request, std::chrono::milliseconds timeout) {
        return detail::pump<detail::ClientCalls>(handle_.get(), true, request, timeout);
    }

    std::unique_ptr<modio_market_client, detail::ClientDeleter> handle_;
    std::unique_ptr<detail::ClientState> state_;
};

// ---------------------------------------------------------------------------------------------
// S2S: a studio purchase server's client (server-side only: the client secret never ships)
// ---------------------------------------------------------------------------------------------

/// A fresh idempotency key (a UUID v4) for an S2S call: store it before calling, reuse it to repeat.
inline Result<std::string> generate_idempotency_key() {
    char buffer[64];
    std::size_t length = 0;
    const modio_market_result rc = modio_market_s2s_idempotency_key_generate(buffer, sizeof buffer, &length);
    if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
    return std::string(buffer, length);
}

/// Ok when `key` is 1 to 255 of [a-zA-Z0-9_-]; else Code::InvalidArgument.
inline Result<void> validate_idempotency_key(std::string_view key) {
    detail::CStr k(key, "key");
    if (!k.valid()) return k.error();
    return detail::to_result(modio_market_s2s_idempotency_key_validate(k.get()));
}

/// The S2S client of a studio's purchase server: service tokens (OAuth client credentials) and
/// the transaction intent / commit / clawback calls. Same rules as Client: move-only, any thread,
/// callbacks exactly once inside poll()/wait() (or Code::ShutDown in the destructor).
class S2sClient {
public:
    /// `config` supplies game id, API key, URL, timeouts, retries and workers; `scopes` is a
    /// comma-separated subset of read, write, update, monetization (empty: read,write,monetization).
    [[nodiscard]] static Result<S2sClient> create(const Config& config, std::string_view client_id, std::string_view client_secret,
                                                  std::string_view scopes = {}) {
        detail::CStr id(client_id, "client_id"), secret(client_secret, "client_secret");
        auto sc = detail::CStr::optional(scopes, "scopes");
        if (auto e = detail::first_invalid({&id, &secret, &sc})) return std::move(*e);
        modio_market_s2s_client* raw = nullptr;
        const modio_market_result rc = modio_market_s2s_client_new(config.native_handle(), id.get(), secret.get(), sc.get(), &raw);
        if (rc != MODIO_MARKET_RESULT_OK) return detail::call_error(rc);
        return S2sClient(raw);
    }

    S2sClient(S2sClient&& other) noexcept : handle_(std::move(other.handle_)), state_(std::move(other.state_)) {}
    S2sClient& operator=(S2sClient&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::move(other.handle_);
            state_ = std::move(other.state_);
        }
        return *this;
    }
    S2sClient(const S2sClient&) = delete;
    S2sClient& operator=(const S2sClient&) = delete;
    ~S2sClient() { reset(); }

    bool valid() const noexcept { return handle_ != nullptr; }
    explicit operator bool() const noexcept { return valid(); }
    modio_market_s2s_client* native_handle() const noexcept { return handle_.get(); }

    /// Frees the client now: pending callbacks run with Code::ShutDown. An intent or commit already
    /// sent may still have reached mod.io: repeat it later with the same idempotency key.
    void reset() noexcept {
        modio_market_s2s_client* raw = handle_.release();
        std::unique_ptr<detail::ClientState> state = std::move(state_);
        if (raw == nullptr) return;
        if (state != nullptr && detail::PumpMark::active(raw)) detail::detach_log_before_free<detail::S2sClientCalls>(raw, *state);
        modio_market_s2s_client_free(raw);
    }

    /// As Client::set_log_callback. Log lines never contain the secret, tokens or idempotency keys.
    Result<void> set_log_callback(LogLevel max_level, LogCallback callback) {
        return detail::set_log_callback<detail::S2sClientCalls>(handle_.get(), state_.get(), max_level, std::move(callback));
    }
    Result<void> clear_log_callback() { return set_log_callback(LogLevel::Error, LogCallback()); }

    Result<std::size_t> poll() { return detail::pump<detail::S2sClientCalls>(handle_.get(), false, 0, {}); }
    /// Blocks up to `timeout` until `request`'s callback ran (a server thread waiting for its answer).
    Result<std::size_t> wait(RequestId request, std::chrono::milliseconds timeout) {
        if (request == 0) return Error::make(Code::RequestNotFound, "request id 0 is never a request; use wait_any");
        return wait_raw(request, timeout);
    }
    Result<std::size_t> wait_any(std::chrono::milliseconds timeout) { return wait_raw(0, timeout); }
    Result<void> cancel(RequestId request) { return detail::to_result(modio_market_s2s_client_cancel(handle_.get(), request)); }

    /// Fetches a service token now (normally done on demand): its scopes and lifetime, never the
    /// token; 401 / 11075 for bad client credentials.
    Result<RequestId> refresh_service_token(Callback<ServiceToken> callback) {
        return detail::start<ServiceToken, modio_market_s2s_service_token>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_s2s_client_refresh_service_token(handle_.get(), cb, ud, id);
        });
    }
    /// Begins converting one platform entitlement for the user of `delegation_token` (from the
    /// game's Client::request_delegation_token). `portal`: apple, google, xboxlive, psn, steam.
    /// `gateway_uuid` optional; `idempotency_key` empty generates one (returned in the transaction).
    Result<RequestId> intent(std::string_view delegation_token, std::string_view sku, std::string_view portal, std::string_view gateway_uuid,
                             std::string_view idempotency_key, Callback<S2sTransaction> callback) {
        detail::CStr d(delegation_token, "delegation_token"), k_sku(sku, "sku"), p(portal, "portal");
        auto g = detail::CStr::optional(gateway_uuid, "gateway_uuid");
        auto k = detail::CStr::optional(idempotency_key, "idempotency_key");
        if (auto e = detail::first_invalid({&d, &k_sku, &p, &g, &k})) return std::move(*e);
        return detail::start<S2sTransaction, modio_market_s2s_transaction>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_s2s_client_intent(handle_.get(), d.get(), k_sku.get(), p.get(), g.get(), k.get(), cb, ud, id);
        });
    }
    /// Finishes a transaction after the platform entitlement was consumed: mod.io credits the wallet.
    Result<RequestId> commit(std::string_view delegation_token, std::uint64_t transaction_id, std::string_view clawback_uuid,
                             std::string_view idempotency_key, Callback<S2sTransaction> callback) {
        detail::CStr d(delegation_token, "delegation_token");
        auto c = detail::CStr::optional(clawback_uuid, "clawback_uuid");
        auto k = detail::CStr::optional(idempotency_key, "idempotency_key");
        if (auto e = detail::first_invalid({&d, &c, &k})) return std::move(*e);
        return detail::start<S2sTransaction, modio_market_s2s_transaction>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_s2s_client_commit(handle_.get(), d.get(), transaction_id, c.get(), k.get(), cb, ud, id);
        });
    }
    /// Relays a refund or chargeback of a committed transaction, named by `transaction_id` or
    /// (with transaction_id 0) by the intent's `gateway_uuid`.
    Result<RequestId> clawback(std::uint64_t transaction_id, std::string_view gateway_uuid, std::string_view portal, std::string_view refund_reason,
                               std::string_view clawback_uuid, Callback<S2sTransaction> callback) {
        auto g = detail::CStr::optional(gateway_uuid, "gateway_uuid");
        detail::CStr p(portal, "portal"), r(refund_reason, "refund_reason");
        auto c = detail::CStr::optional(clawback_uuid, "clawback_uuid");
        if (auto e = detail::first_invalid({&g, &p, &r, &c})) return std::move(*e);
        return detail::start<S2sTransaction, modio_market_s2s_transaction>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_s2s_client_clawback(handle_.get(), transaction_id, g.get(), p.get(), r.get(), c.get(), cb, ud, id);
        });
    }
    /// A page of the studio's transaction history (Config::set_monetization_team_id), newest first.
    Result<RequestId> transactions(const TransactionQuery& query, Callback<HistoryPage> callback) {
        auto mt = detail::CStr::optional(query.monetization_type, "monetization_type");
        auto g = detail::CStr::optional(query.gateway_uuid, "gateway_uuid");
        auto c = detail::CStr::optional(query.clawback_uuid, "clawback_uuid");
        auto k = detail::CStr::optional(query.line_item_key, "line_item_key");
        auto cur = detail::CStr::optional(query.cursor, "cursor");
        if (auto e = detail::first_invalid({&mt, &g, &c, &k, &cur})) return std::move(*e);
        std::vector<detail::CStr> types;
        for (const std::string& t : query.transaction_types) types.emplace_back(t, "transaction_types");
        std::vector<const char*> type_ptrs;
        for (const detail::CStr& t : types) {
            if (!t.valid()) return t.error();
            type_ptrs.push_back(t.get());
        }
        modio_market_s2s_transaction_query q{};
        q.struct_size = sizeof q;
        q.limit = query.limit;
        q.transaction_types = type_ptrs.data();
        q.transaction_type_count = type_ptrs.size();
        q.monetization_type = mt.get();
        q.buyer_id = query.buyer_id;
        q.gateway_uuid = g.get();
        q.clawback_uuid = c.get();
        q.line_item_key = k.get();
        q.line_item_value = query.line_item_value;
        q.created_at_start = query.created_at_start.value_or(0);
        q.has_created_at_start = query.created_at_start.has_value();
        q.cursor = cur.get();
        return detail::start<HistoryPage, modio_market_s2s_history_page>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_s2s_client_transactions(handle_.get(), &q, cb, ud, id);
        });
    }
    /// One transaction of the studio's history.
    Result<RequestId> transaction(std::uint64_t transaction_id, Callback<HistoryTransaction> callback) {
        return detail::start<HistoryTransaction, modio_market_s2s_history_transaction>(std::move(callback), [&](auto cb, void* ud, RequestId* id) {
            return modio_market_s2s_client_transaction(handle_.get(), transaction_id, cb, ud, id);
        });
    }

private:
    explicit S2sClient(modio_market_s2s_client* raw) : handle_(raw), state_(new detail::ClientState()) {}

    Result<std::size_t> wait_raw(RequestId request, std::chrono::milliseconds timeout) {
        return detail::pump<detail::S2sClientCalls>(handle_.get(), true, request, timeout);
    }

    std::unique_ptr<modio_market_s2s_client, detail::S2sClientDeleter> handle_;
    std::unique_ptr<detail::ClientState> state_;
};

}  // namespace modio_market

#endif  // MODIO_MARKET_HPP
