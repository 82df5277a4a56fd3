//! Getters of the `fdvjp_config` scalar options: each returns what its setter stored, so a
//! binding reads the config instead of keeping its own copy of it.
//!
//! Convention of every getter: `cfg` must be a live config (`FDVJP_NULL_POINTER` for
//! NULL, unlike the computations, which take NULL as the defaults: a getter on NULL is a
//! caller's slip), the value goes to the out-pointer on success only.

use super::boundary::Failure;
use super::config::fdvjp_config;
use super::contract::Contract;
use super::enums::CEnum;
use super::export::exports;

/// A getter's body: checks `cfg` and `out`, then writes `read(cfg)` to `*out`.
fn get<T: Copy>(
    c: &Contract,
    cfg: *const fdvjp_config,
    out: *mut T,
    read: impl FnOnce(&fdvjp_config) -> T,
) -> Result<(), Failure> {
    let cfg = c.required(cfg)?;
    let out = c.output_one(out, "out")?;
    out.write(&[read(cfg)]);
    Ok(())
}

exports! {
    /// Writes the difference scheme (`fdvjp_scheme`, default `FDVJP_CENTRAL`) to `*out`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
    fn fdvjp_config_get_scheme(cfg: *const fdvjp_config, out: *mut i32) |c| {
        get(c, cfg, out, |cfg| cfg.options.scheme().to_c())
    }

    /// Writes the Jacobian layout (`fdvjp_layout`, default `FDVJP_ROW_MAJOR`) to `*out`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
    fn fdvjp_config_get_layout(cfg: *const fdvjp_config, out: *mut i32) |c| {
        get(c, cfg, out, |cfg| cfg.options.layout().to_c())
    }

    /// Writes the relative step factor set by `fdvjp_config_set_relative_step` to `*out`;
    /// 0 when none is set (the scheme's default applies).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one double.
    fn fdvjp_config_get_relative_step(cfg: *const fdvjp_config, out: *mut f64) |c| {
        get(c, cfg, out, |cfg| {
            cfg.options.relative_step().unwrap_or(0.0)
        })
    }

    /// Writes 1 to `*out` when adaptive step selection is on, 0 when off (the default).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
    fn fdvjp_config_get_adaptive(cfg: *const fdvjp_config, out: *mut i32) |c| {
        get(c, cfg, out, |cfg| i32::from(cfg.options.adaptive()))
    }

    /// Writes the thread count set by `fdvjp_config_set_threads` to `*out` (0, the default,
    /// and 1 both mean serial).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_threads(cfg: *const fdvjp_config, out: *mut usize) |c| {
        get(c, cfg, out, |cfg| cfg.execution.threads)
    }

    /// Writes the batch size set by `fdvjp_config_set_batch_size` to `*out`; 0 when none is
    /// set (the default: 1 point, or 16 per thread with threads).
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `size_t`.
    fn fdvjp_config_get_batch_size(cfg: *const fdvjp_config, out: *mut usize) |c| {
        get(c, cfg, out, |cfg| {
            if cfg.batch_chosen {
                cfg.options.batch()
            } else {
                0
            }
        })
    }

    /// Writes the noise estimation mode (`fdvjp_noise_mode`, default `FDVJP_NOISE_AUTO`) to
    /// `*out`.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `out` is NULL or writable for one `int32_t`.
    fn fdvjp_config_get_noise_mode(cfg: *const fdvjp_config, out: *mut i32) |c| {
        get(c, cfg, out, |cfg| cfg.options.noise_mode().to_c())
    }
}
