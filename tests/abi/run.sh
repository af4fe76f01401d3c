#!/usr/bin/env bash
# The shared library exports only modio_market_* symbols (nm -D), and the release profile keeps
# panic=unwind (the C boundary catches panics; abort would take the game down).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
cargo build -q -p modio-market
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
declared=$(grep -oE '^[a-z_0-9 *]+[ *](modio_market_[a-z0-9_]+)\(' include/modio_market.h | sed -E 's/.*[ *](modio_market_[a-z0-9_]+)\($/\1/' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported" | sort -u))
extra=$(comm -13 <(echo "$declared") <(echo "$exported" | sort -u))
[ -z "$missing" ] || { echo "abi: declared but not exported: $missing"; exit 1; }
[ -z "$extra" ] || { echo "abi: exported but not declared in the header: $extra"; exit 1; }
# Every name the header defines carries the prefix too (macros, typedefs, structs, enum constants).
unprefixed=$(grep -oE '^#define [A-Za-z_0-9]+|^typedef [^;(]*[ *]([A-Za-z_0-9]+);|^(typedef )?(struct|enum) [A-Za-z_0-9]+|^  [A-Z][A-Z_0-9]+ =' include/modio_market.h \
  | grep -vE 'MODIO_MARKET|modio_market' | sort -u || true)
[ -z "$unprefixed" ] || { echo "abi: names in the header without the prefix:"; echo "$unprefixed"; exit 1; }
grep -A6 '^\[profile.release\]' Cargo.toml | grep -q '^panic = "unwind"' || { echo "abi: release profile must keep panic = \"unwind\""; exit 1; }
echo "abi: $count exported symbols, all modio_market_*, all declared in the header"
