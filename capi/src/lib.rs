//! The C ABI: a thin skin over the Rust API.
//!
//! Conventions (repeated at the top of `capi/include/modio_market.h`):
//! - every exported symbol starts with `modio_market_`; handles come in `_new`/`_free` pairs;
//! - the handle is the first argument, out-params are last and named `*_out`, written only on success;
//! - fallible functions return `modio_market_result`; the last failure's text on this thread is in
//!   `modio_market_last_error_message`;
//! - every pointer is checked (`MODIO_MARKET_RESULT_NULL_POINTER`), every string must be UTF-8
//!   (`MODIO_MARKET_RESULT_INVALID_UTF8`);
//! - every exported body runs behind one panic boundary (`ffi_boundary!`): a bug becomes
//!   `MODIO_MARKET_RESULT_INTERNAL`, never an abort of the game.

use std::cell::RefCell;
use std::ffi::{c_char, CStr};

use modio_market::{Error, ResultCode};

#[macro_use]
mod macros {
    /// The one panic boundary around every exported body. On a panic it records the failure and
    /// returns the type's [`Fallback`](super::Fallback) value.
    macro_rules! ffi_boundary {
        ($body:block) => {{
            match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
                Ok(value) => value,
                Err(_) => {
                    $crate::set_last_error_text("internal error: a panic was caught at the C boundary");
                    $crate::Fallback::fallback()
                }
            }
        }};
    }

    /// An exported body returning `modio_market_result`, written as a `Result<(), Error>` block.
    macro_rules! ffi_result {
        ($body:block) => {
            ffi_boundary!({
                // A closure on purpose: `?` and `return` in the body leave the body, not the export.
                #[allow(clippy::redundant_closure_call)]
                let outcome: ::std::result::Result<(), ::modio_market::Error> = (|| $body)();
                $crate::finish(outcome)
            })
        };
    }
}

mod client;
mod config;
mod history;
mod install;
mod pump;
mod s2s;
mod store;
mod types;
mod util;

pub use client::*;
pub use config::*;
pub use history::*;
pub use install::*;
pub use s2s::*;
pub use store::*;
pub use types::*;
pub use util::*;

/// The value an exported function returns when a panic was caught.
pub trait Fallback {
    fn fallback() -> Self;
}

impl Fallback for ResultCode {
    fn fallback() -> Self {
        ResultCode::Internal
    }
}
impl Fallback for () {
    fn fallback() -> Self {}
}
impl Fallback for bool {
    fn fallback() -> Self {
        false
    }
}
impl Fallback for *const c_char {
    fn fallback() -> Self {
        std::ptr::null()
    }
}

thread_local! {
    pub(crate) static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error_text(text: &str) {
    LAST_ERROR.with(|e| {
        let mut e = e.borrow_mut();
        e.clear();
        e.push_str(text);
    });
}

/// Records a failure's text for `modio_market_last_error_message` and returns its code.
#[inline]
pub(crate) fn finish(outcome: Result<(), Error>) -> ResultCode {
    match outcome {
        Ok(()) => ResultCode::Ok,
        Err(e) => finish_failed(e),
    }
}

/// Out of line: the success path of every export (an idle poll, an `owns`) stays a few
/// instructions, without a call or the error's formatting code in its way.
#[cold]
#[inline(never)]
fn finish_failed(e: Error) -> ResultCode {
    set_last_error_text(&e.to_string());
    e.code()
}

/// Longest string argument accepted; longer ones are `INVALID_ARGUMENT` (no real token is near it).
pub const MAX_STRING_ARGUMENT_BYTES: usize = 64 * 1024;

/// A required pointer argument.
pub(crate) unsafe fn arg_ref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T, Error> {
    ptr.as_ref().ok_or_else(|| Error::new(ResultCode::NullPointer, format!("argument `{name}` is NULL")))
}

/// A required out-param.
pub(crate) unsafe fn arg_out<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T, Error> {
    ptr.as_mut().ok_or_else(|| Error::new(ResultCode::NullPointer, format!("argument `{name}` is NULL")))
}

/// A required UTF-8 string.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::new(ResultCode::NullPointer, format!("argument `{name}` is NULL")));
    }
    let bytes = CStr::from_ptr(ptr).to_bytes();
    if bytes.len() > MAX_STRING_ARGUMENT_BYTES {
        return Err(Error::invalid_argument(name, "longer than 65536 bytes"));
    }
    std::str::from_utf8(bytes).map_err(|_| Error::new(ResultCode::InvalidUtf8, format!("argument `{name}` is not valid UTF-8")))
}

/// `count` items at `ptr` (an array argument): NULL is allowed only with `count` 0; more than
/// `max` items is `INVALID_ARGUMENT`.
pub(crate) unsafe fn arg_slice<'a, T>(ptr: *const T, count: usize, max: usize, name: &str) -> Result<&'a [T], Error> {
    if count == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::new(ResultCode::NullPointer, format!("argument `{name}` is NULL with a count of {count}")));
    }
    if count > max {
        return Err(Error::invalid_argument(name, "has too many items"));
    }
    Ok(std::slice::from_raw_parts(ptr, count))
}

/// An optional UTF-8 string: NULL is `None`.
pub(crate) unsafe fn arg_opt_str<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>, Error> {
    if ptr.is_null() {
        Ok(None)
    } else {
        arg_str(ptr, name).map(Some)
    }
}
