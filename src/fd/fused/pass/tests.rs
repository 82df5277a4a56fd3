//! The pass against the one it replaced (issue 15), transcribed here as the reference:
//! per output the truncation of `refine::truncation`, `f64::max`, the column entry `n / t`
//! formed before anything else. The product and every sum that decides must agree bit for
//! bit on random columns (outputs of mixed signs and magnitudes, zeros, zero weights);
//! the truncation sum to a few ulps.

use super::super::super::refine::{truncation, SIZE};
use super::*;

/// The sums of the pass as the code before it formed them, output by output.
struct Reference {
    dot: f64,
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
    let mut dot = -0.0;
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
        acc[0][l] += av * truncation(d1, d2, t, r);
        acc[1][l] += av * n.abs();
        acc[2][l] += av * d2.abs();
        acc[3][l] += av * rho;
        acc[4][l] += av * (SIZE * rho).max(n.abs() * inv_r);
        f_scale = f_scale.max(d1.abs() * t / r);
    }
    Reference {
        dot,
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

#[test]
fn the_pass_decides_and_multiplies_bit_for_bit_as_the_column_by_column_code() {
    let r = f64::EPSILON.cbrt();
    let mut draw = Draw(0x9e37_79b9_7f4a_7c15);
    for case in 0..400usize {
        let m = 1 + case % 37;
        let t = r * (0.5 + draw.unit()) * 10f64.powi((case % 5) as i32 - 2);
        let y0: Vec<f64> = (0..m).map(|_| draw.value()).collect();
        // Points near f(x) (a smooth f) for most cases, unrelated values for some.
        let near = |draw: &mut Draw, y: f64| match case % 3 {
            0 => draw.value(),
            _ => y + t * draw.value() + t * t * draw.value(),
        };
        let ya: Vec<f64> = y0.iter().map(|&y| near(&mut draw, y)).collect();
        let yb: Vec<f64> = y0.iter().map(|&y| near(&mut draw, y)).collect();
        let v: Vec<f64> = (0..m).map(|_| draw.value()).collect();
        let w = (-0.5, 0.5);
        let want = reference(&ya, &yb, &y0, &v, w, t, r);
        let mut products = vec![0.0; m];
        let got = central_pass(&ya, &yb, &y0, &v, w, t, Consts::new(r), &mut products);
        let bits = |a: &[f64; LANES]| a.map(f64::to_bits);
        assert_eq!(
            got.dot.to_bits(),
            want.dot.to_bits(),
            "case {case}: product"
        );
        assert_eq!(bits(&got.n), bits(&want.lanes[1]), "case {case}: |n|");
        assert_eq!(bits(&got.d2), bits(&want.lanes[2]), "case {case}: |D2|");
        assert_eq!(bits(&got.rho), bits(&want.lanes[3]), "case {case}: rho");
        assert_eq!(bits(&got.m), bits(&want.lanes[4]), "case {case}: M");
        let top = got.top.iter().fold(0.0, |a, &b| larger(a, b));
        let f_scale = top / t * t / r;
        assert_eq!(
            f_scale.to_bits(),
            want.f_scale.to_bits(),
            "case {case}: f_scale"
        );
        // The truncation sums, lane by lane, within 4 ulps of each term's sum.
        for l in 0..LANES {
            let (a, b) = (got.trunc[l] / (2.0 * t), want.lanes[0][l]);
            assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * b,
                "case {case}, lane {l}: truncation {a:e} against {b:e}"
            );
        }
        // Fewer outputs than lanes: the one-lane pass adds up to the same, bit for bit.
        if m < LANES {
            let small = central_small(&ya, &yb, &y0, &v, w, t, Consts::new(r));
            let total = |p: Totals| [p.n, p.d2, p.rho, p.m, p.trunc, p.top].map(f64::to_bits);
            assert_eq!(small.dot.to_bits(), got.dot.to_bits(), "case {case}: small");
            assert_eq!(
                total(small.totals()),
                total(got.totals()),
                "case {case}: small"
            );
        }
        // The general stencil loop gives the same as the central one.
        let terms = [(-1.0, -0.5), (1.0, 0.5)];
        let points: Vec<f64> = ya.iter().chain(&yb).copied().collect();
        let general = general_pass(&terms, &points, &y0, &v, t, Consts::new(r));
        assert_eq!(
            general.dot.to_bits(),
            got.dot.to_bits(),
            "case {case}: general"
        );
        assert_eq!(bits(&general.m), bits(&got.m), "case {case}: general M");
        assert_eq!(
            bits(&general.trunc),
            bits(&got.trunc),
            "case {case}: general"
        );
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
        let got = trunc_2t(n, d2, r / 3.0) / (2.0 * t);
        assert!(
            (got - want).abs() <= 4.0 * f64::EPSILON * want,
            "|n| = {n:e}, |D2| = {d2:e}: {got:e} against {want:e}"
        );
    }
}
