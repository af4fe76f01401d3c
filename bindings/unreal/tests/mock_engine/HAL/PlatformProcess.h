#pragma once
#include "CoreMinimal.h"
#include <dlfcn.h>
struct FPlatformProcess
{
	static void* GetDllHandle(const TCHAR* Path) { return dlopen(Path, RTLD_NOW | RTLD_GLOBAL); }
	static void FreeDllHandle(void* Handle) { dlclose(Handle); }
};
