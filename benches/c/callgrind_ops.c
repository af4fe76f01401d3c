/* Instruction counts of the game-thread calls, for scripts/bench: run under
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measure_OP
 * Each measure_* function makes N calls of one exported function; callgrind counts the
 * instructions executed inside it (on the calling thread only: collection is toggled per
 * thread), so the worker threads' work is out of the count, and the count does not move with
 * the machine's load. The caller divides the total by N.
 * Usage: callgrind_ops OP N BASE_URL ACCESS_TOKEN [MOD_ID]
 *   OP: poll (nothing queued), owns (MOD_ID after a purchased-list refresh),
 *       submit (get_wallet; each callback waited for outside the count).
 * Prints "calls=N". */
#include "modio_market.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long callbacks, failures;

static void on_wallet(void *user_data, uint64_t request_id, const modio_market_error *error,
                      const modio_market_wallet *wallet) {
    (void)user_data; (void)request_id;
    callbacks++;
    if (error || !wallet) failures++;
}

static void on_purchases(void *user_data, uint64_t request_id, const modio_market_error *error,
                         const modio_market_purchases *purchases) {
    (void)user_data; (void)request_id;
    callbacks++;
    if (error || !purchases) failures++;
}

/* noinline and externally visible: callgrind toggles collection on their entry and exit. */
__attribute__((noinline)) void measure_poll(modio_market_client *client, long n) {
    size_t ran = 0;
    for (long i = 0; i < n; i++) modio_market_client_poll(client, &ran);
}

__attribute__((noinline)) long measure_owns(const modio_market_client *client, uint64_t mod_id, long n) {
    long hits = 0;
    bool owns = false;
    for (long i = 0; i < n; i++) {
        /* Alternately an owned and an unowned id, as the wall-time row does. */
        modio_market_client_owns(client, (i & 1) ? 1 : mod_id, &owns);
        hits += owns;
    }
    return hits;
}

__attribute__((noinline)) uint64_t measure_submit(modio_market_client *client) {
    uint64_t id = 0;
    if (modio_market_client_get_wallet(client, on_wallet, NULL, &id) != MODIO_MARKET_RESULT_OK) failures++;
    return id;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s poll|owns|submit N BASE_URL TOKEN [MOD_ID]\n", argv[0]);
        return 2;
    }
    const char *op = argv[1];
    long n = atol(argv[2]);
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    if (modio_market_config_new(1, "0123456789abcdef0123456789abcdef", &config) != MODIO_MARKET_RESULT_OK ||
        modio_market_config_set_base_url(config, argv[3]) != MODIO_MARKET_RESULT_OK ||
        modio_market_client_new(config, &client) != MODIO_MARKET_RESULT_OK ||
        modio_market_client_set_access_token(client, argv[4]) != MODIO_MARKET_RESULT_OK) {
        fprintf(stderr, "callgrind_ops: setup failed\n");
        return 1;
    }
    modio_market_config_free(config);
    int ok = 1;
    if (strcmp(op, "poll") == 0) {
        measure_poll(client, n);
    } else if (strcmp(op, "owns") == 0 && argc == 6) {
        uint64_t id = 0;
        uint64_t mod_id = strtoull(argv[5], NULL, 10);
        if (modio_market_client_refresh_purchases(client, on_purchases, NULL, &id) != MODIO_MARKET_RESULT_OK ||
            modio_market_client_wait(client, id, 600000, NULL) != MODIO_MARKET_RESULT_OK || failures) {
            fprintf(stderr, "callgrind_ops: the purchased-list refresh failed\n");
            return 1;
        }
        long hits = measure_owns(client, mod_id, n);
        ok = hits == n / 2;
        if (!ok) fprintf(stderr, "callgrind_ops: owns() answered %ld hits, expected %ld\n", hits, n / 2);
    } else if (strcmp(op, "submit") == 0) {
        for (long i = 0; i < n; i++) {
            uint64_t id = measure_submit(client);
            modio_market_client_wait(client, id, 60000, NULL);
        }
        ok = callbacks == n && failures == 0;
        if (!ok) fprintf(stderr, "callgrind_ops: %ld callbacks, %ld failures for %ld submits\n", callbacks, failures, n);
    } else {
        fprintf(stderr, "callgrind_ops: unknown op %s\n", op);
        return 2;
    }
    modio_market_client_free(client);
    printf("calls=%ld\n", n);
    return ok ? 0 : 1;
}
