//! The shape of a tape value, held inline for up to four dimensions.
//!
//! Why not `ndarray`'s `IxDyn`: every tape value used to be an `ArrayD`, whose dynamic
//! shape and strides cost about 60 instructions per flat view and 90 per conversion, and
//! an allocation per array; at length 10 that bookkeeping was most of a node's cost
//! (issue 15). Values are now flat f64 slices in the tape's arenas, and a node keeps its
//! shape here: scalars, vectors and matrices (nearly every value) never touch the heap;
//! a shape of five or more dimensions is boxed.

use ndarray::{ArrayD, IxDyn};

/// Dimensions held inline.
const INLINE: usize = 4;

/// A row-major shape; `[]` is a scalar.
///
/// Every field a whole word, the variant's tag too (`repr(u64)`): a shape is copied into
/// each new node by words right after it was written, and a word read back from a byte
/// just written stalls the processor (a failed store-to-load forwarding, about 10
/// cycles): with a byte-wide tag and `ndim`, such stalls were half of a unary op's
/// recording time at length 10 (issue 15).
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Dims {
    /// Up to [`INLINE`] dimensions: the first `ndim` of `dims`.
    Inline { ndim: usize, dims: [usize; INLINE] },
    /// More dimensions.
    Heap(Box<[usize]>),
}

impl Dims {
    /// The shape `shape`.
    pub fn new(shape: &[usize]) -> Self {
        if shape.len() <= INLINE {
            let mut dims = [0; INLINE];
            dims[..shape.len()].copy_from_slice(shape);
            Dims::Inline {
                ndim: shape.len(),
                dims,
            }
        } else {
            Dims::Heap(shape.into())
        }
    }

    /// The shape `[len]` of a vector.
    pub fn vector(len: usize) -> Self {
        Dims::Inline {
            ndim: 1,
            dims: [len, 0, 0, 0],
        }
    }

    /// The shape `[]` of a scalar.
    pub fn scalar() -> Self {
        Dims::Inline {
            ndim: 0,
            dims: [0; INLINE],
        }
    }

    /// The dimensions.
    #[inline]
    pub fn as_slice(&self) -> &[usize] {
        match self {
            Dims::Inline { ndim, dims } => &dims[..*ndim],
            Dims::Heap(d) => d,
        }
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Dims::Inline { .. } => 0,
            Dims::Heap(d) => std::mem::size_of_val::<[usize]>(d),
        }
    }
}

/// An `ndarray` array of this shape holding a copy of `data` (row-major, the shape's
/// length): the public Rust API's form of a value.
pub(crate) fn to_array(dims: &Dims, data: &[f64]) -> ArrayD<f64> {
    ArrayD::from_shape_vec(IxDyn(dims.as_slice()), data.to_vec())
        .expect("data length matches the shape")
}
