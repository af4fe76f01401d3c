#include "ModioMarketModule.h"

#include "HAL/PlatformProcess.h"
#include "Interfaces/IPluginManager.h"
#include "Misc/Paths.h"
#include "Modules/ModuleManager.h"

DEFINE_LOG_CATEGORY(LogModioMarket);

namespace
{
	bool GModioMarketLibraryAvailable = false;
}

void FModioMarketModule::StartupModule()
{
#if MODIO_MARKET_SHARED_LIBRARY
	// The library is delay-loaded: load it from where Build.cs staged it before the first call.
	const TSharedPtr<IPlugin> Plugin = IPluginManager::Get().FindPlugin(TEXT("ModioMarket"));
	if (Plugin.IsValid())
	{
		const FString Path = FPaths::Combine(Plugin->GetBaseDir(), MODIO_MARKET_SHARED_LIBRARY_PATH);
		LibraryHandle = FPlatformProcess::GetDllHandle(*Path);
	}
	GModioMarketLibraryAvailable = LibraryHandle != nullptr;
	if (!GModioMarketLibraryAvailable)
	{
		UE_LOG(LogModioMarket, Error, TEXT("Could not load %s from the ModioMarket plugin; the mod.io Marketplace is unavailable."),
			MODIO_MARKET_SHARED_LIBRARY_PATH);
	}
#else
	GModioMarketLibraryAvailable = true;
#endif
}

void FModioMarketModule::ShutdownModule()
{
	// Subsystems (and their clients) are gone by now: nothing calls into the library any more.
	if (LibraryHandle != nullptr)
	{
		FPlatformProcess::FreeDllHandle(LibraryHandle);
		LibraryHandle = nullptr;
	}
	GModioMarketLibraryAvailable = false;
}

bool FModioMarketModule::IsLibraryAvailable()
{
	return GModioMarketLibraryAvailable;
}

IMPLEMENT_MODULE(FModioMarketModule, ModioMarket)
