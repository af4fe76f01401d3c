//! Driving async I/O on the client's own worker threads: each worker keeps a current-thread
//! tokio runtime (and its HTTP client, see `transport`) for its whole life, and every wait on the
//! network can be abandoned at once when its request is cancelled or its client freed.

use std::cell::RefCell;
use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use crate::error::{Error, Result, ResultCode};

/// How often a request in flight looks whether it was cancelled (or its client freed).
pub(crate) const CANCEL_CHECK: Duration = Duration::from_millis(10);

thread_local! {
    /// The current-thread runtime of a worker thread, made on its first request and shut down
    /// by [`release_thread_runtime`] when the worker ends. `None` on other threads.
    static WORKER_RUNTIME: RefCell<Option<tokio::runtime::Runtime>> = const { RefCell::new(None) };
    static IS_WORKER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// A worker's HTTP client, with the address of the transport it belongs to.
    pub(crate) static WORKER_HTTP: RefCell<Option<(usize, reqwest::Client)>> = const { RefCell::new(None) };
}

fn new_runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ResultCode::Internal, format!("could not start the I/O runtime: {e}")))
}

/// Called by a worker thread when it starts: its requests reuse one runtime.
pub(crate) fn enter_worker() {
    IS_WORKER.with(|w| w.set(true));
}

/// Called by a worker thread as it ends. Shuts its runtime down without waiting for a host
/// lookup still running on the runtime's blocking pool (getaddrinfo cannot be interrupted), so a
/// freed client is never held up by DNS.
pub(crate) fn release_thread_runtime() {
    // The client's connections belong to the runtime: they go first.
    WORKER_HTTP.with(|slot| slot.borrow_mut().take());
    if let Some(rt) = WORKER_RUNTIME.with(|r| r.borrow_mut().take()) {
        rt.shutdown_background();
    }
}

/// Drives `future` to completion on this thread, or gives up with `Cancelled` once `is_cancelled`
/// is true, looking every [`CANCEL_CHECK`]. Dropping the future closes its connection. A runtime
/// that cannot be started is `Internal`, never taken for a cancellation.
pub(crate) fn run_abortable<F: Future>(future: F, is_cancelled: &dyn Fn() -> bool) -> Result<F::Output> {
    if is_cancelled() {
        return Err(Error::cancelled());
    }
    let drive = |rt: &tokio::runtime::Runtime| {
        rt.block_on(async {
            let mut future = std::pin::pin!(future);
            let mut check = tokio::time::interval(CANCEL_CHECK);
            check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            std::future::poll_fn(|cx| {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready(Some(output));
                }
                while check.poll_tick(cx).is_ready() {
                    if is_cancelled() {
                        return Poll::Ready(None);
                    }
                }
                Poll::Pending
            })
            .await
        })
        .ok_or_else(Error::cancelled)
    };
    if is_worker() {
        WORKER_RUNTIME.with(|slot| {
            let mut slot = slot.borrow_mut();
            if slot.is_none() {
                *slot = Some(new_runtime()?);
            }
            drive(slot.as_ref().expect("made just above"))
        })
    } else {
        // A blocking S2S call on the caller's own thread: a runtime for this call only.
        let rt = new_runtime()?;
        let output = drive(&rt);
        rt.shutdown_background();
        output
    }
}

/// Whether this thread is one of a client's workers.
pub(crate) fn is_worker() -> bool {
    IS_WORKER.with(|w| w.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_never_ends_is_abandoned_once_cancelled() {
        // The check runs while the future is pending: the third look says "cancelled".
        let looks = std::cell::Cell::new(0);
        let cancelled = || {
            looks.set(looks.get() + 1);
            looks.get() >= 3
        };
        let code = |r: Result<()>| r.map_err(|e| e.code());
        assert_eq!(code(run_abortable(std::future::pending::<()>(), &cancelled)), Err(ResultCode::Cancelled));
        assert_eq!(looks.get(), 3);
        assert_eq!(run_abortable(async { 7 }, &|| false).ok(), Some(7), "a ready future completes");
        assert_eq!(code(run_abortable(async {}, &|| true)), Err(ResultCode::Cancelled), "nothing starts once cancelled");
        enter_worker();
        assert_eq!(run_abortable(async { 8 }, &|| false).ok(), Some(8), "on a worker thread too");
        release_thread_runtime();
    }
}
