// Conversions between the C++ wrapper's value types (std::string, uint64) and the Blueprint
// structs (FString, int64). Runs on the game thread, inside the subsystem's Tick.
#pragma once

#include "CoreMinimal.h"
#include "ModioMarketCpp.h"
#include "ModioMarketTypes.h"

#include <string>

namespace ModioMarketConvert
{
	inline FString Str(const std::string& Text)
	{
		return FString(UTF8_TO_TCHAR(Text.c_str()));
	}

	inline std::string Utf8(const FString& Text)
	{
		FTCHARToUTF8 Converted(*Text);
		return std::string(reinterpret_cast<const char*>(Converted.Get()), static_cast<size_t>(Converted.Length()));
	}

	inline int64 Id(uint64 Value)
	{
		return static_cast<int64>(Value);
	}

	inline EModioMarketCode Code(modio_market::Code Value)
	{
		switch (Value)
		{
		// <generated:result-code-cases> (cargo run -p xtask -- mirrors: from modio_market::ResultCode)
		case modio_market::Code::Ok: return EModioMarketCode::Ok;
		case modio_market::Code::NullPointer: return EModioMarketCode::NullPointer;
		case modio_market::Code::InvalidUtf8: return EModioMarketCode::InvalidUtf8;
		case modio_market::Code::InvalidArgument: return EModioMarketCode::InvalidArgument;
		case modio_market::Code::UnknownEnumValue: return EModioMarketCode::UnknownEnumValue;
		case modio_market::Code::NotAuthenticated: return EModioMarketCode::NotAuthenticated;
		case modio_market::Code::Dns: return EModioMarketCode::Dns;
		case modio_market::Code::Connect: return EModioMarketCode::Connect;
		case modio_market::Code::Tls: return EModioMarketCode::Tls;
		case modio_market::Code::Timeout: return EModioMarketCode::Timeout;
		case modio_market::Code::Transport: return EModioMarketCode::Transport;
		case modio_market::Code::InsecureUrl: return EModioMarketCode::InsecureUrl;
		case modio_market::Code::Http: return EModioMarketCode::Http;
		case modio_market::Code::MalformedResponse: return EModioMarketCode::MalformedResponse;
		case modio_market::Code::ResponseTooLarge: return EModioMarketCode::ResponseTooLarge;
		case modio_market::Code::RateLimited: return EModioMarketCode::RateLimited;
		case modio_market::Code::UnexpectedAnswer: return EModioMarketCode::UnexpectedAnswer;
		case modio_market::Code::Cancelled: return EModioMarketCode::Cancelled;
		case modio_market::Code::ShutDown: return EModioMarketCode::ShutDown;
		case modio_market::Code::Reentrant: return EModioMarketCode::Reentrant;
		case modio_market::Code::WaitTimedOut: return EModioMarketCode::WaitTimedOut;
		case modio_market::Code::RequestNotFound: return EModioMarketCode::RequestNotFound;
		case modio_market::Code::AlreadyCompleted: return EModioMarketCode::AlreadyCompleted;
		case modio_market::Code::BufferTooSmall: return EModioMarketCode::BufferTooSmall;
		case modio_market::Code::Io: return EModioMarketCode::Io;
		case modio_market::Code::Internal: return EModioMarketCode::Internal;
		case modio_market::Code::DiskFull: return EModioMarketCode::DiskFull;
		case modio_market::Code::NotOwned: return EModioMarketCode::NotOwned;
		case modio_market::Code::IntegrityFailed: return EModioMarketCode::IntegrityFailed;
		case modio_market::Code::UnsafeArchive: return EModioMarketCode::UnsafeArchive;
		case modio_market::Code::NoModfile: return EModioMarketCode::NoModfile;
		// </generated:result-code-cases>
		default: return EModioMarketCode::Unknown;
		}
	}

	inline FModioMarketError Error(const modio_market::Error& In)
	{
		FModioMarketError Out;
		Out.Code = Code(In.code);
		Out.CodeName = Str(std::string(modio_market::code_name(In.code)));
		Out.HttpStatus = static_cast<int32>(In.http_status);
		Out.ErrorRef = In.error_ref;
		Out.ErrorRefName = Str(In.error_ref_name);
		Out.Message = Str(In.message);
		Out.RetryAfterSeconds = In.retry_after_secs;
		for (const modio_market::FieldError& Field : In.field_errors)
		{
			FModioMarketFieldError& Added = Out.FieldErrors.AddDefaulted_GetRef();
			Added.Field = Str(Field.field);
			Added.Message = Str(Field.message);
		}
		return Out;
	}

	inline FModioMarketError NotInitialized()
	{
		FModioMarketError Out;
		Out.Code = EModioMarketCode::NotInitialized;
		Out.CodeName = TEXT("NOT_INITIALIZED");
		Out.Message = TEXT("the mod.io Marketplace client is not initialized: set the game id and API key in Project Settings > Plugins > mod.io Marketplace, or call InitializeMarket");
		return Out;
	}

	inline FModioMarketSession Value(const modio_market::AccessToken& In)
	{
		FModioMarketSession Out;  // the token stays in the client: never copied into Blueprint data
		Out.ExpiresAt = In.date_expires;
		return Out;
	}

	inline FModioMarketWallet Value(const modio_market::Wallet& In)
	{
		FModioMarketWallet Out;
		Out.WalletType = Str(In.wallet_type);
		Out.Currency = Str(In.currency);
		Out.PaymentMethodId = Str(In.payment_method_id);
		Out.GameId = Id(In.game_id);
		Out.Balance = In.balance;
		Out.PendingBalance = In.pending_balance;
		Out.Deficit = In.deficit;
		Out.MonetizationStatus = static_cast<int32>(In.monetization_status);
		return Out;
	}

	inline FModioMarketEntitlementSync Value(const modio_market::EntitlementSync& In)
	{
		FModioMarketEntitlementSync Out;
		Out.Balance = In.balance;
		for (const modio_market::Entitlement& Line : In.entitlements)
		{
			FModioMarketEntitlement& Added = Out.Entitlements.AddDefaulted_GetRef();
			Added.TransactionId = Str(Line.transaction_id);
			Added.State = static_cast<int64>(Line.state);
			Added.StateName = Str(Line.state_name);
			Added.SkuId = Str(Line.sku_id);
			Added.bConsumed = Line.consumed;
			Added.EntitlementType = Line.entitlement_type;
			Added.DetailsJson = Line.details_json ? Str(*Line.details_json) : FString();
		}
		return Out;
	}

	inline FModioMarketMod Value(const modio_market::Mod& In)
	{
		FModioMarketMod Out;
		Out.Id = Id(In.id);
		Out.GameId = Id(In.game_id);
		Out.Name = Str(In.name);
		Out.NameId = Str(In.name_id);
		Out.Summary = Str(In.summary);
		Out.Price = In.price;
		Out.LogoUrl = Str(In.logo_url);
		Out.ProfileUrl = Str(In.profile_url);
		Out.ModfileId = Id(In.modfile_id);
		Out.Filesize = Id(In.filesize);
		Out.Md5 = Str(In.md5);
		Out.Version = Str(In.version);
		Out.DownloadsTotal = Id(In.downloads_total);
		Out.RatingPercentagePositive = static_cast<int32>(In.rating_percentage_positive);
		Out.RatingWeightedAggregate = In.rating_weighted_aggregate;
		Out.RatingDisplayText = Str(In.rating_display_text);
		Out.Json = Str(In.json);
		return Out;
	}

	inline TArray<FModioMarketMod> Mods(const std::vector<modio_market::Mod>& In)
	{
		TArray<FModioMarketMod> Out;
		Out.Reserve(static_cast<int32>(In.size()));
		for (const modio_market::Mod& Mod : In)
		{
			Out.Add(Value(Mod));
		}
		return Out;
	}

	inline FModioMarketModPage Value(const modio_market::ModPage& In)
	{
		FModioMarketModPage Out;
		Out.Mods = Mods(In.mods);
		Out.ResultOffset = Id(In.result_offset);
		Out.ResultLimit = Id(In.result_limit);
		Out.ResultTotal = Id(In.result_total);
		return Out;
	}

	inline FModioMarketCheckout Value(const modio_market::Checkout& In)
	{
		FModioMarketCheckout Out;
		Out.Transaction.Id = Id(In.transaction.id);
		Out.Transaction.GatewayUuid = Str(In.transaction.gateway_uuid);
		Out.Transaction.GrossAmount = In.transaction.gross_amount;
		Out.Transaction.NetAmount = In.transaction.net_amount;
		Out.Transaction.PlatformFee = In.transaction.platform_fee;
		Out.Transaction.GatewayFee = In.transaction.gateway_fee;
		Out.Transaction.Tax = In.transaction.tax;
		Out.Transaction.TaxType = Str(In.transaction.tax_type);
		Out.Transaction.StateName = Str(In.transaction.state_name);
		Out.Transaction.MetaJson = Str(In.transaction.meta_json);
		Out.Transaction.PurchaseDate = In.transaction.purchase_date;
		Out.Balance = In.balance;
		Out.Deficit = In.deficit;
		Out.WalletType = Str(In.wallet_type);
		Out.PaymentMethodId = Str(In.payment_method_id);
		Out.IdempotencyKey = Str(In.idempotency_key);
		Out.PurchasedMod = Value(In.purchased_mod);
		return Out;
	}

	inline FModioMarketPurchases Value(const modio_market::Purchases& In)
	{
		FModioMarketPurchases Out;
		Out.Mods = Mods(In.mods);
		return Out;
	}

	inline FModioMarketRecoveryReport Value(const modio_market::RecoveryReport& In)
	{
		FModioMarketRecoveryReport Out;
		Out.Outcome = static_cast<EModioMarketRecoveryOutcome>(static_cast<uint8>(In.outcome));
		Out.UserId = Id(In.user_id);
		Out.ModId = Id(In.mod_id);
		Out.DisplayAmount = In.display_amount;
		Out.IdempotencyKey = Str(In.idempotency_key);
		Out.AttemptedAt = In.attempted_at;
		Out.bHasReceipt = In.checkout.has_value();
		if (In.checkout)
		{
			Out.Receipt = Value(*In.checkout);
		}
		Out.bHasError = In.error.has_value();
		if (In.error)
		{
			Out.Error = Error(*In.error);
		}
		Out.JournalFile = Str(In.journal_file);
		return Out;
	}

	inline FModioMarketGame Value(const modio_market::Game& In)
	{
		FModioMarketGame Out;
		Out.Id = Id(In.id);
		Out.Name = Str(In.name);
		Out.TokenName = Str(In.token_name);
		Out.ApiAccessOptions = static_cast<int32>(In.api_access_options);
		Out.bPaidDownloadsNeedPurchase = In.paid_downloads_need_purchase;
		return Out;
	}

	inline FModioMarketTerms Value(const modio_market::Terms& In)
	{
		FModioMarketTerms Out;
		Out.Plaintext = Str(In.plaintext);
		Out.Html = Str(In.html);
		Out.AgreeText = Str(In.agree_text);
		Out.DisagreeText = Str(In.disagree_text);
		for (const modio_market::TermsLink& L : In.links)
		{
			FModioMarketTermsLink Link;
			Link.Name = Str(L.name);
			Link.Text = Str(L.text);
			Link.Url = Str(L.url);
			Link.bRequired = L.required;
			Out.Links.Add(Link);
		}
		return Out;
	}

	inline FModioMarketTokenPacks Value(const modio_market::TokenPacks& In)
	{
		FModioMarketTokenPacks Out;
		Out.TokenName = Str(In.token_name);
		for (const modio_market::TokenPack& P : In.packs)
		{
			FModioMarketTokenPack Pack;
			Pack.Id = Id(P.id);
			Pack.Price = P.price;
			Pack.Amount = P.amount;
			Pack.Portal = Str(P.portal);
			Pack.Sku = Str(P.sku);
			Pack.Name = Str(P.name);
			Pack.Description = Str(P.description);
			Out.Packs.Add(Pack);
		}
		return Out;
	}

	inline FModioMarketUnconvertedEntitlements Value(const modio_market::UnconvertedEntitlements& In)
	{
		FModioMarketUnconvertedEntitlements Out;
		for (const modio_market::UnconvertedEntitlement& E : In.entitlements)
		{
			Out.Skus.Add(Str(E.sku_id));
		}
		Out.TokenPacks = static_cast<int32>(In.token_packs());
		Out.Total = Id(In.total);
		return Out;
	}

	inline FModioMarketInstalledMod Value(const modio_market::InstalledMod& In)
	{
		FModioMarketInstalledMod Out;
		Out.ModId = Id(In.mod_id);
		Out.ModfileId = Id(In.modfile_id);
		Out.Version = Str(In.version);
		Out.Md5 = Str(In.md5);
		Out.Path = Str(In.path);
		Out.InstalledAt = In.installed_at;
		Out.Size = Id(In.size);
		return Out;
	}

	inline FModioMarketDownloadProgress Value(const modio_market::DownloadProgress& In)
	{
		FModioMarketDownloadProgress Out;
		Out.BytesDone = Id(In.bytes_done);
		Out.BytesTotal = Id(In.bytes_total);
		Out.Fraction = In.bytes_total > 0 ? static_cast<float>(static_cast<double>(In.bytes_done) / static_cast<double>(In.bytes_total)) : 0.f;
		return Out;
	}

	inline FModioMarketUser Value(const modio_market::User& In)
	{
		FModioMarketUser Out;
		Out.Id = Id(In.id);
		Out.Username = Str(In.username);
		return Out;
	}

	inline FModioMarketModfile Value(const modio_market::Modfile& In)
	{
		FModioMarketModfile Out;
		Out.Id = Id(In.id);
		Out.ModId = Id(In.mod_id);
		Out.Filesize = Id(In.filesize);
		Out.Md5 = Str(In.md5);
		Out.Version = Str(In.version);
		Out.Changelog = Str(In.changelog);
		Out.BinaryUrl = Str(In.binary_url);
		Out.DateExpires = In.date_expires;
		return Out;
	}
}
