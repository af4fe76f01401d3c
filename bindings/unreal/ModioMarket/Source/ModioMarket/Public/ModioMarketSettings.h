// Project Settings > Plugins > mod.io Marketplace (stored in DefaultGame.ini).
#pragma once

#include "CoreMinimal.h"
#include "Engine/DeveloperSettings.h"
#include "ModioMarketTypes.h"

#include "ModioMarketSettings.generated.h"

UCLASS(Config = Game, DefaultConfig, meta = (DisplayName = "mod.io Marketplace"))
class MODIOMARKET_API UModioMarketSettings : public UDeveloperSettings
{
	GENERATED_BODY()

public:
	virtual FName GetCategoryName() const override { return TEXT("Plugins"); }

	/** Create the client when the game instance starts. Off: call InitializeMarket yourself. */
	UPROPERTY(Config, EditAnywhere, Category = "Client")
	bool bInitializeOnStartup = true;

	/** Your mod.io game id. */
	UPROPERTY(Config, EditAnywhere, Category = "Client", meta = (ClampMin = "1"))
	int64 GameId = 0;

	/** The game's mod.io API key (letters and digits). */
	UPROPERTY(Config, EditAnywhere, Category = "Client")
	FString ApiKey;

	UPROPERTY(Config, EditAnywhere, Category = "Client")
	EModioMarketEnvironment Environment = EModioMarketEnvironment::Live;

	/** Replaces the environment's URL when set (a private test server, e.g. http://127.0.0.1:8080/v1). */
	UPROPERTY(Config, EditAnywhere, Category = "Client", AdvancedDisplay)
	FString BaseUrlOverride;

	/** X-Modio-Portal: steam, xboxlive, psn, apple, google, epicgames, ... (empty: none). */
	UPROPERTY(Config, EditAnywhere, Category = "Client")
	FString Portal;

	/** X-Modio-Platform: windows, ps5, xboxseriesx, android, ... (empty: none). */
	UPROPERTY(Config, EditAnywhere, Category = "Client")
	FString Platform;

	UPROPERTY(Config, EditAnywhere, Category = "Client", AdvancedDisplay, meta = (ClampMin = "1", ClampMax = "64"))
	int32 WorkerThreads = 2;

	/** Attempts for requests safe to repeat (reads, checkout, syncs) after 5xx, timeouts or dropped connections; 1 = never retry. */
	UPROPERTY(Config, EditAnywhere, Category = "Client", AdvancedDisplay, meta = (ClampMin = "1", ClampMax = "20"))
	int32 MaxAttempts = 4;

	/**
	 * Keep a checkout journal and each player's purchased list on disk, so a purchase cut off by a
	 * crash or a lost connection is finished (On Checkout Recovered) and ownership is known offline.
	 */
	UPROPERTY(Config, EditAnywhere, Category = "Client")
	bool bUseDataDirectory = true;

	/** Where (empty: <Project>/Saved/ModioMarket). Never holds a token, ticket or receipt. */
	UPROPERTY(Config, EditAnywhere, Category = "Client", meta = (EditCondition = "bUseDataDirectory"))
	FString DataDirectory;

	/** Where installed mods go, one folder per mod id (empty: <Project>/Saved/ModioMarket/Mods). */
	UPROPERTY(Config, EditAnywhere, Category = "Downloads")
	FString InstallDirectory;

	/** The language mod.io answers in (the terms, error messages): "de", "pt-BR"; empty for English. */
	UPROPERTY(Config, EditAnywhere, Category = "Client")
	FString Language;

	/** Library log records at this level or more severe go to LogModioMarket. */
	UPROPERTY(Config, EditAnywhere, Category = "Logging")
	EModioMarketLogLevel LogLevel = EModioMarketLogLevel::Warning;
};
