//! `X-Modio-Platform` and `X-Modio-Portal` (`restapi/restapi-platforms.md`): which platform and
//! portal a request comes from. Both are case-insensitive; an unknown platform is ignored and
//! means `windows`, an unknown portal is ignored.
//!
//! What they change here, as the reference describes: in a game with per-platform filtering on,
//! listings hold only the mods live on the request's platform and a mod read on another platform
//! has an empty `modfile` (`get-mod.json`'s platform note); `display_name_portal` of user objects
//! is the portal's display name when a portal is named, `null` otherwise.

use crate::http::Req;
use crate::state::{Game, Mod};

/// The header values of the reference's table.
pub const PLATFORMS: [&str; 15] = [
    "source",
    "windows",
    "mac",
    "linux",
    "android",
    "ios",
    "xboxone",
    "xboxseriesx",
    "ps4",
    "ps5",
    "switch",
    "switch2",
    "oculus",
    "windowsserver",
    "linuxserver",
];
pub const PORTALS: [&str; 12] = [
    "apple",
    "discord",
    "epicgames",
    "facebook",
    "gog",
    "google",
    "itchio",
    "nintendo",
    "psn",
    "sso",
    "steam",
    "xboxlive",
];

/// Where one request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub platform: &'static str,
    pub portal: Option<&'static str>,
}

impl Default for Target {
    fn default() -> Target {
        Target {
            platform: "windows",
            portal: None,
        }
    }
}

/// `value` as written in `list` (which is lower-case), compared case-insensitively.
pub fn canonical(value: &str, list: &[&'static str]) -> Option<&'static str> {
    list.iter().copied().find(|v| v.eq_ignore_ascii_case(value))
}

fn known(value: Option<&str>, list: &[&'static str]) -> Option<&'static str> {
    canonical(value?.trim(), list)
}

/// The request's platform and portal, unknown values ignored.
pub fn target(req: &Req) -> Target {
    Target {
        platform: known(req.header("x-modio-platform"), &PLATFORMS).unwrap_or("windows"),
        portal: known(req.header("x-modio-portal"), &PORTALS),
    }
}

/// Whether `m` is live on the request's platform: always, unless its game filters by platform.
pub fn live_on(game: Option<&Game>, m: &Mod, target: &Target) -> bool {
    let filtering = game.is_some_and(|g| g.platform_filtering);
    !filtering || m.platforms.is_empty() || m.platforms.iter().any(|p| p == target.platform)
}

/// A user's display name on a portal: what mod.io would show for `username` there.
pub fn portal_display_name(username: &str, portal: &str) -> String {
    format!("{username}@{portal}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Req {
        Req {
            method: "GET".into(),
            path: "/v1/games/1/mods".into(),
            raw_query: String::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn values_are_case_insensitive_and_unknown_ones_ignored() {
        assert_eq!(
            target(&req(&[])),
            Target {
                platform: "windows",
                portal: None
            }
        );
        assert_eq!(
            target(&req(&[
                ("x-modio-platform", "XboxSeriesX"),
                ("x-modio-portal", "XBOXLIVE")
            ])),
            Target {
                platform: "xboxseriesx",
                portal: Some("xboxlive")
            }
        );
        assert_eq!(
            target(&req(&[
                ("x-modio-platform", "dreamcast"),
                ("x-modio-portal", "myspace")
            ])),
            Target {
                platform: "windows",
                portal: None
            }
        );
    }
}
