#!/usr/bin/env bash
# Copies the modio_market headers and a built library into the Unreal plugin's ThirdParty folder:
#   bindings/unreal/ModioMarket/Source/ThirdParty/ModioMarketLibrary/<Platform>/{include,lib}
#
# Usage: bindings/unreal/stage-library.sh PLATFORM [FILE[:SUBDIR] ...]
#   PLATFORM  the Unreal platform name: Win64, Mac, Linux, LinuxArm64, Android, IOS (or a console's)
#   FILE      a library to put in lib/ (or lib/SUBDIR/, e.g. libmodio_market.a:arm64-v8a on Android)
# With no FILE and PLATFORM=Linux it builds the release library on this machine and stages
# target/release/libmodio_market.a.
#
# Examples:
#   bindings/unreal/stage-library.sh Linux
#   bindings/unreal/stage-library.sh Win64 target/x86_64-pc-windows-msvc/release/modio_market.lib
#   bindings/unreal/stage-library.sh Android target/aarch64-linux-android/release/libmodio_market.a:arm64-v8a
#   bindings/unreal/stage-library.sh Mac libmodio_market.a        # a lipo'd universal library
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -lt 1 ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
platform=$1; shift
dest="${MODIO_MARKET_UNREAL_THIRDPARTY:-$root/bindings/unreal/ModioMarket/Source/ThirdParty/ModioMarketLibrary}/$platform"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  if [ "$platform" != "Linux" ] || [ "$(uname -s)" != "Linux" ]; then
    echo "stage-library: give the library file(s) to stage for $platform" >&2
    exit 2
  fi
  (cd "$root" && cargo build --release -p modio-market-artifact)
  files=("$root/target/release/libmodio_market.a")
fi

mkdir -p "$dest/include" "$dest/lib"
cp "$root/capi/include/modio_market.h" "$root/bindings/cpp/modio_market.hpp" "$dest/include/"
for spec in "${files[@]}"; do
  file=${spec%%:*}
  sub=""
  [ "$spec" != "$file" ] && sub=${spec#*:}
  if [ ! -f "$file" ]; then
    echo "stage-library: $file does not exist" >&2
    exit 1
  fi
  mkdir -p "$dest/lib/$sub"
  cp "$file" "$dest/lib/$sub/"
  echo "staged $(basename "$file") -> ${dest#$root/}/lib${sub:+/$sub}"
done
echo "staged headers -> ${dest#$root/}/include"
