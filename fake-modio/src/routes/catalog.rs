//! Reads: the game, its mods, one mod, the user's purchases, `GET /me`, and the fake
//! archive behind each modfile's `binary_url`.

use serde_json::Value;

use super::{ok, pagination, path_id, require_read, require_user};
use crate::errors;
use crate::filters::ModFilter;
use crate::http::{Answer, Req, Validation};
use crate::objects::{game_object, me_object, mod_object_for, page};
use crate::platforms::{live_on, target};
use crate::state::{Mod, State};

pub fn me(state: &mut State, req: &Req) -> Answer {
    let user = require_user(state, req)?;
    ok(me_object(&state.users[&user.user_id], &target(req)))
}

pub fn get_game(state: &mut State, req: &Req, game: &str) -> Answer {
    require_read(state, req)?;
    let id = path_id(game, errors::game_not_found)?;
    let g = state.games.get(&id).ok_or_else(errors::game_not_found)?;
    ok(game_object(state, g))
}

/// Does any word of `q` occur in the mod's name (case-insensitive)?
fn matches_query(m: &Mod, q: &str) -> bool {
    let name = m.name.to_lowercase();
    q.split_whitespace()
        .any(|word| name.contains(&word.to_lowercase()))
}

/// `GET /games/{id}/mods`: `revenue_type` 0 free (default), 1 paid, 2 both; `_q`;
/// `_offset` / `_limit`. Sorted by id, as the default sort of the real endpoint.
/// The listing's filters and `_sort` (`filters.rs`); a bad one is a field error of `v`.
fn read_filter(req: &Req, v: &mut Validation) -> Option<ModFilter> {
    match ModFilter::from_request(req) {
        Ok(f) => Some(f),
        Err((field, message)) => {
            v.add(&field, message);
            None
        }
    }
}

pub fn get_mods(state: &mut State, req: &Req, game: &str) -> Answer {
    require_read(state, req)?;
    let game_id = path_id(game, errors::game_not_found)?;
    if !state.games.contains_key(&game_id) {
        return Err(errors::game_not_found());
    }
    let mut v = Validation::new();
    let revenue_type = match req.query("revenue_type").as_deref() {
        None | Some("") | Some("0") => 0,
        Some("1") => 1,
        Some("2") => 2,
        Some(_) => {
            v.add("revenue_type", "The selected revenue type is invalid.");
            0
        }
    };
    let filter = read_filter(req, &mut v);
    let to = target(req);
    v.finish()?;
    let (offset, limit) = pagination(req)?;
    let q = req.query("_q").unwrap_or_default();
    let mut matching: Vec<&Mod> = state
        .mods
        .values()
        .filter(|m| m.game_id == game_id)
        .filter(|m| match revenue_type {
            0 => m.price == 0,
            1 => m.price > 0,
            _ => true,
        })
        .filter(|m| q.trim().is_empty() || matches_query(m, &q))
        .filter(|m| filter.as_ref().is_none_or(|f| f.matches(m)))
        .filter(|m| live_on(state.games.get(&m.game_id), m, &to))
        .collect();
    if let Some(f) = &filter {
        f.sort(&mut matching);
    }
    let total = matching.len();
    let data: Vec<Value> = matching
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|m| mod_object_for(state, m, &to))
        .collect();
    ok(page(data, offset, limit, total))
}

pub fn get_mod(state: &mut State, req: &Req, game: &str, m: &str) -> Answer {
    require_read(state, req)?;
    let game_id = path_id(game, errors::game_not_found)?;
    if !state.games.contains_key(&game_id) {
        return Err(errors::game_not_found());
    }
    let mod_id = path_id(m, errors::mod_not_found)?;
    let found = state
        .mods
        .get(&mod_id)
        .filter(|m| m.game_id == game_id)
        .ok_or_else(errors::mod_not_found)?;
    ok(mod_object_for(state, found, &target(req)))
}

/// `GET /me/purchased`: the user's purchased mods in purchase order, optional `game_id`.
pub fn purchased(state: &mut State, req: &Req) -> Answer {
    let user = require_user(state, req)?;
    let mut v = Validation::new();
    let game_filter = match req.query("game_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<u64>() {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("game_id", "The game id must be an integer.");
                None
            }
        },
    };
    let filter = read_filter(req, &mut v);
    let to = target(req);
    v.finish()?;
    let (offset, limit) = pagination(req)?;
    let purchases = &state.users[&user.user_id].purchases;
    let mut mods: Vec<&Mod> = purchases
        .iter()
        .filter(|p| game_filter.is_none_or(|g| g == p.game_id))
        .filter_map(|p| state.mods.get(&p.mod_id))
        .filter(|m| filter.as_ref().is_none_or(|f| f.matches(m)))
        .filter(|m| live_on(state.games.get(&m.game_id), m, &to))
        .collect();
    if let Some(f) = &filter {
        f.sort(&mut mods);
    }
    let total = mods.len();
    let data = mods
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|m| mod_object_for(state, m, &to))
        .collect();
    ok(page(data, offset, limit, total))
}
