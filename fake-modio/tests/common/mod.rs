//! A tiny HTTP/1.1 client over std's TcpStream: enough to see exactly what the fake puts
//! on the wire (a real client library would hide truncation, resets and framing).
#![allow(dead_code)] // each test file uses a different subset

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use fake_modio::demo;
use serde_json::Value;

/// A safety net so a broken fault makes a test fail instead of hanging forever; no test
/// relies on it for timing.
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the documented error object and returns it.
    pub fn assert_error(&self, status: u16, error_ref: u64) -> Value {
        let v = self.json();
        assert_eq!(self.status, status, "status of {v}");
        assert_eq!(v["error"]["code"], status, "code in {v}");
        assert_eq!(v["error"]["error_ref"], error_ref, "error_ref in {v}");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        assert_eq!(self.header("content-type"), Some("application/json"));
        v
    }
}

/// Splits "http://host:port/path?q" into ("host:port", "/path?q").
pub fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    match rest.find('/') {
        Some(i) => (rest[..i].to_string(), rest[i..].to_string()),
        None => (rest.to_string(), "/".to_string()),
    }
}

/// Writes one request on `stream` (keep-alive: no `Connection: close`).
pub fn write_request(
    stream: &mut TcpStream,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<()> {
    let (host, target) = split_url(url);
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// Reads one response framed by Content-Length. Errors (not panics) on EOF or reset so
/// fault tests can assert them.
pub fn read_response(stream: &mut TcpStream) -> io::Result<Resp> {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte)? {
            0 => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("EOF after {} header bytes", raw.len()),
                ))
            }
            _ => raw.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, status_line.to_string()))?;
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub fn connect(url: &str) -> TcpStream {
    let (host, _) = split_url(url);
    let stream = TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    stream
}

/// One request on a fresh connection.
pub fn try_send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Resp> {
    let mut stream = connect(url);
    write_request(&mut stream, method, url, headers, body)?;
    read_response(&mut stream)
}

pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    try_send(method, url, headers, body).expect("request")
}

pub fn get(url: &str) -> Resp {
    send("GET", url, &[], b"")
}

pub fn get_auth(url: &str, token: &str) -> Resp {
    let auth = format!("Bearer {token}");
    send("GET", url, &[("Authorization", &auth)], b"")
}

/// URL-encodes form fields the way a correct client must.
pub fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish().into_bytes()
}

pub const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// A form POST with an optional bearer token.
pub fn post_form(url: &str, token: Option<&str>, fields: &[(&str, &str)]) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![FORM];
    if let Some(a) = &auth {
        headers.push(("Authorization", a));
    }
    send("POST", url, &headers, &form(fields))
}

/// A JSON POST to the control interface.
pub fn control(server: &fake_modio::FakeServer, method: &str, path: &str, body: Value) -> Resp {
    let url = format!("{}{}", server.control_url(), path);
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        serde_json::to_vec(&body).unwrap()
    };
    send(
        method,
        &url,
        &[("Content-Type", "application/json")],
        &bytes,
    )
}

/// `?api_key=` for game 1.
pub fn with_key(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}api_key={}", demo::API_KEY)
}

/// Authenticates alice through Steam and returns her token.
pub fn alice_token(server: &fake_modio::FakeServer) -> String {
    let r = post_form(
        &with_key(&format!("{}/external/steamauth", server.base_url())),
        None,
        &[("appdata", demo::ALICE_STEAM_TICKET)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["access_token"].as_str().unwrap().to_string()
}

/// The ids of a 200 listing (`data`), in the order served.
pub fn ids(r: &Resp) -> Vec<u64> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}
