// ModioMarket runtime module: Unreal types, a game-instance subsystem and async Blueprint nodes over
// the modio_market C++ wrapper (modio_market.hpp) and the native library.
//
// The library and its headers come from Source/ThirdParty/ModioMarketLibrary/<Platform>/:
//   include/modio_market.h, include/modio_market.hpp      (copied from capi/include/ and bindings/cpp/)
//   lib/<the library for that platform>                     (see the table in bindings/unreal/README.md)
// A static library is preferred where both kinds are present. A platform without a binary fails
// the build with a message that says which file is missing.

using System;
using System.Collections.Generic;
using System.IO;
using UnrealBuildTool;

public class ModioMarket : ModuleRules
{
	public ModioMarket(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;

		PublicDependencyModuleNames.AddRange(new string[] { "Core", "CoreUObject", "Engine", "DeveloperSettings" });
		PrivateDependencyModuleNames.AddRange(new string[] { "Projects" });

		string PlatformName = Target.Platform.ToString();
		string LibraryRoot = Path.GetFullPath(Path.Combine(PluginDirectory, "Source", "ThirdParty", "ModioMarketLibrary"));
		string PlatformRoot = Path.Combine(LibraryRoot, PlatformName);
		string IncludeDir = Path.Combine(PlatformRoot, "include");
		string LibDir = Path.Combine(PlatformRoot, "lib");
		// Shared libraries are staged here (relative to the plugin) and loaded from here by
		// FModioMarketModule::StartupModule.
		string StagedDir = "Binaries/ThirdParty/ModioMarketLibrary/" + PlatformName;

		foreach (string Header in new string[] { "modio_market.h", "modio_market.hpp" })
		{
			if (!File.Exists(Path.Combine(IncludeDir, Header)))
			{
				Fail(PlatformName, string.Format("the header {0} is missing from {1}", Header, IncludeDir));
			}
		}
		PublicIncludePaths.Add(IncludeDir);

		if (Target.Platform == UnrealTargetPlatform.Win64)
		{
			string StaticLib = Path.Combine(LibDir, "modio_market.lib");
			string Dll = Path.Combine(LibDir, "modio_market.dll");
			string ImportLib = Path.Combine(LibDir, "modio_market.dll.lib");
			if (File.Exists(StaticLib))
			{
				PublicAdditionalLibraries.Add(StaticLib);
				// What a Rust staticlib needs from Windows (`--print native-static-libs`).
				PublicSystemLibraries.AddRange(new string[] {
					"kernel32.lib", "advapi32.lib", "ntdll.lib", "userenv.lib", "ws2_32.lib", "bcrypt.lib", "dbghelp.lib", "crypt32.lib", "secur32.lib", "ncrypt.lib"
				});
				PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=0");
			}
			else if (File.Exists(Dll) && File.Exists(ImportLib))
			{
				AddSharedLibrary("modio_market.dll", Dll, StagedDir);
				PublicAdditionalLibraries.Add(ImportLib);
			}
			else
			{
				Fail(PlatformName, string.Format("expected {0} (static), or {1} with {2} (shared)", StaticLib, Dll, ImportLib));
			}
		}
		else if (Target.Platform == UnrealTargetPlatform.Mac)
		{
			// A universal (arm64 + x86_64) library: `lipo -create` the two cargo targets.
			string StaticLib = Path.Combine(LibDir, "libmodio_market.a");
			string Dylib = Path.Combine(LibDir, "libmodio_market.dylib");
			PublicFrameworks.AddRange(new string[] { "Security", "SystemConfiguration", "CoreFoundation" });
			if (File.Exists(StaticLib))
			{
				PublicAdditionalLibraries.Add(StaticLib);
				PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=0");
			}
			else if (File.Exists(Dylib))
			{
				AddSharedLibrary("libmodio_market.dylib", Dylib, StagedDir);
			}
			else
			{
				Fail(PlatformName, string.Format("expected {0} (static) or {1} (shared)", StaticLib, Dylib));
			}
		}
		else if (Target.Platform == UnrealTargetPlatform.Linux || Target.Platform == UnrealTargetPlatform.LinuxArm64)
		{
			string StaticLib = Path.Combine(LibDir, "libmodio_market.a");
			string So = Path.Combine(LibDir, "libmodio_market.so");
			if (File.Exists(StaticLib))
			{
				PublicAdditionalLibraries.Add(StaticLib);
				PublicSystemLibraries.AddRange(new string[] { "pthread", "dl", "m" });
				PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=0");
			}
			else if (File.Exists(So))
			{
				// Needs a SONAME (see the README) so the game does not record this build path.
				AddSharedLibrary("libmodio_market.so", So, StagedDir);
				PublicAdditionalLibraries.Add(So);
			}
			else
			{
				Fail(PlatformName, string.Format("expected {0} (static) or {1} (shared)", StaticLib, So));
			}
		}
		else if (Target.Platform == UnrealTargetPlatform.Android)
		{
			// One static library per ABI directory; Unreal links the one matching each architecture.
			List<string> Found = new List<string>();
			foreach (string Abi in new string[] { "arm64-v8a", "x86_64" })
			{
				string StaticLib = Path.Combine(LibDir, Abi, "libmodio_market.a");
				if (File.Exists(StaticLib))
				{
					PublicAdditionalLibraries.Add(StaticLib);
					Found.Add(Abi);
				}
			}
			if (Found.Count == 0)
			{
				Fail(PlatformName, string.Format("expected {0}", Path.Combine(LibDir, "arm64-v8a", "libmodio_market.a")));
			}
			PublicSystemLibraries.AddRange(new string[] { "dl", "m", "log" });
			PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=0");
		}
		else if (Target.Platform == UnrealTargetPlatform.IOS)
		{
			// iOS links statically (aarch64-apple-ios).
			string StaticLib = Path.Combine(LibDir, "libmodio_market.a");
			if (!File.Exists(StaticLib))
			{
				Fail(PlatformName, string.Format("expected {0}", StaticLib));
			}
			PublicAdditionalLibraries.Add(StaticLib);
			PublicFrameworks.AddRange(new string[] { "Security", "SystemConfiguration", "CoreFoundation" });
			PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=0");
		}
		else
		{
			// Consoles and other platforms: a static library built with that platform's SDK.
			string[] Candidates = new string[] { Path.Combine(LibDir, "libmodio_market.a"), Path.Combine(LibDir, "modio_market.lib") };
			string Chosen = Array.Find(Candidates, File.Exists);
			if (Chosen == null)
			{
				Fail(PlatformName, string.Format("expected a static library built with the {0} SDK: {1}", PlatformName, string.Join(" or ", Candidates)));
			}
			PublicAdditionalLibraries.Add(Chosen);
			PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=0");
		}
	}

	// Copies the shared library into the plugin's Binaries at build/stage time, delay-loads it,
	// and tells the module which file to load at startup (a path relative to the plugin).
	private void AddSharedLibrary(string FileName, string Source, string StagedDir)
	{
		string Relative = StagedDir + "/" + FileName;
		string Staged = "$(PluginDir)/" + Relative;
		RuntimeDependencies.Add(Staged, Source);
		PublicDelayLoadDLLs.Add(Target.Platform == UnrealTargetPlatform.Win64 ? FileName : Staged);
		PublicDefinitions.Add("MODIO_MARKET_SHARED_LIBRARY=1");
		PublicDefinitions.Add(string.Format("MODIO_MARKET_SHARED_LIBRARY_PATH=TEXT(\"{0}\")", Relative));
	}

	private static void Fail(string PlatformName, string What)
	{
		throw new BuildException(string.Format(
			"ModioMarket: no modio_market library for {0}: {1}. Build it (cargo build --release -p modio-market-artifact --target <triple>) " +
			"and copy it with bindings/unreal/stage-library.sh, or add \"{0}\" to the module's PlatformDenyList in ModioMarket.uplugin. " +
			"See bindings/unreal/README.md.", PlatformName, What));
	}
}
