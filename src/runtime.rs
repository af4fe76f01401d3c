//! The request runtime: worker threads run jobs, completions travel back through a
//! `crossbeam-channel` queue, and callbacks run only inside `poll`/`wait` on the caller's thread.
//!
//! Every request has an id and a small state machine (queued → running → finished, or → cancelled)
//! so that its callback runs exactly once: with the real outcome, or with `Cancelled`/`ShutDown`.

use std::any::Any;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::doorbell::Doorbell;
use crate::error::{Error, Result, ResultCode};

/// Identifies one request; never 0. Each client numbers its requests from its own random
/// starting point, so an id from another client (or a freed one) names nothing here and is
/// answered `RequestNotFound` instead of cancelling an unrelated request.
pub type RequestId = u64;

/// Request ids stay below 2^53 (exact in a double, positive in an int64 Blueprint pin); each
/// client starts at a random point in [2^32, 2^52).
fn random_id_base() -> u64 {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    (1u64 << 32) + random % ((1u64 << 52) - (1u64 << 32))
}

type Outcome = Result<Box<dyn Any + Send>>;
type Work<S> = Box<dyn FnOnce(&S, &JobContext) -> Outcome + Send>;

/// What a running job may ask about itself.
pub(crate) struct JobContext {
    job: Arc<dyn JobState>,
}

impl JobContext {
    /// True once the request was cancelled or the client is shutting down: stop retrying.
    pub fn is_cancelled(&self) -> bool {
        self.job.state().load(Ordering::Acquire) == CANCELLED
    }
}

/// A job's state, shared by its pending entry, the job queue and the running job's context.
trait JobState: Send + Sync {
    fn state(&self) -> &AtomicU8;
}

/// One request's state and its work. The work sits in a slot rather than in the queue: a request
/// cancelled while still queued behind workers stuck on a stalled network has its work (and all
/// it captured) dropped at once by `cancel`, not when a worker finally reaches it, so a game that
/// keeps submitting and cancelling through a stall does not grow its memory with dead requests.
/// Whoever moves the state out of QUEUED (the worker to RUNNING, cancel or shutdown to
/// CANCELLED) is the one that takes the work.
struct JobCell<S> {
    state: AtomicU8,
    work: Mutex<Option<Work<S>>>,
}

impl<S: 'static> JobState for JobCell<S> {
    fn state(&self) -> &AtomicU8 {
        &self.state
    }
}

impl<S> JobCell<S> {
    fn take_work(&self) -> Option<Work<S>> {
        lock(&self.work).take()
    }
}
/// What a callback leaves to free once it ran: dropped on a worker, off the game thread.
pub(crate) type Leftover = Option<Box<dyn Any + Send>>;
type Deliver = Box<dyn FnOnce(RequestId, Outcome) -> Leftover + Send>;

const QUEUED: u8 = 0;
const RUNNING: u8 = 1;
const FINISHED: u8 = 2;
const CANCELLED: u8 = 3;

struct Job<S> {
    id: RequestId,
    cell: Arc<JobCell<S>>,
}

/// What a worker is handed: a request to run, or what a delivered callback left to free.
enum Task<S> {
    Run(Job<S>),
    Free(Box<dyn Any + Send>),
}

struct Completion {
    id: RequestId,
    outcome: Outcome,
}

/// How many times a sleeper looks at its queue before it sleeps (a few microseconds, with no
/// yield of the core; the channel's own `recv` spins and yields for longer). Measured with
/// `scripts/bench --only submit` and `--only network`, three runs each on a 2-core VM: 200 looks
/// and 50 gave the same one-at-a-time rate, and 200 the lower submit p99 with idle workers
/// (3.7-5.0 µs against 5.5-7.4 µs) and with the connection refused (6.0-6.5 against 6.9-7.2).
const SPIN_BEFORE_SLEEP: u32 = 200;

/// Threads asleep until their queue has something: the idle workers (on the task queue) and a
/// pump inside `wait` (on the completion queue), most recent last. They sleep here rather than in
/// the channel's own blocking `recv`, which spins and yields the core for several microseconds
/// before it sleeps, on every wait: on a 2-core machine that is CPU the game thread, the workers
/// and the network need. Waking the most recently parked worker first also finds the warmest.
#[derive(Default)]
struct Sleepers {
    /// How many are asleep: whoever queues something wakes nobody without taking the lock.
    count: AtomicUsize,
    parked: Mutex<Vec<thread::Thread>>,
}

impl Sleepers {
    /// After something was queued: wakes one sleeper, if any.
    fn wake_one(&self) {
        // Pairs with the fence in `recv`: either that sleeper's last look at the queue sees what
        // was queued, or this load sees it registered.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.count.load(Ordering::Relaxed) == 0 {
            return;
        }
        let woken = {
            let mut parked = lock(&self.parked);
            let woken = parked.pop();
            self.count.store(parked.len(), Ordering::Relaxed);
            woken
        };
        if let Some(sleeper) = woken {
            sleeper.unpark();
        }
    }

    /// When the queue is closed: wakes them all to see it.
    fn wake_all(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
        let all = std::mem::take(&mut *lock(&self.parked));
        self.count.store(0, Ordering::Relaxed);
        for sleeper in all {
            sleeper.unpark();
        }
    }

    /// The next item of `queue`, sleeping until one is queued, the queue is closed, or `deadline`.
    fn recv<T>(&self, queue: &Receiver<T>, deadline: Option<Instant>) -> std::result::Result<T, RecvTimeoutError> {
        use crossbeam_channel::TryRecvError;
        let taken = |r: std::result::Result<T, TryRecvError>| match r {
            Ok(item) => Some(Ok(item)),
            Err(TryRecvError::Disconnected) => Some(Err(RecvTimeoutError::Disconnected)),
            Err(TryRecvError::Empty) => None,
        };
        loop {
            // A short look before sleeping: a request submitted right behind the last (a game
            // queueing several at once) is then taken without a wake.
            for _ in 0..SPIN_BEFORE_SLEEP {
                if let Some(outcome) = taken(queue.try_recv()) {
                    return outcome;
                }
                std::hint::spin_loop();
            }
            let timeout = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Err(RecvTimeoutError::Timeout),
                },
                None => None,
            };
            let me = thread::current();
            {
                let mut parked = lock(&self.parked);
                parked.push(me.clone());
                self.count.store(parked.len(), Ordering::Relaxed);
            }
            std::sync::atomic::fence(Ordering::SeqCst);
            // Something queued before we were registered woke nobody: look once more.
            if let Some(outcome) = taken(queue.try_recv()) {
                self.unregister(&me);
                return outcome;
            }
            // A wake between the registration and here makes this return at once; an early
            // return only loops.
            match timeout {
                Some(left) => thread::park_timeout(left),
                None => thread::park(),
            }
            self.unregister(&me);
        }
    }

    /// Takes this thread off the list if no waker did.
    fn unregister(&self, me: &thread::Thread) {
        let mut parked = lock(&self.parked);
        if let Some(at) = parked.iter().position(|t| t.id() == me.id()) {
            parked.swap_remove(at);
            self.count.store(parked.len(), Ordering::Relaxed);
        }
    }
}

struct PendingEntry<S> {
    cell: Arc<JobCell<S>>,
    deliver: Deliver,
}

/// Hashes the pending map's keys, request ids this runtime made itself (never a peer's input, so
/// no flooding to defend against): one multiply instead of SipHash on every submit.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        // Fibonacci hashing: spreads consecutive ids over the high bits hashbrown uses.
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Locks a mutex, recovering from poisoning: a panicking callback must not brick the client.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs jobs that need shared state `S` (the transport and caches) on worker threads.
pub(crate) struct Runtime<S: Send + Sync + 'static> {
    shared: Arc<S>,
    job_tx: Mutex<Option<Sender<Task<S>>>>,
    /// The workers waiting for a task.
    idle: Arc<Sleepers>,
    /// The pump inside `wait`, waiting for a completion (at most one: see `pumping`).
    waiting_pump: Arc<Sleepers>,
    completion_tx: Sender<Completion>,
    /// Rung after each completion is queued (shared with the client's logger): an idle poll
    /// checks it instead of the channels.
    doorbell: Doorbell,
    completion_rx: Receiver<Completion>,
    pending: Mutex<HashMap<RequestId, PendingEntry<S>, BuildHasherDefault<IdHasher>>>,
    next_id: AtomicU64,
    workers: Mutex<Vec<JoinHandle<()>>>,
    /// Each worker sends its index as its last act, so shutdown joins exactly the ones that ended.
    exited_rx: Receiver<usize>,
    /// The thread currently inside poll/wait, as its [`thread_token`] (0: none): the re-entry
    /// and concurrent-poll guard, one atomic so that an idle poll takes no lock.
    pumping: AtomicUsize,
    shutting_down: AtomicBool,
    shutdown_timeout: Duration,
}

/// Released when poll/wait returns.
struct PumpGuard<'a>(&'a AtomicUsize);

impl Drop for PumpGuard<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Release);
    }
}

thread_local! {
    static THREAD_TOKEN: u8 = const { 0 };
}

/// A number that tells this thread from every other live thread, never 0: the address of a
/// thread-local (std's `ThreadId::as_u64` is unstable).
fn thread_token() -> usize {
    THREAD_TOKEN.with(|t| t as *const u8 as usize)
}

impl<S: Send + Sync + 'static> Runtime<S> {
    pub fn new(shared: Arc<S>, worker_threads: usize, shutdown_timeout: Duration, doorbell: Doorbell) -> Result<Runtime<S>> {
        let (job_tx, job_rx) = crossbeam_channel::unbounded::<Task<S>>();
        let idle = Arc::new(Sleepers::default());
        let waiting_pump = Arc::new(Sleepers::default());
        let (completion_tx, completion_rx) = crossbeam_channel::unbounded();
        let (exited_tx, exited_rx) = crossbeam_channel::unbounded();
        let mut workers = Vec::with_capacity(worker_threads);
        for index in 0..worker_threads {
            let job_rx = job_rx.clone();
            let idle = Arc::clone(&idle);
            let waiting_pump = Arc::clone(&waiting_pump);
            let completion_tx = completion_tx.clone();
            let doorbell = doorbell.clone();
            let exited_tx = exited_tx.clone();
            let shared = Arc::clone(&shared);
            let handle = thread::Builder::new()
                .name(format!("modio-market-{index}"))
                .spawn(move || {
                    never_preempt_on_wakeup();
                    let queues = WorkerQueues {
                        jobs: &job_rx,
                        idle: &idle,
                        completions: &completion_tx,
                        waiting_pump: &waiting_pump,
                        doorbell: &doorbell,
                    };
                    worker_loop(&*shared, queues);
                    let _ = exited_tx.send(index);
                })
                .map_err(|e| Error::new(ResultCode::Internal, format!("could not start a worker thread: {e}")))?;
            workers.push(handle);
        }
        Ok(Runtime {
            shared,
            job_tx: Mutex::new(Some(job_tx)),
            idle,
            waiting_pump,
            completion_tx,
            doorbell,
            completion_rx,
            pending: Mutex::new(HashMap::default()),
            next_id: AtomicU64::new(random_id_base()),
            workers: Mutex::new(workers),
            exited_rx,
            pumping: AtomicUsize::new(0),
            shutting_down: AtomicBool::new(false),
            shutdown_timeout,
        })
    }

    pub fn shared(&self) -> &Arc<S> {
        &self.shared
    }

    /// Queues `work` for a worker; `callback` runs later inside poll/wait with its outcome.
    pub fn submit<T, W, C>(&self, work: W, callback: C) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&S, &JobContext) -> Result<T> + Send + 'static,
        C: FnOnce(RequestId, Result<T>) + Send + 'static,
    {
        self.submit_leaving(work, move |id, result| {
            callback(id, result);
            None
        })
    }

    /// As [`Runtime::submit`], for a callback that leaves something big to free (a prepared
    /// view): a worker frees it after the callback ran, not the game thread.
    pub fn submit_leaving<T, W, C>(&self, work: W, callback: C) -> Result<RequestId>
    where
        T: Send + 'static,
        W: FnOnce(&S, &JobContext) -> Result<T> + Send + 'static,
        C: FnOnce(RequestId, Result<T>) -> Leftover + Send + 'static,
    {
        if self.shutting_down.load(Ordering::Acquire) {
            return Err(Error::shut_down());
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let deliver: Deliver = Box::new(move |id, outcome: Outcome| {
            let typed = outcome.and_then(|boxed| {
                boxed.downcast::<T>().map(|b| *b).map_err(|_| Error::new(ResultCode::Internal, "a completion had the wrong type"))
            });
            callback(id, typed)
        });
        let work: Work<S> = Box::new(move |shared: &S, ctx: &JobContext| work(shared, ctx).map(|v| Box::new(v) as Box<dyn Any + Send>));
        let cell = Arc::new(JobCell { state: AtomicU8::new(QUEUED), work: Mutex::new(Some(work)) });
        lock(&self.pending).insert(id, PendingEntry { cell: Arc::clone(&cell), deliver });
        if !self.queue_task(Task::Run(Job { id, cell })) {
            lock(&self.pending).remove(&id);
            return Err(Error::shut_down());
        }
        Ok(id)
    }

    /// Hands `task` to the workers, waking one if all sleep; false once the client is closing
    /// (the task is then dropped here).
    fn queue_task(&self, task: Task<S>) -> bool {
        let sent = match &*lock(&self.job_tx) {
            Some(tx) => tx.send(task).is_ok(),
            None => false,
        };
        if sent {
            self.idle.wake_one();
        }
        sent
    }

    /// Cancels a pending request: its callback reports `Cancelled` at the next poll.
    pub fn cancel(&self, id: RequestId) -> Result<()> {
        let pending = lock(&self.pending);
        let entry = pending.get(&id).ok_or_else(|| Error::new(ResultCode::RequestNotFound, format!("no pending request {id}")))?;
        let work = loop {
            let current = entry.cell.state.load(Ordering::Acquire);
            match current {
                QUEUED | RUNNING => {
                    if entry.cell.state.compare_exchange(current, CANCELLED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                        queue_completion(
                            &self.completion_tx,
                            &self.doorbell,
                            &self.waiting_pump,
                            Completion { id, outcome: Err(Error::cancelled()) },
                        );
                        // Still queued: no worker will run it, so its work is dropped now.
                        break if current == QUEUED { entry.cell.take_work() } else { None };
                    }
                }
                CANCELLED => return Err(Error::new(ResultCode::AlreadyCompleted, format!("request {id} is already cancelled"))),
                _ => {
                    return Err(Error::new(
                        ResultCode::AlreadyCompleted,
                        format!("request {id} already completed; its callback reports the outcome"),
                    ))
                }
            }
        };
        // Dropped outside the pending lock: what it captured is the caller's to drop, not the map's.
        drop(pending);
        drop(work);
        Ok(())
    }

    /// How many requests have not had their callback yet.
    pub fn pending_count(&self) -> usize {
        lock(&self.pending).len()
    }

    /// Whether `id`'s callback has not run yet.
    pub fn is_pending(&self, id: RequestId) -> bool {
        lock(&self.pending).contains_key(&id)
    }

    pub fn is_pumping_on_this_thread(&self) -> bool {
        self.pumping.load(Ordering::Acquire) == thread_token()
    }

    fn enter_pump(&self) -> Result<PumpGuard<'_>> {
        let me = thread_token();
        match self.pumping.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => Ok(PumpGuard(&self.pumping)),
            Err(t) if t == me => Err(Error::new(ResultCode::Reentrant, "poll/wait was called from inside a callback")),
            Err(_) => Err(Error::new(ResultCode::Reentrant, "another thread is inside poll/wait on this client")),
        }
    }

    /// Runs the callbacks of every completion queued now; never blocks. Returns how many ran.
    /// Whether a poll now would have nothing to do here: no completion queued (and no log record
    /// on the shared bell) and no pump running. Two loads; the idle poll's whole cost.
    #[inline]
    pub fn is_idle(&self) -> bool {
        // Someone pumping (maybe this thread, from a callback): the full path answers REENTRANT.
        self.pumping.load(Ordering::Relaxed) == 0 && !self.doorbell.is_rung()
    }

    pub fn poll(&self, before_callbacks: impl FnMut()) -> Result<usize> {
        let _guard = self.enter_pump()?;
        // Before draining (see `Doorbell`): what is queued after this rings again.
        self.doorbell.clear();
        let mut before_callbacks = before_callbacks;
        before_callbacks();
        if self.completion_rx.is_empty() {
            return Ok(0);
        }
        // Only what is queued now: callbacks that start requests cannot keep this call running.
        let queued = self.completion_rx.len();
        let mut ran = 0;
        for completion in self.completion_rx.try_iter().take(queued) {
            if self.deliver(completion) {
                ran += 1;
            }
        }
        Ok(ran)
    }

    /// Blocks until the callback of `id` has run (or, with `None`, until any callback ran), running
    /// callbacks as completions arrive; `WaitTimedOut` when `timeout` passes first.
    pub fn wait(&self, id: Option<RequestId>, timeout: Duration, before_callbacks: impl FnMut()) -> Result<usize> {
        let _guard = self.enter_pump()?;
        let mut before_callbacks = before_callbacks;
        if let Some(id) = id {
            if !lock(&self.pending).contains_key(&id) {
                return Err(Error::new(ResultCode::RequestNotFound, format!("no pending request {id}")));
            }
        }
        let deadline = Instant::now().checked_add(timeout).unwrap_or_else(|| Instant::now() + Duration::from_secs(86400 * 365));
        let mut ran = 0;
        loop {
            let completion = match self.waiting_pump.recv(&self.completion_rx, Some(deadline)) {
                Ok(c) => c,
                Err(RecvTimeoutError::Timeout) => {
                    before_callbacks();
                    return Err(Error::new(ResultCode::WaitTimedOut, "the wait timed out"));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(Error::shut_down()),
            };
            before_callbacks();
            let completed_id = completion.id;
            if self.deliver(completion) {
                ran += 1;
                if id.is_none() || id == Some(completed_id) {
                    return Ok(ran);
                }
            }
        }
    }

    /// Runs one completion's callback unless it was already delivered (a cancelled request's late result).
    fn deliver(&self, completion: Completion) -> bool {
        let entry = lock(&self.pending).remove(&completion.id);
        match entry {
            Some(entry) => {
                if let Some(leftover) = (entry.deliver)(completion.id, completion.outcome) {
                    // A worker frees it; when the client is closing, it is freed right here.
                    self.queue_task(Task::Free(leftover));
                }
                true
            }
            None => false,
        }
    }

    /// Stops accepting work, runs every pending callback with `ShutDown` on this thread, and joins
    /// the workers (waiting at most the shutdown timeout for ones busy on the network; those finish
    /// alone and their results are dropped: their callbacks already ran).
    pub fn shutdown(&self) {
        if self.shutting_down.swap(true, Ordering::AcqRel) {
            return;
        }
        // Closing the job channel lets idle workers exit, once woken to see it.
        lock(&self.job_tx).take();
        self.idle.wake_all();
        // Cancel everything: queued jobs are skipped by the workers, running ones are discarded.
        let entries: Vec<(RequestId, PendingEntry<S>)> = {
            let mut pending = lock(&self.pending);
            let mut all: Vec<_> = pending.drain().collect();
            all.sort_by_key(|(id, _)| *id);
            all
        };
        for (_, entry) in &entries {
            // Queued ones: no worker will run them, so their work goes now (see JobCell).
            if entry.cell.state.swap(CANCELLED, Ordering::AcqRel) == QUEUED {
                drop(entry.cell.take_work());
            }
        }
        {
            // Callbacks run now count as "inside a callback": poll from them is refused, and a
            // C-side free from them is deferred (we are already freeing).
            let previous = self.pumping.swap(thread_token(), Ordering::AcqRel);
            for (id, entry) in entries {
                let _ = catch_unwind(AssertUnwindSafe(|| (entry.deliver)(id, Err(Error::shut_down()))));
            }
            self.pumping.store(previous, Ordering::Release);
        }
        let mut workers: Vec<Option<JoinHandle<()>>> = std::mem::take(&mut *lock(&self.workers)).into_iter().map(Some).collect();
        let deadline = Instant::now() + self.shutdown_timeout;
        let mut exited = 0;
        while exited < workers.len() {
            match self.exited_rx.recv_deadline(deadline) {
                Ok(index) => {
                    // It signalled as its last act: the join returns at once.
                    if let Some(handle) = workers.get_mut(index).and_then(Option::take) {
                        let _ = handle.join();
                    }
                    exited += 1;
                }
                Err(_) => break,
            }
        }
        // Workers still blocked on the network are detached: they hold only Arc'd shared state,
        // never a callback or user data, and their results are dropped.
        drop(workers);
    }
}

/// Queues a completion for the pump: rings the bell an idle poll checks, and wakes a pump asleep
/// in `wait`. A worker detached at shutdown that finishes after the runtime is gone has nobody to
/// tell: that send fails and its outcome is dropped (its callback already ran).
fn queue_completion(completions: &Sender<Completion>, doorbell: &Doorbell, waiting_pump: &Sleepers, completion: Completion) {
    let _ = completions.send(completion);
    doorbell.ring();
    waiting_pump.wake_one();
}

/// Makes the calling worker thread one that a wake never lets preempt a running thread: it starts
/// on an idle core, or on a busy one when that thread's time slice ends. A game thread that
/// submits a request is then not preempted by the worker it woke (Linux's SCHED_BATCH: the same
/// weight as any thread, without wakeup preemption). Elsewhere a no-op.
fn never_preempt_on_wakeup() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: plain call on this thread's own handle with a valid parameter; a refusal (a
        // sandbox without sched_setscheduler) leaves the thread as it was, which is fine.
        unsafe {
            libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_BATCH, &param);
        }
    }
}

/// A worker's ends of the queues.
struct WorkerQueues<'a, S> {
    jobs: &'a Receiver<Task<S>>,
    idle: &'a Sleepers,
    completions: &'a Sender<Completion>,
    waiting_pump: &'a Sleepers,
    doorbell: &'a Doorbell,
}

fn worker_loop<S: 'static>(shared: &S, queues: WorkerQueues<'_, S>) {
    crate::executor::enter_worker();
    work_jobs(shared, queues);
    crate::executor::release_thread_runtime();
}

fn work_jobs<S: 'static>(shared: &S, queues: WorkerQueues<'_, S>) {
    let WorkerQueues { jobs, idle, completions, waiting_pump, doorbell } = queues;
    while let Ok(task) = idle.recv(jobs, None) {
        let job = match task {
            Task::Run(job) => job,
            Task::Free(leftover) => {
                drop(leftover);
                continue;
            }
        };
        if job.cell.state.compare_exchange(QUEUED, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_err() {
            continue; // cancelled while queued: its Cancelled completion is already on the way
        }
        let Some(work) = job.cell.take_work() else {
            continue; // never: only the one that left QUEUED takes the work
        };
        let ctx = JobContext { job: Arc::clone(&job.cell) as Arc<dyn JobState> };
        let outcome = catch_unwind(AssertUnwindSafe(|| work(shared, &ctx))).unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Error::new(ResultCode::Internal, format!("internal error while running the request: {what}")))
        });
        if job.cell.state.compare_exchange(RUNNING, FINISHED, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            queue_completion(completions, doorbell, waiting_pump, Completion { id: job.id, outcome });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn runtime(workers: usize) -> Runtime<()> {
        Runtime::new(Arc::new(()), workers, Duration::from_secs(2), Doorbell::default()).unwrap()
    }

    #[test]
    fn no_task_is_lost_between_a_worker_parking_and_a_submit() {
        // Each submit lands while the workers are finishing, registering or parked: a wake lost
        // in that window would leave a job queued with every worker asleep, and a wait time out.
        let rt = Runtime::new(Arc::new(()), 2, Duration::from_secs(2), Doorbell::default()).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        for i in 0..5_000u32 {
            let r = Arc::clone(&ran);
            let id = rt.submit(move |_: &(), _: &JobContext| Ok(r.fetch_add(1, Ordering::SeqCst)), |_, _: Result<usize>| {}).unwrap();
            if i % 3 == 0 {
                for _ in 0..(i % 200) {
                    std::hint::spin_loop();
                }
            }
            rt.wait(Some(id), Duration::from_secs(20), || {}).expect("every job runs: no worker slept through a submit");
        }
        // Four threads submitting at once, the pump draining beside them.
        let rt = Arc::new(rt);
        let submitters: Vec<_> = (0..4)
            .map(|_| {
                let (rt, ran) = (Arc::clone(&rt), Arc::clone(&ran));
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        let r = Arc::clone(&ran);
                        rt.submit(move |_: &(), _: &JobContext| Ok(r.fetch_add(1, Ordering::SeqCst)), |_, _: Result<usize>| {}).unwrap();
                    }
                })
            })
            .collect();
        for s in submitters {
            s.join().unwrap();
        }
        while rt.pending_count() > 0 {
            rt.wait(None, Duration::from_secs(20), || {}).expect("every job runs");
        }
        assert_eq!(ran.load(Ordering::SeqCst), 9_000);
        assert_eq!(lock(&rt.idle.parked).len(), rt.idle.count.load(Ordering::SeqCst), "the count matches the list");
        rt.shutdown();
        assert!(lock(&rt.idle.parked).is_empty(), "shutdown woke every parked worker");
    }

    #[test]
    fn the_idle_check_sees_every_completion_and_clears_only_in_poll() {
        let rt = runtime(1);
        assert!(rt.is_idle(), "a new runtime has nothing queued");
        let (tx, rx) = crossbeam_channel::unbounded();
        rt.submit(move |_, _| Ok(7u32), move |_, r: Result<u32>| tx.send(r.unwrap()).unwrap()).unwrap();
        // The worker queues the completion and rings; until then the runtime may look idle.
        while rt.is_idle() {
            std::thread::yield_now();
        }
        assert!(!rt.is_idle(), "a queued completion must keep the idle check false until a poll");
        assert_eq!(rt.poll(|| {}).unwrap(), 1);
        assert_eq!(rx.try_recv().unwrap(), 7);
        assert!(rt.is_idle(), "the poll drained it");
        // A cancellation's completion rings too.
        let id2 = rt
            .submit(
                |_, ctx: &JobContext| {
                    while !ctx.is_cancelled() {
                        std::thread::yield_now();
                    }
                    Ok(())
                },
                |_, _r: Result<()>| {},
            )
            .unwrap();
        rt.cancel(id2).unwrap();
        assert!(!rt.is_idle());
        assert_eq!(rt.poll(|| {}).unwrap(), 1);
    }

    #[test]
    fn callbacks_run_only_in_poll_on_the_polling_thread() {
        let rt = runtime(2);
        let caller = thread::current().id();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for i in 0..10u32 {
            let seen = Arc::clone(&seen);
            rt.submit(
                move |_, _| Ok(i * 2),
                move |_, r: Result<u32>| {
                    assert_eq!(thread::current().id(), caller);
                    lock(&seen).push(r.unwrap());
                },
            )
            .unwrap();
        }
        let mut ran = 0;
        while ran < 10 {
            ran += rt.wait(None, Duration::from_secs(5), || {}).unwrap();
        }
        let mut got = lock(&seen).clone();
        got.sort();
        assert_eq!(got, (0..10).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(rt.poll(|| {}).unwrap(), 0);
    }

    #[test]
    fn request_ids_of_two_clients_do_not_meet() {
        let (a, b) = (runtime(1), runtime(1));
        let ia = a.submit(|_, _| Ok(()), |_, _: Result<()>| {}).unwrap();
        let ib = b.submit(|_, _| Ok(()), |_, _: Result<()>| {}).unwrap();
        assert!(((1 << 32)..(1 << 53)).contains(&ia), "{ia}");
        assert_ne!(ia, ib);
        // Two random starting points 2^52 apart at most: they meet with odds of about 2^-52.
        assert_eq!(b.cancel(ia).unwrap_err().code(), ResultCode::RequestNotFound);
    }

    #[test]
    fn cancel_reports_cancelled_exactly_once() {
        let rt = runtime(1);
        // bounded(1): the job may be skipped (cancelled while queued), so nobody may receive this.
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let id = rt
            .submit(
                move |_, _| {
                    let _ = release_rx.recv();
                    Ok(1u8)
                },
                move |_, r: Result<u8>| {
                    assert_eq!(r.unwrap_err().code(), ResultCode::Cancelled);
                    c.fetch_add(1, Ordering::SeqCst);
                },
            )
            .unwrap();
        rt.cancel(id).unwrap();
        assert_eq!(rt.cancel(id).unwrap_err().code(), ResultCode::AlreadyCompleted);
        let _ = release_tx.send(());
        rt.wait(Some(id), Duration::from_secs(5), || {}).unwrap();
        // The worker's late result must not produce a second callback.
        rt.shutdown();
        assert_eq!(rt.poll(|| {}).unwrap(), 0);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(rt.cancel(id).unwrap_err().code(), ResultCode::RequestNotFound);
    }

    /// Sets its flag when dropped: tells whether a job's work (and what it captured) is gone.
    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn cancelling_a_queued_job_drops_its_work_at_once_even_with_the_workers_stuck() {
        let rt = runtime(1);
        // The only worker is stuck on the first job until released: the network stalls.
        let (release_tx, release_rx) = crossbeam_channel::bounded::<()>(1);
        let (started_tx, started_rx) = crossbeam_channel::bounded::<()>(1);
        let stuck = rt
            .submit(
                move |_, _| {
                    started_tx.send(()).unwrap();
                    let _ = release_rx.recv();
                    Ok(())
                },
                |_, _r: Result<()>| {},
            )
            .unwrap();
        // Only once the worker is inside it are the others surely queued behind it.
        started_rx.recv_timeout(Duration::from_secs(20)).expect("the worker started the first job");
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let dropped: Vec<Arc<AtomicBool>> = (0..3).map(|_| Arc::new(AtomicBool::new(false))).collect();
        let ran = Arc::new(AtomicUsize::new(0));
        let ids: Vec<RequestId> = dropped
            .iter()
            .map(|flag| {
                let guard = DropFlag(Arc::clone(flag));
                let ran = Arc::clone(&ran);
                let outcomes = Arc::clone(&outcomes);
                rt.submit(
                    move |_, _| {
                        let _keep = &guard;
                        ran.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    },
                    move |_, r: Result<()>| lock(&outcomes).push(r.map_err(|e| e.code())),
                )
                .unwrap()
            })
            .collect();
        // Queued behind the stuck one: cancel frees each work now, not when a worker reaches it.
        rt.cancel(ids[0]).unwrap();
        assert!(dropped[0].load(Ordering::SeqCst), "the cancelled queued job's work was not dropped by cancel");
        assert!(!dropped[1].load(Ordering::SeqCst), "a job still queued lost its work");
        // Shutdown drops the other queued ones at once too, with the worker still stuck.
        let shutdown_rt = Arc::new(rt);
        let closing = Arc::clone(&shutdown_rt);
        let freeing = std::thread::spawn(move || closing.shutdown());
        // shutdown waits for the stuck worker (up to its timeout); the works go before that wait.
        loop {
            // Read before the flags: a shutdown seen finished must have dropped them already.
            let finished = freeing.is_finished();
            if dropped[1].load(Ordering::SeqCst) && dropped[2].load(Ordering::SeqCst) {
                break;
            }
            assert!(!finished, "shutdown ended without dropping the queued works");
            std::thread::yield_now();
        }
        release_tx.send(()).unwrap();
        freeing.join().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0, "a cancelled job ran");
        // Shutdown ran every callback (the cancelled one's too, before a poll delivered it).
        assert_eq!(*lock(&outcomes), [Err(ResultCode::ShutDown); 3]);
        assert_eq!(shutdown_rt.cancel(stuck).unwrap_err().code(), ResultCode::RequestNotFound);
    }

    #[test]
    fn poll_inside_a_callback_is_refused() {
        let rt = Arc::new(runtime(1));
        let inner = Arc::clone(&rt);
        let got = Arc::new(Mutex::new(None));
        let g = Arc::clone(&got);
        let id = rt
            .submit(
                |_, _| Ok(()),
                move |_, _r: Result<()>| {
                    *lock(&g) = Some(inner.poll(|| {}).map(|_| ()).unwrap_err().code());
                },
            )
            .unwrap();
        rt.wait(Some(id), Duration::from_secs(5), || {}).unwrap();
        assert_eq!(*lock(&got), Some(ResultCode::Reentrant));
        // The guard is released afterwards.
        assert!(rt.poll(|| {}).is_ok());
    }

    #[test]
    fn a_panicking_job_becomes_an_internal_error_and_the_worker_survives() {
        let rt = runtime(1);
        let got = Arc::new(Mutex::new(Vec::new()));
        let g1 = Arc::clone(&got);
        let g2 = Arc::clone(&got);
        let a = rt.submit(|_, _| -> Result<u8> { panic!("boom") }, move |_, r| lock(&g1).push(r.map_err(|e| e.code()))).unwrap();
        let b = rt.submit(|_, _| Ok(7u8), move |_, r| lock(&g2).push(r.map_err(|e| e.code()))).unwrap();
        rt.wait(Some(a), Duration::from_secs(5), || {}).unwrap();
        rt.wait(Some(b), Duration::from_secs(5), || {}).unwrap();
        assert_eq!(*lock(&got), vec![Err(ResultCode::Internal), Ok(7)]);
    }

    #[test]
    fn shutdown_delivers_pending_callbacks_once_then_refuses_work() {
        let rt = runtime(1);
        let (block_tx, block_rx) = crossbeam_channel::bounded::<()>(0);
        let codes = Arc::new(Mutex::new(Vec::new()));
        for _ in 0..3 {
            let codes = Arc::clone(&codes);
            let block_rx = block_rx.clone();
            rt.submit(
                move |_, _| {
                    let _ = block_rx.recv_timeout(Duration::from_millis(200));
                    Ok(())
                },
                move |_, r: Result<()>| lock(&codes).push(r.unwrap_err().code()),
            )
            .unwrap();
        }
        rt.shutdown();
        drop(block_tx);
        assert_eq!(*lock(&codes), vec![ResultCode::ShutDown; 3]);
        assert_eq!(rt.submit(|_, _| Ok(()), |_, _: Result<()>| {}).unwrap_err().code(), ResultCode::ShutDown);
        assert_eq!(rt.poll(|| {}).unwrap(), 0);
    }

    #[test]
    fn wait_times_out_and_unknown_ids_are_reported() {
        let rt = runtime(1);
        assert_eq!(rt.wait(Some(999), Duration::from_millis(1), || {}).unwrap_err().code(), ResultCode::RequestNotFound);
        let (tx, rx) = crossbeam_channel::bounded::<()>(0);
        let id = rt.submit(move |_, _| Ok(rx.recv().ok()), |_, _r: Result<Option<()>>| {}).unwrap();
        assert_eq!(rt.wait(Some(id), Duration::from_millis(20), || {}).unwrap_err().code(), ResultCode::WaitTimedOut);
        tx.send(()).unwrap();
        assert_eq!(rt.wait(Some(id), Duration::from_secs(5), || {}).unwrap(), 1);
    }
}
