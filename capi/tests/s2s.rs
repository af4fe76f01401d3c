//! The S2S C functions (`modio_market_s2s_*`), called as a C caller would, against the fake:
//! argument checks before anything is sent, the transaction view, generated keys, errors with
//! their context, and freeing from inside a callback.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;

use fake_modio::{demo, FakeServer, Fault};
use modio_market::ResultCode;
use modio_market_capi::*;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

unsafe fn text(p: *const c_char) -> Option<String> {
    (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
}

fn last_error() -> String {
    let mut buf = vec![0 as c_char; 1024];
    let mut len = 0usize;
    unsafe { modio_market_last_error_message(buf.as_mut_ptr(), buf.len(), &mut len) };
    unsafe { text(buf.as_ptr()).unwrap() }
}

/// What a callback saw, copied out of the borrowed views.
#[derive(Debug, Default)]
struct Seen {
    calls: u32,
    error: Option<(ResultCode, u32, i64, String)>,
    transaction_id: u64,
    state: u32,
    state_name: String,
    gross: i64,
    key: Option<String>,
    meta_buyer: Vec<u64>,
    scopes: String,
    expires_in: i64,
}

unsafe extern "C" fn on_transaction(
    user_data: *mut c_void,
    _id: u64,
    error: *const modio_market_error,
    t: *const modio_market_s2s_transaction,
) {
    let seen = &mut *(user_data as *mut Seen);
    seen.calls += 1;
    if let Some(e) = error.as_ref() {
        seen.error = Some((e.code, e.http_status, e.error_ref, text(e.message).unwrap()));
        assert!(t.is_null());
        return;
    }
    let t = &*t;
    assert_eq!(t.struct_size as usize, std::mem::size_of::<modio_market_s2s_transaction>(), "views carry their size");
    let transaction = &*t.transaction;
    assert_eq!(transaction.struct_size as usize, std::mem::size_of::<modio_market_transaction>());
    seen.transaction_id = transaction.id;
    seen.state = transaction.state as u32;
    seen.state_name = text(transaction.state_name).unwrap();
    seen.gross = transaction.gross_amount;
    seen.key = text(t.idempotency_key);
    seen.meta_buyer = (0..t.meta_count).map(|i| (**t.meta.add(i)).buyer_id).collect();
}

unsafe extern "C" fn on_token(
    user_data: *mut c_void,
    _id: u64,
    error: *const modio_market_error,
    t: *const modio_market_s2s_service_token,
) {
    let seen = &mut *(user_data as *mut Seen);
    seen.calls += 1;
    if let Some(e) = error.as_ref() {
        seen.error = Some((e.code, e.http_status, e.error_ref, text(e.message).unwrap()));
        return;
    }
    seen.scopes = text((*t).scopes).unwrap();
    seen.expires_in = (*t).expires_in_secs;
}

unsafe fn new_client(server: &FakeServer, secret: &str) -> *mut modio_market_s2s_client {
    let mut config = ptr::null_mut();
    assert_eq!(modio_market_config_new(demo::GAME_ID, c(demo::API_KEY).as_ptr(), &mut config), ResultCode::Ok);
    assert_eq!(modio_market_config_set_base_url(config, c(&server.base_url()).as_ptr()), ResultCode::Ok);
    let mut client = ptr::null_mut();
    let rc = modio_market_s2s_client_new(config, c(demo::OAUTH_CLIENT_ID).as_ptr(), c(secret).as_ptr(), ptr::null(), &mut client);
    modio_market_config_free(config);
    assert_eq!(rc, ResultCode::Ok, "{}", last_error());
    client
}

fn delegation(server: &FakeServer) -> CString {
    let http = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    let v: serde_json::Value = http
        .post(format!("{}/me/s2s/oauth/token", server.base_url()))
        .bearer_auth(demo::ALICE_ACCESS_TOKEN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .unwrap()
        .json()
        .unwrap();
    c(v["token"].as_str().unwrap())
}

unsafe fn wait(client: *mut modio_market_s2s_client, id: u64) {
    assert_eq!(modio_market_s2s_client_wait(client, id, 20_000, ptr::null_mut()), ResultCode::Ok, "{}", last_error());
}

#[test]
fn intent_commit_and_clawback_through_the_c_abi() {
    let server = FakeServer::start();
    unsafe {
        let client = new_client(&server, demo::OAUTH_CLIENT_SECRET);
        let token = delegation(&server);
        let mut seen = Seen::default();
        let ud = &mut seen as *mut Seen as *mut c_void;
        let mut id = 0u64;

        assert_eq!(modio_market_s2s_client_refresh_service_token(client, Some(on_token), ud, &mut id), ResultCode::Ok);
        wait(client, id);
        assert_eq!((seen.scopes.as_str(), seen.expires_in), ("read,write,monetization", 2_592_000));

        // NULL idempotency key: one is generated and handed back.
        let rc = modio_market_s2s_client_intent(
            client,
            token.as_ptr(),
            c("GOLD_1000").as_ptr(),
            c("XboxLive").as_ptr(),
            c("gw-c-1").as_ptr(),
            ptr::null(),
            Some(on_transaction),
            ud,
            &mut id,
        );
        assert_eq!(rc, ResultCode::Ok, "{}", last_error());
        wait(client, id);
        assert!(seen.error.is_none(), "{seen:?}");
        assert_eq!((seen.state, seen.state_name.as_str(), seen.gross), (modio_market_transaction_state::Pending as u32, "pending", 1000));
        assert_eq!(seen.meta_buyer, vec![demo::ALICE_ID]);
        let key = seen.key.clone().expect("the generated key");
        assert_eq!(modio_market_s2s_idempotency_key_validate(c(&key).as_ptr()), ResultCode::Ok);
        let sent = server.requests().into_iter().find(|r| r.path == "/v1/s2s/transactions/intent").unwrap();
        assert_eq!(sent.header("x-modio-idempotent-key"), Some(key.as_str()));
        let tx = seen.transaction_id;

        let rc = modio_market_s2s_client_commit(
            client,
            token.as_ptr(),
            tx,
            ptr::null(),
            c("my-commit-key_1").as_ptr(),
            Some(on_transaction),
            ud,
            &mut id,
        );
        assert_eq!(rc, ResultCode::Ok, "{}", last_error());
        wait(client, id);
        assert_eq!((seen.transaction_id, seen.state_name.as_str()), (tx, "paid"));
        assert_eq!(seen.key.as_deref(), Some("my-commit-key_1"));

        let rc = modio_market_s2s_client_clawback(
            client,
            0,
            c("gw-c-1").as_ptr(),
            c("xboxlive").as_ptr(),
            c("Chargeback Issued").as_ptr(),
            ptr::null(),
            Some(on_transaction),
            ud,
            &mut id,
        );
        assert_eq!(rc, ResultCode::Ok, "{}", last_error());
        wait(client, id);
        assert_eq!((seen.transaction_id, seen.state, seen.key.clone()), (tx, modio_market_transaction_state::Refunded as u32, None));
        assert_eq!(seen.calls, 4);
        modio_market_s2s_client_free(client);
    }
}

#[test]
fn bad_arguments_fail_at_the_call_and_nothing_is_sent() {
    let server = FakeServer::start();
    unsafe {
        let client = new_client(&server, demo::OAUTH_CLIENT_SECRET);
        let token = delegation(&server);
        let mut seen = Seen::default();
        let ud = &mut seen as *mut Seen as *mut c_void;
        let intent = |key: *const c_char, portal: &str, gateway: *const c_char| {
            modio_market_s2s_client_intent(
                client,
                token.as_ptr(),
                c("GOLD_1000").as_ptr(),
                c(portal).as_ptr(),
                gateway,
                key,
                Some(on_transaction),
                ud,
                ptr::null_mut(),
            )
        };
        assert_eq!(intent(c("bad key!").as_ptr(), "steam", ptr::null()), ResultCode::InvalidArgument);
        assert!(last_error().contains("idempotency_key"), "{}", last_error());
        assert_eq!(intent(c("ok").as_ptr(), "meta", ptr::null()), ResultCode::InvalidArgument);
        assert!(last_error().contains("portal"));
        assert_eq!(intent(c("ok").as_ptr(), "steam", c("has.dot").as_ptr()), ResultCode::InvalidArgument);
        let rc = modio_market_s2s_client_intent(
            client,
            ptr::null(),
            c("GOLD_1000").as_ptr(),
            c("steam").as_ptr(),
            ptr::null(),
            ptr::null(),
            Some(on_transaction),
            ud,
            ptr::null_mut(),
        );
        assert_eq!(rc, ResultCode::NullPointer);
        assert_eq!(
            modio_market_s2s_client_commit(client, token.as_ptr(), 5, ptr::null(), ptr::null(), None, ud, ptr::null_mut()),
            ResultCode::NullPointer
        );
        let rc = modio_market_s2s_client_clawback(
            client,
            0,
            ptr::null(),
            c("steam").as_ptr(),
            c("r").as_ptr(),
            ptr::null(),
            Some(on_transaction),
            ud,
            ptr::null_mut(),
        );
        assert_eq!(rc, ResultCode::InvalidArgument);
        assert_eq!(seen.calls, 0, "no callback for a refused call");
        assert!(server.requests().iter().all(|r| !r.path.starts_with("/v1/s2s") && r.path != "/v1/oauth/token"), "nothing was sent");
        let mut ran = 7usize;
        assert_eq!(modio_market_s2s_client_poll(client, &mut ran), ResultCode::Ok);
        assert_eq!(ran, 0);
        modio_market_s2s_client_free(client);

        // Creation checks its arguments too.
        let mut config = ptr::null_mut();
        modio_market_config_new(demo::GAME_ID, c(demo::API_KEY).as_ptr(), &mut config);
        let mut out = ptr::null_mut();
        assert_eq!(
            modio_market_s2s_client_new(config, c("7001").as_ptr(), c("").as_ptr(), ptr::null(), &mut out),
            ResultCode::InvalidArgument
        );
        assert_eq!(
            modio_market_s2s_client_new(config, c("7001").as_ptr(), c("s").as_ptr(), c("read,admin").as_ptr(), &mut out),
            ResultCode::InvalidArgument
        );
        assert_eq!(modio_market_s2s_client_new(config, ptr::null(), c("s").as_ptr(), ptr::null(), &mut out), ResultCode::NullPointer);
        assert!(out.is_null(), "out-params are written only on success");
        modio_market_config_free(config);
        modio_market_s2s_client_free(ptr::null_mut());
    }
}

#[test]
fn errors_carry_status_and_ref_and_never_the_secret() {
    let server = FakeServer::start();
    unsafe {
        let client = new_client(&server, "the-wrong-secret");
        let mut seen = Seen::default();
        let ud = &mut seen as *mut Seen as *mut c_void;
        let mut id = 0;
        assert_eq!(modio_market_s2s_client_refresh_service_token(client, Some(on_token), ud, &mut id), ResultCode::Ok);
        wait(client, id);
        let (code, status, error_ref, message) = seen.error.clone().unwrap();
        assert_eq!((code, status, error_ref), (ResultCode::Http, 401, 11075));
        assert!(!message.contains("the-wrong-secret"));
        modio_market_s2s_client_free(client);

        let client = new_client(&server, demo::OAUTH_CLIENT_SECRET);
        let mut seen = Seen::default();
        let ud = &mut seen as *mut Seen as *mut c_void;
        server.add_fault("/v1/s2s/transactions/commit", 1, Fault::CloseAfter);
        let rc = modio_market_s2s_client_commit(
            client,
            c("forged-token").as_ptr(),
            5,
            ptr::null(),
            ptr::null(),
            Some(on_transaction),
            ud,
            &mut id,
        );
        assert_eq!(rc, ResultCode::Ok);
        wait(client, id);
        let (code, status, error_ref, message) = seen.error.clone().unwrap();
        assert_eq!((code, status, error_ref), (ResultCode::Http, 401, 11005));
        assert!(!message.contains("forged-token"));
        modio_market_s2s_client_free(client);
    }
}

#[test]
fn idempotency_keys_can_be_made_and_checked_from_c() {
    unsafe {
        let mut len = 0usize;
        assert_eq!(modio_market_s2s_idempotency_key_generate(ptr::null_mut(), 0, &mut len), ResultCode::BufferTooSmall);
        assert_eq!(len, 36);
        let mut small = [0 as c_char; 36];
        assert_eq!(modio_market_s2s_idempotency_key_generate(small.as_mut_ptr(), small.len(), &mut len), ResultCode::BufferTooSmall);
        let mut buf = [0 as c_char; 37];
        assert_eq!(modio_market_s2s_idempotency_key_generate(buf.as_mut_ptr(), buf.len(), &mut len), ResultCode::Ok);
        let key = text(buf.as_ptr()).unwrap();
        assert_eq!(key.len(), 36);
        assert_eq!(modio_market_s2s_idempotency_key_validate(buf.as_ptr()), ResultCode::Ok);
        for bad in ["", "a b", "semi;colon", "ünï"] {
            assert_eq!(modio_market_s2s_idempotency_key_validate(c(bad).as_ptr()), ResultCode::InvalidArgument, "{bad:?}");
        }
        assert_eq!(modio_market_s2s_idempotency_key_validate(ptr::null()), ResultCode::NullPointer);
    }
}

struct FreeInCallback {
    client: *mut modio_market_s2s_client,
    calls: u32,
}

unsafe extern "C" fn free_me(user_data: *mut c_void, _id: u64, _e: *const modio_market_error, _t: *const modio_market_s2s_service_token) {
    let state = &mut *(user_data as *mut FreeInCallback);
    state.calls += 1;
    // Freeing from inside a callback takes effect when the wait returns.
    modio_market_s2s_client_free(state.client);
}

#[test]
fn freeing_the_client_from_its_own_callback_is_deferred_safely() {
    let server = FakeServer::start();
    unsafe {
        let client = new_client(&server, demo::OAUTH_CLIENT_SECRET);
        let mut state = FreeInCallback { client, calls: 0 };
        let mut id = 0;
        let rc = modio_market_s2s_client_refresh_service_token(client, Some(free_me), &mut state as *mut _ as *mut c_void, &mut id);
        assert_eq!(rc, ResultCode::Ok);
        assert_eq!(modio_market_s2s_client_wait(client, id, 20_000, ptr::null_mut()), ResultCode::Ok);
        assert_eq!(state.calls, 1);
        // The client is gone now; nothing else to do (ASan/valgrind runs would catch a leak or a use after free).
    }
}
