#include "ModioMarketSubsystem.h"

#include "ModioMarketConvert.h"
#include "ModioMarketModule.h"
#include "ModioMarketSettings.h"
#include "Misc/Paths.h"
#include "UObject/UObjectGlobals.h"

#include <string>
#include <utility>

// Named (not anonymous): Unreal unity builds compile this module's .cpp files as one unit.
namespace ModioMarketSubsystemPrivate
{
	/**
	 * Adapts a game callback to a wrapper callback. The wrapper's static trampoline runs it once,
	 * inside poll (our Tick), then deletes it; it reaches game code only while the subsystem lives
	 * and no garbage collection runs.
	 */
	template <typename TCpp, typename TUnreal>
	modio_market::Callback<TCpp> Bridge(TWeakObjectPtr<UModioMarketSubsystem> WeakThis,
		TFunction<void(const TValueOrError<TUnreal, FModioMarketError>&)> Done)
	{
		return [WeakThis, Done = MoveTemp(Done)](modio_market::Result<TCpp> Result)
		{
			const UModioMarketSubsystem* Self = WeakThis.Get();
			if (Self == nullptr || Self->IsShuttingDown() || IsGarbageCollecting() || !Done)
			{
				return;
			}
			if (Result.ok())
			{
				Done(MakeValue(ModioMarketConvert::Value(Result.value())));
			}
			else
			{
				Done(MakeError(ModioMarketConvert::Error(Result.error())));
			}
		};
	}

	modio_market::LogLevel ToCpp(EModioMarketLogLevel Level)
	{
		switch (Level)
		{
		case EModioMarketLogLevel::Error: return modio_market::LogLevel::Error;
		case EModioMarketLogLevel::Warning: return modio_market::LogLevel::Warn;
		case EModioMarketLogLevel::Info: return modio_market::LogLevel::Info;
		case EModioMarketLogLevel::Debug: return modio_market::LogLevel::Debug;
		default: return modio_market::LogLevel::Trace;
		}
	}

	/** Library log records (never a secret) to LogModioMarket. */
	void RouteLog(modio_market::LogLevel Level, std::string_view Text)
	{
		const FString Message = ModioMarketConvert::Str(std::string(Text));
		switch (Level)
		{
		case modio_market::LogLevel::Error: UE_LOG(LogModioMarket, Error, TEXT("%s"), *Message); break;
		case modio_market::LogLevel::Warn: UE_LOG(LogModioMarket, Warning, TEXT("%s"), *Message); break;
		case modio_market::LogLevel::Info: UE_LOG(LogModioMarket, Log, TEXT("%s"), *Message); break;
		case modio_market::LogLevel::Debug: UE_LOG(LogModioMarket, Verbose, TEXT("%s"), *Message); break;
		default: UE_LOG(LogModioMarket, VeryVerbose, TEXT("%s"), *Message); break;
		}
	}

	bool Fail(FModioMarketError& OutError, const modio_market::Error& Error)
	{
		OutError = ModioMarketConvert::Error(Error);
		return false;
	}
}

void UModioMarketSubsystem::Initialize(FSubsystemCollectionBase& Collection)
{
	Super::Initialize(Collection);
	bShuttingDown = false;
	const UModioMarketSettings* Settings = GetDefault<UModioMarketSettings>();
	if (Settings->bInitializeOnStartup && Settings->GameId > 0 && !Settings->ApiKey.IsEmpty())
	{
		FModioMarketError Error;
		if (!InitializeMarket(Error))
		{
			UE_LOG(LogModioMarket, Error, TEXT("The mod.io Marketplace client could not start: %s (%s)"), *Error.Message, *Error.CodeName);
		}
	}
}

void UModioMarketSubsystem::Deinitialize()
{
	// From here on callbacks do nothing: destroying the client runs every pending one with SHUT_DOWN.
	bShuttingDown = true;
	Client.Reset();
	DeferredFailures.Empty();
	Super::Deinitialize();
}

void UModioMarketSubsystem::Tick(float /*DeltaTime*/)
{
	if (DeferredFailures.Num() > 0)
	{
		TArray<TFunction<void()>> Failures = MoveTemp(DeferredFailures);
		DeferredFailures.Reset();
		for (TFunction<void()>& Failure : Failures)
		{
			Failure();
		}
	}
	if (Client.IsValid())
	{
		// Callbacks run inside poll; one of them may shut the market down (Client is then empty).
		modio_market::Result<std::size_t> Polled = Client->poll();
		if (!Polled.ok() && !Polled.has_error(modio_market::Code::Reentrant))
		{
			UE_LOG(LogModioMarket, Warning, TEXT("poll failed: %s"), *ModioMarketConvert::Str(Polled.error().to_string()));
		}
	}
}

TStatId UModioMarketSubsystem::GetStatId() const
{
	RETURN_QUICK_DECLARE_CYCLE_STAT(UModioMarketSubsystem, STATGROUP_Tickables);
}

ETickableTickType UModioMarketSubsystem::GetTickableTickType() const
{
	// The class default object must never tick.
	return IsTemplate() ? ETickableTickType::Never : ETickableTickType::Conditional;
}

bool UModioMarketSubsystem::IsTickable() const
{
	return !bShuttingDown && (Client.IsValid() || DeferredFailures.Num() > 0);
}

bool UModioMarketSubsystem::InitializeMarket(FModioMarketError& OutError)
{
	const UModioMarketSettings* Settings = GetDefault<UModioMarketSettings>();
	return CreateClient(Settings->GameId, Settings->ApiKey, Settings->Environment, Settings->BaseUrlOverride, OutError);
}

bool UModioMarketSubsystem::InitializeMarketWith(int64 GameId, const FString& ApiKey, EModioMarketEnvironment Environment,
	const FString& BaseUrlOverride, FModioMarketError& OutError)
{
	return CreateClient(GameId, ApiKey, Environment, BaseUrlOverride, OutError);
}

bool UModioMarketSubsystem::CreateClient(int64 GameId, const FString& ApiKey, EModioMarketEnvironment Environment,
	const FString& BaseUrlOverride, FModioMarketError& OutError)
{
	const UModioMarketSettings* Settings = GetDefault<UModioMarketSettings>();
	if (!FModioMarketModule::IsLibraryAvailable())
	{
		OutError = ModioMarketConvert::NotInitialized();
		OutError.Message = TEXT("the modio_market library is not loaded (see the log)");
		return false;
	}
	if (GameId <= 0)
	{
		return ModioMarketSubsystemPrivate::Fail(OutError, modio_market::Error::make(modio_market::Code::InvalidArgument, "GameId must be a positive mod.io game id"));
	}
	modio_market::Result<modio_market::Config> Config =
		modio_market::Config::create(static_cast<std::uint64_t>(GameId), ModioMarketConvert::Utf8(ApiKey));
	if (!Config.ok())
	{
		return ModioMarketSubsystemPrivate::Fail(OutError, Config.error());
	}
	modio_market::Config& C = Config.value();
	const modio_market::Result<void> Steps[] = {
		C.set_environment(Environment == EModioMarketEnvironment::Test ? modio_market::Environment::Test : modio_market::Environment::Live),
		BaseUrlOverride.IsEmpty() ? modio_market::Result<void>() : C.set_base_url(ModioMarketConvert::Utf8(BaseUrlOverride)),
		C.set_portal(ModioMarketConvert::Utf8(Settings->Portal)),
		C.set_platform(ModioMarketConvert::Utf8(Settings->Platform)),
		C.set_worker_threads(static_cast<std::uint32_t>(FMath::Clamp(Settings->WorkerThreads, 1, 64))),
		C.set_retry_policy(static_cast<std::uint32_t>(FMath::Clamp(Settings->MaxAttempts, 1, 20)), std::chrono::milliseconds(200),
			std::chrono::milliseconds(5000), std::chrono::milliseconds(20000)),
		Settings->bUseDataDirectory ? C.set_data_dir(ModioMarketConvert::Utf8(Settings->DataDirectory.IsEmpty()
				? FPaths::Combine(FPaths::ProjectSavedDir(), TEXT("ModioMarket"))
				: Settings->DataDirectory))
									: modio_market::Result<void>(),
		C.set_install_dir(ModioMarketConvert::Utf8(Settings->InstallDirectory.IsEmpty()
				? FPaths::Combine(FPaths::Combine(FPaths::ProjectSavedDir(), TEXT("ModioMarket")), TEXT("Mods"))
				: Settings->InstallDirectory)),
		C.set_language(ModioMarketConvert::Utf8(Settings->Language)),
	};
	for (const modio_market::Result<void>& Step : Steps)
	{
		if (!Step.ok())
		{
			return ModioMarketSubsystemPrivate::Fail(OutError, Step.error());
		}
	}
	modio_market::Result<modio_market::Client> Created = modio_market::Client::create(C);
	if (!Created.ok())
	{
		return ModioMarketSubsystemPrivate::Fail(OutError, Created.error());
	}
	// Replacing a client drops its pending requests without calling game code.
	const bool bWasShuttingDown = bShuttingDown;
	bShuttingDown = true;
	Client.Reset();
	bShuttingDown = bWasShuttingDown;
	Client = MakeUnique<modio_market::Client>(MoveTemp(Created).value());

	// Journaled checkouts that ended while nobody listened (a crash, a lost connection).
	const modio_market::Result<void> Recovery = Client->set_recovery_callback(
		[WeakThis = TWeakObjectPtr<UModioMarketSubsystem>(this)](const modio_market::RecoveryReport& Report)
		{
			UModioMarketSubsystem* Self = WeakThis.Get();
			if (Self == nullptr || Self->IsShuttingDown() || IsGarbageCollecting())
			{
				return;
			}
			Self->OnCheckoutRecovered.Broadcast(ModioMarketConvert::Value(Report));
		});
	if (!Recovery.ok())
	{
		UE_LOG(LogModioMarket, Warning, TEXT("Checkout recovery reports are off: %s"), *ModioMarketConvert::Str(Recovery.error().to_string()));
	}

	if (Settings->LogLevel != EModioMarketLogLevel::Off)
	{
		const modio_market::Result<void> Logging =
			Client->set_log_callback(ModioMarketSubsystemPrivate::ToCpp(Settings->LogLevel), &ModioMarketSubsystemPrivate::RouteLog);
		if (!Logging.ok())
		{
			UE_LOG(LogModioMarket, Warning, TEXT("Library logging is off: %s"), *ModioMarketConvert::Str(Logging.error().to_string()));
		}
	}
	UE_LOG(LogModioMarket, Log, TEXT("mod.io Marketplace client ready (modio_market %s, game %lld)"), *GetLibraryVersion(), GameId);
	return true;
}

void UModioMarketSubsystem::ResumeCheckouts()
{
	if (Client.IsValid())
	{
		(void)Client->resume_checkouts();
	}
}

void UModioMarketSubsystem::ShutdownMarket()
{
	const bool bWasShuttingDown = bShuttingDown;
	bShuttingDown = true;
	Client.Reset();
	bShuttingDown = bWasShuttingDown;
}

bool UModioMarketSubsystem::SetAccessToken(const FString& AccessToken, FModioMarketError& OutError)
{
	if (!Client.IsValid())
	{
		OutError = ModioMarketConvert::NotInitialized();
		return false;
	}
	const modio_market::Result<void> Set = Client->set_access_token(ModioMarketConvert::Utf8(AccessToken));
	return Set.ok() || ModioMarketSubsystemPrivate::Fail(OutError, Set.error());
}

void UModioMarketSubsystem::SignOut()
{
	if (Client.IsValid())
	{
		(void)Client->clear_access_token();
	}
}

bool UModioMarketSubsystem::IsModOwned(int64 ModId) const
{
	return Client.IsValid() && ModId > 0 && Client->owns(static_cast<std::uint64_t>(ModId)).value_or(false);
}

int64 UModioMarketSubsystem::GetPurchasesAgeMs() const
{
	if (!Client.IsValid())
	{
		return -1;
	}
	const modio_market::Result<std::optional<std::chrono::milliseconds>> Age = Client->purchases_age();
	return Age.ok() && Age.value().has_value() ? static_cast<int64>(Age.value()->count()) : -1;
}

bool UModioMarketSubsystem::CancelRequest(int64 RequestId)
{
	return Client.IsValid() && RequestId > 0 && Client->cancel(static_cast<modio_market::RequestId>(RequestId)).ok();
}

int32 UModioMarketSubsystem::GetPendingRequestCount() const
{
	return Client.IsValid() ? static_cast<int32>(Client->pending_requests().value_or(0)) : 0;
}

FString UModioMarketSubsystem::GetLibraryVersion()
{
	return ModioMarketConvert::Str(std::string(modio_market::version()));
}

template <typename TCpp, typename TUnreal, typename TSubmit>
int64 UModioMarketSubsystem::Start(TFunction<void(const TValueOrError<TUnreal, FModioMarketError>&)> Done, TSubmit&& Submit)
{
	FModioMarketError Refusal;
	if (!Client.IsValid())
	{
		Refusal = ModioMarketConvert::NotInitialized();
	}
	else
	{
		const modio_market::Result<modio_market::RequestId> Id =
			Submit(*Client, ModioMarketSubsystemPrivate::Bridge<TCpp, TUnreal>(TWeakObjectPtr<UModioMarketSubsystem>(this), Done));
		if (Id.ok())
		{
			return static_cast<int64>(Id.value());
		}
		// Refused before it started: the wrapper already destroyed the bridged callback.
		Refusal = ModioMarketConvert::Error(Id.error());
	}
	// Reported on the next Tick, like every other outcome.
	DeferredFailures.Add([Done = MoveTemp(Done), Refusal = MoveTemp(Refusal)]()
	{
		if (Done)
		{
			Done(MakeError(Refusal));
		}
	});
	return 0;
}

int64 UModioMarketSubsystem::SignInWithSteam(const FString& EncryptedAppTicket, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Ticket = ModioMarketConvert::Utf8(EncryptedAppTicket);
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb)
		{ return C.auth_steam(Ticket, bTermsAgreed, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithXboxLive(const FString& XboxToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(XboxToken);
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb)
		{ return C.auth_xbox_live(Token, bTermsAgreed, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithPsn(const FString& AuthCode, int64 Environment, bool bTermsAgreed,
	TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Code = ModioMarketConvert::Utf8(AuthCode);
	const std::optional<std::int64_t> Env = Environment >= 0 ? std::optional<std::int64_t>(Environment) : std::nullopt;
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb)
		{ return C.auth_psn(Code, Env, bTermsAgreed, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithMeta(const FString& Device, const FString& Nonce, int64 MetaUserId, const FString& MetaAccessToken,
	bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string DeviceUtf8 = ModioMarketConvert::Utf8(Device);
	const std::string NonceUtf8 = ModioMarketConvert::Utf8(Nonce);
	const std::string TokenUtf8 = ModioMarketConvert::Utf8(MetaAccessToken);
	const std::uint64_t UserId = MetaUserId > 0 ? static_cast<std::uint64_t>(MetaUserId) : 0;
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb)
		{ return C.auth_meta(DeviceUtf8, NonceUtf8, UserId, TokenUtf8, bTermsAgreed, std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetWallet(TFunction<void(const FModioMarketWalletResult&)> Done)
{
	return Start<modio_market::Wallet, FModioMarketWallet>(MoveTemp(Done), [](modio_market::Client& C, modio_market::Callback<modio_market::Wallet> Cb)
		{ return C.get_wallet(std::move(Cb)); });
}

int64 UModioMarketSubsystem::SyncSteam(TFunction<void(const FModioMarketSyncResult&)> Done)
{
	return Start<modio_market::EntitlementSync, FModioMarketEntitlementSync>(MoveTemp(Done),
		[](modio_market::Client& C, modio_market::Callback<modio_market::EntitlementSync> Cb) { return C.sync_steam(std::move(Cb)); });
}

int64 UModioMarketSubsystem::SyncXboxLive(const FString& XboxToken, TFunction<void(const FModioMarketSyncResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(XboxToken);
	return Start<modio_market::EntitlementSync, FModioMarketEntitlementSync>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::EntitlementSync> Cb) { return C.sync_xbox_live(Token, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SyncPsn(const FString& AuthCode, int64 Environment, int64 ServiceLabel, TFunction<void(const FModioMarketSyncResult&)> Done)
{
	const std::string Code = ModioMarketConvert::Utf8(AuthCode);
	const std::optional<std::int64_t> Env = Environment >= 0 ? std::optional<std::int64_t>(Environment) : std::nullopt;
	const std::optional<std::int64_t> Label = ServiceLabel >= 0 ? std::optional<std::int64_t>(ServiceLabel) : std::nullopt;
	return Start<modio_market::EntitlementSync, FModioMarketEntitlementSync>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::EntitlementSync> Cb) { return C.sync_psn(Code, Env, Label, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SyncMeta(const FString& Device, int64 MetaUserId, TFunction<void(const FModioMarketSyncResult&)> Done)
{
	const std::string DeviceUtf8 = ModioMarketConvert::Utf8(Device);
	const std::uint64_t UserId = MetaUserId > 0 ? static_cast<std::uint64_t>(MetaUserId) : 0;
	return Start<modio_market::EntitlementSync, FModioMarketEntitlementSync>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::EntitlementSync> Cb) { return C.sync_meta(DeviceUtf8, UserId, std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetGame(TFunction<void(const FModioMarketGameResult&)> Done)
{
	return Start<modio_market::Game, FModioMarketGame>(MoveTemp(Done), [](modio_market::Client& C, modio_market::Callback<modio_market::Game> Cb)
		{ return C.get_game(std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetPremiumMods(int64 Offset, int32 Limit, const FString& Search, TFunction<void(const FModioMarketModPageResult&)> Done)
{
	const std::string Query = ModioMarketConvert::Utf8(Search);
	const std::uint64_t From = Offset > 0 ? static_cast<std::uint64_t>(Offset) : 0;
	const std::uint32_t Count = static_cast<std::uint32_t>(FMath::Max(Limit, 0));
	return Start<modio_market::ModPage, FModioMarketModPage>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::ModPage> Cb)
		{ return C.get_mods(modio_market::RevenueType::Paid, From, Count, Query, std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetMod(int64 ModId, TFunction<void(const FModioMarketModResult&)> Done)
{
	const std::uint64_t Id = ModId > 0 ? static_cast<std::uint64_t>(ModId) : 0;
	return Start<modio_market::Mod, FModioMarketMod>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::Mod> Cb)
		{ return C.get_mod(Id, std::move(Cb)); });
}

int64 UModioMarketSubsystem::Checkout(int64 ModId, int64 DisplayAmount, const FString& IdempotencyKey,
	TFunction<void(const FModioMarketCheckoutResult&)> Done)
{
	const std::uint64_t Id = ModId > 0 ? static_cast<std::uint64_t>(ModId) : 0;
	const std::string Key = ModioMarketConvert::Utf8(IdempotencyKey);
	return Start<modio_market::Checkout, FModioMarketCheckout>(MoveTemp(Done), [&](modio_market::Client& C, modio_market::Callback<modio_market::Checkout> Cb)
		{ return C.checkout(Id, DisplayAmount, Key, std::move(Cb)); });
}

int64 UModioMarketSubsystem::RefreshPurchases(TFunction<void(const FModioMarketPurchasesResult&)> Done)
{
	return Start<modio_market::Purchases, FModioMarketPurchases>(MoveTemp(Done), [](modio_market::Client& C, modio_market::Callback<modio_market::Purchases> Cb)
		{ return C.refresh_purchases(std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetTerms(TFunction<void(const FModioMarketTermsResult&)> Done)
{
	return Start<modio_market::Terms, FModioMarketTerms>(MoveTemp(Done), [](modio_market::Client& C, modio_market::Callback<modio_market::Terms> Cb)
		{ return C.get_terms(std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetTokenPacks(TFunction<void(const FModioMarketTokenPacksResult&)> Done)
{
	return Start<modio_market::TokenPacks, FModioMarketTokenPacks>(MoveTemp(Done),
		[](modio_market::Client& C, modio_market::Callback<modio_market::TokenPacks> Cb) { return C.get_token_packs(std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetUnconvertedSteam(TFunction<void(const FModioMarketUnconvertedResult&)> Done)
{
	return Start<modio_market::UnconvertedEntitlements, FModioMarketUnconvertedEntitlements>(MoveTemp(Done),
		[](modio_market::Client& C, modio_market::Callback<modio_market::UnconvertedEntitlements> Cb)
		{ return C.unconverted_entitlements_steam(std::move(Cb)); });
}

int64 UModioMarketSubsystem::InstallMod(int64 ModId, TFunction<void(const FModioMarketDownloadProgress&)> Progress,
	TFunction<void(const FModioMarketInstalledModResult&)> Done)
{
	const std::uint64_t Id = ModId > 0 ? static_cast<std::uint64_t>(ModId) : 0;
	// Progress reaches game code under the same rule as completions: only while this subsystem lives.
	modio_market::ProgressCallback OnProgress = [WeakThis = TWeakObjectPtr<UModioMarketSubsystem>(this), Progress = MoveTemp(Progress)](
		modio_market::RequestId, modio_market::DownloadProgress P)
	{
		const UModioMarketSubsystem* Self = WeakThis.Get();
		if (Self != nullptr && !Self->IsShuttingDown() && !IsGarbageCollecting() && Progress)
		{
			Progress(ModioMarketConvert::Value(P));
		}
	};
	return Start<modio_market::InstalledMod, FModioMarketInstalledMod>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::InstalledMod> Cb)
		{ return C.install_mod(Id, std::move(OnProgress), std::move(Cb)); });
}

int64 UModioMarketSubsystem::UninstallMod(int64 ModId, TFunction<void(const FModioMarketInstalledModResult&)> Done)
{
	const std::uint64_t Id = ModId > 0 ? static_cast<std::uint64_t>(ModId) : 0;
	return Start<modio_market::InstalledMod, FModioMarketInstalledMod>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::InstalledMod> Cb) { return C.uninstall_mod(Id, std::move(Cb)); });
}

bool UModioMarketSubsystem::GetInstalledMods(TArray<FModioMarketInstalledMod>& OutMods, FModioMarketError& OutError) const
{
	OutMods.Reset();
	if (!Client.IsValid())
	{
		OutError = ModioMarketConvert::NotInitialized();
		return false;
	}
	modio_market::Result<std::vector<modio_market::InstalledMod>> Installed = Client->installed_mods();
	if (!Installed.ok())
	{
		OutError = ModioMarketConvert::Error(Installed.error());
		return false;
	}
	for (const modio_market::InstalledMod& Mod : Installed.value())
	{
		OutMods.Add(ModioMarketConvert::Value(Mod));
	}
	return true;
}

int64 UModioMarketSubsystem::GetUnconvertedXboxLive(const FString& XboxToken, TFunction<void(const FModioMarketUnconvertedResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(XboxToken);
	return Start<modio_market::UnconvertedEntitlements, FModioMarketUnconvertedEntitlements>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::UnconvertedEntitlements> Cb)
		{ return C.unconverted_entitlements_xbox_live(Token, std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetUnconvertedPsn(const FString& AuthCode, int64 Environment, int64 ServiceLabel,
	TFunction<void(const FModioMarketUnconvertedResult&)> Done)
{
	const std::string Code = ModioMarketConvert::Utf8(AuthCode);
	const std::optional<std::int64_t> Env = Environment >= 0 ? std::optional<std::int64_t>(Environment) : std::nullopt;
	const std::optional<std::int64_t> Label = ServiceLabel >= 0 ? std::optional<std::int64_t>(ServiceLabel) : std::nullopt;
	return Start<modio_market::UnconvertedEntitlements, FModioMarketUnconvertedEntitlements>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::UnconvertedEntitlements> Cb)
		{ return C.unconverted_entitlements_psn(Code, Env, Label, std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetUnconvertedEpic(const FString& EpicGamesToken, const FString& SandboxId,
	TFunction<void(const FModioMarketUnconvertedResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(EpicGamesToken);
	const std::string Sandbox = ModioMarketConvert::Utf8(SandboxId);
	return Start<modio_market::UnconvertedEntitlements, FModioMarketUnconvertedEntitlements>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::UnconvertedEntitlements> Cb)
		{ return C.unconverted_entitlements_epic(Token, Sandbox, std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetUser(TFunction<void(const FModioMarketUserResult&)> Done)
{
	return Start<modio_market::User, FModioMarketUser>(MoveTemp(Done), [](modio_market::Client& C, modio_market::Callback<modio_market::User> Cb)
		{ return C.get_user(std::move(Cb)); });
}

int64 UModioMarketSubsystem::GetModfile(int64 ModId, int64 ModfileId, TFunction<void(const FModioMarketModfileResult&)> Done)
{
	const std::uint64_t Mod = ModId > 0 ? static_cast<std::uint64_t>(ModId) : 0;
	const std::uint64_t File = ModfileId > 0 ? static_cast<std::uint64_t>(ModfileId) : 0;
	return Start<modio_market::Modfile, FModioMarketModfile>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::Modfile> Cb) { return C.get_modfile(Mod, File, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithDelegationToken(const FString& DelegationToken, TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(DelegationToken);
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb) { return C.auth_udt(Token, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithApple(const FString& IdToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(IdToken);
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb) { return C.auth_apple(Token, bTermsAgreed, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithGoogle(const FString& AuthCode, const FString& IdToken, bool bTermsAgreed,
	TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Code = ModioMarketConvert::Utf8(AuthCode);
	const std::string Token = ModioMarketConvert::Utf8(IdToken);
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb)
		{ return C.auth_google(Code, Token, bTermsAgreed, std::move(Cb)); });
}

int64 UModioMarketSubsystem::SignInWithEpic(const FString& IdToken, bool bTermsAgreed, TFunction<void(const FModioMarketSessionResult&)> Done)
{
	const std::string Token = ModioMarketConvert::Utf8(IdToken);
	return Start<modio_market::AccessToken, FModioMarketSession>(MoveTemp(Done),
		[&](modio_market::Client& C, modio_market::Callback<modio_market::AccessToken> Cb) { return C.auth_epic(Token, bTermsAgreed, std::move(Cb)); });
}
