//! Fuzzes the tape through its C API: random op sequences on random shapes (elementwise,
//! reductions, powers, dot, matmul, reshape, slice, concat, opaque and custom-VJP calls),
//! invalid ids (0, another tape's, never issued, stale after a clear), bad seeds, replays.
//!
//! Checks: no crash and no internal error; every failure leaves its output untouched and
//! a message naming the function; a failed backward keeps the previous gradients; a
//! replay at the same inputs reproduces every value bit for bit; and the gradient of the
//! recorded composition against central differences of its replays, wherever those are
//! finite and converged (two steps agree to 1e-7), to 1e-4 relative.
#![no_main]

use fdvjp::ffi::*;
use fdvjp_fuzz::Input;
use libfuzzer_sys::fuzz_target;
use std::ffi::c_void;

const OK: fdvjp_status = fdvjp_status::FDVJP_OK;
const SENTINEL: u64 = 0x5eed_5eed_5eed_5eed;

/// A tape handle with one checked wrapper per C function used; freed when dropped (also on
/// the early returns).
struct Tape(*mut fdvjp_tape);

impl Drop for Tape {
    fn drop(&mut self) {
        // SAFETY: the handle came from fdvjp_tape_new and is not used after this.
        unsafe { fdvjp_tape_free(self.0) }
    }
}

/// Checks a status and the last error: known, not internal, a message naming `func` on
/// failure and none on success.
fn checked(func: &str, status: fdvjp_status) -> fdvjp_status {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length.
    let len = unsafe { fdvjp_last_error(buf.as_mut_ptr().cast(), buf.len()) };
    assert_ne!(
        status,
        fdvjp_status::FDVJP_INTERNAL_ERROR,
        "{func}: internal error"
    );
    if status == OK {
        assert_eq!(len, 0, "{func}: a message after success");
    } else {
        assert!(
            buf.starts_with(format!("{func}: ").as_bytes()),
            "{func}: message"
        );
    }
    status
}

impl Tape {
    /// Runs a recording call that writes one var: the var on success; on failure the
    /// output must be untouched.
    fn record(
        &self,
        func: &str,
        call: impl FnOnce(*mut fdvjp_tape, *mut fdvjp_var) -> fdvjp_status,
    ) -> Option<fdvjp_var> {
        let mut out = SENTINEL;
        let status = checked(func, call(self.0, &mut out));
        if status == OK {
            assert_ne!(out, 0, "{func}: var 0 issued");
            Some(out)
        } else {
            assert_eq!(out, SENTINEL, "{func}: output written on {status:?}");
            None
        }
    }

    fn len(&self, v: fdvjp_var) -> Option<usize> {
        let mut len = usize::MAX;
        // SAFETY: live tape, `len` a local.
        let s = checked("fdvjp_tape_len", unsafe {
            fdvjp_tape_len(self.0, v, &mut len)
        });
        (s == OK).then_some(len)
    }

    /// A var's values, or None (then the buffer must be untouched).
    fn value(&self, v: fdvjp_var, len: usize) -> Option<Vec<f64>> {
        let mut out = vec![f64::from_bits(SENTINEL); len];
        // SAFETY: live tape, `out` writable for len doubles.
        let s = unsafe { fdvjp_tape_value(self.0, v, out.as_mut_ptr(), len) };
        if checked("fdvjp_tape_value", s) == OK {
            Some(out)
        } else {
            assert!(
                out.iter().all(|x| x.to_bits() == SENTINEL),
                "value written on error"
            );
            None
        }
    }

    fn backward(&self, out: fdvjp_var, seed: Option<&[f64]>) -> fdvjp_status {
        let (p, len) = seed.map_or((std::ptr::null(), 0), |s| (s.as_ptr(), s.len()));
        // SAFETY: live tape; seed NULL or readable for len doubles.
        checked("fdvjp_tape_backward", unsafe {
            fdvjp_tape_backward(self.0, out, p, len)
        })
    }

    fn grad(&self, input: fdvjp_var, len: usize) -> Option<Vec<f64>> {
        let mut out = vec![f64::from_bits(SENTINEL); len];
        // SAFETY: live tape, `out` writable for len doubles.
        let s = unsafe { fdvjp_tape_grad(self.0, input, out.as_mut_ptr(), len) };
        if checked("fdvjp_tape_grad", s) == OK {
            Some(out)
        } else {
            assert!(
                out.iter().all(|x| x.to_bits() == SENTINEL),
                "grad written on error"
            );
            None
        }
    }

    fn set_input(&self, input: fdvjp_var, x: &[f64]) -> fdvjp_status {
        // SAFETY: live tape, x readable for its length.
        checked("fdvjp_tape_set_input", unsafe {
            fdvjp_tape_set_input(self.0, input, x.as_ptr(), x.len())
        })
    }

    fn forward(&self) -> fdvjp_status {
        // SAFETY: live tape; the user pointers it keeps (the `Fail` below) outlive it.
        checked("fdvjp_tape_forward", unsafe { fdvjp_tape_forward(self.0) })
    }
}

/// `y_i = sum_j sin(c (i + 1) x_j + j)`: a smooth opaque function; `user` points to a
/// `Fail` saying when to fail.
extern "C" fn opaque(user: *mut c_void, x: *const f64, n: usize, y: *mut f64, m: usize) -> i32 {
    // SAFETY: fdvjp passes the `user` given with the node (a live Fail) and private
    // buffers of n and m doubles.
    let (fail, x, y) = unsafe {
        (
            &*(user as *const Fail),
            std::slice::from_raw_parts(x, n),
            std::slice::from_raw_parts_mut(y, m),
        )
    };
    if fail.0.get() == 1 {
        return 3;
    }
    fail.0.set(fail.0.get().saturating_sub(1));
    for (i, yi) in y.iter_mut().enumerate() {
        *yi = x
            .iter()
            .enumerate()
            .map(|(j, &xj)| (0.5 * (i + 1) as f64 * xj + j as f64).sin())
            .sum();
    }
    0
}

/// `y = tanh(x)` elementwise (m = n) with its exact adjoint.
extern "C" fn tanh_f(_: *mut c_void, x: *const f64, n: usize, y: *mut f64, m: usize) -> i32 {
    // SAFETY: private buffers of n and m doubles.
    let (x, y) = unsafe {
        (
            std::slice::from_raw_parts(x, n),
            std::slice::from_raw_parts_mut(y, m),
        )
    };
    y.iter_mut().zip(x).for_each(|(yi, xi)| *yi = xi.tanh());
    0
}

extern "C" fn tanh_vjp(
    _: *mut c_void,
    x: *const f64,
    n: usize,
    _: *const f64,
    m: usize,
    v: *const f64,
    g: *mut f64,
) -> i32 {
    // SAFETY: private buffers of n, m and n doubles.
    let (x, v, g) = unsafe {
        (
            std::slice::from_raw_parts(x, n),
            std::slice::from_raw_parts(v, m),
            std::slice::from_raw_parts_mut(g, n),
        )
    };
    for ((gj, xj), vj) in g.iter_mut().zip(x).zip(v) {
        *gj = vj * (1.0 - xj.tanh().powi(2));
    }
    0
}

/// Evaluations of `opaque` until it fails (1 = the next one fails; 0 = never).
struct Fail(std::cell::Cell<u32>);

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let fail = Fail(std::cell::Cell::new(0));
    let user = &fail as *const Fail as *mut c_void;
    let t = Tape(fdvjp_tape_new());
    let other = Tape(fdvjp_tape_new());
    let foreign = other.record("fdvjp_tape_input", |o, out| {
        // SAFETY: live tape, a local array, a local out.
        unsafe { fdvjp_tape_input(o, [1.0, 2.0].as_ptr(), 2, out) }
    });

    // Inputs (occasionally a non-finite value, which must be refused).
    let mut inputs: Vec<(fdvjp_var, Vec<f64>)> = Vec::new();
    for _ in 0..1 + inp.below(2) {
        let x: Vec<f64> = (0..1 + inp.below(4))
            .map(|_| {
                if inp.chance(4) {
                    inp.value()
                } else {
                    inp.finite()
                }
            })
            .collect();
        let v = t.record("fdvjp_tape_input", |tp, out| {
            // SAFETY: live tape, x readable for its length, a local out.
            unsafe { fdvjp_tape_input(tp, x.as_ptr(), x.len(), out) }
        });
        match v {
            Some(v) => inputs.push((v, x)),
            None => assert!(x.iter().any(|v| !v.is_finite()), "a finite input refused"),
        }
    }
    if inputs.is_empty() {
        return;
    }
    let mut pool: Vec<fdvjp_var> = inputs.iter().map(|(v, _)| *v).collect();
    let pick = |inp: &mut Input, pool: &[fdvjp_var]| -> fdvjp_var {
        match inp.below(24) {
            0 => 0,
            1 => foreign.unwrap_or(0),
            2 => inp.word(),
            _ => pool[inp.below(pool.len())],
        }
    };

    for _ in 0..inp.below(12) {
        let a = pick(&mut inp, &pool);
        let b = pick(&mut inp, &pool);
        let op = inp.below(14);
        let code = inp.below(12) as i32;
        let made = match op {
            // SAFETY (every arm): live tape; `out` is the wrapper's local; arrays are locals
            // of the lengths passed; `user` (fail) outlives the tape.
            0 => t.record("fdvjp_tape_unary", |tp, out| unsafe {
                fdvjp_tape_unary(tp, code, a, out)
            }),
            1 => t.record("fdvjp_tape_binary", |tp, out| unsafe {
                fdvjp_tape_binary(tp, code % 6, a, b, out)
            }),
            2 => t.record("fdvjp_tape_reduce", |tp, out| unsafe {
                fdvjp_tape_reduce(tp, code % 4, a, out)
            }),
            3 => {
                let p = [0.0, 0.5, 2.0, 3.0, -1.0, f64::NAN][code as usize % 6];
                t.record("fdvjp_tape_pow_scalar", |tp, out| unsafe {
                    fdvjp_tape_pow_scalar(tp, a, p, out)
                })
            }
            4 => t.record("fdvjp_tape_dot", |tp, out| unsafe {
                fdvjp_tape_dot(tp, a, b, out)
            }),
            5 => t.record("fdvjp_tape_matmul", |tp, out| unsafe {
                fdvjp_tape_matmul(tp, a, b, out)
            }),
            6 => {
                let len = t.len(a).unwrap_or(1);
                let shape = [[len, 1], [1, len], [2, len / 2]][code as usize % 3];
                let ndim = 1 + usize::from(code % 2 == 0);
                t.record("fdvjp_tape_reshape", |tp, out| unsafe {
                    fdvjp_tape_reshape(tp, a, shape.as_ptr(), ndim, out)
                })
            }
            7 => {
                let (start, len) = (inp.below(4), inp.below(4));
                t.record("fdvjp_tape_slice", |tp, out| unsafe {
                    fdvjp_tape_slice(tp, a, start, len, out)
                })
            }
            8 => {
                let vars = [a, b, pick(&mut inp, &pool)];
                let count = 1 + inp.below(3);
                t.record("fdvjp_tape_concat", |tp, out| unsafe {
                    fdvjp_tape_concat(tp, vars.as_ptr(), count, out)
                })
            }
            9 => {
                let args = [a, b];
                let (nargs, m) = (1 + inp.below(2), 1 + inp.below(3));
                fail.0.set(if inp.chance(16) {
                    1 + inp.below(3) as u32
                } else {
                    0
                });
                t.record("fdvjp_tape_call", |tp, out| unsafe {
                    fdvjp_tape_call(
                        tp,
                        std::ptr::null(),
                        Some(opaque),
                        user,
                        args.as_ptr(),
                        nargs,
                        m,
                        out,
                    )
                })
            }
            // Sizes from the whole size_t range: an empty array with huge axes (whose
            // matmul, concat or reshape must be refused or fail cleanly), a slice past
            // the end, a call with a huge output length.
            11 => {
                // One axis is 0, so x (NULL) is never read.
                let mut shape = [inp.small_or_huge(), inp.small_or_huge(), 0];
                shape.rotate_left(inp.below(3));
                t.record("fdvjp_tape_input_shaped", |tp, out| unsafe {
                    fdvjp_tape_input_shaped(tp, std::ptr::null(), shape.as_ptr(), 3, out)
                })
            }
            12 => {
                let (start, len) = (inp.size(), inp.size());
                t.record("fdvjp_tape_slice", |tp, out| unsafe {
                    fdvjp_tape_slice(tp, a, start, len, out)
                })
            }
            13 => {
                let m = inp.small_or_huge();
                let before = fail.0.get();
                let made = t.record("fdvjp_tape_call", |tp, out| unsafe {
                    fdvjp_tape_call(tp, std::ptr::null(), Some(opaque), user, &a, 1, m, out)
                });
                assert!(made.is_none() || m < 8, "a call with m = {m} recorded");
                fail.0.set(before);
                made
            }
            _ => {
                let m = t.len(a).unwrap_or(1);
                t.record("fdvjp_tape_call_vjp", |tp, out| unsafe {
                    fdvjp_tape_call_vjp(tp, Some(tanh_f), Some(tanh_vjp), user, &a, 1, m, out)
                })
            }
        };
        if std::env::var_os("FDVJP_FUZZ_TRACE").is_some() {
            eprintln!("op {op} code {code} a {a:#x} b {b:#x} -> {made:?}");
        }
        pool.extend(made);
    }
    fail.0.set(0);

    // The loss: the sum of the last var.
    let last = *pool.last().unwrap();
    // SAFETY: live tape, a local out.
    let Some(loss) = t.record("fdvjp_tape_reduce", |tp, out| unsafe {
        fdvjp_tape_reduce(tp, 0, last, out)
    }) else {
        return;
    };
    let Some(l0) = t.value(loss, 1) else { return };
    // The sum of every intermediate's largest magnitude: differences of the loss carry a
    // rounding error of about eps times it (or more: it is infinite when any value is not
    // finite), and are only compared where that is far below the tolerance.
    let magnitude: f64 = pool
        .iter()
        .map(|&v| {
            t.value(v, t.len(v).unwrap())
                .unwrap()
                .iter()
                .fold(0.0, |a: f64, x| a.max(x.abs()))
        })
        .map(|a| if a.is_nan() { f64::INFINITY } else { a })
        .sum();
    // Values near underflow (1e-300 squared is 0) make the recorded derivatives differ
    // from those of the real-valued function: no comparison then either.
    let tiny = pool.iter().any(|&v| {
        let values = t.value(v, t.len(v).unwrap()).unwrap();
        values.iter().any(|x| *x != 0.0 && x.abs() < 1e-100)
    });

    // Bad seeds: wrong length, NaN; then the real backward.
    let len = t.len(last).unwrap();
    let bad = vec![1.0; len + 1];
    assert_eq!(
        t.backward(last, Some(&bad)),
        fdvjp_status::FDVJP_LENGTH_MISMATCH
    );
    let status = t.backward(loss, None);
    let grads: Vec<Option<Vec<f64>>> = inputs.iter().map(|(v, x)| t.grad(*v, x.len())).collect();
    if status == OK && len > 0 {
        let nan_seed = vec![f64::NAN; len];
        assert_eq!(
            t.backward(last, Some(&nan_seed)),
            fdvjp_status::FDVJP_INVALID_ARGUMENT
        );
        for ((v, x), g) in inputs.iter().zip(&grads) {
            let again = t.grad(*v, x.len());
            assert_eq!(
                bits(&again),
                bits(g),
                "a failed backward changed the gradients"
            );
        }
    }

    // Replays: at the same inputs every value is reproduced; central differences of the
    // replays against the gradient.
    for (k, (v, x)) in inputs.iter().enumerate() {
        for e in 0..x.len() {
            let at = |h: f64| -> Option<f64> {
                let mut xp = x.clone();
                xp[e] += h;
                (t.set_input(*v, &xp) == OK && t.forward() == OK)
                    .then(|| t.value(loss, 1))
                    .flatten()
                    .map(|l| l[0])
            };
            // Steps on the scale of the moderate inputs (|x| <= 4); huge ones (1e300) are
            // replayed too but not differenced.
            let (h1, h2) = (1e-4, 5e-5);
            let d1 = at(h1).zip(at(-h1)).map(|(p, q)| (p - q) / (2.0 * h1));
            let d2 = at(h2).zip(at(-h2)).map(|(p, q)| (p - q) / (2.0 * h2));
            // One-sided at a small step: right at a kink (abs, norm2 near 0) the gradient is
            // the slope of one side, which central differences average away.
            let h3 = 1e-6;
            let sides = [
                at(h3).map(|p| (p - l0[0]) / h3),
                at(-h3).map(|q| (l0[0] - q) / h3),
            ];
            assert_eq!(t.set_input(*v, x), OK);
            if t.forward() == OK {
                assert_eq!(
                    bits(&t.value(loss, 1)),
                    bits(&Some(l0.clone())),
                    "a replay at x changed the loss"
                );
            }
            let (Some(d1), Some(d2), Some(Some(g))) = (d1, d2, grads.get(k)) else {
                continue;
            };
            let rounding = 64.0 * f64::EPSILON * magnitude / h2;
            let converged = d1.is_finite()
                && d2.is_finite()
                && (d1 - d2).abs() <= 1e-7 * (1.0 + d2.abs())
                && rounding <= 1e-6 * (1.0 + d2.abs());
            if status == OK
                && converged
                && !tiny
                && x[e].abs() <= 4.0
                && l0[0].is_finite()
                && g[e].is_finite()
            {
                let close = |d: f64, slack: f64| (g[e] - d).abs() <= 1e-4 * (1.0 + d.abs()) + slack;
                let one_sided = sides
                    .iter()
                    .flatten()
                    .any(|&d| close(d, rounding * h2 / h3));
                if std::env::var_os("FDVJP_FUZZ_TRACE").is_some() {
                    eprintln!("compared gradient {} with differences {d2}", g[e]);
                }
                assert!(
                    close(d2, 0.0) || one_sided,
                    "input {k}[{e}]: gradient {} vs differences {d2} {sides:?}",
                    g[e]
                );
            }
        }
    }

    // After a clear every old var is unknown.
    // SAFETY: live tape.
    assert_eq!(
        checked("fdvjp_tape_clear", unsafe { fdvjp_tape_clear(t.0) }),
        OK
    );
    assert!(t.value(loss, 1).is_none());
    assert_eq!(t.backward(loss, None), fdvjp_status::FDVJP_UNKNOWN_VAR);
});

/// Bit patterns, so NaNs compare equal to themselves.
fn bits(v: &Option<Vec<f64>>) -> Option<Vec<u64>> {
    v.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect())
}
