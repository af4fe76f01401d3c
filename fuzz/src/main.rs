//! The long fuzz run (`scripts/fuzz`): mutated corpus inputs from random seeds, for a time
//! budget. Each failure is shrunk and written to `fuzz/artifacts/<target>-<n>.bin`; the exit
//! status is 1 when anything failed. Move a failing input to `fuzz/regressions/<target>/` once
//! the library is fixed, so the smoke run replays it forever.
//!
//! Usage: modio-market-fuzz [--seconds N] [--target NAME] [--seed HEX64] [--cases-per-round N]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use modio_market_fuzz::{run, TARGETS};

fn main() {
    let mut seconds = 60u64;
    let mut only: Option<String> = None;
    let mut seed: u64 = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    let mut cases = 2000u32;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{a} needs a value")));
        match a.as_str() {
            "--seconds" => seconds = value().parse().unwrap_or_else(|_| usage("--seconds: a number")),
            "--target" => only = Some(value()),
            "--seed" => seed = u64::from_str_radix(&value(), 16).unwrap_or_else(|_| usage("--seed: hex")),
            "--cases-per-round" => cases = value().parse().unwrap_or_else(|_| usage("--cases-per-round: a number")),
            _ => usage(&format!("unknown argument {a}")),
        }
    }
    let targets: Vec<&str> = match &only {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![TARGETS[TARGETS.iter().position(|x| x == t).unwrap()]],
        Some(t) => usage(&format!("unknown target {t}; one of {TARGETS:?}")),
        None => TARGETS.to_vec(),
    };
    // The checker catches panics itself; keep the default hook from flooding the terminal.
    std::panic::set_hook(Box::new(|_| {}));
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    let deadline = Instant::now() + Duration::from_secs(seconds);
    eprintln!("fuzz: seed {seed:016x}, {seconds} s, targets {targets:?}");
    let (mut rounds, mut inputs, mut failures) = (0u64, 0u64, 0u32);
    while Instant::now() < deadline {
        for target in &targets {
            let mut rng_seed = [0u8; 32];
            rng_seed[..8].copy_from_slice(&seed.to_le_bytes());
            rng_seed[8..16].copy_from_slice(&rounds.to_le_bytes());
            rng_seed[16] = TARGETS.iter().position(|t| t == target).unwrap_or(0) as u8;
            if let Err((why, body)) = run(target, cases, rng_seed) {
                failures += 1;
                let _ = std::fs::create_dir_all(&out);
                let path = out.join(format!("{target}-{seed:016x}-{rounds}.bin"));
                let _ = std::fs::write(&path, &body);
                eprintln!("FAIL {target}: {why}\n  input written to {}", path.display());
            }
            inputs += u64::from(cases);
        }
        rounds += 1;
    }
    eprintln!("fuzz: {inputs} inputs in {rounds} rounds, {failures} failures");
    std::process::exit(if failures == 0 { 0 } else { 1 });
}

fn usage(why: &str) -> ! {
    eprintln!("modio-market-fuzz: {why}\nusage: modio-market-fuzz [--seconds N] [--target NAME] [--seed HEX64] [--cases-per-round N]");
    std::process::exit(2)
}
