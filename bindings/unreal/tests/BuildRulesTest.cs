// Runs ModioMarket.Build.cs outside Unreal: a stub of the UnrealBuildTool types it touches, then
// one case per platform against a scratch plugin folder, with and without staged libraries.
// Usage: mono BuildRulesTest.exe SCRATCH_DIR   (exit status = failed checks)
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace UnrealBuildTool
{
	public class BuildException : Exception
	{
		public BuildException(string Message) : base(Message) { }
	}

	public sealed class UnrealTargetPlatform
	{
		private readonly string Name;
		private UnrealTargetPlatform(string InName) { Name = InName; }
		public override string ToString() { return Name; }
		public static readonly UnrealTargetPlatform Win64 = new UnrealTargetPlatform("Win64");
		public static readonly UnrealTargetPlatform Mac = new UnrealTargetPlatform("Mac");
		public static readonly UnrealTargetPlatform Linux = new UnrealTargetPlatform("Linux");
		public static readonly UnrealTargetPlatform LinuxArm64 = new UnrealTargetPlatform("LinuxArm64");
		public static readonly UnrealTargetPlatform Android = new UnrealTargetPlatform("Android");
		public static readonly UnrealTargetPlatform IOS = new UnrealTargetPlatform("IOS");
		/// A console-like platform the plugin has no special case for.
		public static readonly UnrealTargetPlatform Console = new UnrealTargetPlatform("SomeConsole");
	}

	public class ReadOnlyTargetRules
	{
		public UnrealTargetPlatform Platform;
	}

	public class RuntimeDependencyList : List<KeyValuePair<string, string>>
	{
		public void Add(string Path) { Add(new KeyValuePair<string, string>(Path, null)); }
		public void Add(string Path, string Source) { Add(new KeyValuePair<string, string>(Path, Source)); }
	}

	public class ModuleRules
	{
		public enum PCHUsageMode { UseExplicitOrSharedPCHs }

		public static string NextPluginDirectory;
		public static ReadOnlyTargetRules NextTarget;

		public ModuleRules(ReadOnlyTargetRules InTarget)
		{
			Target = InTarget;
			PluginDirectory = NextPluginDirectory;
		}

		public ReadOnlyTargetRules Target;
		public string PluginDirectory;
		public PCHUsageMode PCHUsage;
		public List<string> PublicDependencyModuleNames = new List<string>();
		public List<string> PrivateDependencyModuleNames = new List<string>();
		public List<string> PublicIncludePaths = new List<string>();
		public List<string> PublicAdditionalLibraries = new List<string>();
		public List<string> PublicSystemLibraries = new List<string>();
		public List<string> PublicFrameworks = new List<string>();
		public List<string> PublicDelayLoadDLLs = new List<string>();
		public List<string> PublicDefinitions = new List<string>();
		public RuntimeDependencyList RuntimeDependencies = new RuntimeDependencyList();
	}
}

public static class BuildRulesTest
{
	static int Failures = 0;
	static string Scratch;

	static void Check(bool Ok, string What)
	{
		Console.WriteLine((Ok ? "ok   " : "FAIL ") + What);
		if (!Ok) Failures++;
	}

	/// A fresh plugin folder holding `Files` (relative to ThirdParty/ModioMarketLibrary).
	static string Plugin(string Case, params string[] Files)
	{
		string Dir = Path.Combine(Scratch, Case);
		if (Directory.Exists(Dir)) Directory.Delete(Dir, true);
		foreach (string File in Files)
		{
			string Full = Path.Combine(Dir, "Source", "ThirdParty", "ModioMarketLibrary", File);
			Directory.CreateDirectory(Path.GetDirectoryName(Full));
			System.IO.File.WriteAllText(Full, "stub");
		}
		return Dir;
	}

	static string[] Headers(string Platform)
	{
		return new string[] { Platform + "/include/modio_market.h", Platform + "/include/modio_market.hpp" };
	}

	static ModioMarket Rules(UnrealBuildTool.UnrealTargetPlatform Platform, string PluginDir, out string Error)
	{
		UnrealBuildTool.ModuleRules.NextPluginDirectory = PluginDir;
		Error = null;
		try
		{
			return new ModioMarket(new UnrealBuildTool.ReadOnlyTargetRules { Platform = Platform });
		}
		catch (UnrealBuildTool.BuildException e)
		{
			Error = e.Message;
			return null;
		}
	}

	static bool EndsWithAny(IEnumerable<string> Items, string Suffix)
	{
		return Items.Any(i => i.Replace('\\', '/').EndsWith(Suffix));
	}

	public static int Main(string[] Args)
	{
		Scratch = Path.GetFullPath(Args.Length > 0 ? Args[0] : "build-rules-scratch");
		Directory.CreateDirectory(Scratch);
		string Error;

		// Linux, static.
		string Dir = Plugin("linux-static", Headers("Linux").Concat(new[] { "Linux/lib/libmodio_market.a", "Linux/lib/libmodio_market.so" }).ToArray());
		ModioMarket R = Rules(UnrealBuildTool.UnrealTargetPlatform.Linux, Dir, out Error);
		Check(R != null && EndsWithAny(R.PublicAdditionalLibraries, "Linux/lib/libmodio_market.a") && R.PublicAdditionalLibraries.Count == 1,
			"Linux: the static library is preferred when both kinds are staged");
		Check(R != null && R.PublicSystemLibraries.Contains("pthread") && R.PublicSystemLibraries.Contains("dl") && R.PublicSystemLibraries.Contains("m"),
			"Linux static: pthread, dl and m are linked");
		Check(R != null && R.PublicDefinitions.Contains("MODIO_MARKET_SHARED_LIBRARY=0") && R.RuntimeDependencies.Count == 0,
			"Linux static: no runtime dependency, MODIO_MARKET_SHARED_LIBRARY=0");
		Check(R != null && EndsWithAny(R.PublicIncludePaths, "Linux/include"), "Linux: the platform's include folder is public");
		Check(R != null && R.PublicDependencyModuleNames.Contains("Engine") && R.PublicDependencyModuleNames.Contains("DeveloperSettings"),
			"the module depends on Engine and DeveloperSettings");

		// Linux, shared only.
		Dir = Plugin("linux-shared", Headers("Linux").Concat(new[] { "Linux/lib/libmodio_market.so" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Linux, Dir, out Error);
		Check(R != null && R.PublicDefinitions.Contains("MODIO_MARKET_SHARED_LIBRARY=1") &&
				  R.PublicDefinitions.Any(d => d.StartsWith("MODIO_MARKET_SHARED_LIBRARY_PATH=") && d.Contains("Binaries/ThirdParty/ModioMarketLibrary/Linux/libmodio_market.so")) &&
				  R.RuntimeDependencies.Any(d => d.Key.StartsWith("$(PluginDir)/Binaries/ThirdParty/ModioMarketLibrary/Linux/") && d.Value.EndsWith("Linux/lib/libmodio_market.so")) &&
				  R.PublicDelayLoadDLLs.Count == 1,
			"Linux shared: staged as a runtime dependency, delay-loaded, path handed to the module");

		// Win64.
		Dir = Plugin("win-static", Headers("Win64").Concat(new[] { "Win64/lib/modio_market.lib" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Win64, Dir, out Error);
		Check(R != null && EndsWithAny(R.PublicAdditionalLibraries, "Win64/lib/modio_market.lib") && R.PublicSystemLibraries.Contains("ws2_32.lib") &&
				  R.PublicSystemLibraries.Contains("userenv.lib") && R.PublicSystemLibraries.Contains("bcrypt.lib"),
			"Win64 static: modio_market.lib plus the Windows libraries Rust needs");
		Dir = Plugin("win-dll", Headers("Win64").Concat(new[] { "Win64/lib/modio_market.dll", "Win64/lib/modio_market.dll.lib" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Win64, Dir, out Error);
		Check(R != null && EndsWithAny(R.PublicAdditionalLibraries, "Win64/lib/modio_market.dll.lib") && R.PublicDelayLoadDLLs.SequenceEqual(new[] { "modio_market.dll" }) &&
				  R.RuntimeDependencies.Any(d => d.Key.EndsWith("/Win64/modio_market.dll") && d.Value.EndsWith("modio_market.dll")),
			"Win64 shared: import library, delay-loaded modio_market.dll, staged with the plugin");
		Dir = Plugin("win-dll-no-import", Headers("Win64").Concat(new[] { "Win64/lib/modio_market.dll" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Win64, Dir, out Error);
		Check(R == null && Error != null && Error.Contains("modio_market.dll.lib") && Error.Contains("Win64"),
			"Win64: a DLL without its import library fails and names the missing file");

		// Mac, iOS, Android.
		Dir = Plugin("mac", Headers("Mac").Concat(new[] { "Mac/lib/libmodio_market.a" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Mac, Dir, out Error);
		Check(R != null && EndsWithAny(R.PublicAdditionalLibraries, "Mac/lib/libmodio_market.a") && R.PublicFrameworks.Contains("Security") &&
				  R.PublicFrameworks.Contains("SystemConfiguration"),
			"Mac: the static library with Security and SystemConfiguration");
		Dir = Plugin("ios-missing", Headers("IOS"));
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.IOS, Dir, out Error);
		Check(R == null && Error != null && Error.Contains("IOS") && Error.Contains("libmodio_market.a") && Error.Contains("README"),
			"IOS without a library fails: " + Error);
		Dir = Plugin("android", Headers("Android").Concat(new[] { "Android/lib/arm64-v8a/libmodio_market.a" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Android, Dir, out Error);
		Check(R != null && EndsWithAny(R.PublicAdditionalLibraries, "Android/lib/arm64-v8a/libmodio_market.a") && R.PublicAdditionalLibraries.Count == 1,
			"Android: the arm64-v8a library");

		// Missing headers, other platforms.
		Dir = Plugin("no-headers", "Linux/lib/libmodio_market.a");
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Linux, Dir, out Error);
		Check(R == null && Error != null && Error.Contains("modio_market.h") && Error.Contains("stage-library.sh"),
			"missing headers fail with the header's name and how to stage it");
		Dir = Plugin("console-missing", Headers("SomeConsole"));
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Console, Dir, out Error);
		Check(R == null && Error != null && Error.Contains("SomeConsole") && Error.Contains("SDK") && Error.Contains("PlatformDenyList"),
			"a console without a binary fails with what to build or how to exclude it: " + Error);
		Dir = Plugin("console", Headers("SomeConsole").Concat(new[] { "SomeConsole/lib/libmodio_market.a" }).ToArray());
		R = Rules(UnrealBuildTool.UnrealTargetPlatform.Console, Dir, out Error);
		Check(R != null && EndsWithAny(R.PublicAdditionalLibraries, "SomeConsole/lib/libmodio_market.a"), "a console with a static library links it");

		Console.WriteLine(Failures == 0 ? "Build.cs: all checks passed" : ("Build.cs: " + Failures + " failed"));
		return Failures;
	}
}
