#!/usr/bin/env python3
"""Checks the unpacked Unity package and Unreal plugin that scripts/package wrote.

Usage: check_packages.py unity PACKAGE_DIR VERSION
       check_packages.py unreal PLUGIN_DIR VERSION
Prints one line per check; exits 1 when any fails.
"""
import json
import os
import re
import sys

failures = []


def check(ok, what):
    print(("    ok   " if ok else "    FAIL ") + what)
    if not ok:
        failures.append(what)


def plugin_platforms(meta_text):
    """The (first, enabled) pairs of a PluginImporter's platformData, e.g. ('Editor: Editor', True)."""
    entries = re.findall(r"  - first:\n      (.*?)\n    second:\n      enabled: (\d)", meta_text)
    return {first.strip(): enabled == "1" for first, enabled in entries}


def editor_os(meta_text):
    match = re.search(r"      Editor: Editor\n    second:\n      enabled: 1\n      settings:\n(?:        .*\n)*?        OS: (\w+)", meta_text)
    return match.group(1) if match else None


def unity(pkg, version):
    with open(os.path.join(pkg, "package.json")) as f:
        manifest = json.load(f)
    check(manifest.get("name") == "io.modio.market", "package.json parses and names io.modio.market")
    check(manifest.get("version") == version, f"package.json version is {version} (is {manifest.get('version')})")
    check(bool(manifest.get("unity")), "package.json names the minimum Unity version")
    for rel in ["tests", "tests.meta"]:
        check(not os.path.exists(os.path.join(pkg, rel)), f"{rel} is not in the package a game imports")
    stubs = [p for p, _, files in os.walk(pkg) for n in files if n in ("UnityEngine.cs", "UnityEditor.cs")]
    check(not stubs, "no stand-in UnityEngine/UnityEditor sources")
    libraries = {
        "Plugins/Windows/x86_64/modio_market.dll": ("Windows", "Standalone: Win64", b"MZ"),
        "Plugins/Linux/x86_64/libmodio_market.so": ("Linux", "Standalone: Linux64", b"\x7fELF"),
    }
    for rel, (os_name, player, magic) in libraries.items():
        path = os.path.join(pkg, rel)
        present = os.path.isfile(path)
        check(present, f"{rel} is present")
        if not present:
            continue
        with open(path, "rb") as f:
            check(f.read(4).startswith(magic), f"{rel} is a {'PE' if magic == b'MZ' else 'ELF'} binary")
        with open(path + ".meta") as f:
            meta = f.read()
        check("PluginImporter:" in meta, f"{rel}.meta is a PluginImporter")
        platforms = plugin_platforms(meta)
        enabled = sorted(k for k, v in platforms.items() if v)
        check(enabled == sorted(["Editor: Editor", player]),
              f"{rel}.meta enables the Editor and {player} only (enables {enabled})")
        check(editor_os(meta) == os_name, f"{rel}.meta loads in the Editor on {os_name} only (OS: {editor_os(meta)})")
        check(f"        Exclude {player.split(': ')[1]}: 0" in meta, f"{rel}.meta does not exclude {player}")


def unreal(plugin, version):
    with open(os.path.join(plugin, "ModioMarket.uplugin")) as f:
        descriptor = json.load(f)
    check(descriptor.get("VersionName") == version, f"ModioMarket.uplugin parses, VersionName {version} (is {descriptor.get('VersionName')})")
    modules = [m.get("Name") for m in descriptor.get("Modules", [])]
    check(modules == ["ModioMarket"], f"ModioMarket.uplugin declares the ModioMarket module ({modules})")
    check(os.path.isfile(os.path.join(plugin, "Source/ModioMarket/ModioMarket.Build.cs")), "the module's Build.cs is present")
    check(not os.path.exists(os.path.join(plugin, "tests")), "the plugin carries no tests")
    third = os.path.join(plugin, "Source/ThirdParty/ModioMarketLibrary")
    expected = {
        "Win64": [("modio_market.dll", b"MZ"), ("modio_market.dll.lib", b"!<arch>")],
        "Linux": [("libmodio_market.a", b"!<arch>")],
        "LinuxArm64": [("libmodio_market.a", b"!<arch>")],
    }
    for platform, files in expected.items():
        for header in ["modio_market.h", "modio_market.hpp"]:
            check(os.path.isfile(os.path.join(third, platform, "include", header)), f"{platform}/include/{header} is present")
        for name, magic in files:
            path = os.path.join(third, platform, "lib", name)
            ok = os.path.isfile(path)
            if ok:
                with open(path, "rb") as f:
                    ok = f.read(len(magic)) == magic
            check(ok, f"{platform}/lib/{name} is present and is a {'PE image' if magic == b'MZ' else 'library archive'}")


if __name__ == "__main__":
    kind, path, version = sys.argv[1:4]
    {"unity": unity, "unreal": unreal}[kind](path, version)
    if failures:
        print(f"    {len(failures)} check(s) failed")
        sys.exit(1)
