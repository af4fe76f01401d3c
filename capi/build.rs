//! Generates the C header with cbindgen into OUT_DIR. The committed copy in `capi/include/` is checked
//! against it by `capi/tests/header.rs`; set MODIO_MARKET_WRITE_HEADER=1 to refresh the committed copy.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    // The enums and constants the header takes from the Rust crate (cbindgen.toml `extra_bindings`).
    println!("cargo:rerun-if-changed=../src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=MODIO_MARKET_WRITE_HEADER");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("modio_market.h");
    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    // The version macros come from Cargo.toml, so the header can never name another version.
    let version = |part: &str| std::env::var(format!("CARGO_PKG_VERSION_{part}")).expect("cargo sets the version");
    config.after_includes = Some(format!(
        r#"
/* The version of this header. A game checks at start that the loaded library serves it:
 *   if (!MODIO_MARKET_VERSION_CHECK()) {{ ... a stale library was found beside the game ... }} */
#define MODIO_MARKET_VERSION_MAJOR {major}
#define MODIO_MARKET_VERSION_MINOR {minor}
#define MODIO_MARKET_VERSION_PATCH {patch}
#define MODIO_MARKET_VERSION_CHECK() modio_market_version_is_compatible(MODIO_MARKET_VERSION_MAJOR, MODIO_MARKET_VERSION_MINOR)

/* MODIO_MARKET_API marks every exported function. On Windows it imports from the DLL, unless the
 * game links the static library and defines MODIO_MARKET_STATIC before including this header. */
#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(MODIO_MARKET_STATIC)
#    define MODIO_MARKET_API
#  elif defined(MODIO_MARKET_BUILDING)
#    define MODIO_MARKET_API __declspec(dllexport)
#  else
#    define MODIO_MARKET_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define MODIO_MARKET_API __attribute__((visibility("default")))
#else
#  define MODIO_MARKET_API
#endif

/* MODIO_MARKET_DEPRECATED(msg) marks a function kept for ABI 1.x but replaced: it still works,
 * and the compiler says what to use instead. */
#if defined(__GNUC__) || defined(__clang__)
#  define MODIO_MARKET_DEPRECATED(msg) __attribute__((deprecated(msg)))
#elif defined(_MSC_VER)
#  define MODIO_MARKET_DEPRECATED(msg) __declspec(deprecated(msg))
#else
#  define MODIO_MARKET_DEPRECATED(msg)
#endif
"#,
        major = version("MAJOR"),
        minor = version("MINOR"),
        patch = version("PATCH"),
    ));
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
