/* Header hygiene: modio_market.h compiles on its own (nothing included before it) under
 * -std=c99 / -std=c11 / -std=c2x -Wall -Wextra -Wpedantic -Werror. Built by tests/c/run.sh. */
#include "modio_market.h"

/* Uses a type, an enum constant, a macro and a function, so they all must be declared. */
const char *header_alone_check(modio_market_result rc);
const char *header_alone_check(modio_market_result rc)
{
    modio_market_error error = {.struct_size = sizeof(modio_market_error), .code = MODIO_MARKET_RESULT_HTTP, .http_status = 404,
                                .error_ref = MODIO_MARKET_ERROR_REF_MOD_NOT_FOUND, .retry_after_secs = -1};
    (void)error;
    return rc == MODIO_MARKET_RESULT_OK ? modio_market_version() : modio_market_result_name(rc);
}
