# Sourced by the suites that run Windows programs under Wine (tests/windows, tests/package): one
# Wine prefix for every run (its first boot takes a few seconds), kept under target/.
#   $wine, $wineserver           the binaries (Debian's wine64 keeps them in /usr/lib/wine)
#   build_wine_shims DIR         the two DLLs Wine 8 lacks, built next to the executables in DIR
#   wine_boot LOG                makes the prefix on the first run
export WINEPREFIX="$root/target/windows-tests/wineprefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64 || command -v wine || echo wine64)
wineserver=/usr/lib/wine/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver || echo wineserver)

build_wine_shims() {
  # Wine 8 lacks two DLLs that Rust's std imports and real Windows 8+ has (see the sources).
  local dir=$1
  x86_64-w64-mingw32-gcc -shared -O2 -o "$dir/bcryptprimitives.dll" \
    "$root/tests/windows/shims/bcryptprimitives.c" "$root/tests/windows/shims/bcryptprimitives.def" -ladvapi32 &&
    x86_64-w64-mingw32-gcc -shared -O2 -o "$dir/api-ms-win-core-synch-l1-2-0.dll" \
      "$root/tests/windows/shims/synch.c" "$root/tests/windows/shims/synch.def"
}

wine_boot() {
  # wineserver writes the registry when it exits: wait for it before checking.
  local log=$1
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$(dirname "$WINEPREFIX")"
    "$wine" wineboot -i >"$log" 2>&1
    "$wineserver" -w
  fi
  [ -f "$WINEPREFIX/system.reg" ]
}
