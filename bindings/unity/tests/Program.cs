using System;
using System.Threading.Tasks;

namespace ModioMarket.Tests
{
    internal static class Program
    {
        // Usage: mono ModioMarket.Tests.exe HEADER_FACTS_FILE (under scripts/with-fake).
        private static int Main(string[] args)
        {
            if (args.Length != 1)
            {
                Console.Error.WriteLine("usage: ModioMarket.Tests.exe HEADER_FACTS_FILE");
                return 2;
            }
            Console.WriteLine("modio_market " + ModioMarketClient.LibraryVersion + ", " + Environment.Version + (Type.GetType("Mono.Runtime") != null ? " (Mono)" : ""));
            HeaderChecks.Register(HeaderFacts.Load(args[0]));
            ClientTests.Register();
            int status = Suite.Finish("csharp-api");
            LeaveAClientBehind();
            return status;
        }

        // A client the program never disposes, with a request in flight: the ProcessExit hook must
        // dispose it (its task ends with ShutDown, printed for run.sh) and the process must still
        // exit on its own.
        private static void LeaveAClientBehind()
        {
            Fake.Fault("/v1/games/1", 1, "\"kind\":\"delay\",\"ms\":1000");
            ModioMarketClient forgotten = Drive.NewClient();
            forgotten.GetGameAsync().ContinueWith(
                t => Console.WriteLine("at exit: the forgotten client's request ended with " + (t.IsFaulted ? ((ModioMarketException)t.Exception.InnerException).Code.ToString() : t.Status.ToString())),
                TaskContinuationOptions.ExecuteSynchronously);
        }
    }
}
