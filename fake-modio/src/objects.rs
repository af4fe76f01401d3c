//! The JSON objects the API returns, shaped field for field like the reference examples
//! (`modio-as-purchase-server.md`, `openapi/get-mod.json`, `openapi/get-game.json`), so a
//! client that parses these parses the real service.

use serde_json::{json, Value};

use crate::platforms::{live_on, portal_display_name, Target};
use crate::state::{Game, Mod, State, User, Wallet};

const PLACEHOLDER_CARD: &str = "https://assets.modcdn.io/images/placeholder/card.png";

fn avatar() -> Value {
    json!({
        "filename": "avatar.png",
        "original": "https://assets.modcdn.io/images/placeholder/avatar.png",
        "thumb_50x50": "https://assets.modcdn.io/images/placeholder/avatar_50x50.png",
        "thumb_100x100": "https://assets.modcdn.io/images/placeholder/avatar_100x100.png"
    })
}

/// The user object (`GET /me`, `submitted_by`).
pub fn user_object(id: u64, username: &str, date_joined: i64) -> Value {
    let name_id = crate::state::slugify(username);
    json!({
        "id": id,
        "name_id": name_id,
        "username": username,
        "display_name_portal": null,
        "date_online": date_joined,
        "date_joined": date_joined,
        "avatar": avatar(),
        "timezone": "",
        "language": "",
        "profile_url": format!("https://mod.io/u/{name_id}")
    })
}

/// `GET /me`: the user object plus the fields only the owner sees; `display_name_portal` is
/// the name on the request's portal, if it names one.
pub fn me_object(user: &User, target: &Target) -> Value {
    let mut v = user_object(user.id, &user.username, user.date_joined);
    if let Some(portal) = target.portal {
        v["display_name_portal"] = json!(portal_display_name(&user.username, portal));
    }
    v["country"] = json!("US");
    v["privacy_options"] = json!(3);
    v["status"] = json!(1);
    v["monetization_status"] = json!(0);
    v
}

/// The mod object as the request's platform and portal see it (`platforms.rs`): the platforms
/// the mod is live on, an empty `modfile` on a platform it is not live on (in a game that filters
/// by platform), and its creator's portal display name.
pub fn mod_object_for(state: &State, m: &Mod, target: &Target) -> Value {
    let mut v = mod_object(state, m);
    if !m.platforms.is_empty() {
        v["platforms"] = Value::Array(
            m.platforms
                .iter()
                .map(|p| json!({"platform": p, "modfile_live": m.modfile_id}))
                .collect(),
        );
        v["modfile"]["platforms"] = Value::Array(
            m.platforms
                .iter()
                .map(|p| json!({"platform": p, "status": 1}))
                .collect(),
        );
    }
    if !live_on(state.games.get(&m.game_id), m, target) {
        v["modfile"] = json!({});
    }
    if let Some(portal) = target.portal {
        v["submitted_by"]["display_name_portal"] =
            json!(portal_display_name(&m.submitted_by, portal));
    }
    v
}

/// How long a download link lasts: a day where the game allows direct downloads, else ten
/// minutes ("a frequently changing verification hash", get-game.json's `api_access_options`).
pub const DIRECT_LINK_SECS: i64 = 86_400;
pub const VERIFIED_LINK_SECS: i64 = 600;

/// The modfile object of file `modfile_id` of `m` (current or earlier), `None` if it has no such
/// file. Its `binary_url` ends in the file's MD5 for games with direct downloads, else in a
/// verification hash that expires (`{md5}-{expiry}`, checked by the download route).
pub fn modfile_object(state: &State, m: &Mod, modfile_id: u64) -> Option<Value> {
    let (version, archive) = m.file(modfile_id)?;
    let direct = state
        .games
        .get(&m.game_id)
        .is_some_and(|g| g.api_access_options & 2 != 0);
    let now = state.now();
    let (hash, expires) = if direct {
        (archive.md5.clone(), now + DIRECT_LINK_SECS)
    } else {
        let expires = now + VERIFIED_LINK_SECS;
        (format!("{}-{expires}", archive.md5), expires)
    };
    Some(json!({
        "id": modfile_id,
        "mod_id": m.id,
        "date_added": m.date_updated,
        "date_updated": m.date_updated,
        "date_scanned": m.date_updated,
        "virus_status": 1,
        "virus_positive": 0,
        "virustotal_hash": "",
        "filesize": archive.bytes.len(),
        "filesize_uncompressed": archive.uncompressed,
        "filehash": {"md5": archive.md5},
        "filename": format!("mod-{}-{version}.zip", m.id),
        "version": version,
        "changelog": format!("Version {version}."),
        "metadata_blob": m.tags.join(","),
        "download": {
            "binary_url": format!(
                "{}/games/{}/mods/{}/files/{}/download/{}",
                state.base_url, m.game_id, m.id, modfile_id, hash
            ),
            "date_expires": expires
        },
        "platforms": [{"platform": "windows", "status": 1}]
    }))
}

/// The full mod object.
pub fn mod_object(state: &State, m: &Mod) -> Value {
    let game_name_id = state
        .games
        .get(&m.game_id)
        .map(|g| g.name_id.clone())
        .unwrap_or_else(|| format!("game-{}", m.game_id));
    let ratings_total = m.ratings_positive + m.ratings_negative;
    let percentage = (m.ratings_positive * 100)
        .checked_div(ratings_total)
        .unwrap_or(0);
    let display = match percentage {
        95.. => "Overwhelmingly Positive",
        80..=94 => "Very Positive",
        70..=79 => "Mostly Positive",
        40..=69 => "Mixed",
        _ => "Mostly Negative",
    };
    // A rough Wilson-style lower bound, so the aggregate sits below the raw percentage.
    let weighted = if ratings_total == 0 {
        0.0
    } else {
        let p = m.ratings_positive as f64 / ratings_total as f64;
        let n = ratings_total as f64;
        ((p - 1.0 / n.sqrt()).max(0.0) * 10000.0).round() / 100.0
    };
    json!({
        "id": m.id,
        "game_id": m.game_id,
        "status": 1,
        "visible": 1,
        "submitted_by": user_object(9000 + m.id % 1000, &m.submitted_by, 1_600_000_000),
        "date_added": m.date_added,
        "date_updated": m.date_updated,
        "date_live": m.date_added,
        "maturity_option": 0,
        "community_options": 3,
        // The guide's paid example carries 3 (monetization + marketplace); free mods 0.
        "monetization_options": if m.price > 0 { 3 } else { 0 },
        "credit_options": 0,
        "stock": 0,
        "price": m.price,
        "tax": 0,
        "logo": {
            "filename": "card.png",
            "original": PLACEHOLDER_CARD,
            "thumb_320x180": PLACEHOLDER_CARD,
            "thumb_640x360": PLACEHOLDER_CARD,
            "thumb_1280x720": PLACEHOLDER_CARD
        },
        // Strings, as in the reference examples (a strict client must not meet nulls here).
        "homepage_url": format!("https://{game_name_id}.example/mods/{}", m.name_id),
        "name": m.name,
        "name_id": m.name_id,
        "summary": m.summary,
        "description": m.description,
        "description_plaintext": m.description.replace("<p>", "").replace("</p>", ""),
        "metadata_blob": m.tags.join(","),
        "profile_url": format!("https://mod.io/g/{game_name_id}/m/{}", m.name_id),
        "media": {
            "youtube": [],
            "sketchfab": [],
            "images": [{
                "filename": "card.png",
                "original": PLACEHOLDER_CARD,
                "thumb_320x180": PLACEHOLDER_CARD,
                "thumb_1280x720": PLACEHOLDER_CARD
            }]
        },
        "modfile": modfile_object(state, m, m.modfile_id).unwrap_or_else(|| json!({})),
        "dependencies": false,
        "platforms": [{"platform": "windows", "modfile_live": m.modfile_id}],
        "metadata_kvp": m.metadata_kvp.iter()
            .map(|(k, v)| json!({"metakey": k, "metavalue": v}))
            .collect::<Vec<_>>(),
        "tags": m.tags.iter()
            .map(|t| json!({"name": t, "name_localized": t, "date_added": m.date_added}))
            .collect::<Vec<_>>(),
        "stats": {
            "mod_id": m.id,
            "popularity_rank_position": 1 + m.id % 50,
            "popularity_rank_total_mods": state.mods.len(),
            "downloads_today": m.downloads_total / 100,
            "downloads_total": m.downloads_total,
            "subscribers_total": m.subscribers_total,
            "ratings_total": ratings_total,
            "ratings_positive": m.ratings_positive,
            "ratings_negative": m.ratings_negative,
            "ratings_percentage_positive": percentage,
            "ratings_weighted_aggregate": weighted,
            "ratings_display_text": display,
            "date_expires": state.now() + 3600
        }
    })
}

/// The game object (`GET /games/{id}`).
pub fn game_object(state: &State, g: &Game) -> Value {
    let icon = "https://assets.modcdn.io/images/placeholder/icon.png";
    let mods: Vec<&Mod> = state.mods.values().filter(|m| m.game_id == g.id).collect();
    json!({
        "id": g.id,
        "status": 1,
        "submitted_by": user_object(1, "fake-studio", 1_500_000_000),
        "date_added": 1_500_000_000,
        "date_updated": 1_700_000_000,
        "date_live": 1_500_000_000,
        "presentation_option": 0,
        "submission_option": 1,
        "dependency_option": 0,
        "curation_option": 0,
        "profanity_option": 0,
        "community_options": 3,
        // Bitwise: 1 monetization + 2 marketplace when the marketplace is enabled.
        "monetization_options": if g.monetized { 3 } else { 0 },
        "revenue_options": 0,
        "limit_collection_mods": 100,
        "cloud_cooking_status": 0,
        "monetization_teams": if g.monetized { json!([{"team_id": g.id}]) } else { json!([]) },
        "max_stock": 8_388_607,
        "api_access_options": g.api_access_options,
        "maturity_options": 0,
        "ugc_name": "mods",
        "token_name": g.token_name,
        "icon": {
            "filename": "icon.png",
            "original": icon,
            "thumb_64x64": icon,
            "thumb_128x128": icon,
            "thumb_256x256": icon
        },
        "logo": {
            "filename": "card.png",
            "original": PLACEHOLDER_CARD,
            "thumb_320x180": PLACEHOLDER_CARD,
            "thumb_640x360": PLACEHOLDER_CARD,
            "thumb_1280x720": PLACEHOLDER_CARD
        },
        "header": {
            "filename": "modio-logo-bluedark.png",
            "original": "https://assets.modcdn.io/images/branding/modio-logo-bluedark.png"
        },
        "name": g.name,
        "name_id": g.name_id,
        "summary": format!("{} (fake-modio).", g.name),
        "instructions": "",
        "instructions_url": "",
        "profile_url": format!("https://mod.io/g/{}", g.name_id),
        "other_urls": [],
        "tag_options": [],
        "stats": {
            "game_id": g.id,
            "mods_count_total": mods.len(),
            "mods_downloads_today": mods.iter().map(|m| m.downloads_total / 100).sum::<u64>(),
            "mods_downloads_total": mods.iter().map(|m| m.downloads_total).sum::<u64>(),
            "mods_downloads_daily_average": mods.iter().map(|m| m.downloads_total / 30).sum::<u64>(),
            "mods_subscribers_total": mods.iter().map(|m| m.subscribers_total).sum::<u64>(),
            "date_expires": state.now() + 3600
        },
        "theme": {
            "primary": "#44bfd5",
            "dark": "#2c2c3f",
            "light": "#ffffff",
            "success": "#68D391",
            "warning": "#d6af2e",
            "danger": "#ff000e"
        },
        "platforms": [{"platform": "windows", "label": "Windows", "moderated": false, "locked": false}],
        "service_features": 0
    })
}

/// The wallet object of the guide.
pub fn wallet_object(wallet: &Wallet, game_id: u64) -> Value {
    json!({
        "type": "standard_mio",
        "currency": "mio",
        "payment_method_id": wallet.payment_method_id,
        "balance": wallet.balance,
        "pending_balance": 0,
        "deficit": wallet.deficit,
        // The guide's example value.
        "monetization_status": 33,
        "game_id": game_id
    })
}

/// The paginated envelope (`restapi-pagination.md`).
pub fn page(data: Vec<Value>, offset: usize, limit: usize, total: usize) -> Value {
    json!({
        "result_count": data.len(),
        "data": data,
        "result_offset": offset,
        "result_limit": limit,
        "result_total": total
    })
}
