#!/usr/bin/env bash
# The C++ suite: the header-only wrapper (bindings/cpp/modio_market.hpp) and the C++ storefront
# example, against the fake mod.io server.
#
# 1. Header hygiene: the wrapper compiles alone and included twice (with the C header before and
#    after it), with g++ and clang++, and with exceptions and RTTI off (as Unreal builds).
# 2. Result<T> must be checked: discarding one fails to compile under -Werror.
# 3. tests/cpp/test_wrapper.cpp built three ways and run against a fresh fake each time:
#    g++ -Werror + static library, g++ -Werror + shared library,
#    clang++ -fsanitize=address,undefined -fno-sanitize-recover=all + static library.
# 4. examples/storefront.cpp built with -Werror and run against the fake (and refused a bad ticket).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1" no_proxy="127.0.0.1,localhost,::1"

out="$root/target/cpp-tests"
mkdir -p "$out"

cargo build -q -p modio-market-artifact
cargo build -q -p fake-modio

for tool in g++ clang++; do
  if ! command -v "$tool" >/dev/null; then
    echo "tests/cpp: $tool is missing (scripts/install-deps installs it)" >&2
    exit 1
  fi
done

warn=(-std=c++17 -Wall -Wextra -Wpedantic -Werror)
inc=(-I "$root/capi/include" -I "$root/bindings/cpp" -I "$root/tests/cpp")
static_lib=("$root/target/debug/libmodio_market.a" -lpthread -ldl -lm)
shared_lib=(-L "$root/target/debug" -lmodio_market "-Wl,-rpath,$root/target/debug")

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

echo "== header hygiene"
cat >"$out/twice.cpp" <<'EOF'
#include "modio_market.hpp"
#include "modio_market.hpp"
#include "modio_market.h"
#include "modio_market.hpp"
int main() { return modio_market::version().empty() ? 1 : 0; }
EOF
cat >"$out/c_first.cpp" <<'EOF'
#include "modio_market.h"
#include "modio_market.hpp"
int main() { return static_cast<int>(modio_market::Code::Ok); }
EOF
for cxx in g++ clang++; do
  if "$cxx" "${warn[@]}" "${inc[@]}" -x c++ -fsyntax-only bindings/cpp/modio_market.hpp; then
    pass "$cxx: modio_market.hpp compiles on its own"
  else
    fail "$cxx: modio_market.hpp compiles on its own"
  fi
  if "$cxx" "${warn[@]}" "${inc[@]}" -fno-exceptions -fno-rtti -x c++ -fsyntax-only bindings/cpp/modio_market.hpp; then
    pass "$cxx: it compiles with -fno-exceptions -fno-rtti"
  else
    fail "$cxx: it compiles with -fno-exceptions -fno-rtti"
  fi
  if "$cxx" "${warn[@]}" "${inc[@]}" -fsyntax-only "$out/twice.cpp" && "$cxx" "${warn[@]}" "${inc[@]}" -fsyntax-only "$out/c_first.cpp"; then
    pass "$cxx: including it twice, and after or before the C header, is harmless"
  else
    fail "$cxx: including it twice, and after or before the C header, is harmless"
  fi
done
# Engine and OS headers define macros with common names (Unreal: check, verify, ensure; Windows:
# min, max, ERROR, IN, OUT, OPTIONAL, DELETE; X11: Status, Success, None, Bool): the wrapper must
# not use any of them.
cat >"$out/hostile_macros.cpp" <<'EOF'
#define check(expr) static_assert(false, "Unreal's check macro was expanded")
#define verify(expr) static_assert(false, "Unreal's verify macro was expanded")
#define ensure(expr) static_assert(false, "Unreal's ensure macro was expanded")
#define min(a, b) static_assert(false, "the min macro was expanded")
#define max(a, b) static_assert(false, "the max macro was expanded")
#define ERROR 0
#define IN
#define OUT
#define OPTIONAL
#define DELETE 0x00010000L
#define Status int
#define Success 0
#define None 0L
#define Bool int
#include "modio_market.hpp"
int main() { return modio_market::version().empty() ? 1 : 0; }
EOF
strict=(-Wshadow -Wundef -Wconversion -Wsign-conversion -Wold-style-cast)
for cxx in g++ clang++; do
  if "$cxx" "${warn[@]}" "${inc[@]}" -fsyntax-only "$out/hostile_macros.cpp"; then
    pass "$cxx: it survives Unreal, Windows and X11 macros (check, min, ERROR, Status, ...)"
  else
    fail "$cxx: it survives Unreal, Windows and X11 macros (check, min, ERROR, Status, ...)"
  fi
  # The test program and the storefront instantiate every template of the wrapper.
  if "$cxx" "${warn[@]}" "${strict[@]}" "${inc[@]}" -fsyntax-only tests/cpp/test_wrapper.cpp examples/storefront.cpp; then
    pass "$cxx: the instantiated wrapper is clean under ${strict[*]}"
  else
    fail "$cxx: the instantiated wrapper is clean under ${strict[*]}"
  fi
done
for std in c++17 c++20; do
  if g++ -std=$std -Wall -Wextra -Wpedantic -Werror "${inc[@]}" -x c++ -fsyntax-only bindings/cpp/modio_market.hpp; then
    pass "g++ -std=$std accepts it"
  else
    fail "g++ -std=$std accepts it"
  fi
done

echo "== the wrapper covers the whole C header"
missing=()
for fn in $(grep -oE '\bmodio_market_[a-z0-9_]+\(' capi/include/modio_market.h | tr -d '(' | sort -u); do
  grep -qE "\\b$fn\\(" bindings/cpp/modio_market.hpp || missing+=("$fn")
done
if [ ${#missing[@]} -eq 0 ]; then
  pass "every function of modio_market.h is called by modio_market.hpp"
else
  fail "modio_market.hpp does not wrap: ${missing[*]}"
fi

echo "== the README's sample compiles"
{
  cat <<'EOF'
#include <cstdint>
#include <string>
#include "modio_market.hpp"
void log(const std::string& text);
void show_error(const std::string& text);
void show_balance(std::int64_t balance);
void offer_currency_pack();
void unlock(std::uint64_t mod_id);
void refresh_store();
void sample(const std::string& ticket, const modio_market::Mod& mod) {
EOF
  sed -n '/^```cpp$/,/^```$/p' bindings/cpp/README.md | sed '1d;$d' | grep -v '#include "modio_market.hpp"'
  echo "}"
} >"$out/readme_sample.cpp"
for cxx in g++ clang++; do
  if "$cxx" "${warn[@]}" "${inc[@]}" -fsyntax-only "$out/readme_sample.cpp"; then
    pass "$cxx: bindings/cpp/README.md's sample compiles"
  else
    fail "$cxx: bindings/cpp/README.md's sample compiles"
  fi
done

echo "== a Result must be checked"
cat >"$out/discard.cpp" <<'EOF'
#include "modio_market.hpp"
void f(modio_market::Client& client) { client.poll(); }
int main() { return 0; }
EOF
cat >"$out/checked.cpp" <<'EOF'
#include "modio_market.hpp"
bool f(modio_market::Client& client) { return client.poll().ok(); }
void g(modio_market::Client& client) { (void)client.cancel(1); }
int main() { return 0; }
EOF
for cxx in g++ clang++; do
  if diagnostics=$("$cxx" "${warn[@]}" "${inc[@]}" -fsyntax-only "$out/discard.cpp" 2>&1); then
    fail "$cxx: discarding a Result does not compile"
  elif grep -qiE "nodiscard|unused-result|unused result" <<<"$diagnostics"; then
    pass "$cxx: discarding a Result does not compile (nodiscard)"
  else
    fail "$cxx: discarding a Result failed for another reason: $diagnostics"
  fi
  if "$cxx" "${warn[@]}" "${inc[@]}" -fsyntax-only "$out/checked.cpp"; then
    pass "$cxx: checking it, or discarding it explicitly with (void), compiles"
  else
    fail "$cxx: checking it, or discarding it explicitly with (void), compiles"
  fi
done

echo "== build the tests and the storefront"
# The five builds are independent and each is one compiler process: they run side by side (the
# test command has a time budget), each one's output kept in a log that is printed if it fails.
build_names=()
build_pids=()
build_logs=()
build() {
  local what=$1; shift
  local log="$out/build-${#build_pids[@]}.log"
  "$@" >"$log" 2>&1 &
  build_pids+=($!)
  build_names+=("$what")
  build_logs+=("$log")
}
build "test_wrapper (g++, static)" \
  g++ "${warn[@]}" -g "${inc[@]}" tests/cpp/test_wrapper.cpp -o "$out/test_wrapper_static" "${static_lib[@]}"
build "test_wrapper (g++, shared)" \
  g++ "${warn[@]}" -g "${inc[@]}" tests/cpp/test_wrapper.cpp -o "$out/test_wrapper_shared" "${shared_lib[@]}"
build "test_wrapper (clang++, ASan+UBSan, static)" \
  clang++ "${warn[@]}" -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all "${inc[@]}" \
  tests/cpp/test_wrapper.cpp -o "$out/test_wrapper_asan" "${static_lib[@]}"
build "storefront (g++, static)" \
  g++ "${warn[@]}" "${inc[@]}" examples/storefront.cpp -o "$out/storefront" "${static_lib[@]}"
build "storefront (clang++, ASan+UBSan, static)" \
  clang++ "${warn[@]}" -g -fsanitize=address,undefined -fno-sanitize-recover=all "${inc[@]}" \
  examples/storefront.cpp -o "$out/storefront_asan" "${static_lib[@]}"
for i in "${!build_pids[@]}"; do
  if wait "${build_pids[$i]}"; then
    pass "built ${build_names[$i]}"
  else
    sed 's/^/   | /' "${build_logs[$i]}"
    fail "built ${build_names[$i]}"
  fi
done

if [ -x "$out/test_wrapper_shared" ]; then
  # ldd's output is read whole before grep: under pipefail, `grep -q` quitting at the first
  # match could kill ldd with SIGPIPE and fail the pipeline now and then.
  linked=$(ldd "$out/test_wrapper_shared" || true)
  if [[ $linked == *libmodio_market.so* ]]; then
    pass "the shared build loads libmodio_market.so"
  else
    fail "the shared build loads libmodio_market.so"
  fi
fi

# Runs a binary against a fresh fake; the fake's request log goes to a file.
run_against_fake() {
  local name=$1; shift
  echo "== $name"
  if scripts/with-fake "$@" 2>>"$out/fake-$name.log"; then
    pass "$name"
  else
    fail "$name (stderr in $out/fake-$name.log)"
  fi
}
for variant in static shared asan; do
  bin="$out/test_wrapper_$variant"
  [ -x "$bin" ] || continue
  : >"$out/fake-test_wrapper_$variant.log"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_against_fake "test_wrapper_$variant" "$bin"
done

for variant in storefront storefront_asan; do
  bin="$out/$variant"
  [ -x "$bin" ] || continue
  echo "== $variant against the fake"
  if transcript=$(ASAN_OPTIONS=detect_leaks=1 scripts/with-fake "$bin" 2>"$out/fake-$variant.log"); then
    echo "$transcript" | sed 's/^/   | /'
    if grep -q "Signed in" <<<"$transcript" && grep -q "Converted 2 Steam purchase" <<<"$transcript" &&
       grep -q "You have 2000 Gold" <<<"$transcript" && grep -q 'Bought "Sunny Skies"' <<<"$transcript" &&
       grep -qE "Sunny Skies +owned$" <<<"$transcript" &&
       grep -q "\[I Agree\] \[No, Thanks\]" <<<"$transcript" && grep -q "You have 2 pack(s) bought on Steam to convert" <<<"$transcript" &&
       grep -q "Installed version .* in .*/1004" <<<"$transcript"; then
      pass "$variant shows the terms, signs in, syncs 2000 Gold, buys Sunny Skies, shows it owned and installs it"
    else
      fail "$variant printed an unexpected story"
    fi
  else
    echo "$transcript" | sed 's/^/   | /'
    fail "$variant exited non-zero"
  fi
  if transcript=$(scripts/with-fake env MODIO_MARKET_STEAM_TICKET=not-a-ticket "$bin" 2>/dev/null); then
    fail "$variant accepted a bogus Steam ticket"
  elif grep -q "Sign-in failed: Steam did not accept the sign-in ticket" <<<"$transcript"; then
    pass "$variant exits non-zero and explains a bogus Steam ticket"
  else
    echo "$transcript" | sed 's/^/   | /'
    fail "$variant failed a bogus ticket without explaining it"
  fi
done

echo
if [ "$failures" -ne 0 ]; then
  echo "tests/cpp: $failures failure(s)"
  exit 1
fi
echo "tests/cpp: all passed"
