//! Filtering and sorting of mod listings (`restapi/restapi-filtering.md`, and the parameters
//! and `x-sortFilters` of `openapi/get-mods.json` and `get-user-purchases.json`).
//!
//! A filter is `field` plus an optional operator suffix: `=` (none), `-not`, `-lk`, `-not-lk`
//! (`*` wildcards), `-in`, `-not-in` (comma-separated), `-min`, `-max`, `-bitwise-and`; filters
//! combine with AND. `tags` is special, as `get-mods.json` says: `tags` needs every listed tag,
//! `tags-in` any of them, `tags-not-in` none. Query parameters that name no filterable field are
//! left alone (the routes read their own: `_q`, `_offset`, `revenue_type`, ...). `_sort` takes a
//! field, `-` in front for descending; ties keep id order.

use std::cmp::Ordering;

use crate::http::Req;
use crate::state::Mod;

/// A field of the mod object the fake can filter or sort on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    GameId,
    Name,
    NameId,
    Price,
    Tags,
    SubmittedBy,
    DateAdded,
    DateUpdated,
    DateLive,
    Modfile,
    DownloadsTotal,
    DownloadsToday,
    SubscribersTotal,
    RatingsWeighted,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "id" => Field::Id,
            "game_id" => Field::GameId,
            "name" => Field::Name,
            "name_id" => Field::NameId,
            "price" => Field::Price,
            "tags" => Field::Tags,
            "submitted_by" => Field::SubmittedBy,
            "date_added" => Field::DateAdded,
            "date_updated" => Field::DateUpdated,
            "date_live" => Field::DateLive,
            "modfile" => Field::Modfile,
            "downloads_total" => Field::DownloadsTotal,
            "downloads_today" => Field::DownloadsToday,
            "subscribers_total" => Field::SubscribersTotal,
            "ratings_weighted_aggregate" => Field::RatingsWeighted,
            _ => return None,
        })
    }

    /// The fields `x-sortFilters` lists, plus `id` (the default order) and `price` (a parent
    /// field like the others; mod.io sorts on parent fields).
    fn sortable(self) -> bool {
        !matches!(
            self,
            Field::Tags | Field::GameId | Field::Modfile | Field::NameId
        )
    }
}

/// A value of a field on one mod, as the mod object shows it.
enum Value<'a> {
    Number(i64),
    Text(&'a str),
}

fn value(m: &Mod, field: Field) -> Value<'_> {
    match field {
        Field::Id => Value::Number(m.id as i64),
        Field::GameId => Value::Number(m.game_id as i64),
        Field::Name => Value::Text(&m.name),
        Field::NameId => Value::Text(&m.name_id),
        Field::Price => Value::Number(m.price),
        // Compared tag by tag (see `Cond::matches`); this is only for completeness.
        Field::Tags => Value::Text(m.tags.first().map_or("", String::as_str)),
        // The fake's submitter is a display name; its numeric id is not modelled (1).
        Field::SubmittedBy => Value::Number(1),
        Field::DateAdded | Field::DateLive => Value::Number(m.date_added),
        Field::DateUpdated => Value::Number(m.date_updated),
        Field::Modfile => Value::Number(m.modfile_id as i64),
        Field::DownloadsTotal => Value::Number(m.downloads_total as i64),
        // As the mod object renders its stats (objects.rs).
        Field::DownloadsToday => Value::Number((m.downloads_total / 100) as i64),
        Field::SubscribersTotal => Value::Number(m.subscribers_total as i64),
        Field::RatingsWeighted => Value::Number(ratings_weighted(m)),
    }
}

/// The stats' `ratings_weighted_aggregate` (0..1) in millionths, for comparing.
fn ratings_weighted(m: &Mod) -> i64 {
    let total = m.ratings_positive + m.ratings_negative;
    (m.ratings_positive * 1_000_000)
        .checked_div(total)
        .unwrap_or(0) as i64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Not,
    Like,
    NotLike,
    In,
    NotIn,
    Min,
    Max,
    BitwiseAnd,
}

/// Longest suffix first: `-not-lk` before `-not` and `-lk`.
const SUFFIXES: [(&str, Op); 8] = [
    ("-not-lk", Op::NotLike),
    ("-not-in", Op::NotIn),
    ("-bitwise-and", Op::BitwiseAnd),
    ("-not", Op::Not),
    ("-lk", Op::Like),
    ("-in", Op::In),
    ("-min", Op::Min),
    ("-max", Op::Max),
];

struct Cond {
    field: Field,
    op: Op,
    values: Vec<String>,
}

/// SQL `LIKE` with `*` wildcards, case-insensitive (as MySQL's default collation compares).
fn like(pattern: &str, text: &str) -> bool {
    let (pattern, text) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

impl Cond {
    fn matches(&self, m: &Mod) -> bool {
        if self.field == Field::Tags {
            let has = |t: &String| m.tags.iter().any(|own| own.eq_ignore_ascii_case(t));
            return match self.op {
                Op::Eq => self.values.iter().all(has),
                Op::In => self.values.iter().any(has),
                Op::NotIn | Op::Not => !self.values.iter().any(has),
                Op::Like => m
                    .tags
                    .iter()
                    .any(|own| self.values.iter().any(|p| like(p, own))),
                Op::NotLike => !m
                    .tags
                    .iter()
                    .any(|own| self.values.iter().any(|p| like(p, own))),
                Op::Min | Op::Max | Op::BitwiseAnd => false,
            };
        }
        match value(m, self.field) {
            Value::Number(n) => {
                let nums: Vec<i64> = self.values.iter().filter_map(|v| v.parse().ok()).collect();
                let first = nums.first().copied().unwrap_or(0);
                match self.op {
                    Op::Eq => n == first,
                    Op::Not => n != first,
                    Op::In => nums.contains(&n),
                    Op::NotIn => !nums.contains(&n),
                    Op::Min => n >= first,
                    Op::Max => n <= first,
                    Op::BitwiseAnd => n & first != 0,
                    Op::Like => self.values.iter().any(|p| like(p, &n.to_string())),
                    Op::NotLike => !self.values.iter().any(|p| like(p, &n.to_string())),
                }
            }
            Value::Text(t) => match self.op {
                Op::Eq => t.eq_ignore_ascii_case(&self.values[0]),
                Op::Not => !t.eq_ignore_ascii_case(&self.values[0]),
                Op::Like => like(&self.values[0], t),
                Op::NotLike => !like(&self.values[0], t),
                Op::In => self.values.iter().any(|v| t.eq_ignore_ascii_case(v)),
                Op::NotIn => !self.values.iter().any(|v| t.eq_ignore_ascii_case(v)),
                Op::Min => t >= self.values[0].as_str(),
                Op::Max => t <= self.values[0].as_str(),
                Op::BitwiseAnd => false,
            },
        }
    }
}

/// The filters and the sort of one listing request.
pub struct ModFilter {
    conds: Vec<Cond>,
    sort: Option<(Field, bool)>,
}

/// Why a filter or sort was refused: (field, message), for a 422 / 13009.
pub type Invalid = (String, String);

impl ModFilter {
    /// Reads every filter and `_sort` from the query. A numeric field given a value that is
    /// not an integer, an unknown `_sort` field and an empty `-in` list are refused.
    pub fn from_request(req: &Req) -> Result<ModFilter, Invalid> {
        let mut conds = Vec::new();
        for (key, raw) in req.query_pairs() {
            let (name, op) = SUFFIXES
                .iter()
                .find_map(|(suffix, op)| key.strip_suffix(suffix).map(|n| (n, *op)))
                .unwrap_or((key.as_str(), Op::Eq));
            let Some(field) = Field::parse(name) else {
                continue;
            };
            let listed = matches!(op, Op::In | Op::NotIn) || (field == Field::Tags && op == Op::Eq);
            let values: Vec<String> = if listed {
                raw.split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
                    .collect()
            } else {
                vec![raw.clone()]
            };
            if values.is_empty() {
                return Err((
                    key.clone(),
                    format!("The {key} filter needs at least one value."),
                ));
            }
            let numeric =
                matches!(value_kind(field), Kind::Number) && !matches!(op, Op::Like | Op::NotLike);
            if numeric && values.iter().any(|v| v.parse::<i64>().is_err()) {
                return Err((key.clone(), format!("The {key} filter must be an integer.")));
            }
            conds.push(Cond { field, op, values });
        }
        let sort = match req.query("_sort").filter(|s| !s.is_empty()) {
            None => None,
            Some(raw) => {
                let (name, descending) = match raw.strip_prefix('-') {
                    Some(name) => (name.to_owned(), true),
                    None => (raw.clone(), false),
                };
                match Field::parse(&name).filter(|f| f.sortable()) {
                    Some(field) => Some((field, descending)),
                    None => {
                        return Err((
                            "_sort".into(),
                            format!("The mods cannot be sorted by {name}."),
                        ))
                    }
                }
            }
        };
        Ok(ModFilter { conds, sort })
    }

    pub fn matches(&self, m: &Mod) -> bool {
        self.conds.iter().all(|c| c.matches(m))
    }

    /// Sorts `mods` by `_sort` (stable: equal values keep the order they came in).
    pub fn sort(&self, mods: &mut [&Mod]) {
        let Some((field, descending)) = self.sort else {
            return;
        };
        mods.sort_by(|a, b| {
            let order = match (value(a, field), value(b, field)) {
                (Value::Number(x), Value::Number(y)) => x.cmp(&y),
                (Value::Text(x), Value::Text(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
                _ => Ordering::Equal,
            };
            if descending {
                order.reverse()
            } else {
                order
            }
        });
    }
}

enum Kind {
    Number,
    Text,
}

fn value_kind(field: Field) -> Kind {
    match field {
        Field::Name | Field::NameId | Field::Tags => Kind::Text,
        _ => Kind::Number,
    }
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn like_follows_the_reference_examples() {
        assert!(like("texture", "Texture"));
        assert!(!like("texture", "textures"));
        assert!(like("texture*", "texture pack"));
        assert!(!like("texture*", "HD textures"));
        assert!(like("*texture*", "HD textures"));
        assert!(like("*texture*", "armor texture pack"));
        assert!(like("*pack", "armor texture pack"));
        assert!(like("a*c*e", "abcde"));
        assert!(!like("a*c*e", "abdf"));
    }
}
