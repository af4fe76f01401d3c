// The C# API against the fake mod.io server: every call, the error paths, cancellation, threads,
// Dispose with requests in flight, and many create/dispose cycles without leaks.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using ModioMarket.Interop;

namespace ModioMarket.Tests
{
    internal static class ClientTests
    {
        public static void Register()
        {
            Suite.Run("library: version and result descriptions", Version);
            Suite.Run("strings: UTF-8 both ways, NUL and lone surrogates refused", Utf8Strings);
            Suite.Run("options: invalid settings fail with the library's message", Options);
            Suite.Run("auth: Steam, Xbox Live, PSN, Meta, Apple, Google, Epic sign in", AuthEveryPlatform);
            Suite.Run("auth: 401/11018 bad ticket, 403/11074 terms, 401/11027 and 11032 bad credentials", AuthErrors);
            Suite.Run("wallet: balances of alice and bob", Wallet);
            Suite.Run("sync: Steam converts 2 x GOLD_1000, a second sync converts nothing", SyncSteam);
            Suite.Run("sync: Xbox Live, PSN, Meta, Apple, Google convert their inventory", SyncOtherPortals);
            Suite.Run("sync: 400/11069 not linked, 422/900096 platform fetch failed", SyncErrors);
            Suite.Run("game: settings and flags", GameSettings);
            Suite.Run("mods: premium pages, search, free and both listings", ModListings);
            Suite.Run("mod: every field copied out of the C struct", OneMod);
            Suite.Run("mod: 404/15022 for an unknown id", ModNotFound);
            Suite.Run("checkout: buys, debits, owns at once, replays an idempotency key", Checkout);
            Suite.Run("checkout: 422/900049 insufficient funds", InsufficientFunds);
            Suite.Run("checkout: 422/900034 already owned, 422/900035 price mismatch", AlreadyOwnedAndMismatch);
            Suite.Run("purchases: refresh fills the ownership cache; a refund empties it", RefreshPurchases);
            Suite.Run("delegation token: entity and token, redacted in ToString", DelegationToken);
            Suite.Run("access token: set, clear, NotAuthenticated", AccessTokens);
            Suite.Run("errors: 422 field errors and 429 retry-after reach the exception", FieldErrorsAndRateLimit);
            Suite.Run("errors: synchronous refusals fault the task with the library's message", SynchronousRefusal);
            Suite.Run("log: records reach the event on the pumping thread, without secrets", Logging);
            Suite.Run("threads: continuations run after poll returns and may pump, start or dispose", ContinuationsMayReenter);
            Suite.Run("threads: requests may start on any thread; tasks complete on the pumping one", StartFromOtherThreads);
            Suite.Run("async/await: a whole store flow driven by PumpUntil", AsyncFlow);
            Suite.Run("cancellation: a token cancels the native request", Cancellation);
            Suite.Run("cancellation: pre-cancelled tokens, CancelAfter, cancel after completion", CancellationEdges);
            Suite.Run("pump: PumpUntil times out, pending counts, Pump returns completions", PumpBehaviour);
            Suite.Run("dispose: requests in flight fault with ShutDown inside Dispose", DisposeInFlight);
            Suite.Run("dispose: a worker stuck on the network is detached and never calls back", DisposeStuckWorker);
            Suite.Run("dispose: DisposeAll (domain reload, quit) frees every live client", DisposeAll);
            Suite.Run("dispose: while another thread is inside a native call, Dispose waits and still completes every task", DisposeDuringNativeCall);
            Suite.Run("dispose: racing calls and cancellations from other threads leave no task or GCHandle behind", DisposeRacingThreads);
            Suite.Run("recovery: an interrupted checkout is completed with its key on the next start", Recovery);
            Suite.Run("lifetime: 250 create/dispose cycles leak no GCHandle, client or thread", Cycles);
            Suite.Run("store page: terms (German), player, currency packs, unconverted entitlements, UDT", StorePage);
            Suite.Run("downloads: modfile, install with IProgress on the pumping thread, uninstall", Downloads);
        }

        private sealed class RecordingProgress : IProgress<DownloadProgress>
        {
            public readonly List<DownloadProgress> Seen = new List<DownloadProgress>();
            public readonly int Thread = System.Threading.Thread.CurrentThread.ManagedThreadId;
            public bool OtherThread;
            public Task Completion;
            public bool AfterCompletion;

            public void Report(DownloadProgress value)
            {
                OtherThread |= System.Threading.Thread.CurrentThread.ManagedThreadId != Thread;
                AfterCompletion |= Completion != null && Completion.IsCompleted;
                Seen.Add(value);
            }
        }

        private static void StorePage()
        {
            Fake.Reset();
            ModioMarketOptions german = Drive.Options();
            german.Language = "de";
            using (var client = new ModioMarketClient(german))
            {
                Terms terms = Drive.Await(client, client.GetTermsAsync());
                Check.Equal("Ich stimme zu", terms.AgreeText, "German agree button");
                Check.Equal(6, terms.Links.Count, "six links");
                Check.True(terms.Link("terms") != null && terms.Link("terms").Required && terms.Link("nope") == null, "the Terms of Use are required");
            }
            ModioMarketOptions bad = Drive.Options();
            bad.Language = "de\r\nX: 1";
            Check.Throws<ModioMarketException>(() => new ModioMarketClient(bad).Dispose(), "a language that is not a tag is refused");
            using (ModioMarketClient client = Drive.NewClient())
            {
                ModioMarketException signedOut = Drive.Fails(client, client.GetUserAsync());
                Check.Equal(ResultCode.NotAuthenticated, signedOut.Code, "get_user signed out");
                Drive.SignIn(client, Fake.AliceTicket);
                User me = Drive.Await(client, client.GetUserAsync());
                Check.True(me.Id == 1 && me.Username == "alice", "the player is alice");
                TokenPacks packs = Drive.Await(client, client.GetTokenPacksAsync());
                Check.Equal("Gold", packs.TokenName, "the currency name");
                Check.True(packs.Packs.Any(p => p.Sku == "GOLD_1000" && p.Amount == 1000 && p.Price == 999 && p.Portal == "STEAM"), "GOLD_1000 on Steam");
                UnconvertedEntitlements pending = Drive.Await(client, client.GetUnconvertedEntitlementsAsync(UnconvertedSource.Steam()));
                Check.Equal(2L, pending.Total, "two GOLD_1000 to convert");
                Check.Equal(2, pending.TokenPacks, "both are token packs");
                Check.True(pending.Entitlements.All(e => e.SkuId == "GOLD_1000" && e.Kind == EntitlementKind.TokenPack), "sku and kind copied");
                Check.Equal(0L, Drive.Await(client, client.GetWalletAsync()).Balance, "listing converted nothing");
                Drive.Await(client, client.SyncEntitlementsAsync(EntitlementSource.Steam()));
                Check.Equal(0L, Drive.Await(client, client.GetUnconvertedEntitlementsAsync(UnconvertedSource.Steam())).Total, "nothing left after a sync");
                Drive.Await(client, client.GetUnconvertedEntitlementsAsync(UnconvertedSource.XboxLive("XBL3.0 x=alice;ey+/=&%?")));
                ModioMarketException psn = Drive.Faulted(client.GetUnconvertedEntitlementsAsync(UnconvertedSource.Psn("psn-alice")));
                Check.Equal(ResultCode.InvalidArgument, psn.Code, "PSN without the platform is refused");
                ModioMarketException sandbox = Drive.Faulted(client.GetUnconvertedEntitlementsAsync(UnconvertedSource.EpicGames("t", "a b")));
                Check.Equal(ResultCode.InvalidArgument, sandbox.Code, "a bad Epic sandbox is refused");
                Check.Throws<ArgumentNullException>(() => client.GetUnconvertedEntitlementsAsync(null), "a null source");
                DelegationToken delegation = Drive.Await(client, client.RequestDelegationTokenAsync());
                using (ModioMarketClient studio = Drive.NewClient())
                {
                    Drive.Await(studio, studio.AuthenticateUdtAsync(delegation.Token));
                    Check.Equal(1L, Drive.Await(studio, studio.GetUserAsync()).Id, "the studio acts as alice");
                    ModioMarketException forged = Drive.Fails(studio, studio.AuthenticateUdtAsync("forged"));
                    Drive.HttpError(forged, 401, 11005, "TOKEN_EXPIRED_OR_REVOKED");
                }
            }
        }

        private static void Downloads()
        {
            Fake.Reset();
            string root = Path.Combine(Path.GetTempPath(), "modio-cs-install-" + Guid.NewGuid().ToString("N"));
            try
            {
                using (ModioMarketClient plain = Drive.NewClient())
                {
                    Check.Equal(ResultCode.InvalidArgument, Drive.Faulted(plain.InstallModAsync(2001)).Code, "install without an install directory");
                    Check.Throws<ModioMarketException>(() => plain.InstalledMods(), "InstalledMods without an install directory");
                }
                ModioMarketOptions options = Drive.Options();
                options.InstallDirectory = Path.Combine(root, "mods");
                options.DataDirectory = Path.Combine(root, "data");
                using (var client = new ModioMarketClient(options))
                {
                    Mod mod = Drive.Await(client, client.GetModAsync(2001));
                    Modfile file = Drive.Await(client, client.GetModfileAsync(2001, mod.ModfileId));
                    Check.True(file.Md5 == mod.Md5 && file.ModId == 2001 && file.BinaryUrl.Contains("/download/"), "the modfile matches the mod");
                    Drive.HttpError(Drive.Fails(client, client.GetModfileAsync(2001, 999999)), 404, 15010, "MODFILE_NOT_FOUND");
                    int handles = GCHandles.Live;
                    var progress = new RecordingProgress();
                    Task<InstalledMod> install = client.InstallModAsync(2001, progress);
                    progress.Completion = install;
                    InstalledMod installed = Drive.Await(client, install);
                    Check.True(installed.ModId == 2001 && installed.Md5 == mod.Md5 && File.Exists(Path.Combine(installed.Path, "modinfo.txt")),
                        "installed into " + installed.Path);
                    Check.True(progress.Seen.Count > 0 && progress.Seen.Last().BytesDone == progress.Seen.Last().BytesTotal
                        && progress.Seen.Last().BytesTotal == mod.Filesize, "progress ended at the file's size");
                    Check.True(!progress.OtherThread && !progress.AfterCompletion, "progress ran on the pumping thread, before the task completed");
                    Check.Equal(handles, GCHandles.Live, "the install's GCHandle was freed");
                    IReadOnlyList<InstalledMod> list = client.InstalledMods();
                    Check.True(list.Count == 1 && list[0].ModId == 2001 && list[0].Path == installed.Path, "InstalledMods lists 2001");
                    InstalledMod removed = Drive.Await(client, client.UninstallModAsync(2001));
                    Check.True(removed.ModId == 2001 && !Directory.Exists(removed.Path), "uninstalled");
                    Check.Equal(ResultCode.InvalidArgument, Drive.Fails(client, client.UninstallModAsync(2001)).Code, "uninstalling again");
                    Check.Equal(0, client.InstalledMods().Count, "nothing installed");
                    Check.Throws<ArgumentOutOfRangeException>(() => client.InstallModAsync(0), "mod id 0");
                }
            }
            finally
            {
                if (Directory.Exists(root))
                    Directory.Delete(root, true);
            }
        }

        // ---------------------------------------------------------------------------------

        private static void Version()
        {
            string v = ModioMarketClient.LibraryVersion;
            Check.True(Regex.IsMatch(v ?? "", @"^\d+\.\d+\.\d+"), "version looks like x.y.z: " + v);
            Check.True(ModioMarketClient.IsLibraryCompatible, "the library serves the header these bindings mirror");
            Check.True(v.StartsWith(Native.MODIO_MARKET_VERSION_MAJOR + "." + Native.MODIO_MARKET_VERSION_MINOR + "."),
                "the library's version " + v + " is the mirrored header's");
            string timeout = ModioMarketException.DescribeCode(ResultCode.Timeout);
            Check.True(timeout.Contains("time"), "Timeout is described: " + timeout);
            Check.True(timeout != ModioMarketException.DescribeCode(ResultCode.Http), "codes have their own descriptions");
            var e = new ModioMarketException(ResultCode.Http, "x");
            Check.Equal("MODIO_MARKET_RESULT_HTTP", e.CodeName, "code name");
        }

        private static void Utf8Strings()
        {
            Fake.Reset();
            const string name = "Épée de l'aube 騎士 🐉";
            Fake.Post("/mods", "{\"id\":3001,\"game_id\":1,\"name\":\"" + name + "\",\"price\":10}");
            using (ModioMarketClient client = Drive.NewClient())
            {
                Mod mod = Drive.Await(client, client.GetModAsync(3001));
                Check.Equal(name, mod.Name, "a non-ASCII name decoded from UTF-8");

                const string search = "Ünïcødé 騎士";
                ModPage page = Drive.Await(client, client.GetModsAsync(RevenueType.Both, 0, 10, search));
                string requests = Fake.Get("/requests");
                Match q = Regex.Match(requests, "_q=([^&\"]*)");
                Check.True(q.Success, "the search went out as _q");
                string sent = Uri.UnescapeDataString(q.Groups[1].Value.Replace('+', ' '));
                Check.Equal(search, sent, "the search string arrived as UTF-8");
                Check.True(page.Mods.Count == 1 && page.Mods[0].Id == 3001, "the unicode search matched the mod by its word 騎士");

                Check.Throws<ArgumentException>(() => client.GetModsAsync(RevenueType.Paid, 0, 10, "a\0b"), "NUL in a string");
                Check.Throws<ArgumentException>(() => client.AuthenticateSteamAsync("ticket\uD800", true), "a lone surrogate");
                Check.Throws<ArgumentNullException>(() => client.AuthenticateSteamAsync(null, true), "a null ticket");
            }
        }

        private static void Options()
        {
            ModioMarketOptions options = Drive.Options();
            options.BaseUrl = "http://example.com/v1"; // plain http to a non-loopback host
            var e = Check.Throws<ModioMarketException>(() => new ModioMarketClient(options), "insecure URL");
            Check.Equal(ResultCode.InsecureUrl, e.Code, "code");
            Check.True(!string.IsNullOrEmpty(e.Message), "message from modio_market_last_error_message");

            options = Drive.Options();
            options.WorkerThreads = 0;
            e = Check.Throws<ModioMarketException>(() => new ModioMarketClient(options), "0 worker threads");
            Check.Equal(ResultCode.InvalidArgument, e.Code, "code");
            Check.True(e.Message.Contains("thread"), "the message names the setting: " + e.Message);

            options = Drive.Options();
            options.ExtraRootCertificatesPem.Add("not a certificate");
            e = Check.Throws<ModioMarketException>(() => new ModioMarketClient(options), "a PEM without a certificate");
            Check.Equal(ResultCode.InvalidArgument, e.Code, "code");

            Check.Throws<ArgumentOutOfRangeException>(() => new ModioMarketClient(new ModioMarketOptions(0, Fake.ApiKey)), "game id 0");
            Check.Throws<ArgumentNullException>(() => new ModioMarketClient(null), "null options");

            options = Drive.Options();
            options.Portal = "steam";
            options.Platform = "windows";
            options.ConnectTimeout = TimeSpan.FromSeconds(5);
            options.RequestTimeout = TimeSpan.FromSeconds(15);
            options.WorkerThreads = 3;
            options.MaxResponseBytes = 1 << 20;
            options.RetryPolicy = new RetryPolicy(2, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
            using (var client = new ModioMarketClient(options))
            {
                Drive.Await(client, client.GetGameAsync());
                string requests = Fake.Get("/requests");
                Check.True(requests.Contains("\"x-modio-portal\":\"steam\""), "X-Modio-Portal sent");
                Check.True(requests.Contains("\"x-modio-platform\":\"windows\""), "X-Modio-Platform sent");
            }
        }

        private static void AuthEveryPlatform()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                var tokens = new Dictionary<string, AccessToken>
                {
                    { "steam", Drive.Await(client, client.AuthenticateSteamAsync(Fake.AliceTicket, true)) },
                    { "xbox", Drive.Await(client, client.AuthenticateXboxLiveAsync("XBL3.0 x=alice;ey+/=&%?", true)) },
                    { "psn", Drive.Await(client, client.AuthenticatePsnAsync("psn-alice", true)) },
                    { "meta", Drive.Await(client, client.AuthenticateMetaAsync(MetaDevice.Quest, "n", 1001, "meta-alice", true)) },
                    { "apple", Drive.Await(client, client.AuthenticateAppleAsync("apple-alice", true)) },
                    { "google", Drive.Await(client, client.AuthenticateGoogleAsync("google-alice", null, true)) },
                    { "epic", Drive.Await(client, client.AuthenticateEpicAsync("epic-alice", true)) },
                };
                foreach (KeyValuePair<string, AccessToken> t in tokens)
                {
                    Check.True(!string.IsNullOrEmpty(t.Value.Token), t.Key + ": a token");
                    Check.True(t.Value.DateExpires > now, t.Key + ": expires in the future");
                    Check.True(!t.Value.ToString().Contains(t.Value.Token), t.Key + ": ToString redacts the token");
                }
                // The client keeps the last token: a call that needs a user works.
                Check.Equal(0L, Drive.Await(client, client.GetWalletAsync()).Balance, "alice's wallet after sign-in");
                Check.Throws<ArgumentException>(() => client.AuthenticateGoogleAsync(null, null, true), "Google needs a code or a token");
            }
        }

        private static void AuthErrors()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.HttpError(Drive.Fails(client, client.AuthenticateSteamAsync("not-a-ticket", true)), 401, ErrorRef.SteamAppTicketInvalid, "STEAM_APP_TICKET_INVALID");
                Drive.HttpError(Drive.Fails(client, client.AuthenticateSteamAsync(Fake.CarolTicket, false)), 403, ErrorRef.NoTermsAgreement, "NO_TERMS_AGREEMENT");
                Drive.HttpError(Drive.Fails(client, client.AuthenticateXboxLiveAsync("XBL3.0 x=mallory", true)), 401, ErrorRef.XboxLiveInvalidToken, "XBOX_LIVE_INVALID_TOKEN");
                Drive.HttpError(Drive.Fails(client, client.AuthenticateAppleAsync("apple-mallory", true)), 401, ErrorRef.UnableToVerifyExternalCredentials, "UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS");
                // Carol can sign in once she agrees.
                Check.True(!string.IsNullOrEmpty(Drive.SignIn(client, Fake.CarolTicket).Token), "carol with terms agreed");
            }
        }

        private static void Wallet()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.AliceTicket);
                Wallet alice = Drive.Await(client, client.GetWalletAsync());
                Check.Equal(0L, alice.Balance, "alice's balance");
                Check.Equal(Fake.GameId, alice.GameId, "wallet game");
                Check.True(!string.IsNullOrEmpty(alice.Currency) && !string.IsNullOrEmpty(alice.WalletType), "currency and type copied");
                Drive.SignIn(client, Fake.BobTicket);
                Wallet bob = Drive.Await(client, client.GetWalletAsync());
                Check.Equal(500L, bob.Balance, "bob's balance");
                Check.Equal(0L, bob.Deficit, "bob's deficit");
            }
        }

        private static void SyncSteam()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.AliceTicket);
                EntitlementSync sync = Drive.Await(client, client.SyncEntitlementsAsync(EntitlementSource.Steam()));
                Check.Equal(2000L, sync.Balance, "balance after converting 2 x GOLD_1000");
                Check.Equal(2, sync.Entitlements.Count, "two entitlement lines");
                foreach (Entitlement line in sync.Entitlements)
                {
                    Check.Equal("GOLD_1000", line.SkuId, "sku");
                    Check.Equal(EntitlementState.Fulfilled, line.State, "state");
                    Check.Equal("fulfilled", line.StateName, "state name");
                    Check.True(line.Consumed, "consumed");
                    Check.Equal(0L, line.EntitlementType, "virtual currency");
                    Check.True(!string.IsNullOrEmpty(line.TransactionId), "transaction id");
                    Check.Equal(null, line.DetailsJson, "details null");
                }
                Check.True(sync.Entitlements[0].TransactionId != sync.Entitlements[1].TransactionId, "distinct transactions");
                EntitlementSync again = Drive.Await(client, client.SyncEntitlementsAsync(EntitlementSource.Steam()));
                Check.Equal(0, again.Entitlements.Count, "nothing left to convert");
                Check.Equal(2000L, again.Balance, "balance unchanged");
                Check.Equal(2000L, Drive.Await(client, client.GetWalletAsync()).Balance, "the wallet agrees");
            }
        }

        private static void SyncOtherPortals()
        {
            Fake.Reset();
            var sources = new[]
            {
                new KeyValuePair<string, EntitlementSource>("xboxlive", EntitlementSource.XboxLive("XBL3.0 x=alice;ey+/=&%?")),
                new KeyValuePair<string, EntitlementSource>("psn", EntitlementSource.Psn("psn-alice")),
                new KeyValuePair<string, EntitlementSource>("meta", EntitlementSource.Meta(MetaDevice.Quest, 1001)),
                new KeyValuePair<string, EntitlementSource>("apple", EntitlementSource.Apple("apple-receipt-1")),
                new KeyValuePair<string, EntitlementSource>("google", EntitlementSource.Google("google-purchase-token-1")),
            };
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.AliceTicket);
                long expected = 0;
                foreach (KeyValuePair<string, EntitlementSource> source in sources)
                {
                    Fake.Post("/users/1/entitlements", "{\"portal\":\"" + source.Key + "\",\"sku\":\"GOLD_500\",\"count\":1}");
                    EntitlementSync sync = Drive.Await(client, client.SyncEntitlementsAsync(source.Value));
                    expected += 500;
                    Check.Equal(source.Key, source.Value.Portal, "portal name");
                    Check.Equal(1, sync.Entitlements.Count, source.Key + ": one line");
                    Check.Equal("GOLD_500", sync.Entitlements[0].SkuId, source.Key + ": sku");
                    Check.Equal(expected, sync.Balance, source.Key + ": balance");
                }
                Check.True(!EntitlementSource.XboxLive("secret-token").ToString().Contains("secret"), "ToString shows no credential");
            }
        }

        private static void SyncErrors()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.BobTicket);
                Drive.HttpError(Drive.Fails(client, client.SyncEntitlementsAsync(EntitlementSource.XboxLive("XBL3.0 x=bob"))), 400,
                    ErrorRef.UserConnectionMemberNotFound, "USER_CONNECTION_MEMBER_NOT_FOUND");
                Fake.Post("/users/2/platform_fetch_fails", "{\"fails\":true}");
                Drive.HttpError(Drive.Fails(client, client.SyncEntitlementsAsync(EntitlementSource.Steam())), 422,
                    ErrorRef.MonetizationPlatformFetchFailed, "MONETIZATION_PLATFORM_FETCH_FAILED");
            }
        }

        private static void GameSettings()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Game game = Drive.Await(client, client.GetGameAsync());
                Check.Equal(1L, game.Id, "id");
                Check.Equal("Rogue Knight", game.Name, "name");
                Check.Equal(ApiAccessOptions.Open | ApiAccessOptions.Downloads, game.ApiAccessOptions, "api_access_options 3");
                Check.True(game.Open && game.DirectDownloads, "open, direct downloads");
                Check.True(!game.AuthorisedDownloadsOnly && !game.PaidDownloadsNeedPurchase, "no authorised/paid download flags");
                Check.Equal("Gold", game.TokenName, "token name");
                Check.True(game.Json.Contains("\"api_access_options\":3"), "the whole JSON");
            }
        }

        private static void ModListings()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                var prices = new Dictionary<long, long>();
                long offset = 0;
                int pages = 0;
                while (true)
                {
                    ModPage page = Drive.Await(client, client.GetPremiumModsAsync(offset, 2));
                    pages++;
                    Check.Equal(5L, page.ResultTotal, "5 premium mods");
                    Check.Equal(offset, page.ResultOffset, "offset echoed");
                    Check.Equal(2L, page.ResultLimit, "limit echoed");
                    foreach (Mod m in page.Mods)
                    {
                        Check.True(m.IsPremium, m + " is premium");
                        prices[m.Id] = m.Price;
                    }
                    if (!page.HasMore)
                        break;
                    offset += page.Mods.Count;
                }
                Check.Equal(3, pages, "pages of 2");
                Check.Equal("1001:100,1002:250,1003:400,1004:1500,1005:50",
                    string.Join(",", prices.OrderBy(p => p.Key).Select(p => p.Key + ":" + p.Value)), "the premium catalogue");

                ModPage dragon = Drive.Await(client, client.GetPremiumModsAsync(0, 100, "dragon"));
                Check.Equal("1003", string.Join(",", dragon.Mods.Select(m => m.Id)), "search by name");
                ModPage free = Drive.Await(client, client.GetModsAsync(RevenueType.Free));
                Check.Equal("2001,2002", string.Join(",", free.Mods.Select(m => m.Id).OrderBy(i => i)), "free mods");
                Check.True(free.Mods.All(m => m.Price == 0 && !m.IsPremium), "free mods cost nothing");
                Check.Equal(7L, Drive.Await(client, client.GetModsAsync(RevenueType.Both)).ResultTotal, "both");

                // A store page: the filters and orders of ModQuery.
                ModPage dear = Drive.Await(client, client.GetModsAsync(new ModQuery { Sort = ModSortField.Price, Descending = true, Limit = 2 }));
                Check.Equal("1004,1003", string.Join(",", dear.Mods.Select(m => m.Id)), "most expensive first");
                ModPage wish = Drive.Await(client, client.GetModsAsync(new ModQuery
                {
                    RevenueType = RevenueType.Both,
                    Ids = new long[] { 1005, 1001, 2001 },
                    TagsAll = new[] { "Premium" },
                    PriceMax = 60,
                }));
                Check.Equal("1005", string.Join(",", wish.Mods.Select(m => m.Id)), "the wishlist's Premium mods at most 60");
                ModPage popular = Drive.Await(client, client.GetModsAsync(new ModQuery { TagsAny = new[] { "Premium", "Free" }, RevenueType = RevenueType.Both, Sort = ModSortField.Name }));
                Check.Equal("Castle Siege", popular.Mods[0].Name, "by name, tags any-of");
                ModioMarketException comma = Drive.Fails(client, client.GetModsAsync(new ModQuery { TagsAny = new[] { "a,b" } }));
                Check.Equal(ResultCode.InvalidArgument, comma.Code, "a tag with a comma is refused by the library");
                Check.Throws<ArgumentOutOfRangeException>(() => client.GetModsAsync(new ModQuery { PriceMin = -1 }), "a negative price");
                Check.Throws<ArgumentNullException>(() => client.GetModsAsync((ModQuery)null), "a null query");
            }
        }

        private static void OneMod()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Mod m = Drive.Await(client, client.GetModAsync(1003));
                string raw = Fake.Http("GET", Fake.BaseUrl + "/games/1/mods/1003?api_key=" + Fake.ApiKey, null);
                Check.Equal(1003L, m.Id, "id");
                Check.Equal(1L, m.GameId, "game id");
                Check.Equal("Dragon Skins", m.Name, "name");
                Check.Equal(Fake.JsonString(raw, "name_id"), m.NameId, "name_id");
                Check.Equal(Fake.JsonString(raw, "summary"), m.Summary, "summary");
                Check.Equal(400L, m.Price, "price");
                Check.Equal(Fake.JsonString(raw, "profile_url"), m.ProfileUrl, "profile url");
                Check.True(m.LogoUrl.StartsWith("http"), "logo url");
                Check.Equal(Fake.JsonLong(raw.Substring(raw.IndexOf("\"modfile\"")), "id"), m.ModfileId, "modfile id");
                Check.Equal(Fake.JsonLong(raw, "filesize"), m.Filesize, "filesize");
                Check.Equal(Fake.JsonString(raw, "md5"), m.Md5, "md5");
                Check.Equal(Fake.JsonString(raw, "version"), m.Version, "version");
                Check.Equal(Fake.JsonLong(raw, "downloads_total"), m.DownloadsTotal, "downloads");
                Check.Equal((int)Fake.JsonLong(raw, "ratings_percentage_positive"), m.RatingPercentagePositive, "ratings %");
                Check.Equal(Fake.JsonString(raw, "ratings_display_text"), m.RatingDisplayText, "rating text");
                Check.True(m.RatingWeightedAggregate > 0 && m.RatingWeightedAggregate <= 100, "weighted aggregate " + m.RatingWeightedAggregate);
                Check.True(m.Json.Contains("\"id\":1003") && m.Json.Contains("Dragon Skins"), "the whole JSON");
            }
        }

        private static void ModNotFound()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                ModioMarketException e = Drive.Fails(client, client.GetModAsync(999999));
                Drive.HttpError(e, 404, ErrorRef.ModNotFound, "MOD_NOT_FOUND");
                Check.True(e.ToString().Contains("404") && e.ToString().Contains("15022"), "ToString has status and ref");
                Check.Throws<ArgumentOutOfRangeException>(() => client.GetModAsync(0), "mod id 0");
            }
        }

        private static void Checkout()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.AliceTicket);
                Drive.Await(client, client.SyncEntitlementsAsync(EntitlementSource.Steam())); // 2000 Gold
                Check.True(!client.Owns(1001), "not owned before");
                CheckoutResult r = Drive.Await(client, client.CheckoutAsync(1001, 100, "unity-test-1"));
                Check.Equal(1900L, r.Balance, "balance after buying a 100 mod");
                Check.Equal("unity-test-1", r.IdempotencyKey, "our key");
                Check.True(r.Transaction.Id > 0, "a transaction id");
                Check.Equal(100L, r.Transaction.GrossAmount, "gross amount");
                Check.Equal(TransactionState.Paid, r.Transaction.State, "paid");
                Check.Equal("paid", r.Transaction.StateName, "state name");
                Check.True(r.Transaction.PurchaseDate > 0, "purchase date");
                Check.Equal(1001L, r.PurchasedMod.Id, "the purchased mod");
                Check.Equal("Rogue Knight HD Pack", r.PurchasedMod.Name, "its name");
                Check.True(client.Owns(1001), "owned at once");
                Check.True(!client.Owns(1002), "others not owned");

                // A retry with the same key is replayed, not charged again.
                CheckoutResult replay = Drive.Await(client, client.CheckoutAsync(1001, 100, "unity-test-1"));
                Check.Equal(r.Transaction.Id, replay.Transaction.Id, "the same transaction");
                Check.Equal(1, Fake.Count(Fake.Get("/charges"), "\"unity-test-1\""), "charged once");

                // Without a key the library generates one; the Mod overload uses the listed price.
                Mod sunny = Drive.Await(client, client.GetModAsync(1005));
                CheckoutResult second = Drive.Await(client, client.CheckoutAsync(sunny));
                Check.True(!string.IsNullOrEmpty(second.IdempotencyKey), "a generated key");
                Check.Equal(1850L, second.Balance, "balance after a 50 mod");
                Check.Equal(1850L, Drive.Await(client, client.GetWalletAsync()).Balance, "the wallet agrees");
            }
        }

        private static void InsufficientFunds()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.AliceTicket); // balance 0
                ModioMarketException e = Drive.Fails(client, client.CheckoutAsync(1001, 100));
                Drive.HttpError(e, 422, ErrorRef.MonetizationInsufficientFunds, "MONETIZATION_INSUFFICIENT_FUNDS");
                Check.True(!client.Owns(1001), "not owned after a refused checkout");
                Check.Equal("[]", Fake.Get("/charges").Trim(), "nothing charged");
            }
        }

        private static void AlreadyOwnedAndMismatch()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.BobTicket); // owns 1002, balance 500
                Drive.HttpError(Drive.Fails(client, client.CheckoutAsync(1002, 250)), 422,
                    ErrorRef.MonetizationMarketplaceAlreadyOwned, "MONETIZATION_MARKETPLACE_ALREADY_OWNED");
                Drive.HttpError(Drive.Fails(client, client.CheckoutAsync(1001, 99)), 422,
                    ErrorRef.MonetizationPriceMismatch, "MONETIZATION_PRICE_MISMATCH");
                Check.Equal(500L, Drive.Await(client, client.GetWalletAsync()).Balance, "nothing debited");
            }
        }

        private static void RefreshPurchases()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.BobTicket);
                Check.True(!client.Owns(1002), "unknown before the refresh");
                Check.Equal(null, client.PurchasesAge, "never confirmed");
                IReadOnlyList<Mod> purchased = Drive.Await(client, client.RefreshPurchasesAsync());
                Check.Equal("1002", string.Join(",", purchased.Select(m => m.Id)), "bob's purchases");
                Check.Equal("Castle Siege", purchased[0].Name, "copied mod");
                Check.True(client.Owns(1002), "owned after the refresh");
                TimeSpan? age = client.PurchasesAge;
                Check.True(age.HasValue && age.Value >= TimeSpan.Zero && age.Value < TimeSpan.FromMinutes(1), "confirmed just now: " + age);

                // mod.io's support refunds it: owned offline until the next refresh, gone after.
                Fake.Post("/users/2/refund", "{\"mod_id\":1002}");
                Check.True(client.Owns(1002), "still owned offline before a refresh");
                IReadOnlyList<Mod> after = Drive.Await(client, client.RefreshPurchasesAsync());
                Check.Equal(0, after.Count, "the refunded mod left the purchased list");
                Check.True(!client.Owns(1002), "not owned after the refresh");
            }
        }

        private static void DelegationToken()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Drive.SignIn(client, Fake.AliceTicket);
                DelegationToken token = Drive.Await(client, client.RequestDelegationTokenAsync());
                Check.Equal("purchase_server", token.Entity, "entity");
                Check.True(!string.IsNullOrEmpty(token.Token), "token");
                Check.True(!token.ToString().Contains(token.Token), "ToString redacts");
            }
        }

        private static void AccessTokens()
        {
            Fake.Reset();
            string created = Fake.Post("/users", "{\"username\":\"dave\",\"game_id\":1,\"balance\":300}");
            string token = Fake.JsonString(created, "access_token");
            using (ModioMarketClient client = Drive.NewClient())
            {
                Check.Equal(ResultCode.NotAuthenticated, Drive.Fails(client, client.GetWalletAsync()).Code, "no token yet");
                client.SetAccessToken(token);
                Check.Equal(300L, Drive.Await(client, client.GetWalletAsync()).Balance, "dave's wallet with a restored token");
                client.ClearAccessToken();
                Check.Equal(ResultCode.NotAuthenticated, Drive.Fails(client, client.GetWalletAsync()).Code, "signed out");
                client.SetAccessToken(token);
                client.SetAccessToken("");
                Check.Equal(ResultCode.NotAuthenticated, Drive.Fails(client, client.GetWalletAsync()).Code, "\"\" clears");
                client.SetAccessToken("modio-access-unknown");
                Drive.HttpError(Drive.Fails(client, client.GetWalletAsync()), 401, ErrorRef.TokenExpiredOrRevoked, "TOKEN_EXPIRED_OR_REVOKED");
            }
        }

        private static void FieldErrorsAndRateLimit()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Fake.Fault("/v1/games/1/mods/1001", 1, "\"kind\":\"raw\",\"status\":422,\"content_type\":\"application/json\"," +
                    "\"body\":\"{\\\"error\\\":{\\\"code\\\":422,\\\"error_ref\\\":13009,\\\"message\\\":\\\"Validation Failed.\\\"," +
                    "\\\"errors\\\":{\\\"name\\\":\\\"The name is required.\\\",\\\"summary\\\":\\\"Too long.\\\"}}}\"");
                ModioMarketException e = Drive.Fails(client, client.GetModAsync(1001));
                Drive.HttpError(e, 422, ErrorRef.ValidationGeneric, "VALIDATION_GENERIC");
                Check.Equal(2, e.FieldErrors.Count, "two field errors");
                Check.Equal("The name is required.", e.FieldErrors["name"], "name error");
                Check.Equal("Too long.", e.FieldErrors["summary"], "summary error");
                Check.True(e.ToString().Contains("summary: Too long."), "ToString lists field errors");

                Fake.Fault("/v1/games/1", 1, "\"kind\":\"rate_limit\",\"retry_after\":600,\"error_ref\":11009");
                ModioMarketException limited = Drive.Fails(client, client.GetGameAsync());
                Check.Equal(ResultCode.RateLimited, limited.Code, "rate limited");
                Check.Equal(429, limited.HttpStatus, "429");
                Check.Equal(600L, limited.RetryAfterSeconds ?? -1, "retry-after");
                Check.Equal(ErrorRef.RateLimitedEndpoint, limited.ErrorRef, "error_ref 11009");
                Check.Equal(0, limited.FieldErrors.Count, "no field errors");
            }
        }

        private static void SynchronousRefusal()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                int handles = GCHandles.Live;
                Task<ModPage> t = client.GetModsAsync(RevenueType.Paid, 0, 0);
                Check.True(t.IsFaulted, "refused at once");
                ModioMarketException e = Drive.Faulted(t);
                Check.Equal(ResultCode.InvalidArgument, e.Code, "invalid argument");
                Check.True(e.Message.Contains("limit"), "the library's message names the argument: " + e.Message);
                Check.Equal(handles, GCHandles.Live, "the refused request's GCHandle was freed");
                Check.Equal(0, client.PendingRequests, "nothing pending");
                Check.Equal(ResultCode.InvalidArgument, Drive.Faulted(client.CheckoutAsync(1001, 100, "bad key!")).Code, "an invalid idempotency key");
                Check.Equal(handles, GCHandles.Live, "still no GCHandle leaked");
            }
        }

        private static void Logging()
        {
            Fake.Reset();
            var records = new List<KeyValuePair<LogLevel, string>>();
            int mainThread = Thread.CurrentThread.ManagedThreadId;
            var threads = new HashSet<int>();
            ModioMarketOptions options = Drive.Options();
            options.LogLevel = LogLevel.Debug;
            using (var client = new ModioMarketClient(options))
            {
                client.Log += (level, message) =>
                {
                    records.Add(new KeyValuePair<LogLevel, string>(level, message));
                    threads.Add(Thread.CurrentThread.ManagedThreadId);
                };
                AccessToken token = Drive.SignIn(client, Fake.AliceTicket);
                Drive.Await(client, client.GetWalletAsync());
                Drive.Await(client, client.GetModAsync(1001));
                client.Pump(); // records queued after the last completion
                Check.True(records.Count > 0, "log records arrived");
                Check.True(threads.SetEquals(new[] { mainThread }), "raised on the pumping thread only");
                Check.True(records.All(r => r.Key >= LogLevel.Error && r.Key <= LogLevel.Debug), "levels within Debug");
                foreach (KeyValuePair<LogLevel, string> r in records)
                {
                    Check.True(!r.Value.Contains(token.Token), "no access token in: " + r.Value);
                    Check.True(!r.Value.Contains(Fake.ApiKey), "no API key in: " + r.Value);
                    Check.True(!r.Value.Contains(Fake.AliceTicket), "no ticket in: " + r.Value);
                }
                Console.WriteLine("    " + records.Count + " records, e.g. " + records[0].Key + ": " + records[0].Value);

                int before = records.Count;
                client.LogLevel = LogLevel.None;
                Drive.Await(client, client.GetGameAsync());
                client.Pump();
                Check.Equal(before, records.Count, "None turns logging off");
                client.LogLevel = LogLevel.Info;
                Check.Equal(LogLevel.Info, client.LogLevel, "level set");

                // A throwing handler surfaces from Pump, after every completion was delivered.
                client.LogLevel = LogLevel.Trace;
                client.Log += (level, message) => { throw new InvalidOperationException("handler bug"); };
                Task<Game> game = client.GetGameAsync();
                bool surfaced = false;
                var clock = Stopwatch.StartNew();
                while (!game.IsCompleted && clock.Elapsed < Drive.Timeout)
                {
                    try
                    {
                        client.PumpUntil(game, Drive.Timeout);
                    }
                    catch (InvalidOperationException e)
                    {
                        surfaced = e.Message == "handler bug";
                    }
                }
                Check.True(game.Status == TaskStatus.RanToCompletion, "the request still completed");
                Check.True(surfaced, "the handler's exception reached the caller of Pump");
            }
        }

        private static void ContinuationsMayReenter()
        {
            Fake.Reset();
            ModioMarketClient client = Drive.NewClient();
            int pumpThread = Thread.CurrentThread.ManagedThreadId;
            int continuationThread = -1;
            Exception pumpFromContinuation = null;
            Task<Mod> chained = null;
            Task<Game> first = client.GetGameAsync();
            Task done = first.ContinueWith(t =>
            {
                continuationThread = Thread.CurrentThread.ManagedThreadId;
                try
                {
                    client.Pump(); // inside a native callback this would be REENTRANT
                }
                catch (Exception e)
                {
                    pumpFromContinuation = e;
                }
                chained = client.GetModAsync(1001); // starting a request from a continuation
            }, TaskContinuationOptions.ExecuteSynchronously);
            Drive.Await(client, done);
            Check.Equal(pumpThread, continuationThread, "the continuation ran on the pumping thread");
            Check.Equal(null, pumpFromContinuation, "Pump from a continuation works");
            Check.Equal(1001L, Drive.Await(client, chained).Id, "a request started from a continuation completes");

            // Dispose from a continuation, with another request still pending.
            Task<Mod> pending = client.GetModAsync(1002);
            Fake.Fault("/v1/games/1/mods/1003", 1, "\"kind\":\"delay\",\"ms\":300");
            Task<Mod> slow = client.GetModAsync(1003);
            Task disposer = pending.ContinueWith(t => client.Dispose(), TaskContinuationOptions.ExecuteSynchronously);
            client.PumpUntil(disposer, Drive.Timeout);
            Check.True(disposer.Status == TaskStatus.RanToCompletion && client.IsDisposed, "disposed from a continuation");
            Check.Equal(ResultCode.ShutDown, Drive.Faulted(slow).Code, "the other request got ShutDown");
            Check.Equal(0, Trampolines.Faults, "no trampoline fault");
        }

        private static void StartFromOtherThreads()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                int mainThread = Thread.CurrentThread.ManagedThreadId;
                var tasks = new Task<Mod>[8];
                var starters = new Thread[tasks.Length];
                for (int i = 0; i < tasks.Length; i++)
                {
                    int index = i;
                    starters[i] = new Thread(() => { tasks[index] = client.GetModAsync(1001 + index % 5); }) { IsBackground = true };
                    starters[i].Start();
                }
                foreach (Thread t in starters)
                    t.Join();
                var completedOn = new int[tasks.Length];
                Task[] observed = tasks.Select((t, i) => (Task)t.ContinueWith(x => completedOn[i] = Thread.CurrentThread.ManagedThreadId, TaskContinuationOptions.ExecuteSynchronously)).ToArray();
                Drive.Await(client, Task.WhenAll(observed));
                for (int i = 0; i < tasks.Length; i++)
                {
                    Check.Equal(1001L + i % 5, tasks[i].Result.Id, "request " + i);
                    Check.Equal(mainThread, completedOn[i], "completed on the pumping thread");
                }
            }
        }

        private static async Task<string> StoreFlow(ModioMarketClient client)
        {
            await client.AuthenticateSteamAsync(Fake.AliceTicket, true);
            EntitlementSync sync = await client.SyncEntitlementsAsync(EntitlementSource.Steam());
            ModPage store = await client.GetPremiumModsAsync();
            Mod pick = store.Mods.Where(m => m.Price <= sync.Balance && !client.Owns(m.Id)).OrderByDescending(m => m.Price).First();
            CheckoutResult receipt = await client.CheckoutAsync(pick);
            IReadOnlyList<Mod> owned = await client.RefreshPurchasesAsync();
            return pick.Id + ":" + receipt.Balance + ":" + string.Join(",", owned.Select(m => m.Id));
        }

        private static void AsyncFlow()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
                Check.Equal("1004:500:1004", Drive.Await(client, StoreFlow(client)), "bought the dearest affordable mod (1500 of 2000)");
        }

        private static void Cancellation()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                int handles = GCHandles.Live;
                Fake.Fault("/v1/games/1/mods/1001", 1, "\"kind\":\"delay\",\"ms\":2000");
                var cts = new CancellationTokenSource();
                Task<Mod> t = client.GetModAsync(1001, cts.Token);
                Check.Equal(1, client.PendingRequests, "one pending");
                var clock = Stopwatch.StartNew();
                cts.Cancel();
                Check.True(client.PumpUntil(t, TimeSpan.FromSeconds(1.5)), "completed before the 2 s answer");
                Check.True(clock.ElapsedMilliseconds < 1500, "cancelled promptly (" + clock.ElapsedMilliseconds + " ms)");
                Check.True(t.IsCanceled, "the task is Canceled (status " + t.Status + ")");
                try
                {
                    t.GetAwaiter().GetResult();
                    throw new AssertionFailed("no exception");
                }
                catch (OperationCanceledException e)
                {
                    Check.True(e.CancellationToken == cts.Token, "the exception carries our token");
                }
                Check.Equal(0, client.PendingRequests, "nothing pending");
                Check.Equal(handles, GCHandles.Live, "the GCHandle was freed");
                // The late answer never surfaces: the next requests work normally.
                Check.Equal(1002L, Drive.Await(client, client.GetModAsync(1002)).Id, "client still usable");
            }
        }

        private static void CancellationEdges()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                int handles = GCHandles.Live;
                var cancelled = new CancellationTokenSource();
                cancelled.Cancel();
                Task<Game> pre = client.GetGameAsync(cancelled.Token);
                Check.True(pre.IsCanceled, "a cancelled token gives a Canceled task at once");
                Check.Equal(0, client.PendingRequests, "no request was sent");
                Check.Equal(handles, GCHandles.Live, "no GCHandle");

                Fake.Fault("/v1/games/1", 1, "\"kind\":\"delay\",\"ms\":2000");
                var later = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
                Task<Game> timed = client.GetGameAsync(later.Token);
                Check.True(client.PumpUntil(timed, TimeSpan.FromSeconds(1.5)), "CancelAfter completes it before the 2 s answer");
                Check.True(timed.IsCanceled, "Canceled by CancelAfter");

                var afterwards = new CancellationTokenSource();
                Task<Mod> done = client.GetModAsync(1001, afterwards.Token);
                Drive.Await(client, done);
                afterwards.Cancel(); // the registration is gone: nothing happens
                client.Pump();
                Check.Equal(TaskStatus.RanToCompletion, done.Status, "a completed task stays completed");
                Check.Equal(handles, GCHandles.Live, "no GCHandle leaked");
                Check.Equal(0, Trampolines.Faults, "no trampoline fault");
            }
        }

        private static void PumpBehaviour()
        {
            Fake.Reset();
            using (ModioMarketClient client = Drive.NewClient())
            {
                Fake.Fault("/v1/games/1", 1, "\"kind\":\"delay\",\"ms\":800");
                Task<Game> slow = client.GetGameAsync();
                Check.True(!client.PumpUntil(slow, TimeSpan.FromMilliseconds(150)), "PumpUntil reports the timeout");
                Check.True(!slow.IsCompleted, "still pending");
                Task<Mod> a = client.GetModAsync(1001);
                Task<Mod> b = client.GetModAsync(1002);
                Check.Equal(3, client.PendingRequests, "three pending");
                Drive.Await(client, Task.WhenAll(slow, a, b));
                Check.Equal(0, client.PendingRequests, "none pending");
                Check.Equal(0, client.Pump(), "nothing left to complete");
                Check.True(!slow.IsCanceled && slow.Result.Id == 1, "slow completed");
            }
        }

        private static void DisposeInFlight()
        {
            Fake.Reset();
            int handles = GCHandles.Live;
            int workers = Drive.QuiescentWorkers();
            ModioMarketClient client = Drive.NewClient();
            Fake.Fault("/v1/games/1/mods/1001", 3, "\"kind\":\"delay\",\"ms\":1000");
            var tasks = new List<Task>
            {
                client.GetModAsync(1001), client.GetModAsync(1001), client.GetModAsync(1001),
                client.GetGameAsync(), client.GetPremiumModsAsync(),
            };
            var cts = new CancellationTokenSource();
            tasks.Add(client.GetModAsync(1002, cts.Token));
            int continuationThread = -1;
            Task observed = tasks[0].ContinueWith(t => continuationThread = Thread.CurrentThread.ManagedThreadId, TaskContinuationOptions.ExecuteSynchronously);
            Check.True(GCHandles.Live > handles, "requests hold GCHandles");
            client.Dispose();
            Check.True(tasks.All(t => t.IsCompleted), "every task completed inside Dispose");
            foreach (Task t in tasks)
                Check.Equal(ResultCode.ShutDown, Drive.Faulted(t).Code, "ShutDown");
            Check.Equal(Thread.CurrentThread.ManagedThreadId, continuationThread, "continuations ran on the disposing thread");
            Check.True(observed.IsCompleted, "continuation done");
            Check.Equal(handles, GCHandles.Live, "every GCHandle freed (requests and log sink)");
            Drive.WorkersSettleTo(workers, "worker threads ended");
            cts.Cancel(); // its registration must not touch the freed client
            client.Dispose(); // idempotent
            Check.Throws<ObjectDisposedException>(() => client.Pump(), "Pump after Dispose");
            Check.Throws<ObjectDisposedException>(() => client.GetGameAsync(), "a request after Dispose");
            Check.Throws<ObjectDisposedException>(() => client.Owns(1001), "Owns after Dispose");
            Check.Equal(0, Trampolines.Faults, "no trampoline fault");
        }

        private static void DisposeStuckWorker()
        {
            Fake.Reset();
            int handles = GCHandles.Live;
            int workers = Drive.QuiescentWorkers();
            ModioMarketOptions options = Drive.Options();
            options.WorkerThreads = 1;
            var client = new ModioMarketClient(options);
            Fake.Fault("/v1/games/1", 1, "\"kind\":\"delay\",\"ms\":3500");
            Task<Game> stuck = client.GetGameAsync();
            // Wait until the request is on the wire (the worker is then blocked on the network).
            var clock = Stopwatch.StartNew();
            while (!Fake.Get("/requests").Contains("\"path\":\"/v1/games/1\"") && clock.Elapsed < Drive.Timeout)
                Thread.Sleep(10);
            clock.Restart();
            client.Dispose();
            long disposeMs = clock.ElapsedMilliseconds;
            Check.True(disposeMs < 3000, "Dispose waits at most ~2 s for a stuck worker (" + disposeMs + " ms)");
            Check.Equal(ResultCode.ShutDown, Drive.Faulted(stuck).Code, "ShutDown");
            Check.Equal(handles, GCHandles.Live, "GCHandles freed although the worker is still running");
            // The detached worker ends when its answer arrives; it must not call back into us.
            clock.Restart();
            while (Drive.NativeWorkerThreads() > workers && clock.Elapsed < Drive.Timeout)
                Thread.Sleep(20);
            Check.Equal(workers, Drive.NativeWorkerThreads(), "the detached worker ended (after " + clock.ElapsedMilliseconds + " ms)");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Check.Equal(0, Trampolines.Faults, "nothing called back after Dispose");
        }

        private static void DisposeDuringNativeCall()
        {
            Fake.Reset();
            int handles = GCHandles.Live;
            ModioMarketClient client = Drive.NewClient();
            Task<Game> pending = client.GetGameAsync();
            // What the P/Invoke marshaller does around a call taking the SafeHandle (cancel from a
            // timer thread, a request started on a worker thread, ...): hold a reference.
            var handle = (SafeHandle)typeof(ModioMarketClient).GetField("_handle", BindingFlags.NonPublic | BindingFlags.Instance).GetValue(client);
            var inside = new ManualResetEventSlim();
            var release = new ManualResetEventSlim();
            var caller = new Thread(() =>
            {
                bool added = false;
                handle.DangerousAddRef(ref added);
                inside.Set();
                release.Wait(); // the "native call" lasts until the main thread is inside Dispose
                handle.DangerousRelease(); // the last reference: free runs here, on this thread
            });
            caller.IsBackground = true; // never keeps the process alive, whatever happens here
            caller.Start();
            inside.Wait();
            var disposer = new Thread(() => client.Dispose()) { IsBackground = true };
            try
            {
                disposer.Start();
                // Dispose must not return while the other call holds the handle.
                Check.True(!disposer.Join(300), "Dispose waits for the call in progress");
            }
            finally
            {
                release.Set();
            }
            Check.True(disposer.Join(TimeSpan.FromSeconds(10)), "then returns");
            caller.Join();
            Check.True(pending.IsCompleted, "the pending task was completed by Dispose (" + pending.Status + ")");
            Check.Equal(ResultCode.ShutDown, Drive.Faulted(pending).Code, "ShutDown");
            Check.Equal(handles, GCHandles.Live, "GCHandles freed");
        }

        private static void DisposeRacingThreads()
        {
            Fake.Reset();
            Drive.QuiescentWorkers();
            int handles = GCHandles.Live;
            int refusedAtStart = 0, raced = 0;
            for (int round = 0; round < 40; round++)
            {
                ModioMarketClient client = Drive.NewClient();
                var tasks = new System.Collections.Concurrent.ConcurrentBag<Task>();
                var started = new CountdownEvent(3 * 4);
                // Signals left to give, claimed atomically: three threads checking CurrentCount
                // and then signalling could signal past zero (and throw) now and then.
                int signalsLeft = 3 * 4;
                var threads = new List<Thread>();
                for (int t = 0; t < 3; t++)
                {
                    var thread = new Thread(() =>
                    {
                        try
                        {
                            for (int n = 0; ; n++)
                            {
                                var cts = new CancellationTokenSource();
                                tasks.Add(client.GetModAsync(1001 + n % 5, cts.Token));
                                client.Owns(1001);
                                if (n % 2 == 1)
                                    cts.Cancel(); // native cancel from this thread, racing Dispose
                                if (Volatile.Read(ref signalsLeft) > 0 && Interlocked.Decrement(ref signalsLeft) >= 0)
                                    started.Signal();
                                else
                                    Thread.Yield();
                            }
                        }
                        catch (ObjectDisposedException)
                        {
                            Interlocked.Increment(ref refusedAtStart); // the client was disposed first: refused cleanly
                        }
                    });
                    thread.IsBackground = true;
                    thread.Start();
                    threads.Add(thread);
                }
                started.Wait();
                client.Dispose();
                // Every task handed out before or during Dispose is complete when Dispose returns.
                Task[] snapshot = tasks.ToArray();
                foreach (Task t in snapshot)
                    Check.True(t.IsCompleted, "round " + round + ": a task left pending by Dispose (" + t.Status + ")");
                foreach (Thread thread in threads)
                    thread.Join();
                foreach (Task t in tasks)
                {
                    Check.True(t.IsCompleted, "round " + round + ": a task started during Dispose never completed (" + t.Status + ")");
                    if (t.IsFaulted && Drive.Faulted(t).Code == ResultCode.ShutDown)
                        raced++;
                }
            }
            Console.WriteLine("    " + refusedAtStart + " calls refused after Dispose, " + raced + " requests shut down in flight");
            Check.Equal(handles, GCHandles.Live, "no GCHandle leaked");
            Check.Equal(0, Trampolines.Faults, "no trampoline fault");
            Drive.WorkersSettleTo(0, "worker threads ended");
        }

        private static void DisposeAll()
        {
            Fake.Reset();
            int handles = GCHandles.Live;
            int registered = ClientRegistry.Count;
            Fake.Fault("/v1/games/1", 3, "\"kind\":\"delay\",\"ms\":500");
            var clients = Enumerable.Range(0, 3).Select(_ => Drive.NewClient()).ToList();
            List<Task<Game>> tasks = clients.Select(c => c.GetGameAsync()).ToList();
            Check.Equal(registered + 3, ClientRegistry.Count, "clients are registered");
            Check.Equal(registered + 3, ClientRegistry.DisposeAll(), "DisposeAll disposed them");
            Check.True(clients.All(c => c.IsDisposed), "all disposed");
            foreach (Task<Game> t in tasks)
                Check.Equal(ResultCode.ShutDown, Drive.Faulted(t).Code, "ShutDown");
            Check.Equal(0, ClientRegistry.Count, "none registered");
            Check.Equal(handles, GCHandles.Live, "GCHandles freed");
        }

        private static void Recovery()
        {
            Fake.Reset();
            string dir = Path.Combine(Path.GetTempPath(), "modio-market-unity-" + Guid.NewGuid().ToString("N"));
            try
            {
                ModioMarketOptions options = Drive.Options();
                options.DataDirectory = dir;
                options.RetryPolicy = RetryPolicy.None;
                string token;
                using (var client = new ModioMarketClient(options))
                {
                    token = Drive.SignIn(client, Fake.AliceTicket).Token;
                    Drive.Await(client, client.SyncEntitlementsAsync(EntitlementSource.Steam()));
                    // mod.io processes the purchase, then the connection drops before the answer.
                    Fake.Fault("/v1/games/1/mods/1001/checkout", 1, "\"kind\":\"close_after\"");
                    ModioMarketException e = Drive.Fails(client, client.CheckoutAsync(1001, 100, "recover-me-1"));
                    Check.True(e.Code != ResultCode.Http, "no definitive answer: " + e.Code);
                }
                Check.Equal(1, Fake.Count(Fake.Get("/charges"), "\"recover-me-1\""), "mod.io charged once");

                // Next start: the journaled attempt is resent with its key once the token is set.
                using (var client = new ModioMarketClient(options))
                {
                    var reports = new List<CheckoutRecovery>();
                    var got = new TaskCompletionSource<bool>();
                    client.CheckoutRecovered += r => { reports.Add(r); got.TrySetResult(true); };
                    client.SetAccessToken(token);
                    Drive.Await(client, got.Task);
                    CheckoutRecovery report = reports[0];
                    Check.Equal(RecoveryOutcome.Completed, report.Outcome, "completed (" + report.Error + ")");
                    Check.Equal(1001L, report.ModId, "mod");
                    Check.Equal(100L, report.DisplayAmount, "amount");
                    Check.Equal("recover-me-1", report.IdempotencyKey, "key");
                    Check.True(report.Checkout != null && report.Checkout.PurchasedMod.Id == 1001, "the receipt");
                    Check.Equal(1900L, report.Checkout.Balance, "balance in the receipt");
                    Check.Equal(1, Fake.Count(Fake.Get("/charges"), "\"recover-me-1\""), "still charged once");
                    Check.True(client.Owns(1001), "owned after recovery");
                    client.ResumeCheckouts(); // nothing left: no second report
                    Drive.Await(client, client.GetGameAsync());
                    client.Pump();
                    Check.Equal(1, reports.Count, "one report");
                }
            }
            finally
            {
                try
                {
                    Directory.Delete(dir, true);
                }
                catch (IOException)
                {
                }
            }
        }

        private static void Cycles()
        {
            Fake.Reset();
            const int cycles = 250;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            int handles = GCHandles.Live;
            int registered = ClientRegistry.Count;
            int workers = Drive.QuiescentWorkers();
            long memoryBefore = GC.GetTotalMemory(true);
            int completed = 0, shutDown = 0;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < cycles; i++)
            {
                ModioMarketOptions options = Drive.Options();
                options.WorkerThreads = 1 + i % 2;
                options.LogLevel = i % 3 == 0 ? LogLevel.Debug : LogLevel.None;
                var client = new ModioMarketClient(options);
                client.Log += (level, message) => { };
                Task<Game> game = client.GetGameAsync();
                Task<Mod> mod = client.GetModAsync(1001 + i % 5, new CancellationTokenSource().Token);
                if (i % 2 == 0)
                {
                    Drive.Await(client, game);
                    completed++;
                }
                client.Dispose(); // odd cycles: both requests in flight; even: one
                Check.True(game.IsCompleted && mod.IsCompleted, "cycle " + i + ": every task completed by Dispose");
                if (mod.IsFaulted && Drive.Faulted(mod).Code == ResultCode.ShutDown)
                    shutDown++;
                if (i % 50 == 49)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    Check.Equal(handles, GCHandles.Live, "cycle " + i + ": GCHandles");
                }
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long memoryAfter = GC.GetTotalMemory(true);
            Console.WriteLine("    " + cycles + " cycles in " + clock.ElapsedMilliseconds + " ms; " + completed + " pumped, " + shutDown +
                " shut down in flight; managed heap " + memoryBefore / 1024 + " -> " + memoryAfter / 1024 + " KiB");
            Check.Equal(handles, GCHandles.Live, "no GCHandle leaked");
            Check.Equal(registered, ClientRegistry.Count, "no client left registered");
            Drive.WorkersSettleTo(workers, "every worker thread ended");
            Check.True(shutDown > 0, "some requests were still in flight at Dispose");
            Check.True(memoryAfter < memoryBefore + 8 * 1024 * 1024, "the managed heap did not grow by 8 MiB");
            Check.Equal(0, Trampolines.Faults, "no trampoline fault");
        }
    }
}
