//! No secret ever appears where the library writes: log lines (at the most verbose level), error
//! messages (Rust and C), `Debug` prints, and files on disk (the data directory).
//!
//! Every call runs with recognizable secret values (a random marker per run, so nothing else on
//! the machine can match by accident), through success and failure paths, against the fake. Then
//! every text the library produced is searched for every secret. As a control, each secret must
//! have reached the fake server: a secret that was never used would prove nothing.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::run;
use fake_modio::{demo, FakeServer, Fault};
use modio_market::{
    AuthOptions, Client, CommitRequest, Config, EntitlementSource, IdempotencyKey, IntentRequest, LogLevel, ModQuery, PlatformAuth,
    RetryPolicy, S2sClient, S2sConfig, S2sPortal, Secret,
};
use modio_market_capi as ffi;
use serde_json::{json, Value};

/// Everything the library wrote, as text, with where it came from.
#[derive(Default)]
struct Written(Vec<(String, String)>);

impl Written {
    fn add(&mut self, origin: &str, text: impl Into<String>) {
        self.0.push((origin.to_owned(), text.into()));
    }
    fn debug(&mut self, origin: &str, value: &dyn std::fmt::Debug) {
        self.add(origin, format!("{value:?}"));
        self.add(origin, format!("{value:#?}"));
    }
    fn result<T: std::fmt::Debug>(&mut self, origin: &str, r: &modio_market::Result<T>) {
        match r {
            Ok(v) => self.debug(origin, v),
            Err(e) => {
                self.add(origin, e.to_string());
                self.add(origin, e.message());
                self.debug(origin, e);
                for (k, v) in e.field_errors() {
                    self.add(origin, format!("{k}: {v}"));
                }
            }
        }
    }
}

fn control(server: &FakeServer, path: &str, body: Value) -> Value {
    let http = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    http.post(format!("{}{path}", server.control_url())).json(&body).send().unwrap().json().unwrap()
}

/// Everything the library sent to the `log` facade (a Rust program's own logger).
static FACADE: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct FacadeLogger;
impl log::Log for FacadeLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target().starts_with("modio_market") {
            FACADE.lock().unwrap().push(format!("{} {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

type Sink = Box<dyn FnMut(LogLevel, &str) + Send>;

fn shared_sink(store: &Arc<Mutex<Vec<String>>>) -> Sink {
    let store = Arc::clone(store);
    Box::new(move |level, message| store.lock().unwrap().push(format!("{level:?} {message}")))
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let dir = std::env::temp_dir().join(format!("modio-market-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn files_under(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path.display().to_string(), bytes));
        }
    }
}

// The C skin's log callback and completion callbacks, collecting into a Vec<String>.
unsafe extern "C" fn c_log(user_data: *mut c_void, _level: modio_market::LogLevel, message: *const c_char) {
    let store = &*(user_data as *const Mutex<Vec<String>>);
    store.lock().unwrap().push(CStr::from_ptr(message).to_string_lossy().into_owned());
}

unsafe extern "C" fn c_auth_done(
    user_data: *mut c_void,
    _id: u64,
    error: *const ffi::modio_market_error,
    token: *const ffi::modio_market_access_token,
) {
    let store = &*(user_data as *const Mutex<Vec<String>>);
    let mut s = store.lock().unwrap();
    if let Some(e) = error.as_ref() {
        s.push(CStr::from_ptr(e.message).to_string_lossy().into_owned());
        for i in 0..e.field_error_count {
            let f = &*e.field_errors.add(i);
            s.push(CStr::from_ptr((**f).message).to_string_lossy().into_owned());
        }
    }
    assert!(error.is_null() != token.is_null());
}

fn c_last_error() -> String {
    let mut len = 0usize;
    unsafe { ffi::modio_market_last_error_message(std::ptr::null_mut(), 0, &mut len) };
    let mut buf = vec![0 as c_char; len + 1];
    let rc = unsafe { ffi::modio_market_last_error_message(buf.as_mut_ptr(), buf.len(), &mut len) };
    assert_eq!(rc, modio_market::ResultCode::Ok);
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

#[test]
fn no_secret_reaches_a_log_line_an_error_message_a_debug_print_or_a_file() {
    // This binary's only test: the process-wide logger is ours.
    log::set_logger(&FacadeLogger).expect("no other logger in this test binary");
    log::set_max_level(log::LevelFilter::Trace);
    let marker = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() ^ u128::from(std::process::id()));
    let s = |what: &str| format!("{what}-SeCrEt-{marker}");
    let steam = s("steam-ticket");
    let steam_wrong = s("steam-ticket-wrong");
    let xbox = format!("XBL3.0 x={};ey+/=&%?", s("xbox-token"));
    let psn = s("psn-auth-code");
    let meta_nonce = s("meta-nonce");
    let meta_token = s("meta-access-token");
    let apple = s("apple-id-token");
    let google = s("google-auth-code");
    let epic = s("epic-id-token");
    let apple_receipt = s("apple-receipt");
    let google_receipt = s("google-receipt");
    let bogus_access = s("access-token-bogus");
    let bogus_delegation = s("delegation-token-bogus");
    let wrong_client_secret = s("client-secret-wrong");
    let echoed = s("access-token-echoed-by-server");

    let server = FakeServer::start();
    let created = control(
        &server,
        "/users",
        json!({"username": "secretive", "game_id": demo::GAME_ID, "balance": 5000, "terms_agreed": true,
               "steam_ticket": steam, "xbox_token": xbox, "psn_auth_code": psn, "meta_user_id": "4242",
               "meta_device": "quest", "meta_nonce": meta_nonce, "meta_access_token": meta_token,
               "apple_id_token": apple, "google_auth_code": google, "epic_id_token": epic}),
    );
    assert!(created.get("id").is_some(), "the fake made the user: {created}");

    let data_dir = temp_dir("secrets");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let mut w = Written::default();

    let config = Config::new(demo::GAME_ID, demo::API_KEY)
        .base_url(server.base_url())
        .request_timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            deadline: Duration::from_secs(5),
        })
        .data_dir(&data_dir);
    w.debug("Config", &config);
    let c = Client::new(config.clone()).unwrap();
    c.set_logger(Some(LogLevel::Trace), Some(shared_sink(&logs)));

    // Sign in every way, right and wrong.
    let auths = [
        PlatformAuth::Steam { appdata: Secret::new(&steam_wrong) },
        PlatformAuth::XboxLive { xbox_token: Secret::new(&xbox) },
        PlatformAuth::Psn { auth_code: Secret::new(&psn), env: Some(1) },
        PlatformAuth::Meta {
            device: modio_market::MetaDevice::Quest,
            nonce: Secret::new(&meta_nonce),
            user_id: 4242,
            access_token: Secret::new(&meta_token),
        },
        PlatformAuth::Apple { id_token: Secret::new(&apple) },
        PlatformAuth::Google { auth_code: Some(Secret::new(&google)), id_token: None },
        PlatformAuth::Epic { id_token: Secret::new(&epic) },
        PlatformAuth::Steam { appdata: Secret::new(&steam) },
    ];
    let mut access_tokens = Vec::new();
    for auth in auths {
        w.debug("PlatformAuth", &auth);
        let r = run(&c, |cb| c.authenticate(auth, AuthOptions::agreed(), cb));
        if let Ok(t) = &r {
            access_tokens.push(t.token.expose().to_owned());
        }
        w.result("authenticate", &r);
    }
    assert_eq!(access_tokens.len(), 7, "every right credential signed in");

    // A server that answers the token as a bare string: the decode error must not quote it.
    server.add_fault(
        "/v1/external/steamauth",
        1,
        Fault::Raw { status: 200, content_type: "application/json".into(), body: format!("\"{echoed}\"") },
    );
    let r = run(&c, |cb| c.authenticate(PlatformAuth::Steam { appdata: Secret::new(&steam) }, AuthOptions::agreed(), cb));
    assert_eq!(r.as_ref().unwrap_err().code(), modio_market::ResultCode::MalformedResponse);
    w.result("authenticate (echo)", &r);
    // Sign in again for the rest (the echo fault replaced nothing: the client keeps its token).
    let r = run(&c, |cb| c.authenticate(PlatformAuth::Steam { appdata: Secret::new(&steam) }, AuthOptions::agreed(), cb));
    access_tokens.push(r.as_ref().unwrap().token.expose().to_owned());
    w.result("authenticate", &r);

    // Everything a signed-in game does, with a retry and a rate limit on the way.
    server.add_fault("/v1/me/wallets", 1, Fault::StatusBefore { status: 503 });
    let r = run(&c, |cb| c.get_wallet(cb));
    w.result("wallet", &r);
    for source in [
        EntitlementSource::Steam,
        EntitlementSource::XboxLive { xbox_token: Secret::new(&xbox) },
        EntitlementSource::Psn { auth_code: Secret::new(&psn), env: Some(1), service_label: Some(0) },
        EntitlementSource::Meta { device: modio_market::MetaDevice::Quest, user_id: 4242 },
        EntitlementSource::Apple { receipt: Secret::new(&apple_receipt) },
        EntitlementSource::Google { receipt: Secret::new(&google_receipt) },
    ] {
        w.debug("EntitlementSource", &source);
        let r = run(&c, |cb| c.sync_entitlements(source, cb));
        w.result("sync", &r);
    }
    w.result("game", &run(&c, |cb| c.get_game(cb)));
    w.result("mods", &run(&c, |cb| c.get_mods(ModQuery::default(), cb)));
    w.result("mod", &run(&c, |cb| c.get_mod(demo::MOD_NIGHT_MODE, cb)));
    server.add_fault("/v1/games/1/mods/1005/checkout", 1, Fault::CloseAfter);
    w.result("checkout", &run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, None, cb)));
    w.result("checkout again", &run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, None, cb)));
    server.add_fault("/v1/me/purchased", 1, Fault::RateLimit { retry_after: 0, error_ref: 11009 });
    w.result("purchases", &run(&c, |cb| c.refresh_purchases(cb)));
    w.result("purchases", &run(&c, |cb| c.refresh_purchases(cb)));
    let delegation = run(&c, |cb| c.request_delegation_token(cb));
    w.result("delegation", &delegation);
    let delegation = delegation.unwrap().token;

    // A bogus token set by the game: 401s, never echoed.
    c.set_access_token(Some(Secret::new(&bogus_access)));
    w.result("wallet (bogus token)", &run(&c, |cb| c.get_wallet(cb)));
    w.result(
        "checkout (bogus token)",
        &run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, Some(modio_market::IdempotencyKey::new("k-1").unwrap()), cb)),
    );
    c.poll().unwrap();
    drop(c);

    // S2S: client secret, service token, delegation tokens (right and wrong).
    let s2s_logs = Arc::new(Mutex::new(Vec::new()));
    let s2s_config = S2sConfig::new(config.clone(), demo::OAUTH_CLIENT_ID, demo::OAUTH_CLIENT_SECRET);
    w.debug("S2sConfig", &s2s_config);
    let s2s = S2sClient::new(s2s_config).unwrap();
    s2s.set_logger(Some(LogLevel::Trace), Some(shared_sink(&s2s_logs)));
    w.result("service token", &s2s.refresh_service_token());
    let intent_key = IdempotencyKey::generate();
    let intent = s2s.intent(&delegation, &IntentRequest::new(demo::SKU_GOLD_1000, S2sPortal::Steam), &intent_key);
    w.result("intent", &intent);
    if let Ok(t) = &intent {
        let commit = s2s.commit(&delegation, &CommitRequest::new(t.transaction.id), &IdempotencyKey::generate());
        w.result("commit", &commit);
    }
    let r = s2s.intent(
        &Secret::new(&bogus_delegation),
        &IntentRequest::new(demo::SKU_GOLD_1000, S2sPortal::Steam),
        &IdempotencyKey::generate(),
    );
    assert!(r.is_err(), "a bogus delegation token is refused");
    w.result("intent (bogus delegation)", &r);
    s2s.poll().unwrap();
    drop(s2s);
    let wrong = S2sClient::new(S2sConfig::new(config.clone(), demo::OAUTH_CLIENT_ID, wrong_client_secret.as_str())).unwrap();
    wrong.set_logger(Some(LogLevel::Trace), Some(shared_sink(&s2s_logs)));
    let r = wrong.refresh_service_token();
    assert!(r.is_err(), "a wrong client secret is refused");
    w.result("service token (wrong secret)", &r);
    wrong.poll().unwrap();
    drop(wrong);

    // The C skin: its log callback, its error structs and its last-error text.
    let c_texts: Box<Mutex<Vec<String>>> = Box::new(Mutex::new(Vec::new()));
    let ud = &*c_texts as *const Mutex<Vec<String>> as *mut c_void;
    unsafe {
        let key = CString::new(demo::API_KEY).unwrap();
        let url = CString::new(server.base_url()).unwrap();
        let mut cfg = std::ptr::null_mut();
        assert_eq!(ffi::modio_market_config_new(demo::GAME_ID, key.as_ptr(), &mut cfg), modio_market::ResultCode::Ok);
        assert_eq!(ffi::modio_market_config_set_base_url(cfg, url.as_ptr()), modio_market::ResultCode::Ok);
        let mut client = std::ptr::null_mut();
        assert_eq!(ffi::modio_market_client_new(cfg, &mut client), modio_market::ResultCode::Ok);
        ffi::modio_market_config_free(cfg);
        assert_eq!(ffi::modio_market_client_set_log_callback(client, 5, Some(c_log), ud), modio_market::ResultCode::Ok);
        for ticket in [&steam_wrong, &steam] {
            let t = CString::new(ticket.as_str()).unwrap();
            let mut id = 0u64;
            assert_eq!(
                ffi::modio_market_client_auth_steam(client, t.as_ptr(), true, Some(c_auth_done), ud, &mut id),
                modio_market::ResultCode::Ok
            );
            assert_eq!(ffi::modio_market_client_wait(client, id, 20_000, std::ptr::null_mut()), modio_market::ResultCode::Ok);
        }
        // Refused arguments carrying secrets: the last-error text names the argument, not the value.
        let too_long = CString::new(format!("{steam}{}", "x".repeat(70_000))).unwrap();
        let rc = ffi::modio_market_client_auth_steam(client, too_long.as_ptr(), true, Some(c_auth_done), ud, std::ptr::null_mut());
        assert_eq!(rc, modio_market::ResultCode::InvalidArgument);
        w.add("C last error", c_last_error());
        let with_newline = CString::new(format!("{bogus_access}\nX-Evil: 1")).unwrap();
        assert_eq!(ffi::modio_market_client_set_access_token(client, with_newline.as_ptr()), modio_market::ResultCode::Ok);
        let mut id = 0u64;
        unsafe extern "C" fn wallet_done(
            ud: *mut c_void,
            _id: u64,
            e: *const ffi::modio_market_error,
            _w: *const ffi::modio_market_wallet,
        ) {
            let store = &*(ud as *const Mutex<Vec<String>>);
            if let Some(e) = e.as_ref() {
                store.lock().unwrap().push(CStr::from_ptr(e.message).to_string_lossy().into_owned());
            }
        }
        assert_eq!(ffi::modio_market_client_get_wallet(client, Some(wallet_done), ud, &mut id), modio_market::ResultCode::Ok);
        assert_eq!(ffi::modio_market_client_wait(client, id, 20_000, std::ptr::null_mut()), modio_market::ResultCode::Ok);
        ffi::modio_market_client_free(client);
    }
    for text in c_texts.lock().unwrap().iter() {
        w.add("C callback", text.clone());
    }

    for line in logs.lock().unwrap().iter() {
        w.add("client log", line.clone());
    }
    for line in s2s_logs.lock().unwrap().iter() {
        w.add("s2s log", line.clone());
    }
    for line in FACADE.lock().unwrap().iter() {
        w.add("log facade", line.clone());
    }
    let mut files = Vec::new();
    files_under(&data_dir, &mut files);
    for (path, bytes) in &files {
        w.add(&format!("file {path}"), String::from_utf8_lossy(bytes).into_owned());
    }

    // The haul is real: logging was on, errors happened, files were written.
    let count = |origin: &str| w.0.iter().filter(|(o, _)| o.starts_with(origin)).count();
    assert!(count("client log") >= 20, "the most verbose level logs every request: {} lines", count("client log"));
    assert!(count("s2s log") >= 3, "S2S logs too: {} lines", count("s2s log"));
    assert!(count("log facade") >= count("client log"), "the facade hears every record: {} lines", count("log facade"));
    assert!(count("C callback") >= 2 && count("C last error") == 1);
    assert!(!files.is_empty(), "the data directory holds the journal and the purchased list");

    let service_tokens: Vec<String> = server.state().lock().unwrap().service_tokens.keys().cloned().collect();
    assert!(!service_tokens.is_empty(), "a service token was issued");
    let mut secrets: Vec<(&str, String)> = vec![
        ("steam ticket", steam.clone()),
        ("wrong steam ticket", steam_wrong.clone()),
        ("xbox token", xbox.clone()),
        ("psn auth code", psn.clone()),
        ("meta nonce", meta_nonce.clone()),
        ("meta access token", meta_token.clone()),
        ("apple id token", apple.clone()),
        ("google auth code", google.clone()),
        ("epic id token", epic.clone()),
        ("apple receipt", apple_receipt.clone()),
        ("google receipt", google_receipt.clone()),
        ("bogus access token", bogus_access.clone()),
        ("bogus delegation token", bogus_delegation.clone()),
        ("wrong client secret", wrong_client_secret.clone()),
        ("client secret", demo::OAUTH_CLIENT_SECRET.to_owned()),
        ("api key", demo::API_KEY.to_owned()),
        ("delegation token", delegation.expose().to_owned()),
        ("echoed token", echoed.clone()),
    ];
    for t in &access_tokens {
        secrets.push(("access token", t.clone()));
    }
    for t in &service_tokens {
        secrets.push(("service token", t.clone()));
    }

    // Control: each secret was really sent (else its absence below proves nothing). The echoed
    // one and the service tokens travel the other way: the fake produced them.
    let sent: String = server.requests().iter().map(|r| format!("{} {} {:?} {}\n", r.path, r.query, r.headers, r.body)).collect::<String>();
    let decoded_sent = url_decode(&sent);
    for (what, secret) in &secrets {
        if *what == "echoed token" || *what == "service token" || *what == "wrong client secret" || *what == "client secret" {
            continue; // client credentials travel as HTTP basic auth or form fields checked below
        }
        assert!(sent.contains(secret.as_str()) || decoded_sent.contains(secret.as_str()), "control: the {what} never reached the server");
    }

    let mut leaks = Vec::new();
    for (origin, text) in &w.0 {
        for (what, secret) in &secrets {
            if text.contains(secret.as_str()) {
                leaks.push(format!("the {what} appears in {origin}: {}", excerpt(text, secret)));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

fn excerpt(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or(0);
    let start = text[..at].char_indices().rev().nth(60).map_or(0, |(i, _)| i);
    text[start..].chars().take(160).collect()
}

fn url_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.replace(' ', "%20").as_bytes()).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}
