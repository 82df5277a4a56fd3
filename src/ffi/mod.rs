//! The C ABI: opaque handles, status codes, the thread-local last error, the panic
//! boundary and C callbacks adapted to the core's traits.
//!
//! The only module with `extern "C"` items and raw-pointer work. Every exported body runs
//! under [`boundary::guard`], which catches panics and records the last error.

#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

mod boundary;
mod buffers;
mod callback;
mod config;
mod drivers;
mod last_error;
mod status;

pub use callback::fdvjp_fn;
pub use config::*;
pub use drivers::*;
pub use last_error::fdvjp_last_error;
pub use status::*;
