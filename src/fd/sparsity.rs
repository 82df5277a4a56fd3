//! A known Jacobian sparsity pattern, validated once, with its column grouping.

use super::colouring::{colour, Colouring};
use super::error::FdError;

/// The structurally non-zero entries of the Jacobian (COO: `rows[k]`, `cols[k]`), and the
/// Curtis–Powell–Reid grouping of its columns, computed once when the pattern is set.
///
/// Entries outside the pattern are taken to be exactly zero; a wrong pattern gives wrong
/// derivatives, so it must cover every entry that can be non-zero.
#[derive(Debug, Clone, PartialEq)]
pub struct Sparsity {
    /// Rows of each column, ascending, without duplicates.
    col_rows: Vec<Vec<usize>>,
    /// One more than the largest row index (0 for an empty pattern).
    row_span: usize,
    colouring: Colouring,
}

impl Sparsity {
    /// Builds the pattern from COO indices (duplicates allowed) and groups its columns.
    pub fn new(rows: &[usize], cols: &[usize]) -> Result<Self, FdError> {
        if rows.len() != cols.len() {
            return Err(FdError::InvalidArgument(format!(
                "sparsity rows has {} entries but cols has {}",
                rows.len(),
                cols.len()
            )));
        }
        let col_span = cols.iter().map(|&j| j + 1).max().unwrap_or(0);
        let row_span = rows.iter().map(|&i| i + 1).max().unwrap_or(0);
        let mut col_rows = vec![Vec::new(); col_span];
        for (&i, &j) in rows.iter().zip(cols) {
            col_rows[j].push(i);
        }
        for r in &mut col_rows {
            r.sort_unstable();
            r.dedup();
        }
        let colouring = colour(&col_rows, row_span);
        Ok(Self {
            col_rows,
            row_span,
            colouring,
        })
    }

    /// The number of column groups: one perturbation per group and stencil point.
    pub fn group_count(&self) -> usize {
        self.colouring.groups.len()
    }

    /// The column groups, each ascending.
    pub(crate) fn groups(&self) -> &[Vec<usize>] {
        &self.colouring.groups
    }

    /// The rows of column `j` (empty beyond the pattern).
    pub(crate) fn rows_of(&self, j: usize) -> &[usize] {
        self.col_rows.get(j).map_or(&[], |r| r.as_slice())
    }

    /// Checks that every index fits an `m × n` Jacobian.
    pub(crate) fn check_dims(&self, m: usize, n: usize) -> Result<(), FdError> {
        if self.col_rows.len() > n {
            return Err(FdError::InvalidArgument(format!(
                "sparsity column index {} is not below n = {n}",
                self.col_rows.len() - 1
            )));
        }
        if self.row_span > m {
            return Err(FdError::InvalidArgument(format!(
                "sparsity row index {} is not below m = {m}",
                self.row_span - 1
            )));
        }
        Ok(())
    }
}
