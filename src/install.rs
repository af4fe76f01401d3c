//! Downloading and installing what a player may play: the modfile, the game's download rules
//! (`api_access_options`, get-game.json; "Securing access to Premium UGC downloads" in
//! modio-as-purchase-server.md), then the mechanics of `crate::downloads`.
//!
//! The install directory holds one directory per mod id and `modio-market-installed.json`.
//! Work in progress lives beside it: archives being downloaded in the data directory's
//! `downloads/` (or the install directory's `.modio-market-downloads/` without one), an archive
//! being extracted in `.{mod_id}.staging-*`, which is renamed over the mod's directory only once
//! complete: a game never sees half a mod.

use crate::downloads::progress::ProgressSlot;
use crate::downloads::{download, extract, InstalledMod};
use crate::error::{Error, Result, ResultCode};
use crate::log::LogLevel;
use crate::models::{Game, Mod, Modfile};
use crate::persist::{io_error, now_unix};
use crate::runtime::JobContext;
use crate::session::Session;
use crate::shared::Shared;
use crate::transport::{ApiRequest, Auth};

/// `GET /games/{id}/mods/{mod_id}/files/{modfile_id}`.
pub(crate) fn fetch_modfile(shared: &Shared, session: &Session, ctx: &JobContext, mod_id: u64, modfile_id: u64) -> Result<Modfile> {
    let request = ApiRequest::get(format!("games/{}/mods/{mod_id}/files/{modfile_id}", shared.game_id), Auth::UserOrApiKey);
    let modfile = shared.call(&request, session, ctx, Modfile::decode)?;
    if modfile.id != modfile_id {
        return Err(Error::new(
            ResultCode::UnexpectedAnswer,
            format!("asked for modfile {modfile_id}, the answer is modfile {}", modfile.id),
        ));
    }
    Ok(modfile)
}

/// Installs (or updates) `mod_id`: reads the game's download rules and the mod's current file,
/// refuses a paid mod the player does not own where only owners may download it, downloads and
/// verifies the archive, extracts it beside the mod's directory and renames it into place.
/// A mod installed at its current modfile is answered at once, without a download.
pub(crate) fn install(shared: &Shared, session: &Session, ctx: &JobContext, mod_id: u64, slot: &ProgressSlot) -> Result<InstalledMod> {
    let installs = shared.installs.as_ref().ok_or_else(no_install_dir)?;
    let _claim = installs.claim(mod_id, ctx)?;
    let game = shared.call(&ApiRequest::get(format!("games/{}", shared.game_id), Auth::UserOrApiKey), session, ctx, Game::decode)?;
    let found =
        shared.call(&ApiRequest::get(format!("games/{}/mods/{mod_id}", shared.game_id), Auth::UserOrApiKey), session, ctx, Mod::decode)?;
    if found.id != mod_id {
        return Err(Error::new(ResultCode::UnexpectedAnswer, format!("asked for mod {mod_id}, the answer is mod {}", found.id)));
    }
    let modfile = found.modfile.clone();
    if modfile.id == 0 || modfile.binary_url.is_empty() {
        return Err(Error::new(ResultCode::NoModfile, format!("mod {mod_id} has no file to download on this platform")));
    }
    let options = game.api_access_options;
    let owners_only = options.paid_downloads_need_purchase() && found.price > 0;
    let needs_token = options.authorised_downloads_only() || options.paid_downloads_need_purchase();
    if needs_token && session.token().is_none() {
        return Err(Error::new(ResultCode::NotAuthenticated, "this game lets only signed-in players download mods"));
    }
    if owners_only && !owned(shared, session, ctx, mod_id)? {
        return Err(Error::new(
            ResultCode::NotOwned,
            format!("mod {mod_id} is paid and this game lets only its owners download it: buy it first"),
        ));
    }
    if let Some(existing) = installs.get(mod_id).filter(|m| m.modfile_id == modfile.id && m.path.is_dir()) {
        return Ok(existing);
    }
    std::fs::create_dir_all(&installs.staging).map_err(|e| io_error("could not create", &installs.staging, e))?;
    std::fs::create_dir_all(&installs.dir).map_err(|e| io_error("could not create", &installs.dir, e))?;
    let part = download::Part::new(&installs.staging, &modfile, mod_id);
    let bearer = if needs_token { session.token() } else { None };
    let mut refresh = || fetch_modfile(shared, session, ctx, mod_id, modfile.id);
    download::download(
        &shared.transport,
        &part,
        &modfile,
        bearer,
        shared.transport.download_attempts(),
        Some(slot),
        &|| ctx.is_cancelled(),
        &mut refresh,
    )?;
    let staging = installs.scratch(mod_id, "staging");
    let max = (modfile.filesize_uncompressed > 0).then_some(modfile.filesize_uncompressed);
    let size = match extract::extract(&part.archive, &staging, max, &|| ctx.is_cancelled()) {
        Ok(size) => size,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            if e.code() == ResultCode::UnsafeArchive {
                // Downloading it again gives the same archive.
                part.discard();
            }
            return Err(e);
        }
    };
    let target = installs.mod_dir(mod_id);
    let old = installs.scratch(mod_id, "old");
    let had_old = target.exists();
    if had_old {
        std::fs::rename(&target, &old).map_err(|e| io_error("could not move aside", &target, e))?;
    }
    if let Err(e) = std::fs::rename(&staging, &target) {
        if had_old {
            let _ = std::fs::rename(&old, &target);
        }
        let _ = std::fs::remove_dir_all(&staging);
        return Err(io_error("could not move into place", &target, e));
    }
    if had_old {
        if let Err(e) = std::fs::remove_dir_all(&old) {
            shared.logger.log(LogLevel::Warn, format_args!("could not remove the previous version of mod {mod_id}: {e}"));
        }
    }
    part.discard();
    let entry = InstalledMod {
        mod_id,
        modfile_id: modfile.id,
        version: modfile.version.clone(),
        md5: modfile.md5.to_ascii_lowercase(),
        path: target,
        installed_at: now_unix(),
        size,
    };
    installs.record(mod_id, Some(entry.clone()))?;
    Ok(entry)
}

/// Whether the session's player owns `mod_id`: the cached list, else a fresh one.
fn owned(shared: &Shared, session: &Session, ctx: &JobContext, mod_id: u64) -> Result<bool> {
    if shared.ownership.owns(session.epoch, mod_id) {
        return Ok(true);
    }
    let purchases = shared.fetch_purchases(session, ctx)?;
    Ok(purchases.mods.iter().any(|m| m.id == mod_id))
}

/// Removes an installed mod: its directory is renamed away first (the game never sees half of
/// it), then deleted, then forgotten.
pub(crate) fn uninstall(shared: &Shared, ctx: &JobContext, mod_id: u64) -> Result<InstalledMod> {
    let installs = shared.installs.as_ref().ok_or_else(no_install_dir)?;
    let _claim = installs.claim(mod_id, ctx)?;
    let entry = installs.get(mod_id).ok_or_else(|| Error::invalid_argument("mod_id", "is not installed"))?;
    let target = installs.mod_dir(mod_id);
    if target.exists() {
        let doomed = installs.scratch(mod_id, "removing");
        std::fs::rename(&target, &doomed).map_err(|e| io_error("could not move aside", &target, e))?;
        installs.record(mod_id, None)?;
        std::fs::remove_dir_all(&doomed).map_err(|e| io_error("could not remove", &doomed, e))?;
    } else {
        installs.record(mod_id, None)?;
    }
    Ok(entry)
}

pub(crate) fn no_install_dir() -> Error {
    Error::invalid_argument("install_dir", "is not configured: set one on the configuration to install mods")
}
