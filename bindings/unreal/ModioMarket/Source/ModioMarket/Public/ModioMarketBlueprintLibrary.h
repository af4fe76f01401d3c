// Blueprint helpers for handling errors in a store UI.
#pragma once

#include "CoreMinimal.h"
#include "Kismet/BlueprintFunctionLibrary.h"
#include "ModioMarketTypes.h"

#include "ModioMarketBlueprintLibrary.generated.h"

UCLASS()
class MODIOMARKET_API UModioMarketBlueprintLibrary : public UBlueprintFunctionLibrary
{
	GENERATED_BODY()

public:
	/** "MODIO_MARKET_RESULT_HTTP (HTTP 422, error_ref 900049 MONETIZATION_INSUFFICIENT_FUNDS): <message>", for logs and support. */
	UFUNCTION(BlueprintPure, Category = "ModioMarket|Errors")
	static FString DescribeModioMarketError(const FModioMarketError& Error);

	/** True when mod.io answered with this error_ref (see MODIO_MARKET_ERROR_REF_* in modio_market.h). */
	UFUNCTION(BlueprintPure, Category = "ModioMarket|Errors")
	static bool HasErrorRef(const FModioMarketError& Error, int64 ErrorRef) { return Error.ErrorRef == ErrorRef; }

	/** 900049: the wallet cannot pay for the mod. */
	UFUNCTION(BlueprintPure, Category = "ModioMarket|Errors")
	static bool IsInsufficientFunds(const FModioMarketError& Error);

	/** 900034: the player already owns the mod. */
	UFUNCTION(BlueprintPure, Category = "ModioMarket|Errors")
	static bool IsAlreadyOwned(const FModioMarketError& Error);

	/** 900035: the price changed since the store page was shown; refresh it. */
	UFUNCTION(BlueprintPure, Category = "ModioMarket|Errors")
	static bool IsPriceMismatch(const FModioMarketError& Error);

	/** 11005 or NotAuthenticated: sign in again. */
	UFUNCTION(BlueprintPure, Category = "ModioMarket|Errors")
	static bool NeedsSignIn(const FModioMarketError& Error);
};
