//! The player's session: one immutable value (access token, the user it belongs to, an epoch)
//! captured when a request is submitted.
//!
//! Every request, journal entry, cache write and recovery uses only the session it captured, so
//! a token switch in the middle of a checkout can never send player A's purchase with player B's
//! token, or file B's answer under A. `set_access_token`/`clear_access_token` start a new session
//! with a new epoch; requests of the old one still finish and reach their callbacks, but write
//! only to what belongs to their own user.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::error::Secret;

/// One sign-in: a token (or none), and the user behind it once known.
pub(crate) struct Session {
    /// Numbers sessions in the order they began; never reused within a client.
    pub epoch: u64,
    token: Option<Secret>,
    /// Learned from `GET /me` with this very token, or from a fingerprint the data directory
    /// remembers for it. Set at most once: a token belongs to one user.
    user_id: OnceLock<u64>,
}

impl Session {
    pub fn new(epoch: u64, token: Option<Secret>) -> Session {
        Session { epoch, token: token.filter(|t| !t.is_empty()), user_id: OnceLock::new() }
    }

    pub fn token(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    pub fn user_id(&self) -> Option<u64> {
        self.user_id.get().copied()
    }

    /// Records who the token belongs to; returns the id that stands (the first one set).
    pub fn resolve(&self, user_id: u64) -> u64 {
        *self.user_id.get_or_init(|| user_id)
    }
}

/// The client's current session. Reading it is one uncontended read lock and an `Arc` clone.
pub(crate) struct Sessions {
    current: RwLock<Arc<Session>>,
    /// The current session's epoch, readable without the lock (`owns()` compares against it).
    epoch: AtomicU64,
}

impl Sessions {
    pub fn new() -> Sessions {
        Sessions { current: RwLock::new(Arc::new(Session::new(0, None))), epoch: AtomicU64::new(0) }
    }

    /// The session a request submitted now must use.
    pub fn current(&self) -> Arc<Session> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn current_epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Starts a new session with `token`; `prepare` runs on it before it becomes current (so its
    /// user can be set from a remembered fingerprint before any request can see it).
    pub fn begin(&self, token: Option<Secret>, prepare: impl FnOnce(&Session)) -> Arc<Session> {
        let mut slot = self.current.write().unwrap_or_else(|p| p.into_inner());
        let session = Arc::new(Session::new(slot.epoch + 1, token));
        prepare(&session);
        *slot = Arc::clone(&session);
        self.epoch.store(session.epoch, Ordering::Release);
        session
    }
}

/// A token's fingerprint as the data directory stores it: SHA-256 over a per-directory random
/// salt and the token, hex. It lets a restored token find its user offline; it cannot give the
/// token back (tokens are long random strings, and the salt defeats precomputed tables).
pub(crate) fn fingerprint(salt: &str, token: &Secret) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(salt.as_bytes());
    ctx.update(&[0]);
    ctx.update(token.expose().as_bytes());
    crate::hex::lower_hex(ctx.finish().as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_session_has_a_new_epoch_and_keeps_its_token() {
        let sessions = Sessions::new();
        let first = sessions.current();
        assert_eq!((first.epoch, first.token().is_none()), (0, true));
        let a = sessions.begin(Some(Secret::new("token-a")), |_| {});
        let b = sessions.begin(Some(Secret::new("token-b")), |s| {
            s.resolve(7);
        });
        assert_eq!((a.epoch, b.epoch, sessions.current_epoch()), (1, 2, 2));
        assert_eq!(a.token().unwrap().expose(), "token-a", "a captured session keeps its own token");
        assert_eq!(sessions.current().user_id(), Some(7));
        assert_eq!(a.user_id(), None);
        assert_eq!(b.resolve(8), 7, "a token belongs to one user");
        assert!(sessions.begin(Some(Secret::new("")), |_| {}).token().is_none(), "an empty token is none");
    }

    #[test]
    fn fingerprints_depend_on_salt_and_token_and_hide_the_token() {
        let t = Secret::new("secret-token-value");
        let f = fingerprint("salt", &t);
        assert_eq!(f.len(), 64);
        assert_eq!(f, fingerprint("salt", &t));
        assert_ne!(f, fingerprint("other", &t));
        assert_ne!(f, fingerprint("salt", &Secret::new("secret-token-valuf")));
        assert!(!f.contains("secret"));
    }
}
