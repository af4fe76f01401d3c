/*
 * tests/hostile/bad_input.c: every exported function of modio_market.h called with hostile
 * input, as a buggy or malicious game could: NULL in every pointer position, invalid UTF-8, empty
 * strings, 1 MiB strings, unknown enum values, zero and maximal ids, zero, negative and
 * overflowing amounts, idempotency keys with forbidden characters, never-created request ids,
 * requests outliving their client, and poll/wait/free from inside callbacks (completion and log
 * callbacks). Each call must return its documented code, write no out-param on failure, never
 * run the callback of a refused request, and never crash; tests/hostile/run.sh runs this under
 * valgrind and under AddressSanitizer + UBSan.
 *
 * Not exercised, by design: a pointer to a freed or never-created handle. The ABI takes raw
 * pointers, so such a call is undefined behaviour the library cannot detect (SECURITY.md).
 *
 * Needs the environment of scripts/with-fake (a fresh fake with its demo seed).
 * Output: one line per failed check and a summary line "N passed, N failed"; exit 1 on failure.
 */

#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "modio_market.h"

#define OK MODIO_MARKET_RESULT_OK
#define NULLP MODIO_MARKET_RESULT_NULL_POINTER
#define UTF8 MODIO_MARKET_RESULT_INVALID_UTF8
#define INVALID MODIO_MARKET_RESULT_INVALID_ARGUMENT
#define UNKNOWN_ENUM MODIO_MARKET_RESULT_UNKNOWN_ENUM_VALUE

static const char *const BAD_UTF8 = "\xff\xfe\xc3(";
static char *HUGE; /* 1 MiB of 'a' */
static const char *API_KEY = "0123456789abcdef0123456789abcdef";
static const char *ALICE_TOKEN = "demo-access-token-alice";
static const char *base_url;

static int passed, failed;

static void last_error(char *buf, size_t len) {
  size_t n = 0;
  if (modio_market_last_error_message(buf, len, &n) != OK) snprintf(buf, len, "(no text)");
}

static void check_rc(const char *what, const char *label, modio_market_result got, modio_market_result want, int line) {
  if (got == want) {
    passed++;
    return;
  }
  char text[512];
  last_error(text, sizeof text);
  failed++;
  printf("FAIL line %d: %s [%s] returned %s, expected %s (%s)\n", line, what, label, modio_market_result_name(got),
         modio_market_result_name(want), text);
}

#define RC(want, call) check_rc(#call, "", (call), (want), __LINE__)
#define RCL(label, want, call) check_rc(#call, label, (call), (want), __LINE__)
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (cond) {                                                          \
      passed++;                                                          \
    } else {                                                             \
      failed++;                                                          \
      printf("FAIL line %d: %s\n", __LINE__, #cond);                     \
    }                                                                    \
  } while (0)

/* A required string argument: `call` uses S. NULL, invalid UTF-8 and 1 MiB are refused; the
 * empty string gives `want_empty`. */
#define REQUIRED_STRING(want_empty, call)                 \
  do {                                                    \
    {                                                     \
      const char *S = NULL;                               \
      RCL("S=NULL", NULLP, call);                         \
    }                                                     \
    {                                                     \
      const char *S = BAD_UTF8;                           \
      RCL("S=invalid UTF-8", UTF8, call);                 \
    }                                                     \
    {                                                     \
      const char *S = HUGE;                               \
      RCL("S=1 MiB", INVALID, call);                      \
    }                                                     \
    {                                                     \
      const char *S = "";                                 \
      RCL("S=\"\"", want_empty, call);                    \
    }                                                     \
  } while (0)

/* An optional string argument (NULL allowed): NULL gives `want_null`. */
#define OPTIONAL_STRING(want_null, want_empty, call)      \
  do {                                                    \
    {                                                     \
      const char *S = NULL;                               \
      RCL("S=NULL", want_null, call);                     \
    }                                                     \
    {                                                     \
      const char *S = BAD_UTF8;                           \
      RCL("S=invalid UTF-8", UTF8, call);                 \
    }                                                     \
    {                                                     \
      const char *S = HUGE;                               \
      RCL("S=1 MiB", INVALID, call);                      \
    }                                                     \
    {                                                     \
      const char *S = "";                                 \
      RCL("S=\"\"", want_empty, call);                    \
    }                                                     \
  } while (0)

/* ---------------------------------------------------------------------------------------------
 * Callbacks. A tally counts calls; the refused one (`refused`) must never be called at all.
 * ------------------------------------------------------------------------------------------- */

struct tally {
  int calls;
  int errors;
  modio_market_result last_code;
  uint32_t last_status;
};

static struct tally refused; /* user_data of every call that must be refused synchronously */
static struct tally done;    /* user_data of calls that go to the (fake) network */

static void record(void *user_data, const modio_market_error *error, bool has_result) {
  struct tally *t = user_data;
  t->calls++;
  if (error) {
    t->errors++;
    t->last_code = error->code;
    t->last_status = error->http_status;
    if (!error->message || has_result) {
      failed++;
      printf("FAIL: an error without a message, or with a result too\n");
    }
    for (size_t i = 0; i < error->field_error_count; i++) {
      if (!error->field_errors[i]->field || !error->field_errors[i]->message) {
        failed++;
        printf("FAIL: a field error with a NULL string\n");
      }
    }
  } else {
    t->last_code = OK;
    t->last_status = 0;
    if (!has_result) {
      failed++;
      printf("FAIL: neither an error nor a result\n");
    }
  }
}

#define DEFINE_CB(name, T) \
  static void name(void *ud, uint64_t id, const modio_market_error *e, const T *r) { (void)id; record(ud, e, r != NULL); }
DEFINE_CB(auth_cb, modio_market_access_token)
DEFINE_CB(wallet_cb, modio_market_wallet)
DEFINE_CB(sync_cb, modio_market_entitlement_sync)
DEFINE_CB(game_cb, modio_market_game)
DEFINE_CB(mod_page_cb, modio_market_mod_page)
DEFINE_CB(mod_cb, modio_market_mod)
DEFINE_CB(checkout_cb, modio_market_checkout)
DEFINE_CB(purchases_cb, modio_market_purchases)
DEFINE_CB(delegation_cb, modio_market_delegation_token)
DEFINE_CB(service_token_cb, modio_market_s2s_service_token)
DEFINE_CB(s2s_tx_cb, modio_market_s2s_transaction)
DEFINE_CB(terms_cb, modio_market_terms)
DEFINE_CB(user_cb, modio_market_user)
DEFINE_CB(token_packs_cb, modio_market_token_packs)
DEFINE_CB(unconverted_cb, modio_market_unconverted_entitlements)
DEFINE_CB(modfile_cb, modio_market_modfile)
DEFINE_CB(installed_cb, modio_market_installed_mod)
DEFINE_CB(history_page_cb, modio_market_s2s_history_page)
DEFINE_CB(history_tx_cb, modio_market_s2s_history_transaction)

static void progress_cb(void *ud, uint64_t id, uint64_t done_bytes, uint64_t total) {
  (void)ud;
  (void)id;
  (void)done_bytes;
  (void)total;
}

static void log_cb(void *ud, modio_market_log_level level, const char *message) {
  (void)level;
  struct tally *t = ud;
  t->calls++;
  if (!message) {
    failed++;
    printf("FAIL: a log record without text\n");
  }
}

static void recovery_cb(void *ud, const modio_market_recovery *report) {
  (void)ud;
  (void)report;
}

/* Waits until the client has nothing pending (every callback ran). */
static void drain(modio_market_client *c, int line) {
  size_t pending = 0;
  for (int i = 0; i < 200; i++) {
    if (modio_market_client_pending_requests(c, &pending) != OK || pending == 0) return;
    modio_market_result rc = modio_market_client_wait(c, 0, 20000, NULL);
    if (rc != OK) {
      failed++;
      printf("FAIL line %d: draining: wait returned %s\n", line, modio_market_result_name(rc));
      return;
    }
  }
}

static modio_market_config *new_config(void) {
  modio_market_config *cfg = NULL;
  if (modio_market_config_new(1, API_KEY, &cfg) != OK || modio_market_config_set_base_url(cfg, base_url) != OK ||
      modio_market_config_set_worker_threads(cfg, 2) != OK) {
    printf("FAIL: could not build a configuration for %s\n", base_url);
    exit(1);
  }
  /* Refused faults come back at once: no retries to wait for. */
  modio_market_config_set_retry_policy(cfg, 1, 0, 0, 0);
  return cfg;
}

static modio_market_client *new_client(void) {
  modio_market_config *cfg = new_config();
  modio_market_client *c = NULL;
  if (modio_market_client_new(cfg, &c) != OK) {
    printf("FAIL: could not create a client\n");
    exit(1);
  }
  modio_market_config_free(cfg);
  return c;
}

/* A pointer value no call may write over: out-params are written only on success. */
static char sentinel_byte;
#define SENTINEL ((void *)&sentinel_byte)

/* ---------------------------------------------------------------------------------------------
 * Library-wide functions
 * ------------------------------------------------------------------------------------------- */

static void test_library_functions(void) {
  CHECK(modio_market_version() != NULL && strlen(modio_market_version()) > 0);
  CHECK(MODIO_MARKET_VERSION_CHECK());
  CHECK(!modio_market_version_is_compatible(UINT32_MAX, UINT32_MAX));
  CHECK(!modio_market_version_is_compatible(0, 0));
  CHECK(!modio_market_version_is_compatible(MODIO_MARKET_VERSION_MAJOR, UINT32_MAX));
  CHECK(strcmp(modio_market_result_name(UINT32_MAX), "MODIO_MARKET_RESULT_UNKNOWN") == 0);
  CHECK(strcmp(modio_market_result_name(9999), "MODIO_MARKET_RESULT_UNKNOWN") == 0);
  CHECK(strcmp(modio_market_result_name(OK), "MODIO_MARKET_RESULT_OK") == 0);
  CHECK(modio_market_result_message(UINT32_MAX) != NULL);
  CHECK(modio_market_result_message(6) != NULL); /* a gap in the numbering */
  CHECK(modio_market_error_ref_name(0) == NULL);
  CHECK(modio_market_error_ref_name(INT64_MIN) == NULL);
  CHECK(modio_market_error_ref_name(INT64_MAX) == NULL);
  CHECK(modio_market_error_ref_name(-900049) == NULL);
  CHECK(modio_market_error_ref_name(900049) != NULL);

  char buf[256];
  size_t len = 7;
  RC(NULLP, modio_market_last_error_message(buf, sizeof buf, NULL));
  RC(NULLP, modio_market_last_error_message(NULL, 0, NULL));
  /* A failure leaves its text; its length comes back even without a buffer. */
  modio_market_config *unused = NULL;
  RC(INVALID, modio_market_config_new(0, API_KEY, &unused));
  RC(MODIO_MARKET_RESULT_BUFFER_TOO_SMALL, modio_market_last_error_message(NULL, 0, &len));
  CHECK(len > 0);
  RC(MODIO_MARKET_RESULT_BUFFER_TOO_SMALL, modio_market_last_error_message(buf, 0, &len));
  RC(MODIO_MARKET_RESULT_BUFFER_TOO_SMALL, modio_market_last_error_message(buf, len, &len)); /* no room for the NUL */
  RC(MODIO_MARKET_RESULT_BUFFER_TOO_SMALL, modio_market_last_error_message(NULL, SIZE_MAX, &len));
  memset(buf, 'x', sizeof buf);
  RC(OK, modio_market_last_error_message(buf, len + 1, &len));
  CHECK(buf[len] == '\0' && strlen(buf) == len);

  char key[300];
  size_t key_len = 0;
  RC(NULLP, modio_market_s2s_idempotency_key_generate(key, sizeof key, NULL));
  RC(MODIO_MARKET_RESULT_BUFFER_TOO_SMALL, modio_market_s2s_idempotency_key_generate(NULL, 0, &key_len));
  CHECK(key_len > 0);
  RC(MODIO_MARKET_RESULT_BUFFER_TOO_SMALL, modio_market_s2s_idempotency_key_generate(key, 1, &key_len));
  RC(OK, modio_market_s2s_idempotency_key_generate(key, sizeof key, &key_len));
  CHECK(strlen(key) == key_len);
  RC(OK, modio_market_s2s_idempotency_key_validate(key));
  REQUIRED_STRING(INVALID, modio_market_s2s_idempotency_key_validate(S));
  const char *bad_keys[] = {"has space", "semi;colon", "new\nline", "\xc3\xbcml\xc3\xa4ut", "a/b", "k\r\nX-Evil: 1"};
  for (size_t i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++) RCL(bad_keys[i], INVALID, modio_market_s2s_idempotency_key_validate(bad_keys[i]));
  char long_key[300];
  memset(long_key, 'k', 256);
  long_key[256] = '\0';
  RC(INVALID, modio_market_s2s_idempotency_key_validate(long_key));
  long_key[255] = '\0';
  RC(OK, modio_market_s2s_idempotency_key_validate(long_key));
}

/* ---------------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------------- */

static void test_config(void) {
  modio_market_config *cfg = SENTINEL;
  RC(INVALID, modio_market_config_new(0, API_KEY, &cfg));
  CHECK(cfg == SENTINEL);
  REQUIRED_STRING(INVALID, modio_market_config_new(1, S, &cfg));
  CHECK(cfg == SENTINEL);
  RC(NULLP, modio_market_config_new(1, API_KEY, NULL));
  RC(OK, modio_market_config_new(UINT64_MAX, API_KEY, &cfg)); /* the largest id is an id */
  CHECK(cfg != SENTINEL && cfg != NULL);
  modio_market_config_free(cfg);
  modio_market_config_free(NULL);

  cfg = new_config();
  RC(NULLP, modio_market_config_set_environment(NULL, 0));
  RC(UNKNOWN_ENUM, modio_market_config_set_environment(cfg, 2));
  RC(UNKNOWN_ENUM, modio_market_config_set_environment(cfg, UINT32_MAX));
  RC(OK, modio_market_config_set_environment(cfg, MODIO_MARKET_ENVIRONMENT_TEST));

  RC(NULLP, modio_market_config_set_base_url(NULL, base_url));
  REQUIRED_STRING(INVALID, modio_market_config_set_base_url(cfg, S));
  RC(INVALID, modio_market_config_set_base_url(cfg, "not a url"));
  RC(MODIO_MARKET_RESULT_INSECURE_URL, modio_market_config_set_base_url(cfg, "http://example.com/v1"));
  RC(MODIO_MARKET_RESULT_INSECURE_URL, modio_market_config_set_base_url(cfg, "http://10.0.0.1/v1"));
  RC(MODIO_MARKET_RESULT_INSECURE_URL, modio_market_config_set_base_url(cfg, "ftp://127.0.0.1/v1"));
  RC(MODIO_MARKET_RESULT_INSECURE_URL, modio_market_config_set_base_url(cfg, "file:///etc/passwd"));
  RC(NULLP, modio_market_config_set_allow_insecure_http(NULL, true));
  RC(OK, modio_market_config_set_allow_insecure_http(cfg, true));
  RC(OK, modio_market_config_set_base_url(cfg, "http://example.com/v1"));
  RC(OK, modio_market_config_set_allow_insecure_http(cfg, false));
  RC(OK, modio_market_config_set_base_url(cfg, base_url));

  RC(NULLP, modio_market_config_set_portal(NULL, "steam"));
  OPTIONAL_STRING(OK, INVALID, modio_market_config_set_portal(cfg, S));
  RC(INVALID, modio_market_config_set_portal(cfg, "myspace"));
  RC(OK, modio_market_config_set_portal(cfg, "STEAM"));
  RC(NULLP, modio_market_config_set_platform(NULL, "windows"));
  OPTIONAL_STRING(OK, INVALID, modio_market_config_set_platform(cfg, S));
  RC(INVALID, modio_market_config_set_platform(cfg, "amiga"));
  RC(OK, modio_market_config_set_platform(cfg, "Windows"));

  RC(NULLP, modio_market_config_set_timeouts(NULL, 1, 1));
  RC(INVALID, modio_market_config_set_timeouts(cfg, 0, 1000));
  RC(INVALID, modio_market_config_set_timeouts(cfg, 1000, 0));
  RC(OK, modio_market_config_set_timeouts(cfg, UINT32_MAX, UINT32_MAX));

  RC(NULLP, modio_market_config_set_worker_threads(NULL, 1));
  RC(INVALID, modio_market_config_set_worker_threads(cfg, 0));
  RC(INVALID, modio_market_config_set_worker_threads(cfg, 65));
  RC(INVALID, modio_market_config_set_worker_threads(cfg, UINT32_MAX));
  RC(OK, modio_market_config_set_worker_threads(cfg, 64));
  RC(OK, modio_market_config_set_worker_threads(cfg, 1));

  RC(NULLP, modio_market_config_set_max_response_bytes(NULL, 4096));
  RC(INVALID, modio_market_config_set_max_response_bytes(cfg, 0));
  RC(INVALID, modio_market_config_set_max_response_bytes(cfg, 1023));
  RC(OK, modio_market_config_set_max_response_bytes(cfg, SIZE_MAX));

  RC(NULLP, modio_market_config_add_root_certificate_pem(NULL, "x"));
  REQUIRED_STRING(INVALID, modio_market_config_add_root_certificate_pem(cfg, S));
  RC(INVALID, modio_market_config_add_root_certificate_pem(cfg, "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"));
  RC(INVALID, modio_market_config_add_root_certificate_pem(cfg, "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"));

  RC(NULLP, modio_market_config_set_retry_policy(NULL, 1, 0, 0, 0));
  RC(INVALID, modio_market_config_set_retry_policy(cfg, 0, 1, 1, 1));
  RC(INVALID, modio_market_config_set_retry_policy(cfg, 21, 1, 1, 1));
  RC(INVALID, modio_market_config_set_retry_policy(cfg, UINT32_MAX, 1, 1, 1));
  RC(INVALID, modio_market_config_set_retry_policy(cfg, 2, 100, 99, 1000));
  RC(OK, modio_market_config_set_retry_policy(cfg, 20, UINT32_MAX, UINT32_MAX, UINT32_MAX));

  RC(NULLP, modio_market_config_set_background_retry(NULL, 1, 1, 1));
  RC(INVALID, modio_market_config_set_background_retry(cfg, 0, 1, 1));
  RC(INVALID, modio_market_config_set_background_retry(cfg, 2, 1, 1));
  RC(INVALID, modio_market_config_set_background_retry(cfg, 1, 1, 101));
  RC(INVALID, modio_market_config_set_background_retry(cfg, 1, 1, UINT32_MAX));
  RC(OK, modio_market_config_set_background_retry(cfg, UINT32_MAX, UINT32_MAX, 0));
  RC(OK, modio_market_config_set_background_retry(cfg, 1, UINT32_MAX, 100));

  RC(NULLP, modio_market_config_set_data_dir(NULL, "/tmp"));
  REQUIRED_STRING(INVALID, modio_market_config_set_data_dir(cfg, S));
  RC(NULLP, modio_market_config_set_install_dir(NULL, "/tmp"));
  REQUIRED_STRING(INVALID, modio_market_config_set_install_dir(cfg, S));
  RC(NULLP, modio_market_config_set_language(NULL, "en"));
  OPTIONAL_STRING(OK, OK, modio_market_config_set_language(cfg, S));
  /* An Accept-Language list ("de-DE, en;q=0.5", "*") is fine; header injection, quotes, slashes,
   * non-ASCII and more than 64 bytes are not. */
  const char *bad_languages[] = {"en\r\nX-Evil: 1", "en\"x", "en/x", "\xc3\xa9", "a12345678901234567890123456789012345678901234567890123456789012345"};
  for (size_t i = 0; i < sizeof bad_languages / sizeof *bad_languages; i++)
    RCL(bad_languages[i], INVALID, modio_market_config_set_language(cfg, bad_languages[i]));
  RC(OK, modio_market_config_set_language(cfg, "pt-BR"));
  RC(OK, modio_market_config_set_language(cfg, "de-DE, en;q=0.5"));
  RC(NULLP, modio_market_config_set_monetization_team_id(NULL, 1));
  RC(OK, modio_market_config_set_monetization_team_id(cfg, UINT64_MAX));
  RC(OK, modio_market_config_set_monetization_team_id(cfg, 0));

  /* A configuration full of maximal values still makes a client (no overflow in durations). */
  modio_market_client *c = SENTINEL;
  RC(OK, modio_market_client_new(cfg, &c));
  CHECK(c != SENTINEL && c != NULL);
  modio_market_client_free(c);
  modio_market_config_free(cfg);

  /* client_new refuses a configuration that config_new accepted but that cannot work. */
  RC(OK, modio_market_config_new(1, "not letters and digits!", &cfg));
  c = SENTINEL;
  RC(INVALID, modio_market_client_new(cfg, &c));
  CHECK(c == SENTINEL);
  RC(NULLP, modio_market_client_new(NULL, &c));
  RC(NULLP, modio_market_client_new(cfg, NULL));
  CHECK(c == SENTINEL);
  modio_market_config_free(cfg);
}

/* ---------------------------------------------------------------------------------------------
 * Client: one bad argument at a time, every other argument valid
 * ------------------------------------------------------------------------------------------- */

static void test_client_arguments(void) {
  modio_market_client *c = new_client();
  uint64_t id = 77;
  size_t n = 99;
  bool owns = true;
  int64_t age = 5;

  RC(NULLP, modio_market_client_set_access_token(NULL, ALICE_TOKEN));
  OPTIONAL_STRING(OK, OK, modio_market_client_set_access_token(c, S));
  RC(NULLP, modio_market_client_clear_access_token(NULL));
  RC(OK, modio_market_client_clear_access_token(c));

  RC(NULLP, modio_market_client_set_log_callback(NULL, MODIO_MARKET_LOG_LEVEL_TRACE, log_cb, &done));
  RC(UNKNOWN_ENUM, modio_market_client_set_log_callback(c, 0, log_cb, &done));
  RC(UNKNOWN_ENUM, modio_market_client_set_log_callback(c, 6, log_cb, &done));
  RC(UNKNOWN_ENUM, modio_market_client_set_log_callback(c, UINT32_MAX, log_cb, &done));
  RC(OK, modio_market_client_set_log_callback(c, UINT32_MAX, NULL, NULL)); /* off: the level is moot */

  RC(NULLP, modio_market_client_poll(NULL, &n));
  RC(OK, modio_market_client_poll(c, NULL));
  RC(NULLP, modio_market_client_wait(NULL, 1, 1, &n));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_wait(c, 12345, 1, &n));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_wait(c, UINT64_MAX, UINT32_MAX, &n));
  RC(MODIO_MARKET_RESULT_WAIT_TIMED_OUT, modio_market_client_wait(c, 0, 1, NULL));
  CHECK(n == 99);
  RC(NULLP, modio_market_client_cancel(NULL, 1));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_cancel(c, 0));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_cancel(c, UINT64_MAX));
  RC(NULLP, modio_market_client_pending_requests(NULL, &n));
  RC(NULLP, modio_market_client_pending_requests(c, NULL));

  /* Authentication */
  RC(NULLP, modio_market_client_auth_steam(NULL, "t", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_steam(c, "t", true, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_steam(c, S, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_xbox_live(NULL, "t", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_xbox_live(c, "t", true, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_xbox_live(c, S, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_psn(NULL, "t", -1, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_psn(c, "t", -1, true, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_psn(c, S, -1, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_meta(NULL, "quest", "n", 1, "t", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_meta(c, "quest", "n", 1, "t", true, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_meta(c, S, "n", 1, "t", true, auth_cb, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_meta(c, "quest", S, 1, "t", true, auth_cb, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_meta(c, "quest", "n", 1, S, true, auth_cb, &refused, &id));
  RC(INVALID, modio_market_client_auth_meta(c, "vive", "n", 1, "t", true, auth_cb, &refused, &id));
  RC(INVALID, modio_market_client_auth_meta(c, "quest", "n", 0, "t", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_apple(NULL, "t", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_apple(c, "t", true, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_apple(c, S, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_google(NULL, "t", NULL, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_google(c, "t", NULL, true, NULL, &refused, &id));
  OPTIONAL_STRING(INVALID, INVALID, modio_market_client_auth_google(c, S, NULL, true, auth_cb, &refused, &id));
  OPTIONAL_STRING(INVALID, INVALID, modio_market_client_auth_google(c, NULL, S, true, auth_cb, &refused, &id));
  RC(INVALID, modio_market_client_auth_google(c, "", "", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_epic(NULL, "t", true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_epic(c, "t", true, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_epic(c, S, true, auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_udt(NULL, "t", auth_cb, &refused, &id));
  RC(NULLP, modio_market_client_auth_udt(c, "t", NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_auth_udt(c, S, auth_cb, &refused, &id));

  /* The store page */
  RC(NULLP, modio_market_client_get_terms(NULL, terms_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_terms(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_get_user(NULL, user_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_user(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_get_token_packs(NULL, token_packs_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_token_packs(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_steam(NULL, unconverted_cb, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_steam(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_xbox_live(NULL, "t", unconverted_cb, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_xbox_live(c, "t", NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_unconverted_entitlements_xbox_live(c, S, unconverted_cb, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_psn(NULL, "t", -1, -1, unconverted_cb, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_psn(c, "t", -1, -1, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_unconverted_entitlements_psn(c, S, -1, -1, unconverted_cb, &refused, &id));
  /* Without the platform header mod.io needs for PSN, a valid code is refused too. */
  RC(INVALID, modio_market_client_unconverted_entitlements_psn(c, "t", INT64_MAX, INT64_MIN, unconverted_cb, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_epic(NULL, "t", NULL, unconverted_cb, &refused, &id));
  RC(NULLP, modio_market_client_unconverted_entitlements_epic(c, "t", NULL, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_unconverted_entitlements_epic(c, S, NULL, unconverted_cb, &refused, &id));
  OPTIONAL_STRING(OK, OK, (S == NULL || S[0] == '\0' ? OK : modio_market_client_unconverted_entitlements_epic(c, "t", S, unconverted_cb, &refused, &id)));
  const char *bad_sandboxes[] = {"a b", "a/b", "k\r\nX-Evil: 1", "\xc3\xbc"};
  for (size_t i = 0; i < sizeof bad_sandboxes / sizeof *bad_sandboxes; i++)
    RCL(bad_sandboxes[i], INVALID, modio_market_client_unconverted_entitlements_epic(c, "t", bad_sandboxes[i], unconverted_cb, &refused, &id));

  /* Downloads: this client has no install directory. */
  RC(NULLP, modio_market_client_get_modfile(NULL, 1, 1, modfile_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_modfile(c, 1, 1, NULL, &refused, &id));
  RC(INVALID, modio_market_client_get_modfile(c, 0, 1, modfile_cb, &refused, &id));
  RC(INVALID, modio_market_client_get_modfile(c, 1, 0, modfile_cb, &refused, &id));
  RC(NULLP, modio_market_client_install_mod(NULL, 1001, progress_cb, installed_cb, &refused, &id));
  RC(NULLP, modio_market_client_install_mod(c, 1001, progress_cb, NULL, &refused, &id));
  RC(INVALID, modio_market_client_install_mod(c, 0, progress_cb, installed_cb, &refused, &id));
  RC(INVALID, modio_market_client_install_mod(c, 1001, progress_cb, installed_cb, &refused, &id));
  RC(INVALID, modio_market_client_install_mod(c, 1001, NULL, installed_cb, &refused, &id));
  RC(NULLP, modio_market_client_uninstall_mod(NULL, 1001, installed_cb, &refused, &id));
  RC(NULLP, modio_market_client_uninstall_mod(c, 1001, NULL, &refused, &id));
  RC(INVALID, modio_market_client_uninstall_mod(c, 0, installed_cb, &refused, &id));
  RC(INVALID, modio_market_client_uninstall_mod(c, 1001, installed_cb, &refused, &id));
  modio_market_installed_list *list = SENTINEL;
  RC(NULLP, modio_market_client_installed_mods(NULL, &list));
  RC(NULLP, modio_market_client_installed_mods(c, NULL));
  RC(INVALID, modio_market_client_installed_mods(c, &list));
  CHECK(list == SENTINEL);
  modio_market_installed_list_free(NULL);

  /* Wallet and entitlements */
  RC(NULLP, modio_market_client_get_wallet(NULL, wallet_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_wallet(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_sync_steam(NULL, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_steam(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_sync_xbox_live(NULL, "t", sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_xbox_live(c, "t", NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_sync_xbox_live(c, S, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_psn(NULL, "t", -1, -1, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_psn(c, "t", -1, -1, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_sync_psn(c, S, -1, -1, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_meta(NULL, "quest", 1, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_meta(c, "quest", 1, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_sync_meta(c, S, 1, sync_cb, &refused, &id));
  RC(INVALID, modio_market_client_sync_meta(c, "rift ", 1, sync_cb, &refused, &id));
  RC(INVALID, modio_market_client_sync_meta(c, "quest", 0, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_apple(NULL, "r", sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_apple(c, "r", NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_sync_apple(c, S, sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_google(NULL, "r", sync_cb, &refused, &id));
  RC(NULLP, modio_market_client_sync_google(c, "r", NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_client_sync_google(c, S, sync_cb, &refused, &id));

  /* Browsing */
  RC(NULLP, modio_market_client_get_game(NULL, game_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_game(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_get_mods(NULL, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, NULL, mod_page_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, NULL, NULL, &refused, &id));
  RC(UNKNOWN_ENUM, modio_market_client_get_mods(c, 3, 0, 10, NULL, mod_page_cb, &refused, &id));
  RC(UNKNOWN_ENUM, modio_market_client_get_mods(c, UINT32_MAX, 0, 10, NULL, mod_page_cb, &refused, &id));
  RC(INVALID, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 0, NULL, mod_page_cb, &refused, &id));
  RC(INVALID, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 101, NULL, mod_page_cb, &refused, &id));
  RC(INVALID, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, UINT32_MAX, NULL, mod_page_cb, &refused, &id));
  {
    const char *S = BAD_UTF8;
    RC(UTF8, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, S, mod_page_cb, &refused, &id));
    S = HUGE;
    RC(INVALID, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 10, S, mod_page_cb, &refused, &id));
  }
  {
    modio_market_mod_query q = {.struct_size = sizeof q};
    RC(NULLP, modio_market_client_get_mods_query(NULL, &q, mod_page_cb, &refused, &id));
    RC(NULLP, modio_market_client_get_mods_query(c, NULL, mod_page_cb, &refused, &id));
    RC(NULLP, modio_market_client_get_mods_query(c, &q, NULL, &refused, &id));
    q.struct_size = 0;
    RC(INVALID, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.struct_size = sizeof q;
    q.revenue_type = 7;
    RC(UNKNOWN_ENUM, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.revenue_type = 0;
    q.sort = UINT32_MAX;
    RC(UNKNOWN_ENUM, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.sort = 0;
    q.limit = 101;
    RC(INVALID, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.limit = 0;
    q.search = BAD_UTF8;
    RC(UTF8, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.search = HUGE;
    RC(INVALID, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.search = NULL;
    q.id_count = SIZE_MAX;
    RC(NULLP, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    static const uint64_t zero_id[] = {0};
    q.ids = zero_id;
    q.id_count = 1;
    RC(INVALID, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.id_count = SIZE_MAX; /* a huge count is refused before the array is read */
    RC(INVALID, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.ids = NULL;
    q.id_count = 0;
    const char *tags[] = {BAD_UTF8};
    q.tags_all = tags;
    q.tags_all_count = 1;
    RC(UTF8, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    const char *null_tag[] = {NULL};
    q.tags_all = null_tag;
    RC(NULLP, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.tags_all = NULL;
    q.tags_all_count = 0;
    q.tags_any_count = 3;
    RC(NULLP, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
    q.tags_any_count = 0;
    unsigned char *raw = (unsigned char *)&q;
    raw[offsetof(modio_market_mod_query, sort_descending)] = 7; /* not a bool */
    RC(INVALID, modio_market_client_get_mods_query(c, &q, mod_page_cb, &refused, &id));
  }
  RC(NULLP, modio_market_client_get_mod(NULL, 1001, mod_cb, &refused, &id));
  RC(NULLP, modio_market_client_get_mod(c, 1001, NULL, &refused, &id));
  RC(INVALID, modio_market_client_get_mod(c, 0, mod_cb, &refused, &id));

  /* Checkout and ownership */
  RC(NULLP, modio_market_client_checkout(NULL, 1001, 100, NULL, checkout_cb, &refused, &id));
  RC(NULLP, modio_market_client_checkout(c, 1001, 100, NULL, NULL, &refused, &id));
  RC(INVALID, modio_market_client_checkout(c, 0, 100, NULL, checkout_cb, &refused, &id));
  RC(INVALID, modio_market_client_checkout(c, 1001, -1, NULL, checkout_cb, &refused, &id));
  RC(INVALID, modio_market_client_checkout(c, 1001, INT64_MIN, NULL, checkout_cb, &refused, &id));
  RC(INVALID, modio_market_client_checkout(c, 1001, INT64_MAX, NULL, checkout_cb, &refused, &id));
  RC(INVALID, modio_market_client_checkout(c, 1001, (int64_t)INT32_MAX + 1, NULL, checkout_cb, &refused, &id));
  /* NULL (generate a key) is valid and would send the request: skipped here, sent below. */
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_client_checkout(c, 1001, 100, S, checkout_cb, &refused, &id)));
  const char *bad_keys[] = {"has space", "semi;colon", "\xc3\xbcml\xc3\xa4ut", "a/b", "k\r\nX-Evil: 1", "%00", "tab\there"};
  for (size_t i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++)
    RCL(bad_keys[i], INVALID, modio_market_client_checkout(c, 1001, 100, bad_keys[i], checkout_cb, &refused, &id));
  char long_key[300];
  memset(long_key, 'k', 256);
  long_key[256] = '\0';
  RC(INVALID, modio_market_client_checkout(c, 1001, 100, long_key, checkout_cb, &refused, &id));
  RC(NULLP, modio_market_client_refresh_purchases(NULL, purchases_cb, &refused, &id));
  RC(NULLP, modio_market_client_refresh_purchases(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_owns(NULL, 1001, &owns));
  RC(NULLP, modio_market_client_owns(c, 1001, NULL));
  CHECK(owns == true);
  RC(OK, modio_market_client_owns(c, 0, &owns));
  CHECK(owns == false);
  owns = true;
  RC(OK, modio_market_client_owns(c, UINT64_MAX, &owns));
  CHECK(owns == false);
  RC(NULLP, modio_market_client_purchases_age(NULL, &age));
  RC(NULLP, modio_market_client_purchases_age(c, NULL));
  CHECK(age == 5);
  RC(OK, modio_market_client_purchases_age(c, &age));
  CHECK(age == -1);
  RC(NULLP, modio_market_client_request_delegation_token(NULL, delegation_cb, &refused, &id));
  RC(NULLP, modio_market_client_request_delegation_token(c, NULL, &refused, &id));
  RC(NULLP, modio_market_client_set_recovery_callback(NULL, recovery_cb, NULL));
  RC(OK, modio_market_client_set_recovery_callback(c, recovery_cb, NULL));
  RC(OK, modio_market_client_set_recovery_callback(c, NULL, NULL));
  RC(NULLP, modio_market_client_resume_checkouts(NULL));
  RC(OK, modio_market_client_resume_checkouts(c));

  /* Nothing refused was queued: no request pending, no id written. */
  RC(OK, modio_market_client_pending_requests(c, &n));
  CHECK(n == 0);
  CHECK(id == 77);
  RC(OK, modio_market_client_poll(c, &n));
  CHECK(refused.calls == 0);
  modio_market_client_free(c);
  CHECK(refused.calls == 0);
}

/* ---------------------------------------------------------------------------------------------
 * Client: edge values that are valid and go to the network, with NULL optional out-params
 * ------------------------------------------------------------------------------------------- */

static void test_client_edge_values_reach_the_server(void) {
  modio_market_client *c = new_client();
  memset(&done, 0, sizeof done);
  RC(OK, modio_market_client_set_access_token(c, ALICE_TOKEN));
  int started = 0;
#define STARTS(call)          \
  do {                        \
    RC(OK, call);             \
    started++;                \
  } while (0)
  STARTS(modio_market_client_get_mod(c, UINT64_MAX, mod_cb, &done, NULL));
  /* Lists past the end, or matching nothing: empty pages, not errors. */
  struct tally pages = {0, 0, OK, 0};
  RC(OK, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_BOTH, UINT64_MAX, 100, "", mod_page_cb, &pages, NULL));
  RC(OK, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_FREE, 0, 1, "\xe2\x9c\x93 & %00 ?#", mod_page_cb, &pages, NULL));
  /* display_amount 0 would buy a free mod: refused before anything is sent. */
  RC(INVALID, modio_market_client_checkout(c, UINT64_MAX, 0, NULL, checkout_cb, &done, NULL));
  STARTS(modio_market_client_checkout(c, UINT64_MAX, 1, NULL, checkout_cb, &done, NULL));
  STARTS(modio_market_client_checkout(c, 1001, INT32_MAX, "valid-key_0", checkout_cb, &done, NULL));
  STARTS(modio_market_client_auth_psn(c, "psn-nobody", INT64_MAX, true, auth_cb, &done, NULL));
  STARTS(modio_market_client_auth_psn(c, "psn-nobody", INT64_MIN, false, auth_cb, &done, NULL));
  STARTS(modio_market_client_auth_meta(c, "rift", "n", UINT64_MAX, "t", true, auth_cb, &done, NULL));
  STARTS(modio_market_client_sync_psn(c, "psn-nobody", INT64_MAX, INT64_MIN, sync_cb, &done, NULL));
  STARTS(modio_market_client_sync_meta(c, "quest", UINT64_MAX, sync_cb, &done, NULL));
  STARTS(modio_market_client_auth_google(c, NULL, "only-an-id-token", true, auth_cb, &done, NULL));
  drain(c, __LINE__);
  CHECK(pages.calls == 2 && pages.errors == 0);
  CHECK(done.calls == started);
  CHECK(done.errors == started); /* none of these exist on the fake: each is a typed error */
  /* An access token that cannot travel in a header is refused when the request is built. */
  memset(&done, 0, sizeof done);
  RC(OK, modio_market_client_set_access_token(c, "token\r\nX-Evil: 1"));
  STARTS(modio_market_client_get_wallet(c, wallet_cb, &done, NULL));
  drain(c, __LINE__);
  CHECK(done.calls == 1 && done.last_code == INVALID);
#undef STARTS
  modio_market_client_free(c);
}

/* ---------------------------------------------------------------------------------------------
 * Re-entry: poll, wait, log settings and free from inside callbacks
 * ------------------------------------------------------------------------------------------- */

struct reentry {
  modio_market_client *client;
  int calls;
  modio_market_result poll_rc, wait_rc, cancel_rc, log_off_rc;
};

static void reentrant_wallet_cb(void *ud, uint64_t id, const modio_market_error *e, const modio_market_wallet *w) {
  (void)e;
  (void)w;
  struct reentry *r = ud;
  r->calls++;
  r->poll_rc = modio_market_client_poll(r->client, NULL);
  r->wait_rc = modio_market_client_wait(r->client, 0, 10, NULL);
  r->cancel_rc = modio_market_client_cancel(r->client, id); /* its own id: already being delivered */
}

static void reentrant_log_cb(void *ud, modio_market_log_level level, const char *message) {
  (void)level;
  (void)message;
  struct reentry *r = ud;
  if (r->calls++ > 0) return;
  r->poll_rc = modio_market_client_poll(r->client, NULL);
  r->wait_rc = modio_market_client_wait(r->client, 0, 10, NULL);
  /* Turning logging off from inside the log callback must neither deadlock nor crash. */
  r->log_off_rc = modio_market_client_set_log_callback(r->client, 0, NULL, NULL);
}

struct freer {
  modio_market_client *client;
  int calls;
  bool reenter; /* after the free: poll, wait and free again from the same callback */
  modio_market_result poll_rc, wait_rc;
};

static void freeing_game_cb(void *ud, uint64_t id, const modio_market_error *e, const modio_market_game *g) {
  (void)id;
  (void)e;
  (void)g;
  struct freer *f = ud;
  f->calls++;
  modio_market_client_free(f->client); /* deferred until the poll returns */
  if (f->reenter) {
    /* Refused, and a refused nested pump must not carry out the deferred free under the outer one. */
    f->poll_rc = modio_market_client_poll(f->client, NULL);
    f->wait_rc = modio_market_client_wait(f->client, 0, 10, NULL);
    modio_market_client_free(f->client); /* twice: still one free, when the outer wait returns */
  }
  /* The client is still usable until then: the free did not happen under our feet. */
  size_t n = 0;
  if (modio_market_client_pending_requests(f->client, &n) != OK) {
    failed++;
    printf("FAIL: the client died inside its own callback\n");
  }
}

static void test_reentry(void) {
  modio_market_client *c = new_client();
  RC(OK, modio_market_client_set_access_token(c, ALICE_TOKEN));
  struct reentry r = {c, 0, OK, OK, OK, OK};
  uint64_t id = 0;
  RC(OK, modio_market_client_get_wallet(c, reentrant_wallet_cb, &r, &id));
  RC(OK, modio_market_client_wait(c, id, 20000, NULL));
  CHECK(r.calls == 1);
  RC(MODIO_MARKET_RESULT_REENTRANT, r.poll_rc);
  RC(MODIO_MARKET_RESULT_REENTRANT, r.wait_rc);
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, r.cancel_rc);
  RC(OK, modio_market_client_poll(c, NULL)); /* the guard is released afterwards */

  struct reentry lr = {c, 0, OK, OK, OK, MODIO_MARKET_RESULT_INTERNAL};
  RC(OK, modio_market_client_set_log_callback(c, MODIO_MARKET_LOG_LEVEL_TRACE, reentrant_log_cb, &lr));
  RC(OK, modio_market_client_get_game(c, game_cb, &done, &id));
  RC(OK, modio_market_client_wait(c, id, 20000, NULL));
  CHECK(lr.calls == 1); /* logging was turned off by the first record */
  RC(MODIO_MARKET_RESULT_REENTRANT, lr.poll_rc);
  RC(MODIO_MARKET_RESULT_REENTRANT, lr.wait_rc);
  RC(OK, lr.log_off_rc);
  RC(OK, modio_market_client_get_game(c, game_cb, &done, &id));
  RC(OK, modio_market_client_wait(c, id, 20000, NULL));
  CHECK(lr.calls == 1);

  /* Free from inside a callback, with another request still pending: that one gets SHUT_DOWN. */
  struct freer f = {c, 0, false, OK, OK};
  uint64_t game_id = 0;
  RC(OK, modio_market_client_get_game(c, freeing_game_cb, &f, &game_id));
  RC(OK, modio_market_client_wait(c, game_id, 20000, NULL));
  CHECK(f.calls == 1);
  /* c is gone: nothing more on it. */

  /* Free, then poll, wait and free again, all from inside the callback. valgrind and ASan see a
   * double free or a use after free if the nested calls release the client early. */
  c = new_client();
  struct freer g = {c, 0, true, OK, OK};
  RC(OK, modio_market_client_get_game(c, freeing_game_cb, &g, &game_id));
  RC(OK, modio_market_client_wait(c, game_id, 20000, NULL));
  CHECK(g.calls == 1);
  RC(MODIO_MARKET_RESULT_REENTRANT, g.poll_rc);
  RC(MODIO_MARKET_RESULT_REENTRANT, g.wait_rc);
}

/* Requests made before a free: each callback runs exactly once, during the free, with SHUT_DOWN,
 * and their ids mean nothing afterwards. */
static void test_requests_outliving_their_client(void) {
  modio_market_client *c = new_client();
  RC(OK, modio_market_client_set_access_token(c, ALICE_TOKEN));
  struct tally t = {0, 0, OK, 0};
  uint64_t ids[4] = {0};
  RC(OK, modio_market_client_get_wallet(c, wallet_cb, &t, &ids[0]));
  RC(OK, modio_market_client_get_mods(c, MODIO_MARKET_REVENUE_TYPE_PAID, 0, 100, NULL, mod_page_cb, &t, &ids[1]));
  RC(OK, modio_market_client_refresh_purchases(c, purchases_cb, &t, &ids[2]));
  RC(OK, modio_market_client_request_delegation_token(c, delegation_cb, &t, &ids[3]));
  CHECK(ids[0] != 0 && ids[1] != ids[0] && ids[2] != ids[1] && ids[3] != ids[2]);
  /* Cancel one: exactly one callback for it, CANCELLED (or the real outcome if already done). */
  modio_market_result crc = modio_market_client_cancel(c, ids[0]);
  CHECK(crc == OK || crc == MODIO_MARKET_RESULT_ALREADY_COMPLETED);
  RC(MODIO_MARKET_RESULT_ALREADY_COMPLETED, modio_market_client_cancel(c, ids[0]));
  modio_market_client_free(c);
  /* Every callback already ran: cancelled, completed or SHUT_DOWN; none twice. */
  CHECK(t.calls == 4);

  modio_market_client *c2 = new_client();
  for (int i = 0; i < 4; i++) {
    RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_cancel(c2, ids[i]));
    RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_wait(c2, ids[i], 1, NULL));
  }
  RC(OK, modio_market_client_poll(c2, NULL));
  CHECK(t.calls == 4);
  /* A finished request's id: not found any more. */
  uint64_t id = 0;
  RC(OK, modio_market_client_get_game(c2, game_cb, &done, &id));
  RC(OK, modio_market_client_wait(c2, id, 20000, NULL));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_wait(c2, id, 1, NULL));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_client_cancel(c2, id));
  modio_market_client_free(c2);
  CHECK(t.calls == 4);
}

/* ---------------------------------------------------------------------------------------------
 * Free from a log callback that the free itself runs
 * ------------------------------------------------------------------------------------------- */

/* One HTTP/1.1 exchange with the fake's control interface (FAKE_MODIO_CONTROL); the answer's body
 * goes to `out`. Returns false on any failure. */
static bool control(const char *method, const char *path, const char *body, char *out, size_t out_len) {
  const char *url = getenv("FAKE_MODIO_CONTROL"); /* http://127.0.0.1:PORT/_control */
  unsigned port = 0;
  if (!url || sscanf(url, "http://127.0.0.1:%u/", &port) != 1) return false;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  char request[1024];
  int n = snprintf(request, sizeof request,
                   "%s /_control%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                   method, path, strlen(body), body);
  bool ok = n > 0 && (size_t)n < sizeof request && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
            write(fd, request, (size_t)n) == n;
  size_t got = 0;
  while (ok && got + 1 < out_len) {
    ssize_t r = read(fd, out + got, out_len - 1 - got);
    if (r <= 0) break;
    got += (size_t)r;
  }
  out[got] = '\0';
  close(fd);
  return ok && strncmp(out, "HTTP/1.1 200", 12) == 0;
}

struct free_in_log {
  modio_market_client *client;
  modio_market_s2s_client *s2s;
  bool in_free;
  int frees_from_log;
};

static void freeing_log_cb(void *ud, modio_market_log_level level, const char *message) {
  (void)level;
  (void)message;
  struct free_in_log *s = ud;
  if (s->in_free) {
    s->frees_from_log++;
    /* This free is already under way: must be ignored. */
    if (s->client) modio_market_client_free(s->client);
    if (s->s2s) modio_market_s2s_client_free(s->s2s);
  }
}

/* Waits until the fake has received a request for `path` (asking the fake, not sleeping). */
static bool fake_saw(const char *path) {
  static char answer[1 << 20];
  char needle[256];
  snprintf(needle, sizeof needle, "\"%s\"", path);
  for (int i = 0; i < 5000; i++) {
    if (control("GET", "/requests", "", answer, sizeof answer) && strstr(answer, needle) != NULL) return true;
  }
  return false;
}

static void test_free_from_a_log_callback_during_free(void) {
  static char answer[1 << 20];
  struct free_in_log s = {new_client(), NULL, false, 0};
  RC(OK, modio_market_client_set_log_callback(s.client, MODIO_MARKET_LOG_LEVEL_TRACE, freeing_log_cb, &s));
  /* The answer comes 300 ms late: the worker is still in the exchange when the free starts, and
   * logs it while the free waits for the workers; that record is flushed inside the free. */
  CHECK(control("POST", "/faults", "{\"path\":\"/v1/games/1\",\"count\":1,\"kind\":\"delay\",\"ms\":300}", answer, sizeof answer));
  /* fake_saw must see this request, not one an earlier scenario left in the fake's log: else the
   * free could start before the worker sent anything, and nothing would be logged inside it. */
  CHECK(control("DELETE", "/requests", "", answer, sizeof answer));
  uint64_t id = 0;
  memset(&done, 0, sizeof done);
  RC(OK, modio_market_client_get_game(s.client, game_cb, &done, &id));
  CHECK(fake_saw("/v1/games/1")); /* the worker is in the exchange */
  s.in_free = true;
  modio_market_client_free(s.client);
  s.in_free = false;
  CHECK(done.calls == 1 && done.last_code == MODIO_MARKET_RESULT_SHUT_DOWN);
  CHECK(s.frees_from_log >= 1); /* the scenario happened: a log record reached the callback inside the free */

  /* The same for the S2S client. */
  modio_market_config *cfg = new_config();
  struct free_in_log t = {NULL, NULL, false, 0};
  RC(OK, modio_market_s2s_client_new(cfg, "7001", "demo-client-secret", NULL, &t.s2s));
  modio_market_config_free(cfg);
  RC(OK, modio_market_s2s_client_set_log_callback(t.s2s, MODIO_MARKET_LOG_LEVEL_TRACE, freeing_log_cb, &t));
  CHECK(control("POST", "/faults", "{\"path\":\"/v1/oauth/token\",\"count\":1,\"kind\":\"delay\",\"ms\":300}", answer, sizeof answer));
  CHECK(control("DELETE", "/requests", "", answer, sizeof answer));
  memset(&done, 0, sizeof done);
  RC(OK, modio_market_s2s_client_refresh_service_token(t.s2s, service_token_cb, &done, &id));
  CHECK(fake_saw("/v1/oauth/token"));
  t.in_free = true;
  modio_market_s2s_client_free(t.s2s);
  t.in_free = false;
  CHECK(done.calls == 1 && done.last_code == MODIO_MARKET_RESULT_SHUT_DOWN);
  CHECK(t.frees_from_log >= 1);
}

/* ---------------------------------------------------------------------------------------------
 * S2S client
 * ------------------------------------------------------------------------------------------- */

struct s2s_reentry {
  modio_market_s2s_client *client;
  int calls;
  modio_market_result poll_rc, wait_rc;
};

static void reentrant_token_cb(void *ud, uint64_t id, const modio_market_error *e, const modio_market_s2s_service_token *t) {
  (void)id;
  (void)e;
  (void)t;
  struct s2s_reentry *r = ud;
  r->calls++;
  r->poll_rc = modio_market_s2s_client_poll(r->client, NULL);
  r->wait_rc = modio_market_s2s_client_wait(r->client, 0, 10, NULL);
}

static void test_s2s(void) {
  modio_market_config *cfg = new_config();
  modio_market_s2s_client *s = SENTINEL;
  RC(NULLP, modio_market_s2s_client_new(NULL, "7001", "secret", NULL, &s));
  RC(NULLP, modio_market_s2s_client_new(cfg, "7001", "secret", NULL, NULL));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_new(cfg, S, "secret", NULL, &s));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_new(cfg, "7001", S, NULL, &s));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_new(cfg, "7001", "secret", S, &s)));
  RC(INVALID, modio_market_s2s_client_new(cfg, "7001", "secret", "read,bogus", &s));
  CHECK(s == SENTINEL);
  RC(OK, modio_market_s2s_client_new(cfg, "7001", "demo-client-secret", NULL, &s));
  CHECK(s != SENTINEL && s != NULL);
  modio_market_config_free(cfg);
  modio_market_s2s_client_free(NULL);

  uint64_t id = 77;
  size_t n = 5;
  RC(NULLP, modio_market_s2s_client_poll(NULL, &n));
  RC(OK, modio_market_s2s_client_poll(s, NULL));
  RC(NULLP, modio_market_s2s_client_wait(NULL, 1, 1, &n));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_s2s_client_wait(s, UINT64_MAX, 1, &n));
  RC(NULLP, modio_market_s2s_client_cancel(NULL, 1));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_s2s_client_cancel(s, 0));
  RC(MODIO_MARKET_RESULT_REQUEST_NOT_FOUND, modio_market_s2s_client_cancel(s, UINT64_MAX));
  RC(NULLP, modio_market_s2s_client_set_log_callback(NULL, 5, log_cb, &done));
  RC(UNKNOWN_ENUM, modio_market_s2s_client_set_log_callback(s, 0, log_cb, &done));
  RC(UNKNOWN_ENUM, modio_market_s2s_client_set_log_callback(s, UINT32_MAX, log_cb, &done));
  RC(OK, modio_market_s2s_client_set_log_callback(s, 0, NULL, NULL));
  RC(NULLP, modio_market_s2s_client_refresh_service_token(NULL, service_token_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_refresh_service_token(s, NULL, &refused, &id));

  const char *D = "a-delegation-token";
  RC(NULLP, modio_market_s2s_client_intent(NULL, D, "GOLD_1000", "steam", NULL, NULL, s2s_tx_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_intent(s, D, "GOLD_1000", "steam", NULL, NULL, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_intent(s, S, "GOLD_1000", "steam", NULL, NULL, s2s_tx_cb, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_intent(s, D, S, "steam", NULL, NULL, s2s_tx_cb, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_intent(s, D, "GOLD_1000", S, NULL, NULL, s2s_tx_cb, &refused, &id));
  RC(INVALID, modio_market_s2s_client_intent(s, D, "GOLD_1000", "myspace", NULL, NULL, s2s_tx_cb, &refused, &id));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_intent(s, D, "GOLD_1000", "steam", S, NULL, s2s_tx_cb, &refused, &id)));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_intent(s, D, "GOLD_1000", "steam", NULL, S, s2s_tx_cb, &refused, &id)));
  RC(INVALID, modio_market_s2s_client_intent(s, D, "GOLD_1000", "steam", "not alpha dash!", NULL, s2s_tx_cb, &refused, &id));
  RC(INVALID, modio_market_s2s_client_intent(s, D, "GOLD_1000", "steam", NULL, "semi;colon", s2s_tx_cb, &refused, &id));

  RC(NULLP, modio_market_s2s_client_commit(NULL, D, 1, NULL, NULL, s2s_tx_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_commit(s, D, 1, NULL, NULL, NULL, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_commit(s, S, 1, NULL, NULL, s2s_tx_cb, &refused, &id));
  RC(INVALID, modio_market_s2s_client_commit(s, D, 0, NULL, NULL, s2s_tx_cb, &refused, &id));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_commit(s, D, 1, S, NULL, s2s_tx_cb, &refused, &id)));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_commit(s, D, 1, NULL, S, s2s_tx_cb, &refused, &id)));

  RC(NULLP, modio_market_s2s_client_clawback(NULL, 1, NULL, "steam", "refund", NULL, s2s_tx_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_clawback(s, 1, NULL, "steam", "refund", NULL, NULL, &refused, &id));
  RC(INVALID, modio_market_s2s_client_clawback(s, 0, NULL, "steam", "refund", NULL, s2s_tx_cb, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_clawback(s, 1, NULL, S, "refund", NULL, s2s_tx_cb, &refused, &id));
  REQUIRED_STRING(INVALID, modio_market_s2s_client_clawback(s, 1, NULL, "steam", S, NULL, s2s_tx_cb, &refused, &id));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_clawback(s, 0, S, "steam", "refund", NULL, s2s_tx_cb, &refused, &id)));
  OPTIONAL_STRING(OK, INVALID, (S == NULL ? OK : modio_market_s2s_client_clawback(s, 1, NULL, "steam", "refund", S, s2s_tx_cb, &refused, &id)));

  /* The history: the query struct's rules. */
  modio_market_s2s_transaction_query q;
  memset(&q, 0, sizeof q);
  q.struct_size = sizeof q;
  RC(NULLP, modio_market_s2s_client_transactions(NULL, &q, history_page_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_transactions(s, NULL, history_page_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_transactions(s, &q, NULL, &refused, &id));
  q.struct_size = 0;
  RC(INVALID, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  q.struct_size = sizeof q;
  q.limit = 101;
  RC(INVALID, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  q.limit = 0;
  q.transaction_type_count = 1;
  RC(NULLP, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  const char *types[] = {BAD_UTF8};
  q.transaction_types = types;
  RC(UTF8, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  q.transaction_type_count = 1000;
  RC(INVALID, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  q.transaction_types = NULL;
  q.transaction_type_count = 0;
#define QUERY_STRING(field)                                                                         \
  do {                                                                                            \
    const char *values[] = {BAD_UTF8, "", "a b", "k\r\nX-Evil: 1"};                                \
    modio_market_result want[] = {UTF8, INVALID, INVALID, INVALID};                               \
    for (size_t i = 0; i < 4; i++) {                                                              \
      q.field = values[i];                                                                        \
      RCL(#field, want[i], modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id)); \
    }                                                                                             \
    q.field = HUGE;                                                                               \
    RCL(#field " 1 MiB", INVALID, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id)); \
    q.field = NULL;                                                                               \
  } while (0)
  QUERY_STRING(monetization_type);
  QUERY_STRING(gateway_uuid);
  QUERY_STRING(clawback_uuid);
  QUERY_STRING(line_item_key);
  QUERY_STRING(cursor);
  q.has_created_at_start = true;
  q.created_at_start = -1;
  RC(INVALID, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  q.has_created_at_start = false;
  memset((char *)&q + offsetof(modio_market_s2s_transaction_query, has_created_at_start), 7, 1);
  RC(INVALID, modio_market_s2s_client_transactions(s, &q, history_page_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_transaction(NULL, 1, history_tx_cb, &refused, &id));
  RC(NULLP, modio_market_s2s_client_transaction(s, 1, NULL, &refused, &id));
  RC(INVALID, modio_market_s2s_client_transaction(s, 0, history_tx_cb, &refused, &id));
  CHECK(id == 77);
  RC(OK, modio_market_s2s_client_poll(s, &n));
  CHECK(n == 0);
  CHECK(refused.calls == 0);

  /* Valid calls with maximal ids reach the fake and come back as typed errors. */
  memset(&done, 0, sizeof done);
  RC(OK, modio_market_s2s_client_commit(s, D, UINT64_MAX, NULL, NULL, s2s_tx_cb, &done, &id));
  RC(OK, modio_market_s2s_client_wait(s, id, 20000, NULL));
  RC(OK, modio_market_s2s_client_clawback(s, UINT64_MAX, NULL, "steam", "refund", NULL, s2s_tx_cb, &done, &id));
  RC(OK, modio_market_s2s_client_wait(s, id, 20000, NULL));
  CHECK(done.calls == 2 && done.errors == 2);

  /* Re-entry from an S2S callback. */
  struct s2s_reentry r = {s, 0, OK, OK};
  RC(OK, modio_market_s2s_client_refresh_service_token(s, reentrant_token_cb, &r, &id));
  RC(OK, modio_market_s2s_client_wait(s, id, 20000, NULL));
  CHECK(r.calls == 1);
  RC(MODIO_MARKET_RESULT_REENTRANT, r.poll_rc);
  RC(MODIO_MARKET_RESULT_REENTRANT, r.wait_rc);

  /* A request outliving its client: SHUT_DOWN during the free, exactly once. */
  memset(&done, 0, sizeof done);
  RC(OK, modio_market_s2s_client_refresh_service_token(s, service_token_cb, &done, NULL));
  modio_market_s2s_client_free(s);
  CHECK(done.calls == 1);
}

int main(void) {
  /* A deadlock is a failure, not a hang of the test command. */
  alarm(240);
  setvbuf(stdout, NULL, _IONBF, 0); /* every line out before a crash or the alarm */
  base_url = getenv("MODIO_MARKET_BASE_URL");
  if (!base_url) {
    printf("run through scripts/with-fake: MODIO_MARKET_BASE_URL is not set\n");
    return 2;
  }
  HUGE = malloc(1024 * 1024 + 1);
  if (!HUGE) return 2;
  memset(HUGE, 'a', 1024 * 1024);
  HUGE[1024 * 1024] = '\0';

  printf("%s\n", "test_library_functions");
  test_library_functions();
  printf("%s\n", "test_config");
  test_config();
  printf("%s\n", "test_client_arguments");
  test_client_arguments();
  printf("%s\n", "test_client_edge_values_reach_the_server");
  test_client_edge_values_reach_the_server();
  printf("%s\n", "test_reentry");
  test_reentry();
  printf("%s\n", "test_requests_outliving_their_client");
  test_requests_outliving_their_client();
  printf("%s\n", "test_free_from_a_log_callback_during_free");
  test_free_from_a_log_callback_during_free();
  printf("%s\n", "test_s2s");
  test_s2s();
  CHECK(refused.calls == 0);

  free(HUGE);
  printf("hostile C input: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
