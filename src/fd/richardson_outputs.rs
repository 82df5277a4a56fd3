//! A VJP's tableaus judged output by output.
//!
//! Why: a VJP extrapolates the dot product `v^T (quotient)` of each level, one channel per
//! column, and chooses between the tableaus of a column (`richardson_start.rs`) on that
//! channel alone. An output of large magnitude then weighs on every column through its
//! rounding scale, even on the columns it does not depend on: with `y0 = 1e10 log x0` and
//! `y1 = 1e-10 log x1` at 1e-12, the second column's tableau from the default start (far
//! above x's scale: garbage, 1.1e-6 against 100) carries an estimate of 0.27 from y0's
//! rounding, the tableau from x's own scale one of 5e8, and the two do not conflict on the
//! dot product, so the smaller estimate won, wrong by 100. The Jacobian, which extrapolates
//! each output on its own, sees that the two tableaus disagree on y1 and believes the one
//! from the smaller start.
//!
//! So, when a column has more than one tableau, each output is judged on its own as the
//! Jacobian judges it ([`super::richardson_start::believed`] on that output alone); when
//! the tableau believed on the dot product disagrees beyond both estimates with an
//! output's own choice, the column becomes `sum_i v_i T_i` over each output's chosen
//! tableau, with estimate `sum_i |v_i| e_i`. Otherwise (every column of a well-scaled f,
//! whose single tableau is not judged again) the dot product's value and estimate stand,
//! bit for bit.

use super::function::Function;
use super::probe::Probe;
use super::richardson::{Channels, Estimate, Tableau};
use super::richardson_start::unseen;

/// The column's estimate from each output's own choice of tableau, when that contradicts
/// the choice `best` made on the dot product (see the module documentation); `None` when
/// it does not, or for anything but a VJP with more than one output and tableau.
/// `tableaus` is sorted by start, largest first, as [`super::richardson_start::believed`]
/// leaves it.
pub(crate) fn by_output<F: Function + ?Sized>(
    p: &Probe<'_, '_, F>,
    tableaus: &[Tableau],
    best: usize,
    channels: Channels<'_>,
) -> Option<Estimate> {
    let Channels::Dot(v) = channels else {
        return None;
    };
    // An estimate found aliased (NaN, `richardson_alias.rs`) stays unbounded. One raised
    // after its levels were scored (a check that missed, a kink: `richardson/resolve.rs`)
    // is raised on the dot product only, and the outputs' estimates recomputed from the
    // levels would lose it: sin(x / 7e4) at 8.6e11 beside an output independent of x took
    // a tableau whose check missed (its estimate raised to 1.2e-8) for its smaller
    // per-output estimate, 2.00970e-6 for 2.01016e-6 with an estimate of 6.9e-11.
    if tableaus.len() < 2
        || tableaus[best].estimate.error.iter().any(|e| e.is_nan())
        || tableaus.iter().any(Tableau::raised_after_scoring)
    {
        return None;
    }
    let mut both: Vec<(Estimate, Estimate)> = tableaus
        .iter()
        .map(|t| t.per_output(p))
        .collect::<Option<_>>()?;
    // An output a tableau did not see move is judged as the dot product is (`unseen`).
    let blind: Vec<Vec<bool>> = tableaus.iter().map(Tableau::blind_outputs).collect();
    unseen(
        &mut both.iter_mut().map(|b| &mut b.0).collect::<Vec<_>>(),
        &blind,
    );
    unseen(
        &mut both.iter_mut().map(|b| &mut b.1).collect::<Vec<_>>(),
        &blind,
    );
    // Chosen as the dot product was, without a noise level learnt during the call;
    // reported with it.
    let per: Vec<&Estimate> = both.iter().map(|b| &b.0).collect();
    let disagree = |a: &Estimate, b: &Estimate, i: usize| {
        (a.value[i] - b.value[i]).abs() > a.error[i] + b.error[i]
    };
    let mut pick = vec![best; v.len()];
    let mut contradicted = false;
    for (i, &vi) in v.iter().enumerate() {
        if vi == 0.0 {
            continue;
        }
        let mut chosen = 0;
        for k in 1..per.len() {
            if disagree(per[k], per[chosen], i) || per[k].error[i] < per[chosen].error[i] {
                chosen = k;
            }
        }
        pick[i] = chosen;
        contradicted |= chosen != best && disagree(per[chosen], per[best], i);
    }
    if !contradicted {
        return None;
    }
    // Each output's estimate is raised by its own even sample (`richardson/even.rs`), as
    // the believed tableau's dot product is. The sum's own rounding is added to the
    // estimate: `eps sum |v_i T_i|` bounds it.
    let even: Vec<Vec<f64>> = tableaus.iter().map(Tableau::even_outputs).collect();
    let (mut value, mut error, mut size) = (0.0, 0.0, 0.0);
    for (i, &vi) in v.iter().enumerate() {
        if vi != 0.0 {
            let reported = &both[pick[i]].1;
            let term = vi * reported.value[i];
            value += term;
            size += term.abs();
            let raise = even[pick[i]].get(i).copied().unwrap_or(0.0);
            error += vi.abs() * (reported.error[i] + raise);
        }
    }
    Some(Estimate {
        value: vec![value],
        error: vec![error + f64::EPSILON * size],
    })
}
