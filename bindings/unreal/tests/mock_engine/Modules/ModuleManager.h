#pragma once
#include "Modules/ModuleInterface.h"
// The engine registers the module by name; the mock gives tests a factory to call.
#define IMPLEMENT_MODULE(Class, Name) IModuleInterface* MockCreateModule_##Name() { return new Class(); }
