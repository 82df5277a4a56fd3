//! The C ABI: opaque handles, status codes, the thread-local last error, the panic
//! boundary and C callbacks adapted to the core's traits.
//!
//! The only module with `extern "C"` items and raw-pointer work. Every exported function
//! that returns a status runs its body through [`export::export`]: the panic boundary,
//! the last error named after the function, and the caller's pointers converted by the
//! typed helpers of [`contract`], where their SAFETY reasoning is written once.

#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]

mod boundary;
mod buffers;
mod call_state;
mod callback;
mod complex_callback;
mod complex_function;
mod complex_step;
mod config;
mod config_get;
mod config_get_arrays;
mod contract;
mod drivers;
mod enums;
mod estimate;
mod export;
mod guard_words;
mod last_error;
mod learned;
mod product;
mod quiet_panic;
mod report;
mod retired;
mod status;
mod tape;
mod tape_ops;
mod version;
mod vjp_callback;

pub use callback::{fdvjp_batch_fn, fdvjp_fn, fdvjp_progress_fn};
pub use complex_callback::fdvjp_cfn;
pub use complex_function::*;
pub use complex_step::*;
pub use config::*;
pub use config_get::*;
pub use config_get_arrays::*;
pub use drivers::*;
pub use enums::*;
pub use estimate::*;
pub use guard_words::FDVJP_GUARD_WORDS;
pub use last_error::fdvjp_last_error;
pub use learned::*;
pub use report::*;
pub use status::*;
pub use tape::*;
pub use tape_ops::*;
pub use version::*;
pub use vjp_callback::fdvjp_vjp_fn;
