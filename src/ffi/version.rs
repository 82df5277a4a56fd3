//! `fdvjp_version`: which library a program actually loaded, so a binding or an
//! application can refuse a shared library older than the header it was built with.

use std::ffi::c_char;

/// The major version this header was generated with (Cargo.toml's `version`).
pub const FDVJP_VERSION_MAJOR: i32 = 0;
/// The minor version this header was generated with.
pub const FDVJP_VERSION_MINOR: i32 = 1;
/// The patch version this header was generated with.
pub const FDVJP_VERSION_PATCH: i32 = 0;

// The header's macros are cbindgen's copies of the constants above, which must therefore
// be literals; these checks make a version bump in Cargo.toml that forgets them a build
// error instead of a header that lies.
const _: () = assert!(FDVJP_VERSION_MAJOR == decimal(env!("CARGO_PKG_VERSION_MAJOR")));
const _: () = assert!(FDVJP_VERSION_MINOR == decimal(env!("CARGO_PKG_VERSION_MINOR")));
const _: () = assert!(FDVJP_VERSION_PATCH == decimal(env!("CARGO_PKG_VERSION_PATCH")));

/// The value of a decimal numeral, at compile time (-1 when it is not one or exceeds
/// `i32`: the assertions above then fail).
const fn decimal(text: &str) -> i32 {
    let bytes = text.as_bytes();
    let mut value: i64 = 0;
    let mut k = 0;
    while k < bytes.len() {
        if !bytes[k].is_ascii_digit() || value > i32::MAX as i64 {
            return -1;
        }
        value = value * 10 + (bytes[k] - b'0') as i64;
        k += 1;
    }
    if bytes.is_empty() || value > i32::MAX as i64 {
        -1
    } else {
        value as i32
    }
}

/// The version string with its NUL, from Cargo.toml.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Writes the library's version `major.minor.patch` to `*major`, `*minor` and `*patch`
/// (each may be NULL: that component is not wanted) and returns it as a static string,
/// e.g. "0.1.0", never NULL and never to be freed.
///
/// The header defines `FDVJP_VERSION_MAJOR`, `FDVJP_VERSION_MINOR` and
/// `FDVJP_VERSION_PATCH` for the version it was generated with: a program can compare them
/// with what this returns to detect a library older than its header. Cannot fail.
///
/// # Safety
/// `major`, `minor` and `patch` are each NULL or writable for one `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_version(
    major: *mut i32,
    minor: *mut i32,
    patch: *mut i32,
) -> *const c_char {
    let parts = [
        (major, FDVJP_VERSION_MAJOR),
        (minor, FDVJP_VERSION_MINOR),
        (patch, FDVJP_VERSION_PATCH),
    ];
    for (out, value) in parts {
        if !out.is_null() {
            // SAFETY: non-NULL, and by the caller's contract writable for one int32_t;
            // `write_unaligned` asks nothing of its alignment.
            unsafe { out.write_unaligned(value) };
        }
    }
    VERSION.as_ptr().cast()
}
