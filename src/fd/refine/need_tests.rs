//! `after_sums` skips `classify`'s verdict for the axis directions that `need` sends to
//! the fused path (`Need::Sums`): its doc argues that `classify` can then only say `None`
//! or `NoiseLike`, which are not refined. Checked here on random points, typical
//! magnitudes, steps, noise scales and sums (decades apart, so that every test of `judge`
//! goes both ways), with the a priori suspects drawn often; and `after_sums` leaves the
//! probe (trigger sums, change scales, bound) bit for bit as `classify` followed by the
//! plain bound did. A `need` that let a suspect direction through (for example `SMALL_X`
//! at 50 there) fails the first check.

use super::*;
use crate::fd::options::Options;

/// xorshift64*: deterministic draws without a dependency.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `10^e`, e uniform in `lo..hi`.
    fn decade(&mut self, lo: f64, hi: f64) -> f64 {
        10f64.powf(lo + (hi - lo) * self.unit())
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.unit() * items.len() as f64) as usize % items.len()]
    }
}

fn flat(_: &[f64], y: &mut [f64]) -> Result<(), i32> {
    y.fill(1.0);
    Ok(())
}

/// Random sums whose ratios straddle every threshold of `judge` (30 r^2, the rounding
/// test's 1e-8).
fn sums(g: &mut Rng, t: f64) -> Sums {
    let m = g.decade(-6.0, 3.0);
    let eps = f64::EPSILON;
    Sums {
        d2: m * g.decade(-14.0, -6.0),
        m,
        size: m * g.decade(-4.0, 2.0),
        round: m * g.decade(-20.0, -6.0),
        d1: m * g.decade(-10.0, 0.0) / t,
        noise: g.pick(&[0.0, eps * m]),
        trunc: m * g.decade(-14.0, -8.0),
        f_scale: m * g.decade(-2.0, 0.0),
        grid: g.pick(&[0.0, eps * m]),
    }
}

/// Random draws of the property test below: fewer under Miri, which runs the unit tests
/// of `fd` in CI about a thousand times slower (200,000 draws there took over 20 minutes).
const DRAWS: usize = if cfg!(miri) { 100 } else { 200_000 };

#[test]
fn a_direction_need_sends_to_the_sums_is_never_refined() {
    let mut g = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut sums_seen, mut refined_seen) = (0, 0);
    for case in 0..DRAWS {
        let n = 1 + case % 3;
        let j = case % n;
        let mut opts = Options::new();
        let typ: Vec<f64> = (0..n).map(|_| g.decade(-3.0, 3.0)).collect();
        let with_typ = g.unit() < 0.5;
        if with_typ {
            opts.set_typical(Some(typ.clone())).unwrap();
        }
        let typ_j = if with_typ { typ[j] } else { 1.0 };
        let scale = g.pick(&[
            0.0, 1e-9, 1e-5, 1e-3, 9e-3, 1e-2, 0.011, 0.5, 1.0, 900.0, 1e3, 2e3,
        ]);
        let sign = g.pick(&[1.0, -1.0]);
        let mut x: Vec<f64> = (0..n).map(|_| g.unit() - 0.5).collect();
        let spread = 1.0 + g.unit();
        x[j] = sign * typ_j * scale * g.pick(&[1.0, spread]);
        let r = Scheme::Central.default_relative_step();
        let factor = g.decade(-3.0, 6.0);
        let t = r * x[j].abs().max(typ_j) * g.pick(&[1.0, 1.0, factor]);
        let y0 = [1.0, -2.0];
        let mut p = Probe::new(&flat, &opts, &x, 2, Some(&y0), 0).unwrap();
        if g.unit() < 0.1 {
            p.step_scale = 1.0 + 10.0 * g.unit();
        }
        let s = sums(&mut g, t);
        let dir = Direction::Axis(j);
        let verdict = classify(&mut p, dir, t, &s);
        let refined = matches!(
            verdict,
            Some(Suspect::Large(..) | Suspect::Own(_) | Suspect::Inflection(_) | Suspect::Rounding)
        );
        if need(&p, dir, t) == Need::Sums {
            sums_seen += 1;
            assert!(
                !refined,
                "case {case}: x_j = {:e}, typ_j = {typ_j:e}, t = {t:e}: need says Sums",
                x[j]
            );
        } else {
            refined_seen += usize::from(refined);
        }
    }
    // The draws reach both sides.
    assert!(
        sums_seen > DRAWS / 4 && refined_seen > DRAWS / 4,
        "{sums_seen} {refined_seen} of {DRAWS}"
    );
}

#[test]
fn after_sums_leaves_the_probe_as_classify_and_the_plain_bound_did() {
    let mut g = Rng(0x2545_f491_4f6c_dd1d);
    let opts = Options::new();
    let x = [0.7, -1.3];
    let y0 = [1.0];
    let (mut a, mut b) = (
        Probe::new(&flat, &opts, &x, 1, Some(&y0), 0).unwrap(),
        Probe::new(&flat, &opts, &x, 1, Some(&y0), 0).unwrap(),
    );
    let draws = if cfg!(miri) { 200 } else { 2000 };
    for k in 0..draws {
        let j = k % 2;
        let t = Scheme::Central.default_relative_step() * x[j].abs().max(1.0);
        let s = sums(&mut g, t);
        if k == draws / 2 {
            (a.step_scale, b.step_scale) = (3.0, 3.0);
        }
        // Before: classify, then the plain bound of a direction not refined.
        assert!(need(&a, Direction::Axis(j), t) == Need::Sums);
        classify(&mut a, Direction::Axis(j), t, &s);
        let bound = s.trunc
            + truncation_floor(s.d1, floor_step(&a, relative_step(&a)))
            + s.round
            + s.noise / t
            + s.grid;
        let bound = bound + refuted_floor(&a, &s, t);
        a.bound(scale_entry(Direction::Axis(j), bound));
        after_sums(&mut b, Direction::Axis(j), t, &s);
        let bits = |p: &Probe<'_, '_, _>| {
            [
                p.f_scale,
                p.max_change,
                p.second_difference_squares.rms(1),
                p.second_difference_sum,
                p.report.error_bound,
            ]
            .map(f64::to_bits)
        };
        assert_eq!(bits(&a), bits(&b), "after {k} directions");
        assert_eq!(a.second_differences, b.second_differences);
        assert_eq!(a.second_difference_count, b.second_difference_count);
        assert_eq!(a.second_difference_nonzero, b.second_difference_nonzero);
        assert_eq!(a.bounded, b.bounded);
    }
}

/// The small calls' flat path asks `central_axis_suspect` instead of `need_at`: for the
/// options it takes (central, default step rule, typical magnitudes or not) the two agree
/// on every column, at random |x_j|, typ_j and steps decades apart, straddling each of the
/// tests' thresholds (t = |x_j|, 1e3 typ_j, typ_j / 100, 4 typ_j, 1e3), and at x_j = 0.
#[test]
fn the_flat_paths_suspect_test_is_need_at_for_its_options() {
    let mut rng = Rng(0x5eed_1513);
    let draws = if cfg!(miri) { 40 } else { 40_000 };
    for k in 0..draws {
        let typ = rng.decade(-4.0, 4.0);
        let edges = [1e3 * typ, typ / 100.0, 4.0 * typ, 1e3, typ];
        let ax = match k % 4 {
            0 => rng.decade(-8.0, 8.0),
            1 => rng.pick(&edges) * (1.0 + 1e-12 * (rng.unit() - 0.5)),
            2 => rng.pick(&edges),
            _ => 0.0,
        };
        let x = [if rng.unit() < 0.5 { ax } else { -ax }, 0.5];
        let t = if k % 3 == 0 {
            ax
        } else {
            rng.decade(-12.0, 2.0)
        };
        let mut opts = Options::default();
        let typical = k % 2 == 0;
        if typical {
            opts.set_typical(Some(vec![typ, 1.0])).unwrap();
        }
        let typ_used = if typical { typ } else { 1.0 };
        let need = need_at(&opts, &x, 1.0, Direction::Axis(0), t);
        let suspect = central_axis_suspect(x[0].abs(), typ_used, t);
        assert_eq!(
            need == Need::Columns,
            suspect,
            "draw {k}: ax {ax:e} typ {typ_used:e} t {t:e}"
        );
        assert!(matches!(need, Need::Columns | Need::Sums), "draw {k}");
    }
}
