//! Complex-valued functions `C^n -> C^m`: VJP, JVP and Jacobian by finite differences
//! against their Wirtinger derivatives `A = df/dz`, `B = df/dconj(z)`, on holomorphic
//! (`z^2`), anti-holomorphic (`conj(z)`), real-valued (`|z|^2`) and mixed examples, at
//! random points with random cotangents and directions.
//!
//! Conventions checked (see `src/fd/complex_function.rs`):
//! - VJP (ChainRules): `grad_j = sum_i conj(A_ij) v_i + B_ij conj(v_i)`;
//!   JAX's `vjp(c) = sum_i A_ij c_i + conj(B_ij) conj(c_i) = conj(grad(conj(c)))`.
//! - JVP: `A u + B conj(u)`.
//! - Jacobian: real 2m×2n, 2×2 blocks `[[Re(A+B), Im(B-A)], [Im(A+B), Re(A-B)]]`.
//!
//! Tolerance: `1e-8 * (1 + |exact|)` per entry (central differences at the default step).

use fdvjp::fd::{complex_jacobian, complex_jvp, complex_vjp, Complex64, Options, Scheme};

use crate::accuracy_common as common;

use common::{complex_cases as examples, ComplexCase as Example};

type C = Complex64;

/// SplitMix64 in [-1.5, 1.5).
struct Rng(u64);

impl Rng {
    fn real(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        3.0 * ((z >> 11) as f64 / (1u64 << 53) as f64) - 1.5
    }

    fn complex(&mut self, k: usize) -> Vec<C> {
        (0..k).map(|_| C::new(self.real(), self.real())).collect()
    }
}

fn close(got: C, want: C, what: &str) {
    let tol = 1e-8 * (1.0 + want.norm());
    assert!((got - want).norm() <= tol, "{what}: got {got}, want {want}");
}

fn callable(f: fn(&[C], &mut [C])) -> impl Fn(&[C], &mut [C]) -> Result<(), i32> {
    move |z, w| {
        f(z, w);
        Ok(())
    }
}

/// Runs `check(example, z, v, u)` at 30 random points per example.
fn each_point(mut check: impl FnMut(&Example, &[C], &[C], &[C])) {
    let mut rng = Rng(42);
    for ex in examples() {
        for _ in 0..30 {
            let (z, v, u) = (rng.complex(ex.n), rng.complex(ex.m), rng.complex(ex.n));
            check(&ex, &z, &v, &u);
        }
    }
}

#[test]
fn vjp_follows_chainrules() {
    each_point(|ex, z, v, _| {
        let (a, b) = (ex.derivatives)(z);
        let grad = complex_vjp(&callable(ex.f), z, v, &Options::new()).unwrap();
        for j in 0..ex.n {
            let want: C = (0..ex.m)
                .map(|i| a[i * ex.n + j].conj() * v[i] + b[i * ex.n + j] * v[i].conj())
                .sum();
            close(grad[j], want, &format!("{} grad[{j}]", ex.name));
        }
    });
}

/// JAX's convention is the conjugate on both sides: `conj(grad(conj(c)))`.
#[test]
fn conjugating_both_sides_gives_jax() {
    each_point(|ex, z, c, _| {
        let (a, b) = (ex.derivatives)(z);
        let conj_c: Vec<C> = c.iter().map(|ci| ci.conj()).collect();
        let grad = complex_vjp(&callable(ex.f), z, &conj_c, &Options::new()).unwrap();
        for j in 0..ex.n {
            let jax: C = (0..ex.m)
                .map(|i| a[i * ex.n + j] * c[i] + b[i * ex.n + j].conj() * c[i].conj())
                .sum();
            close(grad[j].conj(), jax, &format!("{} jax[{j}]", ex.name));
        }
    });
}

/// The two conventions' headline cases: holomorphic `z^2` and the real loss `|z|^2`.
#[test]
fn headline_cases() {
    let z = [C::new(0.8, -0.6)];
    let one = [C::new(1.0, 0.0)];
    let o = Options::new();
    let square = complex_vjp(&callable(|z, w| w[0] = z[0] * z[0]), &z, &one, &o).unwrap();
    close(
        square[0],
        (2.0 * z[0]).conj(),
        "z^2: ChainRules gives conj(f')",
    );
    let abs2 = |z: &[C], w: &mut [C]| w[0] = C::new(z[0].norm_sqr(), 0.0);
    let grad = complex_vjp(&callable(abs2), &z, &one, &o).unwrap();
    close(grad[0], 2.0 * z[0], "|z|^2: steepest ascent 2z");
    close(grad[0].conj(), 2.0 * z[0].conj(), "|z|^2: JAX's 2 conj(z)");
}

#[test]
fn jvp_is_a_u_plus_b_conj_u() {
    for scheme in [Scheme::Central, Scheme::Central4] {
        let mut o = Options::new();
        o.set_scheme(scheme);
        each_point(|ex, z, _, u| {
            let (a, b) = (ex.derivatives)(z);
            let jvp = complex_jvp(&callable(ex.f), z, ex.m, u, &o).unwrap();
            for i in 0..ex.m {
                let want: C = (0..ex.n)
                    .map(|j| a[i * ex.n + j] * u[j] + b[i * ex.n + j] * u[j].conj())
                    .sum();
                close(jvp[i], want, &format!("{} jvp[{i}]", ex.name));
            }
        });
    }
}

#[test]
fn jacobian_is_the_real_jacobian_of_the_interleaved_view() {
    each_point(|ex, z, _, _| {
        let (a, b) = (ex.derivatives)(z);
        let jac = complex_jacobian(&callable(ex.f), z, ex.m, &Options::new()).unwrap();
        let cols = 2 * ex.n;
        assert_eq!(jac.len(), 2 * ex.m * cols);
        for i in 0..ex.m {
            for j in 0..ex.n {
                let (aij, bij) = (a[i * ex.n + j], b[i * ex.n + j]);
                let block = [
                    [(aij + bij).re, (bij - aij).im],
                    [(aij + bij).im, (aij - bij).re],
                ];
                for (r, row) in block.iter().enumerate() {
                    for (c, &want) in row.iter().enumerate() {
                        let got = jac[(2 * i + r) * cols + 2 * j + c];
                        close(
                            C::new(got, 0.0),
                            C::new(want, 0.0),
                            &format!("{} J[{}][{}]", ex.name, 2 * i + r, 2 * j + c),
                        );
                    }
                }
            }
        }
    });
}
