//! Injected misbehaviour, so the library's retry, timeout and parsing paths can be tested
//! against the failures a real network and a real CDN produce.
//!
//! A rule matches by path prefix (and optionally method) and applies to the next `count`
//! matching requests. Some faults answer *instead of* processing (the request never
//! reaches the state), the others process the request first and then bend the answer:
//! the distinction matters to a client deciding whether a retry could charge twice.

use serde_json::{json, Value};

/// One kind of misbehaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Process, then close the connection without sending a byte of response.
    CloseAfter,
    /// Fail before processing with this 5xx status and a JSON error object.
    StatusBefore { status: u16 },
    /// Fail before processing with 429, a `retry-after` header and ref 11008 or 11009.
    RateLimit { retry_after: u64, error_ref: u32 },
    /// Process, then wait this long before answering.
    Delay { ms: u64 },
    /// Process, then answer 200 with the first half of the body (Content-Length matches
    /// the cut body, so only the JSON is broken, not the HTTP framing).
    TruncatedJson,
    /// Fail before processing with a 502 HTML page, like a proxy in front of the API.
    HtmlError,
    /// Answer exactly this instead of processing.
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Process, then answer with the real body padded with spaces to `bytes` in total
    /// (still valid JSON: tests the client's response-size limit, not its parser).
    Oversized { bytes: usize },
    /// Process, then send the whole response at this rate (headers included).
    Trickle { bytes_per_sec: u64 },
    /// Answer a redirect to `location` instead of processing.
    Redirect { status: u16, location: String },
    /// Process, then send the head (with the full Content-Length) and only the first `bytes`
    /// bytes of the body, and close: a download cut off mid-file.
    DropAfter { bytes: u64 },
    /// Process, then answer with one byte of the body changed (a corrupted CDN copy): the size
    /// is right, the MD5 is not.
    Corrupt,
}

impl Fault {
    /// Does this fault answer before the request is processed?
    pub fn is_before(&self) -> bool {
        matches!(
            self,
            Fault::StatusBefore { .. }
                | Fault::RateLimit { .. }
                | Fault::HtmlError
                | Fault::Raw { .. }
                | Fault::Redirect { .. }
        )
    }

    /// The control interface's name for this kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::CloseAfter => "close_after",
            Fault::StatusBefore { .. } => "status_before",
            Fault::RateLimit { .. } => "rate_limit",
            Fault::Delay { .. } => "delay",
            Fault::TruncatedJson => "truncated_json",
            Fault::HtmlError => "html_error",
            Fault::Raw { .. } => "raw",
            Fault::Oversized { .. } => "oversized",
            Fault::Trickle { .. } => "trickle",
            Fault::Redirect { .. } => "redirect",
            Fault::DropAfter { .. } => "drop_after",
            Fault::Corrupt => "corrupt",
        }
    }

    /// Parses the control interface's flat form: `{"kind":"rate_limit","retry_after":5,
    /// "error_ref":11009}`; parameters sit beside `kind`.
    pub fn from_json(v: &Value) -> Result<Fault, String> {
        let kind = v
            .get("kind")
            .and_then(Value::as_str)
            .ok_or("\"kind\" (a string) is required")?;
        let num = |name: &str| -> Result<u64, String> {
            v.get(name).and_then(Value::as_u64).ok_or(format!(
                "\"{name}\" (a non-negative integer) is required for {kind}"
            ))
        };
        let num_or = |name: &str, default: u64| -> Result<u64, String> {
            match v.get(name) {
                None => Ok(default),
                Some(x) => x
                    .as_u64()
                    .ok_or(format!("\"{name}\" must be a non-negative integer")),
            }
        };
        let text = |name: &str| -> Result<String, String> {
            v.get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or(format!("\"{name}\" (a string) is required for {kind}"))
        };
        Ok(match kind {
            "close_after" => Fault::CloseAfter,
            "status_before" => {
                let status = num_or("status", 503)?;
                if !(500..=599).contains(&status) {
                    return Err("\"status\" must be a 5xx status".into());
                }
                Fault::StatusBefore {
                    status: status as u16,
                }
            }
            "rate_limit" => {
                let error_ref = num_or("error_ref", 11008)?;
                if error_ref != 11008 && error_ref != 11009 {
                    return Err("\"error_ref\" must be 11008 or 11009".into());
                }
                Fault::RateLimit {
                    retry_after: num_or("retry_after", 60)?,
                    error_ref: error_ref as u32,
                }
            }
            "delay" => Fault::Delay { ms: num("ms")? },
            "truncated_json" => Fault::TruncatedJson,
            "html_error" => Fault::HtmlError,
            "raw" => Fault::Raw {
                status: num("status")? as u16,
                content_type: v
                    .get("content_type")
                    .and_then(Value::as_str)
                    .unwrap_or("application/json")
                    .to_string(),
                body: text("body")?,
            },
            "oversized" => Fault::Oversized {
                bytes: num("bytes")? as usize,
            },
            "trickle" => {
                let rate = num("bytes_per_sec")?;
                if rate == 0 {
                    return Err("\"bytes_per_sec\" must be at least 1".into());
                }
                Fault::Trickle {
                    bytes_per_sec: rate,
                }
            }
            "redirect" => {
                let status = num_or("status", 302)?;
                if !(300..=399).contains(&status) {
                    return Err("\"status\" must be a 3xx status".into());
                }
                Fault::Redirect {
                    status: status as u16,
                    location: text("location")?,
                }
            }
            "drop_after" => Fault::DropAfter {
                bytes: num("bytes")?,
            },
            "corrupt" => Fault::Corrupt,
            other => return Err(format!("unknown fault kind \"{other}\"")),
        })
    }

    /// The flat JSON form, as `GET /_control/faults` lists it.
    pub fn to_json(&self) -> Value {
        let mut v = match self {
            Fault::CloseAfter | Fault::TruncatedJson | Fault::HtmlError | Fault::Corrupt => {
                json!({})
            }
            Fault::DropAfter { bytes } => json!({"bytes": bytes}),
            Fault::StatusBefore { status } => json!({"status": status}),
            Fault::RateLimit {
                retry_after,
                error_ref,
            } => json!({"retry_after": retry_after, "error_ref": error_ref}),
            Fault::Delay { ms } => json!({"ms": ms}),
            Fault::Raw {
                status,
                content_type,
                body,
            } => json!({"status": status, "content_type": content_type, "body": body}),
            Fault::Oversized { bytes } => json!({"bytes": bytes}),
            Fault::Trickle { bytes_per_sec } => json!({"bytes_per_sec": bytes_per_sec}),
            Fault::Redirect { status, location } => {
                json!({"status": status, "location": location})
            }
        };
        v["kind"] = json!(self.kind());
        v
    }
}

/// A fault waiting for requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Matched against the request path without the query, e.g. "/v1/me/wallets".
    pub path_prefix: String,
    /// Upper-case method, or any method when `None`.
    pub method: Option<String>,
    pub remaining: u32,
    pub fault: Fault,
}

impl FaultRule {
    pub fn matches(&self, method: &str, path: &str) -> bool {
        path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}
