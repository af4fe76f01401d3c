//! The mechanics of downloading and installing, without the API: resumable verified downloads
//! (`download`), safe extraction (`extract`), progress to the game (`progress`) and the install
//! directory with its list of what is installed at which modfile version ([`Installs`]). The
//! flow that decides what to fetch (`crate::install`) drives them.
//!
//! The install directory holds one directory per mod id and `modio-market-installed.json`.
//! Work in progress lives beside it: archives being downloaded in the data directory's
//! `downloads/` (or the install directory's `.modio-market-downloads/` without one), an archive
//! being extracted in `.{mod_id}.staging-*`, which is renamed over the mod's directory only once
//! complete: a game never sees half a mod.

pub(crate) mod download;
pub(crate) mod extract;
pub(crate) mod progress;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ResultCode};
use crate::persist::atomic_write;
use crate::runtime::{lock, JobContext};

pub use progress::DownloadProgress;

/// The list of installed mods, in the install directory.
const INDEX_FILE: &str = "modio-market-installed.json";

/// One installed mod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InstalledMod {
    pub mod_id: u64,
    /// The modfile installed; a newer one on mod.io means an update is available.
    pub modfile_id: u64,
    pub version: String,
    pub md5: String,
    /// The mod's directory (`{install_dir}/{mod_id}`).
    pub path: PathBuf,
    /// Unix time of the install.
    pub installed_at: i64,
    /// Bytes extracted.
    pub size: u64,
}

#[derive(Serialize, Deserialize, Default)]
struct Index {
    version: u32,
    mods: Vec<InstalledMod>,
}

/// The install directory and what is in it.
pub(crate) struct Installs {
    pub dir: PathBuf,
    /// Where archives are downloaded to.
    pub staging: PathBuf,
    installed: Mutex<Vec<InstalledMod>>,
    /// Mods being installed or removed now: one operation per mod at a time; a second waits
    /// on `released` (a cancelled one still winding down included).
    busy: Mutex<HashSet<u64>>,
    released: Condvar,
}

impl Installs {
    /// Reads what is installed in `dir` (an entry whose directory is gone is dropped).
    pub fn open(dir: &Path, data_dir: Option<&Path>) -> Installs {
        let staging = match data_dir {
            Some(data) => data.join("downloads"),
            None => dir.join(".modio-market-downloads"),
        };
        let index: Index = std::fs::read(dir.join(INDEX_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let installed = index.mods.into_iter().filter(|m| m.path.is_dir()).collect();
        Installs {
            dir: dir.to_path_buf(),
            staging,
            installed: Mutex::new(installed),
            busy: Mutex::new(HashSet::new()),
            released: Condvar::new(),
        }
    }

    /// Every installed mod, by id.
    pub fn list(&self) -> Vec<InstalledMod> {
        let mut mods = lock(&self.installed).clone();
        mods.sort_by_key(|m| m.mod_id);
        mods
    }

    pub fn get(&self, mod_id: u64) -> Option<InstalledMod> {
        lock(&self.installed).iter().find(|m| m.mod_id == mod_id).cloned()
    }

    /// Claims `mod_id` for one operation, on the worker: waits while another runs for it (a
    /// second install of the same mod then finds it installed), giving up when cancelled. A
    /// job holding a claim never waits for another, so waiting cannot deadlock.
    pub fn claim(self: &Arc<Self>, mod_id: u64, ctx: &JobContext) -> Result<Claim> {
        let mut busy = lock(&self.busy);
        while busy.contains(&mod_id) {
            if ctx.is_cancelled() {
                return Err(Error::cancelled());
            }
            busy = self.released.wait_timeout(busy, Duration::from_millis(10)).map(|(g, _)| g).unwrap_or_else(|p| p.into_inner().0);
        }
        busy.insert(mod_id);
        Ok(Claim { installs: Arc::clone(self), mod_id })
    }

    /// Records (`Some`) or forgets (`None`) a mod, and writes the list atomically.
    pub fn record(&self, mod_id: u64, entry: Option<InstalledMod>) -> Result<()> {
        let mut installed = lock(&self.installed);
        installed.retain(|m| m.mod_id != mod_id);
        installed.extend(entry);
        let index = Index { version: 1, mods: installed.clone() };
        let bytes = serde_json::to_vec_pretty(&index).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
        atomic_write(&self.dir.join(INDEX_FILE), &bytes)
    }

    pub fn mod_dir(&self, mod_id: u64) -> PathBuf {
        self.dir.join(mod_id.to_string())
    }

    /// A fresh name beside the mods, hidden (a leading dot), for work on `mod_id`.
    pub fn scratch(&self, mod_id: u64, what: &str) -> PathBuf {
        self.dir.join(format!(".{mod_id}.{what}-{}", uuid::Uuid::new_v4().simple()))
    }
}

/// One mod's operation in progress; released when dropped (a job that never ran included).
pub(crate) struct Claim {
    installs: Arc<Installs>,
    mod_id: u64,
}

impl Drop for Claim {
    fn drop(&mut self) {
        lock(&self.installs.busy).remove(&self.mod_id);
        self.installs.released.notify_all();
    }
}
