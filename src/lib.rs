//! fdvjp: vector-Jacobian products, Jacobian-vector products and Jacobians of opaque
//! functions by finite differences, and a reverse-mode tape that lets such functions take
//! part in a gradient computation.
//!
//! Layers (arrows point down only): [`ffi`] (the C ABI) → [`tape`] → [`fd`] (the numerical
//! core, pure safe Rust and usable on its own with closures).

pub mod fd;
pub mod ffi;
pub mod tape;
