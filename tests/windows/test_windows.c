/*
 * What differs on Windows, run under Wine against the Linux fake (tests/windows/run.sh):
 *   - a data and install directory whose path has spaces, non-ASCII characters and backslashes
 *     (UTF-8 in, wide-character file APIs underneath: the files must land under that exact name);
 *   - the journal's and the session file's atomic replace while another handle has the file open
 *     (a reader that allows it, FILE_SHARE_DELETE, and one that does not, as fopen() opens);
 *   - two clients of one data directory at once, each writing its own and the shared files;
 *   - TLS with the bundled roots: a server whose certificate chains to a test CA is refused with
 *     MODIO_MARKET_RESULT_TLS, and accepted once that CA is added (rustls and ring on Windows).
 * Every check prints "ok" or "FAIL" with what it checked; the exit status is the failure count.
 * Environment: scripts/with-fake's MODIO_MARKET_* variables; MODIO_WIN_TLS_URL and
 * MODIO_WIN_TLS_CA (a PEM file) for the TLS checks.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modio_market.h"

static int g_failed;
static int g_checks;

static bool check(bool ok, const char *what) {
    g_checks++;
    if (!ok) {
        g_failed++;
    }
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
    fflush(stdout);
    return ok;
}

static const char *env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL || value[0] == '\0') {
        fprintf(stderr, "test_windows: %s is not set (run through scripts/with-fake)\n", name);
        exit(100);
    }
    return value;
}

/* UTF-8 to UTF-16, for the wide file APIs the test checks the library's files with. */
static wchar_t *wide(const char *utf8) {
    int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
    wchar_t *out = n > 0 ? calloc((size_t)n, sizeof *out) : NULL;
    if (out != NULL) {
        MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, out, n);
    }
    return out;
}

static bool file_exists(const char *utf8) {
    wchar_t *w = wide(utf8);
    DWORD attributes = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
    free(w);
    return attributes != INVALID_FILE_ATTRIBUTES;
}

/* Reads a whole (small) file through an already open handle, from its start. */
static size_t read_handle(HANDLE h, char *buffer, size_t size) {
    LARGE_INTEGER zero = {0};
    DWORD got = 0;
    if (!SetFilePointerEx(h, zero, NULL, FILE_BEGIN) || !ReadFile(h, buffer, (DWORD)(size - 1), &got, NULL)) {
        return 0;
    }
    buffer[got] = '\0';
    return got;
}

static HANDLE open_reader(const char *utf8, DWORD share) {
    wchar_t *w = wide(utf8);
    HANDLE h = w != NULL ? CreateFileW(w, GENERIC_READ, share, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL)
                         : INVALID_HANDLE_VALUE;
    free(w);
    return h;
}

static size_t read_path(const char *utf8, char *buffer, size_t size) {
    HANDLE h = open_reader(utf8, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
    if (h == INVALID_HANDLE_VALUE) {
        return 0;
    }
    size_t n = read_handle(h, buffer, size);
    CloseHandle(h);
    return n;
}

/* One completion, whatever the request. */
struct outcome {
    int calls;
    modio_market_result code;
    int64_t balance;
    uint64_t transaction_id;
    char path[1024];
};

static void record_error(struct outcome *o, const struct modio_market_error *error) {
    o->calls++;
    o->code = error != NULL ? error->code : MODIO_MARKET_RESULT_OK;
    if (error != NULL) {
        printf("     (%s: %s)\n", modio_market_result_name(error->code), error->message ? error->message : "");
    }
}

static void on_auth(void *user_data, uint64_t id, const struct modio_market_error *error,
                    const struct modio_market_access_token *token) {
    (void)id;
    (void)token;
    record_error(user_data, error);
}

static void on_sync(void *user_data, uint64_t id, const struct modio_market_error *error,
                    const struct modio_market_entitlement_sync *sync) {
    (void)id;
    (void)sync;
    record_error(user_data, error);
}

static void on_wallet(void *user_data, uint64_t id, const struct modio_market_error *error,
                      const struct modio_market_wallet *wallet) {
    (void)id;
    struct outcome *o = user_data;
    record_error(o, error);
    if (wallet != NULL) {
        o->balance = wallet->balance;
    }
}

static void on_game(void *user_data, uint64_t id, const struct modio_market_error *error,
                    const struct modio_market_game *game) {
    (void)id;
    (void)game;
    record_error(user_data, error);
}

static void on_checkout(void *user_data, uint64_t id, const struct modio_market_error *error,
                        const struct modio_market_checkout *checkout) {
    (void)id;
    struct outcome *o = user_data;
    record_error(o, error);
    if (checkout != NULL && checkout->transaction != NULL) {
        o->transaction_id = checkout->transaction->id;
    }
}

static void on_purchases(void *user_data, uint64_t id, const struct modio_market_error *error,
                         const struct modio_market_purchases *purchases) {
    (void)id;
    (void)purchases;
    record_error(user_data, error);
}

static void on_installed(void *user_data, uint64_t id, const struct modio_market_error *error,
                         const struct modio_market_installed_mod *installed) {
    (void)id;
    struct outcome *o = user_data;
    record_error(o, error);
    if (installed != NULL && installed->path != NULL) {
        snprintf(o->path, sizeof o->path, "%s", installed->path);
    }
}

/* Waits for a submitted request; true when its callback ran once. The id is read through a
 * pointer: the submit call that fills it is an argument of the same call, evaluated in no fixed
 * order relative to the others. */
static bool finish(modio_market_client *client, modio_market_result submitted, const uint64_t *id, struct outcome *o) {
    if (submitted != MODIO_MARKET_RESULT_OK) {
        printf("     (submit: %s)\n", modio_market_result_name(submitted));
        return false;
    }
    modio_market_result rc = modio_market_client_wait(client, *id, 30000, NULL);
    return rc == MODIO_MARKET_RESULT_OK && o->calls == 1;
}

static modio_market_client *make_client(const char *data_dir, const char *install_dir) {
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    if (modio_market_config_new((uint64_t)strtoull(env("MODIO_MARKET_GAME_ID"), NULL, 10), env("MODIO_MARKET_API_KEY"),
                                &config) != MODIO_MARKET_RESULT_OK) {
        return NULL;
    }
    bool ok = modio_market_config_set_base_url(config, env("MODIO_MARKET_BASE_URL")) == MODIO_MARKET_RESULT_OK &&
              modio_market_config_set_allow_insecure_http(config, true) == MODIO_MARKET_RESULT_OK &&
              modio_market_config_set_portal(config, "steam") == MODIO_MARKET_RESULT_OK &&
              (data_dir == NULL || modio_market_config_set_data_dir(config, data_dir) == MODIO_MARKET_RESULT_OK) &&
              (install_dir == NULL || modio_market_config_set_install_dir(config, install_dir) == MODIO_MARKET_RESULT_OK);
    if (ok) {
        ok = modio_market_client_new(config, &client) == MODIO_MARKET_RESULT_OK;
    }
    modio_market_config_free(config);
    return ok ? client : NULL;
}

static bool sign_in(modio_market_client *client, const char *ticket) {
    struct outcome o = {0};
    uint64_t id = 0;
    return finish(client, modio_market_client_auth_steam(client, ticket, true, on_auth, &o, &id), &id, &o) &&
           o.code == MODIO_MARKET_RESULT_OK;
}

static modio_market_result checkout(modio_market_client *client, uint64_t mod_id, int64_t price, const char *key) {
    struct outcome o = {0};
    uint64_t id = 0;
    if (!finish(client, modio_market_client_checkout(client, mod_id, price, key, on_checkout, &o, &id), &id, &o)) {
        return MODIO_MARKET_RESULT_INTERNAL;
    }
    return o.code;
}

static modio_market_result refresh(modio_market_client *client) {
    struct outcome o = {0};
    uint64_t id = 0;
    if (!finish(client, modio_market_client_refresh_purchases(client, on_purchases, &o, &id), &id, &o)) {
        return MODIO_MARKET_RESULT_INTERNAL;
    }
    return o.code;
}

static bool owns(modio_market_client *client, uint64_t mod_id) {
    bool owned = false;
    return modio_market_client_owns(client, mod_id, &owned) == MODIO_MARKET_RESULT_OK && owned;
}

/* A root under the Windows temporary directory with spaces and non-ASCII characters, written with
 * backslashes (GetTempPathW gives C:\users\...\Temp\ under Wine). */
static bool make_root(char *root, size_t size) {
    wchar_t temp[MAX_PATH];
    DWORD n = GetTempPathW(MAX_PATH, temp);
    if (n == 0 || n >= MAX_PATH) {
        return false;
    }
    char temp_utf8[MAX_PATH * 4];
    if (WideCharToMultiByte(CP_UTF8, 0, temp, -1, temp_utf8, (int)sizeof temp_utf8, NULL, NULL) == 0) {
        return false;
    }
    /* "modio market Ünïcødé 測試 <pid>": Latin-1, CJK and spaces in one directory name. */
    snprintf(root, size, "%smodio market \xC3\x9Cn\xC3\xAF\x63\xC3\xB8\x64\xC3\xA9 \xE6\xB8\xAC\xE8\xA9\xA6 %lu", temp_utf8,
             (unsigned long)GetCurrentProcessId());
    wchar_t *w = wide(root);
    bool made = w != NULL && (CreateDirectoryW(w, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
    free(w);
    return made;
}

static void test_unicode_paths(const char *root) {
    printf("== a data and install directory with spaces, non-ASCII characters and backslashes\n");
    char data_dir[1200], install_dir[1200], session_file[1400], purchases_file[1400];
    snprintf(data_dir, sizeof data_dir, "%s\\data", root);
    snprintf(install_dir, sizeof install_dir, "%s\\mods", root);
    snprintf(session_file, sizeof session_file, "%s\\modio-market\\session.json", data_dir);
    snprintf(purchases_file, sizeof purchases_file, "%s\\modio-market\\purchases\\1.json", data_dir);

    modio_market_client *client = make_client(data_dir, install_dir);
    if (!check(client != NULL, "a client on that data directory")) {
        return;
    }
    check(file_exists(data_dir), "the data directory exists under its non-ASCII name");
    check(sign_in(client, env("MODIO_MARKET_STEAM_TICKET")), "Steam sign-in");

    struct outcome o = {0};
    uint64_t id = 0;
    check(finish(client, modio_market_client_sync_steam(client, on_sync, &o, &id), &id, &o) && o.code == MODIO_MARKET_RESULT_OK,
          "Steam entitlements synced into the wallet");
    memset(&o, 0, sizeof o);
    check(finish(client, modio_market_client_get_wallet(client, on_wallet, &o, &id), &id, &o) &&
              o.code == MODIO_MARKET_RESULT_OK && o.balance >= 1500,
          "the wallet holds enough for Sunny Skies");
    memset(&o, 0, sizeof o);
    check(finish(client, modio_market_client_get_game(client, on_game, &o, &id), &id, &o) && o.code == MODIO_MARKET_RESULT_OK,
          "the game");

    check(checkout(client, 1004, 1500, "windows-unicode-1004") == MODIO_MARKET_RESULT_OK, "checkout of Sunny Skies");
    check(owns(client, 1004), "owned right after checkout");
    check(refresh(client) == MODIO_MARKET_RESULT_OK, "the purchased list refreshed");
    check(file_exists(purchases_file), "the purchased list is cached under the non-ASCII path");
    check(file_exists(session_file), "session.json (the signed-in user) is written under the non-ASCII path");

    memset(&o, 0, sizeof o);
    check(finish(client, modio_market_client_install_mod(client, 1004, NULL, on_installed, &o, &id), &id, &o) &&
              o.code == MODIO_MARKET_RESULT_OK,
          "Sunny Skies downloaded and installed");
    char expected_prefix[1300];
    snprintf(expected_prefix, sizeof expected_prefix, "%s\\", install_dir);
    check(strncmp(o.path, expected_prefix, strlen(expected_prefix)) == 0,
          "the installed path is the install directory as given, a backslash, the mod id");
    check(file_exists(o.path), "the mod's directory exists under that path");

    modio_market_installed_list *installed = NULL;
    check(modio_market_client_installed_mods(client, &installed) == MODIO_MARKET_RESULT_OK && installed != NULL &&
              installed->mod_count == 1 && installed->mods[0]->mod_id == 1004,
          "installed_mods lists it");
    modio_market_installed_list_free(installed);
    modio_market_client_free(client);

    /* A new client on the same directory, a path spelled with forward slashes this time: the same
     * files (Windows accepts both separators), so the cached list is found again. */
    char forward[1200];
    snprintf(forward, sizeof forward, "%s", data_dir);
    for (char *c = forward; *c != '\0'; c++) {
        if (*c == '\\') {
            *c = '/';
        }
    }
    char forward_install[1200];
    snprintf(forward_install, sizeof forward_install, "%s/../mods", forward);
    modio_market_client *again = make_client(forward, forward_install);
    if (check(again != NULL, "a second client on the same directories spelled with '/' and '..'")) {
        modio_market_installed_list *listed = NULL;
        check(modio_market_client_installed_mods(again, &listed) == MODIO_MARKET_RESULT_OK && listed != NULL &&
                  listed->mod_count == 1 && listed->mods[0]->mod_id == 1004,
              "it finds the installed mod through the other spelling");
        modio_market_installed_list_free(listed);
        check(sign_in(again, env("MODIO_MARKET_STEAM_TICKET")) && refresh(again) == MODIO_MARKET_RESULT_OK && owns(again, 1004),
              "it signs in and owns Sunny Skies");
        modio_market_client_free(again);
    }
}

static void test_replace_while_open(const char *root) {
    printf("== atomic replace while another handle has the file open\n");
    char data_dir[1200], session_file[1400], journal_dir[1400];
    snprintf(data_dir, sizeof data_dir, "%s\\open-handles", root);
    snprintf(session_file, sizeof session_file, "%s\\modio-market\\session.json", data_dir);
    snprintf(journal_dir, sizeof journal_dir, "%s\\modio-market\\journal", data_dir);
    modio_market_client *client = make_client(data_dir, NULL);
    if (!check(client != NULL, "a client") || !check(sign_in(client, "demo-steam-ticket-bob"), "bob signs in")) {
        modio_market_client_free(client);
        return;
    }
    char before[4096], held[4096], after[4096];
    /* session.json is written once the library learns who a token belongs to (GET /me). */
    check(refresh(client) == MODIO_MARKET_RESULT_OK, "bob's purchased list");
    check(read_path(session_file, before, sizeof before) > 0, "session.json has bob's session");

    /* A reader that lets others replace the file (FILE_SHARE_DELETE), as a backup tool or an
     * indexer opens it: the replace succeeds and the reader keeps the old contents. */
    HANDLE sharing = open_reader(session_file, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
    if (check(sharing != INVALID_HANDLE_VALUE, "session.json opened by a reader that shares delete")) {
        check(sign_in(client, "demo-steam-ticket-carol") && refresh(client) == MODIO_MARKET_RESULT_OK,
              "carol signs in on the same client (session.json rewritten)");
        /* Windows 10+ replaces it (std's rename uses POSIX semantics there); Wine 8 and older
         * Windows refuse to replace an open file, and the library keeps the old one (it is a
         * cache: the sign-in itself is not lost). Either way the file is one whole version. */
        check(read_path(session_file, after, sizeof after) > 0 && (strcmp(before, after) == 0 || strstr(after, "\"sessions\"") != NULL),
              "session.json is one whole version, the old or the new");
        check(read_handle(sharing, held, sizeof held) > 0 && strcmp(held, before) == 0,
              "the reader's handle still reads the file it opened");
        CloseHandle(sharing);
    }

    /* A reader that does not share delete (fopen's share mode): the file cannot be replaced while
     * it is open. The library must not lose the sign-in or crash: the request still completes
     * and the next write after the reader closes goes through. */
    HANDLE exclusive = open_reader(session_file, FILE_SHARE_READ | FILE_SHARE_WRITE);
    if (check(exclusive != INVALID_HANDLE_VALUE, "session.json opened by a reader that does not share delete")) {
        check(sign_in(client, env("MODIO_MARKET_STEAM_TICKET")) && refresh(client) == MODIO_MARKET_RESULT_OK,
              "alice signs in while it is open: her requests complete (the file is a cache)");
        check(read_handle(exclusive, held, sizeof held) > 0 && strcmp(held, after) == 0,
              "the open file is untouched, not half-written");
        CloseHandle(exclusive);
    }
    check(sign_in(client, "demo-steam-ticket-bob") && refresh(client) == MODIO_MARKET_RESULT_OK,
          "after it closes, bob signs in again");
    check(read_path(session_file, after, sizeof after) > 0 && strstr(after, "\"sessions\"") != NULL,
          "session.json is whole and readable");

    /* The journal: its directory held open (as Explorer or a file watcher holds it) while the
     * checkout writes an entry, renames it into place and removes it. */
    wchar_t *wjournal = wide(journal_dir);
    HANDLE dir = wjournal != NULL ? CreateFileW(wjournal, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                                NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL)
                                  : INVALID_HANDLE_VALUE;
    free(wjournal);
    check(dir != INVALID_HANDLE_VALUE, "the journal directory is held open");
    check(checkout(client, 1005, 50, "windows-open-1005") == MODIO_MARKET_RESULT_OK, "bob buys Night Mode");
    check(owns(client, 1005), "bob owns it");
    char entry[1500];
    snprintf(entry, sizeof entry, "%s\\windows-open-1005.json", journal_dir);
    check(!file_exists(entry), "the journal entry is retired once the answer is definitive");
    if (dir != INVALID_HANDLE_VALUE) {
        CloseHandle(dir);
    }
    modio_market_client_free(client);
}

struct pair_side {
    modio_market_client *client;
    uint64_t request;
    struct outcome outcome;
};

static void test_two_clients_one_directory(const char *root) {
    printf("== two clients of one data directory at once\n");
    char data_dir[1200];
    snprintf(data_dir, sizeof data_dir, "%s\\shared", root);
    struct pair_side a = {0}, b = {0};
    a.client = make_client(data_dir, NULL);
    b.client = make_client(data_dir, NULL);
    if (!check(a.client != NULL && b.client != NULL, "two clients on one data directory")) {
        modio_market_client_free(a.client);
        modio_market_client_free(b.client);
        return;
    }
    check(sign_in(a.client, env("MODIO_MARKET_STEAM_TICKET")) && sign_in(b.client, "demo-steam-ticket-bob"),
          "alice on one, bob on the other");
    /* Both checkouts in flight at once: two journal entries, two purchased lists, one
     * session.json written by both. */
    modio_market_result ra = modio_market_client_checkout(a.client, 1001, 100, "windows-shared-a", on_checkout, &a.outcome, &a.request);
    modio_market_result rb = modio_market_client_checkout(b.client, 1003, 400, "windows-shared-b", on_checkout, &b.outcome, &b.request);
    check(ra == MODIO_MARKET_RESULT_OK && rb == MODIO_MARKET_RESULT_OK, "both checkouts submitted");
    check(modio_market_client_wait(a.client, a.request, 30000, NULL) == MODIO_MARKET_RESULT_OK &&
              modio_market_client_wait(b.client, b.request, 30000, NULL) == MODIO_MARKET_RESULT_OK,
          "both completed");
    check(a.outcome.code == MODIO_MARKET_RESULT_OK && b.outcome.code == MODIO_MARKET_RESULT_OK, "both succeeded");
    check(refresh(a.client) == MODIO_MARKET_RESULT_OK && refresh(b.client) == MODIO_MARKET_RESULT_OK, "both lists refreshed");
    check(owns(a.client, 1001) && !owns(a.client, 1003), "alice owns hers and not bob's");
    check(owns(b.client, 1003) && !owns(b.client, 1001), "bob owns his and not alice's");
    modio_market_client_free(a.client);
    modio_market_client_free(b.client);

    char alice_list[1400], bob_list[1400], text[65536];
    snprintf(alice_list, sizeof alice_list, "%s\\modio-market\\purchases\\1.json", data_dir);
    snprintf(bob_list, sizeof bob_list, "%s\\modio-market\\purchases\\2.json", data_dir);
    check(read_path(alice_list, text, sizeof text) > 0 && strstr(text, "1001") != NULL && strstr(text, "1003") == NULL,
          "alice's cached list has her mod and not bob's");
    check(read_path(bob_list, text, sizeof text) > 0 && strstr(text, "1003") != NULL && strstr(text, "1001") == NULL,
          "bob's cached list has his mod and not alice's");
}

static modio_market_result tls_get_game(const char *url, const char *ca_pem) {
    modio_market_config *config = NULL;
    modio_market_client *client = NULL;
    modio_market_result rc = modio_market_config_new(1, env("MODIO_MARKET_API_KEY"), &config);
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_config_set_base_url(config, url);
    }
    if (rc == MODIO_MARKET_RESULT_OK && ca_pem != NULL) {
        rc = modio_market_config_add_root_certificate_pem(config, ca_pem);
    }
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_client_new(config, &client);
    }
    modio_market_config_free(config);
    if (rc != MODIO_MARKET_RESULT_OK) {
        printf("     (config: %s)\n", modio_market_result_name(rc));
        return MODIO_MARKET_RESULT_INTERNAL;
    }
    struct outcome o = {0};
    uint64_t id = 0;
    bool done = finish(client, modio_market_client_get_game(client, on_game, &o, &id), &id, &o);
    modio_market_client_free(client);
    return done ? o.code : MODIO_MARKET_RESULT_INTERNAL;
}

static void test_tls(void) {
    printf("== TLS with the bundled roots\n");
    const char *url = env("MODIO_WIN_TLS_URL");
    FILE *f = fopen(env("MODIO_WIN_TLS_CA"), "rb");
    static char pem[16384];
    size_t n = f != NULL ? fread(pem, 1, sizeof pem - 1, f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    pem[n] = '\0';
    if (!check(n > 0, "the test CA is readable")) {
        return;
    }
    check(tls_get_game(url, NULL) == MODIO_MARKET_RESULT_TLS,
          "a certificate from an unknown CA is refused with the bundled roots alone (TLS)");
    modio_market_result with_ca = tls_get_game(url, pem);
    /* The handshake completes; the test server answers 200 with a page that is not mod.io's. */
    check(with_ca != MODIO_MARKET_RESULT_TLS && with_ca != MODIO_MARKET_RESULT_CONNECT && with_ca != MODIO_MARKET_RESULT_INTERNAL,
          "with the test CA added the handshake completes (the answer is not a TLS error)");
}

int main(void) {
    /* UTF-8 console output, so the non-ASCII path prints as written. */
    SetConsoleOutputCP(CP_UTF8);
    printf("modio-market %s on Windows\n", modio_market_version());
    char root[1024];
    if (!check(make_root(root, sizeof root), "a temporary root with spaces and non-ASCII characters")) {
        return 1;
    }
    printf("     root: %s\n", root);
    test_unicode_paths(root);
    test_replace_while_open(root);
    test_two_clients_one_directory(root);
    test_tls();
    printf("\n%d checks, %d failed\n", g_checks, g_failed);
    return g_failed;
}
