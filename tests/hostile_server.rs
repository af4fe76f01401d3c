//! The library against a misbehaving server: every answer the network can bend must end in a
//! typed error (or a sensible default), never a panic, a hang or unbounded memory.
//!
//! Most cases use the fake's faults; the ones the fake cannot produce (a body with no length, a
//! body that trickles after prompt headers, a second origin to redirect to, TLS) use tiny servers
//! written here on 127.0.0.1.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::run;
use fake_modio::{demo, FakeServer, Fault};
use modio_market::{
    Client, Config, ModQuery, ResultCode, RetryPolicy, S2sClient, S2sConfig, S2sPortal, Secret, DEFAULT_MAX_RESPONSE_BYTES,
};

/// One attempt only: each fault is seen exactly once.
fn config(base_url: &str) -> Config {
    Config::new(demo::GAME_ID, demo::API_KEY).base_url(base_url).request_timeout(Duration::from_secs(10)).retry_policy(RetryPolicy::never())
}

fn alice(server: &FakeServer, tweak: impl FnOnce(Config) -> Config) -> Client {
    let c = Client::new(tweak(config(&server.base_url()))).expect("client");
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    c
}

fn get_game(c: &Client) -> modio_market::Result<modio_market::Game> {
    run(c, |cb| c.get_game(cb))
}

fn get_mod(c: &Client, id: u64) -> modio_market::Result<modio_market::Mod> {
    run(c, |cb| c.get_mod(id, cb))
}

fn raw(status: u16, content_type: &str, body: &str) -> Fault {
    Fault::Raw { status, content_type: content_type.into(), body: body.into() }
}

const GAME_PATH: &str = "/v1/games/1";

// ---------------------------------------------------------------------------------------------
// Size cap
// ---------------------------------------------------------------------------------------------

#[test]
fn a_body_over_the_cap_is_refused_from_its_content_length() {
    let server = FakeServer::start();
    let c = alice(&server, |c| c);
    // Padded with spaces, still valid JSON: only the size can refuse it.
    server.add_fault(GAME_PATH, 1, Fault::Oversized { bytes: DEFAULT_MAX_RESPONSE_BYTES + 1 });
    let e = get_game(&c).unwrap_err();
    assert_eq!(e.code(), ResultCode::ResponseTooLarge, "{e:?}");
    // The same padding under the cap decodes: the cap, not the padding, refused it.
    server.add_fault(GAME_PATH, 1, Fault::Oversized { bytes: DEFAULT_MAX_RESPONSE_BYTES - 1024 });
    assert_eq!(get_game(&c).expect("under the default cap").id, demo::GAME_ID);
    // The cap is configurable.
    let small = alice(&server, |c| c.max_response_bytes(16 * 1024));
    server.add_fault(GAME_PATH, 1, Fault::Oversized { bytes: 20 * 1024 });
    assert_eq!(get_game(&small).unwrap_err().code(), ResultCode::ResponseTooLarge);
}

/// Serves one connection: reads the request head, then hands the socket to `answer`.
fn one_shot_server<R: Send + 'static>(answer: impl FnOnce(TcpStream) -> R + Send + 'static) -> (String, JoinHandle<R>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        read_head(&stream);
        answer(stream)
    });
    (format!("http://{addr}/v1"), handle)
}

/// Reads an HTTP request head; returns its lines.
fn read_head(stream: &TcpStream) -> Vec<String> {
    let mut reader = BufReader::new(stream);
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return lines;
        }
        lines.push(line.trim_end().to_owned());
    }
}

/// Writes `total` bytes of body in 64 KiB pieces until the peer goes away; returns what was written.
fn stream_body(mut stream: TcpStream, head: &str, total: usize, chunked: bool) -> usize {
    stream.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    if stream.write_all(head.as_bytes()).is_err() {
        return 0;
    }
    let piece = vec![b' '; 64 * 1024];
    let mut written = 0;
    while written < total {
        let ok = if chunked {
            stream
                .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                .and_then(|_| stream.write_all(&piece))
                .and_then(|_| stream.write_all(b"\r\n"))
        } else {
            stream.write_all(&piece)
        };
        if ok.is_err() {
            break;
        }
        written += piece.len();
    }
    written
}

#[test]
fn a_body_without_a_length_is_cut_off_at_the_cap_not_buffered() {
    const TOTAL: usize = 256 * 1024 * 1024;
    for chunked in [false, true] {
        let head = if chunked {
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        } else {
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        };
        let (url, server) = one_shot_server(move |s| stream_body(s, head, TOTAL, chunked));
        let c = Client::new(config(&url).max_response_bytes(1024 * 1024)).unwrap();
        let e = get_game(&c).unwrap_err();
        assert_eq!(e.code(), ResultCode::ResponseTooLarge, "chunked={chunked}: {e:?}");
        drop(c); // closes the connection: the server's writes fail from here on
        let written = server.join().unwrap();
        // 256 MiB were on offer; the client read ~1 MiB and hung up. Kernel socket buffers
        // account for the rest of what the server managed to write.
        assert!(written < 32 * 1024 * 1024, "chunked={chunked}: the server wrote {written} bytes: the client kept reading");
    }
}

// ---------------------------------------------------------------------------------------------
// Deadline
// ---------------------------------------------------------------------------------------------

#[test]
fn a_trickling_answer_is_stopped_by_the_request_deadline() {
    let server = FakeServer::start();
    let deadline = Duration::from_millis(1500);
    let c = alice(&server, |c| c.request_timeout(deadline));
    // The game object is ~2 KB: at 100 B/s the whole answer would take ~20 s.
    server.add_fault(GAME_PATH, 1, Fault::Trickle { bytes_per_sec: 100 });
    let started = Instant::now();
    let e = get_game(&c).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.code(), ResultCode::Timeout, "{e:?}");
    assert!(took < deadline + Duration::from_secs(2), "stopped after {took:?}");
}

#[test]
fn a_body_trickling_after_prompt_headers_is_stopped_by_the_request_deadline() {
    // Headers at once, then one byte every 50 ms forever: no single read ever times out, so only
    // a deadline over the whole exchange stops it.
    let (url, server) = one_shot_server(|mut s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"id\":1,\"name\":\"");
        for _ in 0..1200 {
            if s.write_all(b"x").and_then(|_| s.flush()).is_err() {
                return true; // the client hung up
            }
            thread::sleep(Duration::from_millis(50)); // the server's pacing, not a wait for the client
        }
        false
    });
    let deadline = Duration::from_millis(1200);
    let c = Client::new(config(&url).request_timeout(deadline)).unwrap();
    let started = Instant::now();
    let e = get_game(&c).unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.code(), ResultCode::Timeout, "{e:?}");
    assert!(took >= deadline && took < deadline + Duration::from_secs(2), "stopped after {took:?}");
    drop(c);
    assert!(server.join().unwrap(), "the client must hang up, not keep reading");
}

// ---------------------------------------------------------------------------------------------
// Bodies that are not what they claim
// ---------------------------------------------------------------------------------------------

#[test]
fn truncated_html_and_non_json_bodies_are_typed_errors() {
    let server = FakeServer::start();
    let c = alice(&server, |c| c);

    server.add_fault(GAME_PATH, 1, Fault::TruncatedJson);
    assert_eq!(get_game(&c).unwrap_err().code(), ResultCode::MalformedResponse);

    server.add_fault(GAME_PATH, 1, Fault::HtmlError);
    let e = get_game(&c).unwrap_err();
    assert_eq!((e.code(), e.http_status(), e.error_ref()), (ResultCode::Http, 502, 0), "{e:?}");
    assert!(!e.message().contains("<html>"), "an HTML page is not a message: {}", e.message());

    for (ct, body) in [
        ("text/html", "<html><body>maintenance</body></html>"),
        ("application/json", ""),
        ("application/json", "   "),
        ("application/json", "null"),
        ("application/json", "[]"),
        ("application/json", "\"just a string\""),
        ("application/octet-stream", "\u{0}\u{1}\u{2}"),
    ] {
        server.add_fault(GAME_PATH, 1, raw(200, ct, body));
        let e = get_game(&c).unwrap_err();
        assert_eq!(e.code(), ResultCode::MalformedResponse, "{ct} {body:?}: {e:?}");
        assert!(!e.message().contains("just a string"), "the answer is quoted in the error: {}", e.message());
    }
}

#[test]
fn a_wrong_content_type_on_a_json_body_still_decodes() {
    // The content type is advisory: proxies rewrite it. The body decides.
    let server = FakeServer::start();
    let c = alice(&server, |c| c);
    for ct in ["text/plain", "text/html; charset=UTF-8", "application/octet-stream", ""] {
        server.add_fault(GAME_PATH, 1, raw(200, ct, r#"{"id":1,"name":"Rogue Knight","api_access_options":3}"#));
        assert_eq!(get_game(&c).unwrap_or_else(|e| panic!("{ct}: {e:?}")).name, "Rogue Knight");
    }
    // And an error body with a wrong type still yields its error_ref.
    server.add_fault(GAME_PATH, 1, raw(404, "text/plain", r#"{"error":{"code":404,"error_ref":14001,"message":"no game"}}"#));
    let e = get_game(&c).unwrap_err();
    assert_eq!((e.code(), e.http_status(), e.error_ref()), (ResultCode::Http, 404, 14001));
}

#[test]
fn missing_fields_and_wrong_types_are_typed_errors_or_defaults() {
    let server = FakeServer::start();
    let c = alice(&server, |c| c);
    let wallet = |body: &str| {
        server.add_fault("/v1/me/wallets", 1, raw(200, "application/json", body));
        run(&c, |cb| c.get_wallet(cb))
    };
    // The balance is what a wallet is for: without it, or unreadable, the answer is refused.
    assert_eq!(wallet("{}").unwrap_err().code(), ResultCode::MalformedResponse);
    assert_eq!(wallet(r#"{"balance":"lots"}"#).unwrap_err().code(), ResultCode::MalformedResponse);
    assert_eq!(wallet(r#"{"balance":{"amount":5}}"#).unwrap_err().code(), ResultCode::MalformedResponse);
    assert_eq!(wallet(r#"{"balance":1.5e400}"#).unwrap_err().code(), ResultCode::MalformedResponse);
    // Numbers as strings (the OpenAPI schema types some that way) and absent extras are fine.
    let w = wallet(r#"{"balance":"250","game_id":"1"}"#).unwrap();
    assert_eq!((w.balance, w.game_id, w.currency.as_str(), w.monetization_status.bits()), (250, 1, "", 0));
    // A mod without an id is useless to a store; one with only an id gets defaults.
    let path = "/v1/games/1/mods/7";
    server.add_fault(path, 1, raw(200, "application/json", r#"{"name":"no id"}"#));
    assert_eq!(get_mod(&c, 7).unwrap_err().code(), ResultCode::MalformedResponse);
    server.add_fault(path, 1, raw(200, "application/json", r#"{"id":"7"}"#));
    let m = get_mod(&c, 7).unwrap();
    assert_eq!((m.id, m.price, m.name.as_str(), m.modfile.filesize), (7, 0, "", 0));
    server.add_fault(path, 1, raw(200, "application/json", r#"{"id":7,"name":["a"]}"#));
    assert_eq!(get_mod(&c, 7).unwrap_err().code(), ResultCode::MalformedResponse);
    // A list whose `data` is not a list.
    for body in [r#"{"data":{}}"#, r#"{"data":"x"}"#, r#"{"result_total":5}"#, r#"{"data":[1,2]}"#] {
        server.add_fault("/v1/games/1/mods", 1, raw(200, "application/json", body));
        let e = run(&c, |cb| c.get_mods(ModQuery::default(), cb)).unwrap_err();
        assert_eq!(e.code(), ResultCode::MalformedResponse, "{body}: {e:?}");
    }
}

#[test]
fn numbers_past_32_bits_keep_their_value() {
    let server = FakeServer::start();
    let c = alice(&server, |c| c);
    // Ids past 2^31 and 2^32 and a price past i32.
    let body = r#"{"data":[{"id":5000000000,"game_id":4294967296,"price":2147483648,"modfile":{"id":9007199254740993,"filesize":"18446744073709551615"}}],
        "result_count":1,"result_offset":0,"result_limit":100,"result_total":4294967297}"#;
    server.add_fault("/v1/games/1/mods", 1, raw(200, "application/json", body));
    let page = run(&c, |cb| c.get_mods(ModQuery::default(), cb)).unwrap();
    let m = &page.mods[0];
    assert_eq!((m.id, m.game_id, m.price), (5_000_000_000, 4_294_967_296, 2_147_483_648));
    assert_eq!((m.modfile.id, m.modfile.filesize), (9_007_199_254_740_993, u64::MAX));
    assert_eq!(page.page.result_total, 4_294_967_297);
    // An id past u64 is refused, not wrapped.
    server.add_fault("/v1/games/1/mods/1", 1, raw(200, "application/json", r#"{"id":18446744073709551616}"#));
    assert_eq!(get_mod(&c, 1).unwrap_err().code(), ResultCode::MalformedResponse);
    // The marketplace's 900xxx refs, as numbers and as strings.
    for body in [
        r#"{"error":{"code":422,"error_ref":900049,"message":"funds"}}"#,
        r#"{"error":{"code":"422","error_ref":"900049","message":"funds"}}"#,
    ] {
        server.add_fault("/v1/games/1/mods/1001/checkout", 1, raw(422, "application/json", body));
        let e = run(&c, |cb| c.checkout(1001, 100, None, cb)).unwrap_err();
        assert!(e.is_insufficient_funds(), "{body}: {e:?}");
        assert_eq!((e.http_status(), e.error_ref()), (422, 900_049));
    }
    // A ref beyond 64 bits: still a typed HTTP error (the ref unknown), not a panic.
    server.add_fault(
        "/v1/games/1/mods/1001/checkout",
        1,
        raw(422, "application/json", r#"{"error":{"error_ref":99999999999999999999,"message":"x"}}"#),
    );
    let e = run(&c, |cb| c.checkout(1001, 100, None, cb)).unwrap_err();
    assert_eq!((e.code(), e.http_status()), (ResultCode::Http, 422), "{e:?}");
}

#[test]
fn null_where_an_object_was_expected() {
    let server = FakeServer::start();
    let c = alice(&server, |c| c);
    // Optional sub-objects: null means "none", the mod is still usable.
    server.add_fault(
        "/v1/games/1/mods/3",
        1,
        raw(200, "application/json", r#"{"id":3,"logo":null,"modfile":null,"stats":null,"name":null}"#),
    );
    let m = get_mod(&c, 3).unwrap();
    assert_eq!((m.modfile.id, m.logo_url.as_str(), m.downloads_total, m.name.as_str()), (0, "", 0, ""));
    // The whole answer null, or a required object null: a typed error.
    server.add_fault("/v1/games/1/mods/3", 1, raw(200, "application/json", "null"));
    assert_eq!(get_mod(&c, 3).unwrap_err().code(), ResultCode::MalformedResponse);
    server.add_fault("/v1/me/iap/steam/sync", 1, raw(200, "application/json", r#"{"wallet":null,"data":[]}"#));
    let e = run(&c, |cb| c.sync_entitlements(modio_market::EntitlementSource::Steam, cb)).unwrap_err();
    assert_eq!(e.code(), ResultCode::MalformedResponse);
    // `data: null` in a sync is an empty list, the balance still counts.
    server.add_fault("/v1/me/iap/steam/sync", 1, raw(200, "application/json", r#"{"wallet":{"balance":7},"data":null}"#));
    let s = run(&c, |cb| c.sync_entitlements(modio_market::EntitlementSource::Steam, cb)).unwrap();
    assert_eq!((s.balance, s.entitlements.len()), (7, 0));
    // An error object that is null: the status alone.
    server.add_fault(GAME_PATH, 1, raw(500, "application/json", r#"{"error":null}"#));
    let e = get_game(&c).unwrap_err();
    assert_eq!((e.code(), e.http_status(), e.error_ref()), (ResultCode::Http, 500, 0));
}

// ---------------------------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------------------------

/// A second origin (another port on 127.0.0.1) that records the head of every request it gets
/// and answers a game object. `finish` stops it (with a last request of its own, so every
/// connection made before is already accepted, in order) and returns what it saw.
struct Recorder {
    addr: SocketAddr,
    handle: Option<JoinHandle<Vec<Vec<String>>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = thread::spawn(move || {
            let mut seen = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let head = read_head(&stream);
                if head.first().is_some_and(|l| l.starts_with("GET /_stop ")) {
                    break;
                }
                seen.push(head);
                let body = r#"{"id":1,"name":"elsewhere","balance":1,"token":"t","entity":"e","transaction_id":1}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
            seen
        });
        Recorder { addr, handle: Some(handle) }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn finish(mut self) -> Vec<Vec<String>> {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.write_all(b"GET /_stop HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        self.handle.take().unwrap().join().unwrap()
    }
}

fn has_header(head: &[String], name: &str) -> bool {
    head.iter().any(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
}

#[test]
fn the_recorder_sees_credentials_when_they_are_sent() {
    // The control: the assertions below would catch a leaked header.
    let rec = Recorder::start();
    let mut s = TcpStream::connect(rec.addr).unwrap();
    s.write_all(b"GET /v1/me/wallets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer leaked\r\nX-Modio-Delegation-Token: leaked\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let seen = rec.finish();
    assert_eq!(seen.len(), 1);
    assert!(has_header(&seen[0], "authorization") && has_header(&seen[0], "x-modio-delegation-token"));
}

#[test]
fn a_redirect_to_another_origin_never_carries_the_credentials() {
    let server = FakeServer::start();
    let rec = Recorder::start();
    let c = alice(&server, |c| c);

    // Bearer token (user calls), for every redirect status.
    for status in [301u16, 302, 303, 307, 308] {
        server.add_fault("/v1/me/wallets", 1, Fault::Redirect { status, location: rec.url("/v1/me/wallets") });
        let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
        assert_eq!((e.code(), e.http_status()), (ResultCode::Http, status), "{e:?}");
    }
    // The same host by another name is another origin too.
    let localhost = rec.url("/v1/games/1").replace("127.0.0.1", "localhost");
    server.add_fault(GAME_PATH, 1, Fault::Redirect { status: 302, location: localhost });
    assert_eq!(get_game(&c).unwrap_err().code(), ResultCode::Http);

    // Delegation token (S2S intent carries X-Modio-Delegation-Token and a service bearer token).
    let s2s = S2sClient::new(S2sConfig::new(config(&server.base_url()), demo::OAUTH_CLIENT_ID, demo::OAUTH_CLIENT_SECRET)).unwrap();
    server.add_fault("/v1/s2s/transactions/intent", 1, Fault::Redirect { status: 307, location: rec.url("/v1/s2s/transactions/intent") });
    let key = modio_market::IdempotencyKey::generate();
    let e = s2s
        .intent(&Secret::new("delegation-secret"), &modio_market::IntentRequest::new(demo::SKU_GOLD_1000, S2sPortal::Steam), &key)
        .unwrap_err();
    assert_eq!(e.code(), ResultCode::Http, "{e:?}");

    let seen = rec.finish();
    for head in &seen {
        assert!(!has_header(head, "authorization"), "Authorization reached another origin: {head:?}");
        assert!(!has_header(head, "x-modio-delegation-token"), "the delegation token reached another origin: {head:?}");
    }
}

#[test]
fn a_same_origin_redirect_is_followed() {
    // The policy is not "never follow": a redirect within the API's origin still works.
    let server = FakeServer::start();
    let c = alice(&server, |c| c);
    server.add_fault("/v1/me/wallets", 1, Fault::Redirect { status: 307, location: format!("{}/me/wallets?game_id=1", server.base_url()) });
    let w = run(&c, |cb| c.get_wallet(cb)).expect("followed within the origin");
    assert_eq!(w.game_id, demo::GAME_ID);
    let wallet_calls: Vec<_> = server.requests().into_iter().filter(|r| r.path == "/v1/me/wallets").collect();
    assert_eq!(wallet_calls.len(), 2);
    assert!(wallet_calls[1].headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("authorization")), "same origin keeps the token");
}

// ---------------------------------------------------------------------------------------------
// Plain http and TLS
// ---------------------------------------------------------------------------------------------

#[test]
fn plain_http_is_refused_unless_loopback_or_opted_in() {
    for url in
        ["http://example.com/v1", "http://10.0.0.1/v1", "http://127.0.0.1.example.com/v1", "ftp://127.0.0.1/v1", "file:///etc/passwd"]
    {
        let e = Client::new(config(url)).err().unwrap_or_else(|| panic!("{url} accepted"));
        assert_eq!(e.code(), ResultCode::InsecureUrl, "{url}: {e:?}");
    }
    for url in ["http://127.0.0.1:9/v1", "http://localhost:9/v1", "http://[::1]:9/v1", "https://example.com/v1"] {
        Client::new(config(url)).unwrap_or_else(|e| panic!("{url}: {e:?}"));
    }
    Client::new(config("http://example.com/v1").allow_insecure_http(true)).expect("explicit opt-in");
}

struct TestPki {
    ca_pem: String,
    leaf_der: Vec<u8>,
    leaf_key_der: Vec<u8>,
}

/// A test CA, and a leaf for 127.0.0.1 (CA:FALSE, subjectAltName IP:127.0.0.1) signed by it.
fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "modio-market test CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.subject_alt_names = vec![SanType::IpAddress([127, 0, 0, 1].into())];
    leaf.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    TestPki { ca_pem: ca_cert.pem(), leaf_der: leaf_cert.der().to_vec(), leaf_key_der: leaf_key.serialize_der() }
}

/// An HTTPS server on 127.0.0.1 answering every request with a game object, until dropped.
struct TlsServer {
    port: u16,
    stop: Arc<std::sync::atomic::AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl TlsServer {
    fn start(pki: &TestPki) -> TlsServer {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(pki.leaf_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.leaf_key_der.clone())),
            )
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let handle = thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let config = Arc::clone(&config);
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut byte) {
                            Ok(1) => head.push(byte[0]),
                            _ => return, // handshake refused by the client, or EOF
                        }
                    }
                    let body = r#"{"id":1,"name":"Private TLS","api_access_options":3}"#;
                    let _ = write!(
                        tls,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsServer { port, stop, handle: Some(handle) }
    }

    fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}/v1", self.port)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes accept()
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn tls_to_a_private_ca_works_only_when_that_ca_is_added() {
    let pki = test_pki();
    let server = TlsServer::start(&pki);

    let trusted = Client::new(config(&server.base_url()).add_root_certificate_pem(pki.ca_pem.clone())).unwrap();
    let game = get_game(&trusted).expect("verified against the added CA");
    assert_eq!(game.name, "Private TLS");

    let untrusted = Client::new(config(&server.base_url())).unwrap();
    let e = get_game(&untrusted).unwrap_err();
    assert_eq!(e.code(), ResultCode::Tls, "{e:?}");

    // Another CA does not vouch for this server.
    let other = test_pki();
    let wrong = Client::new(config(&server.base_url()).add_root_certificate_pem(other.ca_pem)).unwrap();
    assert_eq!(get_game(&wrong).unwrap_err().code(), ResultCode::Tls);

    // The right CA, but the certificate names 127.0.0.1 only: `localhost` is refused.
    let by_name = server.base_url().replace("127.0.0.1", "localhost");
    let mismatch = Client::new(config(&by_name).add_root_certificate_pem(pki.ca_pem.clone())).unwrap();
    assert_eq!(get_game(&mismatch).unwrap_err().code(), ResultCode::Tls);
}

#[test]
fn a_root_certificate_that_is_not_one_is_refused_at_configuration() {
    for bad in ["", "not pem", "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n"] {
        let e = Client::new(config("https://127.0.0.1:9/v1").add_root_certificate_pem(bad)).err().expect("refused");
        assert_eq!(e.code(), ResultCode::InvalidArgument, "{bad:?}: {e:?}");
    }
}
