//! Downloading and installing what the player may play: the modfile, install with progress,
//! uninstall and the list of installed mods. Each a thin call into [`modio_market::Client`].
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

use modio_market::{InstalledMod, Modfile, ResultCode};

use super::arg_out;
use super::client::{client_ref, modio_market_client};
use super::types::{modio_market_error, size, start, Arena, UserData};

/// One file of a mod (`GET /games/{id}/mods/{mod_id}/files/{modfile_id}`).
#[repr(C)]
pub struct modio_market_modfile {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub id: u64,
    pub mod_id: u64,
    /// The archive's size in bytes.
    pub filesize: u64,
    /// The size once extracted.
    pub filesize_uncompressed: u64,
    /// The archive's MD5, lowercase hex.
    pub md5: *const c_char,
    pub filename: *const c_char,
    pub version: *const c_char,
    pub changelog: *const c_char,
    pub metadata_blob: *const c_char,
    /// Where to download it from; with the game's download restrictions it needs the player's
    /// token and expires at `date_expires` (ask again for a fresh one).
    pub binary_url: *const c_char,
    /// Unix times.
    pub date_added: i64,
    pub date_expires: i64,
    /// 0 not scanned, 1 scan complete, 2 in progress, 3 too large to scan, 4 file not found,
    /// 5 error scanning.
    pub virus_status: u32,
    /// 1 when a scan found a threat.
    pub virus_positive: u32,
}

fn modfile_view(arena: &mut Arena, f: &Modfile) -> modio_market_modfile {
    modio_market_modfile {
        struct_size: size::<modio_market_modfile>(),
        id: f.id,
        mod_id: f.mod_id,
        filesize: f.filesize,
        filesize_uncompressed: f.filesize_uncompressed,
        md5: arena.str(&f.md5),
        filename: arena.str(&f.filename),
        version: arena.str(&f.version),
        changelog: arena.str(&f.changelog),
        metadata_blob: arena.str(&f.metadata_blob),
        binary_url: arena.str(&f.binary_url),
        date_added: f.date_added,
        date_expires: f.date_expires,
        virus_status: f.virus_status,
        virus_positive: f.virus_positive,
    }
}

/// An installed mod.
#[repr(C)]
pub struct modio_market_installed_mod {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    pub mod_id: u64,
    /// The modfile installed: a newer one on mod.io means an update (install again).
    pub modfile_id: u64,
    pub version: *const c_char,
    /// The archive's MD5, lowercase hex.
    pub md5: *const c_char,
    /// The mod's directory, UTF-8: `{install_dir}/{mod_id}`.
    pub path: *const c_char,
    /// Unix time of the install.
    pub installed_at: i64,
    /// Bytes extracted.
    pub size: u64,
}

fn installed_view(arena: &mut Arena, m: &InstalledMod) -> modio_market_installed_mod {
    modio_market_installed_mod {
        struct_size: size::<modio_market_installed_mod>(),
        mod_id: m.mod_id,
        modfile_id: m.modfile_id,
        version: arena.str(&m.version),
        md5: arena.str(&m.md5),
        path: arena.str(&m.path.to_string_lossy()),
        installed_at: m.installed_at,
        size: m.size,
    }
}

/// What `modio_market_client_installed_mods` returns: free it with
/// `modio_market_installed_list_free`.
#[repr(C)]
pub struct modio_market_installed_list {
    /// `sizeof` of this struct in the library that filled it: read a field only if it ends
    /// within `struct_size` (fields are only ever appended).
    pub struct_size: u32,
    /// `mod_count` pointers, by mod id.
    pub mods: *const *const modio_market_installed_mod,
    pub mod_count: usize,
}

/// The list and what its pointers point into, in one allocation: the view comes first, so the
/// pointer handed out is the allocation's.
#[repr(C)]
struct OwnedInstalledList {
    view: modio_market_installed_list,
    _arena: Arena,
}

/// `void cb(void *user_data, uint64_t request_id, const modio_market_error *error,
/// const modio_market_modfile *modfile)`; runs in poll/wait; everything it points to is valid
/// during the call only.
pub type modio_market_modfile_cb = Option<
    unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, error: *const modio_market_error, modfile: *const modio_market_modfile),
>;
/// As `modio_market_modfile_cb`, with the installed (or uninstalled) mod.
pub type modio_market_installed_cb = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request_id: u64,
        error: *const modio_market_error,
        installed: *const modio_market_installed_mod,
    ),
>;
/// `void cb(void *user_data, uint64_t request_id, uint64_t bytes_done, uint64_t bytes_total)`:
/// how far a download has come (`bytes_total` 0 while unknown). Runs inside poll/wait on the
/// polling thread, at most five times a second, never after the request's completion callback.
pub type modio_market_progress_cb =
    Option<unsafe extern "C" fn(user_data: *mut c_void, request_id: u64, bytes_done: u64, bytes_total: u64)>;

/// Reads one file of a mod with a fresh download link (links of games that restrict downloads
/// expire: see `date_expires`); 404 / 15010 when the file is unknown. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param mod_id The mod's id.
/// @param modfile_id The file's id (`modio_market_mod.modfile_id` for the current one).
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the result or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `user_data` passed back untouched; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_get_modfile(
    client: *mut modio_market_client,
    mod_id: u64,
    modfile_id: u64,
    callback: modio_market_modfile_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, modfile_view, |cb| handle.client.get_modfile(mod_id, modfile_id, cb))
    })
}

/// Downloads and installs `mod_id` into the install directory
/// (`modio_market_config_set_install_dir`), or updates it when mod.io has a newer file; answers
/// at once, without a download, when the current file is installed. Follows the game's download
/// rules: the player's token is sent when downloads need one, and a paid mod the player does not
/// own is refused (`NOT_OWNED`) before a byte is fetched when only owners may download it. The
/// archive streams to disk on a worker (never whole in memory); its size and MD5 are checked
/// (`INTEGRITY_FAILED`: the file is deleted); an interrupted download resumes where it stopped,
/// in this run or the next; it is extracted beside the mod's directory and renamed into place,
/// and an entry that would land outside it refuses the whole archive (`UNSAFE_ARCHIVE`). A full
/// disk is `DISK_FULL`; a mod without a file `NO_MODFILE`. Cancel at any time with
/// `modio_market_client_cancel` (what was downloaded is kept for next time). Installs of one mod
/// run one after the other. No install directory configured: `INVALID_ARGUMENT` at once. Any
/// thread.
///
/// @param client The client (from modio_market_client_new).
/// @param mod_id The mod to install.
/// @param progress Optional (NULL): how far the download has come, inside poll/wait on the polling thread, at most five times a second, never after `callback`.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the installed mod or the error. Must not be NULL.
/// @param user_data Passed back untouched to both callbacks; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `user_data` passed back untouched; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_install_mod(
    client: *mut modio_market_client,
    mod_id: u64,
    progress: modio_market_progress_cb,
    callback: modio_market_installed_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let progress_data = UserData(user_data);
        let report = move |id: u64, p: modio_market::DownloadProgress| {
            if let Some(progress) = progress {
                // SAFETY: the caller's callback and user_data, with the documented contract.
                unsafe { progress(progress_data.get(), id, p.bytes_done, p.bytes_total) }
            }
        };
        start(callback, user_data, request_id_out, installed_view, |cb| handle.client.install_mod(mod_id, report, cb))
    })
}

/// Removes an installed mod: its directory, then its entry in the list (on a worker).
/// `INVALID_ARGUMENT` in the callback when it is not installed. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param mod_id The mod to remove.
/// @param callback Runs exactly once, inside poll/wait on the polling thread, with the removed mod or the error. Must not be NULL.
/// @param user_data Passed back untouched to the callback; the library never reads it.
/// @param request_id_out Optional (NULL): receives the request's id, for cancel/wait, on success only.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `user_data` passed back untouched; `request_id_out` NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_uninstall_mod(
    client: *mut modio_market_client,
    mod_id: u64,
    callback: modio_market_installed_cb,
    user_data: *mut c_void,
    request_id_out: *mut u64,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        start(callback, user_data, request_id_out, installed_view, |cb| handle.client.uninstall_mod(mod_id, cb))
    })
}

/// What is installed in the install directory, by mod id, answered from memory (no disk
/// access, no network). Ownership: `*list_out` is yours; free it with
/// `modio_market_installed_list_free`. Any thread.
///
/// @param client The client (from modio_market_client_new).
/// @param list_out Receives the list on success; free it with modio_market_installed_list_free.
/// @return MODIO_MARKET_RESULT_OK, or why the call failed (the text is in modio_market_last_error_message).
///
/// # Safety
/// `client` live; `list_out` valid for a write.
#[no_mangle]
pub unsafe extern "C" fn modio_market_client_installed_mods(
    client: *const modio_market_client,
    list_out: *mut *mut modio_market_installed_list,
) -> ResultCode {
    ffi_result!({
        let handle = client_ref(client)?;
        let out = arg_out(list_out, "list_out")?;
        let mods = handle.client.installed_mods()?;
        let mut arena = Arena::default();
        let views: Vec<modio_market_installed_mod> = mods.iter().map(|m| installed_view(&mut arena, m)).collect();
        let (list, count) = arena.ptr_slice(views);
        let owned = Box::new(OwnedInstalledList {
            view: modio_market_installed_list { struct_size: size::<modio_market_installed_list>(), mods: list, mod_count: count },
            _arena: arena,
        });
        *out = Box::into_raw(owned).cast::<modio_market_installed_list>();
        Ok(())
    })
}

/// Frees a list from `modio_market_client_installed_mods`. NULL is ignored. Any thread.
///
/// @param list The list (from modio_market_client_installed_mods).
///
/// # Safety
/// `list` must be NULL or a list from `modio_market_client_installed_mods`, not freed before.
#[no_mangle]
pub unsafe extern "C" fn modio_market_installed_list_free(list: *mut modio_market_installed_list) {
    ffi_boundary!({
        if !list.is_null() {
            // SAFETY: made by Box::into_raw of an OwnedInstalledList, whose first field it points to.
            drop(Box::from_raw(list.cast::<OwnedInstalledList>()));
        }
    })
}
