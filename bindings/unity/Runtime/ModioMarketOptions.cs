using System;
using System.Collections.Generic;
using System.Threading;
using ModioMarket.Interop;

namespace ModioMarket
{
    /// <summary>How to reach mod.io: the game, its API key and the transport settings. Copied when
    /// a client is created.</summary>
    public sealed class ModioMarketOptions
    {
        public ModioMarketOptions(long gameId, string apiKey)
        {
            GameId = gameId;
            ApiKey = apiKey;
            Environment = ModioEnvironment.Live;
            LogLevel = LogLevel.Warn;
            ExtraRootCertificatesPem = new List<string>();
        }

        /// <summary>Your game's mod.io id.</summary>
        public long GameId { get; set; }

        /// <summary>Your game's mod.io API key (never logged by the library).</summary>
        public string ApiKey { get; set; }

        /// <summary>Live (default) or Test. Ignored when <see cref="BaseUrl"/> is set.</summary>
        public ModioEnvironment Environment { get; set; }

        /// <summary>Any base URL, e.g. https://g-1.modapi.io/v1 or a local test server
        /// http://127.0.0.1:8080/v1 (plain http only to loopback, unless AllowInsecureHttp).</summary>
        public string BaseUrl { get; set; }

        /// <summary>Sent as X-Modio-Portal (steam, xboxlive, psn, apple, google, epicgames, ...).</summary>
        public string Portal { get; set; }

        /// <summary>Sent as X-Modio-Platform (windows, ps5, xboxseriesx, android, ...).</summary>
        public string Platform { get; set; }

        /// <summary>TCP/TLS connect timeout (library default 10 s).</summary>
        public TimeSpan? ConnectTimeout { get; set; }

        /// <summary>Whole-request timeout (library default 30 s).</summary>
        public TimeSpan? RequestTimeout { get; set; }

        /// <summary>Native worker threads, 1 to 64 (library default 2).</summary>
        public int? WorkerThreads { get; set; }

        /// <summary>Allow plain http:// to non-loopback hosts. Never in a shipped game.</summary>
        public bool AllowInsecureHttp { get; set; }

        /// <summary>CA certificates (PEM text, one or more BEGIN CERTIFICATE blocks each) trusted in
        /// addition to the bundled web roots, for a private test server with its own CA.
        /// Certificates are always verified; there is no way to turn verification off.</summary>
        public List<string> ExtraRootCertificatesPem { get; private set; }

        /// <summary>Answers larger than this are refused (library default 4 MiB; at least 1024).</summary>
        public long? MaxResponseBytes { get; set; }

        /// <summary>How requests safe to repeat (GETs, checkout with its idempotency key, entitlement
        /// syncs) are retried; null keeps the library's default (4 attempts, 200 ms doubling to
        /// 5 s, within 20 s). Sign-in and delegation tokens are never retried.</summary>
        public RetryPolicy RetryPolicy { get; set; }

        /// <summary>How a checkout left without an answer (lost connection, 5xx, 429) is resent in
        /// the background with its key and the player it was made for, while the client lives;
        /// outcomes arrive as <see cref="ModioMarketClient.CheckoutRecovered"/>. null keeps the
        /// library's default (2 s doubling to 60 s, 8 resends).</summary>
        public BackgroundRetry BackgroundRetry { get; set; }

        /// <summary>A directory the game owns (created if missing) where the library journals
        /// checkouts and keeps each user's purchased list (never a token): a checkout interrupted by
        /// a crash is then resumed with its idempotency key (see
        /// <see cref="ModioMarketClient.CheckoutRecovered"/>), and Owns answers offline as soon as a
        /// token the directory has seen before is set. In Unity: Path.Combine(Application.persistentDataPath, "modio-market").</summary>
        public string DataDirectory { get; set; }

        /// <summary>Where installed mods go (created if missing), one directory per mod id; needed by
        /// <see cref="ModioMarketClient.InstallModAsync"/>. In Unity: Path.Combine(Application.persistentDataPath, "mods").</summary>
        public string InstallDirectory { get; set; }

        /// <summary>The language mod.io answers in (Accept-Language: the terms, error messages), e.g.
        /// "de" or "pt-BR"; null for mod.io's default (English).</summary>
        public string Language { get; set; }

        /// <summary>Records at this level or more severe reach <see cref="ModioMarketClient.Log"/> (default Warn).</summary>
        public LogLevel LogLevel { get; set; }

        /// <summary>Builds the native configuration; throws <see cref="ModioMarketException"/> on the
        /// first setting the library refuses.</summary>
        internal ConfigHandle CreateNativeConfig()
        {
            if (GameId <= 0)
                throw new ArgumentOutOfRangeException("GameId", "must be a mod.io game id (> 0)");
            if (ApiKey == null)
                throw new ArgumentNullException("ApiKey");
            byte[] apiKey = Utf8.Encode(ApiKey, "ApiKey");
            IntPtr raw;
            ResultCode rc;
            try
            {
                rc = Native.modio_market_config_new((ulong)GameId, apiKey, out raw);
            }
            finally
            {
                Utf8.Wipe(apiKey);
            }
            Check(rc);
            var config = new ConfigHandle(raw);
            try
            {
                if (BaseUrl != null)
                    Check(Native.modio_market_config_set_base_url(config, Utf8.Encode(BaseUrl, "BaseUrl")));
                else
                    Check(Native.modio_market_config_set_environment(config, (uint)Environment));
                if (Portal != null)
                    Check(Native.modio_market_config_set_portal(config, Utf8.Encode(Portal, "Portal")));
                if (Platform != null)
                    Check(Native.modio_market_config_set_platform(config, Utf8.Encode(Platform, "Platform")));
                if (ConnectTimeout.HasValue || RequestTimeout.HasValue)
                {
                    uint connect = Milliseconds(ConnectTimeout ?? TimeSpan.FromSeconds(10), "ConnectTimeout");
                    uint request = Milliseconds(RequestTimeout ?? TimeSpan.FromSeconds(30), "RequestTimeout");
                    Check(Native.modio_market_config_set_timeouts(config, connect, request));
                }
                if (WorkerThreads.HasValue)
                {
                    if (WorkerThreads.Value < 0)
                        throw new ArgumentOutOfRangeException("WorkerThreads");
                    Check(Native.modio_market_config_set_worker_threads(config, (uint)WorkerThreads.Value));
                }
                foreach (string pem in ExtraRootCertificatesPem)
                    Check(Native.modio_market_config_add_root_certificate_pem(config, Utf8.EncodeRequired(pem, "ExtraRootCertificatesPem")));
                if (RetryPolicy != null)
                    Check(Native.modio_market_config_set_retry_policy(config, (uint)RetryPolicy.MaxAttempts,
                        Milliseconds(RetryPolicy.BaseDelay, "RetryPolicy.BaseDelay"),
                        Milliseconds(RetryPolicy.MaxDelay, "RetryPolicy.MaxDelay"),
                        Milliseconds(RetryPolicy.Deadline, "RetryPolicy.Deadline")));
                if (BackgroundRetry != null)
                    Check(Native.modio_market_config_set_background_retry(config,
                        Milliseconds(BackgroundRetry.FirstDelay, "BackgroundRetry.FirstDelay"),
                        Milliseconds(BackgroundRetry.MaxDelay, "BackgroundRetry.MaxDelay"),
                        (uint)BackgroundRetry.MaxAttempts));
                if (DataDirectory != null)
                    Check(Native.modio_market_config_set_data_dir(config, Utf8.Encode(DataDirectory, "DataDirectory")));
                if (InstallDirectory != null)
                    Check(Native.modio_market_config_set_install_dir(config, Utf8.Encode(InstallDirectory, "InstallDirectory")));
                if (Language != null)
                    Check(Native.modio_market_config_set_language(config, Utf8.Encode(Language, "Language")));
                if (AllowInsecureHttp)
                    Check(Native.modio_market_config_set_allow_insecure_http(config, true));
                if (MaxResponseBytes.HasValue)
                {
                    if (MaxResponseBytes.Value < 0)
                        throw new ArgumentOutOfRangeException("MaxResponseBytes");
                    Check(Native.modio_market_config_set_max_response_bytes(config, new UIntPtr((ulong)MaxResponseBytes.Value)));
                }
                return config;
            }
            catch
            {
                config.Dispose();
                throw;
            }
        }

        private static uint Milliseconds(TimeSpan value, string name)
        {
            double ms = value.TotalMilliseconds;
            if (ms < 0 || ms > uint.MaxValue)
                throw new ArgumentOutOfRangeException(name, "must be between 0 and 49 days");
            return (uint)ms;
        }

        private static void Check(ResultCode rc)
        {
            if (rc != ResultCode.Ok)
                throw ModioMarketException.FromLastError(rc);
        }
    }

    /// <summary>Retries of requests that are safe to repeat: connection failures, timeouts, 5xx,
    /// 429 (honouring retry-after) and answers cut short; never other 4xx.</summary>
    public sealed class RetryPolicy
    {
        public RetryPolicy(int maxAttempts, TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan deadline)
        {
            if (maxAttempts < 1)
                throw new ArgumentOutOfRangeException("maxAttempts", "counts the first attempt: at least 1");
            MaxAttempts = maxAttempts;
            BaseDelay = baseDelay;
            MaxDelay = maxDelay;
            Deadline = deadline;
        }

        /// <summary>Never retry.</summary>
        public static RetryPolicy None
        {
            get { return new RetryPolicy(1, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(20)); }
        }

        /// <summary>Attempts in all, the first included (1 = never retry; the library allows up to 20).</summary>
        public int MaxAttempts { get; private set; }
        /// <summary>The first backoff; it doubles, jittered, up to MaxDelay.</summary>
        public TimeSpan BaseDelay { get; private set; }
        public TimeSpan MaxDelay { get; private set; }
        /// <summary>No retry starts that would end later than this after the first attempt.</summary>
        public TimeSpan Deadline { get; private set; }
    }

    /// <summary>Background resends of checkouts left without an answer (see
    /// <see cref="ModioMarketOptions.BackgroundRetry"/>).</summary>
    public sealed class BackgroundRetry
    {
        public BackgroundRetry(TimeSpan firstDelay, TimeSpan maxDelay, int maxAttempts)
        {
            if (maxAttempts < 0)
                throw new ArgumentOutOfRangeException("maxAttempts", "0 (none) or more");
            FirstDelay = firstDelay;
            MaxDelay = maxDelay;
            MaxAttempts = maxAttempts;
        }

        /// <summary>Wait before the first resend; it doubles up to MaxDelay.</summary>
        public TimeSpan FirstDelay { get; private set; }
        public TimeSpan MaxDelay { get; private set; }
        /// <summary>Resends in all (0 = none; the library allows up to 100).</summary>
        public int MaxAttempts { get; private set; }
    }

    /// <summary>Meta headset family for Meta sign-in and entitlement sync.</summary>
    public enum MetaDevice
    {
        Quest,
        Rift,
    }

    /// <summary>Where <see cref="ModioMarketClient.SyncEntitlementsAsync"/> reads the player's
    /// purchases of virtual currency from. Secrets (tokens, receipts) are copied into the native
    /// library for the call and never logged.</summary>
    public abstract class EntitlementSource
    {
        private EntitlementSource(string portal)
        {
            Portal = portal;
        }

        /// <summary>The mod.io portal name ("steam", "xboxlive", ...).</summary>
        public string Portal { get; private set; }

        public override string ToString()
        {
            return "EntitlementSource(" + Portal + ")";
        }

        /// <summary>Steam: the signed-in user's Steam inventory (no credential needed).</summary>
        public static EntitlementSource Steam()
        {
            return new Simple("steam", (ClientHandle h, IntPtr ud, out ulong id) => Native.modio_market_client_sync_steam(h, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Xbox Live, with a token from GetTokenAndSignatureAsync.</summary>
        public static EntitlementSource XboxLive(string xboxToken)
        {
            CheckNotNull(xboxToken, "xboxToken");
            return new Simple("xboxlive", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] token = Utf8.Encode(xboxToken, "xboxToken");
                try { return Native.modio_market_client_sync_xbox_live(h, token, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(token); }
            });
        }

        /// <summary>PlayStation Network, with an auth code; environment and service label when not the defaults.</summary>
        public static EntitlementSource Psn(string authCode, long? environment = null, long? serviceLabel = null)
        {
            CheckNotNull(authCode, "authCode");
            return new Simple("psn", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] code = Utf8.Encode(authCode, "authCode");
                try { return Native.modio_market_client_sync_psn(h, code, environment ?? -1, serviceLabel ?? -1, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(code); }
            });
        }

        /// <summary>Meta Quest / Rift, for the Meta user id.</summary>
        public static EntitlementSource Meta(MetaDevice device, long userId)
        {
            if (userId < 0)
                throw new ArgumentOutOfRangeException("userId");
            return new Simple("meta", (ClientHandle h, IntPtr ud, out ulong id) =>
                Native.modio_market_client_sync_meta(h, Utf8.Encode(DeviceName(device), "device"), (ulong)userId, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Apple App Store, from a receipt.</summary>
        public static EntitlementSource Apple(string receipt)
        {
            CheckNotNull(receipt, "receipt");
            return new Simple("apple", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] bytes = Utf8.Encode(receipt, "receipt");
                try { return Native.modio_market_client_sync_apple(h, bytes, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(bytes); }
            });
        }

        /// <summary>Google Play, from a receipt (purchase token).</summary>
        public static EntitlementSource Google(string receipt)
        {
            CheckNotNull(receipt, "receipt");
            return new Simple("google", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] bytes = Utf8.Encode(receipt, "receipt");
                try { return Native.modio_market_client_sync_google(h, bytes, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(bytes); }
            });
        }

        internal static string DeviceName(MetaDevice device)
        {
            switch (device)
            {
                case MetaDevice.Quest: return "quest";
                case MetaDevice.Rift: return "rift";
                default: throw new ArgumentOutOfRangeException("device");
            }
        }

        // Refuses null and what cannot be sent (NUL, lone surrogates) now, not at sync time; the
        // secret is encoded again for each call and wiped right after it.
        private static void CheckNotNull(string value, string name)
        {
            Utf8.Wipe(Utf8.EncodeRequired(value, name));
        }

        internal delegate ResultCode Submit(ClientHandle client, IntPtr userData, out ulong requestId);

        internal abstract ResultCode Start(ClientHandle client, IntPtr userData, out ulong requestId);

        private sealed class Simple : EntitlementSource
        {
            private readonly Submit _submit;

            internal Simple(string portal, Submit submit)
                : base(portal)
            {
                _submit = submit;
            }

            internal override ResultCode Start(ClientHandle client, IntPtr userData, out ulong requestId)
            {
                return _submit(client, userData, out requestId);
            }
        }
    }

    /// <summary>Which platform to ask for purchases not converted yet
    /// (<see cref="ModioMarketClient.GetUnconvertedEntitlementsAsync"/>).</summary>
    public sealed class UnconvertedSource
    {
        private readonly EntitlementSource.Submit _submit;

        private UnconvertedSource(string portal, EntitlementSource.Submit submit)
        {
            Portal = portal;
            _submit = submit;
        }

        /// <summary>The mod.io portal name.</summary>
        public string Portal { get; private set; }

        /// <summary>Steam: the signed-in user's Steam account.</summary>
        public static UnconvertedSource Steam()
        {
            return new UnconvertedSource("steam", (ClientHandle h, IntPtr ud, out ulong id) =>
                Native.modio_market_client_unconverted_entitlements_steam(h, Trampolines.OnRequest, ud, out id));
        }

        /// <summary>Xbox Live, with a token from GetTokenAndSignatureAsync.</summary>
        public static UnconvertedSource XboxLive(string xboxToken)
        {
            Utf8.Wipe(Utf8.EncodeRequired(xboxToken, "xboxToken"));
            return new UnconvertedSource("xboxlive", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] token = Utf8.Encode(xboxToken, "xboxToken");
                try { return Native.modio_market_client_unconverted_entitlements_xbox_live(h, token, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(token); }
            });
        }

        /// <summary>PlayStation Network (set <see cref="ModioMarketOptions.Platform"/> to ps4 or ps5 first).</summary>
        public static UnconvertedSource Psn(string authCode, long? environment = null, long? serviceLabel = null)
        {
            Utf8.Wipe(Utf8.EncodeRequired(authCode, "authCode"));
            return new UnconvertedSource("psn", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] code = Utf8.Encode(authCode, "authCode");
                try { return Native.modio_market_client_unconverted_entitlements_psn(h, code, environment ?? -1, serviceLabel ?? -1, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(code); }
            });
        }

        /// <summary>Epic Games Store: a bearer token acting for the player, and the sandbox (null: none).</summary>
        public static UnconvertedSource EpicGames(string epicGamesToken, string sandboxId = null)
        {
            Utf8.Wipe(Utf8.EncodeRequired(epicGamesToken, "epicGamesToken"));
            byte[] sandbox = Utf8.Encode(sandboxId, "sandboxId");
            return new UnconvertedSource("epicgames", (ClientHandle h, IntPtr ud, out ulong id) =>
            {
                byte[] token = Utf8.Encode(epicGamesToken, "epicGamesToken");
                try { return Native.modio_market_client_unconverted_entitlements_epic(h, token, sandbox, Trampolines.OnRequest, ud, out id); }
                finally { Utf8.Wipe(token); }
            });
        }

        internal ResultCode Start(ClientHandle client, IntPtr userData, out ulong requestId)
        {
            return _submit(client, userData, out requestId);
        }
    }
}
