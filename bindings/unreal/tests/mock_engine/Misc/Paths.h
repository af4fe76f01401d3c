#pragma once
#include "CoreMinimal.h"
#include <cstdlib>
struct FPaths
{
	static FString Combine(const FString& A, const FString& B) { return A + "/" + B; }
	/** <Project>/Saved/: the mock uses MOCK_SAVED_DIR (the test points it at a scratch folder). */
	static FString ProjectSavedDir()
	{
		const char* Dir = std::getenv("MOCK_SAVED_DIR");
		return FString(Dir != nullptr ? Dir : "/tmp/modio-market-mock-saved");
	}
};
