//! The library's modules import each other without cycles (each has one job, and a job's
//! helpers never reach back into its users). Read from the sources: `crate::NAME` outside
//! comments and test modules is an edge; any cycle fails, named.

use std::collections::{BTreeMap, BTreeSet};

/// The source of a module: `src/NAME.rs`, or every file of `src/NAME/` (a module split in files).
fn module_source(src: &std::path::Path, name: &str) -> String {
    let file = src.join(format!("{name}.rs"));
    if file.is_file() {
        return std::fs::read_to_string(file).unwrap();
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(src.join(name)).unwrap().flatten() {
        if entry.path().extension().is_some_and(|e| e == "rs") {
            // Each file's test module is cut off on its own.
            let part = std::fs::read_to_string(entry.path()).unwrap();
            text.push_str(part.split("#[cfg(test)]").next().unwrap_or(""));
            text.push('\n');
        }
    }
    text
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let path = e.path();
            if let Some(stem) = name.strip_suffix(".rs") {
                Some(stem.to_owned())
            } else if path.join("mod.rs").is_file() {
                Some(name)
            } else {
                None
            }
        })
        .filter(|m| m != "lib")
        .collect();
    let mut graph = BTreeMap::new();
    for m in &modules {
        let text = module_source(&src, m);
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let mut deps = BTreeSet::new();
        for line in code.lines() {
            let line = line.split("//").next().unwrap_or("");
            for part in line.split("crate::").skip(1) {
                let name: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if name != *m && modules.contains(&name) {
                    deps.insert(name);
                }
            }
        }
        graph.insert(m.clone(), deps);
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(graph, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(graph, m, &mut Vec::new(), &mut done))
}

#[test]
fn the_modules_import_each_other_without_cycles() {
    let graph = edges();
    assert!(graph.len() > 10 && graph["checkout"].contains("shared"), "the import graph was read: {graph:?}");
    assert!(graph["s2s"].contains("transport") && graph["s2s"].contains("callbacks"), "modules split in files count too: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

/// The Rust crate is Rust only: the C ABI lives in `capi/`, so nothing here is `extern "C"`,
/// `#[no_mangle]` or named like a C export.
#[test]
fn the_rust_crate_exports_nothing_to_c() {
    let mut found = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains("no_mangle") || code.contains("extern \"C\"") || code.contains("fn modio_market_") {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(files > 10, "the sources were read");
    assert!(found.is_empty(), "C exports in the Rust crate (they belong in capi/):\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_finds_one() {
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), ["b".to_owned()].into_iter().collect());
    graph.insert("b".to_owned(), ["c".to_owned()].into_iter().collect());
    graph.insert("c".to_owned(), ["a".to_owned()].into_iter().collect());
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    graph.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&graph), None);
}
