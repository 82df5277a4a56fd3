//! The numerical core: finite-difference derivatives of a black-box function.
//!
//! Pure safe Rust, generic over [`Function`]; it knows nothing of C or of the tape.

#![forbid(unsafe_code)]

mod bounds;
mod colouring;
mod columns;
mod derivative;
mod error;
mod evaluator;
mod function;
mod jacobian;
mod jvp;
mod options;
mod scheme;
mod sparsity;
mod step;
mod vjp;

pub use bounds::Bounds;
pub use error::FdError;
pub use function::Function;
pub use jacobian::{jacobian, jacobian_at};
pub use jvp::{jvp, jvp_at};
pub use options::{Layout, Options};
pub use scheme::Scheme;
pub use sparsity::Sparsity;
pub use vjp::{vjp, vjp_at};
