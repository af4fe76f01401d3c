#include "ModioMarketBlueprintLibrary.h"

#include "ModioMarketCpp.h"

FString UModioMarketBlueprintLibrary::DescribeModioMarketError(const FModioMarketError& Error)
{
	FString Text = Error.CodeName;
	FString Details;
	if (Error.HttpStatus != 0)
	{
		Details = FString::Printf(TEXT("HTTP %d"), Error.HttpStatus);
	}
	if (Error.ErrorRef != 0)
	{
		Details += FString::Printf(TEXT("%serror_ref %lld"), Details.IsEmpty() ? TEXT("") : TEXT(", "), Error.ErrorRef);
		if (!Error.ErrorRefName.IsEmpty())
		{
			Details += TEXT(" ") + Error.ErrorRefName;
		}
	}
	// The library's message usually ends with the same details already.
	if (!Details.IsEmpty() && !Error.Message.Contains(TEXT("(") + Details + TEXT(")")))
	{
		Text += TEXT(" (") + Details + TEXT(")");
	}
	if (!Error.Message.IsEmpty())
	{
		Text += TEXT(": ") + Error.Message;
	}
	return Text;
}

bool UModioMarketBlueprintLibrary::IsInsufficientFunds(const FModioMarketError& Error)
{
	return Error.ErrorRef == MODIO_MARKET_ERROR_REF_MONETIZATION_INSUFFICIENT_FUNDS;
}

bool UModioMarketBlueprintLibrary::IsAlreadyOwned(const FModioMarketError& Error)
{
	return Error.ErrorRef == MODIO_MARKET_ERROR_REF_MONETIZATION_MARKETPLACE_ALREADY_OWNED;
}

bool UModioMarketBlueprintLibrary::IsPriceMismatch(const FModioMarketError& Error)
{
	return Error.ErrorRef == MODIO_MARKET_ERROR_REF_MONETIZATION_PRICE_MISMATCH;
}

bool UModioMarketBlueprintLibrary::NeedsSignIn(const FModioMarketError& Error)
{
	return Error.Code == EModioMarketCode::NotAuthenticated || Error.ErrorRef == MODIO_MARKET_ERROR_REF_TOKEN_EXPIRED_OR_REVOKED;
}
