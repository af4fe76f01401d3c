//! Plain request/response values, so the routes never touch the wire: a handler takes a
//! `Req` (body already read) and returns an `ApiResponse`; `server.rs` applies the faults and
//! `wire.rs` turns the reply into bytes.

use serde_json::{json, Map, Value};

/// One request, fully read.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path without the query string, exactly as received (still percent-encoded).
    pub path: String,
    /// The raw query string without `?` ("" when absent).
    pub raw_query: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    /// A header's value by case-insensitive name (the first one if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A decoded query parameter (the last one wins if repeated, as PHP does).
    pub fn query(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.raw_query.as_bytes())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .last()
    }

    /// Every decoded query parameter, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.raw_query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The token of `Authorization: Bearer <token>`, if any.
    pub fn bearer(&self) -> Option<String> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let token = token.trim();
        (!token.is_empty()).then(|| token.to_string())
    }

    /// Decodes an `application/x-www-form-urlencoded` body. A body without a Content-Type
    /// answers 415 / 13005 and any other Content-Type 415 / 13006 (`restapi-errors.md`); an
    /// empty body without a Content-Type is an empty form (Steam sync and the delegation token
    /// have no body). An `input_json` field holds the payload as a JSON object whose fields
    /// take priority over the form's (`restapi-introduction.md`); bad JSON there is 400 / 13004.
    pub fn form(&self) -> Result<Form, ApiResponse> {
        let content_type = self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
        match content_type.as_deref() {
            Some("application/x-www-form-urlencoded") => {}
            None if self.body.is_empty() => {}
            None => {
                return Err(ApiResponse::error(
                    415,
                    13005,
                    "The Content-Type header is missing from your request.",
                ))
            }
            _ => {
                return Err(ApiResponse::error(
                    415,
                    13006,
                    "The Content-Type header is not supported for this endpoint. Send application/x-www-form-urlencoded.",
                ))
            }
        }
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if let Some(at) = pairs.iter().rposition(|(k, _)| k == "input_json") {
            let (_, json) = pairs.remove(at);
            let bad_json = || {
                ApiResponse::error(
                    400,
                    13004,
                    "You have used the input_json parameter with semantically incorrect JSON.",
                )
            };
            let object = match serde_json::from_str::<serde_json::Value>(&json) {
                Ok(serde_json::Value::Object(object)) => object,
                _ => return Err(bad_json()),
            };
            for (key, value) in object {
                let text = match value {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                        return Err(bad_json())
                    }
                    other => other.to_string(),
                };
                // Later pairs win in `Form::get`: the JSON object takes priority.
                pairs.push((key, text));
            }
        }
        Ok(Form { pairs })
    }
}

/// A decoded form body.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub pairs: Vec<(String, String)>,
}

impl Form {
    /// A field's value; empty strings count as absent, as Laravel's `required` does.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Collects input errors so one 422 names every bad field at once.
#[derive(Debug, Default)]
pub struct Validation {
    errors: Map<String, Value>,
}

impl Validation {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors
            .entry(field.to_string())
            .or_insert_with(|| Value::String(message.into()));
    }

    /// Records a "required" error when the field is absent, and returns its value.
    pub fn require<'a>(&mut self, form: &'a Form, field: &str) -> Option<&'a str> {
        let value = form.get(field);
        if value.is_none() {
            self.add(
                field,
                format!("The {} field is required.", field.replace('_', " ")),
            );
        }
        value
    }

    /// Like `require`, and the value must be an integer.
    pub fn require_int(&mut self, form: &Form, field: &str) -> Option<i64> {
        let raw = self.require(form, field)?;
        self.parse_int(field, raw)
    }

    /// An optional integer field: absent is fine, garbage is an error.
    pub fn optional_int(&mut self, form: &Form, field: &str) -> Option<i64> {
        let raw = form.get(field)?;
        self.parse_int(field, raw)
    }

    fn parse_int(&mut self, field: &str, raw: &str) -> Option<i64> {
        match raw.trim().parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.add(
                    field,
                    format!("The {} must be an integer.", field.replace('_', " ")),
                );
                None
            }
        }
    }

    /// `Err(422 / 13009)` with the `errors` map when anything failed.
    pub fn finish(self) -> Result<(), ApiResponse> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(ApiResponse::json(
            422,
            json!({"error": {
                "code": 422,
                "error_ref": 13009,
                "message": "Validation Failed. Please see below to fix invalid input.",
                "errors": Value::Object(self.errors),
            }}),
        ))
    }
}

/// What a route answers: status, extra headers and body. Content-Type is a header
/// like any other so faults (`raw`, `html_error`) can set their own.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ApiResponse {
    pub fn json(status: u16, value: Value) -> Self {
        ApiResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(&value).expect("a Value always serializes"),
        }
    }

    pub fn ok(value: Value) -> Self {
        Self::json(200, value)
    }

    /// The documented error object `{"error":{"code","error_ref","message"}}`.
    pub fn error(status: u16, error_ref: u32, message: &str) -> Self {
        Self::json(
            status,
            json!({"error": {"code": status, "error_ref": error_ref, "message": message}}),
        )
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// Shorthand for a route's result: the error side is simply the answer to send.
pub type Answer = Result<ApiResponse, ApiResponse>;

/// Flattens an `Answer` into the response to send.
pub fn settle(answer: Answer) -> ApiResponse {
    answer.unwrap_or_else(|e| e)
}
