//! Never lose a purchase, never charge twice: retries under every fault the fake can throw, the
//! checkout journal across crashes (real child processes killed with SIGKILL), recovery, joins,
//! and ownership that survives a restart.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use fake_modio::{demo, FakeServer, Fault};
use modio_market::{error_ref, Client, Config, EntitlementSource, RecoveryOutcome, RecoveryReport, ResultCode, RetryPolicy, Secret};

fn balance(server: &FakeServer, user: u64) -> i64 {
    server.state().lock().unwrap().wallets.get(&(user, demo::GAME_ID)).map_or(0, |w| w.balance)
}

fn server_owns(server: &FakeServer, user: u64, mod_id: u64) -> bool {
    server.state().lock().unwrap().users[&user].purchases.iter().any(|p| p.mod_id == mod_id)
}

#[test]
fn every_fault_kind_is_survived_with_one_charge() {
    let faults = vec![
        Fault::CloseAfter,
        Fault::StatusBefore { status: 500 },
        Fault::StatusBefore { status: 502 },
        Fault::StatusBefore { status: 503 },
        Fault::RateLimit { retry_after: 1, error_ref: 11009 },
        Fault::Delay { ms: 1500 },
        Fault::TruncatedJson,
        Fault::HtmlError,
    ];
    for fault in faults {
        let server = FakeServer::start();
        let what = format!("{fault:?}");
        server.add_fault(&checkout_path(demo::MOD_NIGHT_MODE), 1, fault);
        let c = Client::new(config(&server).request_timeout(Duration::from_millis(800))).unwrap();
        c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
        let receipt = run(&c, |cb| c.checkout(demo::MOD_NIGHT_MODE, 50, None, cb)).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(receipt.balance, 450, "{what}");
        let charges = server.charges();
        assert_eq!(charges.len(), 1, "{what}: exactly one charge");
        assert_eq!(charges[0].idempotent_key, receipt.idempotency_key, "{what}: the retry reused the key");
        let attempts: Vec<String> =
            server.requests().iter().filter(|r| r.path == checkout_path(demo::MOD_NIGHT_MODE)).map(|r| r.body.clone()).collect();
        assert_eq!(attempts.len(), 2, "{what}: one failed attempt, one retry");
        assert_eq!(attempts[0], attempts[1], "{what}: the retry sent the very same form");
        assert!(c.owns(demo::MOD_NIGHT_MODE));
    }
}

#[test]
fn reads_retry_and_other_4xx_never_do() {
    let server = FakeServer::start();
    let c = bob(&server);
    server.add_fault("/v1/me/wallets", 2, Fault::StatusBefore { status: 503 });
    assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap().balance, 500);
    assert_eq!(server.requests().iter().filter(|r| r.path == "/v1/me/wallets").count(), 3);

    // 422 insufficient funds: one request, no retry.
    let e = run(&c, |cb| c.checkout(demo::MOD_SUNNY_SKIES, 1500, None, cb)).unwrap_err();
    assert_eq!(e.error_ref(), error_ref::MONETIZATION_INSUFFICIENT_FUNDS);
    assert_eq!(server.requests().iter().filter(|r| r.path == checkout_path(demo::MOD_SUNNY_SKIES)).count(), 1);

    // Authentication is not safe to repeat: a 503 is reported, not retried.
    server.add_fault("/v1/external/steamauth", 1, Fault::StatusBefore { status: 503 });
    let e = run(&c, |cb| {
        c.authenticate(
            modio_market::PlatformAuth::Steam { appdata: Secret::new(demo::BOB_STEAM_TICKET) },
            modio_market::AuthOptions::agreed(),
            cb,
        )
    })
    .unwrap_err();
    assert_eq!(e.http_status(), 503);
    assert_eq!(server.requests().iter().filter(|r| r.path == "/v1/external/steamauth").count(), 1);
}

#[test]
fn a_rate_limit_longer_than_the_deadline_is_handed_to_the_caller() {
    for (retry_after, reference, want_wait) in [(0u64, 11008u32, 60u64), (120, 11009, 120)] {
        let server = FakeServer::start();
        let c = bob(&server);
        server.add_fault("/v1/me/wallets", 1, Fault::RateLimit { retry_after, error_ref: reference });
        let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
        // Handed over at once, not slept through: one request, and no second attempt later.
        assert_eq!(server.requests().iter().filter(|r| r.path == "/v1/me/wallets").count(), 1, "no retry inside the deadline");
        assert_eq!(e.code(), ResultCode::RateLimited);
        assert_eq!(e.http_status(), 429);
        assert_eq!(e.error_ref(), i64::from(reference));
        assert_eq!(e.retry_after_secs(), Some(want_wait), "retry-after {retry_after} means {want_wait} s");
    }
}

#[test]
fn a_global_limit_holds_every_request_back_and_an_endpoint_limit_only_its_own() {
    let server = FakeServer::start();
    let c = bob(&server);
    server.add_fault("/v1/me/wallets", 1, Fault::RateLimit { retry_after: 120, error_ref: 11009 });
    assert_eq!(run(&c, |cb| c.get_wallet(cb)).unwrap_err().code(), ResultCode::RateLimited);
    // 11009: other endpoints go on; the limited one is held back without being sent.
    run(&c, |cb| c.get_game(cb)).unwrap();
    let sent = server.requests().len();
    let e = run(&c, |cb| c.get_wallet(cb)).unwrap_err();
    assert_eq!(e.code(), ResultCode::RateLimited);
    assert!(e.retry_after_secs().unwrap() > 100);
    assert_eq!(server.requests().len(), sent, "not sent while the limit is in force");

    // 11008: everything waits.
    let c = bob(&server);
    server.add_fault("/v1/games/1", 1, Fault::RateLimit { retry_after: 90, error_ref: 11008 });
    assert_eq!(run(&c, |cb| c.get_game(cb)).unwrap_err().error_ref(), error_ref::RATE_LIMITED);
    let sent = server.requests().len();
    let e = run(&c, |cb| c.refresh_purchases(cb)).unwrap_err();
    assert_eq!((e.code(), e.http_status()), (ResultCode::RateLimited, 429));
    assert!(e.retry_after_secs().unwrap() > 80);
    assert_eq!(server.requests().len(), sent);
}

#[test]
fn insufficient_funds_then_top_up_then_buy() {
    let server = FakeServer::start();
    let c = alice(&server); // balance 0, two GOLD_1000 on Steam
    let e = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap_err();
    assert!(e.is_insufficient_funds());
    let failed_key = server.requests().iter().rev().find(|r| r.path == checkout_path(demo::MOD_HD_PACK)).unwrap().body.clone();
    run(&c, |cb| c.sync_entitlements(EntitlementSource::Steam, cb)).unwrap();
    let receipt = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap();
    assert_eq!(receipt.balance, 1900);
    assert!(!failed_key.contains(&receipt.idempotency_key), "the refused attempt's key was retired; a new attempt got a new one");
    assert_eq!(server.charges().len(), 1);
    assert!(c.owns(demo::MOD_HD_PACK));
}

#[test]
fn a_second_checkout_of_the_same_mod_joins_the_first() {
    let server = FakeServer::start();
    server.add_fault(&checkout_path(demo::MOD_DRAGON_SKINS), 1, Fault::Delay { ms: 400 });
    let c = Client::new(config(&server).worker_threads(4)).unwrap();
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    let results = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..3 {
        let r = Arc::clone(&results);
        c.checkout(demo::MOD_DRAGON_SKINS, 400, None, move |res| r.lock().unwrap().push(res)).unwrap();
    }
    pump_until(&c, "three callbacks", || results.lock().unwrap().len() == 3);
    let results = results.lock().unwrap();
    let receipts: Vec<_> = results.iter().map(|r| r.as_ref().expect("every joined checkout succeeds")).collect();
    assert!(receipts.iter().all(|r| r.transaction.id == receipts[0].transaction.id));
    assert_eq!(server.charges().len(), 1);
    assert_eq!(server.requests().iter().filter(|r| r.path == checkout_path(demo::MOD_DRAGON_SKINS)).count(), 1, "only one request left");
    // Once settled, the slot is free: buying again is a new attempt (and mod.io says owned).
    let e = run(&c, |cb| c.checkout(demo::MOD_DRAGON_SKINS, 400, None, cb)).unwrap_err();
    assert!(e.is_already_owned());
}

/// Hundreds of checkouts by several users, each hit by a random fault; afterwards the fake's
/// ledger must match exactly what the library reported. A checkout whose attempts all ended
/// without a definitive answer (charged or not, the library cannot know) stays journaled and is
/// settled by recovery, which reports it: those reports count as what the library reported.
#[test]
fn exactly_once_under_random_faults() {
    let server = FakeServer::start();
    let users: Vec<(u64, String, i64)> = {
        let mut state = server.state().lock().unwrap();
        let mut users = Vec::new();
        for i in 0..6 {
            let start_balance = 300 + 250 * i;
            let (id, token) = state.add_user(fake_modio::state::NewUser {
                username: format!("player{i}"),
                game_id: demo::GAME_ID,
                balance: start_balance,
                terms_agreed: true,
                credentials: Default::default(),
            });
            users.push((id, token, start_balance));
        }
        for i in 0..40u64 {
            state.add_mod(fake_modio::state::NewMod {
                game_id: demo::GAME_ID,
                name: format!("Stress {i}"),
                price: 10 + (i as i64 % 7) * 15,
                ..Default::default()
            });
        }
        users
    };
    let mods: Vec<(u64, i64)> = server.state().lock().unwrap().mods.values().filter(|m| m.price > 0).map(|m| (m.id, m.price)).collect();

    let faults = [
        None,
        Some(Fault::CloseAfter),
        Some(Fault::StatusBefore { status: 500 }),
        Some(Fault::StatusBefore { status: 503 }),
        // Short limits: the client must hold back (all requests after 11008, the endpoint after
        // 11009) and go on once they pass. A 60 s limit would also hold back the recovery below;
        // surfacing long limits is tested on its own.
        Some(Fault::RateLimit { retry_after: 1, error_ref: 11008 }),
        Some(Fault::RateLimit { retry_after: 1, error_ref: 11009 }),
        Some(Fault::Delay { ms: 700 }),
        Some(Fault::TruncatedJson),
        Some(Fault::HtmlError),
    ];
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };

    let data_dirs = Mutex::new(Vec::new());
    let clients: Vec<Client> = users
        .iter()
        .map(|(_, token, _)| {
            let dir = temp_dir("random");
            data_dirs.lock().unwrap().push(dir.clone());
            let c = Client::new(config(&server).worker_threads(3).request_timeout(Duration::from_millis(400)).data_dir(dir)).unwrap();
            c.set_access_token(Some(Secret::new(token.as_str())));
            c
        })
        .collect();
    let recoveries: Vec<_> = clients.iter().map(recovery_sink).collect();

    type Outcome = (usize, u64, Result<modio_market::CheckoutReceipt, modio_market::Error>);
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::new()));
    let mut pending: Vec<(usize, u64)> = Vec::new();
    const CHECKOUTS: usize = 240;
    for n in 0..CHECKOUTS {
        let who = (next() % users.len() as u64) as usize;
        let (mod_id, price) = mods[(next() % mods.len() as u64) as usize];
        // Now and then the display price is wrong: a definitive refusal, never a charge.
        let shown = if next() % 13 == 0 { price + 1 } else { price };
        if let Some(fault) = faults[(next() % faults.len() as u64) as usize].clone() {
            server.add_fault(&checkout_path(mod_id), 1, fault);
        }
        let out = Arc::clone(&outcomes);
        let id = clients[who].checkout(mod_id, shown, None, move |r| out.lock().unwrap().push((who, mod_id, r))).unwrap();
        pending.push((who, id));
        // Keep a bounded number in flight so faults and requests interleave.
        if n % 12 == 11 {
            for (who, id) in pending.drain(..) {
                let _ = clients[who].wait(id, Duration::from_secs(30));
            }
        }
    }
    for (who, id) in pending.drain(..) {
        let _ = clients[who].wait(id, Duration::from_secs(30));
    }
    let outcomes = outcomes.lock().unwrap();
    assert_eq!(outcomes.len(), CHECKOUTS, "every checkout reported exactly once");

    // The network heals; what is left in the journals is resumed with its keys and reported.
    server.state().lock().unwrap().faults.clear();
    let unsettled = outcomes.iter().filter(|(_, _, r)| r.as_ref().is_err_and(|e| !is_refusal(e))).count();
    for c in &clients {
        c.resume_checkouts();
    }
    let mut recovered = Vec::new();
    let mut dirs_left = 0;
    for (c, reports) in clients.iter().zip(&recoveries) {
        // Recovery starts at the next poll and reports nothing when its journal is empty:
        // pump until this client's journal is empty and its recovery job has finished.
        let _ = c.poll();
        pump_until(c, "recovery to finish", || c.pending_requests() == 0);
        recovered.extend(reports.lock().unwrap().drain(..));
    }
    // Joined checkouts share their leader's attempt, so there can be fewer journal entries than
    // unsettled callbacks, never more; and nothing may be left unsettled.
    assert!(
        recovered.len() <= unsettled && (unsettled == 0 || !recovered.is_empty()),
        "{} recovered for {unsettled} unsettled",
        recovered.len()
    );
    for dir in data_dirs.lock().unwrap().iter() {
        dirs_left += journal_files(dir).len();
    }
    assert_eq!(dirs_left, 0, "every journal settled");

    let charges = server.charges();
    let charged_keys: HashMap<&str, usize> = charges.iter().fold(HashMap::new(), |mut m, c| {
        *m.entry(c.idempotent_key.as_str()).or_default() += 1;
        m
    });
    assert!(charged_keys.values().all(|&n| n == 1), "no key charged twice");
    let mut successes = HashSet::new();
    let mut failures = 0;
    for report in &recovered {
        match &report.outcome {
            RecoveryOutcome::Completed(receipt) => {
                assert!(successes.insert(receipt.idempotency_key.clone()), "resumed once");
                assert!(server_owns(&server, report.user_id, report.mod_id));
            }
            RecoveryOutcome::Failed(e) => assert!(is_refusal(e), "{}", e.message()),
            // mod.io answered "already owned" (another attempt at the same mod was charged): the
            // mod is the player's, and this attempt's key charged nothing.
            RecoveryOutcome::Owned => {
                assert!(server_owns(&server, report.user_id, report.mod_id), "Owned means owned on mod.io: {report:?}");
                assert!(!charged_keys.contains_key(report.idempotency_key.as_str()), "an Owned attempt was never charged");
            }
            other => panic!("after the network healed every attempt must settle, got {other:?}"),
        }
    }
    for (who, mod_id, outcome) in outcomes.iter() {
        match outcome {
            Ok(receipt) => {
                // Joined checkouts share one receipt: count each purchase once.
                if successes.insert(receipt.idempotency_key.clone()) {
                    assert_eq!(charged_keys.get(receipt.idempotency_key.as_str()), Some(&1), "a reported success was charged once");
                }
                assert!(clients[*who].owns(*mod_id));
                assert!(server_owns(&server, users[*who].0, *mod_id));
            }
            Err(_) => failures += 1,
        }
    }
    assert_eq!(charged_keys.len(), successes.len(), "every charge belongs to a reported success (none for failures)");
    assert!(successes.len() > 20 && failures > 5, "the run exercised both paths: {} ok, {failures} failed", successes.len());
    for (id, _, start) in &users {
        let spent: i64 = charges.iter().filter(|c| c.user_id == *id).map(|c| c.amount).sum();
        assert_eq!(balance(&server, *id), start - spent, "user {id}'s balance adds up");
    }
}

#[test]
fn an_unanswered_checkout_is_recovered_from_the_journal() {
    let server = FakeServer::start();
    let dir = temp_dir("recover");
    // Every attempt is processed but never answered: the library cannot know it was charged.
    server.add_fault(&checkout_path(demo::MOD_HD_PACK), 10, Fault::CloseAfter);
    {
        let c = Client::new(config(&server).data_dir(&dir)).unwrap();
        c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
        let e = run(&c, |cb| c.checkout(demo::MOD_HD_PACK, 100, None, cb)).unwrap_err();
        assert!(matches!(e.code(), ResultCode::Connect | ResultCode::Transport), "{e:?}");
        assert_eq!(journal_files(&dir).len(), 1, "no definitive answer: the attempt stays journaled");
    }
    assert_eq!(server.charges().len(), 1, "mod.io did charge");
    server.state().lock().unwrap().faults.clear();

    let c = Client::new(config(&server).data_dir(&dir)).unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    pump_until(&c, "the recovery report", || !reports.lock().unwrap().is_empty());
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    let RecoveryOutcome::Completed(receipt) = &reports[0].outcome else { panic!("{:?}", reports[0]) };
    assert_eq!(receipt.transaction.id, server.charges()[0].transaction_id, "the same purchase, replayed");
    assert_eq!((reports[0].user_id, reports[0].mod_id), (demo::BOB_ID, demo::MOD_HD_PACK));
    assert_eq!(server.charges().len(), 1, "never charged twice");
    assert!(c.owns(demo::MOD_HD_PACK));
    assert!(journal_files(&dir).is_empty(), "retired once definitive");
}

#[test]
fn old_attempts_are_settled_against_the_purchased_list_and_corrupt_ones_kept_aside() {
    let server = FakeServer::start();
    let dir = temp_dir("settle");
    let journal = dir.join("modio-market").join("journal");
    std::fs::create_dir_all(&journal).unwrap();
    let old = now_unix() - 25 * 3600;
    for (key, mod_id) in [("old-owned", demo::MOD_CASTLE_SIEGE), ("old-lost", demo::MOD_DRAGON_SKINS)] {
        let entry = format!(
            r#"{{"version":1,"user_id":{},"mod_id":{mod_id},"display_amount":1,"idempotency_key":"{key}","created_at":{old}}}"#,
            demo::BOB_ID
        );
        std::fs::write(journal.join(format!("{key}.json")), entry).unwrap();
    }
    std::fs::write(journal.join("torn.json"), b"{\"version\":1,\"user_").unwrap();
    // Another user's attempt is left alone.
    std::fs::write(
        journal.join("alices.json"),
        format!(
            r#"{{"version":1,"user_id":{},"mod_id":1001,"display_amount":100,"idempotency_key":"alices","created_at":{old}}}"#,
            demo::ALICE_ID
        ),
    )
    .unwrap();

    let c = Client::new(config(&server).data_dir(&dir)).unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    pump_until(&c, "three reports", || reports.lock().unwrap().len() >= 3);
    let reports = reports.lock().unwrap();
    let by_key: HashMap<&str, &RecoveryOutcome> = reports.iter().map(|r| (r.idempotency_key.as_str(), &r.outcome)).collect();
    assert_eq!(by_key["old-owned"], &RecoveryOutcome::Owned);
    assert_eq!(by_key["old-lost"], &RecoveryOutcome::Abandoned);
    let RecoveryOutcome::CorruptJournal { kept_at, .. } = by_key[""] else { panic!("{reports:?}") };
    assert!(Path::new(kept_at).exists(), "the unreadable entry was kept aside");
    assert!(server.charges().is_empty(), "an expired key is never resent");
    let left: Vec<_> = journal_files(&dir).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(left, vec!["alices.json".to_owned()]);
}

fn is_refusal(e: &modio_market::Error) -> bool {
    e.is_insufficient_funds() || e.is_already_owned() || e.is_price_mismatch()
}

#[test]
fn ownership_answers_offline_right_after_a_restart() {
    let server = FakeServer::start();
    let dir = temp_dir("offline");
    {
        let c = Client::new(config(&server).data_dir(&dir)).unwrap();
        c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
        run(&c, |cb| c.refresh_purchases(cb)).unwrap();
        assert!(c.owns(demo::MOD_CASTLE_SIEGE));
    }
    // No file holds a token.
    for entry in walk(&dir) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!text.contains(demo::BOB_ACCESS_TOKEN), "{entry:?} holds the token");
    }
    // A new process, no network at all.
    let dead = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let offline =
        Client::new(Config::new(demo::GAME_ID, demo::API_KEY).base_url(format!("http://127.0.0.1:{dead}/v1")).data_dir(&dir)).unwrap();
    assert!(!offline.owns(demo::MOD_CASTLE_SIEGE), "no session yet: nobody's list answers");
    // The game restores the player's token: the data directory recognises it (by fingerprint).
    offline.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    assert!(offline.owns(demo::MOD_CASTLE_SIEGE), "answered at once from disk, offline");
    assert!(!offline.owns(demo::MOD_HD_PACK));
    assert!(offline.purchases_age().unwrap() < Duration::from_secs(60));
    // A token it has never seen could be anyone's: nothing is owned until mod.io says who it is.
    offline.set_access_token(Some(Secret::new(demo::ALICE_ACCESS_TOKEN)));
    assert!(!offline.owns(demo::MOD_CASTLE_SIEGE), "never the previous player's list");
    assert_eq!(offline.purchases_age(), None);
    offline.set_access_token(None);
    assert!(!offline.owns(demo::MOD_CASTLE_SIEGE), "signed out: nothing is owned");

    // A refund on the server: the next refresh (online) replaces the stored list.
    server.state().lock().unwrap().users.get_mut(&demo::BOB_ID).unwrap().purchases.clear();
    let c = Client::new(config(&server).data_dir(&dir)).unwrap();
    c.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    run(&c, |cb| c.refresh_purchases(cb)).unwrap();
    assert!(!c.owns(demo::MOD_CASTLE_SIEGE));
    let again =
        Client::new(Config::new(demo::GAME_ID, demo::API_KEY).base_url(format!("http://127.0.0.1:{dead}/v1")).data_dir(&dir)).unwrap();
    again.set_access_token(Some(Secret::new(demo::BOB_ACCESS_TOKEN)));
    assert!(again.purchases_age().is_some(), "bob's list is known offline");
    assert!(!again.owns(demo::MOD_CASTLE_SIEGE), "the refund reached the disk too");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

// -------------------------------------------------------------------------------------------
// Crashes: a child process (this test binary, re-run on one test) is killed with SIGKILL.
// -------------------------------------------------------------------------------------------

const CHILD_ENV: &str = "MODIO_MARKET_CRASH_CHILD";

/// The child's body: start a checkout and block until killed. Does nothing unless the parent
/// test launched this binary with CHILD_ENV set.
#[test]
fn crash_child_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let mut parts = spec.split('|');
    let (base_url, data_dir, token, mod_id, amount) =
        (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    let c = Client::new(
        Config::new(demo::GAME_ID, demo::API_KEY)
            .base_url(base_url)
            .data_dir(data_dir)
            .request_timeout(Duration::from_secs(120))
            .retry_policy(RetryPolicy::never()),
    )
    .unwrap();
    c.set_access_token(Some(Secret::new(token)));
    let id = c.checkout(mod_id.parse().unwrap(), amount.parse().unwrap(), None, |_| {}).unwrap();
    let _ = c.wait(id, Duration::from_secs(120));
    panic!("the parent should have killed this process before the checkout answered");
}

fn spawn_child(base_url: &str, data_dir: &Path, token: &str, mod_id: u64, amount: i64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child_entry_point", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{base_url}|{}|{token}|{mod_id}|{amount}", data_dir.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill9(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no goodbye
    child.wait().unwrap();
}

fn resume_and_collect(server: &FakeServer, dir: &Path, token: &str) -> (Client, Vec<RecoveryReport>) {
    let c = Client::new(config(server).data_dir(dir)).unwrap();
    let reports = recovery_sink(&c);
    c.set_access_token(Some(Secret::new(token)));
    pump_until(&c, "the recovery report", || !reports.lock().unwrap().is_empty());
    let r = reports.lock().unwrap().clone();
    (c, r)
}

#[test]
fn killed_after_mod_io_charged_but_before_the_answer() {
    let server = FakeServer::start();
    let dir = temp_dir("crash-after");
    // Processed (and charged) at once, answered only much later.
    server.add_fault(&checkout_path(demo::MOD_HD_PACK), 1, Fault::Delay { ms: 60_000 });
    let child = spawn_child(&server.base_url(), &dir, demo::BOB_ACCESS_TOKEN, demo::MOD_HD_PACK, 100);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.charges().is_empty() {
        assert!(Instant::now() < deadline, "the child's checkout never reached the fake");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(journal_files(&dir).len(), 1, "journaled before the request left");
    kill9(child);

    let (c, reports) = resume_and_collect(&server, &dir, demo::BOB_ACCESS_TOKEN);
    assert!(matches!(reports[0].outcome, RecoveryOutcome::Completed(_)), "{reports:?}");
    assert_eq!(server.charges().len(), 1, "exactly one charge");
    assert!(c.owns(demo::MOD_HD_PACK) && server_owns(&server, demo::BOB_ID, demo::MOD_HD_PACK));
    assert_eq!(balance(&server, demo::BOB_ID), demo::BOB_BALANCE - 100);
    assert!(journal_files(&dir).is_empty());
}

/// Forwards every request to the fake except checkouts, which it swallows and never answers:
/// the child's checkout is journaled and "sent", but never reaches mod.io.
fn start_checkout_blackhole(upstream: std::net::SocketAddr) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || relay_connection(conn, upstream));
        }
    });
    format!("http://{addr}/v1")
}

fn read_http_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let len = head.lines().find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))).unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    buf.extend(body);
    Some(buf)
}

fn relay_connection(mut client: TcpStream, upstream: std::net::SocketAddr) {
    while let Some(request) = read_http_message(&mut client) {
        let first_line = String::from_utf8_lossy(&request).lines().next().unwrap_or("").to_owned();
        if first_line.contains("/checkout") {
            std::thread::sleep(Duration::from_secs(600)); // the network ate it
            return;
        }
        let Ok(mut up) = TcpStream::connect(upstream) else { return };
        if up.write_all(&request).is_err() {
            return;
        }
        let Some(response) = read_http_message(&mut up) else { return };
        if client.write_all(&response).is_err() {
            return;
        }
    }
}

#[test]
fn killed_before_the_request_reached_mod_io() {
    let server = FakeServer::start();
    let dir = temp_dir("crash-before");
    let blackhole = start_checkout_blackhole(server.addr());
    let child = spawn_child(&blackhole, &dir, demo::BOB_ACCESS_TOKEN, demo::MOD_DRAGON_SKINS, 400);
    let deadline = Instant::now() + Duration::from_secs(30);
    while journal_files(&dir).is_empty() {
        assert!(Instant::now() < deadline, "the child never journaled its checkout");
        std::thread::sleep(Duration::from_millis(10));
    }
    kill9(child);
    assert!(server.charges().is_empty(), "nothing reached mod.io");
    assert!(!server.requests().iter().any(|r| r.path.ends_with("/checkout")));

    let (c, reports) = resume_and_collect(&server, &dir, demo::BOB_ACCESS_TOKEN);
    let RecoveryOutcome::Completed(receipt) = &reports[0].outcome else { panic!("{reports:?}") };
    assert_eq!(receipt.purchased_mod.id, demo::MOD_DRAGON_SKINS);
    assert_eq!(server.charges().len(), 1, "the resumed attempt bought it once");
    assert_eq!(server.charges()[0].idempotent_key, reports[0].idempotency_key, "with the journaled key");
    assert!(c.owns(demo::MOD_DRAGON_SKINS));
    assert_eq!(balance(&server, demo::BOB_ID), demo::BOB_BALANCE - 400);
}
