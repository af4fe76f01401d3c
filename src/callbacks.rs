//! How results and reports reach the game: the completion-callback trait every request takes,
//! and the slot that holds a game's long-lived callback (log sink, recovery sink). Shared by
//! [`crate::Client`] and [`crate::S2sClient`].

use std::any::Any;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result, ResultCode};
use crate::log::{LogLevel, Logger};
use crate::runtime::{lock, JobContext, Leftover, RequestId, Runtime};

/// A completion callback. Implemented for `FnOnce(Result<T>)` closures, for [`WithId`] and for
/// [`Prepared`].
pub trait Callback<T>: Send + 'static {
    fn call(self: Box<Self>, id: RequestId, result: Result<T>);

    /// How the runtime runs this callback: all of it inside poll/wait, unless it is [`Prepared`].
    #[doc(hidden)]
    fn into_stages(self) -> Stages<T>
    where
        Self: Sized,
    {
        Stages::InPoll(Box::new(self))
    }
}

/// What the runtime runs where (see [`Callback::into_stages`]).
#[doc(hidden)]
pub enum Stages<T> {
    InPoll(Box<dyn Callback<T>>),
    Prepared { prepare: Arc<PrepareFn<T>>, deliver: Box<dyn FnOnce(RequestId, Box<dyn Any + Send>) -> Leftover + Send> },
}

type PrepareFn<T> = dyn Fn(Result<T>) -> Box<dyn Any + Send> + Send + Sync;

/// A callback in two stages, for a binding that turns a result into its own form: `prepare` runs
/// on the worker thread as soon as the outcome is known, so that a big result (a purchased list
/// of 100,000 mods) is converted, and the original dropped, off the game thread; `deliver` runs
/// inside poll/wait with what `prepare` made, which a worker then frees. An outcome decided in
/// poll (cancelled, shut down) is prepared there.
pub struct Prepared<T, P> {
    pub prepare: Box<dyn Fn(Result<T>) -> P + Send + Sync>,
    pub deliver: DeliverPrepared<P>,
}

/// The second stage of a [`Prepared`] callback.
pub type DeliverPrepared<P> = Box<dyn FnOnce(RequestId, &P) + Send>;

impl<T, P> Prepared<T, P> {
    /// The same callback, except that what `prepare` made is freed on the polling thread right
    /// after `deliver` whenever `small` says it is small. Handing a few heap blocks to a worker
    /// costs the polling thread a wake of a parked thread (a system call and, on a VM, an
    /// interrupt to another core: microseconds), far more than freeing them there; only big
    /// results (a purchased list, a page of mods) are worth the trip.
    pub fn free_small_in_poll(self, small: fn(&P) -> bool) -> FreeSmallInPoll<T, P> {
        FreeSmallInPoll { prepared: self, small }
    }
}

/// A [`Prepared`] callback that frees small results in poll (see [`Prepared::free_small_in_poll`]).
pub struct FreeSmallInPoll<T, P> {
    prepared: Prepared<T, P>,
    small: fn(&P) -> bool,
}

impl<T: 'static, P: Send + 'static> Callback<T> for Prepared<T, P> {
    fn call(self: Box<Self>, id: RequestId, result: Result<T>) {
        (self.deliver)(id, &(self.prepare)(result))
    }

    fn into_stages(self) -> Stages<T> {
        prepared_stages(self, |_| false)
    }
}

impl<T: 'static, P: Send + 'static> Callback<T> for FreeSmallInPoll<T, P> {
    fn call(self: Box<Self>, id: RequestId, result: Result<T>) {
        Box::new(self.prepared).call(id, result)
    }

    fn into_stages(self) -> Stages<T> {
        prepared_stages(self.prepared, self.small)
    }
}

/// A prepared callback's two stages; what `prepare` made is left for a worker to free unless
/// `small` says otherwise.
fn prepared_stages<T: 'static, P: Send + 'static>(prepared: Prepared<T, P>, small: fn(&P) -> bool) -> Stages<T> {
    let prepare: Arc<dyn Fn(Result<T>) -> P + Send + Sync> = Arc::from(prepared.prepare);
    let deliver = prepared.deliver;
    let boxing = Arc::clone(&prepare);
    Stages::Prepared {
        prepare: Arc::new(move |result| Box::new(boxing(result)) as Box<dyn Any + Send>),
        deliver: Box::new(move |id, prepared: Box<dyn Any + Send>| match prepared.downcast::<P>() {
            Ok(p) => {
                deliver(id, &p);
                if small(&p) {
                    None // dropped here, on the polling thread
                } else {
                    Some(p as Box<dyn Any + Send>)
                }
            }
            Err(_) => {
                deliver(id, &prepare(Err(Error::new(ResultCode::Internal, "a prepared completion had the wrong type"))));
                None
            }
        }),
    }
}

/// Submits `work` to `runtime` with `callback`, running a [`Prepared`] callback's first stage on
/// the worker. The one way both clients submit.
pub(crate) fn submit<S, T, W>(runtime: &Runtime<S>, work: W, callback: impl Callback<T>) -> Result<RequestId>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
    W: FnOnce(&S, &JobContext) -> Result<T> + Send + 'static,
{
    match callback.into_stages() {
        Stages::InPoll(callback) => runtime.submit(work, move |id, result| callback.call(id, result)),
        Stages::Prepared { prepare, deliver } => {
            let on_worker = Arc::clone(&prepare);
            runtime.submit_leaving(
                move |shared: &S, ctx: &JobContext| Ok(on_worker(work(shared, ctx))),
                move |id, prepared: Result<Box<dyn Any + Send>>| match prepared {
                    Ok(p) => deliver(id, p),
                    Err(e) => deliver(id, prepare(Err(e))),
                },
            )
        }
    }
}

impl<T, F: FnOnce(Result<T>) + Send + 'static> Callback<T> for F {
    fn call(self: Box<Self>, _id: RequestId, result: Result<T>) {
        (*self)(result)
    }
}

/// Wraps a closure that also wants the request's id: `WithId(|id, result| ...)`.
pub struct WithId<F>(pub F);

impl<T, F: FnOnce(RequestId, Result<T>) + Send + 'static> Callback<T> for WithId<F> {
    fn call(self: Box<Self>, id: RequestId, result: Result<T>) {
        (self.0)(id, result)
    }
}

pub type LogSink = Box<dyn FnMut(LogLevel, &str) + Send>;

/// A slot for a game callback (log sink, recovery sink) that the callback itself may replace or
/// clear while it runs: a game that turns logging off from its log callback. The slot's lock is
/// never held during a call (std's Mutex deadlocks on re-entry), and once the slot is replaced
/// the old callback gets nothing more (its `user_data` may be gone). Replacing it from another
/// thread while it runs waits for that call to return, so the caller may free the old
/// `user_data` as soon as `set` returns.
pub(crate) struct CallbackSlot<T> {
    current: Mutex<Option<Arc<Mutex<T>>>>,
    /// The thread inside `deliver`, if any.
    running_on: Mutex<Option<std::thread::ThreadId>>,
}

impl<T> CallbackSlot<T> {
    pub(crate) fn new() -> CallbackSlot<T> {
        CallbackSlot { current: Mutex::new(None), running_on: Mutex::new(None) }
    }

    pub(crate) fn set(&self, value: Option<T>) {
        let old = std::mem::replace(&mut *lock(&self.current), value.map(|v| Arc::new(Mutex::new(v))));
        let Some(old) = old else { return };
        let running = *lock(&self.running_on);
        if running.is_some() && running != Some(std::thread::current().id()) {
            // Another thread is calling the old callback: wait until that call returns.
            drop(old.lock().unwrap_or_else(|p| p.into_inner()));
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        lock(&self.current).is_some()
    }

    /// Calls the current callback with each item, in order. Returns the items it did not deliver:
    /// all of them when no callback is set or it is already running further up this thread's
    /// stack; the rest when the callback was replaced or cleared meanwhile.
    pub(crate) fn deliver<I>(&self, items: Vec<I>, mut call: impl FnMut(&mut T, I)) -> Vec<I> {
        let Some(current) = lock(&self.current).clone() else { return items };
        let mut callback = match current.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            // Running further up this thread's stack: re-entry is refused, never a deadlock.
            Err(std::sync::TryLockError::WouldBlock) if *lock(&self.running_on) == Some(std::thread::current().id()) => return items,
            // Another thread is delivering (two blocking S2S calls finishing at once): wait for
            // it, so these items are delivered after its own instead of being dropped.
            Err(std::sync::TryLockError::WouldBlock) => current.lock().unwrap_or_else(|p| p.into_inner()),
        };
        // Announced before the first "still current?" check below, so a concurrent `set` either
        // makes that check fail or sees this thread running and waits for it.
        *lock(&self.running_on) = Some(std::thread::current().id());
        let mut items = items.into_iter();
        let mut undelivered = Vec::new();
        while let Some(item) = items.next() {
            if !lock(&self.current).as_ref().is_some_and(|s| Arc::ptr_eq(s, &current)) {
                undelivered = std::iter::once(item).chain(items).collect();
                break;
            }
            call(&mut callback, item);
        }
        *lock(&self.running_on) = None;
        drop(callback);
        undelivered
    }
}

/// A client's log output: the level filter and queue the workers write to, and the game's sink,
/// which hears the queued records when the client flushes them (inside poll/wait, or at the end
/// of a blocking S2S call). One for each client kind.
pub(crate) struct LogOutput {
    logger: Logger,
    sink: CallbackSlot<LogSink>,
}

impl LogOutput {
    pub(crate) fn new(logger: Logger) -> LogOutput {
        LogOutput { logger, sink: CallbackSlot::new() }
    }

    /// Routes records at `max_level` or more severe to `sink`; `None` turns logging off.
    pub(crate) fn set(&self, max_level: Option<LogLevel>, sink: Option<LogSink>) {
        self.sink.set(sink);
        self.logger.set_max_level(max_level);
    }

    /// Hands the queued records to the sink. Records it does not take (it replaced or cleared
    /// itself meanwhile, see [`CallbackSlot`]) are dropped.
    pub(crate) fn flush(&self) {
        let records = self.logger.drain();
        if records.is_empty() {
            return;
        }
        self.sink.deliver(records, |sink, r| sink(r.level, &r.message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn what_a_prepared_callback_leaves_is_freed_on_a_worker() {
        struct Probe(crossbeam_channel::Sender<std::thread::ThreadId>);
        impl Drop for Probe {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let runtime = Runtime::new(Arc::new(()), 1, std::time::Duration::from_secs(2), crate::doorbell::Doorbell::default()).unwrap();
        let (dropped_tx, dropped_rx) = crossbeam_channel::unbounded();
        let delivered = Arc::new(Mutex::new(false));
        let d = Arc::clone(&delivered);
        let callback = Prepared {
            prepare: Box::new(move |_: Result<u32>| Probe(dropped_tx.clone())),
            deliver: Box::new(move |_, _: &Probe| *lock(&d) = true),
        };
        submit(&runtime, |_: &(), _: &JobContext| Ok(1u32), callback).unwrap();
        runtime.wait(None, std::time::Duration::from_secs(20), || {}).unwrap();
        assert!(*lock(&delivered));
        let dropped_on = dropped_rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the prepared value was freed");
        assert_ne!(dropped_on, std::thread::current().id(), "freed on a worker, not in poll");
    }

    #[test]
    fn a_small_result_is_freed_in_poll_and_a_big_one_on_a_worker() {
        struct Probe(usize, crossbeam_channel::Sender<(usize, std::thread::ThreadId)>);
        impl Drop for Probe {
            fn drop(&mut self) {
                let _ = self.1.send((self.0, std::thread::current().id()));
            }
        }
        let runtime = Runtime::new(Arc::new(()), 1, std::time::Duration::from_secs(2), crate::doorbell::Doorbell::default()).unwrap();
        let (dropped_tx, dropped_rx) = crossbeam_channel::unbounded();
        for size in [10usize, 1_000_000] {
            let tx = dropped_tx.clone();
            let callback =
                Prepared { prepare: Box::new(move |_: Result<u32>| Probe(size, tx.clone())), deliver: Box::new(|_, _: &Probe| {}) }
                    .free_small_in_poll(|p| p.0 < 1000);
            let id = submit(&runtime, |_: &(), _: &JobContext| Ok(1u32), callback).unwrap();
            runtime.wait(Some(id), std::time::Duration::from_secs(20), || {}).unwrap();
        }
        let poller = std::thread::current().id();
        // The small one is gone by the time wait returned; the big one once the worker got to it.
        assert_eq!(dropped_rx.try_recv().ok(), Some((10, poller)), "the small result is freed in poll, at once");
        let (size, on) = dropped_rx.recv_timeout(std::time::Duration::from_secs(20)).expect("the big result was freed");
        assert_eq!(size, 1_000_000);
        assert_ne!(on, poller, "the big result is freed on a worker, not in poll");
        // A cancelled one's outcome is prepared in poll, and a small one freed there too.
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
        let busy = runtime.submit(move |_: &(), _: &JobContext| Ok(release_rx.recv().is_ok()), |_, _: Result<bool>| {}).unwrap();
        let tx = dropped_tx.clone();
        let small = Prepared { prepare: Box::new(move |_: Result<u32>| Probe(5, tx.clone())), deliver: Box::new(|_, _: &Probe| {}) }
            .free_small_in_poll(|p| p.0 < 1000);
        let cancelled = submit(&runtime, |_: &(), _: &JobContext| Ok(8u32), small).unwrap();
        runtime.cancel(cancelled).unwrap();
        runtime.wait(Some(cancelled), std::time::Duration::from_secs(20), || {}).unwrap();
        assert_eq!(dropped_rx.try_recv().ok(), Some((5, poller)));
        release_tx.send(()).unwrap();
        runtime.wait(Some(busy), std::time::Duration::from_secs(20), || {}).unwrap();
    }

    #[test]
    fn a_prepared_callback_prepares_on_the_worker_and_delivers_in_poll() {
        let runtime = Runtime::new(Arc::new(()), 1, std::time::Duration::from_secs(2), crate::doorbell::Doorbell::default()).unwrap();
        let poller = std::thread::current().id();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = |seen: &Arc<Mutex<Vec<String>>>| {
            let seen = Arc::clone(seen);
            Prepared {
                prepare: Box::new(|r: Result<u32>| (std::thread::current().id(), r.map_err(|e| e.code()))),
                deliver: Box::new(move |_, (prepared_on, outcome): &(std::thread::ThreadId, std::result::Result<u32, ResultCode>)| {
                    assert_eq!(std::thread::current().id(), poller, "delivered on the polling thread");
                    let place = if *prepared_on == poller { "poll" } else { "worker" };
                    lock(&seen).push(format!("{outcome:?} prepared in {place}"));
                }),
            }
        };
        submit(&runtime, |_: &(), _: &JobContext| Ok(7u32), record(&seen)).unwrap();
        runtime.wait(None, std::time::Duration::from_secs(20), || {}).unwrap();
        // One that never runs: cancelled while the worker is busy, so poll prepares its outcome.
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
        let busy = runtime.submit(move |_: &(), _: &JobContext| Ok(release_rx.recv().is_ok()), |_, _: Result<bool>| {}).unwrap();
        let cancelled = submit(&runtime, |_: &(), _: &JobContext| Ok(8u32), record(&seen)).unwrap();
        runtime.cancel(cancelled).unwrap();
        runtime.wait(Some(cancelled), std::time::Duration::from_secs(20), || {}).unwrap();
        release_tx.send(()).unwrap();
        runtime.wait(Some(busy), std::time::Duration::from_secs(20), || {}).unwrap();
        assert_eq!(*lock(&seen), ["Ok(7) prepared in worker", "Err(Cancelled) prepared in poll"]);
    }

    #[test]
    fn replacing_a_running_callback_from_another_thread_waits_for_that_call() {
        use std::sync::atomic::AtomicBool;
        type Sink = Box<dyn FnMut(u32) + Send>;
        let slot: Arc<CallbackSlot<Sink>> = Arc::new(CallbackSlot::new());
        let (entered_tx, entered_rx) = crossbeam_channel::bounded::<()>(0);
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(0);
        let finished = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&finished);
        slot.set(Some(Box::new(move |_| {
            entered_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            f.store(true, Ordering::SeqCst);
        })));
        let pumping = Arc::clone(&slot);
        let pump = std::thread::spawn(move || pumping.deliver(vec![1u32], |cb, i| cb(i)));
        entered_rx.recv().unwrap(); // the old callback is running on the pump thread
        let replacing = Arc::clone(&slot);
        let seen = Arc::clone(&finished);
        let replacer = std::thread::spawn(move || {
            replacing.set(None);
            // The game may free the old user_data now: the old call must be over.
            seen.load(Ordering::SeqCst)
        });
        release_tx.send(()).unwrap();
        assert!(replacer.join().unwrap(), "set returned while the old callback was still running");
        assert!(pump.join().unwrap().is_empty());
        assert!(!slot.is_set());
    }

    #[test]
    fn two_threads_delivering_at_once_both_deliver_everything() {
        // Before: the second thread found the callback busy and its items were dropped.
        type Sink = Box<dyn FnMut(u32) + Send>;
        let slot: Arc<CallbackSlot<Sink>> = Arc::new(CallbackSlot::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        slot.set(Some(Box::new(move |n| {
            std::thread::yield_now();
            s.lock().unwrap().push(n);
        })));
        let threads: Vec<_> = (0..8u32)
            .map(|t| {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        assert!(slot.deliver(vec![t * 1000 + i], |cb, n| cb(n)).is_empty());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut got = seen.lock().unwrap().clone();
        got.sort_unstable();
        let mut want: Vec<u32> = (0..8).flat_map(|t| (0..50).map(move |i| t * 1000 + i)).collect();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn a_callback_may_replace_or_clear_its_own_slot_while_it_runs() {
        // Before: the slot's lock was held during the call, so a log callback that turned
        // logging off (or set a new callback) deadlocked the game thread.
        type Sink = Box<dyn FnMut(u32) + Send>;
        let slot: Arc<CallbackSlot<Sink>> = Arc::new(CallbackSlot::new());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s2, seen2) = (Arc::clone(&slot), Arc::clone(&seen));
        slot.set(Some(Box::new(move |n| {
            seen2.lock().unwrap().push(n);
            if n == 2 {
                s2.set(None); // turn myself off from inside
            }
        })));
        let rest = slot.deliver(vec![1, 2, 3, 4], |cb, n| cb(n));
        assert_eq!(*seen.lock().unwrap(), vec![1, 2], "nothing reaches a callback after it was cleared");
        assert_eq!(rest, vec![3, 4], "the undelivered items come back");
        assert!(!slot.is_set());
        assert_eq!(slot.deliver(vec![5], |cb, n| cb(n)), vec![5]);

        // Re-entry (the callback triggers another delivery on the same slot) is refused, not a deadlock.
        let inner = Arc::new(Mutex::new(None));
        let (s3, inner2) = (Arc::clone(&slot), Arc::clone(&inner));
        slot.set(Some(Box::new(move |_| {
            *inner2.lock().unwrap() = Some(s3.deliver(vec![9], |cb, n| cb(n)));
        })));
        assert!(slot.deliver(vec![1], |cb, n| cb(n)).is_empty());
        assert_eq!(*inner.lock().unwrap(), Some(vec![9]));
    }
}
