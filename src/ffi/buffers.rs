//! Caller arrays: the checks a pointer and length pass before they are used, and outputs
//! written only once a call succeeds. Made through [`super::contract::Contract`].

use super::boundary::Failure;
use super::status::fdvjp_status::*;
use std::marker::PhantomData;

/// Checks that `p` can hold `len` elements of `T`: non-NULL unless `len == 0`, aligned, and
/// of a size a slice can have. Inline, with the messages out of line ([`refused`]): every
/// array argument of every call passes here.
#[inline]
pub(crate) fn check<T>(p: *const T, len: usize, name: &str, len_name: &str) -> Result<(), Failure> {
    let size = std::mem::size_of::<T>();
    let fits = size == 0 || len <= isize::MAX as usize / size;
    if len == 0 || (!p.is_null() && p.is_aligned() && fits) {
        return Ok(());
    }
    Err(refused(p, len, name, len_name))
}

/// Why [`check`] refused `p` for `len` elements.
#[cold]
#[inline(never)]
fn refused<T>(p: *const T, len: usize, name: &str, len_name: &str) -> Failure {
    if p.is_null() {
        return Failure::new(
            FDVJP_NULL_POINTER,
            format!("{name} is NULL but {len_name} = {len}"),
        );
    }
    if !p.is_aligned() {
        return Failure::invalid(format!(
            "{name} = {p:p} is not aligned to {} bytes",
            std::mem::align_of::<T>()
        ));
    }
    Failure::invalid(format!("{len_name} = {len} is too large for {name}"))
}

/// The number of elements of an `rows × cols` array, or an error naming both as the
/// caller knows them (`sizes` is "m*n", or "2m*2n" for the real view of complex arrays).
pub(crate) fn product(rows: usize, cols: usize, what: &str, sizes: &str) -> Result<usize, Failure> {
    rows.checked_mul(cols).ok_or_else(|| {
        Failure::invalid(format!("{what}: {sizes} = {rows}*{cols} overflows size_t"))
    })
}

/// A caller's output array, validated before any work and written only by [`Output::write`]
/// once the whole computation has succeeded; it lives no longer than the call.
pub(crate) struct Output<'call, T> {
    p: *mut T,
    len: usize,
    call: PhantomData<&'call ()>,
}

impl<T: Copy> Output<'_, T> {
    /// # Safety
    /// `p` passed [`check`] for `len` and is writable for `len` elements for the lifetime
    /// of the output.
    pub(crate) unsafe fn new(p: *mut T, len: usize) -> Self {
        Self {
            p,
            len,
            call: PhantomData,
        }
    }

    /// The number of elements the caller's array holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Copies `data` (exactly `len` elements) into the caller's array. The last step of a
    /// call: nothing borrowed from the caller's inputs is read afterwards.
    pub fn write(self, data: &[T]) {
        assert_eq!(data.len(), self.len, "output length");
        if self.len > 0 {
            // SAFETY: `p` is non-NULL, aligned and writable for `len` elements (the
            // invariant of `new`); `data` is Rust-owned, so the regions are disjoint.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.p, self.len) };
        }
    }
}
