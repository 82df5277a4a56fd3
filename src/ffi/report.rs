//! The per-call report (`fdvjp_last_report`) and the noise settings of a config.

use super::boundary::Failure;
use super::buffers::check;
use super::config::fdvjp_config;
use super::enums::CEnum;
use super::export::{export, exports};
use super::last_error::set as set_last_error;
use super::status::fdvjp_status::{self, *};
use crate::fd::{last_report, NoiseMode};

/// What the last finite-difference computation on this thread did, filled by
/// `fdvjp_last_report`. The struct may grow at its end in later versions: pass
/// `sizeof(fdvjp_report)` and read `size` to see how many bytes were filled.
///
/// Computations are `fdvjp_vjp`, `fdvjp_jvp`, `fdvjp_jacobian` (and their `_batch` forms),
/// the `_estimate` drivers, the complex-step drivers (`fdvjp_*_complex_step`), the
/// complex-function drivers (`fdvjp_complex_*`), `fdvjp_config_detect_sparsity`, and
/// `fdvjp_tape_backward` (the whole sweep: the evaluations, directions, refinements and
/// fall-backs of every opaque node whose Jacobian it computed, summed, and the largest of
/// their bounds, each of an entry of that node's Jacobian; no evaluation and a NaN bound
/// when every Jacobian was cached). An empty problem (`n == 0` or `m == 0`) reports
/// `completed = 1`, no evaluation and a bound of 0. A call that fails before evaluating f
/// (bad arguments) leaves the previous report in place; a call that fails after that
/// leaves a report with `completed = 0` and the counts made so far.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct fdvjp_report {
    /// Bytes of this struct the library filled (at most the size the caller passed).
    pub size: usize,
    /// 1 when the computation succeeded, 0 when it failed (or none ran on this thread).
    pub completed: i32,
    /// Where `noise_level` came from: `FDVJP_NOISE_NONE` (f taken as exact to rounding),
    /// `FDVJP_NOISE_DECLARED` (`fdvjp_config_set_noise`) or `FDVJP_NOISE_ESTIMATED`.
    pub noise_source: i32,
    /// Evaluations of f made (including f(x)).
    pub evaluations: usize,
    /// Directions differentiated: columns (or column groups with a sparsity pattern), or 1
    /// for a JVP.
    pub directions: usize,
    /// Directions refined because the plain step was too large for f's own scale (f far
    /// from linear across the stencil, or the step larger than |x_j|, or |x_j| far above its
    /// typical magnitude).
    pub refined_large: usize,
    /// Directions refined because rounding swamped the difference (the step was grown).
    pub refined_rounding: usize,
    /// Directions whose step was chosen from f's noise level (declared or estimated).
    pub refined_noise: usize,
    /// Directions that met a NaN or infinity and fell back (smaller step, one-sided
    /// stencil), at the plain stencil or at a point a refinement evaluates (counted once per
    /// refinement that met one).
    pub nonfinite_fallbacks: usize,
    /// Directions whose scheme's stencil did not fit inside the bounds at the plain step.
    pub bound_fallbacks: usize,
    /// The largest estimated absolute error over the result's entries (truncation +
    /// rounding + noise). The `_estimate` drivers give the largest of their per-entry
    /// estimates; the plain drivers give one for refined directions and, for central
    /// differences, a model estimate for the others, including directions that fell back
    /// after a NaN or at a bound (see the README's "Step rule"). That model reads f's
    /// curvature from the second difference and assumes f varies on no scale shorter than
    /// a quarter of `max(|x_j|, typ_j)` where the second difference cannot show it (at an
    /// inflection point, where it vanishes; a column with `0 < |x_j| < typ_j / 100` is
    /// checked at its own scale instead). Noise counts three times `ε / t` (ε declared or
    /// estimated, t the smallest step); with none known (`FDVJP_NOISE_AUTO`), second
    /// differences in the band where three points cannot tell noise from curvature
    /// (root mean square at least `r^2` times f's change over the step rule's scale)
    /// count as possible noise, `2 rms / t` (a JVP, or a pattern of one column group, has
    /// one second difference: `16 |D2| / t` from an eighth of that band on): this widens
    /// the bound of such exact functions up to about 1e5 times (a JVP's up to 3e6). Noise
    /// between about `2 eps |f|` and that band stays uncounted although its error `ε / t`
    /// exceeds the exact-function bound (for f of size 2 from ε ≈ 1e-15: hash noise of
    /// 1e-14..1e-11 on a sum of sines left 24 to 44 of 60 random points uncovered, by up
    /// to 1.4e4; the README's "Noisy functions"): declare it or set
    /// `FDVJP_NOISE_ESTIMATE` (`FDVJP_NOISE_OFF`: never counted); the complex-step drivers
    /// `8 eps` times the size of each entry's terms (rounding; the truncation `h^2 f'''`
    /// is negligible at their step); NaN where the computation gives no estimate for some
    /// direction (`unbounded_directions` > 0), since the largest bound of the others
    /// would not cover it.
    pub error_bound: f64,
    /// The largest noise level over f's outputs, declared or estimated (0 when none); per
    /// output from `fdvjp_last_report_noise`.
    pub noise_level: f64,
    /// With a learned sparsity pattern (`fdvjp_config_detect_sparsity`): the largest ratio,
    /// over f's outputs, of the disagreement between the check's random-direction JVP and
    /// the grouped Jacobian's product with that direction to its tolerance (the
    /// finite-difference error of both); above 1 the check failed. NaN when no check ran.
    pub sparsity_check: f64,
    /// 1 when the learned pattern failed its check, or passed it in doubt with a NaN bound
    /// (see `fdvjp_config_detect_sparsity`), so that this call was computed densely (its
    /// result is right) and the pattern learned again; else 0.
    pub sparsity_relearned: i32,
    /// Directions whose error the computation could not bound: forward or backward
    /// differences not refined (no third point to see f's curvature; columns with
    /// `0 < |x_j| < typ_j / 1e3` or `|x_j| > 1e3 typ_j` are refined and bounded),
    /// refinements whose steps, at least 4 eps |x_j|, are too coarse for f's scale
    /// (typ_j with |x_j| > 2.8e12 typ_j), fourth-order stencils not refined (columns
    /// refined at their own scale or typ_j's, as central ones, are bounded), steps
    /// the caller chose (absolute steps or a relative step), adaptive steps (every
    /// direction, its fall-backs too), and column groups near bounds whose columns took
    /// their own stencils, and central directions (columns, column groups, a JVP's
    /// vector) whose second difference looked like noise where none was found and did not
    /// scale at half the step as a smooth f's (a pole or a narrow step of f within the
    /// step; the README's "Step rule", rule 3). When any,
    /// `error_bound` is NaN. (Added after `sparsity_relearned`: filled when `size` covers it.)
    pub unbounded_directions: usize,
}

/// Copies this thread's report of the last computation into `*out`, filling at most
/// `size` bytes (pass `sizeof(fdvjp_report)`); `out->size` says how many were filled.
///
/// `FDVJP_NULL_POINTER` when `out` is NULL; `FDVJP_INVALID_ARGUMENT` when `size` is less
/// than `sizeof(size_t)`. Before any computation on this thread the report is zero with
/// `completed = 0` and `error_bound` NaN; after a failed computation `completed = 0`, the
/// counts are those made before it failed and `error_bound` is NaN (there is no result to
/// bound). A success leaves the last error as it was, so
/// that a failed computation's report and its message can be read in either order.
///
/// # Safety
/// `out` is NULL or writable for `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_last_report(out: *mut fdvjp_report, size: usize) -> fdvjp_status {
    // Read before the guard, which does not touch the report (only the last error, put
    // back after a success: it belongs to the computation this report describes).
    let r = last_report();
    let message = super::last_error::current();
    let status = export!(|c| {
        if out.is_null() {
            return Err(Failure::new(FDVJP_NULL_POINTER, "out is NULL"));
        }
        if size < std::mem::size_of::<usize>() {
            return Err(Failure::invalid(format!(
                "size = {size} is less than sizeof(size_t) = {}",
                std::mem::size_of::<usize>()
            )));
        }
        let filled = size.min(std::mem::size_of::<fdvjp_report>());
        // Built in zeroed storage field by field: a struct value's padding bytes (4 after
        // `sparsity_relearned`) are uninitialised, and copying them would hand the caller
        // stack bytes (valgrind flags a memcmp of two reports).
        let mut storage = std::mem::MaybeUninit::<fdvjp_report>::zeroed();
        let report = storage.as_mut_ptr();
        // SAFETY: `report` points to zeroed storage of the right size and alignment, valid for
        // every field (plain integers and floats); each assignment writes one field's bytes.
        unsafe {
            (*report).size = filled;
            (*report).completed = i32::from(r.completed);
            (*report).noise_source = r.noise_source.to_c();
            (*report).evaluations = r.evaluations;
            (*report).directions = r.directions;
            (*report).refined_large = r.refined_large;
            (*report).refined_rounding = r.refined_rounding;
            (*report).refined_noise = r.refined_noise;
            (*report).nonfinite_fallbacks = r.nonfinite_fallbacks;
            (*report).bound_fallbacks = r.bound_fallbacks;
            (*report).error_bound = r.error_bound;
            (*report).noise_level = r.noise.iter().fold(0.0, |a: f64, &b| a.max(b));
            (*report).sparsity_check = r.sparsity_check;
            (*report).sparsity_relearned = i32::from(r.sparsity_relearned);
            (*report).unbounded_directions = r.unbounded;
        }
        // SAFETY: `out` is writable for `size >= filled` bytes (caller contract); the
        // source is a local value, so the two cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(storage.as_ptr().cast::<u8>(), out.cast::<u8>(), filled);
        }
        Ok(())
    });
    if status == FDVJP_OK && !message.is_empty() {
        set_last_error(message);
    }
    status
}

/// Copies the noise level of each output of f in the last computation on this thread
/// (declared or estimated, 0 where none; see `fdvjp_report::noise_source`) into
/// `out[0..min(len, m)]` and returns m, the number of outputs of that computation (0
/// before any). `out == NULL` or `len == 0` copies nothing, so
/// `fdvjp_last_report_noise(NULL, 0)` gives the length needed. An `out` not aligned for
/// `double` copies nothing either, and the last error (`fdvjp_last_error`) names it; the
/// last error is otherwise left alone.
///
/// # Safety
/// `out` is NULL or writable for `len` doubles.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_last_report_noise(out: *mut f64, len: usize) -> usize {
    let report = last_report();
    if !out.is_null() && len > 0 {
        let count = report.outputs.min(len);
        if let Err(failure) = check(out.cast_const(), count, "out", "len") {
            set_last_error(format!("fdvjp_last_report_noise: {}", failure.message));
            return report.outputs;
        }
        let known = report.noise.len().min(count);
        // SAFETY: `out` is aligned (checked above) and writable for `len >= count >= known`
        // doubles (caller contract); the source is a Rust Vec, so they cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(report.noise.as_ptr(), out, known) };
        // SAFETY: the same buffer, entries known..count (no level: 0).
        unsafe { std::ptr::write_bytes(out.add(known), 0, count - known) };
    }
    report.outputs
}

exports! {
    /// Declares the absolute noise level of f's outputs: `len == 1` one level for every
    /// output, `len == m` one per output (checked against m at each computation:
    /// `FDVJP_INVALID_ARGUMENT` naming both lengths), `(NULL, 0)` declares nothing (the
    /// default). Each level must be finite and >= 0 (`FDVJP_INVALID_ARGUMENT` naming the index
    /// and the value). A declared level takes precedence over any estimate.
    ///
    /// With a level ε, each direction whose plain-step error ε/h would exceed what the step
    /// rule promises takes the step balancing noise against truncation (for central
    /// differences `h = s (ε/M)^(1/3)`, s = max(|x_j|, typ_j), M the size of f and of its
    /// change over s; see the README's "Noisy functions"); no extra evaluations.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `levels` is NULL or readable for `len` doubles.
    fn fdvjp_config_set_noise(cfg: *mut fdvjp_config, levels: *const f64, len: usize) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            let levels = c.input(levels, len, "levels", "len")?;
            Ok(o.set_noise((len > 0).then(|| levels.to_vec()))?)
        })
    }

    /// Selects when f's noise is estimated: `FDVJP_NOISE_AUTO` (default), `FDVJP_NOISE_ESTIMATE`
    /// or `FDVJP_NOISE_OFF` (see `fdvjp_noise_mode`). Any other value is
    /// `FDVJP_INVALID_ARGUMENT`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config.
    fn fdvjp_config_set_noise_mode(cfg: *mut fdvjp_config, mode: i32) |c| {
        c.required_mut(cfg)?.set_options(|o| {
            o.set_noise_mode(NoiseMode::from_argument(mode, "mode")?);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::drivers::fdvjp_vjp;
    use super::super::last_error::tests::last_error_message;
    use super::*;
    use std::ffi::c_void;

    /// `y = (x_0, 2 x_0)`: two outputs, so the report has two noise levels (0: none).
    unsafe extern "C" fn two_outputs(
        _user: *mut c_void,
        x: *const f64,
        _n: usize,
        y: *mut f64,
        _m: usize,
    ) -> i32 {
        // SAFETY: the library passes x of n = 1 and y of m = 2 doubles.
        unsafe {
            *y = *x;
            *y.add(1) = 2.0 * *x;
        }
        0
    }

    /// A misaligned `out` is not written (as every export refuses one); the count is still
    /// returned and the last error names the argument and its address.
    #[test]
    fn a_misaligned_out_is_not_written() {
        let (x, v, mut grad) = ([1.5], [1.0, 1.0], [0.0]);
        let (cfg, user) = (std::ptr::null(), std::ptr::null_mut());
        // SAFETY: x of 1, v of 2 and grad of 1 doubles; `bytes` is 24 bytes long, so 16 from
        // one past its first 8-byte boundary (misaligned for double) lie inside it.
        unsafe {
            let (x, v, g) = (x.as_ptr(), v.as_ptr(), grad.as_mut_ptr());
            let done = fdvjp_vjp(cfg, Some(two_outputs), user, x, 1, 2, v, g);
            assert_eq!(done, FDVJP_OK);
            assert!((grad[0] - 3.0).abs() < 1e-9, "{}", grad[0]);
            let mut bytes = [0xabu8; 24];
            let misaligned = bytes.as_mut_ptr().add(bytes.as_ptr().align_offset(8) + 1);
            assert_eq!(fdvjp_last_report_noise(misaligned.cast(), 2), 2);
            assert_eq!(bytes, [0xab; 24]);
            let message = last_error_message();
            assert!(
                message.starts_with("fdvjp_last_report_noise: out = 0x"),
                "{message}"
            );
            assert!(message.ends_with("is not aligned to 8 bytes"), "{message}");
            let mut levels = [7.0; 2];
            assert_eq!(fdvjp_last_report_noise(levels.as_mut_ptr(), 2), 2);
            assert_eq!(levels, [0.0; 2]);
        }
    }
}
