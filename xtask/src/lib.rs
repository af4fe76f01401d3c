//! The numbered enums are defined once, in Rust (`modio_market::ResultCode`,
//! `modio_market::error_ref::ALL`). Their mirrors in the bindings are written from that
//! definition into the regions between `<generated:NAME>` and `</generated:NAME>` marker lines,
//! so adding a result code or an error ref touches one place: `cargo run -p xtask -- mirrors`.
//! `tests/fresh.rs` fails when a committed mirror is stale.

use std::path::{Path, PathBuf};

use modio_market::{error_ref, ResultCode};

/// One generated region: the file, the region's name, and its lines (without indentation).
pub struct Region {
    pub file: &'static str,
    pub name: &'static str,
    pub lines: Vec<String>,
}

/// `MODIO_MARKET_ERROR_REF_MOD_NOT_FOUND`-style name to `ModNotFound`.
fn camel(screaming: &str) -> String {
    screaming
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The Rust variant name (`InvalidUtf8`), which every mirror uses.
fn variant(code: ResultCode) -> String {
    format!("{code:?}")
}

fn sentence(message: &str) -> String {
    let mut s = message.to_owned();
    if let Some(first) = s.get(0..1) {
        s.replace_range(0..1, &first.to_ascii_uppercase());
    }
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// Every generated region of the project.
pub fn regions() -> Vec<Region> {
    let codes = ResultCode::ALL;
    vec![
        Region {
            file: "bindings/unity/Runtime/Enums.cs",
            name: "result-codes",
            lines: codes
                .iter()
                .flat_map(|c| [format!("/// <summary>{}</summary>", sentence(c.message())), format!("{} = {},", variant(*c), *c as u32)])
                .collect(),
        },
        Region {
            file: "bindings/unity/Runtime/Enums.cs",
            name: "error-refs",
            lines: error_ref::ALL
                .iter()
                .map(|(value, name)| format!("public const long {} = {value};", camel(name.trim_end_matches('\0'))))
                .collect(),
        },
        Region {
            file: "bindings/unreal/ModioMarket/Source/ModioMarket/Public/ModioMarketTypes.h",
            name: "result-codes",
            lines: codes
                .iter()
                .map(|c| format!("{} = {} UMETA(ToolTip = \"{}\"),", variant(*c), *c as u32, sentence(c.message())))
                .collect(),
        },
        Region {
            file: "bindings/cpp/modio_market.hpp",
            name: "result-codes",
            lines: codes.iter().map(|c| format!("{} = {},", variant(*c), c.name())).collect(),
        },
    ]
}

/// `text` with every region of `file` replaced by its generated lines, each indented like its
/// opening marker. Fails when a marker is missing or unclosed.
pub fn render(file: &str, text: &str) -> Result<String, String> {
    let mut out = text.to_owned();
    for region in regions().into_iter().filter(|r| r.file == file) {
        let open = format!("<generated:{}>", region.name);
        let close = format!("</generated:{}>", region.name);
        let start = out.find(&open).ok_or_else(|| format!("{file}: no {open} marker"))?;
        let line_start = out[..start].rfind('\n').map_or(0, |i| i + 1);
        let indent: String = out[line_start..].chars().take_while(|c| c.is_whitespace()).collect();
        let body_start = out[start..].find('\n').map(|i| start + i + 1).ok_or_else(|| format!("{file}: {open} ends the file"))?;
        let end = out[body_start..].find(&close).map(|i| body_start + i).ok_or_else(|| format!("{file}: no {close} marker"))?;
        let end_line = out[..end].rfind('\n').map_or(0, |i| i + 1);
        let body: String = region.lines.iter().map(|l| format!("{indent}{l}\n")).collect();
        out.replace_range(body_start..end_line, &body);
    }
    Ok(out)
}

/// Every file with generated regions, relative to the repository root.
pub fn files() -> Vec<&'static str> {
    let mut files: Vec<&'static str> = regions().iter().map(|r| r.file).collect();
    files.dedup();
    files
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the repository").to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_camel_case() {
        assert_eq!(camel("MONETIZATION_IAP_NOT_CONFIGURED"), "MonetizationIapNotConfigured");
        assert_eq!(camel("OAUTH_CLIENT_DATA_NOT_VALID"), "OauthClientDataNotValid");
    }

    #[test]
    fn a_region_is_replaced_between_its_markers_with_its_indentation() {
        let text = "enum class Code {\n    // <generated:result-codes>\n    Old = 1,\n    // </generated:result-codes>\n};\n";
        let out = render("bindings/cpp/modio_market.hpp", text).unwrap();
        assert!(!out.contains("Old = 1"));
        assert!(out.contains("    Ok = MODIO_MARKET_RESULT_OK,\n"));
        assert!(out.contains("    UnexpectedAnswer = MODIO_MARKET_RESULT_UNEXPECTED_ANSWER,\n"));
        assert!(out.starts_with("enum class Code {\n    // <generated:result-codes>\n"));
        assert!(out.ends_with("    // </generated:result-codes>\n};\n"));
        assert!(render("bindings/cpp/modio_market.hpp", "no markers").is_err());
    }
}
