//! What an exported function's caller promises, and the typed conversions that rely on it.
//!
//! Each exported `unsafe extern "C"` function documents, in its `# Safety` section, what
//! its caller promises of every pointer argument: a handle is NULL or a live one of its
//! kind, an input array is readable and an output array writable for its stated length,
//! for the duration of the call. [`export!`](super::export::export) makes one [`Contract`]
//! per call, standing for that promise; the helpers below are the only places that turn
//! raw pointers into references, each checking what can be checked (NULL, alignment,
//! size, a handle's live tag) and relying on the promise for the rest. So the SAFETY
//! reasoning is written here once, and the exported bodies hold no `unsafe`.
//!
//! Rules for the bodies, which the helpers cannot check: pass them only the exported
//! function's own arguments with the lengths its `# Safety` section names; write outputs
//! last, once nothing borrowed from an input is read again (a caller may pass overlapping
//! arrays).

use super::boundary::Failure;
use super::buffers::{check, Output};
use super::quiet_panic;
use super::status::fdvjp_status::*;
use std::marker::PhantomData;

/// The caller's promise for the exported function now running. Made only by `export!`;
/// references obtained through it live no longer than it, i.e. than the call.
pub(crate) struct Contract {
    /// Not `Send`, not constructible outside this module.
    _call: PhantomData<*const ()>,
}

/// An opaque handle type (`fdvjp_config`, `fdvjp_tape`): what its argument is called in
/// messages, and whether a pointed-to value carries the live tag (freed or foreign
/// pointers are then usually caught).
pub(crate) trait Handle {
    /// The argument's name in messages ("cfg", "t").
    const ARGUMENT: &'static str;
    /// The C type's name ("fdvjp_config").
    const TYPE: &'static str;
    fn is_live(&self) -> bool;
    /// Clears the live tag, just before the handle is freed.
    fn retire(&mut self);
    /// Whether a call on this thread is using the handle (then it cannot be freed).
    fn in_use(&self) -> bool {
        false
    }
}

/// Implements [`Handle`] for a C handle type (named `TYPE` after it) whose `magic` field
/// holds `$magic` while it lives and 0 once freed; `in_use` as given, else false.
macro_rules! handle {
    ($type:ident, $argument:literal, $magic:ident $(, in_use: |$h:ident| $in_use:expr)?) => {
        impl $crate::ffi::contract::Handle for $type {
            const ARGUMENT: &'static str = $argument;
            const TYPE: &'static str = stringify!($type);
            fn is_live(&self) -> bool {
                self.magic == $magic
            }
            fn retire(&mut self) {
                self.magic = 0;
            }
            $(fn in_use(&self) -> bool {
                let $h = self;
                $in_use
            })?
        }
    };
}
pub(crate) use handle;

/// A new handle for C, boxed by `make` (fresh, or one kept from an earlier free), to be
/// freed by [`Contract::free_into`]; NULL if making it panics.
pub(crate) fn new_boxed_handle<H: Handle>(make: impl FnOnce() -> Box<H>) -> *mut H {
    quiet_panic::catch(|| Box::into_raw(make())).unwrap_or(std::ptr::null_mut())
}

impl Contract {
    /// # Safety
    /// Only at the top of an exported function's body, whose caller promised its
    /// `# Safety` section for every pointer argument.
    pub(crate) unsafe fn promised() -> Self {
        Self { _call: PhantomData }
    }

    /// A handle that may be NULL (`None`: the defaults); a non-NULL one must be live.
    #[inline]
    pub fn handle<H: Handle>(&self, p: *const H) -> Result<Option<&H>, Failure> {
        if p.is_null() {
            return Ok(None);
        }
        // SAFETY: non-NULL and, by the contract, a handle made by its `_new` function and
        // not freed (a freed one is caught by the tag below: its memory stays the
        // library's, `retired.rs`); only shared references to handles are made from
        // `*const` arguments.
        let h = unsafe { &*p };
        if !h.is_live() {
            return Err(not_live::<H>());
        }
        Ok(Some(h))
    }

    /// Frees a handle made by [`new_boxed_handle`]: retires it (tag 0) and hands it to
    /// `keep` (under the panic boundary), which keeps its memory for a later
    /// [`new_boxed_handle`] (see `retired.rs`). NULL, a pointer whose tag says it is not
    /// live (a second free), and a handle in use are left alone.
    pub fn free_into<H: Handle>(&self, p: *mut H, keep: impl FnOnce(Box<H>)) {
        let Ok(Some(h)) = self.handle(p.cast_const()) else {
            return;
        };
        if h.in_use() {
            return;
        }
        // SAFETY: live and not in use, so no other reference to it exists; by the
        // contract it was made by `new_boxed_handle` (`Box::into_raw`) and
        // is not used after this call, so it is taken back exactly once.
        let handle = unsafe {
            (*p).retire();
            Box::from_raw(p)
        };
        let _ = quiet_panic::catch(|| keep(handle));
    }

    /// A handle that must not be NULL, for reading.
    #[inline]
    pub fn required<H: Handle>(&self, p: *const H) -> Result<&H, Failure> {
        self.handle(p)?.ok_or_else(|| null::<H>())
    }

    /// A handle that must not be NULL, for changing (a config's setters).
    // The `&mut` comes from the caller's pointer, not from `self`, which only bounds its
    // lifetime to the call.
    #[allow(clippy::mut_from_ref)]
    pub fn required_mut<H: Handle>(&self, p: *mut H) -> Result<&mut H, Failure> {
        self.required(p.cast_const())?;
        // SAFETY: checked non-NULL and live above; by the contract (`# Safety` of the
        // setters) the caller holds no other reference to the handle during the call,
        // and the body converts it once.
        Ok(unsafe { &mut *p })
    }

    /// The caller's input array `p[0..len]`; `(NULL, 0)` is the empty array. Messages name
    /// the array `name` and its length `len_name` ("x is NULL but n = 3").
    #[inline]
    pub fn input<T>(
        &self,
        p: *const T,
        len: usize,
        name: &str,
        len_name: &str,
    ) -> Result<&[T], Failure> {
        check(p, len, name, len_name)?;
        if len == 0 {
            return Ok(&[]);
        }
        // SAFETY: `p` is non-NULL, aligned and `len` elements fit in isize (checked
        // above); by the contract it is readable for `len` elements during the call,
        // which the borrow of `self` outlives no more than the call.
        Ok(unsafe { std::slice::from_raw_parts(p, len) })
    }

    /// Input arrays of one length, as [`Contract::input`] in turn: `[lower, upper]` of `n`.
    pub fn inputs<T, const K: usize>(
        &self,
        arrays: [(*const T, &str); K],
        len: usize,
        len_name: &str,
    ) -> Result<[&[T]; K], Failure> {
        let mut slices = [&[][..]; K];
        for (slice, (p, name)) in slices.iter_mut().zip(arrays) {
            *slice = self.input(p, len, name, len_name)?;
        }
        Ok(slices)
    }

    /// The caller's output array `p[0..len]`, checked now and written only by
    /// [`Output::write`] once the computation has succeeded.
    #[inline]
    pub fn output<T: Copy>(
        &self,
        p: *mut T,
        len: usize,
        name: &str,
        len_name: &str,
    ) -> Result<Output<'_, T>, Failure> {
        check(p.cast_const(), len, name, len_name)?;
        // SAFETY: checked above; by the contract `p` is writable for `len` elements
        // during the call, which the output does not outlive.
        Ok(unsafe { Output::new(p, len) })
    }

    /// A required single-value output (`*out`): NULL is "`name` is NULL".
    #[inline]
    pub fn output_one<T: Copy>(&self, p: *mut T, name: &str) -> Result<Output<'_, T>, Failure> {
        if p.is_null() {
            return Err(null_named(name));
        }
        self.output(p, 1, name, "1")
    }
}

#[cold]
#[inline(never)]
fn null_named(name: &str) -> Failure {
    Failure::new(FDVJP_NULL_POINTER, format!("{name} is NULL"))
}

#[cold]
#[inline(never)]
fn not_live<H: Handle>() -> Failure {
    Failure::invalid(format!(
        "{} is not a live {} (freed or foreign)",
        H::ARGUMENT,
        H::TYPE
    ))
}

#[cold]
#[inline(never)]
fn null<H: Handle>() -> Failure {
    Failure::new(FDVJP_NULL_POINTER, format!("{} is NULL", H::ARGUMENT))
}

/// A callback argument that must not be NULL: "`name` is NULL" otherwise.
pub(crate) fn required<F>(f: Option<F>, name: &str) -> Result<F, Failure> {
    f.ok_or_else(|| Failure::new(FDVJP_NULL_POINTER, format!("{name} is NULL")))
}
