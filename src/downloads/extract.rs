//! Extracts a mod's zip archive into a fresh directory, refusing the whole archive when any entry
//! would land outside it: a `..` component, an absolute or drive path, a symlink. What a mod can
//! write is then confined to its own directory, whatever the archive says.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result, ResultCode};
use crate::persist::io_error;

fn unsafe_archive(message: impl Into<String>) -> Error {
    Error::new(ResultCode::UnsafeArchive, message)
}

/// The path an entry name stands for below the directory, or why it may not be written.
fn confined(name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains('\0') {
        return Err(unsafe_archive("an archive entry has an empty name"));
    }
    // Zip names use `/`; a `\` is a Windows separator in disguise.
    let normalized = name.replace('\\', "/");
    if normalized.starts_with('/') {
        return Err(unsafe_archive(format!("the archive entry `{name}` has an absolute path")));
    }
    let mut out = PathBuf::new();
    for part in normalized.split('/').filter(|p| !p.is_empty() && *p != ".") {
        // `C:` (a drive), `name:stream` (an NTFS stream) and `..` all leave the directory.
        if part == ".." || part.contains(':') {
            return Err(unsafe_archive(format!("the archive entry `{name}` would be written outside the mod's directory")));
        }
        out.push(part);
    }
    if out.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(unsafe_archive(format!("the archive entry `{name}` would be written outside the mod's directory")));
    }
    Ok(out)
}

/// Extracts `archive` into `into` (which must not exist yet), at most `max_bytes` uncompressed
/// when given (a zip bomb stops there). Returns the bytes written. On failure `into` may be left
/// half-filled: the caller removes it.
pub(crate) fn extract(archive: &Path, into: &Path, max_bytes: Option<u64>, is_cancelled: &dyn Fn() -> bool) -> Result<u64> {
    let file = File::open(archive).map_err(|e| io_error("could not open", archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| unsafe_archive(format!("the mod's archive is not a readable zip: {e}")))?;
    // Every name first: a bad entry anywhere refuses the archive before a byte is written.
    let mut plan = Vec::with_capacity(zip.len());
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(|e| unsafe_archive(format!("could not read the archive's entry {index}: {e}")))?;
        let name = entry.name().map_err(|e| unsafe_archive(format!("the archive entry {index} has an unreadable name: {e}")))?.into_owned();
        if entry.is_symlink() {
            return Err(unsafe_archive(format!("the archive entry `{name}` is a symlink")));
        }
        plan.push((index, confined(&name)?, entry.is_dir()));
    }
    std::fs::create_dir_all(into).map_err(|e| io_error("could not create", into, e))?;
    let mut written = 0u64;
    let mut buffer = vec![0u8; 64 * 1024];
    for (index, relative, is_dir) in plan {
        if is_cancelled() {
            return Err(Error::cancelled());
        }
        let target = into.join(&relative);
        if is_dir {
            std::fs::create_dir_all(&target).map_err(|e| io_error("could not create", &target, e))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("could not create", parent, e))?;
        }
        let mut entry =
            zip.by_index(index).map_err(|e| unsafe_archive(format!("could not read the archive entry `{}`: {e}", relative.display())))?;
        // create_new: two entries with one name, or a name planted meanwhile, fail instead of
        // being followed or overwritten.
        let mut out =
            OpenOptions::new().write(true).create_new(true).open(&target).map_err(|e| io_error("could not create", &target, e))?;
        loop {
            let n = entry
                .read(&mut buffer)
                .map_err(|e| unsafe_archive(format!("the archive entry `{}` is corrupt: {e}", relative.display())))?;
            if n == 0 {
                break;
            }
            written += n as u64;
            if max_bytes.is_some_and(|max| written > max) {
                return Err(unsafe_archive("the archive unpacks to more than its modfile's uncompressed size"));
            }
            out.write_all(&buffer[..n]).map_err(|e| io_error("could not write", &target, e))?;
        }
        out.sync_all().map_err(|e| io_error("could not flush", &target, e))?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_the_directory_are_refused() {
        assert_eq!(confined("a/b.txt").unwrap(), PathBuf::from("a").join("b.txt"));
        assert_eq!(confined("./a//b").unwrap(), PathBuf::from("a").join("b"));
        for bad in ["../x", "a/../../x", "/etc/passwd", "\\\\server\\share", "C:/Windows/x", "a\\..\\..\\x", "file:stream", ""] {
            let e = confined(bad).unwrap_err();
            assert_eq!(e.code(), ResultCode::UnsafeArchive, "{bad}");
        }
    }
}
