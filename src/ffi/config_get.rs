//! Getters of the `fdvjp_config` scalar options: each returns what its setter stored, so a
//! binding reads the config instead of keeping its own copy of it.
//!
//! Convention of every getter: `cfg` must be a live config (`FDVJP_NULL_POINTER` for
//! NULL, unlike the computations, which take NULL as the defaults: a getter on NULL is a
//! caller's slip), the value goes to the out-pointer on success only.

use super::boundary::{guard, Failure};
use super::config::{fdvjp_config, live};
use super::status::fdvjp_status::{self, *};
use crate::fd::{Layout, NoiseMode, Scheme};

/// The live config behind `cfg`: `FDVJP_NULL_POINTER` for NULL, `FDVJP_INVALID_ARGUMENT`
/// for a freed or foreign pointer.
///
/// # Safety
/// A non-NULL `cfg` points to memory readable as a config (its tag is checked).
pub(super) unsafe fn config<'a>(cfg: *const fdvjp_config) -> Result<&'a fdvjp_config, Failure> {
    // SAFETY: forwarded caller contract (NULL or readable as a config).
    unsafe { live(cfg) }?.ok_or_else(|| Failure::new(FDVJP_NULL_POINTER, "cfg is NULL"))
}

/// Checks a one-value out-pointer: non-NULL and aligned.
pub(super) fn out_pointer<T>(p: *mut T, name: &str) -> Result<(), Failure> {
    if p.is_null() {
        return Err(Failure::new(FDVJP_NULL_POINTER, format!("{name} is NULL")));
    }
    if !p.is_aligned() {
        return Err(Failure::invalid(format!(
            "{name} = {p:p} is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    Ok(())
}

/// Runs the getter `func`: checks `cfg` and `out`, then writes `read(cfg)` to `*out`.
///
/// # Safety
/// `cfg` as in [`config`]; a non-NULL `out` is writable for one `T`.
unsafe fn get<T>(
    func: &str,
    cfg: *const fdvjp_config,
    out: *mut T,
    read: impl FnOnce(&fdvjp_config) -> T,
) -> fdvjp_status {
    guard(func, || {
        // SAFETY: forwarded caller contract.
        let cfg = unsafe { config(cfg) }?;
        out_pointer(out, "out")?;
        let value = read(cfg);
        // SAFETY: non-NULL and aligned (checked), writable by the caller's contract.
        unsafe { out.write(value) };
        Ok(())
    })
}

/// Writes the difference scheme (`fdvjp_scheme`, default `FDVJP_CENTRAL`) to `*out`.
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_scheme(
    cfg: *const fdvjp_config,
    out: *mut i32,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_scheme", cfg, out, |c| {
            match c.options.scheme() {
                Scheme::Central => 0,
                Scheme::Forward => 1,
                Scheme::Backward => 2,
                Scheme::Central4 => 3,
            }
        })
    }
}

/// Writes the Jacobian layout (`fdvjp_layout`, default `FDVJP_ROW_MAJOR`) to `*out`.
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_layout(
    cfg: *const fdvjp_config,
    out: *mut i32,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_layout", cfg, out, |c| {
            match c.options.layout() {
                Layout::RowMajor => 0,
                Layout::ColMajor => 1,
            }
        })
    }
}

/// Writes the relative step factor set by `fdvjp_config_set_relative_step` to `*out`;
/// 0 when none is set (the scheme's default applies).
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one double.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_relative_step(
    cfg: *const fdvjp_config,
    out: *mut f64,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_relative_step", cfg, out, |c| {
            c.options.relative_step().unwrap_or(0.0)
        })
    }
}

/// Writes 1 to `*out` when adaptive step selection is on, 0 when off (the default).
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_adaptive(
    cfg: *const fdvjp_config,
    out: *mut i32,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_adaptive", cfg, out, |c| {
            i32::from(c.options.adaptive())
        })
    }
}

/// Writes the thread count set by `fdvjp_config_set_threads` to `*out` (0, the default,
/// and 1 both mean serial).
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one `size_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_threads(
    cfg: *const fdvjp_config,
    out: *mut usize,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_threads", cfg, out, |c| {
            c.execution.threads
        })
    }
}

/// Writes the batch size set by `fdvjp_config_set_batch_size` to `*out`; 0 when none is
/// set (the default: 1 point, or 4 per thread with threads).
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one `size_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_batch_size(
    cfg: *const fdvjp_config,
    out: *mut usize,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_batch_size", cfg, out, |c| {
            if c.batch_chosen {
                c.options.batch()
            } else {
                0
            }
        })
    }
}

/// Writes the noise estimation mode (`fdvjp_noise_mode`, default `FDVJP_NOISE_AUTO`) to
/// `*out`.
///
/// # Safety
/// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_config_get_noise_mode(
    cfg: *const fdvjp_config,
    out: *mut i32,
) -> fdvjp_status {
    // SAFETY: forwarded caller contract.
    unsafe {
        get("fdvjp_config_get_noise_mode", cfg, out, |c| {
            match c.options.noise_mode() {
                NoiseMode::Auto => 0,
                NoiseMode::Estimate => 1,
                NoiseMode::Off => 2,
            }
        })
    }
}
