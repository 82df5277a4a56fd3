//! Getters of the `fdvjp_config` array options (steps, typical magnitudes, bounds,
//! sparsity, noise levels) and of the progress callback.
//!
//! Arrays follow one rule: the caller passes arrays of `capacity` elements and `*count`
//! receives the stored length. `capacity == 0` only asks for the length (the arrays may
//! be NULL); `capacity >= count` copies `count` elements (the rest of the arrays is left
//! alone); `0 < capacity < count` is `FDVJP_LENGTH_MISMATCH` with nothing written, so a
//! short buffer never yields a silently truncated option.

use super::boundary::Failure;
use super::callback::fdvjp_progress_fn;
use super::config::fdvjp_config;
use super::contract::Contract;
use super::export::exports;
use super::status::fdvjp_status::*;
use crate::fd::{Options, Sparsity};
use std::ffi::c_void;

/// An array getter's body: checks every pointer, reads the option's arrays (all of one
/// length) and writes them and their length per the module's rule.
pub(super) fn get_arrays<T: Copy, const K: usize>(
    c: &Contract,
    cfg: *const fdvjp_config,
    arrays: [(*mut T, &str); K],
    capacity: usize,
    count: *mut usize,
    read: impl FnOnce(&fdvjp_config) -> [Vec<T>; K],
) -> Result<(), Failure> {
    let cfg = c.required(cfg)?;
    let count = c.output_one(count, "count")?;
    for (p, name) in arrays {
        c.output(p, capacity, name, "capacity")?;
    }
    let values = read(cfg);
    let len = values[0].len();
    if capacity > 0 && capacity < len {
        return Err(Failure::new(
            FDVJP_LENGTH_MISMATCH,
            format!(
                "capacity = {capacity} is less than the {len} elements stored (capacity = \
                 0 asks for the length)"
            ),
        ));
    }
    if capacity > 0 {
        for ((p, name), data) in arrays.into_iter().zip(&values) {
            c.output(p, len, name, "capacity")?.write(data);
        }
    }
    count.write(&[len]);
    Ok(())
}

/// A sparsity pattern's row and column indices, by column, then by row; none for `None`.
pub(super) fn coordinates(pattern: Option<&Sparsity>) -> [Vec<usize>; 2] {
    let (rows, cols) = pattern.into_iter().flat_map(Sparsity::entries).unzip();
    [rows, cols]
}

/// Declares getters of an option stored as one array of doubles, each as
/// `fn fdvjp_config_get_steps(h) = Options::steps;`, giving `fdvjp_status
/// fdvjp_config_get_steps(const fdvjp_config *cfg, double *h, size_t capacity, size_t
/// *count)` by the module's rule.
macro_rules! double_arrays {
    ($($(#[$doc:meta])* fn $name:ident($array:ident) = $read:path;)*) => {
        exports! {$(
            $(#[$doc])*
            fn $name(
                cfg: *const fdvjp_config, $array: *mut f64, capacity: usize, count: *mut usize,
            ) |c| {
                let name = stringify!($array);
                get_arrays(c, cfg, [($array, name)], capacity, count, |cfg| {
                    [$read(&cfg.options).unwrap_or_default().to_vec()]
                })
            }
        )*}
    };
}

double_arrays! {
    /// Copies the per-element absolute steps set by `fdvjp_config_set_steps` into
    /// `h[0..count]` and writes their number to `*count` (0 when none are set). `capacity`
    /// is the length of `h`; `capacity == 0` only writes `*count`; a `capacity` below the
    /// count is `FDVJP_LENGTH_MISMATCH`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `h` is NULL or writable for `capacity` doubles;
    /// `count` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_steps(h) = Options::steps;

    /// Copies the typical magnitudes set by `fdvjp_config_set_typical` into
    /// `typ[0..count]` and writes their number to `*count` (0 when none are set), as
    /// `fdvjp_config_get_steps`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `typ` is NULL or writable for `capacity` doubles;
    /// `count` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_typical(typ) = Options::typical;
}

exports! {
    /// Copies the bounds set by `fdvjp_config_set_bounds` into `lower[0..count]` and
    /// `upper[0..count]` and writes their number to `*count` (0 when there are none), as
    /// `fdvjp_config_get_steps`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `lower` and `upper` are NULL or writable for
    /// `capacity` doubles; `count` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_bounds(
        cfg: *const fdvjp_config, lower: *mut f64, upper: *mut f64, capacity: usize,
        count: *mut usize,
    ) |c| {
        let arrays = [(lower, "lower"), (upper, "upper")];
        get_arrays(c, cfg, arrays, capacity, count, |cfg| match cfg.options.bounds() {
            Some(b) => [b.lower().to_vec(), b.upper().to_vec()],
            None => [Vec::new(), Vec::new()],
        })
    }

    /// Copies the sparsity pattern set by `fdvjp_config_set_sparsity` into
    /// `rows[0..count]` and `cols[0..count]` and writes its number of entries to `*count` (0
    /// when the Jacobian is taken as dense), as `fdvjp_config_get_steps`. The entries are the
    /// distinct (row, column) pairs that were set, ordered by column, then by row: duplicates
    /// given to the setter appear once.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `rows` and `cols` are NULL or writable for `capacity`
    /// values; `count` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_sparsity(
        cfg: *const fdvjp_config, rows: *mut usize, cols: *mut usize, capacity: usize,
        count: *mut usize,
    ) |c| {
        let arrays = [(rows, "rows"), (cols, "cols")];
        get_arrays(c, cfg, arrays, capacity, count, |cfg| coordinates(cfg.options.sparsity()))
    }
}

double_arrays! {
    /// Copies the noise levels declared with `fdvjp_config_set_noise` into
    /// `levels[0..count]` and writes their number to `*count` (0 when none are declared, 1
    /// for one level for every output), as `fdvjp_config_get_steps`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `levels` is NULL or writable for `capacity` doubles;
    /// `count` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_noise(levels) = Options::noise;
}

exports! {
    /// Writes the progress callback and its `user` pointer registered with
    /// `fdvjp_config_set_progress` to `*f` and `*user` (NULL and NULL when none is).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `f` and `user` are NULL or writable for one pointer.
    fn fdvjp_config_get_progress(
        cfg: *const fdvjp_config, f: *mut fdvjp_progress_fn, user: *mut *mut c_void,
    ) |c| {
        let cfg = c.required(cfg)?;
        let (f, user) = (c.output_one(f, "f")?, c.output_one(user, "user")?);
        let (callback, data) = match cfg.execution.progress {
            Some((callback, data)) => (Some(callback), data),
            None => (None, std::ptr::null_mut()),
        };
        f.write(&[callback]);
        user.write(&[data]);
        Ok(())
    }
}
