//! Fuzzes the C entry points (`fdvjp_vjp`, `_jvp`, `_jacobian`, their batch forms and
//! `fdvjp_vjp_estimate`) with random sizes, configs (scheme, steps, typical magnitudes,
//! bounds, sparsity, batch size, adaptive, layout; one thread) and callbacks that fail at
//! evaluation k or return NaN/Inf in various places, or reenter the library at evaluation k:
//! change the config in use (scheme, sparsity) and change it back, and make fdvjp calls of
//! their own (one that fails, one on a config made and freed inside the callback).
//!
//! Checks: no crash and no internal error (a caught panic); every status is a known one
//! with a last-error message that names the function (none on success); inputs never
//! written; on error every output byte untouched; and the Jacobian against VJPs with unit
//! seeds `e_i` (row i): the same status, and on success bit-identical rows.
#![no_main]

use fdvjp::ffi::*;
use fdvjp_fuzz::Input;
use libfuzzer_sys::fuzz_target;
use std::cell::Cell;
use std::ffi::c_void;

/// What the callback computes and how it misbehaves.
struct Behaviour {
    n: usize,
    /// m*n coefficients of `y_i = sum_j a_ij sin(x_j + i) + x_j^2 / 8`.
    a: Vec<f64>,
    base: Vec<f64>,
    /// Fail (return `code`) at this 1-based evaluation; 0 = never.
    fail_at: usize,
    code: i32,
    /// 0 none, 1 NaN everywhere, 2 NaN right of x_0, 3 inf where |x_j| > 1.5, 4 NaN
    /// everywhere but at x itself.
    bad: u8,
    calls: Cell<usize>,
    /// Reentry at this 1-based evaluation: bit 0 changes the config in use and changes it
    /// back, bit 1 makes a failing fdvjp call, bit 2 a VJP on a config of its own.
    reenter_at: usize,
    reenter: u8,
    /// The config in use and the settings to restore on it.
    cfg: *mut fdvjp_config,
    settings: Settings,
}

/// What `configure` asked of the config (a setter may have refused it; asking again gives
/// the same answer, so the callback can restore the config exactly).
#[derive(Default)]
struct Settings {
    col_major: bool,
    scheme: i32,
    rows: Vec<usize>,
    cols: Vec<usize>,
}

extern "C" fn fails(_: *mut c_void, _: *const f64, _: usize, _: *mut f64, _: usize) -> i32 {
    3
}

extern "C" fn sum(_: *mut c_void, x: *const f64, n: usize, y: *mut f64, _: usize) -> i32 {
    // SAFETY: fdvjp passes private buffers of n and 1 doubles.
    unsafe { *y = std::slice::from_raw_parts(x, n).iter().sum() };
    0
}

impl Behaviour {
    fn eval(&self, x: &[f64], y: &mut [f64]) -> i32 {
        let k = self.calls.get() + 1;
        self.calls.set(k);
        if k == self.reenter_at {
            self.reenter();
        }
        if k == self.fail_at {
            return self.code;
        }
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = x
                .iter()
                .enumerate()
                .map(|(j, &xj)| self.a[i * self.n + j] * (xj + i as f64).sin() + xj * xj / 8.0)
                .sum();
        }
        let nan = match self.bad {
            1 => true,
            2 => x[0] > self.base[0],
            3 => x.iter().any(|v| v.abs() > 1.5),
            4 => x != self.base.as_slice(),
            _ => false,
        };
        if nan {
            y[0] = if self.bad == 3 {
                f64::INFINITY
            } else {
                f64::NAN
            };
        }
        0
    }
}

impl Behaviour {
    /// Calls into the library from inside the computation. The computation in progress
    /// works on a snapshot of its config, so none of this may change its result.
    fn reenter(&self) {
        let x = [0.5, -1.0];
        let (v, mut g) = ([1.0], [0.0; 2]);
        // SAFETY: self.cfg is NULL or the live config of the computation in progress; the
        // arrays are live locals of the lengths passed.
        unsafe {
            if self.reenter & 1 != 0 && !self.cfg.is_null() {
                let s = &self.settings;
                fdvjp_config_set_scheme(self.cfg, (s.scheme + 1) % 4);
                let diagonal = [0usize, 1, 2];
                fdvjp_config_set_sparsity(self.cfg, diagonal.as_ptr(), diagonal.as_ptr(), 3);
                fdvjp_config_set_scheme(self.cfg, s.scheme);
                fdvjp_config_set_sparsity(self.cfg, s.rows.as_ptr(), s.cols.as_ptr(), s.rows.len());
            }
            if self.reenter & 2 != 0 {
                let status = fdvjp_vjp(
                    std::ptr::null(),
                    Some(fails),
                    std::ptr::null_mut(),
                    x.as_ptr(),
                    2,
                    1,
                    v.as_ptr(),
                    g.as_mut_ptr(),
                );
                assert_eq!(status, fdvjp_status::FDVJP_CALLBACK_FAILED);
            }
            if self.reenter & 4 != 0 {
                let own = fdvjp_config_new();
                fdvjp_config_set_scheme(own, 3);
                let status = fdvjp_vjp(
                    own,
                    Some(sum),
                    std::ptr::null_mut(),
                    x.as_ptr(),
                    2,
                    1,
                    v.as_ptr(),
                    g.as_mut_ptr(),
                );
                assert_eq!(status, fdvjp_status::FDVJP_OK);
                assert!(
                    g.iter().all(|gj| (gj - 1.0).abs() < 1e-12),
                    "nested VJP of a sum: {g:?}"
                );
                fdvjp_config_free(own);
            }
        }
    }
}

extern "C" fn point(user: *mut c_void, x: *const f64, n: usize, y: *mut f64, m: usize) -> i32 {
    // SAFETY: fdvjp passes the `user` given with this callback (a live Behaviour) and
    // private buffers of n and m doubles.
    let (b, x, y) = unsafe {
        (
            &*(user as *const Behaviour),
            std::slice::from_raw_parts(x, n),
            std::slice::from_raw_parts_mut(y, m),
        )
    };
    b.eval(x, y)
}

extern "C" fn batch(
    user: *mut c_void,
    xs: *const f64,
    n: usize,
    k: usize,
    ys: *mut f64,
    m: usize,
) -> i32 {
    // SAFETY: as `point`, with k points of n and m doubles.
    let (b, xs, ys) = unsafe {
        (
            &*(user as *const Behaviour),
            std::slice::from_raw_parts(xs, n * k),
            std::slice::from_raw_parts_mut(ys, m * k),
        )
    };
    for (x, y) in xs.chunks_exact(n).zip(ys.chunks_exact_mut(m)) {
        let code = b.eval(x, y);
        if code != 0 {
            return code;
        }
    }
    0
}

/// The config's settings, drawn from the input; invalid values are drawn too (the setter
/// must refuse them and keep the config as it was). Returns what was asked: whether
/// Jacobians are column-major, the scheme in force and the sparsity pattern asked for.
fn configure(cfg: *mut fdvjp_config, inp: &mut Input, n: usize, m: usize, x: &[f64]) -> Settings {
    let scheme = inp.below(5) as i32;
    let layout = inp.below(3) as i32;
    let len = if inp.chance(32) { n + 1 } else { n };
    let steps: Vec<f64> = (0..len).map(|_| inp.value().abs() / 16.0).collect();
    let typical: Vec<f64> = (0..len).map(|_| inp.value().abs()).collect();
    let lower: Vec<f64> = x.iter().map(|&v| v - inp.value().abs()).collect();
    let upper: Vec<f64> = x.iter().map(|&v| v + inp.value().abs()).collect();
    let nnz = inp.below(9);
    // Indices just past the problem, and rarely anywhere in size_t.
    let mut index = |k: usize| {
        if inp.chance(8) {
            inp.size()
        } else {
            inp.below(k + 1)
        }
    };
    let rows: Vec<usize> = (0..nnz).map(|_| index(m)).collect();
    let cols: Vec<usize> = (0..nnz).map(|_| index(n)).collect();
    let (use_steps, use_typ, use_bounds) = (inp.chance(40), inp.chance(60), inp.chance(60));
    let adaptive = inp.below(3) as i32;
    let batch_size = if inp.chance(64) {
        inp.size()
    } else {
        inp.below(6)
    };
    let threads = inp.size();
    // SAFETY: cfg is a live config; every array is a live local of the length passed.
    unsafe {
        fdvjp_config_set_scheme(cfg, scheme);
        fdvjp_config_set_layout(cfg, layout);
        if use_steps {
            fdvjp_config_set_steps(cfg, steps.as_ptr(), steps.len());
        }
        if use_typ {
            fdvjp_config_set_typical(cfg, typical.as_ptr(), typical.len());
        }
        if use_bounds {
            fdvjp_config_set_bounds(cfg, lower.as_ptr(), upper.as_ptr(), n);
        }
        fdvjp_config_set_sparsity(cfg, rows.as_ptr(), cols.as_ptr(), nnz);
        fdvjp_config_set_adaptive(cfg, adaptive);
        assert_eq!(
            fdvjp_config_set_batch_size(cfg, batch_size),
            fdvjp_status::FDVJP_OK,
            "any batch size is accepted"
        );
        // Any thread count up to the limit is accepted, any above refused; the callbacks
        // here are not thread-safe, so the computation itself stays serial.
        let status = fdvjp_config_set_threads(cfg, threads);
        check_status("fdvjp_config_set_threads", status);
        assert_eq!(
            status == fdvjp_status::FDVJP_OK,
            threads <= FDVJP_MAX_THREADS
        );
        fdvjp_config_set_threads(cfg, 1);
    }
    Settings {
        col_major: layout == 1,
        scheme: if scheme < 4 { scheme } else { 0 },
        rows,
        cols,
    }
}

/// Checks the status and the last error of a call to `func`.
fn check_status(func: &str, status: fdvjp_status) {
    let mut buf = [0u8; 512];
    // SAFETY: buf is writable for its length.
    let len = unsafe { fdvjp_last_error(buf.as_mut_ptr().cast(), buf.len()) };
    assert_ne!(
        status,
        fdvjp_status::FDVJP_INTERNAL_ERROR,
        "{func}: internal error"
    );
    if status == fdvjp_status::FDVJP_OK {
        assert_eq!(len, 0, "{func}: a message after success");
    } else {
        let prefix = format!("{func}: ");
        assert!(len > prefix.len(), "{func}: empty message for {status:?}");
        assert!(
            buf.starts_with(prefix.as_bytes()),
            "{func}: message does not name it"
        );
    }
}

const SENTINEL: f64 = -7.4e-301;

fn untouched(out: &[f64]) -> bool {
    out.iter().all(|v| v.to_bits() == SENTINEL.to_bits())
}

/// An output of `len` doubles filled with the sentinel.
fn output(len: usize) -> Vec<f64> {
    vec![SENTINEL; len]
}

/// Runs `call` and checks status, message and the untouched outputs on error.
fn run(func: &str, outs: &[&Vec<f64>], status: fdvjp_status) -> bool {
    check_status(func, status);
    if status != fdvjp_status::FDVJP_OK {
        for out in outs {
            assert!(untouched(out), "{func}: output written on {status:?}");
        }
    }
    status == fdvjp_status::FDVJP_OK
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let n = inp.below(6) + usize::from(!inp.chance(8));
    let m = inp.below(4) + usize::from(!inp.chance(8));
    let x: Vec<f64> = (0..n)
        .map(|_| {
            if inp.chance(8) {
                inp.value()
            } else {
                inp.finite()
            }
        })
        .collect();
    let u: Vec<f64> = (0..n).map(|_| inp.finite()).collect();
    let v: Vec<f64> = (0..m).map(|_| inp.finite()).collect();
    let mut b = Behaviour {
        n,
        a: (0..m * n).map(|_| inp.finite()).collect(),
        base: x.clone(),
        fail_at: if inp.chance(64) { inp.below(40) + 1 } else { 0 },
        code: i32::from(inp.byte()) - 128,
        bad: if inp.chance(64) {
            inp.below(5) as u8
        } else {
            0
        },
        calls: Cell::new(0),
        reenter_at: 0,
        reenter: 0,
        cfg: std::ptr::null_mut(),
        settings: Settings::default(),
    };
    if b.code == 0 {
        b.code = 1;
    }
    let cfg = if inp.chance(24) {
        std::ptr::null_mut()
    } else {
        fdvjp_config_new()
    };
    if !cfg.is_null() {
        b.settings = configure(cfg, &mut inp, n, m, &x);
    }
    let col_major = b.settings.col_major;
    let batched = inp.chance(64);
    if inp.chance(16) {
        b.reenter_at = inp.below(12) + 1;
        b.reenter = inp.below(8) as u8;
        b.cfg = cfg;
    }
    let user = &b as *const Behaviour as *mut c_void;
    let (x0, u0, v0) = (x.clone(), u.clone(), v.clone());

    // The Jacobian, then a VJP per unit seed e_i: same status, bit-identical rows.
    let mut jac = output(m * n);
    b.calls.set(0);
    // SAFETY: cfg is NULL or live; x (n), jac (m*n) are live buffers; user outlives the call.
    let status = unsafe {
        if batched {
            fdvjp_jacobian_batch(cfg, Some(batch), user, x.as_ptr(), n, m, jac.as_mut_ptr())
        } else {
            fdvjp_jacobian(cfg, Some(point), user, x.as_ptr(), n, m, jac.as_mut_ptr())
        }
    };
    let (jac_name, vjp_name) = if batched {
        ("fdvjp_jacobian_batch", "fdvjp_vjp_batch")
    } else {
        ("fdvjp_jacobian", "fdvjp_vjp")
    };
    let jac_ok = run(jac_name, &[&jac], status);
    let jac_calls = b.calls.get();
    let jac_refined = refined();
    for i in 0..m {
        let mut e = vec![0.0; m];
        e[i] = 1.0;
        let mut grad = output(n);
        b.calls.set(0);
        // SAFETY: as above, with e (m) and grad (n).
        let s = unsafe {
            if batched {
                fdvjp_vjp_batch(
                    cfg,
                    Some(batch),
                    user,
                    x.as_ptr(),
                    n,
                    m,
                    e.as_ptr(),
                    grad.as_mut_ptr(),
                )
            } else {
                fdvjp_vjp(
                    cfg,
                    Some(point),
                    user,
                    x.as_ptr(),
                    n,
                    m,
                    e.as_ptr(),
                    grad.as_mut_ptr(),
                )
            }
        };
        run(vjp_name, &[&grad], s);
        // The same status, unless the failure injected at evaluation `fail_at` met only
        // one of them: a column the default step refines for the VJP (outputs weighed by
        // v) may be left alone by the Jacobian (each entry alone), so their counts differ.
        let moved = b.fail_at != 0 && b.calls.get() != jac_calls;
        if !moved {
            assert_eq!(
                s, status,
                "VJP with e_{i} and the Jacobian disagree on the status"
            );
        }
        if jac_ok && s == fdvjp_status::FDVJP_OK {
            // Compared where column j of J is finite: a caller's absolute step of 1e-300
            // can make a difference quotient overflow, and then v^T J has 0 * inf = NaN.
            let at = |k: usize, j: usize| if col_major { j * m + k } else { k * n + j };
            // Bit for bit, unless the default step refined a column: the VJP weighs the
            // outputs by v (here e_i) in that decision, the Jacobian each entry alone, so
            // the two may keep different (equally valid) steps; then within 1e-4 of the
            // column's scale plus 1e-8 (both are finite-difference values).
            for (j, &g) in grad.iter().enumerate() {
                if (0..m).all(|k| jac[at(k, j)].is_finite()) {
                    let want = jac[at(i, j)];
                    let scale = (0..m).fold(0.0f64, |a, k| a.max(jac[at(k, j)].abs()));
                    let exact = !jac_refined && !refined();
                    assert!(
                        same(g, want) || (!exact && (g - want).abs() <= 1e-4 * scale + 1e-8),
                        "VJP with e_{i}: entry {j} is {g:e}, J[{i}][{j}] = {want:e}"
                    );
                }
            }
        }
    }

    let mut jvp = output(m);
    b.calls.set(0);
    // SAFETY: as above, with u (n) and jvp (m).
    let s = unsafe {
        fdvjp_jvp(
            cfg,
            Some(point),
            user,
            x.as_ptr(),
            n,
            m,
            u.as_ptr(),
            jvp.as_mut_ptr(),
        )
    };
    run("fdvjp_jvp", &[&jvp], s);

    let (mut grad, mut err) = (output(n), output(n));
    b.calls.set(0);
    // SAFETY: as above, with v (m), grad and err (n each).
    let s = unsafe {
        fdvjp_vjp_estimate(
            cfg,
            Some(point),
            user,
            x.as_ptr(),
            n,
            m,
            v.as_ptr(),
            grad.as_mut_ptr(),
            err.as_mut_ptr(),
        )
    };
    run("fdvjp_vjp_estimate", &[&grad, &err], s);

    assert!(
        x.iter().zip(&x0).all(|(a, b)| same(*a, *b)),
        "x was written"
    );
    assert!(
        u.iter().zip(&u0).all(|(a, b)| same(*a, *b)),
        "u was written"
    );
    assert!(
        v.iter().zip(&v0).all(|(a, b)| same(*a, *b)),
        "v was written"
    );
    // SAFETY: cfg is NULL or the live config made above, not used afterwards.
    unsafe { fdvjp_config_free(cfg) };
});

/// Bitwise equality up to the sign of zero (a dot product with a unit seed adds +0.0).
/// Whether the last computation refined a column (its step then depends on how the
/// outputs are weighed, so a VJP and a Jacobian may keep different, equally valid values).
fn refined() -> bool {
    // SAFETY: fdvjp_report is plain data; the size passed is its own.
    let mut r: fdvjp_report = unsafe { std::mem::zeroed() };
    // SAFETY: &mut r is writable for size_of::<fdvjp_report>() bytes.
    unsafe { fdvjp_last_report(&mut r, std::mem::size_of::<fdvjp_report>()) };
    r.refined_large + r.refined_rounding + r.refined_noise > 0
}

fn same(a: f64, b: f64) -> bool {
    a == b || a.to_bits() == b.to_bits()
}
