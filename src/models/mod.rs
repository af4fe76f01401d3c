//! The mod.io API objects the library reads, decoded leniently: numbers that the docs show both as
//! numbers and strings are accepted either way, missing optional fields take defaults, and a value
//! of the wrong type in a field the library needs is a `MalformedResponse`, never a panic.

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::error::{Error, Result, Secret};

mod store;
pub use store::{EntitlementKind, Terms, TermsLink, TokenPack, TokenPacks, UnconvertedEntitlement, UnconvertedEntitlements};

// ---------------------------------------------------------------------------------------------
// Lenient scalar decoding
// ---------------------------------------------------------------------------------------------

fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Integer or numeric string; null/absent → 0.
pub(crate) fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(0);
    }
    as_i64(&v).ok_or_else(|| de::Error::custom(format!("expected an integer, found {}", kind(&v))))
}

/// Unsigned integer or numeric string; null/absent → 0.
pub(crate) fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(0);
    }
    as_u64(&v).ok_or_else(|| de::Error::custom(format!("expected an unsigned integer, found {}", kind(&v))))
}

/// String, or a number rendered as a string; null/absent → "".
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => return Err(de::Error::custom(format!("expected a string, found {}", kind(&other)))),
    })
}

/// Bool, or 0/1, or "true"/"false"; null/absent → false.
pub(crate) fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Null => false,
        Value::Bool(b) => b,
        Value::Number(n) => n.as_i64().unwrap_or(0) != 0,
        Value::String(s) => matches!(s.as_str(), "true" | "1"),
        other => return Err(de::Error::custom(format!("expected a boolean, found {}", kind(&other)))),
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::Null => 0.0,
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        other => return Err(de::Error::custom(format!("expected a number, found {}", kind(&other)))),
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What a JSON text holds, by its first character (for messages; the text is not parsed).
fn kind_of_text(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// `null` where an object is expected decodes as the default object.
fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Decodes an answer body into `T`, turning any decoding failure into `MalformedResponse`.
pub(crate) fn decode<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::malformed(format!("could not decode the {what}: {e}")))
}

fn decode_value<T: for<'de> Deserialize<'de>>(what: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::malformed(format!("could not decode the {what}: {e}")))
}

/// A JSON object body: anything else (array, string, null) is malformed.
pub(crate) fn decode_object(what: &str, body: &[u8]) -> Result<serde_json::Map<String, Value>> {
    match decode::<Value>(what, body)? {
        Value::Object(map) => Ok(map),
        other => Err(Error::malformed(format!("the {what} was {} instead of an object", kind(&other)))),
    }
}

// ---------------------------------------------------------------------------------------------
// Wallet
// ---------------------------------------------------------------------------------------------

/// `monetization_status` of a wallet: a set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MonetizationStatus(pub u32);

// Flag values of `monetization_status` (kept private: the C header has its own prefixed copies).
const STATUS_PENDING: u32 = 1;
const STATUS_REJECTED: u32 = 2;
const STATUS_REVIEW: u32 = 4;
const STATUS_ACTION: u32 = 8;
const STATUS_APPROVED: u32 = 16;
const STATUS_MEMBER: u32 = 32;

impl MonetizationStatus {
    pub fn bits(self) -> u32 {
        self.0
    }
    pub fn is_unregistered(self) -> bool {
        self.0 == 0
    }
    pub fn is_pending(self) -> bool {
        self.0 & STATUS_PENDING != 0
    }
    pub fn is_rejected(self) -> bool {
        self.0 & STATUS_REJECTED != 0
    }
    pub fn is_review(self) -> bool {
        self.0 & STATUS_REVIEW != 0
    }
    pub fn is_action(self) -> bool {
        self.0 & STATUS_ACTION != 0
    }
    pub fn is_approved(self) -> bool {
        self.0 & STATUS_APPROVED != 0
    }
    pub fn is_member(self) -> bool {
        self.0 & STATUS_MEMBER != 0
    }
}

/// The user's wallet for this game (`GET /me/wallets`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
#[non_exhaustive]
pub struct Wallet {
    #[serde(rename = "type", deserialize_with = "lenient_string")]
    pub wallet_type: String,
    #[serde(deserialize_with = "lenient_string")]
    pub currency: String,
    #[serde(deserialize_with = "lenient_string")]
    pub payment_method_id: String,
    #[serde(deserialize_with = "lenient_u64")]
    pub game_id: u64,
    #[serde(deserialize_with = "lenient_i64")]
    pub balance: i64,
    #[serde(deserialize_with = "lenient_i64")]
    pub pending_balance: i64,
    #[serde(deserialize_with = "lenient_i64")]
    pub deficit: i64,
    #[serde(deserialize_with = "lenient_monetization_status")]
    pub monetization_status: MonetizationStatus,
}

fn lenient_monetization_status<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<MonetizationStatus, D::Error> {
    let n = lenient_u64(d)?;
    u32::try_from(n).map(MonetizationStatus).map_err(|_| de::Error::custom("monetization_status out of range"))
}

impl Wallet {
    pub(crate) fn decode(body: &[u8]) -> Result<Wallet> {
        let obj = decode_object("wallet", body)?;
        if !obj.contains_key("balance") {
            return Err(Error::malformed("the wallet has no `balance`"));
        }
        decode_value("wallet", Value::Object(obj))
    }
}

// ---------------------------------------------------------------------------------------------
// Entitlement sync
// ---------------------------------------------------------------------------------------------

/// `transaction_state` of a synced entitlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntitlementState {
    Failed,
    Pending,
    Fulfilled,
    ConsumeLimitExceeded,
    /// A value the docs do not list, passed through.
    Unknown(i64),
}

impl EntitlementState {
    pub fn from_raw(v: i64) -> EntitlementState {
        match v {
            0 => EntitlementState::Failed,
            1 => EntitlementState::Pending,
            2 => EntitlementState::Fulfilled,
            3 => EntitlementState::ConsumeLimitExceeded,
            other => EntitlementState::Unknown(other),
        }
    }
    pub fn raw(self) -> i64 {
        match self {
            EntitlementState::Failed => 0,
            EntitlementState::Pending => 1,
            EntitlementState::Fulfilled => 2,
            EntitlementState::ConsumeLimitExceeded => 3,
            EntitlementState::Unknown(v) => v,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            EntitlementState::Failed => "failed",
            EntitlementState::Pending => "pending",
            EntitlementState::Fulfilled => "fulfilled",
            EntitlementState::ConsumeLimitExceeded => "consume limit exceeded",
            EntitlementState::Unknown(_) => "unknown",
        }
    }
}

/// One line of an entitlement sync answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Entitlement {
    pub transaction_id: String,
    pub state: EntitlementState,
    pub sku_id: String,
    pub consumed: bool,
    pub entitlement_type: i64,
    /// `details` as JSON text, when not null.
    pub details_json: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEntitlement {
    #[serde(deserialize_with = "lenient_string")]
    transaction_id: String,
    #[serde(deserialize_with = "lenient_i64")]
    transaction_state: i64,
    #[serde(deserialize_with = "lenient_string")]
    sku_id: String,
    #[serde(deserialize_with = "lenient_bool")]
    entitlement_consumed: bool,
    #[serde(deserialize_with = "lenient_i64")]
    entitlement_type: i64,
    details: Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSyncWallet {
    #[serde(deserialize_with = "lenient_i64")]
    balance: i64,
}

#[derive(Deserialize)]
struct RawSync {
    wallet: RawSyncWallet,
    #[serde(default, deserialize_with = "null_as_default")]
    data: Vec<RawEntitlement>,
}

/// The answer of an entitlement sync: the new balance and every entitlement line.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EntitlementSync {
    pub balance: i64,
    pub entitlements: Vec<Entitlement>,
}

impl EntitlementSync {
    pub(crate) fn decode(body: &[u8]) -> Result<EntitlementSync> {
        let raw: RawSync = decode("entitlement sync answer", body)?;
        Ok(EntitlementSync {
            balance: raw.wallet.balance,
            entitlements: raw
                .data
                .into_iter()
                .map(|e| Entitlement {
                    transaction_id: e.transaction_id,
                    state: EntitlementState::from_raw(e.transaction_state),
                    sku_id: e.sku_id,
                    consumed: e.entitlement_consumed,
                    entitlement_type: e.entitlement_type,
                    details_json: if e.details.is_null() { None } else { Some(e.details.to_string()) },
                })
                .collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Mods
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
struct RawLogo {
    #[serde(deserialize_with = "lenient_string")]
    original: String,
    #[serde(deserialize_with = "lenient_string")]
    thumb_640x360: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
struct RawFilehash {
    #[serde(deserialize_with = "lenient_string")]
    md5: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
struct RawDownload {
    #[serde(deserialize_with = "lenient_string")]
    binary_url: String,
    #[serde(deserialize_with = "lenient_i64")]
    date_expires: i64,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
struct RawModfile {
    #[serde(deserialize_with = "lenient_u64")]
    id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    mod_id: u64,
    #[serde(deserialize_with = "lenient_i64")]
    date_added: i64,
    #[serde(deserialize_with = "lenient_u64")]
    virus_status: u64,
    #[serde(deserialize_with = "lenient_u64")]
    virus_positive: u64,
    #[serde(deserialize_with = "lenient_u64")]
    filesize: u64,
    #[serde(deserialize_with = "lenient_u64")]
    filesize_uncompressed: u64,
    #[serde(deserialize_with = "lenient_string")]
    changelog: String,
    #[serde(deserialize_with = "lenient_string")]
    metadata_blob: String,
    #[serde(deserialize_with = "null_as_default")]
    filehash: RawFilehash,
    #[serde(deserialize_with = "lenient_string")]
    filename: String,
    #[serde(deserialize_with = "lenient_string")]
    version: String,
    #[serde(deserialize_with = "null_as_default")]
    download: RawDownload,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(default)]
struct RawStats {
    #[serde(deserialize_with = "lenient_u64")]
    downloads_total: u64,
    #[serde(deserialize_with = "lenient_u64")]
    subscribers_total: u64,
    #[serde(deserialize_with = "lenient_u64")]
    ratings_percentage_positive: u64,
    #[serde(deserialize_with = "lenient_f64")]
    ratings_weighted_aggregate: f64,
    #[serde(deserialize_with = "lenient_string")]
    ratings_display_text: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawMod {
    #[serde(deserialize_with = "lenient_u64")]
    id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    game_id: u64,
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_string")]
    name_id: String,
    #[serde(deserialize_with = "lenient_string")]
    summary: String,
    #[serde(deserialize_with = "lenient_i64")]
    price: i64,
    #[serde(deserialize_with = "lenient_i64")]
    tax: i64,
    #[serde(deserialize_with = "lenient_u64")]
    monetization_options: u64,
    #[serde(deserialize_with = "null_as_default")]
    logo: RawLogo,
    #[serde(deserialize_with = "lenient_string")]
    profile_url: String,
    #[serde(deserialize_with = "null_as_default")]
    modfile: RawModfile,
    #[serde(deserialize_with = "null_as_default")]
    stats: RawStats,
}

/// The modfile fields a store page or downloader needs.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Modfile {
    pub id: u64,
    pub filesize: u64,
    pub md5: String,
    pub filename: String,
    pub version: String,
    pub binary_url: String,
    pub mod_id: u64,
    pub date_added: i64,
    /// Unix time `binary_url` stops working (0: not said); the downloader fetches the modfile
    /// again when it has passed.
    pub date_expires: i64,
    pub filesize_uncompressed: u64,
    pub changelog: String,
    pub metadata_blob: String,
    /// 0 not scanned, 1 scanned, 2 in progress, 3 too large, 4 not found, 5 error.
    pub virus_status: u32,
    /// 0 no threats, 1 malicious, 2 potentially harmful.
    pub virus_positive: u32,
}

impl RawModfile {
    fn into_modfile(self, mod_id: u64) -> Modfile {
        Modfile {
            id: self.id,
            filesize: self.filesize,
            md5: self.filehash.md5,
            filename: self.filename,
            version: self.version,
            binary_url: self.download.binary_url,
            mod_id: if self.mod_id == 0 { mod_id } else { self.mod_id },
            date_added: self.date_added,
            date_expires: self.download.date_expires,
            filesize_uncompressed: self.filesize_uncompressed,
            changelog: self.changelog,
            metadata_blob: self.metadata_blob,
            virus_status: self.virus_status.min(u64::from(u32::MAX)) as u32,
            virus_positive: self.virus_positive.min(u64::from(u32::MAX)) as u32,
        }
    }
}

impl Modfile {
    /// `GET /games/{id}/mods/{mod_id}/files/{file_id}`: one modfile object.
    pub(crate) fn decode(body: &[u8]) -> Result<Modfile> {
        let raw: RawModfile = decode("modfile", body)?;
        if raw.id == 0 {
            return Err(Error::malformed("the modfile has no `id`"));
        }
        Ok(raw.into_modfile(0))
    }

    /// Whether the file was flagged by mod.io's virus scan (malicious or potentially harmful).
    pub fn flagged_by_scan(&self) -> bool {
        self.virus_positive != 0
    }
}

/// A mod with the fields a store page needs, and the whole object as JSON for the rest.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Mod {
    pub id: u64,
    pub game_id: u64,
    pub name: String,
    pub name_id: String,
    pub summary: String,
    /// Price in the game's virtual currency (0 for free mods).
    pub price: i64,
    pub tax: i64,
    pub monetization_options: u64,
    pub logo_url: String,
    pub logo_thumb_url: String,
    pub profile_url: String,
    pub modfile: Modfile,
    pub downloads_total: u64,
    pub subscribers_total: u64,
    pub rating_percentage_positive: u64,
    pub rating_weighted_aggregate: f64,
    pub rating_display_text: String,
    /// The whole mod object as the server sent it.
    pub json: String,
}

impl Mod {
    /// From a mod object already parsed (the checkout answer's `mod`).
    pub(crate) fn from_value(value: Value) -> Result<Mod> {
        let text = RawValue::from_string(value.to_string()).map_err(|e| Error::malformed(format!("could not decode the mod: {e}")))?;
        Mod::from_raw(&text)
    }

    /// Straight from the object's text: the typed fields are decoded from it (the rest of the
    /// object is skipped, never built into a tree) and the text itself is kept as `json`.
    pub(crate) fn from_raw(text: &RawValue) -> Result<Mod> {
        let json = text.get();
        if !json.starts_with('{') {
            return Err(Error::malformed(format!("a mod was {} instead of an object", kind_of_text(json))));
        }
        let raw: RawMod = serde_json::from_str(json).map_err(|e| Error::malformed(format!("could not decode the mod: {e}")))?;
        let json = json.to_owned();
        if raw.id == 0 {
            return Err(Error::malformed("a mod has no `id`"));
        }
        Ok(Mod {
            id: raw.id,
            game_id: raw.game_id,
            name: raw.name,
            name_id: raw.name_id,
            summary: raw.summary,
            price: raw.price,
            tax: raw.tax,
            monetization_options: raw.monetization_options,
            logo_url: raw.logo.original,
            logo_thumb_url: raw.logo.thumb_640x360,
            profile_url: raw.profile_url,
            modfile: raw.modfile.into_modfile(raw.id),
            downloads_total: raw.stats.downloads_total,
            subscribers_total: raw.stats.subscribers_total,
            rating_percentage_positive: raw.stats.ratings_percentage_positive,
            rating_weighted_aggregate: raw.stats.ratings_weighted_aggregate,
            rating_display_text: raw.stats.ratings_display_text,
            json,
        })
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Mod> {
        let text: &RawValue = serde_json::from_slice(body).map_err(|e| Error::malformed(format!("could not decode the mod: {e}")))?;
        Mod::from_raw(text)
    }
}

/// Pagination metadata of a list answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PageInfo {
    #[serde(deserialize_with = "lenient_u64")]
    pub result_count: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub result_offset: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub result_limit: u64,
    #[serde(deserialize_with = "lenient_u64")]
    pub result_total: u64,
}

/// One page of mods.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ModPage {
    pub mods: Vec<Mod>,
    pub page: PageInfo,
}

/// A list answer as text: each item of `data` stays unparsed until its mod is decoded.
#[derive(Deserialize)]
struct RawList<'a> {
    #[serde(borrow, default)]
    data: ListData<'a>,
    #[serde(default, deserialize_with = "lenient_u64")]
    result_count: u64,
    #[serde(default, deserialize_with = "lenient_u64")]
    result_offset: u64,
    #[serde(default, deserialize_with = "lenient_u64")]
    result_limit: u64,
    #[serde(default, deserialize_with = "lenient_u64")]
    result_total: u64,
}

/// A list's `data` as the page is read: the text of each item, captured in the same pass that reads
/// the rest of the page (capturing the array whole and reading it again to split it would scan
/// every mod's bytes once more, a third of the decoding).
#[derive(Default)]
enum ListData<'a> {
    Items(Vec<&'a RawValue>),
    /// Absent or null.
    #[default]
    Missing,
    /// Not an array: what it was, for the error.
    Not(&'static str),
}

impl<'de: 'a, 'a> Deserialize<'de> for ListData<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Items;
        impl<'de> de::Visitor<'de> for Items {
            type Value = ListData<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("the `data` array")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(ListData::Items(items))
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(ListData::Missing)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
                while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(ListData::Not("an object"))
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(ListData::Not("a string"))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(ListData::Not("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(ListData::Not("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(ListData::Not("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(ListData::Not("a number"))
            }
        }
        d.deserialize_any(Items)
    }
}

impl ModPage {
    /// Decodes the page straight into typed mods (no `serde_json::Value` tree, no re-serializing).
    pub(crate) fn decode(body: &[u8]) -> Result<ModPage> {
        let text = std::str::from_utf8(body).map_err(|_| Error::malformed("the mod list is not UTF-8"))?;
        let first = text.trim_start();
        if !first.starts_with('{') {
            return Err(Error::malformed(format!("the mod list was {} instead of an object", kind_of_text(first))));
        }
        let list: RawList<'_> = serde_json::from_str(text).map_err(|e| Error::malformed(format!("could not decode the mod list: {e}")))?;
        let items = match list.data {
            ListData::Missing => return Err(Error::malformed("the mod list has no `data` array")),
            ListData::Not(kind) => return Err(Error::malformed(format!("the mod list's `data` was {kind}"))),
            ListData::Items(items) => items,
        };
        let mods = items.into_iter().map(Mod::from_raw).collect::<Result<Vec<_>>>()?;
        let page = PageInfo {
            result_count: list.result_count,
            result_offset: list.result_offset,
            result_limit: list.result_limit,
            result_total: list.result_total,
        };
        Ok(ModPage { mods, page })
    }
}

/// `revenue_type` filter of the mod list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RevenueType {
    #[default]
    Free = 0,
    Paid = 1,
    Both = 2,
}

impl RevenueType {
    pub fn from_raw(v: u32) -> Option<RevenueType> {
        match v {
            0 => Some(RevenueType::Free),
            1 => Some(RevenueType::Paid),
            2 => Some(RevenueType::Both),
            _ => None,
        }
    }
}

/// A listing's order (`_sort`): the fields `get-mods.json` documents as sortable, and price.
/// The numbers are the C ABI's (`modio_market_mod_sort_field`, generated from this enum): never renumber.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ModSortField {
    /// The API's default order: by id, oldest first.
    #[default]
    Id = 0,
    /// Alphabetical (`name`).
    Name = 1,
    /// When the mod went live (`date_live`): descending is "newest".
    DateLive = 2,
    /// Last update (`date_updated`).
    DateUpdated = 3,
    /// Downloads in the last 24 hours (`downloads_today`): descending is "trending".
    DownloadsToday = 4,
    /// All-time downloads (`downloads_total`): descending is "most popular".
    DownloadsTotal = 5,
    /// Subscribers (`subscribers_total`).
    SubscribersTotal = 6,
    /// Rating (`ratings_weighted_aggregate`): descending is "highest rated".
    Rating = 7,
    /// Price (`price`).
    Price = 8,
}

impl ModSortField {
    pub fn from_raw(v: u32) -> Option<ModSortField> {
        Some(match v {
            0 => ModSortField::Id,
            1 => ModSortField::Name,
            2 => ModSortField::DateLive,
            3 => ModSortField::DateUpdated,
            4 => ModSortField::DownloadsToday,
            5 => ModSortField::DownloadsTotal,
            6 => ModSortField::SubscribersTotal,
            7 => ModSortField::Rating,
            8 => ModSortField::Price,
            _ => return None,
        })
    }

    /// The field's name in `_sort`.
    pub fn api_name(self) -> &'static str {
        match self {
            ModSortField::Id => "id",
            ModSortField::Name => "name",
            ModSortField::DateLive => "date_live",
            ModSortField::DateUpdated => "date_updated",
            ModSortField::DownloadsToday => "downloads_today",
            ModSortField::DownloadsTotal => "downloads_total",
            ModSortField::SubscribersTotal => "subscribers_total",
            ModSortField::Rating => "ratings_weighted_aggregate",
            ModSortField::Price => "price",
        }
    }
}

/// At most this many ids in [`ModQuery::ids`], and tags in each tag list: a page holds 100
/// mods, and the query string must stay a sane length.
pub const MAX_QUERY_IDS: usize = 100;
pub const MAX_QUERY_TAGS: usize = 32;

/// What to list: `GET /games/{id}/mods`, with the filters and orders a store page needs
/// (`restapi-filtering.md`). Every filter is optional; they combine with AND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModQuery {
    pub revenue_type: RevenueType,
    pub offset: u64,
    /// 1 to 100.
    pub limit: u64,
    /// Full-text search on the name (`_q`), when set.
    pub search: Option<String>,
    /// The order (`_sort`); ties stay in id order.
    pub sort: ModSortField,
    pub descending: bool,
    /// Only these mods (`id-in`), when not empty; at most [`MAX_QUERY_IDS`], none 0.
    pub ids: Vec<u64>,
    /// Only mods with every one of these tags (`tags`).
    pub tags_all: Vec<String>,
    /// Only mods with at least one of these tags (`tags-in`).
    pub tags_any: Vec<String>,
    /// Price bounds in the game's virtual currency, inclusive (`price-min`, `price-max`).
    pub price_min: Option<u64>,
    pub price_max: Option<u64>,
}

impl Default for ModQuery {
    fn default() -> ModQuery {
        ModQuery {
            revenue_type: RevenueType::Paid,
            offset: 0,
            limit: 100,
            search: None,
            sort: ModSortField::Id,
            descending: false,
            ids: Vec::new(),
            tags_all: Vec::new(),
            tags_any: Vec::new(),
            price_min: None,
            price_max: None,
        }
    }
}

impl ModQuery {
    /// Every rule of a query, checked before anything is sent.
    pub fn validate(&self) -> Result<(), Error> {
        if !(1..=100).contains(&self.limit) {
            return Err(Error::invalid_argument("limit", "must be between 1 and 100"));
        }
        if self.ids.len() > MAX_QUERY_IDS {
            return Err(Error::invalid_argument("ids", "at most 100 ids (MAX_QUERY_IDS)"));
        }
        if self.ids.contains(&0) {
            return Err(Error::invalid_argument("ids", "a mod id is never 0"));
        }
        for (name, tags) in [("tags_all", &self.tags_all), ("tags_any", &self.tags_any)] {
            if tags.len() > MAX_QUERY_TAGS {
                return Err(Error::invalid_argument(name, "at most 32 tags (MAX_QUERY_TAGS)"));
            }
            // The API takes a tag list comma-separated: a comma cannot be inside a tag.
            if tags.iter().any(|t| t.trim().is_empty() || t.contains(',')) {
                return Err(Error::invalid_argument(name, "a tag must not be empty or contain a comma"));
            }
        }
        if let (Some(min), Some(max)) = (self.price_min, self.price_max) {
            if min > max {
                return Err(Error::invalid_argument("price_min", "must not be above price_max"));
            }
        }
        Ok(())
    }

    /// The query parameters the request carries.
    pub(crate) fn parameters(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("revenue_type", (self.revenue_type as u32).to_string()),
            ("_offset", self.offset.to_string()),
            ("_limit", self.limit.to_string()),
        ];
        if let Some(search) = self.search.as_deref().filter(|s| !s.is_empty()) {
            out.push(("_q", search.to_owned()));
        }
        if self.sort != ModSortField::Id || self.descending {
            let sign = if self.descending { "-" } else { "" };
            out.push(("_sort", format!("{sign}{}", self.sort.api_name())));
        }
        let join = |v: &[String]| v.iter().map(|t| t.trim()).collect::<Vec<_>>().join(",");
        if !self.ids.is_empty() {
            out.push(("id-in", self.ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")));
        }
        if !self.tags_all.is_empty() {
            out.push(("tags", join(&self.tags_all)));
        }
        if !self.tags_any.is_empty() {
            out.push(("tags-in", join(&self.tags_any)));
        }
        if let Some(min) = self.price_min {
            out.push(("price-min", min.to_string()));
        }
        if let Some(max) = self.price_max {
            out.push(("price-max", max.to_string()));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Transactions and checkout
// ---------------------------------------------------------------------------------------------

/// `transaction_type`: the state of a transaction, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionState {
    Pending,
    Paid,
    Refunded,
    Cancelled,
    Cleared,
    Failed,
    /// A value the docs do not list, passed through as sent.
    Other(String),
}

impl TransactionState {
    pub fn parse(s: &str) -> TransactionState {
        match s.to_ascii_lowercase().as_str() {
            "pending" => TransactionState::Pending,
            "paid" => TransactionState::Paid,
            "refunded" => TransactionState::Refunded,
            "cancelled" | "canceled" => TransactionState::Cancelled,
            "cleared" => TransactionState::Cleared,
            "failed" => TransactionState::Failed,
            _ => TransactionState::Other(s.to_owned()),
        }
    }
    pub fn name(&self) -> &str {
        match self {
            TransactionState::Pending => "pending",
            TransactionState::Paid => "paid",
            TransactionState::Refunded => "refunded",
            TransactionState::Cancelled => "cancelled",
            TransactionState::Cleared => "cleared",
            TransactionState::Failed => "failed",
            TransactionState::Other(s) => s,
        }
    }
}

/// A mod.io transaction (checkout pay object, S2S intent/commit/clawback).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Transaction {
    pub id: u64,
    pub gateway_uuid: String,
    pub gross_amount: i64,
    pub net_amount: i64,
    pub platform_fee: i64,
    pub gateway_fee: i64,
    pub tax: i64,
    pub tax_type: String,
    pub state: TransactionState,
    /// `meta` as JSON text (an object or an array of objects).
    pub meta_json: String,
    pub purchase_date: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTransaction {
    #[serde(deserialize_with = "lenient_u64")]
    transaction_id: u64,
    #[serde(deserialize_with = "lenient_string")]
    gateway_uuid: String,
    #[serde(deserialize_with = "lenient_i64")]
    gross_amount: i64,
    #[serde(deserialize_with = "lenient_i64")]
    net_amount: i64,
    #[serde(deserialize_with = "lenient_i64")]
    platform_fee: i64,
    #[serde(deserialize_with = "lenient_i64")]
    gateway_fee: i64,
    #[serde(deserialize_with = "lenient_i64")]
    tax: i64,
    #[serde(deserialize_with = "lenient_string")]
    tax_type: String,
    #[serde(deserialize_with = "lenient_string")]
    transaction_type: String,
    meta: Value,
    #[serde(deserialize_with = "lenient_i64")]
    purchase_date: i64,
}

impl Transaction {
    fn from_raw(raw: RawTransaction) -> Transaction {
        Transaction {
            id: raw.transaction_id,
            gateway_uuid: raw.gateway_uuid,
            gross_amount: raw.gross_amount,
            net_amount: raw.net_amount,
            platform_fee: raw.platform_fee,
            gateway_fee: raw.gateway_fee,
            tax: raw.tax,
            tax_type: raw.tax_type,
            state: TransactionState::parse(&raw.transaction_type),
            meta_json: if raw.meta.is_null() { "{}".to_owned() } else { raw.meta.to_string() },
            purchase_date: raw.purchase_date,
        }
    }

    pub(crate) fn decode(body: &[u8]) -> Result<Transaction> {
        let obj = decode_object("transaction", body)?;
        Transaction::from_object(obj)
    }

    fn from_object(obj: serde_json::Map<String, Value>) -> Result<Transaction> {
        if !obj.contains_key("transaction_id") {
            return Err(Error::malformed("the transaction has no `transaction_id`"));
        }
        Ok(Transaction::from_raw(decode_value("transaction", Value::Object(obj))?))
    }
}

/// The answer of a successful checkout: the transaction, the wallet after it, and the mod.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CheckoutReceipt {
    pub transaction: Transaction,
    pub balance: i64,
    pub deficit: i64,
    pub wallet_type: String,
    pub payment_method_id: String,
    pub purchased_mod: Mod,
    /// The idempotency key the checkout was sent with (set by the client, not the server).
    pub idempotency_key: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawReceiptWallet {
    #[serde(deserialize_with = "lenient_i64")]
    balance: i64,
    #[serde(deserialize_with = "lenient_i64")]
    deficit: i64,
    #[serde(deserialize_with = "lenient_string")]
    wallet_type: String,
    #[serde(deserialize_with = "lenient_string")]
    payment_method_id: String,
}

impl CheckoutReceipt {
    pub(crate) fn decode(body: &[u8]) -> Result<CheckoutReceipt> {
        let mut obj = decode_object("checkout answer", body)?;
        let mod_value = obj.remove("mod").ok_or_else(|| Error::malformed("the checkout answer has no `mod`"))?;
        let purchased_mod = Mod::from_value(mod_value)?;
        let wallet: RawReceiptWallet = decode_value("checkout answer", Value::Object(obj.clone()))?;
        let transaction = Transaction::from_object(obj)?;
        Ok(CheckoutReceipt {
            transaction,
            balance: wallet.balance,
            deficit: wallet.deficit,
            wallet_type: wallet.wallet_type,
            payment_method_id: wallet.payment_method_id,
            purchased_mod,
            idempotency_key: String::new(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Game, tokens
// ---------------------------------------------------------------------------------------------

/// `api_access_options` of a game: a set of flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApiAccessOptions(pub u32);

// Flag values of `api_access_options` (private: the C header has its own prefixed copies).
const ACCESS_OPEN: u32 = 1;
const ACCESS_DOWNLOADS: u32 = 2;
const ACCESS_AUTHORISED_DOWNLOADS: u32 = 4;
const ACCESS_PAID_DOWNLOADS: u32 = 8;

impl ApiAccessOptions {
    pub fn bits(self) -> u32 {
        self.0
    }
    /// Allow 3rd parties to access this game's API endpoints.
    pub fn open(self) -> bool {
        self.0 & ACCESS_OPEN != 0
    }
    /// Mods may be downloaded directly (else download URLs carry a changing verification hash).
    pub fn direct_downloads(self) -> bool {
        self.0 & ACCESS_DOWNLOADS != 0
    }
    /// Downloads need a bearer token.
    pub fn authorised_downloads_only(self) -> bool {
        self.0 & ACCESS_AUTHORISED_DOWNLOADS != 0
    }
    /// Downloads need a bearer token and the user must own the file.
    pub fn paid_downloads_need_purchase(self) -> bool {
        self.0 & ACCESS_PAID_DOWNLOADS != 0
    }
}

/// The game's settings that matter to a store (`GET /games/{id}`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Game {
    pub id: u64,
    pub name: String,
    pub api_access_options: ApiAccessOptions,
    pub monetization_options: u64,
    pub token_name: String,
    pub json: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawGame {
    #[serde(deserialize_with = "lenient_u64")]
    id: u64,
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_u64")]
    api_access_options: u64,
    #[serde(deserialize_with = "lenient_u64")]
    monetization_options: u64,
    #[serde(deserialize_with = "lenient_string")]
    token_name: String,
}

impl Game {
    pub(crate) fn decode(body: &[u8]) -> Result<Game> {
        let obj = decode_object("game", body)?;
        let json = Value::Object(obj.clone()).to_string();
        let raw: RawGame = decode_value("game", Value::Object(obj))?;
        if raw.id == 0 {
            return Err(Error::malformed("the game has no `id`"));
        }
        let options = u32::try_from(raw.api_access_options).map_err(|_| Error::malformed("api_access_options out of range"))?;
        Ok(Game {
            id: raw.id,
            name: raw.name,
            api_access_options: ApiAccessOptions(options),
            monetization_options: raw.monetization_options,
            token_name: raw.token_name,
            json,
        })
    }
}

/// A user access token returned by platform authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AccessToken {
    pub token: Secret,
    /// Unix time the token expires.
    pub date_expires: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAccessToken {
    #[serde(deserialize_with = "lenient_string")]
    access_token: String,
    #[serde(deserialize_with = "lenient_i64")]
    date_expires: i64,
}

impl AccessToken {
    pub(crate) fn decode(body: &[u8]) -> Result<AccessToken> {
        let raw: RawAccessToken = decode("access token answer", body)?;
        if raw.access_token.is_empty() {
            return Err(Error::malformed("the access token answer has no `access_token`"));
        }
        Ok(AccessToken { token: Secret::new(raw.access_token), date_expires: raw.date_expires })
    }
}

/// A user delegation token for a studio's purchase server (`POST /me/s2s/oauth/token`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DelegationToken {
    pub entity: String,
    pub token: Secret,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawDelegationToken {
    #[serde(deserialize_with = "lenient_string")]
    entity: String,
    #[serde(deserialize_with = "lenient_string")]
    token: String,
}

impl DelegationToken {
    pub(crate) fn decode(body: &[u8]) -> Result<DelegationToken> {
        let raw: RawDelegationToken = decode("delegation token answer", body)?;
        if raw.token.is_empty() {
            return Err(Error::malformed("the delegation token answer has no `token`"));
        }
        Ok(DelegationToken { entity: raw.entity, token: Secret::new(raw.token) })
    }
}

/// The authenticated user (`GET /me`): the library needs only the id, to key its journal and cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub username: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawUser {
    #[serde(deserialize_with = "lenient_u64")]
    id: u64,
    #[serde(deserialize_with = "lenient_string")]
    username: String,
}

impl User {
    pub(crate) fn decode(body: &[u8]) -> Result<User> {
        let raw: RawUser = decode("user", body)?;
        if raw.id == 0 {
            return Err(Error::malformed("the user has no `id`"));
        }
        Ok(User { id: raw.id, username: raw.username })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_from_the_guide() {
        let body = br#"{"type":"standard_mio","currency":"mio","payment_method_id":"81a9h105","balance":200,
            "pending_balance":0,"deficit":0,"monetization_status":33,"game_id":2795}"#;
        let w = Wallet::decode(body).unwrap();
        assert_eq!(w.balance, 200);
        assert_eq!(w.game_id, 2795);
        assert!(w.monetization_status.is_member());
        assert!(w.monetization_status.is_pending());
        assert!(!w.monetization_status.is_approved());
        // The OpenAPI object types game_id as a string.
        let w = Wallet::decode(br#"{"balance":"5","game_id":"7"}"#).unwrap();
        assert_eq!((w.balance, w.game_id), (5, 7));
    }

    #[test]
    fn wallet_errors_are_typed() {
        for bad in [&b"null"[..], b"[]", b"{\"balance\":\"lots\"}", b"{}", b"{\"balance\":1", b"<html>"] {
            let e = Wallet::decode(bad).unwrap_err();
            assert_eq!(e.code(), crate::error::ResultCode::MalformedResponse, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn sync_answer_names_states() {
        let body = br#"{"wallet":{"balance":200},"data":[{"transaction_id":"3925648920","transaction_state":2,
            "sku_id":"PACK001","entitlement_consumed":true,"entitlement_type":1,"details":null},
            {"transaction_id":12,"transaction_state":7,"sku_id":"X","entitlement_consumed":false,"entitlement_type":0,"details":{"a":1}}]}"#;
        let s = EntitlementSync::decode(body).unwrap();
        assert_eq!(s.balance, 200);
        assert_eq!(s.entitlements[0].state, EntitlementState::Fulfilled);
        assert_eq!(s.entitlements[0].transaction_id, "3925648920");
        assert!(s.entitlements[0].consumed);
        assert_eq!(s.entitlements[1].transaction_id, "12");
        assert_eq!(s.entitlements[1].state, EntitlementState::Unknown(7));
        assert_eq!(s.entitlements[1].details_json.as_deref(), Some(r#"{"a":1}"#));
        assert!(EntitlementSync::decode(br#"{"data":[]}"#).is_err(), "a sync answer without a wallet is malformed");
    }

    #[test]
    fn mod_page_keeps_big_ids_and_json() {
        let body = br#"{"data":[{"id":5000000000,"game_id":1,"name":"N","price":100,"logo":{"original":"https://l"},
            "modfile":{"id":9,"filesize":15181,"filehash":{"md5":"2d4a"},"version":"1.3"},
            "stats":{"downloads_total":27492,"ratings_percentage_positive":91,"ratings_weighted_aggregate":87.38}}],
            "result_count":1,"result_offset":0,"result_limit":100,"result_total":1}"#;
        let p = ModPage::decode(body).unwrap();
        let m = &p.mods[0];
        assert_eq!(m.id, 5_000_000_000);
        assert_eq!(m.modfile.md5, "2d4a");
        assert_eq!(m.downloads_total, 27492);
        assert!(m.json.contains("\"price\":100"));
        assert_eq!(p.page.result_total, 1);
        let message = |body: &[u8]| ModPage::decode(body).err().map(|e| e.message().to_owned());
        for body in [&br#"{"data":null}"#[..], br#"{"result_count":0}"#] {
            assert_eq!(message(body).as_deref(), Some("the mod list has no `data` array"), "{:?}", std::str::from_utf8(body));
        }
        for (data, kind) in
            [(r#""x""#, "a string"), ("{\"a\":[1]}", "an object"), ("true", "a boolean"), ("-1.5", "a number"), ("7", "a number")]
        {
            let body = format!(r#"{{"data":{data},"result_total":1}}"#);
            assert_eq!(message(body.as_bytes()), Some(format!("the mod list's `data` was {kind}")));
        }
        assert_eq!(ModPage::decode(br#"{"data":[],"result_total":0}"#).map(|p| p.mods.len()).ok(), Some(0), "an empty page");
        assert!(ModPage::decode(br#"{"data":[{"id":1},]}"#).is_err(), "a trailing comma is not JSON");
        assert!(ModPage::decode(br#"{"data":[null]}"#).is_err());
        assert!(ModPage::decode(br#"{"data":[{"id":"x"}]}"#).is_err());
        // null where an object was expected is a default, not an error
        let p = ModPage::decode(br#"{"data":[{"id":3,"logo":null,"modfile":null,"stats":null}]}"#).unwrap();
        assert_eq!(p.mods[0].modfile.id, 0);
    }

    #[test]
    fn transaction_states_compare_case_insensitively() {
        assert_eq!(TransactionState::parse("PAID"), TransactionState::Paid);
        assert_eq!(TransactionState::parse("paid"), TransactionState::Paid);
        assert_eq!(TransactionState::parse("Refunded"), TransactionState::Refunded);
        assert_eq!(TransactionState::parse("weird"), TransactionState::Other("weird".into()));
    }

    #[test]
    fn checkout_receipt_from_the_guide() {
        let body = br#"{"transaction_id":1274342921,"gateway_uuid":"123e","gross_amount":120,"net_amount":120,
            "platform_fee":30,"gateway_fee":3,"transaction_type":"PAID","meta":{},"purchase_date":1626667557,
            "wallet_type":"STANDARD_MIO","balance":80,"deficit":0,"payment_method_id":"p","mod":{"id":2,"price":100}}"#;
        let r = CheckoutReceipt::decode(body).unwrap();
        assert_eq!(r.transaction.id, 1274342921);
        assert_eq!(r.transaction.state, TransactionState::Paid);
        assert_eq!(r.balance, 80);
        assert_eq!(r.purchased_mod.id, 2);
        assert!(CheckoutReceipt::decode(br#"{"transaction_id":1}"#).is_err());
    }

    #[test]
    fn game_flags() {
        let g = Game::decode(br#"{"id":1,"name":"G","api_access_options":3}"#).unwrap();
        assert!(g.api_access_options.open());
        assert!(g.api_access_options.direct_downloads());
        assert!(!g.api_access_options.authorised_downloads_only());
        assert!(!g.api_access_options.paid_downloads_need_purchase());
    }

    #[test]
    fn tokens_need_their_token() {
        assert!(AccessToken::decode(br#"{"code":200,"date_expires":5}"#).is_err());
        let t = AccessToken::decode(br#"{"code":200,"access_token":"abc","date_expires":5}"#).unwrap();
        assert_eq!(t.token.expose(), "abc");
        assert!(DelegationToken::decode(br#"{"entity":"purchase_server"}"#).is_err());
    }
}
