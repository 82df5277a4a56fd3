//! Elementwise functions of one array, and their pull-backs `g * f'(x)`.
//!
//! Domains: the forward value is whatever IEEE arithmetic gives, so `log` of a negative,
//! `sqrt` of a negative or `log1p` below -1 produce NaN values (and `log(0)` gives -inf); no
//! error is raised, and the gradient through such an element is NaN or infinite as well.

use crate::tape::adjoint::Sink;

/// An elementwise function of one operand; the result has the operand's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-x`.
    Neg,
    /// `e^x`.
    Exp,
    /// Natural logarithm; NaN for x < 0, -inf at 0.
    Log,
    /// `ln(1 + x)`, accurate near 0; NaN for x < -1.
    Log1p,
    /// Square root; NaN for x < 0. Its derivative at 0 is +inf.
    Sqrt,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Hyperbolic tangent.
    Tanh,
    /// `|x|`; the subgradient at 0 is taken as 0.
    Abs,
    /// `x^2`.
    Square,
}

impl UnaryOp {
    /// Every unary op, in the order of the C enum `fdvjp_unary_op`.
    pub const ALL: [UnaryOp; 11] = [
        UnaryOp::Neg,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Log1p,
        UnaryOp::Sqrt,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Tanh,
        UnaryOp::Abs,
        UnaryOp::Square,
    ];

    /// The op's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Abs => "abs",
            UnaryOp::Square => "square",
        }
    }

    /// The function at one point.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Log1p => x.ln_1p(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            UnaryOp::Tan => x.tan(),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Abs => x.abs(),
            UnaryOp::Square => x * x,
        }
    }

    /// Whether the tape keeps the op's derivative beside its value (see
    /// [`UnaryOp::forward`]).
    #[inline]
    pub(crate) fn keeps_derivative(self) -> bool {
        matches!(self, UnaryOp::Sin | UnaryOp::Cos)
    }

    /// `f(a)`, elementwise, into `out` (a's length), and for sin and cos
    /// ([`UnaryOp::keeps_derivative`]) the other of the two after it (`out` twice a's
    /// length): `cos` for sin, `sin` for cos, which their pull-backs need.
    ///
    /// Why: `f64::sin_cos` compiles to one call of the C library's `sincos`, which costs
    /// little more than `sin` alone (its rounding-mode save and restore, much of a call,
    /// is done once), where the pull-back's own `cos` was a second full call: 10 `sin`
    /// and 10 `cos` take 161 ns, 10 `sincos` 96 ns, and at length 10 the difference was
    /// a tenth of a tape's time (issue 15). `sincos` gives the bits of `sin` and `cos`
    /// (the same code in glibc; checked by a test in `elementwise.rs`).
    pub(crate) fn forward(self, a: &[f64], out: &mut [f64]) {
        // One monomorphised loop per op, so the match is not inside the element loop.
        fn map(a: &[f64], out: &mut [f64], f: impl Fn(f64) -> f64) {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = f(x);
            }
        }
        // Sin's value and cos after it, or cos's and sin.
        fn both(a: &[f64], out: &mut [f64], pick: impl Fn((f64, f64)) -> (f64, f64)) {
            let (value, derivative) = out.split_at_mut(a.len());
            for ((v, d), &x) in value.iter_mut().zip(derivative).zip(a) {
                (*v, *d) = pick(x.sin_cos());
            }
        }
        match self {
            UnaryOp::Neg => map(a, out, |x| -x),
            UnaryOp::Exp => map(a, out, f64::exp),
            UnaryOp::Log => map(a, out, f64::ln),
            UnaryOp::Log1p => map(a, out, f64::ln_1p),
            UnaryOp::Sqrt => map(a, out, f64::sqrt),
            UnaryOp::Sin => both(a, out, |(s, c)| (s, c)),
            UnaryOp::Cos => both(a, out, |(s, c)| (c, s)),
            UnaryOp::Tan => map(a, out, f64::tan),
            UnaryOp::Tanh => map(a, out, f64::tanh),
            UnaryOp::Abs => map(a, out, f64::abs),
            UnaryOp::Square => map(a, out, |x| x * x),
        }
    }

    /// Adds `g * f'(a)` elementwise to node `to`'s adjoint; `y = f(a)` is the recorded
    /// value, reused where the derivative is a function of it (exp, sqrt, tan, tanh), and
    /// for sin and cos the value followed by the other function ([`UnaryOp::forward`]).
    pub(crate) fn pullback(self, a: &[f64], y: &[f64], g: &[f64], to: usize, sink: &mut Sink) {
        fn scale(
            sink: &mut Sink,
            to: usize,
            (a, y, g): (&[f64], &[f64], &[f64]),
            d: impl Fn(f64, f64) -> f64,
        ) {
            let terms = g.iter().zip(a).zip(y);
            sink.put(to, terms.map(|((&gi, &x), &yi)| gi * d(x, yi)));
        }
        let ayg = (a, y, g);
        // After sin's value, its cos; after cos's, its sin.
        let other = (a, &y[g.len()..], g);
        match self {
            UnaryOp::Neg => scale(sink, to, ayg, |_, _| -1.0),
            UnaryOp::Exp => scale(sink, to, ayg, |_, y| y),
            UnaryOp::Log => scale(sink, to, ayg, |x, _| 1.0 / x),
            UnaryOp::Log1p => scale(sink, to, ayg, |x, _| 1.0 / (1.0 + x)),
            UnaryOp::Sqrt => scale(sink, to, ayg, |_, y| 0.5 / y),
            UnaryOp::Sin => scale(sink, to, other, |_, cos| cos),
            UnaryOp::Cos => scale(sink, to, other, |_, sin| -sin),
            UnaryOp::Tan => scale(sink, to, ayg, |_, y| 1.0 + y * y),
            UnaryOp::Tanh => scale(sink, to, ayg, |_, y| 1.0 - y * y),
            UnaryOp::Abs => scale(sink, to, ayg, abs_subgradient),
            UnaryOp::Square => scale(sink, to, ayg, |x, _| 2.0 * x),
        }
    }
}

/// The sign of x, with 0 at 0 (the minimum-norm subgradient) and NaN at NaN.
fn abs_subgradient(x: f64, _y: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        f64::NAN
    }
}
