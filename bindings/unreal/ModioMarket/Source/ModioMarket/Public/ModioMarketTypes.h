// Blueprint mirrors of the modio_market results and error. Ids are int64 (Blueprints have no
// uint64); strings are FString copies made on the game thread when a request completes.
#pragma once

#include "CoreMinimal.h"
#include "Templates/ValueOrError.h"

#include "ModioMarketTypes.generated.h"

/** Every outcome the library reports (modio_market_result), plus the plugin's own NotInitialized. */
UENUM(BlueprintType)
enum class EModioMarketCode : uint8
{
	// <generated:result-codes> (cargo run -p xtask -- mirrors: from modio_market::ResultCode)
	Ok = 0 UMETA(ToolTip = "Success."),
	NullPointer = 1 UMETA(ToolTip = "A required pointer argument was NULL."),
	InvalidUtf8 = 2 UMETA(ToolTip = "A string argument was not valid UTF-8."),
	InvalidArgument = 3 UMETA(ToolTip = "An argument was invalid."),
	UnknownEnumValue = 4 UMETA(ToolTip = "An enum argument had an unknown value."),
	NotAuthenticated = 5 UMETA(ToolTip = "No user access token is set."),
	Dns = 10 UMETA(ToolTip = "The server's host name could not be resolved."),
	Connect = 11 UMETA(ToolTip = "Could not connect to the server."),
	Tls = 12 UMETA(ToolTip = "The secure connection failed (TLS)."),
	Timeout = 13 UMETA(ToolTip = "The request timed out."),
	Transport = 14 UMETA(ToolTip = "The connection failed while talking to the server."),
	InsecureUrl = 15 UMETA(ToolTip = "Plain http is refused for non-loopback hosts."),
	Http = 20 UMETA(ToolTip = "The server answered with an error."),
	MalformedResponse = 21 UMETA(ToolTip = "The server's answer could not be read."),
	ResponseTooLarge = 22 UMETA(ToolTip = "The server's answer was too large."),
	RateLimited = 23 UMETA(ToolTip = "Too many requests: rate limited by mod.io."),
	UnexpectedAnswer = 24 UMETA(ToolTip = "The server's answer did not match the request."),
	Cancelled = 30 UMETA(ToolTip = "The request was cancelled."),
	ShutDown = 31 UMETA(ToolTip = "The client was shut down."),
	Reentrant = 32 UMETA(ToolTip = "Poll or wait called from inside a callback or from two threads at once."),
	WaitTimedOut = 33 UMETA(ToolTip = "The wait timed out."),
	RequestNotFound = 34 UMETA(ToolTip = "No pending request has that id."),
	AlreadyCompleted = 35 UMETA(ToolTip = "The request already completed."),
	BufferTooSmall = 36 UMETA(ToolTip = "The buffer is too small."),
	Io = 40 UMETA(ToolTip = "A file operation failed."),
	Internal = 41 UMETA(ToolTip = "An internal error occurred."),
	DiskFull = 42 UMETA(ToolTip = "The disk is full."),
	NotOwned = 50 UMETA(ToolTip = "The player does not own this paid mod."),
	IntegrityFailed = 51 UMETA(ToolTip = "The download did not match its size or MD5."),
	UnsafeArchive = 52 UMETA(ToolTip = "The archive is unreadable or would write outside its directory."),
	NoModfile = 53 UMETA(ToolTip = "The mod has no file to download."),
	// </generated:result-codes>
	NotInitialized = 254 UMETA(ToolTip = "The ModioMarket subsystem has no client: check Project Settings > Plugins > mod.io Marketplace."),
	Unknown = 255 UMETA(ToolTip = "A code this plugin version does not know; see CodeName."),
};

/** How a checkout journaled in the data directory ended (reported after a crash or lost connection). */
UENUM(BlueprintType)
enum class EModioMarketRecoveryOutcome : uint8
{
	// <generated:recovery-outcomes> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
	Completed = 0 UMETA(ToolTip = "Resent with its key: the purchase went through; checkout holds the receipt."),
	Failed = 1 UMETA(ToolTip = "Resent with its key: mod.io refused it definitively; see error."),
	Owned = 2 UMETA(ToolTip = "Older than the key's 24 hours, and the mod is in the purchased list: it was bought."),
	Abandoned = 3 UMETA(ToolTip = "Older than the key's 24 hours, and not purchased: it never went through."),
	StillPending = 4 UMETA(ToolTip = "Still no definitive answer (offline, 5xx, rate limited); kept for the next recovery; see error."),
	CorruptJournal = 5 UMETA(ToolTip = "A journal file was unreadable; it was moved aside to journal_file; see error."),
	// </generated:recovery-outcomes>
};

UENUM(BlueprintType)
enum class EModioMarketEnvironment : uint8
{
	// <generated:environments> (cargo run -p xtask -- mirrors: from capi/include/modio_market.h)
	Live = 0 UMETA(ToolTip = "https://g-{game_id}.modapi.io/v1"),
	Test = 1 UMETA(ToolTip = "https://g-{game_id}.test.mod.io/v1"),
	// </generated:environments>
};

UENUM(BlueprintType)
enum class EModioMarketLogLevel : uint8
{
	Off = 0,
	Error = 1,
	Warning = 2,
	Info = 3,
	Debug = 4,
	Trace = 5,
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketFieldError
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Field;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Message;
};

/** Why a request failed. Never contains a token, ticket or receipt. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketError
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	EModioMarketCode Code = EModioMarketCode::Internal;

	/** "MODIO_MARKET_RESULT_HTTP", ... */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString CodeName;

	/** HTTP status for Http / RateLimited, else 0. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int32 HttpStatus = 0;

	/** mod.io error_ref (900049 insufficient funds, 900034 already owned, 900035 price mismatch, ...), 0 when none. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ErrorRef = 0;

	/** "MONETIZATION_INSUFFICIENT_FUNDS", ... when the library knows the ref. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString ErrorRefName;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Message;

	/** The fields a 422 answer complained about. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FModioMarketFieldError> FieldErrors;

	/** For RateLimited: seconds mod.io asked to wait; else -1. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 RetryAfterSeconds = -1;
};

/** A signed-in session; the access token itself stays inside the library. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketSession
{
	GENERATED_BODY()

	/** Unix time the session expires. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ExpiresAt = 0;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketWallet
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString WalletType;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Currency;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString PaymentMethodId;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 GameId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Balance = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 PendingBalance = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Deficit = 0;

	/** MODIO_MARKET_MONETIZATION_STATUS_* flags; 0 = unregistered. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int32 MonetizationStatus = 0;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketEntitlement
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString TransactionId;

	/** 0 failed, 1 pending, 2 fulfilled, 3 consume limit exceeded (other numbers pass through). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 State = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString StateName;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString SkuId;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	bool bConsumed = false;

	/** 0 = virtual currency. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 EntitlementType = 0;

	/** `details` as JSON; empty when mod.io sent none. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString DetailsJson;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketEntitlementSync
{
	GENERATED_BODY()

	/** Wallet balance after the sync. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Balance = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FModioMarketEntitlement> Entitlements;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketMod
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 GameId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Name;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString NameId;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Summary;

	/** Price in the game's virtual currency; 0 for free mods. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Price = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString LogoUrl;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString ProfileUrl;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ModfileId = 0;

	/** Bytes. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Filesize = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Md5;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Version;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 DownloadsTotal = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int32 RatingPercentagePositive = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	double RatingWeightedAggregate = 0.0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString RatingDisplayText;

	/** The whole mod object as mod.io sent it. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Json;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketModPage
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FModioMarketMod> Mods;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ResultOffset = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ResultLimit = 0;

	/** Every mod matching the query, across pages. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ResultTotal = 0;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketTransaction
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString GatewayUuid;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 GrossAmount = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 NetAmount = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 PlatformFee = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 GatewayFee = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Tax = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString TaxType;

	/** "paid", "pending", "refunded", ... */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString StateName;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString MetaJson;

	/** Unix time. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 PurchaseDate = 0;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketCheckout
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FModioMarketTransaction Transaction;

	/** Wallet balance after the purchase. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Balance = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Deficit = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString WalletType;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString PaymentMethodId;

	/** The key the purchase was made with: reuse it to retry this purchase safely. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString IdempotencyKey;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FModioMarketMod PurchasedMod;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketPurchases
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FModioMarketMod> Mods;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketGame
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Name;

	/** The game's name for its virtual currency ("Gold"). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString TokenName;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int32 ApiAccessOptions = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	bool bPaidDownloadsNeedPurchase = false;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketRecoveryReport
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	EModioMarketRecoveryOutcome Outcome = EModioMarketRecoveryOutcome::StillPending;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 UserId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ModId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 DisplayAmount = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString IdempotencyKey;

	/** Unix time of the original attempt. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 AttemptedAt = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	bool bHasReceipt = false;

	/** For Completed. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FModioMarketCheckout Receipt;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	bool bHasError = false;

	/** For Failed, StillPending and CorruptJournal. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FModioMarketError Error;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString JournalFile;
};

/** C++ completion types: a value or the error, delivered on the game thread from the subsystem's Tick. */
/** The signed-in player. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketUser
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Username;
};

/** One file of a mod. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketModfile
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Id = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ModId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Filesize = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Md5;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Version;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Changelog;

	/** Expires at DateExpires when the game restricts downloads (Install Mod asks for a fresh one). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString BinaryUrl;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 DateExpires = 0;
};

/** A link the terms name: the game must show the ones marked required. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketTermsLink
{
	GENERATED_BODY()

	/** "website", "terms", "privacy", "refund" or "manage". */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Name;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Text;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Url;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	bool bRequired = false;
};

/** mod.io's terms: show them before a player's first sign-in; pass the answer as bTermsAgreed. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketTerms
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Plaintext;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Html;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString AgreeText;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString DisagreeText;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FModioMarketTermsLink> Links;
};

/** A virtual currency pack the game sells on a platform store. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketTokenPack
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Id = 0;

	/** The platform price in its smallest unit (cents). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Price = 0;

	/** The virtual currency it gives. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Amount = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Portal;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Sku;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Name;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Description;
};

USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketTokenPacks
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FModioMarketTokenPack> Packs;

	/** The game's name for its currency ("Gold"). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString TokenName;
};

/** What the player bought on the platform and has not converted yet. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketUnconvertedEntitlements
{
	GENERATED_BODY()

	/** The platform product id of each. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	TArray<FString> Skus;

	/** How many are currency packs ("you have 2 packs to convert"). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int32 TokenPacks = 0;

	/** Every match, across pages. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Total = 0;
};

/** An installed mod. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketInstalledMod
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ModId = 0;

	/** A newer modfile on mod.io means an update: install again. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 ModfileId = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Version;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Md5;

	/** The mod's directory: <InstallDirectory>/<ModId>. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	FString Path;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 InstalledAt = 0;

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 Size = 0;
};

/** How far a download has come. */
USTRUCT(BlueprintType)
struct MODIOMARKET_API FModioMarketDownloadProgress
{
	GENERATED_BODY()

	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 BytesDone = 0;

	/** 0 while unknown. */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 BytesTotal = 0;

	/** 0 to 1 (0 while the size is unknown). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	float Fraction = 0.f;
};

using FModioMarketSessionResult = TValueOrError<FModioMarketSession, FModioMarketError>;
using FModioMarketWalletResult = TValueOrError<FModioMarketWallet, FModioMarketError>;
using FModioMarketSyncResult = TValueOrError<FModioMarketEntitlementSync, FModioMarketError>;
using FModioMarketGameResult = TValueOrError<FModioMarketGame, FModioMarketError>;
using FModioMarketModPageResult = TValueOrError<FModioMarketModPage, FModioMarketError>;
using FModioMarketModResult = TValueOrError<FModioMarketMod, FModioMarketError>;
using FModioMarketCheckoutResult = TValueOrError<FModioMarketCheckout, FModioMarketError>;
using FModioMarketPurchasesResult = TValueOrError<FModioMarketPurchases, FModioMarketError>;
using FModioMarketTermsResult = TValueOrError<FModioMarketTerms, FModioMarketError>;
using FModioMarketUserResult = TValueOrError<FModioMarketUser, FModioMarketError>;
using FModioMarketModfileResult = TValueOrError<FModioMarketModfile, FModioMarketError>;
using FModioMarketTokenPacksResult = TValueOrError<FModioMarketTokenPacks, FModioMarketError>;
using FModioMarketUnconvertedResult = TValueOrError<FModioMarketUnconvertedEntitlements, FModioMarketError>;
using FModioMarketInstalledModResult = TValueOrError<FModioMarketInstalledMod, FModioMarketError>;
