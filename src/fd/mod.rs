//! The numerical core: finite-difference derivatives of a black-box function.
//!
//! Pure safe Rust over [`Function`]; it knows nothing of C or of the tape. The public entry
//! points take `&dyn Function` (a closure coerces): the drivers are then compiled once, in
//! this crate, not again for every caller's closure type (the test suite's 104 crates built
//! in 25 minutes that way, 2.5 now), at one indirect call per evaluation.

#![forbid(unsafe_code)]

mod adaptive;
pub(crate) mod alloc;
mod bound_edge;
mod bounds;
mod colouring;
mod column;
mod columns;
mod complex;
mod complex_check;
mod complex_function;
mod complex_step;
mod derivative;
mod detect;
mod direction_scale;
mod direction_split;
mod directional;
mod edge_at_x;
mod edge_deep;
mod edge_scan;
mod error;
mod estimate;
mod evaluator;
mod fit;
mod function;
mod fused;
mod group;
mod group_edge;
mod jacobian;
mod jvp;
mod jvp_columns;
mod learned;
mod noise;
mod noise_along;
mod options;
mod pattern_check;
mod phases;
mod plan;
mod probe;
mod quantum;
mod refine;
mod report;
mod richardson;
mod richardson_alias;
mod richardson_outputs;
mod richardson_start;
mod scheme;
pub(crate) mod small;
mod sparsity;
mod step;
mod subnormal;
mod threaded;
mod vjp;

pub use bounds::Bounds;
pub use complex::{Complex64, ComplexFunction};
pub use complex_function::{complex_jacobian, complex_jvp, complex_vjp};
pub use complex_step::{jacobian_complex_step, jvp_complex_step, vjp_complex_step, COMPLEX_STEP};
pub use detect::detect_sparsity;
pub use error::FdError;
pub use estimate::{jacobian_estimate, jvp_estimate, vjp_estimate};
pub use function::{BatchFailure, BatchOutcome, Function};
pub use jacobian::{jacobian, jacobian_at};
pub use jvp::{jvp, jvp_at};
pub use options::{Layout, NoiseMode, Options};
pub use report::{last_report, NoiseSource, Report};
pub(crate) use report::{publish, withdraw};
pub use richardson::{Estimate, LEVELS, RELATIVE_START};
pub use scheme::Scheme;
pub use sparsity::Sparsity;
pub use threaded::Threaded;
pub use vjp::{vjp, vjp_at};

/// For the tape's own finiteness checks, which word their messages alike.
pub(crate) use error::nonfinite_entry;
