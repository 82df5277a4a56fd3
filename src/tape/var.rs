//! Variable ids: which tape issued them, and which node they name.
//!
//! An id is `serial << 32 | index`: `serial` is drawn from a process-wide counter each time
//! a tape is created or cleared, `index` is the node's position on the tape. A variable of
//! another tape, or one issued before a clear, therefore carries the wrong serial and is
//! recognised as unknown instead of silently naming some other node. Serials start at 1,
//! so no valid id is 0 and 0 can mean "no variable". (The counter wraps only after 2^32
//! tapes or clears in one process.)

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT_SERIAL: AtomicU32 = AtomicU32::new(1);

/// A fresh, non-zero tape serial.
pub(crate) fn next_serial() -> u32 {
    loop {
        let s = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        if s != 0 {
            return s;
        }
    }
}

/// Whether some tape of this process has drawn `serial` (an id with a later serial was
/// never issued: made up, or memory read as an id).
pub(crate) fn issued(serial: u32) -> bool {
    serial != 0 && serial < NEXT_SERIAL.load(Ordering::Relaxed)
}

/// A variable on a [`crate::tape::Tape`]: a node's value, named by an opaque id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Var(u64);

impl Var {
    pub(crate) fn new(serial: u32, index: u32) -> Self {
        Var((u64::from(serial) << 32) | u64::from(index))
    }

    /// The variable with the raw id `id` (as passed through the C API); checked by the
    /// tape when used.
    pub fn from_raw(id: u64) -> Self {
        Var(id)
    }

    /// The raw id (never 0 for a variable a tape issued).
    pub fn raw(self) -> u64 {
        self.0
    }

    pub(crate) fn serial(self) -> u32 {
        (self.0 >> 32) as u32
    }

    pub(crate) fn index(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }
}

/// Shown as `var N`, N the node it names (the N-th value recorded on its tape, counting
/// from 0, as in "node N" messages): the raw id packs the tape serial into its high bits,
/// which reads as a meaningless large number (`0x200000003`) to the caller.
impl fmt::Display for Var {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "var {}", self.index())
    }
}
