//! Every fault kind, seen from the wire.

mod common;

use std::io::{ErrorKind, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::*;
use fake_modio::{demo, FakeServer, Fault};
use serde_json::json;

fn url(server: &FakeServer, path: &str) -> String {
    format!("{}{}", server.base_url(), path)
}

fn buy(s: &FakeServer, key: &str) -> std::io::Result<Resp> {
    let auth = format!("Bearer {}", demo::BOB_ACCESS_TOKEN);
    try_send(
        "POST",
        &url(s, "/games/1/mods/1001/checkout"),
        &[FORM, ("Authorization", &auth)],
        &form(&[
            ("type", "0"),
            ("display_amount", "100"),
            ("idempotent_key", key),
        ]),
    )
}

const CHECKOUT: &str = "/v1/games/1/mods/1001/checkout";

/// Reads everything the server sends until it closes; a reset counts as closed.
fn read_until_closed(stream: &mut std::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return got,
            Err(e) => panic!("expected the server to close the connection, got {e}"),
        }
    }
}

#[test]
fn close_after_processes_then_drops_the_connection_without_a_status() {
    let s = FakeServer::start();
    s.add_fault(CHECKOUT, 1, Fault::CloseAfter);
    // A keep-alive connection, as a pooling client would use.
    let mut stream = connect(&s.base_url());
    let auth = format!("Bearer {}", demo::BOB_ACCESS_TOKEN);
    write_request(
        &mut stream,
        "POST",
        &url(&s, "/games/1/mods/1001/checkout"),
        &[FORM, ("Authorization", &auth)],
        &form(&[
            ("type", "0"),
            ("display_amount", "100"),
            ("idempotent_key", "ka"),
        ]),
    )
    .unwrap();
    let got = read_until_closed(&mut stream);
    assert!(
        got.is_empty(),
        "no byte of response, got {:?}",
        String::from_utf8_lossy(&got)
    );
    // It was processed: the retry with the same key replays the purchase, no 2nd charge.
    assert_eq!(s.charges().len(), 1);
    let retry = buy(&s, "ka").unwrap();
    assert_eq!(retry.status, 200);
    assert_eq!(retry.json()["balance"], 400);
    assert_eq!(s.charges().len(), 1);
}

#[test]
fn close_after_counts_and_spares_other_paths() {
    let s = FakeServer::start();
    s.add_fault("/v1/games/1/mods", 2, Fault::CloseAfter);
    let mods = with_key(&url(&s, "/games/1/mods"));
    for _ in 0..2 {
        let err = try_send("GET", &mods, &[], b"").unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
            ),
            "{err}"
        );
    }
    assert_eq!(get(&mods).status, 200, "the third is normal");
    assert_eq!(get(&with_key(&url(&s, "/games/1"))).status, 200);
}

#[test]
fn status_before_fails_without_processing() {
    let s = FakeServer::start();
    for (status, error_ref) in [(500, 10002), (502, 10000), (503, 10000)] {
        s.add_fault(CHECKOUT, 1, Fault::StatusBefore { status });
        buy(&s, "k").unwrap().assert_error(status, error_ref);
    }
    assert!(s.charges().is_empty());
    assert_eq!(buy(&s, "k").unwrap().status, 200, "the key was never used");
}

#[test]
fn rate_limit_answers_429_with_retry_after() {
    let s = FakeServer::start();
    s.add_fault(
        "/v1/me/wallets",
        1,
        Fault::RateLimit {
            retry_after: 57,
            error_ref: 11009,
        },
    );
    s.add_fault(
        "/v1/me/wallets",
        1,
        Fault::RateLimit {
            retry_after: 0,
            error_ref: 11008,
        },
    );
    let w = url(&s, "/me/wallets?game_id=1");
    let r = get_auth(&w, demo::BOB_ACCESS_TOKEN);
    r.assert_error(429, 11009);
    assert_eq!(r.header("retry-after"), Some("57"));
    let r = get_auth(&w, demo::BOB_ACCESS_TOKEN);
    r.assert_error(429, 11008);
    assert_eq!(r.header("retry-after"), Some("0"));
    // The 11009 of the first answer still holds (see the tests below); past it, all is well.
    get_auth(&w, demo::BOB_ACCESS_TOKEN).assert_error(429, 11009);
    advance(&s, 58);
    assert_eq!(get_auth(&w, demo::BOB_ACCESS_TOKEN).status, 200);
    // Not processed.
    s.add_fault(
        CHECKOUT,
        1,
        Fault::RateLimit {
            retry_after: 1,
            error_ref: 11008,
        },
    );
    buy(&s, "k").unwrap().assert_error(429, 11008);
    assert!(s.charges().is_empty());
}

#[test]
fn delay_processes_first_and_does_not_block_other_requests() {
    let s = FakeServer::start();
    let delay = Duration::from_millis(1500);
    s.add_fault(
        CHECKOUT,
        1,
        Fault::Delay {
            ms: delay.as_millis() as u64,
        },
    );
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let slow = scope.spawn(|| {
            let start = Instant::now();
            let r = buy(&s, "slow").unwrap();
            done.store(true, Ordering::SeqCst);
            (r, start.elapsed())
        });
        // Logging and processing share one critical section: once the request shows in
        // the log, the charge is already made.
        while s.requests().is_empty() {
            std::thread::yield_now();
        }
        assert_eq!(s.charges().len(), 1, "processed before the answer");
        let fast = get(&with_key(&url(&s, "/games/1")));
        assert_eq!(fast.status, 200);
        assert!(
            !done.load(Ordering::SeqCst),
            "the fast request did not wait for the slow one"
        );
        let (r, elapsed) = slow.join().unwrap();
        assert_eq!(r.status, 200);
        assert!(elapsed >= delay, "{elapsed:?}");
    });
}

#[test]
fn truncated_json_is_cut_in_half_after_processing() {
    let s = FakeServer::start();
    let full = get(&with_key(&url(&s, "/games/1")));
    s.add_fault("/v1/games/1", 1, Fault::TruncatedJson);
    let cut = get(&with_key(&url(&s, "/games/1")));
    assert_eq!(cut.status, 200);
    assert_eq!(cut.body.len(), full.body.len() / 2);
    // The body differs only in cached-until timestamps; compare the stable prefix.
    assert_eq!(&cut.body[..20], &full.body[..20]);
    assert!(serde_json::from_slice::<serde_json::Value>(&cut.body).is_err());

    // Errors are cut too, and still answered 200; the request was processed.
    s.add_fault(CHECKOUT, 1, Fault::TruncatedJson);
    let r = buy(&s, "t").unwrap();
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    assert_eq!(s.charges().len(), 1);
}

#[test]
fn html_error_is_a_502_page_before_processing() {
    let s = FakeServer::start();
    s.add_fault(CHECKOUT, 1, Fault::HtmlError);
    let r = buy(&s, "h").unwrap();
    assert_eq!(r.status, 502);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.text().contains("<html>"));
    assert!(s.charges().is_empty());
}

#[test]
fn raw_answers_exactly_what_it_is_told() {
    let s = FakeServer::start();
    s.add_fault(
        CHECKOUT,
        1,
        Fault::Raw {
            status: 418,
            content_type: "text/plain".into(),
            body: "teapot".into(),
        },
    );
    let r = buy(&s, "r").unwrap();
    assert_eq!(r.status, 418);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.text(), "teapot");
    assert!(s.charges().is_empty());
}

#[test]
fn oversized_pads_a_valid_body() {
    let s = FakeServer::start();
    let bytes = 3 * 1024 * 1024;
    s.add_fault("/v1/games/1/mods", 1, Fault::Oversized { bytes });
    let r = get(&with_key(&url(&s, "/games/1/mods")));
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), bytes);
    assert_eq!(r.header("content-length"), Some(bytes.to_string().as_str()));
    assert_eq!(r.json()["result_total"], 2, "still the real answer");
}

#[test]
fn trickle_sends_slowly_but_completely() {
    let s = FakeServer::start();
    let rate = 4000u64;
    s.add_fault(
        "/v1/games/1",
        1,
        Fault::Trickle {
            bytes_per_sec: rate,
        },
    );
    let mut stream = connect(&s.base_url());
    let start = Instant::now();
    write_request(
        &mut stream,
        "GET",
        &with_key(&url(&s, "/games/1")),
        &[],
        b"",
    )
    .unwrap();
    // peek waits for the first byte without consuming it.
    stream.peek(&mut [0u8; 1]).unwrap();
    let first_byte = start.elapsed();
    let rest = read_response(&mut stream).unwrap();
    let total = start.elapsed();
    assert_eq!(rest.status, 200);
    assert_eq!(rest.json()["id"], 1);
    let expected = Duration::from_secs_f64(rest.body.len() as f64 / rate as f64);
    assert!(total >= expected, "{total:?} < {expected:?}");
    assert!(
        first_byte * 3 < total,
        "bytes arrive gradually: first {first_byte:?}, all {total:?}"
    );
    // The connection stays usable after a trickled answer.
    write_request(
        &mut stream,
        "GET",
        &with_key(&url(&s, "/games/1")),
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, 200);
}

#[test]
fn redirect_points_elsewhere_without_processing() {
    let s = FakeServer::start();
    let target = format!("{}/games/1", s.base_url());
    s.add_fault(
        CHECKOUT,
        1,
        Fault::Redirect {
            status: 307,
            location: target.clone(),
        },
    );
    let r = buy(&s, "x").unwrap();
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), Some(target.as_str()));
    assert!(s.charges().is_empty());
}

#[test]
fn faults_through_the_control_interface() {
    let s = FakeServer::start();
    let kinds = [
        json!({"kind": "close_after"}),
        json!({"kind": "status_before", "status": 502}),
        json!({"kind": "rate_limit", "retry_after": 3, "error_ref": 11009}),
        json!({"kind": "delay", "ms": 1}),
        json!({"kind": "truncated_json"}),
        json!({"kind": "html_error"}),
        json!({"kind": "raw", "status": 200, "content_type": "text/plain", "body": "x"}),
        json!({"kind": "oversized", "bytes": 10}),
        json!({"kind": "trickle", "bytes_per_sec": 100000}),
        json!({"kind": "redirect", "status": 302, "location": "http://127.0.0.1:1/"}),
    ];
    for (i, kind) in kinds.iter().enumerate() {
        let mut body = kind.clone();
        body["path"] = json!(format!("/v1/x{i}"));
        body["count"] = json!(2);
        let r = control(&s, "POST", "/faults", body);
        assert_eq!(r.status, 200, "{kind}: {}", r.text());
    }
    let listed = control(&s, "GET", "/faults", json!(null)).json();
    assert_eq!(listed.as_array().unwrap().len(), kinds.len());
    for (i, kind) in kinds.iter().enumerate() {
        let mut expected = kind.clone();
        expected["path"] = json!(format!("/v1/x{i}"));
        expected["count"] = json!(2);
        assert_eq!(listed[i], expected);
    }
    // A fault set through control applies like one set from Rust.
    let r = get(&url(&s, "/x1"));
    r.assert_error(502, 10000);
    assert_eq!(
        control(&s, "GET", "/faults", json!(null)).json()[1]["count"],
        1
    );
    // Bad requests are refused, and DELETE clears everything.
    assert_eq!(
        control(
            &s,
            "POST",
            "/faults",
            json!({"path": "/v1", "kind": "boom"})
        )
        .status,
        400
    );
    assert_eq!(
        control(
            &s,
            "POST",
            "/faults",
            json!({"path": "/v1", "kind": "status_before", "status": 200})
        )
        .status,
        400
    );
    assert_eq!(
        control(&s, "POST", "/faults", json!({"kind": "html_error"})).status,
        400
    );
    control(&s, "DELETE", "/faults", json!(null));
    assert_eq!(control(&s, "GET", "/faults", json!(null)).json(), json!([]));
}

#[test]
fn faults_can_target_one_method_and_never_touch_control() {
    let s = FakeServer::start();
    s.add_fault_for_method("POST", "/v1/games", 1, Fault::StatusBefore { status: 503 });
    s.add_fault("/_control", 5, Fault::HtmlError);
    assert_eq!(
        get(&with_key(&url(&s, "/games/1"))).status,
        200,
        "GET is spared"
    );
    assert_eq!(control(&s, "GET", "/charges", json!(null)).status, 200);
    buy(&s, "m").unwrap().assert_error(503, 10000);
}

#[test]
fn dropping_the_server_closes_connections() {
    let s = FakeServer::start();
    let mut stream = connect(&s.base_url());
    write_request(
        &mut stream,
        "GET",
        &with_key(&url(&s, "/games/1")),
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(read_response(&mut stream).unwrap().status, 200);
    let base = s.base_url();
    drop(s);
    assert!(read_until_closed(&mut stream).is_empty());
    assert!(std::net::TcpStream::connect(split_url(&base).0).is_err());
}

fn advance(s: &FakeServer, secs: i64) {
    let r = control(s, "POST", "/clock", json!({ "advance_secs": secs }));
    assert_eq!(r.status, 200, "{}", r.text());
}

fn retry_after(r: &Resp) -> i64 {
    r.header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a 429 names its retry-after")
}

#[test]
fn an_endpoint_limit_holds_until_retry_after_for_that_endpoint_only() {
    let s = FakeServer::start();
    s.add_fault(
        "/v1/me/wallets",
        1,
        Fault::RateLimit {
            retry_after: 30,
            error_ref: 11009,
        },
    );
    let wallet = url(&s, "/me/wallets?game_id=1");
    let bob = demo::BOB_ACCESS_TOKEN;
    get_auth(&wallet, bob).assert_error(429, 11009);
    // The fault is spent, the limit is not: the same endpoint stays refused...
    let held = get_auth(&wallet, bob);
    held.assert_error(429, 11009);
    assert!(
        (1..=30).contains(&retry_after(&held)),
        "retry-after counts down from 30"
    );
    // ...while other endpoints, and other users on this one, go on.
    assert_eq!(get_auth(&url(&s, "/me/purchased"), bob).status, 200);
    assert_eq!(get_auth(&wallet, demo::ALICE_ACCESS_TOKEN).status, 200);
    advance(&s, 31);
    assert_eq!(
        get_auth(&wallet, bob).status,
        200,
        "the limit ends at its reset time"
    );
}

#[test]
fn a_global_limit_blocks_every_endpoint_until_retry_after() {
    let s = FakeServer::start();
    s.add_fault(
        "/v1/me/wallets",
        1,
        Fault::RateLimit {
            retry_after: 30,
            error_ref: 11008,
        },
    );
    let bob = demo::BOB_ACCESS_TOKEN;
    get_auth(&url(&s, "/me/wallets?game_id=1"), bob).assert_error(429, 11008);
    get_auth(&url(&s, "/me/purchased"), bob).assert_error(429, 11008);
    let buy = post_form(
        &url(&s, "/games/1/mods/1001/checkout"),
        Some(bob),
        &[
            ("type", "0"),
            ("display_amount", "100"),
            ("idempotent_key", "held"),
        ],
    );
    buy.assert_error(429, 11008);
    assert!(s.charges().is_empty(), "a held request is not processed");
    assert_eq!(
        get_auth(&url(&s, "/me/purchased"), demo::ALICE_ACCESS_TOKEN).status,
        200
    );
    advance(&s, 31);
    assert_eq!(get_auth(&url(&s, "/me/purchased"), bob).status, 200);
    // retry-after 0 is a rolling limit: nothing is held afterwards.
    s.add_fault(
        "/v1/me/purchased",
        1,
        Fault::RateLimit {
            retry_after: 0,
            error_ref: 11008,
        },
    );
    get_auth(&url(&s, "/me/purchased"), bob).assert_error(429, 11008);
    assert_eq!(get_auth(&url(&s, "/me/purchased"), bob).status, 200);
    // The control interface can lift a hold (suites that go on after a rate-limit test).
    s.add_fault(
        "/v1/me/purchased",
        1,
        Fault::RateLimit {
            retry_after: 600,
            error_ref: 11008,
        },
    );
    get_auth(&url(&s, "/me/purchased"), bob).assert_error(429, 11008);
    get_auth(&url(&s, "/me/wallets?game_id=1"), bob).assert_error(429, 11008);
    assert_eq!(
        control(&s, "DELETE", "/rate_limits", json!(null)).status,
        200
    );
    assert_eq!(get_auth(&url(&s, "/me/purchased"), bob).status, 200);
}

#[test]
fn counted_limits_refuse_the_61st_write_and_the_121st_request_of_a_minute() {
    let s = FakeServer::start();
    // Off by default: 62 writes in a row all reach the routes.
    let bob = demo::BOB_ACCESS_TOKEN;
    let write = |s: &FakeServer, token: &str| {
        // A checkout missing its fields: a write that changes nothing (422 / 13009).
        post_form(&url(s, "/games/1/mods/1001/checkout"), Some(token), &[])
    };
    for _ in 0..62 {
        assert_eq!(write(&s, bob).status, 422);
    }
    let on = control(
        &s,
        "POST",
        "/rate_limits",
        json!({"enabled": true, "ip_per_minute": 100000, "ip_writes_per_minute": 100000}),
    );
    assert_eq!(on.status, 200, "{}", on.text());
    assert_eq!(on.json()["user_writes_per_minute"], 60);
    for i in 0..60 {
        assert_eq!(write(&s, bob).status, 422, "write {i} is within the limit");
    }
    let over = write(&s, bob);
    over.assert_error(429, 11008);
    assert!((1..=60).contains(&retry_after(&over)));
    // Global for that token until the window ends; another user writes on.
    get_auth(&url(&s, "/me/purchased"), bob).assert_error(429, 11008);
    assert_eq!(write(&s, demo::ALICE_ACCESS_TOKEN).status, 422);
    advance(&s, 61);
    assert_eq!(write(&s, bob).status, 422, "a new minute, a new window");

    // 120 requests a minute per token (reads and writes): the 121st is refused.
    advance(&s, 61);
    let alice = demo::ALICE_ACCESS_TOKEN;
    for i in 0..120 {
        assert_eq!(
            get_auth(&url(&s, "/me/purchased"), alice).status,
            200,
            "request {i}"
        );
    }
    get_auth(&url(&s, "/me/purchased"), alice).assert_error(429, 11008);
    // A game's API key is unlimited.
    for _ in 0..150 {
        assert_eq!(get(&with_key(&url(&s, "/games/1"))).status, 200);
    }
    // The IP's 60 writes a minute count every user's writes.
    advance(&s, 61);
    let strict = control(&s, "POST", "/rate_limits", json!({"enabled": true}));
    assert_eq!(strict.json()["ip_writes_per_minute"], 60);
    for i in 0..60 {
        let token = if i % 2 == 0 { bob } else { alice };
        assert_eq!(write(&s, token).status, 422, "write {i}");
    }
    write(&s, demo::ALICE_ACCESS_TOKEN).assert_error(429, 11008);
    // Off again: nothing is counted (blocks already given still hold until their end).
    assert_eq!(
        control(&s, "POST", "/rate_limits", json!({"enabled": false})).status,
        200
    );
    assert_eq!(
        control(&s, "POST", "/rate_limits", json!({})).status,
        400,
        "\"enabled\" is required"
    );
}
