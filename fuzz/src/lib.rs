//! A stable-Rust fuzzer for every decoder modio-market runs on bytes from the network.
//!
//! `cargo fuzz` needs a nightly toolchain and libFuzzer; the test command runs on stable, so this
//! crate does the same job with proptest: it starts from the committed corpus
//! (`fuzz/corpus/<target>/*`, real answers of the fake server and of the mod.io guides), applies
//! byte-level and JSON-aware mutations, and feeds the result to the decoder through
//! `modio_market::fuzzing`. [`check`] states what must hold for every input.
//!
//! - Short run: `fuzz/tests/smoke.rs` (a fixed number of cases from a fixed seed, in `cargo test`).
//! - Long run: `scripts/fuzz` (random seeds for as long as asked; failures land in `fuzz/artifacts/`).
//! - A failure found becomes a file under `fuzz/regressions/<target>/`, replayed by the smoke test.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use modio_market::fuzzing;
use modio_market::ResultCode;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// Every decoder under test (the error object included).
pub const TARGETS: &[&str] = fuzzing::TARGETS;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The files of one directory, sorted by name (deterministic runs).
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .filter_map(|e| Some((e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).ok()?)))
        .collect();
    files.sort();
    files
}

/// The committed seeds of `target` (`fuzz/corpus/<target>/`).
pub fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    files_in(&root().join("corpus").join(target))
}

/// Inputs that once broke a decoder (`fuzz/regressions/<target>/`).
pub fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    files_in(&root().join("regressions").join(target))
}

/// Runs `f`, turning a panic into its message.
fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let what = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        format!("panicked: {what}")
    })
}

/// A decoder's error must be `MalformedResponse`, and must not quote the server's values (a
/// misbehaving server may put a token exactly where a decoder complains).
pub fn check_decode_error(target: &str, e: &modio_market::Error) -> Result<(), String> {
    if e.code() != ResultCode::MalformedResponse {
        return Err(format!("{target}: error code {:?}, expected MalformedResponse ({})", e.code(), e.message()));
    }
    let mut rest = e.message();
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        if !after.starts_with("…\"") {
            return Err(format!("{target}: the error message quotes the answer: {}", e.message()));
        }
        rest = &after["…\"".len()..];
    }
    Ok(())
}

/// What must hold for any body fed to `target`: no panic; a typed result; on success the
/// decoder's own promises (ids non-zero, tokens non-empty); on failure `MalformedResponse`
/// without the server's values quoted. For `error`: an `Http` error carrying the status.
pub fn check(target: &str, body: &[u8]) -> Result<(), String> {
    macro_rules! decoded {
        ($f:path, |$v:ident| $ok:expr) => {
            match no_panic(|| $f(body))? {
                Ok($v) => {
                    if !($ok) {
                        return Err(format!("{target}: decoded a value that breaks its promise: {:?}", $v));
                    }
                    Ok(())
                }
                Err(e) => check_decode_error(target, &e),
            }
        };
    }
    match target {
        // A wallet decodes only from an object that has a `balance`.
        "wallet" => decoded!(fuzzing::decode_wallet, |_w| serde_json::from_slice::<Value>(body).is_ok_and(|v| v.get("balance").is_some())),
        "entitlement_sync" => decoded!(fuzzing::decode_entitlement_sync, |s| s.entitlements.len() < body.len().max(1)),
        "game" => decoded!(fuzzing::decode_game, |g| g.id != 0 && serde_json::from_str::<Value>(&g.json).is_ok()),
        "mod" => decoded!(fuzzing::decode_mod, |m| m.id != 0 && serde_json::from_str::<Value>(&m.json).is_ok()),
        "mod_page" => decoded!(fuzzing::decode_mod_page, |p| p.mods.iter().all(|m| m.id != 0)),
        "transaction" => decoded!(fuzzing::decode_transaction, |t| serde_json::from_str::<Value>(&t.meta_json).is_ok()),
        "checkout" => decoded!(fuzzing::decode_checkout, |r| r.purchased_mod.id != 0 && r.idempotency_key.is_empty()),
        "access_token" => decoded!(fuzzing::decode_access_token, |t| !t.token.is_empty()),
        "delegation_token" => decoded!(fuzzing::decode_delegation_token, |t| !t.token.is_empty()),
        "s2s_transaction" => decoded!(fuzzing::decode_s2s_transaction, |t| t.transaction.id != 0
            && serde_json::from_str::<Value>(&t.transaction.meta_json).is_ok()),
        "service_token" => decoded!(fuzzing::decode_service_token, |t| !t.0.is_empty() && t.1.token_type == "Bearer"),
        "error" => {
            for status in [400u16, 401, 403, 404, 422, 429, 500, 503] {
                let e = no_panic(|| fuzzing::decode_error(status, body))?;
                let want = if status == 429 { ResultCode::RateLimited } else { ResultCode::Http };
                if e.code() != want || e.http_status() != status || e.message().is_empty() {
                    return Err(format!("error {status}: got {e:?}"));
                }
            }
            Ok(())
        }
        other => Err(format!("unknown target {other}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/// JSON values that break decoders: type confusion, 32/53/64-bit edges, nulls, depth.
pub const INTERESTING: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1e308",
    "1e400",
    "-0.0",
    "0.5",
    "900049",
    "\"\"",
    "\"x\"",
    "\"900049\"",
    "\"-1\"",
    "\"18446744073709551616\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"SECRET-TOKEN-IN-BODY\"",
    "[]",
    "{}",
    "[null]",
    "{\"a\":null}",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
];

/// Raw fragments for byte-level insertion.
const FRAGMENTS: &[&[u8]] =
    &[b"\"", b"\\", b",", b":", b"{", b"}", b"[", b"]", b"\x00", b"\xff\xfe", b"\xc3", b"\r\n", b"e9999", b"-", b".", b"<html>"];

/// One edit of a body.
#[derive(Debug, Clone)]
pub enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Insert(Index, Vec<u8>),
    InsertFragment(Index, Index),
    Delete(Index, usize),
    Truncate(Index),
    Duplicate(Index, usize, Index),
    /// Replace one JSON node (preorder position) with an interesting value.
    ReplaceNode(Index, Index),
    /// Remove one key of one object.
    DeleteKey(Index),
    /// Wrap one node in an array (an object where a list was expected, and the reverse).
    WrapInArray(Index),
    /// Splice the tail of another seed in.
    Splice(Index, Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let any_index = any::<Index>;
    prop_oneof![
        1 => (any_index(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        1 => (any_index(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => (any_index(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        1 => (any_index(), any_index()).prop_map(|(i, f)| Mutation::InsertFragment(i, f)),
        1 => (any_index(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any_index().prop_map(Mutation::Truncate),
        1 => (any_index(), 1usize..32, any_index()).prop_map(|(i, n, at)| Mutation::Duplicate(i, n, at)),
        // Structural edits are the productive ones: weight them up.
        4 => (any_index(), any_index()).prop_map(|(n, v)| Mutation::ReplaceNode(n, v)),
        2 => any_index().prop_map(Mutation::DeleteKey),
        1 => any_index().prop_map(Mutation::WrapInArray),
        1 => (any_index(), any_index(), any_index()).prop_map(|(s, from, at)| Mutation::Splice(s, from, at)),
    ]
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Applies `edit` to the `n`-th node in preorder; false when there are fewer nodes.
fn edit_nth(v: &mut Value, n: &mut usize, edit: &mut Option<impl FnOnce(&mut Value)>) -> bool {
    if *n == 0 {
        if let Some(f) = edit.take() {
            f(v);
        }
        return true;
    }
    *n -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| edit_nth(c, n, edit)),
        Value::Object(o) => o.values_mut().any(|c| edit_nth(c, n, edit)),
        _ => false,
    }
}

fn with_node(body: &[u8], selector: &Index, edit: impl FnOnce(&mut Value)) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(body).ok()?;
    let mut n = selector.index(count_nodes(&doc));
    if !edit_nth(&mut doc, &mut n, &mut Some(edit)) {
        return None;
    }
    serde_json::to_vec(&doc).ok()
}

/// Applies one mutation; `seeds` are the other corpus entries (for splicing).
pub fn apply(body: &mut Vec<u8>, m: &Mutation, seeds: &[Vec<u8>]) {
    let len = body.len();
    let pos = |i: &Index| if len == 0 { 0 } else { i.index(len) };
    let pos_incl = |i: &Index| i.index(len + 1);
    match m {
        Mutation::FlipBit(i, b) if len > 0 => body[pos(i)] ^= 1 << b,
        Mutation::SetByte(i, v) if len > 0 => body[pos(i)] = *v,
        Mutation::Insert(i, v) => {
            let at = pos_incl(i);
            body.splice(at..at, v.iter().copied());
        }
        Mutation::InsertFragment(i, f) => {
            let at = pos_incl(i);
            body.splice(at..at, f.get(FRAGMENTS).iter().copied());
        }
        Mutation::Delete(i, n) if len > 0 => {
            let at = pos(i);
            body.drain(at..(at + n).min(len));
        }
        Mutation::Truncate(i) => body.truncate(pos_incl(i)),
        Mutation::Duplicate(i, n, at) if len > 0 => {
            let from = pos(i);
            let piece: Vec<u8> = body[from..(from + n).min(len)].to_vec();
            let at = pos_incl(at);
            body.splice(at..at, piece);
        }
        Mutation::ReplaceNode(n, v) => {
            let text: &str = v.get::<&str>(INTERESTING);
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if let Some(out) = with_node(body, n, |node| *node = value) {
                *body = out;
            } else {
                // Not JSON (any more): insert the raw text instead.
                let at = pos_incl(n);
                body.splice(at..at, text.bytes());
            }
        }
        Mutation::DeleteKey(n) => {
            let out = with_node(body, n, |node| {
                if let Value::Object(o) = node {
                    if let Some(k) = o.keys().next().cloned() {
                        o.remove(&k);
                    }
                }
            });
            if let Some(out) = out {
                *body = out;
            }
        }
        Mutation::WrapInArray(n) => {
            if let Some(out) = with_node(body, n, |node| *node = Value::Array(vec![node.take()])) {
                *body = out;
            }
        }
        Mutation::Splice(s, from, at) if !seeds.is_empty() => {
            let other = s.get(seeds);
            let from = from.index(other.len() + 1);
            let at = pos_incl(at);
            body.truncate(at);
            body.extend_from_slice(&other[from..]);
        }
        _ => {}
    }
}

/// A body made from a corpus seed by 1 to 8 mutations.
pub fn mutated_body(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    assert!(!seeds.is_empty(), "a target needs at least one seed");
    (any::<Index>(), proptest::collection::vec(mutation(), 1..8)).prop_map(move |(seed, edits)| {
        let mut body = seed.get(&seeds).clone();
        for m in &edits {
            apply(&mut body, m, &seeds);
        }
        body
    })
}

/// The seeds of `target` as plain bodies.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    corpus(target).into_iter().map(|(_, b)| b).collect()
}

/// Runs `cases` mutated inputs of `target` from `seed` (32 bytes of RNG seed); the first failure
/// comes back shrunk, with the input that produced it.
pub fn run(target: &str, cases: u32, seed: [u8; 32]) -> Result<(), (String, Vec<u8>)> {
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
    let config = Config { cases, failure_persistence: None, max_shrink_iters: 2048, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = mutated_body(seeds(target));
    let target = target.to_owned();
    match runner.run(&strategy, |body| check(&target, &body).map_err(TestCaseError::fail)) {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, body)) => Err((why.to_string(), body)),
        Err(TestError::Abort(why)) => Err((format!("aborted: {why}"), Vec::new())),
    }
}
