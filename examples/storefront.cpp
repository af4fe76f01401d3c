// storefront.cpp: a console premium-mod store on the modio_market C++ wrapper.
//
// Shows mod.io's terms (a game must, before a first sign-in), signs in with a Steam ticket, shows
// the currency packs and the Steam purchases not converted yet, converts them into virtual
// currency, shows the wallet, lists the premium mods, buys the dearest one the player can afford,
// refreshes the purchase list, shows what the player owns and downloads and installs the mod just
// bought, with progress. It drives the library the way a game does:
// it calls poll() once per "frame" and reacts in callbacks.
//
// Configuration (environment; defaults are the fake server's demo values):
//   MODIO_MARKET_BASE_URL      e.g. https://g-1.modapi.io/v1   (default http://127.0.0.1:7878/v1: `fake-modio --port 7878`)
//   MODIO_MARKET_GAME_ID       default 1
//   MODIO_MARKET_API_KEY       default 0123456789abcdef0123456789abcdef
//   MODIO_MARKET_STEAM_TICKET  base64 encrypted app ticket (default demo-steam-ticket-alice)
//   MODIO_MARKET_INSTALL_DIR   where mods are installed (default $TMPDIR/modio-market-storefront-cpp/mods)
//   MODIO_MARKET_LANGUAGE      the language of mod.io's texts, e.g. de (default English)
//
// Build (from the repository root, after `cargo build -p modio-market-artifact`):
//   g++ -std=c++17 -I capi/include -Ibindings/cpp examples/storefront.cpp
//       target/debug/libmodio_market.a -lpthread -ldl -lm -o storefront
// Exit status: 0 when every step worked, 1 when one failed.
#include "modio_market.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mm = modio_market;
using namespace std::chrono_literals;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : std::string(fallback);
}

// Explains an error in words, with the details a support ticket needs.
std::string explain(const mm::Error& e) {
    std::string why;
    switch (e.error_ref) {
        case MODIO_MARKET_ERROR_REF_MONETIZATION_INSUFFICIENT_FUNDS: why = "you do not have enough currency"; break;
        case MODIO_MARKET_ERROR_REF_MONETIZATION_MARKETPLACE_ALREADY_OWNED: why = "you already own this mod"; break;
        case MODIO_MARKET_ERROR_REF_MONETIZATION_PRICE_MISMATCH: why = "the price changed; refresh the store"; break;
        case MODIO_MARKET_ERROR_REF_STEAM_APP_TICKET_INVALID: why = "Steam did not accept the sign-in ticket"; break;
        case MODIO_MARKET_ERROR_REF_NO_TERMS_AGREEMENT: why = "the mod.io terms must be accepted first"; break;
        case MODIO_MARKET_ERROR_REF_USER_CONNECTION_MEMBER_NOT_FOUND: why = "no Steam account is linked to this mod.io account"; break;
        case MODIO_MARKET_ERROR_REF_TOKEN_EXPIRED_OR_REVOKED: why = "the session expired; sign in again"; break;
        case MODIO_MARKET_ERROR_REF_MONETIZATION_GAME_NOT_MONETIZED: why = "this game has no marketplace"; break;
        default: break;
    }
    if (why.empty()) {
        switch (e.code) {
            case mm::Code::Dns:
            case mm::Code::Connect:
            case mm::Code::Tls:
            case mm::Code::Timeout:
            case mm::Code::Transport: why = "mod.io could not be reached"; break;
            case mm::Code::RateLimited:
                why = "mod.io asked us to slow down" +
                      (e.retry_after() ? " (retry in " + std::to_string(e.retry_after()->count()) + " s)" : std::string());
                break;
            case mm::Code::NotAuthenticated: why = "you are not signed in"; break;
            default: why = "something went wrong"; break;
        }
    }
    return why + " [" + e.to_string() + "]";
}

// The game loop stand-in: poll once per frame until `done` or the deadline.
bool pump_until(mm::Client& client, const bool& done, std::chrono::seconds limit = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done) {
        mm::Result<std::size_t> polled = client.poll();
        if (!polled) {
            std::printf("   the library could not deliver results: %s\n", polled.error().to_string().c_str());
            return false;
        }
        if (done) break;
        if (std::chrono::steady_clock::now() > deadline) {
            std::printf("   no answer after %lld s; giving up\n", static_cast<long long>(limit.count()));
            return false;
        }
        std::this_thread::sleep_for(16ms);  // one frame
    }
    return true;
}

// Starts a request with `start(callback)`, pumps until its callback ran, and returns its result.
// The callback shares its state through a shared_ptr: if we give up waiting, it may still run on
// a later poll (with CANCELLED) and must not touch a dead stack frame.
template <class T, class Start>
std::optional<mm::Result<T>> request(mm::Client& client, Start start) {
    struct State {
        std::optional<mm::Result<T>> outcome;
        bool done = false;
    };
    auto state = std::make_shared<State>();
    mm::Result<mm::RequestId> started = start([state](mm::Result<T> result) {
        state->outcome.emplace(std::move(result));
        state->done = true;
    });
    if (!started) {
        std::printf("   could not start the request: %s\n", explain(started.error()).c_str());
        return std::nullopt;
    }
    if (!pump_until(client, state->done)) {
        (void)client.cancel(*started);  // its callback reports CANCELLED on a later poll
        return std::nullopt;
    }
    return std::move(state->outcome);
}

std::string format_date(std::int64_t unix_time) {
    const std::time_t t = static_cast<std::time_t>(unix_time);
    char text[64] = "an unknown date";
    if (std::tm* tm = std::gmtime(&t)) std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", tm);
    return text;
}

}  // namespace

int main() {
    const std::string base_url = env_or("MODIO_MARKET_BASE_URL", "http://127.0.0.1:7878/v1");
    const std::string game_id_text = env_or("MODIO_MARKET_GAME_ID", "1");
    const std::string api_key = env_or("MODIO_MARKET_API_KEY", "0123456789abcdef0123456789abcdef");
    const std::string ticket = env_or("MODIO_MARKET_STEAM_TICKET", "demo-steam-ticket-alice");
    char* end = nullptr;
    const unsigned long long game_id = std::strtoull(game_id_text.c_str(), &end, 10);
    if (end == nullptr || *end != '\0' || game_id == 0) {
        std::printf("MODIO_MARKET_GAME_ID must be a positive number, not \"%s\".\n", game_id_text.c_str());
        return 1;
    }

    std::printf("mod.io premium mod store (modio_market %s)\n", std::string(mm::version()).c_str());
    std::printf("Store: %s, game %llu\n\n", base_url.c_str(), game_id);

    // --- set up --------------------------------------------------------------------------------
    mm::Result<mm::Config> config = mm::Config::create(game_id, api_key);
    if (!config) {
        std::printf("The configuration is not valid: %s\n", explain(config.error()).c_str());
        return 1;
    }
    const std::string install_dir =
        env_or("MODIO_MARKET_INSTALL_DIR", (env_or("TMPDIR", "/tmp") + "/modio-market-storefront-cpp/mods").c_str());
    for (mm::Result<void> step : {config->set_base_url(base_url), config->set_portal("steam"), config->set_install_dir(install_dir),
                                  config->set_language(env_or("MODIO_MARKET_LANGUAGE", ""))}) {
        if (!step) {
            std::printf("The configuration is not valid: %s\n", explain(step.error()).c_str());
            return 1;
        }
    }
    mm::Result<mm::Client> created = mm::Client::create(*config);
    if (!created) {
        std::printf("Could not start the store: %s\n", explain(created.error()).c_str());
        return 1;
    }
    mm::Client client = std::move(created).value();
    // Library warnings go to stderr (they never contain tokens or tickets).
    (void)client.set_log_callback(mm::LogLevel::Warn, [](mm::LogLevel, std::string_view text) {
        std::fprintf(stderr, "[modio_market] %.*s\n", static_cast<int>(text.size()), text.data());
    });

    std::string currency = "credits";
    if (auto game = request<mm::Game>(client, [&](auto cb) { return client.get_game(cb); }); game && game->ok()) {
        if (!game->value().token_name.empty()) currency = game->value().token_name;
        std::printf("Welcome to the %s store. Prices are in %s.\n\n", game->value().name.c_str(), currency.c_str());
    }

    // --- 1. the terms a game shows before a player's first sign-in ----------------------------
    std::printf("1. mod.io's terms:\n");
    auto terms = request<mm::Terms>(client, [&](auto cb) { return client.get_terms(cb); });
    if (!terms || !terms->ok()) {
        std::printf("   Could not read the terms: %s\n", terms ? explain(terms->error()).c_str() : "no answer");
        return 1;
    }
    const std::string& text = terms->value().plaintext;
    std::printf("   \"%s\"\n", text.substr(0, std::min<std::size_t>(text.find('\n'), 160)).c_str());
    std::printf("   [%s] [%s]\n", terms->value().agree_text.c_str(), terms->value().disagree_text.c_str());
    for (const mm::TermsLink& link : terms->value().links) {
        if (link.required) std::printf("   Must be shown: %s <%s>\n", link.text.c_str(), link.url.c_str());
    }
    std::printf("   The player presses [%s].\n\n", terms->value().agree_text.c_str());

    // --- 2. sign in ----------------------------------------------------------------------------
    std::printf("2. Signing in with Steam...\n");
    auto token = request<mm::AccessToken>(client, [&](auto cb) { return client.auth_steam(ticket, true, cb); });
    if (!token || !token->ok()) {
        std::printf("   Sign-in failed: %s\n", token ? explain(token->error()).c_str() : "no answer");
        return 1;
    }
    std::printf("   Signed in. The session lasts until %s.\n\n", format_date(token->value().date_expires).c_str());

    // --- 3. currency packs and purchases to convert -------------------------------------------
    std::printf("3. Currency packs on Steam:\n");
    auto packs = request<mm::TokenPacks>(client, [&](auto cb) { return client.get_token_packs(cb); });
    if (!packs || !packs->ok()) {
        std::printf("   Could not list the packs: %s\n", packs ? explain(packs->error()).c_str() : "no answer");
        return 1;
    }
    for (const mm::TokenPack& p : packs->value().packs) {
        if (p.portal != "STEAM") continue;
        std::printf("   %-12s %5lld %s for %lld.%02lld\n", p.name.c_str(), static_cast<long long>(p.amount), packs->value().token_name.c_str(),
                    static_cast<long long>(p.price / 100), static_cast<long long>(p.price % 100));
    }
    auto pending = request<mm::UnconvertedEntitlements>(client, [&](auto cb) { return client.unconverted_entitlements_steam(cb); });
    if (!pending || !pending->ok()) {
        std::printf("   Could not read your Steam purchases: %s\n", pending ? explain(pending->error()).c_str() : "no answer");
        return 1;
    }
    std::printf("   You have %zu pack(s) bought on Steam to convert.\n\n", pending->value().token_packs());

    // --- 4. sync Steam purchases ---------------------------------------------------------------
    std::printf("4. Turning your Steam purchases into %s...\n", currency.c_str());
    auto sync = request<mm::EntitlementSync>(client, [&](auto cb) { return client.sync_steam(cb); });
    if (!sync || !sync->ok()) {
        std::printf("   The sync failed: %s\n", sync ? explain(sync->error()).c_str() : "no answer");
        return 1;
    }
    if (sync->value().entitlements.empty()) {
        std::printf("   No new Steam purchases to convert.\n\n");
    } else {
        for (const mm::Entitlement& e : sync->value().entitlements) {
            std::printf("   Steam item %s: %s\n", e.sku_id.c_str(), e.state_name.c_str());
        }
        std::printf("   Converted %zu Steam purchase(s).\n\n", sync->value().entitlements.size());
    }

    // --- 5. wallet -----------------------------------------------------------------------------
    std::printf("5. Checking your wallet...\n");
    auto wallet = request<mm::Wallet>(client, [&](auto cb) { return client.get_wallet(cb); });
    if (!wallet || !wallet->ok()) {
        std::printf("   Could not read the wallet: %s\n", wallet ? explain(wallet->error()).c_str() : "no answer");
        return 1;
    }
    std::int64_t balance = wallet->value().balance;
    std::printf("   You have %lld %s.\n\n", static_cast<long long>(balance), currency.c_str());

    // --- 6. premium mods, and what the player already owns -------------------------------------
    std::printf("6. Premium mods for sale:\n");
    auto owned_before = request<mm::Purchases>(client, [&](auto cb) { return client.refresh_purchases(cb); });
    if (!owned_before || !owned_before->ok()) {
        std::printf("   Could not read your purchases: %s\n", owned_before ? explain(owned_before->error()).c_str() : "no answer");
        return 1;
    }
    auto page = request<mm::ModPage>(client, [&](auto cb) { return client.get_mods(mm::RevenueType::Paid, 0, 100, "", cb); });
    if (!page || !page->ok()) {
        std::printf("   Could not list the mods: %s\n", page ? explain(page->error()).c_str() : "no answer");
        return 1;
    }
    const std::vector<mm::Mod>& mods = page->value().mods;
    if (mods.empty()) {
        std::printf("   The store has no premium mods yet.\n");
        return 1;
    }
    const mm::Mod* choice = nullptr;
    for (const mm::Mod& m : mods) {
        const bool owned = client.owns(m.id).value_or(false);
        std::printf("   #%-6llu %-28s %6lld %s%s\n", static_cast<unsigned long long>(m.id), m.name.c_str(), static_cast<long long>(m.price),
                    currency.c_str(), owned ? "  (yours)" : "");
        if (!owned && m.price <= balance && (choice == nullptr || m.price > choice->price)) choice = &m;
    }
    std::printf("\n");

    // --- 7. buy --------------------------------------------------------------------------------
    if (choice == nullptr) {
        std::printf("7. You cannot afford any mod you do not own yet; nothing to buy.\n\n");
    } else {
        std::printf("7. Buying \"%s\" for %lld %s...\n", choice->name.c_str(), static_cast<long long>(choice->price), currency.c_str());
        const std::uint64_t mod_id = choice->id;
        const std::int64_t price = choice->price;
        auto bought = request<mm::Checkout>(client, [&](auto cb) { return client.checkout(mod_id, price, "", cb); });
        if (!bought || !bought->ok()) {
            std::printf("   The purchase failed: %s\n", bought ? explain(bought->error()).c_str() : "no answer");
            return 1;
        }
        balance = bought->value().balance;
        std::printf("   Bought \"%s\" (transaction %llu). You have %lld %s left.\n\n", bought->value().purchased_mod.name.c_str(),
                    static_cast<unsigned long long>(bought->value().transaction.id), static_cast<long long>(balance), currency.c_str());
    }

    // --- 8. refresh purchases ------------------------------------------------------------------
    std::printf("8. Refreshing your purchases from mod.io...\n");
    auto purchases = request<mm::Purchases>(client, [&](auto cb) { return client.refresh_purchases(cb); });
    if (!purchases || !purchases->ok()) {
        std::printf("   Could not refresh: %s\n", purchases ? explain(purchases->error()).c_str() : "no answer");
        return 1;
    }
    std::printf("   You own %zu premium mod(s).\n\n", purchases->value().mods.size());

    // --- 9. ownership --------------------------------------------------------------------------
    std::printf("9. Your library:\n");
    bool consistent = true;
    for (const mm::Mod& m : mods) {
        mm::Result<bool> owned = client.owns(m.id);
        if (!owned) {
            std::printf("   Could not check #%llu: %s\n", static_cast<unsigned long long>(m.id), explain(owned.error()).c_str());
            return 1;
        }
        std::printf("   %-28s %s\n", m.name.c_str(), *owned ? "owned" : "not owned");
        if (choice != nullptr && m.id == choice->id && !*owned) consistent = false;
    }
    if (!consistent) {
        std::printf("\nThe mod just bought does not show as owned.\n");
        return 1;
    }

    // --- 10. download and install ---------------------------------------------------------------
    if (choice != nullptr) {
        const std::uint64_t mod_id = choice->id;
        std::printf("\n10. Downloading and installing \"%s\"...\n", choice->name.c_str());
        auto installed = request<mm::InstalledMod>(client, [&](auto cb) {
            return client.install_mod(
                mod_id,
                [](mm::RequestId, mm::DownloadProgress p) {
                    std::printf("   %llu of %llu bytes\n", static_cast<unsigned long long>(p.bytes_done),
                                static_cast<unsigned long long>(p.bytes_total));
                },
                cb);
        });
        if (!installed || !installed->ok()) {
            std::printf("   The install failed: %s\n", installed ? explain(installed->error()).c_str() : "no answer");
            return 1;
        }
        std::printf("   Installed version %s in %s\n", installed->value().version.c_str(), installed->value().path.c_str());
        mm::Result<std::vector<mm::InstalledMod>> all = client.installed_mods();
        if (!all) {
            std::printf("   Could not list the installed mods: %s\n", explain(all.error()).c_str());
            return 1;
        }
        std::printf("   %zu mod(s) installed.\n", all->size());
    }
    std::printf("\nDone. Enjoy your mods!\n");
    return 0;
}
