//! The `fdvjp_tape` handle: inputs, constants, opaque and custom-VJP calls, values and
//! shapes, backward, gradients, replay and clear. The built-in ops are in `tape_ops.rs`.

use super::boundary::Failure;
use super::buffers::Output;
use super::callback::{fdvjp_batch_fn, fdvjp_fn, CFunction, Execution};
use super::config::{fdvjp_config, Snapshot};
use super::contract::{handle, new_boxed_handle, Contract};
use super::export::{export, exports};
use super::retired::Pool;
use super::status::fdvjp_status::*;
use super::vjp_callback::{fdvjp_vjp_fn, CVjp};
use crate::tape::{element_count, Tape, TapeError, Var};
use ndarray::{ArrayD, IxDyn};
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::ffi::c_void;

/// A variable on a tape: an opaque id issued by the tape, never 0 (so 0 can mean "no
/// variable"). A variable of another tape, or one issued before `fdvjp_tape_clear`, is
/// rejected with `FDVJP_UNKNOWN_VAR`.
pub type fdvjp_var = u64;

/// A reverse-mode tape. Opaque: create with `fdvjp_tape_new`, free with `fdvjp_tape_free`.
/// Not to be used from two threads at once without the caller's lock; distinct tapes are
/// independent.
pub struct fdvjp_tape {
    magic: u64,
    /// Borrowed for the length of each call; a callback that calls back into its own tape
    /// finds it borrowed and gets an error instead of aliasing it.
    tape: RefCell<Tape>,
}

/// Marks a live tape; cleared on free, so a freed or foreign pointer is usually caught.
const TAPE_MAGIC: u64 = 0x6664_766a_705f_7470;

impl From<TapeError> for Failure {
    fn from(e: TapeError) -> Self {
        let status = match &e {
            TapeError::UnknownVar { .. } => FDVJP_UNKNOWN_VAR,
            TapeError::LengthMismatch { .. } => FDVJP_LENGTH_MISMATCH,
            TapeError::ShapeMismatch { .. } => FDVJP_SHAPE_MISMATCH,
            TapeError::InvalidArgument(_) => FDVJP_INVALID_ARGUMENT,
            TapeError::OutOfMemory { .. } => FDVJP_OUT_OF_MEMORY,
            TapeError::Node { source, .. } => Failure::from(source.clone()).status,
        };
        Failure::new(status, e.to_string())
    }
}

// In use when freed from inside one of its own callbacks.
handle!(fdvjp_tape, "t", TAPE_MAGIC, in_use: |t| t.tape.try_borrow_mut().is_err());

const IN_USE: &str = "t is in use by the call that invoked this callback: a callback must not \
                      call into its own tape";

impl fdvjp_tape {
    /// The tape, borrowed mutably for the call.
    fn borrow_mut(&self) -> Result<RefMut<'_, Tape>, Failure> {
        self.tape
            .try_borrow_mut()
            .map_err(|_| Failure::invalid(IN_USE))
    }

    /// The tape, borrowed read-only for the call.
    fn borrow(&self) -> Result<Ref<'_, Tape>, Failure> {
        self.tape.try_borrow().map_err(|_| Failure::invalid(IN_USE))
    }
}

/// A recording call: checks the tape and `out`, records, then writes the new var.
pub(crate) fn record(
    c: &Contract,
    t: *mut fdvjp_tape,
    out: *mut fdvjp_var,
    body: impl FnOnce(&mut Tape) -> Result<Var, Failure>,
) -> Result<(), Failure> {
    let mut tape = c.required(t.cast_const())?.borrow_mut()?;
    let out = c.output_one(out, "out")?;
    let var = body(&mut tape)?;
    out.write(&[var.raw()]);
    Ok(())
}

/// The caller's array of `ndim` dimensions and the matching row-major data.
fn shaped(
    c: &Contract,
    x: *const f64,
    shape: *const usize,
    ndim: usize,
) -> Result<ArrayD<f64>, Failure> {
    let shape = c.input(shape, ndim, "shape", "ndim")?;
    // ndarray's own limits, checked first with a message of ours: `[0, SIZE_MAX]` reached
    // it as "(ShapeError/Overflow ...)".
    let count = element_count(shape, "shape")?;
    let data = c.input(x, count, "x", "the product of shape")?;
    ArrayD::from_shape_vec(IxDyn(shape), data.to_vec()).map_err(|_| {
        Failure::new(
            FDVJP_INTERNAL_ERROR,
            format!("internal error: shape {shape:?} refused for {count} elements"),
        )
    })
}

/// Records an opaque call of the function `make` builds from the config's execution
/// settings, with the config's options.
fn opaque(
    c: &Contract,
    tape: &mut Tape,
    cfg: *const fdvjp_config,
    make: impl FnOnce(Execution) -> Result<CFunction, Failure>,
    args: (*const fdvjp_var, usize),
    m: usize,
) -> Result<Var, Failure> {
    let config = Snapshot::of(c.handle(cfg)?)?;
    let f = make(config.execution)?;
    let ids = c.input(args.0, args.1, "args", "nargs")?;
    let options = std::sync::Arc::unwrap_or_clone(config.options);
    tape.call(Box::new(f), &vars(ids), m, options)
        .map_err(naming_in("args", ids))
}

/// Declares the exported opaque calls, `fn fdvjp_tape_call(f: fdvjp_fn) = CFunction::point;`
/// giving `fdvjp_status fdvjp_tape_call(fdvjp_tape *t, const fdvjp_config *cfg, fdvjp_fn f,
/// void *user, const fdvjp_var *args, size_t nargs, size_t m, fdvjp_var *out)` that
/// records the function the path makes of `f` and `user` as [`opaque`].
macro_rules! opaque_calls {
    ($($(#[$doc:meta])* fn $name:ident(f: $callback:ty) = $make:path;)*) => {
        exports! {$(
            $(#[$doc])*
            fn $name(
                t: *mut fdvjp_tape, cfg: *const fdvjp_config, f: $callback, user: *mut c_void,
                args: *const fdvjp_var, nargs: usize, m: usize, out: *mut fdvjp_var,
            ) |c| {
                let make = |execution| $make(f, user, execution);
                record(c, t, out, |tape| opaque(c, tape, cfg, make, (args, nargs), m))
            }
        )*}
    };
}

/// Declares the entry points that record a value from the caller's data: `fn NAME(vector)
/// = input_slice;` gives `NAME(fdvjp_tape *t, const double *x, size_t n, fdvjp_var *out)`
/// recording `x[0..n]` by that [`Tape`] method, `fn NAME(shaped) = input;` gives `NAME(t,
/// x, const size_t *shape, size_t ndim, out)` recording the array [`shaped`] makes.
macro_rules! values {
    ($($(#[$doc:meta])* fn $name:ident($form:ident) = $record:ident;)*) => {$(
        values!(@$form $(#[$doc])* $name, $record);
    )*};
    (@vector $(#[$doc:meta])* $name:ident, $record:ident) => {exports! {
        $(#[$doc])*
        fn $name(t: *mut fdvjp_tape, x: *const f64, n: usize, out: *mut fdvjp_var) |c| {
            record(c, t, out, |tape| Ok(tape.$record(c.input(x, n, "x", "n")?)?))
        }
    }};
    (@shaped $(#[$doc:meta])* $name:ident, $record:ident) => {exports! {
        $(#[$doc])*
        fn $name(
            t: *mut fdvjp_tape, x: *const f64, shape: *const usize, ndim: usize,
            out: *mut fdvjp_var,
        ) |c| {
            record(c, t, out, |tape| Ok(tape.$record(shaped(c, x, shape, ndim)?)?))
        }
    }};
}

thread_local! {
    /// A small tape the thread freed last, cleared and retired (its tag says it is not
    /// live), kept whole for its next `fdvjp_tape_new`: a new tape and its free cost a
    /// tape of length 10 about a tenth of its recording and backward pass (the handle's
    /// allocation, and its arenas and bookkeeping given to the thread and taken back piece
    /// by piece; issue 15). At most one, of at most [`crate::tape`]'s whole-tape bound
    /// (512 KiB of arenas); emptied into [`RETIRED`] when the thread exits.
    static FREED: KeptTape = const { KeptTape(Cell::new(None)) };
}

thread_local! {
    /// Freed tapes' memory beyond the one a thread keeps whole, per thread (see
    /// [`super::retired`]).
    static RETIRED: Pool<fdvjp_tape> = const { Pool::new() };
}

/// The thread's kept tape; retired (emptied) when the thread exits.
struct KeptTape(Cell<Option<Box<fdvjp_tape>>>);

impl Drop for KeptTape {
    fn drop(&mut self) {
        if let Some(kept) = self.0.take() {
            retire(kept);
        }
    }
}

/// Empties a freed tape (its nodes and callbacks are dropped, its arenas go to the
/// thread's spares under their bounds) and keeps its memory, holding no arena.
fn retire(mut freed: Box<fdvjp_tape>) {
    *freed = fdvjp_tape {
        magic: 0,
        tape: RefCell::new(Tape::bare()),
    };
    // Where the thread is exiting (its pool gone), the handle is dropped.
    let mut freed = Some(freed);
    let _ = RETIRED.try_with(|pool| freed.take().map(|f| pool.keep(f)));
}

/// A new empty tape with the tag `magic` (its arenas from the thread's spares).
fn empty_tape(magic: u64) -> fdvjp_tape {
    fdvjp_tape {
        magic,
        tape: RefCell::new(Tape::new()),
    }
}

/// A new, empty tape. Free it with `fdvjp_tape_free`. NULL only if out of memory. The
/// thread keeps the last small tape it freed (arenas of at most 512 KiB) for this, cleared,
/// so a new tape per gradient allocates nothing once one was freed.
#[no_mangle]
pub extern "C" fn fdvjp_tape_new() -> *mut fdvjp_tape {
    export!(or std::ptr::null_mut(), |c| new_boxed_handle(|| {
        match FREED.try_with(|kept| kept.0.take()).ok().flatten() {
            Some(mut kept) => {
                // Cleared when it was freed: no node, var or callback of its last life.
                kept.magic = TAPE_MAGIC;
                kept
            }
            None => match RETIRED.try_with(Pool::take).ok().flatten() {
                Some(mut kept) => {
                    *kept = empty_tape(TAPE_MAGIC);
                    kept
                }
                None => Box::new(empty_tape(TAPE_MAGIC)),
            },
        }
    }))
}

/// Frees a tape with everything recorded on it. `fdvjp_tape_free(NULL)` does nothing; so
/// does a pointer that is not a live tape (its tag is checked), and so does a call from
/// inside one of the tape's own callbacks. After it, the `user` pointers given to the tape
/// are no longer used. Its memory is kept by this thread for a later `fdvjp_tape_new`
/// (returned to the allocator when the thread exits, or when 256 tapes freed later on this
/// thread push it out), so that checking the tag of a freed tape (a double free, a use
/// after free) reads memory that is still the library's: such a mistake is caught only
/// while the tape is among the last 256 this thread freed.
///
/// # Safety
/// `t` is NULL or came from `fdvjp_tape_new` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn fdvjp_tape_free(t: *mut fdvjp_tape) {
    export!(or(), |c| c.free_into(t, |mut freed| {
        // Clearing drops every node and the callbacks (and `user` pointers) they hold.
        if !freed.tape.get_mut().recycle() {
            return retire(freed);
        }
        // The one kept before, if any, is retired here (outside the thread-local); so is
        // this one if the thread is exiting (its thread-local is gone).
        let mut freed = Some(freed);
        if let Ok(Some(before)) = FREED.try_with(|kept| kept.0.replace(freed.take())) {
            retire(before);
        }
        if let Some(freed) = freed {
            retire(freed);
        }
    }))
}

exports! {
    /// Empties the tape for reuse: every node, gradient and kept callback is dropped, and every
    /// `fdvjp_var` issued so far becomes unknown (`FDVJP_UNKNOWN_VAR`). After it, the `user`
    /// pointers given to the tape are no longer used.
    ///
    /// # Safety
    /// `t` is NULL or a live tape.
    fn fdvjp_tape_clear(t: *mut fdvjp_tape) |c| {
        c.required(t.cast_const())?.borrow_mut()?.clear();
        Ok(())
    }
}

values! {
    /// Records a differentiable vector input `x[0..n]` (shape `[n]`; values must be finite)
    /// and writes its var to `*out`.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `x` NULL or readable for n doubles; `out` NULL or writable.
    fn fdvjp_tape_input(vector) = input_slice;

    /// Records a differentiable input of shape `shape[0..ndim]` with row-major data `x` (the
    /// product of the shape doubles; `ndim == 0` is a scalar of one element). Values must be
    /// finite. A dimension of 0 gives an empty array, but the others must still multiply to
    /// at most PTRDIFF_MAX (as for any array): `[0, SIZE_MAX]` is `FDVJP_INVALID_ARGUMENT`
    /// naming the shape.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `shape` NULL or readable for ndim sizes; `x` NULL or
    /// readable for their product; `out` NULL or writable.
    fn fdvjp_tape_input_shaped(shaped) = input;

    /// Records a vector constant `x[0..n]`: it takes part in ops but is not differentiated
    /// (it has no gradient, and nothing is pulled back into it). Values must be finite.
    ///
    /// # Safety
    /// As `fdvjp_tape_input`.
    fn fdvjp_tape_constant(vector) = constant_slice;

    /// Records a constant of shape `shape[0..ndim]` with row-major data `x`; `ndim == 0` gives
    /// a scalar, which broadcasts against arrays in elementwise ops.
    ///
    /// # Safety
    /// As `fdvjp_tape_input_shaped`.
    fn fdvjp_tape_constant_shaped(shaped) = constant;
}

opaque_calls! {
    /// Records an opaque function `y = f(x)` with `m` outputs, where `x` is the concatenation
    /// of the flattened values of `args[0..nargs]` (n = the sum of their lengths); `*out` is a
    /// vector var of length m.
    ///
    /// Forward: f is called once now (and once per `fdvjp_tape_forward`); a non-zero return is
    /// `FDVJP_CALLBACK_FAILED` and a NaN or infinite y `FDVJP_NONFINITE_AT_X`, and nothing is
    /// recorded. Backward: the first pull-back at the current point computes the node's
    /// Jacobian by finite differences with `cfg`'s options, reusing the recorded y (n
    /// evaluations for a one-sided scheme, 2n central, 4n fourth order) and keeps it, so later
    /// backward passes at the same point (other seeds) cost no evaluation; a replay drops it.
    /// Memory: the cache holds m*n doubles per opaque node. The gradient is split back over the
    /// args.
    ///
    /// `cfg` may be NULL (central differences); it is copied now, so it may be freed right
    /// after. Its threads, batch size and progress callback apply to this node's evaluations
    /// (the progress callback's user pointer must then stay valid as long as `user`). The tape
    /// keeps `f` and `user` and calls f again in backward and replay: `user` must stay valid
    /// until the tape is freed or cleared. A callback must not call into its
    /// own tape: such a call fails with `FDVJP_INVALID_ARGUMENT` and changes nothing.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `cfg` NULL or a live config; `args` NULL or readable for
    /// nargs vars; `out` NULL or writable; `f` callable with `user` until the tape is freed or
    /// cleared.
    fn fdvjp_tape_call(f: fdvjp_fn) = CFunction::point;

    /// `fdvjp_tape_call` with a batch function: the node's forward is one call with k = 1, and
    /// its Jacobian hands the perturbed points over up to the config's batch size at a time
    /// (on MPI ranks, a GPU, a cluster queue).
    ///
    /// # Safety
    /// As `fdvjp_tape_call`.
    fn fdvjp_tape_call_batch(f: fdvjp_batch_fn) = CFunction::batch;
}

exports! {
    /// Records a function `y = f(x)` with `m` outputs of the concatenated `args` (as
    /// `fdvjp_tape_call`) whose adjoint the caller supplies: in backward, `vjp(user, x, n, y,
    /// m, v, grad)` overwrites `grad` with `v^T J(x)` at the recorded point, and fdvjp
    /// accumulates it; no finite differences. f is called once now and once per
    /// `fdvjp_tape_forward`; a non-zero return of f or vjp is `FDVJP_CALLBACK_FAILED`.
    /// `grad` is zeroed before each call of vjp (so a vjp that adds into it works too): an
    /// entry left unwritten counts as 0, silently.
    ///
    /// The tape keeps `f`, `vjp` and `user`: `user` must stay valid until the tape is freed or
    /// cleared.
    ///
    /// # Safety
    /// As `fdvjp_tape_call`, and `vjp` callable with `user` until the tape is freed or cleared.
    fn fdvjp_tape_call_vjp(
        t: *mut fdvjp_tape, f: fdvjp_fn, vjp: fdvjp_vjp_fn, user: *mut c_void,
        args: *const fdvjp_var, nargs: usize, m: usize, out: *mut fdvjp_var,
    ) |c| {
        record(c, t, out, |tape| {
            let f = CFunction::point(f, user, Execution::default())?;
            let vjp = CVjp::new(vjp, user)?;
            let ids = c.input(args, nargs, "args", "nargs")?;
            tape.call_vjp(Box::new(f), Box::new(vjp), &vars(ids), m)
                .map_err(naming_in("args", ids))
        })
    }
}

/// The caller's var ids as vars (checked by the tape when used).
pub(crate) fn vars(ids: &[fdvjp_var]) -> Vec<Var> {
    ids.iter().map(|&id| Var::from_raw(id)).collect()
}

/// The failure for a tape error, naming the caller's argument when it is an unknown var:
/// the var's own text ("var 0") is its index on the tape that issued it, which reads as
/// another argument of the call ("b = var 0 (id …) is unknown to this tape: …"). Costs
/// nothing on success.
pub(crate) fn naming<'a>(
    args: &'a [(&'a str, fdvjp_var)],
) -> impl FnOnce(TapeError) -> Failure + 'a {
    move |e| {
        let name = match &e {
            TapeError::UnknownVar { id, .. } => args.iter().find(|(_, v)| v == id),
            _ => None,
        };
        prefixed(e, name.map(|(name, _)| name.to_string()))
    }
}

/// As [`naming`] for an array argument: "vars[2] = var 0 (id …) is unknown …".
pub(crate) fn naming_in<'a>(
    array: &'a str,
    ids: &'a [fdvjp_var],
) -> impl FnOnce(TapeError) -> Failure + 'a {
    move |e| {
        let k = match &e {
            TapeError::UnknownVar { id, .. } => ids.iter().position(|v| v == id),
            _ => None,
        };
        prefixed(e, k.map(|k| format!("{array}[{k}]")))
    }
}

/// The failure for `e`, its message led by "NAME = " when a name is known.
fn prefixed(e: TapeError, name: Option<String>) -> Failure {
    let mut failure = Failure::from(e);
    if let Some(name) = name {
        failure.message = format!("{name} = {}", failure.message);
    }
    failure
}

exports! {
    /// Writes a var's number of elements to `*len`.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `len` NULL or writable.
    fn fdvjp_tape_len(t: *const fdvjp_tape, v: fdvjp_var, len: *mut usize) |c| {
        read(c, t, |c| c.output_one(len, "len"), |tape, out| {
            out.write(&[tape.data(Var::from_raw(v)).map_err(naming(&[("v", v)]))?.len()]);
            Ok(())
        })
    }

    /// Writes a var's number of dimensions to `*ndim` (0 for a scalar).
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `ndim` NULL or writable.
    fn fdvjp_tape_ndim(t: *const fdvjp_tape, v: fdvjp_var, ndim: *mut usize) |c| {
        read(c, t, |c| c.output_one(ndim, "ndim"), |tape, out| {
            out.write(&[tape.shape(Var::from_raw(v)).map_err(naming(&[("v", v)]))?.len()]);
            Ok(())
        })
    }

    /// Writes a var's shape to `shape[0..ndim]`; `ndim` must equal its number of dimensions
    /// (`fdvjp_tape_ndim`), else `FDVJP_LENGTH_MISMATCH`.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `shape` NULL or writable for ndim sizes.
    fn fdvjp_tape_shape(t: *const fdvjp_tape, v: fdvjp_var, shape: *mut usize, ndim: usize) |c| {
        read(c, t, |c| c.output(shape, ndim, "shape", "ndim"), |tape, out| {
            let s = tape.shape(Var::from_raw(v)).map_err(naming(&[("v", v)]))?;
            if s.len() != ndim {
                return Err(Failure::new(
                    FDVJP_LENGTH_MISMATCH,
                    format!(
                        "ndim = {ndim}, but {} has {} dimensions",
                        Var::from_raw(v),
                        s.len()
                    ),
                ));
            }
            out.write(s);
            Ok(())
        })
    }

    /// Copies a var's value (row-major, `len` = its number of elements) into `out`. Values
    /// are those of the last recording or `fdvjp_tape_forward`; an input set by
    /// `fdvjp_tape_set_input` shows its new value at once.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for len doubles.
    fn fdvjp_tape_value(t: *const fdvjp_tape, v: fdvjp_var, out: *mut f64, len: usize) |c| {
        read(c, t, |c| c.output(out, len, "out", "len"), |tape, out| {
            copy_out(out, tape.data(Var::from_raw(v)).map_err(naming(&[("v", v)]))?, v)
        })
    }
}

/// Reads from the tape behind `t` into the output `dest` makes (checked after the tape).
fn read<'c, T: Copy>(
    c: &'c Contract,
    t: *const fdvjp_tape,
    dest: impl FnOnce(&'c Contract) -> Result<Output<'c, T>, Failure>,
    get: impl FnOnce(&Tape, Output<'c, T>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let tape = c.required(t)?.borrow()?;
    get(&tape, dest(c)?)
}

/// Copies a var's value or gradient into `out`, whose length must be its number of
/// elements.
fn copy_out(out: Output<'_, f64>, value: &[f64], v: fdvjp_var) -> Result<(), Failure> {
    let (len, expected) = (out.len(), value.len());
    if len != expected {
        return Err(Failure::new(
            FDVJP_LENGTH_MISMATCH,
            format!(
                "len = {len}, but {} has {expected} elements",
                Var::from_raw(v)
            ),
        ));
    }
    out.write(value);
    Ok(())
}

exports! {
    /// Computes the gradient of `<seed, out>` with respect to every input, replacing earlier
    /// gradients. `seed` has `len` = the number of elements of `out` (row-major); `seed ==
    /// NULL` with `len` 0 or 1 requires a one-element `out` and seeds 1 (NULL with any other
    /// `len` is `FDVJP_INVALID_ARGUMENT`: a NULL array has length 0). Nodes that `out` does
    /// not depend on cost nothing. Opaque nodes evaluate f only at their first pull-back at
    /// each point (see `fdvjp_tape_call`). Built-in ops follow IEEE arithmetic, and so does
    /// the sum of several nodes' pull-backs into one var: two finite contributions may add up
    /// to +-inf, which `fdvjp_tape_grad` then returns with `FDVJP_OK`. Only a single opaque
    /// node's own pull-back beyond the doubles (a finite seed times its Jacobian, 1e308
    /// through y = 10 x) is `FDVJP_INVALID_ARGUMENT` naming the node, as for `fdvjp_vjp`. On
    /// failure the previous gradients are kept.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `seed` NULL or readable for len doubles.
    fn fdvjp_tape_backward(t: *mut fdvjp_tape, out: fdvjp_var, seed: *const f64, len: usize) |c| {
        let mut tape = c.required(t.cast_const())?.borrow_mut()?;
        let seed = if seed.is_null() {
            if len > 1 {
                return Err(Failure::invalid(format!(
                    "seed is NULL but len = {len} (a NULL seed means 1 for a \
                     one-element output: len must be 0 or 1)"
                )));
            }
            None
        } else {
            Some(c.input(seed, len, "seed", "len")?)
        };
        tape.backward(Var::from_raw(out), seed)
            .map_err(naming(&[("out", out)]))?;
        Ok(())
    }

    /// Copies the gradient of the last `fdvjp_tape_backward` with respect to `input` (`len` =
    /// its number of elements) into `out`; zero where the output does not depend on it.
    /// `FDVJP_INVALID_ARGUMENT` if `input` is not an input, or if there was no backward since
    /// the tape was created, cleared, replayed or had an input set.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `out` NULL or writable for len doubles.
    fn fdvjp_tape_grad(t: *const fdvjp_tape, input: fdvjp_var, out: *mut f64, len: usize) |c| {
        read(c, t, |c| c.output(out, len, "out", "len"), |tape, out| {
            match tape.grad_ref(Var::from_raw(input)).map_err(naming(&[("input", input)]))? {
                Some(g) => copy_out(out, g, input),
                None => {
                    let zeros = tape.grad(Var::from_raw(input))?;
                    copy_out(out, zeros.as_slice().expect("standard layout"), input)
                }
            }
        })
    }

    /// Sets an input's values to `x[0..n]` (n = its number of elements, all finite; the shape
    /// is kept), for a replay with `fdvjp_tape_forward`. Until then the other values are
    /// stale: recording ops and `fdvjp_tape_backward` are refused, and the last gradients are
    /// dropped.
    ///
    /// # Safety
    /// `t` is NULL or a live tape; `x` NULL or readable for n doubles.
    fn fdvjp_tape_set_input(t: *mut fdvjp_tape, input: fdvjp_var, x: *const f64, n: usize) |c| {
        let mut tape = c.required(t.cast_const())?.borrow_mut()?;
        tape.set_input(Var::from_raw(input), c.input(x, n, "x", "n")?)
            .map_err(naming(&[("input", input)]))?;
        Ok(())
    }

    /// Replays every recorded node at the current input values, without recording again: each
    /// opaque or custom-VJP node calls its f once, and opaque Jacobians are dropped. Nodes that
    /// depend on no input are not re-evaluated. On failure (a callback's non-zero return or
    /// non-finite output) every value is left as before the call.
    ///
    /// # Safety
    /// `t` is NULL or a live tape, and the `user` pointers it keeps are still valid.
    fn fdvjp_tape_forward(t: *mut fdvjp_tape) |c| {
        c.required(t.cast_const())?.borrow_mut()?.forward()?;
        Ok(())
    }
}
