// Runs the ModioMarket plugin's C++ (subsystem, async Blueprint nodes, conversions, module) on the
// mock engine in mock_engine/, against the fake mod.io server. Each "frame" ticks every tickable
// object, as the engine does; nodes fire from the subsystem's Tick.
#include "Engine/Engine.h"
#include "ModioMarketAsyncActions.h"
#include "ModioMarketBlueprintLibrary.h"
#include "ModioMarketModule.h"
#include "ModioMarketSettings.h"
#include "ModioMarketSubsystem.h"
#include "Misc/Paths.h"
#include "Tickable.h"
#include "fake_control.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <set>
#include <thread>

#include <unistd.h>

// ---------------------------------------------------------------------------------------------
// The mock engine's runtime pieces
// ---------------------------------------------------------------------------------------------

std::vector<FMockLogLine>& MockLogLines()
{
	static std::vector<FMockLogLine> Lines;
	return Lines;
}

void MockLog(const char* Category, const char* Verbosity, const char* Format, ...)
{
	char Buffer[4096];
	va_list Args;
	va_start(Args, Format);
	vsnprintf(Buffer, sizeof Buffer, Format, Args);
	va_end(Args);
	MockLogLines().push_back({Category, Verbosity, Buffer});
}

static std::map<const UObject*, uint64>& AliveObjects()
{
	static std::map<const UObject*, uint64> Alive;
	return Alive;
}
UObject::UObject()
{
	static uint64 NextSerial = 1;
	MockSerial = NextSerial++;
	AliveObjects()[this] = MockSerial;
}
UObject::~UObject() { AliveObjects().erase(this); }
bool MockIsAlive(const UObject* Object, uint64 Serial)
{
	auto Found = AliveObjects().find(Object);
	return Found != AliveObjects().end() && Found->second == Serial;
}
bool& MockGarbageCollecting()
{
	static bool bCollecting = false;
	return bCollecting;
}
static std::set<UObject*>& NewObjects()
{
	static std::set<UObject*> Objects;
	return Objects;
}
void MockTrackNewObject(UObject* Object) { NewObjects().insert(Object); }
void MockDestroy(UObject* Object)
{
	if (NewObjects().erase(Object) != 0) delete Object;
}
void MockCollectAll()
{
	while (!NewObjects().empty()) MockDestroy(*NewObjects().begin());
}
UEngine* GEngine = nullptr;
IModuleInterface* MockCreateModule_ModioMarket();

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

static int GChecks = 0;
static int GFailures = 0;

static bool Check(bool bOk, const std::string& What)
{
	++GChecks;
	if (!bOk) ++GFailures;
	std::printf("%s %s\n", bOk ? "ok  " : "FAIL", What.c_str());
	std::fflush(stdout);
	return bOk;
}

static std::string Env(const char* Name, const char* Fallback)
{
	const char* Value = std::getenv(Name);
	return Value != nullptr && *Value != '\0' ? std::string(Value) : std::string(Fallback);
}

/** Runs frames until `Done` or about 15 seconds. */
static bool Frames(const std::function<bool()>& Done)
{
	for (int Frame = 0; Frame < 3000; ++Frame)
	{
		MockTickAll();
		if (Done()) return true;
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	return false;
}

/** What a node reported. */
template <class T>
struct FOutcome
{
	int Fired = 0;
	bool bSuccess = false;
	T Value{};
	FModioMarketError Error;
};

template <class TNode, class T>
static std::shared_ptr<FOutcome<T>> Watch(TNode* Node)
{
	auto Outcome = std::make_shared<FOutcome<T>>();
	Node->OnSuccess.AddLambda([Outcome](const T& Value, const FModioMarketError& Error) {
		++Outcome->Fired;
		Outcome->bSuccess = true;
		Outcome->Value = Value;
		Outcome->Error = Error;
	});
	Node->OnFailure.AddLambda([Outcome](const T& Value, const FModioMarketError& Error) {
		++Outcome->Fired;
		Outcome->bSuccess = false;
		Outcome->Value = Value;
		Outcome->Error = Error;
	});
	return Outcome;
}

/** Activates a node and runs frames until it fired; checks it fired once and is ready to be destroyed. */
template <class T, class TNode>
static std::shared_ptr<FOutcome<T>> Run(TNode* Node, const std::string& What)
{
	auto Outcome = Watch<TNode, T>(Node);
	Node->Activate();
	Frames([&] { return Outcome->Fired > 0; });
	Check(Outcome->Fired == 1 && Node->bReadyToDestroy && Node->bRegistered,
		What + ": the node fired once and released itself (fired " + std::to_string(Outcome->Fired) + ")");
	return Outcome;
}

static std::string Describe(const FModioMarketError& Error)
{
	return UModioMarketBlueprintLibrary::DescribeModioMarketError(Error).Std();
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

int main()
{
	std::printf("ModioMarket Unreal plugin on the mock engine, against %s\n", Env("MODIO_MARKET_BASE_URL", "(unset)").c_str());
	std::unique_ptr<IModuleInterface> Module(MockCreateModule_ModioMarket());
	Module->StartupModule();
	Check(FModioMarketModule::IsLibraryAvailable(), "the module reports the (statically linked) library available");

	UModioMarketSettings* Settings = GetMutableDefault<UModioMarketSettings>();
	Settings->GameId = std::stoll(Env("MODIO_MARKET_GAME_ID", "1"));
	Settings->ApiKey = FString(Env("MODIO_MARKET_API_KEY", "0123456789abcdef0123456789abcdef").c_str());
	Settings->BaseUrlOverride = FString(Env("MODIO_MARKET_BASE_URL", "http://127.0.0.1:8080/v1").c_str());
	Settings->Portal = TEXT("steam");
	Settings->LogLevel = EModioMarketLogLevel::Debug;
	Settings->MaxAttempts = 1;  // a 503 reaches the game at once (the recovery test needs that)
	// The data directory defaults to <Saved>/ModioMarket: point Saved at a scratch folder.
	const std::string Saved = std::string("/tmp/modio-market-ue-test-") + std::to_string(::getpid());
	::setenv("MOCK_SAVED_DIR", Saved.c_str(), 1);

	UEngine Engine;
	UWorld World;
	UGameInstance GameInstance;
	World.GameInstance = &GameInstance;
	Engine.World = &World;
	GEngine = &Engine;
	UObject* Context = &World;

	UModioMarketSubsystem* Market = NewObject<UModioMarketSubsystem>();
	GameInstance.Subsystems[std::type_index(typeid(UModioMarketSubsystem))] = Market;
	FSubsystemCollectionBase Collection;
	Market->Initialize(Collection);
	Check(Market->IsMarketReady(), "Initialize creates the client from the project settings");
	Check(GetDefault<UModioMarketSubsystem>()->GetTickableTickType() == ETickableTickType::Never, "the class default object never ticks");
	Check(!UModioMarketSubsystem::GetLibraryVersion().IsEmpty(), std::string("library version ") + *UModioMarketSubsystem::GetLibraryVersion());

	std::printf("\n== sign in\n");
	{
		auto Bad = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithSteam(Context, TEXT("not-a-ticket"), true), "Sign In With Steam (bogus)");
		Check(!Bad->bSuccess && Bad->Error.Code == EModioMarketCode::Http && Bad->Error.HttpStatus == 401 && Bad->Error.ErrorRef == 11018 &&
				  Bad->Error.ErrorRefName == FString("STEAM_APP_TICKET_INVALID") && Bad->Value.ExpiresAt == 0,
			"a bogus ticket fires On Failure with HTTP 401 / 11018 (" + Describe(Bad->Error) + ")");
		Check(Describe(Bad->Error).find("STEAM_APP_TICKET_INVALID") != std::string::npos, "Describe names the error ref");

		auto* Node = UModioMarketSignInAsync::SignInWithSteam(Context, FString(Env("MODIO_MARKET_STEAM_TICKET", "demo-steam-ticket-alice").c_str()), true);
		auto Good = Run<FModioMarketSession>(Node, "Sign In With Steam");
		Check(Good->bSuccess && Good->Value.ExpiresAt > static_cast<int64>(std::time(nullptr)) && Good->Error.Code == EModioMarketCode::Ok,
			"alice signs in; the session expires later and the error pin says Ok");
		Check(Node->RequestId > 0, "the node exposes its request id");
		// The other platforms of the reference (the fake links alice on each).
		auto Apple = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithApple(Context, TEXT("apple-alice"), true), "Sign In With Apple");
		Check(Apple->bSuccess, "Sign In With Apple (" + Describe(Apple->Error) + ")");
		auto Google = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithGoogle(Context, TEXT(""), TEXT("google-alice"), true), "Sign In With Google");
		Check(Google->bSuccess, "Sign In With Google (" + Describe(Google->Error) + ")");
		auto NoGoogle = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithGoogle(Context, TEXT(""), TEXT(""), true), "Sign In With Google (nothing)");
		Check(!NoGoogle->bSuccess && NoGoogle->Error.Code == EModioMarketCode::InvalidArgument, "Google with neither code nor token: InvalidArgument");
		auto Epic = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithEpic(Context, TEXT("epic-alice"), true), "Sign In With Epic Games");
		Check(Epic->bSuccess, "Sign In With Epic Games (" + Describe(Epic->Error) + ")");
		// Back to the Steam session the rest of the test uses.
		auto Again = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithSteam(Context, FString(Env("MODIO_MARKET_STEAM_TICKET", "demo-steam-ticket-alice").c_str()), true),
			"Sign In With Steam again");
		Check(Again->bSuccess, "signed in with Steam again");
	}

	std::printf("\n== wallet, sync, store\n");
	{
		auto Wallet = Run<FModioMarketWallet>(UModioMarketGetWalletAsync::GetWallet(Context), "Get Wallet");
		Check(Wallet->bSuccess && Wallet->Value.Balance == 0 && Wallet->Value.GameId == 1, "alice's wallet holds 0 on game 1");

		auto Sync = Run<FModioMarketEntitlementSync>(UModioMarketSyncEntitlementsAsync::SyncSteam(Context), "Sync Steam Entitlements");
		bool bLines = Sync->Value.Entitlements.Num() == 2;
		for (const FModioMarketEntitlement& Line : Sync->Value.Entitlements)
		{
			bLines = bLines && Line.SkuId == FString("GOLD_1000") && Line.State == 2 && Line.bConsumed;
		}
		Check(Sync->bSuccess && Sync->Value.Balance == 2000 && bLines, "two GOLD_1000 become 2000");

		auto Xbox = Run<FModioMarketEntitlementSync>(UModioMarketSyncEntitlementsAsync::SyncXboxLive(Context, TEXT("XBL3.0 x=alice;ey+/=&%?")),
			"Sync Xbox Live Entitlements");
		Check(Xbox->bSuccess && Xbox->Value.Balance == 2000, "the Xbox sync works and converts nothing more");
		auto Psn = Run<FModioMarketEntitlementSync>(UModioMarketSyncEntitlementsAsync::SyncPsn(Context, TEXT("psn-alice"), -1, -1), "Sync PSN Entitlements");
		Check(Psn->bSuccess, "the PSN sync works (" + Describe(Psn->Error) + ")");
		auto Meta = Run<FModioMarketEntitlementSync>(UModioMarketSyncEntitlementsAsync::SyncMeta(Context, TEXT("quest"), 1001), "Sync Meta Entitlements");
		Check(Meta->bSuccess, "the Meta sync works (" + Describe(Meta->Error) + ")");

		auto Page = Run<FModioMarketModPage>(UModioMarketGetPremiumModsAsync::GetPremiumMods(Context, 0, 100, TEXT("")), "Get Premium Mods");
		std::set<int64> Ids;
		for (const FModioMarketMod& Mod : Page->Value.Mods)
		{
			Ids.insert(Mod.Id);
		}
		Check(Page->bSuccess && Ids == std::set<int64>({1001, 1002, 1003, 1004, 1005}) && Page->Value.ResultTotal == 5, "the premium store lists 1001-1005");

		auto Bought = Run<FModioMarketCheckout>(UModioMarketCheckoutAsync::BuyMod(Context, 1004, 1500, TEXT("")), "Buy Mod 1004");
		Check(Bought->bSuccess && Bought->Value.Balance == 500 && Bought->Value.PurchasedMod.Name == FString("Sunny Skies") &&
				  Bought->Value.IdempotencyKey.Len() == 36 && Bought->Value.Transaction.StateName == FString("paid"),
			"Sunny Skies bought for 1500, 500 left (" + Describe(Bought->Error) + ")");
		Check(Market->IsModOwned(1004) && !Market->IsModOwned(1001), "Is Mod Owned: 1004 yes, 1001 no");
		Check(Market->GetPurchasesAgeMs() == -1, "no purchase list confirmed yet (a purchase alone does not confirm it)");

		auto Again = Run<FModioMarketCheckout>(UModioMarketCheckoutAsync::BuyMod(Context, 1004, 1500, TEXT("")), "Buy Mod 1004 again");
		Check(!Again->bSuccess && UModioMarketBlueprintLibrary::IsAlreadyOwned(Again->Error), "buying it again: Is Already Owned (900034)");
		Check(Market->IsModOwned(1004) && Market->GetPurchasesAgeMs() >= 0, "900034 refreshed the purchased list: owned, age set");
		auto Mismatch = Run<FModioMarketCheckout>(UModioMarketCheckoutAsync::BuyMod(Context, 1003, 399, TEXT("")), "Buy Mod 1003 at 399");
		Check(!Mismatch->bSuccess && UModioMarketBlueprintLibrary::IsPriceMismatch(Mismatch->Error), "a wrong price: Is Price Mismatch (900035)");
		auto Second = Run<FModioMarketCheckout>(UModioMarketCheckoutAsync::BuyMod(Context, 1003, 400, TEXT("ue-test-1003")), "Buy Mod 1003");
		Check(Second->bSuccess && Second->Value.Balance == 100 && Second->Value.IdempotencyKey == FString("ue-test-1003"), "Dragon Skins bought, 100 left");
		auto Broke = Run<FModioMarketCheckout>(UModioMarketCheckoutAsync::BuyMod(Context, 1002, 250, TEXT("")), "Buy Mod 1002");
		Check(!Broke->bSuccess && UModioMarketBlueprintLibrary::IsInsufficientFunds(Broke->Error) && Broke->Error.HttpStatus == 422,
			"100 Gold cannot buy Castle Siege: Is Insufficient Funds (900049)");

		auto Purchases = Run<FModioMarketPurchases>(UModioMarketRefreshPurchasesAsync::RefreshPurchases(Context), "Refresh Purchases");
		std::set<int64> Owned;
		for (const FModioMarketMod& Mod : Purchases->Value.Mods)
		{
			Owned.insert(Mod.Id);
		}
		Check(Purchases->bSuccess && Owned == std::set<int64>({1003, 1004}), "alice owns 1003 and 1004");
		Check(Market->GetPurchasesAgeMs() >= 0, "Get Purchases Age is set after the refresh");
	}

	std::printf("\n== checkout recovery (data directory in Saved/ModioMarket)\n");
	{
		std::vector<FModioMarketRecoveryReport> Reports;
		Market->OnCheckoutRecovered.AddLambda([&Reports](const FModioMarketRecoveryReport& Report) { Reports.push_back(Report); });
		const bool bFault = fake_control::post("/faults",
			R"({"path":"/v1/games/1/mods/1005/checkout","method":"POST","count":1,"kind":"status_before","status":503})").status == 200;
		auto Lost = Run<FModioMarketCheckout>(UModioMarketCheckoutAsync::BuyMod(Context, 1005, 50, TEXT("ue-recover-1")), "Buy Mod 1005 into a 503");
		Check(bFault && !Lost->bSuccess && Lost->Error.HttpStatus == 503, "the purchase ends without a definitive answer (503)");
		Market->ResumeCheckouts();
		Frames([&] { return !Reports.empty(); });
		Check(Reports.size() == 1 && Reports[0].Outcome == EModioMarketRecoveryOutcome::Completed && Reports[0].ModId == 1005 &&
				  Reports[0].IdempotencyKey == FString("ue-recover-1") && Reports[0].bHasReceipt && !Reports[0].bHasError &&
				  Reports[0].Receipt.PurchasedMod.Id == 1005,
			"Resume Checkouts finishes it: On Checkout Recovered fires Completed with the receipt");
		Check(Market->IsModOwned(1005), "1005 is owned after the recovery");
	}

	std::printf("\n== terms, currency packs, unconverted purchases\n");
	{
		auto Terms = Run<FModioMarketTerms>(UModioMarketGetTermsAsync::GetTerms(Context), "Get Terms");
		bool bRequiredTerms = false;
		for (const FModioMarketTermsLink& Link : Terms->Value.Links)
		{
			bRequiredTerms = bRequiredTerms || (Link.Name == FString("terms") && Link.bRequired);
		}
		Check(Terms->bSuccess && Terms->Value.AgreeText == FString("I Agree") && Terms->Value.Links.Num() == 6 && bRequiredTerms,
			"Get Terms: the buttons and six links, the Terms of Use required (" + Describe(Terms->Error) + ")");
		auto Packs = Run<FModioMarketTokenPacks>(UModioMarketGetTokenPacksAsync::GetTokenPacks(Context), "Get Currency Packs");
		bool bGold = false;
		for (const FModioMarketTokenPack& Pack : Packs->Value.Packs)
		{
			bGold = bGold || (Pack.Sku == FString("GOLD_1000") && Pack.Amount == 1000 && Pack.Price == 999);
		}
		Check(Packs->bSuccess && Packs->Value.TokenName == FString("Gold") && bGold, "Get Currency Packs names Gold and GOLD_1000");
		auto Before = Run<FModioMarketUnconvertedEntitlements>(UModioMarketGetUnconvertedAsync::GetUnconvertedSteam(Context), "Get Unconverted (synced)");
		Check(Before->bSuccess && Before->Value.Total == 0, "after the sync nothing is left to convert");
		const bool bAdded = fake_control::post("/users/1/entitlements", R"({"portal":"steam","sku":"GOLD_500","count":1})").status == 200;
		auto After = Run<FModioMarketUnconvertedEntitlements>(UModioMarketGetUnconvertedAsync::GetUnconvertedSteam(Context), "Get Unconverted");
		Check(bAdded && After->bSuccess && After->Value.Total == 1 && After->Value.TokenPacks == 1 && After->Value.Skus.Num() == 1 &&
				  After->Value.Skus[0] == FString("GOLD_500"),
			"one GOLD_500 to convert");
		auto Xbox = Run<FModioMarketUnconvertedEntitlements>(
			UModioMarketGetUnconvertedAsync::GetUnconvertedXboxLive(Context, TEXT("XBL3.0 x=alice;ey+/=&%?")), "Get Unconverted Xbox Live");
		Check(Xbox->bSuccess, "Get Unconverted Xbox Live answers (" + Describe(Xbox->Error) + ")");
		auto Psn = Run<FModioMarketUnconvertedEntitlements>(UModioMarketGetUnconvertedAsync::GetUnconvertedPsn(Context, TEXT("psn-alice"), -1, -1),
			"Get Unconverted PSN");
		Check(!Psn->bSuccess && Psn->Error.Code == EModioMarketCode::InvalidArgument, "PSN without the project's platform: InvalidArgument");
		auto Epic = Run<FModioMarketUnconvertedEntitlements>(UModioMarketGetUnconvertedAsync::GetUnconvertedEpic(Context, TEXT("t"), TEXT("a b")),
			"Get Unconverted Epic (bad sandbox)");
		Check(!Epic->bSuccess && Epic->Error.Code == EModioMarketCode::InvalidArgument, "a bad Epic sandbox: InvalidArgument");

		auto Me = Run<FModioMarketUser>(UModioMarketGetUserAsync::GetUser(Context), "Get User");
		Check(Me->bSuccess && Me->Value.Id == 1 && Me->Value.Username == FString("alice"), "Get User names alice");
		FString Delegation;
		int Fired = 0;
		const bool bAsked = Market->GetClient()->request_delegation_token([&](modio_market::Result<modio_market::DelegationToken> R) {
			++Fired;
			if (R.ok()) Delegation = FString(R.value().token.c_str());
		}).ok();
		Frames([&] { return Fired > 0; });
		auto Forged = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithDelegationToken(Context, TEXT("forged")), "Sign In With Delegation Token (forged)");
		Check(!Forged->bSuccess && Forged->Error.HttpStatus == 401 && Forged->Error.ErrorRef == 11005, "a forged delegation token: 401 / 11005");
		auto Udt = Run<FModioMarketSession>(UModioMarketSignInAsync::SignInWithDelegationToken(Context, Delegation), "Sign In With Delegation Token");
		Check(bAsked && Fired == 1 && Udt->bSuccess && Udt->Value.ExpiresAt > 0, "Sign In With Delegation Token (" + Describe(Udt->Error) + ")");
	}

	std::printf("\n== install with progress, installed list, uninstall (Saved/ModioMarket/Mods)\n");
	{
		auto Modfile = Run<FModioMarketModfile>(UModioMarketGetModfileAsync::GetModfile(Context, 2001, 999999), "Get Modfile (unknown)");
		Check(!Modfile->bSuccess && Modfile->Error.HttpStatus == 404 && Modfile->Error.ErrorRef == 15010, "an unknown modfile: 404 / 15010");
		auto* Node = UModioMarketInstallModAsync::InstallMod(Context, 2001);
		std::vector<FModioMarketDownloadProgress> Seen;
		bool bProgressAfterDone = false;
		auto Outcome = Watch<UModioMarketInstallModAsync, FModioMarketInstalledMod>(Node);
		Node->OnProgress.AddLambda([&](const FModioMarketDownloadProgress& P) {
			bProgressAfterDone = bProgressAfterDone || Outcome->Fired > 0;
			Seen.push_back(P);
		});
		Node->Activate();
		Frames([&] { return Outcome->Fired > 0; });
		Check(Outcome->Fired == 1 && Outcome->bSuccess && Outcome->Value.ModId == 2001 &&
				  Outcome->Value.Path == FPaths::Combine(FPaths::Combine(FPaths::Combine(FPaths::ProjectSavedDir(), TEXT("ModioMarket")), TEXT("Mods")), TEXT("2001")),
			"Install Mod 2001 into Saved/ModioMarket/Mods (" + Describe(Outcome->Error) + ")");
		Check(!Seen.empty() && Seen.back().BytesDone == Seen.back().BytesTotal && Seen.back().Fraction == 1.f && !bProgressAfterDone,
			"On Progress fired before On Success and ended at the file's size");
		TArray<FModioMarketInstalledMod> Installed;
		FModioMarketError Error;
		Check(Market->GetInstalledMods(Installed, Error) && Installed.Num() == 1 && Installed[0].ModId == 2001, "Get Installed Mods lists 2001");
		auto File = Run<FModioMarketModfile>(UModioMarketGetModfileAsync::GetModfile(Context, 2001, Installed.Num() == 1 ? Installed[0].ModfileId : 0),
			"Get Modfile");
		Check(File->bSuccess && File->Value.ModId == 2001 && File->Value.Md5 == Installed[0].Md5 && !File->Value.BinaryUrl.IsEmpty(),
			"Get Modfile: the installed file's MD5 and a download link");

		const bool bOwnersOnly = fake_control::post("/games/1/api_access_options", R"({"options":10})").status == 200;
		auto NotOwned = Run<FModioMarketInstalledMod>(UModioMarketInstallModAsync::InstallMod(Context, 1001), "Install Mod 1001 (not owned)");
		Check(bOwnersOnly && !NotOwned->bSuccess && NotOwned->Error.Code == EModioMarketCode::NotOwned,
			"a paid mod alice does not own: NotOwned (" + Describe(NotOwned->Error) + ")");
		fake_control::post("/games/1/api_access_options", R"({"options":3})");

		auto Removed = Run<FModioMarketInstalledMod>(UModioMarketInstallModAsync::UninstallMod(Context, 2001), "Uninstall Mod 2001");
		Check(Removed->bSuccess && Removed->Value.ModId == 2001, "Uninstall Mod 2001");
		Check(Market->GetInstalledMods(Installed, Error) && Installed.Num() == 0, "nothing installed any more");
		auto Again = Run<FModioMarketInstalledMod>(UModioMarketInstallModAsync::UninstallMod(Context, 2001), "Uninstall Mod 2001 again");
		Check(!Again->bSuccess && Again->Error.Code == EModioMarketCode::InvalidArgument, "uninstalling what is not installed: InvalidArgument");
	}

	std::printf("\n== C++ API, refused calls, cancel\n");
	{
		int Fired = 0;
		FString Name;
		const int64 Id = Market->GetGame([&](const FModioMarketGameResult& Result) {
			++Fired;
			Name = Result.HasValue() ? Result.GetValue().Name : FString();
		});
		Frames([&] { return Fired > 0; });
		Check(Id > 0 && Fired == 1 && Name == FString("Rogue Knight") , "GetGame from C++ calls back once with the game");

		auto* Node = UModioMarketGetPremiumModsAsync::GetPremiumMods(Context, 0, 0, TEXT(""));
		auto Refused = Watch<UModioMarketGetPremiumModsAsync, FModioMarketModPage>(Node);
		Node->Activate();
		Check(Node->RequestId == 0 && Refused->Fired == 0, "a refused call (limit 0) returns id 0 and does not fire inside Activate");
		MockTickAll();
		Check(Refused->Fired == 1 && Refused->Error.Code == EModioMarketCode::InvalidArgument && Refused->Error.Message.Contains("limit"),
			"it fires On Failure with InvalidArgument on the next frame (" + Describe(Refused->Error) + ")");

	}

	{
		// A delayed request the node cancels: On Failure with Cancelled, once.
		const bool bDelayed = fake_control::post("/faults", R"({"path":"/v1/games/1/mods","count":1,"kind":"delay","ms":600})").status == 200;
		auto* Node = UModioMarketGetPremiumModsAsync::GetPremiumMods(Context, 0, 10, TEXT(""));
		auto Cancelled = Watch<UModioMarketGetPremiumModsAsync, FModioMarketModPage>(Node);
		Node->Activate();
		Node->Cancel();
		Frames([&] { return Cancelled->Fired > 0; });
		Check(bDelayed && Cancelled->Fired == 1 && Cancelled->Error.Code == EModioMarketCode::Cancelled, "Cancel makes the node fire On Failure with Cancelled");
		Frames([&] { return Market->GetPendingRequestCount() == 0; });
	}

	std::printf("\n== lifetimes: collected nodes, garbage collection, shutdown\n");
	{
		// A node collected before its request ends is skipped (ASan would catch a use after free).
		const bool bDelayed = fake_control::post("/faults", R"({"path":"/v1/games/1/mods","count":1,"kind":"delay","ms":300})").status == 200;
		auto* Node = UModioMarketGetPremiumModsAsync::GetPremiumMods(Context, 0, 10, TEXT(""));
		auto Outcome = Watch<UModioMarketGetPremiumModsAsync, FModioMarketModPage>(Node);
		Node->Activate();
		MockDestroy(Node);  // what garbage collection does to an unreferenced node
		const bool bDrained = Frames([&] { return Market->GetPendingRequestCount() == 0; });
		Check(bDelayed && bDrained && Outcome->Fired == 0, "a node destroyed mid-request never fires, and the request still completes");

		// A completion delivered while the engine collects garbage does not reach game code.
		auto* GcNode = UModioMarketGetWalletAsync::GetWallet(Context);
		auto GcOutcome = Watch<UModioMarketGetWalletAsync, FModioMarketWallet>(GcNode);
		GcNode->Activate();
		MockGarbageCollecting() = true;
		const bool bGcDrained = Frames([&] { return Market->GetPendingRequestCount() == 0; });
		MockGarbageCollecting() = false;
		Check(bGcDrained && GcOutcome->Fired == 0, "callbacks do nothing during garbage collection");
	}

	{
		// Log records reach LogModioMarket; none carries a secret.
		bool bWalletLogged = false;
		bool bLeak = false;
		for (const FMockLogLine& Line : MockLogLines())
		{
			if (Line.Category != "LogModioMarket") continue;
			bWalletLogged = bWalletLogged || (Line.Verbosity == "Verbose" && Line.Text.find("wallets") != std::string::npos);
			bLeak = bLeak || Line.Text.find("demo-steam-ticket-alice") != std::string::npos || Line.Text.find("modio-access-") != std::string::npos ||
					Line.Text.find(Env("MODIO_MARKET_API_KEY", "0123456789abcdef0123456789abcdef")) != std::string::npos;
		}
		Check(bWalletLogged, "library debug records arrive in LogModioMarket as Verbose");
		Check(!bLeak, "no log line contains the ticket, a token or the API key");
	}

	{
		FModioMarketError Error;
		Check(Market->SetAccessToken(TEXT("bogus"), Error), "Set Access Token (bogus)");
		auto Expired = Run<FModioMarketWallet>(UModioMarketGetWalletAsync::GetWallet(Context), "Get Wallet with a bogus token");
		Check(!Expired->bSuccess && Expired->Error.ErrorRef == 11005 && UModioMarketBlueprintLibrary::NeedsSignIn(Expired->Error),
			"a bogus token: 11005, Needs Sign In");
		Market->SignOut();
		auto SignedOut = Run<FModioMarketWallet>(UModioMarketGetWalletAsync::GetWallet(Context), "Get Wallet signed out");
		Check(!SignedOut->bSuccess && SignedOut->Error.Code == EModioMarketCode::NotAuthenticated && UModioMarketBlueprintLibrary::NeedsSignIn(SignedOut->Error),
			"signed out: NotAuthenticated");

		const bool bZeroRefused = !Market->InitializeMarketWith(0, TEXT("abc"), EModioMarketEnvironment::Live, TEXT(""), Error);
		Check(bZeroRefused && Error.Code == EModioMarketCode::InvalidArgument, "Initialize Market With game id 0 is refused (" + Describe(Error) + ")");
		const bool bInsecureRefused = !Market->InitializeMarketWith(1, Settings->ApiKey, EModioMarketEnvironment::Live, TEXT("http://example.com/v1"), Error);
		Check(bInsecureRefused && Error.Code == EModioMarketCode::InsecureUrl, "plain http to a remote host is refused (" + Describe(Error) + ")");
		Check(Market->IsMarketReady(), "a refused re-initialization keeps the working client");
	}

	{
		// Deinitialize with a request in flight: the node never fires, nothing crashes.
		const bool bDelayed = fake_control::post("/faults", R"({"path":"/v1/games/1/mods","count":1,"kind":"delay","ms":300})").status == 200;
		auto* Node = UModioMarketGetPremiumModsAsync::GetPremiumMods(Context, 0, 10, TEXT(""));
		auto Outcome = Watch<UModioMarketGetPremiumModsAsync, FModioMarketModPage>(Node);
		Node->Activate();
		Market->Deinitialize();
		for (int Frame = 0; Frame < 5; ++Frame) MockTickAll();
		Check(bDelayed && Outcome->Fired == 0 && !Market->IsMarketReady(), "Deinitialize drops pending requests without firing their nodes");

		auto* Late = UModioMarketGetWalletAsync::GetWallet(Context);
		auto LateOutcome = Watch<UModioMarketGetWalletAsync, FModioMarketWallet>(Late);
		Late->Activate();
		Check(LateOutcome->Fired == 1 && LateOutcome->Error.Code == EModioMarketCode::NotInitialized, "a node after shutdown fails with NotInitialized");
	}

	MockCollectAll();  // every object NewObject made, the subsystem included
	std::string Cleanup = "rm -rf '" + Saved + "'";
	Check(std::system(Cleanup.c_str()) == 0, "removed the scratch Saved folder");
	Module->ShutdownModule();
	std::printf("\n%d checks, %d failed\n", GChecks, GFailures);
	return GFailures == 0 ? 0 : 1;
}
