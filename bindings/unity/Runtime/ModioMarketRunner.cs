#if UNITY_5_3_OR_NEWER
using System;
using System.Collections.Generic;
using UnityEngine;

namespace ModioMarket
{
    /// <summary>
    /// Pumps attached clients once per frame from Update, on the main thread, so their tasks
    /// complete (and their continuations run) there. One hidden-from-scenes instance lives on a
    /// DontDestroyOnLoad GameObject; it is created by the first <see cref="Attach"/>.
    /// When the runner is destroyed (application quit, play mode end) it disposes the clients
    /// attached with <c>disposeWithRunner</c>. Main thread only, like every GameObject. In edit
    /// mode (Editor tools) Update does not run: call client.Pump() from EditorApplication.update.
    /// </summary>
    [DisallowMultipleComponent]
    [AddComponentMenu("")]
    public sealed class ModioMarketRunner : MonoBehaviour
    {
        private static ModioMarketRunner s_instance;

        private readonly List<ModioMarketClient> _clients = new List<ModioMarketClient>();
        private readonly List<ModioMarketClient> _owned = new List<ModioMarketClient>();

        /// <summary>The runner, created on first use.</summary>
        public static ModioMarketRunner Instance
        {
            get
            {
                if (s_instance == null)
                {
                    var host = new GameObject("mod.io Marketplace");
                    if (Application.isPlaying)
                        DontDestroyOnLoad(host);
                    else
                        host.hideFlags = HideFlags.HideAndDontSave; // Update does not run in edit mode: pump from EditorApplication.update
                    s_instance = host.AddComponent<ModioMarketRunner>();
                }
                return s_instance;
            }
        }

        /// <summary>Pumps <paramref name="client"/> every frame until it is disposed or detached.</summary>
        /// <param name="disposeWithRunner">Dispose the client when the runner is destroyed.</param>
        public static ModioMarketRunner Attach(ModioMarketClient client, bool disposeWithRunner = true)
        {
            if (client == null)
                throw new ArgumentNullException("client");
            ModioMarketRunner runner = Instance;
            if (!runner._clients.Contains(client))
                runner._clients.Add(client);
            if (disposeWithRunner && !runner._owned.Contains(client))
                runner._owned.Add(client);
            return runner;
        }

        /// <summary>Stops pumping <paramref name="client"/> (it is not disposed).</summary>
        public void Detach(ModioMarketClient client)
        {
            _clients.Remove(client);
            _owned.Remove(client);
        }

        /// <summary>Clients pumped each frame.</summary>
        public IReadOnlyList<ModioMarketClient> Clients
        {
            get { return _clients; }
        }

        /// <summary>Sends the client's log records to the Unity console, tagged [mod.io].</summary>
        public static void ForwardLogsToConsole(ModioMarketClient client)
        {
            if (client == null)
                throw new ArgumentNullException("client");
            client.Log += LogToConsole;
        }

        private static void LogToConsole(LogLevel level, string message)
        {
            switch (level)
            {
                case LogLevel.Error:
                    Debug.LogError("[mod.io] " + message);
                    break;
                case LogLevel.Warn:
                    Debug.LogWarning("[mod.io] " + message);
                    break;
                default:
                    Debug.Log("[mod.io] " + message);
                    break;
            }
        }

        private void Update()
        {
            // Backwards: a continuation may dispose or detach a client while we pump.
            for (int i = _clients.Count - 1; i >= 0; i--)
            {
                if (i >= _clients.Count)
                    continue;
                ModioMarketClient client = _clients[i];
                if (client.IsDisposed)
                {
                    _clients.RemoveAt(i);
                    _owned.Remove(client);
                    continue;
                }
                try
                {
                    client.Pump();
                }
                catch (Exception e)
                {
                    Debug.LogException(e);
                }
            }
        }

        private void OnDestroy()
        {
            ModioMarketClient[] owned = _owned.ToArray();
            _owned.Clear();
            _clients.Clear();
            foreach (ModioMarketClient client in owned)
                client.Dispose();
            if (s_instance == this)
                s_instance = null;
        }
    }
}
#endif
