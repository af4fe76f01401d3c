// Latent Blueprint nodes over UModioMarketSubsystem. Each node starts one request when it runs and
// fires On Success or On Failure exactly once, on the game thread (from the subsystem's Tick).
// Both pins carry the result and the error: the result is empty on failure, the error's Code is
// Ok on success. A node whose game instance is gone never fires.
#pragma once

#include "CoreMinimal.h"
#include "Kismet/BlueprintAsyncActionBase.h"
#include "ModioMarketTypes.h"

#include "ModioMarketAsyncActions.generated.h"

class UModioMarketSubsystem;

DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketSessionPin, const FModioMarketSession&, Session, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketWalletPin, const FModioMarketWallet&, Wallet, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketSyncPin, const FModioMarketEntitlementSync&, Sync, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketModPagePin, const FModioMarketModPage&, Page, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketCheckoutPin, const FModioMarketCheckout&, Receipt, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketPurchasesPin, const FModioMarketPurchases&, Purchases, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketTermsPin, const FModioMarketTerms&, Terms, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketTokenPacksPin, const FModioMarketTokenPacks&, Packs, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketUnconvertedPin, const FModioMarketUnconvertedEntitlements&, Unconverted, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketInstalledModPin, const FModioMarketInstalledMod&, Installed, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FModioMarketProgressPin, const FModioMarketDownloadProgress&, Progress);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketUserPin, const FModioMarketUser&, User, const FModioMarketError&, Error);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FModioMarketModfilePin, const FModioMarketModfile&, Modfile, const FModioMarketError&, Error);

/** Shared plumbing: finds the subsystem, remembers the request id, finishes once. */
UCLASS(Abstract)
class MODIOMARKET_API UModioMarketAsyncAction : public UBlueprintAsyncActionBase
{
	GENERATED_BODY()

public:
	/** The library's id of the running request (0 before it starts or when it was refused). */
	UPROPERTY(BlueprintReadOnly, Category = "ModioMarket")
	int64 RequestId = 0;

	/** Cancels the request: the node then fires On Failure with Code Cancelled. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	void Cancel();

protected:
	/** Registers the node with the world's game instance and finds its subsystem. */
	void Bind(UObject* WorldContextObject);

	/** The subsystem, or nullptr after reporting NotInitialized through `Fail`. */
	UModioMarketSubsystem* SubsystemOrFail(TFunctionRef<void(const FModioMarketError&)> Fail);

	static FModioMarketError NoError();

	TWeakObjectPtr<UModioMarketSubsystem> Subsystem;
};

UCLASS()
class MODIOMARKET_API UModioMarketSignInAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketSessionPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketSessionPin OnFailure;

	/** Signs in with a Steam encrypted app ticket (base64). Errors: 11018 bad ticket, 11074 terms not accepted. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Steam"))
	static UModioMarketSignInAsync* SignInWithSteam(UObject* WorldContextObject, const FString& EncryptedAppTicket, bool bTermsAgreed);

	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Xbox Live"))
	static UModioMarketSignInAsync* SignInWithXboxLive(UObject* WorldContextObject, const FString& XboxToken, bool bTermsAgreed);

	/** Environment: the PSN environment, or -1 for production. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With PSN"))
	static UModioMarketSignInAsync* SignInWithPsn(UObject* WorldContextObject, const FString& AuthCode, int64 Environment, bool bTermsAgreed);

	/** Device: "quest" or "rift". */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Meta"))
	static UModioMarketSignInAsync* SignInWithMeta(UObject* WorldContextObject, const FString& Device, const FString& Nonce, int64 MetaUserId,
		const FString& MetaAccessToken, bool bTermsAgreed);

	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Apple"))
	static UModioMarketSignInAsync* SignInWithApple(UObject* WorldContextObject, const FString& IdToken, bool bTermsAgreed);

	/** A server auth code, an ID token, or both (either may be empty, not both). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Google"))
	static UModioMarketSignInAsync* SignInWithGoogle(UObject* WorldContextObject, const FString& AuthCode, const FString& IdToken, bool bTermsAgreed);

	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Epic Games"))
	static UModioMarketSignInAsync* SignInWithEpic(UObject* WorldContextObject, const FString& IdToken, bool bTermsAgreed);

	/** A studio tool acting as the player a delegation token was issued for. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sign In With Delegation Token"))
	static UModioMarketSignInAsync* SignInWithDelegationToken(UObject* WorldContextObject, const FString& DelegationToken);

	virtual void Activate() override;

private:
	TFunction<int64(UModioMarketSubsystem&, TFunction<void(const FModioMarketSessionResult&)>)> Starter;
	void Finish(const FModioMarketSessionResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetWalletAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketWalletPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketWalletPin OnFailure;

	/** Reads the player's wallet (balance in the game's virtual currency). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Wallet", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Wallet"))
	static UModioMarketGetWalletAsync* GetWallet(UObject* WorldContextObject);

	virtual void Activate() override;

private:
	void Finish(const FModioMarketWalletResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketSyncEntitlementsAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketSyncPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketSyncPin OnFailure;

	/** Turns the player's Steam purchases into virtual currency. Errors: 11069 no Steam account linked, 900054, 900057, 900096. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Entitlements", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sync Steam Entitlements"))
	static UModioMarketSyncEntitlementsAsync* SyncSteam(UObject* WorldContextObject);

	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Entitlements", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sync Xbox Live Entitlements"))
	static UModioMarketSyncEntitlementsAsync* SyncXboxLive(UObject* WorldContextObject, const FString& XboxToken);

	/** Environment / ServiceLabel: -1 to leave out. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Entitlements", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sync PSN Entitlements"))
	static UModioMarketSyncEntitlementsAsync* SyncPsn(UObject* WorldContextObject, const FString& AuthCode, int64 Environment, int64 ServiceLabel);

	/** Device: "quest" or "rift". */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Entitlements", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Sync Meta Entitlements"))
	static UModioMarketSyncEntitlementsAsync* SyncMeta(UObject* WorldContextObject, const FString& Device, int64 MetaUserId);

	virtual void Activate() override;

private:
	TFunction<int64(UModioMarketSubsystem&, TFunction<void(const FModioMarketSyncResult&)>)> Starter;
	void Finish(const FModioMarketSyncResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetPremiumModsAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketModPagePin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketModPagePin OnFailure;

	/** A page of premium (paid) mods. Limit 1-100; Search: words of the name, empty for all. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Store", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Premium Mods"))
	static UModioMarketGetPremiumModsAsync* GetPremiumMods(UObject* WorldContextObject, int64 Offset = 0, int32 Limit = 100, const FString& Search = TEXT(""));

	virtual void Activate() override;

private:
	// Named apart from the factory's parameters (which become the node's pins): no shadowing.
	int64 PageOffset = 0;
	int32 PageLimit = 100;
	FString SearchText;
	void Finish(const FModioMarketModPageResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketCheckoutAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketCheckoutPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketCheckoutPin OnFailure;

	/**
	 * Buys a mod with virtual currency. DisplayAmount: the price the player saw. IdempotencyKey:
	 * empty to generate one; pass the receipt's key again to retry the same purchase safely.
	 * Errors: 900049 insufficient funds, 900034 already owned, 900035 price changed.
	 */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Store", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Buy Mod"))
	static UModioMarketCheckoutAsync* BuyMod(UObject* WorldContextObject, int64 ModId, int64 DisplayAmount, const FString& IdempotencyKey = TEXT(""));

	virtual void Activate() override;

private:
	int64 ModToBuy = 0;
	int64 PriceShown = 0;
	FString KeyToUse;
	void Finish(const FModioMarketCheckoutResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketRefreshPurchasesAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketPurchasesPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketPurchasesPin OnFailure;

	/** Fetches every mod the player bought and refreshes the ownership cache (Is Mod Owned). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Store", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Refresh Purchases"))
	static UModioMarketRefreshPurchasesAsync* RefreshPurchases(UObject* WorldContextObject);

	virtual void Activate() override;

private:
	void Finish(const FModioMarketPurchasesResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetTermsAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketTermsPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketTermsPin OnFailure;

	/** mod.io's terms in the configured language: show them (and the required links) before a player's first sign-in. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Terms"))
	static UModioMarketGetTermsAsync* GetTerms(UObject* WorldContextObject);

	virtual void Activate() override;

private:
	void Finish(const FModioMarketTermsResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetTokenPacksAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketTokenPacksPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketTokenPacksPin OnFailure;

	/** The currency packs the game sells, with its currency name (needs a signed-in player). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Wallet", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Currency Packs"))
	static UModioMarketGetTokenPacksAsync* GetTokenPacks(UObject* WorldContextObject);

	virtual void Activate() override;

private:
	void Finish(const FModioMarketTokenPacksResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetUnconvertedAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketUnconvertedPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketUnconvertedPin OnFailure;

	/** What the player bought on Steam and has not converted yet ("2 packs to convert"); converts nothing. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Wallet", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Unconverted Steam Purchases"))
	static UModioMarketGetUnconvertedAsync* GetUnconvertedSteam(UObject* WorldContextObject);

	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Wallet", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Unconverted Xbox Live Purchases"))
	static UModioMarketGetUnconvertedAsync* GetUnconvertedXboxLive(UObject* WorldContextObject, const FString& XboxToken);

	/** Needs the project's Platform (ps4 or ps5). Environment / ServiceLabel: -1 to leave out. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Wallet", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Unconverted PSN Purchases"))
	static UModioMarketGetUnconvertedAsync* GetUnconvertedPsn(UObject* WorldContextObject, const FString& AuthCode, int64 Environment, int64 ServiceLabel);

	/** EpicGamesToken: a bearer token acting for the player; SandboxId empty for none. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Wallet", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Unconverted Epic Games Purchases"))
	static UModioMarketGetUnconvertedAsync* GetUnconvertedEpic(UObject* WorldContextObject, const FString& EpicGamesToken, const FString& SandboxId);

	virtual void Activate() override;

private:
	TFunction<int64(UModioMarketSubsystem&, TFunction<void(const FModioMarketUnconvertedResult&)>)> Starter;
	void Finish(const FModioMarketUnconvertedResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetUserAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketUserPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketUserPin OnFailure;

	/** The signed-in player's id and name. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Sign In", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get User"))
	static UModioMarketGetUserAsync* GetUser(UObject* WorldContextObject);

	virtual void Activate() override;

private:
	void Finish(const FModioMarketUserResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketGetModfileAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	UPROPERTY(BlueprintAssignable)
	FModioMarketModfilePin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketModfilePin OnFailure;

	/** One file of a mod (its size, MD5, version and a fresh download link). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Downloads", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Get Modfile"))
	static UModioMarketGetModfileAsync* GetModfile(UObject* WorldContextObject, int64 ModId, int64 ModfileId);

	virtual void Activate() override;

private:
	int64 ModId = 0;
	int64 ModfileId = 0;
	void Finish(const FModioMarketModfileResult& Result);
};

UCLASS()
class MODIOMARKET_API UModioMarketInstallModAsync : public UModioMarketAsyncAction
{
	GENERATED_BODY()

public:
	/** How far the download has come: on the game thread, at most five times a second, before On Success / On Failure. */
	UPROPERTY(BlueprintAssignable)
	FModioMarketProgressPin OnProgress;

	UPROPERTY(BlueprintAssignable)
	FModioMarketInstalledModPin OnSuccess;

	UPROPERTY(BlueprintAssignable)
	FModioMarketInstalledModPin OnFailure;

	/**
	 * Downloads (resuming an interrupted download), checks and installs a mod the player may play, or
	 * updates it. Errors: NotOwned, IntegrityFailed, UnsafeArchive, DiskFull, NoModfile, Cancelled.
	 */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Downloads", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Install Mod"))
	static UModioMarketInstallModAsync* InstallMod(UObject* WorldContextObject, int64 ModId);

	/** Removes an installed mod (its folder and its entry). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Downloads", meta = (BlueprintInternalUseOnly = "true", WorldContext = "WorldContextObject", DisplayName = "mod.io Uninstall Mod"))
	static UModioMarketInstallModAsync* UninstallMod(UObject* WorldContextObject, int64 ModId);

	virtual void Activate() override;

private:
	int64 ModId = 0;
	bool bUninstall = false;
	void Finish(const FModioMarketInstalledModResult& Result);
};
