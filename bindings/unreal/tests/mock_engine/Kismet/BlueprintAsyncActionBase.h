#pragma once
#include "CoreMinimal.h"
class UBlueprintAsyncActionBase : public UObject
{
public:
	virtual void Activate() {}
	void RegisterWithGameInstance(const UObject* WorldContextObject) { bRegistered = WorldContextObject != nullptr; }
	virtual void SetReadyToDestroy() { bReadyToDestroy = true; }
	bool bRegistered = false;
	bool bReadyToDestroy = false;
};
