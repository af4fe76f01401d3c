using System;

namespace ModioMarket
{
    /// <summary>
    /// Every outcome the native library reports (<c>modio_market_result</c>). The numbers are the
    /// C ABI's and are never reused; <c>tests/run.sh</c> checks them against the header.
    /// </summary>
    public enum ResultCode : uint
    {
        // <generated:result-codes> (cargo run -p xtask -- mirrors: from modio_market::ResultCode)
        /// <summary>Success.</summary>
        Ok = 0,
        /// <summary>A required pointer argument was NULL.</summary>
        NullPointer = 1,
        /// <summary>A string argument was not valid UTF-8.</summary>
        InvalidUtf8 = 2,
        /// <summary>An argument was invalid.</summary>
        InvalidArgument = 3,
        /// <summary>An enum argument had an unknown value.</summary>
        UnknownEnumValue = 4,
        /// <summary>No user access token is set.</summary>
        NotAuthenticated = 5,
        /// <summary>The server's host name could not be resolved.</summary>
        Dns = 10,
        /// <summary>Could not connect to the server.</summary>
        Connect = 11,
        /// <summary>The secure connection failed (TLS).</summary>
        Tls = 12,
        /// <summary>The request timed out.</summary>
        Timeout = 13,
        /// <summary>The connection failed while talking to the server.</summary>
        Transport = 14,
        /// <summary>Plain http is refused for non-loopback hosts.</summary>
        InsecureUrl = 15,
        /// <summary>The server answered with an error.</summary>
        Http = 20,
        /// <summary>The server's answer could not be read.</summary>
        MalformedResponse = 21,
        /// <summary>The server's answer was too large.</summary>
        ResponseTooLarge = 22,
        /// <summary>Too many requests: rate limited by mod.io.</summary>
        RateLimited = 23,
        /// <summary>The server's answer did not match the request.</summary>
        UnexpectedAnswer = 24,
        /// <summary>The request was cancelled.</summary>
        Cancelled = 30,
        /// <summary>The client was shut down.</summary>
        ShutDown = 31,
        /// <summary>Poll or wait called from inside a callback or from two threads at once.</summary>
        Reentrant = 32,
        /// <summary>The wait timed out.</summary>
        WaitTimedOut = 33,
        /// <summary>No pending request has that id.</summary>
        RequestNotFound = 34,
        /// <summary>The request already completed.</summary>
        AlreadyCompleted = 35,
        /// <summary>The buffer is too small.</summary>
        BufferTooSmall = 36,
        /// <summary>A file operation failed.</summary>
        Io = 40,
        /// <summary>An internal error occurred.</summary>
        Internal = 41,
        /// <summary>The disk is full.</summary>
        DiskFull = 42,
        /// <summary>The player does not own this paid mod.</summary>
        NotOwned = 50,
        /// <summary>The download did not match its size or MD5.</summary>
        IntegrityFailed = 51,
        /// <summary>The archive is unreadable or would write outside its directory.</summary>
        UnsafeArchive = 52,
        /// <summary>The mod has no file to download.</summary>
        NoModfile = 53,
        // </generated:result-codes>
    }

    /// <summary>Severity of a log record (<c>modio_market_log_level</c>); None turns logging off.</summary>
    public enum LogLevel : uint
    {
        None = 0,
        Error = 1,
        Warn = 2,
        Info = 3,
        Debug = 4,
        Trace = 5,
    }

    /// <summary>Which mod.io environment a client targets (<c>modio_market_environment</c>).</summary>
    public enum ModioEnvironment : uint
    {
        // <generated:environments> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        /// <summary>https://g-{game_id}.modapi.io/v1</summary>
        Live = 0,
        /// <summary>https://g-{game_id}.test.mod.io/v1</summary>
        Test = 1,
        // </generated:environments>
    }

    /// <summary>Revenue filter of a mod listing (<c>modio_market_revenue_type</c>).</summary>
    public enum RevenueType : uint
    {
        // <generated:revenue-types> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        Free = 0,
        Paid = 1,
        Both = 2,
        // </generated:revenue-types>
    }

    /// <summary>The order of a mod listing (<c>modio_market_mod_sort_field</c>, <see cref="ModQuery.Sort"/>).</summary>
    public enum ModSortField : uint
    {
        // <generated:mod-sort-fields> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        /// <summary>The API's default order: by id, oldest first.</summary>
        Id = 0,
        /// <summary>Alphabetical (name).</summary>
        Name = 1,
        /// <summary>When the mod went live (date_live): descending is "newest".</summary>
        DateLive = 2,
        /// <summary>Last update (date_updated).</summary>
        DateUpdated = 3,
        /// <summary>Downloads in the last 24 hours (downloads_today): descending is "trending".</summary>
        DownloadsToday = 4,
        /// <summary>All-time downloads (downloads_total): descending is "most popular".</summary>
        DownloadsTotal = 5,
        /// <summary>Subscribers (subscribers_total).</summary>
        SubscribersTotal = 6,
        /// <summary>Rating (ratings_weighted_aggregate): descending is "highest rated".</summary>
        Rating = 7,
        /// <summary>Price (price).</summary>
        Price = 8,
        // </generated:mod-sort-fields>
    }

    /// <summary>transaction_state of a synced entitlement (<c>modio_market_entitlement_state</c>).</summary>
    public enum EntitlementState : long
    {
        // <generated:entitlement-states> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        Failed = 0,
        Pending = 1,
        Fulfilled = 2,
        ConsumeLimitExceeded = 3,
        // </generated:entitlement-states>
    }

    /// <summary>entitlement_type of an unconverted entitlement (<c>modio_market_entitlement_kind</c>);
    /// other numbers mod.io sends pass through.</summary>
    public enum EntitlementKind : long
    {
        // <generated:entitlement-kinds> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        /// <summary>A virtual currency pack.</summary>
        TokenPack = 0,
        /// <summary>A SKU product.</summary>
        Sku = 1,
        // </generated:entitlement-kinds>
    }

    /// <summary>State of a mod.io transaction (<c>modio_market_transaction_state</c>).</summary>
    public enum TransactionState : uint
    {
        // <generated:transaction-states> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        Pending = 0,
        Paid = 1,
        Refunded = 2,
        Cancelled = 3,
        Cleared = 4,
        Failed = 5,
        /// <summary>A state the docs do not list; see state_name.</summary>
        Other = 6,
        // </generated:transaction-states>
    }

    /// <summary>How a journaled checkout from an earlier run ended (<c>modio_market_recovery_outcome</c>).</summary>
    public enum RecoveryOutcome : uint
    {
        // <generated:recovery-outcomes> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
        /// <summary>Resent with its key: the purchase went through; checkout holds the receipt.</summary>
        Completed = 0,
        /// <summary>Resent with its key: mod.io refused it definitively; see error.</summary>
        Failed = 1,
        /// <summary>Older than the key's 24 hours, and the mod is in the purchased list: it was bought.</summary>
        Owned = 2,
        /// <summary>Older than the key's 24 hours, and not purchased: it never went through.</summary>
        Abandoned = 3,
        /// <summary>Still no definitive answer (offline, 5xx, rate limited); kept for the next recovery; see error.</summary>
        StillPending = 4,
        /// <summary>A journal file was unreadable; it was moved aside to journal_file; see error.</summary>
        CorruptJournal = 5,
        // </generated:recovery-outcomes>
    }

    /// <summary>monetization_status flags of a wallet (<c>MODIO_MARKET_MONETIZATION_STATUS_*</c>).</summary>
    [Flags]
    public enum MonetizationStatus : uint
    {
        /// <summary>Not registered for monetization.</summary>
        None = 0,
        Pending = 1,
        Rejected = 2,
        Review = 4,
        Action = 8,
        Approved = 16,
        Member = 32,
    }

    /// <summary>api_access_options flags of a game (<c>MODIO_MARKET_API_ACCESS_*</c>).</summary>
    [Flags]
    public enum ApiAccessOptions : uint
    {
        None = 0,
        Open = 1,
        Downloads = 2,
        AuthorisedDownloads = 4,
        PaidDownloads = 8,
    }

    /// <summary>mod.io <c>error_ref</c> values the library names (<c>MODIO_MARKET_ERROR_REF_*</c>).
    /// Others still reach you as numbers in <see cref="ModioMarketException.ErrorRef"/>.</summary>
    public static class ErrorRef
    {
        // <generated:error-refs> (cargo run -p xtask -- mirrors: from modio_market::error_ref::ALL)
        public const long UnexpectedServiceOutage = 10000;
        public const long UnexpectedOperationFailure = 10002;
        public const long ApiKeyMissing = 11000;
        public const long ApiKeyMalformed = 11001;
        public const long ApiKeyInvalid = 11002;
        public const long TokenMissingScopeWrite = 11003;
        public const long TokenExpiredOrRevoked = 11005;
        public const long UserDeleted = 11006;
        public const long UserBanned = 11007;
        public const long RateLimited = 11008;
        public const long RateLimitedEndpoint = 11009;
        public const long SteamAppTicketInvalid = 11018;
        public const long XboxLiveInvalidToken = 11027;
        public const long XboxLiveTokenExpired = 11029;
        public const long UnableToVerifyExternalCredentials = 11032;
        public const long UserConnectionMemberNotFound = 11069;
        public const long NoTermsAgreement = 11074;
        public const long OauthClientDataNotValid = 11075;
        public const long IncorrectContentType = 13006;
        public const long ValidationGeneric = 13009;
        public const long ResourceNotFound = 14000;
        public const long GameNotFound = 14001;
        public const long ModfileNotFound = 15010;
        public const long ModNotFound = 15022;
        public const long MonetizationTeamNotFound = 900022;
        public const long MonetizationPaymentFailed = 900030;
        public const long MonetizationMarketplaceAlreadyOwned = 900034;
        public const long MonetizationPriceMismatch = 900035;
        public const long MonetizationInsufficientFunds = 900049;
        public const long MonetizationIapNotConfigured = 900054;
        public const long MonetizationGameNotMonetized = 900057;
        public const long MonetizationPlatformFetchFailed = 900096;
        public const long MonetizationPortalInvalid = 900098;
        // </generated:error-refs>
    }
}
