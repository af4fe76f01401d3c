#!/usr/bin/env bash
# The C consumer suite (picked up by scripts/test). Builds and runs, against a fresh fake mod.io
# server each time (scripts/with-fake):
#   1. header hygiene: modio_market.h alone in C99/C11/C2x and C++17, included twice, same struct
#      layout from C and C++, C++ links and calls it (extern "C");
#   2. API coverage: every function the header declares is called by tests/c/test_modio_market.c,
#      and the shared library exports exactly the header's functions;
#   3. tests/c/test_modio_market.c (-std=c11 -Wall -Wextra -Wpedantic -Werror) linked to the shared
#      library, then to the static library;
#   4. the shared build under valgrind (tests/valgrind.supp);
#   5. an AddressSanitizer + UBSan build linked to the static library, with leak detection.
# Prints what it checks; exits non-zero when any step fails. Needs gcc, g++, valgrind (see
# scripts/apt-packages.txt); clang is used for one more header check when installed.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}"

# One directory per run: suites may run at once (several engineers, scripts/test), and must not
# overwrite each other's binaries. Kept when a step fails (logs), removed when all pass.
mkdir -p "$root/target/c-tests"
find "$root/target/c-tests" -maxdepth 1 -name 'run.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
out=$(mktemp -d "$root/target/c-tests/run.XXXXXX")
export MODIO_C_TEST_TMP="$out/tmp"
mkdir -p "$MODIO_C_TEST_TMP"
lib_dir="$root/target/debug"
# step() and the passed/failed counters.
source "$root/tests/steps.sh"

echo "--> building the library and the fake server (cargo build -p modio-market-artifact -p fake-modio)"
if ! cargo build --locked -q -p modio-market-artifact -p fake-modio; then
  echo "FAILED: cargo build"
  exit 1
fi
export FAKE_MODIO_BIN="$lib_dir/fake-modio"
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)

warn=(-Wall -Wextra -Wpedantic -Werror)
inc=(-I capi/include -I tests/c)

# 1. Header hygiene --------------------------------------------------------------------------------
header_c() {
  local std
  for std in c99 c11 c2x; do
    echo "    gcc -std=$std: header alone, header twice"
    gcc -std=$std "${warn[@]}" "${inc[@]}" -c tests/c/header_alone.c -o "$out/header_alone_$std.o" || return 1
    gcc -std=$std "${warn[@]}" "${inc[@]}" -c tests/c/header_twice.c -o "$out/header_twice_$std.o" || return 1
  done
  if command -v clang >/dev/null 2>&1; then
    echo "    clang -std=c11: header alone, header twice"
    clang -std=c11 "${warn[@]}" "${inc[@]}" -c tests/c/header_alone.c -o "$out/header_alone_clang.o" || return 1
    clang -std=c11 "${warn[@]}" "${inc[@]}" -c tests/c/header_twice.c -o "$out/header_twice_clang.o" || return 1
  else
    echo "    (clang not installed: clang header check skipped; scripts/install-deps installs it)"
  fi
}
header_cpp() {
  echo "    g++ -std=c++17: header twice, linked, run"
  g++ -std=c++17 "${warn[@]}" "${inc[@]}" tests/c/header_cpp.cpp -o "$out/header_cpp" \
    -L "$lib_dir" -lmodio_market -Wl,-rpath,"$lib_dir" || return 1
  "$out/header_cpp" || return 1
  gcc -std=c11 "${warn[@]}" "${inc[@]}" tests/c/layout_c.c -o "$out/layout_c" || return 1
  "$out/layout_c" >"$out/layout_c.txt" && "$out/header_cpp" --layout >"$out/layout_cpp.txt" || return 1
  if ! diff -u "$out/layout_c.txt" "$out/layout_cpp.txt"; then
    echo "    struct layouts differ between C and C++"
    return 1
  fi
  echo "    C and C++ agree on the size, alignment and field offsets of $(grep -c '^sizeof' "$out/layout_c.txt") types"
}
# Every name the header defines is prefixed (its own convention): a bare name can clash with a game's.
header_names() {
  local h="$out/header_no_comments.h" names bad
  # Comments stripped (gcc keeps the #defines with -dD), so prose cannot count as a name.
  gcc -fpreprocessed -dD -E -P capi/include/modio_market.h >"$h" || return 1
  names=$( {
    grep -oE '^#define [A-Za-z_][A-Za-z0-9_]*' "$h" | awk '{print $2}'
    grep -oE '\b(struct|enum) [A-Za-z_][A-Za-z0-9_]*' "$h" | awk '{print $2}'
    grep -oE '^typedef [^(]*\b[A-Za-z_][A-Za-z0-9_]*;' "$h" | grep -oE '[A-Za-z_][A-Za-z0-9_]*;$' | tr -d ';'
    grep -oE '\(\*[A-Za-z_][A-Za-z0-9_]*\)' "$h" | tr -d '()*'
    grep -oE '^ +[A-Za-z_][A-Za-z0-9_]* = ' "$h" | awk '{print $1}'
    # Compiler attributes of the export and deprecation macros are the compiler's, not names.
    grep -oE '\b[a-z_][a-z0-9_]*\(' "$h" | grep -vE '^(defined|sizeof|__attribute__|__declspec|deprecated|visibility)\($' | tr -d '('
  } | sort -u)
  bad=$(echo "$names" | grep -vE '^(modio_market_|MODIO_MARKET_)' || true)
  echo "    $(echo "$names" | wc -l) names defined by the header"
  if [ -n "$bad" ]; then
    echo "    not prefixed with modio_market_/MODIO_MARKET_:" $bad
    return 1
  fi
  echo "    all prefixed with modio_market_ / MODIO_MARKET_"
}
step "header names are prefixed" header_names
step "header hygiene (C99, C11, C2x)" header_c
step "header hygiene (C++17) and C/C++ layout" header_cpp

# 2. API coverage ----------------------------------------------------------------------------------
coverage() {
  local declared exported missing extra not_called
  declared=$(header_functions)
  exported=$(nm -D --defined-only "$lib_dir/libmodio_market.so" | awk '{print $3}' | grep '^modio_market_' | sort -u)
  missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
  extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
  not_called=""
  local f
  for f in $declared; do
    grep -qE "\b$f\(" tests/c/test_modio_market.c || not_called="$not_called $f"
  done
  echo "    the header declares $(echo "$declared" | wc -l) functions; the shared library exports $(echo "$exported" | wc -l)"
  [ -z "$missing" ] || echo "    declared but not exported: $missing"
  [ -z "$extra" ] || echo "    exported but not declared: $extra"
  [ -z "$not_called" ] || echo "    never called by the C test:$not_called"
  [ -z "$missing" ] && [ -z "$extra" ] && [ -z "$not_called" ] && echo "    every declared function is exported and called by the test"
  [ -z "$missing" ] && [ -z "$extra" ] && [ -z "$not_called" ]
}
step "API coverage (header = exports = functions the test calls)" coverage

# 3. The test, shared and static -------------------------------------------------------------------
cflags=(-std=c11 "${warn[@]}" -g -O1 -DEXPECTED_VERSION="\"$version\"" "${inc[@]}")
build_shared() {
  gcc "${cflags[@]}" tests/c/test_modio_market.c -o "$out/test_shared" \
    -L "$lib_dir" -lmodio_market -Wl,-rpath,"$lib_dir" -pthread
}
build_static() {
  gcc "${cflags[@]}" tests/c/test_modio_market.c -o "$out/test_static" \
    "$lib_dir/libmodio_market.a" -pthread -ldl -lm
}
# Runs a test binary against a fresh fake; the fake's request log goes to a file.
run_test() {
  local name=$1; shift
  scripts/with-fake sh -c 'exec "$@" 2>&7' sh "$@" 7>&2 2>"$out/fake-$name.log"
}
step "build the C test, shared library" build_shared
step "run the C test, shared library" run_test shared "$out/test_shared"
step "build the C test, static library" build_static
step "run the C test, static library" run_test static "$out/test_static"
# ldd's output is taken whole: under pipefail, `grep -q` quitting early can SIGPIPE ldd.
if [ -x "$out/test_static" ] && [[ $(ldd "$out/test_static" || true) == *libmodio_market* ]]; then
  echo "    FAILED: the static build links libmodio_market.so"
  failed+=("static build is not static")
fi

# 4. valgrind --------------------------------------------------------------------------------------
valgrind_run() {
  if ! command -v valgrind >/dev/null 2>&1; then
    echo "    valgrind is not installed (scripts/install-deps installs it)"
    return 1
  fi
  run_test valgrind valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --suppressions=tests/valgrind.supp --trace-children=no --child-silent-after-fork=no \
    --log-file="$out/valgrind.%p.log" "$out/test_shared"
  local status=$?
  local log
  for log in "$out"/valgrind.*.log; do
    [ -f "$log" ] || continue
    echo "    valgrind summary ($log):"
    grep -E "ERROR SUMMARY|definitely lost|possibly lost|suppressed:" "$log" | sed 's/^==[0-9]*== /      /'
  done
  return $status
}
step "run the C test under valgrind (shared library)" valgrind_run

# 5. AddressSanitizer + UndefinedBehaviorSanitizer --------------------------------------------------
build_asan() {
  gcc "${cflags[@]}" -O0 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
    tests/c/test_modio_market.c -o "$out/test_asan" "$lib_dir/libmodio_market.a" -pthread -ldl -lm
}
asan_run() {
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:check_initialization_order=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    run_test asan "$out/test_asan"
}
step "build the C test with AddressSanitizer + UBSan (static library)" build_asan
step "run the C test with AddressSanitizer + UBSan (leak detection on)" asan_run

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests/c: ${#failed[@]} step(s) failed: ${failed[*]}"
  echo "tests/c: binaries and logs (fake servers, valgrind) kept in $out"
  exit 1
fi
rm -rf "$out"
echo "tests/c: all $passed steps passed"
