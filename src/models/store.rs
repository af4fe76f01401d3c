//! What a store page shows around the mods: mod.io's terms (shown before a first sign-in), the
//! game's currency packs, and the platform purchases a player has not converted yet.

use serde::Deserialize;
use serde_json::Value;

use super::{decode, kind, lenient_bool, lenient_i64, lenient_string, lenient_u64, null_as_default};
use crate::error::{Error, Result};

/// One link of the terms dialog (`links.website`, `links.terms`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TermsLink {
    /// The key mod.io gives it: `website`, `terms`, `privacy`, `refund`, `monetization`, `manage`.
    pub name: String,
    pub text: String,
    pub url: String,
    /// Whether the dialog must show this link.
    pub required: bool,
}

/// `GET /authenticate/terms`: the text, buttons and links a game shows, in the configured
/// language, before a player's first sign-in; the sign-in then passes `terms_agreed`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Terms {
    pub plaintext: String,
    pub html: String,
    pub agree_text: String,
    pub disagree_text: String,
    /// In the order the server sent them.
    pub links: Vec<TermsLink>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawButton {
    #[serde(deserialize_with = "lenient_string")]
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawButtons {
    #[serde(deserialize_with = "null_as_default")]
    agree: RawButton,
    #[serde(deserialize_with = "null_as_default")]
    disagree: RawButton,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawLink {
    #[serde(deserialize_with = "lenient_string")]
    text: String,
    #[serde(deserialize_with = "lenient_string")]
    url: String,
    #[serde(deserialize_with = "lenient_bool")]
    required: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTerms {
    #[serde(deserialize_with = "lenient_string")]
    plaintext: String,
    #[serde(deserialize_with = "lenient_string")]
    html: String,
    #[serde(deserialize_with = "null_as_default")]
    buttons: RawButtons,
    /// Kept in the server's order (serde_json's map is sorted; the raw pairs are not).
    links: Option<Box<serde_json::value::RawValue>>,
}

impl Terms {
    pub(crate) fn decode(body: &[u8]) -> Result<Terms> {
        let raw: RawTerms = decode("terms", body)?;
        if raw.plaintext.is_empty() && raw.html.is_empty() {
            return Err(Error::malformed("the terms have neither `plaintext` nor `html`"));
        }
        let mut links = Vec::new();
        if let Some(text) = raw.links.as_deref().map(|r| r.get()).filter(|t| *t != "null") {
            let pairs: Vec<(String, Value)> =
                ordered_pairs(text).map_err(|e| Error::malformed(format!("could not decode the terms' links: {e}")))?;
            for (name, value) in pairs {
                let link: RawLink = serde_json::from_value(value)
                    .map_err(|e| Error::malformed(format!("could not decode the terms link `{name}`: {e}")))?;
                links.push(TermsLink { name, text: link.text, url: link.url, required: link.required });
            }
        }
        Ok(Terms {
            plaintext: raw.plaintext,
            html: raw.html,
            agree_text: raw.buttons.agree.text,
            disagree_text: raw.buttons.disagree.text,
            links,
        })
    }

    /// The link called `name`, if the server sent one.
    pub fn link(&self, name: &str) -> Option<&TermsLink> {
        self.links.iter().find(|l| l.name == name)
    }
}

/// An object's members in the order of its text.
fn ordered_pairs(text: &str) -> std::result::Result<Vec<(String, Value)>, String> {
    struct Pairs(Vec<(String, Value)>);
    impl<'de> Deserialize<'de> for Pairs {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Pairs, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Pairs;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Pairs, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, Value>()? {
                        out.push((k, v));
                    }
                    Ok(Pairs(out))
                }
            }
            d.deserialize_map(Visit)
        }
    }
    serde_json::from_str::<Pairs>(text).map(|p| p.0).map_err(|e| e.to_string())
}

/// A currency pack the game sells on a platform (`GET /games/{id}/monetization/token-packs`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TokenPack {
    /// mod.io's id of this game's pack.
    pub id: u64,
    pub token_pack_id: u64,
    /// Price in USD cents.
    pub price: i64,
    /// How much virtual currency the pack holds.
    pub amount: i64,
    /// The portal it is sold on (`WEB`, `STEAM`, …).
    pub portal: String,
    pub sku: String,
    pub name: String,
    pub description: String,
    pub date_added: i64,
    pub date_updated: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawTokenPack {
    #[serde(deserialize_with = "lenient_u64")]
    id: u64,
    #[serde(deserialize_with = "lenient_u64")]
    token_pack_id: u64,
    #[serde(deserialize_with = "lenient_i64")]
    price: i64,
    #[serde(deserialize_with = "lenient_i64")]
    amount: i64,
    #[serde(deserialize_with = "lenient_string")]
    portal: String,
    #[serde(deserialize_with = "lenient_string")]
    sku: String,
    #[serde(deserialize_with = "lenient_string")]
    name: String,
    #[serde(deserialize_with = "lenient_string")]
    description: String,
    #[serde(deserialize_with = "lenient_i64")]
    date_added: i64,
    #[serde(deserialize_with = "lenient_i64")]
    date_updated: i64,
}

impl RawTokenPack {
    fn into_pack(self) -> Result<TokenPack> {
        if self.id == 0 && self.token_pack_id == 0 {
            return Err(Error::malformed("a token pack has neither `id` nor `token_pack_id`"));
        }
        Ok(TokenPack {
            id: self.id,
            token_pack_id: self.token_pack_id,
            price: self.price,
            amount: self.amount,
            portal: self.portal,
            sku: self.sku,
            name: self.name,
            description: self.description,
            date_added: self.date_added,
            date_updated: self.date_updated,
        })
    }
}

/// The game's currency packs and the name of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TokenPacks {
    pub packs: Vec<TokenPack>,
    /// The game's `token_name` ("Gold"), read from the game.
    pub token_name: String,
}

impl TokenPacks {
    /// get-game-token-packs.json describes its answer as one Game Token Pack Object under the
    /// heading "Get all token packs": a list page (`data`, `result_*`) and a single object are
    /// both read, the first as what "all" means.
    pub(crate) fn decode_packs(body: &[u8]) -> Result<Vec<TokenPack>> {
        let value: Value = decode("token packs", body)?;
        let Value::Object(mut map) = value else {
            return Err(Error::malformed(format!("the token packs were {} instead of an object", kind(&value))));
        };
        match map.remove("data") {
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|item| {
                    serde_json::from_value::<RawTokenPack>(item)
                        .map_err(|e| Error::malformed(format!("could not decode a token pack: {e}")))?
                        .into_pack()
                })
                .collect(),
            Some(other) => Err(Error::malformed(format!("the token packs' `data` was {}", kind(&other)))),
            None => {
                let raw: RawTokenPack = serde_json::from_value(Value::Object(map))
                    .map_err(|e| Error::malformed(format!("could not decode the token pack: {e}")))?;
                Ok(vec![raw.into_pack()?])
            }
        }
    }
}

/// What an unconverted entitlement is (`entitlement_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntitlementKind {
    /// 0: a virtual currency pack.
    TokenPack,
    /// 1: a SKU product.
    Sku,
    /// A value this library does not know, kept as sent.
    Other(i64),
}

impl EntitlementKind {
    pub fn from_raw(v: i64) -> EntitlementKind {
        match v {
            0 => EntitlementKind::TokenPack,
            1 => EntitlementKind::Sku,
            other => EntitlementKind::Other(other),
        }
    }
    pub fn raw(self) -> i64 {
        match self {
            EntitlementKind::TokenPack => 0,
            EntitlementKind::Sku => 1,
            EntitlementKind::Other(v) => v,
        }
    }
}

/// A platform purchase with a mapped SKU that has not been converted yet.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnconvertedEntitlement {
    pub sku_id: String,
    pub kind: EntitlementKind,
}

/// `POST /me/entitlements`: what the player bought on the platform and has not converted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UnconvertedEntitlements {
    pub entitlements: Vec<UnconvertedEntitlement>,
    /// Every match, across pages (`result_total`).
    pub total: u64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawUnconverted {
    #[serde(deserialize_with = "lenient_string")]
    sku_id: String,
    #[serde(deserialize_with = "lenient_i64")]
    entitlement_type: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawUnconvertedList {
    data: Option<Vec<RawUnconverted>>,
    #[serde(deserialize_with = "lenient_u64")]
    result_total: u64,
}

impl UnconvertedEntitlements {
    pub(crate) fn decode(body: &[u8]) -> Result<UnconvertedEntitlements> {
        let raw: RawUnconvertedList = decode("entitlement list", body)?;
        let data = raw.data.ok_or_else(|| Error::malformed("the entitlement list has no `data` array"))?;
        let entitlements: Vec<UnconvertedEntitlement> = data
            .into_iter()
            .map(|e| UnconvertedEntitlement { sku_id: e.sku_id, kind: EntitlementKind::from_raw(e.entitlement_type) })
            .collect();
        let total = raw.result_total.max(entitlements.len() as u64);
        Ok(UnconvertedEntitlements { entitlements, total })
    }

    /// How many are currency packs (what a game shows as "you have N packs to convert").
    pub fn token_packs(&self) -> usize {
        self.entitlements.iter().filter(|e| e.kind == EntitlementKind::TokenPack).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_keep_the_links_in_the_servers_order() {
        let body = br#"{"plaintext":"p","html":"<p>h</p>","buttons":{"agree":{"text":"Ja"},"disagree":{"text":"Nein"}},
            "links":{"website":{"text":"W","url":"https://mod.io","required":false},"terms":{"text":"T","url":"https://mod.io/terms","required":true},"privacy":{"text":"P","url":"u","required":"true"}}}"#;
        let t = Terms::decode(body).unwrap();
        assert_eq!((t.agree_text.as_str(), t.disagree_text.as_str()), ("Ja", "Nein"));
        let names: Vec<&str> = t.links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["website", "terms", "privacy"]);
        assert!(t.link("terms").unwrap().required && t.link("privacy").unwrap().required && !t.link("website").unwrap().required);
        assert!(Terms::decode(br#"{"buttons":{}}"#).is_err(), "no text at all");
        assert!(Terms::decode(br#"{"plaintext":"p","links":[1]}"#).is_err(), "links must be an object");
        assert!(Terms::decode(br#"{"plaintext":"p","links":null}"#).unwrap().links.is_empty());
    }

    #[test]
    fn token_packs_read_as_a_page_or_as_one_object() {
        let page = br#"{"data":[{"id":1,"token_pack_id":7,"price":"499","amount":500,"portal":"STEAM","sku":"GOLD_500","name":"500"}],"result_total":1}"#;
        let packs = TokenPacks::decode_packs(page).unwrap();
        assert_eq!((packs[0].token_pack_id, packs[0].price, packs[0].amount), (7, 499, 500));
        let one = br#"{"id":2,"token_pack_id":8,"price":999,"amount":1000,"portal":"WEB","sku":"S","name":"n"}"#;
        assert_eq!(TokenPacks::decode_packs(one).unwrap()[0].id, 2);
        assert!(TokenPacks::decode_packs(br#"{"data":{}}"#).is_err());
        assert!(TokenPacks::decode_packs(br#"[]"#).is_err());
        assert!(TokenPacks::decode_packs(br#"{"data":[{"name":"no ids"}]}"#).is_err());
    }

    #[test]
    fn unconverted_entitlements_count_packs() {
        let body = br#"{"data":[{"sku_id":"GOLD","entitlement_type":0},{"sku_id":"DLC","entitlement_type":1},{"sku_id":"X","entitlement_type":9}],"result_total":3}"#;
        let u = UnconvertedEntitlements::decode(body).unwrap();
        assert_eq!((u.total, u.token_packs()), (3, 1));
        assert_eq!(u.entitlements[2].kind, EntitlementKind::Other(9));
        assert!(UnconvertedEntitlements::decode(br#"{"result_total":0}"#).is_err());
    }
}
