#!/usr/bin/env bash
# The Windows suite (picked up by scripts/test): the library cross-built for x86_64-pc-windows-gnu
# and its consumers built with mingw, all run under Wine against the Linux fake on loopback.
#   1. modio_market.dll: built, and importing only DLLs every Windows has;
#   2. tests/windows/test_windows.c: what differs on Windows (non-ASCII paths with spaces and
#      backslashes, atomic replace while a file is open, two clients of one data directory,
#      TLS with the bundled roots against a test CA);
#   3. the C++ wrapper's test (tests/cpp/test_wrapper.cpp, mingw g++ with POSIX threads);
#   4. the C and C++ storefronts, start to end.
# Needs the rustup target x86_64-pc-windows-gnu, Debian's gcc-mingw-w64-x86-64,
# g++-mingw-w64-x86-64, wine64 and openssl (scripts/install-deps installs them).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}"
source "$root/tests/steps.sh"

target=x86_64-pc-windows-gnu
lib_dir="$root/target/$target/debug"
out="$root/target/windows-tests"
rm -rf "$out/bin" "$out/tls"
mkdir -p "$out/bin" "$out/tls"
source "$root/tests/windows/wine.sh"
require_tools tests/windows x86_64-w64-mingw32-gcc x86_64-w64-mingw32-g++-posix x86_64-w64-mingw32-objdump openssl "$wine"

build_for_target tests/windows "$target"
bin="$out/bin"
cp "$lib_dir/modio_market.dll" "$bin/"

# 1. The DLL imports only system DLLs ----------------------------------------------------------------
dll_imports() {
  local imports unexpected
  imports=$(x86_64-w64-mingw32-objdump -p "$bin/modio_market.dll" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
  echo "    imports:" $imports
  # Windows 8+ system DLLs (the api-ms-win-* name is an API set every Windows 8+ resolves).
  unexpected=$(echo "$imports" | grep -vxE 'kernel32\.dll|advapi32\.dll|bcrypt\.dll|bcryptprimitives\.dll|ntdll\.dll|userenv\.dll|ws2_32\.dll|msvcrt\.dll|api-ms-win-core-synch-l1-2-0\.dll' || true)
  [ -z "$unexpected" ] || echo "    not a system DLL:" $unexpected
  [ -z "$unexpected" ]
}
step "modio_market.dll imports only system DLLs" dll_imports

# 2. Builds ------------------------------------------------------------------------------------------
cwarn=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -I capi/include)
cxxwarn=(-std=c++17 -Wall -Wextra -Wpedantic -Werror -O1 -I capi/include -I bindings/cpp -I tests/cpp)
link_dll=(-L "$lib_dir" -lmodio_market)
# The C++ runtime linked in (no libstdc++-6.dll to ship beside a test); winpthread is the one
# mingw DLL left, copied next to the executables.
cxx_runtime=(-static-libgcc -static-libstdc++)
build_test() {
  x86_64-w64-mingw32-gcc "${cwarn[@]}" tests/windows/test_windows.c -o "$bin/test_windows.exe" "${link_dll[@]}"
}
build_wrapper_test() {
  x86_64-w64-mingw32-g++-posix "${cxxwarn[@]}" tests/cpp/test_wrapper.cpp -o "$bin/test_wrapper.exe" \
    "${link_dll[@]}" -lws2_32 "${cxx_runtime[@]}" &&
    cp "$(x86_64-w64-mingw32-g++-posix -print-file-name=libwinpthread-1.dll)" "$bin/"
}
build_storefronts() {
  x86_64-w64-mingw32-gcc "${cwarn[@]}" examples/storefront.c -o "$bin/storefront_c.exe" "${link_dll[@]}" &&
    x86_64-w64-mingw32-g++-posix "${cxxwarn[@]}" examples/storefront.cpp -o "$bin/storefront_cpp.exe" \
      "${link_dll[@]}" "${cxx_runtime[@]}"
}
step "build the Wine shims (bcryptprimitives, api-ms-win-core-synch)" build_wine_shims "$bin"
step "build tests/windows/test_windows.c with mingw" build_test
step "build tests/cpp/test_wrapper.cpp with mingw g++" build_wrapper_test
step "build the C and C++ storefronts with mingw" build_storefronts

# 3. Runs under Wine ---------------------------------------------------------------------------------
step "a Wine prefix" wine_boot "$out/wineboot.log"

# Runs a Windows program under Wine against a fresh fake; its request log goes to a file.
run_wine() {
  local name=$1; shift
  scripts/with-fake sh -c 'exec "$@" 2>&7' sh "$wine" "$@" 7>&2 2>"$out/fake-$name.log"
}

# A test CA and a leaf for 127.0.0.1 (CA:FALSE, the IP in subjectAltName), served by openssl
# s_server: the library must refuse it with its bundled roots and accept it with the CA added.
make_tls() {
  local d="$out/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj /CN=modio-market-test-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null &&
    openssl req -newkey rsa:2048 -nodes -keyout "$d/leaf.key" -out "$d/leaf.csr" -subj /CN=127.0.0.1 2>/dev/null &&
    printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$d/leaf.ext" &&
    openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -out "$d/leaf.pem" -days 2 \
      -extfile "$d/leaf.ext" 2>/dev/null
}
step "a test CA and a 127.0.0.1 leaf" make_tls
tls_pid=""
start_tls() {
  local d="$out/tls" line=""
  mkfifo "$d/out"
  openssl s_server -accept 127.0.0.1:0 -cert "$d/leaf.pem" -key "$d/leaf.key" -www <"$d/out" >"$d/s_server.out" 2>&1 &
  tls_pid=$!
  exec 5>"$d/out"  # s_server's stdin stays open (it exits at end of input)
  # It prints "ACCEPT 127.0.0.1:PORT" once listening.
  for _ in $(seq 1 100); do
    line=$(grep -m1 '^ACCEPT ' "$d/s_server.out" || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || return 1
  export MODIO_WIN_TLS_URL="https://${line#ACCEPT }/v1"
  # The CA file as Windows sees it (Wine maps / to Z:).
  export MODIO_WIN_TLS_CA="Z:${d//\//\\}\\ca.pem"
}
step "a TLS server (openssl s_server)" start_tls
stop_tls() { [ -z "$tls_pid" ] || kill "$tls_pid" 2>/dev/null; exec 5>&- 2>/dev/null || true; }
trap stop_tls EXIT

step "run test_windows.exe under Wine" run_wine test_windows "$bin/test_windows.exe"
step "run test_wrapper.exe (C++ wrapper) under Wine" run_wine test_wrapper "$bin/test_wrapper.exe"
storefront() {
  local exe=$1 log="$out/$1.out"
  # A fresh install directory per run, given as a Windows path.
  rm -rf "$out/storefront-$exe"
  MODIO_MARKET_INSTALL_DIR="Z:${out//\//\\}\\storefront-$exe" run_wine "$exe" "$bin/$exe.exe" >"$log" 2>&1
  local status=$?
  tail -n 4 "$log" | sed 's/^/    /'
  # Windows programs end their lines with CRLF.
  [ $status -eq 0 ] && tr -d '\r' <"$log" | grep -cE "^(All done\.|Done\. Enjoy your mods!)$" >/dev/null
}
step "the C storefront under Wine, start to end" storefront storefront_c
step "the C++ storefront under Wine, start to end" storefront storefront_cpp
stop_tls

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests/windows: ${#failed[@]} step(s) failed: ${failed[*]}"
  echo "tests/windows: binaries and logs kept in $out"
  exit 1
fi
echo "tests/windows: all $passed steps passed"
