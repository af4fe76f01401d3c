//! What every pumped handle (`modio_market_client`, `modio_market_s2s_client`) shares at the C
//! boundary: a free that is deferred when it comes from one of the handle's own callbacks, the
//! poll/wait call that performs that deferred free, and the bridge to a C log callback.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use modio_market::LogLevel;
use modio_market::LogSink;
use modio_market::{Error, ResultCode};

use super::arg_ref;
use super::client::modio_market_log_cb;
use super::types::{Arena, UserData};

/// A handle whose callbacks run inside its own poll/wait.
pub(crate) trait Pumped {
    /// Set once a free was asked for; the drop happens exactly once, by whoever set it first
    /// outside a callback, or by the outermost pump when set from inside one.
    fn free_requested(&self) -> &AtomicBool;
    fn is_pumping_on_this_thread(&self) -> bool;
    fn poll(&self) -> modio_market::Result<usize>;
    fn wait_one(&self, request_id: u64, timeout: Duration) -> modio_market::Result<usize>;
    fn wait_any(&self, timeout: Duration) -> modio_market::Result<usize>;

    /// The C `_wait`: until `request_id`'s callback ran, or any callback when it is 0.
    fn wait_c(&self, request_id: u64, timeout_ms: u32) -> modio_market::Result<usize> {
        let timeout = Duration::from_millis(u64::from(timeout_ms));
        if request_id == 0 {
            self.wait_any(timeout)
        } else {
            self.wait_one(request_id, timeout)
        }
    }
}

/// The body of a `_free`: deferred from inside one of the handle's callbacks (the pump running
/// it frees on return), ignored from a callback that a free of the same handle is running (its
/// last callbacks and log records are delivered while it shuts down).
pub(crate) unsafe fn free_pumped<H: Pumped>(handle: *mut H) {
    if handle.is_null() {
        return;
    }
    if (*handle).is_pumping_on_this_thread() {
        (*handle).free_requested().store(true, Ordering::Release);
        return;
    }
    if (*handle).free_requested().swap(true, Ordering::AcqRel) {
        return;
    }
    drop(Box::from_raw(handle));
}

/// The body of a poll or wait: runs `pump`, then performs a free that one of the callbacks asked
/// for, and writes `ran_out` (optional).
pub(crate) unsafe fn pump_pumped<H: Pumped>(
    handle: *mut H,
    ran_out: *mut usize,
    pump: impl FnOnce(&H) -> modio_market::Result<usize>,
) -> Result<(), Error> {
    let outcome = pump(arg_ref(handle, "client")?);
    // Only the outermost pump may release: a nested call refused as REENTRANT runs inside a
    // callback of the pump that is still using the handle.
    let nested = matches!(&outcome, Err(e) if e.code() == ResultCode::Reentrant);
    if !nested && (*handle).free_requested().load(Ordering::Acquire) {
        drop(Box::from_raw(handle));
    }
    let ran = outcome?;
    if let Some(out) = ran_out.as_mut() {
        *out = ran;
    }
    Ok(())
}

/// The level and sink for a C log callback; `(None, None)` when `callback` is NULL (logging off).
pub(crate) fn c_log_sink(
    max_level: u32,
    callback: modio_market_log_cb,
    user_data: *mut c_void,
) -> Result<(Option<LogLevel>, Option<LogSink>), Error> {
    let Some(callback) = callback else { return Ok((None, None)) };
    let level =
        LogLevel::from_u32(max_level).ok_or_else(|| Error::new(ResultCode::UnknownEnumValue, format!("unknown log level {max_level}")))?;
    let user_data = UserData(user_data);
    let sink: LogSink = Box::new(move |level, message| {
        let mut arena = Arena::default();
        let text = arena.str(message);
        // SAFETY: the caller's callback, with the documented contract.
        unsafe { callback(user_data.get(), level, text) };
    });
    Ok((Some(level), Some(sink)))
}
