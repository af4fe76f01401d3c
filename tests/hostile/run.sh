#!/usr/bin/env bash
# The C bad-input suite (issue 7), picked up by scripts/test: tests/hostile/bad_input.c calls every
# function of capi/include/modio_market.h with hostile input (NULLs, invalid UTF-8, empty and 1 MiB
# strings, unknown enums, extreme ids and amounts, forbidden idempotency keys, stale request ids,
# re-entry and free from callbacks). Against a fresh fake each time (scripts/with-fake):
#   1. coverage: every function the header declares is called by bad_input.c;
#   2. built with gcc -std=c11 -Wall -Wextra -Wpedantic -Werror, run (shared library);
#   3. the same binary under valgrind --error-exitcode=1 (tests/valgrind.supp);
#   4. built with -fsanitize=address,undefined against the static library, run with leak detection.
# Prints what it checks; exits non-zero when a step fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}"

out="$root/target/hostile-tests"
mkdir -p "$out"
lib_dir="$root/target/debug"
src=tests/hostile/bad_input.c
# step() and the passed/failed counters.
source "$root/tests/steps.sh"

echo "--> building the library and the fake server"
if ! cargo build --locked -q -p modio-market-artifact -p fake-modio; then
  echo "FAILED: cargo build"
  exit 1
fi
export FAKE_MODIO_BIN="$lib_dir/fake-modio"
inc=(-I capi/include)

coverage() {
  local declared missing=""
  declared=$(header_functions)
  local f
  for f in $declared; do
    grep -qE "\b$f\(" "$src" || missing="$missing $f"
  done
  echo "    the header declares $(echo "$declared" | wc -l) functions"
  if [ -n "$missing" ]; then
    echo "    never called with bad input:$missing"
    return 1
  fi
  echo "    every one is called by $src"
}
step "coverage: every declared function gets hostile input" coverage

cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -g -O1 "${inc[@]}")
run_fake() {
  local name=$1; shift
  scripts/with-fake sh -c 'exec "$@" 2>&7' sh "$@" 7>&2 2>"$out/fake-$name.log"
}
build_shared() { gcc "${cflags[@]}" "$src" -o "$out/bad_input" -L "$lib_dir" -lmodio_market -Wl,-rpath,"$lib_dir" -pthread; }
step "build (gcc -std=c11 -Wall -Wextra -Wpedantic -Werror, shared library)" build_shared
step "run" run_fake plain "$out/bad_input"

valgrind_run() {
  command -v valgrind >/dev/null 2>&1 || { echo "    valgrind is not installed (scripts/install-deps)"; return 1; }
  rm -f "$out"/valgrind.*.log
  run_fake valgrind valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
    --suppressions=tests/valgrind.supp --log-file="$out/valgrind.%p.log" "$out/bad_input"
  local status=$? log
  for log in "$out"/valgrind.*.log; do
    [ -f "$log" ] || continue
    grep -E "ERROR SUMMARY|definitely lost" "$log" | sed 's/^==[0-9]*== /      /'
    [ $status -eq 0 ] || cat "$log"
  done
  return $status
}
step "run under valgrind (--error-exitcode=1, definite leaks are errors)" valgrind_run

build_asan() {
  gcc "${cflags[@]}" -O0 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined \
    "$src" -o "$out/bad_input_asan" "$lib_dir/libmodio_market.a" -pthread -ldl -lm
}
asan_run() {
  ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    run_fake asan "$out/bad_input_asan"
}
step "build with AddressSanitizer + UBSan (static library)" build_asan
step "run with AddressSanitizer + UBSan (leak detection on)" asan_run

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests/hostile: ${#failed[@]} step(s) failed: ${failed[*]}"
  exit 1
fi
echo "tests/hostile: all $passed steps passed"
