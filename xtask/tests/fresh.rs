//! The committed mirrors of the numbered enums match their one definition in Rust.

#[test]
fn committed_mirrors_are_fresh() {
    let root = xtask::root();
    let mut stale = Vec::new();
    for file in xtask::files() {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        match xtask::render(file, &text) {
            Ok(rendered) if rendered == text => {}
            Ok(_) => stale.push(format!("{file} is stale")),
            Err(e) => stale.push(e),
        }
    }
    assert!(stale.is_empty(), "{}: run `cargo run -p xtask -- mirrors` and commit", stale.join("; "));
}
