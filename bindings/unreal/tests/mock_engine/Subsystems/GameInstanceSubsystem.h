#pragma once
#include "CoreMinimal.h"
struct FSubsystemCollectionBase {};
class USubsystem : public UObject
{
public:
	virtual void Initialize(FSubsystemCollectionBase&) {}
	virtual void Deinitialize() {}
};
class UGameInstanceSubsystem : public USubsystem {};
