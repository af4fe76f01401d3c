#pragma once
#include "CoreMinimal.h"
#include <set>
enum class ETickableTickType : uint8 { Conditional, Always, Never };
// Registers itself like the engine's; MockTickAll() is the test's frame.
class FTickableGameObject
{
public:
	FTickableGameObject() { All().insert(this); }
	virtual ~FTickableGameObject() { All().erase(this); }
	virtual void Tick(float DeltaTime) = 0;
	virtual TStatId GetStatId() const = 0;
	virtual ETickableTickType GetTickableTickType() const { return ETickableTickType::Conditional; }
	virtual bool IsTickable() const { return true; }
	virtual bool IsTickableWhenPaused() const { return false; }
	virtual bool IsTickableInEditor() const { return false; }
	static std::set<FTickableGameObject*>& All() { static std::set<FTickableGameObject*> Objects; return Objects; }
};
inline void MockTickAll()
{
	std::vector<FTickableGameObject*> Objects(FTickableGameObject::All().begin(), FTickableGameObject::All().end());
	for (FTickableGameObject* Object : Objects)
	{
		if (FTickableGameObject::All().count(Object) && Object->GetTickableTickType() != ETickableTickType::Never && Object->IsTickable())
		{
			Object->Tick(0.016f);
		}
	}
}
