#!/usr/bin/env bash
# The Unity package's suite, under Mono: compiles the package's Runtime/ as a library (as Unity's
# ModioMarket.Runtime.asmdef would), checks its declarations against capi/include/modio_market.h
# through a C program, and runs the C# API against the fake mod.io server. Then compiles the
# Unity-only code (ModioMarketRunner, the reload hooks) and the README's sample against stand-ins
# of UnityEngine/UnityEditor and drives the runner the way the engine would. Also checks the
# package's Unity .meta files. Exits non-zero on any failure; the last line is the total.
# Needs mono-mcs, mono-runtime, libmono-system-core4.0-cil (scripts/apt-packages.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(cd "$here/.." && pwd)
root=$(cd "$pkg/../.." && pwd)
# Per run, so two runs in the shared tree never clobber each other's assemblies.
mkdir -p "$root/target/unity-tests"
out=$(mktemp -d "$root/target/unity-tests/run.XXXXXX")
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/plain" "$out/unity"

for tool in mcs mono cc awk; do
  command -v "$tool" >/dev/null || { echo "unity tests: $tool is missing (scripts/install-deps)" >&2; exit 1; }
done

passed=0
failed=0
step() { # step NAME CMD...: one check outside the C# programs
  if "${@:2}"; then passed=$((passed + 1)); echo "ok   - $1"; else failed=$((failed + 1)); echo "FAIL - $1"; fi
}
program() { # program LOG CMD...: a C# test program; adds its "N passed, M failed" line
  local log=$1; shift
  set +e
  # stdout (parsed) and stderr (the fake's request log, dropped; anything else shown) stay
  # apart: the two writers share no line, so a log fragment can never split a summary line.
  "$@" 2> >(grep -v '^fake-modio: ' >&2) | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
  if [ -z "$line" ]; then
    echo "FAIL - $* ended without its summary (status $status)"
    failed=$((failed + 1))
    return
  fi
  local p f
  p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL - $* exited with status $status"
    failed=$((failed + 1))
  fi
}

echo "unity: building the native library and the fake"
(cd "$root" && cargo build -q -p modio-market-artifact -p fake-modio)

# What the C compiler says about the header: sizeof/offsetof, constants, signatures.
awk -f "$here/header-facts.awk" "$root/capi/include/modio_market.h" > "$out/header-facts.c"
cc -std=c99 -Wall -Wextra -Werror -I"$root/capi/include" "$out/header-facts.c" -o "$out/header-facts"
"$out/header-facts" > "$out/header-facts.txt"

mcs_flags=(-nologo -warn:4 -warnaserror -debug -langversion:7)
runtime=("$pkg"/Runtime/*.cs "$pkg"/Runtime/Interop/*.cs)
echo "unity: compiling Runtime/ for plain Mono"
mcs "${mcs_flags[@]}" -target:library -out:"$out/plain/ModioMarket.Runtime.dll" "${runtime[@]}"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/plain/ModioMarket.Tests.exe" -r:"$out/plain/ModioMarket.Runtime.dll" -r:System.Core.dll \
  "$here/Program.cs" "$here/Harness.cs" "$here/HeaderChecks.cs" "$here/ClientTests.cs"
step "Runtime/ compiles with MODIO_MARKET_STATIC (__Internal, iOS/consoles)" \
  mcs "${mcs_flags[@]}" -define:MODIO_MARKET_STATIC -target:library -out:"$out/static-check.dll" "${runtime[@]}"

echo "unity: compiling Runtime/ as the Unity Editor does (UNITY_5_3_OR_NEWER, UNITY_EDITOR) against stand-in engine assemblies"
mcs "${mcs_flags[@]}" -target:library -out:"$out/unity/UnityEngine.dll" "$here/stubs/UnityEngine.cs"
mcs "${mcs_flags[@]}" -target:library -out:"$out/unity/UnityEditor.dll" -r:"$out/unity/UnityEngine.dll" "$here/stubs/UnityEditor.cs"
mcs "${mcs_flags[@]}" -define:UNITY_5_3_OR_NEWER -define:UNITY_EDITOR -target:library -out:"$out/unity/ModioMarket.Runtime.dll" \
  -r:"$out/unity/UnityEngine.dll" -r:"$out/unity/UnityEditor.dll" "${runtime[@]}"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/unity/ModioMarket.Tests.exe" -r:"$out/unity/ModioMarket.Runtime.dll" \
  -r:"$out/unity/UnityEngine.dll" -r:"$out/unity/UnityEditor.dll" -r:System.Core.dll \
  "$here/UnityProgram.cs" "$here/Harness.cs"
step "Runtime/ compiles as a Unity player does (UNITY_5_3_OR_NEWER, UNITY_IOS: __Internal)" \
  mcs "${mcs_flags[@]}" -define:UNITY_5_3_OR_NEWER -define:UNITY_IOS -target:library -out:"$out/ios-check.dll" \
  -r:"$out/unity/UnityEngine.dll" "${runtime[@]}"
awk '/^```csharp$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$pkg/README.md" > "$out/ReadmeSample.cs"
step "the README's code sample compiles against the package" \
  mcs "${mcs_flags[@]}" -target:library -out:"$out/readme-sample.dll" -r:"$out/unity/ModioMarket.Runtime.dll" \
  -r:"$out/unity/UnityEngine.dll" -r:System.Core.dll "$out/ReadmeSample.cs"
step "every package asset has a Unity .meta with a unique GUID" bash "$here/unity-meta.sh" check

# Mono finds libmodio_market.so through LD_LIBRARY_PATH ([DllImport("modio_market")]).
export LD_LIBRARY_PATH="$root/target/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# timeout: a hang (at exit, a thread Mono waits for) fails the suite instead of blocking it.
echo "unity: C# API tests (Mono, against the fake)"
program "$out/api.log" timeout 600 "$root/scripts/with-fake" mono --debug "$out/plain/ModioMarket.Tests.exe" "$out/header-facts.txt"
step "a client left undisposed is disposed at process exit (its request ends with ShutDown)" \
  grep -q "^at exit: the forgotten client's request ended with ShutDown$" "$out/api.log"
echo "unity: ModioMarketRunner and reload hooks (Mono, stand-in UnityEngine, against the fake)"
program "$out/unity.log" timeout 300 "$root/scripts/with-fake" mono --debug "$out/unity/ModioMarket.Tests.exe"

echo "csharp: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
