//! The column loop shared by the VJP and the Jacobian: one directional derivative along
//! each `e_j`, handed to a visitor and then forgotten, so memory stays O(n + m).

use super::derivative::{directional, Direction, Workspace};
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::options::Options;
use super::step::nominal_step;

/// Calls `visit(j, column_j)` for every column of the Jacobian of f at `x`.
///
/// `known` is f(x) if the caller has it (it then costs no evaluation). An empty problem
/// (`n == 0` or `m == 0`) visits nothing and evaluates nothing.
pub(crate) fn for_each_column<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    known: Option<&[f64]>,
    opts: &Options,
    mut visit: impl FnMut(usize, &[f64]),
) -> Result<(), FdError> {
    opts.check_point(x)?;
    if x.is_empty() || m == 0 {
        return Ok(());
    }
    let mut ev = Evaluator::new(f);
    let y0 = ev.base(x, m, known)?;
    let mut ws = Workspace::new(x, m);
    let mut column = vec![0.0; m];
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
            &mut column,
        )?;
        visit(j, &column);
    }
    Ok(())
}
