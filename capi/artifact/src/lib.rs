//! The shipped C library. Every `modio_market_*` symbol is defined in `modio-market-capi`; linking
//! it here is what exports them from `libmodio_market.so`/`.dylib`/`.dll` and `libmodio_market.a`.
//! A crate of its own so that the Rust crate (`modio_market`, an rlib) and this library can share
//! the name games link against without two `libmodio_market.rlib` files colliding.

pub use modio_market_capi::*;
