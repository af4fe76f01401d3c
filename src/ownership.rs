//! Ownership answered without the network: the current session's purchased list in memory, and
//! every user's list in the data directory.
//!
//! The in-memory view belongs to one session (its epoch) and, once known, one user. `owns()`
//! answers only when the view is the current session's, so after a token switch it says "not
//! owned" until the new player's list is known (from disk, keyed by the user the session
//! resolves, or from the server); it never answers with the previous player's list.
//!
//! A change (a checkout's purchase, a refreshed list) names the session and user it came from.
//! It touches the view only when the view is that session's or that user's, and the disk only
//! under that user's id, so an old session's late answer can never land in another player's
//! view or file. Disk and memory take changes in one order (the disk lock is taken first), and
//! `owns()` never waits for a file sync: the view's lock is held only to apply a change.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::log::{LogLevel, Logger};
use crate::persist::{now_unix, now_unix_ms, DataDir, StoredPurchases};
use crate::runtime::lock;

/// A set of mod ids. foldhash instead of SipHash: `owns()` hashes an id on the game thread on
/// every call (SipHash made that ~240 instructions), and the ids come from mod.io over TLS, not
/// from an attacker who could aim for collisions; the seed is random per process all the same.
/// (cbindgen reads this crate for the header and cannot expand this alias: it skips it.)
///
/// cbindgen:ignore
pub(crate) type IdSet = HashSet<u64, foldhash::fast::RandomState>;

/// A user's purchased mods as the client knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OwnedList {
    pub ids: IdSet,
    /// Unix seconds of the last full list from the server.
    pub confirmed_at: Option<i64>,
    /// Purchases this client recorded itself, with the unix milliseconds they were recorded: a
    /// refresh that was already under way when one was made does not erase it.
    pub recent: HashMap<u64, i64>,
}

/// One change to a user's list.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// A checkout succeeded (or mod.io said the mod is already owned).
    Insert { mod_id: u64, at_ms: i64 },
    /// A full purchased list from the server, fetched starting at `started_ms`.
    Replace { ids: IdSet, confirmed_at: i64, started_ms: i64 },
}

impl OwnedList {
    fn from_stored(stored: StoredPurchases) -> OwnedList {
        OwnedList { ids: stored.mod_ids.into_iter().collect(), confirmed_at: stored.confirmed_at, recent: stored.recent }
    }

    fn to_stored(&self) -> StoredPurchases {
        StoredPurchases { mod_ids: self.ids.iter().copied().collect(), confirmed_at: self.confirmed_at, recent: self.recent.clone() }
    }

    pub fn apply(&mut self, change: Change) {
        match change {
            Change::Insert { mod_id, at_ms } => {
                self.ids.insert(mod_id);
                self.recent.insert(mod_id, at_ms);
            }
            Change::Replace { ids, confirmed_at, started_ms } => {
                // A purchase recorded after the refresh began may be missing from its pages.
                self.recent.retain(|_, at| *at >= started_ms);
                self.ids = ids;
                self.ids.extend(self.recent.keys().copied());
                self.confirmed_at = Some(confirmed_at);
            }
        }
    }
}

struct View {
    epoch: u64,
    user_id: Option<u64>,
    /// Shared with the disk writer, which takes its snapshot under the lock by cloning the `Arc`
    /// and turns it into a file outside: a change never copies the list while `owns()` waits.
    /// The writer's snapshot is gone before the next change (both hold the disk lock), so
    /// `Arc::make_mut` does not copy either.
    list: Arc<OwnedList>,
}

pub(crate) struct Ownership {
    data: Option<DataDir>,
    view: RwLock<View>,
    /// Serializes every disk write of a purchased list and the loads that replace the view, so
    /// the file and the view see changes in the same order.
    disk: Mutex<()>,
    logger: Logger,
    /// The last time stamp [`Ownership::stamp`] gave out.
    last_stamp: AtomicI64,
}

impl Ownership {
    pub fn new(data: Option<DataDir>, logger: Logger) -> Ownership {
        Ownership {
            data,
            view: RwLock::new(View { epoch: 0, user_id: None, list: Arc::default() }),
            disk: Mutex::new(()),
            logger,
            last_stamp: AtomicI64::new(0),
        }
    }

    /// Unix milliseconds, strictly increasing across calls: what orders a purchase against the
    /// start of a refresh. Wall-clock milliseconds alone tie when a purchase and the refresh that
    /// follows it fall in the same millisecond, and the refresh then kept a purchase refunded
    /// meanwhile as if it might be newer than its pages.
    pub fn stamp(&self) -> i64 {
        let now = now_unix_ms();
        let mut last = self.last_stamp.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match self.last_stamp.compare_exchange_weak(last, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// Whether the view belongs to session `current_epoch` and lists `mod_id`.
    pub fn owns(&self, current_epoch: u64, mod_id: u64) -> bool {
        let view = self.view.read().unwrap_or_else(|p| p.into_inner());
        view.epoch == current_epoch && view.list.ids.contains(&mod_id)
    }

    /// The current session's owned ids, sorted; empty when the view is not the current session's.
    pub fn owned_ids(&self, current_epoch: u64) -> Vec<u64> {
        let view = self.view.read().unwrap_or_else(|p| p.into_inner());
        if view.epoch != current_epoch {
            return Vec::new();
        }
        let mut ids: Vec<u64> = view.list.ids.iter().copied().collect();
        ids.sort_unstable();
        ids
    }

    pub fn confirmed_at(&self, current_epoch: u64) -> Option<i64> {
        let view = self.view.read().unwrap_or_else(|p| p.into_inner());
        (view.epoch == current_epoch).then_some(view.list.confirmed_at).flatten()
    }

    /// A new session began: the view becomes its own, holding its user's stored list when the
    /// user is already known, else nothing.
    pub fn switch_to(&self, epoch: u64, user_id: Option<u64>) {
        let _disk = self.data.as_ref().map(|_| lock(&self.disk));
        let list = Arc::new(match (&self.data, user_id) {
            (Some(data), Some(user)) => OwnedList::from_stored(data.load_purchases(user)),
            _ => OwnedList::default(),
        });
        let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
        if epoch >= view.epoch {
            *view = View { epoch, user_id, list };
        }
    }

    /// Session `epoch` learned that it belongs to `user_id`: if the view is still that session's,
    /// it takes the user's stored list (keeping what this session already recorded).
    pub fn resolve_user(&self, epoch: u64, user_id: u64) {
        let _disk = self.data.as_ref().map(|_| lock(&self.disk));
        {
            let view = self.view.read().unwrap_or_else(|p| p.into_inner());
            if view.epoch != epoch || view.user_id.is_some() {
                return;
            }
        }
        let stored = self.data.as_ref().map(|d| OwnedList::from_stored(d.load_purchases(user_id)));
        let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
        if view.epoch != epoch || view.user_id.is_some() {
            return;
        }
        view.user_id = Some(user_id);
        if let Some(mut stored) = stored {
            let mine = Arc::clone(&view.list);
            stored.ids.extend(mine.ids.iter().copied());
            stored.recent.extend(mine.recent.iter().map(|(k, v)| (*k, *v)));
            if stored.confirmed_at.is_none() {
                stored.confirmed_at = mine.confirmed_at;
            }
            view.list = Arc::new(stored);
        }
    }

    /// Applies a change made by session `epoch` for `user_id` (when known): to the view if it is
    /// that session's or that user's, and to that user's file. Never to anyone else's.
    pub fn apply(&self, epoch: u64, user_id: Option<u64>, change: Change) {
        let to_disk = self.data.as_ref().zip(user_id);
        let _disk = to_disk.map(|_| lock(&self.disk));
        let mut change = Some(change);
        let written = {
            let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
            // One epoch is one token, so one user; another session of the same player may write too.
            if view.epoch == epoch || (user_id.is_some() && view.user_id == user_id) {
                if let Some(change) = change.take() {
                    Arc::make_mut(&mut view.list).apply(change);
                }
                if view.user_id.is_none() {
                    view.user_id = user_id;
                }
                to_disk.map(|_| Arc::clone(&view.list))
            } else {
                None
            }
        };
        let Some((data, user)) = to_disk else { return };
        let stored = match (written, change) {
            (Some(snapshot), _) => snapshot.to_stored(),
            // Not in view: that user's file alone takes the change.
            (None, Some(change)) => {
                let mut list = OwnedList::from_stored(data.load_purchases(user));
                list.apply(change);
                list.to_stored()
            }
            (None, None) => return,
        };
        if let Err(e) = data.save_purchases(user, &stored) {
            self.logger.log(LogLevel::Warn, format_args!("could not save the purchased list: {e}"));
        }
    }

    pub fn insert(&self, epoch: u64, user_id: Option<u64>, mod_id: u64) {
        let at_ms = self.stamp();
        self.apply(epoch, user_id, Change::Insert { mod_id, at_ms });
    }

    pub fn replace(&self, epoch: u64, user_id: Option<u64>, ids: IdSet, started_ms: i64) {
        self.apply(epoch, user_id, Change::Replace { ids, confirmed_at: now_unix(), started_ms });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u64]) -> IdSet {
        v.iter().copied().collect()
    }

    #[test]
    fn a_refresh_under_way_does_not_erase_a_newer_purchase() {
        let mut list = OwnedList::default();
        list.apply(Change::Insert { mod_id: 5, at_ms: 2_000 });
        // The refresh began before the purchase: its pages may not show it yet.
        list.apply(Change::Replace { ids: ids(&[1]), confirmed_at: 3, started_ms: 1_000 });
        assert_eq!(list.ids, ids(&[1, 5]));
        // A refresh that began after it is the truth (a refund removes it).
        list.apply(Change::Replace { ids: ids(&[1]), confirmed_at: 4, started_ms: 2_500 });
        assert_eq!(list.ids, ids(&[1]));
        assert!(list.recent.is_empty());
    }

    #[test]
    fn a_refresh_started_after_a_purchase_is_the_truth_even_in_the_same_millisecond() {
        let o = Ownership::new(None, Logger::new());
        o.switch_to(1, Some(10));
        for round in 0..200u64 {
            // Bought, then refunded; the refresh that starts right after must drop it.
            o.insert(1, Some(10), 1000 + round);
            let started = o.stamp();
            o.replace(1, Some(10), ids(&[1]), started);
            assert!(!o.owns(1, 1000 + round), "round {round}: a refund survived the refresh that followed it");
            // And a purchase recorded after the refresh started survives it.
            let started = o.stamp();
            o.insert(1, Some(10), 5000 + round);
            o.replace(1, Some(10), ids(&[1]), started);
            assert!(o.owns(1, 5000 + round), "round {round}: a purchase newer than the refresh was lost");
        }
        let (a, b) = (o.stamp(), o.stamp());
        assert!(b > a, "stamps strictly increase");
    }

    #[test]
    fn the_view_answers_only_for_its_session_and_takes_only_its_users_changes() {
        let o = Ownership::new(None, Logger::new());
        o.switch_to(1, Some(10));
        o.insert(1, Some(10), 100);
        assert!(o.owns(1, 100));
        o.switch_to(2, None);
        assert!(!o.owns(2, 100), "the next player starts with nothing");
        // The old session's late answer: not in the new player's view.
        o.insert(1, Some(10), 101);
        o.replace(1, Some(10), ids(&[100, 101, 102]), 0);
        assert_eq!(o.owned_ids(2), Vec::<u64>::new());
        // The new session's own answers are.
        o.insert(2, Some(20), 200);
        assert!(o.owns(2, 200));
        // A stale epoch never replaces a newer view.
        o.switch_to(1, Some(10));
        assert!(o.owns(2, 200));
    }

    #[test]
    fn a_change_written_to_disk_never_copies_the_view() {
        let dir = std::env::temp_dir().join(format!("modio-market-ownership-{}-{}", std::process::id(), now_unix_ms()));
        let o = Ownership::new(Some(DataDir::open(&dir).unwrap()), Logger::new());
        o.switch_to(1, Some(10));
        o.replace(1, Some(10), (0..1000).collect(), 0);
        let before = Arc::as_ptr(&o.view.read().unwrap().list);
        o.insert(1, Some(10), 5000);
        // The disk writer's snapshot was released, so the change was made in place: `owns()`
        // never waited for a copy of the list.
        assert_eq!(Arc::as_ptr(&o.view.read().unwrap().list), before, "the list was copied to apply one purchase");
        assert_eq!(Arc::strong_count(&o.view.read().unwrap().list), 1);
        assert!(o.owns(1, 5000));
        // And the file has it.
        assert!(DataDir::open(&dir).unwrap().load_purchases(10).mod_ids.contains(&5000));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
