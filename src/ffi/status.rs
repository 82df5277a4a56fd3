//! Status codes and their static names.

use std::ffi::{c_char, CStr};

/// Declares the status enum as written inside it, and `NAMES`: each value with its name as
/// C spells it, so that `fdvjp_status_str` needs no second list of the names.
macro_rules! statuses {
    (
        $(#[$doc:meta])*
        pub enum $c:ident { $($(#[$value_doc:meta])* $variant:ident = $value:literal,)* }
    ) => {
        $(#[$doc])*
        pub enum $c { $($(#[$value_doc])* $variant = $value,)* }

        impl $c {
            const NAMES: &'static [($c, &'static CStr)] =
                &[$(($c::$variant, c_name(concat!(stringify!($variant), "\0"))),)*];
        }
    };
}

/// A name with its terminating NUL as a C string, at compile time.
const fn c_name(with_nul: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(with_nul.as_bytes()) {
        Ok(name) => name,
        Err(_) => panic!("a status name is one NUL-terminated identifier"),
    }
}

statuses! {
    /// Result of every fallible call: `FDVJP_OK` (0) on success, otherwise the kind of
    /// failure; `fdvjp_last_error` then gives a message naming the argument and value.
    #[repr(i32)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum fdvjp_status {
        /// Success; outputs were written.
        FDVJP_OK = 0,
        /// A required pointer was NULL (an array may be NULL only when its length is 0).
        FDVJP_NULL_POINTER = 1,
        /// An argument's value is outside its domain (non-finite x, a step <= 0, an unknown
        /// scheme, lower >= upper, x outside its bounds, a misaligned array, a seed so large
        /// that the product is beyond the doubles, ...).
        FDVJP_INVALID_ARGUMENT = 2,
        /// An array's length disagrees with the problem (e.g. config steps with n' != n).
        FDVJP_LENGTH_MISMATCH = 3,
        /// The caller's callback returned non-zero; the message gives its value, the
        /// evaluation number and the point.
        FDVJP_CALLBACK_FAILED = 4,
        /// f(x) at the unperturbed point has a NaN or infinite entry.
        FDVJP_NONFINITE_AT_X = 5,
        /// f stayed NaN or infinite at every stencil and step tried for one column/direction.
        FDVJP_NONFINITE_PERTURBED = 6,
        /// A variable id unknown to this tape (foreign, stale, or never issued).
        FDVJP_UNKNOWN_VAR = 7,
        /// Shapes of operands do not agree.
        FDVJP_SHAPE_MISMATCH = 8,
        /// The computation was cancelled by the caller.
        FDVJP_CANCELLED = 9,
        /// Memory for the computation could not be allocated.
        FDVJP_OUT_OF_MEMORY = 10,
        /// An internal error (a bug in fdvjp); the process and the handles remain usable.
        FDVJP_INTERNAL_ERROR = 11,
    }
}

/// The static name of a status code, e.g. "FDVJP_NULL_POINTER"; "FDVJP_UNKNOWN_STATUS"
/// for a value that is not a status. Never NULL; the caller must not free it.
///
/// Takes the code as a plain `int32_t` (the type `fdvjp_status` is in C) so that any
/// value is safe to pass.
#[no_mangle]
pub extern "C" fn fdvjp_status_str(status: i32) -> *const c_char {
    fdvjp_status::NAMES
        .iter()
        .find(|(s, _)| *s as i32 == status)
        .map_or(c"FDVJP_UNKNOWN_STATUS", |(_, name)| name)
        .as_ptr()
}
