//! The S2S client against the fake mod.io: service tokens, intent, commit, clawback, every error
//! path, retries with dropped answers, and secrets kept out of logs and errors.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_modio::state::ServiceToken;
use fake_modio::{demo, FakeServer, Fault};
use modio_market::{
    ClawbackRequest, ClawbackTarget, CommitRequest, IdempotencyKey, IntentRequest, LogLevel, ResultCode, S2sClient, S2sConfig, S2sPortal,
    Secret, TransactionState,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn s2s_with_secret(server: &FakeServer, secret: &str) -> S2sClient {
    S2sClient::new(S2sConfig::new(common::config(server), demo::OAUTH_CLIENT_ID, secret)).expect("s2s client")
}

fn s2s(server: &FakeServer) -> S2sClient {
    s2s_with_secret(server, demo::OAUTH_CLIENT_SECRET)
}

fn control(server: &FakeServer, method: &str, path: &str, body: Value) -> Value {
    let url = format!("{}{}", server.control_url(), path);
    let http = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    let r = if method == "GET" { http.get(url) } else { http.post(url).json(&body) };
    let r = r.send().expect("control call");
    assert!(r.status().is_success(), "control {path}: {}", r.status());
    r.json().unwrap_or(Value::Null)
}

/// A delegation token for a user, the way a game client gets one (`POST /me/s2s/oauth/token`).
fn delegation(server: &FakeServer, user_access_token: &str) -> Secret {
    let http = reqwest::blocking::Client::builder().no_proxy().build().unwrap();
    let r = http
        .post(format!("{}/me/s2s/oauth/token", server.base_url()))
        .bearer_auth(user_access_token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .unwrap();
    assert!(r.status().is_success());
    let v: Value = r.json().unwrap();
    Secret::new(v["token"].as_str().unwrap())
}

fn alice(server: &FakeServer) -> Secret {
    delegation(server, demo::ALICE_ACCESS_TOKEN)
}

/// A fresh user with an empty wallet on game 1: (id, access token).
fn new_user(server: &FakeServer, name: &str, balance: i64) -> (u64, String) {
    let v = control(server, "POST", "/users", json!({"username": name, "game_id": demo::GAME_ID, "balance": balance}));
    (v["id"].as_u64().unwrap(), v["access_token"].as_str().unwrap().to_owned())
}

fn wallet(server: &FakeServer, user: u64) -> (i64, i64) {
    let v = control(server, "GET", &format!("/users/{user}?game_id={}", demo::GAME_ID), Value::Null);
    (v["balance"].as_i64().unwrap(), v["deficit"].as_i64().unwrap())
}

fn transactions(server: &FakeServer) -> Vec<Value> {
    control(server, "GET", "/transactions", Value::Null).as_array().unwrap().clone()
}

fn requests_to(server: &FakeServer, path: &str) -> Vec<fake_modio::LoggedRequest> {
    server.requests().into_iter().filter(|r| r.path == path).collect()
}

fn intent_req() -> IntentRequest {
    IntentRequest::new(demo::SKU_GOLD_1000, S2sPortal::XboxLive)
}

#[test]
fn service_token_is_fetched_with_client_credentials_and_described_without_the_token() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let info = client.refresh_service_token().unwrap();
    assert_eq!(info.token_type, "Bearer");
    assert_eq!(info.scopes, "read,write,monetization");
    // The fake answers "2592000" as a string, as the guide's example does...
    assert_eq!(info.expires_in, Some(Duration::from_secs(2_592_000)));
    let reqs = requests_to(&server, "/v1/oauth/token");
    assert_eq!(reqs.len(), 1);
    let body: Vec<(String, String)> = url::form_urlencoded::parse(reqs[0].body.as_bytes()).into_owned().collect();
    let field = |k: &str| body.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("client_id"), Some(demo::OAUTH_CLIENT_ID));
    assert_eq!(field("client_secret"), Some(demo::OAUTH_CLIENT_SECRET));
    assert_eq!(field("grant_type"), Some("client_credentials"));
    assert_eq!(field("scope"), Some("read,write,monetization"));
    // The client credentials are the whole authentication: no api_key, no bearer (as the reference shows).
    assert!(!reqs[0].query.contains("api_key"), "{}", reqs[0].query);
    assert!(reqs[0].header("authorization").is_none());
    assert!(!format!("{info:?}").contains("modio-service"), "the info never holds the token");
    // ...and as the integer of the reference's table when asked: both readings are survived.
    control(&server, "POST", "/service_token_format", json!({"expires_in": "integer"}));
    let as_integer = client.refresh_service_token().unwrap();
    assert_eq!(as_integer.expires_in, Some(Duration::from_secs(2_592_000)));
    assert_eq!(requests_to(&server, "/v1/oauth/token").len(), 2);
}

#[test]
fn intent_commit_and_clawback_move_money_exactly_once() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let (user, token) = new_user(&server, "dave", 0);
    let dave = delegation(&server, &token);

    let key = IdempotencyKey::generate();
    let pending = client.intent(&dave, &intent_req().gateway_uuid("xbl-order-1"), &key).unwrap();
    let t = &pending.transaction;
    assert!(t.id > 0);
    assert_eq!(t.state, TransactionState::Pending);
    assert_eq!((t.gross_amount, t.net_amount), (1000, 1000));
    assert!(t.platform_fee > 0 && t.purchase_date > 0);
    assert_eq!(t.gateway_uuid, "xbl-order-1");
    assert_eq!(pending.idempotency_key.as_ref(), Some(&key));
    assert_eq!(pending.meta.len(), 1);
    assert_eq!(pending.meta[0].buyer_id, user);
    assert_eq!(pending.meta[0].game_id, demo::GAME_ID);
    assert_eq!(pending.meta[0].token_name, demo::TOKEN_NAME);
    assert!(!pending.meta[0].token_pack_name.is_empty());
    assert_eq!(wallet(&server, user), (0, 0), "an intent credits nothing");

    // The headers the guide lists.
    let sent = &requests_to(&server, "/v1/s2s/transactions/intent")[0];
    assert!(sent.header("authorization").unwrap().starts_with("Bearer modio-service"));
    assert_eq!(sent.header("x-modio-delegation-token"), Some(dave.expose()));
    assert_eq!(sent.header("x-modio-idempotent-key"), Some(key.as_str()));
    assert!(sent.body.contains("sku=GOLD_1000") && sent.body.contains("portal=xboxlive") && sent.body.contains("gateway_uuid=xbl-order-1"));

    let commit_key = IdempotencyKey::generate();
    let paid = client.commit(&dave, &CommitRequest::new(t.id).clawback_uuid("group-1"), &commit_key).unwrap();
    assert_eq!(paid.transaction.id, t.id);
    assert_eq!(paid.transaction.state, TransactionState::Paid);
    assert_eq!(wallet(&server, user), (1000, 0));
    let sent = &requests_to(&server, "/v1/s2s/transactions/commit")[0];
    assert_eq!(sent.header("x-modio-idempotent-key"), Some(commit_key.as_str()));
    assert!(sent.body.contains(&format!("transaction_id={}", t.id)) && sent.body.contains("clawback_uuid=group-1"));

    // Committing again with the same key replays; with another key it answers the paid
    // transaction unchanged. Either way: one credit.
    client.commit(&dave, &CommitRequest::new(t.id).clawback_uuid("group-1"), &commit_key).unwrap();
    client.commit(&dave, &CommitRequest::new(t.id), &IdempotencyKey::generate()).unwrap();
    assert_eq!(wallet(&server, user), (1000, 0));

    let refunded =
        client.clawback(&ClawbackRequest::new(ClawbackTarget::TransactionId(t.id), S2sPortal::XboxLive, "Chargeback Issued")).unwrap();
    assert_eq!(refunded.transaction.state, TransactionState::Refunded);
    assert_eq!(refunded.transaction.tax_type, "none");
    assert_eq!(refunded.idempotency_key, None);
    assert_eq!(wallet(&server, user), (0, 0));
    let sent = &requests_to(&server, "/v1/s2s/transactions/clawback")[0];
    assert!(sent.header("x-modio-delegation-token").is_none(), "clawback is service-token only");
    assert!(sent.body.contains("refund_reason=Chargeback+Issued"), "{}", sent.body);
    let txs = transactions(&server);
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0]["state"], "refunded");
}

#[test]
fn clawback_after_spending_records_a_deficit_and_can_name_the_gateway_uuid() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let (user, token) = new_user(&server, "erin", 0);
    let erin = delegation(&server, &token);
    let t = client.intent(&erin, &intent_req().gateway_uuid("gw-erin-1"), &IdempotencyKey::generate()).unwrap();
    client.commit(&erin, &CommitRequest::new(t.transaction.id), &IdempotencyKey::generate()).unwrap();
    assert_eq!(wallet(&server, user), (1000, 0));
    // Erin spends 400 of it on a mod.
    let game = modio_market::Client::new(common::config(&server)).unwrap();
    game.set_access_token(Some(Secret::new(token.clone())));
    let slot = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = game
        .checkout(demo::MOD_DRAGON_SKINS, 400, None, move |r: modio_market::Result<modio_market::CheckoutReceipt>| {
            *s.lock().unwrap() = Some(r.map(|_| ()))
        })
        .unwrap();
    game.wait(id, WAIT).unwrap();
    slot.lock().unwrap().take().unwrap().unwrap();
    assert_eq!(wallet(&server, user), (600, 0));

    let r = client.clawback(&ClawbackRequest::new(ClawbackTarget::GatewayUuid("gw-erin-1".into()), S2sPortal::XboxLive, "Refund")).unwrap();
    assert_eq!(r.transaction.id, t.transaction.id);
    assert_eq!(r.transaction.state, TransactionState::Refunded);
    assert_eq!(wallet(&server, user), (0, 400), "what the balance cannot cover becomes deficit");
    // A repeat takes nothing twice.
    client.clawback(&ClawbackRequest::new(ClawbackTarget::TransactionId(t.transaction.id), S2sPortal::XboxLive, "Refund")).unwrap();
    assert_eq!(wallet(&server, user), (0, 400));
}

#[test]
fn a_dropped_intent_answer_is_retried_with_the_same_key_and_makes_one_transaction() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let dave = alice(&server);
    server.add_fault("/v1/s2s/transactions/intent", 1, Fault::CloseAfter);
    let key = IdempotencyKey::generate();
    let t = client.intent(&dave, &intent_req(), &key).unwrap();
    let sent = requests_to(&server, "/v1/s2s/transactions/intent");
    assert_eq!(sent.len(), 2, "the first answer was dropped, the retry answered");
    assert!(sent.iter().all(|r| r.header("x-modio-idempotent-key") == Some(key.as_str())));
    let txs = transactions(&server);
    assert_eq!(txs.len(), 1, "one transaction for one intent: {txs:?}");
    assert_eq!(txs[0]["transaction_id"], t.transaction.id);
}

#[test]
fn a_dropped_commit_answer_is_retried_with_the_same_key_and_credits_once() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let (user, token) = new_user(&server, "frank", 0);
    let frank = delegation(&server, &token);
    let t = client.intent(&frank, &intent_req(), &IdempotencyKey::generate()).unwrap();
    server.add_fault("/v1/s2s/transactions/commit", 1, Fault::CloseAfter);
    server.add_fault("/v1/s2s/transactions/commit", 1, Fault::TruncatedJson);
    let key = IdempotencyKey::generate();
    let paid = client.commit(&frank, &CommitRequest::new(t.transaction.id), &key).unwrap();
    assert_eq!(paid.transaction.state, TransactionState::Paid);
    let sent = requests_to(&server, "/v1/s2s/transactions/commit");
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.header("x-modio-idempotent-key") == Some(key.as_str())));
    assert_eq!(wallet(&server, user), (1000, 0), "one credit");
}

#[test]
fn bad_idempotency_keys_and_arguments_are_refused_before_sending() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let dave = alice(&server);
    for bad in ["has space", "semi;colon", "ünïcode", "", "dot.ted"] {
        let e = IdempotencyKey::new(bad).unwrap_err();
        assert_eq!(e.code(), ResultCode::InvalidArgument);
    }
    assert_eq!(S2sPortal::parse("meta").unwrap_err().code(), ResultCode::InvalidArgument);
    let key = IdempotencyKey::generate();
    let e = client.intent(&dave, &intent_req().gateway_uuid("not alpha dash"), &key).unwrap_err();
    assert!(e.message().contains("gateway_uuid"), "{e}");
    let e = client.intent(&Secret::new(""), &intent_req(), &key).unwrap_err();
    assert!(e.message().contains("delegation_token"), "{e}");
    let e = client.commit(&dave, &CommitRequest::new(0), &key).unwrap_err();
    assert!(e.message().contains("transaction_id"), "{e}");
    let e = client.clawback(&ClawbackRequest::new(ClawbackTarget::TransactionId(5), S2sPortal::Steam, "")).unwrap_err();
    assert!(e.message().contains("refund_reason"), "{e}");
    // One key is one operation: reusing the intent's key for a commit is refused locally.
    client.intent(&dave, &intent_req(), &key).unwrap();
    let before = server.requests().len();
    let e = client.commit(&dave, &CommitRequest::new(1), &key).unwrap_err();
    assert_eq!(e.code(), ResultCode::InvalidArgument);
    assert!(e.message().contains("idempotency_key"), "{e}");
    assert_eq!(server.requests().len(), before, "nothing was sent");
    assert!(requests_to(&server, "/v1/s2s/transactions/commit").is_empty());
}

#[test]
fn a_bad_client_secret_is_a_typed_error_without_the_secret() {
    let server = FakeServer::start();
    let client = s2s_with_secret(&server, "wrong-secret-value");
    let e = client.refresh_service_token().unwrap_err();
    assert_eq!((e.code(), e.http_status(), e.error_ref()), (ResultCode::Http, 401, modio_market::ERROR_REF_OAUTH_CLIENT_INVALID));
    let e = client.intent(&alice(&server), &intent_req(), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!(e.error_ref(), 11075);
    for text in [e.to_string(), format!("{e:?}"), format!("{client:?}")] {
        assert!(!text.contains("wrong-secret-value"), "{text}");
    }
    assert!(requests_to(&server, "/v1/s2s/transactions/intent").is_empty(), "no token, no intent");
}

#[test]
fn a_bad_delegation_token_is_refused_and_renews_the_service_token_at_most_once() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let bogus = Secret::new("not-a-delegation-token");
    let e = client.intent(&bogus, &intent_req(), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (401, 11005));
    assert!(!e.to_string().contains("not-a-delegation-token"));
    assert_eq!(requests_to(&server, "/v1/oauth/token").len(), 2, "fetched, then renewed once after the 401");
    let e = client.commit(&bogus, &CommitRequest::new(5), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!(e.http_status(), 401);
    assert_eq!(requests_to(&server, "/v1/oauth/token").len(), 2, "a second 401 soon after does not mint again");
    // An expired delegation token is refused the same way.
    let dave = alice(&server);
    server.advance_clock(2 * 3600);
    let e = client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!(e.http_status(), 401);
}

#[test]
fn a_revoked_service_token_is_renewed_once_and_the_call_retried() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let dave = alice(&server);
    client.refresh_service_token().unwrap();
    server.state().lock().unwrap().service_tokens.clear();
    let t = client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap();
    assert_eq!(t.transaction.state, TransactionState::Pending);
    assert_eq!(requests_to(&server, "/v1/oauth/token").len(), 2);
    let sent = requests_to(&server, "/v1/s2s/transactions/intent");
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0].header("authorization"), sent[1].header("authorization"), "the retry used the new token");
    assert_eq!(sent[0].header("x-modio-idempotent-key"), sent[1].header("x-modio-idempotent-key"));
}

/// A token answer for a token the fake knows, with `expires_in` as given.
fn install_token_answer(server: &FakeServer, token: &str, expires_in: Value) {
    {
        let mut state = server.state().lock().unwrap();
        let expires_at = state.now() + 3600;
        state.service_tokens.insert(
            token.to_owned(),
            ServiceToken {
                game_id: demo::GAME_ID,
                client_id: demo::OAUTH_CLIENT_ID.into(),
                scopes: vec!["read".into(), "write".into(), "monetization".into()],
                expires_at,
            },
        );
    }
    let body = json!({"token_type": "Bearer", "expires_in": expires_in, "access_token": token, "scopes": "read,write,monetization"});
    server.add_fault("/v1/oauth/token", 1, Fault::Raw { status: 200, content_type: "application/json".into(), body: body.to_string() });
}

#[test]
fn a_token_at_the_end_of_its_life_is_renewed_before_use_whether_expires_in_is_a_number_or_a_string() {
    for expires_in in [json!(0), json!("0")] {
        let server = FakeServer::start();
        let client = s2s(&server);
        let dave = alice(&server);
        install_token_answer(&server, "short-lived-token", expires_in.clone());
        let info = client.refresh_service_token().unwrap();
        assert_eq!(info.expires_in, Some(Duration::ZERO), "{expires_in}");
        client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap();
        let oauth = requests_to(&server, "/v1/oauth/token");
        assert_eq!(oauth.len(), 2, "renewed before the intent, not after a 401 ({expires_in})");
        let sent = requests_to(&server, "/v1/s2s/transactions/intent");
        assert_eq!(sent.len(), 1, "no 401 round trip");
        assert_ne!(sent[0].header("authorization"), Some("Bearer short-lived-token"));
    }
    // A token with a month to live is kept.
    let server = FakeServer::start();
    let client = s2s(&server);
    let dave = alice(&server);
    install_token_answer(&server, "month-long-token", json!(2_592_000));
    client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap();
    client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap();
    assert_eq!(requests_to(&server, "/v1/oauth/token").len(), 1);
    assert!(requests_to(&server, "/v1/s2s/transactions/intent")
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer month-long-token")));
}

#[test]
fn server_refusals_come_back_typed() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let dave = alice(&server);
    // An SKU mapped to nothing: 422 naming the field.
    let e = client.intent(&dave, &IntentRequest::new("NOT_A_SKU", S2sPortal::Steam), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (422, 13009));
    assert!(e.field_errors().contains_key("sku"), "{e:?}");
    // An unknown transaction.
    let e = client.commit(&dave, &CommitRequest::new(999_999), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (404, 14000));
    // A clawback of a transaction never committed.
    let t = client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap();
    let e =
        client.clawback(&ClawbackRequest::new(ClawbackTarget::TransactionId(t.transaction.id), S2sPortal::XboxLive, "Refund")).unwrap_err();
    assert_eq!(e.http_status(), 422);
    // A service token without the monetization scope.
    control(&server, "POST", "/oauth_clients", json!({"client_id": "8001", "client_secret": "s8", "scopes": ["read", "write"]}));
    let narrow = S2sClient::new(S2sConfig::new(common::config(&server), "8001", "s8").scopes(&["read", "write"])).unwrap();
    let e = narrow.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!(e.http_status(), 403);
    // 5xx is retried (same key) and then reported.
    server.add_fault("/v1/s2s/transactions/intent", 3, Fault::StatusBefore { status: 503 });
    let e = client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap_err();
    assert_eq!(e.http_status(), 503);
}

#[test]
fn async_calls_report_in_poll_and_return_the_generated_key() {
    let server = FakeServer::start();
    let client = s2s(&server);
    assert_eq!(client.poll().unwrap(), 0, "no workers before the first async call");
    let (user, token) = new_user(&server, "gina", 0);
    let gina = delegation(&server, &token);
    let slot = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = client.intent_async(gina.clone(), intent_req(), None, move |r| *s.lock().unwrap() = Some(r)).unwrap();
    client.wait(id, WAIT).unwrap();
    let t = slot.lock().unwrap().take().unwrap().unwrap();
    let key = t.idempotency_key.clone().expect("a generated key");
    assert_eq!(requests_to(&server, "/v1/s2s/transactions/intent")[0].header("x-modio-idempotent-key"), Some(key.as_str()));
    let s = Arc::clone(&slot);
    let id = client.commit_async(gina, CommitRequest::new(t.transaction.id), None, move |r| *s.lock().unwrap() = Some(r)).unwrap();
    client.wait(id, WAIT).unwrap();
    assert_eq!(slot.lock().unwrap().take().unwrap().unwrap().transaction.state, TransactionState::Paid);
    assert_eq!(wallet(&server, user), (1000, 0));
    // Bad arguments fail at once, without a callback.
    assert!(client
        .clawback_async(ClawbackRequest::new(ClawbackTarget::GatewayUuid("bad uuid".into()), S2sPortal::Steam, "r"), |_| {})
        .is_err());
    assert_eq!(client.pending_requests(), 0);
}

#[test]
fn secrets_never_reach_logs() {
    let server = FakeServer::start();
    let client = s2s(&server);
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = Arc::clone(&lines);
    client.set_logger(Some(LogLevel::Trace), Some(Box::new(move |_, m| l.lock().unwrap().push(m.to_owned()))));
    let dave = alice(&server);
    server.add_fault("/v1/s2s/transactions/intent", 1, Fault::CloseAfter);
    let t = client.intent(&dave, &intent_req(), &IdempotencyKey::generate()).unwrap();
    client.commit(&dave, &CommitRequest::new(t.transaction.id), &IdempotencyKey::generate()).unwrap();
    server.state().lock().unwrap().service_tokens.clear();
    client.clawback(&ClawbackRequest::new(ClawbackTarget::TransactionId(t.transaction.id), S2sPortal::XboxLive, "Refund")).unwrap();
    let _ = client.intent(&Secret::new("forged-delegation"), &intent_req(), &IdempotencyKey::generate());
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().any(|l| l.contains("retry")), "retries are logged: {lines:?}");
    assert!(lines.iter().any(|l| l.contains("service token")), "{lines:?}");
    let sent = server.requests();
    let mut secrets = vec![demo::OAUTH_CLIENT_SECRET.to_owned(), dave.expose().to_owned(), "forged-delegation".to_owned()];
    secrets.extend(sent.iter().filter_map(|r| r.header("authorization")).map(|a| a.trim_start_matches("Bearer ").to_owned()));
    for line in &lines {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "{line:?} leaks a secret");
        }
    }
}

#[test]
fn concurrent_blocking_calls_lose_no_log_record() {
    let server = FakeServer::start();
    let client = Arc::new(s2s(&server));
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink_lines = Arc::clone(&lines);
    client.set_logger(
        Some(modio_market::LogLevel::Debug),
        Some(Box::new(move |_level, message: &str| {
            std::thread::sleep(Duration::from_millis(1)); // a sink that takes a moment (a file)
            sink_lines.lock().unwrap().push(message.to_owned());
        })),
    );
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let client = Arc::clone(&client);
            std::thread::spawn(move || {
                for _ in 0..5 {
                    client.refresh_service_token().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let sent = server.requests().iter().filter(|r| r.path == "/v1/oauth/token").count();
    let logged = lines.lock().unwrap().iter().filter(|l| l.contains("/oauth/token ->")).count();
    assert_eq!(sent, 30);
    assert_eq!(logged, sent, "every request's log line reached the sink");
}

// ---------------------------------------------------------------- transaction history

fn historian(server: &FakeServer) -> S2sClient {
    let config = S2sConfig::new(common::config(server), demo::OAUTH_CLIENT_ID, demo::OAUTH_CLIENT_SECRET)
        .monetization_team_id(fake_modio::monetization_team_id(demo::GAME_ID));
    S2sClient::new(config).unwrap()
}

#[test]
fn the_history_lists_with_filters_and_cursor_pages() {
    let server = FakeServer::start();
    let s2s = historian(&server);
    let alice_token = alice(&server);
    let (bob_id, bob_access) = new_user(&server, "historian-bob", 0);
    let bob_token = delegation(&server, &bob_access);
    let mut paid = Vec::new();
    for (i, (who, gateway)) in [(&alice_token, "order-a1"), (&alice_token, "order-a2"), (&bob_token, "order-b1")].into_iter().enumerate() {
        let intent = s2s
            .intent(who, &IntentRequest::new(demo::SKU_GOLD_1000, S2sPortal::Steam).gateway_uuid(gateway), &IdempotencyKey::generate())
            .unwrap();
        if i != 1 {
            s2s.commit(who, &CommitRequest::new(intent.transaction.id), &IdempotencyKey::generate()).unwrap();
            paid.push(intent.transaction.id);
        }
    }
    let all = s2s.all_transactions(&modio_market::TransactionQuery::new(), 10).unwrap();
    assert_eq!(all.len(), 3);
    let found = s2s.transactions(&modio_market::TransactionQuery::by_gateway_uuid("order-a2")).unwrap();
    assert_eq!(found.transactions.len(), 1);
    assert_eq!(found.transactions[0].state, TransactionState::Pending);
    assert_eq!(found.transactions[0].buyer_id(), demo::ALICE_ID);

    let mut q = modio_market::TransactionQuery::new();
    q.transaction_types = vec!["paid".into()];
    let paid_page = s2s.transactions(&q).unwrap();
    let mut ids: Vec<u64> = paid_page.transactions.iter().map(|t| t.id).collect();
    ids.sort();
    paid.sort();
    assert_eq!(ids, paid);
    let mut q = modio_market::TransactionQuery::new();
    q.buyer = Some(bob_id);
    assert_eq!(s2s.transactions(&q).unwrap().transactions.len(), 1);

    // Pages of one: three pages, then none.
    let mut q = modio_market::TransactionQuery::new();
    q.limit = Some(1);
    let mut seen = Vec::new();
    loop {
        let page = s2s.transactions(&q).unwrap();
        assert!(page.transactions.len() <= 1);
        seen.extend(page.transactions.iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);
    let one = s2s.transaction(paid[0]).unwrap();
    assert_eq!((one.id, one.state.clone()), (paid[0], TransactionState::Paid));
    assert_eq!(s2s.transaction(987_654_321).unwrap_err().http_status(), 404);

    // Without a team, or with another team's id, nothing is read.
    let no_team = s2s_with_secret(&server, demo::OAUTH_CLIENT_SECRET);
    assert_eq!(no_team.transactions(&modio_market::TransactionQuery::new()).unwrap_err().code(), ResultCode::InvalidArgument);
    let other =
        S2sClient::new(S2sConfig::new(common::config(&server), demo::OAUTH_CLIENT_ID, demo::OAUTH_CLIENT_SECRET).monetization_team_id(5))
            .unwrap();
    let e = other.transactions(&modio_market::TransactionQuery::new()).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (404, modio_market::error_ref::MONETIZATION_TEAM_NOT_FOUND));
    // The async form reports through poll.
    let got = Arc::new(Mutex::new(None));
    let g = Arc::clone(&got);
    let id = s2s
        .transaction_async(paid[0], move |r: modio_market::Result<modio_market::HistoryTransaction>| *g.lock().unwrap() = Some(r))
        .unwrap();
    s2s.wait(id, WAIT).unwrap();
    assert_eq!(got.lock().unwrap().take().unwrap().unwrap().id, paid[0]);
}
