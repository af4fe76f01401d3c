//! The committed header must match what cbindgen generates from the current source.

#[test]
fn committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/modio_market.h"));
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/modio_market.h")).expect("include/modio_market.h exists");
    assert!(generated == committed, "include/modio_market.h is stale: run `MODIO_MARKET_WRITE_HEADER=1 cargo build` and commit it");
}

#[test]
fn every_exported_function_is_documented() {
    // cbindgen copies doc comments; an undocumented function would appear without a comment
    // line right above its declaration.
    let header = include_str!(concat!(env!("OUT_DIR"), "/modio_market.h"));
    let lines: Vec<&str> = header.lines().collect();
    let mut undocumented = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(pos) = line.find("modio_market_") {
            let is_fn_decl = line.contains('(')
                && !line.trim_start().starts_with("//")
                && !line.contains("typedef")
                && (line.starts_with("modio_market_result ") || line.starts_with("void ") || line.starts_with("const char *"));
            if is_fn_decl {
                let mut j = i;
                while j > 0 && !lines[j - 1].trim_start().starts_with("//") && !lines[j - 1].trim().is_empty() {
                    j -= 1;
                }
                if j == 0 || !lines[j - 1].trim_start().starts_with("//") {
                    undocumented.push(line[pos..].split('(').next().unwrap_or("").to_owned());
                }
            }
        }
    }
    assert!(undocumented.is_empty(), "undocumented exported functions: {undocumented:?}");
}
