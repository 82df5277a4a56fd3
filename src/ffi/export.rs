//! The one way in from C. Every exported function that returns a status is declared by
//! [`exports!`] (as regex's `rure` does with `ffi_fn!`), directly or through a family
//! macro that writes a family's signature once (`products!`, `double_arrays!`,
//! `opaque_calls!`); cbindgen reads the macro-expanded crate. Its body is
//! `export!(|c| ...)`, which
//!
//! - takes the function's name from the item itself, for the last error
//!   ("fdvjp_vjp: f is NULL"): no name is written twice;
//! - runs the body under the panic boundary ([`guard`](super::boundary::guard));
//! - hands the body a [`Contract`](super::contract::Contract), through which each pointer
//!   argument is converted once by a typed helper (nullable or required handle, input
//!   slice, output slice); their SAFETY reasoning is written once, in `contract.rs`.
//!
//! Callback arguments are checked by [`required`](super::contract::required) and called
//! where their SAFETY reasoning applies (`callback.rs`, `complex_callback.rs`,
//! `vjp_callback.rs`).

/// The name of the function around a fn item nested in it, from the item's type name
/// (`fdvjp::ffi::drivers::fdvjp_vjp::here` gives `fdvjp_vjp`).
pub(crate) fn enclosing_function(nested: &'static str) -> &'static str {
    let path = nested.rsplit_once("::").map_or(nested, |(path, _)| path);
    path.rsplit_once("::").map_or(path, |(_, name)| name)
}

/// The body of an exported function returning `fdvjp_status`: `export!(|c| body)` runs
/// `body` (a `Result<(), Failure>` with `c: &Contract` in scope) under the panic
/// boundary, named after the enclosing function.
///
/// `export!(or default, |c| body)` is the same for a function that returns no status
/// (`*_new`, `*_free`): a panic returns `default` and the last error is left alone.
///
/// Only for the top level of a `#[no_mangle] pub unsafe extern "C" fn` whose `# Safety`
/// section states what its caller promises of every pointer argument: the `Contract` the
/// body receives stands for that promise.
macro_rules! export {
    (|$contract:ident| $body:expr) => {{
        fn here() {}
        // Worked out only for a failure's message: finding the name in the type's path
        // cost more than a small call's whole computation (issue 15).
        let name = || $crate::ffi::export::enclosing_function(::std::any::type_name_of_val(&here));
        // SAFETY: this is the body of an exported `unsafe extern "C"` function (the
        // macro's rule), whose caller promised its `# Safety` section for the call.
        let contract = unsafe { $crate::ffi::contract::Contract::promised() };
        $crate::ffi::boundary::guard(name, || {
            #[allow(unused_variables)]
            let $contract = &contract;
            $body
        })
    }};
    (or $default:expr, |$contract:ident| $body:expr) => {{
        // SAFETY: as above; a safe exported function without pointer arguments promises
        // nothing, and its body then uses no helper that relies on a promise.
        let contract = unsafe { $crate::ffi::contract::Contract::promised() };
        $crate::ffi::quiet_panic::catch(|| {
            #[allow(unused_variables)]
            let $contract = &contract;
            $body
        })
        .unwrap_or($default)
    }};
}
pub(crate) use export;

/// Declares exported functions that return `fdvjp_status`:
///
/// ```text
/// exports! {
///     /// doc comment (it becomes the header's), with its `# Safety` section
///     fn fdvjp_tape_len(t: *const fdvjp_tape, v: fdvjp_var, len: *mut usize) |c| { ... }
/// }
/// ```
///
/// gives `#[no_mangle] pub unsafe extern "C" fn fdvjp_tape_len(...) -> fdvjp_status` with
/// the body `export!(|c| { ... })`. The C signature is written once, as compactly as C
/// writes it, with the body next to it; the wrapper every export shares is written here.
macro_rules! exports {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) |$c:ident| $body:block
    )*) => {$(
        $(#[$doc])*
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> $crate::ffi::status::fdvjp_status {
            $crate::ffi::export::export!(|$c| $body)
        }
    )*};
}
pub(crate) use exports;

#[cfg(test)]
mod tests {
    use super::enclosing_function;

    fn named_here() -> &'static str {
        fn here() {}
        enclosing_function(std::any::type_name_of_val(&here))
    }

    #[test]
    fn names_the_enclosing_function() {
        assert_eq!(named_here(), "named_here");
        assert_eq!(enclosing_function("a::b::fdvjp_vjp::here"), "fdvjp_vjp");
        assert_eq!(enclosing_function("fdvjp_vjp::here"), "fdvjp_vjp");
    }
}
