//! The reverse-mode tape: record built-in ops, opaque (finite-difference) functions and
//! functions with hand-written adjoints; pull gradients back; replay at new inputs.
//!
//! ```
//! use fdvjp::fd::Options;
//! use fdvjp::tape::{BinaryOp, ReduceOp, Tape, UnaryOp};
//!
//! let mut t = Tape::new();
//! let x = t.input_slice(&[0.5, -1.0]).unwrap();
//! // g(x) = 3x, an opaque function differentiated by finite differences
//! let g = |x: &[f64], y: &mut [f64]| {
//!     y.iter_mut().zip(x).for_each(|(y, x)| *y = 3.0 * x);
//!     Ok(())
//! };
//! let gx = t.call(Box::new(g), &[x], 2, Options::new()).unwrap();
//! let e = t.unary(UnaryOp::Exp, gx).unwrap();
//! let p = t.binary(BinaryOp::Mul, e, x).unwrap();
//! let loss = t.reduce(ReduceOp::Sum, p).unwrap();
//! t.backward(loss, None).unwrap();
//! let grad = t.grad(x).unwrap(); // d/dx_i of x_i e^(3 x_i) = (1 + 3 x_i) e^(3 x_i)
//! assert!((grad[[0]] - 2.5 * 1.5f64.exp()).abs() < 1e-7);
//! ```
//!
//! Values are f64 arrays in row-major order, a scalar having shape `[]`; the Rust API
//! takes and gives them as `ndarray` arrays (the tape itself keeps them flat).
//! Conventions of the built-in ops: elementwise ops take equal shapes or broadcast a scalar;
//! forward values follow IEEE arithmetic (`log` of a negative is NaN, not an error);
//! `abs` and the L2 norm take the subgradient 0 at 0; powers take the derivative 0 where the
//! calculus has none at exponent 0 or base 0 (see `ops/power.rs`).
//!
//! Every failing call leaves the tape as it was: a failed record appends no node, a failed
//! backward keeps the previous gradients, a failed replay the previous values.

#![forbid(unsafe_code)]

mod adjoint;
mod backward;
mod custom;
mod dims;
mod elementwise;
mod error;
mod node;
mod opaque;
mod ops;
mod record;
mod replay;
mod spare;
mod value;
mod var;

pub use custom::Vjp;
pub use error::{Phase, TapeError};
pub use ops::binary::BinaryOp;
pub use ops::reduce::ReduceOp;
pub use ops::unary::UnaryOp;
pub use record::Tape;
pub(crate) use value::element_count;
pub use var::Var;
