// The ModioMarket module: loads the shared modio_market library when the plugin ships one (a static
// library needs nothing) and owns the log category every ModioMarket message goes to.
#pragma once

#include "CoreMinimal.h"
#include "Modules/ModuleInterface.h"

MODIOMARKET_API DECLARE_LOG_CATEGORY_EXTERN(LogModioMarket, Log, All);

class FModioMarketModule : public IModuleInterface
{
public:
	virtual void StartupModule() override;
	virtual void ShutdownModule() override;

	/** True when the native library is linked in or was loaded. */
	static bool IsLibraryAvailable();

private:
	void* LibraryHandle = nullptr;
};
