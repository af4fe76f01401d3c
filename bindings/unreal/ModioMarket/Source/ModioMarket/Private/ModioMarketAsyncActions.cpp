#include "ModioMarketAsyncActions.h"

#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "ModioMarketConvert.h"
#include "ModioMarketSubsystem.h"

// ---------------------------------------------------------------------------------------------
// Base
// ---------------------------------------------------------------------------------------------

void UModioMarketAsyncAction::Bind(UObject* WorldContextObject)
{
	RegisterWithGameInstance(WorldContextObject);
	const UWorld* World = GEngine != nullptr
		? GEngine->GetWorldFromContextObject(WorldContextObject, EGetWorldErrorMode::LogAndReturnNull)
		: nullptr;
	UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
	Subsystem = GameInstance != nullptr ? GameInstance->GetSubsystem<UModioMarketSubsystem>() : nullptr;
}

UModioMarketSubsystem* UModioMarketAsyncAction::SubsystemOrFail(TFunctionRef<void(const FModioMarketError&)> Fail)
{
	UModioMarketSubsystem* Market = Subsystem.Get();
	if (Market == nullptr || Market->IsShuttingDown())
	{
		Fail(ModioMarketConvert::NotInitialized());
		return nullptr;
	}
	return Market;
}

void UModioMarketAsyncAction::Cancel()
{
	if (UModioMarketSubsystem* Market = Subsystem.Get())
	{
		Market->CancelRequest(RequestId);
	}
}

FModioMarketError UModioMarketAsyncAction::NoError()
{
	FModioMarketError Error;
	Error.Code = EModioMarketCode::Ok;
	Error.CodeName = TEXT("MODIO_MARKET_RESULT_OK");
	return Error;
}

// Every node's completion: a weak pointer to the node, so a node collected meanwhile is skipped.
#define MODIO_MARKET_FINISH_WITH(ResultType)                                                                         \
	[WeakThis = TWeakObjectPtr<ThisClass>(this)](const ResultType& Result)                                            \
	{                                                                                                                \
		if (ThisClass* Self = WeakThis.Get())                                                                        \
		{                                                                                                            \
			Self->Finish(Result);                                                                                    \
		}                                                                                                            \
	}

template <typename TValue, typename TPin>
static void BroadcastOnce(UBlueprintAsyncActionBase* Action, const TValueOrError<TValue, FModioMarketError>& Result, TPin& OnSuccess,
	TPin& OnFailure, const FModioMarketError& NoError)
{
	if (Result.HasValue())
	{
		OnSuccess.Broadcast(Result.GetValue(), NoError);
	}
	else
	{
		OnFailure.Broadcast(TValue(), Result.GetError());
	}
	Action->SetReadyToDestroy();
}

// ---------------------------------------------------------------------------------------------
// Sign in
// ---------------------------------------------------------------------------------------------

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithSteam(UObject* WorldContextObject, const FString& EncryptedAppTicket, bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [EncryptedAppTicket, bTermsAgreed](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithSteam(EncryptedAppTicket, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithXboxLive(UObject* WorldContextObject, const FString& XboxToken, bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [XboxToken, bTermsAgreed](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithXboxLive(XboxToken, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithPsn(UObject* WorldContextObject, const FString& AuthCode, int64 Environment, bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [AuthCode, Environment, bTermsAgreed](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithPsn(AuthCode, Environment, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithMeta(UObject* WorldContextObject, const FString& Device, const FString& Nonce,
	int64 MetaUserId, const FString& MetaAccessToken, bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [Device, Nonce, MetaUserId, MetaAccessToken, bTermsAgreed](UModioMarketSubsystem& Market,
						TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithMeta(Device, Nonce, MetaUserId, MetaAccessToken, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithApple(UObject* WorldContextObject, const FString& IdToken, bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [IdToken, bTermsAgreed](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithApple(IdToken, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithGoogle(UObject* WorldContextObject, const FString& AuthCode, const FString& IdToken,
	bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [AuthCode, IdToken, bTermsAgreed](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithGoogle(AuthCode, IdToken, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithEpic(UObject* WorldContextObject, const FString& IdToken, bool bTermsAgreed)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [IdToken, bTermsAgreed](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithEpic(IdToken, bTermsAgreed, MoveTemp(Done)); };
	return Node;
}

UModioMarketSignInAsync* UModioMarketSignInAsync::SignInWithDelegationToken(UObject* WorldContextObject, const FString& DelegationToken)
{
	UModioMarketSignInAsync* Node = NewObject<UModioMarketSignInAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [DelegationToken](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSessionResult&)> Done)
	{ return Market.SignInWithDelegationToken(DelegationToken, MoveTemp(Done)); };
	return Node;
}

void UModioMarketSignInAsync::Activate()
{
	UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); });
	if (Market != nullptr && Starter)
	{
		RequestId = Starter(*Market, MODIO_MARKET_FINISH_WITH(FModioMarketSessionResult));
		Starter = nullptr;  // drops the credentials it captured
	}
}

void UModioMarketSignInAsync::Finish(const FModioMarketSessionResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

// ---------------------------------------------------------------------------------------------
// Wallet
// ---------------------------------------------------------------------------------------------

UModioMarketGetWalletAsync* UModioMarketGetWalletAsync::GetWallet(UObject* WorldContextObject)
{
	UModioMarketGetWalletAsync* Node = NewObject<UModioMarketGetWalletAsync>();
	Node->Bind(WorldContextObject);
	return Node;
}

void UModioMarketGetWalletAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->GetWallet(MODIO_MARKET_FINISH_WITH(FModioMarketWalletResult));
	}
}

void UModioMarketGetWalletAsync::Finish(const FModioMarketWalletResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

// ---------------------------------------------------------------------------------------------
// Entitlement sync
// ---------------------------------------------------------------------------------------------

UModioMarketSyncEntitlementsAsync* UModioMarketSyncEntitlementsAsync::SyncSteam(UObject* WorldContextObject)
{
	UModioMarketSyncEntitlementsAsync* Node = NewObject<UModioMarketSyncEntitlementsAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSyncResult&)> Done)
	{ return Market.SyncSteam(MoveTemp(Done)); };
	return Node;
}

UModioMarketSyncEntitlementsAsync* UModioMarketSyncEntitlementsAsync::SyncXboxLive(UObject* WorldContextObject, const FString& XboxToken)
{
	UModioMarketSyncEntitlementsAsync* Node = NewObject<UModioMarketSyncEntitlementsAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [XboxToken](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSyncResult&)> Done)
	{ return Market.SyncXboxLive(XboxToken, MoveTemp(Done)); };
	return Node;
}

UModioMarketSyncEntitlementsAsync* UModioMarketSyncEntitlementsAsync::SyncPsn(UObject* WorldContextObject, const FString& AuthCode, int64 Environment,
	int64 ServiceLabel)
{
	UModioMarketSyncEntitlementsAsync* Node = NewObject<UModioMarketSyncEntitlementsAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [AuthCode, Environment, ServiceLabel](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSyncResult&)> Done)
	{ return Market.SyncPsn(AuthCode, Environment, ServiceLabel, MoveTemp(Done)); };
	return Node;
}

UModioMarketSyncEntitlementsAsync* UModioMarketSyncEntitlementsAsync::SyncMeta(UObject* WorldContextObject, const FString& Device, int64 MetaUserId)
{
	UModioMarketSyncEntitlementsAsync* Node = NewObject<UModioMarketSyncEntitlementsAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [Device, MetaUserId](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketSyncResult&)> Done)
	{ return Market.SyncMeta(Device, MetaUserId, MoveTemp(Done)); };
	return Node;
}

void UModioMarketSyncEntitlementsAsync::Activate()
{
	UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); });
	if (Market != nullptr && Starter)
	{
		RequestId = Starter(*Market, MODIO_MARKET_FINISH_WITH(FModioMarketSyncResult));
		Starter = nullptr;
	}
}

void UModioMarketSyncEntitlementsAsync::Finish(const FModioMarketSyncResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

// ---------------------------------------------------------------------------------------------
// Store: premium mods, checkout, purchases
// ---------------------------------------------------------------------------------------------

UModioMarketGetPremiumModsAsync* UModioMarketGetPremiumModsAsync::GetPremiumMods(UObject* WorldContextObject, int64 Offset, int32 Limit,
	const FString& Search)
{
	UModioMarketGetPremiumModsAsync* Node = NewObject<UModioMarketGetPremiumModsAsync>();
	Node->Bind(WorldContextObject);
	Node->PageOffset = Offset;
	Node->PageLimit = Limit;
	Node->SearchText = Search;
	return Node;
}

void UModioMarketGetPremiumModsAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->GetPremiumMods(PageOffset, PageLimit, SearchText, MODIO_MARKET_FINISH_WITH(FModioMarketModPageResult));
	}
}

void UModioMarketGetPremiumModsAsync::Finish(const FModioMarketModPageResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

UModioMarketCheckoutAsync* UModioMarketCheckoutAsync::BuyMod(UObject* WorldContextObject, int64 ModId, int64 DisplayAmount, const FString& IdempotencyKey)
{
	UModioMarketCheckoutAsync* Node = NewObject<UModioMarketCheckoutAsync>();
	Node->Bind(WorldContextObject);
	Node->ModToBuy = ModId;
	Node->PriceShown = DisplayAmount;
	Node->KeyToUse = IdempotencyKey;
	return Node;
}

void UModioMarketCheckoutAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->Checkout(ModToBuy, PriceShown, KeyToUse, MODIO_MARKET_FINISH_WITH(FModioMarketCheckoutResult));
	}
}

void UModioMarketCheckoutAsync::Finish(const FModioMarketCheckoutResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

UModioMarketRefreshPurchasesAsync* UModioMarketRefreshPurchasesAsync::RefreshPurchases(UObject* WorldContextObject)
{
	UModioMarketRefreshPurchasesAsync* Node = NewObject<UModioMarketRefreshPurchasesAsync>();
	Node->Bind(WorldContextObject);
	return Node;
}

void UModioMarketRefreshPurchasesAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->RefreshPurchases(MODIO_MARKET_FINISH_WITH(FModioMarketPurchasesResult));
	}
}

void UModioMarketRefreshPurchasesAsync::Finish(const FModioMarketPurchasesResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}


// ---------------------------------------------------------------------------------------------
// Terms, currency packs, unconverted purchases
// ---------------------------------------------------------------------------------------------

UModioMarketGetTermsAsync* UModioMarketGetTermsAsync::GetTerms(UObject* WorldContextObject)
{
	UModioMarketGetTermsAsync* Node = NewObject<UModioMarketGetTermsAsync>();
	Node->Bind(WorldContextObject);
	return Node;
}

void UModioMarketGetTermsAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->GetTerms(MODIO_MARKET_FINISH_WITH(FModioMarketTermsResult));
	}
}

void UModioMarketGetTermsAsync::Finish(const FModioMarketTermsResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

UModioMarketGetTokenPacksAsync* UModioMarketGetTokenPacksAsync::GetTokenPacks(UObject* WorldContextObject)
{
	UModioMarketGetTokenPacksAsync* Node = NewObject<UModioMarketGetTokenPacksAsync>();
	Node->Bind(WorldContextObject);
	return Node;
}

void UModioMarketGetTokenPacksAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->GetTokenPacks(MODIO_MARKET_FINISH_WITH(FModioMarketTokenPacksResult));
	}
}

void UModioMarketGetTokenPacksAsync::Finish(const FModioMarketTokenPacksResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

UModioMarketGetUnconvertedAsync* UModioMarketGetUnconvertedAsync::GetUnconvertedSteam(UObject* WorldContextObject)
{
	UModioMarketGetUnconvertedAsync* Node = NewObject<UModioMarketGetUnconvertedAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketUnconvertedResult&)> Done)
	{ return Market.GetUnconvertedSteam(MoveTemp(Done)); };
	return Node;
}

UModioMarketGetUnconvertedAsync* UModioMarketGetUnconvertedAsync::GetUnconvertedXboxLive(UObject* WorldContextObject, const FString& XboxToken)
{
	UModioMarketGetUnconvertedAsync* Node = NewObject<UModioMarketGetUnconvertedAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [XboxToken](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketUnconvertedResult&)> Done)
	{ return Market.GetUnconvertedXboxLive(XboxToken, MoveTemp(Done)); };
	return Node;
}

UModioMarketGetUnconvertedAsync* UModioMarketGetUnconvertedAsync::GetUnconvertedPsn(UObject* WorldContextObject, const FString& AuthCode,
	int64 Environment, int64 ServiceLabel)
{
	UModioMarketGetUnconvertedAsync* Node = NewObject<UModioMarketGetUnconvertedAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [AuthCode, Environment, ServiceLabel](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketUnconvertedResult&)> Done)
	{ return Market.GetUnconvertedPsn(AuthCode, Environment, ServiceLabel, MoveTemp(Done)); };
	return Node;
}

UModioMarketGetUnconvertedAsync* UModioMarketGetUnconvertedAsync::GetUnconvertedEpic(UObject* WorldContextObject, const FString& EpicGamesToken,
	const FString& SandboxId)
{
	UModioMarketGetUnconvertedAsync* Node = NewObject<UModioMarketGetUnconvertedAsync>();
	Node->Bind(WorldContextObject);
	Node->Starter = [EpicGamesToken, SandboxId](UModioMarketSubsystem& Market, TFunction<void(const FModioMarketUnconvertedResult&)> Done)
	{ return Market.GetUnconvertedEpic(EpicGamesToken, SandboxId, MoveTemp(Done)); };
	return Node;
}

void UModioMarketGetUnconvertedAsync::Activate()
{
	UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); });
	if (Market != nullptr && Starter)
	{
		RequestId = Starter(*Market, MODIO_MARKET_FINISH_WITH(FModioMarketUnconvertedResult));
		Starter = nullptr;  // drops the platform token it captured
	}
}

void UModioMarketGetUnconvertedAsync::Finish(const FModioMarketUnconvertedResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

UModioMarketGetUserAsync* UModioMarketGetUserAsync::GetUser(UObject* WorldContextObject)
{
	UModioMarketGetUserAsync* Node = NewObject<UModioMarketGetUserAsync>();
	Node->Bind(WorldContextObject);
	return Node;
}

void UModioMarketGetUserAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->GetUser(MODIO_MARKET_FINISH_WITH(FModioMarketUserResult));
	}
}

void UModioMarketGetUserAsync::Finish(const FModioMarketUserResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

UModioMarketGetModfileAsync* UModioMarketGetModfileAsync::GetModfile(UObject* WorldContextObject, int64 ModId, int64 ModfileId)
{
	UModioMarketGetModfileAsync* Node = NewObject<UModioMarketGetModfileAsync>();
	Node->Bind(WorldContextObject);
	Node->ModId = ModId;
	Node->ModfileId = ModfileId;
	return Node;
}

void UModioMarketGetModfileAsync::Activate()
{
	if (UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); }))
	{
		RequestId = Market->GetModfile(ModId, ModfileId, MODIO_MARKET_FINISH_WITH(FModioMarketModfileResult));
	}
}

void UModioMarketGetModfileAsync::Finish(const FModioMarketModfileResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

// ---------------------------------------------------------------------------------------------
// Install, uninstall
// ---------------------------------------------------------------------------------------------

UModioMarketInstallModAsync* UModioMarketInstallModAsync::InstallMod(UObject* WorldContextObject, int64 ModId)
{
	UModioMarketInstallModAsync* Node = NewObject<UModioMarketInstallModAsync>();
	Node->Bind(WorldContextObject);
	Node->ModId = ModId;
	return Node;
}

UModioMarketInstallModAsync* UModioMarketInstallModAsync::UninstallMod(UObject* WorldContextObject, int64 ModId)
{
	UModioMarketInstallModAsync* Node = InstallMod(WorldContextObject, ModId);
	Node->bUninstall = true;
	return Node;
}

void UModioMarketInstallModAsync::Activate()
{
	UModioMarketSubsystem* Market = SubsystemOrFail([this](const FModioMarketError& Error) { Finish(MakeError(Error)); });
	if (Market == nullptr)
	{
		return;
	}
	if (bUninstall)
	{
		RequestId = Market->UninstallMod(ModId, MODIO_MARKET_FINISH_WITH(FModioMarketInstalledModResult));
		return;
	}
	// A node collected mid-download stops hearing progress, like its completion.
	RequestId = Market->InstallMod(
		ModId,
		[WeakThis = TWeakObjectPtr<ThisClass>(this)](const FModioMarketDownloadProgress& Progress)
		{
			if (ThisClass* Self = WeakThis.Get())
			{
				Self->OnProgress.Broadcast(Progress);
			}
		},
		MODIO_MARKET_FINISH_WITH(FModioMarketInstalledModResult));
}

void UModioMarketInstallModAsync::Finish(const FModioMarketInstalledModResult& Result)
{
	BroadcastOnce(this, Result, OnSuccess, OnFailure, NoError());
}

#undef MODIO_MARKET_FINISH_WITH
