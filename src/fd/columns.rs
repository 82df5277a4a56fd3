//! The column loop shared by the VJP and the Jacobian: one directional derivative along
//! each `e_j` (or along each group of structurally orthogonal columns when a sparsity
//! pattern is known), handed to a visitor and then forgotten, so memory stays O(n + m).

use super::derivative::{directional, Direction, Workspace};
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::options::Options;
use super::step::{exact_step, nominal_step};

/// One column of the Jacobian as the visitor sees it: `J[i][j] = values[i] * scale` for the
/// rows `i` listed (all rows when `rows` is `None`); every other entry is zero.
pub(crate) struct Column<'a> {
    rows: Option<&'a [usize]>,
    values: &'a [f64],
    scale: f64,
}

impl Column<'_> {
    /// Calls `visit(i, J[i][j])` for each structurally non-zero entry.
    pub fn for_each(&self, mut visit: impl FnMut(usize, f64)) {
        match self.rows {
            None => self
                .values
                .iter()
                .enumerate()
                .for_each(|(i, &d)| visit(i, d * self.scale)),
            Some(rows) => rows
                .iter()
                .for_each(|&i| visit(i, self.values[i] * self.scale)),
        }
    }

    /// `sum_i v[i] J[i][j]`.
    pub fn dot(&self, v: &[f64]) -> f64 {
        match self.rows {
            None => self.values.iter().zip(v).map(|(d, vi)| d * vi).sum::<f64>() * self.scale,
            Some(rows) => rows.iter().map(|&i| self.values[i] * v[i]).sum::<f64>() * self.scale,
        }
    }
}

/// Calls `visit(j, column_j)` for every column of the Jacobian of f at `x` that can be
/// non-zero (all of them without a sparsity pattern).
///
/// `known` is f(x) if the caller has it (it then costs no evaluation). An empty problem
/// (`n == 0` or `m == 0`) visits nothing and evaluates nothing.
pub(crate) fn for_each_column<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    known: Option<&[f64]>,
    opts: &Options,
    mut visit: impl FnMut(usize, &Column<'_>),
) -> Result<(), FdError> {
    opts.check_point(x)?;
    if let Some(sparsity) = opts.sparsity() {
        sparsity.check_dims(m, x.len())?;
    }
    if x.is_empty() || m == 0 {
        return Ok(());
    }
    let mut ev = Evaluator::new(f);
    let y0 = ev.base(x, m, known)?;
    let mut ws = Workspace::new(x, m);
    let mut d = vec![0.0; m];
    match opts.sparsity() {
        None => {
            for j in 0..x.len() {
                let t0 = nominal_step(opts, x, j);
                directional(
                    &mut ev,
                    opts,
                    x,
                    &y0,
                    Direction::Axis(j),
                    t0,
                    &mut ws,
                    &mut d,
                )?;
                visit(
                    j,
                    &Column {
                        rows: None,
                        values: &d,
                        scale: 1.0,
                    },
                );
            }
        }
        Some(sparsity) => {
            let mut u = vec![0.0; x.len()];
            for group in sparsity.groups() {
                for &j in group {
                    u[j] = exact_step(x[j], nominal_step(opts, x, j));
                }
                let dir = Direction::Group(&u, group);
                directional(&mut ev, opts, x, &y0, dir, 1.0, &mut ws, &mut d)?;
                for &j in group {
                    let rows = Some(sparsity.rows_of(j));
                    visit(
                        j,
                        &Column {
                            rows,
                            values: &d,
                            scale: 1.0 / u[j],
                        },
                    );
                }
                for &j in group {
                    u[j] = 0.0;
                }
            }
        }
    }
    Ok(())
}
