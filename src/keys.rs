//! Idempotency keys: the one definition of what mod.io accepts (`[a-zA-Z0-9_-]`, 1 to 255
//! characters), used by checkout and by the S2S calls alike.

use std::fmt;

use crate::error::{Error, Result};

/// Longest idempotency key accepted (the C header states the limit in prose).
const IDEMPOTENCY_KEY_MAX_LEN: usize = 255;

/// True for the reference's "alpha dash" strings: `\A[a-zA-Z0-9_-]+\z`.
pub fn is_alpha_dash(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `InvalidArgument` naming `name` unless `value` is 1 to 255 of `[a-zA-Z0-9_-]` (the rule for
/// idempotency keys and for the S2S ids mod.io accepts, such as `gateway_uuid`).
pub fn check_alpha_dash(name: &str, value: &str) -> Result<()> {
    if value.len() > IDEMPOTENCY_KEY_MAX_LEN || !is_alpha_dash(value) {
        return Err(Error::invalid_argument(name, "must be 1 to 255 of [a-zA-Z0-9_-]"));
    }
    Ok(())
}

/// An `X-Modio-Idempotent-Key`: 1 to 255 of `[a-zA-Z0-9_-]`, checked when made, so a bad key is
/// refused before anything is sent. Not a secret.
///
/// One key names one operation of one user (a checkout, an S2S intent, an S2S commit): mod.io
/// scopes keys to the user and keeps them 24 hours, answering a repeat with the first answer.
/// Store the key with your record before sending and reuse it for every retry.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Validates `key`; `InvalidArgument` naming `idempotency_key` when it does not match.
    pub fn new(key: impl Into<String>) -> Result<IdempotencyKey> {
        let key = key.into();
        check_alpha_dash("idempotency_key", &key)?;
        Ok(IdempotencyKey(key))
    }

    /// A fresh random key (a UUID v4, as the reference recommends).
    pub fn generate() -> IdempotencyKey {
        IdempotencyKey(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_once_here() {
        assert!(IdempotencyKey::new("de6382c1-f077-4a53-9805-b0fa3b79478e").is_ok());
        assert!(IdempotencyKey::new("a_b-C9").is_ok());
        assert!(IdempotencyKey::new("x".repeat(255)).is_ok());
        for bad in ["", "has space", "semi;colon", "ünï", &"x".repeat(256)] {
            let e = IdempotencyKey::new(bad).unwrap_err();
            assert!(e.message().contains("idempotency_key"), "{bad}");
        }
        assert!(is_alpha_dash(IdempotencyKey::generate().as_str()));
        assert_ne!(IdempotencyKey::generate(), IdempotencyKey::generate());
    }
}
