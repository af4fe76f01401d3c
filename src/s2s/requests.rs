//! What a studio server sends: the S2S portals, and the intent, commit and clawback requests
//! with their checks.

use super::*;

/// The portals the S2S transaction endpoints accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum S2sPortal {
    Apple,
    Google,
    XboxLive,
    Psn,
    Steam,
}

impl S2sPortal {
    pub const ALL: [S2sPortal; 5] = [S2sPortal::Apple, S2sPortal::Google, S2sPortal::XboxLive, S2sPortal::Psn, S2sPortal::Steam];

    /// The value mod.io expects: `apple`, `google`, `xboxlive`, `psn`, `steam`.
    pub fn as_str(self) -> &'static str {
        match self {
            S2sPortal::Apple => "apple",
            S2sPortal::Google => "google",
            S2sPortal::XboxLive => "xboxlive",
            S2sPortal::Psn => "psn",
            S2sPortal::Steam => "steam",
        }
    }

    /// Parses a portal name, case-insensitively; anything else is `InvalidArgument`.
    pub fn parse(s: &str) -> Result<S2sPortal> {
        S2sPortal::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::invalid_argument("portal", "must be one of apple, google, xboxlive, psn, steam"))
    }

    /// Whether the platform's API tracks the consumption of entitlements (Xbox Live, PSN, Steam).
    /// For Google Play and the Apple App Store the purchase server must keep its own ledger.
    pub fn tracks_consumption(self) -> bool {
        !matches!(self, S2sPortal::Apple | S2sPortal::Google)
    }
}

impl fmt::Display for S2sPortal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub(super) fn check_alpha_dash(name: &str, value: &str) -> Result<()> {
    crate::keys::check_alpha_dash(name, value)
}

pub(super) fn check_text(name: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_argument(name, "must not be empty"));
    }
    if value.len() > max {
        return Err(Error::invalid_argument(name, "is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid_argument(name, "must not contain control characters"));
    }
    Ok(())
}

/// `POST /s2s/transactions/intent`: begin converting one platform entitlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRequest {
    /// The platform SKU mapped to a token pack on mod.io.
    pub sku: String,
    pub portal: S2sPortal,
    /// Optional alpha-dash id to track the transaction; the reference recommends the
    /// entitlement's own id on the platform. Clawbacks may name the transaction by it.
    pub gateway_uuid: Option<String>,
}

impl IntentRequest {
    pub fn new(sku: impl Into<String>, portal: S2sPortal) -> IntentRequest {
        IntentRequest { sku: sku.into(), portal, gateway_uuid: None }
    }
    pub fn gateway_uuid(mut self, gateway_uuid: impl Into<String>) -> IntentRequest {
        self.gateway_uuid = Some(gateway_uuid.into());
        self
    }
    pub(super) fn validate(&self) -> Result<()> {
        check_text("sku", &self.sku, 255)?;
        if let Some(g) = &self.gateway_uuid {
            check_alpha_dash("gateway_uuid", g)?;
        }
        Ok(())
    }
}

/// `POST /s2s/transactions/commit`: finish a transaction after the entitlement was consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRequest {
    pub transaction_id: u64,
    /// Optional alpha-dash id grouping this transaction with others.
    pub clawback_uuid: Option<String>,
}

impl CommitRequest {
    pub fn new(transaction_id: u64) -> CommitRequest {
        CommitRequest { transaction_id, clawback_uuid: None }
    }
    pub fn clawback_uuid(mut self, clawback_uuid: impl Into<String>) -> CommitRequest {
        self.clawback_uuid = Some(clawback_uuid.into());
        self
    }
    pub(super) fn validate(&self) -> Result<()> {
        if self.transaction_id == 0 {
            return Err(Error::invalid_argument("transaction_id", "must not be 0"));
        }
        if let Some(c) = &self.clawback_uuid {
            check_alpha_dash("clawback_uuid", c)?;
        }
        Ok(())
    }
}

/// Which transaction a clawback names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClawbackTarget {
    TransactionId(u64),
    /// The `gateway_uuid` given at intent.
    GatewayUuid(String),
}

/// `POST /s2s/transactions/clawback`: relay a refund or chargeback of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClawbackRequest {
    pub target: ClawbackTarget,
    pub portal: S2sPortal,
    /// Why the platform reverted the payment (`refund_reason`).
    pub refund_reason: String,
    /// Optional alpha-dash id grouping clawbacks (mod.io sets it on follow-up deficit clawbacks).
    pub clawback_uuid: Option<String>,
}

impl ClawbackRequest {
    pub fn new(target: ClawbackTarget, portal: S2sPortal, refund_reason: impl Into<String>) -> ClawbackRequest {
        ClawbackRequest { target, portal, refund_reason: refund_reason.into(), clawback_uuid: None }
    }
    pub(super) fn validate(&self) -> Result<()> {
        match &self.target {
            ClawbackTarget::TransactionId(0) => return Err(Error::invalid_argument("transaction_id", "must not be 0")),
            ClawbackTarget::TransactionId(_) => {}
            ClawbackTarget::GatewayUuid(g) => check_alpha_dash("gateway_uuid", g)?,
        }
        check_text("refund_reason", &self.refund_reason, 1024)?;
        if let Some(c) = &self.clawback_uuid {
            check_alpha_dash("clawback_uuid", c)?;
        }
        Ok(())
    }
}
