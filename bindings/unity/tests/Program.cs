using System;

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
            return Suite.Finish("csharp-api");
        }
    }
}
