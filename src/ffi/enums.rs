//! The C enumerations that `int32_t` arguments and fields take (schemes, layouts, noise
//! modes and sources, the tape's op codes), each declared once by [`c_enums!`] together
//! with its conversions to and from the Rust type it stands for. A value outside the
//! enumeration is refused with a message naming the argument, the value and the C type
//! ([`CEnum::from_argument`]); a Rust variant without a C value fails to compile (the
//! conversion's `match` is exhaustive). Status codes, which are results rather than
//! arguments, are in `status.rs`.

use super::boundary::Failure;
use crate::fd::{Layout, NoiseMode, NoiseSource, Scheme};
use crate::tape::{BinaryOp, ReduceOp, UnaryOp};

/// A Rust enumeration that a C enumeration of the API stands for.
pub(crate) trait CEnum: Sized {
    /// The C type's name ("fdvjp_scheme"), for messages.
    const C_TYPE: &'static str;
    /// The Rust value of a C value; `None` for a value outside the enumeration.
    fn from_c(value: i32) -> Option<Self>;
    /// The C value of a Rust value.
    fn to_c(self) -> i32;
    /// The Rust value of the `int32_t` argument `argument`: "`argument` = 7 is not a
    /// `fdvjp_scheme`" otherwise.
    fn from_argument(value: i32, argument: &str) -> Result<Self, Failure> {
        Self::from_c(value).ok_or_else(|| {
            Failure::invalid(format!("{argument} = {value} is not a {}", Self::C_TYPE))
        })
    }
}

/// Declares C enumerations, each as
///
/// ```text
/// /// doc comment (it becomes the header's)
/// fdvjp_layout for Layout {
///     /// doc comment of the value
///     FDVJP_ROW_MAJOR = 0 => RowMajor,
///     FDVJP_COL_MAJOR = 1 => ColMajor,
/// }
/// ```
///
/// giving the `#[repr(i32)]` enum `fdvjp_layout` with those values (cbindgen reads the
/// expanded crate) and `impl CEnum for Layout`.
macro_rules! c_enums {
    ($(
        $(#[$doc:meta])*
        $c:ident for $rust:ident {
            $($(#[$value_doc:meta])* $variant:ident = $value:literal => $rust_variant:ident,)*
        }
    )*) => {$(
        $(#[$doc])*
        #[repr(i32)]
        pub enum $c {
            $($(#[$value_doc])* $variant = $value,)*
        }

        impl CEnum for $rust {
            const C_TYPE: &'static str = stringify!($c);
            fn from_c(value: i32) -> Option<Self> {
                match value {
                    $($value => Some($rust::$rust_variant),)*
                    _ => None,
                }
            }
            fn to_c(self) -> i32 {
                match self {
                    $($rust::$rust_variant => $c::$variant as i32,)*
                }
            }
        }
    )*};
}

c_enums! {
    /// Difference schemes, for `fdvjp_config_set_scheme`.
    fdvjp_scheme for Scheme {
        /// `(f(x+h) - f(x-h)) / 2h`, error O(h^2); 2n evaluations besides f(x). The default.
        FDVJP_CENTRAL = 0 => Central,
        /// `(f(x+h) - f(x)) / h`, error O(h); n evaluations besides f(x).
        FDVJP_FORWARD = 1 => Forward,
        /// `(f(x) - f(x-h)) / h`, error O(h); n evaluations besides f(x).
        FDVJP_BACKWARD = 2 => Backward,
        /// Five-point central difference, error O(h^4); 4n evaluations besides f(x).
        FDVJP_CENTRAL4 = 3 => Central4,
    }

    /// Jacobian memory layouts, for `fdvjp_config_set_layout`.
    fdvjp_layout for Layout {
        /// `jac[i*n + j] = df_i/dx_j` (the default; a column-major n×m array in Fortran/Julia).
        FDVJP_ROW_MAJOR = 0 => RowMajor,
        /// `jac[j*m + i] = df_i/dx_j` (an m×n matrix in Fortran/Julia order).
        FDVJP_COL_MAJOR = 1 => ColMajor,
    }

    /// Values of `fdvjp_report::noise_source`.
    fdvjp_noise_source for NoiseSource {
        /// No noise declared or estimated: f taken to be exact to rounding.
        FDVJP_NOISE_NONE = 0 => None,
        /// Declared with `fdvjp_config_set_noise`.
        FDVJP_NOISE_DECLARED = 1 => Declared,
        /// Estimated from a difference table along a random direction.
        FDVJP_NOISE_ESTIMATED = 2 => Estimated,
    }

    /// Noise estimation modes, for `fdvjp_config_set_noise_mode`.
    fdvjp_noise_mode for NoiseMode {
        /// Estimate the noise only when the computation's own stencils show trouble (second
        /// differences far above what a function varying on the scale of x gives); exact,
        /// well-scaled functions cost exactly the plain rule's evaluations. The default.
        FDVJP_NOISE_AUTO = 0 => Auto,
        /// Estimate the noise on every computation (12 more evaluations of f, along one
        /// pseudo-random direction, fixed so results are reproducible) and choose the steps
        /// of noise-affected directions from it.
        FDVJP_NOISE_ESTIMATE = 1 => Estimate,
        /// Never estimate noise: suspect directions are refined as for an exact function.
        FDVJP_NOISE_OFF = 2 => Off,
    }

    /// Elementwise functions of one operand, for `fdvjp_tape_unary`. Forward values follow IEEE
    /// arithmetic: outside a function's domain (log or sqrt of a negative, log1p below -1) the
    /// value is NaN, not an error, and so is the gradient through it.
    fdvjp_unary_op for UnaryOp {
        /// `-x`.
        FDVJP_OP_NEG = 0 => Neg,
        /// `exp(x)`.
        FDVJP_OP_EXP = 1 => Exp,
        /// `log(x)`: NaN for x < 0, -inf at 0.
        FDVJP_OP_LOG = 2 => Log,
        /// `log1p(x) = log(1 + x)`: NaN for x < -1.
        FDVJP_OP_LOG1P = 3 => Log1p,
        /// `sqrt(x)`: NaN for x < 0; its derivative at 0 is +inf.
        FDVJP_OP_SQRT = 4 => Sqrt,
        /// `sin(x)`.
        FDVJP_OP_SIN = 5 => Sin,
        /// `cos(x)`.
        FDVJP_OP_COS = 6 => Cos,
        /// `tan(x)`.
        FDVJP_OP_TAN = 7 => Tan,
        /// `tanh(x)`.
        FDVJP_OP_TANH = 8 => Tanh,
        /// `|x|`; its subgradient at 0 is taken as 0.
        FDVJP_OP_ABS = 9 => Abs,
        /// `x * x`.
        FDVJP_OP_SQUARE = 10 => Square,
    }

    /// Elementwise functions of two operands, for `fdvjp_tape_binary`. The operands have equal
    /// shapes, or one is a scalar (shape `[]`, e.g. from `fdvjp_tape_constant_shaped` with
    /// ndim 0) broadcast against the other; anything else is `FDVJP_SHAPE_MISMATCH`.
    fdvjp_binary_op for BinaryOp {
        /// `a + b`.
        FDVJP_OP_ADD = 0 => Add,
        /// `a - b`.
        FDVJP_OP_SUB = 1 => Sub,
        /// `a * b`.
        FDVJP_OP_MUL = 2 => Mul,
        /// `a / b` (division by 0 gives inf or NaN values, not an error).
        FDVJP_OP_DIV = 3 => Div,
        /// `pow(a, b)`. The derivative in a is taken as 0 where b == 0, the derivative in b as
        /// 0 where a == 0; a negative a with a non-integer b gives NaN.
        FDVJP_OP_POW = 4 => Pow,
    }

    /// Reductions to a scalar (shape `[]`), for `fdvjp_tape_reduce`.
    fdvjp_reduce_op for ReduceOp {
        /// The sum of all elements.
        FDVJP_REDUCE_SUM = 0 => Sum,
        /// The mean of all elements (NaN for an empty array).
        FDVJP_REDUCE_MEAN = 1 => Mean,
        /// The Euclidean norm `sqrt(sum x^2)`; its subgradient at 0 is taken as 0.
        FDVJP_REDUCE_NORM2 = 2 => Norm2,
    }
}
