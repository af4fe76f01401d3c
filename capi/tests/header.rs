//! The committed header must match what cbindgen generates from the current source.

#[test]
fn committed_header_is_current() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/modio_market.h"));
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/modio_market.h"))
        .expect("capi/include/modio_market.h exists");
    assert!(generated == committed, "capi/include/modio_market.h is stale: run `MODIO_MARKET_WRITE_HEADER=1 cargo build` and commit it");
}

/// Every exported function of the header, with its doc comment: (name, parameter names, returns
/// a value, the `/** */` block right above it or "").
fn declarations(header: &str) -> Vec<(String, Vec<String>, bool, String)> {
    let mut found = Vec::new();
    let mut rest = header;
    while let Some(at) = rest.find("\nMODIO_MARKET_API ") {
        let before = &rest[..at];
        let decl_start = at + 1;
        let decl_end = rest[decl_start..].find(");").map(|e| decl_start + e).expect("a declaration ends with );");
        let decl = rest[decl_start..decl_end].replace('\n', " ");
        let doc = match before.trim_end().strip_suffix("*/") {
            Some(text) => text.rfind("/**").map(|s| text[s..].to_owned()).unwrap_or_default(),
            None => String::new(),
        };
        let open = decl.find('(').expect("a function has parameters");
        let head = &decl[..open];
        let name = head.rsplit([' ', '*']).next().unwrap_or("").to_owned();
        let returns = !head.trim_start_matches("MODIO_MARKET_API ").starts_with("void ");
        let params: Vec<String> = decl[open + 1..]
            .split(',')
            .map(|p| p.trim().rsplit([' ', '*']).next().unwrap_or("").to_owned())
            .filter(|p| !p.is_empty() && p != "void")
            .collect();
        found.push((name, params, returns, doc));
        rest = &rest[decl_end..];
    }
    found
}

#[test]
fn every_exported_function_is_documented_with_its_parameters_and_result() {
    let header = include_str!(concat!(env!("OUT_DIR"), "/modio_market.h"));
    let declarations = declarations(header);
    assert!(declarations.len() > 60, "the header's functions were read ({} found)", declarations.len());
    let mut missing = Vec::new();
    for (name, params, returns, doc) in &declarations {
        if doc.is_empty() {
            missing.push(format!("{name}: no /** */ comment"));
            continue;
        }
        for param in params {
            if !doc.contains(&format!("@param {param} ")) {
                missing.push(format!("{name}: no @param {param}"));
            }
        }
        if *returns && !doc.contains("@return ") {
            missing.push(format!("{name}: no @return"));
        }
    }
    assert!(missing.is_empty(), "header documentation gaps:\n{}", missing.join("\n"));
}

#[test]
fn the_documentation_check_sees_a_gap() {
    let header = "\n/**\n * Frees.\n * @param a The a.\n */\nMODIO_MARKET_API void modio_market_x_free(int a, int *b);\nMODIO_MARKET_API int modio_market_y(void);\n";
    let d = declarations(header);
    assert_eq!(d.len(), 2);
    assert_eq!((d[0].0.as_str(), d[0].1.clone(), d[0].2), ("modio_market_x_free", vec!["a".to_owned(), "b".to_owned()], false));
    assert!(d[0].3.contains("@param a ") && !d[0].3.contains("@param b "));
    assert_eq!((d[1].0.as_str(), d[1].2, d[1].3.as_str()), ("modio_market_y", true, ""));
}
