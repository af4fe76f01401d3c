#pragma once
#include "Engine/GameInstance.h"
class UWorld : public UObject
{
public:
	UGameInstance* GetGameInstance() const { return GameInstance; }
	UGameInstance* GameInstance = nullptr;
};
