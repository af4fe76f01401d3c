//! Generates the C header with cbindgen into OUT_DIR. The committed copy in `include/` is checked
//! against it by `tests/header.rs`; set MODIO_MARKET_WRITE_HEADER=1 to refresh the committed copy.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=MODIO_MARKET_WRITE_HEADER");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("modio_market.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    match cbindgen::Builder::new().with_crate(&crate_dir).with_config(config).generate() {
        Ok(bindings) => {
            bindings.write_to_file(&out);
            if std::env::var("MODIO_MARKET_WRITE_HEADER").as_deref() == Ok("1") {
                bindings.write_to_file(crate_dir.join("include").join("modio_market.h"));
            }
        }
        // A syntax error is reported by rustc with better context; don't fail the build here.
        Err(e) => println!("cargo:warning=cbindgen could not generate the header: {e}"),
    }
}
