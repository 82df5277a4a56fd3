//! The column loop shared by the VJP and the Jacobian: one directional derivative along
//! each `e_j` (or along each group of structurally orthogonal columns when a sparsity
//! pattern is known), handed to a visitor and then forgotten, so memory stays O(n + m).

use super::alloc::{recycle, scratch_for};
use super::column::{Column, Wants};
use super::derivative::Direction;
use super::directional::directional;
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::fused;
use super::group::{self, Choices};
use super::learned;
use super::options::Options;
use super::plan::{first_points, planned_per_direction, points_per_direction};
use super::probe::Probe;
use super::refine;
use super::step::{exact_step, nominal_step};

/// Calls `visit(j, column_j)` for every column of the Jacobian of f at `x` that can be
/// non-zero (all of them without a sparsity pattern).
///
/// `known` is f(x) if the caller has it (it then costs no evaluation); `wants` says what
/// `visit` reads (entries, or only the product with a VJP's cotangent, which lets a dense
/// column be fused) and carries the cotangent the refinement weights the outputs by;
/// `visit` may fail (reading the entries of a product-only column is an error). An
/// empty problem
/// (`n == 0` or `m == 0`) visits nothing and evaluates nothing. With a batch of more than
/// one point ([`Options::batch`]), the first stencil points of as many directions as fit in
/// a batch are evaluated together before those directions are differentiated.
pub(crate) fn for_each_column<F: Function + ?Sized>(
    f: &F,
    x: &[f64],
    m: usize,
    known: Option<&[f64]>,
    wants: Wants<'_>,
    opts: &Options,
    mut visit: impl FnMut(usize, &Column<'_>) -> Result<(), FdError>,
) -> Result<(), FdError> {
    if let Some(learned) = opts.learned() {
        return learned::for_each_column(f, x, m, known, wants, opts, learned, &mut visit);
    }
    let weights = wants.weights();
    opts.check_point(x)?;
    if let Some(sparsity) = opts.sparsity() {
        sparsity.check_dims(m, x.len())?;
    }
    if x.is_empty() || m == 0 {
        return Ok(());
    }
    // Sparse: one direction per column group; `steps` holds every column's exact step
    // (groups are disjoint, so one vector serves them all).
    let steps: Vec<f64> = match opts.sparsity() {
        None => Vec::new(),
        Some(_) => (0..x.len())
            .map(|j| exact_step(x[j], nominal_step(opts, x, j)))
            .collect(),
    };
    // With bounds, each column's own stencil and step, for groups where they bind.
    let choices = match opts.sparsity() {
        Some(_) if !opts.adaptive() => Choices::new(opts, x, &steps),
        _ => None,
    };
    // Directions are made one batch at a time, never all n at once: a dense VJP keeps no
    // per-column state beyond the gradient itself.
    let groups = opts.sparsity().map(|s| s.groups());
    let count = groups.map_or(x.len(), <[_]>::len);
    let direction = |k: usize| match groups {
        None => (Direction::Axis(k), nominal_step(opts, x, k)),
        Some(groups) => (Direction::Group(&steps, &groups[k]), 1.0),
    };
    let planned = usize::from(known.is_none()) + planned_per_direction(opts).saturating_mul(count);
    let mut p = Probe::new(f, opts, x, m, known, planned)?;
    p.weights = weights;
    refine::prepare(&mut p)?;
    // Sized when a direction needs it (a VJP's fused columns do not).
    let mut d = scratch_for(0, m);
    let per_batch = directions_per_batch(opts);
    // Only a batch needs the chunk's directions listed (a small call allocates nothing).
    let mut chunk = Vec::new();
    // One pass over directions `range` (the second, at the noise step, visits them again).
    let mut pass = |p: &mut Probe<'_, '_, F>,
                    range: std::ops::Range<usize>,
                    first_pass: bool|
     -> Result<(), FdError> {
        for start in range.clone().step_by(per_batch) {
            let end = range.end.min(start + per_batch);
            if opts.batch() > 1 {
                let scale = p.step_scale;
                chunk.clear();
                chunk.extend((start..end).map(|k| {
                    let (dir, t0) = direction(k);
                    (dir, t0 * scale)
                }));
                evaluate_ahead(&mut p.ev, opts, x, m, &chunk, choices.as_ref())?;
            }
            for (dir, t0) in (start..end).map(direction) {
                // Whether the group's columns took their own stencils and steps.
                let mut mixed = false;
                if let (Direction::Group(_, cols), Some(choices), Some(sparsity)) =
                    (dir, &choices, opts.sparsity())
                {
                    if choices.mixed(cols, &steps) {
                        d.resize(m, 0.0);
                        mixed = group::apply(p, cols, choices, sparsity, &mut d)?.is_none();
                        // Counted once: the shared way counts the bounds when it takes over.
                        if first_pass && mixed {
                            p.report.bound_fallbacks += 1;
                        } else if first_pass {
                            p.report.nonfinite_fallbacks += 1;
                        }
                    }
                }
                // The shared way; also for a mixed group that met a non-finite value.
                let mut product = None;
                if !mixed {
                    if p.step_scale > 1.0 {
                        p.report.refined_noise += 1;
                    }
                    match (dir, wants) {
                        (Direction::Axis(j), Wants::Product(v)) => {
                            product =
                                Some(fused::axis_product(p, j, t0 * p.step_scale, v, &mut d)?);
                        }
                        _ => {
                            d.resize(m, 0.0);
                            directional(p, dir, t0 * p.step_scale, &mut d)?;
                        }
                    }
                }
                if first_pass {
                    p.report.directions += 1;
                }
                match dir {
                    Direction::Group(_, group) => {
                        for &j in group {
                            let rows = opts.sparsity().map(|s| s.rows_of(j));
                            let step = match &choices {
                                Some(choices) if mixed => choices.step(j),
                                _ => steps[j],
                            };
                            visit(j, &Column::entries(rows, &d, 1.0 / step))?;
                        }
                    }
                    Direction::Axis(j) => match product {
                        Some(product) => visit(j, &Column::product(product))?,
                        None => visit(j, &Column::entries(None, &d, 1.0))?,
                    },
                    Direction::Vector(_) => unreachable!("columns are axes or groups"),
                }
            }
        }
        Ok(())
    };
    pass(&mut p, 0..count, true)?;
    if refine::noise_trigger(&mut p, count)? {
        // f is noisy: every direction again at the step its noise calls for.
        p.report.error_bound = f64::NAN;
        pass(&mut p, 0..count, false)?;
    }
    p.finish();
    recycle(d);
    Ok(())
}

/// How many directions share one batch: as many as `Options::batch` points allow, at
/// least one.
pub(crate) fn directions_per_batch(opts: &Options) -> usize {
    (opts.batch() / points_per_direction(opts).max(1)).max(1)
}

/// Evaluates the planned first points of `chunk`'s directions in one batch (`choices`:
/// the columns' own stencils and steps in groups where bounds bind, see [`group`]).
pub(crate) fn evaluate_ahead<F: Function + ?Sized>(
    ev: &mut Evaluator<'_, F>,
    opts: &Options,
    x: &[f64],
    m: usize,
    chunk: &[(Direction<'_>, f64)],
    choices: Option<&Choices>,
) -> Result<(), FdError> {
    // The batch size is the caller's (any size_t), so the planned points may not fit in
    // memory: reserve them fallibly, before f is called.
    let len = chunk
        .len()
        .checked_mul(points_per_direction(opts))
        .and_then(|p| p.checked_mul(x.len()));
    let mut xs = Vec::new();
    len.and_then(|len| xs.try_reserve_exact(len).ok())
        .ok_or(FdError::OutOfMemory {
            what: "the points of a batch",
            elements: len.unwrap_or(usize::MAX),
        })?;
    let mut owner = Vec::new();
    for (k, &(dir, t0)) in chunk.iter().enumerate() {
        match (dir, choices) {
            (Direction::Group(u, cols), Some(choices)) if choices.mixed(cols, u) => {
                group::first_points(opts, x, cols, choices, &mut xs);
            }
            _ => first_points(opts, x, dir, t0, &mut xs),
        }
        owner.resize(xs.len() / x.len(), k);
    }
    if xs.is_empty() {
        return Ok(());
    }
    ev.eval_ahead(xs, x.len(), m, opts.batch(), |p| {
        format!(
            "{}, point {} of a batch of {}",
            chunk[owner[p]].0.name(),
            p + 1,
            owner.len()
        )
    })
}
