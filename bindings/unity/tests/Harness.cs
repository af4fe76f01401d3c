// A small test harness for the Mono suite: named checks, assertions, the fake server's control
// interface, and helpers that drive a client until a task completes.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using ModioMarket;

namespace ModioMarket.Tests
{
    internal sealed class AssertionFailed : Exception
    {
        public AssertionFailed(string message) : base(message) { }
    }

    internal static class Check
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
                throw new AssertionFailed(what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionFailed(what + ": expected <" + expected + ">, got <" + actual + ">");
        }

        public static TException Throws<TException>(Action action, string what) where TException : Exception
        {
            try
            {
                action();
            }
            catch (TException e)
            {
                return e;
            }
            catch (Exception e)
            {
                throw new AssertionFailed(what + ": expected " + typeof(TException).Name + ", got " + e.GetType().Name + ": " + e.Message);
            }
            throw new AssertionFailed(what + ": expected " + typeof(TException).Name + ", nothing was thrown");
        }
    }

    internal static class Suite
    {
        public static int Passed;
        public static int Failed;
        private static readonly List<string> Failures = new List<string>();

        // MODIO_MARKET_TEST_FILTER=text runs only the checks whose name contains it (for development).
        private static readonly string Filter = Environment.GetEnvironmentVariable("MODIO_MARKET_TEST_FILTER");

        public static void Run(string name, Action body)
        {
            if (!string.IsNullOrEmpty(Filter) && name.IndexOf(Filter, StringComparison.Ordinal) < 0)
                return;
            Stopwatch clock = Stopwatch.StartNew();
            int faults = ModioMarket.Interop.Trampolines.Faults;
            try
            {
                body();
                // Every check also guards the callback contract: no trampoline ran without live
                // state, threw, or arrived outside poll/wait/free on the calling thread.
                int now = ModioMarket.Interop.Trampolines.Faults;
                if (now != faults)
                    throw new AssertionFailed((now - faults) + " trampoline faults (a callback outside poll/wait/free, or without live state)");
                Passed++;
                Console.WriteLine("ok   - " + name + " (" + clock.ElapsedMilliseconds + " ms)");
            }
            catch (Exception e)
            {
                Failed++;
                Failures.Add(name);
                Console.WriteLine("FAIL - " + name + ": " + e);
            }
        }

        public static int Finish(string label)
        {
            foreach (string name in Failures)
                Console.WriteLine("failed: " + name);
            Console.WriteLine(label + ": " + Passed + " passed, " + Failed + " failed");
            return Failed == 0 ? 0 : 1;
        }
    }

    /// <summary>The fake mod.io server started by scripts/with-fake.</summary>
    internal static class Fake
    {
        public static readonly string BaseUrl = Env("MODIO_MARKET_BASE_URL");
        public static readonly string Control = Env("FAKE_MODIO_CONTROL");
        public static readonly long GameId = long.Parse(Env("MODIO_MARKET_GAME_ID"));
        public static readonly string ApiKey = Env("MODIO_MARKET_API_KEY");
        public static readonly string AliceTicket = Env("MODIO_MARKET_STEAM_TICKET");
        public const string BobTicket = "demo-steam-ticket-bob";
        public const string CarolTicket = "demo-steam-ticket-carol";

        private static string Env(string name)
        {
            string value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value))
                throw new InvalidOperationException(name + " is not set: run under scripts/with-fake");
            return value;
        }

        /// <summary>Back to the demo seed (also clears faults, charges and the request log).</summary>
        public static void Reset()
        {
            Post("/reset", "{}");
            Post("/seed/demo", "{}");
        }

        public static string Post(string path, string json)
        {
            return Http("POST", Control + path, json);
        }

        public static string Get(string path)
        {
            return Http("GET", Control + path, null);
        }

        /// <summary>Makes the next <paramref name="count"/> requests under <paramref name="path"/> misbehave.</summary>
        public static void Fault(string path, int count, string kindAndParams)
        {
            Post("/faults", "{\"path\":\"" + path + "\",\"count\":" + count + "," + kindAndParams + "}");
        }

        public static string Http(string method, string url, string body)
        {
            var request = (HttpWebRequest)WebRequest.Create(url);
            request.Proxy = null;
            request.Method = method;
            request.Timeout = 10000;
            if (body != null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(body);
                request.ContentType = "application/json";
                request.ContentLength = bytes.Length;
                using (Stream stream = request.GetRequestStream())
                    stream.Write(bytes, 0, bytes.Length);
            }
            try
            {
                using (var response = (HttpWebResponse)request.GetResponse())
                using (var reader = new StreamReader(response.GetResponseStream(), Encoding.UTF8))
                    return reader.ReadToEnd();
            }
            catch (WebException e)
            {
                string text = "";
                if (e.Response != null)
                    using (var reader = new StreamReader(e.Response.GetResponseStream(), Encoding.UTF8))
                        text = reader.ReadToEnd();
                throw new InvalidOperationException(method + " " + url + " failed: " + e.Message + " " + text);
            }
        }

        /// <summary>The first integer value of "name" in a JSON text (enough for control answers).</summary>
        public static long JsonLong(string json, string name)
        {
            Match m = Regex.Match(json, "\"" + Regex.Escape(name) + "\"\\s*:\\s*(-?\\d+)");
            if (!m.Success)
                throw new AssertionFailed("no \"" + name + "\" number in " + Shorten(json));
            return long.Parse(m.Groups[1].Value);
        }

        public static string JsonString(string json, string name)
        {
            Match m = Regex.Match(json, "\"" + Regex.Escape(name) + "\"\\s*:\\s*\"([^\"]*)\"");
            if (!m.Success)
                throw new AssertionFailed("no \"" + name + "\" string in " + Shorten(json));
            return m.Groups[1].Value;
        }

        public static int Count(string text, string needle)
        {
            int count = 0;
            for (int at = text.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = text.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
                count++;
            return count;
        }

        private static string Shorten(string s)
        {
            return s.Length <= 300 ? s : s.Substring(0, 300) + "...";
        }
    }

    internal static class Drive
    {
        public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

        public static ModioMarketOptions Options()
        {
            return new ModioMarketOptions(Fake.GameId, Fake.ApiKey) { BaseUrl = Fake.BaseUrl, LogLevel = LogLevel.None };
        }

        public static ModioMarketClient NewClient()
        {
            return new ModioMarketClient(Options());
        }

        /// <summary>Pumps until the task completes and returns its result (rethrowing its exception as is).</summary>
        public static T Await<T>(ModioMarketClient client, Task<T> task)
        {
            if (!client.PumpUntil(task, Timeout))
                throw new AssertionFailed("the task did not complete within " + Timeout.TotalSeconds + " s");
            return task.GetAwaiter().GetResult();
        }

        public static void Await(ModioMarketClient client, Task task)
        {
            if (!client.PumpUntil(task, Timeout))
                throw new AssertionFailed("the task did not complete within " + Timeout.TotalSeconds + " s");
            task.GetAwaiter().GetResult();
        }

        /// <summary>Pumps until the task faults and returns its ModioMarketException.</summary>
        public static ModioMarketException Fails<T>(ModioMarketClient client, Task<T> task)
        {
            if (!client.PumpUntil(task, Timeout))
                throw new AssertionFailed("the task did not complete within " + Timeout.TotalSeconds + " s");
            return Faulted(task);
        }

        public static ModioMarketException Faulted(Task task)
        {
            Check.True(task.IsFaulted, "the task faulted (status " + task.Status + ")");
            Exception inner = task.Exception.InnerException;
            var e = inner as ModioMarketException;
            if (e == null)
                throw new AssertionFailed("expected a ModioMarketException, got " + inner);
            return e;
        }

        public static void HttpError(ModioMarketException e, int status, long errorRef, string refName)
        {
            Check.Equal(ResultCode.Http, e.Code, "code");
            Check.Equal(status, e.HttpStatus, "HTTP status");
            Check.Equal(errorRef, e.ErrorRef, "error_ref");
            Check.Equal(refName, e.ErrorRefName, "error_ref name");
            Check.True(!string.IsNullOrEmpty(e.Message), "the error has a message");
        }

        public static AccessToken SignIn(ModioMarketClient client, string ticket)
        {
            return Await(client, client.AuthenticateSteamAsync(ticket, true));
        }

        /// <summary>
        /// Waits (bounded) until no worker thread of the library is left in the process and
        /// returns 0. Every test disposes its clients, but a worker that was blocked on the network
        /// when its client was freed is detached after 2 s and ends only when its answer arrives.
        /// </summary>
        public static int QuiescentWorkers()
        {
            Stopwatch clock = Stopwatch.StartNew();
            while (NativeWorkerThreads() > 0 && clock.Elapsed < Timeout)
                System.Threading.Thread.Sleep(20);
            Check.Equal(0, NativeWorkerThreads(), "no library worker thread left from earlier tests");
            return 0;
        }

        /// <summary>
        /// Asserts the library's worker threads drop to <paramref name="expected"/> within a few
        /// seconds. Not instantaneous on purpose: runtime.rs joins a worker only if is_finished()
        /// right after it signalled its exit, so one that signalled but had not returned yet is
        /// detached and disappears a moment after free returns.
        /// </summary>
        public static void WorkersSettleTo(int expected, string what)
        {
            Stopwatch clock = Stopwatch.StartNew();
            while (NativeWorkerThreads() > expected && clock.Elapsed < TimeSpan.FromSeconds(5))
                System.Threading.Thread.Sleep(10);
            Check.Equal(expected, NativeWorkerThreads(), what);
        }

        /// <summary>The library's worker threads alive in this process (they are named modio-market-N).</summary>
        public static int NativeWorkerThreads()
        {
            int count = 0;
            foreach (string task in Directory.GetDirectories("/proc/self/task"))
            {
                string comm;
                try
                {
                    comm = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                }
                catch (IOException)
                {
                    continue; // the thread ended while we looked
                }
                if (comm.StartsWith("modio-market", StringComparison.Ordinal))
                    count++;
            }
            return count;
        }
    }
}
