//! The fuzz smoke run of the test command: every committed seed and regression, then a fixed
//! number of mutated inputs per decoder from a fixed seed (same inputs on every run, so a failure
//! here is reproducible). The long run with random seeds is `scripts/fuzz`.

use modio_market_fuzz::{check, check_decode_error, corpus, regressions, run, TARGETS};

/// Mutated inputs per decoder in the smoke run.
const SMOKE_CASES: u32 = 400;

#[test]
fn every_target_has_a_corpus() {
    for target in TARGETS {
        assert!(!corpus(target).is_empty(), "fuzz/corpus/{target}/ is empty");
    }
}

#[test]
fn seeds_hold_the_invariants_and_real_answers_decode() {
    for target in TARGETS {
        for (name, body) in corpus(target) {
            check(target, &body).unwrap_or_else(|why| panic!("corpus {target}/{name}: {why}"));
            // Answers captured from the fake server are well-formed: they must decode.
            if name.starts_with("fake-") && *target != "error" {
                let decoded = modio_market::fuzzing::decode_any(target, &body).expect("known target");
                assert!(decoded.is_ok(), "corpus {target}/{name} must decode: {decoded:?}");
            }
        }
    }
}

#[test]
fn regressions_stay_fixed() {
    let mut replayed = 0;
    for target in TARGETS {
        for (name, body) in regressions(target) {
            check(target, &body).unwrap_or_else(|why| panic!("regression {target}/{name}: {why}"));
            replayed += 1;
        }
    }
    assert!(replayed > 0, "fuzz/regressions/ holds at least the inputs the first runs found");
}

#[test]
fn mutated_corpus_smoke_run() {
    let mut failures = Vec::new();
    for (i, target) in TARGETS.iter().enumerate() {
        let mut seed = [0x5au8; 32];
        seed[0] = i as u8;
        if let Err((why, body)) = run(target, SMOKE_CASES, seed) {
            failures.push(format!("{target}: {why}\n  input: {:?}", String::from_utf8_lossy(&body)));
        }
    }
    assert!(failures.is_empty(), "fuzz smoke run failed:\n{}", failures.join("\n"));
}

#[test]
fn the_checker_catches_what_it_claims_to() {
    // A check that cannot fail proves nothing: feed it what each rule forbids.
    use modio_market::{Error, ResultCode};
    assert!(check("mod", br#"{"id":7}"#).is_ok());
    assert!(check("mod", br#"{"id":0}"#).is_ok(), "id 0 is refused with MalformedResponse, which is fine");
    assert!(check("nope", b"{}").is_err(), "unknown targets are refused");
    let quoted = Error::new(ResultCode::MalformedResponse, r#"invalid type: string "tok", expected struct X"#);
    assert!(check_decode_error("t", &quoted).is_err(), "a quoted server value is caught");
    let blanked = Error::new(ResultCode::MalformedResponse, r#"invalid type: string "…", expected struct X"#);
    assert!(check_decode_error("t", &blanked).is_ok());
    let wrong_code = Error::new(ResultCode::Internal, "x");
    assert!(check_decode_error("t", &wrong_code).is_err(), "only MalformedResponse is a decoder's error");
}
