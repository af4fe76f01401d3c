//! Instruction counts from callgrind: what a call costs the game thread, in a number that does
//! not move with the machine's load (wall time on a shared 2-core VM does).
//!
//! Each count runs a program under `valgrind --tool=callgrind --collect-atstart=no
//! --toggle-collect=<function>`, so only the instructions executed inside that function, on the
//! thread that called it, are counted (callgrind keeps the collection state per thread: the
//! library's workers are not in the count). Every operation is measured at N and 2N calls and the
//! difference is divided by N, so start-up and one-off costs (symbol binding, first allocations)
//! fall out.
//! - `poll`, `owns`, `submit`: `benches/c/callgrind_ops.c`, a C program on the shipped shared
//!   library, against the fake;
//! - page decoding: this binary's `decode-instructions` mode, decoding one page of 100 mods from
//!   memory with the library's decoder, `serde_json::Value` and modio-rs.

use std::path::Path;
use std::process::Command;

use crate::servers::{FakeProcess, BULK_FIRST_MOD_ID};
use crate::table::{thousands, Row};

/// Which decoder `decode-instructions` runs.
pub const DECODERS: [&str; 3] = ["library", "value", "modio-rs"];

/// `modio-market-bench decode-instructions WHICH N FILE`: decodes the page in FILE N times
/// inside [`measure_decode`] (the function callgrind counts).
pub fn decode_mode(args: &[String]) {
    let [which, n, file] = args else { panic!("usage: decode-instructions WHICH N FILE") };
    let body = std::fs::read(file).expect("the page file");
    let which = DECODERS.iter().position(|d| d == which).expect("a known decoder");
    let n: u64 = n.parse().expect("N");
    let items = measure_decode(which, &body, n);
    assert_eq!(items, 100 * n, "every decode must see the whole page");
}

/// Decodes `body` `n` times with decoder `which`; returns how many mods it saw. Not inlined and
/// not mangled: callgrind toggles collection on its entry and exit.
#[no_mangle]
#[inline(never)]
pub fn measure_decode(which: usize, body: &[u8], n: u64) -> u64 {
    let mut items = 0u64;
    for _ in 0..n {
        items += match which {
            0 => modio_market::fuzzing::decode_mod_page(body).map(|p| p.mods.len()).unwrap_or(0) as u64,
            1 => serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| v["data"].as_array().map(|d| d.len())).unwrap_or(0)
                as u64,
            _ => serde_json::from_slice::<modio::types::List<modio::types::mods::Mod>>(body).map(|l| l.data.len()).unwrap_or(0) as u64,
        };
    }
    std::hint::black_box(items)
}

/// Instructions per call of `function` in `program args`, from runs at `n` and `2n` calls (the
/// call count is the argument after the program's first); why not, when valgrind could not run it.
/// `label` names the output files (kept in `out_dir` for callgrind_annotate).
fn per_call(
    program: &Path,
    function: &str,
    label: &str,
    make_args: impl Fn(u64) -> Vec<String>,
    n: u64,
    out_dir: &Path,
) -> Result<f64, String> {
    let mut totals = Vec::new();
    for calls in [n, 2 * n] {
        let out = out_dir.join(format!("callgrind.{label}.{calls}.out"));
        let output = Command::new("valgrind")
            .args(["--tool=callgrind", "--fair-sched=yes", "--collect-atstart=no"])
            .arg(format!("--toggle-collect={function}"))
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg(program)
            .args(make_args(calls))
            .env("NO_PROXY", "127.0.0.1,localhost,::1")
            .output()
            .map_err(|e| format!("valgrind: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{} {function} failed: {}",
                program.display(),
                String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("")
            ));
        }
        let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let total: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| format!("no total in {}", out.display()))?;
        totals.push(total);
    }
    Ok(totals[1].saturating_sub(totals[0]) as f64 / n as f64)
}

fn valgrind_version() -> Option<String> {
    let out = Command::new("valgrind").arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The instruction rows. `ops`: the built callgrind_ops program; `page`: one page of 100 mods.
pub fn rows(fake: &FakeProcess, ops: Option<&Path>, page: &[u8], quick: bool, out_dir: &Path) -> Vec<Row> {
    let Some(version) = valgrind_version() else {
        return vec![Row::new("instructions", "callgrind counts", "valgrind is not installed (scripts/install-deps installs it)")];
    };
    let _ = std::fs::create_dir_all(out_dir);
    let mut rows = Vec::new();
    let cell = |r: Result<f64, String>| match r {
        Ok(v) => (format!("{} instructions", thousands(v.round() as u64)), Some(v)),
        Err(e) => (format!("not measured: {e}"), None),
    };
    if let Some(ops) = ops {
        let base = fake.base_url.clone();
        let token = fake.bulk_tokens[0].clone();
        let scale = |full: u64| if quick { full / 10 } else { full };
        let op_args = |op: &'static str, extra: Vec<String>| {
            let (base, token) = (base.clone(), token.clone());
            move |calls: u64| {
                let mut a = vec![op.to_owned(), calls.to_string(), base.clone(), token.clone()];
                a.extend(extra.iter().cloned());
                a
            }
        };
        let (poll, poll_v) = cell(per_call(ops, "measure_poll", "poll", op_args("poll", vec![]), scale(10_000), out_dir));
        rows.push(
            Row::new("instructions", "`poll`, nothing queued (per call, game thread, shared library from C)", poll)
                .reference(version.clone())
                .target("< 60 instructions", poll_v.is_some_and(|v| v < 60.0)),
        );
        let owned = BULK_FIRST_MOD_ID.to_string();
        let (owns, _) = cell(per_call(ops, "measure_owns", "owns", op_args("owns", vec![owned]), scale(10_000), out_dir));
        rows.push(Row::new("instructions", "`owns()` with 1,000 purchases cached, half hits (per call)", owns));
        let (submit, _) = cell(per_call(ops, "measure_submit", "submit", op_args("submit", vec![]), if quick { 3 } else { 10 }, out_dir));
        rows.push(
            Row::new("instructions", "submit `get_wallet`, idle workers (per call; the worker's work is not counted)", submit)
                .reference("the futex wake is a system call: its kernel time is not in the count"),
        );
    }
    let me = std::env::current_exe().expect("current_exe");
    let page_file = out_dir.join("page.json");
    if std::fs::write(&page_file, page).is_ok() {
        let n = if quick { 2 } else { 10 };
        let mut counts = Vec::new();
        for which in DECODERS {
            let file = page_file.display().to_string();
            let r = per_call(
                &me,
                "measure_decode",
                &format!("decode-{which}"),
                |calls| vec!["decode-instructions".into(), which.into(), calls.to_string(), file.clone()],
                n,
                out_dir,
            );
            counts.push(r);
        }
        let value = counts[1].as_ref().ok().copied();
        let ratio = |r: &Result<f64, String>| r.as_ref().ok().zip(value).map(|(v, base)| v / base);
        let (library, library_v) = cell(counts[0].clone());
        let (value_cell, _) = cell(counts[1].clone());
        let (modio_cell, _) = cell(counts[2].clone());
        let modio_v = counts[2].as_ref().ok().copied();
        let mut row = Row::new("instructions", format!("decode a page of 100 full mods ({} KiB) from memory", page.len() / 1024), library)
            .reference(format!(
                "serde_json::Value: {value_cell}; modio-rs 0.14 (`List<Mod>`): {modio_cell}{}",
                ratio(&counts[2]).map(|r| format!(" ({r:.2} × Value)")).unwrap_or_default()
            ));
        if let Some(r) = ratio(&counts[0]) {
            // The ≤ 0.5 goal is on time (the parsing row): a typed decode allocates far less
            // than a Value tree, which counts for more in time than in instructions.
            row = row.ratio(r).target("fewer than modio-rs", library_v.zip(modio_v).is_some_and(|(l, m)| l < m));
        }
        rows.push(row);
    }
    rows
}
