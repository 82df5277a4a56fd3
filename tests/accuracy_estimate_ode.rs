//! probe14 finding 5: the estimates through an adaptive ODE solver. Step acceptance leaves
//! small jumps in f (about rtol |f| where a trial step's fate changes) at places nothing
//! predicts; a tableau whose steps straddle one extrapolates a quotient that carries
//! `jump / t`, and its estimate did not count it (C tester: `jacobian_estimate` missed 22..91
//! of 300 per rtol, worst 258x).
//!
//! f(k, a, y0) = y(2) for `y' = -k y + a sin 3t`, `y(0) = y0`, by an embedded Cash–Karp
//! 4(5) pair with step control at relative tolerance rtol (`err <= rtol max(|y|, 1e-3)`,
//! the next step `h clamp(0.9 (sc / err)^(1/5), 0.2, 5)`); x = (k, a, y0) with k in
//! 0.2..2.2, a and y0 in -1..1, rtol 1e-6, 1e-8, 1e-10, 1e-12.
//!
//! Two references, since f has no single derivative at the tableau's scales:
//! - the derivative of the computed map at x (forward mode through the same program, its
//!   step decisions taken on the values, so the step sizes' dependence on x is included):
//!   the smooth piece of f that x lies on. Right where that piece is wide: at rtol 1e-6
//!   the solver's error (about rtol |y|) moves with x at every scale, and against the
//!   exact solution 308 of 450 Jacobian entries were uncovered.
//! - the derivative of the exact solution `y0 e^(-2k) + a (k sin 6 - 3 cos 6 + 3 e^(-2k)) /
//!   (k^2 + 9)`. Right where the piece is narrow: the step control `(sc / err)^(1/5)`
//!   responds steeply to x (near err = 0 or a clamp), so the computed map's derivative at
//!   x holds only on a scale far below the tableau's steps. At x = (1.9627, -0.8650,
//!   -0.3518), rtol 1e-10, f stays within 2e-13 of its tangent of the exact slope for
//!   steps 1e-5..0.12 (and leaves the piece at 6.5e-6), while the piece's derivative is
//!   off the exact one by 1.9e-9..4.6e-9; the estimates (2e-12..4e-11) covered the exact
//!   derivative and missed the piece's by 47..1981 times: the worst misses of est13.
//!
//! Covered: `|value - exact| <= estimate + 4 eps |exact|` for one of the two; a NaN
//! estimate (unbounded, loud) is allowed.

use crate::common;

use common::noisy::{Dual, Real};
use common::Rng;
use fdvjp::fd::{
    jacobian, jacobian_estimate, jvp_estimate, last_report, vjp_estimate, NoiseMode, Options,
};

/// Random points per tolerance.
const POINTS: usize = 150;

/// The tolerances.
const TOLERANCES: [f64; 4] = [1e-6, 1e-8, 1e-10, 1e-12];

fn lit<R: Real>(v: f64) -> R {
    R::c(v)
}

/// The larger of `v` and the constant `c`, decided on the value.
fn at_least<R: Real>(v: R, c: f64) -> R {
    if v.val() > c {
        v
    } else {
        R::c(c)
    }
}

/// One Cash–Karp step of `y' = g(t, y)` from (t, y) by h: the 5th- and 4th-order results.
fn cash_karp<R: Real>(g: &impl Fn(R, R) -> R, t: R, y: R, h: R) -> (R, R) {
    let k1 = h * g(t, y);
    let k2 = h * g(t + h * lit(0.2), y + k1 * lit(0.2));
    let k3 = h * g(
        t + h * lit(0.3),
        y + k1 * lit(3.0 / 40.0) + k2 * lit(9.0 / 40.0),
    );
    let k4 = h * g(
        t + h * lit(0.6),
        y + k1 * lit(0.3) - k2 * lit(0.9) + k3 * lit(1.2),
    );
    let k5 = h * g(
        t + h,
        y - k1 * lit(11.0 / 54.0) + k2 * lit(2.5) - k3 * lit(70.0 / 27.0) + k4 * lit(35.0 / 27.0),
    );
    let k6 = h * g(
        t + h * lit(0.875),
        y + k1 * lit(1631.0 / 55296.0)
            + k2 * lit(175.0 / 512.0)
            + k3 * lit(575.0 / 13824.0)
            + k4 * lit(44275.0 / 110592.0)
            + k5 * lit(253.0 / 4096.0),
    );
    let fifth = y
        + k1 * lit(37.0 / 378.0)
        + k3 * lit(250.0 / 621.0)
        + k4 * lit(125.0 / 594.0)
        + k6 * lit(512.0 / 1771.0);
    let fourth = y
        + k1 * lit(2825.0 / 27648.0)
        + k3 * lit(18575.0 / 48384.0)
        + k4 * lit(13525.0 / 55296.0)
        + k5 * lit(277.0 / 14336.0)
        + k6 * lit(0.25);
    (fifth, fourth)
}

/// y(2) by the adaptive solver at tolerance `rtol`, x = (k, a, y0).
fn solve<R: Real>(x: &[R], rtol: f64) -> R {
    solve_to(x, rtol, 2.0)
}

/// y(end) by the adaptive solver at tolerance `rtol`, x = (k, a, y0).
fn solve_to<R: Real>(x: &[R], rtol: f64, end: f64) -> R {
    let (k, a, mut y) = (x[0], x[1], x[2]);
    let g = move |t: R, y: R| -(k * y) + a * (t * lit(3.0)).sin();
    let (mut t, mut h) = (R::c(0.0), R::c(0.1));
    for _ in 0..100_000 {
        if t.val() >= end {
            break;
        }
        if (t + h).val() > end {
            h = R::c(end) - t;
        }
        let (fifth, fourth) = cash_karp(&g, t, y, h);
        let err = (fifth - fourth).abs();
        let scale = at_least(y.abs(), 1e-3) * lit(rtol);
        if err.val() <= scale.val() {
            t = t + h;
            y = fifth;
        }
        let factor = (scale / at_least(err, 1e-300)).powf(0.2) * lit(0.9);
        h = h * if factor.val() > 5.0 {
            lit(5.0)
        } else if factor.val() < 0.2 {
            lit(0.2)
        } else {
            factor
        };
    }
    y
}

/// y(2) of the exact solution, x = (k, a, y0).
fn exact<R: Real>(x: &[R]) -> R {
    exact_at(x, 2.0)
}

/// y(end) of the exact solution, x = (k, a, y0).
fn exact_at<R: Real>(x: &[R], end: f64) -> R {
    let (k, a, y0) = (x[0], x[1], x[2]);
    let decay = (k * lit(-end)).exp();
    let (s, c) = (3.0 * end).sin_cos();
    let forced = (k * lit(s) - lit(3.0 * c) + decay * lit(3.0)) / (k * k + lit(9.0));
    y0 * decay + a * forced
}

/// The gradient of `g` at x (forward mode, one input at a time).
fn gradient(x: &[f64], g: impl Fn(&[Dual]) -> Dual) -> Vec<f64> {
    (0..3)
        .map(|j| {
            let d: Vec<Dual> = (0..3)
                .map(|i| Dual {
                    v: x[i],
                    d: f64::from(u8::from(i == j)),
                })
                .collect();
            g(&d).d
        })
        .collect()
}

/// Uncovered and unbounded entries of one way of differentiating: against the computed
/// map's derivative (`piece`), and against both references (`both`, the smaller ratio).
#[derive(Default)]
struct Count {
    entries: usize,
    unbounded: usize,
    piece: usize,
    worst_piece: f64,
    both: usize,
    worst_both: f64,
}

impl Count {
    fn add(&mut self, got: &[f64], err: &[f64], piece: &[f64], exact: &[f64]) {
        for (((g, e), p), x) in got.iter().zip(err).zip(piece).zip(exact) {
            self.entries += 1;
            if e.is_nan() {
                self.unbounded += 1;
                continue;
            }
            let ratio = |w: f64| ((g - w).abs() - 4.0 * f64::EPSILON * w.abs()) / e;
            let (rp, rx) = (ratio(*p), ratio(*x));
            if rp > 1.0 {
                self.piece += 1;
                self.worst_piece = self.worst_piece.max(rp);
                if rx > 1.0 {
                    self.both += 1;
                    self.worst_both = self.worst_both.max(rp.min(rx));
                }
            }
        }
    }
}

/// Per tolerance: the three estimates, and the plain Jacobian under `NoiseMode::Auto` and
/// `NoiseMode::Estimate` (its report's error bound), counted on the same points.
fn counts() -> Vec<(f64, [Count; 5])> {
    let mut rng = Rng::new(0x5eed_1301);
    TOLERANCES
        .iter()
        .map(|&rtol| {
            let mut c: [Count; 5] = Default::default();
            let f = move |x: &[f64], y: &mut [f64]| {
                y[0] = solve(x, rtol);
                Ok(())
            };
            let opts = Options::new();
            let mut estimate = Options::new();
            estimate.set_noise_mode(NoiseMode::Estimate);
            for _ in 0..POINTS {
                let x = [
                    0.2 + 2.0 * rng.uniform(),
                    2.0 * rng.uniform() - 1.0,
                    2.0 * rng.uniform() - 1.0,
                ];
                let want = gradient(&x, |d| solve(d, rtol));
                let smooth = gradient(&x, exact);
                let u: Vec<f64> = (0..3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
                let e = jacobian_estimate(&f, &x, 1, &opts).unwrap();
                c[0].add(&e.value, &e.error, &want, &smooth);
                let e = vjp_estimate(&f, &x, &[1.0], &opts).unwrap();
                c[1].add(&e.value, &e.error, &want, &smooth);
                let e = jvp_estimate(&f, &x, 1, &u, &opts).unwrap();
                let along = |g: &[f64]| -> f64 { g.iter().zip(&u).map(|(g, u)| g * u).sum() };
                c[2].add(&e.value, &e.error, &[along(&want)], &[along(&smooth)]);
                for (k, o) in [(3, &opts), (4, &estimate)] {
                    let got = jacobian(&f, &x, 1, o).unwrap();
                    let bound = last_report().error_bound;
                    c[k].add(&got, &[bound; 3], &want, &smooth);
                }
            }
            (rtol, c)
        })
        .collect()
}

#[test]
fn estimates_cover_an_adaptive_solver() {
    let names = [
        "jacobian_estimate",
        "vjp_estimate",
        "jvp_estimate",
        "plain AUTO",
        "plain ESTIMATE",
    ];
    let (mut piece, mut entries) = (0, 0);
    for (rtol, c) in counts() {
        for (name, c) in names.iter().zip(&c) {
            eprintln!(
                "rtol {rtol:e} {name:18}: {} of {} uncovered (worst {:.3}x), {} against both \
                 references (worst {:.3}x), {} unbounded",
                c.piece, c.entries, c.worst_piece, c.both, c.worst_both, c.unbounded
            );
        }
        let here: usize = c[..3].iter().map(|c| c.entries).sum();
        let both: usize = c[..3].iter().map(|c| c.both).sum();
        let worst = c[..3].iter().map(|c| c.worst_both).fold(0.0, f64::max);
        eprintln!(
            "rtol {rtol:e}: estimates {both} of {here} uncovered against both, worst {worst:.3}x"
        );
        // Issue 16's goal (>= 98% covered) per tolerance; at rtol 1e-12 not met yet
        // (97.5%), a ratchet there.
        let allowed = if rtol >= 1e-10 { here / 50 } else { 26 };
        assert!(both <= allowed, "rtol {rtol:e}: {both} of {here} uncovered");
        assert!(
            worst <= 20.0,
            "rtol {rtol:e}: an estimate short by {worst}x"
        );
        if rtol >= 1e-6 {
            assert_eq!(both, 0, "rtol {rtol:e}: estimates uncovered");
        }
        piece += c[..3].iter().map(|c| c.piece).sum::<usize>();
        entries += here;
    }
    // Against the computed map's derivative alone (est13's figure): a ratchet at 3.5%.
    eprintln!("estimates: {piece} of {entries} entries uncovered against the piece");
    assert!(
        piece * 1000 <= 35 * entries,
        "{piece} of {entries} uncovered"
    );
}

/// The three outputs of the VJP test: y at these times, times these scales.
const OUTPUTS: [(f64, f64); 3] = [(2.0, 1e4), (1.0, 1.0), (0.5, 1e-4)];

/// A VJP with three outputs of different magnitudes, `s_i y(T_i)`, at y0 in 1e-5..1e-3
/// (below typ / 256: its column has a second tableau from its own scale) is judged output
/// by output where the tableaus contradict on an output (`richardson_outputs.rs`); each
/// output's estimate then carries its own even sample, as the dot product's does. rtol
/// 1e-8..1e-12, 150 points each, v random in -1..1. Judged output by output on 6 of the
/// 450 calls; without that sample 10 of 1,350 entries were uncovered against both
/// references (88 against the piece), with it 9 (87): a ratchet at 9, none short by more
/// than 20 times.
#[test]
fn vjp_of_three_outputs_covers() {
    let mut rng = Rng::new(0x5eed_1402);
    let opts = Options::new();
    let mut c = Count::default();
    for rtol in [1e-8, 1e-10, 1e-12] {
        let f = move |x: &[f64], y: &mut [f64]| {
            for (yi, (end, s)) in y.iter_mut().zip(OUTPUTS) {
                *yi = s * solve_to(x, rtol, end);
            }
            Ok(())
        };
        for _ in 0..POINTS {
            let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
            let x = [
                0.2 + 2.0 * rng.uniform(),
                2.0 * rng.uniform() - 1.0,
                sign * 1e-5 * 100f64.powf(rng.uniform()),
            ];
            let v: Vec<f64> = (0..3).map(|_| 2.0 * rng.uniform() - 1.0).collect();
            let dot = |g: &dyn Fn(&[Dual], f64) -> Dual| -> Vec<f64> {
                let mut out = vec![0.0; 3];
                for (vi, (end, s)) in v.iter().zip(OUTPUTS) {
                    let gi = gradient(&x, |d| g(d, end));
                    for (o, gij) in out.iter_mut().zip(gi) {
                        *o += vi * s * gij;
                    }
                }
                out
            };
            let piece = dot(&|d, end| solve_to(d, rtol, end));
            let smooth = dot(&|d, end| exact_at(d, end));
            let e = vjp_estimate(&f, &x, &v, &opts).unwrap();
            c.add(&e.value, &e.error, &piece, &smooth);
        }
    }
    eprintln!(
        "vjp of three outputs: {} of {} uncovered against both references (worst {:.3}x), \
         {} against the piece (worst {:.3}x), {} unbounded",
        c.both, c.entries, c.worst_both, c.piece, c.worst_piece, c.unbounded
    );
    assert!(c.both <= 9, "{} of {} uncovered", c.both, c.entries);
    assert!(
        c.worst_both <= 20.0,
        "an estimate short by {}x",
        c.worst_both
    );
}
