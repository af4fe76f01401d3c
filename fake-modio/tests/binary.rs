//! The `fake-modio` binary, as C, C++ and C# tests use it.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-modio"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn fake-modio");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}

/// Waits for the process to exit, failing the test after a generous deadline.
fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "fake-modio did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn prints_one_line_and_exits_when_stdin_closes() {
    let (mut child, line) = spawn(&[]);
    let url = line
        .strip_suffix('\n')
        .and_then(|l| l.strip_prefix("FAKE_MODIO_URL="))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"),
        "{url}"
    );
    assert_eq!(
        get(&with_key(&format!("{url}/games/1"))).status,
        200,
        "demo seed"
    );
    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
    // Nothing else was printed on stdout.
    let mut rest = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut rest)
        .unwrap();
    assert_eq!(rest, "");
}

#[test]
fn empty_seed_and_fixed_port() {
    // Find a free port, then ask for it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (mut child, line) = spawn(&["--port", &port.to_string(), "--seed", "empty", "--quiet"]);
    assert_eq!(line, format!("FAKE_MODIO_URL=http://127.0.0.1:{port}/v1\n"));
    let r = get(&with_key(&format!("http://127.0.0.1:{port}/v1/games/1")));
    r.assert_error(401, 11002);
    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
}

#[cfg(unix)]
#[test]
fn exits_on_sigterm() {
    let (mut child, _) = spawn(&[]);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(wait_exit(&mut child).signal(), Some(15));
}

#[test]
fn bad_arguments_are_refused() {
    let status = Command::new(env!("CARGO_BIN_EXE_fake-modio"))
        .args(["--seed", "nonsense"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}
