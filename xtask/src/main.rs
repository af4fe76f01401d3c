//! `cargo run -p xtask -- mirrors`: rewrites the generated regions of the bindings (see lib.rs).

fn main() {
    let task = std::env::args().nth(1).unwrap_or_default();
    if task != "mirrors" {
        eprintln!("usage: cargo run -p xtask -- mirrors   (writes the C#, Unreal and C++ enum mirrors)");
        std::process::exit(2);
    }
    let root = xtask::root();
    for file in xtask::files() {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rendered = xtask::render(file, &text).unwrap_or_else(|e| panic!("{e}"));
        if rendered != text {
            std::fs::write(&path, rendered).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            println!("wrote {file}");
        } else {
            println!("fresh {file}");
        }
    }
}
