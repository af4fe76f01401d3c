// UModioMarketSubsystem: one modio_market client per game instance, pumped every frame.
//
// Threads: every callback (C++ TFunction, async Blueprint node) runs on the game thread, from this
// subsystem's Tick, which calls the library's poll once per frame. Network work runs on the
// library's own worker threads and never touches UObjects.
//
// Lifetime: each request's callback captures a TWeakObjectPtr to this subsystem and does nothing
// when the subsystem is gone, shutting down, or the engine is collecting garbage. Deinitialize
// frees the client: pending requests are then dropped without calling back into game code.
#pragma once

#include "CoreMinimal.h"
#include "Subsystems/GameInstanceSubsystem.h"
#include "Tickable.h"
#include "Templates/UniquePtr.h"

#include "ModioMarketCpp.h"
#include "ModioMarketTypes.h"

#include "ModioMarketSubsystem.generated.h"

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FModioMarketRecoveryEvent, const FModioMarketRecoveryReport&, Report);

UCLASS()
class MODIOMARKET_API UModioMarketSubsystem : public UGameInstanceSubsystem, public FTickableGameObject
{
	GENERATED_BODY()

public:
	// USubsystem
	virtual void Initialize(FSubsystemCollectionBase& Collection) override;
	virtual void Deinitialize() override;

	// FTickableGameObject: pumps the library once per frame.
	virtual void Tick(float DeltaTime) override;
	virtual TStatId GetStatId() const override;
	virtual ETickableTickType GetTickableTickType() const override;
	virtual bool IsTickable() const override;
	virtual bool IsTickableWhenPaused() const override { return true; }
	virtual bool IsTickableInEditor() const override { return false; }

	/** Creates the client from Project Settings > Plugins > mod.io Marketplace (done at startup when enabled there). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	bool InitializeMarket(FModioMarketError& OutError);

	/** Creates the client from explicit values (replaces an existing one; its pending requests are dropped). */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	bool InitializeMarketWith(int64 GameId, const FString& ApiKey, EModioMarketEnvironment Environment, const FString& BaseUrlOverride,
		FModioMarketError& OutError);

	/** Frees the client; pending requests are dropped. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	void ShutdownMarket();

	UFUNCTION(BlueprintPure, Category = "ModioMarket")
	bool IsMarketReady() const { return Client.IsValid(); }

	/** Restores a saved session (an access token kept in the platform's secure storage). Empties the ownership cache. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	bool SetAccessToken(const FString& AccessToken, FModioMarketError& OutError);

	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	void SignOut();

	/** Whether the player owns ModId, from the cache filled by Refresh Purchases and checkouts (no network). */
	UFUNCTION(BlueprintPure, Category = "ModioMarket")
	bool IsModOwned(int64 ModId) const;

	/** Milliseconds since mod.io last confirmed the purchased list; -1 when it has not this session. */
	UFUNCTION(BlueprintPure, Category = "ModioMarket")
	int64 GetPurchasesAgeMs() const;

	/** Cancels a request by the id its node or call returned; its callback then reports Cancelled. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	bool CancelRequest(int64 RequestId);

	UFUNCTION(BlueprintPure, Category = "ModioMarket")
	int32 GetPendingRequestCount() const;

	/** What is installed (Project Settings > Downloads > Install Directory), by mod id; no disk or network. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket|Downloads")
	bool GetInstalledMods(TArray<FModioMarketInstalledMod>& OutMods, FModioMarketError& OutError) const;

	UFUNCTION(BlueprintPure, Category = "ModioMarket")
	static FString GetLibraryVersion();

	/**
	 * How a journaled checkout ended (data directory on): a purchase the game never heard the end
	 * of, after a crash or a lost connection. Fires on the game thread; unlock on Completed/Owned.
	 */
	UPROPERTY(BlueprintAssignable, Category = "ModioMarket")
	FModioMarketRecoveryEvent OnCheckoutRecovered;

	/** Retries journaled checkouts now (it also happens whenever a player signs in): call it when the network is back. */
	UFUNCTION(BlueprintCallable, Category = "ModioMarket")
	void ResumeCheckouts();

	// --- C++ requests: each returns the request id (0 when refused: the callback then reports why on
	// the next Tick) and calls back exactly once on the game thread, unless the subsystem is gone. ---

	int64 SignInWithSteam(const FString& EncryptedAppTicket, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done);
	int64 SignInWithXboxLive(const FString& XboxToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done);
	/** Environment < 0: production. */
	int64 SignInWithPsn(const FString& AuthCode, int64 Environment, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done);
	int64 SignInWithMeta(const FString& Device, const FString& Nonce, int64 MetaUserId, const FString& MetaAccessToken, bool bTermsAgreed,
		TFunction<void(const FModioMarketSessionResult&)> Done);
	int64 SignInWithApple(const FString& IdToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done);
	/** Either may be empty, not both. */
	int64 SignInWithGoogle(const FString& AuthCode, const FString& IdToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done);
	int64 SignInWithEpic(const FString& IdToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done);

	int64 GetWallet(TFunction<void(const FModioMarketWalletResult&)> Done);

	int64 SyncSteam(TFunction<void(const FModioMarketSyncResult&)> Done);
	int64 SyncXboxLive(const FString& XboxToken, TFunction<void(const FModioMarketSyncResult&)> Done);
	/** Environment / ServiceLabel < 0: left out. */
	int64 SyncPsn(const FString& AuthCode, int64 Environment, int64 ServiceLabel, TFunction<void(const FModioMarketSyncResult&)> Done);
	int64 SyncMeta(const FString& Device, int64 MetaUserId, TFunction<void(const FModioMarketSyncResult&)> Done);

	int64 GetGame(TFunction<void(const FModioMarketGameResult&)> Done);
	/** Paid mods only; Limit 1-100; Search empty for none. */
	int64 GetPremiumMods(int64 Offset, int32 Limit, const FString& Search, TFunction<void(const FModioMarketModPageResult&)> Done);
	int64 GetMod(int64 ModId, TFunction<void(const FModioMarketModResult&)> Done);

	/** DisplayAmount: the price the player saw. IdempotencyKey empty: one is generated (returned in the receipt). */
	int64 Checkout(int64 ModId, int64 DisplayAmount, const FString& IdempotencyKey, TFunction<void(const FModioMarketCheckoutResult&)> Done);
	int64 RefreshPurchases(TFunction<void(const FModioMarketPurchasesResult&)> Done);

	/** mod.io's terms in the configured language: show them before a player's first sign-in. */
	int64 GetTerms(TFunction<void(const FModioMarketTermsResult&)> Done);
	int64 GetTokenPacks(TFunction<void(const FModioMarketTokenPacksResult&)> Done);
	/** What the player bought on Steam and has not converted yet (converts nothing). */
	int64 GetUnconvertedSteam(TFunction<void(const FModioMarketUnconvertedResult&)> Done);
	int64 GetUnconvertedXboxLive(const FString& XboxToken, TFunction<void(const FModioMarketUnconvertedResult&)> Done);
	/** Needs the project's Platform set to ps4 or ps5. Environment / ServiceLabel < 0: left out. */
	int64 GetUnconvertedPsn(const FString& AuthCode, int64 Environment, int64 ServiceLabel, TFunction<void(const FModioMarketUnconvertedResult&)> Done);
	/** SandboxId empty: none. */
	int64 GetUnconvertedEpic(const FString& EpicGamesToken, const FString& SandboxId, TFunction<void(const FModioMarketUnconvertedResult&)> Done);
	/** The signed-in player. */
	int64 GetUser(TFunction<void(const FModioMarketUserResult&)> Done);
	/** One file of a mod, with a fresh download link. */
	int64 GetModfile(int64 ModId, int64 ModfileId, TFunction<void(const FModioMarketModfileResult&)> Done);
	/** A studio tool acting as the player a delegation token was issued for (no terms answer is sent). */
	int64 SignInWithDelegationToken(const FString& DelegationToken, TFunction<void(const FModioMarketSessionResult&)> Done);
	/** Downloads (resuming), checks and installs ModId into the install directory; Progress runs on the game thread. */
	int64 InstallMod(int64 ModId, TFunction<void(const FModioMarketDownloadProgress&)> Progress, TFunction<void(const FModioMarketInstalledModResult&)> Done);
	int64 UninstallMod(int64 ModId, TFunction<void(const FModioMarketInstalledModResult&)> Done);

	/** The wrapped client, for calls this subsystem does not expose (nullptr before InitializeMarket). Game thread only. */
	modio_market::Client* GetClient() const { return Client.Get(); }

	/** True once Deinitialize started: callbacks stop reaching game code. */
	bool IsShuttingDown() const { return bShuttingDown; }

private:
	bool CreateClient(int64 GameId, const FString& ApiKey, EModioMarketEnvironment Environment, const FString& BaseUrlOverride,
		FModioMarketError& OutError);

	/**
	 * Submits one request: `Submit(Client, Callback)` calls the wrapper with a callback bridged to
	 * `Done`. A refused call reports its error through `Done` on the next Tick and returns 0.
	 */
	template <typename TCpp, typename TUnreal, typename TSubmit>
	int64 Start(TFunction<void(const TValueOrError<TUnreal, FModioMarketError>&)> Done, TSubmit&& Submit);

	TUniquePtr<modio_market::Client> Client;
	/** Failures of calls refused before they started, reported on the next Tick. */
	TArray<TFunction<void()>> DeferredFailures;
	bool bShuttingDown = false;
};
