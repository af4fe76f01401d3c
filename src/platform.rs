//! What a game passes in to sign a player in and to sync their store purchases: the platform
//! credentials, the Meta device, the sign-in options and the entitlement sources, with the
//! checks that refuse a bad one before anything is sent.

use crate::error::{Error, Result, Secret};
use crate::transport::{ApiRequest, Auth};

/// Platform credentials for `POST /external/*auth` (secrets stay wrapped).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PlatformAuth {
    /// Steam encrypted app ticket, base64 (`appdata`).
    Steam { appdata: Secret },
    /// Xbox Live token from `GetTokenAndSignatureAsync` (`xbox_token`).
    XboxLive { xbox_token: Secret },
    /// PlayStation Network auth code; `env` only when not production.
    Psn { auth_code: Secret, env: Option<i64> },
    /// Meta Quest / Rift: the device, nonce, user id, access token.
    Meta { device: MetaDevice, nonce: Secret, user_id: u64, access_token: Secret },
    /// Sign in with Apple `id_token`.
    Apple { id_token: Secret },
    /// Google: a server `auth_code`, or an `id_token`.
    Google { auth_code: Option<Secret>, id_token: Option<Secret> },
    /// Epic Games `id_token`.
    Epic { id_token: Secret },
    /// A user delegation token (`POST /external/udtauth`, in `X-Modio-Delegation-Token`): a
    /// studio server acting as the player the token was issued for. The player agreed to the
    /// terms when they signed in on the game; `terms_agreed` is not sent.
    Udt { delegation_token: Secret },
}

/// A Meta headset family (`device` in Meta sign-in and entitlement sync).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaDevice {
    Quest,
    Rift,
}

impl MetaDevice {
    /// The value mod.io expects: `quest` or `rift`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaDevice::Quest => "quest",
            MetaDevice::Rift => "rift",
        }
    }
}

impl std::str::FromStr for MetaDevice {
    type Err = Error;

    /// `quest` or `rift`; anything else is `InvalidArgument` naming `device`.
    fn from_str(s: &str) -> Result<MetaDevice> {
        match s {
            "quest" => Ok(MetaDevice::Quest),
            "rift" => Ok(MetaDevice::Rift),
            _ => Err(Error::invalid_argument("device", "must be `quest` or `rift`")),
        }
    }
}

/// Options every platform authentication takes.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthOptions {
    /// The user has seen and agreed to the mod.io terms (`terms_agreed`).
    pub terms_agreed: bool,
    /// Ask for a shorter-lived token (unix time); `None` for mod.io's default of one year.
    pub date_expires: Option<i64>,
}

impl AuthOptions {
    pub fn agreed() -> AuthOptions {
        AuthOptions { terms_agreed: true, date_expires: None }
    }
}

/// Which platform to ask for purchases not converted yet (`POST /me/entitlements`, whose
/// `X-Modio-Portal` is required and decides the body). The portals get-user-entitlements.json
/// names: Steam, PlayStation Network, Xbox Live and Epic Games.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EntitlementQuery {
    /// Steam: no body; the user's Steam link is used.
    Steam,
    /// `xbox_token` from `GetTokenAndSignatureAsync`.
    XboxLive { xbox_token: Secret },
    /// `psn_token` (the auth code), `psn_env` when not production, `psn_service_label` when not 0.
    /// The reference requires `X-Modio-Platform` with this portal: configure the platform
    /// (`ps4`/`ps5`) on the client first.
    Psn { psn_token: Secret, env: Option<i64>, service_label: Option<i64> },
    /// `epicgames_token` (a bearer token acting for the user) and its sandbox.
    EpicGames { epicgames_token: Secret, sandbox_id: Option<String> },
}

impl EntitlementQuery {
    /// The `X-Modio-Portal` value.
    pub fn portal(&self) -> &'static str {
        match self {
            EntitlementQuery::Steam => "steam",
            EntitlementQuery::XboxLive { .. } => "xboxlive",
            EntitlementQuery::Psn { .. } => "psn",
            EntitlementQuery::EpicGames { .. } => "epicgames",
        }
    }

    /// The request, checked; `has_platform`: whether the client sends `X-Modio-Platform`.
    pub(crate) fn request(&self, game_id: u64, has_platform: bool) -> Result<ApiRequest> {
        let mut request = ApiRequest::post("me/entitlements", Auth::User)
            .idempotent()
            .header("x-modio-portal", Secret::new(self.portal()))
            .field("game_id", game_id);
        match self {
            EntitlementQuery::Steam => {}
            EntitlementQuery::XboxLive { xbox_token } => {
                require_secret("xbox_token", xbox_token)?;
                request = request.secret_field("xbox_token", xbox_token);
            }
            EntitlementQuery::Psn { psn_token, env, service_label } => {
                require_secret("psn_token", psn_token)?;
                if !has_platform {
                    return Err(Error::invalid_argument("platform", "PlayStation Network needs the client's platform set (ps4 or ps5)"));
                }
                request = request.secret_field("psn_token", psn_token);
                if let Some(env) = env {
                    request = request.field("psn_env", env);
                }
                if let Some(label) = service_label {
                    request = request.field("psn_service_label", label);
                }
            }
            EntitlementQuery::EpicGames { epicgames_token, sandbox_id } => {
                require_secret("epicgames_token", epicgames_token)?;
                request = request.secret_field("epicgames_token", epicgames_token);
                if let Some(sandbox) = sandbox_id.as_deref().filter(|s| !s.is_empty()) {
                    if sandbox.len() > 128 || !sandbox.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                        return Err(Error::invalid_argument("sandbox_id", "must be letters, digits, '-' or '_' (at most 128)"));
                    }
                    request = request.field("epicgames_sandbox_id", sandbox);
                }
            }
        }
        Ok(request)
    }
}

/// Where to sync entitlements from (`POST /me/iap/{portal}/sync`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EntitlementSource {
    /// Steam: no body; the user's Steam link is used.
    Steam,
    XboxLive {
        xbox_token: Secret,
    },
    Psn {
        auth_code: Secret,
        env: Option<i64>,
        service_label: Option<i64>,
    },
    /// Meta: device `quest` or `rift` and the Meta user id.
    Meta {
        device: MetaDevice,
        user_id: u64,
    },
    /// Apple App Store receipt.
    Apple {
        receipt: Secret,
    },
    /// Google Play purchase token / receipt.
    Google {
        receipt: Secret,
    },
}

impl EntitlementSource {
    pub(crate) fn portal_path(&self) -> &'static str {
        match self {
            EntitlementSource::Steam => "steam",
            EntitlementSource::XboxLive { .. } => "xboxlive",
            EntitlementSource::Psn { .. } => "psn",
            EntitlementSource::Meta { .. } => "meta",
            EntitlementSource::Apple { .. } => "apple",
            EntitlementSource::Google { .. } => "google",
        }
    }
}

pub(crate) fn require_secret(name: &str, value: &Secret) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_argument(name, "must not be empty"));
    }
    Ok(())
}
pub(crate) fn auth_request(auth: PlatformAuth, options: AuthOptions) -> Result<ApiRequest> {
    let (path, mut request) = match &auth {
        PlatformAuth::Steam { appdata } => {
            require_secret("appdata", appdata)?;
            ("external/steamauth", ApiRequest::post("", Auth::ApiKey).secret_field("appdata", appdata))
        }
        PlatformAuth::XboxLive { xbox_token } => {
            require_secret("xbox_token", xbox_token)?;
            ("external/xboxauth", ApiRequest::post("", Auth::ApiKey).secret_field("xbox_token", xbox_token))
        }
        PlatformAuth::Psn { auth_code, env } => {
            require_secret("auth_code", auth_code)?;
            let mut r = ApiRequest::post("", Auth::ApiKey).secret_field("auth_code", auth_code);
            if let Some(env) = env {
                r = r.field("env", env);
            }
            ("external/psnauth", r)
        }
        PlatformAuth::Meta { device, nonce, user_id, access_token } => {
            require_secret("nonce", nonce)?;
            require_secret("access_token", access_token)?;
            if *user_id == 0 {
                return Err(Error::invalid_argument("user_id", "must not be 0"));
            }
            (
                "external/oculusauth",
                ApiRequest::post("", Auth::ApiKey)
                    .field("device", device.as_str())
                    .secret_field("nonce", nonce)
                    .field("user_id", user_id)
                    .secret_field("access_token", access_token),
            )
        }
        PlatformAuth::Apple { id_token } => {
            require_secret("id_token", id_token)?;
            ("external/appleauth", ApiRequest::post("", Auth::ApiKey).secret_field("id_token", id_token))
        }
        PlatformAuth::Google { auth_code, id_token } => {
            let auth_code = auth_code.as_ref().filter(|s| !s.is_empty());
            let id_token = id_token.as_ref().filter(|s| !s.is_empty());
            if auth_code.is_none() && id_token.is_none() {
                return Err(Error::invalid_argument("auth_code", "Google needs an auth_code or an id_token"));
            }
            let mut r = ApiRequest::post("", Auth::ApiKey);
            if let Some(code) = auth_code {
                r = r.secret_field("auth_code", code);
            }
            if let Some(token) = id_token {
                r = r.secret_field("id_token", token);
            }
            ("external/googleauth", r)
        }
        PlatformAuth::Epic { id_token } => {
            require_secret("id_token", id_token)?;
            ("external/epicgamesauth", ApiRequest::post("", Auth::ApiKey).secret_field("id_token", id_token))
        }
        PlatformAuth::Udt { delegation_token } => {
            require_secret("delegation_token", delegation_token)?;
            let mut r = ApiRequest::post("external/udtauth", Auth::ApiKey).header("x-modio-delegation-token", delegation_token.clone());
            if let Some(date) = options.date_expires {
                r = r.field("date_expires", date);
            }
            return Ok(r);
        }
    };
    request.path = path.to_owned();
    request = request.field("terms_agreed", options.terms_agreed);
    if let Some(date) = options.date_expires {
        request = request.field("date_expires", date);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_devices_parse_and_print_as_mod_io_spells_them() {
        assert_eq!("quest".parse::<MetaDevice>().unwrap(), MetaDevice::Quest);
        assert_eq!(MetaDevice::Rift.as_str(), "rift");
        let e = "vive".parse::<MetaDevice>().unwrap_err();
        assert!(e.message().contains("device"), "{}", e.message());
    }

    #[test]
    fn auth_requests_name_their_fields() {
        let r = auth_request(PlatformAuth::Steam { appdata: Secret::new("t") }, AuthOptions::agreed()).unwrap();
        assert_eq!(r.path, "external/steamauth");
        let r = auth_request(
            PlatformAuth::Meta { device: MetaDevice::Quest, nonce: "n".into(), user_id: 5, access_token: "a".into() },
            AuthOptions::default(),
        )
        .unwrap();
        assert_eq!(r.path, "external/oculusauth");
        let fields: Vec<&str> = r.form.as_ref().unwrap().iter().map(|(k, _)| *k).collect();
        assert_eq!(fields, ["device", "nonce", "user_id", "access_token", "terms_agreed"]);
        let e = auth_request(PlatformAuth::Google { auth_code: None, id_token: None }, AuthOptions::default()).unwrap_err();
        assert!(e.message().contains("auth_code"));
        let e = auth_request(
            PlatformAuth::Meta { device: MetaDevice::Rift, nonce: "n".into(), user_id: 0, access_token: "a".into() },
            AuthOptions::default(),
        )
        .unwrap_err();
        assert!(e.message().contains("user_id"));
    }
}
