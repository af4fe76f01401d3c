using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using ModioMarket.Interop;

namespace ModioMarket
{
    /// <summary>
    /// A mod.io Marketplace session for one game: platform sign-in, wallet, entitlement sync,
    /// premium mod listings, checkout and ownership.
    ///
    /// <para>Every <c>...Async</c> method returns at once; the network work runs on the native
    /// library's own threads. Tasks complete only inside <see cref="Pump"/> (or
    /// <see cref="PumpUntil"/>), on the thread that pumps: in Unity add the client to a
    /// <c>ModioMarketRunner</c>, which pumps it every frame from Update; elsewhere call Pump from
    /// your loop. Continuations therefore run on your game thread, after the native poll has
    /// returned, so they may start requests, pump or dispose the client.</para>
    ///
    /// <para>Failures fault the task with <see cref="ModioMarketException"/> (code, HTTP status,
    /// error_ref, message, field errors). Cancelling a token cancels the native request: the task
    /// becomes Canceled at the next pump, unless its result had already arrived. Argument mistakes
    /// throw synchronously (ArgumentException, ObjectDisposedException).</para>
    ///
    /// <para>Dispose stops everything: requests still pending fault with
    /// <see cref="ResultCode.ShutDown"/> during Dispose, the worker threads are joined, and no
    /// callback runs afterwards. A client not disposed is disposed for you when the application
    /// quits, when play mode ends and before a domain reload.</para>
    /// </summary>
    public sealed class ModioMarketClient : IDisposable
    {
        private readonly Dispatcher _dispatcher = new Dispatcher();
        private readonly ClientSink _sink;
        private readonly ClientHandle _handle;
        private readonly long _gameId;
        private LogLevel _logLevel = LogLevel.None;
        private int _disposed;

        /// <summary>Creates a client and starts its worker threads. Throws
        /// <see cref="ModioMarketException"/> (InvalidArgument, InsecureUrl) for a setting the
        /// library refuses, and DllNotFoundException when the native library is missing.</summary>
        public ModioMarketClient(ModioMarketOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            if (!IsLibraryCompatible)
                throw new ModioMarketException(ResultCode.Internal, "the native modio_market library (" + LibraryVersion +
                    ") does not serve the header these bindings follow (" + Native.MODIO_MARKET_VERSION_MAJOR + "." +
                    Native.MODIO_MARKET_VERSION_MINOR + "): replace the library in Plugins/");
            _gameId = options.GameId;
            _sink = new ClientSink(_dispatcher);
            using (ConfigHandle config = options.CreateNativeConfig())
            {
                IntPtr logUserData = GCHandles.Alloc(_sink);
                IntPtr raw;
                ResultCode rc;
                try
                {
                    rc = Native.modio_market_client_new(config, out raw);
                }
                catch
                {
                    GCHandles.Free(logUserData);
                    throw;
                }
                if (rc != ResultCode.Ok)
                {
                    ModioMarketException error = ModioMarketException.FromLastError(rc);
                    GCHandles.Free(logUserData);
                    throw error;
                }
                _handle = new ClientHandle(raw, logUserData);
            }
            try
            {
                LogLevel = options.LogLevel;
            }
            catch
            {
                _handle.DisposeAndWaitForFree();
                throw;
            }
            ClientRegistry.Add(this);
        }

        /// <summary>The native library's version, e.g. "1.0.0".</summary>
        public static string LibraryVersion
        {
            get { return Utf8.Decode(Native.modio_market_version()); }
        }

        /// <summary>Whether the loaded native library serves the C header these bindings mirror
        /// (same major version, minor at least theirs). A client refuses to start when it does not.</summary>
        public static bool IsLibraryCompatible
        {
            get { return Native.modio_market_version_is_compatible(Native.MODIO_MARKET_VERSION_MAJOR, Native.MODIO_MARKET_VERSION_MINOR); }
        }

        /// <summary>The mod.io game this client serves.</summary>
        public long GameId
        {
            get { return _gameId; }
        }

        public bool IsDisposed
        {
            get { return Volatile.Read(ref _disposed) != 0; }
        }

        /// <summary>Log records of the native library (never containing a secret), raised from
        /// <see cref="Pump"/> on the pumping thread. See <see cref="LogLevel"/>.</summary>
        public event Action<LogLevel, string> Log
        {
            add { _sink.LogHandlers += value; }
            remove { _sink.LogHandlers -= value; }
        }

        /// <summary>The most verbose level forwarded to <see cref="Log"/>; None turns logging off.</summary>
        public LogLevel LogLevel
        {
            get { return _logLevel; }
            set
            {
                if (value < LogLevel.None || value > LogLevel.Trace)
                    throw new ArgumentOutOfRangeException("value");
                ThrowIfDisposed();
                ResultCode rc = value == LogLevel.None
                    ? Native.modio_market_client_set_log_callback(_handle, (uint)LogLevel.Error, null, IntPtr.Zero)
                    : Native.modio_market_client_set_log_callback(_handle, (uint)value, Trampolines.OnLog, LogUserData);
                Check(rc);
                _logLevel = value;
            }
        }

        private IntPtr LogUserData
        {
            get { return _handle.LogUserData; }
        }

        /// <summary>
        /// How checkouts journaled in <see cref="ModioMarketOptions.DataDirectory"/> by an earlier
        /// run (a crash, a lost connection) ended. Recovery starts by itself when an access token is
        /// set (or after <see cref="ResumeCheckouts"/>); reports are raised from Pump on the pumping
        /// thread. Reports that arrive while nobody is subscribed wait in the library for the first
        /// subscriber.
        /// </summary>
        public event Action<CheckoutRecovery> CheckoutRecovered
        {
            add
            {
                lock (_sink)
                {
                    bool first = _sink.RecoveryHandlers == null;
                    _sink.RecoveryHandlers += value;
                    if (first && _sink.RecoveryHandlers != null && !IsDisposed)
                        Check(Native.modio_market_client_set_recovery_callback(_handle, Trampolines.OnRecovery, LogUserData));
                }
            }
            remove
            {
                lock (_sink)
                {
                    _sink.RecoveryHandlers -= value;
                    if (_sink.RecoveryHandlers == null && !IsDisposed)
                        Check(Native.modio_market_client_set_recovery_callback(_handle, null, IntPtr.Zero));
                }
            }
        }

        /// <summary>Starts checkout recovery at the next pump (it also starts whenever a token is
        /// set): call it when the network is back after checkouts ended without a definitive answer.
        /// Does nothing without a data directory.</summary>
        public void ResumeCheckouts()
        {
            ThrowIfDisposed();
            Check(Native.modio_market_client_resume_checkouts(_handle));
        }

        /// <summary>How many requests still wait for their completion.</summary>
        public int PendingRequests
        {
            get
            {
                ThrowIfDisposed();
                UIntPtr count;
                Check(Native.modio_market_client_pending_requests(_handle, out count));
                return (int)count.ToUInt64();
            }
        }

        /// <summary>
        /// Completes every request that finished since the last call, on this thread, and returns
        /// at once (never waits on the network). Call it once per frame (ModioMarketRunner does).
        /// Returns how many requests completed.
        /// </summary>
        public int Pump()
        {
            ThrowIfDisposed();
            UIntPtr ran;
            ResultCode rc;
            Trampolines.EnterPump();
            try
            {
                rc = Native.modio_market_client_poll(_handle, out ran);
            }
            finally
            {
                Trampolines.ExitPump();
            }
            ModioMarketException error = rc == ResultCode.Ok ? null : ModioMarketException.FromLastError(rc);
            _dispatcher.Drain();
            if (error != null)
                throw error;
            return (int)ran.ToUInt64();
        }

        /// <summary>
        /// Pumps, blocking this thread, until <paramref name="task"/> completes or the timeout
        /// passes; returns whether it completed. For tools, tests and loading screens: a game loop
        /// should call <see cref="Pump"/> once per frame instead.
        /// </summary>
        public bool PumpUntil(Task task, TimeSpan timeout)
        {
            if (task == null)
                throw new ArgumentNullException("task");
            ThrowIfDisposed();
            Stopwatch clock = Stopwatch.StartNew();
            long budget = (long)timeout.TotalMilliseconds;
            while (!task.IsCompleted)
            {
                long left = budget - clock.ElapsedMilliseconds;
                if (left <= 0)
                {
                    Pump();
                    return task.IsCompleted;
                }
                // Slices of at most 50 ms, so a task that also waits on something else (a timer,
                // another client) is noticed promptly.
                uint slice = (uint)Math.Min(left, 50);
                UIntPtr ran;
                ResultCode rc;
                Trampolines.EnterPump();
                try
                {
                    rc = Native.modio_market_client_wait(_handle, 0, slice, out ran);
                }
                finally
                {
                    Trampolines.ExitPump();
                }
                ModioMarketException error = rc == ResultCode.Ok || rc == ResultCode.WaitTimedOut ? null : ModioMarketException.FromLastError(rc);
                _dispatcher.Drain();
                if (error != null)
                    throw error;
                if (IsDisposed)
                    return task.IsCompleted; // a continuation disposed the client
            }
            return true;
        }

        /// <summary>Restores a session with a token from an earlier sign-in (null or "" clears it).
        /// Empties the ownership cache: call RefreshPurchasesAsync for the new user.</summary>
        public void SetAccessToken(string accessToken)
        {
            ThrowIfDisposed();
            byte[] token = Utf8.Encode(accessToken, "accessToken");
            try
            {
                Check(Native.modio_market_client_set_access_token(_handle, token));
            }
            finally
            {
                Utf8.Wipe(token);
            }
        }

        /// <summary>Signs the user out.</summary>
        public void ClearAccessToken()
        {
            ThrowIfDisposed();
            Check(Native.modio_market_client_clear_access_token(_handle));
        }

        // ---------------------------------------------------------------------------------
        // Authentication. On success the client keeps the token for the calls that need one.
        // ---------------------------------------------------------------------------------

        /// <summary>Signs in with a Steam encrypted app ticket (base64). Fails with 401/11018 for an
        /// invalid ticket, 403/11074 when the terms were not agreed.</summary>
        /// <param name="termsAgreed">The player accepted the mod.io terms in your UI.</param>
        public Task<AccessToken> AuthenticateSteamAsync(string encryptedAppTicket, bool termsAgreed, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] ticket = Utf8.EncodeRequired(encryptedAppTicket, "encryptedAppTicket");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_steam(_handle, ticket, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(ticket);
            }
        }

        /// <summary>Signs in with an Xbox Live token from GetTokenAndSignatureAsync.</summary>
        public Task<AccessToken> AuthenticateXboxLiveAsync(string xboxToken, bool termsAgreed, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] token = Utf8.EncodeRequired(xboxToken, "xboxToken");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_xbox_live(_handle, token, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(token);
            }
        }

        /// <summary>Signs in with a PlayStation Network auth code; <paramref name="environment"/> only when not production.</summary>
        public Task<AccessToken> AuthenticatePsnAsync(string authCode, bool termsAgreed, long? environment = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] code = Utf8.EncodeRequired(authCode, "authCode");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_psn(_handle, code, environment ?? -1, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(code);
            }
        }

        /// <summary>Signs in with Meta Quest / Rift: the nonce, the Meta user id and the user's Meta access token.</summary>
        public Task<AccessToken> AuthenticateMetaAsync(MetaDevice device, string nonce, long userId, string metaAccessToken, bool termsAgreed,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (userId < 0)
                throw new ArgumentOutOfRangeException("userId");
            byte[] deviceName = Utf8.Encode(EntitlementSource.DeviceName(device), "device");
            byte[] nonceBytes = Utf8.EncodeRequired(nonce, "nonce");
            byte[] token = Utf8.EncodeRequired(metaAccessToken, "metaAccessToken");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_meta(_handle, deviceName, nonceBytes, (ulong)userId, token, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(nonceBytes);
                Utf8.Wipe(token);
            }
        }

        /// <summary>Signs in with an Apple id_token.</summary>
        public Task<AccessToken> AuthenticateAppleAsync(string idToken, bool termsAgreed, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] token = Utf8.EncodeRequired(idToken, "idToken");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_apple(_handle, token, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(token);
            }
        }

        /// <summary>Signs in with Google: a server auth code, an id_token, or both (not neither).</summary>
        public Task<AccessToken> AuthenticateGoogleAsync(string authCode, string idToken, bool termsAgreed, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (authCode == null && idToken == null)
                throw new ArgumentException("pass an auth code, an id token or both", "authCode");
            byte[] code = Utf8.Encode(authCode, "authCode");
            byte[] token = Utf8.Encode(idToken, "idToken");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_google(_handle, code, token, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(code);
                Utf8.Wipe(token);
            }
        }

        /// <summary>Signs in with an Epic Games id_token.</summary>
        public Task<AccessToken> AuthenticateEpicAsync(string idToken, bool termsAgreed, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] token = Utf8.EncodeRequired(idToken, "idToken");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_epic(_handle, token, termsAgreed, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(token);
            }
        }

        /// <summary>Signs in with a user delegation token: a studio tool acting as the player it was
        /// issued for (no terms answer is sent: the player gave it when signing in on the game).</summary>
        public Task<AccessToken> AuthenticateUdtAsync(string delegationToken, CancellationToken cancellationToken = default(CancellationToken))
        {
            byte[] token = Utf8.EncodeRequired(delegationToken, "delegationToken");
            try
            {
                return Start(AccessToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_auth_udt(_handle, token, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                Utf8.Wipe(token);
            }
        }

        // ---------------------------------------------------------------------------------
        // The store page
        // ---------------------------------------------------------------------------------

        /// <summary>mod.io's terms in <see cref="ModioMarketOptions.Language"/>: show them before a
        /// player's first sign-in and pass the answer as <c>termsAgreed</c>. The API key is enough.</summary>
        public Task<Terms> GetTermsAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Terms.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_terms(_handle, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>The signed-in player.</summary>
        public Task<User> GetUserAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(User.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_user(_handle, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>The currency packs the game sells, with its currency name.</summary>
        public Task<TokenPacks> GetTokenPacksAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(TokenPacks.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_token_packs(_handle, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>What the player bought on a platform and has not converted yet ("2 packs to
        /// convert" before <see cref="SyncEntitlementsAsync"/>). Converts nothing.</summary>
        public Task<UnconvertedEntitlements> GetUnconvertedEntitlementsAsync(UnconvertedSource source,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (source == null)
                throw new ArgumentNullException("source");
            return Start(UnconvertedEntitlements.FromNative, cancellationToken, (IntPtr ud, out ulong id) => source.Start(_handle, ud, out id));
        }

        // ---------------------------------------------------------------------------------
        // Wallet and entitlements (need a signed-in user)
        // ---------------------------------------------------------------------------------

        /// <summary>Reads the user's wallet (404/900022 when the game has no monetization team).</summary>
        public Task<Wallet> GetWalletAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Wallet.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_wallet(_handle, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Converts the user's platform purchases of virtual currency into wallet balance.
        /// Errors: 11069 no account linked on that platform, 900054 IAP not configured, 900057 game
        /// not monetized, 900096 the platform could not be read.</summary>
        public Task<EntitlementSync> SyncEntitlementsAsync(EntitlementSource source, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (source == null)
                throw new ArgumentNullException("source");
            return Start(EntitlementSync.FromNative, cancellationToken, (IntPtr ud, out ulong id) => source.Start(_handle, ud, out id));
        }

        // ---------------------------------------------------------------------------------
        // Browsing (the API key is enough)
        // ---------------------------------------------------------------------------------

        /// <summary>Reads the game's settings (api_access_options, currency name).</summary>
        public Task<Game> GetGameAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(Game.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_game(_handle, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Lists the game's mods, one page at a time: <paramref name="limit"/> 1-100 from
        /// <paramref name="offset"/>, optionally a full-text <paramref name="search"/> on the name.</summary>
        public Task<ModPage> GetModsAsync(RevenueType revenueType, long offset = 0, int limit = 100, string search = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (offset < 0)
                throw new ArgumentOutOfRangeException("offset");
            if (limit < 0)
                throw new ArgumentOutOfRangeException("limit");
            byte[] query = Utf8.Encode(search, "search");
            return Start(ModPage.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_mods(_handle, (uint)revenueType, (ulong)offset, (uint)limit, query, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Lists mods with the filters and the order of <paramref name="query"/>: a store
        /// page by popularity or price, newest first, by tag, a wishlist by ids. The library checks
        /// the query (limit 1-100, at most 100 ids and 32 tags per list, no comma in a tag,
        /// PriceMin &lt;= PriceMax); a refused query fails the task with InvalidArgument.</summary>
        public Task<ModPage> GetModsAsync(ModQuery query, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (query == null)
                throw new ArgumentNullException("query");
            if (query.Offset < 0)
                throw new ArgumentOutOfRangeException("query", "Offset must not be negative");
            if (query.Limit < 0)
                throw new ArgumentOutOfRangeException("query", "Limit must not be negative");
            if (query.PriceMin < 0 || query.PriceMax < 0)
                throw new ArgumentOutOfRangeException("query", "prices are never negative");
            // Everything the C struct points at stays pinned until the call returns: the
            // library copies what it needs during the call.
            var pins = new List<GCHandle>();
            try
            {
                var q = new Native.modio_market_mod_query
                {
                    struct_size = (uint)Marshal.SizeOf(typeof(Native.modio_market_mod_query)),
                    revenue_type = (uint)query.RevenueType,
                    offset = (ulong)query.Offset,
                    limit = (uint)query.Limit,
                    sort = (uint)query.Sort,
                    search = Pin(Utf8.Encode(query.Search, "Search"), pins),
                    sort_descending = query.Descending ? (byte)1 : (byte)0,
                    has_price_min = query.PriceMin.HasValue ? (byte)1 : (byte)0,
                    has_price_max = query.PriceMax.HasValue ? (byte)1 : (byte)0,
                    price_min = (ulong)query.PriceMin.GetValueOrDefault(),
                    price_max = (ulong)query.PriceMax.GetValueOrDefault(),
                };
                if (query.Ids != null && query.Ids.Count > 0)
                {
                    var ids = new ulong[query.Ids.Count];
                    for (int i = 0; i < ids.Length; i++)
                    {
                        if (query.Ids[i] < 0)
                            throw new ArgumentOutOfRangeException("query", "mod ids are never negative");
                        ids[i] = (ulong)query.Ids[i];
                    }
                    q.ids = Pin(ids, pins);
                    q.id_count = (UIntPtr)ids.Length;
                }
                q.tags_all = PinStrings(query.TagsAll, "TagsAll", pins, out q.tags_all_count);
                q.tags_any = PinStrings(query.TagsAny, "TagsAny", pins, out q.tags_any_count);
                return Start(ModPage.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                    Native.modio_market_client_get_mods_query(_handle, ref q, Trampolines.OnRequest, ud, out id));
            }
            finally
            {
                foreach (GCHandle pin in pins)
                    pin.Free();
            }
        }

        private static IntPtr Pin(object array, List<GCHandle> pins)
        {
            if (array == null)
                return IntPtr.Zero;
            GCHandle pin = GCHandle.Alloc(array, GCHandleType.Pinned);
            pins.Add(pin);
            return pin.AddrOfPinnedObject();
        }

        private static IntPtr PinStrings(IList<string> values, string name, List<GCHandle> pins, out UIntPtr count)
        {
            count = UIntPtr.Zero;
            if (values == null || values.Count == 0)
                return IntPtr.Zero;
            var pointers = new IntPtr[values.Count];
            for (int i = 0; i < pointers.Length; i++)
            {
                if (values[i] == null)
                    throw new ArgumentNullException("query", name + " holds a null tag");
                pointers[i] = Pin(Utf8.Encode(values[i], name), pins);
            }
            count = (UIntPtr)pointers.Length;
            return Pin(pointers, pins);
        }

        /// <summary>Lists premium (paid) mods: the store page.</summary>
        public Task<ModPage> GetPremiumModsAsync(long offset = 0, int limit = 100, string search = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetModsAsync(RevenueType.Paid, offset, limit, search, cancellationToken);
        }

        /// <summary>Reads one mod (404/15022 when unknown).</summary>
        public Task<Mod> GetModAsync(long modId, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (modId <= 0)
                throw new ArgumentOutOfRangeException("modId");
            return Start(Mod.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_mod(_handle, (ulong)modId, Trampolines.OnRequest, ud, out id));
        }

        // ---------------------------------------------------------------------------------
        // Downloads (ModioMarketOptions.InstallDirectory)
        // ---------------------------------------------------------------------------------

        /// <summary>One file of a mod with a fresh download link (404/15010 when unknown).</summary>
        public Task<Modfile> GetModfileAsync(long modId, long modfileId, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (modId <= 0)
                throw new ArgumentOutOfRangeException("modId");
            if (modfileId <= 0)
                throw new ArgumentOutOfRangeException("modfileId");
            return Start(Modfile.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_get_modfile(_handle, (ulong)modId, (ulong)modfileId, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Downloads (resuming what an interruption left), checks (size, MD5) and installs a
        /// mod into <see cref="ModioMarketOptions.InstallDirectory"/>, or updates it; completes at once
        /// when its current file is installed. <paramref name="progress"/> is reported inside Pump, at
        /// most five times a second, before the task completes. Fails with NotOwned, IntegrityFailed,
        /// UnsafeArchive, DiskFull or NoModfile; cancelling keeps what was downloaded for next time.</summary>
        public Task<InstalledMod> InstallModAsync(long modId, IProgress<DownloadProgress> progress = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (modId <= 0)
                throw new ArgumentOutOfRangeException("modId");
            return Start(InstalledMod.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_install_mod(_handle, (ulong)modId, Trampolines.OnProgress, Trampolines.OnRequest, ud, out id),
                progress);
        }

        /// <summary>Removes an installed mod (InvalidArgument when it is not installed).</summary>
        public Task<InstalledMod> UninstallModAsync(long modId, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (modId <= 0)
                throw new ArgumentOutOfRangeException("modId");
            return Start(InstalledMod.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_uninstall_mod(_handle, (ulong)modId, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>What is installed, by mod id (from memory: no disk, no network).</summary>
        public IReadOnlyList<InstalledMod> InstalledMods()
        {
            ThrowIfDisposed();
            IntPtr list;
            Check(Native.modio_market_client_installed_mods(_handle, out list));
            try
            {
                var l = Marshal.PtrToStructure<Native.modio_market_installed_list>(list);
                return Structs.Array(l.mods, l.mod_count, InstalledMod.FromNative);
            }
            finally
            {
                Native.modio_market_installed_list_free(list);
            }
        }

        // ---------------------------------------------------------------------------------
        // Checkout and ownership (need a signed-in user)
        // ---------------------------------------------------------------------------------

        /// <summary>
        /// Buys a mod with virtual currency. <paramref name="displayAmount"/> is the price the
        /// player saw (mod.io refuses a mismatch: 900035). <paramref name="idempotencyKey"/>
        /// ([a-zA-Z0-9_-]) makes a retry safe; null generates one, returned in the result. Errors:
        /// 900049 insufficient funds, 900034 already owned. On success <see cref="Owns"/> is true
        /// at once. Cancelling a checkout that already reached mod.io may still charge: refresh
        /// purchases to know.
        /// </summary>
        public Task<CheckoutResult> CheckoutAsync(long modId, long displayAmount, string idempotencyKey = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (modId <= 0)
                throw new ArgumentOutOfRangeException("modId");
            byte[] key = Utf8.Encode(idempotencyKey, "idempotencyKey");
            return Start(CheckoutResult.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_checkout(_handle, (ulong)modId, displayAmount, key, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Buys <paramref name="mod"/> at the price it was listed with.</summary>
        public Task<CheckoutResult> CheckoutAsync(Mod mod, string idempotencyKey = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            if (mod == null)
                throw new ArgumentNullException("mod");
            return CheckoutAsync(mod.Id, mod.Price, idempotencyKey, cancellationToken);
        }

        /// <summary>Fetches every mod the user purchased and replaces the ownership cache with them.</summary>
        public Task<IReadOnlyList<Mod>> RefreshPurchasesAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start<IReadOnlyList<Mod>>(Purchases.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_refresh_purchases(_handle, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Whether the user owns the mod, from the cache filled by RefreshPurchasesAsync and
        /// successful checkouts (never the network; cheap enough for every frame).</summary>
        public bool Owns(long modId)
        {
            if (modId < 0)
                throw new ArgumentOutOfRangeException("modId");
            ThrowIfDisposed();
            bool owns;
            Check(Native.modio_market_client_owns(_handle, (ulong)modId, out owns));
            return owns;
        }

        /// <summary>Time since mod.io last confirmed the purchased list, or null when it has not this session.</summary>
        public TimeSpan? PurchasesAge
        {
            get
            {
                ThrowIfDisposed();
                long ms;
                Check(Native.modio_market_client_purchases_age(_handle, out ms));
                return ms < 0 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms);
            }
        }

        /// <summary>Obtains a user delegation token for your studio's purchase server. Send it to
        /// your backend only; never log it.</summary>
        public Task<DelegationToken> RequestDelegationTokenAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return Start(DelegationToken.FromNative, cancellationToken, (IntPtr ud, out ulong id) =>
                Native.modio_market_client_request_delegation_token(_handle, Trampolines.OnRequest, ud, out id));
        }

        // ---------------------------------------------------------------------------------
        // Lifetime
        // ---------------------------------------------------------------------------------

        /// <summary>
        /// Frees the native client: every pending request's task faults with
        /// <see cref="ResultCode.ShutDown"/> before this returns (continuations run here, on this
        /// thread), the worker threads are joined (at most 2 s for ones blocked on the network, which
        /// then finish alone and never call back), and no callback runs afterwards. Idempotent.
        /// When another thread is inside a call on this client at that moment, Dispose waits for
        /// that call to return (native calls are short) and the free happens there.
        /// </summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            ClientRegistry.Remove(this);
            try
            {
                _handle.DisposeAndWaitForFree();
            }
            finally
            {
                try
                {
                    _dispatcher.Drain();
                }
                catch (Exception)
                {
                    // Only a log handler can throw here; Dispose does not.
                }
            }
        }

        private delegate ResultCode Submit(IntPtr userData, out ulong requestId);

        /// <summary>The one path every request takes: a one-shot GCHandle as user_data, freed by the
        /// trampoline, or here when the library refused the request (it then never calls back).</summary>
        private Task<T> Start<T>(Func<IntPtr, T> convert, CancellationToken cancellationToken, Submit submit,
            IProgress<DownloadProgress> progress = null)
        {
            ThrowIfDisposed();
            if (cancellationToken.IsCancellationRequested)
                return Task.FromCanceled<T>(cancellationToken);
            var request = new PendingRequest<T>(_dispatcher, convert) { Progress = progress };
            IntPtr userData = GCHandles.Alloc(request);
            ResultCode rc;
            ulong requestId;
            try
            {
                rc = submit(userData, out requestId);
            }
            catch
            {
                GCHandles.Free(userData);
                throw;
            }
            if (rc != ResultCode.Ok)
            {
                ModioMarketException error = ModioMarketException.FromLastError(rc);
                GCHandles.Free(userData);
                return Task.FromException<T>(error);
            }
            request.Track(_handle, requestId, cancellationToken);
            return request.Task;
        }

        private void ThrowIfDisposed()
        {
            if (IsDisposed)
                throw new ObjectDisposedException("ModioMarketClient");
        }

        private static void Check(ResultCode rc)
        {
            if (rc != ResultCode.Ok)
                throw ModioMarketException.FromLastError(rc);
        }
    }
}
