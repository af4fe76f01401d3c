#pragma once
#include "CoreMinimal.h"
#include <cstdlib>
class IPlugin
{
public:
	FString GetBaseDir() const { const char* Dir = std::getenv("MOCK_PLUGIN_DIR"); return FString(Dir != nullptr ? Dir : "."); }
};
template <class T>
class TSharedPtr : public std::shared_ptr<T>
{
public:
	using std::shared_ptr<T>::shared_ptr;
	TSharedPtr(std::shared_ptr<T> p) : std::shared_ptr<T>(std::move(p)) {}
	bool IsValid() const { return this->get() != nullptr; }
};
class IPluginManager
{
public:
	static IPluginManager& Get() { static IPluginManager Manager; return Manager; }
	TSharedPtr<IPlugin> FindPlugin(const TCHAR*) { return std::make_shared<IPlugin>(); }
};
