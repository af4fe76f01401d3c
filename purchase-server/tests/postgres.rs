//! `PostgresStorage` on a real PostgreSQL server (a throwaway cluster this test starts): the
//! storage rules (one record per entitlement and per order, compare-and-set, one forwarded
//! clawback per record) also under concurrent connections, and the processor over it: a
//! conversion, dropped answers, two instances on one database, the ledger, reconciliation.
//! One test function: the cluster starts once and every scenario gets its own database.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};

use common::pg::Cluster;
use common::*;
use fake_modio::{FakeServer, Fault};
use modio_market_server::{
    ClawbackKind, ClawbackStatus, ConsumeOutcome, ConsumeRequest, Created, Entitlement, NewClawback, NewRecord, Outcome, PendingCause,
    PostgresStorage, Processor, ProcessorConfig, S2sPortal, Step, Storage, StorageError,
};

fn new_record(entitlement: &str, order: Option<&str>) -> NewRecord {
    NewRecord {
        portal: if order.is_some() { S2sPortal::Google } else { S2sPortal::Steam },
        entitlement_id: entitlement.into(),
        order_id: order.map(str::to_owned),
        claim_order: order.is_some(),
        sku: SKU.into(),
        user: "player-1".into(),
        gateway_uuid: None,
        clawback_uuid: None,
        step: Step::Recorded,
        reason: None,
        intent_key: "k1".into(),
        consume_tracking_id: "t1".into(),
        now: 100,
    }
}

fn storage_rules(url: &str) {
    let s = PostgresStorage::connect(url).unwrap();
    // Connecting again finds the schema in place.
    let again = PostgresStorage::connect(url).unwrap();
    let Created::New(a) = s.create(&new_record("e1", None)).unwrap() else { panic!("new") };
    assert_eq!((a.version, a.step, a.intent_key_at), (1, Step::Recorded, 100));
    assert!(matches!(again.create(&new_record("e1", None)).unwrap(), Created::Existing(r) if r.id == a.id));
    let Created::New(g) = s.create(&new_record("GPA.1", Some("GPA.1"))).unwrap() else { panic!("new") };
    match s.create(&new_record("other-id", Some("GPA.1"))).unwrap() {
        Created::DuplicateOrder(holder) => assert_eq!(holder.id, g.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.find_order(S2sPortal::Google, "GPA.1").unwrap().unwrap().id, g.id);
    assert!(s.find(S2sPortal::Google, "other-id").unwrap().is_none(), "a refused create writes nothing");

    // Compare-and-set.
    let mut next = a.clone();
    next.step = Step::IntentCreated;
    next.transaction_id = Some(u64::from(u32::MAX) + 5);
    let written = s.update(&next).unwrap();
    assert_eq!(written.version, 2);
    assert_eq!(again.get(a.id).unwrap().unwrap(), written);
    assert_eq!(s.find_transaction(u64::from(u32::MAX) + 5).unwrap().unwrap().id, a.id);
    assert_eq!(again.update(&a).unwrap_err(), StorageError::Conflict, "a writer holding the old version loses");
    assert_eq!(s.unfinished().unwrap().len(), 2);

    // Clawbacks: one sending-or-forwarded per record, even from two connections.
    let clawback = |st: ClawbackStatus| NewClawback {
        record_id: a.id,
        kind: ClawbackKind::Refund,
        reason: "refund".into(),
        status: st,
        transaction_id: Some(7),
        detail: None,
        now: 5,
    };
    let c1 = s.add_clawback(&clawback(ClawbackStatus::Deferred)).unwrap();
    let c2 = again.add_clawback(&clawback(ClawbackStatus::Deferred)).unwrap();
    assert_eq!(s.open_clawbacks().unwrap().len(), 2);
    let mut sending = c1.clone();
    sending.status = ClawbackStatus::Sending;
    let sent = s.update_clawback(&sending).unwrap();
    let mut second = c2.clone();
    second.status = ClawbackStatus::Sending;
    assert_eq!(again.update_clawback(&second).unwrap_err(), StorageError::Conflict, "a second forward of the same record is refused");
    let mut forwarded = sent.clone();
    forwarded.status = ClawbackStatus::Forwarded;
    forwarded.transaction_state = Some("refunded".into());
    let done = s.update_clawback(&forwarded).unwrap();
    assert_eq!(s.clawbacks_for(a.id).unwrap()[0], done);
    assert_eq!(s.update_clawback(&sent).unwrap_err(), StorageError::Conflict, "compare-and-set on clawbacks too");

    // Eight instances record the same entitlement and the same order at once: one record each.
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<(Created, Created)> = (0..8)
        .map(|i| {
            let (url, barrier) = (url.to_owned(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let st = PostgresStorage::connect(&url).unwrap();
                barrier.wait();
                let same = st.create(&new_record("race-1", None)).unwrap();
                let order = st.create(&new_record(&format!("race-order-entitlement-{i}"), Some("GPA.race"))).unwrap();
                (same, order)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(results.iter().filter(|(same, _)| matches!(same, Created::New(_))).count(), 1, "one record per entitlement");
    assert_eq!(results.iter().filter(|(_, order)| matches!(order, Created::New(_))).count(), 1, "one record per order");
    assert_eq!(results.iter().filter(|(_, order)| matches!(order, Created::DuplicateOrder(_))).count(), 7);
}

fn processor_on(server: &FakeServer, url: &str, instance: &str) -> Processor<PostgresStorage> {
    let config = ProcessorConfig { instance_id: instance.to_owned(), ..ProcessorConfig::default() };
    Processor::new(s2s_client(&server.base_url()), PostgresStorage::connect(url).unwrap(), config)
}

fn conversions(url: &str, dir: &std::path::Path) {
    let server = FakeServer::start();
    let base = server.base_url();
    let platform = Platform::new(dir.join("platform.json"));
    let p = processor_on(&server, url, "pg-a");
    let user = |name: &str| {
        let (id, token) = new_user(&base, name);
        (id, delegation(&base, &token))
    };
    let xbox = |id: &str, user: u64| Entitlement::new(S2sPortal::XboxLive, id, SKU, format!("player-{user}")).gateway_uuid(id);

    // One conversion, with every answer dropped once: one transaction, one credit.
    let (ann, token) = user("ann");
    platform.grant("xbl-1");
    server.add_fault("/v1/s2s/transactions/intent", 1, Fault::CloseAfter);
    server.add_fault("/v1/s2s/transactions/commit", 1, Fault::CloseAfter);
    assert!(p.process(&xbox("xbl-1", ann), &token, |r| platform.consume(r)).unwrap().is_credited());
    assert_eq!(transactions_of(&base, ann).len(), 1);
    assert_eq!(wallet(&base, ann), (AMOUNT, 0));
    assert!(p.process(&xbox("xbl-1", ann), &token, |_| panic!("never again")).unwrap().is_credited(), "a repeat moves nothing");

    // Two instances (two connections) on one database: while A consumes, B is told it is busy.
    let a = Arc::new(processor_on(&server, url, "pg-a"));
    let b = processor_on(&server, url, "pg-b");
    let (ida, token) = user("ida");
    platform.grant("xbl-7");
    let (in_consume_tx, in_consume_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let consumed = Arc::new(AtomicUsize::new(0));
    let worker = {
        let (a, token, consumed) = (Arc::clone(&a), token.clone(), Arc::clone(&consumed));
        let platform = Platform::new(dir.join("platform.json"));
        std::thread::spawn(move || {
            let e = Entitlement::new(S2sPortal::XboxLive, "xbl-7", SKU, format!("player-{ida}")).gateway_uuid("xbl-7");
            a.process(&e, &token, |r| {
                in_consume_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                consumed.fetch_add(1, Ordering::SeqCst);
                platform.consume(r)
            })
            .unwrap()
        })
    };
    in_consume_rx.recv().unwrap();
    let outcome = b.process(&xbox("xbl-7", ida), &token, |_| panic!("B must not consume")).unwrap();
    assert!(matches!(outcome, Outcome::Pending { cause: PendingCause::Busy, .. }), "{outcome:?}");
    release_tx.send(()).unwrap();
    assert!(worker.join().unwrap().is_credited());
    assert!(b.process(&xbox("xbl-7", ida), &token, |_| panic!("done")).unwrap().is_credited());
    assert_eq!(consumed.load(Ordering::SeqCst), 1);
    assert_eq!(wallet(&base, ida), (AMOUNT, 0));

    // The ledger: a Google order converts once, whichever entitlement id it comes under.
    let (dan, token) = user("dan");
    let consume = |_: &ConsumeRequest<'_>| ConsumeOutcome::Consumed;
    let order = Entitlement::new(S2sPortal::Google, "GPA.3344-5566-7788-99001", SKU, "dan");
    assert!(p.process(&order, &token, consume).unwrap().is_credited());
    let replay = Entitlement::new(S2sPortal::Google, "purchase-token-2", SKU, "dan").order_id("GPA.3344-5566-7788-99001");
    assert!(matches!(b.process(&replay, &token, consume).unwrap(), Outcome::DuplicateOrder { .. }));
    assert_eq!(wallet(&base, dan), (AMOUNT, 0));

    // A lost commit answer, settled by reconciliation from the history.
    let (lou, token) = user("lou");
    platform.grant("xbl-lost");
    server.add_fault("/v1/s2s/transactions/commit", 3, Fault::CloseAfter);
    let lost = p.process(&xbox("xbl-lost", lou), &token, |r| platform.consume(r)).unwrap();
    assert_eq!(lost.record().step, Step::Consumed);
    let report = b.reconcile(None, 10).unwrap();
    assert_eq!(report.settled.iter().map(|d| d.transaction.id).collect::<Vec<_>>(), [lost.record().transaction_id.unwrap()]);
    assert_eq!(p.record(S2sPortal::XboxLive, "xbl-lost").unwrap().unwrap().step, Step::Credited);
    assert_eq!(wallet(&base, lou), (AMOUNT, 0));
    assert!(b.reconcile(None, 10).unwrap().is_clean(), "nothing left to report");
}

#[test]
fn postgres_storage_keeps_the_processors_rules_on_a_real_server() {
    let cluster = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    storage_rules(&cluster.database("storage_rules"));
    // The configuration's URL chooses the storage.
    let chosen = modio_market_server::open_storage(&cluster.database("chosen")).unwrap();
    assert!(matches!(chosen.create(&new_record("by-url", None)).unwrap(), Created::New(_)));
    assert!(
        PostgresStorage::connect(&cluster.url("chosen")).unwrap().find(S2sPortal::Steam, "by-url").unwrap().is_some(),
        "it was PostgreSQL"
    );
    let file = dir.path().join("chosen.sqlite");
    let sqlite = modio_market_server::open_storage(&format!("sqlite:{}", file.display())).unwrap();
    assert!(matches!(sqlite.create(&new_record("by-path", None)).unwrap(), Created::New(_)));
    assert!(file.is_file(), "a sqlite: URL is a SQLite file");
    conversions(&cluster.database("conversions"), dir.path());
}
