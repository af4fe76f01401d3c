#pragma once
#include "Engine/World.h"
enum class EGetWorldErrorMode { ReturnNull, LogAndReturnNull, Assert };
class UEngine : public UObject
{
public:
	UWorld* GetWorldFromContextObject(const UObject* Context, EGetWorldErrorMode) const { return Context != nullptr ? World : nullptr; }
	UWorld* World = nullptr;
};
extern UEngine* GEngine;
