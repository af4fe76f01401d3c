/* A game built against the frozen 1.0 header (tests/abi/1.0/modio_market.h), run against the
 * library of today: it must still link, pass the version check, and read every view it gets
 * at the 1.0 offsets. No server is needed: requests go to a closed loopback port. */
#include <stdio.h>
#include <string.h>
#include "modio_market.h"

static int checks, failures;
#define CHECK(cond, what)                                                   \
    do {                                                                    \
        checks++;                                                           \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            printf("FAIL %s   [%s:%d]\n", what, __FILE__, __LINE__);         \
        } else {                                                            \
            printf("ok   %s\n", what);                                      \
        }                                                                   \
    } while (0)

struct seen {
    int calls;
    modio_market_result code;
    uint32_t error_size;
    int message_ok;
};

static void on_game(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_game *game)
{
    struct seen *s = user_data;
    (void)request_id;
    s->calls++;
    if (error != NULL && game == NULL) {
        s->code = error->code;
        s->error_size = error->struct_size;
        s->message_ok = error->message != NULL && strlen(error->message) > 0;
    }
}

int main(void)
{
    CHECK(MODIO_MARKET_VERSION_MAJOR == 1, "built against the 1.x header");
    CHECK(MODIO_MARKET_VERSION_CHECK(), "today's library serves the 1.0 header");
    CHECK(strcmp(modio_market_result_name(MODIO_MARKET_RESULT_INVALID_ARGUMENT), "MODIO_MARKET_RESULT_INVALID_ARGUMENT") == 0,
          "1.0 result codes keep their numbers and names");
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    CHECK(modio_market_config_new(1, "not a key!", &config) == MODIO_MARKET_RESULT_OK, "config_new (checked at client_new)");
    CHECK(modio_market_client_new(config, &client) == MODIO_MARKET_RESULT_INVALID_ARGUMENT && client == NULL,
          "a bad API key is INVALID_ARGUMENT, the out-param untouched");
    char text[512];
    size_t len = 0;
    CHECK(modio_market_last_error_message(text, sizeof text, &len) == MODIO_MARKET_RESULT_OK && strstr(text, "api_key") != NULL,
          "the last error names the argument");
    modio_market_config_free(config);
    config = NULL;
    CHECK(modio_market_config_new(1, "0123456789abcdef0123456789abcdef", &config) == MODIO_MARKET_RESULT_OK, "config_new");
    CHECK(modio_market_config_set_base_url(config, "http://127.0.0.1:1/v1") == MODIO_MARKET_RESULT_OK, "set_base_url (closed port)");
    CHECK(modio_market_config_set_retry_policy(config, 1, 0, 0, 1000) == MODIO_MARKET_RESULT_OK, "set_retry_policy (never retry)");
    CHECK(modio_market_client_new(config, &client) == MODIO_MARKET_RESULT_OK && client != NULL, "client_new");
    modio_market_config_free(config);
    struct seen s = {0, MODIO_MARKET_RESULT_OK, 0, 0};
    uint64_t id = 0;
    CHECK(modio_market_client_get_game(client, on_game, &s, &id) == MODIO_MARKET_RESULT_OK && id != 0, "get_game submitted");
    size_t ran = 0;
    CHECK(modio_market_client_wait(client, id, 20000, &ran) == MODIO_MARKET_RESULT_OK && s.calls == 1, "its callback ran once");
    CHECK(s.code == MODIO_MARKET_RESULT_CONNECT, "the error is CONNECT, read at its 1.0 offset");
    CHECK(s.error_size >= sizeof(modio_market_error), "the error view is at least as large as in 1.0 (struct_size)");
    CHECK(s.message_ok, "its message is readable");
    bool owned = true;
    CHECK(modio_market_client_owns(client, 1001, &owned) == MODIO_MARKET_RESULT_OK && !owned, "owns: nothing, signed out");
    modio_market_client_free(client);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
