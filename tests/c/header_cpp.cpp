// Header hygiene in C++: modio_market.h compiles alone (twice included) under g++ -std=c++17
// -Wall -Wextra -Wpedantic -Werror, its functions link with C linkage, and the struct layout printed
// here matches the C one (tests/c/run.sh compares them). Built by tests/c/run.sh.
#include "modio_market.h"
#include "modio_market.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <type_traits>

#define LAYOUT_ALIGNOF(T) alignof(T)
#include "layout.inc"

static_assert(std::is_same<std::underlying_type<modio_market_result>::type, uint32_t>::value,
              "modio_market_result is a uint32_t enum in C++");
static_assert(sizeof(modio_market_result) == 4, "modio_market_result is 4 bytes");

int main(int argc, char **argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--layout") == 0) {
        print_layout();
        return 0;
    }
    // Calls through C linkage: a mangled name would not link.
    const char *name = modio_market_result_name(MODIO_MARKET_RESULT_INSECURE_URL);
    if (std::strcmp(name, "MODIO_MARKET_RESULT_INSECURE_URL") != 0 || modio_market_version()[0] == '\0') {
        std::puts("C++: unexpected answers from the library");
        return 1;
    }
    modio_market_config *config = nullptr;
    if (modio_market_config_new(1, "0123456789abcdef0123456789abcdef", &config) != MODIO_MARKET_RESULT_OK) {
        return 1;
    }
    modio_market_config_free(config);
    std::printf("C++: the header compiles, links (extern \"C\") and works: version %s\n", modio_market_version());
    return 0;
}
