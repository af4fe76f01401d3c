#!/usr/bin/env bash
# The Linux arm64 suite (picked up by scripts/test): the library cross-built for
# aarch64-unknown-linux-gnu (ARM purchase servers, ARM handhelds), its C consumers built with
# Debian's aarch64 gcc and run under qemu-user against the x86_64 fake on loopback:
#   1. libmodio_market.so is an AArch64 shared object that exports exactly the header's functions;
#   2. tests/c/test_modio_market.c linked to the shared library, then to the static library;
#   3. the C storefront, start to end.
# Needs the rustup target aarch64-unknown-linux-gnu, Debian's gcc-aarch64-linux-gnu and qemu-user
# (scripts/install-deps installs them).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}"
source "$root/tests/steps.sh"

target=aarch64-unknown-linux-gnu
lib_dir="$root/target/$target/debug"
out="$root/target/arm64-tests"
rm -rf "$out"
mkdir -p "$out/tmp"
export MODIO_C_TEST_TMP="$out/tmp"
# The arm64 C library and loader Debian's cross toolchain installs (libc6-arm64-cross).
sysroot=/usr/aarch64-linux-gnu
qemu=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || echo qemu-aarch64)

require_tools tests/arm64 aarch64-linux-gnu-gcc aarch64-linux-gnu-readelf "$qemu"

build_for_target tests/arm64 "$target"
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)

# 1. The shared object ------------------------------------------------------------------------------
shared_object() {
  local header exported declared
  header=$(aarch64-linux-gnu-readelf -h "$lib_dir/libmodio_market.so") || return 1
  if [[ $header != *AArch64* || $header != *"DYN (Shared object file)"* ]]; then
    echo "    not an AArch64 shared object:"
    echo "$header" | grep -E 'Machine|Type' | sed 's/^/      /'
    return 1
  fi
  declared=$(header_functions)
  exported=$(aarch64-linux-gnu-readelf --dyn-syms -W "$lib_dir/libmodio_market.so" |
    awk '$7 != "UND" && $8 ~ /^modio_market_/ {print $8}' | sort -u)
  echo "    AArch64 shared object; exports $(echo "$exported" | wc -l) modio_market_ functions, the header declares $(echo "$declared" | wc -l)"
  if [ "$declared" != "$exported" ]; then
    diff <(echo "$declared") <(echo "$exported") | sed 's/^/      /'
    return 1
  fi
}
step "libmodio_market.so is AArch64 and exports the header's functions" shared_object

# 2. Builds -----------------------------------------------------------------------------------------
cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -DEXPECTED_VERSION="\"$version\"" -I capi/include -I tests/c)
build_shared() {
  aarch64-linux-gnu-gcc "${cflags[@]}" tests/c/test_modio_market.c -o "$out/test_shared" \
    -L "$lib_dir" -lmodio_market -Wl,-rpath,"$lib_dir" -pthread
}
build_static() {
  aarch64-linux-gnu-gcc "${cflags[@]}" tests/c/test_modio_market.c -o "$out/test_static" \
    "$lib_dir/libmodio_market.a" -pthread -ldl -lm
}
build_storefront() {
  aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -I capi/include \
    examples/storefront.c -o "$out/storefront" -L "$lib_dir" -lmodio_market -Wl,-rpath,"$lib_dir"
}
step "build the C test with aarch64 gcc, shared library" build_shared
step "build the C test with aarch64 gcc, static library" build_static
step "build the C storefront with aarch64 gcc" build_storefront

# 3. Runs under qemu-user ---------------------------------------------------------------------------
# Runs an arm64 program against a fresh fake; the fake's request log goes to a file.
run_qemu() {
  local name=$1; shift
  QEMU_LD_PREFIX="$sysroot" scripts/with-fake sh -c 'exec "$@" 2>&7' sh "$qemu" "$@" 7>&2 2>"$out/fake-$name.log"
}
is_arm64() {
  # The static test really is arm64 (and not silently a host binary).
  [[ $(aarch64-linux-gnu-readelf -h "$out/test_static" 2>/dev/null) == *AArch64* ]]
}
step "the static test binary is AArch64" is_arm64
step "run the C test under qemu-aarch64, shared library" run_qemu shared "$out/test_shared"
step "run the C test under qemu-aarch64, static library" run_qemu static "$out/test_static"
storefront() {
  local log="$out/storefront.out"
  MODIO_MARKET_INSTALL_DIR="$out/storefront-install" run_qemu storefront "$out/storefront" >"$log" 2>&1
  local status=$?
  tail -n 3 "$log" | sed 's/^/    /'
  [ $status -eq 0 ] && grep -cx "All done\." "$log" >/dev/null
}
step "the C storefront under qemu-aarch64, start to end" storefront

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests/arm64: ${#failed[@]} step(s) failed: ${failed[*]}"
  echo "tests/arm64: binaries and logs kept in $out"
  exit 1
fi
echo "tests/arm64: all $passed steps passed"
