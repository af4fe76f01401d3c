//! `fake-modio [--port N] [--seed demo|empty] [--quiet] [--ignore-stdin]`
//!
//! Prints exactly one line, `FAKE_MODIO_URL=http://127.0.0.1:PORT/v1`, then serves until
//! stdin reaches EOF (so a parent test that dies never leaves it running) or a
//! SIGTERM/SIGINT arrives (their default action ends the process; nothing here needs to
//! catch them). Logs go to stderr only.

use std::io::{Read, Write};
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!("usage: fake-modio [--port N] [--seed demo|empty] [--quiet] [--ignore-stdin]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut options = fake_modio::Options {
        verbose: true,
        ..Default::default()
    };
    let mut ignore_stdin = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => options.port = p,
                None => return usage(),
            },
            "--seed" => match args.next().as_deref() {
                Some("demo") => options.demo_seed = true,
                Some("empty") => options.demo_seed = false,
                _ => return usage(),
            },
            "--quiet" => options.verbose = false,
            // For running in the background from a shell, where stdin is /dev/null.
            "--ignore-stdin" => ignore_stdin = true,
            "-h" | "--help" => {
                usage();
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }

    let server = match fake_modio::FakeServer::start_with(options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fake-modio: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "FAKE_MODIO_URL={}", server.base_url())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }

    if ignore_stdin {
        loop {
            std::thread::park();
        }
    }
    // Block until the parent closes our stdin (or dies).
    let mut sink = [0u8; 4096];
    let mut stdin = std::io::stdin().lock();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    drop(server);
    ExitCode::SUCCESS
}
