//! Decoding fuzz input bytes into problem parameters: a reader that never fails (it yields
//! zeros once the bytes run out), so every input is a valid test case.

/// Reads small integers and doubles from the fuzzer's bytes.
pub struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The next byte, 0 once the input is used up.
    pub fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&b, rest)) => {
                self.bytes = rest;
                b
            }
            None => 0,
        }
    }

    /// A number in `0..k` (k > 0).
    pub fn below(&mut self, k: usize) -> usize {
        usize::from(self.byte()) % k
    }

    /// True with probability about `p / 256`.
    pub fn chance(&mut self, p: u8) -> bool {
        self.byte() < p
    }

    /// A double in [-2, 2) on a grid of 1/64, or (rarely) a special value: 0, tiny, huge,
    /// NaN or an infinity.
    pub fn value(&mut self) -> f64 {
        let b = self.byte();
        match b {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 1e-300,
            4 => 1e300,
            5 => -1e-9,
            _ => (f64::from(b) - 128.0) / 64.0,
        }
    }

    /// A finite double in [-2, 2).
    pub fn finite(&mut self) -> f64 {
        (f64::from(self.byte()) - 128.0) / 64.0
    }

    /// A size from the whole `usize` range: mostly small (0..8), otherwise next to a power
    /// of two (`2^k - 1`, `2^k`, `2^k + 1` for any k < 64) or next to `usize::MAX`.
    pub fn size(&mut self) -> usize {
        let b = self.byte();
        if b < 160 {
            return usize::from(b % 8);
        }
        let power = 1usize << (self.byte() % 64);
        match self.byte() % 4 {
            0 => power - 1,
            1 => power,
            2 => power.wrapping_add(1),
            _ => usize::MAX - usize::from(b % 4),
        }
    }

    /// A size that is either small (0..8) or at least 2^40 elements: `size()` without the
    /// middle range, for lengths the library would rightly allocate and fill (2^30 doubles
    /// are 8 GiB of real memory). From 2^40 doubles (8 TiB) on, every allocator refuses,
    /// so the library must answer `FDVJP_OUT_OF_MEMORY` or `FDVJP_INVALID_ARGUMENT`.
    pub fn small_or_huge(&mut self) -> usize {
        match self.size() {
            s if s < 8 => s,
            s => s | (1usize << 40),
        }
    }

    /// A raw u64 (for invalid ids and the like).
    pub fn word(&mut self) -> u64 {
        (0..8).fold(0u64, |w, _| (w << 8) | u64::from(self.byte()))
    }
}
