#!/usr/bin/env bash
# The Unreal plugin suite. Unreal itself cannot be built here, so:
# 1. ModioMarket.Build.cs is compiled with mcs against a stub of the UnrealBuildTool types it uses
#    and run for every platform, with and without libraries staged (BuildRulesTest.cs).
# 2. The plugin's C++ (module, subsystem, async nodes, conversions) is compiled with the UHT-like
#    generated headers of mock_engine/ and run against the fake server: g++ -Werror, then clang++
#    with AddressSanitizer and UndefinedBehaviorSanitizer. The shared-library path of the module
#    is compiled too.
# 3. stage-library.sh stages the headers and the Linux library into a scratch ThirdParty folder.
# MODIO_MARKET_UNREAL_PLUGIN=DIR runs 1 and 2 on another copy of the plugin (tests/package: the
# unzipped release plugin), with the headers and the Linux library of its own ThirdParty folder;
# the sanitizer build of 2 is left to the suite's own run (the C++ sources are the same).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1" no_proxy="127.0.0.1,localhost,::1"
here="$root/bindings/unreal/tests"
plugin="${MODIO_MARKET_UNREAL_PLUGIN:-$root/bindings/unreal/ModioMarket}"
module="$plugin/Source/ModioMarket"
out="$root/target/unreal-tests${MODIO_MARKET_UNREAL_PLUGIN:+-plugin}"
# The headers and the library the plugin is built with: the repository's, or the plugin's own.
if [ -n "${MODIO_MARKET_UNREAL_PLUGIN:-}" ]; then
  third="$plugin/Source/ThirdParty/ModioMarketLibrary/Linux"
  library_inc=(-I "$third/include")
  library_a="$third/lib/libmodio_market.a"
else
  library_inc=(-I "$root/capi/include" -I "$root/bindings/cpp")
  library_a="$root/target/debug/libmodio_market.a"
fi
rm -rf "$out"
mkdir -p "$out/generated"

failures=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

cargo build -q -p modio-market-artifact
cargo build -q -p fake-modio

echo "== ModioMarket.Build.cs for every platform"
if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
  fail "mcs/mono are missing (scripts/install-deps installs them)"
elif mcs -nologo -warnaserror -out:"$out/BuildRulesTest.exe" "$here/BuildRulesTest.cs" "$module/ModioMarket.Build.cs"; then
  if mono "$out/BuildRulesTest.exe" "$out/build-rules"; then
    pass "Build.cs picks the right library per platform and fails clearly without one"
  else
    fail "Build.cs checks"
  fi
else
  fail "ModioMarket.Build.cs compiles (with the UnrealBuildTool stub)"
fi

echo "== stage-library.sh"
stage="$out/thirdparty"
if MODIO_MARKET_UNREAL_THIRDPARTY="$stage" bindings/unreal/stage-library.sh Linux "$root/target/debug/libmodio_market.a" >/dev/null &&
   MODIO_MARKET_UNREAL_THIRDPARTY="$stage" bindings/unreal/stage-library.sh Android "$root/target/debug/libmodio_market.a:arm64-v8a" >/dev/null &&
   [ -f "$stage/Linux/include/modio_market.h" ] && [ -f "$stage/Linux/include/modio_market.hpp" ] &&
   [ -f "$stage/Linux/lib/libmodio_market.a" ] && [ -f "$stage/Android/lib/arm64-v8a/libmodio_market.a" ] &&
   cmp -s "$stage/Linux/include/modio_market.hpp" bindings/cpp/modio_market.hpp; then
  pass "headers and libraries land in <Platform>/{include,lib}"
else
  fail "stage-library.sh"
fi
if MODIO_MARKET_UNREAL_THIRDPARTY="$stage" bindings/unreal/stage-library.sh Win64 "$out/missing.lib" >/dev/null 2>&1; then
  fail "stage-library.sh accepted a missing file"
else
  pass "stage-library.sh refuses a missing file"
fi

echo "== the plugin's C++ on the mock engine"
# What UnrealHeaderTool would generate: per header, CURRENT_FILE_ID and one GENERATED_BODY macro
# per line (classes get ThisClass and Super).
for header in "$module"/Public/*.h; do
  stem=$(basename "$header" .h)
  grep -q "\"$stem.generated.h\"" "$header" || continue
  awk -v stem="$stem" '
    BEGIN { print "#pragma once"; print "#undef CURRENT_FILE_ID"; print "#define CURRENT_FILE_ID " stem }
    /^(class|struct) MODIOMARKET_API [A-Za-z0-9_]+/ {
      kind = $1; name = $3; base = ""
      if (match($0, /: public [A-Za-z0-9_]+/)) base = substr($0, RSTART + 9, RLENGTH - 9)
    }
    /GENERATED_BODY\(\)/ {
      if (kind == "class") printf "#define %s_GENERATED_BODY_%d public: using ThisClass = %s; using Super = %s; private:\n", stem, NR, name, base
      else printf "#define %s_GENERATED_BODY_%d\n", stem, NR
    }' "$header" >"$out/generated/$stem.generated.h"
done
inc=(-I "$here/mock_engine" -I "$out/generated" -I "$module/Public" -I "$module/Private" "${library_inc[@]}" -I "$root/tests/cpp")
base_flags=(-std=c++17 -Wall -Wextra -Wshadow -Werror)
flags=("${base_flags[@]}" -DMODIO_MARKET_SHARED_LIBRARY=0)
sources=("$here/plugin_test.cpp" "$module"/Private/*.cpp)
static_lib=("$library_a" -lpthread -ldl -lm)

if g++ "${base_flags[@]}" -DMODIO_MARKET_SHARED_LIBRARY=1 \
     '-DMODIO_MARKET_SHARED_LIBRARY_PATH=TEXT("Binaries/ThirdParty/ModioMarketLibrary/Linux/libmodio_market.so")' \
     "${inc[@]}" -fsyntax-only "$module/Private/ModioMarketModule.cpp"; then
  pass "the module's shared-library loader compiles"
else
  fail "the module's shared-library loader compiles"
fi
# The two builds are independent compiler processes: they run side by side (the test command has
# a time budget), each one's output kept in a log printed if it fails.
g++ "${flags[@]}" -g "${inc[@]}" "${sources[@]}" -o "$out/plugin_test" "${static_lib[@]}" >"$out/build-gcc.log" 2>&1 &
gcc_build=$!
if [ -z "${MODIO_MARKET_UNREAL_PLUGIN:-}" ]; then
  clang++ "${flags[@]}" -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all "${inc[@]}" "${sources[@]}" \
    -o "$out/plugin_test_asan" "${static_lib[@]}" >"$out/build-asan.log" 2>&1 &
  asan_build=$!
fi
if wait "$gcc_build"; then
  pass "built the plugin on the mock engine (g++ -Werror -Wshadow)"
  if scripts/with-fake "$out/plugin_test" 2>"$out/fake-gcc.log"; then
    pass "plugin_test (g++)"
  else
    fail "plugin_test (g++) (fake log: $out/fake-gcc.log)"
  fi
else
  sed 's/^/   | /' "$out/build-gcc.log"
  fail "built the plugin on the mock engine (g++ -Werror -Wshadow)"
fi
if [ -n "${MODIO_MARKET_UNREAL_PLUGIN:-}" ]; then
  # The packaged plugin carries the same C++ as the repository's, which the suite's own run builds
  # with the sanitizers; here what differs is its ThirdParty headers and library, tested above.
  echo "(the ASan+UBSan build of these sources runs in the suite's own run, not for a packaged copy)"
elif wait "$asan_build"; then
  pass "built the plugin on the mock engine (clang++ ASan+UBSan)"
  if ASAN_OPTIONS=detect_leaks=1 scripts/with-fake "$out/plugin_test_asan" 2>"$out/fake-asan.log"; then
    pass "plugin_test (clang++ ASan+UBSan)"
  else
    fail "plugin_test (clang++ ASan+UBSan) (stderr: $out/fake-asan.log)"
  fi
else
  sed 's/^/   | /' "$out/build-asan.log"
  fail "built the plugin on the mock engine (clang++ ASan+UBSan)"
fi

echo
if [ "$failures" -ne 0 ]; then
  echo "bindings/unreal/tests: $failures failure(s)"
  exit 1
fi
echo "bindings/unreal/tests: all passed"
