//! The pass against the one it replaced (issue 15), transcribed here as the reference:
//! per output the truncation of `refine::truncation`, `f64::max`, the column entry `n / t`
//! formed before anything else. Every sum that decides must agree bit for bit on random
//! columns (outputs of mixed signs and magnitudes, zeros, zero weights); the product
//! within the rounding of a sum of m terms (bit for bit for the small pass, for unit
//! weights and near underflow or overflow); the truncation sum to a few ulps; and M,
//! formed only where it may raise the call's maximum, must never be skipped where it
//! would.

use super::super::super::refine::{truncation, SIZE};
use super::*;

/// The sums of the pass as the code before it formed them, output by output.
struct Reference {
    dot: f64,
    /// `sum_i |n_i / t| |v_i|`, the scale of the product's rounding.
    dot_abs: f64,
    lanes: [[f64; LANES]; 5],
    f_scale: f64,
}

fn reference(
    ya: &[f64],
    yb: &[f64],
    y0: &[f64],
    v: &[f64],
    w: (f64, f64),
    t: f64,
    r: f64,
) -> Reference {
    let m = v.len();
    let inv_r = 1.0 / r;
    let (wa, wb) = w;
    let (aa, ab) = (wa.abs(), wb.abs());
    let (mut dot, mut dot_abs) = (-0.0, 0.0);
    let mut acc = [[0.0f64; LANES]; 5];
    let mut f_scale = 0.0f64;
    let full = m - m % LANES;
    for i in 0..m {
        let l = if i < full { i % LANES } else { i - full };
        let (a, b) = (ya[i] - y0[i], yb[i] - y0[i]);
        let mut n = 0.0;
        n += wa * a;
        n += wb * b;
        let rho = aa * ya[i].abs() + ab * yb[i].abs();
        let (av, d2) = (v[i].abs(), a + b);
        let d1 = n / t;
        dot += d1 * v[i];
        dot_abs += (d1 * v[i]).abs();
        acc[0][l] += av * truncation(d1, d2, t, r);
        acc[1][l] += av * n.abs();
        acc[2][l] += av * d2.abs();
        acc[3][l] += av * rho;
        acc[4][l] += av * (SIZE * rho).max(n.abs() * inv_r);
        f_scale = f_scale.max(d1.abs() * t / r);
    }
    Reference {
        dot,
        dot_abs,
        lanes: acc,
        f_scale,
    }
}

/// A reproducible stream of doubles: mixed signs, magnitudes 1e-12 .. 1e6, some zeros.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn value(&mut self) -> f64 {
        let sign = if self.next() & 1 == 0 { 1.0 } else { -1.0 };
        match self.next() % 8 {
            0 => 0.0,
            1 => sign * 10f64.powf(-12.0 + 18.0 * self.unit()),
            _ => sign * (0.1 + self.unit()),
        }
    }
}

/// A random column of `m` outputs (`case` picks the step's scale and how f looks: unrelated
/// values, a smooth f, or a flat one, constant along the axis, where only `SIZE ρ` counts
/// in M).
fn column_data(
    draw: &mut Draw,
    case: usize,
    m: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, f64) {
    let t = R * (0.5 + draw.unit()) * 10f64.powi((case % 5) as i32 - 2);
    let y0: Vec<f64> = (0..m).map(|_| draw.value()).collect();
    let near = |draw: &mut Draw, y: f64| match case % 4 {
        0 => draw.value(),
        3 => y,
        _ => y + t * draw.value() + t * t * draw.value(),
    };
    let ya: Vec<f64> = y0.iter().map(|&y| near(draw, y)).collect();
    let yb: Vec<f64> = y0.iter().map(|&y| near(draw, y)).collect();
    let v: Vec<f64> = (0..m).map(|_| draw.value()).collect();
    (ya, yb, y0, v, t)
}

/// The pass's inputs for a column drawn by [`column_data`].
fn column<'a>((ya, yb, y0, v, t): &'a (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, f64)) -> Column<'a> {
    Column {
        ya,
        yb,
        y0,
        v,
        t: *t,
    }
}

#[test]
fn the_pass_decides_and_multiplies_bit_for_bit_as_the_column_by_column_code() {
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    let cases = if cfg!(miri) { 40 } else { 400 };
    for case in 0..cases {
        let m = 1 + case % 37;
        let data = column_data(&mut draw, case, m);
        let c = column(&data);
        let want = reference(c.ya, c.yb, c.y0, c.v, WEIGHTS, c.t, R);
        let got = central_pass(&c, y0_size(c.y0, c.v));
        // Fewer outputs than lanes: the one-loop pass, M included, alike.
        let small = (m < LANES).then(|| small_pass(&c));
        for (got, what) in [(&got, "pass")]
            .into_iter()
            .chain(small.as_ref().map(|s| (s, "small")))
        {
            if what == "small" {
                assert_eq!(
                    got.dot.to_bits(),
                    want.dot.to_bits(),
                    "case {case}, small: product"
                );
            } else {
                // Summed in lanes and divided once: the ordered sum's rounding, m + 2
                // roundings of the terms' size at most, either way.
                let tol = 2.0 * (m as f64 + 2.0) * f64::EPSILON * want.dot_abs;
                assert!(
                    (got.dot - want.dot).abs() <= tol,
                    "case {case}: product {:e} against {:e}",
                    got.dot,
                    want.dot
                );
            }
            // What decides: bit for bit.
            assert_eq!(
                got.d2.to_bits(),
                lanes_total(&want.lanes[2]).to_bits(),
                "case {case}, {what}: |D2|"
            );
            let f_scale = got.top / c.t * c.t / R;
            assert_eq!(
                f_scale.to_bits(),
                want.f_scale.to_bits(),
                "case {case}, {what}: f_scale"
            );
            // The bound's sums (|n|, ρ, the truncation), added in another order: within
            // the rounding of a sum of m non-negative terms (and 4 ulps of each truncation
            // term).
            let close = |got: f64, want: f64, sum: &str| {
                let tol = 4.0 * (m as f64 + 4.0) * f64::EPSILON * want;
                assert!(
                    (got - want).abs() <= tol,
                    "case {case}, {what}: {sum} {got:e} against {want:e}"
                );
            };
            close(got.n, lanes_total(&want.lanes[1]), "|n|");
            let rho = lanes_total(&want.lanes[3]);
            if what == "small" {
                close(got.rho, rho, "rho");
            } else {
                // The pass's bound of ρ: never below the sum, and above it by at most
                // |D2| + 2 |n| (`rho_cover`).
                assert!(
                    got.rho >= rho,
                    "case {case}: rho {:e} below {rho:e}",
                    got.rho
                );
                let above = lanes_total(&want.lanes[2]) + 2.0 * lanes_total(&want.lanes[1]);
                let ceiling = (rho + above) * (1.0 + 8.0 * (m as f64 + 8.0) * f64::EPSILON)
                    + f64::MIN_POSITIVE;
                assert!(
                    got.rho <= ceiling,
                    "case {case}: rho {:e} above {ceiling:e}",
                    got.rho
                );
            }
            close(
                got.trunc / (2.0 * c.t),
                lanes_total(&want.lanes[0]),
                "truncation",
            );
        }
        let m_want = lanes_total(&want.lanes[4]).to_bits();
        assert_eq!(change(&c).to_bits(), m_want, "case {case}: M");
        assert_eq!(got.change, None);
        if let Some(small) = small {
            assert_eq!(
                small.change.map(f64::to_bits),
                Some(m_want),
                "case {case}: small M"
            );
        }
    }
}

/// `change_may_exceed` never answers "no" for a maximum that M exceeds: over random
/// columns (flat ones, where M is the bound's `SIZE R` term alone up to rounding, and
/// magnitudes near underflow), M's largest value below it still "may be exceeded".
#[test]
fn m_is_skipped_only_where_it_cannot_raise_the_maximum() {
    let mut draw = Draw(0x2545_f491_4f6c_dd1d);
    let cases = if cfg!(miri) { 10 } else { 4000 };
    for case in 0..cases {
        let m = 1 + (case * 7) % 300;
        let mut data = column_data(&mut draw, case, m);
        if case % 5 == 4 {
            // Near underflow: products and sums go subnormal.
            for y in data.0.iter_mut().chain(&mut data.1).chain(&mut data.2) {
                *y *= 1e-300;
            }
        }
        let c = column(&data);
        let exact = change(&c);
        let below = exact.next_down();
        // The rounding scale's bound covers the sum there too.
        let rho = lanes_total(&reference(c.ya, c.yb, c.y0, c.v, WEIGHTS, c.t, R).lanes[3]);
        let got = central_pass(&c, y0_size(c.y0, c.v)).rho;
        assert!(got >= rho, "case {case}: rho {got:e} below {rho:e}");
        if exact > 0.0 {
            assert!(
                change_may_exceed(&central_pass(&c, y0_size(c.y0, c.v)), m, below),
                "case {case}: M = {exact:e} would be skipped under a maximum {below:e}"
            );
        }
    }
}

#[test]
fn the_truncation_term_is_that_of_the_step_rule_at_its_edges() {
    let (r, t) = (f64::EPSILON.cbrt(), 1e-6);
    // (|n|, |D2|): D1 = 0 (the one-sided cap), D2 = 0, both 0, D2 dominating, tiny D2.
    for (n, d2) in [
        (0.0, 1e-12),
        (1e-6, 0.0),
        (0.0, 0.0),
        (1e-9, 1e-6),
        (1.0, 1e-300),
    ] {
        let want = truncation(n / t, d2, t, r);
        let got = trunc_2t(n, d2) / (2.0 * t);
        assert!(
            (got - want).abs() <= 4.0 * f64::EPSILON * want,
            "|n| = {n:e}, |D2| = {d2:e}: {got:e} against {want:e}"
        );
    }
}

/// With a unit weight (a VJP with the seed `e_k`, as a Jacobian's row is checked against)
/// the product is the column's entry `n_k / t` bit for bit, up to the sign of a zero: the
/// other terms are zeros, which add nothing.
#[test]
fn a_unit_weight_gives_the_entry_bit_for_bit() {
    let mut draw = Draw(0x51_7cc1_b727_220a);
    for case in 0..400 {
        let m = 4 + case % 33;
        let (ya, yb, y0, _, t) = column_data(&mut draw, case, m);
        let k = case % m;
        let v: Vec<f64> = (0..m).map(|i| if i == k { 1.0 } else { 0.0 }).collect();
        let data = (ya, yb, y0, v, t);
        let c = column(&data);
        let got = central_pass(&c, y0_size(c.y0, c.v)).dot;
        let (n, _, _) = central_terms(c.ya[k], c.yb[k], c.y0[k]);
        let want = n / c.t;
        assert!(
            got == want && (got != 0.0 || want == 0.0),
            "case {case}: {got:e} against {want:e}"
        );
        assert!(got.to_bits() == want.to_bits() || got == 0.0, "case {case}");
    }
}

/// Where the lanes' sum or the quotient could have lost bits to underflow, or overflowed
/// where the ordered terms did not, the product is the ordered sum bit for bit; where an
/// entry overflows but its product with v does not, the finite lanes' value. Columns
/// scaled to 2^-1000 .. 2^-960, weights up to 1e300 beside large differences, entries
/// that overflow beside weights of 1e-300.
#[test]
fn near_underflow_and_overflow_the_product_is_the_ordered_sum() {
    let mut draw = Draw(0x2f6b_1c3d_9e8a_4b57);
    // Cases that take the ordered sum, those among them where `raw / t` differs, and
    // those that keep a finite `raw / t` where the ordered sum is not finite, on the
    // suspect path and in all.
    let (mut ordered, mut differ, mut kept, mut finite_where_not) = (0, 0, 0, 0);
    for case in 0..600 {
        let m = 4 + case % 29;
        let (mut ya, mut yb, mut y0, mut v, t) = column_data(&mut draw, case, m);
        match case % 3 {
            0 => {
                let scale = f64::from_bits((1023 - 1000 + (case % 41) as u64) << 52);
                for y in ya.iter_mut().chain(&mut yb).chain(&mut y0) {
                    *y *= scale;
                }
            }
            1 => {
                for (i, w) in v.iter_mut().enumerate() {
                    *w *= if i % 3 == 0 { 1e300 } else { 1e-300 };
                }
                for y in yb.iter_mut() {
                    *y = 1e10 * (1.0 + *y);
                }
            }
            _ => {
                // n_0 / t overflows for t < 1; its weight keeps the product finite.
                (ya[0], yb[0], y0[0], v[0]) = (-1.7e308, 1.7e308, 0.0, 1e-300);
            }
        }
        let data = (ya, yb, y0, v, t);
        let c = column(&data);
        let want = reference(c.ya, c.yb, c.y0, c.v, WEIGHTS, c.t, R).dot;
        let got = central_pass(&c, y0_size(c.y0, c.v)).dot;
        let n: Vec<f64> = (0..m)
            .map(|i| central_terms(c.ya[i], c.yb[i], c.y0[i]).0)
            .collect();
        let full = m - m % LANES;
        let mut lanes = [-0.0; LANES];
        for i in 0..m {
            lanes[if i < full { i % LANES } else { i - full }] += n[i] * c.v[i];
        }
        let raw = lanes_total(&lanes);
        let size = (0..m).map(|i| n[i].abs() * c.v[i].abs()).sum::<f64>();
        let tiny = |x: f64| x < product::TINY;
        let lanes = raw / c.t;
        let suspect = !lanes.is_finite()
            || (size != 0.0 && (tiny(size) || tiny(size / c.t)))
            || (size == 0.0 && (0..m).any(|i| c.v[i] != 0.0 && n[i] != 0.0));
        let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a == 0.0 && b == 0.0);
        finite_where_not += usize::from(got.is_finite() && !want.is_finite());
        if !suspect {
            assert!(same(got, lanes), "case {case}: {got:e} against {lanes:e}");
        } else if want.is_finite() || !lanes.is_finite() {
            ordered += 1;
            differ += usize::from(!same(lanes, want));
            assert!(
                same(got, want) || (got.is_nan() && want.is_nan()),
                "case {case}: {got:e} against the ordered {want:e}"
            );
        } else {
            kept += 1;
            assert!(same(got, lanes), "case {case}: {got:e} against {lanes:e}");
        }
    }
    assert!(
        ordered >= 150 && differ >= 50 && finite_where_not >= 100,
        "{ordered} ordered, {differ} differ, {kept} kept, {finite_where_not} finite"
    );
}
