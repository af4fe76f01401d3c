// The Unity-only code of the package (ModioMarketRunner, the quit/reload hooks), compiled with
// UNITY_5_3_OR_NEWER and UNITY_EDITOR against stand-in engine assemblies (tests/stubs) and driven
// the way the engine would: load hooks, frames calling Update, OnDestroy, quitting, the
// before-reload event. Runs against the fake server.
using System;
using System.Collections.Generic;
using Stopwatch = System.Diagnostics.Stopwatch;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ModioMarket.Interop;
using UnityEditor;
using UnityEngine;

namespace ModioMarket.Tests
{
    internal static class UnityProgram
    {
        private static int Main()
        {
            Suite.Run("unity: the load hooks subscribe once to quitting and before-reload", LoadHooks);
            Suite.Run("unity: the runner pumps attached clients from Update on the main thread", RunnerPumps);
            Suite.Run("unity: ForwardLogsToConsole routes records to Debug", LogsToConsole);
            Suite.Run("unity: an exception from Pump is logged, not thrown into the player loop", PumpExceptionsLogged);
            Suite.Run("unity: destroying the runner disposes only the clients it owns", RunnerDestroy);
            Suite.Run("unity: before a domain reload every client is disposed", BeforeReload);
            Suite.Run("unity: quitting (or leaving play mode) disposes every client", Quitting);
            Suite.Run("unity: in edit mode the runner is hidden and not kept across scene loads", EditMode);
            return Suite.Finish("csharp-unity");
        }

        /// <summary>Frames until the task completes (a real game renders in between).</summary>
        private static void Frames(Task task)
        {
            var clock = Stopwatch.StartNew();
            while (!task.IsCompleted && clock.Elapsed < Drive.Timeout)
            {
                StubEngine.Frame();
                Thread.Sleep(5);
            }
            Check.True(task.IsCompleted, "completed within " + Drive.Timeout.TotalSeconds + " s of frames");
        }

        private static void LoadHooks()
        {
            int ran = StubEngine.RunLoadHooks(typeof(ModioMarketClient).Assembly);
            Check.Equal(2, ran, "one runtime and one editor hook");
            StubEngine.RunLoadHooks(typeof(ModioMarketClient).Assembly); // entering play mode again without a domain reload
            Check.Equal(1, Application.StubQuittingHandlers, "quitting handled once");
            Check.Equal(1, AssemblyReloadEvents.StubBeforeReloadHandlers, "before-reload handled once");
        }

        private static void RunnerPumps()
        {
            Fake.Reset();
            var client = Drive.NewClient();
            ModioMarketRunner runner = ModioMarketRunner.Attach(client);
            Check.True(ReferenceEquals(runner, ModioMarketRunner.Attach(client)), "one runner");
            Check.Equal(1, runner.Clients.Count, "attached once");
            Check.True(StubEngine.DontDestroyOnLoad.Contains(runner.gameObject), "survives scene loads");
            int main = Thread.CurrentThread.ManagedThreadId;
            int continuation = -1;
            Task<Game> game = client.GetGameAsync();
            Task observed = game.ContinueWith(t => continuation = Thread.CurrentThread.ManagedThreadId, TaskContinuationOptions.ExecuteSynchronously);
            Frames(observed);
            Check.Equal("Rogue Knight", game.Result.Name, "completed by the runner");
            Check.Equal(main, continuation, "on the main thread");
            client.Dispose();
            StubEngine.Frame();
            Check.Equal(0, runner.Clients.Count, "a disposed client is dropped");
        }

        private static void LogsToConsole()
        {
            Fake.Reset();
            ModioMarketOptions options = Drive.Options();
            options.LogLevel = ModioMarket.LogLevel.Debug;
            using (var client = new ModioMarketClient(options))
            {
                ModioMarketRunner.Attach(client);
                ModioMarketRunner.ForwardLogsToConsole(client);
                Debug.StubLines.Clear();
                Frames(client.GetModAsync(1001));
                StubEngine.Frame();
                Check.True(Debug.StubLines.Any(l => l.Contains("[mod.io]")), "records in the console: " + string.Join(" | ", Debug.StubLines.Take(3)));
            }
        }

        private static void PumpExceptionsLogged()
        {
            Fake.Reset();
            ModioMarketOptions options = Drive.Options();
            options.LogLevel = ModioMarket.LogLevel.Trace;
            using (var client = new ModioMarketClient(options))
            {
                ModioMarketRunner.Attach(client);
                client.Log += (level, message) => { throw new InvalidOperationException("handler bug"); };
                Debug.StubLines.Clear();
                Task<Game> game = client.GetGameAsync();
                Frames(game); // Update must not throw
                Check.True(Debug.StubLines.Any(l => l.StartsWith("exception: InvalidOperationException: handler bug")), "logged by the runner");
                Check.Equal(TaskStatus.RanToCompletion, game.Status, "the request still completed");
            }
        }

        private static void RunnerDestroy()
        {
            Fake.Reset();
            var owned = Drive.NewClient();
            var borrowed = Drive.NewClient();
            ModioMarketRunner runner = ModioMarketRunner.Attach(owned, true);
            ModioMarketRunner.Attach(borrowed, false);
            Fake.Fault("/v1/games/1", 2, "\"kind\":\"delay\",\"ms\":400");
            Task<Game> ownedTask = owned.GetGameAsync();
            Task<Game> borrowedTask = borrowed.GetGameAsync();
            UnityEngine.Object.Destroy(runner.gameObject);
            Check.True(owned.IsDisposed, "the owned client was disposed");
            Check.Equal(ResultCode.ShutDown, Drive.Faulted(ownedTask).Code, "its request got ShutDown");
            Check.True(!borrowed.IsDisposed, "the borrowed client lives on");
            Check.Equal(1L, Drive.Await(borrowed, borrowedTask).Id, "and still completes");
            Check.True(ModioMarketRunner.Instance != runner, "a new runner is made on demand");
            borrowed.Dispose();
        }

        private static void BeforeReload()
        {
            Fake.Reset();
            int handles = GCHandles.Live;
            Fake.Fault("/v1/games/1", 2, "\"kind\":\"delay\",\"ms\":400");
            var clients = new List<ModioMarketClient> { Drive.NewClient(), Drive.NewClient() };
            foreach (var c in clients)
                ModioMarketRunner.Attach(c);
            List<Task<Game>> tasks = clients.Select(c => c.GetGameAsync()).ToList();
            AssemblyReloadEvents.StubRaiseBeforeAssemblyReload();
            Check.True(clients.All(c => c.IsDisposed), "every client disposed before the reload");
            foreach (Task<Game> t in tasks)
                Check.Equal(ResultCode.ShutDown, Drive.Faulted(t).Code, "ShutDown");
            Check.Equal(handles, GCHandles.Live, "no GCHandle survives into the next domain");
            Check.Equal(0, ClientRegistry.Count, "none registered");
            StubEngine.Frame(); // the runner drops them without touching native code
            Check.Equal(0, ModioMarketRunner.Instance.Clients.Count, "runner emptied");
            Check.Equal(0, Trampolines.Faults, "no trampoline fault");
        }

        private static void EditMode()
        {
            UnityEngine.Object.Destroy(ModioMarketRunner.Instance.gameObject);
            Application.StubIsPlaying = false;
            try
            {
                ModioMarketRunner runner = ModioMarketRunner.Instance;
                Check.Equal(HideFlags.HideAndDontSave, runner.gameObject.hideFlags, "hidden, not saved with the scene");
                Check.True(!StubEngine.DontDestroyOnLoad.Contains(runner.gameObject), "DontDestroyOnLoad is play-mode only");
                UnityEngine.Object.Destroy(runner.gameObject);
            }
            finally
            {
                Application.StubIsPlaying = true;
            }
        }

        private static void Quitting()
        {
            Fake.Reset();
            var client = Drive.NewClient();
            Task<Mod> pending = client.GetModAsync(1001);
            Application.StubQuit();
            Check.True(client.IsDisposed, "disposed on quit");
            Check.Equal(ResultCode.ShutDown, Drive.Faulted(pending).Code, "ShutDown");
        }
    }
}
