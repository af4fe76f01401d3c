//! `GET /games/{id}/mods/{mod_id}/files/{file_id}` (the modfile) and the archive behind its
//! `binary_url`, served as the game's `api_access_options` say, with `Range`.

use super::{ok, path_id, require_read, require_user};
use crate::errors;
use crate::http::{Answer, ApiResponse, Req};
use crate::objects::modfile_object;
use crate::state::State;

// get-game.json's `api_access_options` bits.
const AUTHORISED_DOWNLOADS: u32 = 4;
const PAID_DOWNLOADS: u32 = 8;

/// The modfile object of a current or earlier file of the mod (404 / 15010 for another).
pub fn modfile(state: &mut State, req: &Req, game: &str, m: &str, file: &str) -> Answer {
    require_read(state, req)?;
    let game_id = path_id(game, errors::game_not_found)?;
    let mod_id = path_id(m, errors::mod_not_found)?;
    let file_id = path_id(file, errors::modfile_not_found)?;
    if !state.games.contains_key(&game_id) {
        return Err(errors::game_not_found());
    }
    let found = state
        .mods
        .get(&mod_id)
        .filter(|m| m.game_id == game_id)
        .ok_or_else(errors::mod_not_found)?;
    let object = modfile_object(state, found, file_id).ok_or_else(errors::modfile_not_found)?;
    ok(object)
}

/// The archive. The last segment is the file's MD5 (direct downloads) or `{md5}-{expiry}` (a
/// verification hash, refused with 410 once expired). AUTHORISED_DOWNLOADS needs a valid user
/// token; PAID_DOWNLOADS needs one whose user owns a paid mod. `Range: bytes=N-` is answered
/// 206 with `Content-Range`, a range past the end 416.
pub fn download(
    state: &mut State,
    req: &Req,
    game: &str,
    m: &str,
    file: &str,
    hash: &str,
) -> Answer {
    let game_id = path_id(game, errors::game_not_found)?;
    let mod_id = path_id(m, errors::mod_not_found)?;
    let file_id = path_id(file, errors::modfile_not_found)?;
    let options = state
        .games
        .get(&game_id)
        .map(|g| g.api_access_options)
        .ok_or_else(errors::game_not_found)?;
    let found = state
        .mods
        .get(&mod_id)
        .filter(|m| m.game_id == game_id)
        .ok_or_else(errors::mod_not_found)?;
    let (md5, expires) = match hash.split_once('-') {
        Some((md5, expiry)) => (
            md5,
            Some(
                expiry
                    .parse::<i64>()
                    .map_err(|_| errors::modfile_not_found())?,
            ),
        ),
        None => (hash, None),
    };
    let archive = found
        .file(file_id)
        .map(|(_, a)| a.clone())
        .filter(|a| a.md5 == md5)
        .ok_or_else(errors::modfile_not_found)?;
    let direct = options & 2 != 0;
    match expires {
        // A game without direct downloads hands out only expiring links.
        None if !direct => return Err(errors::modfile_not_found()),
        Some(at) if at < state.now() => return Err(errors::download_link_expired()),
        _ => {}
    }
    let price = found.price;
    if options & (AUTHORISED_DOWNLOADS | PAID_DOWNLOADS) != 0 {
        let user = require_user(state, req)?;
        let owns = state.users[&user.user_id]
            .purchases
            .iter()
            .any(|p| p.mod_id == mod_id);
        if options & PAID_DOWNLOADS != 0 && price > 0 && !owns {
            return Err(errors::download_needs_purchase());
        }
    }
    let total = archive.bytes.len();
    let filename = format!("mod-{mod_id}-{file_id}.zip");
    let mut headers = vec![
        ("Content-Type".to_string(), "application/zip".to_string()),
        ("Accept-Ranges".to_string(), "bytes".to_string()),
        (
            "Content-Disposition".to_string(),
            format!("attachment; filename=\"{filename}\""),
        ),
    ];
    let Some(range) = req.header("range") else {
        return Ok(ApiResponse {
            status: 200,
            headers,
            body: archive.bytes,
        });
    };
    // `bytes=N-` (what a resuming client sends) and `bytes=N-M`.
    let spec = range.trim().strip_prefix("bytes=").unwrap_or("");
    let (start, end) = spec.split_once('-').unwrap_or(("", ""));
    let start: usize = match start.trim().parse() {
        Ok(n) => n,
        // A range this fake does not read: the whole file, as HTTP allows.
        Err(_) => {
            return Ok(ApiResponse {
                status: 200,
                headers,
                body: archive.bytes,
            })
        }
    };
    if start >= total {
        headers.push(("Content-Range".into(), format!("bytes */{total}")));
        return Ok(ApiResponse {
            status: 416,
            headers,
            body: Vec::new(),
        });
    }
    let end = end
        .trim()
        .parse::<usize>()
        .map_or(total - 1, |e| e.min(total - 1));
    if end < start {
        headers.push(("Content-Range".into(), format!("bytes */{total}")));
        return Ok(ApiResponse {
            status: 416,
            headers,
            body: Vec::new(),
        });
    }
    headers.push((
        "Content-Range".into(),
        format!("bytes {start}-{end}/{total}"),
    ));
    Ok(ApiResponse {
        status: 206,
        headers,
        body: archive.bytes[start..=end].to_vec(),
    })
}
