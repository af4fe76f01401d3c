//! `GET /s2s/monetization-teams/{team}/transactions[/{id}]`: a studio's transaction history, with
//! get-monetization-transactions.json's filters and its cursor pagination.
//!
//! The fake's monetization team of game N is team N + 1000 ([`monetization_team_id`]). The
//! history holds the S2S transactions (intents, commits, clawbacks) as `EXTERNAL` payments.

use serde_json::{json, Value};

use super::{ok, path_id};
use crate::errors;
use crate::http::{Answer, ApiResponse, Req, Validation};
use crate::state::{S2sTransaction, State, TxState};

/// The monetization team that owns game `game_id`'s transactions.
pub fn monetization_team_id(game_id: u64) -> u64 {
    game_id + 1000
}

const DEFAULT_PER_PAGE: usize = 15;
const MAX_PER_PAGE: usize = 100;

/// A service token with `monetization` and `read` (or `write`, which includes reading), for
/// the game whose team is `team`; another team's history is 404 / 900022.
fn require_team(state: &State, req: &Req, team: &str) -> Result<u64, ApiResponse> {
    let t = super::s2s::current_service_token(state, req)?;
    if !t.scopes.iter().any(|s| s == "monetization") {
        return Err(errors::token_missing_scope("monetization"));
    }
    if !t.scopes.iter().any(|s| s == "read" || s == "write") {
        return Err(errors::token_missing_scope("read"));
    }
    let team = path_id(team, errors::monetization_team_not_found)?;
    if team != monetization_team_id(t.game_id) {
        return Err(errors::monetization_team_not_found());
    }
    Ok(t.game_id)
}

fn object(state: &State, t: &S2sTransaction) -> Value {
    let game = state.games.get(&t.game_id);
    let user = state.users.get(&t.user_id);
    json!({
        "id": t.id,
        "gateway_uuid": t.gateway_uuid.clone().unwrap_or_default(),
        "gateway_name": t.portal,
        "account_id": monetization_team_id(t.game_id),
        "gross_amount": t.amount,
        "net_amount": t.amount - t.platform_fee,
        "platform_fee": t.platform_fee,
        "gateway_fee": 0,
        "tax": 0,
        "tax_type": "",
        "currency": "usd",
        "tokens": t.amount,
        "transaction_type": t.state.as_str(),
        "monetization_type": "external",
        "purchase_date": human_date(t.purchase_date),
        "created_at": (t.purchase_date * 1_000_000).to_string(),
        "payment_method": [],
        "line_items": [{
            "game_id": t.game_id,
            "buyer_id": t.user_id,
            "game_name": game.map(|g| g.name.clone()).unwrap_or_default(),
            "buyer_name": user.map(|u| u.username.clone()).unwrap_or_default(),
            "token_name": game.map(|g| g.token_name.clone()).unwrap_or_default(),
            "token_pack_id": t.token_pack_id,
            "token_pack_name": t.token_pack_name
        }]
    })
}

/// `2024-10-07 02:29:11` (UTC), as the reference's `purchase_date` shows it.
fn human_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The filters of the request: query parameters (the OpenAPI object lists them as a form body
/// of this GET; the fake reads both, the query winning).
struct Filter {
    /// `None`: a documented type no fake transaction ever has (matches nothing).
    states: Vec<Option<TxState>>,
    monetization_type: Option<String>,
    buyer: Option<u64>,
    clawback_uuid: Option<String>,
    gateway_uuid: Option<String>,
    line_item: Option<(String, u64)>,
    created_at_start: Option<i64>,
}

fn parse_state(s: &str) -> Option<TxState> {
    match s.to_ascii_lowercase().as_str() {
        "pending" => Some(TxState::Pending),
        "paid" => Some(TxState::Paid),
        "refunded" => Some(TxState::Refunded),
        _ => None,
    }
}

fn filter(req: &Req) -> Result<Filter, ApiResponse> {
    let mut pairs = req.query_pairs();
    if let Ok(form) = req.form() {
        for (k, v) in form.pairs.iter() {
            if !pairs.iter().any(|(n, _)| n == k) {
                pairs.push((k.clone(), v.clone()));
            }
        }
    }
    let mut v = Validation::new();
    let mut f = Filter {
        states: Vec::new(),
        monetization_type: None,
        buyer: None,
        clawback_uuid: None,
        gateway_uuid: None,
        line_item: None,
        created_at_start: None,
    };
    const KNOWN_STATES: [&str; 7] = [
        "CANCELLED",
        "CLEARED",
        "CREDITED",
        "FAILED",
        "PAID",
        "PENDING",
        "REFUNDED",
    ];
    for (name, value) in &pairs {
        match name.as_str() {
            // "Can be used as an array or on its own": `transaction_type[]=paid`, repeated,
            // or comma-separated.
            "transaction_type" | "transaction_type[]" => {
                for one in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !KNOWN_STATES.iter().any(|k| k.eq_ignore_ascii_case(one)) {
                        v.add(
                            "transaction_type",
                            "The selected transaction type is invalid.",
                        );
                    } else {
                        f.states.push(parse_state(one));
                    }
                }
            }
            "monetization_type" => {
                if ["FIAT", "TOKEN", "EXTERNAL"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(value))
                {
                    f.monetization_type = Some(value.to_ascii_lowercase());
                } else {
                    v.add(
                        "monetization_type",
                        "The selected monetization type is invalid.",
                    );
                }
            }
            "buyer" => match value.parse() {
                Ok(id) => f.buyer = Some(id),
                Err(_) => v.add("buyer", "The buyer must be an integer."),
            },
            "clawback_uuid" => f.clawback_uuid = Some(value.clone()),
            "gateway_uuid" => f.gateway_uuid = Some(value.clone()),
            "line_items" => match value
                .split_once(':')
                .map(|(k, n)| (k.trim().to_string(), n.trim().parse::<u64>()))
            {
                Some((key, Ok(n)))
                    if ["mod_id", "buyer_id", "game_id", "token_pack_id"]
                        .contains(&key.as_str()) =>
                {
                    f.line_item = Some((key, n))
                }
                _ => v.add(
                    "line_items",
                    "The line items filter must be key:value, i.e. mod_id:1 or buyer_id:1.",
                ),
            },
            "created_at_start" => match value.parse() {
                Ok(t) => f.created_at_start = Some(t),
                Err(_) => v.add(
                    "created_at_start",
                    "The created at start must be a unix timestamp.",
                ),
            },
            _ => {}
        }
    }
    v.finish()?;
    Ok(f)
}

fn matches(f: &Filter, t: &S2sTransaction) -> bool {
    (f.states.is_empty() || f.states.contains(&Some(t.state)))
        && f.monetization_type
            .as_deref()
            .is_none_or(|m| m == "external")
        && f.buyer.is_none_or(|b| b == t.user_id)
        && f.clawback_uuid
            .as_deref()
            .is_none_or(|c| t.clawback_uuid.as_deref() == Some(c))
        && f.gateway_uuid
            .as_deref()
            .is_none_or(|g| t.gateway_uuid.as_deref() == Some(g))
        && f.created_at_start.is_none_or(|s| t.purchase_date >= s)
        && f.line_item
            .as_ref()
            .is_none_or(|(key, n)| match key.as_str() {
                "buyer_id" => t.user_id == *n,
                "game_id" => t.game_id == *n,
                "token_pack_id" => t.token_pack_id == *n,
                // S2S transactions buy token packs, not mods.
                _ => false,
            })
}

/// The list, newest first, `_limit` per page (15 by default), paged by an opaque `cursor`.
pub fn list(state: &mut State, req: &Req, team: &str) -> Answer {
    let game_id = require_team(state, req, team)?;
    let f = filter(req)?;
    let mut v = Validation::new();
    let per_page = match req.query("_limit") {
        None => DEFAULT_PER_PAGE,
        Some(raw) => raw
            .parse::<usize>()
            .map(|n| n.clamp(1, MAX_PER_PAGE))
            .unwrap_or_else(|_| {
                v.add("_limit", "The _limit must be a non-negative integer.");
                DEFAULT_PER_PAGE
            }),
    };
    let offset = match req.query("cursor") {
        None => 0,
        Some(c) => decode_cursor(&c).unwrap_or_else(|| {
            v.add("cursor", "The cursor is invalid.");
            0
        }),
    };
    v.finish()?;
    let mut found: Vec<&S2sTransaction> = state
        .transactions
        .values()
        .filter(|t| t.game_id == game_id && matches(&f, t))
        .collect();
    found.sort_by(|a, b| b.purchase_date.cmp(&a.purchase_date).then(b.id.cmp(&a.id)));
    let data: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(per_page)
        .map(|t| object(state, t))
        .collect();
    let base = format!("/v1/s2s/monetization-teams/{team}/transactions");
    let link = |at: usize| format!("{base}?cursor={}&_limit={per_page}", encode_cursor(at));
    let next = (offset + per_page < found.len()).then(|| link(offset + per_page));
    let prev = (offset > 0).then(|| link(offset.saturating_sub(per_page)));
    ok(json!({
        "data": data,
        // The reference's name for the pagination object.
        "download": {
            "per_page": per_page,
            "current_page": link(offset),
            "next_page_url": next,
            "prev_page_url": prev
        }
    }))
}

/// One transaction, as `{"data": [object]}` (get-monetization-transaction.json).
pub fn get(state: &mut State, req: &Req, team: &str, id: &str) -> Answer {
    let game_id = require_team(state, req, team)?;
    let id = path_id(id, errors::resource_not_found)?;
    let t = state
        .transactions
        .get(&id)
        .filter(|t| t.game_id == game_id)
        .ok_or_else(errors::resource_not_found)?;
    let mut o = object(state, t);
    o["items"] = json!([]);
    ok(json!({"data": [o]}))
}

fn encode_cursor(offset: usize) -> String {
    format!("o{offset:x}")
}

fn decode_cursor(cursor: &str) -> Option<usize> {
    usize::from_str_radix(cursor.strip_prefix('o')?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_the_reference_writes_them() {
        assert_eq!(human_date(1_728_268_151), "2024-10-07 02:29:11");
        assert_eq!(human_date(0), "1970-01-01 00:00:00");
    }
}
