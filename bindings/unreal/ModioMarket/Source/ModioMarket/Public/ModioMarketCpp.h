// Includes the modio_market C++ wrapper (and the C header) the way Unreal wants third-party
// headers included: with the engine's warning settings suspended around them.
#pragma once

#include "CoreMinimal.h"

THIRD_PARTY_INCLUDES_START
#include "modio_market.hpp"
THIRD_PARTY_INCLUDES_END
