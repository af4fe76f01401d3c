//! Downloading and installing against the fake: modfiles, the game's download rules, progress,
//! resume after a dropped connection and after a restart, hash mismatch, cancel, zip-slip,
//! update, uninstall, an expired link and a full disk.

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::*;
use fake_modio::{demo, FakeServer, Fault};
use modio_market::{Client, DownloadProgress, ErrorKind, InstalledMod, RequestId, Result, Secret};
use serde_json::json;

/// A client with an install directory (and a data directory for the downloads).
fn installer(server: &FakeServer, root: &Path, token: Option<&str>) -> Client {
    let c = Client::new(config(server).install_dir(root.join("mods")).data_dir(root.join("data"))).unwrap();
    c.set_access_token(token.map(Secret::new));
    c
}

type Seen = Arc<Mutex<Vec<(RequestId, DownloadProgress)>>>;

/// Installs `mod_id`, pumping until done; returns the outcome and every progress report.
fn install(client: &Client, mod_id: u64) -> (Result<InstalledMod>, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let out = run(client, |cb| client.install_mod(mod_id, move |id, p| sink.lock().unwrap().push((id, p)), cb));
    (out, seen)
}

fn control(server: &FakeServer, path: &str, body: serde_json::Value) -> serde_json::Value {
    let url = format!("{}{path}", server.control_url());
    let text = ureq_post(&url, &body.to_string());
    serde_json::from_str(&text).unwrap()
}

/// A minimal HTTP/1.1 POST on loopback (the tests need no HTTP client crate for the control API).
fn ureq_post(url: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    answer.split_once("\r\n\r\n").unwrap().1.to_string()
}

fn downloads(server: &FakeServer, mod_id: u64) -> Vec<fake_modio::LoggedRequest> {
    server.requests().into_iter().filter(|r| r.path.contains(&format!("/mods/{mod_id}/files/")) && r.path.contains("/download/")).collect()
}

fn download_prefix(mod_id: u64) -> String {
    format!("/v1/games/{}/mods/{mod_id}/files/", demo::GAME_ID)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_free_mod_installs_with_progress_and_is_listed() {
    let server = FakeServer::start();
    let root = temp_dir("install-free");
    let c = installer(&server, &root, None);
    let (done, seen) = install(&c, demo::MOD_FREE_MAPS);
    let installed = done.unwrap();
    assert_eq!(installed.mod_id, demo::MOD_FREE_MAPS);
    assert_eq!(installed.path, root.join("mods").join(demo::MOD_FREE_MAPS.to_string()));
    let info = std::fs::read_to_string(installed.path.join("modinfo.txt")).unwrap();
    assert!(info.contains("name=Free Maps"), "{info}");
    assert!(installed.path.join("content").join("data.bin").is_file());
    // Progress: the same request, never going backwards, ending at the archive's size.
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty(), "at least the final progress is reported");
    let last = seen.last().unwrap().1;
    assert!(last.bytes_total > 0 && last.bytes_done == last.bytes_total, "{last:?}");
    assert!(seen.windows(2).all(|w| w[0].1.bytes_done <= w[1].1.bytes_done));
    let m = run(&c, |cb| c.get_mod(demo::MOD_FREE_MAPS, cb)).unwrap();
    assert_eq!((installed.modfile_id, installed.md5.as_str()), (m.modfile.id, m.modfile.md5.as_str()));
    assert_eq!(last.bytes_total, m.modfile.filesize);

    assert_eq!(c.installed_mods().unwrap(), vec![installed.clone()]);
    // Installed at its current file: answered without a second download.
    assert_eq!(downloads(&server, demo::MOD_FREE_MAPS).len(), 1);
    assert_eq!(install(&c, demo::MOD_FREE_MAPS).0.unwrap(), installed);
    assert_eq!(downloads(&server, demo::MOD_FREE_MAPS).len(), 1);
    // Nothing left behind but the mod and the list.
    let leftovers: Vec<_> = files_under(&root.join("data").join("downloads"));
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A new client reads the list from disk.
    drop(c);
    let again = installer(&server, &root, None);
    assert_eq!(again.installed_mods().unwrap(), vec![installed]);
}

#[test]
fn the_modfile_endpoint_returns_the_file_with_a_fresh_link() {
    let server = FakeServer::start();
    let c = client(&server);
    let m = run(&c, |cb| c.get_mod(demo::MOD_HD_PACK, cb)).unwrap();
    let file = run(&c, |cb| c.get_modfile(demo::MOD_HD_PACK, m.modfile.id, cb)).unwrap();
    assert_eq!((file.id, file.mod_id, file.md5.as_str()), (m.modfile.id, demo::MOD_HD_PACK, m.modfile.md5.as_str()));
    assert!(file.date_expires > now_unix() && file.binary_url.contains("/download/"));
    assert!(file.filesize_uncompressed > 0 && !file.flagged_by_scan());
    let e = run(&c, |cb| c.get_modfile(demo::MOD_HD_PACK, 999_999, cb)).unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (404, modio_market::error_ref::MODFILE_NOT_FOUND));
    assert_eq!(c.get_modfile(0, 1, |_: Result<_>| {}).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(c.get_modfile(1, 0, |_: Result<_>| {}).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn paid_mods_download_only_for_their_owners_when_the_game_says_so() {
    let server = FakeServer::start();
    control(&server, &format!("/games/{}/api_access_options", demo::GAME_ID), json!({"options": 2 | 8}));
    let root = temp_dir("install-paid");
    // Alice does not own Castle Siege: refused before a byte is fetched.
    let alice = installer(&server, &root.join("alice"), Some(demo::ALICE_ACCESS_TOKEN));
    let e = install(&alice, demo::MOD_CASTLE_SIEGE).0.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotOwned, "{e}");
    assert!(downloads(&server, demo::MOD_CASTLE_SIEGE).is_empty(), "nothing was downloaded");
    // Signed out: the token is needed first.
    let nobody = installer(&server, &root.join("nobody"), None);
    assert_eq!(install(&nobody, demo::MOD_FREE_MAPS).0.unwrap_err().kind(), ErrorKind::NotAuthenticated);
    // Bob owns it: his token goes with the download.
    let bob = installer(&server, &root.join("bob"), Some(demo::BOB_ACCESS_TOKEN));
    let installed = install(&bob, demo::MOD_CASTLE_SIEGE).0.unwrap();
    assert_eq!(installed.mod_id, demo::MOD_CASTLE_SIEGE);
    let fetched = downloads(&server, demo::MOD_CASTLE_SIEGE);
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].header("authorization"), Some(format!("Bearer {}", demo::BOB_ACCESS_TOKEN).as_str()));
}

#[test]
fn a_dropped_download_resumes_with_range_in_the_same_request() {
    let server = FakeServer::start();
    let root = temp_dir("install-resume");
    let c = installer(&server, &root, None);
    server.add_fault(&download_prefix(demo::MOD_FREE_MUSIC), 1, Fault::DropAfter { bytes: 1000 });
    let installed = install(&c, demo::MOD_FREE_MUSIC).0.unwrap();
    let fetched = downloads(&server, demo::MOD_FREE_MUSIC);
    assert_eq!(fetched.len(), 2, "one cut, one resumed");
    assert_eq!(fetched[0].header("range"), None);
    assert_eq!(fetched[1].header("range"), Some("bytes=1000-"));
    let m = run(&c, |cb| c.get_mod(demo::MOD_FREE_MUSIC, cb)).unwrap();
    assert_eq!(installed.md5, m.modfile.md5);
}

#[test]
fn a_download_cut_off_survives_a_restart_and_resumes_where_it_stopped() {
    let server = FakeServer::start();
    let root = temp_dir("install-restart");
    {
        let first = installer(&server, &root, None);
        // Every attempt of this run is cut after 700 bytes (3 attempts in the test policy, each
        // resuming where the last stopped).
        server.add_fault(&download_prefix(demo::MOD_FREE_MAPS), 3, Fault::DropAfter { bytes: 700 });
        let e = install(&first, demo::MOD_FREE_MAPS).0.unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Transport | ErrorKind::MalformedResponse), "{e}");
        assert!(first.installed_mods().unwrap().is_empty());
    }
    let parts = files_under(&root.join("data").join("downloads"));
    let part = parts.iter().find(|p| p.to_string_lossy().ends_with(".zip.part")).expect("the part survives");
    assert_eq!(std::fs::metadata(part).unwrap().len(), 2100, "the bytes of all three attempts were kept");
    assert!(!root.join("mods").join(demo::MOD_FREE_MAPS.to_string()).exists(), "nothing half-installed");
    let second = installer(&server, &root, None);
    let installed = install(&second, demo::MOD_FREE_MAPS).0.unwrap();
    let fetched = downloads(&server, demo::MOD_FREE_MAPS);
    let ranges: Vec<_> = fetched.iter().map(|r| r.header("range").map(str::to_owned)).collect();
    assert_eq!(ranges, [None, Some("bytes=700-".into()), Some("bytes=1400-".into()), Some("bytes=2100-".into())], "the next run resumed");
    assert!(installed.path.join("modinfo.txt").is_file());
    assert!(files_under(&root.join("data").join("downloads")).is_empty());
}

#[test]
fn a_corrupted_download_is_refused_and_deleted() {
    let server = FakeServer::start();
    let root = temp_dir("install-corrupt");
    let c = installer(&server, &root, None);
    server.add_fault(&download_prefix(demo::MOD_FREE_MAPS), 1, Fault::Corrupt);
    let e = install(&c, demo::MOD_FREE_MAPS).0.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IntegrityFailed, "{e}");
    assert!(e.message().contains("MD5"), "{e}");
    assert!(files_under(&root.join("data").join("downloads")).iter().all(|p| !p.to_string_lossy().ends_with(".part")));
    assert!(c.installed_mods().unwrap().is_empty());
    // Once the server serves the right bytes, the next try installs.
    assert!(install(&c, demo::MOD_FREE_MAPS).0.is_ok());
}

#[test]
fn a_cancelled_download_keeps_its_part_for_next_time() {
    let server = FakeServer::start();
    let root = temp_dir("install-cancel");
    let c = installer(&server, &root, None);
    server.add_fault(&download_prefix(demo::MOD_FREE_MAPS), 1, Fault::Trickle { bytes_per_sec: 1000 });
    let outcome: Arc<Mutex<Option<Result<InstalledMod>>>> = Arc::new(Mutex::new(None));
    let o = Arc::clone(&outcome);
    let progressed = Arc::new(Mutex::new(0u64));
    let p = Arc::clone(&progressed);
    let id = c
        .install_mod(
            demo::MOD_FREE_MAPS,
            move |_, progress| *p.lock().unwrap() = progress.bytes_done,
            move |r| *o.lock().unwrap() = Some(r),
        )
        .unwrap();
    pump_until(&c, "some bytes", || *progressed.lock().unwrap() > 0 || outcome.lock().unwrap().is_some());
    c.cancel(id).unwrap();
    pump_until(&c, "the cancelled callback", || outcome.lock().unwrap().is_some());
    assert_eq!(outcome.lock().unwrap().take().unwrap().unwrap_err().kind(), ErrorKind::Cancelled);
    assert!(c.installed_mods().unwrap().is_empty());
    // Installing again waits for the cancelled job to let go, then resumes from its part.
    let installed = install(&c, demo::MOD_FREE_MAPS).0.unwrap();
    assert!(installed.path.is_dir());
    let fetched = downloads(&server, demo::MOD_FREE_MAPS);
    assert_eq!(fetched.len(), 2);
    let resumed_at: u64 =
        fetched[1].header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok()).expect("a Range");
    assert!(resumed_at > 0, "resumed after the bytes kept");

    // Two installs of one mod at once: the second waits for the first and finds it installed.
    control(&server, &format!("/mods/{}/modfile", demo::MOD_FREE_MAPS), json!({"version": "3.0"}));
    let (a, b) = (Arc::new(Mutex::new(None)), Arc::new(Mutex::new(None)));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    c.install_mod(demo::MOD_FREE_MAPS, |_, _| {}, move |r| *a2.lock().unwrap() = Some(r)).unwrap();
    c.install_mod(demo::MOD_FREE_MAPS, |_, _| {}, move |r| *b2.lock().unwrap() = Some(r)).unwrap();
    pump_until(&c, "both installs", || a.lock().unwrap().is_some() && b.lock().unwrap().is_some());
    let (a, b): (InstalledMod, InstalledMod) = (a.lock().unwrap().take().unwrap().unwrap(), b.lock().unwrap().take().unwrap().unwrap());
    assert_eq!(a, b);
    assert_eq!(a.version, "3.0");
    assert_eq!(downloads(&server, demo::MOD_FREE_MAPS).len(), 3, "one download for both");
}

#[test]
fn an_archive_that_escapes_its_directory_installs_nothing() {
    let server = FakeServer::start();
    let root = temp_dir("install-slip");
    let c = installer(&server, &root, None);
    for (i, entries) in [
        json!([{"name": "ok.txt", "data": "fine"}, {"name": "../../escaped.txt", "data": "evil"}]),
        json!([{"name": "/tmp/absolute-modio-market.txt", "data": "evil"}]),
        json!([{"name": "link", "symlink_to": "/etc"}, {"name": "link/passwd", "data": "evil"}]),
        json!([{"name": "..\\..\\windows.txt", "data": "evil"}]),
    ]
    .into_iter()
    .enumerate()
    {
        control(&server, &format!("/mods/{}/archive", demo::MOD_FREE_MUSIC), json!({"entries": entries}));
        let e = install(&c, demo::MOD_FREE_MUSIC).0.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsafeArchive, "case {i}: {e}");
        assert!(!root.join("escaped.txt").exists() && !root.join("mods").join("..").join("escaped.txt").exists());
        assert!(!Path::new("/tmp/absolute-modio-market.txt").exists());
        let mods =
            std::fs::read_dir(root.join("mods")).map(|rd| rd.flatten().map(|e| e.file_name()).collect::<Vec<_>>()).unwrap_or_default();
        assert!(mods.iter().all(|n| n.to_string_lossy().starts_with('.') || n == "modio-market-installed.json"), "case {i}: {mods:?}");
        assert!(c.installed_mods().unwrap().is_empty());
    }
}

#[test]
fn a_newer_modfile_updates_in_place_and_uninstall_removes_it() {
    let server = FakeServer::start();
    let root = temp_dir("install-update");
    let c = installer(&server, &root, None);
    let first = install(&c, demo::MOD_FREE_MAPS).0.unwrap();
    let published = control(&server, &format!("/mods/{}/modfile", demo::MOD_FREE_MAPS), json!({"version": "2.0"}));
    let new_file = published["modfile_id"].as_u64().unwrap();
    let updated = install(&c, demo::MOD_FREE_MAPS).0.unwrap();
    assert_eq!((updated.modfile_id, updated.version.as_str()), (new_file, "2.0"));
    assert_ne!(updated.modfile_id, first.modfile_id);
    assert_eq!(updated.path, first.path);
    assert!(std::fs::read_to_string(updated.path.join("modinfo.txt")).unwrap().contains("version=2.0"));
    assert_eq!(c.installed_mods().unwrap(), vec![updated.clone()]);
    // The earlier file is still readable through the modfile endpoint.
    let old = run(&c, |cb| c.get_modfile(demo::MOD_FREE_MAPS, first.modfile_id, cb)).unwrap();
    assert_eq!(old.md5, first.md5);

    let removed = run(&c, |cb| c.uninstall_mod(demo::MOD_FREE_MAPS, cb)).unwrap();
    assert_eq!(removed, updated);
    assert!(!updated.path.exists());
    assert!(c.installed_mods().unwrap().is_empty());
    assert_eq!(run(&c, |cb| c.uninstall_mod(demo::MOD_FREE_MAPS, cb)).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let stray: Vec<_> = std::fs::read_dir(root.join("mods")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(stray, vec![std::ffi::OsString::from("modio-market-installed.json")], "no scratch directories left");
    assert!(installer(&server, &root, None).installed_mods().unwrap().is_empty(), "the list on disk agrees");
}

#[test]
fn an_expired_link_is_refreshed_through_the_modfile_endpoint() {
    let server = FakeServer::start();
    // No direct downloads: links carry an expiring verification hash.
    control(&server, &format!("/games/{}/api_access_options", demo::GAME_ID), json!({"options": 1}));
    let root = temp_dir("install-expired");
    let c = installer(&server, &root, None);
    // The link the mod read hands out is already past its expiry when the download starts.
    server.add_fault(
        &download_prefix(demo::MOD_FREE_MAPS),
        1,
        Fault::Raw {
            status: 410,
            content_type: "application/json".into(),
            body: r#"{"error":{"code":410,"error_ref":15010,"message":"expired"}}"#.into(),
        },
    );
    let installed = install(&c, demo::MOD_FREE_MAPS).0.unwrap();
    assert!(installed.path.is_dir());
    let refreshed = server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(&format!("/mods/{}/files/{}", demo::MOD_FREE_MAPS, installed.modfile_id)))
        .count();
    assert_eq!(refreshed, 1, "the modfile was read again for a fresh link");
    // The fake itself refuses a verification hash past its time.
    let file = run(&c, |cb| c.get_modfile(demo::MOD_FREE_MAPS, installed.modfile_id, cb)).unwrap();
    server.advance_clock(3600);
    let mut stale = file.binary_url.clone();
    stale = stale.replace("http://", "");
    let (host, path) = stale.split_once('/').unwrap();
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 410"), "{answer}");
}

#[test]
fn installing_needs_an_install_dir_and_a_mod_with_a_file() {
    let server = FakeServer::start();
    let c = client(&server);
    assert_eq!(c.install_mod(demo::MOD_FREE_MAPS, |_, _| {}, |_: Result<_>| {}).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(c.installed_mods().unwrap_err().kind(), ErrorKind::InvalidArgument);
    let root = temp_dir("install-args");
    let c = installer(&server, &root, None);
    assert_eq!(c.install_mod(0, |_, _| {}, |_: Result<_>| {}).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let e = install(&c, 987_654).0.unwrap_err();
    assert_eq!((e.http_status(), e.error_ref()), (404, modio_market::error_ref::MOD_NOT_FOUND));
}

/// Full disk: the download directory on a 64 KiB tmpfs, the mod 200 KiB. Mounting needs root,
/// which CI (and `scripts/test` on a fresh machine) runs as.
#[test]
fn a_full_disk_is_reported_as_such_and_leaves_nothing_installed() {
    let server = FakeServer::start();
    let big = fake_modio_add_mod(&server, 200 * 1024);
    let root = temp_dir("install-full");
    let downloads = root.join("data").join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&downloads)
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "could not mount a small tmpfs (this test needs root, as CI runs)");
    let c = installer(&server, &root, None);
    let e = install(&c, big).0.unwrap_err();
    let _ = std::process::Command::new("umount").arg(&downloads).status();
    assert_eq!(e.kind(), ErrorKind::DiskFull, "{e}");
    assert!(c.installed_mods().unwrap().is_empty());
    assert!(!root.join("mods").join(big.to_string()).exists());
}

fn fake_modio_add_mod(server: &FakeServer, filesize: u64) -> u64 {
    let v = control(server, "/mods", json!({"game_id": demo::GAME_ID, "name": "Huge Free Pack", "price": 0, "filesize": filesize}));
    v["id"].as_u64().unwrap()
}
