//! Optionally gives the shared library a versioned soname on Linux (`libfdvjp.so.0`).
//!
//! Only when FDVJP_SONAME=1: a soname in the everyday build would make programs linked
//! against target/release/libfdvjp.so look for a libfdvjp.so.0 that cargo never creates.
//! The Makefile's `install` target sets it (in its own target directory).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=FDVJP_SONAME");
    let wanted = std::env::var("FDVJP_SONAME").is_ok_and(|v| v == "1");
    if wanted && std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libfdvjp.so.{major}");
    }
}
