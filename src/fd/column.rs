//! One column of the Jacobian as the column loop (`columns.rs`) hands it to its visitor,
//! and what the visitor says it will read of it.
//!
//! Why the distinction: a dense VJP column is summed straight into `v^T J[:, j]`
//! (`fused.rs`) without ever forming `J[:, j]`, which is what puts the VJP at the cost of
//! a hand-written loop. A visitor that reads entries (a Jacobian, a pattern check, the
//! re-learning of a sparsity pattern) must therefore say so ([`Wants`]), and reading the
//! entries of a column that only carries its product is an error, never a silent
//! misreading of scratch memory.

use super::error::FdError;

/// What a visitor of the column loop reads, and the cotangent that weights the step
/// refinement's tests and bounds (`refine.rs`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Wants<'a> {
    /// Every entry; the outputs weigh equally (a Jacobian).
    Entries,
    /// Every entry; output `i` weighs `|v[i]|` (the columns of a VJP that are also read
    /// entry by entry, as learned sparsity's pattern check and re-learning do).
    WeightedEntries(&'a [f64]),
    /// Only `v^T J[:, j]` (a VJP): a dense column may arrive as its product alone.
    Product(&'a [f64]),
}

impl<'a> Wants<'a> {
    /// The cotangent weighting the outputs, if any.
    pub fn weights(self) -> Option<&'a [f64]> {
        match self {
            Wants::Entries => None,
            Wants::WeightedEntries(v) | Wants::Product(v) => Some(v),
        }
    }

    /// The same weights, every entry read.
    pub fn with_entries(self) -> Self {
        match self.weights() {
            None => Wants::Entries,
            Some(v) => Wants::WeightedEntries(v),
        }
    }
}

/// One column `J[:, j]`: its structurally non-zero entries, or only its product with the
/// cotangent when the visitor asked for [`Wants::Product`].
pub(crate) struct Column<'a>(Content<'a>);

enum Content<'a> {
    /// `J[i][j] = values[i] * scale` for the rows `i` listed (all rows when `rows` is
    /// `None`); every other entry is zero.
    Entries {
        rows: Option<&'a [usize]>,
        values: &'a [f64],
        scale: f64,
    },
    /// `sum_i v[i] J[i][j]`, already computed; the entries were never formed.
    Product(f64),
}

impl<'a> Column<'a> {
    /// The column `values[i] * scale` for the rows listed (all when `rows` is `None`).
    pub fn entries(rows: Option<&'a [usize]>, values: &'a [f64], scale: f64) -> Self {
        Self(Content::Entries {
            rows,
            values,
            scale,
        })
    }

    /// A column known only by its product with the cotangent.
    pub fn product(product: f64) -> Self {
        Self(Content::Product(product))
    }

    /// Calls `visit(i, J[i][j])` for each structurally non-zero entry of column `j`.
    ///
    /// A column that carries only its product has no entries: that is a bug in the
    /// caller's [`Wants`], a panic in a debug build and [`FdError::Internal`] otherwise.
    pub fn for_each(&self, j: usize, mut visit: impl FnMut(usize, f64)) -> Result<(), FdError> {
        match self.0 {
            Content::Entries {
                rows: None,
                values,
                scale,
            } => values
                .iter()
                .enumerate()
                .for_each(|(i, &d)| visit(i, d * scale)),
            Content::Entries {
                rows: Some(rows),
                values,
                scale,
            } => rows.iter().for_each(|&i| visit(i, values[i] * scale)),
            Content::Product(_) => {
                let what = format!(
                    "column {j} was read entry by entry, but only its product with v was \
                     computed (the column loop was asked for products only)"
                );
                if cfg!(debug_assertions) {
                    panic!("{what}");
                }
                return Err(FdError::Internal(what));
            }
        }
        Ok(())
    }

    /// `sum_i v[i] J[i][j]`; a column that arrived as a product was computed with this
    /// same `v` ([`Wants::Product`]).
    pub fn dot(&self, v: &[f64]) -> f64 {
        match self.0 {
            Content::Entries {
                rows: None,
                values,
                scale,
            } => values.iter().zip(v).map(|(d, vi)| d * vi).sum::<f64>() * scale,
            Content::Entries {
                rows: Some(rows),
                values,
                scale,
            } => rows.iter().map(|&i| values[i] * v[i]).sum::<f64>() * scale,
            Content::Product(product) => product,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_dot_of_a_sparse_column() {
        let values = [1.0, 2.0, 3.0];
        let c = Column::entries(Some(&[0, 2]), &values, 0.5);
        let mut seen = Vec::new();
        c.for_each(4, |i, d| seen.push((i, d))).unwrap();
        assert_eq!(seen, [(0, 0.5), (2, 1.5)]);
        assert_eq!(c.dot(&[1.0, 10.0, 2.0]), (1.0 + 6.0) * 0.5);
    }

    #[test]
    fn a_product_column_has_no_entries() {
        let c = Column::product(7.0);
        assert_eq!(c.dot(&[1.0]), 7.0);
        let read = std::panic::catch_unwind(|| c.for_each(3, |_, _| {}));
        match read {
            // debug build: a panic naming the column
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_default();
                assert!(msg.contains("column 3"), "{msg}");
            }
            // release build: an error naming the column
            Ok(result) => match result {
                Err(FdError::Internal(msg)) => assert!(msg.contains("column 3"), "{msg}"),
                other => panic!("expected an internal error, got {other:?}"),
            },
        }
    }
}
