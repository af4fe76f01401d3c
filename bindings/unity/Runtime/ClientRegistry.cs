using System;
using System.Collections.Generic;

namespace ModioMarket
{
    /// <summary>
    /// Every live client, so that none outlives the code that can receive its callbacks. Unity's
    /// domain reload unloads the assemblies (and with them the delegates native code points at):
    /// before that, and when the application quits or play mode ends, every client still alive is
    /// disposed, which delivers SHUT_DOWN to its pending requests and joins its worker threads.
    /// Outside Unity the same happens on AppDomain unload and process exit.
    /// </summary>
    internal static class ClientRegistry
    {
        private static readonly object s_lock = new object();
        private static readonly HashSet<ModioMarketClient> s_live = new HashSet<ModioMarketClient>();
        private static bool s_hooked;

        internal static int Count
        {
            get
            {
                lock (s_lock)
                    return s_live.Count;
            }
        }

        internal static void Add(ModioMarketClient client)
        {
            lock (s_lock)
            {
                s_live.Add(client);
                if (s_hooked)
                    return;
                s_hooked = true;
            }
            AppDomain.CurrentDomain.DomainUnload += OnUnload;
            AppDomain.CurrentDomain.ProcessExit += OnUnload;
        }

        internal static void Remove(ModioMarketClient client)
        {
            lock (s_lock)
                s_live.Remove(client);
        }

        /// <summary>Disposes every client still alive; returns how many.</summary>
        internal static int DisposeAll()
        {
            ModioMarketClient[] clients;
            lock (s_lock)
            {
                clients = new ModioMarketClient[s_live.Count];
                s_live.CopyTo(clients);
            }
            foreach (ModioMarketClient client in clients)
            {
                try
                {
                    client.Dispose();
                }
                catch (Exception)
                {
                    // Keep going: every other client must still be freed.
                }
            }
            return clients.Length;
        }

        private static void OnUnload(object sender, EventArgs e)
        {
            DisposeAll();
        }

#if UNITY_5_3_OR_NEWER
        [UnityEngine.RuntimeInitializeOnLoadMethod(UnityEngine.RuntimeInitializeLoadType.SubsystemRegistration)]
        private static void HookPlayer()
        {
            // Also raised when play mode ends in the Editor. -= first: with domain reload disabled
            // this runs again on every entry into play mode.
            UnityEngine.Application.quitting -= OnQuitting;
            UnityEngine.Application.quitting += OnQuitting;
        }

        private static void OnQuitting()
        {
            DisposeAll();
        }
#endif

#if UNITY_EDITOR
        [UnityEditor.InitializeOnLoadMethod]
        private static void HookEditor()
        {
            UnityEditor.AssemblyReloadEvents.beforeAssemblyReload -= OnBeforeAssemblyReload;
            UnityEditor.AssemblyReloadEvents.beforeAssemblyReload += OnBeforeAssemblyReload;
        }

        private static void OnBeforeAssemblyReload()
        {
            DisposeAll();
        }
#endif
    }
}
