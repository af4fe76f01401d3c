//! `S2sConfig`: the game's client settings plus the OAuth client credentials and scopes.

use super::*;

/// What an [`S2sClient`] needs: the game's [`Config`] (game id, API key, environment or base URL,
/// timeouts, retry policy) and the OAuth client credentials from the game's dashboard.
///
/// The S2S guide writes the base URL as `https://{game-id}.modapi.io/v1`, the authentication
/// guide as `https://g-{game-id}.modapi.io/v1`: set `Config::base_url` when yours differs.
#[derive(Debug, Clone)]
pub struct S2sConfig {
    pub(crate) base: Config,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) scopes: String,
    pub(crate) renew_before: Duration,
}

impl S2sConfig {
    pub fn new(base: Config, client_id: impl Into<String>, client_secret: impl Into<Secret>) -> S2sConfig {
        S2sConfig {
            base,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: DEFAULT_S2S_SCOPES.to_owned(),
            renew_before: DEFAULT_RENEW_BEFORE,
        }
    }

    /// The scopes to ask for (any of `read`, `write`, `update`, `monetization`); the transaction
    /// endpoints need `write` and `monetization`.
    pub fn scopes<S: AsRef<str>>(mut self, scopes: &[S]) -> S2sConfig {
        self.scopes = scopes.iter().map(|s| s.as_ref().trim().to_ascii_lowercase()).collect::<Vec<_>>().join(",");
        self
    }

    /// Renew the service token this long before it expires (default one hour, capped at half
    /// the token's lifetime).
    pub fn renew_before(mut self, margin: Duration) -> S2sConfig {
        self.renew_before = margin;
        self
    }

    /// The studio's monetization team id (from the game's dashboard): the transaction history
    /// ([`S2sClient::transactions`]) is read per team. The same as
    /// [`Config::monetization_team_id`] on the base configuration.
    pub fn monetization_team_id(mut self, team: u64) -> S2sConfig {
        self.base.monetization_team_id = team;
        self
    }

    pub fn validate(&self) -> Result<()> {
        self.base.validate()?;
        check_text("client_id", &self.client_id, 255)?;
        if self.client_secret.is_empty() {
            return Err(Error::invalid_argument("client_secret", "must not be empty"));
        }
        if self.client_secret.expose().chars().any(char::is_control) {
            return Err(Error::invalid_argument("client_secret", "must not contain control characters"));
        }
        if self.scopes.is_empty() || self.scopes.split(',').any(|s| !VALID_SCOPES.contains(&s)) {
            return Err(Error::invalid_argument("scopes", "must be a comma-separated list of read, write, update, monetization"));
        }
        Ok(())
    }
}
