//! Persistence in the game's data directory: the checkout journal, the per-user purchased list,
//! and which user was last signed in. Every file is written atomically (write a temporary file,
//! fsync it, rename it over the old one, fsync the directory), so a crash leaves either the old
//! or the new content, never a torn file. No token or other secret is ever written here.
//!
//! Layout:
//! ```text
//! <data_dir>/modio-market/journal/<idempotency_key>.json   one pending checkout attempt each
//! <data_dir>/modio-market/journal/corrupt/                  unreadable entries, kept aside
//! <data_dir>/modio-market/purchases/<user_id>.json          the user's purchased mod ids
//! <data_dir>/modio-market/session.json                      salted fingerprints of recent tokens -> user ids
//! ```
//!
//! The directory is the game's, but what is in it is treated as untrusted input: a journal file
//! larger than [`MAX_JOURNAL_FILE_BYTES`], not a regular file, or of an unknown version is moved
//! aside unread or unused; temporary files are created exclusively (never through a planted
//! symlink) under a name no other writer uses, and removed when a write fails.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ResultCode};

/// The journal format this library writes and resends; another version is kept aside, unused.
pub(crate) const JOURNAL_VERSION: u32 = 1;

/// A journal entry is a few hundred bytes: anything much larger is not one, and is moved aside
/// without being read into memory.
pub(crate) const MAX_JOURNAL_FILE_BYTES: u64 = 64 * 1024;

/// Temporary files older than this are leftovers of a crash or a full disk, removed at open.
const STALE_TEMP_AGE: Duration = Duration::from_secs(10 * 60);

/// How many recent tokens' fingerprints `session.json` remembers.
const MAX_KNOWN_SESSIONS: usize = 16;

/// One checkout attempt that has not had a definitive answer yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub version: u32,
    pub user_id: u64,
    pub mod_id: u64,
    pub display_amount: i64,
    pub idempotency_key: String,
    /// Unix seconds when the attempt was first made (the key's 24 hours start then).
    pub created_at: i64,
}

/// An entry that could not be read, moved aside to `kept_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptEntry {
    pub kept_at: PathBuf,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PurchasesFile {
    version: u32,
    user_id: u64,
    /// Unix seconds of the last full refresh from the server; 0 when never.
    confirmed_at: i64,
    mod_ids: Vec<u64>,
    /// Purchases recorded by the client, with their unix milliseconds (see `ownership`).
    #[serde(default)]
    recent: BTreeMap<u64, i64>,
}

/// `session.json`: which user each recently used token belongs to, by salted fingerprint only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct KnownSessions {
    #[serde(default)]
    pub salt: String,
    /// Most recent first.
    #[serde(default)]
    pub sessions: Vec<KnownSession>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownSession {
    pub fingerprint: String,
    pub user_id: u64,
}

#[derive(Serialize, Deserialize)]
struct SessionFile {
    version: u32,
    #[serde(flatten)]
    known: KnownSessions,
}

impl KnownSessions {
    pub fn user_for(&self, fingerprint: &str) -> Option<u64> {
        self.sessions.iter().find(|s| s.fingerprint == fingerprint).map(|s| s.user_id)
    }

    /// Remembers `fingerprint` as `user_id`'s, most recent first; false when nothing changed.
    pub fn remember(&mut self, fingerprint: String, user_id: u64) -> bool {
        if self.sessions.first().is_some_and(|s| s.fingerprint == fingerprint && s.user_id == user_id) {
            return false;
        }
        self.sessions.retain(|s| s.fingerprint != fingerprint);
        self.sessions.insert(0, KnownSession { fingerprint, user_id });
        self.sessions.truncate(MAX_KNOWN_SESSIONS);
        true
    }
}

/// A user's cached purchased list as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredPurchases {
    pub mod_ids: Vec<u64>,
    /// Unix seconds of the last full refresh; `None` when never confirmed.
    pub confirmed_at: Option<i64>,
    /// Purchases the client recorded itself, by unix milliseconds.
    pub recent: HashMap<u64, i64>,
}

pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

pub fn now_unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Distinguishes the temporary files of writers in one process (several workers, several clients).
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A filesystem failure, as `DiskFull` when the disk or quota ran out (a game can tell the
/// player to free space) and `Io` otherwise.
pub(crate) fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    use std::io::ErrorKind;
    let code = match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => ResultCode::DiskFull,
        _ => ResultCode::Io,
    };
    Error::new(code, format!("{what} {}: {e}", path.display()))
}

/// Writes `bytes` to `path` atomically and durably.
///
/// The temporary file is created exclusively (`create_new`: `O_CREAT|O_EXCL`, which never follows
/// a symlink planted at that name) under a name unique to this write, and removed again when any
/// step fails (a full disk leaves nothing behind).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| Error::new(ResultCode::Io, "a data file has no parent directory"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        now_unix_ms()
    ));
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp).map_err(|e| io_error("cannot create", &tmp, e))?;
        f.write_all(bytes).map_err(|e| io_error("cannot write", &tmp, e))?;
        f.sync_all().map_err(|e| io_error("cannot sync", &tmp, e))?;
        drop(f);
        fs::rename(&tmp, path).map_err(|e| io_error("cannot rename into", path, e))
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// Removes temporary files that no live write can still own (older than [`STALE_TEMP_AGE`]).
fn remove_stale_temp_files(dir: &Path) {
    let Ok(listing) = fs::read_dir(dir) else { return };
    for item in listing.flatten() {
        let name = item.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && name.contains(".tmp-")) {
            continue;
        }
        let Ok(meta) = item.path().symlink_metadata() else { continue };
        let age = meta.modified().ok().and_then(|m| SystemTime::now().duration_since(m).ok()).unwrap_or_default();
        if age > STALE_TEMP_AGE {
            let _ = fs::remove_file(item.path());
        }
    }
}

/// Reads a small file, refusing one larger than `cap` without reading it and anything that is
/// not a regular file (a symlink planted to make the library read elsewhere).
fn read_capped(path: &Path, cap: u64) -> std::result::Result<Vec<u8>, String> {
    let meta = path.symlink_metadata().map_err(|e| e.to_string())?;
    if !meta.file_type().is_file() {
        return Err("not a regular file".to_owned());
    }
    if meta.len() > cap {
        return Err(format!("{} bytes, larger than the {cap}-byte cap: not read", meta.len()));
    }
    let mut bytes = Vec::new();
    File::open(path).and_then(|f| f.take(cap + 1).read_to_end(&mut bytes)).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!("larger than the {cap}-byte cap: not read"));
    }
    Ok(bytes)
}

fn sync_dir(dir: &Path) -> Result<()> {
    // On Unix a rename or unlink is durable only once the directory itself is synced.
    #[cfg(unix)]
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io_error("cannot sync directory", dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The library's files under the game's data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Creates the directory layout if needed.
    pub fn open(data_dir: &Path) -> Result<DataDir> {
        let root = data_dir.join("modio-market");
        for dir in [root.join("journal").join("corrupt"), root.join("purchases")] {
            fs::create_dir_all(&dir).map_err(|e| io_error("cannot create", &dir, e))?;
        }
        for dir in [root.clone(), root.join("journal"), root.join("purchases")] {
            remove_stale_temp_files(&dir);
        }
        Ok(DataDir { root })
    }

    fn journal_dir(&self) -> PathBuf {
        self.root.join("journal")
    }

    fn entry_path(&self, key: &str) -> PathBuf {
        // Keys are validated [a-zA-Z0-9_-]: safe as file names.
        self.journal_dir().join(format!("{key}.json"))
    }

    /// Records an attempt before its request leaves.
    pub fn record(&self, entry: &JournalEntry) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
        atomic_write(&self.entry_path(&entry.idempotency_key), &bytes)
    }

    /// Removes an attempt once its answer is definitive.
    pub fn retire(&self, key: &str) -> Result<()> {
        let path = self.entry_path(key);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.journal_dir()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("cannot remove", &path, e)),
        }
    }

    /// The entry journaled under `key`, if one is there and readable.
    pub fn entry(&self, key: &str) -> Option<JournalEntry> {
        let bytes = read_capped(&self.entry_path(key), MAX_JOURNAL_FILE_BYTES).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every usable entry, and every other one moved aside into `journal/corrupt/` (or, when even
    /// that fails, reported where it lies). One bad file never hides the others.
    pub fn load_journal(&self) -> Result<(Vec<JournalEntry>, Vec<CorruptEntry>)> {
        let dir = self.journal_dir();
        let mut entries = Vec::new();
        let mut corrupt = Vec::new();
        let listing = fs::read_dir(&dir).map_err(|e| io_error("cannot list", &dir, e))?;
        for item in listing.flatten() {
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            let is_dir = item.file_type().is_ok_and(|t| t.is_dir());
            if is_dir || name.starts_with('.') || !name.ends_with(".json") {
                continue; // the corrupt/ folder, temporary files of a write under way
            }
            let parsed = read_capped(&path, MAX_JOURNAL_FILE_BYTES)
                .and_then(|bytes| serde_json::from_slice::<JournalEntry>(&bytes).map_err(|e| e.to_string()))
                .and_then(|entry| {
                    if entry.version != JOURNAL_VERSION {
                        Err(format!("journal version {} is not one this library writes", entry.version))
                    } else if format!("{}.json", entry.idempotency_key) != name {
                        Err("the entry's key does not match its file name".to_owned())
                    } else {
                        Ok(entry)
                    }
                });
            match parsed {
                Ok(entry) => entries.push(entry),
                Err(reason) => {
                    let aside = dir.join("corrupt").join(format!("{name}.{}", now_unix_ms()));
                    let moved =
                        fs::rename(&path, &aside).map_err(|e| io_error("cannot move aside", &path, e)).and_then(|()| sync_dir(&dir));
                    corrupt.push(match moved {
                        Ok(()) => CorruptEntry { kept_at: aside, reason },
                        Err(e) => CorruptEntry { kept_at: path, reason: format!("{reason}; left in place: {e}") },
                    });
                }
            }
        }
        entries.sort_by(|a, b| (a.created_at, &a.idempotency_key).cmp(&(b.created_at, &b.idempotency_key)));
        Ok((entries, corrupt))
    }

    fn purchases_path(&self, user_id: u64) -> PathBuf {
        self.root.join("purchases").join(format!("{user_id}.json"))
    }

    pub fn save_purchases(&self, user_id: u64, stored: &StoredPurchases) -> Result<()> {
        let mut ids = stored.mod_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let file = PurchasesFile {
            version: 1,
            user_id,
            confirmed_at: stored.confirmed_at.unwrap_or(0),
            mod_ids: ids,
            recent: stored.recent.iter().map(|(k, v)| (*k, *v)).collect(),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
        atomic_write(&self.purchases_path(user_id), &bytes)
    }

    /// The user's cached list; empty when there is none or it cannot be read (a cache, not a record).
    pub fn load_purchases(&self, user_id: u64) -> StoredPurchases {
        // A list of 100,000 ids is about 1 MB; anything far past that is not ours.
        let Ok(bytes) = read_capped(&self.purchases_path(user_id), 64 * 1024 * 1024) else { return StoredPurchases::default() };
        match serde_json::from_slice::<PurchasesFile>(&bytes) {
            Ok(f) if f.user_id == user_id => StoredPurchases {
                mod_ids: f.mod_ids,
                confirmed_at: (f.confirmed_at > 0).then_some(f.confirmed_at),
                recent: f.recent.into_iter().collect(),
            },
            _ => StoredPurchases::default(),
        }
    }

    pub fn save_sessions(&self, known: &KnownSessions) -> Result<()> {
        let file = SessionFile { version: 2, known: known.clone() };
        let bytes = serde_json::to_vec(&file).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
        atomic_write(&self.root.join("session.json"), &bytes)
    }

    /// The remembered fingerprints, with a salt: a new random one when there is no usable file
    /// (version 1 files named only the last user, with no way to tell whose token is whose).
    pub fn load_sessions(&self) -> KnownSessions {
        let stored = read_capped(&self.root.join("session.json"), MAX_JOURNAL_FILE_BYTES)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<SessionFile>(&bytes).ok())
            .filter(|f| f.version == 2 && !f.known.salt.is_empty());
        match stored {
            Some(f) => f.known,
            None => KnownSessions { salt: uuid::Uuid::new_v4().simple().to_string(), sessions: Vec::new() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("modio-market-persist-{name}-{}-{}", std::process::id(), now_unix()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entry(key: &str, created_at: i64) -> JournalEntry {
        JournalEntry { version: 1, user_id: 2, mod_id: 1001, display_amount: 100, idempotency_key: key.into(), created_at }
    }

    #[test]
    fn journal_round_trip_and_retire() {
        let d = DataDir::open(&temp_dir("journal")).unwrap();
        d.record(&entry("b-key", 20)).unwrap();
        d.record(&entry("a-key", 10)).unwrap();
        let (entries, corrupt) = d.load_journal().unwrap();
        assert!(corrupt.is_empty());
        assert_eq!(entries.iter().map(|e| e.idempotency_key.as_str()).collect::<Vec<_>>(), ["a-key", "b-key"]);
        d.retire("a-key").unwrap();
        d.retire("a-key").unwrap(); // idempotent
        assert_eq!(d.load_journal().unwrap().0.len(), 1);
    }

    #[test]
    fn corrupt_entries_are_kept_aside_and_reported() {
        let root = temp_dir("corrupt");
        let d = DataDir::open(&root).unwrap();
        let journal = root.join("modio-market").join("journal");
        fs::write(journal.join("broken.json"), b"{\"version\":1,\"user_id\":").unwrap();
        fs::write(journal.join("other.json"), serde_json::to_vec(&entry("mismatch", 1)).unwrap()).unwrap();
        fs::write(journal.join(".x.json.tmp-1"), b"half").unwrap();
        let (entries, corrupt) = d.load_journal().unwrap();
        assert!(entries.is_empty());
        assert_eq!(corrupt.len(), 2);
        for c in &corrupt {
            assert!(c.kept_at.exists(), "kept, not dropped: {:?}", c.kept_at);
            assert!(c.kept_at.starts_with(journal.join("corrupt")));
        }
        // Reported once: they no longer sit in the journal.
        assert!(d.load_journal().unwrap().1.is_empty());
    }

    #[test]
    fn purchases_and_sessions() {
        let d = DataDir::open(&temp_dir("purchases")).unwrap();
        assert_eq!(d.load_purchases(5), StoredPurchases::default());
        let recent: HashMap<u64, i64> = [(3, 1234)].into_iter().collect();
        d.save_purchases(5, &StoredPurchases { mod_ids: vec![3, 1, 3], confirmed_at: Some(99), recent: recent.clone() }).unwrap();
        assert_eq!(d.load_purchases(5), StoredPurchases { mod_ids: vec![1, 3], confirmed_at: Some(99), recent });
        assert_eq!(d.load_purchases(6), StoredPurchases::default());

        let mut known = d.load_sessions();
        assert_eq!(known.salt.len(), 32, "a fresh random salt");
        assert!(known.remember("f-a".into(), 5));
        assert!(!known.remember("f-a".into(), 5), "nothing new");
        assert!(known.remember("f-b".into(), 6));
        d.save_sessions(&known).unwrap();
        let again = d.load_sessions();
        assert_eq!(again, known);
        assert_eq!((again.user_for("f-a"), again.user_for("f-b"), again.user_for("f-c")), (Some(5), Some(6), None));
        for i in 0..40 {
            known.remember(format!("f-{i}"), i);
        }
        assert_eq!(known.sessions.len(), MAX_KNOWN_SESSIONS);
        assert_eq!(known.sessions[0].fingerprint, "f-39");
    }

    #[test]
    fn journal_files_that_are_not_entries_are_kept_aside_unread() {
        let root = temp_dir("hostile-journal");
        let d = DataDir::open(&root).unwrap();
        let journal = root.join("modio-market").join("journal");
        // Too large to be an entry: moved aside without being read.
        let big = File::create(journal.join("huge.json")).unwrap();
        big.set_len(MAX_JOURNAL_FILE_BYTES + 1).unwrap();
        // A version this library does not write is never resent.
        let mut future = entry("future", 1);
        future.version = 7;
        fs::write(journal.join("future.json"), serde_json::to_vec(&future).unwrap()).unwrap();
        // A symlink to a file elsewhere is not followed.
        let outside = root.join("outside.json");
        fs::write(&outside, serde_json::to_vec(&entry("linked", 1)).unwrap()).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, journal.join("linked.json")).unwrap();
        d.record(&entry("good", 5)).unwrap();
        let (entries, corrupt) = d.load_journal().unwrap();
        assert_eq!(entries.iter().map(|e| e.idempotency_key.as_str()).collect::<Vec<_>>(), ["good"]);
        let mut reasons: Vec<&str> = corrupt.iter().map(|c| c.reason.as_str()).collect();
        reasons.sort();
        assert!(reasons.iter().any(|r| r.contains("cap")), "{reasons:?}");
        assert!(reasons.iter().any(|r| r.contains("version 7")), "{reasons:?}");
        #[cfg(unix)]
        assert!(reasons.iter().any(|r| r.contains("not a regular file")), "{reasons:?}");
        assert!(outside.exists(), "the symlink's target is untouched");
        assert!(corrupt.iter().all(|c| c.kept_at.starts_with(journal.join("corrupt"))));
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_temp_symlink_is_never_written_through_and_a_failed_write_leaves_nothing() {
        let dir = temp_dir("planted");
        let target = dir.join("victim.txt");
        fs::write(&target, b"keep me").unwrap();
        // Plant symlinks at every name the old scheme (and a guess at the new one) would use.
        std::os::unix::fs::symlink(&target, dir.join(format!(".f.json.tmp-{}", std::process::id()))).unwrap();
        atomic_write(&dir.join("f.json"), b"data").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert_eq!(fs::read(dir.join("f.json")).unwrap(), b"data");
        // A write that fails (the destination is a directory) removes its temporary file.
        fs::create_dir_all(dir.join("g.json").join("x")).unwrap();
        assert!(atomic_write(&dir.join("g.json"), b"data").is_err());
        let temps: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".g.json.tmp-"))
            .collect();
        assert!(temps.is_empty(), "{temps:?}");
    }

    #[test]
    fn stale_temp_files_are_removed_at_open_and_fresh_ones_kept() {
        let root = temp_dir("stale");
        let journal = root.join("modio-market").join("journal");
        fs::create_dir_all(&journal).unwrap();
        let stale = journal.join(".k.json.tmp-1-2-3");
        let fresh = journal.join(".k.json.tmp-4-5-6");
        fs::write(&stale, b"half").unwrap();
        fs::write(&fresh, b"half").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();
        DataDir::open(&root).unwrap();
        assert!(!stale.exists(), "a leftover of a crash or a full disk is cleaned");
        assert!(fresh.exists(), "a write that may still be under way is left alone");
    }

    #[test]
    fn concurrent_writers_of_one_file_never_collide() {
        let dir = temp_dir("concurrent");
        let path = dir.join("shared.json");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        atomic_write(&path, format!("writer {i}").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(String::from_utf8(fs::read(&path).unwrap()).unwrap().starts_with("writer "));
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = temp_dir("atomic");
        let p = dir.join("f.json");
        atomic_write(&p, b"first").unwrap();
        atomic_write(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).filter(|e| e.file_name() != "f.json").collect();
        assert!(leftovers.is_empty(), "no temporary files left behind");
    }
}
