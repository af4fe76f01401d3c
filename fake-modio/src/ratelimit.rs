//! Rate limits that hold, on the fake clock (`restapi/restapi-rate-limiting.md`).
//!
//! - A 429 holds until its `retry-after` has passed: 11008 (global) blocks every endpoint for
//!   that credential, 11009 only the endpoint that answered it. A `retry-after` of 0 is a rolling
//!   limit and blocks nothing afterwards. The `rate_limit` fault starts such a block, and so does
//!   going over a counted limit.
//! - Counted limits (when a test turns them on: `POST /_control/rate_limits`): per user token
//!   120 requests and 60 writes a minute, per IP 1000 requests and 60 writes a minute, API keys
//!   of a game unlimited. Going over answers 429 / 11008 with the seconds until the minute's
//!   window ends, and blocks that credential until then.
//!
//! A credential is the bearer token when the request has one, else the `api_key`; the IP is
//! loopback for every test, so the IP limits count every request the fake receives.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::errors;
use crate::http::{ApiResponse, Req};

/// The reference's defaults, per minute.
pub const USER_PER_MINUTE: u32 = 120;
pub const USER_WRITES_PER_MINUTE: u32 = 60;
pub const IP_PER_MINUTE: u32 = 1000;
pub const IP_WRITES_PER_MINUTE: u32 = 60;

const WINDOW_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counter {
    User,
    UserWrites,
    Ip,
    IpWrites,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub user_per_minute: u32,
    pub user_writes_per_minute: u32,
    pub ip_per_minute: u32,
    pub ip_writes_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            user_per_minute: USER_PER_MINUTE,
            user_writes_per_minute: USER_WRITES_PER_MINUTE,
            ip_per_minute: IP_PER_MINUTE,
            ip_writes_per_minute: IP_WRITES_PER_MINUTE,
        }
    }
}

#[derive(Debug, Default)]
pub struct RateLimits {
    /// Counted limits; `None`: off (the default: the project's suites send far more than a
    /// player would, so a test that is about limits turns them on).
    pub counted: Option<Limits>,
    /// 11008: credential → the fake time the block ends.
    global_until: HashMap<String, i64>,
    /// 11009: (credential, "METHOD /path") → the fake time the block ends.
    endpoint_until: HashMap<(String, String), i64>,
    /// (credential, counter) → (window start, requests in it).
    windows: HashMap<(String, Counter), (i64, u32)>,
}

fn credential(req: &Req) -> String {
    match (req.bearer(), req.query("api_key")) {
        (Some(token), _) => format!("token:{token}"),
        (None, Some(key)) => format!("key:{key}"),
        (None, None) => "anonymous".to_owned(),
    }
}

fn endpoint(req: &Req) -> String {
    format!("{} {}", req.method, req.path)
}

fn is_write(req: &Req) -> bool {
    !matches!(req.method.as_str(), "GET" | "HEAD" | "OPTIONS")
}

fn limited(error_ref: u32, retry_after: i64) -> ApiResponse {
    errors::rate_limited(error_ref).with_header("retry-after", &retry_after.max(1).to_string())
}

impl RateLimits {
    /// A 429 was answered (an injected fault): it holds for `retry_after` seconds from `now`.
    pub fn record(&mut self, req: &Req, error_ref: u32, retry_after: u64, now: i64) {
        if retry_after == 0 {
            return; // rolling: nothing is blocked afterwards
        }
        let until = now.saturating_add(retry_after as i64);
        if error_ref == 11009 {
            self.endpoint_until
                .insert((credential(req), endpoint(req)), until);
        } else {
            self.global_until.insert(credential(req), until);
        }
    }

    /// The 429 that answers `req` instead of processing it, if a limit holds; else counts it.
    pub fn check(&mut self, req: &Req, now: i64) -> Option<ApiResponse> {
        let who = credential(req);
        if let Some(&until) = self.global_until.get(&who) {
            if now < until {
                return Some(limited(11008, until - now));
            }
            self.global_until.remove(&who);
        }
        let key = (who.clone(), endpoint(req));
        if let Some(&until) = self.endpoint_until.get(&key) {
            if now < until {
                return Some(limited(11009, until - now));
            }
            self.endpoint_until.remove(&key);
        }
        let limits = self.counted.clone()?;
        let user = who.starts_with("token:");
        let write = is_write(req);
        let mut counters = vec![(Counter::Ip, "ip".to_owned(), limits.ip_per_minute)];
        if write {
            counters.push((
                Counter::IpWrites,
                "ip".to_owned(),
                limits.ip_writes_per_minute,
            ));
        }
        if user {
            counters.push((Counter::User, who.clone(), limits.user_per_minute));
            if write {
                counters.push((
                    Counter::UserWrites,
                    who.clone(),
                    limits.user_writes_per_minute,
                ));
            }
        }
        // Over any one of them: refused, and nothing is counted.
        for (counter, owner, limit) in &counters {
            let (start, count) = self.window(owner, *counter, now);
            if count >= *limit {
                let until = start + WINDOW_SECS;
                self.global_until.insert(who, until);
                return Some(limited(11008, until - now));
            }
        }
        for (counter, owner, _) in counters {
            let window = self.windows.entry((owner, counter)).or_insert((now, 0));
            window.1 += 1;
        }
        None
    }

    /// The current window of `counter` for `owner` (a new one when the last has ended).
    fn window(&mut self, owner: &str, counter: Counter, now: i64) -> (i64, u32) {
        let window = self
            .windows
            .entry((owner.to_owned(), counter))
            .or_insert((now, 0));
        if now >= window.0 + WINDOW_SECS {
            *window = (now, 0);
        }
        *window
    }

    /// `DELETE /_control/rate_limits`: no hold, no count; the counted limits stay as configured.
    pub fn clear(&mut self) {
        self.global_until.clear();
        self.endpoint_until.clear();
        self.windows.clear();
    }

    /// `POST /_control/rate_limits`: `{"enabled":bool, "user_per_minute"?, ...}`.
    pub fn configure(&mut self, body: &Value) -> Result<Value, String> {
        let enabled = body
            .get("enabled")
            .and_then(Value::as_bool)
            .ok_or("\"enabled\" (a boolean) is required")?;
        if !enabled {
            self.counted = None;
            self.windows.clear();
            return Ok(json!({"enabled": false}));
        }
        let mut limits = Limits::default();
        for (name, slot) in [
            ("user_per_minute", &mut limits.user_per_minute),
            ("user_writes_per_minute", &mut limits.user_writes_per_minute),
            ("ip_per_minute", &mut limits.ip_per_minute),
            ("ip_writes_per_minute", &mut limits.ip_writes_per_minute),
        ] {
            if let Some(v) = body.get(name) {
                *slot = v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or(format!("\"{name}\" must be a non-negative integer"))?;
            }
        }
        let answer = json!({
            "enabled": true,
            "user_per_minute": limits.user_per_minute,
            "user_writes_per_minute": limits.user_writes_per_minute,
            "ip_per_minute": limits.ip_per_minute,
            "ip_writes_per_minute": limits.ip_writes_per_minute,
        });
        self.counted = Some(limits);
        self.windows.clear();
        Ok(answer)
    }
}
