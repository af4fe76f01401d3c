/* A C program linked statically against the release libmodio_market.a with --gc-sections:
 * scripts/bench reports its stripped size, and runs it as one more throughput client.
 * Usage: static_wallet BASE_URL ACCESS_TOKEN N WARMUP. Prints "ok=N seconds=S cpu=S". */
#include "modio_market.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long ok_count, err_count;

static void on_wallet(void *user_data, uint64_t request_id, const modio_market_error *error,
                      const modio_market_wallet *wallet) {
    (void)user_data; (void)request_id;
    if (error || !wallet) err_count++; else ok_count++;
}

static double clock_s(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of every thread of this process (the library's workers included). */
static double cpu(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

static int one(modio_market_client *client) {
    uint64_t id = 0;
    if (modio_market_client_get_wallet(client, on_wallet, NULL, &id) != MODIO_MARKET_RESULT_OK) return 0;
    return modio_market_client_wait(client, id, 30000, NULL) == MODIO_MARKET_RESULT_OK;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s BASE_URL TOKEN N WARMUP\n", argv[0]);
        return 2;
    }
    long n = atol(argv[3]), warmup = atol(argv[4]);
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    if (modio_market_config_new(1, "0123456789abcdef0123456789abcdef", &config) != MODIO_MARKET_RESULT_OK ||
        modio_market_config_set_base_url(config, argv[1]) != MODIO_MARKET_RESULT_OK ||
        modio_market_client_new(config, &client) != MODIO_MARKET_RESULT_OK ||
        modio_market_client_set_access_token(client, argv[2]) != MODIO_MARKET_RESULT_OK) {
        fprintf(stderr, "static_wallet: setup failed\n");
        return 1;
    }
    modio_market_config_free(config);
    for (long i = 0; i < warmup; i++) one(client);
    ok_count = err_count = 0;
    double start = now(), cpu_start = cpu();
    for (long i = 0; i < n; i++) one(client);
    double seconds = now() - start, cpu_seconds = cpu() - cpu_start;
    printf("ok=%ld seconds=%.9f cpu=%.9f\n", ok_count, seconds, cpu_seconds);
    modio_market_client_free(client);
    return ok_count == n ? 0 : 1;
}
