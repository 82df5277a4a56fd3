//! Guard words after every buffer a callback writes: a function that writes past `y[m-1]`
//! (a wrong m, or a Fortran array of the wrong length) is caught instead of corrupting
//! the heap.
//!
//! The callback writes into a private scratch buffer of `len + FDVJP_GUARD_WORDS`
//! doubles whose tail holds a fixed bit pattern; after the call the tail is checked and
//! the first `len` doubles are copied to where the core wants them. The scratch is one
//! buffer per thread, reused across evaluations (a nested or thread-exit call gets a
//! fresh one), so the cost per evaluation is checking the guard and copying the `len`
//! outputs: a buffer is kept only with its guard intact (an overrun empties it), so the
//! guard is written when the buffer is made, not before every call.
//!
//! The outputs themselves are not reset before a call ([`Reset::Guard`]): a function
//! writes every one of them (the contract of `fdvjp_fn`, `fdvjp_batch_fn`, `fdvjp_cfn`),
//! and clearing them cost a pass over m doubles per evaluation (7.5% of a 1000 -> 1000
//! VJP's instructions, issue 15). A buffer new to the thread (its first call with this
//! length) holds the guard pattern, a NaN, everywhere, so an output left unwritten then
//! makes f(x) non-finite, an error naming the output, rather than a silent zero; later it
//! keeps the value of the thread's previous evaluation. The adjoint callback's `grad`
//! is still cleared ([`Reset::All`]): a callback that adds into it instead of overwriting
//! it gets the gradient it would have got, and it runs once per backward, not per
//! evaluation.

use std::cell::{Cell, RefCell};
use std::sync::Mutex;

/// Doubles of guard after every buffer fdvjp hands to a callback for writing: `y` of an
/// `fdvjp_fn`, `ys` of an `fdvjp_batch_fn`, `w` of an `fdvjp_cfn`, `grad` of an
/// `fdvjp_vjp_fn`. Each such buffer is fdvjp's private scratch, followed by this many
/// doubles holding a fixed bit pattern that is checked after every call. A callback that
/// writes anywhere in `y[m] .. y[m + FDVJP_GUARD_WORDS - 1]` (a wrong m; in Fortran, an
/// array declared longer than m) makes the computation fail with `FDVJP_CALLBACK_FAILED`
/// and the last error "<function>: the function wrote past y[m-1] (m = <m>) at evaluation
/// <k> (<point>)"; likewise "the batch function wrote past ys[k*m-1] (k = <k>, m = <m>)",
/// "the function wrote past w[2m-1] (m = <m>)" and "the vjp callback wrote past
/// grad[n-1] (n = <n>)". Every output is then untouched and no memory outside fdvjp's
/// scratch was written, so bindings may rely on it to report such writes. Writes further
/// out than the guard are not caught.
pub const FDVJP_GUARD_WORDS: usize = 16;

/// The guard pattern: a signalling-NaN payload no computation produces by accident.
const PATTERN: u64 = 0x7ff4_dead_beef_f00d;

/// The failure code a guarded call returns for an overrun (with the description kept in
/// its [`OverrunLog`]); see [`OverrunLog::explain`].
pub(crate) const OVERRUN_CODE: i32 = i32::MIN;

/// Buffers above this many doubles are not kept between calls.
const KEEP_AT_MOST: usize = 1 << 16;

thread_local! {
    static SCRATCH: Cell<Vec<f64>> = const { Cell::new(Vec::new()) };
}

/// The description of the first overrun seen by one computation's callback; shared by
/// the threads that evaluate it.
#[derive(Debug, Default)]
pub(crate) struct OverrunLog(Mutex<Option<String>>);

impl OverrunLog {
    fn record(&self, what: String) {
        if let Ok(mut first) = self.0.lock() {
            first.get_or_insert(what);
        }
    }

    /// What a failure `code` of the guarded callback means, when it was an overrun.
    pub fn explain(&self, code: i32) -> Option<String> {
        if code != OVERRUN_CODE {
            return None;
        }
        self.0.lock().ok().and_then(|first| first.clone())
    }
}

/// What a guarded call resets in a reused buffer before the callback runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Reset {
    /// The guard words only: the callback writes every output.
    Guard,
    /// The outputs too (to zero): for a callback that might add into its buffer.
    All,
}

/// Runs `call` on a guarded buffer of `out.len()` doubles, then copies the values into
/// `out`. `call` gets the buffer's start and returns the callback's code; `describe` names
/// the buffer for the message ("the function wrote past y[m-1] (m = 2)"); `reset` says
/// whether the outputs start from zero. An overrun is recorded in `log` and returned as
/// `Err(OVERRUN_CODE)`, `out` untouched.
pub(crate) fn call_guarded(
    out: &mut [f64],
    log: &OverrunLog,
    reset: Reset,
    describe: impl FnOnce() -> String,
    call: impl FnOnce(*mut f64) -> i32,
) -> Result<(), i32> {
    // The thread's buffer is held for this one call only, so that a callback's own fdvjp
    // call (nested in this one) or a call from thread-exit code (no storage left) simply
    // starts from an empty one.
    Held::default().call(out, log, reset, describe, call)
}

/// The calling thread's guarded buffer, held by one computation from its first
/// evaluation on that thread to its end instead of taken from the thread and given back
/// around every evaluation: two thread-local accesses per evaluation were a quarter of
/// the guard's cost on a small call (issue 15). The same buffer, so the same values on
/// entry (see the module doc); while it is held, the thread's slot is empty, as it was
/// during each callback before, so a callback's own fdvjp call starts from an empty
/// buffer either way. Dropped with the computation: given back to the thread when it is
/// small enough to keep. Not `Sync`: threads use [`call_guarded`]. A `RefCell`, not a
/// `Cell`: moving the vector out and back around every evaluation cost more than the
/// borrow flag (no callback can reach this computation's own buffer, so the borrow
/// never fails).
#[derive(Default)]
pub(crate) struct Held(RefCell<Vec<f64>>);

impl Held {
    /// [`call_guarded`] on the held buffer (the thread's, taken at the first call).
    /// Inlined into the point function's evaluation, where the reset and the closures are
    /// known; what only a first call or an overrun needs is out of line ([`prepare`],
    /// [`overrun`]), so that the common evaluation is a length test, the call, the guard
    /// test and the copy (issue 15: about 130 instructions per evaluation before).
    #[inline(always)]
    pub fn call(
        &self,
        out: &mut [f64],
        log: &OverrunLog,
        reset: Reset,
        describe: impl FnOnce() -> String,
        call: impl FnOnce(*mut f64) -> i32,
    ) -> Result<(), i32> {
        let mut buf = self.0.borrow_mut();
        run_in(&mut buf, out, log, reset, describe, call)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let buf = std::mem::take(self.0.get_mut());
        if buf.capacity() > 0 && buf.capacity() <= KEEP_AT_MOST {
            let _ = SCRATCH.try_with(|s| s.set(buf));
        }
    }
}

#[inline(always)]
fn run_in(
    buf: &mut Vec<f64>,
    out: &mut [f64],
    log: &OverrunLog,
    reset: Reset,
    describe: impl FnOnce() -> String,
    call: impl FnOnce(*mut f64) -> i32,
) -> Result<(), i32> {
    let len = out.len();
    if buf.len() != len + FDVJP_GUARD_WORDS || reset == Reset::All {
        prepare(buf, len, reset);
    }
    let code = call(buf.as_mut_ptr());
    if !guard_intact(&buf[len..]) {
        return Err(overrun(buf, log, describe));
    }
    if code != 0 {
        return Err(code);
    }
    copy_small(&buf[..len], out);
    Ok(())
}

/// Makes `buf` ready for `len` outputs: the thread's buffer when `buf` has none yet, and,
/// when its length is not `len`'s, the pattern (a NaN) everywhere, so that an output the
/// callback leaves unwritten is a non-finite value, not a plausible one. A buffer of the
/// same length as the last call on this thread keeps its values: its guard is intact (a
/// kept buffer always has it, see [`overrun`]); only its outputs are reset, when asked
/// (see the module doc).
#[cold]
#[inline(never)]
fn prepare(buf: &mut Vec<f64>, len: usize, reset: Reset) {
    if buf.capacity() == 0 {
        *buf = SCRATCH.try_with(Cell::take).unwrap_or_default();
    }
    if buf.len() == len + FDVJP_GUARD_WORDS {
        if reset == Reset::All {
            buf[..len].fill(0.0);
        }
    } else {
        buf.clear();
        let fill = if reset == Reset::All { 0.0 } else { guard() };
        buf.resize(len, fill);
        buf.resize(len + FDVJP_GUARD_WORDS, guard());
    }
}

/// An overrun: `buf` emptied, so that the next call fills the pattern again (a kept
/// buffer's guard is always intact), and the description recorded in `log`.
#[cold]
#[inline(never)]
fn overrun(buf: &mut Vec<f64>, log: &OverrunLog, describe: impl FnOnce() -> String) -> i32 {
    buf.clear();
    log.record(describe());
    OVERRUN_CODE
}

fn guard() -> f64 {
    f64::from_bits(PATTERN)
}

/// Whether `value` is the pattern itself: an output the callback left unwritten.
pub(crate) fn is_pattern(value: f64) -> bool {
    value.to_bits() == PATTERN
}

/// Whether the `FDVJP_GUARD_WORDS` doubles of `tail` all hold the pattern: one pass over
/// a fixed-size array without early exit.
#[inline(always)]
fn guard_intact(tail: &[f64]) -> bool {
    let Ok(tail) = <&[f64; FDVJP_GUARD_WORDS]>::try_from(tail) else {
        return false;
    };
    all_pattern(tail)
}

/// [`guard_intact`] on x86-64: two words per comparison (SSE2, always there). The
/// compiler turned the portable pass into a comparison and a branch per word, 32
/// instructions of every evaluation (issue 15).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn all_pattern(tail: &[f64; FDVJP_GUARD_WORDS]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi32, _mm_loadu_si128, _mm_movemask_epi8,
        _mm_set1_epi64x,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are available on
    // every x86-64 processor; each load reads one `pair`, two doubles of `tail` (16
    // readable bytes), and has no alignment requirement.
    unsafe {
        let pattern = _mm_set1_epi64x(PATTERN as i64);
        let mut all = _mm_set1_epi64x(-1);
        for pair in tail.chunks_exact(2) {
            let words = _mm_loadu_si128(pair.as_ptr().cast::<__m128i>());
            // Both 32-bit halves of a word equal the pattern's: the word does.
            all = _mm_and_si128(all, _mm_cmpeq_epi32(words, pattern));
        }
        _mm_movemask_epi8(all) == 0xffff
    }
}

/// [`guard_intact`] elsewhere.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn all_pattern(tail: &[f64; FDVJP_GUARD_WORDS]) -> bool {
    tail.iter()
        .fold(0u64, |acc, g| acc | (g.to_bits() ^ PATTERN))
        == 0
}

/// `out = values`: a plain loop for the few outputs of a small function (a call of
/// `memcpy` costs more than copying them), `copy_from_slice` otherwise.
#[inline(always)]
fn copy_small(values: &[f64], out: &mut [f64]) {
    if let ([o], [v]) = (&mut *out, values) {
        *o = *v;
    } else if out.len() <= 4 {
        for (o, v) in out.iter_mut().zip(values) {
            *o = *v;
        }
    } else {
        out.copy_from_slice(values);
    }
}
