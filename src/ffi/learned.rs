//! Learned sparsity through the C API: detect the pattern of a black box's Jacobian and
//! keep it in the config, verified on every call (see `src/fd/learned.rs`).

use super::boundary::Failure;
use super::callback::{fdvjp_fn, CFunction};
use super::config::{fdvjp_config, Snapshot};
use super::config_get_arrays::{coordinates, get_arrays};
use super::export::exports;
use crate::fd;
use std::ffi::c_void;

exports! {
    /// Learns the sparsity pattern of the m×n Jacobian of f from f's values and stores it in
    /// `cfg` as `fdvjp_config_set_sparsity` would, with its column grouping: an entry belongs
    /// to the pattern when output i changes as x_j alone moves by a forward step, at x or at
    /// one pseudo-random point near x (each element moved by about 1e-3 max(|x_j|, typ_j),
    /// or 1e-3 |x_j| where 0 < |x_j| < max(|x_j|, typ_j) / 100,
    /// inside the config's bounds). The step is the later calls' own (the config's scheme,
    /// steps and typical magnitudes), never below sqrt(eps) max(|x_j|, typ_j): an output
    /// moving by less than half an ulp looks constant, and a smaller step than the calls'
    /// would lose couplings they see (1e9 + x_j at x_j = 1). Costs 2(n + 1) evaluations of
    /// f; where f is not finite at a probe point, one more per column probed again at
    /// sqrt(eps) max(|x_j|, typ_j), and one per retry of the nearby point moved 10 times
    /// closer (at most 3).
    ///
    /// Unlike a declared pattern, a learned one is never trusted blindly: every later
    /// `fdvjp_vjp` or `fdvjp_jacobian` (and `_batch`, and tape nodes recorded with this
    /// config) spends 2 more evaluations on a check (4 with `FDVJP_CENTRAL4`), a JVP along
    /// a pseudo-random direction against the product of the grouped Jacobian with it: a
    /// central one at the central step (forward and backward schemes too, where it is far
    /// more accurate than their columns), a fourth-order one for `FDVJP_CENTRAL4`. When
    /// they disagree beyond the finite-difference error of both, that call is computed
    /// densely (its result is right), the pattern is learned again (old entries plus the
    /// dense Jacobian's non-zeros), and `fdvjp_report::sparsity_relearned` is 1. When the
    /// check passes, the part of its disagreement beyond the error expected of both sides
    /// is added to the call's `error_bound`, as the coupling it may be (over the check's
    /// smallest element step); where that bound is NaN (forward, backward, fourth order)
    /// and cannot carry it, a disagreement beyond 8 times that error (rounding at 1 eps
    /// |f_i| instead of the tolerance's 64) makes the call dense and re-learned too. Where f
    /// is not finite at a check point (a domain edge), the elements of the rows that met it
    /// move less (on their own scale |x_j|, then 16 times less; at most 4 retries of the
    /// same points, the same on every call); elements with 0 < |x_j| < typ_j / 100 are
    /// checked on their own scale from the start. A check that could not be taken leaves
    /// `sparsity_check` NaN and the call dense, not re-learned. A tridiagonal Jacobian thus costs 1 + 6 + 2
    /// evaluations per central VJP at any n. What the check guarantees: it sees the
    /// Jacobian only along its one direction per call (a function of x and m, so the same at
    /// the same point). A change that direction does not see (couplings that cancel within
    /// each column group and are orthogonal to it, which only an f built against it has)
    /// passes, and the call returns the grouped result with an `error_bound` that does not
    /// cover it. Changes not tuned to the direction are caught; it is a cheap test, not a
    /// proof that the pattern holds. Other drivers (JVP, estimates, complex) do not
    /// use the pattern. The learned state is shared with running computations and updated
    /// by them under an internal lock: threads may share the config as for any computation.
    /// A later call with another n or m is `FDVJP_INVALID_ARGUMENT`.
    ///
    /// Errors, with `cfg` left unchanged: `FDVJP_NULL_POINTER` (cfg, f, or x with n > 0);
    /// a callback failure or a NaN/infinity at a probe point (status and message naming the
    /// evaluation, the column and the point); the config's bounds not containing x.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config, not used by another thread during the call; `x` is
    /// NULL or readable for n doubles; `f` is callable with `user` during the call.
    fn fdvjp_config_detect_sparsity(
        cfg: *mut fdvjp_config, f: fdvjp_fn, user: *mut c_void, x: *const f64, n: usize, m: usize,
    ) |c| {
        let config = Snapshot::of(Some(c.required(cfg)?))?;
        let func = CFunction::point(f, user, config.execution)?;
        let x = c.input(x, n, "x", "n")?;
        let pattern = fd::detect_sparsity(&func, x, m, &config.options)?;
        // Converted again only now: f may have used the config (through its own calls)
        // while it was probed, and this checks it is still live.
        c.required_mut(cfg)?.set_options(|o| {
            o.set_learned_sparsity(pattern, n, m);
            Ok(())
        })
    }

    /// With `on = 1`, the first `fdvjp_vjp` or `fdvjp_jacobian` with this config learns the
    /// sparsity pattern as `fdvjp_config_detect_sparsity` would (2(n + 1) evaluations more in
    /// that call) and later calls use it, verified. Where detection fails on a NaN or
    /// infinity of f (a domain edge within its reach), that call is computed densely, as
    /// without learning, nothing is learned (`fdvjp_report::sparsity_check` NaN), and the
    /// next call learns again: learning never fails a call the dense computation survives. A tape node recorded with such a config
    /// learns the pattern of its own function at its first pull-back and keeps it, verified at
    /// every pull-back after `fdvjp_tape_forward`. `on = 0` forgets any learned pattern (a
    /// pattern set by `fdvjp_config_set_sparsity` is not affected); any other value is
    /// `FDVJP_INVALID_ARGUMENT`. With `on = 1` a declared pattern is replaced.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_learn_sparsity(cfg: *mut fdvjp_config, on: i32) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            match on {
                0 if o.learned().is_some() => o.set_learn_sparsity(false),
                0 => {}
                1 => o.set_learn_sparsity(true),
                _ => return Err(Failure::invalid(format!("on = {on} must be 0 or 1"))),
            }
            Ok(())
        })
    }

    /// Writes 1 to `*out` when `cfg` learns the sparsity pattern (after
    /// `fdvjp_config_set_learn_sparsity` with 1 or `fdvjp_config_detect_sparsity`), 0
    /// otherwise (the default).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
    fn fdvjp_config_get_learn_sparsity(cfg: *const fdvjp_config, out: *mut i32) |c| {
        let cfg = c.required(cfg)?;
        let out = c.output_one(out, "out")?;
        out.write(&[i32::from(cfg.options.learned().is_some())]);
        Ok(())
    }

    /// Copies the pattern `cfg` has learned into `rows[0..count]` and `cols[0..count]` (by
    /// column, then by row, as `fdvjp_config_get_sparsity`) and writes its number of entries
    /// to `*count` (0 when none is learned), by the rule of the array getters
    /// (`fdvjp_config_get_steps`): `capacity` is the length of `rows` and `cols`;
    /// `capacity == 0` only writes `*count` (the arrays may then be NULL); a `capacity`
    /// below the count is `FDVJP_LENGTH_MISMATCH` (naming both), with nothing written.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `rows` and `cols` are NULL or writable for `capacity`
    /// values; `count` is NULL or writable for one `size_t`.
    fn fdvjp_config_learned_sparsity(
        cfg: *const fdvjp_config, rows: *mut usize, cols: *mut usize, capacity: usize,
        count: *mut usize,
    ) |c| {
        let arrays = [(rows, "rows"), (cols, "cols")];
        get_arrays(c, cfg, arrays, capacity, count, |cfg| {
            coordinates(cfg.options.learned_sparsity().as_deref())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{fdvjp_config_free, fdvjp_config_new};
    use super::super::last_error::tests::last_error_message;
    use super::super::status::fdvjp_status::*;
    use super::*;

    /// `y_i = x_i^2 + x_{i+1}` (the last `x_i^2`): a bidiagonal Jacobian, 2n - 1 entries.
    unsafe extern "C" fn bidiagonal(
        _user: *mut c_void,
        x: *const f64,
        n: usize,
        y: *mut f64,
        _m: usize,
    ) -> i32 {
        // SAFETY: the library passes x and y of n (= m) doubles.
        let (x, y) = unsafe {
            (
                std::slice::from_raw_parts(x, n),
                std::slice::from_raw_parts_mut(y, n),
            )
        };
        for i in 0..n {
            y[i] = x[i] * x[i] + x.get(i + 1).copied().unwrap_or(0.0);
        }
        0
    }

    /// A short capacity is `FDVJP_LENGTH_MISMATCH` naming both numbers, as
    /// `fdvjp_config_get_sparsity` answers, with nothing written (not even `*count`).
    #[test]
    fn a_short_capacity_is_a_length_mismatch_and_writes_nothing() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let cfg = fdvjp_config_new();
        let null = std::ptr::null_mut();
        // SAFETY: a live config, x of 4 doubles, a callback for n = m = 4; the arrays below
        // are local and of the lengths passed.
        unsafe {
            let detected =
                fdvjp_config_detect_sparsity(cfg, Some(bidiagonal), null, x.as_ptr(), 4, 4);
            assert_eq!(detected, FDVJP_OK);
            let (mut rows, mut cols, mut count) = ([7usize; 7], [7usize; 7], 99usize);
            let mut learned = |capacity| {
                let (r, c) = (rows.as_mut_ptr(), cols.as_mut_ptr());
                let status = fdvjp_config_learned_sparsity(cfg, r, c, capacity, &mut count);
                (status, rows, cols, count)
            };
            let short = learned(6);
            assert_eq!(short, (FDVJP_LENGTH_MISMATCH, [7; 7], [7; 7], 99));
            let message = last_error_message();
            let expected =
                "fdvjp_config_learned_sparsity: capacity = 6 is less than the 7 elements";
            assert!(message.starts_with(expected), "{message}");
            let (rows, cols) = ([0, 0, 1, 1, 2, 2, 3], [0, 1, 1, 2, 2, 3, 3]);
            assert_eq!(learned(7), (FDVJP_OK, rows, cols, 7));
            fdvjp_config_free(cfg);
        }
    }
}
