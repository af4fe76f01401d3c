#!/usr/bin/env bash
# Unity needs a .meta file (with a stable GUID) beside every asset and folder of a package: a
# package added from a git URL is immutable, and Unity ignores assets that have none.
#   unity-meta.sh check [DIR]  fails on a missing .meta, an orphan .meta, a malformed or duplicate
#                              GUID (DIR: an unpacked package; default this package's source)
#   unity-meta.sh write        creates the missing ones (GUID = md5 of the package-relative path, so a
#                         regenerated file gets the same GUID; existing files are never rewritten)
# Hidden files and folders (.npmignore) and Unity-ignored ones (ending in ~) need none.
set -euo pipefail
mode=${1:-check}
pkg=$(cd "${2:-$(dirname "$0")/..}" && pwd)
cd "$pkg"

importer() {
  local rel=$1
  if [ -d "$rel" ]; then
    printf 'folderAsset: yes\nDefaultImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n'
    return
  fi
  case "$rel" in
    *.cs) printf 'MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' ;;
    *.asmdef) printf 'AssemblyDefinitionImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' ;;
    package.json) printf 'PackageManifestImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' ;;
    *.md|*.txt|*.json) printf 'TextScriptImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' ;;
    *) printf 'DefaultImporter:\n  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n' ;;
  esac
}

# Assets: everything except .meta files, hidden entries and ~ folders (and what is inside them).
mapfile -t assets < <(find . -mindepth 1 \( -name '.*' -o -name '*~' \) -prune -o ! -name '*.meta' -print | sed 's|^\./||' | sort)
problems=0
declare -A guids=()
for rel in "${assets[@]}"; do
  meta="$rel.meta"
  if [ ! -f "$meta" ]; then
    if [ "$mode" = write ]; then
      guid=$(printf 'io.modio.market:%s' "$rel" | md5sum | cut -c1-32)
      { printf 'fileFormatVersion: 2\nguid: %s\n' "$guid"; importer "$rel"; } >"$meta"
      echo "wrote $meta"
    else
      echo "unity-meta: missing $meta" >&2
      problems=$((problems + 1))
      continue
    fi
  fi
  guid=$(sed -n 's/^guid: \([0-9a-f]\{32\}\)$/\1/p' "$meta")
  if [ "$(head -n1 "$meta")" != "fileFormatVersion: 2" ] || [ -z "$guid" ]; then
    echo "unity-meta: malformed $meta" >&2
    problems=$((problems + 1))
  elif [ -n "${guids[$guid]:-}" ]; then
    echo "unity-meta: $meta repeats the GUID of ${guids[$guid]}.meta" >&2
    problems=$((problems + 1))
  else
    guids[$guid]=$rel
  fi
done
# Orphans: a .meta whose asset is gone (Unity warns about each in an immutable package).
while IFS= read -r meta; do
  rel=${meta#./}
  if [ ! -e "${rel%.meta}" ]; then
    echo "unity-meta: orphan $rel" >&2
    problems=$((problems + 1))
  fi
done < <(find . \( -name '.*' -a ! -name '.' -o -name '*~' \) -prune -o -name '*.meta' -print)
if [ "$problems" -gt 0 ]; then
  echo "unity-meta: $problems problems (run bindings/unity/tests/unity-meta.sh write)" >&2
  exit 1
fi
echo "unity-meta: ${#assets[@]} assets, each with a .meta and a unique GUID"
