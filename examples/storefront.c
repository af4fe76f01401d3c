/*
 * storefront.c: a console storefront for premium mods on the mod.io Marketplace, written against
 * the plain C ABI of modio-market (capi/include/modio_market.h). It runs the whole flow a game runs and
 * tells the player, in words, what happens:
 *
 *   1. show mod.io's terms (the game must, before a player's first sign-in),
 *   2. sign in with Steam (an encrypted app ticket),
 *   3. show the currency packs for sale and the Steam purchases not converted yet,
 *   4. turn the player's Steam purchases (entitlements) into virtual currency,
 *   5. show the wallet,
 *   6. read the game's settings (api_access_options),
 *   7. list the premium (paid) mods with name, price, size and rating,
 *   8. buy the most expensive one the player can afford and does not own yet, with an
 *      idempotency key generated here (a retry with the same key never charges twice),
 *   9. refresh the player's purchases from mod.io and show what the player owns,
 *  10. download and install the mod just bought, with progress, and list what is installed.
 *
 * BUILD (from the repository root)
 *     cargo build -p modio-market-artifact
 *     gcc -std=c11 -Wall -Wextra -Wpedantic -I capi/include examples/storefront.c \
 *         -o target/storefront -L target/debug -lmodio_market -Wl,-rpath,"$PWD/target/debug"
 *   or, linked statically:
 *     gcc -std=c11 -I capi/include examples/storefront.c target/debug/libmodio_market.a \
 *         -lpthread -ldl -lm -o target/storefront
 *
 * RUN
 *   Against the local fake mod.io server (what `scripts/demo` does):
 *     scripts/with-fake target/storefront
 *   Against the mod.io test environment:
 *     MODIO_MARKET_BASE_URL=https://g-YOUR_GAME_ID.test.mod.io/v1 MODIO_MARKET_GAME_ID=YOUR_GAME_ID \
 *     MODIO_MARKET_API_KEY=your-api-key MODIO_MARKET_STEAM_TICKET="$(base64 -w0 ticket.bin)" \
 *     MODIO_MARKET_TERMS_AGREED=1 target/storefront
 *
 * CONFIGURATION (environment variables; the defaults are the local fake's demo values)
 *   MODIO_MARKET_BASE_URL      API base URL            (default http://127.0.0.1:7878/v1, where
 *                              `target/debug/fake-modio --seed demo --port 7878` listens)
 *   MODIO_MARKET_GAME_ID       the game's mod.io id    (default 1)
 *   MODIO_MARKET_API_KEY       the game's API key      (default 0123456789abcdef0123456789abcdef)
 *   MODIO_MARKET_STEAM_TICKET  Steam encrypted app ticket, base64 (default demo-steam-ticket-alice)
 *   MODIO_MARKET_TERMS_AGREED  1 if the player accepted the mod.io terms in your UI (default 0:
 *                              enough for a player who accepted them before)
 *   MODIO_MARKET_INSTALL_DIR   where mods are installed (default $TMPDIR/modio-market-storefront/mods)
 *   MODIO_MARKET_LANGUAGE      the language of mod.io's texts, e.g. de (default: mod.io's, English)
 *
 * Exit status: 0 when every step worked, 1 when a step failed, 2 for a bad configuration.
 *
 * How the library is driven: every request returns at once with a request id; its callback runs
 * later, only inside modio_market_client_poll() or modio_market_client_wait(), on the thread that
 * calls them. A game calls poll once per frame; this console tool blocks in wait instead (see
 * run_request). Everything a callback receives is borrowed for the call, so callbacks copy what
 * they keep. Secrets (the ticket, the access token) are never printed.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modio_market.h"

#define DEFAULT_BASE_URL "http://127.0.0.1:7878/v1"
#define DEFAULT_GAME_ID "1"
#define DEFAULT_API_KEY "0123456789abcdef0123456789abcdef"
#define DEFAULT_STEAM_TICKET "demo-steam-ticket-alice"

/* How long one request may take, retries included, before the storefront gives up on it. */
#define REQUEST_DEADLINE_MS 60000u
#define MAX_LISTED_MODS 1000

/* ---------------------------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------------------------- */

/* A synchronous failure: the function's own result plus the library's text for it. */
static void print_call_failure(const char *what, modio_market_result rc)
{
    char text[512];
    size_t length = 0;
    if (modio_market_last_error_message(text, sizeof text, &length) != MODIO_MARKET_RESULT_OK) {
        /* Longer than our buffer (or nothing recorded): fall back to the code's description. */
        snprintf(text, sizeof text, "%s", modio_market_result_message(rc));
    }
    fprintf(stderr, "      ERROR: %s failed: %s (%s)\n", what, text, modio_market_result_name(rc));
}

/* A failure reported to a callback: everything the error struct carries. */
static void print_request_error(const char *what, const modio_market_error *error)
{
    fprintf(stderr, "      ERROR: %s failed: %s\n", what, error->message ? error->message : "(no message)");
    fprintf(stderr, "             code %s (%s)\n", modio_market_result_name(error->code),
            modio_market_result_message(error->code));
    if (error->http_status != 0) {
        fprintf(stderr, "             HTTP status %" PRIu32 "\n", error->http_status);
    }
    if (error->error_ref != 0) {
        fprintf(stderr, "             mod.io error_ref %" PRId64 " (%s)\n", error->error_ref,
                error->error_ref_name ? error->error_ref_name : "not known to this library version");
    }
    for (size_t i = 0; i < error->field_error_count; i++) {
        fprintf(stderr, "             field %s: %s\n", error->field_errors[i]->field, error->field_errors[i]->message);
    }
    if (error->retry_after_secs >= 0) {
        fprintf(stderr, "             mod.io asks to wait %" PRId64 " s before trying again\n", error->retry_after_secs);
    }
    switch (error->error_ref) {
    case MODIO_MARKET_ERROR_REF_NO_TERMS_AGREEMENT:
        fprintf(stderr, "             The player has not accepted the mod.io terms: show them, then run again "
                        "with MODIO_MARKET_TERMS_AGREED=1.\n");
        break;
    case MODIO_MARKET_ERROR_REF_STEAM_APP_TICKET_INVALID:
        fprintf(stderr, "             Check MODIO_MARKET_STEAM_TICKET (a fresh encrypted app ticket, base64).\n");
        break;
    case MODIO_MARKET_ERROR_REF_API_KEY_INVALID:
    case MODIO_MARKET_ERROR_REF_API_KEY_MALFORMED:
        fprintf(stderr, "             Check MODIO_MARKET_API_KEY and MODIO_MARKET_GAME_ID.\n");
        break;
    default:
        break;
    }
}

/* ---------------------------------------------------------------------------------------------
 * One request at a time: the callback fills a `request` (copying what it keeps), run_request
 * pumps until that callback has run.
 * ------------------------------------------------------------------------------------------- */

struct request {
    const char *what;     /* for messages */
    bool done;            /* the callback ran */
    bool ok;              /* ... with a result (not an error) */
    modio_market_result error_code;
    uint32_t http_status;
    int64_t error_ref;
    void *out;            /* step-specific copy of the result */
};

static void request_begin(struct request *r, const char *what, void *out)
{
    memset(r, 0, sizeof *r);
    r->what = what;
    r->out = out;
}

/* Common part of every callback: exactly one of error/result is non-NULL. Returns true on success. */
static bool request_finish(struct request *r, const modio_market_error *error)
{
    r->done = true;
    if (error != NULL) {
        r->ok = false;
        r->error_code = error->code;
        r->http_status = error->http_status;
        r->error_ref = error->error_ref;
        print_request_error(r->what, error);
        return false;
    }
    r->ok = true;
    return true;
}

/*
 * Submits nothing itself: `rc` is what the modio_market_client_* call that started the request
 * returned, `id_ptr` where that call wrote the request id (read only after the call ran). Blocks in modio_market_client_wait until the request's callback has run (callbacks run
 * inside wait, on this thread). A game would instead call modio_market_client_poll once per frame
 * and look at `r->done`.
 */
static bool run_request(modio_market_client *client, struct request *r, modio_market_result rc, const uint64_t *id_ptr)
{
    if (rc != MODIO_MARKET_RESULT_OK) {
        print_call_failure(r->what, rc);
        return false;
    }
    const uint64_t id = *id_ptr;
    rc = modio_market_client_wait(client, id, REQUEST_DEADLINE_MS, NULL);
    if (rc == MODIO_MARKET_RESULT_WAIT_TIMED_OUT) {
        fprintf(stderr, "      %s is taking too long; cancelling it.\n", r->what);
        rc = modio_market_client_cancel(client, id);
        if (rc != MODIO_MARKET_RESULT_OK && rc != MODIO_MARKET_RESULT_ALREADY_COMPLETED) {
            print_call_failure("cancel", rc);
            return false;
        }
        /* Cancelled (or finished meanwhile): either way its callback runs at the next pump. */
        rc = modio_market_client_wait(client, id, REQUEST_DEADLINE_MS, NULL);
    }
    if (rc != MODIO_MARKET_RESULT_OK && !(rc == MODIO_MARKET_RESULT_REQUEST_NOT_FOUND && r->done)) {
        print_call_failure("waiting for the answer", rc);
        return false;
    }
    if (!r->done) {
        fprintf(stderr, "      ERROR: %s: the library returned from wait without running the callback\n", r->what);
        return false;
    }
    return r->ok;
}

/* ---------------------------------------------------------------------------------------------
 * Callbacks (each copies what the storefront keeps)
 * ------------------------------------------------------------------------------------------- */

static void human_size(uint64_t bytes, char *buffer, size_t length);

static bool same_text_ignoring_case(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++) {
        char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
        if (x != y) {
            return false;
        }
    }
    return *a == *b;
}

static void on_auth(void *user_data, uint64_t request_id, const modio_market_error *error,
                    const modio_market_access_token *token)
{
    struct request *r = user_data;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    /* The client keeps the token itself; a game could store it securely to resume the session.
     * Never print it. */
    *(int64_t *)r->out = token->date_expires;
}

static void on_terms(void *user_data, uint64_t request_id, const modio_market_error *error, const modio_market_terms *terms)
{
    struct request *r = user_data;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    /* A game shows the whole text; the console shows its first line. */
    const char *text = terms->plaintext;
    const char *newline = strchr(text, '\n');
    int first_line = newline != NULL ? (int)(newline - text) : (int)strlen(text);
    printf("      \"%.*s%s\"\n", first_line > 200 ? 200 : first_line, text, first_line > 200 ? "..." : "");
    printf("      Buttons: [%s] [%s]\n", terms->agree_text, terms->disagree_text);
    for (size_t i = 0; i < terms->link_count; i++) {
        const modio_market_terms_link *link = terms->links[i];
        if (link->required) {
            printf("      Must be shown: %s <%s>\n", link->text, link->url);
        }
    }
}

struct store_result {
    size_t packs;
    size_t unconverted;
    char token_name[32];
};

static void on_token_packs(void *user_data, uint64_t request_id, const modio_market_error *error,
                           const modio_market_token_packs *packs)
{
    struct request *r = user_data;
    struct store_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->packs = packs->pack_count;
    snprintf(out->token_name, sizeof out->token_name, "%s", packs->token_name);
    /* Each platform store sells its own packs: show the ones of the store the game runs on. */
    for (size_t i = 0; i < packs->pack_count; i++) {
        const modio_market_token_pack *p = packs->packs[i];
        if (!same_text_ignoring_case(p->portal, "steam")) {
            continue;
        }
        printf("      %-10s %-18s %6" PRId64 " %s for %" PRId64 ".%02" PRId64 " (sku %s)\n", p->portal, p->name, p->amount,
               packs->token_name, p->price / 100, p->price % 100, p->sku);
    }
}

static void on_unconverted(void *user_data, uint64_t request_id, const modio_market_error *error,
                           const modio_market_unconverted_entitlements *pending)
{
    struct request *r = user_data;
    struct store_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->unconverted = 0;
    for (size_t i = 0; i < pending->entitlement_count; i++) {
        out->unconverted += pending->entitlements[i]->entitlement_type == MODIO_MARKET_ENTITLEMENT_KIND_TOKEN_PACK;
    }
}

struct install_result {
    uint64_t mod_id;
    char path[1024];
    char version[64];
    uint64_t size;
    int progress_reports;
    uint64_t last_done, last_total;
};

/* Runs inside wait/poll, at most five times a second, while the archive downloads. */
static void on_progress(void *user_data, uint64_t request_id, uint64_t bytes_done, uint64_t bytes_total)
{
    struct request *r = user_data;
    struct install_result *out = r->out;
    (void)request_id;
    out->progress_reports++;
    out->last_done = bytes_done;
    out->last_total = bytes_total;
    char done[32], total[32];
    human_size(bytes_done, done, sizeof done);
    human_size(bytes_total, total, sizeof total);
    printf("      downloading: %s of %s (%.0f%%)\n", done, total, bytes_total > 0 ? 100.0 * (double)bytes_done / (double)bytes_total : 0.0);
}

static void on_installed(void *user_data, uint64_t request_id, const modio_market_error *error,
                         const modio_market_installed_mod *installed)
{
    struct request *r = user_data;
    struct install_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->mod_id = installed->mod_id;
    out->size = installed->size;
    snprintf(out->path, sizeof out->path, "%s", installed->path);
    snprintf(out->version, sizeof out->version, "%s", installed->version);
}

struct sync_result {
    int64_t balance;
    size_t lines;
};

static void on_sync(void *user_data, uint64_t request_id, const modio_market_error *error,
                    const modio_market_entitlement_sync *sync)
{
    struct request *r = user_data;
    struct sync_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->balance = sync->balance;
    out->lines = sync->entitlement_count;
    if (sync->entitlement_count == 0) {
        printf("      No new Steam purchases to convert.\n");
    }
    for (size_t i = 0; i < sync->entitlement_count; i++) {
        const modio_market_entitlement *e = sync->entitlements[i];
        printf("      %-12s %s%s (transaction %s%s)\n", e->sku_id, e->state_name,
               e->consumed ? ", converted into currency" : ", not consumed",
               e->transaction_id, e->entitlement_type == 0 ? ", virtual currency" : "");
    }
}

static void on_wallet(void *user_data, uint64_t request_id, const modio_market_error *error,
                      const modio_market_wallet *wallet)
{
    struct request *r = user_data;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    *(int64_t *)r->out = wallet->balance;
    printf("      Balance:         %" PRId64 "\n", wallet->balance);
    printf("      Pending:         %" PRId64 "\n", wallet->pending_balance);
    printf("      Owed (deficit):  %" PRId64 "\n", wallet->deficit);
    /* "mio" is mod.io's code for a game's virtual currency; players see the game's own name for it
     * (the token name, shown with the game's settings below). */
    printf("      Wallet:          %s for game %" PRIu64 " (currency code \"%s\": the game's virtual currency)\n",
           wallet->wallet_type, wallet->game_id, wallet->currency);
    /* monetization_status is the player's own standing as a creator who sells mods: not an error. */
    printf("      As a creator:   ");
    static const struct {
        uint32_t flag;
        const char *words;
    } flags[] = {
        {MODIO_MARKET_MONETIZATION_STATUS_PENDING, "pending"},
        {MODIO_MARKET_MONETIZATION_STATUS_REJECTED, "rejected"},
        {MODIO_MARKET_MONETIZATION_STATUS_REVIEW, "in review"},
        {MODIO_MARKET_MONETIZATION_STATUS_ACTION, "action needed"},
        {MODIO_MARKET_MONETIZATION_STATUS_APPROVED, "approved"},
        {MODIO_MARKET_MONETIZATION_STATUS_MEMBER, "marketplace member"},
    };
    bool any = false;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (wallet->monetization_status & flags[i].flag) {
            printf("%s %s", any ? "," : "", flags[i].words);
            any = true;
        }
    }
    printf("%s\n", any ? "" : " not registered to sell mods");
}

struct game_result {
    char token_name[64];
    bool paid_downloads_need_purchase;
};

static void on_game(void *user_data, uint64_t request_id, const modio_market_error *error,
                    const modio_market_game *game)
{
    struct request *r = user_data;
    struct game_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    snprintf(out->token_name, sizeof out->token_name, "%s", game->token_name[0] ? game->token_name : "tokens");
    out->paid_downloads_need_purchase = game->paid_downloads_need_purchase;
    printf("      %s (game %" PRIu64 "), currency \"%s\"\n", game->name, game->id, out->token_name);
    printf("      api_access_options = %" PRIu32 ":\n", game->api_access_options);
    printf("        [%c] third parties may use the game's API\n", game->open ? 'x' : ' ');
    printf("        [%c] mods may be downloaded directly\n", game->direct_downloads ? 'x' : ' ');
    printf("        [%c] downloads need a signed-in player\n", game->authorised_downloads_only ? 'x' : ' ');
    printf("        [%c] paid mods download only for their owners\n", game->paid_downloads_need_purchase ? 'x' : ' ');
}

struct listed_mod {
    uint64_t id;
    char name[128];
    int64_t price;
    uint64_t filesize;
    uint32_t rating_percent;
    char rating_text[64];
};

struct mod_list {
    struct listed_mod mods[MAX_LISTED_MODS];
    size_t count;
    uint64_t total;
    size_t page_count; /* mods on the last page */
};

static void on_mod_page(void *user_data, uint64_t request_id, const modio_market_error *error,
                        const modio_market_mod_page *page)
{
    struct request *r = user_data;
    struct mod_list *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->total = page->result_total;
    out->page_count = page->mod_count;
    for (size_t i = 0; i < page->mod_count && out->count < MAX_LISTED_MODS; i++) {
        const modio_market_mod *m = page->mods[i];
        struct listed_mod *l = &out->mods[out->count++];
        l->id = m->id;
        snprintf(l->name, sizeof l->name, "%s", m->name);
        l->price = m->price;
        l->filesize = m->filesize;
        l->rating_percent = m->rating_percentage_positive;
        snprintf(l->rating_text, sizeof l->rating_text, "%s", m->rating_display_text);
    }
}

struct purchase_result {
    uint64_t transaction_id;
    char state[32];
    int64_t paid;
    int64_t balance;
    char key[160];
    char mod_name[128];
};

static void on_checkout(void *user_data, uint64_t request_id, const modio_market_error *error,
                        const modio_market_checkout *checkout)
{
    struct request *r = user_data;
    struct purchase_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->transaction_id = checkout->transaction->id;
    snprintf(out->state, sizeof out->state, "%s", checkout->transaction->state_name);
    out->paid = checkout->transaction->gross_amount;
    out->balance = checkout->balance;
    snprintf(out->key, sizeof out->key, "%s", checkout->idempotency_key);
    snprintf(out->mod_name, sizeof out->mod_name, "%s", checkout->purchased_mod->name);
}

struct purchases_result {
    bool print_each; /* in: list every owned mod */
    size_t count;    /* out */
};

static void on_purchases(void *user_data, uint64_t request_id, const modio_market_error *error,
                         const modio_market_purchases *purchases)
{
    struct request *r = user_data;
    struct purchases_result *out = r->out;
    (void)request_id;
    if (!request_finish(r, error)) {
        return;
    }
    out->count = purchases->mod_count;
    for (size_t i = 0; out->print_each && i < purchases->mod_count; i++) {
        printf("      owned: #%" PRIu64 " %s\n", purchases->mods[i]->id, purchases->mods[i]->name);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *value = getenv(name);
    return (value != NULL && value[0] != '\0') ? value : fallback;
}

static void human_size(uint64_t bytes, char *buffer, size_t length)
{
    if (bytes >= 1024u * 1024u) {
        snprintf(buffer, length, "%.1f MB", (double)bytes / (1024.0 * 1024.0));
    } else if (bytes >= 1024u) {
        snprintf(buffer, length, "%.1f KB", (double)bytes / 1024.0);
    } else {
        snprintf(buffer, length, "%" PRIu64 " B", bytes);
    }
}

/*
 * An idempotency key for one purchase attempt ([a-zA-Z0-9_-], as the library requires). A game
 * generates it when the player presses "buy", keeps it with the pending purchase, and sends the
 * same key again if it has to retry: mod.io then replays the first answer instead of charging twice.
 */
static void make_idempotency_key(char *key, size_t length)
{
    unsigned char random[16];
    bool have_random = false;
    FILE *urandom = fopen("/dev/urandom", "rb");
    if (urandom != NULL) {
        have_random = fread(random, 1, sizeof random, urandom) == sizeof random;
        fclose(urandom);
    }
    if (!have_random) {
        uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32) ^ (uint64_t)(uintptr_t)key;
        for (size_t i = 0; i < sizeof random; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            random[i] = (unsigned char)(seed >> 56);
        }
    }
    size_t used = (size_t)snprintf(key, length, "storefront-");
    for (size_t i = 0; i < sizeof random && used + 2 < length; i++) {
        used += (size_t)snprintf(key + used, length - used, "%02x", random[i]);
    }
}

static bool is_transient(const struct request *r)
{
    switch (r->error_code) {
    case MODIO_MARKET_RESULT_CONNECT:
    case MODIO_MARKET_RESULT_TIMEOUT:
    case MODIO_MARKET_RESULT_TRANSPORT:
        return true;
    case MODIO_MARKET_RESULT_HTTP:
        return r->http_status >= 500;
    default:
        return false;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The storefront
 * ------------------------------------------------------------------------------------------- */

/*
 * `r` belongs to the caller, which frees the client while it is still alive: a request that is
 * still pending when a step fails gets its SHUT_DOWN callback inside modio_market_client_free, and
 * its user_data must still point at live memory then.
 */
static int run_storefront(modio_market_client *client, struct request *r, const char *steam_ticket, bool terms_agreed)
{
    uint64_t id = 0;

    /* 1. The terms a game must show before a player's first sign-in. */
    printf("\n[1/10] mod.io's terms (shown before a first sign-in)\n");
    request_begin(r, "reading mod.io's terms", NULL);
    if (!run_request(client, r, modio_market_client_get_terms(client, on_terms, r, &id), &id)) {
        return 1;
    }
    printf("      %s\n", terms_agreed ? "The player accepted them (MODIO_MARKET_TERMS_AGREED=1)."
                                        : "Signing in as a player who accepted them before (MODIO_MARKET_TERMS_AGREED=1 to accept now).");

    /* 2. Sign in. */
    printf("\n[2/10] Signing in with Steam...\n");
    int64_t expires = 0;
    request_begin(r, "Steam sign-in", &expires);
    if (!run_request(client, r,
                     modio_market_client_auth_steam(client, steam_ticket, terms_agreed, on_auth, r, &id), &id)) {
        return 1;
    }
    double days = difftime((time_t)expires, time(NULL)) / 86400.0;
    printf("      Signed in. The library keeps the session token (valid for about %.0f more days).\n", days);

    /* 3. What the store sells for real money, and what the player bought and has not converted. */
    printf("\n[3/10] Currency packs\n");
    struct store_result store;
    memset(&store, 0, sizeof store);
    request_begin(r, "listing the currency packs", &store);
    if (!run_request(client, r, modio_market_client_get_token_packs(client, on_token_packs, r, &id), &id)) {
        return 1;
    }
    request_begin(r, "looking for Steam purchases to convert", &store);
    if (!run_request(client, r, modio_market_client_unconverted_entitlements_steam(client, on_unconverted, r, &id), &id)) {
        return 1;
    }
    printf("      You have %zu pack%s bought on Steam to convert.\n", store.unconverted, store.unconverted == 1 ? "" : "s");

    /* 4. Entitlements -> currency. */
    printf("\n[4/10] Converting your Steam purchases into virtual currency...\n");
    struct sync_result synced = {0, 0};
    request_begin(r, "Steam entitlement sync", &synced);
    if (!run_request(client, r, modio_market_client_sync_steam(client, on_sync, r, &id), &id)) {
        return 1;
    }
    printf("      %zu purchase%s converted. New balance: %" PRId64 "\n", synced.lines, synced.lines == 1 ? "" : "s",
           synced.balance);

    /* 5. Wallet. */
    printf("\n[5/10] Your wallet\n");
    int64_t balance = 0;
    request_begin(r, "reading the wallet", &balance);
    if (!run_request(client, r, modio_market_client_get_wallet(client, on_wallet, r, &id), &id)) {
        return 1;
    }

    /* 6. Game settings. */
    printf("\n[6/10] Game settings\n");
    struct game_result game;
    memset(&game, 0, sizeof game);
    request_begin(r, "reading the game", &game);
    if (!run_request(client, r, modio_market_client_get_game(client, on_game, r, &id), &id)) {
        return 1;
    }
    const char *currency = game.token_name;

    /* 7. Premium mods, every page, plus what the player already owns. */
    printf("\n[7/10] Premium mods for sale\n");
    static struct mod_list list; /* large: keep it off the stack */
    memset(&list, 0, sizeof list);
    const uint32_t page_size = 100;
    do {
        request_begin(r, "listing premium mods", &list);
        if (!run_request(client, r,
                         modio_market_client_get_mods(client, MODIO_MARKET_REVENUE_TYPE_PAID, (uint64_t)list.count,
                                                      page_size, NULL, on_mod_page, r, &id), &id)) {
            return 1;
        }
    } while (list.page_count > 0 && list.count < list.total && list.count < MAX_LISTED_MODS);

    struct purchases_result owned_before = {false, 0};
    request_begin(r, "checking what you already own", &owned_before);
    if (!run_request(client, r, modio_market_client_refresh_purchases(client, on_purchases, r, &id), &id)) {
        return 1;
    }

    if (list.count == 0) {
        printf("      The store has no premium mods yet.\n");
    }
    const struct listed_mod *choice = NULL;
    for (size_t i = 0; i < list.count; i++) {
        const struct listed_mod *m = &list.mods[i];
        bool owned = false;
        modio_market_result rc = modio_market_client_owns(client, m->id, &owned);
        if (rc != MODIO_MARKET_RESULT_OK) {
            print_call_failure("checking ownership", rc);
            return 1;
        }
        char size[32];
        human_size(m->filesize, size, sizeof size);
        printf("      #%-6" PRIu64 " %-24s %6" PRId64 " %-6s %9s   %3" PRIu32 "%% positive (%s)%s\n", m->id, m->name,
               m->price, currency, size, m->rating_percent, m->rating_text, owned ? "   [owned]" : "");
        if (!owned && m->price <= balance && (choice == NULL || m->price > choice->price)) {
            choice = m;
        }
    }
    printf("      %zu premium mod%s in all; you own %zu mod%s of this game.\n", list.count, list.count == 1 ? "" : "s",
           owned_before.count, owned_before.count == 1 ? "" : "s");

    /* 8. Buy. */
    printf("\n[8/10] Buying\n");
    uint64_t bought_id = 0;
    if (choice == NULL) {
        printf("      Nothing new you can afford with %" PRId64 " %s: no purchase this time.\n", balance, currency);
    } else {
        char key[64];
        make_idempotency_key(key, sizeof key);
        printf("      Buying \"%s\" for %" PRId64 " %s (you have %" PRId64 ").\n", choice->name, choice->price, currency,
               balance);
        printf("      Idempotency key for this purchase: %s\n", key);
        struct purchase_result bought;
        bool ok = false;
        for (int attempt = 1; attempt <= 2 && !ok; attempt++) {
            memset(&bought, 0, sizeof bought);
            request_begin(r, "the purchase", &bought);
            /* The displayed price goes along: mod.io refuses the purchase if it changed meanwhile. */
            ok = run_request(client, r,
                             modio_market_client_checkout(client, choice->id, choice->price, key, on_checkout, r, &id), &id);
            if (!ok && attempt == 1 && r->done && is_transient(r)) {
                printf("      The connection failed; retrying with the same key (no double charge).\n");
            } else if (!ok) {
                return 1;
            }
        }
        printf("      Bought \"%s\": transaction %" PRIu64 " (%s), paid %" PRId64 " %s, balance now %" PRId64 ".\n",
               bought.mod_name, bought.transaction_id, bought.state, bought.paid, currency, bought.balance);
        if (strcmp(bought.key, key) != 0) {
            fprintf(stderr, "      ERROR: the receipt names idempotency key %s, not ours\n", bought.key);
            return 1;
        }
        bought_id = choice->id;
        bool owned_now = false;
        modio_market_result rc = modio_market_client_owns(client, bought_id, &owned_now);
        if (rc != MODIO_MARKET_RESULT_OK) {
            print_call_failure("checking ownership", rc);
            return 1;
        }
        printf("      The library already counts it as yours: %s.\n", owned_now ? "yes" : "NO");
        if (!owned_now) {
            fprintf(stderr, "      ERROR: a successful purchase should be owned at once\n");
            return 1;
        }
    }

    /* 9. Refresh purchases from mod.io. */
    printf("\n[9/10] Refreshing your purchases from mod.io...\n");
    struct purchases_result owned = {true, 0};
    request_begin(r, "refreshing purchases", &owned);
    if (!run_request(client, r, modio_market_client_refresh_purchases(client, on_purchases, r, &id), &id)) {
        return 1;
    }
    int64_t age_ms = -1;
    modio_market_result rc = modio_market_client_purchases_age(client, &age_ms);
    if (rc != MODIO_MARKET_RESULT_OK) {
        print_call_failure("reading the purchases' age", rc);
        return 1;
    }
    printf("      You own %zu mod%s (list confirmed by mod.io %" PRId64 " ms ago).\n", owned.count,
           owned.count == 1 ? "" : "s", age_ms);

    /* 9. Ownership, as a game checks it before letting the player download or use a mod. */
    printf("      Ownership, as a game checks it before loading a mod:\n");
    for (size_t i = 0; i < list.count; i++) {
        bool owned = false;
        rc = modio_market_client_owns(client, list.mods[i].id, &owned);
        if (rc != MODIO_MARKET_RESULT_OK) {
            print_call_failure("checking ownership", rc);
            return 1;
        }
        printf("      #%-6" PRIu64 " %-24s %s%s\n", list.mods[i].id, list.mods[i].name, owned ? "owned" : "not owned",
               list.mods[i].id == bought_id ? "   (just bought)" : "");
    }
    if (bought_id != 0) {
        bool owned = false;
        rc = modio_market_client_owns(client, bought_id, &owned);
        if (rc != MODIO_MARKET_RESULT_OK || !owned) {
            fprintf(stderr, "      ERROR: mod.io's purchase list does not include the mod just bought\n");
            return 1;
        }
    }

    /* 10. Download and install what the player now owns. */
    printf("\n[10/10] Downloading and installing\n");
    uint64_t to_install = bought_id;
    for (size_t i = 0; to_install == 0 && i < list.count; i++) {
        bool owned = false;
        if (modio_market_client_owns(client, list.mods[i].id, &owned) == MODIO_MARKET_RESULT_OK && owned) {
            to_install = list.mods[i].id;
        }
    }
    if (to_install == 0) {
        printf("      You own no premium mod yet: nothing to install.\n");
    } else {
        struct install_result installed;
        memset(&installed, 0, sizeof installed);
        request_begin(r, "installing the mod", &installed);
        if (!run_request(client, r, modio_market_client_install_mod(client, to_install, on_progress, on_installed, r, &id), &id)) {
            return 1;
        }
        char size[32];
        human_size(installed.size, size, sizeof size);
        printf("      Installed #%" PRIu64 " version %s (%s) in %s\n", installed.mod_id, installed.version, size, installed.path);
        modio_market_installed_list *list_installed = NULL;
        rc = modio_market_client_installed_mods(client, &list_installed);
        if (rc != MODIO_MARKET_RESULT_OK) {
            print_call_failure("listing the installed mods", rc);
            return 1;
        }
        printf("      Installed mods: %zu\n", list_installed->mod_count);
        for (size_t i = 0; i < list_installed->mod_count; i++) {
            const modio_market_installed_mod *m = list_installed->mods[i];
            printf("      #%-6" PRIu64 " version %-8s %s\n", m->mod_id, m->version, m->path);
        }
        modio_market_installed_list_free(list_installed);
    }
    printf("\nAll done.\n");
    return 0;
}

int main(void)
{
    const char *base_url = env_or("MODIO_MARKET_BASE_URL", DEFAULT_BASE_URL);
    const char *game_text = env_or("MODIO_MARKET_GAME_ID", DEFAULT_GAME_ID);
    const char *api_key = env_or("MODIO_MARKET_API_KEY", DEFAULT_API_KEY);
    const char *steam_ticket = env_or("MODIO_MARKET_STEAM_TICKET", DEFAULT_STEAM_TICKET);
    const char *terms_text = env_or("MODIO_MARKET_TERMS_AGREED", "0");
    bool terms_agreed = strcmp(terms_text, "1") == 0 || strcmp(terms_text, "true") == 0;

    char *end = NULL;
    unsigned long long game_id = strtoull(game_text, &end, 10);
    if (end == game_text || *end != '\0' || game_id == 0) {
        fprintf(stderr, "MODIO_MARKET_GAME_ID must be a positive number, not \"%s\"\n", game_text);
        return 2;
    }

    printf("mod.io Marketplace storefront (modio-market %s)\n", modio_market_version());
    printf("Server %s, game %llu\n", base_url, game_id);

    modio_market_config *config = NULL;
    modio_market_result rc = modio_market_config_new((uint64_t)game_id, api_key, &config);
    if (rc != MODIO_MARKET_RESULT_OK) {
        print_call_failure("creating the configuration (MODIO_MARKET_GAME_ID / MODIO_MARKET_API_KEY)", rc);
        return 2;
    }
    char default_install_dir[512];
    snprintf(default_install_dir, sizeof default_install_dir, "%s/modio-market-storefront/mods", env_or("TMPDIR", "/tmp"));
    const char *install_dir = env_or("MODIO_MARKET_INSTALL_DIR", default_install_dir);
    const char *language = getenv("MODIO_MARKET_LANGUAGE");
    rc = modio_market_config_set_base_url(config, base_url);
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_config_set_portal(config, "steam");
    }
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_config_set_install_dir(config, install_dir);
    }
    if (rc == MODIO_MARKET_RESULT_OK) {
        rc = modio_market_config_set_language(config, language);
    }
    if (rc != MODIO_MARKET_RESULT_OK) {
        print_call_failure("configuring the client (MODIO_MARKET_BASE_URL)", rc);
        modio_market_config_free(config);
        return 2;
    }
    modio_market_client *client = NULL;
    rc = modio_market_client_new(config, &client);
    modio_market_config_free(config); /* the client keeps its own copy */
    if (rc != MODIO_MARKET_RESULT_OK) {
        print_call_failure("creating the client", rc);
        return 2;
    }

    struct request request; /* outlives every request: see run_storefront */
    memset(&request, 0, sizeof request);
    int status = run_storefront(client, &request, steam_ticket, terms_agreed);
    modio_market_client_free(client);
    if (status != 0) {
        fprintf(stderr, "\nThe storefront stopped because a step failed.\n");
    }
    return status;
}
