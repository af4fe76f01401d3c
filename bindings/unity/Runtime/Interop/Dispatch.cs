using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using AOT;

namespace ModioMarket.Interop
{
    /// <summary>
    /// One unit of work captured inside a native callback and run after the native call returned.
    /// </summary>
    internal interface IDispatchItem
    {
        void Run();
    }

    /// <summary>
    /// The client's completion queue on the managed side. Native callbacks only copy their data
    /// and enqueue here; <see cref="Drain"/> runs after <c>modio_market_client_poll</c>/<c>wait</c>/
    /// <c>free</c> has returned, on the same thread. So no user code (task continuations, log
    /// handlers) ever runs inside a native callback: a continuation may Pump, start requests or
    /// Dispose the client without meeting the library's REENTRANT guard.
    /// </summary>
    internal sealed class Dispatcher
    {
        private readonly object _lock = new object();
        private readonly Queue<IDispatchItem> _queue = new Queue<IDispatchItem>();

        internal void Enqueue(IDispatchItem item)
        {
            lock (_lock)
                _queue.Enqueue(item);
        }

        internal int Count
        {
            get
            {
                lock (_lock)
                    return _queue.Count;
            }
        }

        /// <summary>
        /// Runs every queued item, including ones queued meanwhile. Re-entrant: an item whose
        /// continuation pumps again drains the rest first. An exception from a log handler is
        /// rethrown once the queue is empty (task completion itself never throws).
        /// </summary>
        internal int Drain()
        {
            int ran = 0;
            List<Exception> errors = null;
            while (true)
            {
                IDispatchItem item;
                lock (_lock)
                {
                    if (_queue.Count == 0)
                        break;
                    item = _queue.Dequeue();
                }
                try
                {
                    item.Run();
                    ran++;
                }
                catch (Exception e)
                {
                    if (errors == null)
                        errors = new List<Exception>();
                    errors.Add(e);
                }
            }
            if (errors != null)
            {
                if (errors.Count == 1)
                    ExceptionDispatchInfo.Capture(errors[0]).Throw();
                throw new AggregateException(errors);
            }
            return ran;
        }
    }

    /// <summary>A request in flight: the GCHandle passed as user_data points to one of these.</summary>
    internal abstract class PendingRequest : IDispatchItem
    {
        /// <summary>Inside the native callback: copies the borrowed result or error, then enqueues.
        /// Never throws.</summary>
        internal abstract void Capture(IntPtr error, IntPtr result);

        /// <summary>A download's progress, from inside the native poll (before the completion).</summary>
        internal virtual void CaptureProgress(ulong bytesDone, ulong bytesTotal)
        {
        }

        public abstract void Run();
    }

    internal sealed class PendingRequest<T> : PendingRequest
    {
        private readonly TaskCompletionSource<T> _tcs = new TaskCompletionSource<T>();
        private readonly Dispatcher _dispatcher;
        private readonly Func<IntPtr, T> _convert;
        private readonly object _lock = new object();

        private T _value;
        private Exception _error;
        private bool _cancelled;

        private ClientHandle _client;
        private ulong _requestId;
        private CancellationToken _token;
        private CancellationTokenRegistration _registration;
        private bool _completed;

        internal PendingRequest(Dispatcher dispatcher, Func<IntPtr, T> convert)
        {
            _dispatcher = dispatcher;
            _convert = convert;
        }

        internal Task<T> Task
        {
            get { return _tcs.Task; }
        }

        /// <summary>Where an install's progress goes (reported on the pumping thread, in order,
        /// never after the task completes: the native library reports none after the completion).</summary>
        internal IProgress<DownloadProgress> Progress { get; set; }

        internal override void CaptureProgress(ulong bytesDone, ulong bytesTotal)
        {
            IProgress<DownloadProgress> progress = Progress;
            if (progress != null)
                _dispatcher.Enqueue(new ProgressItem(progress, new DownloadProgress((long)bytesDone, (long)bytesTotal)));
        }

        private sealed class ProgressItem : IDispatchItem
        {
            private readonly IProgress<DownloadProgress> _progress;
            private readonly DownloadProgress _value;

            internal ProgressItem(IProgress<DownloadProgress> progress, DownloadProgress value)
            {
                _progress = progress;
                _value = value;
            }

            public void Run()
            {
                _progress.Report(_value);
            }
        }

        /// <summary>After the native call accepted the request: maps the token to native cancel.</summary>
        internal void Track(ClientHandle client, ulong requestId, CancellationToken token)
        {
            _client = client;
            _requestId = requestId;
            if (!token.CanBeCanceled)
                return;
            _token = token;
            CancellationTokenRegistration registration = token.Register(state => ((PendingRequest<T>)state).CancelNative(), this);
            bool dispose;
            lock (_lock)
            {
                dispose = _completed; // another thread pumped it to completion already
                if (!dispose)
                    _registration = registration;
            }
            if (dispose)
                registration.Dispose();
        }

        // Runs on whichever thread cancels the token; modio_market_client_cancel is any-thread.
        private void CancelNative()
        {
            try
            {
                // REQUEST_NOT_FOUND / ALREADY_COMPLETED: the callback reports the real outcome.
                Native.modio_market_client_cancel(_client, _requestId);
            }
            catch (ObjectDisposedException)
            {
                // The client was disposed: the request got SHUT_DOWN already.
            }
            catch (Exception)
            {
                // Never let a cancellation callback throw into CancellationTokenSource.Cancel.
            }
        }

        internal override void Capture(IntPtr error, IntPtr result)
        {
            try
            {
                if (error != IntPtr.Zero)
                {
                    ModioMarketException e = ModioMarketException.FromNative(error);
                    if (e.Code == ResultCode.Cancelled)
                        _cancelled = true;
                    _error = e;
                }
                else if (result == IntPtr.Zero)
                {
                    _error = new ModioMarketException(ResultCode.Internal, "the native library reported neither a result nor an error");
                }
                else
                {
                    _value = _convert(result);
                }
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                _dispatcher.Enqueue(this);
            }
        }

        public override void Run()
        {
            CancellationTokenRegistration registration;
            lock (_lock)
            {
                _completed = true;
                registration = _registration;
                _registration = default(CancellationTokenRegistration);
            }
            registration.Dispose();
            _client = null;
            if (_cancelled)
                _tcs.TrySetCanceled(_token.IsCancellationRequested ? _token : CancellationToken.None);
            else if (_error != null)
                _tcs.TrySetException(_error);
            else
                _tcs.TrySetResult(_value);
        }
    }

    /// <summary>
    /// The client's long-lived callback target (one GCHandle, the user_data of both the log and
    /// the recovery callbacks, freed only after modio_market_client_free returned). It holds no
    /// reference to the client. Records are copied in the callback and raised from the dispatcher.
    /// </summary>
    internal sealed class ClientSink
    {
        private readonly Dispatcher _dispatcher;

        internal ClientSink(Dispatcher dispatcher)
        {
            _dispatcher = dispatcher;
        }

        internal event Action<LogLevel, string> LogHandlers;

        internal Action<CheckoutRecovery> RecoveryHandlers;

        internal void CaptureLog(uint level, string message)
        {
            _dispatcher.Enqueue(new LogRecord(this, (LogLevel)level, message));
        }

        internal void CaptureRecovery(CheckoutRecovery report)
        {
            _dispatcher.Enqueue(new RecoveryRecord(this, report));
        }

        private sealed class LogRecord : IDispatchItem
        {
            private readonly ClientSink _sink;
            private readonly LogLevel _level;
            private readonly string _message;

            internal LogRecord(ClientSink sink, LogLevel level, string message)
            {
                _sink = sink;
                _level = level;
                _message = message;
            }

            public void Run()
            {
                Action<LogLevel, string> handlers = _sink.LogHandlers;
                if (handlers != null)
                    handlers(_level, _message);
            }
        }

        private sealed class RecoveryRecord : IDispatchItem
        {
            private readonly ClientSink _sink;
            private readonly CheckoutRecovery _report;

            internal RecoveryRecord(ClientSink sink, CheckoutRecovery report)
            {
                _sink = sink;
                _report = report;
            }

            public void Run()
            {
                Action<CheckoutRecovery> handlers = Volatile.Read(ref _sink.RecoveryHandlers);
                if (handlers != null)
                    handlers(_report);
            }
        }
    }

    /// <summary>
    /// The static functions native code calls. Static (IL2CPP cannot call instance delegates),
    /// marked [MonoPInvokeCallback], kept alive by static fields for the life of the domain, and
    /// wrapped whole in try/catch: no exception ever unwinds into native code. They only run
    /// inside poll/wait/free, on the thread that called them (the library never calls back from
    /// its workers, so Mono never has to attach a foreign thread).
    /// </summary>
    internal static class Trampolines
    {
        internal static readonly Native.RequestCallback OnRequest = RequestTrampoline;
        internal static readonly Native.LogCallback OnLog = LogTrampoline;
        internal static readonly Native.RecoveryCallback OnRecovery = RecoveryTrampoline;
        internal static readonly Native.ProgressCallback OnProgress = ProgressTrampoline;

        private static int s_faults;

        [ThreadStatic]
        private static int t_pumpDepth;

        /// <summary>Trampoline calls that found no live state, caught an exception, or arrived on a
        /// thread that was not inside poll/wait/free of ours (a foreign thread Mono would have to
        /// attach). Expected: 0; the tests assert it.</summary>
        internal static int Faults
        {
            get { return Volatile.Read(ref s_faults); }
        }

        /// <summary>Marks this thread as inside poll/wait/free for the duration of a native call.</summary>
        internal static void EnterPump()
        {
            t_pumpDepth++;
        }

        internal static void ExitPump()
        {
            t_pumpDepth--;
        }

        private static void CheckThread()
        {
            if (t_pumpDepth <= 0)
                Interlocked.Increment(ref s_faults);
        }

        [MonoPInvokeCallback(typeof(Native.RequestCallback))]
        private static void RequestTrampoline(IntPtr userData, ulong requestId, IntPtr error, IntPtr result)
        {
            try
            {
                CheckThread();
                // One-shot: each request's callback runs exactly once, so its handle is freed here.
                PendingRequest request = GCHandles.Take(userData) as PendingRequest;
                if (request == null)
                {
                    Interlocked.Increment(ref s_faults);
                    return;
                }
                request.Capture(error, result);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref s_faults);
            }
        }

        // The request's handle stays allocated: the completion (RequestTrampoline) takes it.
        [MonoPInvokeCallback(typeof(Native.ProgressCallback))]
        private static void ProgressTrampoline(IntPtr userData, ulong requestId, ulong bytesDone, ulong bytesTotal)
        {
            try
            {
                CheckThread();
                PendingRequest request = GCHandles.Peek(userData) as PendingRequest;
                if (request == null)
                {
                    Interlocked.Increment(ref s_faults);
                    return;
                }
                request.CaptureProgress(bytesDone, bytesTotal);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref s_faults);
            }
        }

        [MonoPInvokeCallback(typeof(Native.LogCallback))]
        private static void LogTrampoline(IntPtr userData, uint level, IntPtr message)
        {
            try
            {
                CheckThread();
                ClientSink sink = GCHandles.Peek(userData) as ClientSink;
                if (sink == null)
                {
                    Interlocked.Increment(ref s_faults);
                    return;
                }
                sink.CaptureLog(level, Utf8.Decode(message));
            }
            catch (Exception)
            {
                Interlocked.Increment(ref s_faults);
            }
        }
    
        [MonoPInvokeCallback(typeof(Native.RecoveryCallback))]
        private static void RecoveryTrampoline(IntPtr userData, IntPtr report)
        {
            try
            {
                CheckThread();
                ClientSink sink = GCHandles.Peek(userData) as ClientSink;
                if (sink == null || report == IntPtr.Zero)
                {
                    Interlocked.Increment(ref s_faults);
                    return;
                }
                sink.CaptureRecovery(CheckoutRecovery.FromNative(report));
            }
            catch (Exception)
            {
                Interlocked.Increment(ref s_faults);
            }
        }
    }
}
