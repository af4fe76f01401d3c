//! Every error the fake answers, with the status and message the reference gives.
//! Messages come from the OpenAPI `x-errorrefs` where the reference has one, else from
//! the guides' error tables (`restapi-errors.md`, the monetization guide).

use crate::http::ApiResponse;

fn e(status: u16, error_ref: u32, message: &str) -> ApiResponse {
    ApiResponse::error(status, error_ref, message)
}

pub fn api_key_missing() -> ApiResponse {
    e(401, 11000, "api_key is missing from your request.")
}

/// The wording of `restapi-errors.md`'s malformed-key example.
pub fn api_key_malformed() -> ApiResponse {
    e(
        401,
        11001,
        "We cannot complete your request due to a malformed/missing api_key in your request. Refer to documentation at https://docs.mod.io",
    )
}

pub fn api_key_invalid() -> ApiResponse {
    e(401, 11002, "api_key supplied is invalid.")
}

/// Missing, unknown or expired bearer token (also service and delegation tokens).
pub fn token_invalid() -> ApiResponse {
    e(401, 11005, "Access token is expired, or has been revoked.")
}

/// A token without the scope an S2S call needs (`write` and `monetization`).
pub fn token_missing_scope(scope: &str) -> ApiResponse {
    e(
        403,
        11003,
        &format!("Access token is missing the {scope} scope to perform the request."),
    )
}

pub fn steam_ticket_invalid() -> ApiResponse {
    e(401, 11018, "The steam encrypted app ticket was invalid.")
}

pub fn xbox_token_invalid() -> ApiResponse {
    e(
        401,
        11027,
        "The Xbox Live token supplied in the request is invalid.",
    )
}

pub fn external_credentials_invalid() -> ApiResponse {
    e(
        401,
        11032,
        "mod.io was unable to verify the credentials against the external service provider.",
    )
}

pub fn terms_not_agreed() -> ApiResponse {
    e(
        403,
        11074,
        "The user has not agreed to the mod.io Terms of Use. Please see terms_agreed parameter description and the [Terms](/restapi/docs/terms) endpoint for more information.",
    )
}

/// 11069 on entitlement sync (message from `get-user-entitlements.json`).
pub fn portal_not_linked() -> ApiResponse {
    e(400, 11069, "The user has no association with the portal.")
}

/// 900098 on `POST /me/entitlements` (message from `get-user-entitlements.json`).
pub fn portal_invalid() -> ApiResponse {
    e(400, 900098, "The portal supplied is invalid or missing.")
}

/// The download route: a verification hash past its expiry. The reference names no ref for
/// it; the fake answers 410 Gone with 15010's family (the file is not reachable by that link).
pub fn download_link_expired() -> ApiResponse {
    e(
        410,
        15010,
        "The download link has expired: fetch the modfile again for a new one.",
    )
}

/// The download route of a paid mod, in a game that lets only owners download paid mods.
pub fn download_needs_purchase() -> ApiResponse {
    e(
        403,
        15023,
        "You must purchase this mod before you can download it.",
    )
}

/// 900054 on entitlement sync (message from `get-user-entitlements.json`).
pub fn iap_not_configured() -> ApiResponse {
    e(
        403,
        900054,
        "The game is not configured for in app purchases.",
    )
}

/// 900022 (404) on the wallet and on checkout: `get-user-wallet.json` and `purchase.json`
/// document it for a game with no active monetization team.
pub fn monetization_team_not_found() -> ApiResponse {
    e(
        404,
        900022,
        "The game may not be setup for monetization as no active monetization team could be found.",
    )
}

/// 900057 (entitlement sync, S2S): no x-errorref in the reference; the guide's error table gives the meaning.
pub fn game_not_monetized() -> ApiResponse {
    e(
        403,
        900057,
        "The request access token is not associated with a monetization-enabled game.",
    )
}

/// 900096: from the guide's error table.
pub fn platform_fetch_failed() -> ApiResponse {
    e(
        422,
        900096,
        "mod.io failed to fetch the authenticated user's entitlements from the associated platform.",
    )
}

pub fn already_owned() -> ApiResponse {
    e(422, 900034, "The account already owns this item.")
}

/// Checkout of a mod that is not for sale (a free mod): `openapi/purchase.json`, 403.
pub fn mod_not_monetized() -> ApiResponse {
    e(
        403,
        900014,
        "The mod has not been configured for monetization.",
    )
}

pub fn price_mismatch() -> ApiResponse {
    e(
        422,
        900035,
        "The given display price does not match the price of the mod.",
    )
}

pub fn insufficient_funds() -> ApiResponse {
    e(
        422,
        900049,
        "The account has insufficent funds to make this purchase.",
    )
}

pub fn game_not_found() -> ApiResponse {
    e(404, 14001, "The requested game could not be found.")
}

pub fn mod_not_found() -> ApiResponse {
    e(404, 15022, "The requested mod could not be found.")
}

pub fn modfile_not_found() -> ApiResponse {
    e(404, 15010, "The requested modfile could not be found.")
}

pub fn resource_not_found() -> ApiResponse {
    e(404, 14000, "The requested resource does not exist.")
}

/// 405 for a known path called with another method (`restapi-introduction.md`: "The method of
/// your request is incorrect"), with the `Allow` header HTTP asks for. The reference gives no
/// error ref for it: the fake uses 14000's family, as the nearest documented meaning.
pub fn method_not_allowed(allowed: &str) -> ApiResponse {
    let mut r = e(405, 14000, "The method of your request is incorrect.");
    r.headers.push(("Allow".into(), allowed.into()));
    r
}

/// Bad OAuth client credentials on `POST /oauth/token`.
pub fn oauth_client_invalid() -> ApiResponse {
    e(401, 11075, "The OAuth client data is not valid.")
}

/// The JSON body of a 429 (`restapi-rate-limiting.md`).
pub fn rate_limited(error_ref: u32) -> ApiResponse {
    e(
        429,
        error_ref,
        "You have made too many requests in a short period of time, please wait and try again soon.",
    )
}

/// What a 5xx `status_before` fault answers: 10002 for 500, 10000 (outage) otherwise.
pub fn server_error(status: u16) -> ApiResponse {
    if status == 500 {
        e(
            500,
            10002,
            "mod.io failed to complete the request, please try again.",
        )
    } else {
        e(status, 10000, "mod.io is currently experiencing an outage.")
    }
}
