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
//! <data_dir>/modio-market/session.json                      the last signed-in user id
//! ```

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ResultCode};

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionFile {
    version: u32,
    user_id: u64,
}

/// A user's cached purchased list as stored on disk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredPurchases {
    pub mod_ids: Vec<u64>,
    /// Unix seconds of the last full refresh; `None` when never confirmed.
    pub confirmed_at: Option<i64>,
}

pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(ResultCode::Io, format!("{what} {}: {e}", path.display()))
}

/// Writes `bytes` to `path` atomically and durably.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| Error::new(ResultCode::Io, "a data file has no parent directory"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
    ));
    {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).open(&tmp).map_err(|e| io_error("cannot create", &tmp, e))?;
        f.write_all(bytes).map_err(|e| io_error("cannot write", &tmp, e))?;
        f.sync_all().map_err(|e| io_error("cannot sync", &tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io_error("cannot rename into", path, e))?;
    sync_dir(dir)
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

    /// Every readable entry, and every unreadable one moved aside into `journal/corrupt/`.
    pub fn load_journal(&self) -> Result<(Vec<JournalEntry>, Vec<CorruptEntry>)> {
        let dir = self.journal_dir();
        let mut entries = Vec::new();
        let mut corrupt = Vec::new();
        let listing = fs::read_dir(&dir).map_err(|e| io_error("cannot list", &dir, e))?;
        for item in listing {
            let item = item.map_err(|e| io_error("cannot list", &dir, e))?;
            let path = item.path();
            let name = item.file_name().to_string_lossy().into_owned();
            if !path.is_file() || name.starts_with('.') || !name.ends_with(".json") {
                continue; // the corrupt/ folder, temporary files of an interrupted write
            }
            let parsed = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| serde_json::from_slice::<JournalEntry>(&bytes).map_err(|e| e.to_string()))
                .and_then(|entry| {
                    if format!("{}.json", entry.idempotency_key) == name {
                        Ok(entry)
                    } else {
                        Err("the entry's key does not match its file name".to_owned())
                    }
                });
            match parsed {
                Ok(entry) => entries.push(entry),
                Err(reason) => {
                    let kept_at = dir.join("corrupt").join(format!("{name}.{}", now_unix()));
                    fs::rename(&path, &kept_at).map_err(|e| io_error("cannot move aside", &path, e))?;
                    sync_dir(&dir)?;
                    corrupt.push(CorruptEntry { kept_at, reason });
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
        let file = PurchasesFile { version: 1, user_id, confirmed_at: stored.confirmed_at.unwrap_or(0), mod_ids: ids };
        let bytes = serde_json::to_vec(&file).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
        atomic_write(&self.purchases_path(user_id), &bytes)
    }

    /// The user's cached list; empty when there is none or it cannot be read (a cache, not a record).
    pub fn load_purchases(&self, user_id: u64) -> StoredPurchases {
        let Ok(bytes) = fs::read(self.purchases_path(user_id)) else { return StoredPurchases::default() };
        match serde_json::from_slice::<PurchasesFile>(&bytes) {
            Ok(f) if f.user_id == user_id => StoredPurchases {
                mod_ids: f.mod_ids,
                confirmed_at: (f.confirmed_at > 0).then_some(f.confirmed_at),
            },
            _ => StoredPurchases::default(),
        }
    }

    pub fn save_session(&self, user_id: u64) -> Result<()> {
        let bytes = serde_json::to_vec(&SessionFile { version: 1, user_id }).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
        atomic_write(&self.root.join("session.json"), &bytes)
    }

    pub fn load_session(&self) -> Option<u64> {
        let bytes = fs::read(self.root.join("session.json")).ok()?;
        serde_json::from_slice::<SessionFile>(&bytes).ok().map(|s| s.user_id)
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
    fn purchases_and_session() {
        let d = DataDir::open(&temp_dir("purchases")).unwrap();
        assert_eq!(d.load_purchases(5), StoredPurchases::default());
        assert_eq!(d.load_session(), None);
        d.save_purchases(5, &StoredPurchases { mod_ids: vec![3, 1, 3], confirmed_at: Some(99) }).unwrap();
        assert_eq!(d.load_purchases(5), StoredPurchases { mod_ids: vec![1, 3], confirmed_at: Some(99) });
        assert_eq!(d.load_purchases(6), StoredPurchases::default());
        d.save_session(5).unwrap();
        assert_eq!(d.load_session(), Some(5));
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
