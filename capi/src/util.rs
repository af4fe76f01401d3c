//! Library-wide functions: version, result names and messages, error refs, the last error.

use std::ffi::c_char;

use modio_market::{error_ref, Error, ResultCode};

use super::{arg_out, set_last_error_text, LAST_ERROR};

/// NUL-terminated static strings for the tables below, built at compile time.
macro_rules! cstr {
    ($s:expr) => {
        concat!($s, "\0").as_ptr() as *const c_char
    };
}

/// The library version, e.g. "1.0.0". Static: never free it. Any thread.
///
/// @return A static NUL-terminated string, never NULL.
#[no_mangle]
pub extern "C" fn modio_market_version() -> *const c_char {
    ffi_boundary!({ cstr!(env!("CARGO_PKG_VERSION")) })
}

/// Whether this library serves a game built against header version `header_major.header_minor`:
/// the same major version, and a minor version at least the header's (a newer minor version keeps
/// every struct field, function and value of the older ones). Call it once at start, as
/// `MODIO_MARKET_VERSION_CHECK()` does with the header's own `MODIO_MARKET_VERSION_MAJOR` and
/// `MODIO_MARKET_VERSION_MINOR`, and refuse to run when it is false (a stale DLL or .so beside the
/// game). Never fails. Any thread.
///
/// @param header_major MODIO_MARKET_VERSION_MAJOR of the header the game was built with.
/// @param header_minor MODIO_MARKET_VERSION_MINOR of the header the game was built with.
/// @return true when the game may use this library, false when it must not.
#[no_mangle]
pub extern "C" fn modio_market_version_is_compatible(header_major: u32, header_minor: u32) -> bool {
    ffi_boundary!({ is_compatible(header_major, header_minor) })
}

fn is_compatible(header_major: u32, header_minor: u32) -> bool {
    let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0);
    let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0);
    header_major == major && header_minor <= minor
}

fn static_cstr(nul_terminated: &'static str) -> *const c_char {
    debug_assert!(nul_terminated.ends_with('\0'));
    nul_terminated.as_ptr() as *const c_char
}

/// The constant's name for a result code ("MODIO_MARKET_RESULT_HTTP"), or
/// "MODIO_MARKET_RESULT_UNKNOWN" for a number the library does not define. Static. Any thread.
///
/// @param result Any number; unknown ones are named as unknown.
/// @return A static NUL-terminated string, never NULL.
#[no_mangle]
pub extern "C" fn modio_market_result_name(result: u32) -> *const c_char {
    ffi_boundary!({
        match ResultCode::from_u32(result) {
            Some(code) => static_cstr(code.name_nul()),
            None => cstr!("MODIO_MARKET_RESULT_UNKNOWN"),
        }
    })
}

/// A short English description of a result code ("the request timed out"). Static. Any thread.
///
/// @param result Any number; unknown ones get a generic text.
/// @return A static NUL-terminated string, never NULL.
#[no_mangle]
pub extern "C" fn modio_market_result_message(result: u32) -> *const c_char {
    ffi_boundary!({
        match ResultCode::from_u32(result) {
            Some(code) => static_cstr(code.message_nul()),
            None => cstr!("unknown result code"),
        }
    })
}

/// The name of a mod.io `error_ref` the library knows ("MONETIZATION_INSUFFICIENT_FUNDS"), or
/// NULL for others (they still reach you as numbers). Static. Any thread.
///
/// @param error_ref A mod.io error_ref number.
/// @return A static NUL-terminated string, or NULL when the library does not name that error_ref.
#[no_mangle]
pub extern "C" fn modio_market_error_ref_name(error_ref: i64) -> *const c_char {
    ffi_boundary!({
        match error_ref::name_nul(error_ref) {
            Some(name) => static_cstr(name),
            None => std::ptr::null(),
        }
    })
}

/// Copies the text of the most recent failed call made on this thread (it names the bad
/// argument, for example) into `buffer` as a NUL-terminated string.
///
/// `length_out` receives the text's length without the NUL. When `buffer` is NULL or
/// `buffer_len` is too small, returns `MODIO_MARKET_RESULT_BUFFER_TOO_SMALL` with the length
/// written, so the caller can retry with `length + 1` bytes. Any thread; per thread.
///
/// @param buffer Where the text is written, NUL-terminated; may be NULL when buffer_len is 0.
/// @param buffer_len The size of buffer in bytes (0 to only ask for the length).
/// @param length_out Receives the text's length in bytes without the NUL, also when buffer is too small.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `buffer` must be NULL or valid for `buffer_len` bytes; `length_out` must be valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_last_error_message(buffer: *mut c_char, buffer_len: usize, length_out: *mut usize) -> ResultCode {
    ffi_boundary!({
        let length_out = match arg_out(length_out, "length_out") {
            Ok(l) => l,
            Err(e) => return e.code(),
        };
        LAST_ERROR.with(|text| {
            let text = text.borrow();
            *length_out = text.len();
            if buffer.is_null() || buffer_len <= text.len() {
                return ResultCode::BufferTooSmall;
            }
            std::ptr::copy_nonoverlapping(text.as_ptr(), buffer as *mut u8, text.len());
            *buffer.add(text.len()) = 0;
            ResultCode::Ok
        })
    })
}

#[allow(dead_code)]
fn _keep(e: Error) {
    set_last_error_text(e.message());
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_header_is_compatible_with_its_own_library_and_older_minors_only() {
        let major: u32 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap();
        let minor: u32 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap();
        assert!(super::is_compatible(major, minor));
        assert!(super::is_compatible(major, 0));
        assert!(!super::is_compatible(major, minor + 1), "a header newer than the library");
        assert!(!super::is_compatible(major + 1, 0));
        assert!(!super::is_compatible(major.wrapping_sub(1), minor));
    }
}
