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

/// `POST /external/udtauth` (api_key + `X-Modio-Delegation-Token`): a studio server acting
/// as the player a delegation token was issued to. The token must be current and for the
/// api_key's game (401 / 11005 otherwise); the player must have agreed to the terms (11074).
pub fn udt_auth(state: &mut State, req: &Req) -> Answer {
    let game_id = require_api_key(state, req)?;
    let form = req.form()?;
    let mut v = Validation::new();
    let date_expires = v.optional_int(&form, "date_expires");
    let token = req
        .header("x-modio-delegation-token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    if token.is_none() {
        v.add(
            "X-Modio-Delegation-Token",
            "The X-Modio-Delegation-Token header is required.",
        );
    }
    v.finish()?;
    let token = token.expect("validated");
    let user_id = state
        .delegation_tokens
        .get(&token)
        .filter(|d| d.expires_at > state.now() && d.game_id == game_id)
        .map(|d| d.user_id)
        .filter(|id| state.users.contains_key(id))
        .ok_or_else(errors::token_invalid)?;
    if !state.users[&user_id].terms_agreed {
        return Err(errors::terms_not_agreed());
    }
    let now = state.now();
    let default_expiry = now + ACCESS_TOKEN_TTL_SECS;
    let expires_at = date_expires
        .filter(|d| *d >= now && *d <= default_expiry)
        .unwrap_or(default_expiry);
    let access = state.issue_token(user_id, game_id, expires_at);
    ok(json!({"code": 200, "access_token": access, "date_expires": expires_at}))
}

/// The terms' words in one language.
struct TermsText {
    intro: &'static str,
    agree: &'static str,
    disagree: &'static str,
    links: [&'static str; 6],
}

const ENGLISH: TermsText = TermsText {
    intro: "We use mod.io to support user-generated content in-game. By clicking \"I Agree\" you agree to the mod.io Terms of Use and a mod.io account will be created for you (using your display name, avatar and ID). Please see the mod.io Privacy Policy on how mod.io processes your personal data.",
    agree: "I Agree",
    disagree: "No, Thanks",
    links: ["Website", "Terms of Use", "Privacy Policy", "Refund Policy", "Monetization Policy", "Manage Account"],
};

const GERMAN: TermsText = TermsText {
    intro: "Wir nutzen mod.io für von Spielern erstellte Inhalte im Spiel. Mit \"Ich stimme zu\" akzeptierst du die Nutzungsbedingungen von mod.io, und es wird ein mod.io-Konto für dich angelegt (mit deinem Anzeigenamen, Avatar und deiner ID). Wie mod.io deine Daten verarbeitet, steht in der Datenschutzerklärung von mod.io.",
    agree: "Ich stimme zu",
    disagree: "Nein, danke",
    links: ["Webseite", "Nutzungsbedingungen", "Datenschutzerklärung", "Rückerstattung", "Monetarisierung", "Konto verwalten"],
};

/// The first language of `Accept-Language` the fake has words for (English, German), by its
/// primary subtag; English otherwise, as mod.io falls back.
fn terms_language(req: &Req) -> (&'static str, &'static TermsText) {
    let header = req.header("accept-language").unwrap_or("");
    for range in header.split(',') {
        let tag = range.split(';').next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "de" => return ("de", &GERMAN),
            "en" => return ("en", &ENGLISH),
            _ => {}
        }
    }
    ("en", &ENGLISH)
}

/// `GET /authenticate/terms` (api_key): the Terms object, localized by `Accept-Language`
/// (English and German here) and, with `X-Modio-Portal`, naming the platform account the
/// player signs in with, as terms.json asks of platform sign-in.
pub fn terms(state: &mut State, req: &Req) -> Answer {
    require_api_key(state, req)?;
    let (language, words) = terms_language(req);
    let portal = crate::platforms::target(req).portal;
    let mut plaintext = words.intro.to_string();
    if let Some(portal) = portal {
        let name = portal_name(portal);
        plaintext.push(' ');
        plaintext.push_str(&if language == "de" {
            format!("Dein mod.io-Konto wird mit deinem {name}-Konto verknüpft.")
        } else {
            format!("Your mod.io account will be linked to your {name} account.")
        });
    }
    let html = format!("<p>{}</p>", html_escape(&plaintext));
    let link = |i: usize, url: &str, required: bool| json!({"text": words.links[i], "url": url, "required": required});
    ok(json!({
        "plaintext": plaintext,
        "html": html,
        "buttons": {"agree": {"text": words.agree}, "disagree": {"text": words.disagree}},
        "links": {
            "website": link(0, "https://mod.io", false),
            "terms": link(1, "https://mod.io/terms", true),
            "privacy": link(2, "https://mod.io/privacy", true),
            "refund": link(3, "https://mod.io/refund", false),
            "monetization": link(4, "https://mod.io/monetization", false),
            "manage": link(5, "https://mod.io/me/account", false)
        }
    }))
}

fn portal_name(portal: &str) -> &'static str {
    match portal {
        "steam" => "Steam",
        "psn" => "PlayStation™Network",
        "xboxlive" => "Xbox",
        "epicgames" => "Epic Games",
        "gog" => "GOG",
        "itchio" => "itch.io",
        "nintendo" => "Nintendo",
        "google" => "Google",
        "apple" => "Apple",
        "oculus" => "Meta",
        "facebook" => "Facebook",
        "discord" => "Discord",
        _ => "platform",
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
