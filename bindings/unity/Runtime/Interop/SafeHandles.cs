using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ModioMarket.Interop
{
    /// <summary>
    /// Owns a <c>modio_market_client*</c>. Passing it to a [DllImport] keeps it alive for the
    /// call, so a Dispose racing a call on another thread frees the client only after that call
    /// returns. Releasing it runs <c>modio_market_client_free</c>, which delivers SHUT_DOWN to every
    /// pending request (their trampolines free their GCHandles then), joins the workers and
    /// guarantees no callback afterwards; only then is the log callback's GCHandle freed.
    /// </summary>
    internal sealed class ClientHandle : SafeHandle
    {
        private readonly ManualResetEventSlim _released = new ManualResetEventSlim(false);
        private IntPtr _logUserData;

        internal ClientHandle(IntPtr client, IntPtr logUserData)
            : base(IntPtr.Zero, true)
        {
            SetHandle(client);
            _logUserData = logUserData;
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>The log sink's GCHandle, passed as the log callback's user_data.</summary>
        internal IntPtr LogUserData
        {
            get { return _logUserData; }
        }

        /// <summary>
        /// Disposes the handle and waits until the native client was actually freed. When another
        /// thread is inside a call that holds the handle (a request started there, a token
        /// cancelled from a timer thread), SafeHandle defers the free to the end of that call, on
        /// that thread; the SHUT_DOWN completions it delivers are queued only then, so the caller
        /// must not drain before. Native calls never wait on managed code: the wait is short (at
        /// most a PumpUntil slice, plus the 2 s the free may spend on a worker stuck on the network).
        /// </summary>
        internal void DisposeAndWaitForFree()
        {
            Dispose();
            _released.Wait();
        }

        protected override bool ReleaseHandle()
        {
            Trampolines.EnterPump(); // free delivers SHUT_DOWN (and flushes logs) on this thread
            try
            {
                Native.modio_market_client_free(handle);
                IntPtr log = _logUserData;
                _logUserData = IntPtr.Zero;
                GCHandles.Free(log);
            }
            finally
            {
                Trampolines.ExitPump();
                _released.Set();
            }
            return true;
        }
    }

    /// <summary>Owns a <c>modio_market_config*</c> (short-lived: a client copies its config).</summary>
    internal sealed class ConfigHandle : SafeHandle
    {
        internal ConfigHandle(IntPtr config)
            : base(IntPtr.Zero, true)
        {
            SetHandle(config);
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            Native.modio_market_config_free(handle);
            return true;
        }
    }
}
