//! Built-in differentiable ops: each has a forward evaluation and an exact pull-back
//! (vector-Jacobian product) from its analytic derivative.

pub(crate) mod binary;
pub(crate) mod linalg;
pub(crate) mod power;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod unary;
