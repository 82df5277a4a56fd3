//! Caller arrays: checked borrows of inputs, and outputs written only once a call succeeds.

use super::boundary::Failure;
use super::status::fdvjp_status::*;

/// Checks that `p` can hold `len` elements of `T`: non-NULL unless `len == 0`, aligned, and
/// of a size a slice can have.
fn check<T>(p: *const T, len: usize, name: &str, len_name: &str) -> Result<(), Failure> {
    if len == 0 {
        return Ok(());
    }
    if p.is_null() {
        return Err(Failure::new(
            FDVJP_NULL_POINTER,
            format!("{name} is NULL but {len_name} = {len}"),
        ));
    }
    if !p.is_aligned() {
        return Err(Failure::invalid(format!(
            "{name} = {p:p} is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    if len
        .checked_mul(std::mem::size_of::<T>())
        .is_none_or(|b| b > isize::MAX as usize)
    {
        return Err(Failure::invalid(format!(
            "{len_name} = {len} is too large for {name}"
        )));
    }
    Ok(())
}

/// Borrows the caller's input array `p[0..len]`; `(NULL, 0)` is the empty array.
///
/// # Safety
/// A non-NULL `p` must be valid for `len` reads of `T` while the result is used.
pub(crate) unsafe fn input<'a, T>(
    p: *const T,
    len: usize,
    name: &str,
    len_name: &str,
) -> Result<&'a [T], Failure> {
    check(p, len, name, len_name)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: `p` is non-NULL, aligned and within isize (checked above); the caller
    // guarantees `len` readable elements for the lifetime of the borrow.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// The number of elements of an `rows × cols` array, or an error naming both.
pub(crate) fn product(rows: usize, cols: usize, what: &str) -> Result<usize, Failure> {
    rows.checked_mul(cols)
        .ok_or_else(|| Failure::invalid(format!("{what}: m*n = {rows}*{cols} overflows size_t")))
}

/// A caller's output array, validated before any work and written only by [`Output::write`]
/// once the whole computation has succeeded.
pub(crate) struct Output<T> {
    p: *mut T,
    len: usize,
}

impl<T: Copy> Output<T> {
    /// Validates `p` as room for `len` elements.
    pub fn new(p: *mut T, len: usize, name: &str, len_name: &str) -> Result<Self, Failure> {
        check(p.cast_const(), len, name, len_name)?;
        Ok(Self { p, len })
    }

    /// Copies `data` (exactly `len` elements) into the caller's array.
    ///
    /// # Safety
    /// The array given to [`Output::new`] must be valid for `len` writes, and no Rust
    /// reference into it may be alive.
    pub unsafe fn write(self, data: &[T]) {
        assert_eq!(data.len(), self.len, "output length");
        if self.len > 0 {
            // SAFETY: `p` was checked non-NULL and aligned for `len` elements; the caller
            // guarantees it is writable; `data` is Rust-owned, so the regions are disjoint.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.p, self.len) };
        }
    }
}
