#pragma once
#include "CoreMinimal.h"
#include <typeindex>
class UGameInstance : public UObject
{
public:
	template <class T> T* GetSubsystem() const
	{
		auto Found = Subsystems.find(std::type_index(typeid(T)));
		return Found != Subsystems.end() ? static_cast<T*>(Found->second) : nullptr;
	}
	std::map<std::type_index, UObject*> Subsystems;
};
