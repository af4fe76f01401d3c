#!/usr/bin/env bash
# The release artifacts, used the way a studio uses them (picked up by scripts/test):
#   1. scripts/package writes every archive (with the dev profile: the test command's debug builds,
#      laid out exactly as a release; MODIO_MARKET_PACKAGE_PROFILE=release checks the release ones);
#   2. Linux x86_64 SDK: its layout and SONAME; an out-of-tree CMake project
#      (tests/package/consumer) finds it with find_package and builds the C and C++ storefronts,
#      once shared and once static, and they run against the fake; the same through pkg-config;
#   3. Linux arm64 SDK: an AArch64 .so with its SONAME; the storefront built through pkg-config
#      (static) with aarch64 gcc and run under qemu-aarch64;
#   4. Windows SDK: the MSVC import library lists every exported function (llvm-nm); the
#      storefront built with mingw against the unpacked zip (GNU import library, then the MSVC
#      one, then statically) and run under Wine;
#   5. the Unity tarball and the Unreal zip: every binary present, every .meta valid, package.json
#      and the .uplugin parse (tests/package/check_packages.py); the tarball's C# compiled with
#      Mono and the package's API tests run on the Linux plugin it carries; the Unreal suite run
#      on the unzipped plugin, built with its own headers and Linux library.
# Needs what scripts/package needs plus cmake, pkg-config, qemu-user, wine64, python3 and Mono
# (scripts/install-deps installs them).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost,::1${no_proxy:+,$no_proxy}"
source "$root/tests/steps.sh"

out="$root/target/package-tests"
rm -rf "$out/dist" "$out/unpacked" "$out/build" "$out/bin"
mkdir -p "$out/dist" "$out/unpacked" "$out/build" "$out/bin"
version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
major=${version%%.*}
declared=$(header_functions)
source "$root/tests/windows/wine.sh"
require_tools tests/package cmake pkg-config python3 mcs mono qemu-aarch64 aarch64-linux-gnu-gcc x86_64-w64-mingw32-gcc llvm-nm readelf "$wine"
if ! cargo build --locked -q -p fake-modio; then
  echo "FAILED: cargo build -p fake-modio"
  exit 1
fi
export FAKE_MODIO_BIN="$root/target/debug/fake-modio"

# Runs a program against a fresh fake, its output in a log; passes when it ends with its last line.
storefront_run() {
  local name=$1 last=$2; shift 2
  local log="$out/$name.out"
  MODIO_MARKET_INSTALL_DIR="$out/install-$name" scripts/with-fake sh -c 'exec "$@" 2>&7' sh "$@" \
    7>"$log.fake" >"$log" 2>&1
  local status=$?
  tail -n 2 "$log" | sed 's/^/    /'
  [ $status -eq 0 ] && tr -d '\r' <"$log" | grep -cxF "$last" >/dev/null
}

# 1. The archives ------------------------------------------------------------------------------------
linux="modio-market-$version-linux-x86_64"
arm64="modio-market-$version-linux-aarch64"
windows="modio-market-$version-windows-x86_64"
package_all() {
  scripts/package --out "$out/dist" --profile "${MODIO_MARKET_PACKAGE_PROFILE:-dev}" || return 1
  local f missing=0
  for f in "$linux.tar.gz" "$arm64.tar.gz" "$windows.zip" "io.modio.market-$version.tgz" "ModioMarket-unreal-$version.zip" SHA256SUMS; do
    [ -s "$out/dist/$f" ] || { echo "    missing: $f"; missing=1; }
  done
  (cd "$out/dist" && sha256sum --quiet -c SHA256SUMS) || return 1
  [ $missing -eq 0 ] || return 1
  tar -xzf "$out/dist/$linux.tar.gz" -C "$out/unpacked" &&
    tar -xzf "$out/dist/$arm64.tar.gz" -C "$out/unpacked" &&
    (cd "$out/unpacked" && unzip -q "$out/dist/$windows.zip") &&
    mkdir -p "$out/unpacked/unity" && tar -xzf "$out/dist/io.modio.market-$version.tgz" -C "$out/unpacked/unity" &&
    mkdir -p "$out/unpacked/unreal" && (cd "$out/unpacked/unreal" && unzip -q "$out/dist/ModioMarket-unreal-$version.zip")
}
step "scripts/package writes every archive, and they unpack" package_all

# 2. Linux x86_64 -------------------------------------------------------------------------------------
sdk_layout() {
  local dir=$1 f bad=0
  shift
  for f in include/modio_market.h include/modio_market.hpp LICENSE-MIT LICENSE-APACHE README.md \
    lib/cmake/modio_market/modio_market-config.cmake lib/cmake/modio_market/modio_market-config-version.cmake \
    lib/pkgconfig/modio_market.pc lib/pkgconfig/modio_market-static.pc "$@"; do
    [ -e "$dir/$f" ] || { echo "    missing: $f"; bad=1; }
  done
  cmp -s "$dir/include/modio_market.h" capi/include/modio_market.h || { echo "    include/modio_market.h is not the header"; bad=1; }
  [ $bad -eq 0 ]
}
soname_is() {
  local so=$1 readelf=$2 expected="libmodio_market.so.$major" soname
  soname=$("$readelf" -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  echo "    SONAME $soname"
  [ "$soname" = "$expected" ]
}
linux_layout() {
  local d="$out/unpacked/$linux"
  sdk_layout "$d" "lib/libmodio_market.so.$version" "lib/libmodio_market.so.$major" lib/libmodio_market.so lib/libmodio_market.a &&
    [ "$(readlink "$d/lib/libmodio_market.so")" = "libmodio_market.so.$major" ] &&
    soname_is "$d/lib/libmodio_market.so.$version" readelf &&
    [ "$(nm -D --defined-only "$d/lib/libmodio_market.so.$version" | awk '{print $3}' | grep '^modio_market_' | sort -u)" = "$declared" ]
}
step "Linux x86_64 SDK: layout, SONAME libmodio_market.so.$major, the header's exports" linux_layout

cmake_build() {
  local kind=$1 static=$2
  local build="$out/build/cmake-$kind"
  cmake -S tests/package/consumer -B "$build" -DCMAKE_PREFIX_PATH="$out/unpacked/$linux" \
    -DSTOREFRONT_DIR="$root/examples" -DLINK_STATIC="$static" -DCMAKE_BUILD_TYPE=Release >"$out/cmake-$kind.log" 2>&1 &&
    cmake --build "$build" -j 2 >>"$out/cmake-$kind.log" 2>&1 || { tail -n 20 "$out/cmake-$kind.log"; return 1; }
  grep -E "modio_market $version from" "$out/cmake-$kind.log" | sed 's/^/    /'
}
linked_shared() {
  # The game records the SONAME (not a build path) and loads the unpacked library.
  local exe=$1 needed
  needed=$(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(libmodio_market[^]]*\)\]/\1/p')
  echo "    NEEDED $needed; loads $(ldd "$exe" | awk '/libmodio_market/ {print $3}')"
  [ "$needed" = "libmodio_market.so.$major" ] && [[ $(ldd "$exe") == *"$out/unpacked/$linux/lib/libmodio_market.so.$major"* ]]
}
linked_static() {
  [[ $(ldd "$1" || true) != *libmodio_market* ]]
}
step "CMake: find_package(modio_market) builds both storefronts, shared library" cmake_build shared OFF
both_linked() {
  local how=$1 kind=$2
  "$how" "$out/build/cmake-$kind/storefront_c" && "$how" "$out/build/cmake-$kind/storefront_cpp"
}
step "CMake, shared: the storefronts link libmodio_market.so.$major from the archive" both_linked linked_shared shared
step "CMake, shared: the C storefront runs against the fake" storefront_run cmake-shared-c "All done." "$out/build/cmake-shared/storefront_c"
step "CMake, shared: the C++ storefront runs against the fake" storefront_run cmake-shared-cpp "Done. Enjoy your mods!" "$out/build/cmake-shared/storefront_cpp"
step "CMake: find_package(modio_market) builds both storefronts, static library" cmake_build static ON
step "CMake, static: no libmodio_market.so is loaded" both_linked linked_static static
step "CMake, static: the C storefront runs against the fake" storefront_run cmake-static-c "All done." "$out/build/cmake-static/storefront_c"
step "CMake, static: the C++ storefront runs against the fake" storefront_run cmake-static-cpp "Done. Enjoy your mods!" "$out/build/cmake-static/storefront_cpp"
cmake_refuses_wrong_major() {
  # find_package(modio_market 2) must not accept a 1.x archive.
  local build="$out/build/cmake-major" src="$out/build/major-src"
  mkdir -p "$src"
  printf 'cmake_minimum_required(VERSION 3.16)\nproject(p C)\nfind_package(modio_market %s CONFIG REQUIRED)\n' "$((major + 1))" >"$src/CMakeLists.txt"
  ! cmake -S "$src" -B "$build" -DCMAKE_PREFIX_PATH="$out/unpacked/$linux" >"$out/cmake-major.log" 2>&1 &&
    grep -c "modio_market-config.cmake, version: $version" "$out/cmake-major.log" >/dev/null
}
step "CMake: find_package(modio_market $((major + 1))) refuses the $version archive" cmake_refuses_wrong_major

pc_build() {
  local name=$1 pc=$2 pcdir="$out/unpacked/$linux/lib/pkgconfig" rpath=()
  [ "$pc" = modio_market ] && rpath=(-Wl,-rpath,"$(PKG_CONFIG_PATH=$pcdir pkg-config --variable=libdir modio_market)")
  # shellcheck disable=SC2046
  gcc -std=c11 -Wall -Wextra -Wpedantic -Werror examples/storefront.c -o "$out/bin/$name" \
    $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs "$pc") "${rpath[@]}"
}
step "pkg-config modio_market: the C storefront builds (shared)" pc_build pc-shared modio_market
step "pkg-config modio_market: it runs against the fake" storefront_run pc-shared "All done." "$out/bin/pc-shared"
step "pkg-config modio_market-static: the C storefront builds (static)" pc_build pc-static modio_market-static
step "pkg-config modio_market-static: no libmodio_market.so is loaded" linked_static "$out/bin/pc-static"
step "pkg-config modio_market-static: it runs against the fake" storefront_run pc-static "All done." "$out/bin/pc-static"

# 3. Linux arm64 --------------------------------------------------------------------------------------
arm64_layout() {
  local d="$out/unpacked/$arm64"
  sdk_layout "$d" "lib/libmodio_market.so.$version" "lib/libmodio_market.so.$major" lib/libmodio_market.so lib/libmodio_market.a &&
    [[ $(readelf -h "$d/lib/libmodio_market.so.$version") == *AArch64* ]] &&
    soname_is "$d/lib/libmodio_market.so.$version" readelf
}
step "Linux arm64 SDK: layout, an AArch64 .so with SONAME libmodio_market.so.$major" arm64_layout
arm64_build() {
  # shellcheck disable=SC2046
  aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Wpedantic -Werror examples/storefront.c -o "$out/bin/arm64-static" \
    $(PKG_CONFIG_PATH="$out/unpacked/$arm64/lib/pkgconfig" pkg-config --cflags --libs modio_market-static)
}
step "pkg-config modio_market-static (arm64): the C storefront builds with aarch64 gcc" arm64_build
arm64_run() {
  # qemu-user finds the arm64 loader and glibc of Debian's cross toolchain there.
  QEMU_LD_PREFIX=/usr/aarch64-linux-gnu storefront_run arm64-static "All done." qemu-aarch64 "$out/bin/arm64-static"
}
step "the arm64 storefront runs under qemu-aarch64 against the fake" arm64_run

# 4. Windows x86_64 -----------------------------------------------------------------------------------
win="$out/unpacked/$windows"
windows_layout() {
  sdk_layout "$win" lib/modio_market.dll lib/modio_market.lib lib/libmodio_market.dll.a lib/libmodio_market.a lib/modio_market.def
}
step "Windows SDK: layout" windows_layout
msvc_import_library() {
  # An import library defines, for each function, the symbol a call links to and its __imp_ pointer.
  local symbols missing="" f
  symbols=$(llvm-nm "$win/lib/modio_market.lib" 2>/dev/null | awk '$2 == "T" || $2 == "I" || $2 == "D" {print $3}' | sort -u)
  for f in $declared; do
    grep -qxF "$f" <<<"$symbols" && grep -qxF "__imp_$f" <<<"$symbols" || missing="$missing $f"
  done
  echo "    modio_market.lib: $(grep -c '^__imp_modio_market_' <<<"$symbols") __imp_ entries for the header's $(wc -l <<<"$declared") functions"
  [ -z "$missing" ] || echo "    missing:$missing"
  [ -z "$missing" ] && [[ $(llvm-nm "$win/lib/modio_market.lib" 2>&1) == *"modio_market.dll"* ]]
}
step "the MSVC import library lists every exported function (llvm-nm)" msvc_import_library

mingw_builds() {
  local cflags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -O1 -I "$win/include")
  mkdir -p "$out/bin/win"
  build_wine_shims "$out/bin/win" &&
    cp "$win/lib/modio_market.dll" "$out/bin/win/" &&
    x86_64-w64-mingw32-gcc "${cflags[@]}" examples/storefront.c -o "$out/bin/win/storefront_gnu.exe" -L "$win/lib" -lmodio_market &&
    x86_64-w64-mingw32-gcc "${cflags[@]}" examples/storefront.c -o "$out/bin/win/storefront_msvclib.exe" "$win/lib/modio_market.lib" &&
    # shellcheck disable=SC2046
    x86_64-w64-mingw32-gcc "${cflags[@]}" examples/storefront.c -o "$out/bin/win/storefront_static.exe" \
      $(PKG_CONFIG_PATH="$win/lib/pkgconfig" pkg-config --cflags --libs modio_market-static)
}
step "mingw: the C storefront builds against the unpacked zip (GNU and MSVC import libraries, static)" mingw_builds
imports_dll() {
  # The import-library builds load modio_market.dll; the static one does not.
  local dlls
  dlls=$(x86_64-w64-mingw32-objdump -p "$out/bin/win/$1" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z')
  if [ "$2" = yes ]; then [[ $'\n'$dlls$'\n' == *$'\n'modio_market.dll$'\n'* ]]; else [[ $'\n'$dlls$'\n' != *$'\n'modio_market.dll$'\n'* ]]; fi
}
dll_use() {
  imports_dll storefront_gnu.exe yes && imports_dll storefront_msvclib.exe yes && imports_dll storefront_static.exe no
}
step "the import-library builds load modio_market.dll, the static one does not" dll_use
step "a Wine prefix" wine_boot "$out/wineboot.log"
wine_storefront() {
  local exe=$1
  MODIO_MARKET_INSTALL_DIR="Z:${out//\//\\}\\install-$exe" storefront_run "wine-$exe" "All done." "$wine" "$out/bin/win/$exe.exe"
}
step "under Wine: the storefront linked with the GNU import library" wine_storefront storefront_gnu
step "under Wine: the storefront linked with the MSVC import library" wine_storefront storefront_msvclib
step "under Wine: the storefront linked statically" wine_storefront storefront_static

# 5. Unity and Unreal ---------------------------------------------------------------------------------
step "Unity tarball: every asset has a valid .meta with a unique GUID" \
  bash bindings/unity/tests/unity-meta.sh check "$out/unpacked/unity/package"
step "Unity tarball: package.json, the native plugins and their import settings" \
  python3 tests/package/check_packages.py unity "$out/unpacked/unity/package" "$version"
unity_mono() {
  # The tarball's Runtime/ compiled as Unity compiles it for a plain player, and the package's C#
  # API tests (bindings/unity/tests, kept out of the tarball) run on the .so the tarball carries.
  local pkg="$out/unpacked/unity/package" tests=bindings/unity/tests mono_out="$out/build/unity"
  local flags=(-nologo -warn:4 -warnaserror -langversion:7)
  mkdir -p "$mono_out"
  awk -f "$tests/header-facts.awk" capi/include/modio_market.h >"$mono_out/header-facts.c" &&
    cc -std=c99 -I capi/include "$mono_out/header-facts.c" -o "$mono_out/header-facts" &&
    "$mono_out/header-facts" >"$mono_out/header-facts.txt" &&
    mcs "${flags[@]}" -target:library -out:"$mono_out/ModioMarket.Runtime.dll" "$pkg"/Runtime/*.cs "$pkg"/Runtime/Interop/*.cs &&
    mcs "${flags[@]}" -target:exe -out:"$mono_out/ModioMarket.Tests.exe" -r:"$mono_out/ModioMarket.Runtime.dll" -r:System.Core.dll \
      "$tests/Program.cs" "$tests/Harness.cs" "$tests/HeaderChecks.cs" "$tests/ClientTests.cs" || return 1
  LD_LIBRARY_PATH="$pkg/Plugins/Linux/x86_64" timeout 600 scripts/with-fake \
    mono "$mono_out/ModioMarket.Tests.exe" "$mono_out/header-facts.txt" >"$out/unity-mono.out" 2>"$out/unity-mono.err"
  local status=$?
  grep -E '^csharp-api: [0-9]+ passed, [0-9]+ failed$' "$out/unity-mono.out" | sed 's/^/    /'
  [ $status -eq 0 ] && grep -cE '^csharp-api: [0-9]+ passed, 0 failed$' "$out/unity-mono.out" >/dev/null
}
step "Unity tarball under Mono: its Runtime/ compiles and the C# API tests pass on its Linux plugin" unity_mono
step "Unreal zip: the .uplugin, the module and ThirdParty/ModioMarketLibrary/{Win64,Linux,LinuxArm64}" \
  python3 tests/package/check_packages.py unreal "$out/unpacked/unreal/ModioMarket" "$version"
step "Unreal zip: its Build.cs and its C++ on the mock engine, linked to its Linux library (bindings/unreal/tests)" \
  env MODIO_MARKET_UNREAL_PLUGIN="$out/unpacked/unreal/ModioMarket" bash bindings/unreal/tests/run.sh

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "tests/package: ${#failed[@]} step(s) failed: ${failed[*]}"
  echo "tests/package: archives, builds and logs kept in $out"
  exit 1
fi
rm -rf "$out/dist" "$out/unpacked" "$out/build" "$out/bin"
echo "tests/package: all $passed steps passed"
