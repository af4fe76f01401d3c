//! `POST /external/*auth`: platform credentials → a mod.io access token.
//!
//! Credentials are compared exactly after form decoding, so a client that forgets to
//! URL-encode `XBL3.0 x=alice;ey+/=&%?` (a `+`, `&` and `=` inside) fails here exactly as
//! it would against the real service.

use serde_json::json;

use super::{ok, require_api_key};
use crate::errors;
use crate::http::{Answer, Form, Req, Validation};
use crate::state::{State, User, ACCESS_TOKEN_TTL_SECS};

/// Which user a platform's credentials name, or the platform's own 401.
fn find_user<'a>(
    state: &'a State,
    endpoint: &str,
    form: &Form,
    v: &mut Validation,
) -> Result<Option<&'a User>, crate::http::ApiResponse> {
    let users = || state.users.values();
    let found = match endpoint {
        "steamauth" => {
            let Some(t) = v.require(form, "appdata") else {
                return Ok(None);
            };
            users().find(|u| u.credentials.steam_ticket.as_deref() == Some(t))
        }
        "xboxauth" => {
            let Some(t) = v.require(form, "xbox_token") else {
                return Ok(None);
            };
            users().find(|u| u.credentials.xbox_token.as_deref() == Some(t))
        }
        "psnauth" => {
            let code = v.require(form, "auth_code");
            v.optional_int(form, "env");
            let Some(code) = code else { return Ok(None) };
            users().find(|u| u.credentials.psn_auth_code.as_deref() == Some(code))
        }
        "oculusauth" => {
            let device = v.require(form, "device");
            let nonce = v.require(form, "nonce");
            let user_id = v.require(form, "user_id");
            let token = v.require(form, "access_token");
            if let Some(d) = device {
                if d != "rift" && d != "quest" {
                    v.add("device", "The selected device is invalid.");
                }
            }
            let (Some(device), Some(_), Some(user_id), Some(token)) =
                (device, nonce, user_id, token)
            else {
                return Ok(None);
            };
            users().find(|u| {
                u.credentials.meta.as_ref().is_some_and(|m| {
                    m.user_id == user_id && m.device == device && m.access_token == token
                })
            })
        }
        "appleauth" => {
            let Some(t) = v.require(form, "id_token") else {
                return Ok(None);
            };
            users().find(|u| u.credentials.apple_id_token.as_deref() == Some(t))
        }
        "googleauth" => {
            // The OpenAPI object requires auth_code; the README accepts id_token instead.
            let t = form.get("auth_code").or_else(|| form.get("id_token"));
            let Some(t) = t else {
                v.add("auth_code", "The auth code field is required.");
                return Ok(None);
            };
            users().find(|u| u.credentials.google_auth_code.as_deref() == Some(t))
        }
        "epicgamesauth" => {
            let Some(t) = v.require(form, "id_token") else {
                return Ok(None);
            };
            users().find(|u| u.credentials.epic_id_token.as_deref() == Some(t))
        }
        _ => return Err(errors::resource_not_found()),
    };
    Ok(found)
}

fn unknown_credential(endpoint: &str) -> crate::http::ApiResponse {
    match endpoint {
        "steamauth" => errors::steam_ticket_invalid(),
        "xboxauth" => errors::xbox_token_invalid(),
        _ => errors::external_credentials_invalid(),
    }
}

pub fn external_auth(state: &mut State, req: &Req, endpoint: &str) -> Answer {
    const KNOWN: [&str; 7] = [
        "steamauth",
        "xboxauth",
        "psnauth",
        "oculusauth",
        "appleauth",
        "googleauth",
        "epicgamesauth",
    ];
    if !KNOWN.contains(&endpoint) {
        return Err(errors::resource_not_found());
    }
    let game_id = require_api_key(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let terms_agreed = match form.get("terms_agreed") {
        None => false,
        Some(raw) => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                v.add(
                    "terms_agreed",
                    "The terms agreed field must be true or false.",
                );
                false
            }
        },
    };
    let date_expires = v.optional_int(&form, "date_expires");
    let user = find_user(state, endpoint, &form, &mut v)?;
    v.finish()?;
    let user = user.ok_or_else(|| unknown_credential(endpoint))?;
    let user_id = user.id;
    if !user.terms_agreed && !terms_agreed {
        return Err(errors::terms_not_agreed());
    }
    if terms_agreed {
        state
            .users
            .get_mut(&user_id)
            .expect("found above")
            .terms_agreed = true;
    }
    // restapi-introduction.md: tokens last a common year; a `date_expires` above one year or
    // below the current server time is ignored and the default restored.
    let now = state.now();
    let default_expiry = now + ACCESS_TOKEN_TTL_SECS;
    let expires_at = date_expires
        .filter(|d| *d >= now && *d <= default_expiry)
        .unwrap_or(default_expiry);
    let token = state.issue_token(user_id, game_id, expires_at);
    ok(json!({"code": 200, "access_token": token, "date_expires": expires_at}))
}

/// `GET /authenticate/terms` (api_key): the Terms object, so a client can show the
/// agreement dialog before authenticating a user like carol.
pub fn terms(state: &mut State, req: &Req) -> Answer {
    require_api_key(state, req)?;
    let link = |text: &str, url: &str, required: bool| json!({"text": text, "url": url, "required": required});
    ok(json!({
        "plaintext": "We use mod.io to support user-generated content in-game. By clicking \"I Agree\" you agree to the mod.io Terms of Use and a mod.io account will be created for you (using your display name, avatar and ID). Please see the mod.io Privacy Policy on how mod.io processes your personal data.",
        "html": "<p>We use <a href=\"https://mod.io\">mod.io</a> to support user-generated content in-game. By clicking \"I Agree\" you agree to the mod.io <a href=\"https://mod.io/terms\">Terms of Use</a> and a mod.io account will be created for you (using your display name, avatar and ID). Please see the mod.io <a href=\"https://mod.io/privacy\">Privacy Policy</a> on how mod.io processes your personal data.</p>",
        "buttons": {"agree": {"text": "I Agree"}, "disagree": {"text": "No, Thanks"}},
        "links": {
            "website": link("Website", "https://mod.io", false),
            "terms": link("Terms of Use", "https://mod.io/terms", true),
            "privacy": link("Privacy Policy", "https://mod.io/privacy", true),
            "refund": link("Refund Policy", "https://mod.io/refund", false),
            "monetization": link("Monetization Policy", "https://mod.io/monetization", false),
            "manage": link("Manage Account", "https://mod.io/me/account", false)
        }
    }))
}
