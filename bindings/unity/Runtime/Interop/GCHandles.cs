using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ModioMarket.Interop
{
    /// <summary>
    /// The only place that allocates the GCHandles passed to native code as <c>user_data</c>, with
    /// a count of the live ones: the tests assert it returns to its baseline after every request
    /// completed, was cancelled or was shut down, and after every client was disposed.
    /// </summary>
    internal static class GCHandles
    {
        private static int s_live;

        /// <summary>GCHandles allocated here and not yet freed.</summary>
        internal static int Live
        {
            get { return Volatile.Read(ref s_live); }
        }

        internal static IntPtr Alloc(object target)
        {
            GCHandle handle = GCHandle.Alloc(target, GCHandleType.Normal);
            Interlocked.Increment(ref s_live);
            return GCHandle.ToIntPtr(handle);
        }

        /// <summary>Frees a one-shot handle and returns its target (request trampolines).</summary>
        internal static object Take(IntPtr pointer)
        {
            GCHandle handle = GCHandle.FromIntPtr(pointer);
            object target = handle.Target;
            handle.Free();
            Interlocked.Decrement(ref s_live);
            return target;
        }

        /// <summary>The target of a long-lived handle (the log sink), left allocated.</summary>
        internal static object Peek(IntPtr pointer)
        {
            return GCHandle.FromIntPtr(pointer).Target;
        }

        internal static void Free(IntPtr pointer)
        {
            if (pointer == IntPtr.Zero)
                return;
            GCHandle.FromIntPtr(pointer).Free();
            Interlocked.Decrement(ref s_live);
        }
    }
}
