//! Curtis–Powell–Reid grouping: columns that share no row are structurally orthogonal and
//! can be perturbed together, one evaluation (per stencil point) for the whole group.
//!
//! Groups come from a greedy colouring of the column-intersection graph in largest-first
//! order (columns with the most neighbours first), which uses few colours in practice:
//! 3 for a tridiagonal pattern, `w` for a band of width `w`.

/// Columns grouped into structurally orthogonal sets.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Colouring {
    /// Each group's columns, ascending.
    pub groups: Vec<Vec<usize>>,
}

/// Colours columns `0..ncols` given each column's rows (`col_rows[j]`, no duplicates).
/// Columns with no rows get no group: their derivative is structurally zero.
pub(crate) fn colour(col_rows: &[Vec<usize>], nrows: usize) -> Colouring {
    let ncols = col_rows.len();
    let mut row_cols: Vec<Vec<usize>> = vec![Vec::new(); nrows];
    for (j, rows) in col_rows.iter().enumerate() {
        for &i in rows {
            row_cols[i].push(j);
        }
    }
    // Degree in the column-intersection graph: distinct other columns sharing a row.
    let mut seen = vec![usize::MAX; ncols];
    let neighbours = |j: usize, seen: &mut Vec<usize>, mut visit: Box<dyn FnMut(usize) + '_>| {
        for &i in &col_rows[j] {
            for &k in &row_cols[i] {
                if k != j && seen[k] != j {
                    seen[k] = j;
                    visit(k);
                }
            }
        }
    };
    let mut degree = vec![0usize; ncols];
    for (j, d) in degree.iter_mut().enumerate() {
        neighbours(j, &mut seen, Box::new(|_| *d += 1));
    }
    let mut order: Vec<usize> = (0..ncols).filter(|&j| !col_rows[j].is_empty()).collect();
    order.sort_by_key(|&j| (std::cmp::Reverse(degree[j]), j));

    let mut colour_of = vec![usize::MAX; ncols];
    let mut forbidden_by = Vec::<usize>::new(); // forbidden_by[c] == j: colour c is taken near j
    let mut seen = vec![usize::MAX; ncols];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &j in &order {
        neighbours(
            j,
            &mut seen,
            Box::new(|k| {
                if colour_of[k] != usize::MAX {
                    forbidden_by[colour_of[k]] = j;
                }
            }),
        );
        let c = (0..groups.len())
            .find(|&c| forbidden_by[c] != j)
            .unwrap_or_else(|| {
                groups.push(Vec::new());
                forbidden_by.push(usize::MAX);
                groups.len() - 1
            });
        colour_of[j] = c;
        groups[c].push(j);
    }
    for g in &mut groups {
        g.sort_unstable();
    }
    Colouring { groups }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(n: usize, half: usize) -> Vec<Vec<usize>> {
        (0..n)
            .map(|j| (j.saturating_sub(half)..(j + half + 1).min(n)).collect())
            .collect()
    }

    /// The colouring of `col_rows`, checked: no group shares a row, and every non-empty
    /// column is in exactly one group.
    fn checked_colour(col_rows: &[Vec<usize>], m: usize) -> Colouring {
        let c = colour(col_rows, m);
        for g in &c.groups {
            let mut owner = std::collections::HashMap::new();
            for &j in g {
                for &i in &col_rows[j] {
                    assert!(
                        owner.insert(i, j).is_none(),
                        "row {i} shared in group {g:?}"
                    );
                }
            }
        }
        let mut all: Vec<usize> = c.groups.iter().flatten().copied().collect();
        all.sort_unstable();
        let nonempty: Vec<usize> = (0..col_rows.len())
            .filter(|&j| !col_rows[j].is_empty())
            .collect();
        assert_eq!(all, nonempty, "every non-empty column in exactly one group");
        c
    }

    #[test]
    fn tridiagonal_needs_three_groups() {
        let n = if cfg!(miri) { 40 } else { 1000 };
        assert_eq!(checked_colour(&band(n, 1), n).groups.len(), 3);
    }

    #[test]
    fn banded_and_dense_patterns() {
        assert_eq!(checked_colour(&band(50, 2), 50).groups.len(), 5);
        let dense: Vec<Vec<usize>> = (0..7).map(|_| (0..4).collect()).collect();
        assert_eq!(checked_colour(&dense, 4).groups.len(), 7);
        let diagonal: Vec<Vec<usize>> = (0..9).map(|j| vec![j]).collect();
        assert_eq!(
            colour(&diagonal, 9).groups,
            vec![(0..9).collect::<Vec<_>>()]
        );
    }

    #[test]
    fn empty_columns_get_no_group() {
        let rows = vec![vec![0], vec![], vec![0, 1]];
        assert_eq!(checked_colour(&rows, 2).groups.len(), 2);
    }
}
