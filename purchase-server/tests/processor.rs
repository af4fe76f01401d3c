//! The purchase processor against the fake mod.io: the happy path, every way consumption can
//! end, the Apple/Google ledger, dropped answers, unreachable mod.io, expired delegation tokens
//! and keys, concurrency, clawbacks, and no secret in the database.

mod common;

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use common::*;
use fake_modio::{FakeServer, Fault};
use modio_market_server::{
    ClawbackEvent, ClawbackKind, ClawbackStatus, ConsumeOutcome, ConsumeRequest, Entitlement, Outcome, PendingCause, Processor,
    ProcessorError, S2sPortal, Step, Storage,
};

/// Which storage a test runs on: every test runs once on each (the wrappers at the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

thread_local! {
    /// Set by the wrapper before it calls the test (libtest runs each test on its own thread).
    static KIND: std::cell::Cell<Db> = const { std::cell::Cell::new(Db::Sqlite) };
}

fn run_on(kind: Db, test: fn()) {
    KIND.with(|k| k.set(kind));
    test();
}

struct Env {
    server: FakeServer,
    dir: tempfile::TempDir,
    platform: Platform,
    kind: Db,
    db: String,
}

impl Env {
    fn new() -> Env {
        let server = FakeServer::start();
        let dir = tempfile::tempdir().unwrap();
        let platform = Platform::new(dir.path().join("platform.json"));
        let kind = KIND.with(|k| k.get());
        let db = match kind {
            Db::Sqlite => dir.path().join("purchases.sqlite").display().to_string(),
            Db::Postgres => common::pg::Cluster::shared().fresh_database("purchases"),
        };
        Env { server, dir, platform, kind, db }
    }
    fn url(&self) -> String {
        self.server.base_url()
    }
    /// The test's database: a SQLite file's path or a `postgresql://` URL.
    fn db(&self) -> String {
        self.db.clone()
    }
    /// Another database of the same kind (another server's).
    fn other_db(&self, name: &str) -> String {
        match self.kind {
            Db::Sqlite => self.dir.path().join(format!("{name}.sqlite")).display().to_string(),
            Db::Postgres => common::pg::Cluster::shared().fresh_database(name),
        }
    }
    fn storage(&self) -> Arc<dyn Storage> {
        modio_market_server::open_storage(&self.db).unwrap()
    }
    fn processor(&self) -> Processor<Arc<dyn Storage>> {
        processor(&self.url(), &self.db(), "server-a")
    }
    fn user(&self, name: &str) -> (u64, modio_market_server::Secret) {
        let (id, token) = new_user(&self.url(), name);
        (id, delegation(&self.url(), &token))
    }
    fn requests_to(&self, path: &str) -> Vec<fake_modio::LoggedRequest> {
        self.server.requests().into_iter().filter(|r| r.path == path).collect()
    }
}

fn xbox(id: &str, user: u64) -> Entitlement {
    Entitlement::new(S2sPortal::XboxLive, id, SKU, format!("player-{user}")).gateway_uuid(id)
}

fn one_entitlement_is_recorded_intended_consumed_committed_and_credited_once() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("ann");
    env.platform.grant("xbl-1");
    let outcome = p.process(&xbox("xbl-1", user), &token, |r| env.platform.consume(r)).unwrap();
    let Outcome::Credited(record) = &outcome else { panic!("{outcome:?}") };
    assert_eq!(record.step, Step::Credited);
    assert_eq!(record.transaction_state.as_deref(), Some("paid"));
    assert_eq!(record.gross_amount, Some(AMOUNT));
    assert_eq!(record.consume_attempts, 1);
    assert!(record.lease_owner.is_none(), "the lease is released");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
    let txs = transactions_of(&env.url(), user);
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0]["state"], "paid");
    assert_eq!(txs[0]["gateway_uuid"], "xbl-1");
    assert_eq!((env.platform.calls("xbl-1"), env.platform.is_consumed("xbl-1")), (1, true));
    // The keys sent are the ones recorded.
    let intent = &env.requests_to("/v1/s2s/transactions/intent")[0];
    assert_eq!(intent.header("x-modio-idempotent-key"), Some(record.intent_key.as_str()));
    let commit = &env.requests_to("/v1/s2s/transactions/commit")[0];
    assert_eq!(commit.header("x-modio-idempotent-key"), record.commit_key.as_deref());
    assert_ne!(record.commit_key.as_deref(), Some(record.intent_key.as_str()), "one key per operation");

    // The same entitlement again (a duplicate notification): nothing is sent, nothing consumed.
    let before = env.server.requests().len();
    let again = p.process(&xbox("xbl-1", user), &token, |r| env.platform.consume(r)).unwrap();
    assert!(again.is_credited());
    assert_eq!(env.server.requests().len(), before);
    assert_eq!(env.platform.calls("xbl-1"), 1);
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
    // ... but with another SKU it is a caller bug.
    let wrong = Entitlement::new(S2sPortal::XboxLive, "xbl-1", "GOLD_500", format!("player-{user}"));
    assert!(matches!(p.process(&wrong, &token, |r| env.platform.consume(r)), Err(ProcessorError::Mismatch { field: "sku", .. })));
}

fn an_entitlement_already_consumed_or_failing_is_never_committed_and_the_record_says_why() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("ben");
    env.platform.grant("psn-1");
    env.platform.consume_elsewhere("psn-1");
    let e = Entitlement::new(S2sPortal::Psn, "psn-1", SKU, "ben");
    let outcome = p.process(&e, &token, |r| env.platform.consume(r)).unwrap();
    let Outcome::NotCredited(record) = &outcome else { panic!("{outcome:?}") };
    assert_eq!(record.step, Step::AlreadyConsumed);
    assert!(record.reason.as_deref().unwrap().contains("already consumed"), "{record:?}");
    // Not owned at all: consume fails.
    let e2 = Entitlement::new(S2sPortal::Steam, "steam-404", SKU, "ben");
    let outcome = p.process(&e2, &token, |r| env.platform.consume(r)).unwrap();
    let Outcome::NotCredited(record) = &outcome else { panic!("{outcome:?}") };
    assert_eq!(record.step, Step::ConsumeFailed);
    assert!(record.reason.as_deref().unwrap().contains("does not own"));
    // Neither was committed: two pending transactions at mod.io, no credit.
    assert!(env.requests_to("/v1/s2s/transactions/commit").is_empty());
    let txs = transactions_of(&env.url(), user);
    assert_eq!(txs.len(), 2);
    assert!(txs.iter().all(|t| t["state"] == "pending"));
    assert_eq!(wallet(&env.url(), user), (0, 0));
    // Processing again changes nothing and never consumes again.
    let calls = env.platform.calls("psn-1");
    assert!(matches!(p.process(&e, &token, |r| env.platform.consume(r)).unwrap(), Outcome::NotCredited(_)));
    assert_eq!(env.platform.calls("psn-1"), calls);
    // A failed consume may be reopened once the studio fixed the cause.
    env.platform.grant("steam-404");
    let record = p.record(S2sPortal::Steam, "steam-404").unwrap().unwrap();
    assert_eq!(p.reopen(record.id).unwrap().step, Step::IntentCreated);
    assert!(p.resume(record.id, &token, |r| env.platform.consume(r)).unwrap().is_credited());
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
    // An already-consumed one may not.
    let consumed = p.record(S2sPortal::Psn, "psn-1").unwrap().unwrap();
    assert!(matches!(p.reopen(consumed.id), Err(ProcessorError::CannotReopen(_))));
}

fn consume_asked_to_retry_later_leaves_it_pending_and_resumable() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("cat");
    env.platform.grant("xbl-2");
    let outcome = p.process(&xbox("xbl-2", user), &token, |_| ConsumeOutcome::RetryLater("Xbox Live is down".into())).unwrap();
    let Outcome::Pending { record, cause: PendingCause::ConsumeRetryLater(_) } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(record.step, Step::IntentCreated);
    assert!(record.reason.as_deref().unwrap().contains("Xbox Live is down"));
    assert_eq!(p.unfinished().unwrap().len(), 1);
    let outcome = p.resume(record.id, &token, |r| env.platform.consume(r)).unwrap();
    assert!(outcome.is_credited(), "{outcome:?}");
    assert_eq!(outcome.record().consume_attempts, 2);
    assert_eq!(env.platform.interrupted_calls("xbl-2"), 0, "a retry after a clean failure is not an interrupted one");
    assert_eq!(transactions_of(&env.url(), user).len(), 1, "the intent was not sent twice");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
    assert!(p.unfinished().unwrap().is_empty());
}

fn google_and_apple_orders_go_through_the_ledger_and_convert_once() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("dan");
    let consume = |_: &ConsumeRequest<'_>| ConsumeOutcome::Consumed; // these platforms track nothing
    let order = Entitlement::new(S2sPortal::Google, "GPA.3344-5566-7788-99001", SKU, "dan");
    assert!(p.process(&order, &token, consume).unwrap().is_credited());
    // The same order under another entitlement id (a replayed receipt) is refused.
    let replay = Entitlement::new(S2sPortal::Google, "purchase-token-2", SKU, "dan").order_id("GPA.3344-5566-7788-99001");
    let outcome = p.process(&replay, &token, consume).unwrap();
    let Outcome::DuplicateOrder { holder } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(holder.entitlement_id, "GPA.3344-5566-7788-99001");
    assert!(p.record(S2sPortal::Google, "purchase-token-2").unwrap().is_none(), "nothing recorded for the replay");
    // Apple: order ids are per portal.
    let apple = Entitlement::new(S2sPortal::Apple, "2000000123", SKU, "dan");
    assert!(p.process(&apple, &token, consume).unwrap().is_credited());
    let apple_again = Entitlement::new(S2sPortal::Apple, "receipt-line-9", SKU, "dan").order_id("2000000123");
    assert!(matches!(p.process(&apple_again, &token, consume).unwrap(), Outcome::DuplicateOrder { .. }));
    assert_eq!(wallet(&env.url(), user), (2 * AMOUNT, 0));
    assert_eq!(transactions_of(&env.url(), user).len(), 2);
}

fn dropped_answers_make_one_transaction_and_one_commit() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("eve");
    env.platform.grant("xbl-3");
    env.server.add_fault("/v1/s2s/transactions/intent", 1, Fault::CloseAfter);
    env.server.add_fault("/v1/s2s/transactions/commit", 1, Fault::CloseAfter);
    let outcome = p.process(&xbox("xbl-3", user), &token, |r| env.platform.consume(r)).unwrap();
    assert!(outcome.is_credited(), "{outcome:?}");
    let intents = env.requests_to("/v1/s2s/transactions/intent");
    let commits = env.requests_to("/v1/s2s/transactions/commit");
    assert_eq!((intents.len(), commits.len()), (2, 2), "each answer was dropped once");
    assert_eq!(intents[0].header("x-modio-idempotent-key"), intents[1].header("x-modio-idempotent-key"));
    assert_eq!(commits[0].header("x-modio-idempotent-key"), commits[1].header("x-modio-idempotent-key"));
    assert_eq!(transactions_of(&env.url(), user).len(), 1, "one transaction");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0), "one credit");
}

fn an_unreachable_commit_is_retried_with_its_key_until_mod_io_answers_and_consume_never_runs_again() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("fay");
    env.platform.grant("xbl-4");
    // More 503s than one call's retries: the first call ends pending.
    env.server.add_fault("/v1/s2s/transactions/commit", 5, Fault::StatusBefore { status: 503 });
    let outcome = p.process(&xbox("xbl-4", user), &token, |r| env.platform.consume(r)).unwrap();
    let Outcome::Pending { record, cause: PendingCause::Unreachable(e) } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(e.http_status(), 503);
    assert_eq!(record.step, Step::Consumed);
    assert!(record.reason.as_deref().unwrap().contains("503"), "{record:?}");
    assert!(record.lease_owner.is_none());
    assert_eq!(wallet(&env.url(), user), (0, 0));
    // Later, a fresh delegation token (the old one may have expired) and mod.io is back.
    let (_, token2) = (user, delegation(&env.url(), &new_token_for(&env, user)));
    let outcome = p.resume(record.id, &token2, |_| panic!("consume must never run again")).unwrap();
    assert!(outcome.is_credited(), "{outcome:?}");
    let commits = env.requests_to("/v1/s2s/transactions/commit");
    assert_eq!(commits.len(), 5 + 1);
    assert!(commits.iter().all(|c| c.header("x-modio-idempotent-key") == record.commit_key.as_deref()));
    assert_eq!(env.platform.calls("xbl-4"), 1);
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
}

/// A new access token for a user (a game client signing in again).
fn new_token_for(env: &Env, user: u64) -> String {
    let v = control(&env.url(), "POST", &format!("/users/{user}/token"), serde_json::json!({"expired": false}));
    v["access_token"].as_str().unwrap().to_owned()
}

fn an_expired_delegation_token_pauses_the_commit_until_a_fresh_one_arrives() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("gus");
    env.platform.grant("xbl-5");
    let outcome = p
        .process(&xbox("xbl-5", user), &token, |r| {
            let out = env.platform.consume(r);
            // The delegation token expires while the platform consumes.
            env.server.advance_clock(2 * 3600);
            out
        })
        .unwrap();
    let Outcome::Pending { record, cause: PendingCause::Refused(e) } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(e.http_status(), 401);
    assert_eq!(record.step, Step::Consumed);
    assert!(record.reason.as_deref().unwrap().contains("fresh delegation token"));
    let fresh = delegation(&env.url(), &new_token_for(&env, user));
    let outcome = p.resume_all(|r| (r.id == record.id).then(|| fresh.clone()), |_| panic!("no consume")).unwrap();
    assert_eq!(outcome.len(), 1);
    assert!(outcome[0].is_credited(), "{outcome:?}");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
}

fn keys_older_than_a_day_are_replaced_before_they_are_sent_again() {
    let env = Env::new();
    let clock = Arc::new(AtomicI64::new(1_800_000_000));
    let c = Arc::clone(&clock);
    let p = processor(&env.url(), &env.db(), "server-a").with_clock(move || c.load(Ordering::SeqCst));
    let (user, token) = env.user("hal");
    env.platform.grant("xbl-6");
    env.server.add_fault("/v1/s2s/transactions/commit", 3, Fault::StatusBefore { status: 502 });
    let outcome = p.process(&xbox("xbl-6", user), &token, |r| env.platform.consume(r)).unwrap();
    let first_key = outcome.record().commit_key.clone().unwrap();
    assert!(matches!(outcome, Outcome::Pending { .. }));
    // 25 hours later, here and at mod.io.
    clock.fetch_add(25 * 3600, Ordering::SeqCst);
    env.server.advance_clock(25 * 3600);
    let fresh = delegation(&env.url(), &new_token_for(&env, user));
    let outcome = p.resume(outcome.record().id, &fresh, |_| panic!("no consume")).unwrap();
    assert!(outcome.is_credited(), "{outcome:?}");
    let second_key = outcome.record().commit_key.clone().unwrap();
    assert_ne!(first_key, second_key);
    assert_eq!(env.requests_to("/v1/s2s/transactions/commit").last().unwrap().header("x-modio-idempotent-key"), Some(second_key.as_str()));
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
}

fn two_servers_on_one_database_never_consume_the_same_entitlement_twice() {
    let env = Env::new();
    let a = Arc::new(processor(&env.url(), &env.db(), "server-a"));
    let b = processor(&env.url(), &env.db(), "server-b");
    let (user, token) = env.user("ida");
    env.platform.grant("xbl-7");
    let (in_consume_tx, in_consume_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let consumed = Arc::new(AtomicUsize::new(0));
    let worker = {
        let (a, token, consumed) = (Arc::clone(&a), token.clone(), Arc::clone(&consumed));
        let platform = Platform::new(env.dir.path().join("platform.json"));
        std::thread::spawn(move || {
            a.process(&xbox("xbl-7", user), &token, |r| {
                in_consume_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                consumed.fetch_add(1, Ordering::SeqCst);
                platform.consume(r)
            })
            .unwrap()
        })
    };
    in_consume_rx.recv().unwrap();
    // Server B gets the same purchase notification while A is consuming.
    let outcome = b.process(&xbox("xbl-7", user), &token, |_| panic!("B must not consume")).unwrap();
    assert!(matches!(outcome, Outcome::Pending { cause: PendingCause::Busy, .. }), "{outcome:?}");
    // So does another thread of A.
    let outcome = a.process(&xbox("xbl-7", user), &token, |_| panic!("A's second thread must not consume")).unwrap();
    assert!(matches!(outcome, Outcome::Pending { cause: PendingCause::Busy, .. }), "{outcome:?}");
    release_tx.send(()).unwrap();
    assert!(worker.join().unwrap().is_credited());
    assert!(b.process(&xbox("xbl-7", user), &token, |_| panic!("done")).unwrap().is_credited());
    assert_eq!(consumed.load(Ordering::SeqCst), 1);
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
}

fn a_crashed_instance_is_taken_over_by_another_once_its_lease_runs_out() {
    let env = Env::new();
    let clock = Arc::new(AtomicI64::new(1_800_000_000));
    let (user, token) = env.user("jay");
    env.platform.grant("xbl-8");
    // Server A leaves a record leased mid-way (as if it died): lease taken, never released.
    let storage = env.storage();
    let a = processor(&env.url(), &env.db(), "server-a");
    env.server.add_fault("/v1/s2s/transactions/intent", 3, Fault::StatusBefore { status: 500 });
    let r = a.process(&xbox("xbl-8", user), &token, |_| unreachable!()).unwrap().record().clone();
    let mut leased = storage.get(r.id).unwrap().unwrap();
    leased.lease_owner = Some("server-a".into());
    leased.lease_until = 1_800_000_000 + 600;
    storage.update(&leased).unwrap();
    let c = Arc::clone(&clock);
    let b = processor(&env.url(), &env.db(), "server-b").with_clock(move || c.load(Ordering::SeqCst));
    assert!(matches!(b.resume(r.id, &token, |_| unreachable!()).unwrap(), Outcome::Pending { cause: PendingCause::Busy, .. }));
    clock.fetch_add(601, Ordering::SeqCst);
    let outcome = b.resume(r.id, &token, |req| env.platform.consume(req)).unwrap();
    assert!(outcome.is_credited(), "{outcome:?}");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0));
}

fn clawbacks_are_forwarded_only_for_converted_entitlements() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("kim");
    let consume = |_: &ConsumeRequest<'_>| ConsumeOutcome::Consumed;

    // Converted, then refunded: forwarded with its transaction id; the balance goes back.
    let record = p.process(&xbox("xbl-9", user), &token, consume).unwrap().record().clone();
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-9", ClawbackKind::Refund, "player refund")).unwrap();
    assert_eq!(c.status, ClawbackStatus::Forwarded, "{c:?}");
    assert_eq!(c.transaction_state.as_deref(), Some("refunded"));
    assert_eq!(wallet(&env.url(), user), (0, 0));
    let sent = env.requests_to("/v1/s2s/transactions/clawback");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].body.contains(&format!("transaction_id={}", record.transaction_id.unwrap())));
    assert!(sent[0].body.contains("refund_reason=refund%3A+player+refund"), "{}", sent[0].body);
    // A chargeback of the same transaction afterwards is not sent twice.
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-9", ClawbackKind::Chargeback, "dispute")).unwrap();
    assert_eq!(c.status, ClawbackStatus::AlreadyForwarded);
    // A chargeback reversal is recorded for the studio, never sent.
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-9", ClawbackKind::ChargebackReversal, "won")).unwrap();
    assert_eq!(c.status, ClawbackStatus::ForStudio);
    assert!(c.detail.as_deref().unwrap().contains("studio"));
    assert_eq!(env.requests_to("/v1/s2s/transactions/clawback").len(), 1);

    // Never seen: recorded, not sent, and a late purchase notification never converts it.
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::Steam, "steam-77", ClawbackKind::Chargeback, "fraud")).unwrap();
    assert_eq!(c.status, ClawbackStatus::NotConverted);
    let late = p.process(&Entitlement::new(S2sPortal::Steam, "steam-77", SKU, "kim"), &token, |_| panic!("no consume")).unwrap();
    let Outcome::NotCredited(r) = &late else { panic!("{late:?}") };
    assert_eq!(r.step, Step::Cancelled);
    // Refused before conversion: recorded, not sent.
    env.platform.grant("psn-9");
    env.platform.consume_elsewhere("psn-9");
    p.process(&Entitlement::new(S2sPortal::Psn, "psn-9", SKU, "kim"), &token, |r| env.platform.consume(r)).unwrap();
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::Psn, "psn-9", ClawbackKind::Refund, "refund")).unwrap();
    assert_eq!(c.status, ClawbackStatus::NotConverted);
    assert!(c.detail.as_deref().unwrap().contains("already_consumed"), "{c:?}");
    // Google, by order id.
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::Google, "GPA.1", ClawbackKind::Refund, "refund")).unwrap();
    assert_eq!(c.status, ClawbackStatus::NotConverted);
    let outcome = p.process(&Entitlement::new(S2sPortal::Google, "token-x", SKU, "kim").order_id("GPA.1"), &token, consume).unwrap();
    assert!(matches!(outcome, Outcome::DuplicateOrder { .. }), "{outcome:?}");
    assert_eq!(env.requests_to("/v1/s2s/transactions/clawback").len(), 1, "only the converted one was sent");
    assert_eq!(wallet(&env.url(), user), (0, 0));
}

fn the_same_refund_delivered_to_two_instances_at_once_is_forwarded_once() {
    let env = Env::new();
    let a = Arc::new(processor(&env.url(), &env.db(), "server-a"));
    let b = Arc::new(processor(&env.url(), &env.db(), "server-b"));
    let (user, token) = env.user("lou");
    let consume = |_: &ConsumeRequest<'_>| ConsumeOutcome::Consumed;
    let ids: Vec<String> = (0..4).map(|i| format!("xbl-dup-{i}")).collect();
    for id in &ids {
        assert!(a.process(&xbox(id, user), &token, consume).unwrap().is_credited());
    }
    // mod.io answers slowly: both instances are inside `clawback` at the same time.
    env.server.add_fault("/v1/s2s/transactions/clawback", 100, Fault::Delay { ms: 150 });
    for id in &ids {
        let start = Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = [Arc::clone(&a), Arc::clone(&b)]
            .into_iter()
            .map(|p| {
                let (start, id) = (Arc::clone(&start), id.clone());
                std::thread::spawn(move || {
                    start.wait();
                    p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, &id, ClawbackKind::Refund, "refund")).unwrap()
                })
            })
            .collect();
        let mut statuses: Vec<ClawbackStatus> = threads.into_iter().map(|t| t.join().unwrap().status).collect();
        statuses.sort_by_key(|s| s.as_str());
        assert_eq!(statuses, vec![ClawbackStatus::AlreadyForwarded, ClawbackStatus::Forwarded], "{id}");
    }
    assert_eq!(env.requests_to("/v1/s2s/transactions/clawback").len(), ids.len(), "one clawback per refund reached mod.io");
    assert_eq!(wallet(&env.url(), user), (0, 0), "each credit taken back once");
}

fn a_refund_while_the_commit_is_unsettled_is_deferred_then_forwarded_after_the_credit() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("lee");
    env.server.add_fault("/v1/s2s/transactions/commit", 3, Fault::StatusBefore { status: 503 });
    let outcome = p.process(&xbox("xbl-10", user), &token, |_| ConsumeOutcome::Consumed).unwrap();
    assert_eq!(outcome.record().step, Step::Consumed);
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-10", ClawbackKind::Refund, "refund")).unwrap();
    assert_eq!(c.status, ClawbackStatus::Deferred);
    assert!(env.requests_to("/v1/s2s/transactions/clawback").is_empty());
    // The commit goes through (mod.io may already have credited), then the refund follows.
    let outcome = p.resume(outcome.record().id, &token, |_| panic!("no consume")).unwrap();
    assert!(outcome.is_credited());
    let c = p.clawbacks(outcome.record().id).unwrap().pop().unwrap();
    assert_eq!(c.status, ClawbackStatus::Forwarded, "{c:?}");
    assert_eq!(wallet(&env.url(), user), (0, 0));

    // A refund of an entitlement recorded but not consumed yet cancels it.
    env.server.add_fault("/v1/s2s/transactions/intent", 3, Fault::StatusBefore { status: 503 });
    let pending = p.process(&xbox("xbl-11", user), &token, |_| panic!("not yet")).unwrap();
    assert_eq!(pending.record().step, Step::Recorded);
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-11", ClawbackKind::Chargeback, "cb")).unwrap();
    assert_eq!(c.status, ClawbackStatus::NotConverted);
    let done = p.resume(pending.record().id, &token, |_| panic!("cancelled: never consumed")).unwrap();
    assert_eq!(done.record().step, Step::Cancelled);
}

fn a_clawback_after_spending_leaves_a_deficit_and_an_unreachable_one_is_retried() {
    let env = Env::new();
    let p = env.processor();
    let (user, access) = new_user(&env.url(), "max");
    let token = delegation(&env.url(), &access);
    p.process(&xbox("xbl-12", user), &token, |_| ConsumeOutcome::Consumed).unwrap();
    // Max spends 400 on a mod through the game client API.
    let r = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}/games/{GAME_ID}/mods/1003/checkout", env.url()))
        .bearer_auth(&access)
        .form(&[("type", "0"), ("display_amount", "400"), ("idempotent_key", "spend-1")])
        .send()
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(wallet(&env.url(), user), (600, 0));
    env.server.add_fault("/v1/s2s/transactions/clawback", 3, Fault::StatusBefore { status: 502 });
    let c = p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-12", ClawbackKind::Chargeback, "dispute")).unwrap();
    assert_eq!(c.status, ClawbackStatus::Sending);
    assert!(c.detail.as_deref().unwrap().contains("502"));
    let retried = p.resume_clawbacks().unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].status, ClawbackStatus::Forwarded);
    assert_eq!(wallet(&env.url(), user), (0, 400), "what the balance could not cover is a deficit");
}

fn bad_input_is_refused_before_anything_is_recorded_or_sent() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("ned");
    let bad = [
        Entitlement::new(S2sPortal::Steam, "", SKU, "ned"),
        Entitlement::new(S2sPortal::Steam, "s-1", "", "ned"),
        Entitlement::new(S2sPortal::Steam, "s-1", SKU, ""),
        Entitlement::new(S2sPortal::Steam, "s-1", SKU, "ned").gateway_uuid("not alpha dash"),
    ];
    for e in bad {
        assert!(matches!(p.process(&e, &token, |_| unreachable!()), Err(ProcessorError::Invalid(_))), "{e:?}");
    }
    let empty = modio_market_server::Secret::new("");
    assert!(matches!(p.process(&xbox("x", user), &empty, |_| unreachable!()), Err(ProcessorError::Invalid(_))));
    assert!(p.unfinished().unwrap().is_empty());
    assert!(env.server.requests().iter().all(|r| !r.path.starts_with("/v1/s2s")));
    // An unmapped SKU: mod.io refuses the intent; nothing is consumed.
    let e = Entitlement::new(S2sPortal::Steam, "s-2", "NO_SUCH_SKU", "ned");
    let outcome = p.process(&e, &token, |_| panic!("never consumed")).unwrap();
    let Outcome::NotCredited(r) = &outcome else { panic!("{outcome:?}") };
    assert_eq!(r.step, Step::IntentRejected);
    assert!(r.reason.as_deref().unwrap().contains("422"));
}

fn the_database_holds_no_secret_and_is_private() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("oli");
    env.server.add_fault("/v1/s2s/transactions/commit", 3, Fault::StatusBefore { status: 503 });
    let r = p.process(&xbox("xbl-13", user), &token, |_| ConsumeOutcome::Consumed).unwrap();
    p.resume(r.record().id, &token, |_| unreachable!()).unwrap();
    p.clawback(&ClawbackEvent::new(S2sPortal::XboxLive, "xbl-13", ClawbackKind::Refund, "refund")).unwrap();
    let service_tokens: Vec<String> = env.server.state().lock().unwrap().service_tokens.keys().cloned().collect();
    assert!(!service_tokens.is_empty());
    drop(p);
    let text = match env.kind {
        Db::Sqlite => {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(env.dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.file_name().unwrap().to_string_lossy().starts_with("purchases.sqlite") {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Db::Postgres => {
            // Every row of every table, as text.
            let mut client = postgres::Client::connect(&env.db(), postgres::NoTls).unwrap();
            let mut text = String::new();
            for table in ["entitlements", "order_ledger", "clawbacks", "modio_market_schema"] {
                for row in client.query(&format!("SELECT t::text FROM {table} t"), &[]).unwrap() {
                    text.push_str(row.get::<_, &str>(0));
                    text.push('\n');
                }
            }
            text
        }
    };
    assert!(text.contains("xbl-13"), "the database was read");
    let mut secrets = vec![token.expose().to_owned(), CLIENT_SECRET.to_owned()];
    secrets.extend(service_tokens);
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "the database holds a secret");
    }
    #[cfg(unix)]
    if env.kind == Db::Sqlite {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.db()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}

fn the_commit_answer_state_decides_the_outcome() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("pia");
    // mod.io's answer to the commit, with a given state (installed once the transaction id is known).
    let answer_with = |state: &'static str| {
        let server = &env.server;
        move |req: &ConsumeRequest<'_>| {
            let body = serde_json::json!({"transaction_id": req.record.transaction_id.unwrap(), "gross_amount": 1000,
                "net_amount": 1000, "platform_fee": 300, "gateway_fee": 0, "transaction_type": state, "meta": [], "purchase_date": 1});
            let raw = Fault::Raw { status: 200, content_type: "application/json".into(), body: body.to_string() };
            server.add_fault("/v1/s2s/transactions/commit", 1, raw);
            ConsumeOutcome::Consumed
        }
    };
    let cases =
        [("CREDITED", Step::Credited), ("Cleared", Step::Credited), ("FAILED", Step::CommitRejected), ("cancelled", Step::CommitRejected)];
    for (i, (state, want)) in cases.into_iter().enumerate() {
        let outcome = p.process(&xbox(&format!("xbl-state-{i}"), user), &token, answer_with(state)).unwrap();
        assert_eq!(outcome.record().step, want, "{state}: {outcome:?}");
        assert_eq!(outcome.record().transaction_state.as_deref().map(str::to_ascii_lowercase), Some(state.to_ascii_lowercase()));
    }
    // A state this build does not know keeps the commit owed, and says so.
    let outcome = p.process(&xbox("xbl-state-x", user), &token, answer_with("ON_HOLD")).unwrap();
    let Outcome::Pending { record, cause: PendingCause::Unsettled(_) } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(record.step, Step::Consumed);
    assert!(record.reason.as_deref().unwrap().contains("ON_HOLD"));
    // Asked again, mod.io (the fake, no fault now) answers paid: credited once.
    assert!(p.resume(record.id, &token, |_| panic!("no consume")).unwrap().is_credited());
    // An answer about another transaction is never taken for ours.
    let other = Fault::Raw {
        status: 200,
        content_type: "application/json".into(),
        body: r#"{"transaction_id":1,"transaction_type":"paid","gross_amount":1000}"#.into(),
    };
    env.server.add_fault("/v1/s2s/transactions/commit", 1, other);
    let outcome = p.process(&xbox("xbl-state-y", user), &token, |_| ConsumeOutcome::Consumed).unwrap();
    let Outcome::Pending { record, cause: PendingCause::Unsettled(why) } = &outcome else { panic!("{outcome:?}") };
    assert!(why.contains("with transaction 1"), "{why}");
    assert!(p.resume(record.id, &token, |_| panic!("no consume")).unwrap().is_credited());
    assert_eq!(wallet(&env.url(), user), (2 * AMOUNT, 0), "only the two commits the fake processed credited");
}

/// An intent whose every answer was lost, resumed later with the fresh delegation token the
/// player brings next time. Under the stricter reading of the reference (keys scoped to the
/// delegation token) the same key with a new token would make a second transaction: the
/// processor looks the intent up in the history by its gateway uuid first and adopts it.
fn a_lost_intent_is_found_by_its_gateway_uuid_under_key_scope(scope: &str) {
    let env = Env::new();
    control(&env.url(), "POST", "/s2s_key_scope", serde_json::json!({ "scope": scope }));
    let p = env.processor();
    let (user, token) = env.user(&format!("lost-{scope}"));
    env.platform.grant("xbl-lost");
    // Every attempt of the first call (three in the test policy) reaches mod.io; no answer arrives.
    env.server.add_fault("/v1/s2s/transactions/intent", 3, Fault::CloseAfter);
    let outcome = p.process(&xbox("xbl-lost", user), &token, |_| panic!("no consume before the intent's answer")).unwrap();
    let Outcome::Pending { record, cause: PendingCause::Unreachable(_) } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(record.step, Step::Recorded);
    assert_eq!(transactions_of(&env.url(), user).len(), 1, "mod.io made the transaction; the server does not know it");
    let fresh = delegation(&env.url(), &new_token_for(&env, user));
    let outcome = p.resume(record.id, &fresh, |r| env.platform.consume(r)).unwrap();
    assert!(outcome.is_credited(), "{outcome:?}");
    assert!(outcome.record().reason.is_none(), "the record reached its end: {:?}", outcome.record());
    assert_eq!(env.requests_to("/v1/s2s/transactions/intent").len(), 3, "the intent was not sent again");
    let lookups = env.requests_to("/v1/s2s/monetization-teams/1001/transactions");
    assert_eq!(lookups.len(), 1, "one look-up in the history");
    assert!(lookups[0].query.contains("gateway_uuid=xbl-lost"), "{}", lookups[0].query);
    assert_eq!(transactions_of(&env.url(), user).len(), 1, "one transaction");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0), "one credit");
    assert_eq!(env.platform.calls("xbl-lost"), 1);
}

fn a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_user() {
    a_lost_intent_is_found_by_its_gateway_uuid_under_key_scope("user");
}

fn a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_delegation_token() {
    a_lost_intent_is_found_by_its_gateway_uuid_under_key_scope("delegation_token");
}

fn without_the_history_a_strict_key_scope_would_make_a_second_transaction() {
    // The reason for the look-up, shown: the same resume by a server that cannot read the history.
    let env = Env::new();
    control(&env.url(), "POST", "/s2s_key_scope", serde_json::json!({ "scope": "delegation_token" }));
    let config = modio_market_server::ProcessorConfig { instance_id: "blind".into(), ..Default::default() };
    let p = Processor::new(s2s_client_with_team(&env.url(), 0), env.storage(), config);
    let (user, token) = env.user("blind");
    env.platform.grant("xbl-blind");
    env.server.add_fault("/v1/s2s/transactions/intent", 3, Fault::CloseAfter);
    let outcome = p.process(&xbox("xbl-blind", user), &token, |_| panic!("no consume")).unwrap();
    let Outcome::Pending { record, .. } = &outcome else { panic!("{outcome:?}") };
    let fresh = delegation(&env.url(), &new_token_for(&env, user));
    assert!(p.resume(record.id, &fresh, |r| env.platform.consume(r)).unwrap().is_credited());
    assert_eq!(transactions_of(&env.url(), user).len(), 2, "the fresh token made the same key a new intent");
    assert_eq!(wallet(&env.url(), user), (AMOUNT, 0), "still one credit: only one was committed");
}

fn an_entitlement_without_a_gateway_uuid_gets_one_so_it_can_be_looked_up() {
    let env = Env::new();
    let p = env.processor();
    let (user, token) = env.user("nogw");
    env.platform.grant("xbl-nogw");
    let e = Entitlement::new(S2sPortal::XboxLive, "xbl-nogw", SKU, "nogw");
    let outcome = p.process(&e, &token, |r| env.platform.consume(r)).unwrap();
    assert!(outcome.is_credited());
    let uuid = outcome.record().gateway_uuid.clone().expect("a gateway uuid was made");
    assert!(uuid.starts_with("mmk-") && modio_market_server::S2sPortal::XboxLive.as_str() == "xboxlive");
    assert_eq!(transactions_of(&env.url(), user)[0]["gateway_uuid"], uuid.as_str(), "and sent with the intent");
}

fn reconciliation_sorts_what_the_history_and_the_records_disagree_on() {
    let env = Env::new();
    let p = env.processor();
    // A clean purchase.
    let (clean_user, token) = env.user("clean");
    env.platform.grant("xbl-clean");
    let clean = p.process(&xbox("xbl-clean", clean_user), &token, |r| env.platform.consume(r)).unwrap();
    assert!(clean.is_credited());
    // A commit that reached mod.io (paid) but whose answers were all lost: consumed here.
    let (lost_user, token) = env.user("lostcommit");
    env.platform.grant("xbl-lostcommit");
    env.server.add_fault("/v1/s2s/transactions/commit", 3, Fault::CloseAfter);
    let lost = p.process(&xbox("xbl-lostcommit", lost_user), &token, |r| env.platform.consume(r)).unwrap();
    assert_eq!(lost.record().step, Step::Consumed, "{lost:?}");
    // A commit that never reached mod.io: consumed here, pending there.
    let (owed_user, token) = env.user("owed");
    env.platform.grant("xbl-owed");
    env.server.add_fault("/v1/s2s/transactions/commit", 5, Fault::StatusBefore { status: 503 });
    let owed = p.process(&xbox("xbl-owed", owed_user), &token, |r| env.platform.consume(r)).unwrap();
    assert_eq!(owed.record().step, Step::Consumed);
    // An intent never committed: the platform says it was consumed elsewhere.
    let (gone_user, token) = env.user("gone");
    env.platform.grant("xbl-gone");
    env.platform.consume_elsewhere("xbl-gone");
    let gone = p.process(&xbox("xbl-gone", gone_user), &token, |r| env.platform.consume(r)).unwrap();
    assert_eq!(gone.record().step, Step::AlreadyConsumed);
    // A purchase another server (its own database) converted: paid, unknown here.
    let (other_user, token) = env.user("other");
    env.platform.grant("xbl-other");
    let other_db = env.other_db("other");
    let other = processor(&env.url(), &other_db, "server-b");
    let theirs = other.process(&xbox("xbl-other", other_user), &token, |r| env.platform.consume(r)).unwrap();
    assert!(theirs.is_credited());
    // A credited purchase mod.io's support set back to pending: credited here, not paid there.
    let (reverted_user, token) = env.user("reverted");
    env.platform.grant("xbl-reverted");
    let reverted = p.process(&xbox("xbl-reverted", reverted_user), &token, |r| env.platform.consume(r)).unwrap();
    let reverted_tx = reverted.record().transaction_id.unwrap();
    control(&env.url(), "POST", &format!("/transactions/{reverted_tx}/state"), serde_json::json!({"state": "pending"}));

    let report = p.reconcile(None, 10).unwrap();
    let ids = |list: &[modio_market_server::Discrepancy]| list.iter().map(|d| d.transaction.id).collect::<Vec<_>>();
    let tx = |o: &Outcome| o.record().transaction_id.unwrap();
    assert!(report.checked >= 6, "{report:?}");
    assert_eq!(ids(&report.settled), [tx(&lost)], "the lost commit's answer is settled from the history");
    assert_eq!(ids(&report.commit_owed), [tx(&owed)]);
    assert_eq!(ids(&report.never_committed), [tx(&gone)]);
    assert_eq!(ids(&report.paid_unknown), [tx(&theirs)]);
    assert!(report.paid_unknown[0].record.is_none());
    assert_eq!(ids(&report.commits_not_paid), [reverted_tx]);
    assert!(!report.is_clean());
    let settled = p.record(S2sPortal::XboxLive, "xbl-lostcommit").unwrap().unwrap();
    assert_eq!(settled.step, Step::Credited, "{settled:?}");
    assert_eq!(wallet(&env.url(), lost_user), (AMOUNT, 0), "credited once, by the commit that reached mod.io");
    // The owed commit, resumed, leaves nothing to report for it.
    let owed_record = owed.record().clone();
    assert!(p
        .resume(owed_record.id, &delegation(&env.url(), &new_token_for(&env, owed_user)), |_| panic!("no consume"))
        .unwrap()
        .is_credited());
    let again = p.reconcile(None, 10).unwrap();
    assert!(again.commit_owed.is_empty() && again.settled.is_empty(), "{again:?}");
    // Without the team the history cannot be read: a typed error, nothing changed.
    let blind = Processor::new(s2s_client_with_team(&env.url(), 0), env.storage(), modio_market_server::ProcessorConfig::default());
    assert!(matches!(blind.reconcile(None, 10), Err(ProcessorError::History(_))));
}

/// Every test above, on SQLite and on PostgreSQL (one throwaway cluster for this binary).
mod on_sqlite {
    use super::{run_on, Db};

    #[test]
    fn one_entitlement_is_recorded_intended_consumed_committed_and_credited_once() {
        run_on(Db::Sqlite, super::one_entitlement_is_recorded_intended_consumed_committed_and_credited_once);
    }

    #[test]
    fn an_entitlement_already_consumed_or_failing_is_never_committed_and_the_record_says_why() {
        run_on(Db::Sqlite, super::an_entitlement_already_consumed_or_failing_is_never_committed_and_the_record_says_why);
    }

    #[test]
    fn consume_asked_to_retry_later_leaves_it_pending_and_resumable() {
        run_on(Db::Sqlite, super::consume_asked_to_retry_later_leaves_it_pending_and_resumable);
    }

    #[test]
    fn google_and_apple_orders_go_through_the_ledger_and_convert_once() {
        run_on(Db::Sqlite, super::google_and_apple_orders_go_through_the_ledger_and_convert_once);
    }

    #[test]
    fn dropped_answers_make_one_transaction_and_one_commit() {
        run_on(Db::Sqlite, super::dropped_answers_make_one_transaction_and_one_commit);
    }

    #[test]
    fn an_unreachable_commit_is_retried_with_its_key_until_mod_io_answers_and_consume_never_runs_again() {
        run_on(Db::Sqlite, super::an_unreachable_commit_is_retried_with_its_key_until_mod_io_answers_and_consume_never_runs_again);
    }

    #[test]
    fn an_expired_delegation_token_pauses_the_commit_until_a_fresh_one_arrives() {
        run_on(Db::Sqlite, super::an_expired_delegation_token_pauses_the_commit_until_a_fresh_one_arrives);
    }

    #[test]
    fn keys_older_than_a_day_are_replaced_before_they_are_sent_again() {
        run_on(Db::Sqlite, super::keys_older_than_a_day_are_replaced_before_they_are_sent_again);
    }

    #[test]
    fn two_servers_on_one_database_never_consume_the_same_entitlement_twice() {
        run_on(Db::Sqlite, super::two_servers_on_one_database_never_consume_the_same_entitlement_twice);
    }

    #[test]
    fn a_crashed_instance_is_taken_over_by_another_once_its_lease_runs_out() {
        run_on(Db::Sqlite, super::a_crashed_instance_is_taken_over_by_another_once_its_lease_runs_out);
    }

    #[test]
    fn clawbacks_are_forwarded_only_for_converted_entitlements() {
        run_on(Db::Sqlite, super::clawbacks_are_forwarded_only_for_converted_entitlements);
    }

    #[test]
    fn the_same_refund_delivered_to_two_instances_at_once_is_forwarded_once() {
        run_on(Db::Sqlite, super::the_same_refund_delivered_to_two_instances_at_once_is_forwarded_once);
    }

    #[test]
    fn a_refund_while_the_commit_is_unsettled_is_deferred_then_forwarded_after_the_credit() {
        run_on(Db::Sqlite, super::a_refund_while_the_commit_is_unsettled_is_deferred_then_forwarded_after_the_credit);
    }

    #[test]
    fn a_clawback_after_spending_leaves_a_deficit_and_an_unreachable_one_is_retried() {
        run_on(Db::Sqlite, super::a_clawback_after_spending_leaves_a_deficit_and_an_unreachable_one_is_retried);
    }

    #[test]
    fn bad_input_is_refused_before_anything_is_recorded_or_sent() {
        run_on(Db::Sqlite, super::bad_input_is_refused_before_anything_is_recorded_or_sent);
    }

    #[test]
    fn the_database_holds_no_secret_and_is_private() {
        run_on(Db::Sqlite, super::the_database_holds_no_secret_and_is_private);
    }

    #[test]
    fn the_commit_answer_state_decides_the_outcome() {
        run_on(Db::Sqlite, super::the_commit_answer_state_decides_the_outcome);
    }

    #[test]
    fn a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_user() {
        run_on(Db::Sqlite, super::a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_user);
    }

    #[test]
    fn a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_delegation_token() {
        run_on(Db::Sqlite, super::a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_delegation_token);
    }

    #[test]
    fn without_the_history_a_strict_key_scope_would_make_a_second_transaction() {
        run_on(Db::Sqlite, super::without_the_history_a_strict_key_scope_would_make_a_second_transaction);
    }

    #[test]
    fn an_entitlement_without_a_gateway_uuid_gets_one_so_it_can_be_looked_up() {
        run_on(Db::Sqlite, super::an_entitlement_without_a_gateway_uuid_gets_one_so_it_can_be_looked_up);
    }

    #[test]
    fn reconciliation_sorts_what_the_history_and_the_records_disagree_on() {
        run_on(Db::Sqlite, super::reconciliation_sorts_what_the_history_and_the_records_disagree_on);
    }
}

mod on_postgres {
    use super::{run_on, Db};

    #[test]
    fn one_entitlement_is_recorded_intended_consumed_committed_and_credited_once() {
        run_on(Db::Postgres, super::one_entitlement_is_recorded_intended_consumed_committed_and_credited_once);
    }

    #[test]
    fn an_entitlement_already_consumed_or_failing_is_never_committed_and_the_record_says_why() {
        run_on(Db::Postgres, super::an_entitlement_already_consumed_or_failing_is_never_committed_and_the_record_says_why);
    }

    #[test]
    fn consume_asked_to_retry_later_leaves_it_pending_and_resumable() {
        run_on(Db::Postgres, super::consume_asked_to_retry_later_leaves_it_pending_and_resumable);
    }

    #[test]
    fn google_and_apple_orders_go_through_the_ledger_and_convert_once() {
        run_on(Db::Postgres, super::google_and_apple_orders_go_through_the_ledger_and_convert_once);
    }

    #[test]
    fn dropped_answers_make_one_transaction_and_one_commit() {
        run_on(Db::Postgres, super::dropped_answers_make_one_transaction_and_one_commit);
    }

    #[test]
    fn an_unreachable_commit_is_retried_with_its_key_until_mod_io_answers_and_consume_never_runs_again() {
        run_on(Db::Postgres, super::an_unreachable_commit_is_retried_with_its_key_until_mod_io_answers_and_consume_never_runs_again);
    }

    #[test]
    fn an_expired_delegation_token_pauses_the_commit_until_a_fresh_one_arrives() {
        run_on(Db::Postgres, super::an_expired_delegation_token_pauses_the_commit_until_a_fresh_one_arrives);
    }

    #[test]
    fn keys_older_than_a_day_are_replaced_before_they_are_sent_again() {
        run_on(Db::Postgres, super::keys_older_than_a_day_are_replaced_before_they_are_sent_again);
    }

    #[test]
    fn two_servers_on_one_database_never_consume_the_same_entitlement_twice() {
        run_on(Db::Postgres, super::two_servers_on_one_database_never_consume_the_same_entitlement_twice);
    }

    #[test]
    fn a_crashed_instance_is_taken_over_by_another_once_its_lease_runs_out() {
        run_on(Db::Postgres, super::a_crashed_instance_is_taken_over_by_another_once_its_lease_runs_out);
    }

    #[test]
    fn clawbacks_are_forwarded_only_for_converted_entitlements() {
        run_on(Db::Postgres, super::clawbacks_are_forwarded_only_for_converted_entitlements);
    }

    #[test]
    fn the_same_refund_delivered_to_two_instances_at_once_is_forwarded_once() {
        run_on(Db::Postgres, super::the_same_refund_delivered_to_two_instances_at_once_is_forwarded_once);
    }

    #[test]
    fn a_refund_while_the_commit_is_unsettled_is_deferred_then_forwarded_after_the_credit() {
        run_on(Db::Postgres, super::a_refund_while_the_commit_is_unsettled_is_deferred_then_forwarded_after_the_credit);
    }

    #[test]
    fn a_clawback_after_spending_leaves_a_deficit_and_an_unreachable_one_is_retried() {
        run_on(Db::Postgres, super::a_clawback_after_spending_leaves_a_deficit_and_an_unreachable_one_is_retried);
    }

    #[test]
    fn bad_input_is_refused_before_anything_is_recorded_or_sent() {
        run_on(Db::Postgres, super::bad_input_is_refused_before_anything_is_recorded_or_sent);
    }

    #[test]
    fn the_database_holds_no_secret_and_is_private() {
        run_on(Db::Postgres, super::the_database_holds_no_secret_and_is_private);
    }

    #[test]
    fn the_commit_answer_state_decides_the_outcome() {
        run_on(Db::Postgres, super::the_commit_answer_state_decides_the_outcome);
    }

    #[test]
    fn a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_user() {
        run_on(Db::Postgres, super::a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_user);
    }

    #[test]
    fn a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_delegation_token() {
        run_on(Db::Postgres, super::a_lost_intent_resumed_with_a_fresh_token_makes_one_transaction_keys_per_delegation_token);
    }

    #[test]
    fn without_the_history_a_strict_key_scope_would_make_a_second_transaction() {
        run_on(Db::Postgres, super::without_the_history_a_strict_key_scope_would_make_a_second_transaction);
    }

    #[test]
    fn an_entitlement_without_a_gateway_uuid_gets_one_so_it_can_be_looked_up() {
        run_on(Db::Postgres, super::an_entitlement_without_a_gateway_uuid_gets_one_so_it_can_be_looked_up);
    }

    #[test]
    fn reconciliation_sorts_what_the_history_and_the_records_disagree_on() {
        run_on(Db::Postgres, super::reconciliation_sorts_what_the_history_and_the_records_disagree_on);
    }
}
