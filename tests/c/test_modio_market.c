/*
 * tests/c/test_modio_market.c: the C ABI of modio-market, exercised as a game would use it, against
 * the fake mod.io server with its demo seed (fake-modio/README.md). Every function of
 * capi/include/modio_market.h is called (tests/c/run.sh checks that mechanically), and the checks assert
 * values (balances, ids, counts, error refs), not only result codes.
 *
 * Built by tests/c/run.sh with -std=c11 -Wall -Wextra -Wpedantic -Werror, linked once to the shared
 * and once to the static library, and run under valgrind and AddressSanitizer. Needs the
 * environment of scripts/with-fake (MODIO_MARKET_BASE_URL, MODIO_MARKET_GAME_ID,
 * MODIO_MARKET_API_KEY, MODIO_MARKET_STEAM_TICKET, FAKE_MODIO_CONTROL) and a fresh fake: the
 * checks follow the demo world's balances as they change.
 *
 * Output: one line per check ("ok" or "FAIL"), then a summary; exit status 1 when a check failed.
 */

#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "modio_market.h"

#ifndef EXPECTED_VERSION
#error "build with -DEXPECTED_VERSION=\"x.y.z\" (the version in Cargo.toml); tests/c/run.sh does"
#endif

/* ---------------------------------------------------------------------------------------------
 * The demo seed (fake-modio/README.md)
 * ------------------------------------------------------------------------------------------- */

#define GAME_ID 1u
#define API_KEY "0123456789abcdef0123456789abcdef"
#define UNMONETIZED_GAME_ID 2u
#define UNMONETIZED_API_KEY "fedcba9876543210fedcba9876543210"
#define NO_IAP_GAME_ID 3u
#define NO_IAP_API_KEY "00000000000000000000000000000003"
#define ALICE_ID 1
#define ALICE_STEAM "demo-steam-ticket-alice"
#define ALICE_XBOX "XBL3.0 x=alice;ey+/=&%?"
#define ALICE_PSN "psn-alice"
#define ALICE_META_USER 1001u
#define ALICE_META_DEVICE "quest"
#define ALICE_META_NONCE "n"
#define ALICE_META_TOKEN "meta-alice"
#define ALICE_APPLE "apple-alice"
#define ALICE_GOOGLE "google-alice"
#define ALICE_EPIC "epic-alice"
#define BOB_ID 2
#define BOB_STEAM "demo-steam-ticket-bob"
#define BOB_BALANCE 500
#define CAROL_STEAM "demo-steam-ticket-carol"

static const struct {
    uint64_t id;
    const char *name;
    int64_t price;
} SEED_MODS[] = {
    {1001, "Rogue Knight HD Pack", 100}, {1002, "Castle Siege", 250}, {1003, "Dragon Skins", 400},
    {1004, "Sunny Skies", 1500},         {1005, "Night Mode", 50},    {2001, "Free Maps", 0},
    {2002, "Free Music", 0},
};
#define SEED_MOD_COUNT (sizeof SEED_MODS / sizeof SEED_MODS[0])

/* How long a request that should succeed may take (generous: valgrind is slow). */
#define WAIT_MS 30000u
/* How long the fake holds an answer back for the "slow request" scenarios. */
#define SLOW_MS 1500u

/* A self-signed CA certificate (public; its key was thrown away), for add_root_certificate_pem. */
static const char TEST_CA_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIDJTCCAg2gAwIBAgIUdiR8Uscd+QilA13wb8RCo/U8BkYwDQYJKoZIhvcNAQEL\n"
    "BQAwITEfMB0GA1UEAwwWbW9kaW8tbWFya2V0IEMgdGVzdCBDQTAgFw0yNjExMjEy\n"
    "MzM2MDBaGA8yMTI2MTAyODIzMzYwMFowITEfMB0GA1UEAwwWbW9kaW8tbWFya2V0\n"
    "IEMgdGVzdCBDQTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBANLG0d04\n"
    "Ay6oR+FpzetCnd4lO+N1NTrL8vdXItehaMYJMuYWmVC40+GnNSbI14B27YisXKCK\n"
    "/V8+ffyD5Slki8XnpCjLx0/yO+hqwxq+OIOk5ugEGnfTyBaZEv3TTVWwiSILwRMD\n"
    "z2aHCGfYTT86kb7yvF8mm7IghSsXLbAHmjGCqSxKSvAGn7yyTOFNWmcWyBqJ9+6e\n"
    "QQT4WNtsJQWxiXTEq/8+qewWuTednVENxh4ZIph1D1OAMqrNv31d0zdXwuZtYycl\n"
    "CdmbcYtQSXBD+bRaO+zi+kForwBpB7Bh8Ub/Ch8zzDwqwa2B43WCFt1S8cH3GlZt\n"
    "ZVpTq+fmVBpvjB8CAwEAAaNTMFEwHQYDVR0OBBYEFE8Z0YmnojXKWxQZv6semOIS\n"
    "/c3iMB8GA1UdIwQYMBaAFE8Z0YmnojXKWxQZv6semOIS/c3iMA8GA1UdEwEB/wQF\n"
    "MAMBAf8wDQYJKoZIhvcNAQELBQADggEBAFHA+SiISXoo1uVp9rFwcWwGEaxOD30E\n"
    "jjzCgbsZUc6tw5+rO00UvC/WK3caJjk6ktr5nFEMczbObKn85PJPIflyOwh1BzCp\n"
    "pFIVDaLo2L+A7gWwjHXPaIIzSPuXCTZvxvEg9BIeK0ANyp153hpwqTub0iO85j/a\n"
    "29MFGcD8ll+Zdk5GObwIgXLiVsNM0q6tJ2qk0oVaEpRG71CIOow4ozXOUuO5CQfi\n"
    "TBveObbQxBzHnZgfqHLMWJzWdixnVch2TDXAKPa76xDdnmtYQdLgYIJP3TntpOY0\n"
    "IxBbwdUarSJekYZvtRTrPBL0KZIAtW1DFts8nR8Dj+n+Z2cUdYOt9r8=\n"
    "-----END CERTIFICATE-----\n";

/* ---------------------------------------------------------------------------------------------
 * A tiny check framework
 * ------------------------------------------------------------------------------------------- */

static int g_checks;
static int g_failures;

static void check_at(bool ok, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    g_checks++;
    if (!ok) {
        g_failures++;
    }
    printf("  %s ", ok ? "ok  " : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (!ok) {
        printf("   [%s:%d]", file, line);
    }
    printf("\n");
    fflush(stdout);
}

#define CHECK(cond, ...) check_at((cond), __FILE__, __LINE__, __VA_ARGS__)

static void section(const char *name)
{
    printf("\n== %s\n", name);
    fflush(stdout);
}

/* The calling thread's last error text (a static copy). */
static const char *last_error(void)
{
    static char text[2048];
    size_t length = 0;
    if (modio_market_last_error_message(text, sizeof text, &length) != MODIO_MARKET_RESULT_OK) {
        snprintf(text, sizeof text, "(no last error text)");
    }
    return text;
}

static void check_rc_at(modio_market_result got, modio_market_result want, const char *file, int line, const char *what)
{
    if (got == want) {
        check_at(true, file, line, "%s -> %s", what, modio_market_result_name(want));
    } else {
        check_at(false, file, line, "%s -> %s, got %s (%s)", what, modio_market_result_name(want),
                 modio_market_result_name(got), got == MODIO_MARKET_RESULT_OK ? "" : last_error());
    }
}

#define CHECK_RC(call, want, what) check_rc_at((call), (want), __FILE__, __LINE__, (what))

/* Whether the last error text of this thread mentions `needle` (e.g. the bad argument's name). */
static bool last_error_mentions(const char *needle)
{
    return strstr(last_error(), needle) != NULL;
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000u);
    ts.tv_nsec = (long)(ms % 1000u) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Distinct non-NULL pointers to preset out-params with, to see that failures leave them alone. */
static char g_sentinel_storage[2];
#define SENTINEL_CONFIG ((modio_market_config *)(void *)&g_sentinel_storage[0])
#define SENTINEL_CLIENT ((modio_market_client *)(void *)&g_sentinel_storage[1])
#define SENTINEL_ID UINT64_C(0xfeedfacecafebeef)
#define SENTINEL_SIZE ((size_t)0xabcdef)

/* ---------------------------------------------------------------------------------------------
 * The fake's control interface over a raw socket (HTTP/1.1, Connection: close)
 * ------------------------------------------------------------------------------------------- */

static char g_ctl_host[64];
static int g_ctl_port;
static char g_ctl_prefix[128];

static bool control_init(void)
{
    const char *url = getenv("FAKE_MODIO_CONTROL");
    if (url == NULL || strncmp(url, "http://", 7) != 0) {
        return false;
    }
    const char *host = url + 7;
    const char *colon = strchr(host, ':');
    if (colon == NULL || (size_t)(colon - host) >= sizeof g_ctl_host) {
        return false;
    }
    memcpy(g_ctl_host, host, (size_t)(colon - host));
    g_ctl_host[colon - host] = '\0';
    if (strcmp(g_ctl_host, "localhost") == 0) {
        snprintf(g_ctl_host, sizeof g_ctl_host, "127.0.0.1");
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (port <= 0 || port > 65535) {
        return false;
    }
    g_ctl_port = (int)port;
    copy_text(g_ctl_prefix, sizeof g_ctl_prefix, end); /* "/_control" */
    return true;
}

/* Sends one control request; returns the body (malloc'ed, caller frees) and writes the status. */
static char *control(const char *method, const char *path, const char *body, int *status_out)
{
    *status_out = -1;
    if (body == NULL) {
        body = "";
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return NULL;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)g_ctl_port);
    if (inet_pton(AF_INET, g_ctl_host, &addr.sin_addr) != 1 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return NULL;
    }
    size_t body_len = strlen(body);
    size_t req_cap = 512 + body_len;
    char *request = malloc(req_cap);
    if (request == NULL) {
        close(fd);
        return NULL;
    }
    int head = snprintf(request, req_cap,
                        "%s %s%s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        method, g_ctl_prefix, path, g_ctl_host, g_ctl_port, body_len, body);
    size_t to_send = (size_t)head;
    size_t sent = 0;
    while (sent < to_send) {
        ssize_t n = send(fd, request + sent, to_send - sent, 0);
        if (n <= 0) {
            free(request);
            close(fd);
            return NULL;
        }
        sent += (size_t)n;
    }
    free(request);

    size_t cap = 65536, len = 0;
    char *buffer = malloc(cap + 1);
    if (buffer == NULL) {
        close(fd);
        return NULL;
    }
    size_t header_end = 0, content_length = 0;
    bool have_length = false;
    for (;;) {
        if (len == cap) {
            char *bigger = realloc(buffer, cap * 2 + 1);
            if (bigger == NULL) {
                break;
            }
            buffer = bigger;
            cap *= 2;
        }
        ssize_t n = recv(fd, buffer + len, cap - len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        buffer[len] = '\0';
        if (header_end == 0) {
            char *sep = strstr(buffer, "\r\n\r\n");
            if (sep != NULL) {
                header_end = (size_t)(sep - buffer) + 4;
                for (char *p = buffer; p < sep; p++) {
                    if (strncasecmp(p, "\r\ncontent-length:", 17) == 0) {
                        content_length = (size_t)strtoul(p + 17, NULL, 10);
                        have_length = true;
                        break;
                    }
                }
            }
        }
        if (header_end != 0 && have_length && len >= header_end + content_length) {
            break;
        }
    }
    close(fd);
    buffer[len] = '\0';
    int status = -1;
    if (len > 12 && strncmp(buffer, "HTTP/1.", 7) == 0) {
        status = atoi(buffer + 9);
    }
    *status_out = status;
    if (header_end == 0) {
        free(buffer);
        return NULL;
    }
    memmove(buffer, buffer + header_end, len - header_end + 1);
    return buffer;
}

/* A control call whose answer must be 200; the body is discarded. */
static bool control_ok(const char *method, const char *path, const char *body)
{
    int status = 0;
    char *answer = control(method, path, body, &status);
    free(answer);
    return status == 200;
}

/* The first integer value of "key" in a JSON text (the fake writes compact JSON). */
static bool json_int(const char *json, const char *key, int64_t *out)
{
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = json ? strstr(json, pattern) : NULL;
    if (p == NULL) {
        return false;
    }
    p += strlen(pattern);
    while (*p == ' ') {
        p++;
    }
    char *end = NULL;
    long long value = strtoll(p, &end, 10);
    if (end == p) {
        return false;
    }
    *out = (int64_t)value;
    return true;
}

static int count_occurrences(const char *haystack, const char *needle)
{
    int n = 0;
    size_t step = strlen(needle);
    for (const char *p = haystack ? strstr(haystack, needle) : NULL; p != NULL; p = strstr(p + step, needle)) {
        n++;
    }
    return n;
}

struct charge {
    int64_t user_id, mod_id, amount, transaction_id;
    char key[300];
};

/* GET /_control/charges, parsed: a flat array of flat objects. Returns the count, -1 on error. */
static int read_charges(struct charge *out, int max)
{
    int status = 0;
    char *json = control("GET", "/charges", NULL, &status);
    if (json == NULL || status != 200) {
        free(json);
        return -1;
    }
    int n = 0;
    for (char *open = strchr(json, '{'); open != NULL && n < max; open = strchr(open + 1, '{')) {
        char *close_brace = strchr(open, '}');
        if (close_brace == NULL) {
            break;
        }
        *close_brace = '\0';
        struct charge *c = &out[n++];
        memset(c, 0, sizeof *c);
        json_int(open, "user_id", &c->user_id);
        json_int(open, "mod_id", &c->mod_id);
        json_int(open, "amount", &c->amount);
        json_int(open, "transaction_id", &c->transaction_id);
        const char *k = strstr(open, "\"idempotent_key\":\"");
        if (k != NULL) {
            k += strlen("\"idempotent_key\":\"");
            const char *q = strchr(k, '"');
            if (q != NULL && (size_t)(q - k) < sizeof c->key) {
                memcpy(c->key, k, (size_t)(q - k));
                c->key[q - k] = '\0';
            }
        }
        open = close_brace;
    }
    free(json);
    return n;
}

/* The fake's own idea of a user's balance (GET /_control/users/{id}). */
static int64_t fake_balance(int user_id)
{
    char path[64];
    snprintf(path, sizeof path, "/users/%d", user_id);
    int status = 0;
    char *json = control("GET", path, NULL, &status);
    int64_t balance = INT64_MIN;
    if (json == NULL || status != 200 || !json_int(json, "balance", &balance)) {
        balance = INT64_MIN;
    }
    free(json);
    return balance;
}

/* Makes the fake answer the next `count` GETs of `path` late (it processes them at once). */
static bool add_delay(const char *path, const char *method, unsigned ms, unsigned count)
{
    char body[256];
    snprintf(body, sizeof body, "{\"path\":\"%s\",\"method\":\"%s\",\"count\":%u,\"kind\":\"delay\",\"ms\":%u}", path,
             method, count, ms);
    return control_ok("POST", "/faults", body);
}

/* ---------------------------------------------------------------------------------------------
 * Capturing callbacks: everything a callback receives is copied into an `outcome`
 * ------------------------------------------------------------------------------------------- */

enum action {
    ACT_NONE,
    ACT_REENTER,        /* call poll/wait from inside the callback */
    ACT_FREE,           /* free the client from inside the callback */
    ACT_SUBMIT,         /* start another request from inside the callback */
    ACT_SHUTDOWN_PROBE, /* on SHUT_DOWN: submit and poll from inside free */
    ACT_SHUTDOWN_FREE,  /* on SHUT_DOWN: free again from inside free */
    ACT_OWNS,           /* ask owns() from inside the callback */
    ACT_FREE_THEN_REENTER,          /* free, then poll/wait, from inside the callback */
    ACT_S2S_REENTER,                /* S2S: poll/wait from inside the callback */
    ACT_S2S_FREE_THEN_REENTER,      /* S2S: free, then poll, from inside the callback */
    ACT_SHUTDOWN_FREE_THEN_REENTER, /* on SHUT_DOWN: free again, then poll, from inside free */
};

struct mod_copy {
    uint64_t id, game_id, modfile_id, filesize, downloads_total;
    char name[64], name_id[64], summary[160], logo_url[256], profile_url[256], md5[40], version[24], rating_text[48];
    int64_t price;
    uint32_t rating_percent;
    double rating_weighted;
    bool json_has_name;
    int null_strings; /* how many of the documented string fields were NULL */
};

struct outcome {
    /* behaviour */
    enum action action;
    modio_market_client *client;
    modio_market_s2s_client *s2s_client;
    uint64_t action_mod_id;
    struct outcome *child;
    uint64_t child_id;
    modio_market_result inner_rc[3];
    size_t inner_count;
    bool inner_owns;

    /* every callback */
    int calls;
    uint64_t request_id;
    int seq;
    pthread_t thread;
    bool inside_pump; /* ran inside this thread's poll/wait/free */
    bool exactly_one; /* exactly one of error/result was non-NULL */
    bool ok;

    /* the error */
    modio_market_result code;
    uint32_t http_status;
    int64_t error_ref;
    bool error_ref_name_null;
    char error_ref_name[64];
    char message[512];
    int64_t retry_after;
    size_t field_error_count;
    char first_field[64];

    /* the results */
    char token[512];
    int64_t date_expires;
    struct {
        char wallet_type[32], currency[32], payment_method_id[64];
        uint64_t game_id;
        int64_t balance, pending, deficit;
        uint32_t status;
    } wallet;
    struct {
        int64_t balance;
        size_t count;
        char sku[8][32];
        char transaction_id[8][32];
        char state_name[8][32];
        int64_t state[8];
        int64_t type[8];
        bool consumed[8];
        bool details_null[8];
    } sync;
    struct {
        uint64_t id;
        char name[64], token_name[32];
        uint32_t flags;
        bool open, direct, authorised, paid_only, json_has_flags;
    } game;
    struct {
        size_t count;
        uint64_t ids[128];
        int64_t prices[128];
        uint64_t offset, limit, total;
        bool mods_null;
        struct mod_copy first;
    } page;
    struct mod_copy mod;
    struct {
        uint64_t transaction_id;
        char gateway_uuid[64], state_name[32], key[300], wallet_type[32], tax_type[32];
        int64_t gross, net, platform_fee, gateway_fee, tax, purchase_date, balance, deficit;
        uint32_t state;
        bool meta_json_set;
        struct mod_copy purchased;
    } checkout;
    struct {
        size_t count;
        uint64_t ids[128];
    } purchases;
    struct {
        char entity[64];
        size_t token_length;
        bool token_differs_from_access_token;
    } delegation;
    struct {
        char token_type[32], scopes[96];
        int64_t expires_in;
    } service;
    struct {
        uint64_t id;
        uint32_t state;
        char state_name[32], key[300];
        bool key_null;
        int64_t gross;
        size_t meta_count;
        uint64_t meta_game_id, meta_buyer_id, meta_token_pack_id;
        char meta_game_name[64], meta_buyer_name[64], meta_token_name[32], meta_token_pack_name[64];
        bool meta_json_set;
    } s2s;
    struct {
        char agree[64], disagree[64], plaintext[1024];
        size_t link_count;
        bool terms_link_required, https_links;
    } terms;
    struct {
        uint64_t id;
        char username[64];
    } user;
    struct {
        size_t count, steam;
        char token_name[32];
        int64_t gold_1000_amount, gold_1000_price;
    } packs;
    struct {
        size_t count, token_packs;
        uint64_t total;
        char first_sku[32];
    } unconverted;
    struct {
        uint64_t id, mod_id, filesize, filesize_uncompressed;
        char md5[40], filename[64], version[24], binary_url[512];
        int64_t date_expires;
    } modfile;
    struct {
        uint64_t mod_id, modfile_id, size;
        char version[24], md5[40], path[512];
        int64_t installed_at;
    } installed;
    struct {
        int calls, after_completion, outside_pump, wrong_id, backwards;
        uint64_t done, total;
    } progress;
    struct {
        size_t count, first_line_items;
        uint64_t ids[16], first_buyer, per_page;
        char first_gateway_uuid[64], first_state_name[32], next_cursor[256];
        bool next_null, json_set;
        int64_t first_gross;
    } history;
};

static _Thread_local int t_pumping; /* > 0 while this thread is inside poll/wait/free */
static int g_seq;                    /* order in which callbacks ran (main-thread tests) */
static pthread_mutex_t g_seq_lock = PTHREAD_MUTEX_INITIALIZER;

static modio_market_result pump_wait(modio_market_client *c, uint64_t id, uint32_t ms, size_t *ran)
{
    t_pumping++;
    modio_market_result rc = modio_market_client_wait(c, id, ms, ran);
    t_pumping--;
    return rc;
}

static modio_market_result pump_poll(modio_market_client *c, size_t *ran)
{
    t_pumping++;
    modio_market_result rc = modio_market_client_poll(c, ran);
    t_pumping--;
    return rc;
}

static void free_client(modio_market_client *c)
{
    t_pumping++;
    modio_market_client_free(c);
    t_pumping--;
}

static struct outcome *fresh(struct outcome *o)
{
    memset(o, 0, sizeof *o);
    return o;
}

static void on_game(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_game *game);
static void on_mod(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_mod *mod);

static void run_action(struct outcome *o, const modio_market_error *error)
{
    size_t ran = SENTINEL_SIZE;
    switch (o->action) {
    case ACT_NONE:
        break;
    case ACT_REENTER:
        o->inner_rc[0] = modio_market_client_poll(o->client, &ran);
        o->inner_rc[1] = modio_market_client_wait(o->client, 0, 10, &ran);
        o->inner_rc[2] = modio_market_client_wait(o->client, o->request_id, 10, &ran);
        o->inner_count = ran; /* must still be the sentinel: out-params only on success */
        break;
    case ACT_FREE:
        modio_market_client_free(o->client);
        /* Deferred: the client stays usable until this poll/wait returns. */
        o->inner_rc[0] = modio_market_client_pending_requests(o->client, &o->inner_count);
        break;
    case ACT_SUBMIT:
        o->inner_rc[0] = modio_market_client_get_mod(o->client, o->action_mod_id, on_mod, o->child, &o->child_id);
        break;
    case ACT_SHUTDOWN_PROBE:
        if (error != NULL && error->code == MODIO_MARKET_RESULT_SHUT_DOWN) {
            o->child_id = SENTINEL_ID;
            o->inner_rc[0] = modio_market_client_get_game(o->client, on_game, o->child, &o->child_id);
            o->inner_rc[1] = modio_market_client_poll(o->client, NULL);
        }
        break;
    case ACT_SHUTDOWN_FREE:
        if (error != NULL && error->code == MODIO_MARKET_RESULT_SHUT_DOWN) {
            modio_market_client_free(o->client); /* a second free from inside free: must be harmless */
            o->inner_rc[0] = MODIO_MARKET_RESULT_OK;
        }
        break;
    case ACT_FREE_THEN_REENTER:
        modio_market_client_free(o->client);
        o->inner_rc[0] = modio_market_client_poll(o->client, &ran);
        o->inner_rc[1] = modio_market_client_wait(o->client, 0, 10, &ran);
        o->inner_rc[2] = modio_market_client_pending_requests(o->client, &o->inner_count);
        break;
    case ACT_S2S_REENTER:
        o->inner_rc[0] = modio_market_s2s_client_poll(o->s2s_client, &ran);
        o->inner_rc[1] = modio_market_s2s_client_wait(o->s2s_client, 0, 10, &ran);
        o->inner_count = ran;
        break;
    case ACT_S2S_FREE_THEN_REENTER:
        modio_market_s2s_client_free(o->s2s_client);
        o->inner_rc[0] = modio_market_s2s_client_poll(o->s2s_client, &ran);
        break;
    case ACT_SHUTDOWN_FREE_THEN_REENTER:
        if (error != NULL && error->code == MODIO_MARKET_RESULT_SHUT_DOWN) {
            modio_market_client_free(o->client);
            o->inner_rc[0] = modio_market_client_poll(o->client, NULL);
        }
        break;
    case ACT_OWNS:
        o->inner_rc[0] = modio_market_client_owns(o->client, o->action_mod_id, &o->inner_owns);
        break;
    }
}

/* The part every callback shares. Returns true when there is a result to copy. */
/* ABI 1.0: every view the library hands out carries its struct_size. Counted here, checked at
 * the end of main. */
static int g_views, g_bad_views;
#define VIEW(p, T) (g_views++, g_bad_views += ((p) == NULL || (p)->struct_size != sizeof(T)))

static bool record(struct outcome *o, uint64_t request_id, const modio_market_error *error, const void *result)
{
    o->calls++;
    o->request_id = request_id;
    pthread_mutex_lock(&g_seq_lock);
    o->seq = ++g_seq;
    pthread_mutex_unlock(&g_seq_lock);
    o->thread = pthread_self();
    o->inside_pump = t_pumping > 0;
    o->exactly_one = (error == NULL) != (result == NULL);
    o->ok = error == NULL && result != NULL;
    if (error != NULL) {
        VIEW(error, modio_market_error);
        for (size_t i = 0; i < error->field_error_count; i++) {
            VIEW(error->field_errors[i], modio_market_field_error);
        }
        o->code = error->code;
        o->http_status = error->http_status;
        o->error_ref = error->error_ref;
        o->error_ref_name_null = error->error_ref_name == NULL;
        copy_text(o->error_ref_name, sizeof o->error_ref_name, error->error_ref_name);
        copy_text(o->message, sizeof o->message, error->message);
        o->retry_after = error->retry_after_secs;
        o->field_error_count = error->field_error_count;
        if (error->field_error_count > 0 && error->field_errors != NULL) {
            copy_text(o->first_field, sizeof o->first_field, error->field_errors[0]->field);
        }
    }
    run_action(o, error);
    return o->ok;
}

static void copy_mod(struct mod_copy *d, const modio_market_mod *m)
{
    const char *strings[] = {m->name, m->name_id, m->summary, m->logo_url, m->profile_url,
                             m->md5,  m->version, m->rating_display_text, m->json};
    d->null_strings = 0;
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        d->null_strings += strings[i] == NULL;
    }
    d->id = m->id;
    d->game_id = m->game_id;
    copy_text(d->name, sizeof d->name, m->name);
    copy_text(d->name_id, sizeof d->name_id, m->name_id);
    copy_text(d->summary, sizeof d->summary, m->summary);
    d->price = m->price;
    copy_text(d->logo_url, sizeof d->logo_url, m->logo_url);
    copy_text(d->profile_url, sizeof d->profile_url, m->profile_url);
    d->modfile_id = m->modfile_id;
    d->filesize = m->filesize;
    copy_text(d->md5, sizeof d->md5, m->md5);
    copy_text(d->version, sizeof d->version, m->version);
    d->downloads_total = m->downloads_total;
    d->rating_percent = m->rating_percentage_positive;
    d->rating_weighted = m->rating_weighted_aggregate;
    copy_text(d->rating_text, sizeof d->rating_text, m->rating_display_text);
    d->json_has_name = m->json != NULL && m->name != NULL && strstr(m->json, m->name) != NULL;
}

static void on_auth(void *user_data, uint64_t request_id, const modio_market_error *error,
                    const modio_market_access_token *token)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, token)) {
        return;
    }
    copy_text(o->token, sizeof o->token, token->access_token);
    o->date_expires = token->date_expires;
}

static void on_wallet(void *user_data, uint64_t request_id, const modio_market_error *error,
                      const modio_market_wallet *wallet)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, wallet)) {
        return;
    }
    VIEW(wallet, modio_market_wallet);
    copy_text(o->wallet.wallet_type, sizeof o->wallet.wallet_type, wallet->wallet_type);
    copy_text(o->wallet.currency, sizeof o->wallet.currency, wallet->currency);
    copy_text(o->wallet.payment_method_id, sizeof o->wallet.payment_method_id, wallet->payment_method_id);
    o->wallet.game_id = wallet->game_id;
    o->wallet.balance = wallet->balance;
    o->wallet.pending = wallet->pending_balance;
    o->wallet.deficit = wallet->deficit;
    o->wallet.status = wallet->monetization_status;
}

static void on_sync(void *user_data, uint64_t request_id, const modio_market_error *error,
                    const modio_market_entitlement_sync *sync)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, sync)) {
        return;
    }
    o->sync.balance = sync->balance;
    o->sync.count = sync->entitlement_count;
    for (size_t i = 0; i < sync->entitlement_count && i < 8; i++) {
        const modio_market_entitlement *e = sync->entitlements[i];
        VIEW(e, modio_market_entitlement);
        copy_text(o->sync.sku[i], sizeof o->sync.sku[i], e->sku_id);
        copy_text(o->sync.transaction_id[i], sizeof o->sync.transaction_id[i], e->transaction_id);
        copy_text(o->sync.state_name[i], sizeof o->sync.state_name[i], e->state_name);
        o->sync.state[i] = e->state;
        o->sync.type[i] = e->entitlement_type;
        o->sync.consumed[i] = e->consumed;
        o->sync.details_null[i] = e->details_json == NULL;
    }
}

static void on_game(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_game *game)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, game)) {
        return;
    }
    o->game.id = game->id;
    copy_text(o->game.name, sizeof o->game.name, game->name);
    copy_text(o->game.token_name, sizeof o->game.token_name, game->token_name);
    o->game.flags = game->api_access_options;
    o->game.open = game->open;
    o->game.direct = game->direct_downloads;
    o->game.authorised = game->authorised_downloads_only;
    o->game.paid_only = game->paid_downloads_need_purchase;
    o->game.json_has_flags = game->json != NULL && strstr(game->json, "api_access_options") != NULL;
}

static void on_mod_page(void *user_data, uint64_t request_id, const modio_market_error *error,
                        const modio_market_mod_page *page)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, page)) {
        return;
    }
    VIEW(page, modio_market_mod_page);
    for (size_t i = 0; i < page->mod_count; i++) {
        VIEW(page->mods[i], modio_market_mod);
    }
    o->page.count = page->mod_count;
    o->page.mods_null = page->mods == NULL;
    o->page.offset = page->result_offset;
    o->page.limit = page->result_limit;
    o->page.total = page->result_total;
    for (size_t i = 0; i < page->mod_count && i < 128; i++) {
        o->page.ids[i] = page->mods[i]->id;
        o->page.prices[i] = page->mods[i]->price;
    }
    if (page->mod_count > 0) {
        copy_mod(&o->page.first, page->mods[0]);
    }
}

static void on_mod(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_mod *mod)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, mod)) {
        return;
    }
    copy_mod(&o->mod, mod);
}

static void on_checkout(void *user_data, uint64_t request_id, const modio_market_error *error,
                        const modio_market_checkout *checkout)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, checkout)) {
        return;
    }
    VIEW(checkout, modio_market_checkout);
    VIEW(checkout->transaction, modio_market_transaction);
    VIEW(checkout->purchased_mod, modio_market_mod);
    const modio_market_transaction *t = checkout->transaction;
    o->checkout.transaction_id = t->id;
    copy_text(o->checkout.gateway_uuid, sizeof o->checkout.gateway_uuid, t->gateway_uuid);
    o->checkout.gross = t->gross_amount;
    o->checkout.net = t->net_amount;
    o->checkout.platform_fee = t->platform_fee;
    o->checkout.gateway_fee = t->gateway_fee;
    o->checkout.tax = t->tax;
    copy_text(o->checkout.tax_type, sizeof o->checkout.tax_type, t->tax_type);
    o->checkout.state = t->state;
    copy_text(o->checkout.state_name, sizeof o->checkout.state_name, t->state_name);
    o->checkout.meta_json_set = t->meta_json != NULL;
    o->checkout.purchase_date = t->purchase_date;
    o->checkout.balance = checkout->balance;
    o->checkout.deficit = checkout->deficit;
    copy_text(o->checkout.wallet_type, sizeof o->checkout.wallet_type, checkout->wallet_type);
    copy_text(o->checkout.key, sizeof o->checkout.key, checkout->idempotency_key);
    if (checkout->purchased_mod != NULL) {
        copy_mod(&o->checkout.purchased, checkout->purchased_mod);
    }
}

static void on_purchases(void *user_data, uint64_t request_id, const modio_market_error *error,
                         const modio_market_purchases *purchases)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, purchases)) {
        return;
    }
    o->purchases.count = purchases->mod_count;
    for (size_t i = 0; i < purchases->mod_count && i < 128; i++) {
        o->purchases.ids[i] = purchases->mods[i]->id;
    }
}

static char g_alice_token[512];      /* alice's access token from Steam sign-in (never printed) */
static char g_delegation_token[512]; /* alice's last delegation token (never printed) */

static void on_delegation(void *user_data, uint64_t request_id, const modio_market_error *error,
                          const modio_market_delegation_token *token)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, token)) {
        return;
    }
    copy_text(o->delegation.entity, sizeof o->delegation.entity, token->entity);
    o->delegation.token_length = token->token ? strlen(token->token) : 0;
    o->delegation.token_differs_from_access_token = token->token != NULL && strcmp(token->token, g_alice_token) != 0;
    copy_text(g_delegation_token, sizeof g_delegation_token, token->token);
}

static void on_service_token(void *user_data, uint64_t request_id, const modio_market_error *error,
                             const modio_market_s2s_service_token *token)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, token)) {
        return;
    }
    copy_text(o->service.token_type, sizeof o->service.token_type, token->token_type);
    copy_text(o->service.scopes, sizeof o->service.scopes, token->scopes);
    o->service.expires_in = token->expires_in_secs;
}

static void on_s2s_transaction(void *user_data, uint64_t request_id, const modio_market_error *error,
                               const modio_market_s2s_transaction *t)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, t)) {
        return;
    }
    VIEW(t, modio_market_s2s_transaction);
    VIEW(t->transaction, modio_market_transaction);
    for (size_t i = 0; i < t->meta_count; i++) {
        VIEW(t->meta[i], modio_market_s2s_meta_line);
    }
    o->s2s.id = t->transaction->id;
    o->s2s.state = t->transaction->state;
    copy_text(o->s2s.state_name, sizeof o->s2s.state_name, t->transaction->state_name);
    o->s2s.gross = t->transaction->gross_amount;
    o->s2s.key_null = t->idempotency_key == NULL;
    copy_text(o->s2s.key, sizeof o->s2s.key, t->idempotency_key);
    o->s2s.meta_count = t->meta_count;
    if (t->meta_count > 0 && t->meta != NULL) {
        const modio_market_s2s_meta_line *m = t->meta[0];
        o->s2s.meta_game_id = m->game_id;
        o->s2s.meta_buyer_id = m->buyer_id;
        o->s2s.meta_token_pack_id = m->token_pack_id;
        copy_text(o->s2s.meta_game_name, sizeof o->s2s.meta_game_name, m->game_name);
        copy_text(o->s2s.meta_buyer_name, sizeof o->s2s.meta_buyer_name, m->buyer_name);
        copy_text(o->s2s.meta_token_name, sizeof o->s2s.meta_token_name, m->token_name);
        copy_text(o->s2s.meta_token_pack_name, sizeof o->s2s.meta_token_pack_name, m->token_pack_name);
        o->s2s.meta_json_set = m->json != NULL && m->json[0] != '\0';
    }
}

/* ---------------------------------------------------------------------------------------------
 * Request helpers
 * ------------------------------------------------------------------------------------------- */

static const char *g_base_url;

static modio_market_client *new_client_with(uint64_t game_id, const char *api_key, uint32_t threads)
{
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    if (modio_market_config_new(game_id, api_key, &config) != MODIO_MARKET_RESULT_OK ||
        modio_market_config_set_base_url(config, g_base_url) != MODIO_MARKET_RESULT_OK ||
        (threads != 0 && modio_market_config_set_worker_threads(config, threads) != MODIO_MARKET_RESULT_OK) ||
        modio_market_client_new(config, &client) != MODIO_MARKET_RESULT_OK) {
        printf("  FAIL could not create a client: %s\n", last_error());
        g_failures++;
        modio_market_config_free(config);
        return NULL;
    }
    modio_market_config_free(config); /* the client keeps its own copy */
    return client;
}

static modio_market_client *new_client(void)
{
    return new_client_with(GAME_ID, API_KEY, 0);
}

/* Waits for `id`'s callback; checks it ran exactly once, inside the wait, on this thread. */
static bool await(modio_market_client *c, uint64_t id, struct outcome *o, const char *what)
{
    modio_market_result rc = pump_wait(c, id, WAIT_MS, NULL);
    bool ok = rc == MODIO_MARKET_RESULT_OK && o->calls == 1 && o->request_id == id && o->inside_pump &&
              pthread_equal(o->thread, pthread_self()) && o->exactly_one;
    CHECK(ok, "%s: callback ran once, inside wait, on this thread, with its id (wait -> %s, calls %d)", what,
          modio_market_result_name(rc), o->calls);
    return ok;
}

/* Submission returned `rc`; waits for the callback. */
/* Submission returned `rc` and wrote the request id to `*id` (read only now: C leaves the order in
 * which a call's arguments are evaluated unspecified, so the id must not be passed by value). */
static bool started(modio_market_client *c, modio_market_result rc, const uint64_t *id, struct outcome *o, const char *what)
{
    if (rc != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "%s: submitted (got %s: %s)", what, modio_market_result_name(rc), last_error());
        return false;
    }
    return await(c, *id, o, what);
}

static bool expect_ok(const struct outcome *o, const char *what)
{
    CHECK(o->ok, "%s: succeeded%s%s", what, o->ok ? "" : " -- failed with ", o->ok ? "" : o->message);
    return o->ok;
}

static void expect_http_error(const struct outcome *o, uint32_t status, int64_t error_ref, const char *ref_name,
                              const char *what)
{
    bool ok = o->calls == 1 && !o->ok && o->code == MODIO_MARKET_RESULT_HTTP && o->http_status == status &&
              o->error_ref == error_ref && strcmp(o->error_ref_name, ref_name) == 0 && o->message[0] != '\0';
    if (ok) {
        CHECK(ok, "%s: HTTP %" PRIu32 " / %" PRId64 " %s", what, status, error_ref, ref_name);
    } else {
        CHECK(ok, "%s: HTTP %" PRIu32 " / %" PRId64 " %s (got %s, calls %d, HTTP %" PRIu32 ", ref %" PRId64 " %s: %s)", what,
              status, error_ref, ref_name, modio_market_result_name(o->code), o->calls, o->http_status, o->error_ref,
              o->error_ref_name, o->message);
    }
}

static void expect_code(const struct outcome *o, modio_market_result code, const char *what)
{
    CHECK(o->calls == 1 && !o->ok && o->code == code && o->http_status == 0 && o->message[0] != '\0',
          "%s: callback error %s (got %s, calls %d)", what, modio_market_result_name(code),
          modio_market_result_name(o->code), o->calls);
}

/* An operation that needs a token, on a client without one: NOT_AUTHENTICATED, at submission or
 * in the callback (the header allows either). */
static void expect_not_authenticated(modio_market_client *c, modio_market_result rc, const uint64_t *id, struct outcome *o,
                                     const char *what)
{
    if (rc == MODIO_MARKET_RESULT_NOT_AUTHENTICATED) {
        CHECK(o->calls == 0, "%s: refused at submission with NOT_AUTHENTICATED", what);
        return;
    }
    if (started(c, rc, id, o, what)) {
        expect_code(o, MODIO_MARKET_RESULT_NOT_AUTHENTICATED, what);
    }
}

static bool do_wallet(modio_market_client *c, struct outcome *o)
{
    uint64_t id = 0;
    fresh(o);
    return started(c, modio_market_client_get_wallet(c, on_wallet, o, &id), &id, o, "get_wallet") && o->ok;
}

static bool do_refresh(modio_market_client *c, struct outcome *o)
{
    uint64_t id = 0;
    fresh(o);
    return started(c, modio_market_client_refresh_purchases(c, on_purchases, o, &id), &id, o, "refresh_purchases") && o->ok;
}

static bool do_checkout(modio_market_client *c, uint64_t mod_id, int64_t amount, const char *key, struct outcome *o,
                        const char *what)
{
    uint64_t id = 0;
    fresh(o);
    return started(c, modio_market_client_checkout(c, mod_id, amount, key, on_checkout, o, &id), &id, o, what);
}

static bool do_get_mods(modio_market_client *c, uint32_t revenue, uint64_t offset, uint32_t limit, const char *search,
                        struct outcome *o, const char *what)
{
    uint64_t id = 0;
    fresh(o);
    return started(c, modio_market_client_get_mods(c, revenue, offset, limit, search, on_mod_page, o, &id), &id, o,
                   what) &&
           expect_ok(o, what);
}

static bool do_auth_steam(modio_market_client *c, const char *ticket, bool terms, struct outcome *o, const char *what)
{
    uint64_t id = 0;
    fresh(o);
    return started(c, modio_market_client_auth_steam(c, ticket, terms, on_auth, o, &id), &id, o, what);
}

static int64_t wallet_balance(modio_market_client *c)
{
    struct outcome o;
    return do_wallet(c, &o) ? o.wallet.balance : INT64_MIN;
}

static bool owns(const modio_market_client *c, uint64_t mod_id)
{
    bool owned = false;
    modio_market_result rc = modio_market_client_owns(c, mod_id, &owned);
    if (rc != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "owns(%" PRIu64 ") -> OK, got %s", mod_id, modio_market_result_name(rc));
    }
    return owned;
}

static bool id_in(uint64_t id, const uint64_t *ids, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

static int64_t seed_price(uint64_t id)
{
    for (size_t i = 0; i < SEED_MOD_COUNT; i++) {
        if (SEED_MODS[i].id == id) {
            return SEED_MODS[i].price;
        }
    }
    return -1;
}

static bool is_hex(const char *s, size_t length)
{
    if (strlen(s) != length) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* 8-4-4-4-12 hex digits. */
static bool is_uuid(const char *s)
{
    static const size_t groups[] = {8, 4, 4, 4, 12};
    if (strlen(s) != 36) {
        return false;
    }
    for (size_t g = 0, pos = 0; g < 5; g++) {
        for (size_t i = 0; i < groups[g]; i++, pos++) {
            if (!isxdigit((unsigned char)s[pos])) {
                return false;
            }
        }
        if (g < 4 && s[pos++] != '-') {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------------------------------------
 * Library-wide functions
 * ------------------------------------------------------------------------------------------- */

struct thread_error {
    modio_market_result rc;
    bool mentions_threads;
    bool mentions_game_id;
};

static void *other_thread_error(void *arg)
{
    struct thread_error *te = arg;
    modio_market_config *config = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
        te->rc = modio_market_config_set_worker_threads(config, 0);
        te->mentions_threads = last_error_mentions("threads");
        te->mentions_game_id = last_error_mentions("game_id");
        modio_market_config_free(config);
    }
    return NULL;
}

static void test_library(void)
{
    section("version, result names and messages, error refs, last error");
    const char *version = modio_market_version();
    CHECK(version != NULL && strcmp(version, EXPECTED_VERSION) == 0, "version is \"%s\" (Cargo.toml: %s)",
          version ? version : "(null)", EXPECTED_VERSION);
    CHECK(modio_market_version() == version, "version is a static string (same pointer every call)");
    char from_macros[64];
    snprintf(from_macros, sizeof from_macros, "%d.%d.%d", MODIO_MARKET_VERSION_MAJOR, MODIO_MARKET_VERSION_MINOR,
             MODIO_MARKET_VERSION_PATCH);
    CHECK(version != NULL && strcmp(version, from_macros) == 0, "the header's version macros say %s, the library %s", from_macros,
          version ? version : "(null)");
    CHECK(MODIO_MARKET_VERSION_CHECK(), "MODIO_MARKET_VERSION_CHECK(): the library serves this header");
    CHECK(modio_market_version_is_compatible(MODIO_MARKET_VERSION_MAJOR, 0), "it serves a header of an older minor version");
    CHECK(!modio_market_version_is_compatible(MODIO_MARKET_VERSION_MAJOR, MODIO_MARKET_VERSION_MINOR + 1),
          "it refuses a header newer than itself");
    CHECK(!modio_market_version_is_compatible(MODIO_MARKET_VERSION_MAJOR + 1, 0), "it refuses another major version");

#define CODE(x) {MODIO_MARKET_RESULT_##x, "MODIO_MARKET_RESULT_" #x}
    static const struct {
        modio_market_result code;
        const char *name;
    } codes[] = {
        CODE(OK),          CODE(NULL_POINTER),      CODE(INVALID_UTF8),      CODE(INVALID_ARGUMENT),
        CODE(UNKNOWN_ENUM_VALUE), CODE(NOT_AUTHENTICATED), CODE(DNS),        CODE(CONNECT),
        CODE(TLS),         CODE(TIMEOUT),           CODE(TRANSPORT),         CODE(INSECURE_URL),
        CODE(HTTP),        CODE(MALFORMED_RESPONSE), CODE(RESPONSE_TOO_LARGE), CODE(RATE_LIMITED),
        CODE(CANCELLED),   CODE(SHUT_DOWN),         CODE(REENTRANT),         CODE(WAIT_TIMED_OUT),
        CODE(REQUEST_NOT_FOUND), CODE(ALREADY_COMPLETED), CODE(BUFFER_TOO_SMALL), CODE(IO),
        CODE(INTERNAL),
    };
#undef CODE
    size_t n_codes = sizeof codes / sizeof codes[0];
    int bad_names = 0, bad_messages = 0, duplicate_messages = 0;
    for (size_t i = 0; i < n_codes; i++) {
        const char *name = modio_market_result_name(codes[i].code);
        const char *message = modio_market_result_message(codes[i].code);
        if (name == NULL || strcmp(name, codes[i].name) != 0) {
            bad_names++;
            printf("       %s named %s\n", codes[i].name, name ? name : "(null)");
        }
        if (message == NULL || message[0] == '\0') {
            bad_messages++;
        }
        for (size_t j = 0; j < i && message != NULL; j++) {
            const char *other = modio_market_result_message(codes[j].code);
            if (other != NULL && strcmp(other, message) == 0) {
                duplicate_messages++;
            }
        }
    }
    CHECK(bad_names == 0, "result_name names all %zu result codes after their constants", n_codes);
    CHECK(bad_messages == 0 && duplicate_messages == 0, "result_message gives each code its own non-empty text");
    CHECK(strcmp(modio_market_result_message(MODIO_MARKET_RESULT_TIMEOUT), "the request timed out") == 0,
          "result_message(TIMEOUT) is the header's example \"the request timed out\"");
    static const uint32_t unknown_codes[] = {6, 9, 16, 43, 9999, UINT32_MAX};
    int unknown_ok = 0;
    for (size_t i = 0; i < sizeof unknown_codes / sizeof unknown_codes[0]; i++) {
        const char *name = modio_market_result_name(unknown_codes[i]);
        const char *message = modio_market_result_message(unknown_codes[i]);
        unknown_ok += name != NULL && strcmp(name, "MODIO_MARKET_RESULT_UNKNOWN") == 0 && message != NULL &&
                      message[0] != '\0';
    }
    CHECK(unknown_ok == (int)(sizeof unknown_codes / sizeof unknown_codes[0]),
          "unknown numbers are MODIO_MARKET_RESULT_UNKNOWN with a message");

#define REF(x) {MODIO_MARKET_ERROR_REF_##x, #x}
    static const struct {
        int64_t ref;
        const char *name;
    } refs[] = {
        REF(UNEXPECTED_SERVICE_OUTAGE), REF(UNEXPECTED_OPERATION_FAILURE), REF(API_KEY_MISSING),
        REF(API_KEY_MALFORMED), REF(API_KEY_INVALID), REF(TOKEN_EXPIRED_OR_REVOKED), REF(USER_DELETED),
        REF(USER_BANNED), REF(RATE_LIMITED), REF(RATE_LIMITED_ENDPOINT), REF(STEAM_APP_TICKET_INVALID),
        REF(XBOX_LIVE_INVALID_TOKEN), REF(XBOX_LIVE_TOKEN_EXPIRED), REF(UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS),
        REF(USER_CONNECTION_MEMBER_NOT_FOUND), REF(NO_TERMS_AGREEMENT), REF(INCORRECT_CONTENT_TYPE),
        REF(VALIDATION_GENERIC), REF(RESOURCE_NOT_FOUND), REF(GAME_NOT_FOUND), REF(MOD_NOT_FOUND),
        REF(MONETIZATION_PAYMENT_FAILED), REF(MONETIZATION_MARKETPLACE_ALREADY_OWNED),
        REF(MONETIZATION_PRICE_MISMATCH), REF(MONETIZATION_INSUFFICIENT_FUNDS), REF(MONETIZATION_IAP_NOT_CONFIGURED),
        REF(MONETIZATION_GAME_NOT_MONETIZED), REF(MONETIZATION_PLATFORM_FETCH_FAILED), REF(TOKEN_MISSING_SCOPE_WRITE),
        REF(OAUTH_CLIENT_DATA_NOT_VALID),
    };
#undef REF
    int bad_refs = 0;
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        const char *name = modio_market_error_ref_name(refs[i].ref);
        if (name == NULL || strcmp(name, refs[i].name) != 0) {
            bad_refs++;
            printf("       error_ref %" PRId64 " named %s, want %s\n", refs[i].ref, name ? name : "(null)", refs[i].name);
        }
    }
    CHECK(bad_refs == 0, "error_ref_name names all %zu MODIO_MARKET_ERROR_REF_* constants", sizeof refs / sizeof refs[0]);
    CHECK(modio_market_error_ref_name(900049) != NULL &&
              strcmp(modio_market_error_ref_name(900049), "MONETIZATION_INSUFFICIENT_FUNDS") == 0,
          "error_ref_name(900049) is MONETIZATION_INSUFFICIENT_FUNDS");
    CHECK(modio_market_error_ref_name(0) == NULL && modio_market_error_ref_name(-1) == NULL &&
              modio_market_error_ref_name(12345) == NULL && modio_market_error_ref_name(INT64_MAX) == NULL,
          "error_ref_name is NULL for refs the library does not know");

    /* last_error_message: the text of this thread's last failure. */
    modio_market_config *config = SENTINEL_CONFIG;
    CHECK_RC(modio_market_config_new(0, API_KEY, &config), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "config_new(game 0)");
    CHECK(config == SENTINEL_CONFIG, "config_new failure leaves config_out untouched");
    size_t length = SENTINEL_SIZE;
    CHECK_RC(modio_market_last_error_message(NULL, 0, &length), MODIO_MARKET_RESULT_BUFFER_TOO_SMALL,
             "last_error_message(NULL buffer) reports the length");
    CHECK(length != SENTINEL_SIZE && length > 0 && length < 2048, "the length is written (%zu)", length);
    char small[4] = {'x', 'x', 'x', 'x'};
    size_t small_length = 0;
    CHECK_RC(modio_market_last_error_message(small, sizeof small, &small_length), MODIO_MARKET_RESULT_BUFFER_TOO_SMALL,
             "last_error_message(4-byte buffer)");
    CHECK(small_length == length, "a too-small buffer still gets the length");
    char *exact = malloc(length + 1);
    size_t exact_length = 0;
    if (exact != NULL) {
        CHECK_RC(modio_market_last_error_message(exact, length, &exact_length), MODIO_MARKET_RESULT_BUFFER_TOO_SMALL,
                 "last_error_message(length bytes: no room for the NUL)");
        CHECK_RC(modio_market_last_error_message(exact, length + 1, &exact_length), MODIO_MARKET_RESULT_OK,
                 "last_error_message(length + 1 bytes)");
        CHECK(exact_length == length && strlen(exact) == length && strstr(exact, "game_id") != NULL,
              "the text names the bad argument: \"%s\"", exact);
        free(exact);
    }
    CHECK_RC(modio_market_last_error_message(small, sizeof small, NULL), MODIO_MARKET_RESULT_NULL_POINTER,
             "last_error_message(length_out NULL)");

    struct thread_error te = {MODIO_MARKET_RESULT_OK, false, false};
    pthread_t thread;
    if (pthread_create(&thread, NULL, other_thread_error, &te) == 0) {
        pthread_join(thread, NULL);
    }
    CHECK(te.rc == MODIO_MARKET_RESULT_INVALID_ARGUMENT && te.mentions_threads && !te.mentions_game_id,
          "another thread sees its own last error (threads), not this one's");
    CHECK_RC(modio_market_config_new(0, API_KEY, &config), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "config_new(game 0) again");
    CHECK(last_error_mentions("game_id") && !last_error_mentions("threads"),
          "this thread still sees its own text (per-thread storage)");
}

/* ---------------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------------- */

static char *long_string(size_t length, char fill)
{
    char *s = malloc(length + 1);
    if (s != NULL) {
        memset(s, fill, length);
        s[length] = '\0';
    }
    return s;
}

static void test_config(void)
{
    section("configuration setters and their errors");
    modio_market_config *config = SENTINEL_CONFIG;
    CHECK_RC(modio_market_config_new(GAME_ID, API_KEY, NULL), MODIO_MARKET_RESULT_NULL_POINTER, "config_new(config_out NULL)");
    CHECK_RC(modio_market_config_new(GAME_ID, NULL, &config), MODIO_MARKET_RESULT_NULL_POINTER, "config_new(api_key NULL)");
    CHECK(last_error_mentions("api_key"), "the NULL_POINTER text names api_key");
    CHECK_RC(modio_market_config_new(GAME_ID, "", &config), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "config_new(api_key \"\")");
    CHECK(last_error_mentions("api_key"), "the text names api_key");
    CHECK_RC(modio_market_config_new(GAME_ID, "\xff\xfe", &config), MODIO_MARKET_RESULT_INVALID_UTF8,
             "config_new(api_key not UTF-8)");
    char *huge = long_string(MODIO_MARKET_MAX_STRING_ARGUMENT_BYTES + 1, 'a');
    CHECK_RC(modio_market_config_new(GAME_ID, huge, &config), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "config_new(api_key of MAX_STRING_ARGUMENT_BYTES + 1 bytes)");
    free(huge);
    CHECK(config == SENTINEL_CONFIG, "failed config_new calls never wrote config_out");

    config = NULL;
    CHECK_RC(modio_market_config_new(GAME_ID, API_KEY, &config), MODIO_MARKET_RESULT_OK, "config_new(game 1, demo key)");
    CHECK(config != NULL, "config_new wrote a handle");
    if (config == NULL) {
        return;
    }

    CHECK_RC(modio_market_config_set_environment(NULL, MODIO_MARKET_ENVIRONMENT_TEST), MODIO_MARKET_RESULT_NULL_POINTER,
             "set_environment(NULL config)");
    CHECK_RC(modio_market_config_set_environment(config, MODIO_MARKET_ENVIRONMENT_TEST), MODIO_MARKET_RESULT_OK,
             "set_environment(TEST)");
    CHECK_RC(modio_market_config_set_environment(config, MODIO_MARKET_ENVIRONMENT_LIVE), MODIO_MARKET_RESULT_OK,
             "set_environment(LIVE)");
    CHECK_RC(modio_market_config_set_environment(config, 2), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE, "set_environment(2)");
    CHECK_RC(modio_market_config_set_environment(config, UINT32_MAX), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE,
             "set_environment(UINT32_MAX)");

    CHECK_RC(modio_market_config_set_base_url(NULL, g_base_url), MODIO_MARKET_RESULT_NULL_POINTER, "set_base_url(NULL config)");
    CHECK_RC(modio_market_config_set_base_url(config, NULL), MODIO_MARKET_RESULT_NULL_POINTER, "set_base_url(NULL url)");
    CHECK_RC(modio_market_config_set_base_url(config, "http://example.com/v1"), MODIO_MARKET_RESULT_INSECURE_URL,
             "set_base_url(plain http to a remote host)");
    CHECK_RC(modio_market_config_set_base_url(config, "ftp://example.com/v1"), MODIO_MARKET_RESULT_INSECURE_URL,
             "set_base_url(ftp://)");
    CHECK_RC(modio_market_config_set_base_url(config, "not a url"), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_base_url(\"not a url\")");
    CHECK(last_error_mentions("base_url"), "the text names base_url");
    CHECK_RC(modio_market_config_set_base_url(config, "https://\xff.example/v1"), MODIO_MARKET_RESULT_INVALID_UTF8,
             "set_base_url(not UTF-8)");
    CHECK_RC(modio_market_config_set_base_url(config, "https://g-1.test.mod.io/v1"), MODIO_MARKET_RESULT_OK,
             "set_base_url(https)");
    CHECK_RC(modio_market_config_set_base_url(config, "http://localhost:8080/v1"), MODIO_MARKET_RESULT_OK,
             "set_base_url(http to localhost)");
    CHECK_RC(modio_market_config_set_base_url(config, "http://[::1]:8080/v1"), MODIO_MARKET_RESULT_OK,
             "set_base_url(http to [::1])");
    CHECK_RC(modio_market_config_set_allow_insecure_http(NULL, true), MODIO_MARKET_RESULT_NULL_POINTER,
             "set_allow_insecure_http(NULL config)");
    CHECK_RC(modio_market_config_set_allow_insecure_http(config, true), MODIO_MARKET_RESULT_OK, "set_allow_insecure_http(true)");
    CHECK_RC(modio_market_config_set_base_url(config, "http://example.com/v1"), MODIO_MARKET_RESULT_OK,
             "set_base_url(plain http to a remote host) after the opt-in");
    CHECK_RC(modio_market_config_set_allow_insecure_http(config, false), MODIO_MARKET_RESULT_OK,
             "set_allow_insecure_http(false)");
    modio_market_client *client = SENTINEL_CLIENT;
    CHECK_RC(modio_market_client_new(config, &client), MODIO_MARKET_RESULT_INSECURE_URL,
             "client_new refuses the remote http URL once the opt-in is withdrawn");
    CHECK(client == SENTINEL_CLIENT, "client_new failure leaves client_out untouched");

    CHECK_RC(modio_market_config_set_portal(NULL, "steam"), MODIO_MARKET_RESULT_NULL_POINTER, "set_portal(NULL config)");
    CHECK_RC(modio_market_config_set_portal(config, "myspace"), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_portal(\"myspace\")");
    CHECK(last_error_mentions("portal"), "the text names portal");
    CHECK_RC(modio_market_config_set_portal(config, "STEAM"), MODIO_MARKET_RESULT_OK, "set_portal(\"STEAM\") (case-insensitive)");
    CHECK_RC(modio_market_config_set_portal(config, NULL), MODIO_MARKET_RESULT_OK, "set_portal(NULL) clears it");
    CHECK_RC(modio_market_config_set_portal(config, "\xc3\x28"), MODIO_MARKET_RESULT_INVALID_UTF8, "set_portal(not UTF-8)");

    CHECK_RC(modio_market_config_set_platform(NULL, "windows"), MODIO_MARKET_RESULT_NULL_POINTER, "set_platform(NULL config)");
    CHECK_RC(modio_market_config_set_platform(config, "amiga"), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_platform(\"amiga\")");
    CHECK(last_error_mentions("platform"), "the text names platform");
    CHECK_RC(modio_market_config_set_platform(config, "Windows"), MODIO_MARKET_RESULT_OK, "set_platform(\"Windows\")");
    CHECK_RC(modio_market_config_set_platform(config, NULL), MODIO_MARKET_RESULT_OK, "set_platform(NULL) clears it");

    CHECK_RC(modio_market_config_set_timeouts(NULL, 1000, 1000), MODIO_MARKET_RESULT_NULL_POINTER, "set_timeouts(NULL config)");
    CHECK_RC(modio_market_config_set_timeouts(config, 0, 1000), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_timeouts(connect 0)");
    CHECK(last_error_mentions("connect"), "the text names the connect timeout");
    CHECK_RC(modio_market_config_set_timeouts(config, 1000, 0), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_timeouts(request 0)");
    CHECK(last_error_mentions("request"), "the text names the request timeout");
    CHECK_RC(modio_market_config_set_timeouts(config, 1, 1), MODIO_MARKET_RESULT_OK, "set_timeouts(1 ms, 1 ms)");

    CHECK_RC(modio_market_config_set_worker_threads(NULL, 2), MODIO_MARKET_RESULT_NULL_POINTER, "set_worker_threads(NULL config)");
    CHECK_RC(modio_market_config_set_worker_threads(config, 0), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_worker_threads(0)");
    CHECK_RC(modio_market_config_set_worker_threads(config, 65), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_worker_threads(65)");
    CHECK_RC(modio_market_config_set_worker_threads(config, 1), MODIO_MARKET_RESULT_OK, "set_worker_threads(1)");
    CHECK_RC(modio_market_config_set_worker_threads(config, 64), MODIO_MARKET_RESULT_OK, "set_worker_threads(64)");

    CHECK_RC(modio_market_config_set_max_response_bytes(NULL, 4096), MODIO_MARKET_RESULT_NULL_POINTER,
             "set_max_response_bytes(NULL config)");
    CHECK_RC(modio_market_config_set_max_response_bytes(config, 1023), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_max_response_bytes(1023)");
    CHECK_RC(modio_market_config_set_max_response_bytes(config, 1024), MODIO_MARKET_RESULT_OK, "set_max_response_bytes(1024)");
    CHECK_RC(modio_market_config_set_max_response_bytes(config, MODIO_MARKET_DEFAULT_MAX_RESPONSE_BYTES),
             MODIO_MARKET_RESULT_OK, "set_max_response_bytes(default)");

    CHECK_RC(modio_market_config_set_retry_policy(NULL, 4, 200, 5000, 20000), MODIO_MARKET_RESULT_NULL_POINTER,
             "set_retry_policy(NULL config)");
    CHECK_RC(modio_market_config_set_retry_policy(config, 0, 200, 5000, 20000), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_retry_policy(0 attempts)");
    CHECK(last_error_mentions("max_attempts"), "the text names max_attempts");
    CHECK_RC(modio_market_config_set_retry_policy(config, 21, 200, 5000, 20000), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_retry_policy(21 attempts)");
    CHECK_RC(modio_market_config_set_retry_policy(config, 4, 500, 100, 20000), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_retry_policy(max delay below base delay)");
    CHECK_RC(modio_market_config_set_retry_policy(config, 1, 0, 0, 0), MODIO_MARKET_RESULT_OK, "set_retry_policy(never retry)");
    CHECK_RC(modio_market_config_set_retry_policy(config, 20, 200, 5000, 20000), MODIO_MARKET_RESULT_OK,
             "set_retry_policy(20 attempts)");

    CHECK_RC(modio_market_config_set_data_dir(NULL, "/tmp"), MODIO_MARKET_RESULT_NULL_POINTER, "set_data_dir(NULL config)");
    CHECK_RC(modio_market_config_set_data_dir(config, NULL), MODIO_MARKET_RESULT_NULL_POINTER, "set_data_dir(NULL path)");
    CHECK_RC(modio_market_config_set_data_dir(config, ""), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "set_data_dir(\"\")");
    CHECK_RC(modio_market_config_set_data_dir(config, "/tmp/\xff"), MODIO_MARKET_RESULT_INVALID_UTF8,
             "set_data_dir(not UTF-8)");

    CHECK_RC(modio_market_config_add_root_certificate_pem(NULL, TEST_CA_PEM), MODIO_MARKET_RESULT_NULL_POINTER,
             "add_root_certificate_pem(NULL config)");
    CHECK_RC(modio_market_config_add_root_certificate_pem(config, NULL), MODIO_MARKET_RESULT_NULL_POINTER,
             "add_root_certificate_pem(NULL pem)");
    CHECK_RC(modio_market_config_add_root_certificate_pem(config, "not a certificate"), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "add_root_certificate_pem(text without a certificate)");
    CHECK_RC(modio_market_config_add_root_certificate_pem(config,
                                                          "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "add_root_certificate_pem(a broken certificate)");
    CHECK_RC(modio_market_config_add_root_certificate_pem(config, TEST_CA_PEM), MODIO_MARKET_RESULT_OK,
             "add_root_certificate_pem(a self-signed CA)");

    modio_market_config_free(config);
    modio_market_config_free(NULL);
    CHECK(true, "config_free(NULL) is a no-op");

    /* A data directory that cannot be created: the client is refused with IO. */
    config = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
        modio_market_config_set_base_url(config, g_base_url);
        CHECK_RC(modio_market_config_set_data_dir(config, "/proc/modio-market-cannot-exist"), MODIO_MARKET_RESULT_OK,
                 "set_data_dir(a path that cannot be created) is only stored");
        client = SENTINEL_CLIENT;
        CHECK_RC(modio_market_client_new(config, &client), MODIO_MARKET_RESULT_IO, "client_new with that data dir");
        CHECK(client == SENTINEL_CLIENT, "... and writes no client");
        modio_market_config_free(config);
    }

    /* The settings take effect. */
    section("configuration takes effect: headers, timeouts, response cap, bad API key");
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    config = NULL;
    client = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
        CHECK_RC(modio_market_config_set_base_url(config, g_base_url), MODIO_MARKET_RESULT_OK, "set_base_url(the fake)");
        CHECK_RC(modio_market_config_set_portal(config, "XboxLive"), MODIO_MARKET_RESULT_OK, "set_portal(\"XboxLive\")");
        CHECK_RC(modio_market_config_set_platform(config, "XboxSeriesX"), MODIO_MARKET_RESULT_OK,
                 "set_platform(\"XboxSeriesX\")");
        CHECK_RC(modio_market_client_new(config, &client), MODIO_MARKET_RESULT_OK, "client_new");
        modio_market_config_free(config);
    }
    if (client != NULL) {
        struct outcome o;
        uint64_t id = 0;
        if (started(client, modio_market_client_get_game(client, on_game, fresh(&o), &id), &id, &o, "get_game with headers")) {
            expect_ok(&o, "get_game with headers");
        }
        int status = 0;
        char *log = control("GET", "/requests", NULL, &status);
        CHECK(log != NULL && strstr(log, "\"x-modio-portal\":\"xboxlive\"") != NULL,
              "X-Modio-Portal: xboxlive was sent (lower-cased)");
        CHECK(log != NULL && strstr(log, "\"x-modio-platform\":\"xboxseriesx\"") != NULL,
              "X-Modio-Platform: xboxseriesx was sent (lower-cased)");
        free(log);
        free_client(client);
    }

    /* A request timeout shorter than the fake's delay: TIMEOUT (after the library's retries). */
    client = NULL;
    config = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
        modio_market_config_set_base_url(config, g_base_url);
        CHECK_RC(modio_market_config_set_timeouts(config, 2000, 200), MODIO_MARKET_RESULT_OK, "set_timeouts(2000, 200)");
        modio_market_client_new(config, &client);
        modio_market_config_free(config);
    }
    if (client != NULL && add_delay("/v1/games/1/mods/1002", "GET", 1000, 10)) {
        struct outcome o;
        uint64_t id = 0;
        if (started(client, modio_market_client_get_mod(client, 1002, on_mod, fresh(&o), &id), &id, &o,
                    "get_mod answered after the request timeout")) {
            expect_code(&o, MODIO_MARKET_RESULT_TIMEOUT, "a 1000 ms answer with a 200 ms request timeout");
        }
        CHECK(control_ok("DELETE", "/faults", NULL), "cleared the fake's faults");
    }
    free_client(client);

    /* The retry policy: two 503s are retried through with 3 attempts, reported with 1. */
    for (int attempts = 3; attempts >= 1; attempts -= 2) {
        client = NULL;
        config = NULL;
        if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
            modio_market_config_set_base_url(config, g_base_url);
            CHECK_RC(modio_market_config_set_retry_policy(config, (uint32_t)attempts, 10, 50, 10000), MODIO_MARKET_RESULT_OK,
                     attempts == 3 ? "set_retry_policy(3 attempts, 10-50 ms)" : "set_retry_policy(1 attempt)");
            modio_market_client_new(config, &client);
            modio_market_config_free(config);
        }
        if (client == NULL) {
            continue;
        }
        CHECK(control_ok("DELETE", "/requests", NULL) &&
                  control_ok("POST", "/faults",
                             "{\"path\":\"/v1/games/1/mods/1002\",\"method\":\"GET\",\"count\":2,\"kind\":\"status_before\","
                             "\"status\":503}"),
              "the fake answers the next 2 GETs of mod 1002 with 503");
        struct outcome o;
        uint64_t id = 0;
        if (started(client, modio_market_client_get_mod(client, 1002, on_mod, fresh(&o), &id), &id, &o,
                    "get_mod(1002) through two 503s")) {
            int status = 0;
            char *log = control("GET", "/requests", NULL, &status);
            int sent = count_occurrences(log, "/v1/games/1/mods/1002");
            free(log);
            if (attempts == 3) {
                CHECK(o.ok && o.mod.id == 1002 && sent == 3, "3 attempts: retried twice, then Castle Siege (%d requests)", sent);
            } else {
                CHECK(!o.ok && o.code == MODIO_MARKET_RESULT_HTTP && o.http_status == 503 && sent == 1,
                      "1 attempt: the 503 is reported as is (%d request)", sent);
            }
        }
        CHECK(control_ok("DELETE", "/faults", NULL), "cleared the fake's faults");
        free_client(client);
    }

    /* A response cap smaller than the full mod list. */
    client = NULL;
    config = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
        modio_market_config_set_base_url(config, g_base_url);
        CHECK_RC(modio_market_config_set_max_response_bytes(config, 1024), MODIO_MARKET_RESULT_OK,
                 "set_max_response_bytes(1024)");
        modio_market_client_new(config, &client);
        modio_market_config_free(config);
    }
    if (client != NULL) {
        struct outcome o;
        uint64_t id = 0;
        if (started(client,
                    modio_market_client_get_mods(client, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, NULL, on_mod_page,
                                                 fresh(&o), &id),
                    &id, &o, "get_mods with a 1 KiB response cap")) {
            expect_code(&o, MODIO_MARKET_RESULT_RESPONSE_TOO_LARGE, "seven full mods do not fit in 1 KiB");
        }
        free_client(client);
    }

    /* A wrong API key: the client is created (the key is well-formed); mod.io refuses it. */
    client = new_client_with(GAME_ID, "ffffffffffffffffffffffffffffffff", 0);
    if (client != NULL) {
        struct outcome o;
        uint64_t id = 0;
        if (started(client, modio_market_client_get_game(client, on_game, fresh(&o), &id), &id, &o, "get_game, unknown key")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_API_KEY_INVALID, "API_KEY_INVALID", "an unknown API key");
        }
        free_client(client);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Client handles and argument checks
 * ------------------------------------------------------------------------------------------- */

static void ignore_log(void *user_data, modio_market_log_level level, const char *message)
{
    (void)user_data;
    (void)level;
    (void)message;
}

static void test_client_arguments(void)
{
    section("client new/free and argument checks on every client function");
    modio_market_config *config = NULL;
    modio_market_client *client = SENTINEL_CLIENT;
    CHECK_RC(modio_market_config_new(GAME_ID, API_KEY, &config), MODIO_MARKET_RESULT_OK, "config_new");
    CHECK_RC(modio_market_client_new(NULL, &client), MODIO_MARKET_RESULT_NULL_POINTER, "client_new(NULL config)");
    CHECK_RC(modio_market_client_new(config, NULL), MODIO_MARKET_RESULT_NULL_POINTER, "client_new(NULL client_out)");
    CHECK(client == SENTINEL_CLIENT, "failed client_new calls never wrote client_out");
    modio_market_config_free(config);

    config = NULL;
    CHECK_RC(modio_market_config_new(GAME_ID, "not alphanumeric!", &config), MODIO_MARKET_RESULT_OK,
             "config_new accepts any non-empty key");
    if (config != NULL) {
        modio_market_config_set_base_url(config, g_base_url);
        CHECK_RC(modio_market_client_new(config, &client), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
                 "client_new validates the key (letters and digits)");
        CHECK(last_error_mentions("api_key") && !last_error_mentions("not alphanumeric!"),
              "the text names api_key and does not repeat the key");
        modio_market_config_free(config);
    }
    modio_market_client_free(NULL);
    CHECK(true, "client_free(NULL) is a no-op");

    /* Every client function checks its handle. */
    uint64_t id = SENTINEL_ID;
    bool owned = true;
    int64_t age = 42;
    size_t count = SENTINEL_SIZE;
    struct outcome o;
    fresh(&o);
    const modio_market_result N = MODIO_MARKET_RESULT_NULL_POINTER;
    int wrong = 0;
    wrong += modio_market_client_set_access_token(NULL, "t") != N;
    wrong += modio_market_client_clear_access_token(NULL) != N;
    wrong += modio_market_client_set_log_callback(NULL, MODIO_MARKET_LOG_LEVEL_INFO, ignore_log, NULL) != N;
    wrong += modio_market_client_poll(NULL, &count) != N;
    wrong += modio_market_client_wait(NULL, 1, 1, &count) != N;
    wrong += modio_market_client_cancel(NULL, 1) != N;
    wrong += modio_market_client_pending_requests(NULL, &count) != N;
    wrong += modio_market_client_auth_steam(NULL, "t", true, on_auth, &o, &id) != N;
    wrong += modio_market_client_auth_xbox_live(NULL, "t", true, on_auth, &o, &id) != N;
    wrong += modio_market_client_auth_psn(NULL, "t", -1, true, on_auth, &o, &id) != N;
    wrong += modio_market_client_auth_meta(NULL, "quest", "n", 1, "t", true, on_auth, &o, &id) != N;
    wrong += modio_market_client_auth_apple(NULL, "t", true, on_auth, &o, &id) != N;
    wrong += modio_market_client_auth_google(NULL, "t", NULL, true, on_auth, &o, &id) != N;
    wrong += modio_market_client_auth_epic(NULL, "t", true, on_auth, &o, &id) != N;
    wrong += modio_market_client_get_wallet(NULL, on_wallet, &o, &id) != N;
    wrong += modio_market_client_sync_steam(NULL, on_sync, &o, &id) != N;
    wrong += modio_market_client_sync_xbox_live(NULL, "t", on_sync, &o, &id) != N;
    wrong += modio_market_client_sync_psn(NULL, "t", -1, -1, on_sync, &o, &id) != N;
    wrong += modio_market_client_sync_meta(NULL, "quest", 1, on_sync, &o, &id) != N;
    wrong += modio_market_client_sync_apple(NULL, "r", on_sync, &o, &id) != N;
    wrong += modio_market_client_sync_google(NULL, "r", on_sync, &o, &id) != N;
    wrong += modio_market_client_get_game(NULL, on_game, &o, &id) != N;
    wrong += modio_market_client_get_mods(NULL, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, NULL, on_mod_page, &o, &id) != N;
    wrong += modio_market_client_get_mod(NULL, 1001, on_mod, &o, &id) != N;
    wrong += modio_market_client_checkout(NULL, 1001, 100, NULL, on_checkout, &o, &id) != N;
    wrong += modio_market_client_refresh_purchases(NULL, on_purchases, &o, &id) != N;
    wrong += modio_market_client_owns(NULL, 1001, &owned) != N;
    wrong += modio_market_client_purchases_age(NULL, &age) != N;
    wrong += modio_market_client_request_delegation_token(NULL, on_delegation, &o, &id) != N;
    wrong += modio_market_client_set_recovery_callback(NULL, NULL, NULL) != N;
    wrong += modio_market_client_resume_checkouts(NULL) != N;
    CHECK(wrong == 0, "all 31 client functions answer NULL_POINTER for a NULL client (%d did not)", wrong);
    CHECK(id == SENTINEL_ID && owned && age == 42 && count == SENTINEL_SIZE && o.calls == 0,
          "... without writing any out-param or running any callback");
    CHECK(last_error_mentions("client"), "the text names the client argument");

    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    /* NULL callbacks, NULL out-params, bad strings: refused at submission, nothing runs. */
    wrong = 0;
    wrong += modio_market_client_auth_steam(c, ALICE_STEAM, true, NULL, &o, &id) != N;
    wrong += modio_market_client_get_wallet(c, NULL, &o, &id) != N;
    wrong += modio_market_client_sync_steam(c, NULL, &o, &id) != N;
    wrong += modio_market_client_get_game(c, NULL, &o, &id) != N;
    wrong += modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, NULL, NULL, &o, &id) != N;
    wrong += modio_market_client_get_mod(c, 1001, NULL, &o, &id) != N;
    wrong += modio_market_client_checkout(c, 1001, 100, NULL, NULL, &o, &id) != N;
    wrong += modio_market_client_refresh_purchases(c, NULL, &o, &id) != N;
    wrong += modio_market_client_request_delegation_token(c, NULL, &o, &id) != N;
    CHECK(wrong == 0, "a NULL callback is NULL_POINTER for every request (%d were not)", wrong);
    CHECK(last_error_mentions("callback"), "the text names the callback");
    wrong = 0;
    wrong += modio_market_client_owns(c, 1001, NULL) != N;
    wrong += modio_market_client_purchases_age(c, NULL) != N;
    wrong += modio_market_client_pending_requests(c, NULL) != N;
    CHECK(wrong == 0, "NULL owns_out / age_ms_out / count_out are NULL_POINTER");
    CHECK_RC(modio_market_client_auth_steam(c, NULL, true, on_auth, &o, &id), N, "auth_steam(appdata NULL)");
    CHECK(last_error_mentions("appdata"), "the text names appdata");
    CHECK_RC(modio_market_client_auth_steam(c, "", true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "auth_steam(appdata \"\")");
    CHECK_RC(modio_market_client_auth_steam(c, "ticket\xc0", true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_UTF8,
             "auth_steam(appdata not UTF-8)");
    char *huge = long_string(MODIO_MARKET_MAX_STRING_ARGUMENT_BYTES + 1, 'T');
    CHECK_RC(modio_market_client_auth_steam(c, huge, true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "auth_steam(appdata over 64 KiB)");
    CHECK(!last_error_mentions("TTTTTTTT"), "the text does not echo the secret");
    free(huge);
    CHECK_RC(modio_market_client_auth_xbox_live(c, "", true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "auth_xbox_live(\"\")");
    CHECK_RC(modio_market_client_auth_psn(c, "", -1, true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "auth_psn(\"\")");
    CHECK_RC(modio_market_client_auth_meta(c, "vive", "n", 1, "t", true, on_auth, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "auth_meta(device \"vive\")");
    CHECK(last_error_mentions("device"), "the text names device");
    CHECK_RC(modio_market_client_auth_meta(c, "quest", "n", 0, "t", true, on_auth, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "auth_meta(user_id 0)");
    CHECK_RC(modio_market_client_auth_meta(c, "quest", NULL, 1, "t", true, on_auth, &o, &id), N, "auth_meta(nonce NULL)");
    CHECK_RC(modio_market_client_auth_google(c, NULL, NULL, true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "auth_google(neither auth_code nor id_token)");
    CHECK_RC(modio_market_client_auth_apple(c, "", true, on_auth, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "auth_apple(\"\")");
    CHECK_RC(modio_market_client_auth_epic(c, NULL, true, on_auth, &o, &id), N, "auth_epic(NULL)");
    CHECK_RC(modio_market_client_sync_xbox_live(c, "", on_sync, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "sync_xbox_live(\"\")");
    CHECK_RC(modio_market_client_sync_psn(c, NULL, -1, -1, on_sync, &o, &id), N, "sync_psn(NULL)");
    CHECK_RC(modio_market_client_sync_meta(c, "vive", 1, on_sync, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "sync_meta(device \"vive\")");
    CHECK_RC(modio_market_client_sync_meta(c, "rift", 0, on_sync, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "sync_meta(user_id 0)");
    CHECK_RC(modio_market_client_sync_apple(c, "", on_sync, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "sync_apple(\"\")");
    CHECK_RC(modio_market_client_sync_google(c, "\xff", on_sync, &o, &id), MODIO_MARKET_RESULT_INVALID_UTF8,
             "sync_google(not UTF-8)");
    CHECK_RC(modio_market_client_get_mods(c, 3, 0, 10, NULL, on_mod_page, &o, &id), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE,
             "get_mods(revenue_type 3)");
    CHECK_RC(modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 0, NULL, on_mod_page, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "get_mods(limit 0)");
    CHECK(last_error_mentions("limit"), "the text names limit");
    CHECK_RC(modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 101, NULL, on_mod_page, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "get_mods(limit 101)");
    CHECK_RC(modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, "\xff", on_mod_page, &o, &id),
             MODIO_MARKET_RESULT_INVALID_UTF8, "get_mods(search not UTF-8)");
    CHECK_RC(modio_market_client_get_mod(c, 0, on_mod, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "get_mod(0)");
    CHECK_RC(modio_market_client_checkout(c, 0, 100, NULL, on_checkout, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "checkout(mod 0)");
    CHECK_RC(modio_market_client_checkout(c, 1001, -1, NULL, on_checkout, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "checkout(display_amount -1)");
    CHECK(last_error_mentions("display_amount"), "the text names display_amount");
    CHECK_RC(modio_market_client_checkout(c, 1001, 100, "has space", on_checkout, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "checkout(idempotency_key \"has space\")");
    CHECK(last_error_mentions("idempotency_key"), "the text names idempotency_key");
    CHECK_RC(modio_market_client_checkout(c, 1001, 100, "", on_checkout, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "checkout(idempotency_key \"\")");
    char *long_key = long_string(256, 'k');
    CHECK_RC(modio_market_client_checkout(c, 1001, 100, long_key, on_checkout, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "checkout(idempotency_key of 256 characters)");
    free(long_key);
    CHECK_RC(modio_market_client_set_access_token(c, "\xff"), MODIO_MARKET_RESULT_INVALID_UTF8,
             "set_access_token(not UTF-8)");
    CHECK_RC(modio_market_client_set_log_callback(c, 0, ignore_log, NULL), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE,
             "set_log_callback(level 0)");
    CHECK_RC(modio_market_client_set_log_callback(c, 6, ignore_log, NULL), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE,
             "set_log_callback(level 6)");
    CHECK(id == SENTINEL_ID && o.calls == 0, "refused requests wrote no request id and ran no callback");
    count = SENTINEL_SIZE;
    CHECK_RC(modio_market_client_pending_requests(c, &count), MODIO_MARKET_RESULT_OK, "pending_requests");
    CHECK(count == 0, "no request is pending after all those refusals (%zu)", count);
    free_client(c);
}

/* ---------------------------------------------------------------------------------------------
 * Catalog: game, mods, one mod
 * ------------------------------------------------------------------------------------------- */

static void test_catalog(void)
{
    section("get_game, get_mods (paid/free/both, pagination, search), get_mod");
    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    struct outcome o;
    uint64_t id = 0;
    if (started(c, modio_market_client_get_game(c, on_game, fresh(&o), &id), &id, &o, "get_game with the API key only") &&
        expect_ok(&o, "get_game")) {
        CHECK(o.game.id == GAME_ID && strcmp(o.game.name, "Rogue Knight") == 0, "game 1 is \"%s\"", o.game.name);
        CHECK(o.game.flags == 3, "api_access_options is 3 (got %" PRIu32 ")", o.game.flags);
        CHECK(o.game.open && o.game.direct && !o.game.authorised && !o.game.paid_only,
              "flags by name: open, direct downloads; not authorised-only, not paid-only");
        CHECK((o.game.flags & MODIO_MARKET_API_ACCESS_OPEN) && (o.game.flags & MODIO_MARKET_API_ACCESS_DOWNLOADS) &&
                  !(o.game.flags & MODIO_MARKET_API_ACCESS_AUTHORISED_DOWNLOADS) &&
                  !(o.game.flags & MODIO_MARKET_API_ACCESS_PAID_DOWNLOADS),
              "the MODIO_MARKET_API_ACCESS_* constants agree with the booleans");
        CHECK(strcmp(o.game.token_name, "Gold") == 0, "token name is Gold");
        CHECK(o.game.json_has_flags, "json holds the game object");
    }

    /* A store page: the filters and orders of modio_market_mod_query. */
    {
        modio_market_mod_query q = {.struct_size = sizeof q};
        q.revenue_type = MODIO_MARKET_REVENUE_TYPE_PAID;
        q.sort = MODIO_MARKET_MOD_SORT_FIELD_PRICE;
        q.sort_descending = true;
        q.limit = 3;
        if (started(c, modio_market_client_get_mods_query(c, &q, on_mod_page, fresh(&o), &id), &id, &o, "get_mods_query(by -price)") &&
            expect_ok(&o, "get_mods_query(by -price)")) {
            CHECK(o.page.count == 3 && o.page.ids[0] == 1004 && o.page.ids[1] == 1003 && o.page.ids[2] == 1002 && o.page.total == 5,
                  "most expensive first: 1004, 1003, 1002 of 5");
        }
        const uint64_t wish[] = {1005, 1001, 2001};
        const char *tags[] = {"Premium"};
        modio_market_mod_query w = {.struct_size = sizeof w};
        w.revenue_type = MODIO_MARKET_REVENUE_TYPE_BOTH;
        w.ids = wish;
        w.id_count = 3;
        w.tags_all = tags;
        w.tags_all_count = 1;
        w.has_price_max = true;
        w.price_max = 60;
        if (started(c, modio_market_client_get_mods_query(c, &w, on_mod_page, fresh(&o), &id), &id, &o, "get_mods_query(wishlist)") &&
            expect_ok(&o, "get_mods_query(wishlist)")) {
            CHECK(o.page.count == 1 && o.page.ids[0] == 1005, "of the wishlist, only Night Mode is Premium and at most 60");
        }
        /* Zero means "not set": free mods, by id. */
        modio_market_mod_query zero = {.struct_size = sizeof zero};
        if (started(c, modio_market_client_get_mods_query(c, &zero, on_mod_page, fresh(&o), &id), &id, &o, "get_mods_query(zeroed)") &&
            expect_ok(&o, "get_mods_query(zeroed)")) {
            CHECK(o.page.count == 2 && o.page.ids[0] == 2001 && o.page.ids[1] == 2002, "a zeroed query lists the free mods by id");
        }
        /* A newer header's bigger struct: zero tail accepted, a set unknown field refused. */
        struct {
            modio_market_mod_query q;
            uint64_t later_field;
        } bigger;
        memset(&bigger, 0, sizeof bigger);
        bigger.q.struct_size = sizeof bigger;
        CHECK_RC(modio_market_client_get_mods_query(c, &bigger.q, on_mod_page, fresh(&o), &id), MODIO_MARKET_RESULT_OK,
                 "a bigger query with a zero tail");
        pump_wait(c, id, 10000, NULL);
        bigger.later_field = 1;
        CHECK_RC(modio_market_client_get_mods_query(c, &bigger.q, on_mod_page, fresh(&o), &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
                 "a bigger query setting a field this library does not know");
        /* The library's checks, at once. */
        modio_market_mod_query bad = {.struct_size = sizeof bad};
        const char *comma[] = {"a,b"};
        bad.tags_any = comma;
        bad.tags_any_count = 1;
        CHECK_RC(modio_market_client_get_mods_query(c, &bad, on_mod_page, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "a tag with a comma");
        bad.tags_any_count = 0;
        bad.has_price_min = bad.has_price_max = true;
        bad.price_min = 10;
        bad.price_max = 9;
        CHECK_RC(modio_market_client_get_mods_query(c, &bad, on_mod_page, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "price_min above price_max");
        bad.has_price_min = bad.has_price_max = false;
        bad.sort = 99;
        CHECK_RC(modio_market_client_get_mods_query(c, &bad, on_mod_page, &o, &id), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE, "an unknown sort field");
        bad.sort = 0;
        bad.id_count = 2;
        CHECK_RC(modio_market_client_get_mods_query(c, &bad, on_mod_page, &o, &id), MODIO_MARKET_RESULT_NULL_POINTER, "ids NULL with a count");
        CHECK_RC(modio_market_client_get_mods_query(c, NULL, on_mod_page, &o, &id), MODIO_MARKET_RESULT_NULL_POINTER, "a NULL query");
    }

    /* Paid, free, both. */
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 100, NULL, &o, "get_mods(PAID)")) {
        int right = 0;
        for (size_t i = 0; i < o.page.count; i++) {
            right += o.page.ids[i] >= 1001 && o.page.ids[i] <= 1005 && o.page.prices[i] == seed_price(o.page.ids[i]) &&
                     o.page.prices[i] > 0;
        }
        CHECK(o.page.count == 5 && o.page.total == 5 && right == 5,
              "PAID lists the 5 premium mods 1001-1005 with their prices (count %zu, total %" PRIu64 ")", o.page.count,
              o.page.total);
        CHECK(o.page.offset == 0 && o.page.limit == 100, "result_offset 0, result_limit 100");
        const struct mod_copy *m = &o.page.first;
        CHECK(m->null_strings == 0, "no string field of a mod is NULL");
        CHECK(m->game_id == GAME_ID && m->name[0] && m->name_id[0] && m->summary[0], "first mod: game 1, name \"%s\"",
              m->name);
        CHECK(strncmp(m->logo_url, "http", 4) == 0 && strstr(m->profile_url, m->name_id) != NULL,
              "logo_url and profile_url are URLs (profile names the mod)");
        CHECK(m->modfile_id > 0 && m->filesize > 0 && is_hex(m->md5, 32) && strcmp(m->version, "1.3") == 0,
              "modfile: id %" PRIu64 ", %" PRIu64 " bytes, md5 of 32 hex digits, version %s", m->modfile_id, m->filesize,
              m->version);
        CHECK(m->rating_percent <= 100 && m->rating_text[0] && m->rating_weighted >= 0.0 && m->rating_weighted <= 100.0,
              "rating %" PRIu32 "%% \"%s\" (weighted %.2f)", m->rating_percent, m->rating_text, m->rating_weighted);
        CHECK(m->json_has_name, "json holds the whole mod object");
    }
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_FREE, 0, 100, NULL, &o, "get_mods(FREE)")) {
        CHECK(o.page.count == 2 && o.page.total == 2 && id_in(2001, o.page.ids, 2) && id_in(2002, o.page.ids, 2) &&
                  o.page.prices[0] == 0 && o.page.prices[1] == 0,
              "FREE lists 2001 and 2002 at price 0");
    }
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, NULL, &o, "get_mods(BOTH)")) {
        int found = 0;
        for (size_t i = 0; i < SEED_MOD_COUNT; i++) {
            found += id_in(SEED_MODS[i].id, o.page.ids, o.page.count);
        }
        CHECK(o.page.count == 7 && o.page.total == 7 && found == 7, "BOTH lists all 7 mods");
    }

    /* Pagination: 2 + 2 + 1, no duplicates, then an empty page past the end. */
    uint64_t seen[8];
    size_t seen_count = 0;
    bool pages_ok = true;
    static const size_t expected_counts[] = {2, 2, 1};
    for (uint64_t offset = 0, page = 0; page < 3; offset += 2, page++) {
        char what[64];
        snprintf(what, sizeof what, "get_mods(PAID, offset %" PRIu64 ", limit 2)", offset);
        if (!do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, offset, 2, NULL, &o, what)) {
            pages_ok = false;
            break;
        }
        pages_ok = pages_ok && o.page.count == expected_counts[page] && o.page.offset == offset && o.page.limit == 2 &&
                   o.page.total == 5;
        for (size_t i = 0; i < o.page.count; i++) {
            if (id_in(o.page.ids[i], seen, seen_count) || seen_count >= 8) {
                pages_ok = false;
            } else {
                seen[seen_count++] = o.page.ids[i];
            }
        }
    }
    CHECK(pages_ok && seen_count == 5, "pages of 2 give 2, 2 and 1 distinct mods (5 in all), total 5 on each page");
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 5, 2, NULL, &o, "get_mods(PAID, offset 5)")) {
        CHECK(o.page.count == 0 && o.page.total == 5 && o.page.offset == 5, "past the end: an empty page, total still 5");
    }

    /* Search. */
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, "castle", &o, "get_mods(search \"castle\")")) {
        CHECK(o.page.count == 1 && o.page.ids[0] == 1002 && o.page.total == 1, "\"castle\" finds Castle Siege only");
    }
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, "FREE", &o, "get_mods(search \"FREE\")")) {
        CHECK(o.page.count == 2 && id_in(2001, o.page.ids, 2) && id_in(2002, o.page.ids, 2),
              "\"FREE\" finds the two free mods (case-insensitive)");
    }
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 100, "free", &o, "get_mods(PAID, search \"free\")")) {
        CHECK(o.page.count == 0 && o.page.total == 0, "no paid mod is called free");
    }
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, "", &o, "get_mods(search \"\")")) {
        CHECK(o.page.count == 7, "an empty search is no search (7 mods)");
    }
    /* Encoding: unencoded, "castle&free=1" would become _q=castle plus a stray parameter and find
     * Castle Siege; encoded, it is one word that no mod name contains. */
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, "castle&free=1", &o, "get_mods(search \"castle&free=1\")")) {
        CHECK(o.page.count == 0 && o.page.total == 0, "a search with & and = is URL-encoded (no match, got %zu)",
              o.page.count);
    }
    if (do_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, 0, 100, "MODE #1?", &o, "get_mods(search \"MODE #1?\")")) {
        CHECK(o.page.count == 1 && o.page.ids[0] == 1005, "\"MODE #1?\" finds Night Mode (# and ? encoded too)");
    }

    /* One mod. */
    if (started(c, modio_market_client_get_mod(c, 1003, on_mod, fresh(&o), &id), &id, &o, "get_mod(1003)") &&
        expect_ok(&o, "get_mod(1003)")) {
        CHECK(o.mod.id == 1003 && strcmp(o.mod.name, "Dragon Skins") == 0 && o.mod.price == 400 && o.mod.game_id == 1,
              "mod 1003 is Dragon Skins at 400");
    }
    if (started(c, modio_market_client_get_mod(c, 999999, on_mod, fresh(&o), &id), &id, &o, "get_mod(999999)")) {
        expect_http_error(&o, 404, MODIO_MARKET_ERROR_REF_MOD_NOT_FOUND, "MOD_NOT_FOUND", "an unknown mod");
    }
    free_client(c);
}

/* ---------------------------------------------------------------------------------------------
 * Authentication on every platform
 * ------------------------------------------------------------------------------------------- */

/* After a successful sign-in the client keeps the token: its wallet is alice's (game 1, 0 Gold). */
static void expect_signed_in_as_alice(modio_market_client *c, const struct outcome *auth, const char *what)
{
    if (!expect_ok(auth, what)) {
        return;
    }
    CHECK(auth->token[0] != '\0' && auth->date_expires > (int64_t)time(NULL), "%s: a token that expires in the future",
          what);
    struct outcome w;
    if (do_wallet(c, &w) && expect_ok(&w, "wallet after sign-in")) {
        CHECK(w.wallet.game_id == GAME_ID && w.wallet.balance == 0,
              "%s: the client kept the token (alice's wallet: game 1, balance 0)", what);
    }
}

static void test_auth(void)
{
    section("authentication on every platform");
    const char *ticket = getenv("MODIO_MARKET_STEAM_TICKET");
    if (ticket == NULL || ticket[0] == '\0') {
        ticket = ALICE_STEAM;
    }
    struct outcome o;
    uint64_t id = 0;
    modio_market_client *c;

    if ((c = new_client()) != NULL) {
        if (do_auth_steam(c, ticket, false, &o, "auth_steam(alice's ticket from MODIO_MARKET_STEAM_TICKET)")) {
            expect_signed_in_as_alice(c, &o, "Steam");
            copy_text(g_alice_token, sizeof g_alice_token, o.token);
        }
        free_client(c);
    }
    if ((c = new_client()) != NULL) {
        fresh(&o);
        if (started(c, modio_market_client_auth_xbox_live(c, ALICE_XBOX, true, on_auth, &o, &id), &id, &o,
                    "auth_xbox_live(\"XBL3.0 x=alice;ey+/=&%?\")")) {
            expect_signed_in_as_alice(c, &o, "Xbox Live (token with space, ; + / = & % ?)");
        }
        free_client(c);
    }
    if ((c = new_client()) != NULL) {
        fresh(&o);
        if (started(c, modio_market_client_auth_psn(c, ALICE_PSN, -1, true, on_auth, &o, &id), &id, &o, "auth_psn(env left out)")) {
            expect_signed_in_as_alice(c, &o, "PSN");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_psn(c, ALICE_PSN, 1, true, on_auth, &o, &id), &id, &o, "auth_psn(env 1)")) {
            expect_ok(&o, "PSN with env 1");
        }
        free_client(c);
    }
    if ((c = new_client()) != NULL) {
        fresh(&o);
        if (started(c,
                    modio_market_client_auth_meta(c, ALICE_META_DEVICE, ALICE_META_NONCE, ALICE_META_USER, ALICE_META_TOKEN,
                                                  true, on_auth, &o, &id),
                    &id, &o, "auth_meta(quest, user 1001)")) {
            expect_signed_in_as_alice(c, &o, "Meta");
        }
        free_client(c);
    }
    if ((c = new_client()) != NULL) {
        fresh(&o);
        if (started(c, modio_market_client_auth_apple(c, ALICE_APPLE, true, on_auth, &o, &id), &id, &o, "auth_apple")) {
            expect_signed_in_as_alice(c, &o, "Apple");
        }
        free_client(c);
    }
    if ((c = new_client()) != NULL) {
        fresh(&o);
        if (started(c, modio_market_client_auth_google(c, ALICE_GOOGLE, NULL, true, on_auth, &o, &id), &id, &o,
                    "auth_google(auth_code)")) {
            expect_signed_in_as_alice(c, &o, "Google (auth_code)");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_google(c, NULL, ALICE_GOOGLE, true, on_auth, &o, &id), &id, &o,
                    "auth_google(id_token)")) {
            expect_ok(&o, "Google (id_token only)");
        }
        free_client(c);
    }
    if ((c = new_client()) != NULL) {
        /* request_id_out is optional: wait for "any" callback instead. */
        fresh(&o);
        CHECK_RC(modio_market_client_auth_epic(c, ALICE_EPIC, true, on_auth, &o, NULL), MODIO_MARKET_RESULT_OK,
                 "auth_epic(request_id_out NULL)");
        CHECK_RC(pump_wait(c, 0, WAIT_MS, NULL), MODIO_MARKET_RESULT_OK, "wait(0): until any callback ran");
        CHECK(o.calls == 1 && o.request_id != 0, "the Epic callback ran once with a non-zero id");
        expect_signed_in_as_alice(c, &o, "Epic");
        free_client(c);
    }

    /* A token from one client restores the session on another. */
    if ((c = new_client()) != NULL) {
        CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK,
                 "set_access_token(alice's token from the Steam sign-in)");
        struct outcome w;
        if (do_wallet(c, &w)) {
            CHECK(w.ok && w.wallet.balance == 0 && w.wallet.game_id == GAME_ID, "the restored session reads alice's wallet");
        }
        free_client(c);
    }

    section("authentication failures");
    if ((c = new_client()) != NULL) {
        if (do_auth_steam(c, CAROL_STEAM, false, &o, "auth_steam(carol, terms not agreed)")) {
            expect_http_error(&o, 403, MODIO_MARKET_ERROR_REF_NO_TERMS_AGREEMENT, "NO_TERMS_AGREEMENT",
                              "carol without agreeing to the terms");
        }
        struct outcome w;
        fresh(&w);
        modio_market_result rc = modio_market_client_get_wallet(c, on_wallet, &w, &id);
        expect_not_authenticated(c, rc, &id, &w, "wallet after the refused sign-in (no token kept)");
        if (do_auth_steam(c, CAROL_STEAM, true, &o, "auth_steam(carol, terms agreed)")) {
            expect_ok(&o, "carol once she agrees");
        }
        if (do_auth_steam(c, CAROL_STEAM, false, &o, "auth_steam(carol again, terms_agreed false)")) {
            expect_ok(&o, "carol's agreement is remembered");
        }
        if (do_auth_steam(c, "bogus-ticket", true, &o, "auth_steam(a bad ticket)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_STEAM_APP_TICKET_INVALID, "STEAM_APP_TICKET_INVALID",
                              "a bad Steam ticket");
            CHECK(strstr(o.message, "bogus-ticket") == NULL, "the error message does not echo the ticket");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_xbox_live(c, "XBL3.0 x=alice;ey+/=&%", true, on_auth, &o, &id), &id, &o,
                    "auth_xbox_live(a token one character short)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_XBOX_LIVE_INVALID_TOKEN, "XBOX_LIVE_INVALID_TOKEN",
                              "a bad Xbox token");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_psn(c, "psn-nobody", -1, true, on_auth, &o, &id), &id, &o,
                    "auth_psn(unknown code)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS,
                              "UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS", "a bad PSN code");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_meta(c, "rift", "n", ALICE_META_USER, ALICE_META_TOKEN, true, on_auth, &o, &id),
                    &id, &o, "auth_meta(alice's user on the wrong device)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS,
                              "UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS", "Meta credentials that do not match");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_apple(c, "apple-nobody", true, on_auth, &o, &id), &id, &o, "auth_apple(unknown)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS,
                              "UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS", "a bad Apple token");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_google(c, "google-nobody", NULL, true, on_auth, &o, &id), &id, &o,
                    "auth_google(unknown)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS,
                              "UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS", "a bad Google code");
        }
        fresh(&o);
        if (started(c, modio_market_client_auth_epic(c, "epic-nobody", true, on_auth, &o, &id), &id, &o, "auth_epic(unknown)")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS,
                              "UNABLE_TO_VERIFY_EXTERNAL_CREDENTIALS", "a bad Epic token");
        }
        free_client(c);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Alice's store flow: wallet, Steam sync, checkout, the other portals, purchases, delegation
 * ------------------------------------------------------------------------------------------- */

static void expect_sync_lines(const struct outcome *o, size_t count, const char *sku, int64_t balance, const char *what)
{
    if (!expect_ok(o, what)) {
        return;
    }
    bool lines_ok = o->sync.count == count;
    for (size_t i = 0; i < o->sync.count && i < 8 && lines_ok; i++) {
        lines_ok = strcmp(o->sync.sku[i], sku) == 0 && o->sync.state[i] == MODIO_MARKET_ENTITLEMENT_STATE_FULFILLED &&
                   strcmp(o->sync.state_name[i], "fulfilled") == 0 && o->sync.consumed[i] && o->sync.type[i] == 0 &&
                   o->sync.transaction_id[i][0] != '\0' && o->sync.details_null[i];
        for (size_t j = 0; j < i && lines_ok; j++) {
            lines_ok = strcmp(o->sync.transaction_id[i], o->sync.transaction_id[j]) != 0;
        }
    }
    CHECK(lines_ok, "%s: %zu line(s) of %s, fulfilled, consumed, currency, distinct transactions (got %zu)", what, count,
          sku, o->sync.count);
    CHECK(o->sync.balance == balance, "%s: balance %" PRId64 " (got %" PRId64 ")", what, balance, o->sync.balance);
}

static bool add_entitlement(int user, const char *portal, const char *sku, int count)
{
    char path[64], body[128];
    snprintf(path, sizeof path, "/users/%d/entitlements", user);
    snprintf(body, sizeof body, "{\"portal\":\"%s\",\"sku\":\"%s\",\"count\":%d}", portal, sku, count);
    return control_ok("POST", path, body);
}

static int64_t g_alice_balance; /* what alice's wallet should hold now */

static void test_alice_store(void)
{
    section("alice: wallet and Steam entitlement sync");
    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    struct outcome o;
    uint64_t id = 0;
    if (!do_auth_steam(c, ALICE_STEAM, true, &o, "auth_steam(alice)") || !expect_ok(&o, "alice signs in")) {
        free_client(c);
        return;
    }
    copy_text(g_alice_token, sizeof g_alice_token, o.token);
    if (do_wallet(c, &o)) {
        CHECK(o.wallet.balance == 0 && o.wallet.pending == 0 && o.wallet.deficit == 0 && o.wallet.game_id == GAME_ID,
              "alice's wallet: balance 0, pending 0, deficit 0, game 1");
        CHECK(o.wallet.wallet_type[0] && o.wallet.currency[0], "wallet type \"%s\", currency \"%s\"", o.wallet.wallet_type,
              o.wallet.currency);
        CHECK(o.wallet.status < 64, "monetization_status %" PRIu32 " uses only the MODIO_MARKET_MONETIZATION_STATUS_* bits",
              o.wallet.status);
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam")) {
        expect_sync_lines(&o, 2, "GOLD_1000", 2000, "Steam sync of 2 x GOLD_1000");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam again")) {
        expect_sync_lines(&o, 0, "GOLD_1000", 2000, "a second Steam sync (inventory consumed)");
    }
    CHECK(wallet_balance(c) == 2000, "the wallet shows 2000");
    CHECK(fake_balance(ALICE_ID) == 2000, "the fake agrees: alice has 2000");
    g_alice_balance = 2000;

    section("alice: checkout");
    int64_t age = 42;
    CHECK_RC(modio_market_client_purchases_age(c, &age), MODIO_MARKET_RESULT_OK, "purchases_age");
    CHECK(age == -1, "no purchases list confirmed yet this session (age -1, got %" PRId64 ")", age);
    CHECK(!owns(c, 1004), "alice does not own Sunny Skies yet");

    o.action = ACT_NONE;
    fresh(&o);
    o.action = ACT_OWNS;
    o.client = c;
    o.action_mod_id = 1004;
    if (started(c, modio_market_client_checkout(c, 1004, 1500, NULL, on_checkout, &o, &id), &id, &o,
                "checkout(1004 Sunny Skies, 1500, generated key)") &&
        expect_ok(&o, "buying Sunny Skies")) {
        CHECK(o.checkout.balance == 500, "balance after the purchase: 500 (got %" PRId64 ")", o.checkout.balance);
        CHECK(o.checkout.transaction_id > 0 && o.checkout.gross == 1500 && o.checkout.state == MODIO_MARKET_TRANSACTION_STATE_PAID &&
                  strcmp(o.checkout.state_name, "paid") == 0,
              "transaction %" PRIu64 ": gross 1500, state PAID (\"%s\")", o.checkout.transaction_id, o.checkout.state_name);
        CHECK(o.checkout.purchased.id == 1004 && strcmp(o.checkout.purchased.name, "Sunny Skies") == 0 &&
                  o.checkout.purchased.price == 1500,
              "the receipt carries the mod (1004 Sunny Skies, 1500)");
        CHECK(is_uuid(o.checkout.key), "the generated idempotency key is a UUID (%s)", o.checkout.key);
        CHECK(o.checkout.gateway_uuid[0] && o.checkout.wallet_type[0] && o.checkout.meta_json_set &&
                  o.checkout.purchase_date > 0,
              "gateway_uuid, wallet_type, meta and purchase_date are filled");
        CHECK(o.inner_rc[0] == MODIO_MARKET_RESULT_OK && o.inner_owns, "owns(1004) is already true inside the callback");
    }
    CHECK(owns(c, 1004), "owns(1004) right after the checkout, without a refresh");
    CHECK_RC(modio_market_client_purchases_age(c, &age), MODIO_MARKET_RESULT_OK, "purchases_age");
    CHECK(age == -1, "a checkout alone does not count as a confirmed list (age still -1)");

    uint64_t keyed_transaction = 0;
    if (do_checkout(c, 1003, 400, "c-test-key_1", &o, "checkout(1003 Dragon Skins, 400, key \"c-test-key_1\")") &&
        expect_ok(&o, "buying Dragon Skins with our own key")) {
        keyed_transaction = o.checkout.transaction_id;
        CHECK(o.checkout.balance == 100 && strcmp(o.checkout.key, "c-test-key_1") == 0,
              "balance 100, the receipt echoes our key");
    }
    if (do_checkout(c, 1003, 400, "c-test-key_1", &o, "checkout replayed with the same key") &&
        expect_ok(&o, "the replay")) {
        CHECK(o.checkout.transaction_id == keyed_transaction && o.checkout.balance == 100,
              "the replay returns the same transaction (%" PRIu64 ") and balance 100", o.checkout.transaction_id);
    }
    CHECK(wallet_balance(c) == 100, "the wallet shows 100: no second charge");
    if (do_checkout(c, 1002, 250, NULL, &o, "checkout(1002, 250) with 100 left")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_INSUFFICIENT_FUNDS, "MONETIZATION_INSUFFICIENT_FUNDS",
                          "insufficient funds");
    }
    CHECK(!owns(c, 1002), "a refused purchase is not owned");
    if (do_checkout(c, 1001, 99, NULL, &o, "checkout(1001 at 99, price is 100)")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_PRICE_MISMATCH, "MONETIZATION_PRICE_MISMATCH",
                          "a price mismatch");
    }
    if (do_checkout(c, 1004, 1500, NULL, &o, "checkout(1004) again")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_MARKETPLACE_ALREADY_OWNED,
                          "MONETIZATION_MARKETPLACE_ALREADY_OWNED", "already owned");
    }
    if (do_checkout(c, 999999, 1, NULL, &o, "checkout(999999)")) {
        expect_http_error(&o, 404, MODIO_MARKET_ERROR_REF_MOD_NOT_FOUND, "MOD_NOT_FOUND", "buying an unknown mod");
    }
    g_alice_balance = 100;
    CHECK(wallet_balance(c) == 100 && fake_balance(ALICE_ID) == 100, "after the refusals alice still has 100");

    struct charge charges[64];
    int n = read_charges(charges, 64);
    int alice_charges = 0, keyed = 0;
    int64_t alice_total = 0;
    for (int i = 0; i < n; i++) {
        if (charges[i].user_id == ALICE_ID) {
            alice_charges++;
            alice_total += charges[i].amount;
            keyed += strcmp(charges[i].key, "c-test-key_1") == 0 && charges[i].mod_id == 1003 &&
                     charges[i].transaction_id == (int64_t)keyed_transaction;
        }
    }
    CHECK(n >= 0 && alice_charges == 2 && alice_total == 1900,
          "the fake's charge ledger: exactly 2 charges for alice, 1900 in all (got %d, %" PRId64 ")", alice_charges,
          alice_total);
    CHECK(keyed == 1, "our key was charged exactly once, for 1003, under the receipt's transaction");

    section("alice: entitlement sync on the other portals");
    static const struct {
        const char *portal;
        const char *what;
    } portals[] = {{"xboxlive", "sync_xbox_live"}, {"psn", "sync_psn"},       {"meta", "sync_meta"},
                   {"apple", "sync_apple"},        {"google", "sync_google"}};
    for (size_t i = 0; i < sizeof portals / sizeof portals[0]; i++) {
        CHECK(add_entitlement(ALICE_ID, portals[i].portal, "GOLD_500", 1), "the fake gives alice 1 x GOLD_500 on %s",
              portals[i].portal);
        fresh(&o);
        modio_market_result rc = MODIO_MARKET_RESULT_INTERNAL;
        switch (i) {
        case 0:
            rc = modio_market_client_sync_xbox_live(c, ALICE_XBOX, on_sync, &o, &id);
            break;
        case 1:
            rc = modio_market_client_sync_psn(c, ALICE_PSN, 1, 7, on_sync, &o, &id);
            break;
        case 2:
            rc = modio_market_client_sync_meta(c, ALICE_META_DEVICE, ALICE_META_USER, on_sync, &o, &id);
            break;
        case 3:
            rc = modio_market_client_sync_apple(c, "apple-receipt-1", on_sync, &o, &id);
            break;
        default:
            rc = modio_market_client_sync_google(c, "google-purchase-token-1", on_sync, &o, &id);
            break;
        }
        if (started(c, rc, &id, &o, portals[i].what)) {
            g_alice_balance += 500;
            expect_sync_lines(&o, 1, "GOLD_500", g_alice_balance, portals[i].what);
        }
    }
    CHECK(wallet_balance(c) == 2600 && g_alice_balance == 2600, "the wallet shows 100 + 5 x 500 = 2600");
    fresh(&o);
    if (started(c, modio_market_client_sync_xbox_live(c, "XBL3.0 x=mallory", on_sync, &o, &id), &id, &o,
                "sync_xbox_live(someone else's token)")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_PLATFORM_FETCH_FAILED,
                          "MONETIZATION_PLATFORM_FETCH_FAILED", "an Xbox token that is not alice's");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_psn(c, "psn-mallory", -1, -1, on_sync, &o, &id), &id, &o,
                "sync_psn(someone else's code)")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_PLATFORM_FETCH_FAILED,
                          "MONETIZATION_PLATFORM_FETCH_FAILED", "a PSN code that is not alice's");
    }
    char path[64];
    snprintf(path, sizeof path, "/users/%d/platform_fetch_fails", ALICE_ID);
    CHECK(control_ok("POST", path, "{\"fails\":true}"), "the fake's Steam fetch fails for alice");
    fresh(&o);
    if (started(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam while Steam is down")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_PLATFORM_FETCH_FAILED,
                          "MONETIZATION_PLATFORM_FETCH_FAILED", "a failed platform fetch");
    }
    CHECK(control_ok("POST", path, "{\"fails\":false}"), "the fake's Steam fetch works again");

    section("alice: purchases, ownership, delegation token, tokens");
    CHECK(owns(c, 1003) && owns(c, 1004) && !owns(c, 1001), "before a refresh: owns 1003 and 1004 (from checkouts), not 1001");
    if (do_refresh(c, &o) && expect_ok(&o, "refresh_purchases")) {
        CHECK(o.purchases.count == 2 && id_in(1003, o.purchases.ids, 2) && id_in(1004, o.purchases.ids, 2),
              "mod.io lists 2 purchases: 1003 and 1004 (got %zu)", o.purchases.count);
    }
    CHECK_RC(modio_market_client_purchases_age(c, &age), MODIO_MARKET_RESULT_OK, "purchases_age after the refresh");
    CHECK(age >= 0 && age < 60000, "the list was confirmed moments ago (%" PRId64 " ms)", age);
    CHECK(owns(c, 1003) && owns(c, 1004) && !owns(c, 1001) && !owns(c, 1002) && !owns(c, 2001),
          "owns: 1003 and 1004 yes; 1001, 1002, 2001 no");

    fresh(&o);
    if (started(c, modio_market_client_request_delegation_token(c, on_delegation, &o, &id), &id, &o,
                "request_delegation_token") &&
        expect_ok(&o, "delegation token")) {
        CHECK(strcmp(o.delegation.entity, "purchase_server") == 0 && o.delegation.token_length > 0 &&
                  o.delegation.token_differs_from_access_token,
              "entity purchase_server and a token of its own (%zu characters, not printed)", o.delegation.token_length);
    }

    /* Tokens: replacing one empties the ownership cache; clearing one signs out. */
    CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK,
             "set_access_token(the same user again)");
    CHECK(!owns(c, 1004), "a new token empties the ownership cache (it may be another user's)");
    CHECK_RC(modio_market_client_purchases_age(c, &age), MODIO_MARKET_RESULT_OK, "purchases_age");
    CHECK(age == -1, "... and forgets when the list was confirmed");
    if (do_refresh(c, &o)) {
        CHECK(o.ok && o.purchases.count == 2 && owns(c, 1004), "a refresh fills it again");
    }
    CHECK_RC(modio_market_client_clear_access_token(c), MODIO_MARKET_RESULT_OK, "clear_access_token");
    CHECK(!owns(c, 1004), "signing out empties the ownership cache");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_get_wallet(c, on_wallet, &o, &id), &id, &o, "get_wallet signed out");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam signed out");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_checkout(c, 1001, 100, NULL, on_checkout, &o, &id), &id, &o,
                             "checkout signed out");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_refresh_purchases(c, on_purchases, &o, &id), &id, &o,
                             "refresh_purchases signed out");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_request_delegation_token(c, on_delegation, &o, &id), &id, &o,
                             "request_delegation_token signed out");
    CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK, "set_access_token(alice)");
    CHECK(wallet_balance(c) == g_alice_balance, "signed in again: %" PRId64, g_alice_balance);
    CHECK_RC(modio_market_client_set_access_token(c, ""), MODIO_MARKET_RESULT_OK, "set_access_token(\"\") clears it");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_get_wallet(c, on_wallet, &o, &id), &id, &o, "get_wallet after \"\"");
    CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK, "set_access_token(alice)");
    CHECK_RC(modio_market_client_set_access_token(c, NULL), MODIO_MARKET_RESULT_OK, "set_access_token(NULL) clears it");
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_get_wallet(c, on_wallet, &o, &id), &id, &o, "get_wallet after NULL");

    /* An expired token. */
    int status = 0;
    snprintf(path, sizeof path, "/users/%d/token", ALICE_ID);
    char *answer = control("POST", path, "{\"expired\":true}", &status);
    char expired[256] = "";
    const char *t = answer ? strstr(answer, "\"access_token\":\"") : NULL;
    if (t != NULL) {
        t += strlen("\"access_token\":\"");
        const char *q = strchr(t, '"');
        if (q != NULL && (size_t)(q - t) < sizeof expired) {
            memcpy(expired, t, (size_t)(q - t));
            expired[q - t] = '\0';
        }
    }
    free(answer);
    CHECK(status == 200 && expired[0] != '\0', "the fake issued an expired token for alice");
    CHECK_RC(modio_market_client_set_access_token(c, expired), MODIO_MARKET_RESULT_OK, "set_access_token(expired)");
    if (do_wallet(c, &o) || o.calls == 1) {
        expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_TOKEN_EXPIRED_OR_REVOKED, "TOKEN_EXPIRED_OR_REVOKED",
                          "an expired token");
    }
    free_client(c);
}

/* Bob: Steam only, 500 Gold, owns 1002. */
static void test_bob(void)
{
    section("bob: ownership from the seed, refusals, unlinked portals");
    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    struct outcome o;
    uint64_t id = 0;
    if (!do_auth_steam(c, BOB_STEAM, false, &o, "auth_steam(bob)") || !expect_ok(&o, "bob signs in")) {
        free_client(c);
        return;
    }
    CHECK(wallet_balance(c) == BOB_BALANCE, "bob's wallet: 500");
    CHECK(!owns(c, 1002), "before a refresh the cache knows nothing");
    if (do_refresh(c, &o) && expect_ok(&o, "bob's purchases")) {
        CHECK(o.purchases.count == 1 && o.purchases.ids[0] == 1002, "bob owns exactly 1002");
    }
    CHECK(owns(c, 1002) && !owns(c, 1003) && !owns(c, 1004), "owns(1002) yes, and not alice's mods");
    if (do_checkout(c, 1002, 250, NULL, &o, "checkout(1002, which bob owns)")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_MARKETPLACE_ALREADY_OWNED,
                          "MONETIZATION_MARKETPLACE_ALREADY_OWNED", "bob buys what he owns");
    }
    if (do_checkout(c, 1004, 1500, NULL, &o, "checkout(1004 at 1500 with 500)")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_MONETIZATION_INSUFFICIENT_FUNDS,
                          "MONETIZATION_INSUFFICIENT_FUNDS", "bob cannot afford Sunny Skies");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam(bob)")) {
        expect_sync_lines(&o, 0, "", BOB_BALANCE, "bob's Steam sync (nothing to convert)");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_xbox_live(c, ALICE_XBOX, on_sync, &o, &id), &id, &o, "sync_xbox_live(bob)")) {
        expect_http_error(&o, 400, MODIO_MARKET_ERROR_REF_USER_CONNECTION_MEMBER_NOT_FOUND,
                          "USER_CONNECTION_MEMBER_NOT_FOUND", "bob has no Xbox account linked");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_psn(c, ALICE_PSN, -1, -1, on_sync, &o, &id), &id, &o, "sync_psn(bob)")) {
        expect_http_error(&o, 400, 11069, "USER_CONNECTION_MEMBER_NOT_FOUND", "bob has no PSN account linked");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_meta(c, "rift", 77, on_sync, &o, &id), &id, &o, "sync_meta(bob)")) {
        expect_http_error(&o, 400, 11069, "USER_CONNECTION_MEMBER_NOT_FOUND", "bob has no Meta account linked");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_apple(c, "receipt", on_sync, &o, &id), &id, &o, "sync_apple(bob)")) {
        expect_http_error(&o, 400, 11069, "USER_CONNECTION_MEMBER_NOT_FOUND", "bob has no Apple account linked");
    }
    fresh(&o);
    if (started(c, modio_market_client_sync_google(c, "receipt", on_sync, &o, &id), &id, &o, "sync_google(bob)")) {
        expect_http_error(&o, 400, 11069, "USER_CONNECTION_MEMBER_NOT_FOUND", "bob has no Google account linked");
    }
    /* A refund by mod.io's support (the fake's control interface): the mod is owned until the
     * next refresh, which shows it gone; the currency is back. */
    if (do_checkout(c, 1001, 100, NULL, &o, "checkout(1001) to be refunded") && expect_ok(&o, "bob buys the HD pack")) {
        CHECK(owns(c, 1001) && wallet_balance(c) == BOB_BALANCE - 100, "bob owns 1001 and paid 100");
        char path[64];
        snprintf(path, sizeof path, "/users/%d/refund", BOB_ID);
        CHECK(control_ok("POST", path, "{\"mod_id\":1001}"), "the fake refunds bob's HD pack");
        CHECK(owns(c, 1001), "until a refresh, the cache still says owned (offline answer)");
        if (do_refresh(c, &o) && expect_ok(&o, "bob's purchases after the refund")) {
            CHECK(o.purchases.count == 1 && o.purchases.ids[0] == 1002, "the refunded mod left the purchased list");
        }
        CHECK(!owns(c, 1001) && owns(c, 1002), "owns(1001) is false after the refresh; 1002 is still owned");
    }
    CHECK(wallet_balance(c) == BOB_BALANCE && fake_balance(BOB_ID) == BOB_BALANCE, "bob still has 500");
    free_client(c);
}

/* Games 2 (not monetized) and 3 (no IAP), with alice's tokens for them from the fake. */
static void test_other_games(void)
{
    section("a game that is not monetized, a game without IAP");
    char path[64], token[256] = "";
    snprintf(path, sizeof path, "/users/%d/token", ALICE_ID);
    int status = 0;
    struct outcome o;
    uint64_t id = 0;
    for (int game = 2; game <= 3; game++) {
        char body[64];
        snprintf(body, sizeof body, "{\"game_id\":%d}", game);
        char *answer = control("POST", path, body, &status);
        const char *t = answer ? strstr(answer, "\"access_token\":\"") : NULL;
        token[0] = '\0';
        if (t != NULL) {
            t += strlen("\"access_token\":\"");
            const char *q = strchr(t, '"');
            if (q != NULL && (size_t)(q - t) < sizeof token) {
                memcpy(token, t, (size_t)(q - t));
                token[q - t] = '\0';
            }
        }
        free(answer);
        CHECK(token[0] != '\0', "the fake issued alice a token for game %d", game);
        modio_market_client *c = game == 2 ? new_client_with(UNMONETIZED_GAME_ID, UNMONETIZED_API_KEY, 0)
                                           : new_client_with(NO_IAP_GAME_ID, NO_IAP_API_KEY, 0);
        if (c == NULL) {
            continue;
        }
        CHECK_RC(modio_market_client_set_access_token(c, token), MODIO_MARKET_RESULT_OK, "set_access_token");
        if (game == 2) {
            if (started(c, modio_market_client_get_game(c, on_game, fresh(&o), &id), &id, &o, "get_game(2)") &&
                expect_ok(&o, "get_game(2)")) {
                CHECK(o.game.id == 2 && strcmp(o.game.name, "Unmonetized") == 0, "game 2 is \"Unmonetized\"");
            }
            do_wallet(c, &o);
            expect_http_error(&o, 404, MODIO_MARKET_ERROR_REF_MONETIZATION_TEAM_NOT_FOUND,
                              "MONETIZATION_TEAM_NOT_FOUND", "the wallet of an unmonetized game");
            fresh(&o);
            if (started(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam(game 2)")) {
                expect_http_error(&o, 403, 900057, "MONETIZATION_GAME_NOT_MONETIZED", "a sync in an unmonetized game");
            }
            if (do_checkout(c, 1001, 100, NULL, &o, "checkout in game 2")) {
                expect_http_error(&o, 404, 900022, "MONETIZATION_TEAM_NOT_FOUND", "a checkout in an unmonetized game");
            }
        } else {
            fresh(&o);
            if (started(c, modio_market_client_sync_steam(c, on_sync, &o, &id), &id, &o, "sync_steam(game 3)")) {
                expect_http_error(&o, 403, MODIO_MARKET_ERROR_REF_MONETIZATION_IAP_NOT_CONFIGURED,
                                  "MONETIZATION_IAP_NOT_CONFIGURED", "a sync where IAP is not configured");
            }
        }
        free_client(c);
    }
}

/* ---------------------------------------------------------------------------------------------
 * The pump: poll, wait, pending_requests, re-entry, threads
 * ------------------------------------------------------------------------------------------- */

struct pump_thread {
    modio_market_client *client;
    uint64_t id;
    modio_market_result rc;
    atomic_int done;
    pthread_t self;
};

static void *wait_on_other_thread(void *arg)
{
    struct pump_thread *p = arg;
    p->self = pthread_self();
    p->rc = pump_wait(p->client, p->id, WAIT_MS, NULL);
    atomic_store(&p->done, 1);
    return NULL;
}

struct submitter {
    modio_market_client *client;
    struct outcome *outcomes;
    int count;
    int refused;
};

static void *submit_from_thread(void *arg)
{
    struct submitter *s = arg;
    for (int i = 0; i < s->count; i++) {
        uint64_t id = 0;
        bool owned = true;
        size_t pending = 0;
        s->refused += modio_market_client_get_mod(s->client, 1001 + (uint64_t)(i % 5), on_mod, &s->outcomes[i], &id) !=
                      MODIO_MARKET_RESULT_OK;
        s->refused += modio_market_client_owns(s->client, 1001, &owned) != MODIO_MARKET_RESULT_OK;
        s->refused += modio_market_client_pending_requests(s->client, &pending) != MODIO_MARKET_RESULT_OK;
    }
    return NULL;
}

static bool request_logged(const char *needle)
{
    int status = 0;
    char *log = control("GET", "/requests", NULL, &status);
    bool found = log != NULL && strstr(log, needle) != NULL;
    free(log);
    return found;
}

static void test_pump(void)
{
    section("poll, wait and pending_requests");
    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    size_t ran = SENTINEL_SIZE, pending = SENTINEL_SIZE;
    CHECK_RC(modio_market_client_pending_requests(c, &pending), MODIO_MARKET_RESULT_OK, "pending_requests");
    CHECK(pending == 0, "a new client has no pending request");
    CHECK_RC(pump_poll(c, &ran), MODIO_MARKET_RESULT_OK, "poll with nothing to do");
    CHECK(ran == 0, "poll ran 0 callbacks");
    CHECK_RC(pump_poll(c, NULL), MODIO_MARKET_RESULT_OK, "poll(ran_out NULL)");
    ran = SENTINEL_SIZE;
    double t0 = now_ms();
    CHECK_RC(pump_wait(c, 0, 50, &ran), MODIO_MARKET_RESULT_WAIT_TIMED_OUT, "wait(any, 50 ms) with nothing pending");
    CHECK(now_ms() - t0 >= 45.0, "... after the 50 ms (%.0f ms)", now_ms() - t0);
    CHECK(ran == SENTINEL_SIZE, "a timed-out wait leaves ran_out untouched");
    CHECK_RC(pump_wait(c, 987654, 50, NULL), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "wait(an unknown id)");

    /* Callbacks run only inside poll/wait: let the fake answer, then look before pumping. */
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    struct outcome a, b;
    uint64_t id_a = 0, id_b = 0;
    CHECK_RC(modio_market_client_get_mod(c, 1001, on_mod, fresh(&a), &id_a), MODIO_MARKET_RESULT_OK, "get_mod(1001)");
    bool answered = false;
    for (double start = now_ms(); !answered && now_ms() - start < WAIT_MS;) {
        answered = request_logged("/v1/games/1/mods/1001");
        if (!answered) {
            sleep_ms(2);
        }
    }
    CHECK(answered, "the fake received the request");
    CHECK(a.calls == 0, "no callback ran without poll/wait (the worker only queues it)");
    CHECK_RC(modio_market_client_pending_requests(c, &pending), MODIO_MARKET_RESULT_OK, "pending_requests");
    CHECK(pending == 1, "1 request pending until its callback runs");
    size_t total = 0;
    int frames = 0;
    for (double start = now_ms(); a.calls == 0 && now_ms() - start < WAIT_MS; frames++) {
        ran = SENTINEL_SIZE;
        if (pump_poll(c, &ran) != MODIO_MARKET_RESULT_OK) {
            break;
        }
        total += ran;
        if (a.calls == 0) {
            sleep_ms(1); /* one "frame" */
        }
    }
    CHECK(a.calls == 1 && total == 1 && a.ok && a.mod.id == 1001 && a.inside_pump &&
              pthread_equal(a.thread, pthread_self()) && a.request_id == id_a,
          "a frame loop of poll ran the callback once, on this thread, with its id (%d frames)", frames);
    CHECK_RC(modio_market_client_pending_requests(c, &pending), MODIO_MARKET_RESULT_OK, "pending_requests");
    CHECK(pending == 0, "nothing pending afterwards");
    CHECK_RC(pump_wait(c, id_a, 50, NULL), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "wait(a finished id)");

    /* wait on a slow request times out, then succeeds; other callbacks run meanwhile. */
    CHECK(add_delay("/v1/games/1/mods/1005", "GET", SLOW_MS, 1), "the fake answers the next GET of mod 1005 late");
    CHECK_RC(modio_market_client_get_mod(c, 1005, on_mod, fresh(&a), &id_a), MODIO_MARKET_RESULT_OK, "get_mod(1005) (slow)");
    CHECK_RC(modio_market_client_get_game(c, on_game, fresh(&b), &id_b), MODIO_MARKET_RESULT_OK, "get_game (fast)");
    CHECK(id_a != 0 && id_b != 0 && id_a != id_b, "request ids are non-zero and distinct (%" PRIu64 ", %" PRIu64 ")", id_a,
          id_b);
    CHECK_RC(modio_market_client_pending_requests(c, &pending), MODIO_MARKET_RESULT_OK, "pending_requests");
    CHECK(pending == 2, "2 requests pending");
    CHECK_RC(pump_wait(c, id_a, 100, NULL), MODIO_MARKET_RESULT_WAIT_TIMED_OUT, "wait(slow id, 100 ms)");
    CHECK(a.calls == 0, "the slow callback has not run");
    modio_market_result rc = pump_wait(c, id_b, WAIT_MS, NULL);
    CHECK((rc == MODIO_MARKET_RESULT_OK || rc == MODIO_MARKET_RESULT_REQUEST_NOT_FOUND) && b.calls == 1 && b.ok &&
              b.game.id == GAME_ID,
          "the fast request completed (during the first wait or this one: %s)", modio_market_result_name(rc));
    CHECK_RC(pump_wait(c, id_a, WAIT_MS, NULL), MODIO_MARKET_RESULT_OK, "wait(slow id) until it completes");
    CHECK(a.calls == 1 && a.ok && a.mod.id == 1005 && b.calls == 1, "each callback ran exactly once");

    /* Re-entry from a callback. */
    section("re-entry, requests from callbacks, other threads");
    fresh(&a);
    a.action = ACT_REENTER;
    a.client = c;
    if (started(c, modio_market_client_get_game(c, on_game, &a, &id_a), &id_a, &a, "get_game whose callback re-enters")) {
        CHECK(a.inner_rc[0] == MODIO_MARKET_RESULT_REENTRANT, "poll inside a callback -> REENTRANT (got %s)",
              modio_market_result_name(a.inner_rc[0]));
        CHECK(a.inner_rc[1] == MODIO_MARKET_RESULT_REENTRANT && a.inner_rc[2] == MODIO_MARKET_RESULT_REENTRANT,
              "wait(any) and wait(own id) inside a callback -> REENTRANT");
        CHECK(a.inner_count == SENTINEL_SIZE, "refused poll/wait leave ran_out untouched");
    }
    CHECK_RC(pump_poll(c, NULL), MODIO_MARKET_RESULT_OK, "poll works again after the callback returned");

    struct outcome child;
    fresh(&a);
    fresh(&child);
    a.action = ACT_SUBMIT;
    a.client = c;
    a.action_mod_id = 1002;
    a.child = &child;
    if (started(c, modio_market_client_get_game(c, on_game, &a, &id_a), &id_a, &a, "get_game whose callback starts get_mod")) {
        CHECK(a.inner_rc[0] == MODIO_MARKET_RESULT_OK && a.child_id != 0 && a.child_id != id_a,
              "submitting from inside a callback works (id %" PRIu64 ")", a.child_id);
        if (a.inner_rc[0] == MODIO_MARKET_RESULT_OK && await(c, a.child_id, &child, "the request started in a callback")) {
            CHECK(child.ok && child.mod.id == 1002 && strcmp(child.mod.name, "Castle Siege") == 0,
                  "it completes normally (Castle Siege)");
        }
    }

    /* Another thread inside wait: poll here is refused; the callbacks run on that thread. */
    CHECK(add_delay("/v1/games/1/mods/1005", "GET", SLOW_MS, 1), "the fake answers the next GET of mod 1005 late");
    struct pump_thread pt;
    memset(&pt, 0, sizeof pt);
    pt.client = c;
    CHECK_RC(modio_market_client_get_mod(c, 1005, on_mod, fresh(&a), &pt.id), MODIO_MARKET_RESULT_OK, "get_mod(1005) (slow)");
    pthread_t waiter;
    bool saw_reentrant = false;
    if (pthread_create(&waiter, NULL, wait_on_other_thread, &pt) == 0) {
        while (!atomic_load(&pt.done) && !saw_reentrant) {
            rc = modio_market_client_poll(c, NULL);
            saw_reentrant = rc == MODIO_MARKET_RESULT_REENTRANT;
            if (!saw_reentrant) {
                sleep_ms(1);
            }
        }
        pthread_join(waiter, NULL);
    }
    CHECK(saw_reentrant, "poll while another thread is inside wait -> REENTRANT");
    CHECK(pt.rc == MODIO_MARKET_RESULT_OK && a.calls == 1 && a.ok && pthread_equal(a.thread, pt.self) && a.inside_pump,
          "the callback ran on the waiting thread, inside its wait");

    /* Four threads submit at once; this thread runs every callback. */
    enum { THREADS = 4, PER_THREAD = 10 };
    static struct outcome many[THREADS][PER_THREAD];
    memset(many, 0, sizeof many);
    struct submitter subs[THREADS];
    pthread_t threads[THREADS];
    int created = 0;
    for (int i = 0; i < THREADS; i++) {
        subs[i].client = c;
        subs[i].outcomes = many[i];
        subs[i].count = PER_THREAD;
        subs[i].refused = 0;
        created += pthread_create(&threads[i], NULL, submit_from_thread, &subs[i]) == 0;
    }
    int expected = created * PER_THREAD;
    int done = 0;
    for (double start = now_ms(); done < expected && now_ms() - start < WAIT_MS;) {
        pump_wait(c, 0, 1000, NULL);
        done = 0;
        for (int i = 0; i < created; i++) {
            for (int j = 0; j < PER_THREAD; j++) {
                done += many[i][j].calls;
            }
        }
    }
    int refused = 0, good = 0;
    for (int i = 0; i < created; i++) {
        pthread_join(threads[i], NULL);
        refused += subs[i].refused;
        for (int j = 0; j < PER_THREAD; j++) {
            const struct outcome *m = &many[i][j];
            good += m->calls == 1 && m->ok && m->mod.id == 1001 + (uint64_t)(j % 5) && pthread_equal(m->thread, pthread_self()) &&
                    m->inside_pump;
        }
    }
    CHECK(created == THREADS && refused == 0, "4 threads submitted 40 requests (and called owns/pending_requests) at once");
    CHECK(good == expected, "all %d callbacks ran once, on this thread, with the right mod (%d good)", expected, good);
    CHECK_RC(modio_market_client_pending_requests(c, &pending), MODIO_MARKET_RESULT_OK, "pending_requests");
    CHECK(pending == 0, "nothing left pending");
    free_client(c);
}

/* ---------------------------------------------------------------------------------------------
 * cancel
 * ------------------------------------------------------------------------------------------- */

static void test_cancel(void)
{
    section("cancel");
    /* One worker: the fast request queued behind the slow one can only finish after it. */
    modio_market_client *c = new_client_with(GAME_ID, API_KEY, 1);
    if (c == NULL) {
        return;
    }
    CHECK(add_delay("/v1/games/1/mods/1005", "GET", SLOW_MS, 1), "the fake answers the next GET of mod 1005 late");
    struct outcome slow, fast;
    uint64_t id_slow = 0, id_fast = 0;
    CHECK_RC(modio_market_client_get_mod(c, 1005, on_mod, fresh(&slow), &id_slow), MODIO_MARKET_RESULT_OK, "get_mod(1005) (slow)");
    CHECK_RC(modio_market_client_get_game(c, on_game, fresh(&fast), &id_fast), MODIO_MARKET_RESULT_OK,
             "get_game (queued behind it)");
    CHECK_RC(modio_market_client_cancel(c, id_slow), MODIO_MARKET_RESULT_OK, "cancel(the slow request)");
    CHECK_RC(modio_market_client_cancel(c, id_slow), MODIO_MARKET_RESULT_ALREADY_COMPLETED,
             "cancel again: its CANCELLED result is already queued");
    CHECK_RC(modio_market_client_cancel(c, 987654), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "cancel(an unknown id)");
    CHECK(slow.calls == 0, "cancel itself runs no callback");
    if (await(c, id_slow, &slow, "the cancelled request")) {
        expect_code(&slow, MODIO_MARKET_RESULT_CANCELLED, "the cancelled request");
    }
    if (await(c, id_fast, &fast, "the request queued behind it")) {
        expect_ok(&fast, "the request queued behind it");
    }
    /* The worker has finished the slow request now (it ran the fast one after it). */
    size_t ran = SENTINEL_SIZE;
    CHECK_RC(pump_poll(c, &ran), MODIO_MARKET_RESULT_OK, "poll after the late answer arrived");
    CHECK(ran == 0 && slow.calls == 1, "the late answer produced no second callback (CANCELLED exactly once)");
    CHECK_RC(modio_market_client_cancel(c, id_slow), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "cancel after the callback ran");
    CHECK_RC(modio_market_client_cancel(c, id_fast), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "cancel a finished request");
    free_client(c);

    /* A checkout cancelled after it reached mod.io was still charged: a refresh tells. */
    section("a cancelled checkout that reached the server");
    c = new_client();
    if (c == NULL) {
        return;
    }
    CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK, "set_access_token(alice)");
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    CHECK(add_delay("/v1/games/1/mods/1005/checkout", "POST", SLOW_MS, 1), "the fake answers the next checkout of 1005 late");
    struct outcome o;
    uint64_t id = 0;
    CHECK_RC(modio_market_client_checkout(c, 1005, 50, "c-cancelled-checkout", on_checkout, fresh(&o), &id),
             MODIO_MARKET_RESULT_OK, "checkout(1005 Night Mode, 50)");
    bool arrived = false;
    for (double start = now_ms(); !arrived && now_ms() - start < WAIT_MS;) {
        arrived = request_logged("/v1/games/1/mods/1005/checkout");
        if (!arrived) {
            sleep_ms(2);
        }
    }
    CHECK(arrived, "the checkout reached the fake (which processes it, then answers late)");
    CHECK_RC(modio_market_client_cancel(c, id), MODIO_MARKET_RESULT_OK, "cancel(the checkout)");
    if (await(c, id, &o, "the cancelled checkout")) {
        expect_code(&o, MODIO_MARKET_RESULT_CANCELLED, "the cancelled checkout");
    }
    if (do_refresh(c, &o)) {
        CHECK(o.ok && id_in(1005, o.purchases.ids, o.purchases.count) && owns(c, 1005),
              "refresh_purchases shows Night Mode owned: the charge went through");
    }
    g_alice_balance -= 50;
    CHECK(wallet_balance(c) == g_alice_balance, "the wallet was charged 50 (%" PRId64 ")", g_alice_balance);
    free_client(c);
    /* A request cancelled while still queued never reaches the fake: drop any delay left unused. */
    CHECK(control_ok("DELETE", "/faults", NULL), "cleared the fake's faults");
}

/* ---------------------------------------------------------------------------------------------
 * Freeing the client with requests in flight, and from inside a callback
 * ------------------------------------------------------------------------------------------- */

static void test_free(void)
{
    section("free with requests in flight");
    /* 2 workers busy on answers held back 6 s (far longer than free's 2 s wait for workers), 2 queued. */
    const unsigned hold_ms = 6000;
    modio_market_client *c = new_client_with(GAME_ID, API_KEY, 2);
    if (c == NULL) {
        return;
    }
    CHECK(add_delay("/v1/games/1/mods/1004", "GET", hold_ms, 2), "the fake holds the next 2 GETs of mod 1004 for 6 s");
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    enum { IN_FLIGHT = 4 };
    struct outcome outs[IN_FLIGHT], children[IN_FLIGHT];
    uint64_t ids[IN_FLIGHT];
    for (int i = 0; i < IN_FLIGHT; i++) {
        fresh(&outs[i]);
        fresh(&children[i]);
        outs[i].action = ACT_SHUTDOWN_PROBE;
        outs[i].client = c;
        outs[i].child = &children[i];
        CHECK_RC(modio_market_client_get_mod(c, 1004, on_mod, &outs[i], &ids[i]), MODIO_MARKET_RESULT_OK,
                 "get_mod(1004) (held back)");
    }
    /* Make sure both workers are blocked on the network before freeing. */
    int received = 0;
    for (double start = now_ms(); received < 2 && now_ms() - start < WAIT_MS;) {
        int status = 0;
        char *log = control("GET", "/requests", NULL, &status);
        received = count_occurrences(log, "/v1/games/1/mods/1004");
        free(log);
        if (received < 2) {
            sleep_ms(2);
        }
    }
    CHECK(received == 2, "both workers' requests reached the fake");
    g_seq = 0;
    double t0 = now_ms();
    free_client(c);
    double free_ms = now_ms() - t0;
    int right = 0;
    for (int i = 0; i < IN_FLIGHT; i++) {
        right += outs[i].calls == 1 && outs[i].code == MODIO_MARKET_RESULT_SHUT_DOWN && outs[i].inside_pump &&
                 pthread_equal(outs[i].thread, pthread_self()) && outs[i].request_id == ids[i];
    }
    CHECK(right == IN_FLIGHT, "each of the %d callbacks ran once with SHUT_DOWN, inside free, on this thread", IN_FLIGHT);
    int refused = 0, reentrant = 0, child_calls = 0, untouched = 0;
    for (int i = 0; i < IN_FLIGHT; i++) {
        refused += outs[i].inner_rc[0] == MODIO_MARKET_RESULT_SHUT_DOWN;
        reentrant += outs[i].inner_rc[1] == MODIO_MARKET_RESULT_REENTRANT;
        child_calls += children[i].calls;
        untouched += outs[i].child_id == SENTINEL_ID;
    }
    CHECK(refused == IN_FLIGHT && untouched == IN_FLIGHT && child_calls == 0,
          "a request submitted from a SHUT_DOWN callback is refused with SHUT_DOWN (no id, no callback)");
    CHECK(reentrant == IN_FLIGHT, "poll from a SHUT_DOWN callback -> REENTRANT");
    /* Not a speed check: free must not wait for the held answers (6 s), only up to its 2 s for the
     * busy workers; the 4 s between the two leave room for a loaded machine. */
    CHECK(free_ms < (double)hold_ms, "free returned after %.0f ms, before the held answers (workers are waited for at most 2 s)",
          free_ms);
    /* Give the abandoned workers time to get their answers: none may call back or touch freed memory. */
    double until = t0 + (double)hold_ms + 500.0;
    while (now_ms() < until) {
        sleep_ms(50);
    }
    int calls = 0;
    for (int i = 0; i < IN_FLIGHT; i++) {
        calls += outs[i].calls + children[i].calls;
    }
    CHECK(calls == IN_FLIGHT, "after the held answers arrived, still exactly one callback each (none after free)");

    section("free from inside a callback");
    c = new_client();
    if (c == NULL) {
        return;
    }
    CHECK(add_delay("/v1/games/1/mods/1005", "GET", SLOW_MS, 1), "the fake answers the next GET of mod 1005 late");
    struct outcome freer, victim;
    uint64_t id_freer = 0, id_victim = 0;
    fresh(&freer);
    freer.action = ACT_FREE;
    freer.client = c;
    CHECK_RC(modio_market_client_get_mod(c, 1005, on_mod, fresh(&victim), &id_victim), MODIO_MARKET_RESULT_OK,
             "get_mod(1005) (slow, still pending at the free)");
    CHECK_RC(modio_market_client_get_game(c, on_game, &freer, &id_freer), MODIO_MARKET_RESULT_OK,
             "get_game, whose callback frees the client");
    g_seq = 0;
    modio_market_result rc = pump_wait(c, id_freer, WAIT_MS, NULL);
    /* The client is gone now: not one more call on it. */
    CHECK(rc == MODIO_MARKET_RESULT_OK && freer.calls == 1 && freer.ok, "wait ran the freeing callback and returned OK");
    CHECK(freer.inner_rc[0] == MODIO_MARKET_RESULT_OK && freer.inner_count == 1,
          "inside that callback, after free, the client still answered pending_requests (1 pending): deferred");
    CHECK(victim.calls == 1 && victim.code == MODIO_MARKET_RESULT_SHUT_DOWN && victim.seq > freer.seq &&
              victim.inside_pump,
          "the pending request got SHUT_DOWN once, after the freeing callback returned, before wait returned");

    /* The same from poll. */
    c = new_client();
    if (c == NULL) {
        return;
    }
    fresh(&freer);
    freer.action = ACT_FREE;
    freer.client = c;
    CHECK_RC(modio_market_client_get_game(c, on_game, &freer, &id_freer), MODIO_MARKET_RESULT_OK,
             "get_game, whose callback frees the client (pumped by poll)");
    rc = MODIO_MARKET_RESULT_OK;
    for (double start = now_ms(); freer.calls == 0 && rc == MODIO_MARKET_RESULT_OK && now_ms() - start < WAIT_MS;) {
        rc = pump_poll(c, NULL);
        if (freer.calls == 0) {
            sleep_ms(1);
        }
    }
    CHECK(rc == MODIO_MARKET_RESULT_OK && freer.calls == 1 && freer.inner_rc[0] == MODIO_MARKET_RESULT_OK &&
              freer.inner_count == 0,
          "poll ran the freeing callback and returned OK; the client was freed on return");
}

/*
 * Scenarios that may crash the process run in a forked child, so that a crash is reported as one
 * failed check and the remaining checks still run. The child exits 0 when every check in it passed.
 */
static void run_isolated(const char *what, int (*scenario)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        CHECK(false, "%s: fork failed", what);
        return;
    }
    if (pid == 0) {
        g_failures = 0;
        alarm(20); /* a hang (a spin on freed memory, a deadlock) becomes SIGALRM, not a stuck suite */
        int failed = scenario();
        fflush(stdout);
        _exit(failed == 0 && g_failures == 0 ? 0 : 1);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
        CHECK(false, "%s: the forked process survived (it died of signal %d%s)", what, WTERMSIG(status),
              WTERMSIG(status) == SIGALRM ? ": it hung and the watchdog fired" : "");
    } else {
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "%s: the forked process exited 0 (exit %d: non-zero means a check in it failed, or valgrind found errors)",
              what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

/* During free, the one pending request's SHUT_DOWN callback frees the client again. */
static int scenario_shutdown_free_again(void)
{
    modio_market_client *c = new_client();
    if (c == NULL) {
        return 1;
    }
    struct outcome o;
    uint64_t id = 0;
    fresh(&o);
    o.action = ACT_SHUTDOWN_FREE;
    o.client = c;
    CHECK(add_delay("/v1/games/1/mods/1003", "GET", SLOW_MS, 1), "the fake answers the next GET of mod 1003 late");
    CHECK_RC(modio_market_client_get_mod(c, 1003, on_mod, &o, &id), MODIO_MARKET_RESULT_OK, "get_mod(1003) (slow)");
    free_client(c);
    CHECK(o.calls == 1 && o.code == MODIO_MARKET_RESULT_SHUT_DOWN && o.inner_rc[0] == MODIO_MARKET_RESULT_OK,
          "the pending request got SHUT_DOWN once and freed the client again from there");
    return 0;
}

/* A callback frees the client (deferred), then calls poll and wait: REENTRANT, and the client must
 * stay alive until the outer wait returns. */
static int scenario_free_then_reenter(void)
{
    modio_market_client *c = new_client();
    if (c == NULL) {
        return 1;
    }
    struct outcome o;
    uint64_t id = 0;
    fresh(&o);
    o.action = ACT_FREE_THEN_REENTER;
    o.client = c;
    CHECK_RC(modio_market_client_get_game(c, on_game, &o, &id), MODIO_MARKET_RESULT_OK, "get_game");
    modio_market_result rc = pump_wait(c, id, WAIT_MS, NULL);
    CHECK(rc == MODIO_MARKET_RESULT_OK && o.calls == 1, "wait ran the callback and returned OK (the client is freed now)");
    CHECK(o.inner_rc[0] == MODIO_MARKET_RESULT_REENTRANT && o.inner_rc[1] == MODIO_MARKET_RESULT_REENTRANT,
          "after free, poll and wait inside the callback -> REENTRANT");
    CHECK(o.inner_rc[2] == MODIO_MARKET_RESULT_OK, "the client is still alive inside the callback (pending_requests OK)");
    return 0;
}

/* During free, a SHUT_DOWN callback frees again and then polls. */
static int scenario_shutdown_free_then_poll(void)
{
    modio_market_client *c = new_client();
    if (c == NULL) {
        return 1;
    }
    struct outcome o;
    uint64_t id = 0;
    fresh(&o);
    o.action = ACT_SHUTDOWN_FREE_THEN_REENTER;
    o.client = c;
    CHECK(add_delay("/v1/games/1/mods/1003", "GET", SLOW_MS, 1), "the fake answers the next GET of mod 1003 late");
    CHECK_RC(modio_market_client_get_mod(c, 1003, on_mod, &o, &id), MODIO_MARKET_RESULT_OK, "get_mod(1003) (slow)");
    free_client(c);
    CHECK(o.calls == 1 && o.code == MODIO_MARKET_RESULT_SHUT_DOWN, "the pending request got SHUT_DOWN once");
    CHECK(o.inner_rc[0] == MODIO_MARKET_RESULT_REENTRANT, "poll inside it -> REENTRANT");
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Logging
 * ------------------------------------------------------------------------------------------- */

struct log_capture {
    int records;
    int verbose_records; /* more verbose than WARN */
    int off_thread;      /* not on the thread that pumps, or outside poll/wait */
    int bad_level;
    int leaked;          /* mentions a secret */
    bool saw_steamauth;
    bool saw_wallet;
    pthread_t pump_thread;
};

static void on_log(void *user_data, modio_market_log_level level, const char *message)
{
    struct log_capture *l = user_data;
    l->records++;
    l->verbose_records += level > MODIO_MARKET_LOG_LEVEL_WARN;
    l->bad_level += level < MODIO_MARKET_LOG_LEVEL_ERROR || level > MODIO_MARKET_LOG_LEVEL_TRACE;
    l->off_thread += !pthread_equal(pthread_self(), l->pump_thread) || t_pumping == 0;
    if (message == NULL) {
        return;
    }
    l->saw_steamauth = l->saw_steamauth || strstr(message, "external/steamauth") != NULL;
    l->saw_wallet = l->saw_wallet || strstr(message, "me/wallets") != NULL;
    l->leaked += strstr(message, ALICE_STEAM) != NULL || strstr(message, API_KEY) != NULL ||
                 (g_alice_token[0] && strstr(message, g_alice_token) != NULL);
}

static void test_log(void)
{
    section("log callback");
    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    struct log_capture l;
    memset(&l, 0, sizeof l);
    l.pump_thread = pthread_self();
    CHECK_RC(modio_market_client_set_log_callback(c, MODIO_MARKET_LOG_LEVEL_TRACE, on_log, &l), MODIO_MARKET_RESULT_OK,
             "set_log_callback(TRACE)");
    struct outcome o;
    if (do_auth_steam(c, ALICE_STEAM, true, &o, "auth_steam(alice) with logging on") && expect_ok(&o, "sign-in")) {
        copy_text(g_alice_token, sizeof g_alice_token, o.token);
    }
    do_wallet(c, &o);
    CHECK(l.records > 0 && l.saw_steamauth && l.saw_wallet, "the requests were logged (%d records)", l.records);
    CHECK(l.off_thread == 0, "log callbacks ran only inside poll/wait, on the pumping thread");
    CHECK(l.bad_level == 0, "every record has a defined level");
    CHECK(l.leaked == 0, "no record contains the ticket, the API key or the access token");

    int before = l.records;
    CHECK_RC(modio_market_client_set_log_callback(c, MODIO_MARKET_LOG_LEVEL_WARN, on_log, &l), MODIO_MARKET_RESULT_OK,
             "set_log_callback(WARN)");
    l.verbose_records = 0;
    do_wallet(c, &o);
    CHECK(l.verbose_records == 0, "at WARN no DEBUG/INFO/TRACE record arrives (%d records since)", l.records - before);
    CHECK_RC(modio_market_client_set_log_callback(c, MODIO_MARKET_LOG_LEVEL_TRACE, NULL, NULL), MODIO_MARKET_RESULT_OK,
             "set_log_callback(NULL) turns logging off");
    before = l.records;
    do_wallet(c, &o);
    CHECK(l.records == before, "no record after logging was turned off");
    free_client(c);
}

/* ---------------------------------------------------------------------------------------------
 * Checkout recovery from the data directory
 * ------------------------------------------------------------------------------------------- */

struct recovery_report {
    uint32_t outcome;
    uint64_t user_id, mod_id;
    int64_t display_amount, attempted_at;
    char key[300];
    bool has_checkout, has_error, has_file;
    uint64_t transaction_id, checkout_mod_id;
    int64_t balance;
    modio_market_result code;
    uint32_t http_status;
    int64_t error_ref;
    char file[1024];
};

struct recovery_capture {
    int count;
    int off_pump; /* reports delivered outside poll/wait or on another thread */
    pthread_t thread;
    struct recovery_report r[8];
};

static void on_recovery(void *user_data, const modio_market_recovery *report)
{
    struct recovery_capture *cap = user_data;
    cap->off_pump += t_pumping == 0 || !pthread_equal(pthread_self(), cap->thread);
    if (cap->count >= 8 || report == NULL) {
        cap->count++;
        return;
    }
    VIEW(report, modio_market_recovery);
    struct recovery_report *r = &cap->r[cap->count++];
    memset(r, 0, sizeof *r);
    r->outcome = report->outcome;
    r->user_id = report->user_id;
    r->mod_id = report->mod_id;
    r->display_amount = report->display_amount;
    r->attempted_at = report->attempted_at;
    copy_text(r->key, sizeof r->key, report->idempotency_key);
    r->has_checkout = report->checkout != NULL;
    if (report->checkout != NULL) {
        r->transaction_id = report->checkout->transaction->id;
        r->balance = report->checkout->balance;
        r->checkout_mod_id = report->checkout->purchased_mod ? report->checkout->purchased_mod->id : 0;
    }
    r->has_error = report->error != NULL;
    if (report->error != NULL) {
        r->code = report->error->code;
        r->http_status = report->error->http_status;
        r->error_ref = report->error->error_ref;
    }
    r->has_file = report->journal_file != NULL;
    copy_text(r->file, sizeof r->file, report->journal_file);
}

/* Polls (a game's frames) until `want` reports arrived in all; returns how many did. */
static int pump_recovery(modio_market_client *c, struct recovery_capture *cap, int want)
{
    for (double start = now_ms(); cap->count < want && now_ms() - start < WAIT_MS;) {
        if (pump_poll(c, NULL) != MODIO_MARKET_RESULT_OK) {
            break;
        }
        if (cap->count < want) {
            sleep_ms(2);
        }
    }
    return cap->count;
}

static modio_market_client *new_client_in(const char *data_dir)
{
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) != MODIO_MARKET_RESULT_OK) {
        return NULL;
    }
    modio_market_result rc = modio_market_config_set_base_url(config, g_base_url);
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_config_set_data_dir(config, data_dir);
    }
    if (rc == MODIO_MARKET_RESULT_OK) {
        /* One attempt: the failures the fake injects reach the journal instead of being retried away. */
        rc = modio_market_config_set_retry_policy(config, 1, 0, 0, 10000);
    }
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_client_new(config, &client);
    }
    modio_market_config_free(config);
    if (rc != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "a client with data dir %s (got %s: %s)", data_dir, modio_market_result_name(rc), last_error());
        return NULL;
    }
    return client;
}

/* Looks for a file called `name` under `dir`; writes its directory into `found`. */
static bool find_file(const char *dir, const char *name, char *found, size_t size)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return false;
    }
    bool ok = false;
    struct dirent *e;
    while (!ok && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            ok = find_file(path, name, found, size);
        } else if (strcmp(e->d_name, name) == 0) {
            copy_text(found, size, dir);
            ok = true;
        }
    }
    closedir(d);
    return ok;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Runs the recovery a new token starts (and anything else pending) to its end, so that it cannot
 * race the checkouts a test makes next. */
static void settle(modio_market_client *c)
{
    size_t pending = 1;
    pump_poll(c, NULL); /* starts the recovery job */
    for (double start = now_ms(); now_ms() - start < WAIT_MS;) {
        if (modio_market_client_pending_requests(c, &pending) != MODIO_MARKET_RESULT_OK || pending == 0) {
            break;
        }
        pump_wait(c, 0, 1000, NULL);
    }
    CHECK(pending == 0, "the client settled (its token's recovery ran; nothing pending)");
}

static bool make_temp_dir(char *out, size_t size, const char *tag)
{
    const char *base = getenv("MODIO_C_TEST_TMP");
    snprintf(out, size, "%s/%s-XXXXXX", (base && base[0]) ? base : "/tmp", tag);
    return mkdtemp(out) != NULL;
}

static void test_recovery(void)
{
    section("checkout recovery from the data directory (alice: still pending, then completed)");
    char dir[512];
    if (!make_temp_dir(dir, sizeof dir, "modio-c-data")) {
        CHECK(false, "created a temporary data directory");
        return;
    }
    struct outcome o;
    modio_market_client *c = new_client_in(dir);
    if (c == NULL) {
        return;
    }
    CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK, "set_access_token(alice)");
    settle(c);
    CHECK(control_ok("POST", "/faults",
                     "{\"path\":\"/v1/games/1/mods/1001/checkout\",\"method\":\"POST\",\"count\":2,"
                     "\"kind\":\"status_before\",\"status\":503}"),
          "the fake answers the next 2 checkouts of 1001 with 503 (before processing them)");
    double started_at = (double)time(NULL);
    if (do_checkout(c, 1001, 100, "c-recover-1", &o, "checkout(1001, key \"c-recover-1\") into a 503")) {
        CHECK(!o.ok && o.code == MODIO_MARKET_RESULT_HTTP && o.http_status == 503, "the game hears HTTP 503");
    }
    char journal_dir[1024] = "";
    CHECK(find_file(dir, "c-recover-1.json", journal_dir, sizeof journal_dir),
          "the attempt is journaled in the data directory (no definitive answer)");
    free_client(c);

    /* "Restart": a new client on the same data directory. */
    c = new_client_in(dir);
    if (c == NULL) {
        return;
    }
    struct recovery_capture cap;
    memset(&cap, 0, sizeof cap);
    cap.thread = pthread_self();
    CHECK_RC(modio_market_client_set_recovery_callback(c, on_recovery, &cap), MODIO_MARKET_RESULT_OK,
             "set_recovery_callback");
    CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK,
             "set_access_token(alice) starts recovery");
    if (pump_recovery(c, &cap, 1) >= 1) {
        const struct recovery_report *r = &cap.r[0];
        CHECK(r->outcome == MODIO_MARKET_RECOVERY_OUTCOME_STILL_PENDING && r->has_error && r->code == MODIO_MARKET_RESULT_HTTP &&
                  r->http_status == 503 && !r->has_checkout,
              "the resend met the second 503: STILL_PENDING with the error (outcome %" PRIu32 ")", r->outcome);
        CHECK(r->user_id == ALICE_ID && r->mod_id == 1001 && r->display_amount == 100 && strcmp(r->key, "c-recover-1") == 0,
              "the report names alice, mod 1001, 100, key c-recover-1");
        CHECK((double)r->attempted_at >= started_at - 60.0 && (double)r->attempted_at <= (double)time(NULL) + 60.0,
              "attempted_at is the original attempt's time");
    } else {
        CHECK(false, "a recovery report arrived");
    }
    char entry[1100];
    snprintf(entry, sizeof entry, "%s/c-recover-1.json", journal_dir);
    CHECK(file_exists(entry), "the attempt stays journaled");
    CHECK_RC(modio_market_client_resume_checkouts(c), MODIO_MARKET_RESULT_OK, "resume_checkouts (the network is back)");
    if (pump_recovery(c, &cap, 2) >= 2) {
        const struct recovery_report *r = &cap.r[1];
        CHECK(r->outcome == MODIO_MARKET_RECOVERY_OUTCOME_COMPLETED && r->has_checkout && !r->has_error &&
                  r->checkout_mod_id == 1001 && r->balance == g_alice_balance - 100 && r->transaction_id > 0,
              "the resend went through: COMPLETED with the receipt (mod 1001, balance %" PRId64 ")", r->balance);
        CHECK(strcmp(r->key, "c-recover-1") == 0, "with the same key");
    } else {
        CHECK(false, "a second recovery report arrived");
    }
    g_alice_balance -= 100;
    CHECK(!file_exists(entry), "the finished attempt left the journal");
    CHECK(owns(c, 1001), "owns(1001) after the recovered purchase");
    CHECK(cap.off_pump == 0, "recovery reports ran inside poll, on the polling thread");
    struct charge charges[64];
    int n = read_charges(charges, 64), keyed = 0;
    for (int i = 0; i < n; i++) {
        keyed += strcmp(charges[i].key, "c-recover-1") == 0;
    }
    CHECK(keyed == 1, "the fake charged key c-recover-1 exactly once");

    /* An unreadable journal entry is moved aside and reported. */
    char broken[1100];
    snprintf(broken, sizeof broken, "%s/c-broken-entry.json", journal_dir);
    FILE *f = fopen(broken, "w");
    if (f != NULL) {
        fputs("{ this is not a journal entry", f);
        fclose(f);
    }
    CHECK_RC(modio_market_client_resume_checkouts(c), MODIO_MARKET_RESULT_OK, "resume_checkouts with a broken entry");
    if (pump_recovery(c, &cap, 3) >= 3) {
        const struct recovery_report *r = &cap.r[2];
        CHECK(r->outcome == MODIO_MARKET_RECOVERY_OUTCOME_CORRUPT_JOURNAL && r->has_file && file_exists(r->file) &&
                  r->has_error && !r->has_checkout,
              "CORRUPT_JOURNAL, with the place the file was kept and why");
        CHECK(!file_exists(broken), "the broken entry was moved out of the journal");
    } else {
        CHECK(false, "a report for the broken entry arrived");
    }
    if (do_refresh(c, &o)) {
        CHECK(o.ok && id_in(1001, o.purchases.ids, o.purchases.count), "refresh_purchases includes 1001");
    }
    free_client(c);

    /* The next start: nothing is owned before a token; alice's token (seen before by this data
       directory) answers at once from her stored list; a token never seen answers nothing. */
    c = new_client_in(dir);
    if (c != NULL) {
        CHECK(!owns(c, 1001), "a new client with the data dir, before any token: owns nothing");
        CHECK_RC(modio_market_client_set_access_token(c, g_alice_token), MODIO_MARKET_RESULT_OK, "set_access_token(alice) again");
        CHECK(owns(c, 1001) && owns(c, 1003) && owns(c, 1004) && !owns(c, 1002),
              "alice's token, known to the data dir: owns 1001, 1003, 1004, not 1002 at once");
        CHECK_RC(modio_market_client_set_access_token(c, "a-token-this-directory-never-saw"), MODIO_MARKET_RESULT_OK,
                 "set_access_token(unknown)");
        CHECK(!owns(c, 1001), "a token the data dir never saw: not alice's list");
        free_client(c);
    }

    section("checkout recovery (bob: refused definitively -> FAILED)");
    char dir2[512];
    if (!make_temp_dir(dir2, sizeof dir2, "modio-c-data")) {
        CHECK(false, "created a second temporary data directory");
        return;
    }
    c = new_client_in(dir2);
    if (c == NULL) {
        return;
    }
    if (!do_auth_steam(c, BOB_STEAM, false, &o, "auth_steam(bob)") || !o.ok) {
        free_client(c);
        return;
    }
    char bob_token[512];
    copy_text(bob_token, sizeof bob_token, o.token);
    settle(c);
    CHECK(control_ok("POST", "/faults",
                     "{\"path\":\"/v1/games/1/mods/1004/checkout\",\"method\":\"POST\",\"count\":1,\"kind\":\"close_after\"}"),
          "the fake processes bob's next checkout of 1004, then drops the connection");
    if (do_checkout(c, 1004, 1500, "c-recover-bob", &o, "checkout(1004 at 1500 with 500): the answer is lost")) {
        CHECK(!o.ok && o.code != MODIO_MARKET_RESULT_HTTP && o.http_status == 0,
              "the game hears a transport failure, not an answer (%s)", modio_market_result_name(o.code));
    }
    free_client(c);
    c = new_client_in(dir2);
    if (c == NULL) {
        return;
    }
    CHECK_RC(modio_market_client_set_access_token(c, bob_token), MODIO_MARKET_RESULT_OK, "set_access_token(bob) first");
    memset(&cap, 0, sizeof cap);
    cap.thread = pthread_self();
    for (int frame = 0; frame < 5; frame++) {
        pump_poll(c, NULL); /* recovery may finish before anyone listens */
    }
    CHECK_RC(modio_market_client_set_recovery_callback(c, on_recovery, &cap), MODIO_MARKET_RESULT_OK,
             "set_recovery_callback afterwards (reports wait for it)");
    if (pump_recovery(c, &cap, 1) >= 1) {
        const struct recovery_report *r = &cap.r[0];
        CHECK(r->outcome == MODIO_MARKET_RECOVERY_OUTCOME_FAILED && r->has_error && r->code == MODIO_MARKET_RESULT_HTTP &&
                  r->http_status == 422 && r->error_ref == MODIO_MARKET_ERROR_REF_MONETIZATION_INSUFFICIENT_FUNDS &&
                  !r->has_checkout,
              "the resend replays mod.io's answer: FAILED with 422 / 900049");
        CHECK(r->user_id == BOB_ID && r->mod_id == 1004 && strcmp(r->key, "c-recover-bob") == 0,
              "the report names bob, mod 1004, key c-recover-bob");
    } else {
        CHECK(false, "bob's recovery report arrived");
    }
    CHECK(fake_balance(BOB_ID) == BOB_BALANCE, "bob was not charged");
    CHECK_RC(modio_market_client_set_recovery_callback(c, NULL, NULL), MODIO_MARKET_RESULT_OK,
             "set_recovery_callback(NULL) unregisters");
    free_client(c);

    /* Without a data directory there is nothing to resume. */
    c = new_client();
    if (c != NULL) {
        CHECK_RC(modio_market_client_resume_checkouts(c), MODIO_MARKET_RESULT_OK, "resume_checkouts without a data dir");
        CHECK_RC(pump_poll(c, NULL), MODIO_MARKET_RESULT_OK, "poll afterwards");
        size_t pending = SENTINEL_SIZE;
        CHECK_RC(modio_market_client_pending_requests(c, &pending), MODIO_MARKET_RESULT_OK, "pending_requests");
        CHECK(pending == 0, "nothing was started");
        free_client(c);
    }
    CHECK(control_ok("DELETE", "/faults", NULL), "cleared the fake's faults");
}

/* ---------------------------------------------------------------------------------------------
 * The S2S client (a studio's purchase server)
 * ------------------------------------------------------------------------------------------- */

#define OAUTH_CLIENT_ID "7001"
#define OAUTH_CLIENT_SECRET "demo-client-secret"

struct s2s_logs {
    int records;
    int leaked;
    int off_pump;
    char key[64];
};

static void on_s2s_log(void *user_data, modio_market_log_level level, const char *message)
{
    struct s2s_logs *l = user_data;
    (void)level;
    l->records++;
    l->off_pump += t_pumping == 0;
    if (message != NULL) {
        l->leaked += strstr(message, OAUTH_CLIENT_SECRET) != NULL || strstr(message, API_KEY) != NULL ||
                     (g_delegation_token[0] && strstr(message, g_delegation_token) != NULL) ||
                     (l->key[0] && strstr(message, l->key) != NULL);
    }
}

static modio_market_s2s_client *new_s2s(const char *secret, const char *scopes)
{
    modio_market_config *config = NULL;
    modio_market_s2s_client *s2s = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) != MODIO_MARKET_RESULT_OK) {
        return NULL;
    }
    modio_market_config_set_base_url(config, g_base_url);
    modio_market_result rc = modio_market_s2s_client_new(config, OAUTH_CLIENT_ID, secret, scopes, &s2s);
    modio_market_config_free(config);
    if (rc != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "s2s_client_new (got %s: %s)", modio_market_result_name(rc), last_error());
        return NULL;
    }
    return s2s;
}

static modio_market_result s2s_wait(modio_market_s2s_client *s, uint64_t id, uint32_t ms)
{
    t_pumping++;
    modio_market_result rc = modio_market_s2s_client_wait(s, id, ms, NULL);
    t_pumping--;
    return rc;
}

static bool s2s_started(modio_market_s2s_client *s, modio_market_result rc, const uint64_t *id, struct outcome *o,
                        const char *what)
{
    if (rc != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "%s: submitted (got %s: %s)", what, modio_market_result_name(rc), last_error());
        return false;
    }
    rc = s2s_wait(s, *id, WAIT_MS);
    bool ok = rc == MODIO_MARKET_RESULT_OK && o->calls == 1 && o->request_id == *id && o->inside_pump && o->exactly_one;
    CHECK(ok, "%s: callback ran once, inside wait (wait -> %s, calls %d)", what, modio_market_result_name(rc), o->calls);
    return ok;
}

/* A lost checkout answer is resolved by the background resend, reported through the recovery
 * callback without the game calling resume_checkouts; and the setter's arguments are checked. */
static void test_background_retry(void)
{
    section("background retry: a lost answer is resolved without resume_checkouts");
    modio_market_config *config = NULL;
    CHECK_RC(modio_market_config_new(GAME_ID, API_KEY, &config), MODIO_MARKET_RESULT_OK, "config_new");
    if (config == NULL) {
        return;
    }
    CHECK_RC(modio_market_config_set_background_retry(NULL, 20, 100, 5), MODIO_MARKET_RESULT_NULL_POINTER,
             "set_background_retry(NULL config)");
    CHECK_RC(modio_market_config_set_background_retry(config, 0, 100, 5), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_background_retry(first delay 0)");
    CHECK_RC(modio_market_config_set_background_retry(config, 200, 100, 5), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_background_retry(max delay below the first)");
    CHECK_RC(modio_market_config_set_background_retry(config, 20, 100, 101), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "set_background_retry(101 attempts)");
    CHECK_RC(modio_market_config_set_background_retry(config, 20, 100, 0), MODIO_MARKET_RESULT_OK,
             "set_background_retry(0 attempts: none)");
    CHECK_RC(modio_market_config_set_background_retry(config, 20, 100, 5), MODIO_MARKET_RESULT_OK,
             "set_background_retry(20 ms doubling to 100 ms, 5 resends)");
    CHECK_RC(modio_market_config_set_base_url(config, g_base_url), MODIO_MARKET_RESULT_OK, "set_base_url");
    CHECK_RC(modio_market_config_set_retry_policy(config, 1, 0, 0, 10000), MODIO_MARKET_RESULT_OK, "set_retry_policy(never)");
    modio_market_client *c = NULL;
    CHECK_RC(modio_market_client_new(config, &c), MODIO_MARKET_RESULT_OK, "client_new");
    modio_market_config_free(config);
    if (c == NULL) {
        return;
    }
    /* A new player with 500 Gold. */
    int status = 0;
    char *user = control("POST", "/users", "{\"username\":\"dora\",\"balance\":500}", &status);
    char token[256] = "";
    int64_t dora = 0;
    const char *t = user ? strstr(user, "\"access_token\":\"") : NULL;
    if (t != NULL) {
        t += strlen("\"access_token\":\"");
        size_t n = strcspn(t, "\"");
        if (n < sizeof token) {
            memcpy(token, t, n);
            token[n] = '\0';
        }
    }
    CHECK(status == 200 && token[0] != '\0' && json_int(user, "id", &dora), "the fake made player dora (status %d)", status);
    free(user);
    struct recovery_capture cap;
    memset(&cap, 0, sizeof cap);
    cap.thread = pthread_self();
    CHECK_RC(modio_market_client_set_recovery_callback(c, on_recovery, &cap), MODIO_MARKET_RESULT_OK, "set_recovery_callback");
    CHECK_RC(modio_market_client_set_access_token(c, token), MODIO_MARKET_RESULT_OK, "set_access_token(dora)");
    CHECK(control_ok("POST", "/faults",
                     "{\"path\":\"/v1/games/1/mods/1005/checkout\",\"method\":\"POST\",\"count\":1,\"kind\":\"close_after\"}"),
          "the fake processes the next checkout of 1005 but never answers");
    struct outcome o;
    if (do_checkout(c, 1005, 50, "c-background-1", &o, "checkout(1005) whose answer is lost")) {
        CHECK(!o.ok && (o.code == MODIO_MARKET_RESULT_CONNECT || o.code == MODIO_MARKET_RESULT_TRANSPORT),
              "the game hears the lost connection (%s)", modio_market_result_name(o.code));
    }
    if (pump_recovery(c, &cap, 1) >= 1) {
        const struct recovery_report *r = &cap.r[0];
        CHECK(r->outcome == MODIO_MARKET_RECOVERY_OUTCOME_COMPLETED && r->has_checkout && r->checkout_mod_id == 1005 &&
                  r->balance == 450 && (int64_t)r->user_id == dora && strcmp(r->key, "c-background-1") == 0,
              "the background resend completed dora's purchase with its key (outcome %" PRIu32 ")", r->outcome);
    } else {
        CHECK(false, "a recovery report arrived without resume_checkouts");
    }
    CHECK(owns(c, 1005), "owns(1005) after the background resend");
    CHECK(cap.off_pump == 0, "the report ran inside poll, on the polling thread");
    struct charge charges[64];
    int n = read_charges(charges, 64), keyed = 0;
    for (int i = 0; i < n; i++) {
        keyed += strcmp(charges[i].key, "c-background-1") == 0;
    }
    CHECK(keyed == 1, "the fake charged key c-background-1 exactly once");
    free_client(c);
}

static void test_s2s(void)
{
    section("S2S: idempotency keys");
    char key1[64], key2[64];
    size_t length = SENTINEL_SIZE;
    CHECK_RC(modio_market_s2s_idempotency_key_generate(NULL, 0, &length), MODIO_MARKET_RESULT_BUFFER_TOO_SMALL,
             "idempotency_key_generate(NULL buffer)");
    CHECK(length == 36, "a key is 36 characters (%zu)", length);
    CHECK_RC(modio_market_s2s_idempotency_key_generate(key1, 36, &length), MODIO_MARKET_RESULT_BUFFER_TOO_SMALL,
             "idempotency_key_generate(36 bytes: no room for the NUL)");
    CHECK_RC(modio_market_s2s_idempotency_key_generate(key1, sizeof key1, NULL), MODIO_MARKET_RESULT_NULL_POINTER,
             "idempotency_key_generate(length_out NULL)");
    CHECK_RC(modio_market_s2s_idempotency_key_generate(key1, 37, &length), MODIO_MARKET_RESULT_OK,
             "idempotency_key_generate(37 bytes)");
    CHECK_RC(modio_market_s2s_idempotency_key_generate(key2, sizeof key2, &length), MODIO_MARKET_RESULT_OK,
             "idempotency_key_generate again");
    CHECK(is_uuid(key1) && is_uuid(key2) && strcmp(key1, key2) != 0 && length == 36, "two distinct UUID v4 keys");
    CHECK_RC(modio_market_s2s_idempotency_key_validate(key1), MODIO_MARKET_RESULT_OK, "validate(a generated key)");
    CHECK_RC(modio_market_s2s_idempotency_key_validate("abc_DEF-123"), MODIO_MARKET_RESULT_OK, "validate(\"abc_DEF-123\")");
    CHECK_RC(modio_market_s2s_idempotency_key_validate(""), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "validate(\"\")");
    CHECK_RC(modio_market_s2s_idempotency_key_validate("has space"), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "validate(\"has space\")");
    CHECK_RC(modio_market_s2s_idempotency_key_validate("semi;colon"), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "validate(\"semi;colon\")");
    char *k255 = long_string(255, 'k'), *k256 = long_string(256, 'k');
    CHECK_RC(modio_market_s2s_idempotency_key_validate(k255), MODIO_MARKET_RESULT_OK, "validate(255 characters)");
    CHECK_RC(modio_market_s2s_idempotency_key_validate(k256), MODIO_MARKET_RESULT_INVALID_ARGUMENT, "validate(256 characters)");
    free(k255);
    free(k256);
    CHECK_RC(modio_market_s2s_idempotency_key_validate(NULL), MODIO_MARKET_RESULT_NULL_POINTER, "validate(NULL)");

    section("S2S: client handles and argument checks");
    modio_market_config *config = NULL;
    modio_market_s2s_client *s = (modio_market_s2s_client *)(void *)&g_sentinel_storage[0];
    CHECK_RC(modio_market_config_new(GAME_ID, API_KEY, &config), MODIO_MARKET_RESULT_OK, "config_new");
    if (config != NULL) {
        modio_market_config_set_base_url(config, g_base_url);
        CHECK_RC(modio_market_s2s_client_new(NULL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, NULL, &s),
                 MODIO_MARKET_RESULT_NULL_POINTER, "s2s_client_new(NULL config)");
        CHECK_RC(modio_market_s2s_client_new(config, NULL, OAUTH_CLIENT_SECRET, NULL, &s), MODIO_MARKET_RESULT_NULL_POINTER,
                 "s2s_client_new(NULL client_id)");
        CHECK_RC(modio_market_s2s_client_new(config, OAUTH_CLIENT_ID, NULL, NULL, &s), MODIO_MARKET_RESULT_NULL_POINTER,
                 "s2s_client_new(NULL client_secret)");
        CHECK_RC(modio_market_s2s_client_new(config, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, NULL, NULL),
                 MODIO_MARKET_RESULT_NULL_POINTER, "s2s_client_new(NULL client_out)");
        CHECK_RC(modio_market_s2s_client_new(config, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, "read,admin", &s),
                 MODIO_MARKET_RESULT_INVALID_ARGUMENT, "s2s_client_new(scopes \"read,admin\")");
        CHECK(!last_error_mentions(OAUTH_CLIENT_SECRET), "no error text repeats the client secret");
        CHECK(s == (modio_market_s2s_client *)(void *)&g_sentinel_storage[0], "failed s2s_client_new calls wrote no handle");
        modio_market_config_free(config);
    }
    modio_market_s2s_client_free(NULL);
    CHECK(true, "s2s_client_free(NULL) is a no-op");
    struct outcome o;
    uint64_t id = SENTINEL_ID;
    size_t ran = SENTINEL_SIZE;
    fresh(&o);
    const modio_market_result N = MODIO_MARKET_RESULT_NULL_POINTER;
    int wrong = 0;
    wrong += modio_market_s2s_client_poll(NULL, &ran) != N;
    wrong += modio_market_s2s_client_wait(NULL, 1, 1, &ran) != N;
    wrong += modio_market_s2s_client_cancel(NULL, 1) != N;
    wrong += modio_market_s2s_client_set_log_callback(NULL, MODIO_MARKET_LOG_LEVEL_INFO, ignore_log, NULL) != N;
    wrong += modio_market_s2s_client_refresh_service_token(NULL, on_service_token, &o, &id) != N;
    wrong += modio_market_s2s_client_intent(NULL, "d", "GOLD_1000", "steam", NULL, NULL, on_s2s_transaction, &o, &id) != N;
    wrong += modio_market_s2s_client_commit(NULL, "d", 1, NULL, NULL, on_s2s_transaction, &o, &id) != N;
    wrong += modio_market_s2s_client_clawback(NULL, 1, NULL, "steam", "r", NULL, on_s2s_transaction, &o, &id) != N;
    CHECK(wrong == 0 && id == SENTINEL_ID && ran == SENTINEL_SIZE && o.calls == 0,
          "all 8 S2S client functions answer NULL_POINTER for a NULL client, writing nothing");

    s = new_s2s(OAUTH_CLIENT_SECRET, NULL);
    if (s == NULL) {
        return;
    }
    struct s2s_logs logs;
    memset(&logs, 0, sizeof logs);
    copy_text(logs.key, sizeof logs.key, key1);
    CHECK_RC(modio_market_s2s_client_set_log_callback(s, 0, on_s2s_log, &logs), MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE,
             "s2s set_log_callback(level 0)");
    CHECK_RC(modio_market_s2s_client_set_log_callback(s, MODIO_MARKET_LOG_LEVEL_TRACE, on_s2s_log, &logs),
             MODIO_MARKET_RESULT_OK, "s2s set_log_callback(TRACE)");
    CHECK_RC(modio_market_s2s_client_poll(s, &ran), MODIO_MARKET_RESULT_OK, "s2s poll with nothing to do");
    CHECK(ran == 0, "it ran 0 callbacks");
    CHECK_RC(s2s_wait(s, 987654, 10), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "s2s wait(an unknown id)");
    CHECK_RC(s2s_wait(s, 0, 50), MODIO_MARKET_RESULT_WAIT_TIMED_OUT, "s2s wait(any, 50 ms) with nothing pending");
    CHECK_RC(modio_market_s2s_client_cancel(s, 987654), MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, "s2s cancel(an unknown id)");
    CHECK_RC(modio_market_s2s_client_intent(s, "d", "GOLD_1000", "myspace", NULL, NULL, on_s2s_transaction, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "intent(portal \"myspace\")");
    CHECK_RC(modio_market_s2s_client_intent(s, "d", "GOLD_1000", "steam", NULL, "bad key", on_s2s_transaction, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "intent(key \"bad key\")");
    CHECK_RC(modio_market_s2s_client_intent(s, "d", "GOLD_1000", "steam", NULL, NULL, NULL, &o, &id), N,
             "intent(NULL callback)");
    CHECK_RC(modio_market_s2s_client_intent(s, NULL, "GOLD_1000", "steam", NULL, NULL, on_s2s_transaction, &o, &id), N,
             "intent(NULL delegation token)");
    CHECK_RC(modio_market_s2s_client_clawback(s, 0, NULL, "steam", "r", NULL, on_s2s_transaction, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "clawback(neither transaction_id nor gateway_uuid)");
    CHECK_RC(modio_market_s2s_client_clawback(s, 1, NULL, "steam", NULL, NULL, on_s2s_transaction, &o, &id), N,
             "clawback(NULL refund_reason)");
    CHECK(id == SENTINEL_ID && o.calls == 0, "refused S2S calls wrote no id and ran no callback");

    section("S2S: service token, intent, commit, clawback (alice, GOLD_1000 on Steam)");
    fresh(&o);
    if (s2s_started(s, modio_market_s2s_client_refresh_service_token(s, on_service_token, &o, &id), &id, &o,
                    "refresh_service_token") &&
        expect_ok(&o, "service token")) {
        CHECK(strcmp(o.service.token_type, "Bearer") == 0 && strstr(o.service.scopes, "write") != NULL &&
                  strstr(o.service.scopes, "monetization") != NULL && o.service.expires_in > 0,
              "a Bearer token with write and monetization scopes, for %" PRId64 " s (the token itself is not shown)",
              o.service.expires_in);
    }
    modio_market_client *game = new_client();
    if (game == NULL) {
        modio_market_s2s_client_free(s);
        return;
    }
    CHECK_RC(modio_market_client_set_access_token(game, g_alice_token), MODIO_MARKET_RESULT_OK, "game: set_access_token(alice)");
    fresh(&o);
    if (!started(game, modio_market_client_request_delegation_token(game, on_delegation, &o, &id), &id, &o,
                 "game: request_delegation_token") ||
        !expect_ok(&o, "delegation token")) {
        free_client(game);
        modio_market_s2s_client_free(s);
        return;
    }
    int64_t balance = wallet_balance(game);
    CHECK(balance == g_alice_balance, "alice has %" PRId64 " before the S2S purchase", balance);

    uint64_t transaction = 0;
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_intent(s, g_delegation_token, "GOLD_1000", "steam", "gw-c-test-1", key1,
                                                   on_s2s_transaction, &o, &id),
                    &id, &o, "intent(GOLD_1000, steam, gateway gw-c-test-1, our key)") &&
        expect_ok(&o, "intent")) {
        transaction = o.s2s.id;
        CHECK(o.s2s.id > 0 && o.s2s.state == MODIO_MARKET_TRANSACTION_STATE_PENDING && strcmp(o.s2s.state_name, "pending") == 0 &&
                  o.s2s.gross == 1000,
              "transaction %" PRIu64 ": pending, 1000", o.s2s.id);
        CHECK(!o.s2s.key_null && strcmp(o.s2s.key, key1) == 0, "the transaction carries our key");
        CHECK(o.s2s.meta_count == 1 && o.s2s.meta_game_id == GAME_ID && o.s2s.meta_buyer_id == ALICE_ID &&
                  strcmp(o.s2s.meta_buyer_name, "alice") == 0 && strcmp(o.s2s.meta_game_name, "Rogue Knight") == 0 &&
                  strcmp(o.s2s.meta_token_name, "Gold") == 0 && o.s2s.meta_token_pack_id == 1 &&
                  o.s2s.meta_token_pack_name[0] && o.s2s.meta_json_set,
              "meta: game 1 Rogue Knight, buyer 1 alice, Gold, token pack 1 (\"%s\")", o.s2s.meta_token_pack_name);
    }
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_intent(s, g_delegation_token, "GOLD_1000", "steam", "gw-c-test-1", key1,
                                                   on_s2s_transaction, &o, &id),
                    &id, &o, "intent repeated with the same key")) {
        CHECK(o.ok && o.s2s.id == transaction, "the repeat answers the same transaction (%" PRIu64 ")", o.s2s.id);
    }
    CHECK(wallet_balance(game) == balance, "a pending intent credits nothing");
    fresh(&o);
    if (s2s_started(s, modio_market_s2s_client_commit(s, g_delegation_token, transaction, NULL, NULL, on_s2s_transaction, &o, &id),
                    &id, &o, "commit(the transaction, generated key)") &&
        expect_ok(&o, "commit")) {
        CHECK(o.s2s.id == transaction && o.s2s.state == MODIO_MARKET_TRANSACTION_STATE_PAID &&
                  strcmp(o.s2s.state_name, "paid") == 0,
              "the transaction is paid");
        CHECK(is_uuid(o.s2s.key) && strcmp(o.s2s.key, key1) != 0, "the commit got a key of its own (generated)");
    }
    balance += 1000;
    CHECK(wallet_balance(game) == balance, "the wallet was credited 1000 (%" PRId64 ")", balance);
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_commit(s, g_delegation_token, transaction, "cb-c-test-1", key2, on_s2s_transaction,
                                                   &o, &id),
                    &id, &o, "commit again with another key")) {
        CHECK(o.ok && o.s2s.state == MODIO_MARKET_TRANSACTION_STATE_PAID, "still paid");
    }
    CHECK(wallet_balance(game) == balance, "credited once only");
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_clawback(s, transaction, NULL, "steam", "chargeback", "cb-c-test-1",
                                                     on_s2s_transaction, &o, &id),
                    &id, &o, "clawback(the transaction)") &&
        expect_ok(&o, "clawback")) {
        CHECK(o.s2s.id == transaction && o.s2s.state == MODIO_MARKET_TRANSACTION_STATE_REFUNDED &&
                  strcmp(o.s2s.state_name, "refunded") == 0 && o.s2s.key_null,
              "refunded; a clawback carries no idempotency key");
    }
    balance -= 1000;
    CHECK(wallet_balance(game) == balance, "the wallet gave the 1000 back (%" PRId64 ")", balance);
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_clawback(s, 0, "gw-c-test-1", "steam", "again", NULL, on_s2s_transaction, &o, &id),
                    &id, &o, "clawback by gateway_uuid, again")) {
        CHECK(o.ok && o.s2s.id == transaction && o.s2s.state == MODIO_MARKET_TRANSACTION_STATE_REFUNDED,
              "found by gateway_uuid, still refunded");
    }
    CHECK(wallet_balance(game) == balance && balance == g_alice_balance, "taken back once only: alice is back to %" PRId64,
          balance);

    section("S2S: errors");
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_intent(s, g_delegation_token, "GOLD_9", "steam", NULL, NULL, on_s2s_transaction,
                                                   &o, &id),
                    &id, &o, "intent(an unmapped sku)")) {
        expect_http_error(&o, 422, MODIO_MARKET_ERROR_REF_VALIDATION_GENERIC, "VALIDATION_GENERIC", "an unmapped sku");
        CHECK(o.field_error_count >= 1 && strcmp(o.first_field, "sku") == 0, "the field errors name sku");
    }
    fresh(&o);
    if (s2s_started(s,
                    modio_market_s2s_client_intent(s, "not-a-delegation-token", "GOLD_1000", "steam", NULL, NULL,
                                                   on_s2s_transaction, &o, &id),
                    &id, &o, "intent(a bad delegation token)")) {
        expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_TOKEN_EXPIRED_OR_REVOKED, "TOKEN_EXPIRED_OR_REVOKED",
                          "a bad delegation token");
    }
    fresh(&o);
    if (s2s_started(s, modio_market_s2s_client_commit(s, g_delegation_token, 999999, NULL, NULL, on_s2s_transaction, &o, &id),
                    &id, &o, "commit(an unknown transaction)")) {
        expect_http_error(&o, 404, MODIO_MARKET_ERROR_REF_RESOURCE_NOT_FOUND, "RESOURCE_NOT_FOUND", "an unknown transaction");
    }
    modio_market_s2s_client *bad = new_s2s("wrong-secret", "read,write,monetization");
    if (bad != NULL) {
        fresh(&o);
        if (s2s_started(bad, modio_market_s2s_client_refresh_service_token(bad, on_service_token, &o, &id), &id, &o,
                        "refresh_service_token with a wrong secret")) {
            expect_http_error(&o, 401, MODIO_MARKET_ERROR_REF_OAUTH_CLIENT_DATA_NOT_VALID, "OAUTH_CLIENT_DATA_NOT_VALID",
                              "a wrong client secret");
            CHECK(strstr(o.message, "wrong-secret") == NULL, "the message does not repeat the secret");
        }
        modio_market_s2s_client_free(bad);
    }

    section("S2S: pump, cancel, re-entry, free with a request in flight");
    fresh(&o);
    o.action = ACT_S2S_REENTER;
    o.s2s_client = s;
    if (s2s_started(s, modio_market_s2s_client_refresh_service_token(s, on_service_token, &o, &id), &id, &o,
                    "refresh_service_token whose callback re-enters")) {
        CHECK(o.inner_rc[0] == MODIO_MARKET_RESULT_REENTRANT && o.inner_rc[1] == MODIO_MARKET_RESULT_REENTRANT &&
                  o.inner_count == SENTINEL_SIZE,
              "s2s poll and wait inside a callback -> REENTRANT");
    }
    CHECK(add_delay("/v1/oauth/token", "POST", SLOW_MS, 1), "the fake answers the next service token late");
    fresh(&o);
    CHECK_RC(modio_market_s2s_client_refresh_service_token(s, on_service_token, &o, &id), MODIO_MARKET_RESULT_OK,
             "refresh_service_token (slow)");
    CHECK_RC(modio_market_s2s_client_cancel(s, id), MODIO_MARKET_RESULT_OK, "s2s cancel");
    CHECK_RC(modio_market_s2s_client_cancel(s, id), MODIO_MARKET_RESULT_ALREADY_COMPLETED, "s2s cancel again");
    CHECK_RC(s2s_wait(s, id, WAIT_MS), MODIO_MARKET_RESULT_OK, "s2s wait for the cancelled request");
    CHECK(o.calls == 1 && o.code == MODIO_MARKET_RESULT_CANCELLED, "its callback ran once with CANCELLED");
    CHECK(logs.records > 0 && logs.leaked == 0 && logs.off_pump == 0,
          "S2S log records (%d) ran inside poll/wait and never contain the secret, the delegation token or our key",
          logs.records);
    CHECK_RC(modio_market_s2s_client_set_log_callback(s, MODIO_MARKET_LOG_LEVEL_TRACE, NULL, NULL), MODIO_MARKET_RESULT_OK,
             "s2s set_log_callback(NULL)");
    CHECK(add_delay("/v1/oauth/token", "POST", SLOW_MS, 1), "the fake answers the next service token late");
    fresh(&o);
    CHECK_RC(modio_market_s2s_client_refresh_service_token(s, on_service_token, &o, &id), MODIO_MARKET_RESULT_OK,
             "refresh_service_token (slow, pending at the free)");
    t_pumping++;
    modio_market_s2s_client_free(s);
    t_pumping--;
    CHECK(o.calls == 1 && o.code == MODIO_MARKET_RESULT_SHUT_DOWN && o.inside_pump &&
              pthread_equal(o.thread, pthread_self()),
          "s2s_client_free ran the pending callback once with SHUT_DOWN, on this thread");
    free_client(game);
}

/* An S2S callback frees its client, then polls: REENTRANT, and the client lives until wait returns. */
static int scenario_s2s_free_then_poll(void)
{
    modio_market_s2s_client *s = new_s2s(OAUTH_CLIENT_SECRET, NULL);
    if (s == NULL) {
        return 1;
    }
    struct outcome o;
    uint64_t id = 0;
    fresh(&o);
    o.action = ACT_S2S_FREE_THEN_REENTER;
    o.s2s_client = s;
    CHECK_RC(modio_market_s2s_client_refresh_service_token(s, on_service_token, &o, &id), MODIO_MARKET_RESULT_OK,
             "refresh_service_token");
    modio_market_result rc = s2s_wait(s, id, WAIT_MS);
    CHECK(rc == MODIO_MARKET_RESULT_OK && o.calls == 1, "wait ran the callback and returned OK (the client is freed now)");
    CHECK(o.inner_rc[0] == MODIO_MARKET_RESULT_REENTRANT, "after free, s2s poll inside the callback -> REENTRANT");
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * The end: the ledger agrees with the wallets
 * ------------------------------------------------------------------------------------------- */

static void test_ledger(void)
{
    section("the fake's ledger at the end");
    struct charge charges[64];
    int n = read_charges(charges, 64);
    int alice = 0;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        if (charges[i].user_id == ALICE_ID) {
            alice++;
            total += charges[i].amount;
        }
    }
    CHECK(n >= 0 && alice == 4 && total == 2050,
          "alice was charged 4 times, 2050 in all (1500 + 400 + 50 + 100 recovered): got %d, %" PRId64, alice, total);
    CHECK(fake_balance(ALICE_ID) == g_alice_balance && g_alice_balance == 2000 + 2500 - 2050,
          "alice's balance is 2000 + 2500 - 2050 = 2450 (%" PRId64 ")", g_alice_balance);
}

/* ---------------------------------------------------------------------------------------------
 * The store page around the mods, downloads and installs, the studio's history
 * ------------------------------------------------------------------------------------------- */

static void on_terms(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_terms *t)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, t)) {
        return;
    }
    VIEW(t, modio_market_terms);
    copy_text(o->terms.agree, sizeof o->terms.agree, t->agree_text);
    copy_text(o->terms.disagree, sizeof o->terms.disagree, t->disagree_text);
    copy_text(o->terms.plaintext, sizeof o->terms.plaintext, t->plaintext);
    o->terms.link_count = t->link_count;
    o->terms.https_links = t->link_count > 0;
    for (size_t i = 0; i < t->link_count; i++) {
        VIEW(t->links[i], modio_market_terms_link);
        if (strcmp(t->links[i]->name, "terms") == 0) {
            o->terms.terms_link_required = t->links[i]->required;
        }
        o->terms.https_links = o->terms.https_links && strncmp(t->links[i]->url, "https://", 8) == 0;
    }
}

static void on_user(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_user *u)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, u)) {
        return;
    }
    VIEW(u, modio_market_user);
    o->user.id = u->id;
    copy_text(o->user.username, sizeof o->user.username, u->username);
}

static void on_token_packs(void *user_data, uint64_t request_id, const modio_market_error *error,
                           const modio_market_token_packs *p)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, p)) {
        return;
    }
    VIEW(p, modio_market_token_packs);
    o->packs.count = p->pack_count;
    copy_text(o->packs.token_name, sizeof o->packs.token_name, p->token_name);
    for (size_t i = 0; i < p->pack_count; i++) {
        const modio_market_token_pack *pack = p->packs[i];
        VIEW(pack, modio_market_token_pack);
        o->packs.steam += strcmp(pack->portal, "STEAM") == 0;
        if (strcmp(pack->sku, "GOLD_1000") == 0 && strcmp(pack->portal, "STEAM") == 0) {
            o->packs.gold_1000_amount = pack->amount;
            o->packs.gold_1000_price = pack->price;
        }
    }
}

static void on_unconverted(void *user_data, uint64_t request_id, const modio_market_error *error,
                           const modio_market_unconverted_entitlements *u)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, u)) {
        return;
    }
    VIEW(u, modio_market_unconverted_entitlements);
    o->unconverted.count = u->entitlement_count;
    o->unconverted.total = u->total;
    for (size_t i = 0; i < u->entitlement_count; i++) {
        VIEW(u->entitlements[i], modio_market_unconverted_entitlement);
        o->unconverted.token_packs += u->entitlements[i]->entitlement_type == MODIO_MARKET_ENTITLEMENT_KIND_TOKEN_PACK;
        if (i == 0) {
            copy_text(o->unconverted.first_sku, sizeof o->unconverted.first_sku, u->entitlements[i]->sku_id);
        }
    }
}

static void on_modfile(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_modfile *f)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, f)) {
        return;
    }
    VIEW(f, modio_market_modfile);
    o->modfile.id = f->id;
    o->modfile.mod_id = f->mod_id;
    o->modfile.filesize = f->filesize;
    o->modfile.filesize_uncompressed = f->filesize_uncompressed;
    o->modfile.date_expires = f->date_expires;
    copy_text(o->modfile.md5, sizeof o->modfile.md5, f->md5);
    copy_text(o->modfile.filename, sizeof o->modfile.filename, f->filename);
    copy_text(o->modfile.version, sizeof o->modfile.version, f->version);
    copy_text(o->modfile.binary_url, sizeof o->modfile.binary_url, f->binary_url);
}

static void on_installed(void *user_data, uint64_t request_id, const modio_market_error *error,
                         const modio_market_installed_mod *m)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, m)) {
        return;
    }
    VIEW(m, modio_market_installed_mod);
    o->installed.mod_id = m->mod_id;
    o->installed.modfile_id = m->modfile_id;
    o->installed.size = m->size;
    o->installed.installed_at = m->installed_at;
    copy_text(o->installed.version, sizeof o->installed.version, m->version);
    copy_text(o->installed.md5, sizeof o->installed.md5, m->md5);
    copy_text(o->installed.path, sizeof o->installed.path, m->path);
}

/* Progress reports: inside the pump, for this request, never going back, never after the end. */
static void on_progress(void *user_data, uint64_t request_id, uint64_t bytes_done, uint64_t bytes_total)
{
    struct outcome *o = user_data;
    o->progress.calls++;
    o->progress.after_completion += o->calls > 0;
    o->progress.outside_pump += t_pumping == 0;
    o->progress.wrong_id += o->request_id != 0 && o->request_id != request_id;
    o->progress.backwards += bytes_done < o->progress.done || (bytes_total != 0 && bytes_done > bytes_total);
    o->request_id = request_id;
    o->progress.done = bytes_done;
    o->progress.total = bytes_total;
}

static void on_history_page(void *user_data, uint64_t request_id, const modio_market_error *error,
                            const modio_market_s2s_history_page *p)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, p)) {
        return;
    }
    VIEW(p, modio_market_s2s_history_page);
    o->history.count = p->transaction_count;
    o->history.per_page = p->per_page;
    o->history.next_null = p->next_cursor == NULL;
    copy_text(o->history.next_cursor, sizeof o->history.next_cursor, p->next_cursor);
    for (size_t i = 0; i < p->transaction_count && i < 16; i++) {
        const modio_market_s2s_history_transaction *t = p->transactions[i];
        VIEW(t, modio_market_s2s_history_transaction);
        for (size_t k = 0; k < t->line_item_count; k++) {
            VIEW(t->line_items[k], modio_market_s2s_meta_line);
        }
        o->history.ids[i] = t->id;
        if (i == 0) {
            copy_text(o->history.first_gateway_uuid, sizeof o->history.first_gateway_uuid, t->gateway_uuid);
            copy_text(o->history.first_state_name, sizeof o->history.first_state_name, t->state_name);
            o->history.first_buyer = t->buyer_id;
            o->history.first_line_items = t->line_item_count;
            o->history.first_gross = t->gross_amount;
            o->history.json_set = t->json != NULL && strstr(t->json, "\"gateway_uuid\"") != NULL;
        }
    }
}

static void on_history_transaction(void *user_data, uint64_t request_id, const modio_market_error *error,
                                   const modio_market_s2s_history_transaction *t)
{
    struct outcome *o = user_data;
    if (!record(o, request_id, error, t)) {
        return;
    }
    VIEW(t, modio_market_s2s_history_transaction);
    o->history.count = 1;
    o->history.ids[0] = t->id;
    copy_text(o->history.first_gateway_uuid, sizeof o->history.first_gateway_uuid, t->gateway_uuid);
    copy_text(o->history.first_state_name, sizeof o->history.first_state_name, t->state_name);
    o->history.first_buyer = t->buyer_id;
    o->history.first_gross = t->gross_amount;
}

/* A client for game 1 with an install directory and a data directory under `root`, signed in
 * with `token` (NULL: signed out). */
static modio_market_client *new_installer(const char *root, const char *token)
{
    char mods[600], data[600];
    snprintf(mods, sizeof mods, "%s/mods", root);
    snprintf(data, sizeof data, "%s/data", root);
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) != MODIO_MARKET_RESULT_OK ||
        modio_market_config_set_base_url(config, g_base_url) != MODIO_MARKET_RESULT_OK ||
        modio_market_config_set_install_dir(config, mods) != MODIO_MARKET_RESULT_OK ||
        modio_market_config_set_data_dir(config, data) != MODIO_MARKET_RESULT_OK ||
        modio_market_client_new(config, &client) != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "created an installing client (%s)", last_error());
        modio_market_config_free(config);
        return NULL;
    }
    modio_market_config_free(config);
    if (token != NULL && modio_market_client_set_access_token(client, token) != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "set the installer's token");
    }
    return client;
}

static bool do_install(modio_market_client *c, uint64_t mod_id, struct outcome *o, const char *what)
{
    uint64_t id = 0;
    fresh(o);
    return started(c, modio_market_client_install_mod(c, mod_id, on_progress, on_installed, o, &id), &id, o, what);
}

static bool file_in_dir(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

static size_t installed_count(modio_market_client *c, uint64_t *first_id)
{
    modio_market_installed_list *list = NULL;
    if (modio_market_client_installed_mods(c, &list) != MODIO_MARKET_RESULT_OK || list == NULL) {
        CHECK(false, "installed_mods answered (%s)", last_error());
        return SIZE_MAX;
    }
    VIEW(list, modio_market_installed_list);
    size_t count = list->mod_count;
    for (size_t i = 0; i < count; i++) {
        VIEW(list->mods[i], modio_market_installed_mod);
    }
    if (first_id != NULL) {
        *first_id = count > 0 ? list->mods[0]->mod_id : 0;
    }
    modio_market_installed_list_free(list);
    return count;
}

/* How many logged requests of the fake contain `needle` (after the last clear). */
static int logged(const char *needle)
{
    int status = 0;
    char *log = control("GET", "/requests", NULL, &status);
    int n = log != NULL ? count_occurrences(log, needle) : -1;
    free(log);
    return n;
}

static void test_store_page(void)
{
    struct outcome o;
    uint64_t id = 0;
    section("store page: terms, the player, currency packs, unconverted entitlements, UDT");
    modio_market_client *c = new_client();
    if (c == NULL) {
        return;
    }
    fresh(&o);
    if (started(c, modio_market_client_get_terms(c, on_terms, &o, &id), &id, &o, "get_terms") && expect_ok(&o, "terms")) {
        CHECK(strcmp(o.terms.agree, "I Agree") == 0 && strcmp(o.terms.disagree, "No, Thanks") == 0,
              "the terms' buttons are in English by default (%s / %s)", o.terms.agree, o.terms.disagree);
        CHECK(o.terms.link_count == 6 && o.terms.terms_link_required && o.terms.https_links,
              "six links, https, the Terms of Use required (%zu)", o.terms.link_count);
    }
    fresh(&o);
    expect_not_authenticated(c, modio_market_client_get_user(c, on_user, &o, &id), &id, &o, "get_user signed out");
    free_client(c);

    /* German, signing in through Steam: the language and the portal reach mod.io. */
    modio_market_config *config = NULL;
    c = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) == MODIO_MARKET_RESULT_OK) {
        modio_market_config_set_base_url(config, g_base_url);
        CHECK_RC(modio_market_config_set_language(config, "de"), MODIO_MARKET_RESULT_OK, "set_language(de)");
        CHECK_RC(modio_market_config_set_language(config, "de\r\nX-Evil: 1"), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
                 "a language that is not a tag is refused");
        CHECK_RC(modio_market_config_set_portal(config, "steam"), MODIO_MARKET_RESULT_OK, "set_portal(steam)");
        CHECK_RC(modio_market_client_new(config, &c), MODIO_MARKET_RESULT_OK, "client_new (German)");
        modio_market_config_free(config);
    }
    if (c != NULL) {
        CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
        fresh(&o);
        if (started(c, modio_market_client_get_terms(c, on_terms, &o, &id), &id, &o, "get_terms (de)") &&
            expect_ok(&o, "terms (de)")) {
            CHECK(strcmp(o.terms.agree, "Ich stimme zu") == 0, "the buttons are German (%s)", o.terms.agree);
            CHECK(strstr(o.terms.plaintext, "Steam") != NULL, "the text names the Steam account");
        }
        CHECK(logged("\"accept-language\":\"de\"") == 1, "Accept-Language: de was sent");
        free_client(c);
    }

    /* Alice: who she is, the packs, what she has not converted. */
    c = new_client();
    if (c == NULL) {
        return;
    }
    struct outcome auth;
    if (!do_auth_steam(c, ALICE_STEAM, true, &auth, "alice signs in") || !expect_ok(&auth, "alice signs in")) {
        free_client(c);
        return;
    }
    fresh(&o);
    if (started(c, modio_market_client_get_user(c, on_user, &o, &id), &id, &o, "get_user") && expect_ok(&o, "get_user")) {
        CHECK(o.user.id == ALICE_ID && strcmp(o.user.username, "alice") == 0, "get_user names alice (%" PRIu64 " %s)",
              o.user.id, o.user.username);
    }
    fresh(&o);
    if (started(c, modio_market_client_get_token_packs(c, on_token_packs, &o, &id), &id, &o, "get_token_packs") &&
        expect_ok(&o, "token packs")) {
        CHECK(strcmp(o.packs.token_name, "Gold") == 0, "the packs name the game's currency (%s)", o.packs.token_name);
        CHECK(o.packs.steam == 2 && o.packs.gold_1000_amount == 1000 && o.packs.gold_1000_price == 999,
              "two Steam packs; GOLD_1000 gives 1000 for 999 (%zu, %" PRId64 ", %" PRId64 ")", o.packs.steam,
              o.packs.gold_1000_amount, o.packs.gold_1000_price);
    }
    fresh(&o);
    uint64_t before = 0;
    if (started(c, modio_market_client_unconverted_entitlements_steam(c, on_unconverted, &o, &id), &id, &o,
                "unconverted (steam)") &&
        expect_ok(&o, "unconverted (steam)")) {
        before = o.unconverted.total;
    }
    CHECK(add_entitlement(ALICE_ID, "steam", "GOLD_500", 2), "the fake gives alice two GOLD_500 on Steam");
    int64_t balance = fake_balance(ALICE_ID);
    fresh(&o);
    if (started(c, modio_market_client_unconverted_entitlements_steam(c, on_unconverted, &o, &id), &id, &o,
                "unconverted again") &&
        expect_ok(&o, "unconverted again")) {
        CHECK(o.unconverted.total == before + 2 && o.unconverted.count == o.unconverted.total &&
                  o.unconverted.token_packs == o.unconverted.count,
              "two more token packs to convert (%" PRIu64 " -> %" PRIu64 ")", before, o.unconverted.total);
    }
    CHECK(fake_balance(ALICE_ID) == balance, "listing converted nothing");
    fresh(&o);
    if (started(c, modio_market_client_unconverted_entitlements_xbox_live(c, ALICE_XBOX, on_unconverted, &o, &id), &id,
                &o, "unconverted (xbox)")) {
        expect_ok(&o, "unconverted (xbox)");
    }
    CHECK_RC(modio_market_client_unconverted_entitlements_psn(c, "psn", -1, -1, on_unconverted, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "PSN without the client's platform is refused at submission");
    CHECK(last_error_mentions("platform"), "the error says the platform is needed (%s)", last_error());
    CHECK_RC(modio_market_client_unconverted_entitlements_epic(c, "t", "a b", on_unconverted, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "a sandbox id with a space is refused");
    fresh(&o);
    if (started(c, modio_market_client_unconverted_entitlements_epic(c, ALICE_EPIC, NULL, on_unconverted, &o, &id), &id,
                &o, "unconverted (epic)")) {
        CHECK(o.ok || o.code == MODIO_MARKET_RESULT_HTTP, "Epic: an answer or mod.io's refusal (%s)", o.message);
    }

    /* A studio tool signs in as alice with her delegation token. */
    fresh(&o);
    char delegation[512] = "";
    if (started(c, modio_market_client_request_delegation_token(c, on_delegation, &o, &id), &id, &o, "delegation token") &&
        expect_ok(&o, "delegation token")) {
        copy_text(delegation, sizeof delegation, g_delegation_token);
    }
    modio_market_client *studio = new_client();
    if (studio != NULL && delegation[0] != '\0') {
        fresh(&o);
        if (started(studio, modio_market_client_auth_udt(studio, delegation, on_auth, &o, &id), &id, &o, "auth_udt")) {
            expect_ok(&o, "auth_udt");
        }
        fresh(&o);
        if (started(studio, modio_market_client_get_user(studio, on_user, &o, &id), &id, &o, "get_user (UDT)") &&
            expect_ok(&o, "get_user (UDT)")) {
            CHECK(o.user.id == ALICE_ID, "the studio acts as alice");
        }
        fresh(&o);
        if (started(studio, modio_market_client_auth_udt(studio, "forged", on_auth, &o, &id), &id, &o, "auth_udt forged")) {
            expect_http_error(&o, 401, 11005, "TOKEN_EXPIRED_OR_REVOKED", "a forged delegation token");
        }
    }
    free_client(studio);
    free_client(c);
}

/* The child of the kill test: installs 2001 from a trickling server and dies of SIGKILL (no
 * cleanup, no destructor, as a crash or a killed game would) once some bytes are on disk. */
static void install_then_die(const char *root)
{
    alarm(60);
    modio_market_client *c = new_installer(root, NULL);
    struct outcome o;
    uint64_t id = 0;
    fresh(&o);
    if (c == NULL || modio_market_client_install_mod(c, 2001, on_progress, on_installed, &o, &id) != MODIO_MARKET_RESULT_OK) {
        _exit(3);
    }
    for (double start = now_ms(); now_ms() - start < WAIT_MS;) {
        modio_market_client_wait(c, 0, 100, NULL);
        if (o.calls > 0) {
            _exit(4); /* finished before it could be killed: the trickle did not apply */
        }
        if (o.progress.done >= 1500) {
            raise(SIGKILL);
        }
    }
    _exit(5);
}

/* The start of the Range the fake last logged for a download, or -1. */
static long long logged_range_start(void)
{
    int status = 0;
    char *log = control("GET", "/requests", NULL, &status);
    const char *needle = "\"range\":\"bytes=";
    long long start = -1;
    for (const char *at = log != NULL ? strstr(log, needle) : NULL; at != NULL; at = strstr(at + 1, needle)) {
        start = strtoll(at + strlen(needle), NULL, 10);
    }
    free(log);
    return start;
}

static void test_killed_download(void)
{
    section("downloads: a process killed mid-download, and the next run resumes where it stopped");
    char root[512];
    if (!make_temp_dir(root, sizeof root, "modio-c-killed")) {
        CHECK(false, "created a temporary install directory");
        return;
    }
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    CHECK(control_ok("POST", "/faults",
                     "{\"path\":\"/v1/games/1/mods/2001/files/\",\"method\":\"GET\",\"count\":1,\"kind\":\"trickle\","
                     "\"bytes_per_sec\":2000}"),
          "the fake trickles the next download of 2001");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        CHECK(false, "fork failed");
        return;
    }
    if (pid == 0) {
        install_then_die(root);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the installing process was killed mid-download (status %d)", status);
    modio_market_client *c = new_installer(root, NULL);
    if (c == NULL) {
        return;
    }
    CHECK(installed_count(c, NULL) == 0, "nothing counts as installed after the kill");
    struct outcome o;
    if (do_install(c, 2001, &o, "install 2001 after the kill") && expect_ok(&o, "install after the kill")) {
        long long resumed_at = logged_range_start();
        CHECK(resumed_at >= 1500, "the download resumed with a Range from the bytes the killed run kept (bytes=%lld-)", resumed_at);
        CHECK(file_in_dir(o.installed.path, "modinfo.txt"), "2001 is installed and checked");
        CHECK(o.progress.total > 0 && o.progress.done == o.progress.total, "its progress ended at the file's size");
    }
    free_client(c);
}

static void test_install(void)
{
    struct outcome o;
    uint64_t id = 0;
    section("downloads: the modfile, install with progress, resume, integrity, ownership, uninstall");
    char root[512];
    if (!make_temp_dir(root, sizeof root, "modio-c-install")) {
        CHECK(false, "created a temporary install directory");
        return;
    }
    modio_market_client *plain = new_client();
    if (plain != NULL) {
        CHECK_RC(modio_market_client_install_mod(plain, 2001, NULL, on_installed, &o, &id),
                 MODIO_MARKET_RESULT_INVALID_ARGUMENT, "install without an install directory is refused at once");
        CHECK(last_error_mentions("install_dir"), "the error names install_dir (%s)", last_error());
        modio_market_installed_list *list = (modio_market_installed_list *)(void *)&g_sentinel_storage[0];
        CHECK_RC(modio_market_client_installed_mods(plain, &list), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
                 "installed_mods without an install directory");
        CHECK(list == (modio_market_installed_list *)(void *)&g_sentinel_storage[0], "the out-param is untouched");
        free_client(plain);
    }
    modio_market_client *c = new_installer(root, NULL);
    if (c == NULL) {
        return;
    }
    uint64_t modfile_id = 0;
    char md5[40] = "";
    fresh(&o);
    if (started(c, modio_market_client_get_mod(c, 2001, on_mod, &o, &id), &id, &o, "get_mod 2001") && expect_ok(&o, "mod")) {
        modfile_id = o.mod.modfile_id;
        copy_text(md5, sizeof md5, o.mod.md5);
    }
    fresh(&o);
    if (started(c, modio_market_client_get_modfile(c, 2001, modfile_id, on_modfile, &o, &id), &id, &o, "get_modfile") &&
        expect_ok(&o, "modfile")) {
        CHECK(o.modfile.id == modfile_id && o.modfile.mod_id == 2001 && strcmp(o.modfile.md5, md5) == 0,
              "the modfile is the mod's current file, same MD5");
        CHECK(o.modfile.filesize > 0 && o.modfile.filesize_uncompressed > 0 && strstr(o.modfile.binary_url, "/download/"),
              "it has sizes and a download link");
    }
    fresh(&o);
    if (started(c, modio_market_client_get_modfile(c, 2001, 999999, on_modfile, &o, &id), &id, &o, "get_modfile unknown")) {
        expect_http_error(&o, 404, 15010, "MODFILE_NOT_FOUND", "an unknown modfile");
    }

    /* Install with progress. */
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    if (do_install(c, 2001, &o, "install 2001") && expect_ok(&o, "install 2001")) {
        char want[600];
        snprintf(want, sizeof want, "%s/mods/2001", root);
        CHECK(o.installed.mod_id == 2001 && o.installed.modfile_id == modfile_id && strcmp(o.installed.md5, md5) == 0,
              "the installed mod names its file and MD5");
        CHECK(strcmp(o.installed.path, want) == 0 && file_in_dir(o.installed.path, "modinfo.txt"),
              "extracted to {install_dir}/2001 (%s)", o.installed.path);
        CHECK(o.installed.size > 0 && o.installed.installed_at > 0, "its size and install time are set");
        CHECK(o.progress.calls >= 1 && o.progress.done == o.progress.total && o.progress.total > 0,
              "progress ended at the archive's size (%d reports, %" PRIu64 "/%" PRIu64 ")", o.progress.calls,
              o.progress.done, o.progress.total);
        CHECK(o.progress.after_completion == 0 && o.progress.outside_pump == 0 && o.progress.wrong_id == 0 &&
                  o.progress.backwards == 0,
              "progress ran inside the pump, for this request, forward only, before the completion");
    }
    uint64_t first = 0;
    CHECK(installed_count(c, &first) == 1 && first == 2001, "installed_mods lists 2001");
    int downloads = logged("/mods/2001/files/");
    if (do_install(c, 2001, &o, "install 2001 again") && expect_ok(&o, "install again")) {
        CHECK(logged("/mods/2001/files/") == downloads, "the current file installed: no second download");
    }

    /* Cancelled mid-download (a slow server), then resumed with Range. */
    CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
    CHECK(control_ok("POST", "/faults",
                     "{\"path\":\"/v1/games/1/mods/2002/files/\",\"method\":\"GET\",\"count\":1,\"kind\":\"trickle\","
                     "\"bytes_per_sec\":1000}"),
          "the fake trickles the next download of 2002");
    fresh(&o);
    CHECK_RC(modio_market_client_install_mod(c, 2002, on_progress, on_installed, &o, &id), MODIO_MARKET_RESULT_OK,
             "install 2002 submitted");
    for (double start = now_ms(); o.progress.done == 0 && o.calls == 0 && now_ms() - start < WAIT_MS;) {
        pump_wait(c, 0, 100, NULL);
    }
    CHECK(o.progress.done > 0 && o.calls == 0, "some bytes arrived before the end (%" PRIu64 ")", o.progress.done);
    CHECK_RC(modio_market_client_cancel(c, id), MODIO_MARKET_RESULT_OK, "cancel the install");
    pump_wait(c, id, WAIT_MS, NULL);
    expect_code(&o, MODIO_MARKET_RESULT_CANCELLED, "the cancelled install");
    CHECK(installed_count(c, NULL) == 1, "nothing more installed");
    if (do_install(c, 2002, &o, "install 2002 again") && expect_ok(&o, "install 2002 again")) {
        CHECK(logged("\"range\":\"bytes=") == 1, "the second download resumed with a Range");
        CHECK(file_in_dir(o.installed.path, "modinfo.txt"), "2002 is installed");
    }

    /* A corrupted archive is refused and nothing is installed. */
    if (do_install(c, 2001, &o, "2001 is still installed") && o.ok) {
        uint64_t uid = 0;
        fresh(&o);
        if (started(c, modio_market_client_uninstall_mod(c, 2001, on_installed, &o, &uid), &uid, &o, "uninstall 2001") &&
            expect_ok(&o, "uninstall 2001")) {
            CHECK(o.installed.mod_id == 2001 && !file_in_dir(o.installed.path, "modinfo.txt"), "its directory is gone");
        }
    }
    fresh(&o);
    if (started(c, modio_market_client_uninstall_mod(c, 2001, on_installed, &o, &id), &id, &o, "uninstall again")) {
        expect_code(&o, MODIO_MARKET_RESULT_INVALID_ARGUMENT, "uninstalling what is not installed");
    }
    CHECK(control_ok("POST", "/faults",
                     "{\"path\":\"/v1/games/1/mods/2001/files/\",\"method\":\"GET\",\"count\":1,\"kind\":\"corrupt\"}"),
          "the fake corrupts the next download of 2001");
    if (do_install(c, 2001, &o, "install a corrupted archive")) {
        expect_code(&o, MODIO_MARKET_RESULT_INTEGRITY_FAILED, "a corrupted archive");
    }
    uint64_t left = 0;
    CHECK(installed_count(c, &left) == 1 && left == 2002, "only 2002 is installed");
    free_client(c);

    /* Only owners download paid mods when the game says so. */
    CHECK(control_ok("POST", "/games/1/api_access_options", "{\"options\":10}"), "game 1: paid downloads for owners only");
    char carol_root[600];
    snprintf(carol_root, sizeof carol_root, "%s/carol", root);
    modio_market_client *carol = new_installer(carol_root, NULL);
    struct outcome auth;
    if (carol != NULL && do_auth_steam(carol, CAROL_STEAM, true, &auth, "carol signs in") && expect_ok(&auth, "carol")) {
        CHECK(control_ok("DELETE", "/requests", NULL), "cleared the fake's request log");
        if (do_install(carol, 1004, &o, "carol installs a mod she does not own")) {
            expect_code(&o, MODIO_MARKET_RESULT_NOT_OWNED, "a paid mod carol does not own");
            CHECK(logged("/mods/1004/files/") == 0, "not a byte was fetched");
        }
    }
    free_client(carol);
    CHECK(control_ok("POST", "/games/1/api_access_options", "{\"options\":3}"), "game 1: downloads open again");
}

static void test_history(void)
{
    struct outcome o;
    uint64_t id = 0;
    section("S2S: the studio's transaction history");
    modio_market_config *config = NULL;
    modio_market_s2s_client *s = NULL;
    if (modio_market_config_new(GAME_ID, API_KEY, &config) != MODIO_MARKET_RESULT_OK) {
        CHECK(false, "config_new");
        return;
    }
    modio_market_config_set_base_url(config, g_base_url);
    modio_market_s2s_client *unset = NULL;
    CHECK_RC(modio_market_s2s_client_new(config, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, NULL, &unset), MODIO_MARKET_RESULT_OK,
             "an S2S client without a team");
    CHECK_RC(modio_market_config_set_monetization_team_id(config, GAME_ID + 1000), MODIO_MARKET_RESULT_OK,
             "set_monetization_team_id");
    CHECK_RC(modio_market_s2s_client_new(config, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, NULL, &s), MODIO_MARKET_RESULT_OK,
             "an S2S client of team 1001");
    modio_market_config_free(config);
    modio_market_s2s_transaction_query q;
    memset(&q, 0, sizeof q);
    q.struct_size = sizeof q;
    if (unset != NULL) {
        fresh(&o);
        if (s2s_started(unset, modio_market_s2s_client_transactions(unset, &q, on_history_page, &o, &id), &id, &o,
                        "history without a team")) {
            expect_code(&o, MODIO_MARKET_RESULT_INVALID_ARGUMENT, "history without a team");
            CHECK(strstr(o.message, "monetization_team_id") != NULL, "the error names monetization_team_id");
        }
        t_pumping++;
        modio_market_s2s_client_free(unset);
        t_pumping--;
    }
    if (s == NULL) {
        return;
    }
    /* Two intents of alice's more: the history then holds at least three transactions. */
    const char *uuids[] = {"gw-c-history-1", "gw-c-history-2"};
    for (size_t i = 0; i < 2; i++) {
        fresh(&o);
        if (s2s_started(s,
                        modio_market_s2s_client_intent(s, g_delegation_token, "GOLD_1000", "steam", uuids[i], NULL,
                                                       on_s2s_transaction, &o, &id),
                        &id, &o, "an intent for the history")) {
            expect_ok(&o, "an intent for the history");
        }
    }
    q.limit = 2;
    fresh(&o);
    uint64_t first_ids[2] = {0, 0};
    char gateway[64] = "", cursor[256] = "";
    if (s2s_started(s, modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), &id, &o, "history page 1") &&
        expect_ok(&o, "history page 1")) {
        CHECK(o.history.count == 2 && o.history.per_page == 2 && !o.history.next_null,
              "two transactions, and a next page (%zu, per page %" PRIu64 ", next %s)",
              o.history.count, o.history.per_page, o.history.next_null ? "NULL" : o.history.next_cursor);
        CHECK(o.history.first_gateway_uuid[0] != '\0' && o.history.json_set && o.history.first_line_items > 0,
              "the transaction has its gateway uuid, line items and JSON");
        first_ids[0] = o.history.ids[0];
        first_ids[1] = o.history.ids[1];
        copy_text(gateway, sizeof gateway, o.history.first_gateway_uuid);
        copy_text(cursor, sizeof cursor, o.history.next_cursor);
    }
    if (cursor[0] != '\0') {
        q.cursor = cursor;
        fresh(&o);
        if (s2s_started(s, modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), &id, &o,
                        "history page 2") &&
            expect_ok(&o, "history page 2")) {
            CHECK(o.history.count >= 1 && !id_in(o.history.ids[0], first_ids, 2), "the next page holds other transactions");
        }
        q.cursor = NULL;
    }
    if (gateway[0] != '\0') {
        q.gateway_uuid = gateway;
        q.limit = 0;
        fresh(&o);
        if (s2s_started(s, modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), &id, &o,
                        "history by gateway_uuid") &&
            expect_ok(&o, "by gateway_uuid")) {
            CHECK(o.history.count == 1 && o.history.ids[0] == first_ids[0], "the intent's transaction, found by its uuid");
            CHECK(strcmp(gateway, "gw-c-history-2") == 0 && o.history.first_buyer == ALICE_ID,
                  "newest first: the last intent, bought by alice (%s, buyer %" PRIu64 ")", gateway, o.history.first_buyer);
        }
        q.gateway_uuid = NULL;
    }
    if (first_ids[0] != 0) {
        fresh(&o);
        if (s2s_started(s, modio_market_s2s_client_transaction(s, first_ids[0], on_history_transaction, &o, &id), &id, &o,
                        "one transaction") &&
            expect_ok(&o, "one transaction")) {
            CHECK(o.history.ids[0] == first_ids[0] && strcmp(o.history.first_gateway_uuid, gateway) == 0,
                  "the transaction by id is the same one");
        }
    }
    const char *types[] = {"refunded"};
    q.transaction_types = types;
    q.transaction_type_count = 1;
    fresh(&o);
    if (s2s_started(s, modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), &id, &o, "refunded only") &&
        expect_ok(&o, "refunded only")) {
        CHECK(o.history.count == 0 || strcasecmp(o.history.first_state_name, "refunded") == 0,
              "only refunded transactions (%s)", o.history.first_state_name);
    }
    const char *bad_types[] = {"BOUGHT"};
    q.transaction_types = bad_types;
    CHECK_RC(modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "an unknown transaction type is refused at submission");
    CHECK(last_error_mentions("transaction_types"), "the error names transaction_types");
    q.transaction_types = NULL;
    q.transaction_type_count = 3;
    CHECK_RC(modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), MODIO_MARKET_RESULT_NULL_POINTER,
             "a count without an array");
    q.transaction_type_count = 0;
    q.line_item_key = "colour";
    CHECK_RC(modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "an unknown line item key");
    q.line_item_key = NULL;
    q.struct_size = 4;
    CHECK_RC(modio_market_s2s_client_transactions(s, &q, on_history_page, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "a struct_size smaller than any header's");
    /* A newer caller's struct with a field this library does not know set. */
    struct {
        modio_market_s2s_transaction_query q;
        uint64_t future;
    } newer;
    memset(&newer, 0, sizeof newer);
    newer.q.struct_size = sizeof newer;
    newer.future = 1;
    CHECK_RC(modio_market_s2s_client_transactions(s, &newer.q, on_history_page, &o, &id),
             MODIO_MARKET_RESULT_INVALID_ARGUMENT, "a field this library does not know, set, is refused");
    newer.future = 0;
    fresh(&o);
    if (s2s_started(s, modio_market_s2s_client_transactions(s, &newer.q, on_history_page, &o, &id), &id, &o,
                    "a newer caller's struct with its new field unset")) {
        expect_ok(&o, "a newer caller's struct with its new field unset");
    }
    CHECK_RC(modio_market_s2s_client_transactions(s, NULL, on_history_page, &o, &id), MODIO_MARKET_RESULT_NULL_POINTER,
             "a NULL query");
    CHECK_RC(modio_market_s2s_client_transaction(s, 0, on_history_transaction, &o, &id), MODIO_MARKET_RESULT_INVALID_ARGUMENT,
             "transaction id 0");
    t_pumping++;
    modio_market_s2s_client_free(s);
    t_pumping--;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    g_base_url = getenv("MODIO_MARKET_BASE_URL");
    if (g_base_url == NULL || !control_init()) {
        fprintf(stderr, "run me through scripts/with-fake (MODIO_MARKET_BASE_URL and FAKE_MODIO_CONTROL are needed)\n");
        return 2;
    }
    printf("modio-market C ABI test against %s\n", g_base_url);
    test_library();
    test_config();
    test_client_arguments();
    test_catalog();
    test_auth();
    test_alice_store();
    test_bob();
    test_other_games();
    test_pump();
    test_cancel();
    test_free();
    section("isolated: free, then poll/wait, from inside a callback");
    run_isolated("free then poll/wait inside a callback", scenario_free_then_reenter);
    section("isolated: free again from a SHUT_DOWN callback");
    run_isolated("free again inside a SHUT_DOWN callback", scenario_shutdown_free_again);
    section("isolated: free again, then poll, from a SHUT_DOWN callback");
    run_isolated("free again then poll inside a SHUT_DOWN callback", scenario_shutdown_free_then_poll);
    section("isolated: S2S free, then poll, from inside a callback");
    run_isolated("S2S free then poll inside a callback", scenario_s2s_free_then_poll);
    test_log();
    test_recovery();
    test_background_retry();
    test_s2s();
    test_ledger();
    test_store_page();
    test_killed_download();
    test_install();
    test_history();
    CHECK(g_views > 50 && g_bad_views == 0, "every view the library handed out carried its struct_size (%d views, %d wrong)",
          g_views, g_bad_views);
    printf("\n%d checks, %d failed\n", g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}
