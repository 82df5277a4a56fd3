//! Learned sparsity through the C API: detect the pattern of a black box's Jacobian and
//! keep it in the config, verified on every call (see `src/fd/learned.rs`).

use super::boundary::Failure;
use super::callback::{fdvjp_fn, CFunction};
use super::config::{fdvjp_config, Snapshot};
use super::config_get_arrays::coordinates;
use super::export::exports;
use crate::fd;
use std::ffi::c_void;

exports! {
    /// Learns the sparsity pattern of the m×n Jacobian of f from f's values and stores it in
    /// `cfg` as `fdvjp_config_set_sparsity` would, with its column grouping: an entry belongs
    /// to the pattern when output i changes as x_j alone moves by a forward step, at x or at
    /// one pseudo-random point near x (each element moved by about 1e-3 max(|x_j|, typ_j),
    /// inside the config's bounds). Costs 2(n + 1) evaluations of f.
    ///
    /// Unlike a declared pattern, a learned one is never trusted blindly: every later
    /// `fdvjp_vjp` or `fdvjp_jacobian` (and `_batch`, and tape nodes recorded with this
    /// config) spends 2 more evaluations on a check, a JVP along a pseudo-random direction
    /// against the product of the grouped Jacobian with it. When they disagree beyond the
    /// finite-difference error of both, that call is computed densely (its result is right),
    /// the pattern is learned again (old entries plus the dense Jacobian's non-zeros), and
    /// `fdvjp_report::sparsity_relearned` is 1. A tridiagonal Jacobian thus costs 1 + 6 + 2
    /// evaluations per central VJP at any n. Other drivers (JVP, estimates, complex) do not
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
    /// that call) and later calls use it, verified. A tape node recorded with such a config
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

    /// The number of entries of the pattern `cfg` has learned into `*count` (0 when none),
    /// and, when `rows` and `cols` are not NULL, the entries themselves (by column, then by
    /// row, as `fdvjp_config_get_sparsity`), which need `capacity >= *count`
    /// (`FDVJP_INVALID_ARGUMENT` otherwise, nothing written but `*count`).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `count` is NULL or writable; `rows` and `cols` are
    /// NULL or writable for `capacity` values.
    fn fdvjp_config_learned_sparsity(
        cfg: *const fdvjp_config, rows: *mut usize, cols: *mut usize, capacity: usize,
        count: *mut usize,
    ) |c| {
        let cfg = c.required(cfg)?;
        let count = c.output_one(count, "count")?;
        let [learned_rows, learned_cols] = coordinates(cfg.options.learned_sparsity().as_deref());
        let nnz = learned_rows.len();
        count.write(&[nnz]);
        if rows.is_null() || cols.is_null() {
            return Ok(());
        }
        if capacity < nnz {
            return Err(Failure::invalid(format!(
                "capacity = {capacity} is less than the learned pattern's {nnz} entries"
            )));
        }
        for (p, name) in [(rows, "rows"), (cols, "cols")] {
            c.output(p, capacity, name, "capacity")?;
        }
        let rows = c.output(rows, nnz, "rows", "capacity")?;
        rows.write(&learned_rows);
        let cols = c.output(cols, nnz, "cols", "capacity")?;
        cols.write(&learned_cols);
        Ok(())
    }
}
