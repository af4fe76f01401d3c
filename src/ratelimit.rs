//! Remembers mod.io's rate limits so the client stops sending while one is in force, as the
//! reference asks: after ref 11008 (global) every request waits out `retry-after`; after 11009
//! only the endpoint that was called does. A held-back request fails fast with `RateLimited`
//! carrying the remaining wait (or, when that fits the retry deadline, waits and then goes).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{error_ref, Error, ResultCode};
use crate::runtime::lock;

/// The longest rate-limit wait the client honours: a `retry-after` beyond it (a misbehaving
/// server, `18446744073709551615`) is taken as this, so the client never stops sending for good.
pub const MAX_RETRY_AFTER_SECS: u64 = 3600;

#[derive(Default)]
pub(crate) struct RateLimitGate {
    global_until: Mutex<Option<Instant>>,
    endpoint_until: Mutex<HashMap<String, Instant>>,
}

impl RateLimitGate {
    /// How long `path` must still wait, if a limit covers it.
    pub fn remaining(&self, path: &str) -> Option<Duration> {
        let now = Instant::now();
        let global = lock(&self.global_until).filter(|t| *t > now);
        let endpoint = lock(&self.endpoint_until).get(path).copied().filter(|t| *t > now);
        global.into_iter().chain(endpoint).max().map(|until| until - now)
    }

    /// Records the limit a 429 from the server announced.
    pub fn note(&self, path: &str, error: &Error) {
        if error.code() != ResultCode::RateLimited {
            return;
        }
        let Some(secs) = error.retry_after_secs() else { return };
        // Checked: a huge wait must not overflow the clock (it panicked here before the cap).
        let wait = Duration::from_secs(secs.min(MAX_RETRY_AFTER_SECS));
        let Some(until) = Instant::now().checked_add(wait) else { return };
        if error.error_ref() == error_ref::RATE_LIMITED_ENDPOINT {
            let mut map = lock(&self.endpoint_until);
            map.retain(|_, t| *t > Instant::now());
            map.insert(path.to_owned(), until);
        } else {
            // 11008, or a 429 without a known ref: the safe reading is "everything".
            *lock(&self.global_until) = Some(until);
        }
    }

    /// The error a held-back request fails with, without being sent.
    pub fn held_back(path: &str, wait: Duration) -> Error {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Error::http(429, 0, format!("not sent: mod.io's rate limit covering /{path} is still in force"), Default::default())
            .with_retry_after(Some(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(r: i64, secs: u64) -> Error {
        Error::http(429, r, "slow down", Default::default()).with_retry_after(Some(secs))
    }

    #[test]
    fn endpoint_limits_stay_on_their_endpoint() {
        let g = RateLimitGate::default();
        g.note("me/wallets", &limited(error_ref::RATE_LIMITED_ENDPOINT, 30));
        assert!(g.remaining("me/wallets").unwrap() > Duration::from_secs(29));
        assert!(g.remaining("games/1/mods").is_none());
    }

    #[test]
    fn global_limits_cover_everything() {
        let g = RateLimitGate::default();
        g.note("me/wallets", &limited(error_ref::RATE_LIMITED, 10));
        assert!(g.remaining("games/1/mods").is_some());
        let e = RateLimitGate::held_back("games/1/mods", g.remaining("games/1/mods").unwrap());
        assert_eq!(e.code(), ResultCode::RateLimited);
        assert_eq!(e.retry_after_secs(), Some(10));
    }

    #[test]
    fn an_absurd_wait_is_capped_instead_of_overflowing() {
        let g = RateLimitGate::default();
        g.note("x", &limited(error_ref::RATE_LIMITED, u64::MAX));
        let left = g.remaining("x").unwrap();
        assert!(left <= Duration::from_secs(MAX_RETRY_AFTER_SECS), "{left:?}");
    }

    #[test]
    fn other_errors_and_zero_waits_do_not_block() {
        let g = RateLimitGate::default();
        g.note("x", &Error::http(503, 0, "down", Default::default()));
        g.note("x", &limited(error_ref::RATE_LIMITED, 0));
        assert!(g.remaining("x").is_none());
    }
}
