#!/usr/bin/env bash
# The Unity package's suite, under Mono: compiles the package's Runtime/ as a library (as Unity's
# ModioMarket.Runtime.asmdef would), checks its declarations against include/modio_market.h
# through a C program, and runs the C# API against the fake mod.io server. Then compiles the
# Unity-only code (ModioMarketRunner, the reload hooks) against stand-ins of UnityEngine/UnityEditor
# and drives it the way the engine would. Exits non-zero on any failure.
# Needs mono-mcs, mono-runtime, libmono-system-core4.0-cil (scripts/apt-packages.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out="$root/target/unity-tests"
rm -rf "$out"
mkdir -p "$out/plain" "$out/unity"

for tool in mcs mono cc; do
  command -v "$tool" >/dev/null || { echo "unity tests: $tool is missing (scripts/install-deps)" >&2; exit 1; }
done

echo "unity: building the native library and the fake"
(cd "$root" && cargo build -q -p modio-market -p fake-modio)

# What the C compiler says about the header: sizeof/offsetof, constants, signatures.
awk -f "$here/header-facts.awk" "$root/include/modio_market.h" > "$out/header-facts.c"
cc -std=c99 -Wall -Wextra -Werror -I"$root/include" "$out/header-facts.c" -o "$out/header-facts"
"$out/header-facts" > "$out/header-facts.txt"

mcs_flags=(-nologo -warn:4 -warnaserror -debug -langversion:7)
echo "unity: compiling Runtime/ (plain Mono, and with MODIO_MARKET_STATIC for __Internal)"
mcs "${mcs_flags[@]}" -target:library -out:"$out/plain/ModioMarket.Runtime.dll" -recurse:"$here/../Runtime/*.cs"
mcs "${mcs_flags[@]}" -define:MODIO_MARKET_STATIC -target:library -out:"$out/static-check.dll" -recurse:"$here/../Runtime/*.cs"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/plain/ModioMarket.Tests.exe" -r:"$out/plain/ModioMarket.Runtime.dll" -r:System.Core.dll \
  "$here/Program.cs" "$here/Harness.cs" "$here/HeaderChecks.cs" "$here/ClientTests.cs"

echo "unity: compiling Runtime/ as Unity sees it (UNITY_5_3_OR_NEWER, UNITY_EDITOR) against stand-in engine assemblies"
mcs "${mcs_flags[@]}" -target:library -out:"$out/unity/UnityEngine.dll" "$here/stubs/UnityEngine.cs"
mcs "${mcs_flags[@]}" -target:library -out:"$out/unity/UnityEditor.dll" -r:"$out/unity/UnityEngine.dll" "$here/stubs/UnityEditor.cs"
mcs "${mcs_flags[@]}" -define:UNITY_5_3_OR_NEWER -define:UNITY_EDITOR -target:library -out:"$out/unity/ModioMarket.Runtime.dll" \
  -r:"$out/unity/UnityEngine.dll" -r:"$out/unity/UnityEditor.dll" -recurse:"$here/../Runtime/*.cs"
mcs "${mcs_flags[@]}" -target:exe -out:"$out/unity/ModioMarket.Tests.exe" -r:"$out/unity/ModioMarket.Runtime.dll" \
  -r:"$out/unity/UnityEngine.dll" -r:"$out/unity/UnityEditor.dll" -r:System.Core.dll \
  "$here/UnityProgram.cs" "$here/Harness.cs"

# Mono finds libmodio_market.so through LD_LIBRARY_PATH ([DllImport("modio_market")]).
export LD_LIBRARY_PATH="$root/target/debug${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
status=0
echo "unity: C# API tests (Mono, against the fake)"
# timeout: a hang at exit (a thread Mono waits for) fails the suite instead of blocking it.
timeout 600 "$root/scripts/with-fake" mono --debug "$out/plain/ModioMarket.Tests.exe" "$out/header-facts.txt" || status=1
echo "unity: ModioMarketRunner and reload hooks (Mono, stand-in UnityEngine, against the fake)"
timeout 300 "$root/scripts/with-fake" mono --debug "$out/unity/ModioMarket.Tests.exe" || status=1
exit $status
