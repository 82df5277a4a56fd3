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
    /// The distinct columns that have entries, ascending. Indices may be anything a
    /// `size_t` holds: the pattern takes O(nnz) memory, never O(largest index), so a
    /// pattern with an index of 2^62 is stored (and then refused against m and n) without
    /// allocating by its value.
    columns: Vec<usize>,
    /// Rows of each of `columns`, ascending, without duplicates.
    col_rows: Vec<Vec<usize>>,
    /// The largest row index (None for an empty pattern).
    max_row: Option<usize>,
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
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        pairs
            .try_reserve_exact(cols.len())
            .map_err(|_| FdError::OutOfMemory {
                what: "the sparsity pattern",
                elements: cols.len(),
            })?;
        pairs.extend(cols.iter().copied().zip(rows.iter().copied()));
        pairs.sort_unstable();
        pairs.dedup();
        let mut columns = Vec::new();
        let mut col_rows: Vec<Vec<usize>> = Vec::new();
        for (j, i) in pairs {
            if columns.last() != Some(&j) {
                columns.push(j);
                col_rows.push(Vec::new());
            }
            col_rows.last_mut().expect("pushed above").push(i);
        }
        // The colouring works on dense indices: number the distinct rows 0, 1, ...
        let mut distinct_rows = rows.to_vec();
        distinct_rows.sort_unstable();
        distinct_rows.dedup();
        let dense: Vec<Vec<usize>> = col_rows
            .iter()
            .map(|r| {
                r.iter()
                    .map(|i| {
                        distinct_rows
                            .binary_search(i)
                            .expect("a row of the pattern")
                    })
                    .collect()
            })
            .collect();
        let mut colouring = colour(&dense, distinct_rows.len());
        for group in &mut colouring.groups {
            for k in group.iter_mut() {
                *k = columns[*k];
            }
        }
        Ok(Self {
            columns,
            col_rows,
            max_row: distinct_rows.last().copied(),
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

    /// The pattern's distinct `(row, column)` entries, column by column and by row within
    /// a column: the pairs it was built from, sorted, without duplicates.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.columns
            .iter()
            .zip(&self.col_rows)
            .flat_map(|(&j, rows)| rows.iter().map(move |&i| (i, j)))
    }

    /// The rows of column `j` (empty beyond the pattern).
    pub(crate) fn rows_of(&self, j: usize) -> &[usize] {
        self.columns
            .binary_search(&j)
            .map_or(&[], |k| self.col_rows[k].as_slice())
    }

    /// The number of (row, column) entries.
    pub fn nnz(&self) -> usize {
        self.col_rows.iter().map(Vec::len).sum()
    }

    /// Checks that every index fits an `m × n` Jacobian.
    pub(crate) fn check_dims(&self, m: usize, n: usize) -> Result<(), FdError> {
        if let Some(&j) = self.columns.last().filter(|&&j| j >= n) {
            return Err(FdError::InvalidArgument(format!(
                "sparsity column index {j} is not below n = {n}"
            )));
        }
        if let Some(i) = self.max_row.filter(|&i| i >= m) {
            return Err(FdError::InvalidArgument(format!(
                "sparsity row index {i} is not below m = {m}"
            )));
        }
        Ok(())
    }
}
