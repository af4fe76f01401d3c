//! "Something is queued for the pump": one flag that lets an idle `poll` return after a couple of
//! atomic loads instead of looking into each queue (the completion and log channels cost tens of
//! instructions each to ask).
//!
//! The protocol: a producer rings *after* it queued (a completion, a log record); the pump
//! clears the bell *before* it drains. So whatever a producer queued is either drained by the
//! pump that cleared the bell, or rings it again for the next poll; nothing is left unseen.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cheap handle to one client's bell, shared by its logger, its runtime and its workers.
#[derive(Clone, Default)]
pub(crate) struct Doorbell(Arc<AtomicBool>);

impl Doorbell {
    /// Call after queueing something for the pump.
    pub fn ring(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether something may be queued (the idle poll's check).
    pub fn is_rung(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Call before draining the queues.
    pub fn clear(&self) {
        // A plain store is not enough to order the drain after it on every architecture; the
        // swap is a read-modify-write, which keeps the later loads of the queues after it.
        self.0.swap(false, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_until_cleared_and_is_shared_by_clones() {
        let bell = Doorbell::default();
        let other = bell.clone();
        assert!(!bell.is_rung());
        other.ring();
        assert!(bell.is_rung());
        bell.clear();
        assert!(!other.is_rung());
    }
}
