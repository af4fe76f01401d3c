//! One purchase, one account: every request runs in the session (token, user) it captured when it
//! was submitted, receipts are checked before anything is unlocked, and the journal cannot be
//! fooled. Each test names the case of the review it reproduces; each failed on the code before.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use fake_modio::state::{Credentials, NewMod, NewUser};
use fake_modio::{demo, FakeServer, Fault};
use modio_market::{error_ref, BackgroundRetry, Client, Config, RecoveryOutcome, RecoveryReport, ResultCode, RetryPolicy, Secret};

/// A player on the fake with `balance` Gold: (user id, access token).
fn player(server: &FakeServer, name: &str, balance: i64) -> (u64, String) {
    server.state().lock().unwrap().add_user(NewUser {
        username: name.to_owned(),
        game_id: demo::GAME_ID,
        balance,
        terms_agreed: true,
        credentials: Credentials::default(),
    })
}

fn quick_config(server: &FakeServer) -> Config {
    config(server).background_retry(BackgroundRetry {
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_attempts: 6,
    })
}

/// Pumps until nothing is pending: the recovery pass a new token starts has ended.
fn settle(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.pending_requests() > 0 {
        assert!(Instant::now() < deadline, "requests still pending after 30 s");
        let _ = client.wait_any(Duration::from_millis(20));
    }
}

fn stored_ids(data_dir: &Path, user: u64) -> Option<Vec<u64>> {
    let text = std::fs::read_to_string(data_dir.join("modio-market").join("purchases").join(format!("{user}.json"))).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    Some(v["mod_ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect())
}

/// Starts a checkout and returns a slot its callback fills.
type Slot<T> = Arc<Mutex<Option<modio_market::Result<T>>>>;
fn start_checkout(c: &Client, mod_id: u64, amount: i64, key: Option<&str>) -> (u64, Slot<modio_market::CheckoutReceipt>) {
    let slot: Slot<modio_market::CheckoutReceipt> = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = c
        .checkout(mod_id, amount, key.map(|k| modio_market::IdempotencyKey::new(k).unwrap()), move |r| *s.lock().unwrap() = Some(r))
        .unwrap();
    (id, slot)
}

fn finish<T>(c: &Client, id: u64, slot: &Slot<T>) -> modio_market::Result<T> {
    c.wait(id, WAIT).expect("callback ran in time");
    let taken = slot.lock().unwrap().take();
    taken.expect("the callback stored a result")
}

// Case 1: the token changes between journaling (GET /me) and sending.
#[test]
fn a_token_switch_mid_checkout_charges_only_the_player_who_pressed_buy() {
    let server = FakeServer::start();
    let dir = temp_dir("switch");
    let (a, a_token) = player(&server, "a", 1000);
    let (b, b_token) = player(&server, "b", 1000);
    // A's GET /me is slow: the switch to B lands while A's checkout is identifying. Its answer
    // is then lost, so it must be resent later: by then only B's token is current.
    server.add_fault("/v1/me", 1, Fault::Delay { ms: 300 });
    server.add_fault(&checkout_path(demo::MOD_HD_PACK), 1, Fault::CloseAfter);
    let c = Client::new(quick_config(&server).retry_policy(RetryPolicy::never()).data_dir(&dir)).unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(a_token.clone())));
    let (id, slot) = start_checkout(&c, demo::MOD_HD_PACK, 100, None);
    c.set_access_token(Some(Secret::new(b_token.clone())));
    let told = finish(&c, id, &slot);
    assert!(told.is_err(), "the answer was lost: {told:?}");
    pump_until(&c, "the background resend of A's attempt", || !reports.lock().unwrap().is_empty());
    let report = reports.lock().unwrap()[0].clone();
    assert_eq!(report.user_id, a, "the attempt is A's");
    assert!(matches!(report.outcome, RecoveryOutcome::Completed(_)), "{report:?}");
    let charges = server.charges();
    assert_eq!(charges.len(), 1, "one charge: {charges:?}");
    assert_eq!(charges[0].user_id, a, "A pressed buy: A pays, never B");
    assert!(!c.owns(demo::MOD_HD_PACK), "B is signed in, and B did not buy it");
    // A signs in again on a new client: nothing is left to resend, nobody is charged again.
    drop(c);
    let c = Client::new(quick_config(&server).data_dir(&dir)).unwrap();
    let again = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(a_token)));
    assert!(c.owns(demo::MOD_HD_PACK), "A's own list learned the purchase");
    run(&c, |cb| c.get_wallet(cb)).unwrap();
    assert!(again.lock().unwrap().is_empty());
    assert_eq!(server.charges().len(), 1);
    assert!(journal_files(&dir).is_empty());
    let state = server.state().lock().unwrap();
    assert!(state.users[&b].purchases.is_empty(), "B bought nothing");
}

// Case 2: a checkout queued behind busy workers is sent after the token changed.
#[test]
fn a_queued_checkout_is_sent_with_the_token_it_was_submitted_with() {
    let server = FakeServer::start();
    let (a, a_token) = player(&server, "a", 1000);
    let (b, b_token) = player(&server, "b", 1000);
    server.add_fault("/v1/me/wallets", 1, Fault::Delay { ms: 300 });
    let c = Client::new(quick_config(&server).worker_threads(1)).unwrap();
    c.set_access_token(Some(Secret::new(a_token)));
    let busy = c.get_wallet(|_| {}).unwrap(); // holds the only worker
    let (id, slot) = start_checkout(&c, demo::MOD_CASTLE_SIEGE, 250, None);
    c.set_access_token(Some(Secret::new(b_token)));
    let receipt = finish(&c, id, &slot).expect("A's purchase goes through");
    let _ = c.wait(busy, WAIT);
    assert_eq!(receipt.purchased_mod.id, demo::MOD_CASTLE_SIEGE);
    let charges = server.charges();
    assert_eq!(charges.iter().map(|ch| ch.user_id).collect::<Vec<_>>(), vec![a], "charged to A");
    assert_eq!(server.state().lock().unwrap().wallets[&(b, demo::GAME_ID)].balance, 1000, "B's wallet untouched");
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE), "B's view does not learn A's purchase");
}

fn receipt_body(mod_id: u64, state: &str) -> String {
    serde_json::json!({
        "transaction_id": 77, "gateway_uuid": "g", "gross_amount": 100, "net_amount": 100, "platform_fee": 0,
        "gateway_fee": 0, "transaction_type": state, "meta": {}, "purchase_date": 1, "wallet_type": "STANDARD_MIO",
        "balance": 400, "deficit": 0, "payment_method_id": "", "mod": {"id": mod_id, "name": "Some mod"}
    })
    .to_string()
}

// Case 3: the receipt is checked before anything is unlocked.
#[test]
fn a_receipt_for_another_mod_or_an_unpaid_state_unlocks_nothing() {
    let server = FakeServer::start();
    let dir = temp_dir("receipt");
    let c = Client::new(
        quick_config(&server).background_retry(BackgroundRetry { max_attempts: 0, ..BackgroundRetry::default() }).data_dir(&dir),
    )
    .unwrap();
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    // The recovery pass the token starts must be over, or it would resend these attempts.
    let _ = c.poll();
    settle(&c);
    for (mod_in_answer, state) in
        [(demo::MOD_CASTLE_SIEGE, "PAID"), (demo::MOD_HD_PACK, "FAILED"), (demo::MOD_HD_PACK, "cancelled"), (demo::MOD_HD_PACK, "pending")]
    {
        let what = format!("answer for mod {mod_in_answer} in state {state}");
        server.add_fault(
            &checkout_path(demo::MOD_HD_PACK),
            1,
            Fault::Raw { status: 200, content_type: "application/json".into(), body: receipt_body(mod_in_answer, state) },
        );
        let e = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap_err();
        assert_eq!(e.code(), ResultCode::UnexpectedAnswer, "{what}: {e:?}");
        assert!(e.message().contains("nothing was unlocked"), "{what}: {}", e.message());
        assert!(!c.owns(demo::MOD_HD_PACK) && !c.owns(demo::MOD_CASTLE_SIEGE), "{what}: nothing counts as owned");
    }
    assert_eq!(journal_files(&dir).len(), 4, "each attempt stays journaled for recovery");
    assert!(server.charges().is_empty());
}

#[test]
fn a_key_used_for_one_purchase_is_refused_for_another() {
    let server = FakeServer::start();
    let c = Client::new(quick_config(&server)).unwrap();
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, Some(modio_market::IdempotencyKey::new("shared-key").unwrap()), cb)).unwrap();
    // The same key for another mod (or price) is refused before anything is sent.
    for (mod_id, amount) in [(demo::MOD_HD_PACK, 100), (demo::MOD_NIGHT_MODE, 51)] {
        let e = run(&c, |cb| c.checkout(mod_id, amount, Some(modio_market::IdempotencyKey::new("shared-key").unwrap()), cb)).unwrap_err();
        assert_eq!(e.code(), ResultCode::InvalidArgument, "{e:?}");
        assert!(e.message().contains("idempotency_key"), "{}", e.message());
    }
    assert_eq!(server.requests().iter().filter(|r| r.path == checkout_path(demo::MOD_HD_PACK)).count(), 0);
    // The same purchase again with its key is fine: mod.io replays it, nothing is charged twice.
    run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, Some(modio_market::IdempotencyKey::new("shared-key").unwrap()), cb)).unwrap();

    // A client that never saw the key (a new process without a data directory): mod.io replays
    // the first purchase's receipt for the second mod. It must not count as owned.
    let fresh = Client::new(quick_config(&server)).unwrap();
    fresh.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    let e = run(&fresh, |cb| fresh.checkout(demo::MOD_HD_PACK, 100, Some(modio_market::IdempotencyKey::new("shared-key").unwrap()), cb))
        .unwrap_err();
    assert_eq!(e.code(), ResultCode::UnexpectedAnswer, "{e:?}");
    assert!(!fresh.owns(demo::MOD_HD_PACK), "mod.io never charged for it");
    assert_eq!(server.charges().len(), 1);
}

// Case 4: owns() for the previous player.
#[test]
fn owns_never_answers_with_the_previous_players_list() {
    let server = FakeServer::start();
    let dir = temp_dir("owns");
    let c = Client::new(quick_config(&server).data_dir(&dir)).unwrap();
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    run(&c, |cb| c.refresh_purchases(cb)).unwrap();
    assert!(c.owns(demo::MOD_CASTLE_SIEGE), "bob owns Castle Siege");
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE), "alice's session starts with nothing, not bob's list");
    assert!(c.owned_mod_ids().is_empty());
    c.set_access_token(None);
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE), "signed out");

    // A refresh of bob's list that is still under way when alice signs in.
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    server.add_fault("/v1/me/purchased", 1, Fault::Delay { ms: 300 });
    let slot: Slot<modio_market::Purchases> = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = c.refresh_purchases(move |r| *s.lock().unwrap() = Some(r)).unwrap();
    c.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    finish(&c, id, &slot).unwrap();
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE), "bob's late answer stays out of alice's view");
    assert_eq!(stored_ids(&dir, demo::BOB_ID).unwrap(), vec![demo::MOD_CASTLE_SIEGE], "it went to bob's file");
    assert!(stored_ids(&dir, demo::ALICE_ID).unwrap_or_default().is_empty(), "and never to alice's");
    run(&c, |cb| c.refresh_purchases(cb)).unwrap();
    assert_eq!(stored_ids(&dir, demo::ALICE_ID).unwrap(), Vec::<u64>::new());
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE));
}

// Case 5: a purchase charged while the game was told "failed".
#[test]
fn a_lost_answer_is_resolved_in_the_background_without_the_game_asking() {
    let server = FakeServer::start();
    server.add_fault(&checkout_path(demo::MOD_HD_PACK), 1, Fault::CloseAfter);
    let c = Client::new(quick_config(&server).retry_policy(RetryPolicy::never())).unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    let e = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap_err();
    assert!(matches!(e.code(), ResultCode::Connect | ResultCode::Transport), "{e:?}");
    assert_eq!(server.charges().len(), 1, "mod.io did charge");
    pump_until(&c, "the background resend", || !reports.lock().unwrap().is_empty());
    let reports = reports.lock().unwrap();
    let RecoveryOutcome::Completed(receipt) = &reports[0].outcome else { panic!("{reports:?}") };
    assert_eq!(receipt.transaction.id, server.charges()[0].transaction_id, "the same purchase, replayed with its key");
    assert!(c.owns(demo::MOD_HD_PACK), "owned without resume_checkouts");
    assert_eq!(server.charges().len(), 1);
}

#[test]
fn buying_again_after_a_lost_answer_reports_already_owned_and_owns_it() {
    let server = FakeServer::start();
    server.add_fault(&checkout_path(demo::MOD_HD_PACK), 1, Fault::CloseAfter);
    let no_background = BackgroundRetry { max_attempts: 0, ..BackgroundRetry::default() };
    let c = Client::new(quick_config(&server).retry_policy(RetryPolicy::never()).background_retry(no_background)).unwrap();
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    assert!(run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).is_err());
    assert!(!c.owns(demo::MOD_HD_PACK));
    let e = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap_err();
    assert_eq!(e.error_ref(), error_ref::MONETIZATION_MARKETPLACE_ALREADY_OWNED);
    assert!(c.owns(demo::MOD_HD_PACK), "mod.io says it is owned: so does owns()");
    assert!(c.owns(demo::MOD_CASTLE_SIEGE), "and the refreshed list came with it");
    assert_eq!(server.charges().len(), 1);
}

fn write_entry(dir: &Path, key: &str, version: u32, user: u64, mod_id: u64, created_at: i64) {
    let journal = dir.join("modio-market").join("journal");
    std::fs::create_dir_all(&journal).unwrap();
    let entry = serde_json::json!({
        "version": version, "user_id": user, "mod_id": mod_id, "display_amount": 100,
        "idempotency_key": key, "created_at": created_at
    });
    std::fs::write(journal.join(format!("{key}.json")), entry.to_string()).unwrap();
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|n| n.parse().ok()).unwrap_or(0)
}

// Case 6: entries that must never be resent, a huge file, a planted symlink.
#[test]
fn the_journal_cannot_be_fooled_into_resending_or_reading_without_bound() {
    let server = FakeServer::start();
    let dir = temp_dir("fooled");
    let now = now_unix();
    for (key, created_at) in [
        ("ten-years-ahead", now + 10 * 365 * 86_400),
        ("min", i64::MIN),
        ("max", i64::MAX),
        ("six-minutes-ahead", now + 360),
        ("forty-days-old", now - 40 * 86_400),
    ] {
        write_entry(&dir, key, 1, demo::BOB_ID, demo::MOD_HD_PACK, created_at);
    }
    write_entry(&dir, "from-the-future-format", 2, demo::BOB_ID, demo::MOD_HD_PACK, now);
    let journal = dir.join("modio-market").join("journal");
    std::fs::File::create(journal.join("huge.json")).unwrap().set_len(1 << 30).unwrap(); // sparse: 1 GiB
                                                                                         // A symlink planted where the old code put session.json's temporary file.
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("modio-market").join(format!(".session.json.tmp-{}", std::process::id()))).unwrap();

    let rss_before = peak_rss_kib();
    let c = Client::new(quick_config(&server).data_dir(&dir)).unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    pump_until(&c, "seven reports", || reports.lock().unwrap().len() >= 7);
    let reports = reports.lock().unwrap();
    assert!(server.charges().is_empty(), "nothing was resent: {:?}", server.charges());
    assert_eq!(server.requests().iter().filter(|r| r.path.ends_with("/checkout")).count(), 0);
    let by_key: HashMap<&str, &RecoveryOutcome> = reports.iter().map(|r| (r.idempotency_key.as_str(), &r.outcome)).collect();
    for key in ["ten-years-ahead", "min", "max", "six-minutes-ahead", "forty-days-old"] {
        assert_eq!(by_key.get(key), Some(&&RecoveryOutcome::Abandoned), "{key}: settled against the purchased list, {reports:?}");
    }
    let corrupt: Vec<&str> = reports
        .iter()
        .filter_map(|r| match &r.outcome {
            RecoveryOutcome::CorruptJournal { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(corrupt.len(), 2, "{corrupt:?}");
    assert!(corrupt.iter().any(|r| r.contains("version 2")), "{corrupt:?}");
    assert!(corrupt.iter().any(|r| r.contains("cap")), "{corrupt:?}");
    let grown_mib = peak_rss_kib().saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 256, "the 1 GiB file was not read into memory (peak grew {grown_mib} MiB)");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep", "nothing was written through the symlink");
    assert!(journal_files(&dir).is_empty(), "settled entries are retired, the others moved aside");
}

#[test]
fn one_entry_that_cannot_be_moved_aside_does_not_drop_the_other_reports() {
    let server = FakeServer::start();
    let dir = temp_dir("aside");
    let old = now_unix() - 2 * 86_400;
    write_entry(&dir, "old-owned", 1, demo::BOB_ID, demo::MOD_CASTLE_SIEGE, old);
    write_entry(&dir, "old-lost", 1, demo::BOB_ID, demo::MOD_DRAGON_SKINS, old);
    let journal = dir.join("modio-market").join("journal");
    std::fs::write(journal.join("torn.json"), b"{\"version\":1,").unwrap();
    let c = Client::new(quick_config(&server).data_dir(&dir)).unwrap();
    // corrupt/ cannot take it (here: a file stands where the folder should be; in the field, the
    // folder on another device or a full disk).
    std::fs::remove_dir(journal.join("corrupt")).unwrap();
    std::fs::write(journal.join("corrupt"), b"not a folder").unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    pump_until(&c, "three reports", || reports.lock().unwrap().len() >= 3);
    let reports = reports.lock().unwrap();
    let by_key: HashMap<&str, &RecoveryOutcome> = reports.iter().map(|r| (r.idempotency_key.as_str(), &r.outcome)).collect();
    assert_eq!(by_key["old-owned"], &RecoveryOutcome::Owned);
    assert_eq!(by_key["old-lost"], &RecoveryOutcome::Abandoned);
    let RecoveryOutcome::CorruptJournal { kept_at, reason } = by_key[""] else { panic!("{reports:?}") };
    assert!(kept_at.ends_with("torn.json") && reason.contains("left in place"), "{kept_at}: {reason}");
}

// Case 7: Retry-After overflow.
#[test]
fn an_absurd_retry_after_is_capped_not_a_panic_or_a_lockout() {
    for retry_after in [u64::MAX, 99_999_999_999] {
        let server = FakeServer::start();
        let c = bob(&server);
        server.add_fault("/v1/me/wallets", 1, Fault::RateLimit { retry_after, error_ref: 11009 });
        let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
        assert_eq!(e.code(), ResultCode::RateLimited, "{retry_after}: {e:?}");
        assert_eq!(e.retry_after_secs(), Some(modio_market::MAX_RETRY_AFTER_SECS), "{retry_after}");
        // Another endpoint still works (11009 holds only the one called), and the client lives.
        run(&c, |cb| c.get_game(cb)).unwrap();
    }
}

// Case 8: request ids across clients.
#[test]
fn a_request_id_from_another_client_names_nothing() {
    let server = FakeServer::start();
    server.add_fault("/v1/me/wallets", 1, Fault::Delay { ms: 200 });
    let a = bob(&server);
    let b = bob(&server);
    let slot: Slot<modio_market::Wallet> = Arc::new(Mutex::new(None));
    let s = Arc::clone(&slot);
    let id = a.get_wallet(move |r| *s.lock().unwrap() = Some(r)).unwrap();
    let other = b.get_wallet(|_| {}).unwrap();
    assert_ne!(id, other);
    assert_eq!(b.cancel(id).unwrap_err().code(), ResultCode::RequestNotFound, "b has no request with a's id");
    assert_eq!(finish(&a, id, &slot).unwrap().balance, demo::BOB_BALANCE, "a's request was not cancelled");
    drop(b);
    let c = bob(&server);
    assert_eq!(c.cancel(other).unwrap_err().code(), ResultCode::RequestNotFound, "an id of a freed client names nothing");
}

// Case 9: odd base URLs.
#[test]
fn base_urls_with_a_query_fragment_or_credentials_are_refused() {
    for url in ["http://127.0.0.1:9/v1?x=1", "http://127.0.0.1:9/v1#top", "http://user:pw@127.0.0.1:9/v1"] {
        let e = Client::new(Config::new(demo::GAME_ID, demo::API_KEY).base_url(url)).err().expect(url);
        assert_eq!(e.code(), ResultCode::InvalidArgument, "{url}");
        assert!(e.message().contains("base_url"), "{url}: {}", e.message());
    }
}

// The randomized reconciliation: several players on one client, token switches at random points,
// random faults and restarts; afterwards the fake's ledger must agree with who pressed buy.

/// xorshift64*: deterministic per seed, so a failure names the seed that reproduces it.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Seen {
    /// (user, mod) of every successful outcome reported to the game (callback or recovery).
    successes: Vec<(u64, u64)>,
}

#[test]
fn randomized_players_switching_mid_checkout_are_charged_only_for_their_own_clicks() {
    for seed in [0x5EED_0001u64, 0x5EED_0002, 0x5EED_0003] {
        reconcile(seed);
    }
}

fn reconcile(seed: u64) {
    let mut rng = Rng(seed);
    let server = FakeServer::start();
    let dir = temp_dir(&format!("random-{seed:x}"));
    let players: Vec<(u64, String)> = (0..3).map(|i| player(&server, &format!("p{i}"), 1_000_000)).collect();
    let user_of_token: HashMap<String, u64> = players.iter().map(|(id, t)| (t.clone(), *id)).collect();
    let mods: Vec<u64> = (0..40)
        .map(|i| {
            let id = 5000 + i;
            server.state().lock().unwrap().add_mod(NewMod {
                id: Some(id),
                game_id: demo::GAME_ID,
                name: format!("Mod {id}"),
                price: 10 + i as i64,
                ..NewMod::default()
            });
            id
        })
        .collect();
    let price = |m: u64| 10 + (m - 5000) as i64;
    let cfg = || {
        quick_config(&server).data_dir(&dir).worker_threads(2).request_timeout(Duration::from_millis(600)).retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(5),
            deadline: Duration::from_secs(2),
        })
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut pressed: HashSet<(u64, u64)> = HashSet::new();
    let new_client = |seen: &Arc<Mutex<Seen>>| {
        let c = Client::new(cfg()).unwrap();
        let s = Arc::clone(seen);
        c.set_recovery_callback(Some(Box::new(move |r: RecoveryReport| {
            if matches!(r.outcome, RecoveryOutcome::Completed(_)) {
                s.lock().unwrap().successes.push((r.user_id, r.mod_id));
            }
        })));
        c
    };
    let mut client = new_client(&seen);
    let mut current = rng.below(3) as usize;
    client.set_access_token(Some(Secret::new(players[current].1.clone())));
    // owns() true must always mean: the current player owns it on mod.io.
    let check_owns = |c: &Client, current: usize, step: usize| {
        let owned_on_server: HashSet<u64> =
            server.state().lock().unwrap().users[&players[current].0].purchases.iter().map(|p| p.mod_id).collect();
        for id in c.owned_mod_ids() {
            assert!(owned_on_server.contains(&id), "seed {seed:x} step {step}: owns({id}) for player {current}, who does not own it");
        }
    };
    for step in 0..150 {
        let mod_id = mods[rng.below(mods.len() as u64) as usize];
        match rng.below(6) {
            0 => server.add_fault(&checkout_path(mod_id), 1, Fault::CloseAfter),
            1 => server.add_fault(&checkout_path(mod_id), 1, Fault::StatusBefore { status: 503 }),
            2 => server.add_fault(&checkout_path(mod_id), 1, Fault::TruncatedJson),
            3 => server.add_fault(&checkout_path(mod_id), 1, Fault::Delay { ms: 30 }),
            _ => {}
        }
        let buyer = players[current].0;
        pressed.insert((buyer, mod_id));
        let s = Arc::clone(&seen);
        let submitted = client.checkout(mod_id, price(mod_id), None, move |r: modio_market::Result<modio_market::CheckoutReceipt>| {
            if let Ok(receipt) = r {
                s.lock().unwrap().successes.push((buyer, receipt.purchased_mod.id));
            }
        });
        assert!(submitted.is_ok(), "seed {seed:x} step {step}: {submitted:?}");
        // A token switch right away (before the worker identifies), a little later, or not at all.
        match rng.below(4) {
            0 => {}
            1 => {
                let _ = client.poll();
            }
            _ => {
                let _ = client.wait_any(Duration::from_millis(rng.below(15)));
            }
        }
        if rng.below(3) == 0 {
            current = rng.below(3) as usize;
            client.set_access_token(Some(Secret::new(players[current].1.clone())));
        }
        let _ = client.poll();
        check_owns(&client, current, step);
        if rng.below(40) == 0 {
            // A restart: pending callbacks get SHUT_DOWN; the journal carries the attempts over.
            drop(client);
            client = new_client(&seen);
            client.set_access_token(Some(Secret::new(players[current].1.clone())));
        }
    }
    // Settle: every player signs in once more (recovery), and everything in flight finishes.
    server.state().lock().unwrap().faults.clear();
    for (i, (_, token)) in players.iter().enumerate() {
        client.set_access_token(Some(Secret::new(token.clone())));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let _ = client.poll();
            settle(&client);
            if journal_of(&dir, players[i].0).is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "seed {seed:x}: player {i} did not settle: {:?}", journal_of(&dir, players[i].0));
            // Background resends still waiting, or an entry another session holds: once more.
            client.resume_checkouts();
            let _ = client.wait_any(Duration::from_millis(20));
        }
        check_owns(&client, i, 1000 + i);
    }
    drop(client);
    let charges = server.charges();
    let mut keys = HashSet::new();
    for ch in &charges {
        assert!(keys.insert(ch.idempotent_key.clone()), "seed {seed:x}: one key charged twice: {ch:?}");
        assert!(pressed.contains(&(ch.user_id, ch.mod_id)), "seed {seed:x}: {ch:?} charged to a player who never pressed buy for it");
    }
    let per_pair: HashMap<(u64, u64), usize> = charges.iter().fold(HashMap::new(), |mut m, ch| {
        *m.entry((ch.user_id, ch.mod_id)).or_default() += 1;
        m
    });
    assert!(per_pair.values().all(|n| *n == 1), "seed {seed:x}: a mod charged twice to one player: {per_pair:?}");
    for (user, mod_id) in &seen.lock().unwrap().successes {
        assert!(per_pair.contains_key(&(*user, *mod_id)), "seed {seed:x}: success reported for ({user}, {mod_id}) without a charge");
    }
    let _ = user_of_token;
}

fn journal_of(dir: &Path, user: u64) -> Vec<String> {
    journal_files(dir)
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter(|text| serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| v["user_id"].as_u64() == Some(user)))
        .collect()
}
