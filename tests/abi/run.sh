#!/usr/bin/env bash
# The shared library exports only modio_market_* symbols (nm -D), and the release profile keeps
# panic=unwind (the C boundary catches panics; abort would take the game down).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build -q -p modio-market-artifact
lib=target/debug/libmodio_market.so
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
count=$(printf '%s\n' "$exported" | grep -c . || true)
stray=$(printf '%s\n' "$exported" | grep -v '^modio_market_' || true)
if [ -n "$stray" ]; then
  echo "abi: symbols exported without the modio_market_ prefix:"
  printf '  %s\n' $stray
  exit 1
fi
[ "$count" -gt 30 ] || { echo "abi: only $count symbols exported, expected the whole API"; exit 1; }
# Every function declared in the header is exported, and nothing else.
declared=$(grep -oE '^(MODIO_MARKET_API )?[a-z_0-9 *]+[ *](modio_market_[a-z0-9_]+)\(' capi/include/modio_market.h | sed -E 's/.*[ *](modio_market_[a-z0-9_]+)\($/\1/' | sort -u)
# Each of them carries the export macro.
unmarked=$(grep -E '^[a-z_][a-z_0-9 *]*[ *]modio_market_[a-z0-9_]+\(' capi/include/modio_market.h | grep -v '^typedef' || true)
[ -z "$unmarked" ] || { echo "abi: functions declared without MODIO_MARKET_API:"; echo "$unmarked"; exit 1; }
missing=$(comm -23 <(echo "$declared") <(echo "$exported" | sort -u))
extra=$(comm -13 <(echo "$declared") <(echo "$exported" | sort -u))
[ -z "$missing" ] || { echo "abi: declared but not exported: $missing"; exit 1; }
[ -z "$extra" ] || { echo "abi: exported but not declared in the header: $extra"; exit 1; }
# Every name the header defines carries the prefix too (macros, typedefs, structs, enum constants).
unprefixed=$(grep -oE '^#define [A-Za-z_0-9]+|^typedef [^;(]*[ *]([A-Za-z_0-9]+);|^(typedef )?(struct|enum) [A-Za-z_0-9]+|^  [A-Z][A-Z_0-9]+ =' capi/include/modio_market.h \
  | grep -vE 'MODIO_MARKET|modio_market' | sort -u || true)
[ -z "$unprefixed" ] || { echo "abi: names in the header without the prefix:"; echo "$unprefixed"; exit 1; }
[[ $(grep -A6 '^\[profile.release\]' Cargo.toml) == *$'\npanic = "unwind"'* ]] || { echo "abi: release profile must keep panic = \"unwind\""; exit 1; }
echo "abi: $count exported symbols, all modio_market_*, all declared in the header"

# ABI 1.0 stays: the facts of the frozen header (every struct field's offset and size, every
# constant, every function's and callback's type) must hold for today's header; structs may only
# grow. The program is written from the frozen header and compiled against both.
out="target/abi-check"
mkdir -p "$out"
frozen=tests/abi/1.0
link=(-Ltarget/debug -lmodio_market "-Wl,-rpath,$root/target/debug")
awk -f tests/abi/abi-facts.awk "$frozen/modio_market.h" > "$out/facts.c"
check_header() { # $1: include dir of the header to check; prints its facts or fails to compile
  gcc -std=c11 -Wall -Werror -Werror=incompatible-pointer-types -I "$1" "$out/facts.c" -o "$out/facts-$2" "${link[@]}" && "$out/facts-$2"
}
compare_facts() { # $1 frozen facts, $2 checked facts: equal, but struct sizes may grow
  # The minor and patch versions move with every release that adds to 1.x (MAJOR stays 1).
  awk 'NR == FNR { want[NR] = $0; n = NR; next }
       { got = $0; w = want[FNR]
         if ($1 == "const" && $2 ~ /^MODIO_MARKET_VERSION_(MINOR|PATCH)$/) { split(w, a, " "); if ($2 != a[2]) { print "  was: " w; print "  now: " got; bad = 1 } }
         else if ($1 == "struct") { split(w, a, " "); if ($2 != a[2] || $3 + 0 < a[3] + 0) { print "  was: " w; print "  now: " got; bad = 1 } }
         else if (got != w) { print "  was: " w; print "  now: " got; bad = 1 } }
       END { if (FNR != n) { print "  fact count differs"; bad = 1 } exit bad }' "$1" "$2"
}
check_header "$frozen" frozen > "$out/frozen.txt" || { echo "abi: the frozen header's facts did not build"; exit 1; }
if ! check_header capi/include current > "$out/current.txt"; then
  echo "abi: a function or callback of ABI 1.0 changed its type or disappeared (see the compiler above)"
  exit 1
fi
if ! compare_facts "$out/frozen.txt" "$out/current.txt"; then
  echo "abi: capi/include/modio_market.h breaks ABI 1.0 (a field moved, shrank or went, a constant changed)"
  exit 1
fi
echo "abi: today's header keeps ABI 1.0 ($(grep -c '^field' "$out/frozen.txt") fields, $(grep -c '^const' "$out/frozen.txt") constants, $(grep -oE 'functions [0-9]+' "$out/frozen.txt"))"

# The checker itself catches a break: a field inserted before another, and a changed parameter.
mkdir -p "$out/moved" "$out/retyped"
sed 's/^  int64_t balance;$/  int64_t balance_first;\n  int64_t balance;/' capi/include/modio_market.h > "$out/moved/modio_market.h"
check_header "$out/moved" moved > "$out/moved.txt" 2>/dev/null || true
if compare_facts "$out/frozen.txt" "$out/moved.txt" >/dev/null; then
  echo "abi: the check missed a field moved by an insertion"
  exit 1
fi
sed 's/modio_market_client_owns(const struct modio_market_client \*client, uint64_t mod_id/modio_market_client_owns(const struct modio_market_client *client, uint32_t mod_id/' capi/include/modio_market.h > "$out/retyped/modio_market.h"
if check_header "$out/retyped" retyped >/dev/null 2>&1; then
  echo "abi: the check missed a parameter whose type changed"
  exit 1
fi
echo "abi: the check catches a moved field and a changed parameter type"

# A game built against the 1.0 header runs against today's library.
gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -I "$frozen" tests/abi/consumer_1_0.c -o "$out/consumer_1_0" "${link[@]}"
"$out/consumer_1_0" || { echo "abi: a 1.0 game failed against today's library"; exit 1; }
