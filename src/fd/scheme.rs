//! Difference schemes and their stencils.
//!
//! A stencil approximates a directional derivative as `sum_k w_k f(x + o_k t d) / t`.
//! Offset 0 is f(x), which every computation evaluates once and reuses, so it costs nothing.

/// A finite-difference formula: offsets (multiples of the step) and weights.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stencil {
    pub offsets: &'static [f64],
    pub weights: &'static [f64],
    /// The order p of the truncation error O(t^p).
    pub order: i32,
}

/// `(f(x+t) - f(x)) / t`, first order.
const ONE_SIDED_1: Stencil = Stencil {
    offsets: &[0.0, 1.0],
    weights: &[-1.0, 1.0],
    order: 1,
};
/// `(f(x+t) - f(x-t)) / 2t`, second order.
const CENTRAL_2: Stencil = Stencil {
    offsets: &[-1.0, 1.0],
    weights: &[-0.5, 0.5],
    order: 2,
};
/// `(-3 f(x) + 4 f(x+t) - f(x+2t)) / 2t`, second order, one side only.
const ONE_SIDED_2: Stencil = Stencil {
    offsets: &[0.0, 1.0, 2.0],
    weights: &[-1.5, 2.0, -0.5],
    order: 2,
};
/// Five-point central difference, fourth order.
const CENTRAL_4: Stencil = Stencil {
    offsets: &[-2.0, -1.0, 1.0, 2.0],
    weights: &[1.0 / 12.0, -2.0 / 3.0, 2.0 / 3.0, -1.0 / 12.0],
    order: 4,
};
/// Fourth order on one side: `(-25 f0 + 48 f1 - 36 f2 + 16 f3 - 3 f4) / 12t`.
const ONE_SIDED_4: Stencil = Stencil {
    offsets: &[0.0, 1.0, 2.0, 3.0, 4.0],
    weights: &[-25.0 / 12.0, 4.0, -3.0, 4.0 / 3.0, -0.25],
    order: 4,
};

/// A stencil placed on one side: `side = -1.0` mirrors it (offsets and weights negated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placed {
    pub stencil: Stencil,
    pub side: f64,
}

impl Placed {
    /// The order of the stencil's truncation error.
    pub fn order(&self) -> i32 {
        self.stencil.order
    }

    /// The (offset, weight) pairs after mirroring.
    pub fn terms(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        let s = self.side;
        self.stencil
            .offsets
            .iter()
            .zip(self.stencil.weights)
            .map(move |(&o, &w)| (s * o, s * w))
    }

    /// The smallest and largest offsets, in multiples of the step.
    pub fn reach(&self) -> (f64, f64) {
        self.terms()
            .fold((0.0f64, 0.0f64), |(lo, hi), (o, _)| (lo.min(o), hi.max(o)))
    }
}

/// Which finite-difference scheme a computation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// `(f(x+h) - f(x)) / h`: n extra evaluations, error O(h).
    Forward,
    /// `(f(x) - f(x-h)) / h`: n extra evaluations, error O(h).
    Backward,
    /// `(f(x+h) - f(x-h)) / 2h`: 2n extra evaluations, error O(h^2).
    #[default]
    Central,
    /// Five-point central difference: 4n extra evaluations, error O(h^4).
    Central4,
}

impl Scheme {
    /// The default relative step `r`: eps^(1/2) one-sided, eps^(1/3) central, eps^(1/5) 4th order.
    ///
    /// These balance truncation error (h^p) against rounding error (eps / h) for a scheme of
    /// order p: h ~ eps^(1/(p+1)).
    pub const fn default_relative_step(self) -> f64 {
        // Literals: a cube root per column costs more than the rest of the column's work.
        match self {
            Scheme::Forward | Scheme::Backward => 1.4901161193847656e-8, // eps^(1/2) = 2^-26
            Scheme::Central => 6.0554544523933395e-6,                    // eps^(1/3)
            Scheme::Central4 => 7.40095979741405e-4,                     // eps^(1/5)
        }
    }

    /// The stencils to try, best first: the scheme's own, then one-sided ones of the same
    /// order (used near a bound or when f is not finite at a perturbed point), each once.
    pub(crate) fn candidates(self) -> &'static [Placed] {
        const fn on(side: f64, stencil: Stencil) -> Placed {
            Placed { stencil, side }
        }
        const FORWARD: &[Placed] = &[on(1.0, ONE_SIDED_1), on(-1.0, ONE_SIDED_1)];
        const BACKWARD: &[Placed] = &[on(-1.0, ONE_SIDED_1), on(1.0, ONE_SIDED_1)];
        const CENTRAL: &[Placed] = &[
            on(1.0, CENTRAL_2),
            on(1.0, ONE_SIDED_2),
            on(-1.0, ONE_SIDED_2),
        ];
        const CENTRAL4: &[Placed] = &[
            on(1.0, CENTRAL_4),
            on(1.0, ONE_SIDED_4),
            on(-1.0, ONE_SIDED_4),
        ];
        match self {
            Scheme::Forward => FORWARD,
            Scheme::Backward => BACKWARD,
            Scheme::Central => CENTRAL,
            Scheme::Central4 => CENTRAL4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_steps_are_the_roots_of_eps() {
        let eps = f64::EPSILON;
        let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b;
        assert_eq!(Scheme::Forward.default_relative_step(), eps.sqrt());
        assert_eq!(Scheme::Backward.default_relative_step(), eps.sqrt());
        assert!(close(Scheme::Central.default_relative_step(), eps.cbrt()));
        assert!(close(
            Scheme::Central4.default_relative_step(),
            eps.powf(0.2)
        ));
    }

    /// What column groups with a stencil per column rely on (see `fd::group`):
    /// a scheme's candidates have equally many points besides f(x), and f(x) (offset 0)
    /// comes before them.
    #[test]
    fn candidates_share_their_point_count_and_put_f_of_x_first() {
        for scheme in [
            Scheme::Forward,
            Scheme::Backward,
            Scheme::Central,
            Scheme::Central4,
        ] {
            let candidates = scheme.candidates();
            for c in candidates {
                let points = c.terms().filter(|&(o, _)| o != 0.0).count();
                assert_eq!(
                    points,
                    candidates[0].terms().filter(|&(o, _)| o != 0.0).count()
                );
                let first_point = c.terms().position(|(o, _)| o != 0.0).unwrap();
                assert!(c.terms().skip(first_point).all(|(o, _)| o != 0.0), "{c:?}");
            }
        }
    }

    /// Each stencil differentiates polynomials up to its order exactly.
    #[test]
    fn stencils_are_exact_on_polynomials_of_their_order() {
        for (stencil, order) in [
            (ONE_SIDED_1, 1),
            (CENTRAL_2, 2),
            (ONE_SIDED_2, 2),
            (CENTRAL_4, 4),
            (ONE_SIDED_4, 4),
        ] {
            for side in [1.0, -1.0] {
                let p = Placed { stencil, side };
                for k in 0..=order {
                    // d/dt t^k at t = 0 is 1 for k = 1, else 0.
                    let d: f64 = p.terms().map(|(o, w)| w * o.powi(k)).sum();
                    let want = if k == 1 { 1.0 } else { 0.0 };
                    assert!(
                        (d - want).abs() < 1e-14,
                        "{stencil:?} side {side} k {k}: {d}"
                    );
                }
            }
        }
    }
}
