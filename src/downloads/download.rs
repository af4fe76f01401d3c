//! Streams a modfile to disk on a worker: never the whole file in memory, MD5 and size checked as
//! the bytes arrive, resumable with HTTP `Range` after a dropped connection or a restart (the
//! part file and a note of what it is survive in the staging directory), abandoned within
//! [`crate::executor::CANCEL_CHECK`] of a cancel.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::progress::ProgressSlot;
use crate::error::{Error, Result, ResultCode, Secret};
use crate::executor::run_abortable;
use crate::models::Modfile;
use crate::persist::{atomic_write, io_error};
use crate::transport::{is_retryable, map_body_error, parse_error_body, Transport};

/// What a part file holds, written beside it: a part is resumed only for the same file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PartNote {
    mod_id: u64,
    modfile_id: u64,
    filesize: u64,
    md5: String,
}

/// Where one modfile's download lives while it is incomplete.
pub(crate) struct Part {
    pub archive: PathBuf,
    note: PathBuf,
    expected: PartNote,
}

impl Part {
    pub fn new(staging: &Path, modfile: &Modfile, mod_id: u64) -> Part {
        let stem = format!("{mod_id}-{}", modfile.id);
        Part {
            archive: staging.join(format!("{stem}.zip.part")),
            note: staging.join(format!("{stem}.part.json")),
            expected: PartNote { mod_id, modfile_id: modfile.id, filesize: modfile.filesize, md5: modfile.md5.to_ascii_lowercase() },
        }
    }

    /// Removes the part and its note (a finished install, a hash mismatch).
    pub fn discard(&self) {
        let _ = std::fs::remove_file(&self.archive);
        let _ = std::fs::remove_file(&self.note);
    }

    /// The bytes already on disk for this very file, hashed; a part of another file (or one
    /// longer than the file) is thrown away.
    fn resume_point(&self) -> Result<(u64, Md5)> {
        let note: Option<PartNote> = std::fs::read(&self.note).ok().and_then(|b| serde_json::from_slice(&b).ok());
        let len = std::fs::metadata(&self.archive).map(|m| m.len()).unwrap_or(0);
        let usable = note.as_ref() == Some(&self.expected) && (self.expected.filesize == 0 || len <= self.expected.filesize);
        if !usable {
            self.discard();
            let bytes = serde_json::to_vec(&self.expected).map_err(|e| Error::new(ResultCode::Internal, e.to_string()))?;
            atomic_write(&self.note, &bytes)?;
            return Ok((0, Md5::new()));
        }
        let mut hasher = Md5::new();
        let mut file = File::open(&self.archive).map_err(|e| io_error("could not read", &self.archive, e))?;
        let mut buffer = vec![0u8; 64 * 1024];
        let mut hashed = 0u64;
        loop {
            let n = file.read(&mut buffer).map_err(|e| io_error("could not read", &self.archive, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            hashed += n as u64;
        }
        Ok((hashed, hasher))
    }
}

/// How one attempt ended.
enum Attempt {
    Complete,
    /// The server refused the link (expired or not ours): fetch the modfile again.
    LinkRefused(Error),
}

/// Downloads `modfile` into `part`, resuming what is there. `refresh` fetches the modfile again
/// when its link has expired or is refused (once). Transient failures resume from the last byte
/// written, `attempts` times in all.
#[allow(clippy::too_many_arguments)]
pub(crate) fn download(
    transport: &Transport,
    part: &Part,
    modfile: &Modfile,
    bearer: Option<&Secret>,
    attempts: u32,
    progress: Option<&ProgressSlot>,
    is_cancelled: &dyn Fn() -> bool,
    refresh: &mut dyn FnMut() -> Result<Modfile>,
) -> Result<()> {
    let mut modfile = modfile.clone();
    let mut refreshed = false;
    let mut failures = 0;
    loop {
        if !refreshed && modfile.date_expires > 0 && modfile.date_expires <= crate::persist::now_unix() + 30 {
            modfile = refresh()?;
            refreshed = true;
        }
        let (from, hasher) = part.resume_point()?;
        let outcome = attempt(transport, part, &modfile, bearer, from, hasher, progress, is_cancelled);
        let error = match outcome {
            Ok(Attempt::Complete) => return Ok(()),
            Ok(Attempt::LinkRefused(e)) if !refreshed => {
                transport.logger().log(
                    crate::log::LogLevel::Info,
                    format_args!("the download link was refused ({}); fetching a fresh one", e.code().name()),
                );
                modfile = refresh()?;
                refreshed = true;
                continue;
            }
            Ok(Attempt::LinkRefused(e)) => e,
            Err(e) => e,
        };
        failures += 1;
        if !is_retryable(&error) || failures >= attempts || is_cancelled() {
            return Err(error);
        }
        transport.logger().log(
            crate::log::LogLevel::Info,
            format_args!("the download stopped ({}); resuming ({} of {})", error.code().name(), failures, attempts - 1),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn attempt(
    transport: &Transport,
    part: &Part,
    modfile: &Modfile,
    bearer: Option<&Secret>,
    from: u64,
    mut hasher: Md5,
    progress: Option<&ProgressSlot>,
    is_cancelled: &dyn Fn() -> bool,
) -> Result<Attempt> {
    let total = modfile.filesize;
    if total > 0 && from == total {
        return finish(part, hasher, total, total);
    }
    let url = url::Url::parse(&modfile.binary_url).map_err(|_| Error::malformed("the modfile's `binary_url` is not a URL"))?;
    let idle = transport.request_timeout();
    let path = part.archive.clone();
    let fetch = async {
        let response = match tokio::time::timeout(idle, transport.open_download(&url, bearer, from)).await {
            Ok(r) => r?,
            Err(_) => return Err(Error::new(ResultCode::Timeout, "the download did not start within the request timeout")),
        };
        let status = response.status().as_u16();
        let mut file =
            OpenOptions::new().create(true).write(true).truncate(false).open(&path).map_err(|e| io_error("could not open", &path, e))?;
        let mut written = match status {
            206 => {
                // Resumed: the range must start where the part ends.
                let start = response
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if start != Some(from) {
                    return Err(Error::malformed("the download resumed at another byte than asked"));
                }
                file.seek(SeekFrom::Start(from)).map_err(|e| io_error("could not seek in", &path, e))?;
                from
            }
            200 => {
                // The whole file (a server without ranges, or a fresh start): begin again.
                hasher = Md5::new();
                file.set_len(0).map_err(|e| io_error("could not truncate", &path, e))?;
                0
            }
            416 => {
                // The part does not fit the file any more: start over next time.
                drop(file);
                part.discard();
                return Err(Error::new(ResultCode::Transport, "the server refused to resume the download (416); starting over"));
            }
            401 | 403 | 404 | 410 => {
                let body = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                return Ok(Step::Refused(parse_error_body(status, &body)));
            }
            _ => {
                let body = response.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                return Err(parse_error_body(status, &body));
            }
        };
        if let Some(slot) = progress {
            slot.post(written, total, true);
        }
        let mut response = response;
        loop {
            let chunk = match tokio::time::timeout(idle, response.chunk()).await {
                Ok(chunk) => chunk.map_err(map_body_error)?,
                Err(_) => return Err(Error::new(ResultCode::Timeout, "the download stalled for longer than the request timeout")),
            };
            let Some(chunk) = chunk else { break };
            if total > 0 && written + chunk.len() as u64 > total {
                drop(file);
                part.discard();
                return Err(Error::new(ResultCode::IntegrityFailed, format!("the download is larger than the modfile's {total} bytes")));
            }
            file.write_all(&chunk).map_err(|e| io_error("could not write", &path, e))?;
            hasher.update(&chunk);
            written += chunk.len() as u64;
            if let Some(slot) = progress {
                slot.post(written, total, false);
            }
        }
        // Durable before it is called complete: a crash right after leaves a part to resume,
        // never a "finished" file with a hole.
        file.sync_all().map_err(|e| io_error("could not flush", &path, e))?;
        if let Some(slot) = progress {
            slot.post(written, total, true);
        }
        Ok(Step::Received { written, hasher })
    };
    match run_abortable(fetch, is_cancelled)?? {
        Step::Received { written, hasher } => finish(part, hasher, written, total),
        Step::Refused(e) => Ok(Attempt::LinkRefused(e)),
    }
}

/// What the body loop ended with.
enum Step {
    Received { written: u64, hasher: Md5 },
    Refused(Error),
}

/// Checks the finished file against its modfile: a size or MD5 mismatch deletes it.
fn finish(part: &Part, hasher: Md5, written: u64, total: u64) -> Result<Attempt> {
    if total > 0 && written != total {
        if written < total {
            // The body ended early without an error: the rest is resumed.
            return Err(Error::new(ResultCode::Transport, format!("the download ended after {written} of {total} bytes")));
        }
        part.discard();
        return Err(Error::new(ResultCode::IntegrityFailed, format!("the download has {written} bytes, the modfile {total}")));
    }
    let got = crate::hex::lower_hex(&hasher.finalize());
    let want = &part.expected.md5;
    if !want.is_empty() && got != *want {
        part.discard();
        return Err(Error::new(
            ResultCode::IntegrityFailed,
            format!("the download's MD5 {got} is not the modfile's {want}; it was deleted"),
        ));
    }
    Ok(Attempt::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_written_as_lower_case_hex() {
        assert_eq!(crate::hex::lower_hex(&Md5::digest(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn a_part_of_another_file_is_not_resumed() {
        let dir = std::env::temp_dir().join(format!("modio-market-part-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = Modfile { id: 5, filesize: 6, md5: "ABC".into(), ..Modfile::default() };
        let part = Part::new(&dir, &file, 9);
        assert_eq!(part.resume_point().unwrap().0, 0);
        std::fs::write(&part.archive, b"abc").unwrap();
        assert_eq!(part.resume_point().unwrap().0, 3, "the same file resumes after its 3 bytes");
        let other = Part::new(&dir, &Modfile { md5: "def".into(), ..file.clone() }, 9);
        assert_eq!(other.resume_point().unwrap().0, 0, "another hash: start over");
        assert!(!other.archive.exists() || std::fs::metadata(&other.archive).unwrap().len() == 0);
        std::fs::write(&part.archive, b"toolongforit").unwrap();
        assert_eq!(Part::new(&dir, &file, 9).resume_point().unwrap().0, 0, "longer than the file: start over");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
