// Managed results. Each is a full copy made inside the native callback: the C structs and their
// strings are borrowed for the duration of the callback only, so nothing here points into native
// memory and these objects can be kept, cached and passed across threads freely.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using ModioMarket.Interop;

namespace ModioMarket
{
    /// <summary>A user access token from platform authentication. The client already uses it; store
    /// it securely if you want to restore the session later with SetAccessToken.</summary>
    public sealed class AccessToken
    {
        internal AccessToken(string token, long dateExpires)
        {
            Token = token;
            DateExpires = dateExpires;
        }

        /// <summary>The bearer token. A secret: never log it.</summary>
        public string Token { get; private set; }

        /// <summary>Unix time (seconds) the token expires.</summary>
        public long DateExpires { get; private set; }

        public DateTimeOffset ExpiresAt
        {
            get { return DateTimeOffset.FromUnixTimeSeconds(DateExpires); }
        }

        public override string ToString()
        {
            return "AccessToken(<redacted>, expires " + ExpiresAt.ToString("u") + ")";
        }

        internal static AccessToken FromNative(IntPtr p)
        {
            var t = Marshal.PtrToStructure<Native.modio_market_access_token>(p);
            return new AccessToken(Utf8.Decode(t.access_token), t.date_expires);
        }
    }

    /// <summary>The user's wallet for the game; amounts are in the game's virtual currency.</summary>
    public sealed class Wallet
    {
        public string WalletType { get; private set; }
        public string Currency { get; private set; }
        public string PaymentMethodId { get; private set; }
        public long GameId { get; private set; }
        public long Balance { get; private set; }
        public long PendingBalance { get; private set; }
        public long Deficit { get; private set; }
        public MonetizationStatus MonetizationStatus { get; private set; }

        internal static Wallet FromNative(IntPtr p)
        {
            var w = Marshal.PtrToStructure<Native.modio_market_wallet>(p);
            return new Wallet
            {
                WalletType = Utf8.Decode(w.wallet_type),
                Currency = Utf8.Decode(w.currency),
                PaymentMethodId = Utf8.Decode(w.payment_method_id),
                GameId = (long)w.game_id,
                Balance = w.balance,
                PendingBalance = w.pending_balance,
                Deficit = w.deficit,
                MonetizationStatus = (MonetizationStatus)w.monetization_status,
            };
        }
    }

    /// <summary>One entitlement line of a sync.</summary>
    public sealed class Entitlement
    {
        public string TransactionId { get; private set; }
        /// <summary>An <see cref="EntitlementState"/> value, or another number mod.io sent.</summary>
        public EntitlementState State { get; private set; }
        /// <summary>"failed", "pending", "fulfilled", "consume limit exceeded" or "unknown".</summary>
        public string StateName { get; private set; }
        public string SkuId { get; private set; }
        public bool Consumed { get; private set; }
        /// <summary>0 = virtual currency.</summary>
        public long EntitlementType { get; private set; }
        /// <summary>The <c>details</c> object as JSON, or null.</summary>
        public string DetailsJson { get; private set; }

        internal static Entitlement FromNative(IntPtr p)
        {
            var e = Marshal.PtrToStructure<Native.modio_market_entitlement>(p);
            return new Entitlement
            {
                TransactionId = Utf8.Decode(e.transaction_id),
                State = (EntitlementState)e.state,
                StateName = Utf8.Decode(e.state_name),
                SkuId = Utf8.Decode(e.sku_id),
                Consumed = e.consumed != 0,
                EntitlementType = e.entitlement_type,
                DetailsJson = Utf8.Decode(e.details_json),
            };
        }
    }

    /// <summary>The answer of an entitlement sync: the new balance and every line converted.</summary>
    public sealed class EntitlementSync
    {
        /// <summary>The wallet balance after the sync.</summary>
        public long Balance { get; private set; }
        public IReadOnlyList<Entitlement> Entitlements { get; private set; }

        internal static EntitlementSync FromNative(IntPtr p)
        {
            var s = Marshal.PtrToStructure<Native.modio_market_entitlement_sync>(p);
            return new EntitlementSync
            {
                Balance = s.balance,
                Entitlements = Structs.Array(s.entitlements, s.entitlement_count, Entitlement.FromNative),
            };
        }
    }

    /// <summary>The game's settings that matter to a store.</summary>
    public sealed class Game
    {
        public long Id { get; private set; }
        public string Name { get; private set; }
        public ApiAccessOptions ApiAccessOptions { get; private set; }
        /// <summary>Third parties may use the game's API.</summary>
        public bool Open { get; private set; }
        /// <summary>Mods may be downloaded directly.</summary>
        public bool DirectDownloads { get; private set; }
        /// <summary>Downloads need a bearer token.</summary>
        public bool AuthorisedDownloadsOnly { get; private set; }
        /// <summary>Paid mods can be downloaded only by their owners.</summary>
        public bool PaidDownloadsNeedPurchase { get; private set; }
        /// <summary>The game's name for its virtual currency.</summary>
        public string TokenName { get; private set; }
        /// <summary>The whole game object as mod.io sent it.</summary>
        public string Json { get; private set; }

        internal static Game FromNative(IntPtr p)
        {
            var g = Marshal.PtrToStructure<Native.modio_market_game>(p);
            return new Game
            {
                Id = (long)g.id,
                Name = Utf8.Decode(g.name),
                ApiAccessOptions = (ApiAccessOptions)g.api_access_options,
                Open = g.open != 0,
                DirectDownloads = g.direct_downloads != 0,
                AuthorisedDownloadsOnly = g.authorised_downloads_only != 0,
                PaidDownloadsNeedPurchase = g.paid_downloads_need_purchase != 0,
                TokenName = Utf8.Decode(g.token_name),
                Json = Utf8.Decode(g.json),
            };
        }
    }

    /// <summary>A mod with what a store page needs; <see cref="Json"/> holds the whole object.</summary>
    public sealed class Mod
    {
        public long Id { get; private set; }
        public long GameId { get; private set; }
        public string Name { get; private set; }
        public string NameId { get; private set; }
        public string Summary { get; private set; }
        /// <summary>Price in virtual currency; 0 for free mods.</summary>
        public long Price { get; private set; }
        public string LogoUrl { get; private set; }
        public string ProfileUrl { get; private set; }
        public long ModfileId { get; private set; }
        /// <summary>Size of the modfile in bytes.</summary>
        public long Filesize { get; private set; }
        public string Md5 { get; private set; }
        public string Version { get; private set; }
        public long DownloadsTotal { get; private set; }
        /// <summary>Percentage of positive ratings, 0-100.</summary>
        public int RatingPercentagePositive { get; private set; }
        public double RatingWeightedAggregate { get; private set; }
        public string RatingDisplayText { get; private set; }
        /// <summary>The whole mod object as mod.io sent it.</summary>
        public string Json { get; private set; }

        /// <summary>True for premium (paid) mods.</summary>
        public bool IsPremium
        {
            get { return Price > 0; }
        }

        public override string ToString()
        {
            return "Mod " + Id + " \"" + Name + "\" (" + Price + ")";
        }

        internal static Mod FromNative(IntPtr p)
        {
            var m = Marshal.PtrToStructure<Native.modio_market_mod>(p);
            return new Mod
            {
                Id = (long)m.id,
                GameId = (long)m.game_id,
                Name = Utf8.Decode(m.name),
                NameId = Utf8.Decode(m.name_id),
                Summary = Utf8.Decode(m.summary),
                Price = m.price,
                LogoUrl = Utf8.Decode(m.logo_url),
                ProfileUrl = Utf8.Decode(m.profile_url),
                ModfileId = (long)m.modfile_id,
                Filesize = (long)m.filesize,
                Md5 = Utf8.Decode(m.md5),
                Version = Utf8.Decode(m.version),
                DownloadsTotal = (long)m.downloads_total,
                RatingPercentagePositive = (int)m.rating_percentage_positive,
                RatingWeightedAggregate = m.rating_weighted_aggregate,
                RatingDisplayText = Utf8.Decode(m.rating_display_text),
                Json = Utf8.Decode(m.json),
            };
        }

        internal static IReadOnlyList<Mod> ArrayFromNative(IntPtr mods, UIntPtr count)
        {
            return Structs.Array(mods, count, FromNative);
        }
    }

    /// <summary>One page of a mod listing.</summary>
    /// <summary>What <c>GetModsAsync(ModQuery)</c> lists: the filters and the order of a store
    /// page. Every filter is optional; they combine with AND.</summary>
    public sealed class ModQuery
    {
        /// <summary>Paid for the premium store (the default here).</summary>
        public RevenueType RevenueType = RevenueType.Paid;
        public long Offset;
        /// <summary>1 to 100.</summary>
        public int Limit = 100;
        /// <summary>Full-text search on the name; null for none.</summary>
        public string Search;
        public ModSortField Sort = ModSortField.Id;
        /// <summary>Most downloads, newest, most expensive first.</summary>
        public bool Descending;
        /// <summary>Only these mods (a wishlist, a bundle); at most 100.</summary>
        public IList<long> Ids;
        /// <summary>Only mods with every one of these tags.</summary>
        public IList<string> TagsAll;
        /// <summary>Only mods with at least one of these tags.</summary>
        public IList<string> TagsAny;
        /// <summary>Price bounds in the game's virtual currency, inclusive.</summary>
        public long? PriceMin;
        public long? PriceMax;
    }

    public sealed class ModPage
    {
        public IReadOnlyList<Mod> Mods { get; private set; }
        public long ResultOffset { get; private set; }
        public long ResultLimit { get; private set; }
        /// <summary>Every mod matching the query, across pages.</summary>
        public long ResultTotal { get; private set; }

        /// <summary>Whether pages after this one hold more results.</summary>
        public bool HasMore
        {
            get { return ResultOffset + Mods.Count < ResultTotal; }
        }

        internal static ModPage FromNative(IntPtr p)
        {
            var page = Marshal.PtrToStructure<Native.modio_market_mod_page>(p);
            return new ModPage
            {
                Mods = Mod.ArrayFromNative(page.mods, page.mod_count),
                ResultOffset = (long)page.result_offset,
                ResultLimit = (long)page.result_limit,
                ResultTotal = (long)page.result_total,
            };
        }
    }

    /// <summary>A mod.io transaction.</summary>
    public sealed class Transaction
    {
        public long Id { get; private set; }
        public string GatewayUuid { get; private set; }
        public long GrossAmount { get; private set; }
        public long NetAmount { get; private set; }
        public long PlatformFee { get; private set; }
        public long GatewayFee { get; private set; }
        public long Tax { get; private set; }
        public string TaxType { get; private set; }
        public TransactionState State { get; private set; }
        /// <summary>The state as text ("paid", or what the server sent for Other).</summary>
        public string StateName { get; private set; }
        /// <summary><c>meta</c> as JSON.</summary>
        public string MetaJson { get; private set; }
        /// <summary>Unix time.</summary>
        public long PurchaseDate { get; private set; }

        internal static Transaction FromNative(Native.modio_market_transaction t)
        {
            return new Transaction
            {
                Id = (long)t.id,
                GatewayUuid = Utf8.Decode(t.gateway_uuid),
                GrossAmount = t.gross_amount,
                NetAmount = t.net_amount,
                PlatformFee = t.platform_fee,
                GatewayFee = t.gateway_fee,
                Tax = t.tax,
                TaxType = Utf8.Decode(t.tax_type),
                State = (TransactionState)t.state,
                StateName = Utf8.Decode(t.state_name),
                MetaJson = Utf8.Decode(t.meta_json),
                PurchaseDate = t.purchase_date,
            };
        }
    }

    /// <summary>A completed checkout: the transaction, the new balance and the purchased mod.</summary>
    public sealed class CheckoutResult
    {
        public Transaction Transaction { get; private set; }
        /// <summary>Wallet balance after the purchase.</summary>
        public long Balance { get; private set; }
        public long Deficit { get; private set; }
        public string WalletType { get; private set; }
        public string PaymentMethodId { get; private set; }
        /// <summary>The idempotency key the purchase was made with (generated when you passed none).</summary>
        public string IdempotencyKey { get; private set; }
        public Mod PurchasedMod { get; private set; }

        internal static CheckoutResult FromNative(IntPtr p)
        {
            var c = Marshal.PtrToStructure<Native.modio_market_checkout>(p);
            return new CheckoutResult
            {
                Transaction = Transaction.FromNative(Marshal.PtrToStructure<Native.modio_market_transaction>(c.transaction)),
                Balance = c.balance,
                Deficit = c.deficit,
                WalletType = Utf8.Decode(c.wallet_type),
                PaymentMethodId = Utf8.Decode(c.payment_method_id),
                IdempotencyKey = Utf8.Decode(c.idempotency_key),
                PurchasedMod = c.purchased_mod == IntPtr.Zero ? null : Mod.FromNative(c.purchased_mod),
            };
        }
    }

    /// <summary>A user delegation token for the studio's purchase server. Send it to your backend
    /// only; never log it.</summary>
    public sealed class DelegationToken
    {
        public string Entity { get; private set; }
        /// <summary>A secret.</summary>
        public string Token { get; private set; }

        public override string ToString()
        {
            return "DelegationToken(" + Entity + ", <redacted>)";
        }

        internal static DelegationToken FromNative(IntPtr p)
        {
            var d = Marshal.PtrToStructure<Native.modio_market_delegation_token>(p);
            return new DelegationToken { Entity = Utf8.Decode(d.entity), Token = Utf8.Decode(d.token) };
        }
    }

    /// <summary>How a checkout journaled in the data directory by an earlier run (a crash, a lost
    /// connection) ended. Raised by <see cref="ModioMarketClient.CheckoutRecovered"/>.</summary>
    public sealed class CheckoutRecovery
    {
        public RecoveryOutcome Outcome { get; private set; }
        /// <summary>The mod.io user the checkout was for.</summary>
        public long UserId { get; private set; }
        public long ModId { get; private set; }
        public long DisplayAmount { get; private set; }
        public string IdempotencyKey { get; private set; }
        /// <summary>Unix seconds of the original attempt.</summary>
        public long AttemptedAt { get; private set; }
        /// <summary>The receipt, for Completed; else null.</summary>
        public CheckoutResult Checkout { get; private set; }
        /// <summary>Why, for Failed, StillPending and CorruptJournal; else null.</summary>
        public ModioMarketException Error { get; private set; }
        /// <summary>Where an unreadable journal file was kept, for CorruptJournal; else null.</summary>
        public string JournalFile { get; private set; }

        public override string ToString()
        {
            return "CheckoutRecovery(" + Outcome + ", mod " + ModId + ")";
        }

        internal static CheckoutRecovery FromNative(IntPtr p)
        {
            var r = Marshal.PtrToStructure<Native.modio_market_recovery>(p);
            return new CheckoutRecovery
            {
                Outcome = (RecoveryOutcome)r.outcome,
                UserId = (long)r.user_id,
                ModId = (long)r.mod_id,
                DisplayAmount = r.display_amount,
                IdempotencyKey = Utf8.Decode(r.idempotency_key),
                AttemptedAt = r.attempted_at,
                Checkout = r.checkout == IntPtr.Zero ? null : CheckoutResult.FromNative(r.checkout),
                Error = r.error == IntPtr.Zero ? null : ModioMarketException.FromNative(r.error),
                JournalFile = Utf8.Decode(r.journal_file),
            };
        }
    }

    /// <summary>Every mod the user purchased (modio_market_purchases).</summary>
    internal static class Purchases
    {
        internal static IReadOnlyList<Mod> FromNative(IntPtr p)
        {
            var s = Marshal.PtrToStructure<Native.modio_market_purchases>(p);
            return Mod.ArrayFromNative(s.mods, s.mod_count);
        }
    }
}

namespace ModioMarket.Interop
{
    /// <summary>A link mod.io's terms name (terms of use, privacy policy, refund policy...).</summary>
    public sealed class TermsLink
    {
        /// <summary>"website", "terms", "privacy", "refund" or "manage".</summary>
        public string Name { get; private set; }
        /// <summary>The text to show, in the configured language.</summary>
        public string Text { get; private set; }
        public string Url { get; private set; }
        /// <summary>The game must show this link.</summary>
        public bool Required { get; private set; }

        internal static TermsLink FromNative(IntPtr p)
        {
            var l = Marshal.PtrToStructure<Native.modio_market_terms_link>(p);
            return new TermsLink { Name = Utf8.Decode(l.name), Text = Utf8.Decode(l.text), Url = Utf8.Decode(l.url), Required = l.required != 0 };
        }
    }

    /// <summary>What the game shows before a player's first sign-in: the text, a button for each
    /// answer and the links. Pass the player's answer as <c>termsAgreed</c> when signing in.</summary>
    public sealed class Terms
    {
        public string Plaintext { get; private set; }
        public string Html { get; private set; }
        public string AgreeText { get; private set; }
        public string DisagreeText { get; private set; }
        public IReadOnlyList<TermsLink> Links { get; private set; }

        /// <summary>The link named <paramref name="name"/>, or null.</summary>
        public TermsLink Link(string name)
        {
            foreach (TermsLink l in Links)
                if (l.Name == name)
                    return l;
            return null;
        }

        internal static Terms FromNative(IntPtr p)
        {
            var t = Marshal.PtrToStructure<Native.modio_market_terms>(p);
            return new Terms
            {
                Plaintext = Utf8.Decode(t.plaintext),
                Html = Utf8.Decode(t.html),
                AgreeText = Utf8.Decode(t.agree_text),
                DisagreeText = Utf8.Decode(t.disagree_text),
                Links = Structs.Array(t.links, t.link_count, TermsLink.FromNative),
            };
        }
    }

    /// <summary>The signed-in player.</summary>
    public sealed class User
    {
        public long Id { get; private set; }
        public string Username { get; private set; }

        internal static User FromNative(IntPtr p)
        {
            var u = Marshal.PtrToStructure<Native.modio_market_user>(p);
            return new User { Id = (long)u.id, Username = Utf8.Decode(u.username) };
        }
    }

    /// <summary>A virtual currency pack the game sells on a platform store.</summary>
    public sealed class TokenPack
    {
        public long Id { get; private set; }
        public long TokenPackId { get; private set; }
        /// <summary>The platform price in its smallest unit (cents).</summary>
        public long Price { get; private set; }
        /// <summary>The virtual currency the pack gives.</summary>
        public long Amount { get; private set; }
        /// <summary>The store selling it ("STEAM", ...).</summary>
        public string Portal { get; private set; }
        public string Sku { get; private set; }
        public string Name { get; private set; }
        public string Description { get; private set; }
        public long DateAdded { get; private set; }
        public long DateUpdated { get; private set; }

        internal static TokenPack FromNative(IntPtr p)
        {
            var t = Marshal.PtrToStructure<Native.modio_market_token_pack>(p);
            return new TokenPack
            {
                Id = (long)t.id,
                TokenPackId = (long)t.token_pack_id,
                Price = t.price,
                Amount = t.amount,
                Portal = Utf8.Decode(t.portal),
                Sku = Utf8.Decode(t.sku),
                Name = Utf8.Decode(t.name),
                Description = Utf8.Decode(t.description),
                DateAdded = t.date_added,
                DateUpdated = t.date_updated,
            };
        }
    }

    /// <summary>The game's currency packs and its name for the currency.</summary>
    public sealed class TokenPacks
    {
        public IReadOnlyList<TokenPack> Packs { get; private set; }
        public string TokenName { get; private set; }

        internal static TokenPacks FromNative(IntPtr p)
        {
            var t = Marshal.PtrToStructure<Native.modio_market_token_packs>(p);
            return new TokenPacks { Packs = Structs.Array(t.packs, t.pack_count, TokenPack.FromNative), TokenName = Utf8.Decode(t.token_name) };
        }
    }

    /// <summary>A platform purchase not converted into virtual currency yet.</summary>
    public sealed class UnconvertedEntitlement
    {
        public string SkuId { get; private set; }
        /// <summary>An <see cref="EntitlementKind"/> value, or another number mod.io sent.</summary>
        public EntitlementKind Kind { get; private set; }

        internal static UnconvertedEntitlement FromNative(IntPtr p)
        {
            var e = Marshal.PtrToStructure<Native.modio_market_unconverted_entitlement>(p);
            return new UnconvertedEntitlement { SkuId = Utf8.Decode(e.sku_id), Kind = (EntitlementKind)e.entitlement_type };
        }
    }

    /// <summary>What the player bought on the platform and has not converted yet.</summary>
    public sealed class UnconvertedEntitlements
    {
        public IReadOnlyList<UnconvertedEntitlement> Entitlements { get; private set; }
        /// <summary>Every match, across pages.</summary>
        public long Total { get; private set; }

        /// <summary>How many are currency packs ("you have 2 packs to convert").</summary>
        public int TokenPacks
        {
            get
            {
                int n = 0;
                foreach (UnconvertedEntitlement e in Entitlements)
                    if (e.Kind == EntitlementKind.TokenPack)
                        n++;
                return n;
            }
        }

        internal static UnconvertedEntitlements FromNative(IntPtr p)
        {
            var u = Marshal.PtrToStructure<Native.modio_market_unconverted_entitlements>(p);
            return new UnconvertedEntitlements
            {
                Entitlements = Structs.Array(u.entitlements, u.entitlement_count, UnconvertedEntitlement.FromNative),
                Total = (long)u.total,
            };
        }
    }

    /// <summary>One file of a mod.</summary>
    public sealed class Modfile
    {
        public long Id { get; private set; }
        public long ModId { get; private set; }
        public long Filesize { get; private set; }
        public long FilesizeUncompressed { get; private set; }
        /// <summary>Lowercase hex.</summary>
        public string Md5 { get; private set; }
        public string Filename { get; private set; }
        public string Version { get; private set; }
        public string Changelog { get; private set; }
        public string MetadataBlob { get; private set; }
        /// <summary>Needs the player's token and expires at <see cref="DateExpires"/> when the game restricts downloads.</summary>
        public string BinaryUrl { get; private set; }
        public long DateAdded { get; private set; }
        public long DateExpires { get; private set; }
        public int VirusStatus { get; private set; }
        public bool VirusPositive { get; private set; }

        internal static Modfile FromNative(IntPtr p)
        {
            var f = Marshal.PtrToStructure<Native.modio_market_modfile>(p);
            return new Modfile
            {
                Id = (long)f.id,
                ModId = (long)f.mod_id,
                Filesize = (long)f.filesize,
                FilesizeUncompressed = (long)f.filesize_uncompressed,
                Md5 = Utf8.Decode(f.md5),
                Filename = Utf8.Decode(f.filename),
                Version = Utf8.Decode(f.version),
                Changelog = Utf8.Decode(f.changelog),
                MetadataBlob = Utf8.Decode(f.metadata_blob),
                BinaryUrl = Utf8.Decode(f.binary_url),
                DateAdded = f.date_added,
                DateExpires = f.date_expires,
                VirusStatus = (int)f.virus_status,
                VirusPositive = f.virus_positive != 0,
            };
        }
    }

    /// <summary>An installed mod.</summary>
    public sealed class InstalledMod
    {
        public long ModId { get; private set; }
        /// <summary>A newer modfile on mod.io means an update: install again.</summary>
        public long ModfileId { get; private set; }
        public string Version { get; private set; }
        public string Md5 { get; private set; }
        /// <summary>The mod's directory: <c>{InstallDirectory}/{ModId}</c>.</summary>
        public string Path { get; private set; }
        public long InstalledAt { get; private set; }
        /// <summary>Bytes extracted.</summary>
        public long Size { get; private set; }

        internal static InstalledMod FromNative(IntPtr p)
        {
            var m = Marshal.PtrToStructure<Native.modio_market_installed_mod>(p);
            return new InstalledMod
            {
                ModId = (long)m.mod_id,
                ModfileId = (long)m.modfile_id,
                Version = Utf8.Decode(m.version),
                Md5 = Utf8.Decode(m.md5),
                Path = Utf8.Decode(m.path),
                InstalledAt = m.installed_at,
                Size = (long)m.size,
            };
        }
    }

    /// <summary>How far a download has come (reported through <see cref="IProgress{T}"/> inside Pump).</summary>
    public struct DownloadProgress
    {
        public DownloadProgress(long bytesDone, long bytesTotal)
        {
            BytesDone = bytesDone;
            BytesTotal = bytesTotal;
        }

        public long BytesDone { get; private set; }
        /// <summary>0 while unknown.</summary>
        public long BytesTotal { get; private set; }

        /// <summary>0 to 1 (0 while the size is unknown).</summary>
        public float Fraction
        {
            get { return BytesTotal > 0 ? (float)BytesDone / BytesTotal : 0f; }
        }
    }

    internal static class Structs
    {
        /// <summary>Element <paramref name="index"/> of a C array of pointers.</summary>
        internal static IntPtr Element(IntPtr first, ulong index)
        {
            return Marshal.ReadIntPtr(first, checked((int)index * IntPtr.Size));
        }

        /// <summary>Copies a borrowed C array of pointers (pointer + count; NULL when empty): ABI
        /// 1.0 arrays hold pointers, so an element struct can grow without changing the stride.</summary>
        internal static IReadOnlyList<T> Array<T>(IntPtr first, UIntPtr count, Func<IntPtr, T> read)
        {
            ulong n = count.ToUInt64();
            if (n == 0 || first == IntPtr.Zero)
                return new T[0];
            if (n > (ulong)(int.MaxValue / IntPtr.Size))
                throw new ModioMarketException(ResultCode.Internal, "a native array is too long");
            var items = new T[n];
            for (ulong i = 0; i < n; i++)
                items[i] = read(Element(first, i));
            return items;
        }
    }
}
