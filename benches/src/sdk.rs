//! The library as a game sees it: every call goes through the exported C functions
//! (`modio_market_capi::*`, the same symbols as `capi/include/modio_market.h`), with C callbacks
//! and a `user_data` pointer. Nothing here uses the Rust API.

use std::cell::{Cell, RefCell};
use std::ffi::{c_void, CStr, CString};
use std::ptr;

use modio_market::ResultCode;
use modio_market_capi::*;

pub const GAME_ID: u64 = fake_modio::demo::GAME_ID;
pub const API_KEY: &str = fake_modio::demo::API_KEY;

/// What the callbacks report into; lives on the polling thread (callbacks run only there).
#[derive(Default)]
pub struct Tally {
    pub ok: Cell<u64>,
    pub err: Cell<u64>,
    /// Mods received (pages and purchase lists).
    pub items: Cell<u64>,
    pub last_error: RefCell<String>,
}

impl Tally {
    pub fn done(&self) -> u64 {
        self.ok.get() + self.err.get()
    }

    fn as_user_data(&self) -> *mut c_void {
        self as *const Tally as *mut c_void
    }

    /// Warns (and counts, for the table's footer) when requests that must succeed failed: the
    /// numbers around them are then suspect. Returns whether all succeeded.
    pub fn expect_ok(&self, what: &str) -> bool {
        let failed = self.err.get();
        if failed == 0 {
            return true;
        }
        eprintln!("bench: WARNING: {what}: {failed} requests failed, last: {}", self.last_error.borrow());
        FAILED.fetch_add(failed, std::sync::atomic::Ordering::Relaxed);
        self.err.set(0);
        false
    }
}

/// Requests that failed during the run (each also reported on stderr).
pub static FAILED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

unsafe fn record<T>(user_data: *mut c_void, error: *const modio_market_error, result: *const T) -> Option<&'static T> {
    let tally = &*(user_data as *const Tally);
    if let Some(e) = error.as_ref() {
        tally.err.set(tally.err.get() + 1);
        if !e.message.is_null() {
            *tally.last_error.borrow_mut() = CStr::from_ptr(e.message).to_string_lossy().into_owned();
        }
        return None;
    }
    tally.ok.set(tally.ok.get() + 1);
    result.as_ref()
}

unsafe extern "C" fn on_wallet(ud: *mut c_void, _id: u64, error: *const modio_market_error, w: *const modio_market_wallet) {
    if let Some(w) = record(ud, error, w) {
        std::hint::black_box(w.balance);
    }
}

unsafe extern "C" fn on_checkout(ud: *mut c_void, _id: u64, error: *const modio_market_error, c: *const modio_market_checkout) {
    if let Some(c) = record(ud, error, c) {
        std::hint::black_box(c.balance);
    }
}

unsafe extern "C" fn on_page(ud: *mut c_void, _id: u64, error: *const modio_market_error, p: *const modio_market_mod_page) {
    if let Some(p) = record(ud, error, p) {
        let tally = &*(ud as *const Tally);
        tally.items.set(tally.items.get() + p.mod_count as u64);
    }
}

unsafe extern "C" fn on_purchases(ud: *mut c_void, _id: u64, error: *const modio_market_error, p: *const modio_market_purchases) {
    if let Some(p) = record(ud, error, p) {
        let tally = &*(ud as *const Tally);
        tally.items.set(tally.items.get() + p.mod_count as u64);
    }
}

fn check(code: ResultCode, what: &str) {
    if code != ResultCode::Ok {
        let mut buf = vec![0u8; 1024];
        let mut len = 0usize;
        // SAFETY: buffer valid for its length, len a valid out-param.
        unsafe { modio_market_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut len) };
        buf.truncate(len.min(1023));
        panic!("{what} failed: {code:?}: {}", String::from_utf8_lossy(&buf));
    }
}

/// How a benchmark client is set up.
pub struct Setup<'a> {
    pub base_url: &'a str,
    pub access_token: Option<&'a str>,
    pub workers: u32,
    pub request_timeout_ms: u32,
    /// `modio_market_config_set_data_dir`: the checkout journal and the on-disk purchased list.
    pub data_dir: Option<&'a str>,
}

impl<'a> Setup<'a> {
    pub fn new(base_url: &'a str) -> Setup<'a> {
        // 10 s: a request the fake never answers costs the run 10 s, not 30.
        Setup { base_url, access_token: None, workers: 2, request_timeout_ms: 10_000, data_dir: None }
    }
    pub fn token(mut self, token: &'a str) -> Self {
        self.access_token = Some(token);
        self
    }
    pub fn workers(mut self, n: u32) -> Self {
        self.workers = n;
        self
    }
    pub fn request_timeout_ms(mut self, ms: u32) -> Self {
        self.request_timeout_ms = ms;
        self
    }
    pub fn data_dir(mut self, dir: &'a str) -> Self {
        self.data_dir = Some(dir);
        self
    }
}

/// A `modio_market_client*`, freed on drop.
pub struct Sdk {
    client: *mut modio_market_client,
}

impl Sdk {
    pub fn new(setup: Setup<'_>) -> Sdk {
        let key = CString::new(API_KEY).unwrap();
        let url = CString::new(setup.base_url).unwrap();
        // SAFETY: every pointer is valid for the call; the config is freed before returning.
        unsafe {
            let mut config = ptr::null_mut();
            check(modio_market_config_new(GAME_ID, key.as_ptr(), &mut config), "config_new");
            check(modio_market_config_set_base_url(config, url.as_ptr()), "config_set_base_url");
            check(modio_market_config_set_worker_threads(config, setup.workers), "config_set_worker_threads");
            check(modio_market_config_set_timeouts(config, 5_000, setup.request_timeout_ms), "config_set_timeouts");
            if let Some(dir) = setup.data_dir {
                let dir = CString::new(dir).unwrap();
                check(modio_market_config_set_data_dir(config, dir.as_ptr()), "config_set_data_dir");
            }
            let mut client = ptr::null_mut();
            let made = modio_market_client_new(config, &mut client);
            modio_market_config_free(config);
            check(made, "client_new");
            if let Some(token) = setup.access_token {
                let token = CString::new(token).unwrap();
                check(modio_market_client_set_access_token(client, token.as_ptr()), "set_access_token");
            }
            Sdk { client }
        }
    }

    /// `modio_market_client_get_wallet`; returns the request id.
    #[inline]
    pub fn get_wallet(&self, tally: &Tally) -> u64 {
        let mut id = 0;
        // SAFETY: live client; the tally outlives the request (callers wait for it or free the client first).
        let code = unsafe { modio_market_client_get_wallet(self.client, Some(on_wallet), tally.as_user_data(), &mut id) };
        check(code, "get_wallet");
        id
    }

    /// `modio_market_client_get_mods` for one page of paid mods.
    pub fn get_paid_mods(&self, offset: u64, limit: u32, tally: &Tally) -> u64 {
        let mut id = 0;
        let paid = modio_market_revenue_type::Paid as u32;
        // SAFETY: as get_wallet; a NULL search is allowed.
        let code = unsafe {
            modio_market_client_get_mods(self.client, paid, offset, limit, ptr::null(), Some(on_page), tally.as_user_data(), &mut id)
        };
        check(code, "get_mods");
        id
    }

    /// `modio_market_client_checkout` with a generated idempotency key.
    pub fn checkout(&self, mod_id: u64, price: i64, tally: &Tally) -> u64 {
        let mut id = 0;
        // SAFETY: as get_wallet; a NULL idempotency key asks the library for a UUID.
        let code = unsafe {
            modio_market_client_checkout(self.client, mod_id, price, ptr::null(), Some(on_checkout), tally.as_user_data(), &mut id)
        };
        check(code, "checkout");
        id
    }

    /// `modio_market_client_refresh_purchases`.
    pub fn refresh_purchases(&self, tally: &Tally) -> u64 {
        let mut id = 0;
        // SAFETY: as get_wallet.
        let code = unsafe { modio_market_client_refresh_purchases(self.client, Some(on_purchases), tally.as_user_data(), &mut id) };
        check(code, "refresh_purchases");
        id
    }

    /// `modio_market_client_poll`; returns how many callbacks ran.
    #[inline]
    pub fn poll(&self) -> usize {
        let mut ran = 0;
        // SAFETY: live client, valid out-param.
        check(unsafe { modio_market_client_poll(self.client, &mut ran) }, "poll");
        ran
    }

    /// `modio_market_client_poll` with no out-param, the cheapest form a game loop uses.
    #[inline]
    pub fn poll_bare(&self) -> ResultCode {
        // SAFETY: live client; NULL ran_out is allowed.
        unsafe { modio_market_client_poll(self.client, ptr::null_mut()) }
    }

    /// Blocks until request `id`'s callback ran (or `0`: any callback).
    pub fn wait(&self, id: u64) {
        // SAFETY: live client; NULL ran_out is allowed.
        let code = unsafe { modio_market_client_wait(self.client, id, 60_000, ptr::null_mut()) };
        // An id whose callback already ran inside an earlier wait is not an error here.
        if code != ResultCode::RequestNotFound {
            check(code, "wait");
        }
    }

    pub fn cancel(&self, id: u64) {
        // SAFETY: live client. ALREADY_COMPLETED is a fine outcome for a benchmark.
        let _ = unsafe { modio_market_client_cancel(self.client, id) };
    }

    pub fn pending(&self) -> usize {
        let mut n = 0;
        // SAFETY: live client, valid out-param.
        check(unsafe { modio_market_client_pending_requests(self.client, &mut n) }, "pending_requests");
        n
    }

    /// `modio_market_client_owns`.
    #[inline]
    pub fn owns(&self, mod_id: u64) -> bool {
        let mut owns = false;
        // SAFETY: live client, valid out-param.
        let code = unsafe { modio_market_client_owns(self.client, mod_id, &mut owns) };
        debug_assert_eq!(code, ResultCode::Ok);
        owns
    }

    /// Runs `n` wallet requests with at most `window` in flight; returns when every callback ran.
    pub fn wallets(&self, n: u64, window: u64, tally: &Tally) {
        let start = tally.done();
        let mut submitted = 0;
        while tally.done() - start < n {
            while submitted < n && submitted - (tally.done() - start) < window {
                self.get_wallet(tally);
                submitted += 1;
            }
            self.wait(0);
        }
    }
}

impl Sdk {
    /// Runs `n` wallet requests the way a dedicated server's tick loop does: submit what it
    /// needs (at most `window` in flight), `poll` once, sleep `tick`.
    pub fn wallets_ticked(&self, n: u64, window: u64, tick: std::time::Duration, tally: &Tally) {
        let start = tally.done();
        let mut submitted = 0;
        while tally.done() - start < n {
            while submitted < n && submitted - (tally.done() - start) < window {
                self.get_wallet(tally);
                submitted += 1;
            }
            self.poll();
            if !tick.is_zero() {
                std::thread::sleep(tick);
            }
        }
    }
}

impl Drop for Sdk {
    fn drop(&mut self) {
        // SAFETY: the pointer came from client_new and is freed once.
        unsafe { modio_market_client_free(self.client) };
    }
}
