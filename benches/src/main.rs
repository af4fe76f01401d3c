//! modio-market-bench: what the SDK costs a studio, side by side with plain clients, in one run.
//! Run it with `scripts/bench` (which builds the release library, the C programs and this
//! binary); see BENCHMARKS.md. Nothing here asserts a timing: it measures and prints ratios.
//!
//! `modio-market-bench serve` is the fake server process the benchmarks talk to.

mod counting;
mod instructions;
mod sdk;
mod servers;
mod table;

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use counting::{rss_kib, snapshot};
use sdk::{Sdk, Setup, Tally};
use servers::FakeProcess;
use table::{bytes, kib, ns, thousands, Row};

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

const ALICE_TOKEN: &str = fake_modio::demo::ALICE_ACCESS_TOKEN;

/// Command-line options (all set by scripts/bench).
#[derive(Default)]
struct Args {
    quick: bool,
    curl_loop: Option<PathBuf>,
    static_wallet: Option<PathBuf>,
    static_baseline: Option<PathBuf>,
    shared_lib: Option<PathBuf>,
    /// benches/c/callgrind_ops.c, built: the instruction counts of poll, owns and submit.
    callgrind_ops: Option<PathBuf>,
    /// Where the journal benchmark puts its data directory (emptied first); a temp dir if unset.
    data_dir: Option<PathBuf>,
    /// Run only these sections (`--only network,memory`); all when empty.
    only: Vec<String>,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args::default();
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let mut path = || Some(PathBuf::from(it.next().unwrap_or_else(|| panic!("{a} needs a path"))));
            match a.as_str() {
                "--quick" => args.quick = true,
                "--curl-loop" => args.curl_loop = path(),
                "--static-wallet" => args.static_wallet = path(),
                "--static-baseline" => args.static_baseline = path(),
                "--shared-lib" => args.shared_lib = path(),
                "--callgrind-ops" => args.callgrind_ops = path(),
                "--data-dir" => args.data_dir = path(),
                "--only" => args.only = it.next().unwrap_or_default().split(',').map(str::to_owned).collect(),
                other => panic!("unknown argument {other}; see scripts/bench"),
            }
        }
        // A misspelt section would silently run nothing.
        const SECTIONS: [&str; 11] =
            ["game", "submit", "network", "client-cost", "concurrency", "parse", "memory", "size", "journal", "instructions", "purchase"];
        if let Some(unknown) = args.only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
            panic!("unknown section {unknown} for --only; the sections: {}", SECTIONS.join(", "));
        }
        args
    }

    fn runs(&self, section: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == section)
    }

    /// `full` iterations, or `quick` with --quick.
    fn n(&self, full: u64, quick: u64) -> u64 {
        if self.quick {
            quick
        } else {
            full
        }
    }
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        servers::serve();
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("decode-instructions") {
        instructions::decode_mode(&std::env::args().skip(2).collect::<Vec<_>>());
        return;
    }
    // Loopback only: never through a proxy.
    std::env::set_var("NO_PROXY", "127.0.0.1,localhost,::1");
    std::env::set_var("no_proxy", "127.0.0.1,localhost,::1");
    let args = Args::parse();
    let started = Instant::now();
    let load_at_start = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fake = FakeProcess::spawn();

    let mut rows = Vec::new();
    let mut later = Vec::new();
    // `submit` alone: the submit rows without the purchased-list refreshes (a quicker rerun).
    if args.runs("game") || args.runs("submit") {
        step("game thread: poll, submit");
        rows.push(bench_poll(&fake, &args));
        rows.extend(bench_submit(&fake, &args));
    }
    if args.runs("game") {
        step("game thread: owns(), purchased-list refreshes");
        let (owns, refresh) = bench_purchases(&fake, &args);
        rows.push(owns);
        later.extend(refresh);
    }
    let mut alloc_row = None;
    if args.runs("network") {
        step("network path: C ABI vs reqwest vs libcurl");
        let (net_rows, allocs) = bench_throughput(&fake, &args);
        rows.extend(net_rows);
        alloc_row = Some(allocs);
    }
    if args.runs("network") || args.runs("client-cost") {
        step("client cost: the same requests against a minimal loopback server");
        rows.extend(bench_client_cost(&fake, &args));
    }
    if args.runs("concurrency") {
        step("concurrency: 64 delayed requests");
        rows.extend(bench_concurrency(&fake, &args));
    }
    if args.runs("parse") {
        step("parsing");
        rows.extend(bench_page_parse(&fake, &args));
    }
    rows.extend(later);
    if args.runs("memory") {
        step("memory");
        rows.extend(bench_memory(&fake, &args));
    }
    rows.extend(alloc_row);
    if args.runs("size") {
        rows.extend(size_rows(&args));
    }
    if args.runs("journal") {
        step("checkout journal");
        rows.extend(bench_journal(&fake, &args));
    }
    if args.runs("instructions") {
        step("instruction counts (callgrind; a minute or two)");
        let out_dir = args
            .data_dir
            .as_ref()
            .and_then(|d| d.parent().map(|p| p.join("callgrind")))
            .unwrap_or_else(|| std::env::temp_dir().join("modio-market-callgrind"));
        rows.extend(instructions::rows(&fake, args.callgrind_ops.as_deref(), &fetch_page(&fake), args.quick, &out_dir));
    }

    println!();
    for line in machine() {
        println!("{line}");
    }
    println!("- load average at the start: {}", load_at_start.split_whitespace().take(3).collect::<Vec<_>>().join(", "));
    println!(
        "- mode: {}; run took {:.0} s",
        if args.quick { "--quick (smoke, small counts)" } else { "full" },
        started.elapsed().as_secs_f64()
    );
    println!();
    table::print(&rows);
    let failed = sdk::FAILED.load(std::sync::atomic::Ordering::Relaxed);
    if failed > 0 {
        println!("requests that failed during the run: {failed} (see stderr); the rows around them are suspect");
    }
}

fn step(what: &str) {
    eprintln!("bench: {what}");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64
}

/// Opens one connection per worker before anything is measured. Each worker gets a request the
/// fake holds for a while, so none can take a second one and every worker opens its own
/// connection. (They were spaced out for tiny_http 0.12, which could leave a connection
/// unserved when several arrived at once; the fake's own server serves each on its thread.)
fn open_connections(fake: &FakeProcess, sdk: &Sdk, workers: u32, tally: &Tally) {
    const SPACING_MS: u64 = 15;
    if workers > 1 {
        fake.delay("/v1/me/wallets", workers, 100 + SPACING_MS * u64::from(workers));
    }
    let start = tally.done();
    for _ in 0..workers {
        sdk.get_wallet(tally);
        std::thread::sleep(Duration::from_millis(SPACING_MS));
    }
    while tally.done() - start < u64::from(workers) {
        sdk.wait(0);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The game thread
// ---------------------------------------------------------------------------------------------

/// `poll` with nothing queued: median of 5 batches.
fn bench_poll(fake: &FakeProcess, args: &Args) -> Row {
    let sdk = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN));
    let tally = Tally::default();
    open_connections(fake, &sdk, 2, &tally); // the client has done real work before
    tally.expect_ok("poll warm-up");
    assert_eq!(sdk.poll(), 0);
    let iters = args.n(2_000_000, 200_000);
    let (cpu, wall) = per_call(iters, || {
        black_box(sdk.poll_bare());
    });
    Row::new("game thread", "`poll`, nothing queued (per call, thread CPU time)", ns(cpu))
        .reference(format!("wall time {}", ns(wall)))
        .target("< 50 ns", cpu < 50.0)
}

/// (thread CPU, wall) nanoseconds per call of `f`: the median of 7 batches of `iters` calls.
/// The CPU time is what the game thread pays; the wall time also holds the moments this shared
/// machine gave the core to someone else.
fn per_call(iters: u64, mut f: impl FnMut()) -> (f64, f64) {
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let c = counting::thread_cpu_ns();
        let t = Instant::now();
        for _ in 0..iters {
            f();
        }
        wall.push(t.elapsed().as_nanos() as f64 / iters as f64);
        cpu.push((counting::thread_cpu_ns() - c) as f64 / iters as f64);
    }
    (median(cpu), median(wall))
}

#[derive(Clone, Copy, PartialEq)]
enum Net {
    /// The fake answers every request.
    Answering,
    /// A listener accepts the connection and never answers.
    BlackHole,
    /// Nothing listens: every connection is refused (and retried with backoff).
    Refused,
    /// The fake answers, and the game waits for each callback and then idles a while, so every
    /// submit finds the workers parked (a game that submits now and then).
    Idle,
    /// A listener that never answers, the requests left pending (the network really stalls):
    /// they pile up behind the stuck workers and are cancelled a thousand at a time.
    Stalled,
}

/// Submit latencies, sorted: every sample, and the samples during which the scheduler did not
/// take the core from the thread (on this shared 2-core machine a preempted sample measures the
/// machine's other load, not the call).
struct Samples {
    all: Vec<u64>,
    kept: Vec<u64>,
}

impl Samples {
    /// Sorted; all samples stand in for the kept ones when every sample was preempted.
    fn new(mut all: Vec<u64>, mut kept: Vec<u64>) -> Samples {
        all.sort_unstable();
        kept.sort_unstable();
        if kept.is_empty() {
            kept = all.clone();
        }
        Samples { all, kept }
    }

    fn describe(&self) -> String {
        let p = |s: &[u64], q| ns(percentile(s, q));
        format!(
            "p50 {} / p99 {} (all samples: p99 {}; {:.1}% preempted)",
            p(&self.kept, 0.5),
            p(&self.kept, 0.99),
            p(&self.all, 0.99),
            100.0 * (self.all.len() - self.kept.len()) as f64 / self.all.len() as f64
        )
    }
    fn p99(&self) -> f64 {
        percentile(&self.kept, 0.99)
    }
}

/// Times each `get_wallet` submit alone; the game loop around it (poll/wait/cancel) is not timed.
fn submit_samples(sdk: &Sdk, net: Net, samples: u64) -> Samples {
    let tally = Tally::default();
    let warm = 256;
    let mut all = Vec::with_capacity(samples as usize);
    let mut kept = Vec::with_capacity(samples as usize);
    let mut stalled = Vec::new();
    for i in 0..warm + samples {
        let switches = counting::involuntary_switches();
        let t = Instant::now();
        let id = sdk.get_wallet(&tally);
        let dt = t.elapsed().as_nanos() as u64;
        let preempted = counting::involuntary_switches() != switches;
        if i >= warm {
            all.push(dt);
            if !preempted {
                kept.push(dt);
            }
        }
        match net {
            Net::Answering => {
                if sdk.pending() >= 32 {
                    sdk.wait(0);
                }
            }
            Net::Idle => {
                sdk.wait(id);
                // Long enough for the worker to stop spinning and park again.
                std::thread::sleep(Duration::from_micros(300));
            }
            // Nothing would ever complete: cancel at once so the pending set stays small, and
            // run the cancellations' callbacks as a game's poll would.
            Net::BlackHole | Net::Refused => {
                sdk.cancel(id);
                if i % 64 == 63 {
                    sdk.poll();
                }
            }
            Net::Stalled => {
                stalled.push(id);
                if stalled.len() == 1000 {
                    for id in stalled.drain(..) {
                        sdk.cancel(id);
                    }
                    sdk.poll();
                }
            }
        }
    }
    for id in stalled {
        sdk.cancel(id);
    }
    // Every callback must have run before `tally` goes away.
    while sdk.pending() > 0 {
        sdk.wait(0);
    }
    if matches!(net, Net::Answering | Net::Idle) {
        tally.expect_ok("submit (answering)");
    }
    Samples::new(all, kept)
}

fn bench_submit(fake: &FakeProcess, args: &Args) -> Vec<Row> {
    let samples = args.n(20_000, 2_000);
    let answering = {
        let sdk = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN));
        let tally = Tally::default();
        open_connections(fake, &sdk, 2, &tally);
        submit_samples(&sdk, Net::Answering, samples)
    };
    let hole = servers::black_hole();
    let black_hole = {
        let url = format!("http://{hole}/v1");
        // Requests stay stuck on the workers for the whole measurement.
        let sdk = Sdk::new(Setup::new(&url).token(ALICE_TOKEN).request_timeout_ms(120_000));
        submit_samples(&sdk, Net::BlackHole, samples)
    };
    let refused = {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}/v1");
        let sdk = Sdk::new(Setup::new(&url).token(ALICE_TOKEN));
        submit_samples(&sdk, Net::Refused, samples)
    };
    let stalled = {
        let url = format!("http://{hole}/v1");
        let sdk = Sdk::new(Setup::new(&url).token(ALICE_TOKEN).request_timeout_ms(120_000));
        submit_samples(&sdk, Net::Stalled, samples)
    };
    let idle_samples = args.n(5_000, 500);
    let idle = {
        let sdk = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN));
        submit_samples(&sdk, Net::Idle, idle_samples)
    };
    let wake = bare_wake_samples(idle_samples);
    let limit = 10_000.0;
    let mut rows = vec![Row::new(
        "game thread",
        format!("submit `get_wallet`, server answering, up to 32 in flight ({} samples)", thousands(samples)),
        answering.describe(),
    )
    .target("p99 < 10 µs", answering.p99() < limit)];
    rows.push(
        Row::new(
            "game thread",
            format!(
                "submit `get_wallet` with idle workers (each callback waited for, then 0.3 ms idle; {} samples)",
                thousands(idle_samples)
            ),
            idle.describe(),
        )
        .reference(format!("the floor: a bare crossbeam send that wakes a parked thread, {}", wake.describe()))
        .ratio(idle.p99() / wake.p99())
        .target("p99 < 10 µs", idle.p99() < limit),
    );
    for (what, s) in [
        ("server accepts, never answers (each cancelled at once)", &black_hole),
        ("server accepts, never answers (requests left pending, up to 1,000)", &stalled),
        ("connection refused", &refused),
    ] {
        rows.push(
            Row::new("game thread", format!("submit `get_wallet`, {what}"), s.describe())
                .reference(format!("answering: p99 {}", ns(answering.p99())))
                .ratio(s.p99() / answering.p99())
                .target("p99 < 10 µs whatever the network", s.p99() < limit),
        );
    }
    rows.push(bench_free_stuck());
    rows
}

/// The floor of a submit that wakes a parked worker on this machine: a bare crossbeam `send` to
/// a thread blocked in `recv`, timed alone, each after the receiver handled the last and parked.
fn bare_wake_samples(samples: u64) -> Samples {
    use std::sync::atomic::{AtomicU64, Ordering};
    let (tx, rx) = crossbeam_channel::unbounded::<u64>();
    let handled = std::sync::Arc::new(AtomicU64::new(0));
    let seen = std::sync::Arc::clone(&handled);
    let receiver = std::thread::spawn(move || {
        for n in rx.iter() {
            seen.store(n, Ordering::Release);
        }
    });
    let warm = 64;
    let (mut all, mut kept) = (Vec::new(), Vec::new());
    for i in 1..=warm + samples {
        std::thread::sleep(Duration::from_micros(300));
        let switches = counting::involuntary_switches();
        let t = Instant::now();
        tx.send(i).unwrap();
        let dt = t.elapsed().as_nanos() as u64;
        let preempted = counting::involuntary_switches() != switches;
        while handled.load(Ordering::Acquire) != i {
            std::hint::spin_loop();
        }
        if i > warm {
            all.push(dt);
            if !preempted {
                kept.push(dt);
            }
        }
    }
    drop(tx);
    receiver.join().unwrap();
    Samples::new(all, kept)
}

/// `client_free` while requests sit on a server that accepts and never answers: what a game
/// waits at exit (and a Unity domain reload) when the network is gone.
fn bench_free_stuck() -> Row {
    let hole = servers::black_hole();
    let url = format!("http://{hole}/v1");
    let tally = Tally::default();
    let sdk = Sdk::new(Setup::new(&url).token(ALICE_TOKEN).request_timeout_ms(120_000));
    for _ in 0..4 {
        sdk.get_wallet(&tally);
    }
    // Let the workers get onto the wire (a bench may wait; nothing here asserts a time).
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    drop(sdk);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    Row::new("game thread", "`client_free` with 4 requests stuck on a server that never answers (2 workers)", format!("{ms:.1} ms"))
        .reference("the shutdown timeout it may wait at most: 2000 ms")
        .target("< 100 ms", ms < 100.0)
}

/// The purchased list: refresh 10,000 mods (100 pages) against the fake, next to a plain reqwest
/// loop fetching and parsing the same pages; then `owns()` with the 10,000 cached.
/// Returns (the owns row, the refresh rows).
fn bench_purchases(fake: &FakeProcess, args: &Args) -> (Row, Vec<Row>) {
    let runs = args.n(5, 1);
    let sdk = Sdk::new(Setup::new(&fake.base_url).token(&fake.bulk_token));
    let mut sdk_ms = Vec::new();
    for _ in 0..runs {
        let tally = Tally::default();
        let t = Instant::now();
        let id = sdk.refresh_purchases(&tally);
        sdk.wait(id);
        sdk_ms.push(t.elapsed().as_secs_f64() * 1e3);
        if tally.expect_ok("refresh_purchases") {
            assert_eq!(tally.items.get(), servers::BULK_PURCHASES, "the refresh must return every purchased mod");
        }
    }
    let http = plain_client();
    let mut ref_ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let mut got = 0u64;
        let mut offset = 0;
        loop {
            let url = format!("{}/me/purchased?game_id={}&_offset={offset}&_limit=100", fake.base_url, sdk::GAME_ID);
            let body = http.get(url).bearer_auth(&fake.bulk_token).send().unwrap().bytes().unwrap();
            let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let n = page["data"].as_array().map_or(0, |d| d.len()) as u64;
            got += n;
            offset += n;
            if n == 0 || offset >= page["result_total"].as_u64().unwrap_or(0) {
                break;
            }
        }
        assert_eq!(got, servers::BULK_PURCHASES);
        ref_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    // The refresh as a game lives it, for each list size: poll once per 1 ms "frame" until the
    // list arrives; the worst single poll is what the game thread paid for it.
    let mut delivering = Vec::new();
    for (&size, token) in servers::BULK_SIZES.iter().zip(&fake.bulk_tokens) {
        if args.quick && size > 10_000 {
            continue;
        }
        delivering.push(refresh_as_a_game(&fake.base_url, token, size));
    }
    let (s, r) = (median(sdk_ms), median(ref_ms));
    let refresh = Row::new("parsing", "refresh a purchased list of 10,000 mods (100 pages of 100), fake server", format!("{s:.1} ms"))
        .reference(format!("reqwest + serde_json::Value: {r:.1} ms"))
        .ratio(s / r);

    // owns(): the cache now holds 10,000 ids; ask for owned and unowned ids alternately.
    let first = servers::BULK_FIRST_MOD_ID;
    assert!(sdk.owns(first) && sdk.owns(first + servers::BULK_PURCHASES - 1) && !sdk.owns(1));
    let iters = args.n(2_000_000, 200_000);
    let mut i = 0u64;
    let (cpu, wall) = per_call(iters, || {
        // Even i: an owned id; odd i: one past the list (not owned).
        let id = first + (i * 7919) % servers::BULK_PURCHASES + (i & 1) * servers::BULK_PURCHASES;
        black_box(sdk.owns(black_box(id)));
        i += 1;
    });
    let owns = Row::new("game thread", "`owns()` with 10,000 purchases cached (half hits; thread CPU time)", ns(cpu))
        .reference(format!("wall time {}", ns(wall)))
        .target("< 50 ns", cpu < 50.0);
    delivering.push(refresh);
    (owns, delivering)
}

/// One purchased-list refresh of `size` mods with `poll` once per 1 ms frame, by a new client:
/// the worst poll, the whole refresh, and the process's peak resident size while it ran.
fn refresh_as_a_game(base_url: &str, token: &str, size: u64) -> Row {
    let sdk = Sdk::new(Setup::new(base_url).token(token));
    let rss_before = counting::rss_kib();
    let peak_measured = counting::reset_peak_rss();
    let tally = Tally::default();
    let started = Instant::now();
    sdk.refresh_purchases(&tally);
    let mut worst_ms = 0f64;
    loop {
        let t = Instant::now();
        let ran = sdk.poll();
        worst_ms = worst_ms.max(t.elapsed().as_secs_f64() * 1e3);
        if ran > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let peak = counting::peak_rss_kib();
    if tally.expect_ok("refresh_purchases") {
        assert_eq!(tally.items.get(), size, "the refresh must return every purchased mod");
    }
    drop(sdk);
    let rss_after = counting::rss_kib();
    let goal = if size > 10_000 { 5.0 } else { 2.0 };
    Row::new(
        "game thread",
        format!("the worst `poll` while a purchased list of {} mods is refreshed (the one that delivers it)", thousands(size)),
        format!("{worst_ms:.3} ms"),
    )
    .reference(format!(
        "refresh {total_ms:.0} ms in all; resident size {} MiB before, peak {}, {} MiB after the client is freed",
        rss_before / 1024,
        if peak_measured { format!("{} MiB", peak / 1024) } else { "not measurable here".to_owned() },
        rss_after / 1024
    ))
    .target(format!("< {goal} ms"), worst_ms < goal)
}

// ---------------------------------------------------------------------------------------------
// 2. The network path
// ---------------------------------------------------------------------------------------------

fn plain_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().no_proxy().build().unwrap()
}

/// One C program run: (wall seconds, CPU seconds) of its timed requests.
fn run_c_loop(program: &PathBuf, url: &str, token: &str, n: u64, warm: u64) -> Option<(f64, f64)> {
    let out = Command::new(program).args([url, token, &n.to_string(), &warm.to_string()]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!("bench: {} failed: {text} {}", program.display(), String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let field = |name: &str| text.split_whitespace().find_map(|kv| kv.strip_prefix(name)).and_then(|s| s.parse().ok());
    Some((field("seconds=")?, field("cpu=")?))
}

/// One client's results over the rounds.
#[derive(Default)]
struct Series {
    rps: Vec<f64>,
    /// CPU seconds per request (client side: this process, or the C child process).
    cpu: Vec<f64>,
    /// Requests per second divided by the plain reqwest loop's in the same round.
    vs_plain: Vec<f64>,
    vs_curl: Vec<f64>,
}

impl Series {
    fn rps(&self) -> f64 {
        median(self.rps.clone())
    }
    fn cpu_us(&self) -> f64 {
        self.cpu.iter().sum::<f64>() / self.cpu.len() as f64 * 1e6
    }
}

/// N wallet requests per client against the same fake, in short interleaved rounds (the order
/// reversed every other round) so that the machine's background load hits every client alike;
/// ratios are taken within a round, and the median round is reported.
///
/// The library's main row works the way a dedicated server does: it submits the requests (at most
/// 64 in flight) and calls `poll` once per 1 ms tick; with 1 worker it has one connection and one
/// request on the wire at a time, exactly like the loops.
fn bench_throughput(fake: &FakeProcess, args: &Args) -> (Vec<Row>, Row) {
    let n = args.n(1_000, 300);
    let rounds = args.n(10, 2);
    let warm = 200;
    let tick = Duration::from_millis(1);
    let wallet_url = format!("{}/me/wallets?game_id={}", fake.base_url, sdk::GAME_ID);

    let one_worker = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN).workers(1));
    let default = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN));
    let tally = Tally::default();
    open_connections(fake, &one_worker, 1, &tally);
    open_connections(fake, &default, 2, &tally);
    one_worker.wallets(warm, 64, &tally);
    default.wallets(warm, 64, &tally);
    let http = plain_client();
    let plain_one = |http: &reqwest::blocking::Client| {
        let response = http.get(&wallet_url).bearer_auth(ALICE_TOKEN).header("accept", "application/json").send().unwrap();
        assert!(response.status().is_success(), "wallet: {}", response.status());
        black_box(response.bytes().unwrap());
    };
    for _ in 0..warm {
        plain_one(&http);
    }

    const SDK: usize = 0;
    const PLAIN: usize = 1;
    const CURL: usize = 2;
    const STATIC_C: usize = 3;
    const ONE_AT_A_TIME: usize = 4;
    const TWO_WORKERS: usize = 5;
    let mut series: [Series; 6] = Default::default();
    // The reqwest loop's rate measured in turns with the one-at-a-time loop, one per round.
    let mut paired_plain: Vec<f64> = Vec::new();
    let (mut sdk_allocs, mut plain_allocs) = ((0u64, 0u64), (0u64, 0u64));
    for round in 0..rounds {
        let mut order = [SDK, PLAIN, CURL, STATIC_C, ONE_AT_A_TIME, TWO_WORKERS];
        if round % 2 == 1 {
            order.reverse();
        }
        let mut this_round = [f64::NAN; 6];
        for client in order {
            let cpu0 = counting::cpu_seconds();
            let allocs0 = snapshot();
            let t = Instant::now();
            let in_process = |t: Instant| Some((t.elapsed().as_secs_f64(), counting::cpu_seconds() - cpu0));
            // (wall, CPU) seconds for the n requests: measured here, or by the C program itself.
            let measured = match client {
                SDK => {
                    one_worker.wallets_ticked(n, 64, tick, &tally);
                    in_process(t)
                }
                PLAIN => {
                    for _ in 0..n {
                        plain_one(&http);
                    }
                    in_process(t)
                }
                CURL => args.curl_loop.as_ref().and_then(|p| run_c_loop(p, &wallet_url, ALICE_TOKEN, n, warm)),
                STATIC_C => args.static_wallet.as_ref().and_then(|p| run_c_loop(p, &fake.base_url, ALICE_TOKEN, n, warm)),
                ONE_AT_A_TIME => {
                    // In turns with the reqwest loop, request by request: a latency-bound loop moves
                    // with every change of this shared VM's load, so the two are compared over the
                    // same moments, not a second apart.
                    let (mut library, mut reference) = (0.0, 0.0);
                    for _ in 0..n {
                        let t = Instant::now();
                        let id = default.get_wallet(&tally);
                        default.wait(id);
                        library += t.elapsed().as_secs_f64();
                        let t = Instant::now();
                        plain_one(&http);
                        reference += t.elapsed().as_secs_f64();
                    }
                    paired_plain.push(n as f64 / reference);
                    // No row reports this loop's CPU: the two loops share the process's threads.
                    Some((library, f64::NAN))
                }
                _ => {
                    default.wallets_ticked(n, 64, tick, &tally);
                    in_process(t)
                }
            };
            let allocs1 = snapshot();
            let Some((secs, cpu)) = measured else { continue };
            let s = &mut series[client];
            s.rps.push(n as f64 / secs);
            this_round[client] = n as f64 / secs;
            s.cpu.push(cpu / n as f64);
            let delta = (allocs1.0 - allocs0.0, allocs1.1 - allocs0.1);
            match client {
                SDK => sdk_allocs = (sdk_allocs.0 + delta.0, sdk_allocs.1 + delta.1),
                PLAIN => plain_allocs = (plain_allocs.0 + delta.0, plain_allocs.1 + delta.1),
                _ => {}
            }
        }
        for s in 0..6 {
            let plain = if s == ONE_AT_A_TIME { paired_plain.last().copied().unwrap_or(f64::NAN) } else { this_round[PLAIN] };
            series[s].vs_plain.push(this_round[s] / plain);
            series[s].vs_curl.push(this_round[s] / this_round[CURL]);
        }
    }
    tally.expect_ok("wallet throughput");

    let fmt = |v: f64| format!("{} req/s", thousands(v.round() as u64));
    let plain = &series[PLAIN];
    let vs_plain = format!("plain blocking reqwest loop: {}", fmt(plain.rps()));
    let ratio = |s: &Series| median(s.vs_plain.clone());
    let sdk = &series[SDK];
    let mut rows = vec![Row::new(
        "network",
        format!(
            "{} wallet requests through the C ABI, {} rounds: all submitted, `poll` every 1 ms, 1 worker (one connection, like the loops)",
            thousands(n),
            rounds
        ),
        fmt(sdk.rps()),
    )
    .reference(vs_plain.clone())
    .ratio_spread(&sdk.vs_plain)
    .target("≥ 0.9 × reqwest", ratio(sdk) >= 0.9)];
    let curl = &series[CURL];
    if curl.rps.is_empty() {
        rows.push(Row::new("network", "same, against libcurl", "n/a (curl_loop not built)"));
    } else {
        rows.push(
            Row::new("network", "same, against libcurl (C, one handle, keep-alive)", fmt(sdk.rps()))
                .reference(format!("libcurl loop: {}", fmt(curl.rps())))
                .ratio_spread(&sdk.vs_curl),
        );
    }
    for (s, what) in [
        (ONE_AT_A_TIME, "same, one at a time (submit, `wait` for its callback, submit the next)"),
        (STATIC_C, "same one at a time, C program on the statically linked release library"),
        (TWO_WORKERS, "same as the first row with the default 2 workers (two connections)"),
    ] {
        if !series[s].rps.is_empty() {
            let reference = if s == ONE_AT_A_TIME {
                format!("plain blocking reqwest loop, run in turns with it request by request: {}", fmt(median(paired_plain.clone())))
            } else {
                vs_plain.clone()
            };
            let mut row = Row::new("network", what, fmt(series[s].rps())).reference(reference).ratio_spread(&series[s].vs_plain);
            // Issue 12 holds the latency-bound loop (a game waiting for each answer) to the
            // same goal as the pipelined one.
            if s == ONE_AT_A_TIME {
                row = row.target("≥ 0.9 × reqwest", median(series[s].vs_plain.clone()) >= 0.9);
            }
            rows.push(row);
        }
    }
    let mut cpu_ref = format!("reqwest loop {:.1} µs", plain.cpu_us());
    if !curl.cpu.is_empty() {
        cpu_ref.push_str(&format!(", libcurl {:.1} µs", curl.cpu_us()));
    }
    rows.push(
        Row::new("network", "client CPU time per wallet request (first row's client, all its threads)", format!("{:.1} µs", sdk.cpu_us()))
            .reference(cpu_ref)
            .ratio(sdk.cpu_us() / plain.cpu_us()),
    );
    let total = (n * rounds) as f64;
    let (sa, sb) = (sdk_allocs.0 as f64 / total, sdk_allocs.1 as f64 / total);
    let (pa, pb) = (plain_allocs.0 as f64 / total, plain_allocs.1 as f64 / total);
    let alloc_row = Row::new("memory", "heap allocations per wallet request (whole process)", format!("{sa:.0} allocs, {sb:.0} B"))
        .reference(format!("plain reqwest loop: {pa:.0} allocs, {pb:.0} B"))
        .ratio(sa / pa);
    (rows, alloc_row)
}

/// The same sequential wallet requests against a minimal static server that answers at once from
/// memory: with the fake's own cost (a thread per request, a relay) out of the way, what is left
/// is what each client costs per request.
fn bench_client_cost(fake: &FakeProcess, args: &Args) -> Vec<Row> {
    let n = args.n(20_000, 2_000);
    let http = plain_client();
    let wallet_url = format!("{}/me/wallets?game_id={}", fake.base_url, sdk::GAME_ID);
    let body = http.get(&wallet_url).bearer_auth(ALICE_TOKEN).send().unwrap().bytes().unwrap().to_vec();
    let addr = servers::static_server(body);
    let base = format!("http://{addr}/v1");
    let url = format!("{base}/me/wallets?game_id={}", sdk::GAME_ID);
    let sdk = Sdk::new(Setup::new(&base).token(ALICE_TOKEN));
    let tally = Tally::default();
    sdk.wallets(200, 1, &tally);
    let (mut sdk_us, mut plain_us, mut curl_us) = (vec![], vec![], vec![]);
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..n {
            let id = sdk.get_wallet(&tally);
            sdk.wait(id);
        }
        sdk_us.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        let t = Instant::now();
        for _ in 0..n {
            let r = http.get(&url).bearer_auth(ALICE_TOKEN).header("accept", "application/json").send().unwrap();
            black_box(r.bytes().unwrap());
        }
        plain_us.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        if let Some(curl) = &args.curl_loop {
            if let Some((s, _)) = run_c_loop(curl, &url, ALICE_TOKEN, n, 200) {
                curl_us.push(s * 1e6 / n as f64);
            }
        }
    }
    tally.expect_ok("client cost");
    let (s, p) = (median(sdk_us), median(plain_us));
    let mut reference = format!("reqwest loop {p:.1} µs");
    if !curl_us.is_empty() {
        reference.push_str(&format!(", libcurl {:.1} µs", median(curl_us)));
    }
    vec![Row::new(
        "network",
        format!("{} wallet requests to a minimal static loopback server, per request (client cost)", thousands(n)),
        format!("{s:.1} µs"),
    )
    .reference(reference)
    .ratio(p / s)]
}

// ---------------------------------------------------------------------------------------------
// 3. Concurrency
// ---------------------------------------------------------------------------------------------

fn bench_concurrency(fake: &FakeProcess, _args: &Args) -> Vec<Row> {
    const REQUESTS: u64 = 64;
    const DELAY_MS: u64 = 20;
    let mut rows = Vec::new();
    for workers in [1u32, 2, 4, 8] {
        let sdk = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN).workers(workers));
        let tally = Tally::default();
        // Open each worker's connection first: the ideal below has no room for connects.
        open_connections(fake, &sdk, workers, &tally);
        fake.delay("/v1/me/wallets", REQUESTS as u32, DELAY_MS);
        let t = Instant::now();
        sdk.wallets(REQUESTS, REQUESTS, &tally);
        let wall = t.elapsed();
        tally.expect_ok("concurrency");
        fake.clear_faults();
        let rounds = REQUESTS.div_ceil(u64::from(workers));
        let ideal = Duration::from_millis(rounds * DELAY_MS);
        let ratio = wall.as_secs_f64() / ideal.as_secs_f64();
        rows.push(
            Row::new(
                "concurrency",
                format!("64 requests, server delays each 20 ms, {workers} worker{}", if workers == 1 { "" } else { "s" }),
                format!("{:.1} ms", wall.as_secs_f64() * 1e3),
            )
            .reference(format!("ideal {} × 20 ms = {} ms", rounds, ideal.as_millis()))
            .ratio(ratio)
            .target("≤ 1.20 × ideal", ratio <= 1.2),
        );
    }
    rows
}

// ---------------------------------------------------------------------------------------------
// 4. Parsing
// ---------------------------------------------------------------------------------------------

/// A page of 100 full mod objects, as the fake renders it, served from memory by a static
/// loopback server so that the client's decoding is what is measured.
/// One page of 100 full paid mods as the fake renders it.
fn fetch_page(fake: &FakeProcess) -> Vec<u8> {
    let page_url = format!("{}/games/{}/mods?revenue_type=1&_offset=0&_limit=100&api_key={}", fake.base_url, sdk::GAME_ID, sdk::API_KEY);
    let body = plain_client().get(page_url).send().unwrap().bytes().unwrap().to_vec();
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(parsed["data"].as_array().map(|d| d.len()), Some(100), "the fake must serve a full page of paid mods");
    body
}

/// Decoding alone, from memory: the library's decoder, `serde_json::Value` and modio-rs (mod.io's
/// Rust client) on the same page; median of 5 rounds, µs per page.
fn decode_from_memory(body: &[u8], iters: u64) -> Row {
    let mut per = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..5 {
        for (which, times) in per.iter_mut().enumerate() {
            let t = Instant::now();
            assert_eq!(instructions::measure_decode(which, body, iters), 100 * iters, "decoder {which} must see the whole page");
            times.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
    }
    let [library, value, modio] = per.map(median);
    Row::new("parsing", "decode a page of 100 full mods from memory (no network)", format!("{library:.0} µs"))
        .reference(format!("serde_json::Value: {value:.0} µs; modio-rs 0.14 `List<Mod>`: {modio:.0} µs ({:.2} × Value)", modio / value))
        .ratio(library / value)
        .target("≤ 0.5 × Value, below modio-rs", library / value <= 0.5 && library < modio)
}

fn bench_page_parse(fake: &FakeProcess, args: &Args) -> Vec<Row> {
    let http = plain_client();
    let body = fetch_page(fake);
    let size = body.len();
    let addr = servers::static_server(body.clone());
    let base = format!("http://{addr}/v1");
    let static_url = format!("{base}/page");
    let iters = args.n(300, 30);

    let sdk = Sdk::new(Setup::new(&base));
    let tally = Tally::default();
    // The same request through the Rust API: the library's decoding without the C structs.
    let rust = modio_market::Client::new(modio_market::Config::new(sdk::GAME_ID, sdk::API_KEY).base_url(base.clone())).unwrap();
    let query = modio_market::ModQuery { revenue_type: modio_market::RevenueType::Paid, ..modio_market::ModQuery::default() };
    let mut sdk_us = Vec::new();
    let mut ref_us = Vec::new();
    let mut fetch_us = Vec::new();
    let mut rust_us = Vec::new();
    for round in 0..3 {
        let t = Instant::now();
        for _ in 0..iters {
            let id = rust
                .get_mods(query.clone(), |r: modio_market::Result<modio_market::ModPage>| {
                    assert_eq!(r.map(|p| p.mods.len()).ok(), Some(100));
                })
                .unwrap();
            rust.wait(id, Duration::from_secs(30)).unwrap();
        }
        if round > 0 {
            rust_us.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
        let t = Instant::now();
        for _ in 0..iters {
            let id = sdk.get_paid_mods(0, 100, &tally);
            sdk.wait(id);
        }
        if round > 0 {
            sdk_us.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
        let t = Instant::now();
        for _ in 0..iters {
            let body = http.get(&static_url).send().unwrap().bytes().unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            black_box(v);
        }
        if round > 0 {
            ref_us.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
        let t = Instant::now();
        for _ in 0..iters {
            black_box(http.get(&static_url).send().unwrap().bytes().unwrap());
        }
        if round > 0 {
            fetch_us.push(t.elapsed().as_secs_f64() * 1e6 / iters as f64);
        }
    }
    if tally.expect_ok("get_mods") {
        assert_eq!(tally.items.get(), 3 * iters * 100);
    }
    let (s, r, f, rs) = (median(sdk_us), median(ref_us), median(fetch_us), median(rust_us));
    let decode = decode_from_memory(&body, iters);
    vec![
        decode,
        Row::new(
            "parsing",
            format!(
                "a page of 100 full mod objects ({} KiB), fetched from a static loopback server and decoded into C structs",
                size / 1024
            ),
            format!("{s:.0} µs"),
        )
        .reference(format!(
            "reqwest + serde_json::Value: {r:.0} µs (fetch alone {f:.0} µs); the library's Rust API (no C structs): {rs:.0} µs"
        ))
        .ratio(s / r),
    ]
}

// ---------------------------------------------------------------------------------------------
// 5. Memory
// ---------------------------------------------------------------------------------------------

fn bench_memory(fake: &FakeProcess, args: &Args) -> Vec<Row> {
    let (first, total) = (1_000, args.n(100_000, 10_000));
    let sdk = Sdk::new(Setup::new(&fake.base_url).token(ALICE_TOKEN));
    let tally = Tally::default();
    open_connections(fake, &sdk, 2, &tally);
    sdk.wallets(first, 64, &tally);
    let rss_first = rss_kib();
    let t = Instant::now();
    sdk.wallets(total - first, 64, &tally);
    let secs = t.elapsed().as_secs_f64();
    let rss_total = rss_kib();
    tally.expect_ok("memory");
    let growth = rss_total as i64 - rss_first as i64;
    // "Flat": allow 1 MiB of allocator noise (arena growth, page-granular RSS).
    let flat = growth <= 1024;
    vec![Row::new(
        "memory",
        format!("resident size after {} and after {} wallet requests", thousands(first), thousands(total)),
        format!("{} → {} ({:+} KiB)", kib(rss_first), kib(rss_total), growth),
    )
    .reference(format!("{:.0} req/s while measuring", (total - first) as f64 / secs))
    .target("flat (growth ≤ 1 MiB)", flat)]
}

// ---------------------------------------------------------------------------------------------
// 6. Size, 7. journal
// ---------------------------------------------------------------------------------------------

fn file_size(p: &Option<PathBuf>) -> Option<u64> {
    p.as_ref().and_then(|p| std::fs::metadata(p).ok()).map(|m| m.len())
}

fn size_rows(args: &Args) -> Vec<Row> {
    let mut rows = Vec::new();
    match file_size(&args.shared_lib) {
        Some(s) => rows.push(
            Row::new("size", "libmodio_market.so, release (LTO, 1 CGU, panic=unwind), stripped", bytes(s)).target("< 3 MB", s < 3_000_000),
        ),
        None => rows.push(Row::new("size", "libmodio_market.so, stripped", "n/a (pass --shared-lib)")),
    }
    match (file_size(&args.static_wallet), file_size(&args.static_baseline)) {
        (Some(p), Some(b)) => rows.push(
            Row::new("size", "C program statically linked with libmodio_market.a, --gc-sections, stripped", bytes(p))
                .reference(format!("same flags, no library: {}", bytes(b)))
                .ratio(p as f64 / b as f64),
        ),
        _ => rows.push(Row::new("size", "C program statically linked", "n/a (pass --static-wallet and --static-baseline)")),
    }
    rows
}

/// The checkout journal (`modio_market_config_set_data_dir`): what it adds to each checkout, and
/// whether the game thread's `owns()` feels it while checkouts complete.
fn bench_journal(fake: &FakeProcess, args: &Args) -> Vec<Row> {
    let dir = args.data_dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("modio-market-bench-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create the data directory");
    let dir_text = dir.to_str().expect("a UTF-8 data directory path").to_owned();
    let tally = Tally::default();
    let mut rows = Vec::new();
    {
        let plain = Sdk::new(Setup::new(&fake.base_url).token(&fake.buyer_token));
        let journaled = Sdk::new(Setup::new(&fake.base_url).token(&fake.buyer_token).data_dir(&dir_text));
        // Every checkout buys a mod the buyer does not own yet.
        let mut next = servers::BULK_FIRST_MOD_ID;
        let mut buy_one_at_a_time = |sdk: &Sdk, k: u64| {
            for _ in 0..k {
                let id = sdk.checkout(next, servers::bulk_price(next), &tally);
                sdk.wait(id);
                next += 1;
            }
        };
        open_connections(fake, &plain, 2, &tally);
        open_connections(fake, &journaled, 2, &tally);
        // Warm-up: the journaled client learns the user id (`GET /me`) on its first checkout.
        buy_one_at_a_time(&plain, 3);
        buy_one_at_a_time(&journaled, 3);
        let (k, rounds) = (args.n(100, 20), args.n(4, 2));
        let (mut plain_ms, mut journal_ms) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
                let t = Instant::now();
                buy_one_at_a_time(if which == 0 { &plain } else { &journaled }, k);
                let per = t.elapsed().as_secs_f64() * 1e3 / k as f64;
                if which == 0 {
                    plain_ms.push(per);
                } else {
                    journal_ms.push(per);
                }
            }
        }
        tally.expect_ok("checkout");
        let (p, j) = (median(plain_ms), median(journal_ms));
        rows.push(
            Row::new("journal", "checkout journal cost per checkout (one at a time, data_dir on this disk)", format!("+{:.2} ms", j - p))
                .reference(format!("checkout {p:.2} ms without a data_dir, {j:.2} ms with"))
                .ratio(j / p),
        );

        // The game thread asks owns() every 200 µs while 64 checkouts complete on 2 workers.
        let mut worst = [0f64; 2];
        for (i, sdk) in [&plain, &journaled].into_iter().enumerate() {
            let start = tally.done();
            for _ in 0..64 {
                sdk.checkout(next, servers::bulk_price(next), &tally);
                next += 1;
            }
            while tally.done() - start < 64 {
                sdk.poll();
                std::thread::sleep(Duration::from_micros(200));
                let t = Instant::now();
                black_box(sdk.owns(black_box(next - 1)));
                worst[i] = worst[i].max(t.elapsed().as_nanos() as f64);
            }
        }
        tally.expect_ok("checkout under owns()");
        rows.push(
            Row::new("journal", "worst `owns()` while 64 checkouts complete (asked every 200 µs), with a data_dir", ns(worst[1]))
                .reference(format!("without a data_dir: {}", ns(worst[0])))
                .ratio(worst[1] / worst[0]),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    rows
}

fn machine() -> Vec<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(str::trim)
        .unwrap_or("unknown CPU")
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string();
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let rustc = std::env::var("MODIO_BENCH_RUSTC").unwrap_or_else(|_| "rustc (version not passed)".into());
    let curl = std::env::var("MODIO_BENCH_CURL").unwrap_or_default();
    vec![
        format!("- machine: {cpu}, {cores} cores, {:.1} GiB RAM, Linux {kernel}", mem_kib as f64 / 1048576.0),
        format!("- toolchain: {rustc}{}", if curl.is_empty() { String::new() } else { format!("; {curl}") }),
        format!("- load average at the end (1, 5, 15 min): {}", load.join(", ")),
    ]
}
