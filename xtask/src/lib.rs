//! The numbered enums are defined once: the result codes and error refs in the Rust crate
//! (`modio_market::ResultCode`, `modio_market::error_ref::ALL`), the C ABI's other enums
//! (transaction and entitlement states, recovery outcomes, environments, revenue types, log
//! levels) in the C skin, as cbindgen writes them into `capi/include/modio_market.h`. Their
//! mirrors in the bindings are written from that definition into the regions between
//! `<generated:NAME>` and `</generated:NAME>` marker lines, so adding a value touches one place:
//! `cargo run -p xtask -- mirrors`. `tests/fresh.rs` fails when a committed mirror is stale.

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

/// One value of an enum of the C header: `MODIO_MARKET_TRANSACTION_STATE_PAID = 1`, with the
/// doc comment above it.
pub struct HeaderValue {
    pub constant: String,
    pub camel: String,
    pub value: i64,
    pub doc: Option<String>,
}

/// The values of `enum modio_market_<name>` in the header.
pub fn header_enum(header: &str, name: &str) -> Result<Vec<HeaderValue>, String> {
    let prefix = format!("MODIO_MARKET_{}_", name.to_ascii_uppercase());
    let start = header.find(&format!("enum modio_market_{name}\n")).ok_or_else(|| format!("header: no enum modio_market_{name}"))?;
    let from = header[start..].find('{').map(|j| start + j + 1).ok_or_else(|| format!("header: enum {name} has no body"))?;
    let to = header[from..].find("};").map(|j| from + j).ok_or_else(|| format!("header: enum {name} is unclosed"))?;
    let body = &header[from..to];
    let mut values = Vec::new();
    let mut doc: Vec<String> = Vec::new();
    let mut in_doc = false;
    for line in body.lines() {
        let line = line.trim();
        if line.starts_with("/**") {
            in_doc = true;
            doc.clear();
            continue;
        }
        if in_doc {
            if line.starts_with("*/") {
                in_doc = false;
            } else {
                doc.push(line.trim_start_matches('*').trim().to_owned());
            }
            continue;
        }
        let Some((constant, value)) = line.trim_end_matches(',').split_once(" = ") else {
            doc.clear();
            continue;
        };
        let Some(suffix) = constant.strip_prefix(&prefix) else {
            doc.clear();
            continue;
        };
        let value: i64 = value.trim().parse().map_err(|_| format!("header: {constant} is not a number"))?;
        let text = doc.join(" ").replace('`', "");
        values.push(HeaderValue { constant: constant.to_owned(), camel: camel(suffix), value, doc: (!text.is_empty()).then_some(text) });
        doc.clear();
    }
    if values.is_empty() {
        return Err(format!("header: no {prefix}* values"));
    }
    Ok(values)
}

fn header() -> String {
    let path = root().join(HEADER);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where cbindgen writes the C header, relative to the repository root.
pub const HEADER: &str = "capi/include/modio_market.h";

/// A header enum the bindings mirror: its name after `modio_market_`, its region's name, and
/// which bindings besides C++ mirror it.
struct Mirror {
    name: &'static str,
    region: &'static str,
    csharp: bool,
    unreal: bool,
}

const HEADER_ENUMS: &[Mirror] = &[
    Mirror { name: "transaction_state", region: "transaction-states", csharp: true, unreal: false },
    Mirror { name: "entitlement_state", region: "entitlement-states", csharp: true, unreal: false },
    Mirror { name: "entitlement_kind", region: "entitlement-kinds", csharp: true, unreal: false },
    Mirror { name: "recovery_outcome", region: "recovery-outcomes", csharp: true, unreal: true },
    Mirror { name: "environment", region: "environments", csharp: true, unreal: true },
    Mirror { name: "revenue_type", region: "revenue-types", csharp: true, unreal: false },
    Mirror { name: "mod_sort_field", region: "mod-sort-fields", csharp: true, unreal: false },
    // C# and Unreal add a "no logging" level of their own: their log levels stay hand-written.
    Mirror { name: "log_level", region: "log-levels", csharp: false, unreal: false },
];

fn csharp_lines(values: &[HeaderValue]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| {
            let doc = v.doc.as_ref().map(|d| format!("/// <summary>{d}</summary>"));
            doc.into_iter().chain([format!("{} = {},", v.camel, v.value)])
        })
        .collect()
}

fn unreal_lines(values: &[HeaderValue]) -> Vec<String> {
    values
        .iter()
        .map(|v| match &v.doc {
            Some(d) => format!("{} = {} UMETA(ToolTip = \"{}\"),", v.camel, v.value, d.replace('"', "'")),
            None => format!("{} = {},", v.camel, v.value),
        })
        .collect()
}

fn cpp_lines(values: &[HeaderValue]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| {
            let doc = v.doc.as_ref().map(|d| format!("/// {d}"));
            doc.into_iter().chain([format!("{} = {},", v.camel, v.constant)])
        })
        .collect()
}

/// Every generated region of the project.
pub fn regions() -> Vec<Region> {
    let codes = ResultCode::ALL;
    let header = header();
    let mut regions = vec![
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
        // The plugin's C++-to-Blueprint code conversion: one case per code, so a new code can
        // never fall through to Unknown.
        Region {
            file: "bindings/unreal/ModioMarket/Source/ModioMarket/Private/ModioMarketConvert.h",
            name: "result-code-cases",
            lines: codes.iter().map(|c| format!("case modio_market::Code::{v}: return EModioMarketCode::{v};", v = variant(*c))).collect(),
        },
        Region {
            file: "bindings/cpp/modio_market.hpp",
            name: "result-codes",
            lines: codes.iter().map(|c| format!("{} = {},", variant(*c), c.name())).collect(),
        },
    ];
    for mirror in HEADER_ENUMS {
        let values = header_enum(&header, mirror.name).unwrap_or_else(|e| panic!("{e}"));
        let region = |file: &'static str, lines: Vec<String>| Region { file, name: mirror.region, lines };
        if mirror.csharp {
            regions.push(region("bindings/unity/Runtime/Enums.cs", csharp_lines(&values)));
        }
        if mirror.unreal {
            regions.push(region("bindings/unreal/ModioMarket/Source/ModioMarket/Public/ModioMarketTypes.h", unreal_lines(&values)));
        }
        regions.push(region("bindings/cpp/modio_market.hpp", cpp_lines(&values)));
    }
    regions
}

/// `text` with every region of `file` replaced by its generated lines, each indented like its
/// opening marker. Fails when a marker is missing or unclosed.
pub fn render(file: &str, text: &str) -> Result<String, String> {
    apply(file, text, regions().into_iter().filter(|r| r.file == file))
}

/// `text` with each of `regions` replaced.
fn apply(file: &str, text: &str, regions: impl Iterator<Item = Region>) -> Result<String, String> {
    let mut out = text.to_owned();
    for region in regions {
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
    files.sort_unstable();
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
    fn a_header_enum_is_read_with_its_values_and_docs() {
        let header = "enum modio_market_color\n#if x\n  : uint32_t\n#endif\n {\n  MODIO_MARKET_COLOR_RED = 0,\n  /**\n   * The `green` one.\n   */\n  MODIO_MARKET_COLOR_DARK_GREEN = 7,\n};\nenum modio_market_other\n {\n  MODIO_MARKET_OTHER_X = 1,\n};\n";
        let values = header_enum(header, "color").unwrap();
        assert_eq!(values.len(), 2, "only the enum's own values");
        assert_eq!((values[0].camel.as_str(), values[0].value, values[0].doc.as_deref()), ("Red", 0, None));
        assert_eq!((values[1].camel.as_str(), values[1].value), ("DarkGreen", 7));
        assert_eq!(values[1].doc.as_deref(), Some("The green one."));
        assert_eq!(values[1].constant, "MODIO_MARKET_COLOR_DARK_GREEN");
        assert!(header_enum(header, "missing").is_err());
    }

    #[test]
    fn every_mirrored_enum_of_the_real_header_is_found() {
        let header = header();
        for mirror in HEADER_ENUMS {
            assert!(header_enum(&header, mirror.name).is_ok_and(|v| v.len() >= 2), "{}", mirror.name);
        }
    }

    #[test]
    fn names_become_camel_case() {
        assert_eq!(camel("MONETIZATION_IAP_NOT_CONFIGURED"), "MonetizationIapNotConfigured");
        assert_eq!(camel("OAUTH_CLIENT_DATA_NOT_VALID"), "OauthClientDataNotValid");
    }

    #[test]
    fn a_region_is_replaced_between_its_markers_with_its_indentation() {
        let text = "enum class Code {\n    // <generated:result-codes>\n    Old = 1,\n    // </generated:result-codes>\n};\n";
        let codes = regions().into_iter().filter(|r| r.file == "bindings/cpp/modio_market.hpp" && r.name == "result-codes");
        let out = apply("test", text, codes).unwrap();
        assert!(!out.contains("Old = 1"));
        assert!(out.contains("    Ok = MODIO_MARKET_RESULT_OK,\n"));
        assert!(out.contains("    UnexpectedAnswer = MODIO_MARKET_RESULT_UNEXPECTED_ANSWER,\n"));
        assert!(out.starts_with("enum class Code {\n    // <generated:result-codes>\n"));
        assert!(out.ends_with("    // </generated:result-codes>\n};\n"));
        assert!(render("bindings/cpp/modio_market.hpp", "no markers").is_err());
    }
}
