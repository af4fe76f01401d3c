/* Header hygiene: including modio_market.h twice is harmless (include guard, no duplicate
 * definitions). Built by tests/c/run.sh in C99 and C11. */
#include "modio_market.h"
#include "modio_market.h"

size_t header_twice_check(void);
size_t header_twice_check(void)
{
    return sizeof(modio_market_mod) + sizeof(modio_market_checkout) + (size_t)MODIO_MARKET_MAX_STRING_ARGUMENT_BYTES;
}
