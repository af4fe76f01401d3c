//! The studio's transaction history (`GET /s2s/monetization-teams/{team}/transactions[/{id}]`):
//! the query with get-monetization-transactions.json's filters, the cursor pages, and the
//! transaction objects as the history shows them.

use super::*;

/// The `transaction_type` values the history can be filtered by.
pub const HISTORY_TRANSACTION_TYPES: [&str; 7] = ["CANCELLED", "CLEARED", "CREDITED", "FAILED", "PAID", "PENDING", "REFUNDED"];
/// The `monetization_type` values.
pub const HISTORY_MONETIZATION_TYPES: [&str; 3] = ["FIAT", "TOKEN", "EXTERNAL"];
/// The keys a `line_items` filter may use.
pub const HISTORY_LINE_ITEM_KEYS: [&str; 4] = ["mod_id", "buyer_id", "game_id", "token_pack_id"];

/// What to list. Every field is optional; the default lists everything, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionQuery {
    /// Any of [`HISTORY_TRANSACTION_TYPES`] (case-insensitive).
    pub transaction_types: Vec<String>,
    /// One of [`HISTORY_MONETIZATION_TYPES`].
    pub monetization_type: Option<String>,
    /// The buyer's user id.
    pub buyer: Option<u64>,
    pub gateway_uuid: Option<String>,
    pub clawback_uuid: Option<String>,
    /// A line item's key and value: `("buyer_id", 7)`, `("mod_id", 1)`.
    pub line_item: Option<(String, u64)>,
    /// Unix time: only transactions from then on.
    pub created_at_start: Option<i64>,
    /// Page size, 1 to 100 (the server's default when `None`).
    pub limit: Option<u32>,
    /// The page to read: a [`TransactionHistoryPage::next_cursor`] (or `prev_cursor`).
    pub cursor: Option<String>,
}

impl TransactionQuery {
    pub fn new() -> TransactionQuery {
        TransactionQuery::default()
    }

    /// The transaction an intent with this `gateway_uuid` made.
    pub fn by_gateway_uuid(gateway_uuid: impl Into<String>) -> TransactionQuery {
        TransactionQuery { gateway_uuid: Some(gateway_uuid.into()), ..TransactionQuery::default() }
    }

    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        for t in &self.transaction_types {
            if !HISTORY_TRANSACTION_TYPES.iter().any(|k| k.eq_ignore_ascii_case(t)) {
                return Err(Error::invalid_argument(
                    "transaction_types",
                    "must be CANCELLED, CLEARED, CREDITED, FAILED, PAID, PENDING or REFUNDED",
                ));
            }
        }
        if let Some(m) = &self.monetization_type {
            if !HISTORY_MONETIZATION_TYPES.iter().any(|k| k.eq_ignore_ascii_case(m)) {
                return Err(Error::invalid_argument("monetization_type", "must be FIAT, TOKEN or EXTERNAL"));
            }
        }
        for (name, value) in [("gateway_uuid", &self.gateway_uuid), ("clawback_uuid", &self.clawback_uuid)] {
            if let Some(v) = value {
                if v.is_empty() || !is_alpha_dash(v) {
                    return Err(Error::invalid_argument(name, "must be letters, digits, dashes and underscores"));
                }
            }
        }
        if let Some((key, _)) = &self.line_item {
            if !HISTORY_LINE_ITEM_KEYS.contains(&key.as_str()) {
                return Err(Error::invalid_argument("line_item", "the key must be mod_id, buyer_id, game_id or token_pack_id"));
            }
        }
        if self.limit.is_some_and(|l| !(1..=100).contains(&l)) {
            return Err(Error::invalid_argument("limit", "must be between 1 and 100"));
        }
        if let Some(c) = &self.cursor {
            if c.is_empty() || c.len() > 2048 || c.chars().any(|ch| ch.is_control() || ch == ' ') {
                return Err(Error::invalid_argument("cursor", "is not a cursor from a previous page"));
            }
        }
        if self.created_at_start.is_some_and(|t| t < 0) {
            return Err(Error::invalid_argument("created_at_start", "must be a unix time"));
        }
        Ok(())
    }

    /// The query parameters (the OpenAPI object lists the filters as a form body of a GET; they
    /// go in the query, where a GET's parameters travel).
    pub(crate) fn parameters(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !self.transaction_types.is_empty() {
            let types: Vec<String> = self.transaction_types.iter().map(|t| t.to_ascii_uppercase()).collect();
            out.push(("transaction_type", types.join(",")));
        }
        if let Some(m) = &self.monetization_type {
            out.push(("monetization_type", m.to_ascii_uppercase()));
        }
        if let Some(b) = self.buyer {
            out.push(("buyer", b.to_string()));
        }
        if let Some(g) = &self.gateway_uuid {
            out.push(("gateway_uuid", g.clone()));
        }
        if let Some(c) = &self.clawback_uuid {
            out.push(("clawback_uuid", c.clone()));
        }
        if let Some((k, v)) = &self.line_item {
            out.push(("line_items", format!("{k}:{v}")));
        }
        if let Some(t) = self.created_at_start {
            out.push(("created_at_start", t.to_string()));
        }
        if let Some(l) = self.limit {
            out.push(("_limit", l.to_string()));
        }
        if let Some(c) = &self.cursor {
            out.push(("cursor", c.clone()));
        }
        out
    }
}

/// One transaction as the history shows it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HistoryTransaction {
    pub id: u64,
    pub gateway_uuid: String,
    pub gateway_name: String,
    pub account_id: u64,
    pub gross_amount: i64,
    pub net_amount: i64,
    pub platform_fee: i64,
    pub gateway_fee: i64,
    pub tax: i64,
    pub tax_type: String,
    pub currency: String,
    /// Virtual currency involved (0 when none).
    pub tokens: i64,
    /// `transaction_type`, compared case-insensitively.
    pub state: TransactionState,
    /// `fiat`, `token` or `external`, as sent.
    pub monetization_type: String,
    /// As sent: `2024-10-07 02:29:11`.
    pub purchase_date: String,
    /// Microseconds since the epoch, as sent (a string).
    pub created_at: String,
    /// The `line_items` (what the reference's intent answers call `meta`).
    pub line_items: Vec<TransactionMeta>,
    /// The whole object as mod.io sent it.
    pub json: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawHistoryTransaction {
    #[serde(deserialize_with = "lenient_u64")]
    id: u64,
    #[serde(deserialize_with = "lenient_string")]
    gateway_uuid: String,
    #[serde(deserialize_with = "lenient_string")]
    gateway_name: String,
    #[serde(deserialize_with = "lenient_u64")]
    account_id: u64,
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
    currency: String,
    #[serde(deserialize_with = "lenient_i64")]
    tokens: i64,
    #[serde(deserialize_with = "lenient_string")]
    transaction_type: String,
    #[serde(deserialize_with = "lenient_string")]
    monetization_type: String,
    #[serde(deserialize_with = "lenient_string")]
    purchase_date: String,
    #[serde(deserialize_with = "lenient_string")]
    created_at: String,
    line_items: Value,
}

impl HistoryTransaction {
    fn from_value(value: Value) -> Result<HistoryTransaction> {
        if !value.is_object() {
            return Err(Error::malformed("a transaction of the history is not an object"));
        }
        let json = value.to_string();
        let raw: RawHistoryTransaction =
            serde_json::from_value(value).map_err(|e| Error::malformed(format!("could not decode a transaction of the history: {e}")))?;
        if raw.id == 0 {
            return Err(Error::malformed("a transaction of the history has no `id`"));
        }
        let line_items = if raw.line_items.is_null() { Vec::new() } else { TransactionMeta::parse_all(&raw.line_items.to_string())? };
        Ok(HistoryTransaction {
            id: raw.id,
            gateway_uuid: raw.gateway_uuid,
            gateway_name: raw.gateway_name,
            account_id: raw.account_id,
            gross_amount: raw.gross_amount,
            net_amount: raw.net_amount,
            platform_fee: raw.platform_fee,
            gateway_fee: raw.gateway_fee,
            tax: raw.tax,
            tax_type: raw.tax_type,
            currency: raw.currency,
            tokens: raw.tokens,
            state: TransactionState::parse(&raw.transaction_type),
            monetization_type: raw.monetization_type,
            purchase_date: raw.purchase_date,
            created_at: raw.created_at,
            line_items,
            json,
        })
    }

    /// The buyer of the first line item (0 when none says).
    pub fn buyer_id(&self) -> u64 {
        self.line_items.iter().map(|l| l.buyer_id).find(|b| *b != 0).unwrap_or(0)
    }

    /// `{"data": [object]}` (get-monetization-transaction.json), or the bare object.
    pub(crate) fn decode_one(body: &[u8]) -> Result<HistoryTransaction> {
        let value: Value = serde_json::from_slice(body).map_err(|e| Error::malformed(format!("could not decode the transaction: {e}")))?;
        match value {
            Value::Object(mut map) => match map.remove("data") {
                Some(Value::Array(items)) => items
                    .into_iter()
                    .next()
                    .map(HistoryTransaction::from_value)
                    .unwrap_or_else(|| Err(Error::malformed("the transaction answer's `data` is empty"))),
                Some(_) => Err(Error::malformed("the transaction answer's `data` is not an array")),
                None => HistoryTransaction::from_value(Value::Object(map)),
            },
            _ => Err(Error::malformed("the transaction answer is not an object")),
        }
    }
}

/// One page of the history.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct TransactionHistoryPage {
    pub transactions: Vec<HistoryTransaction>,
    /// The cursor of the next page; `None` on the last.
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
    pub per_page: u64,
}

/// The `cursor` parameter of a page link (a path or a full URL); `None` for none.
fn cursor_of(link: &Value) -> Option<String> {
    let text = match link {
        Value::String(s) if !s.is_empty() => s,
        _ => return None,
    };
    let url = url::Url::parse("http://page.invalid/").ok()?.join(text).ok()?;
    let cursor = url.query_pairs().find(|(k, _)| k == "cursor").map(|(_, v)| v.into_owned());
    cursor
}

impl TransactionHistoryPage {
    pub(crate) fn decode(body: &[u8]) -> Result<TransactionHistoryPage> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| Error::malformed(format!("could not decode the transaction history: {e}")))?;
        let Value::Object(mut map) = value else {
            return Err(Error::malformed("the transaction history is not an object"));
        };
        let data = match map.remove("data") {
            Some(Value::Array(items)) => items,
            _ => return Err(Error::malformed("the transaction history has no `data` array")),
        };
        let transactions = data.into_iter().map(HistoryTransaction::from_value).collect::<Result<Vec<_>>>()?;
        // The reference names the pagination object `download`; `pagination` is read too.
        let paging = map.remove("download").filter(Value::is_object).or_else(|| map.remove("pagination")).unwrap_or(Value::Null);
        let per_page = match paging.get("per_page") {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        };
        Ok(TransactionHistoryPage {
            transactions,
            next_cursor: paging.get("next_page_url").and_then(cursor_of),
            prev_cursor: paging.get("prev_page_url").and_then(cursor_of),
            per_page,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_page_reads_its_cursors_from_the_links() {
        let body = br#"{"data":[{"id":"7","gateway_uuid":"g-1","gross_amount":"500","transaction_type":"PAID","monetization_type":"external",
            "line_items":[{"buyer_id":3,"token_pack_id":1}]}],
            "download":{"per_page":"15","current_page":"/v1/s2s/monetization-teams/1/transactions?cursor=abc","next_page_url":"/v1/s2s/monetization-teams/1/transactions?cursor=o2f&_limit=15","prev_page_url":null}}"#;
        let page = TransactionHistoryPage::decode(body).unwrap();
        assert_eq!((page.per_page, page.next_cursor.as_deref(), page.prev_cursor.as_deref()), (15, Some("o2f"), None));
        let t = &page.transactions[0];
        assert_eq!((t.id, t.gross_amount, t.buyer_id()), (7, 500, 3));
        assert_eq!(t.state, TransactionState::Paid);
        let absolute = br#"{"data":[],"pagination":{"next_page_url":"https://g-1.modapi.io/v1/x?cursor=Q%3D%3D"}}"#;
        assert_eq!(TransactionHistoryPage::decode(absolute).unwrap().next_cursor.as_deref(), Some("Q=="));
        assert!(TransactionHistoryPage::decode(br#"{"download":{}}"#).is_err());
        assert!(TransactionHistoryPage::decode(br#"{"data":[{"id":0}]}"#).is_err());
    }

    #[test]
    fn one_transaction_reads_from_data_or_bare() {
        assert_eq!(HistoryTransaction::decode_one(br#"{"data":[{"id":9}]}"#).unwrap().id, 9);
        assert_eq!(HistoryTransaction::decode_one(br#"{"id":8}"#).unwrap().id, 8);
        assert!(HistoryTransaction::decode_one(br#"{"data":[]}"#).is_err());
    }

    #[test]
    fn queries_are_checked_and_sent_as_the_reference_names_them() {
        let mut q = TransactionQuery::by_gateway_uuid("order-1");
        q.transaction_types = vec!["paid".into(), "Refunded".into()];
        q.line_item = Some(("buyer_id".into(), 4));
        q.limit = Some(50);
        q.validate().unwrap();
        let p = q.parameters();
        assert!(p.contains(&("transaction_type", "PAID,REFUNDED".into())) && p.contains(&("line_items", "buyer_id:4".into())));
        for bad in [
            TransactionQuery { transaction_types: vec!["sold".into()], ..TransactionQuery::default() },
            TransactionQuery { monetization_type: Some("cash".into()), ..TransactionQuery::default() },
            TransactionQuery { gateway_uuid: Some("has space".into()), ..TransactionQuery::default() },
            TransactionQuery { line_item: Some(("price".into(), 1)), ..TransactionQuery::default() },
            TransactionQuery { limit: Some(0), ..TransactionQuery::default() },
            TransactionQuery { cursor: Some(String::new()), ..TransactionQuery::default() },
        ] {
            assert_eq!(bad.validate().unwrap_err().code(), ResultCode::InvalidArgument, "{bad:?}");
        }
    }
}
