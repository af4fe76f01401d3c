//! Download progress, from the worker that streams the file to the game's thread: the worker
//! writes the latest numbers into a slot and rings the client's doorbell at most a few times a
//! second; the next poll calls the game's progress callback with them. Only the latest numbers
//! travel (a slow game loses intermediate steps, never the end), and no progress callback runs
//! after the request's completion callback.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::doorbell::Doorbell;
use crate::runtime::{lock, RequestId};

/// How far a download has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct DownloadProgress {
    /// Bytes of the archive on disk, a resumed part included.
    pub bytes_done: u64,
    /// The archive's size (`filesize`); 0 while unknown.
    pub bytes_total: u64,
}

/// The most often a download reports: five times a second.
pub(crate) const PROGRESS_INTERVAL: Duration = Duration::from_millis(200);

pub(crate) type ProgressFn = Box<dyn FnMut(RequestId, DownloadProgress) + Send>;

/// One download's latest numbers.
pub(crate) struct ProgressSlot {
    /// The request's id, set once submit returned it (0 until then: not delivered yet).
    id: AtomicU64,
    done: AtomicU64,
    total: AtomicU64,
    dirty: AtomicBool,
    /// The download's job ended (ran, or was dropped unrun): the entry goes once its
    /// completion callback ran.
    finished: AtomicBool,
    last_post: Mutex<Option<Instant>>,
    /// The board's "look at me" flag and the client's bell (not the board itself: no cycle).
    signal: Arc<Signal>,
}

/// How a slot tells the pump it has news.
struct Signal {
    dirty: AtomicBool,
    doorbell: Doorbell,
}

impl Signal {
    fn raise(&self) {
        self.dirty.store(true, Ordering::Release);
        self.doorbell.ring();
    }
}

/// Marks its slot finished when dropped: held by the download's job, so a job that ends in any
/// way (done, failed, cancelled while queued, dropped at shutdown) lets its entry go.
pub(crate) struct FinishOnDrop(pub Arc<ProgressSlot>);

impl Drop for FinishOnDrop {
    fn drop(&mut self) {
        self.0.finished.store(true, Ordering::Release);
        self.0.signal.raise();
    }
}

impl ProgressSlot {
    pub fn set_id(&self, id: RequestId) {
        self.id.store(id, Ordering::Release);
    }

    /// Records the numbers; tells the game at most every [`PROGRESS_INTERVAL`], or now when `force`.
    pub fn post(&self, done: u64, total: u64, force: bool) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        {
            let mut last = lock(&self.last_post);
            let now = Instant::now();
            if !force && last.is_some_and(|t| now.duration_since(t) < PROGRESS_INTERVAL) {
                return;
            }
            *last = Some(now);
        }
        self.dirty.store(true, Ordering::Release);
        self.signal.raise();
    }
}

/// Every download in flight with its game callback.
pub(crate) struct ProgressBoard {
    entries: Mutex<Vec<(Arc<ProgressSlot>, ProgressFn)>>,
    signal: Arc<Signal>,
}

impl ProgressBoard {
    pub fn new(doorbell: Doorbell) -> Arc<ProgressBoard> {
        Arc::new(ProgressBoard { entries: Mutex::new(Vec::new()), signal: Arc::new(Signal { dirty: AtomicBool::new(false), doorbell }) })
    }

    /// A slot for a new download whose callback is `progress`.
    pub fn register(self: &Arc<Self>, progress: ProgressFn) -> Arc<ProgressSlot> {
        let slot = Arc::new(ProgressSlot {
            id: AtomicU64::new(0),
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            dirty: AtomicBool::new(false),
            finished: AtomicBool::new(false),
            last_post: Mutex::new(None),
            signal: Arc::clone(&self.signal),
        });
        lock(&self.entries).push((Arc::clone(&slot), progress));
        slot
    }

    /// Forgets a slot whose request was never queued.
    pub fn unregister(&self, slot: &Arc<ProgressSlot>) {
        lock(&self.entries).retain(|(s, _)| !Arc::ptr_eq(s, slot));
    }

    /// Whether a poll has progress to deliver or entries to let go: one load.
    pub fn is_dirty(&self) -> bool {
        self.signal.dirty.load(Ordering::Acquire)
    }

    /// On the polling thread: calls each callback whose download posted since the last call,
    /// while `is_pending(id)` (its completion has not run); drops the entries of requests whose
    /// completion ran. A finished job whose completion is still queued keeps the board dirty, so
    /// the poll that delivers it (or the next) lets the entry go. Callbacks run without the lock
    /// held, so one may start another download.
    pub fn deliver(&self, is_pending: impl Fn(RequestId) -> bool) {
        if !self.signal.dirty.swap(false, Ordering::AcqRel) {
            return;
        }
        let mut taken = std::mem::take(&mut *lock(&self.entries));
        taken.retain_mut(|(slot, callback)| {
            let id = slot.id.load(Ordering::Acquire);
            if id == 0 {
                // Submitted, id not yet stored: keep it and look again at the next poll.
                if slot.dirty.load(Ordering::Acquire) || slot.finished.load(Ordering::Acquire) {
                    self.signal.dirty.store(true, Ordering::Release);
                }
                return true;
            }
            if !is_pending(id) {
                return false;
            }
            if slot.dirty.swap(false, Ordering::AcqRel) {
                let progress =
                    DownloadProgress { bytes_done: slot.done.load(Ordering::Relaxed), bytes_total: slot.total.load(Ordering::Relaxed) };
                callback(id, progress);
            }
            if slot.finished.load(Ordering::Acquire) {
                self.signal.dirty.store(true, Ordering::Release);
            }
            true
        });
        let mut entries = lock(&self.entries);
        let added_meanwhile = std::mem::replace(&mut *entries, taken);
        entries.extend(added_meanwhile);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_latest_numbers_reach_the_game_and_nothing_after_the_end() {
        let board = ProgressBoard::new(Doorbell::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let slot = board.register(Box::new(move |id, p| sink.lock().unwrap().push((id, p.bytes_done, p.bytes_total))));
        slot.post(10, 100, true);
        board.deliver(|_| true);
        assert!(seen.lock().unwrap().is_empty(), "no id yet: nothing delivered");
        slot.set_id(7);
        board.deliver(|_| true);
        slot.post(20, 100, false); // throttled: within the interval
        slot.post(30, 100, true);
        board.deliver(|_| true);
        assert_eq!(*seen.lock().unwrap(), [(7, 10, 100), (7, 30, 100)]);
        slot.post(100, 100, true);
        board.deliver(|_| false);
        assert_eq!(seen.lock().unwrap().len(), 2, "the request completed: its progress is dropped");
        assert!(lock(&board.entries).is_empty());

        // A job that ends before its completion is delivered keeps the board dirty until then.
        let other = board.register(Box::new(|_, _| {}));
        other.set_id(8);
        drop(FinishOnDrop(Arc::clone(&other)));
        board.deliver(|_| true);
        assert!(board.is_dirty() && lock(&board.entries).len() == 1, "kept while its completion is queued");
        board.deliver(|_| false);
        assert!(!board.is_dirty() && lock(&board.entries).is_empty(), "let go once delivered");
        assert_eq!(Arc::strong_count(&other), 1, "the board holds no slot any more");
    }
}
