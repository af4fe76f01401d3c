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
	Ok = 0,
	NullPointer = 1,
	InvalidUtf8 = 2,
	InvalidArgument = 3,
	UnknownEnumValue = 4,
	NotAuthenticated = 5 UMETA(ToolTip = "Sign in (or restore a session) first."),
	Dns = 10,
	Connect = 11,
	Tls = 12,
	Timeout = 13,
	Transport = 14,
	InsecureUrl = 15,
	Http = 20 UMETA(ToolTip = "mod.io answered with an error: see HttpStatus, ErrorRef and Message."),
	MalformedResponse = 21,
	ResponseTooLarge = 22,
	RateLimited = 23 UMETA(ToolTip = "See RetryAfterSeconds."),
	UnexpectedAnswer = 24 UMETA(ToolTip = "A success answer that was not for what was asked (a receipt for another mod, or not paid): nothing was unlocked."),
	Cancelled = 30,
	ShutDown = 31,
	Reentrant = 32,
	WaitTimedOut = 33,
	RequestNotFound = 34,
	AlreadyCompleted = 35,
	BufferTooSmall = 36,
	Io = 40,
	Internal = 41,
	NotInitialized = 254 UMETA(ToolTip = "The ModioMarket subsystem has no client: check Project Settings > Plugins > mod.io Marketplace."),
	Unknown = 255 UMETA(ToolTip = "A code this plugin version does not know; see CodeName."),
};

/** How a checkout journaled in the data directory ended (reported after a crash or lost connection). */
UENUM(BlueprintType)
enum class EModioMarketRecoveryOutcome : uint8
{
	Completed = 0 UMETA(ToolTip = "Resent with its key: the purchase went through; see Receipt."),
	Failed = 1 UMETA(ToolTip = "Resent with its key: mod.io refused it; see Error."),
	Owned = 2 UMETA(ToolTip = "Too old to resend, and the mod is in the purchased list: it was bought."),
	Abandoned = 3 UMETA(ToolTip = "Too old to resend, and not purchased: it never went through."),
	StillPending = 4 UMETA(ToolTip = "Still no definitive answer; tried again at the next recovery. See Error."),
	CorruptJournal = 5 UMETA(ToolTip = "An unreadable journal file was moved aside to JournalFile."),
};

UENUM(BlueprintType)
enum class EModioMarketEnvironment : uint8
{
	Live = 0,
	Test = 1,
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
using FModioMarketSessionResult = TValueOrError<FModioMarketSession, FModioMarketError>;
using FModioMarketWalletResult = TValueOrError<FModioMarketWallet, FModioMarketError>;
using FModioMarketSyncResult = TValueOrError<FModioMarketEntitlementSync, FModioMarketError>;
using FModioMarketGameResult = TValueOrError<FModioMarketGame, FModioMarketError>;
using FModioMarketModPageResult = TValueOrError<FModioMarketModPage, FModioMarketError>;
using FModioMarketModResult = TValueOrError<FModioMarketMod, FModioMarketError>;
using FModioMarketCheckoutResult = TValueOrError<FModioMarketCheckout, FModioMarketError>;
using FModioMarketPurchasesResult = TValueOrError<FModioMarketPurchases, FModioMarketError>;
