//! The column loop shared by the VJP and the Jacobian: one directional derivative along
//! each `e_j` (or along each group of structurally orthogonal columns when a sparsity
//! pattern is known), handed to a visitor and then forgotten, so memory stays O(n + m).

use super::alloc::{self, recycle, resize};
use super::bound_edge;
use super::column::{Column, Wants};
use super::derivative::Direction;
use super::directional::directional;
use super::error::FdError;
use super::evaluator::Evaluator;
use super::function::Function;
use super::fused;
use super::group::{self, Choices};
use super::learned;
use super::noise;
use super::options::{NoiseMode, Options};
use super::plan::{first_points, planned_per_direction, points_per_direction};
use super::probe::Probe;
use super::refine;
use super::report::{publish, NoiseSource, Report};
use super::step::{exact_step, noise_step, nominal_step};

/// One run of the column loop: f, with `m` outputs, at `x`; f(x) when the caller has it;
/// what the visitor reads; the options. One value, so that the drivers, the loop and
/// learned sparsity's passes hand it on whole, changing only what differs.
pub(crate) struct Request<'a, F: ?Sized> {
    pub f: &'a F,
    pub x: &'a [f64],
    pub m: usize,
    pub known: Option<&'a [f64]>,
    pub wants: Wants<'a>,
    pub opts: &'a Options,
}

/// Calls `visit(j, column_j)` for every column of the Jacobian of f at `x` that can be
/// non-zero (all of them without a sparsity pattern).
///
/// `known` is f(x) if the caller has it (it then costs no evaluation); `wants` says what
/// `visit` reads (entries, or only the product with a VJP's cotangent, which lets a dense
/// column be fused) and carries the cotangent the refinement weights the outputs by;
/// `visit` may fail (reading the entries of a product-only column is an error). An
/// empty problem (`n == 0` or `m == 0`) visits nothing and evaluates nothing. With a
/// batch of more than one point ([`Options::batch`]), the first stencil points of as many
/// directions as fit in a batch are evaluated together before those directions are
/// differentiated.
///
/// Three jobs, one function each: which directions ([`Directions`]), the derivative along
/// one ([`differentiate`]), and its columns handed to `visit` ([`hand_over`]); a sweep
/// ([`sweep`]) runs them batch by batch, twice when f turns out noisy.
pub(crate) fn for_each_column<F: Function + ?Sized>(
    request: Request<'_, F>,
    mut visit: impl FnMut(usize, &Column<'_>) -> Result<(), FdError>,
) -> Result<(), FdError> {
    let Request {
        f,
        x,
        m,
        known,
        wants,
        opts,
    } = request;
    if let Some(learned) = opts.learned() {
        return learned::for_each_column(request, learned, &mut visit);
    }
    opts.check_point(x)?;
    if let Some(sparsity) = opts.sparsity() {
        sparsity.check_dims(m, x.len())?;
    }
    if x.is_empty() || m == 0 {
        publish(Report::empty(m));
        return Ok(());
    }
    let directions = Directions::new(opts, x);
    let count = directions.count();
    let planned = usize::from(known.is_none()) + planned_per_direction(opts).saturating_mul(count);
    let mut p = Probe::new(f, opts, x, m, known, planned)?;
    p.weights = wants.weights();
    refine::prepare(&mut p)?;
    // Taken and sized when a direction needs it (a VJP's fused columns do not).
    let mut d = Vec::new();
    let mut sweep = |p: &mut Probe<'_, '_, F>, first_pass: bool| {
        self::sweep(p, &directions, wants, &mut d, first_pass, &mut visit)
    };
    // With batches, directions are left too when no trigger is to speak: their first
    // points then go to f together (`refine/ahead.rs`), with the same values.
    if (opts.noise_mode() == NoiseMode::Auto && p.report.noise_source == NoiseSource::None)
        || opts.batch() > 1
    {
        p.deferred = Some(Vec::new());
    }
    p.batch_defers = true;
    let swept = sweep(&mut p, true);
    p.batch_defers = false;
    swept?;
    let deferred = p.deferred.take();
    if refine::noise_trigger(&mut p, count)? {
        // f is noisy: every direction again at the step its noise calls for.
        p.report.error_bound = f64::NAN;
        p.report.unbounded = 0;
        sweep(&mut p, false)?;
    } else {
        // Not noisy: the directions left to refine, refined now (their first points
        // evaluated together when f takes batches).
        if let Some(items) = deferred.as_deref().filter(|_| opts.batch() > 1) {
            refine::ahead::evaluate(&mut p, items)?;
        }
        for item in deferred.iter().flatten() {
            resize(&mut d, m);
            refine::refine_deferred(&mut p, item, &mut d)?;
            visit(item.j, &Column::entries(None, &d, 1.0))?;
        }
        let kept = refine::lone::Kept {
            vector: None,
            groups: directions.groups.map(|g| (directions.steps.as_slice(), g)),
        };
        // Noisy columns taken again at their noise step (`refine/lone_noise.rs`).
        for redone in refine::lone::check(&mut p, kept, true)? {
            if let Some(j) = redone.axis {
                visit(j, &Column::entries(None, &redone.values, 1.0))?;
            }
            recycle(redone.values);
        }
    }
    noise::widen_bound(&mut p, None);
    p.finish();
    recycle(d);
    Ok(())
}

/// The directions of one computation: the axes `e_j`, or with a sparsity pattern one per
/// group of structurally orthogonal columns. Made one at a time, never all n at once: a
/// dense VJP keeps no per-column state beyond the gradient itself.
struct Directions<'o> {
    opts: &'o Options,
    x: &'o [f64],
    /// The pattern's column groups (`None`: dense).
    groups: Option<&'o [Vec<usize>]>,
    /// Sparse: every column's exact step (groups are disjoint, so one vector serves them
    /// all); empty when dense.
    steps: Vec<f64>,
    /// Sparse, with bounds: each column's own stencil and step, for groups where they
    /// bind (see [`group`]).
    choices: Option<Choices>,
    /// What a VJP's fused axis columns share (`fused.rs`).
    fused: fused::Plan,
}

impl<'o> Directions<'o> {
    fn new(opts: &'o Options, x: &'o [f64]) -> Self {
        let steps: Vec<f64> = match opts.sparsity() {
            None => Vec::new(),
            Some(_) => (0..x.len())
                .map(|j| exact_step(x[j], nominal_step(opts, x, j)))
                .collect(),
        };
        let choices = match opts.sparsity() {
            Some(_) if !opts.adaptive() => Choices::new(opts, x, &steps),
            _ => None,
        };
        Self {
            opts,
            x,
            groups: opts.sparsity().map(|s| s.groups()),
            steps,
            choices,
            fused: fused::Plan::new(opts),
        }
    }

    /// Whether `dir` is a group whose columns take their own stencils and steps.
    fn mixed(&self, dir: Direction<'_>) -> bool {
        matches!((dir, &self.choices), (Direction::Group(u, cols), Some(c)) if c.mixed(cols, u))
    }

    fn count(&self) -> usize {
        self.groups.map_or(self.x.len(), <[_]>::len)
    }

    /// Direction `k` and its nominal step factor.
    fn get(&self, k: usize) -> (Direction<'_>, f64) {
        match self.groups {
            None => (Direction::Axis(k), nominal_step(self.opts, self.x, k)),
            Some(groups) => (Direction::Group(&self.steps, &groups[k]), 1.0),
        }
    }
}

/// The step of a direction at the step scale `scale`: an axis's noise step
/// ([`noise_step`]); a group's steps scaled alike.
fn scaled_step(opts: &Options, x: &[f64], dir: Direction<'_>, t0: f64, scale: f64) -> f64 {
    match dir {
        Direction::Axis(j) => noise_step(opts, x, j, t0, scale),
        _ => t0 * scale,
    }
}

/// One pass over every direction, a batch of them at a time: each differentiated and its
/// columns handed to `visit` (the second pass, at the noise step, visits them again).
fn sweep<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    directions: &Directions<'_>,
    wants: Wants<'_>,
    d: &mut Vec<f64>,
    first_pass: bool,
    visit: &mut impl FnMut(usize, &Column<'_>) -> Result<(), FdError>,
) -> Result<(), FdError> {
    let (opts, x, m) = (directions.opts, directions.x, p.y0.len());
    let count = directions.count();
    let per_batch = directions_per_batch(opts);
    // Only a batch needs the chunk's directions listed (a small call allocates nothing).
    let mut chunk = Vec::new();
    let mut start = 0;
    while start < count {
        let mut end = count.min(start.saturating_add(per_batch));
        if opts.batch() > 1 {
            let scale = p.step_scale;
            chunk.clear();
            chunk.extend((start..end).map(|k| {
                let (dir, t0) = directions.get(k);
                (dir, scaled_step(opts, x, dir, t0, scale))
            }));
            end =
                start + evaluate_ahead(&mut p.ev, opts, x, m, &chunk, directions.choices.as_ref())?;
        }
        let batch = start..end;
        start = end;
        for (dir, t0) in batch.map(|k| directions.get(k)) {
            let deferred = p.deferred.as_ref().map_or(0, Vec::len);
            let mark = p.start_direction();
            // A batch plans this direction's first stencil (not a mixed group's): serially,
            // a NaN there completes it the same (`complete_plan`).
            p.planned = !opts.adaptive() && !directions.mixed(dir);
            let derived = differentiate(p, directions, dir, t0, wants, d, first_pass);
            p.planned = false;
            let derived = derived?;
            if first_pass {
                p.report.directions += 1;
            }
            // A direction left to refine is handed over (and its bound recorded) once
            // refined (or redone).
            if p.deferred.as_ref().map_or(0, Vec::len) == deferred {
                p.end_direction(mark);
                hand_over(directions, dir, derived, d, visit)?;
            }
        }
    }
    Ok(())
}

/// What [`differentiate`] found along a direction.
#[derive(Clone, Copy)]
enum Derived {
    /// `v^T J[:, j]` of an axis, fused (`fused.rs`); the scratch holds nothing.
    Product(f64),
    /// The derivative along the direction is in the scratch: at the direction's shared
    /// step, or (`own_steps`) a group whose columns took their own stencils and steps.
    Entries { own_steps: bool },
}

/// The derivative along `dir` (nominal step factor `t0`): fused into its product with v
/// when the visitor wants only that and the direction is an axis, otherwise into `d`.
fn differentiate<F: Function + ?Sized>(
    p: &mut Probe<'_, '_, F>,
    directions: &Directions<'_>,
    dir: Direction<'_>,
    t0: f64,
    wants: Wants<'_>,
    d: &mut Vec<f64>,
    first_pass: bool,
) -> Result<Derived, FdError> {
    let m = p.y0.len();
    if let (Direction::Group(_, cols), Some(choices), Some(sparsity)) =
        (dir, &directions.choices, directions.opts.sparsity())
    {
        if choices.mixed(cols, &directions.steps) {
            resize(d, m);
            let own_steps = group::apply(p, cols, choices, sparsity, d)?.is_none();
            // Counted once: the shared way counts the bounds when it takes over.
            if first_pass && own_steps {
                p.report.bound_fallbacks += 1;
            } else if first_pass {
                p.report.nonfinite_fallbacks += 1;
            }
            if own_steps {
                bound_edge::peel(p, cols, choices, &directions.steps, t0, sparsity, d)?;
                return Ok(Derived::Entries { own_steps });
            }
        }
    }
    // The shared way; also for a mixed group that met a non-finite value.
    if p.step_scale > 1.0 {
        p.report.refined_noise += 1;
    }
    let t = scaled_step(directions.opts, directions.x, dir, t0, p.step_scale);
    match (dir, wants) {
        (Direction::Axis(j), Wants::Product(v)) => Ok(Derived::Product(fused::axis_product(
            p,
            &directions.fused,
            j,
            t,
            v,
            d,
        )?)),
        _ => {
            resize(d, m);
            directional(p, (dir, t), d)?;
            Ok(Derived::Entries { own_steps: false })
        }
    }
}

/// Hands the columns of `dir` to `visit`: an axis's one column, or each column of a
/// group, its rows from the pattern and its step the one it was differenced with.
fn hand_over(
    directions: &Directions<'_>,
    dir: Direction<'_>,
    derived: Derived,
    d: &[f64],
    visit: &mut impl FnMut(usize, &Column<'_>) -> Result<(), FdError>,
) -> Result<(), FdError> {
    match (dir, derived) {
        (Direction::Axis(j), Derived::Product(product)) => visit(j, &Column::product(product)),
        (Direction::Axis(j), Derived::Entries { .. }) => visit(j, &Column::entries(None, d, 1.0)),
        (Direction::Group(_, group), Derived::Entries { own_steps }) => {
            let sparsity = directions.opts.sparsity();
            for &j in group {
                let rows = sparsity.map(|s| s.rows_of(j));
                let step = match &directions.choices {
                    Some(choices) if own_steps => choices.step(j),
                    _ => directions.steps[j],
                };
                visit(j, &Column::entries(rows, d, 1.0 / step))?;
            }
            Ok(())
        }
        _ => unreachable!("columns are axes, or groups (never fused)"),
    }
}

/// How many directions share one batch: as many as `Options::batch` points allow, at
/// least one.
pub(crate) fn directions_per_batch(opts: &Options) -> usize {
    (opts.batch() / points_per_direction(opts).max(1)).max(1)
}

/// Evaluates the planned first points of `chunk`'s directions in one batch (`choices`:
/// the columns' own stencils and steps in groups where bounds bind, see [`group`]; such
/// mixed groups plan nothing) and says how many of its directions the batch covers: up
/// to the first that plans nothing (adaptive steps aside), which ends it.
///
/// Why: such a direction's serial fall-backs may end the call without a point (no
/// stencil fits inside the bounds at the noise step), and points planned past it were
/// evaluated for nothing (a noise estimate beside a bound: central4, 25 calls of f
/// batched against 21 serially; 32 of 28,440 arrangements, `fd_counts_by_batch`).
pub(crate) fn evaluate_ahead<F: Function + ?Sized>(
    ev: &mut Evaluator<'_, F>,
    opts: &Options,
    x: &[f64],
    m: usize,
    chunk: &[(Direction<'_>, f64)],
    choices: Option<&Choices>,
) -> Result<usize, FdError> {
    let points = chunk.len().checked_mul(points_per_direction(opts));
    let mut xs = alloc::batch_points(points, x.len())?;
    let mut owner = Vec::new();
    let mut covered = chunk.len();
    for (k, &(dir, t0)) in chunk.iter().enumerate() {
        let before = xs.len();
        match (dir, choices) {
            // A mixed group (columns at their own stencils and steps where bounds bind)
            // plans nothing, as a direction whose stencil leaves the bounds (`plan.rs`):
            // its serial attempt stops at a NaN, and a planned one made batched runs call
            // f once more (64 of 28,440 bounded arrangements, `fd_counts_by_batch`).
            (Direction::Group(u, cols), Some(choices)) if choices.mixed(cols, u) => {}
            _ => first_points(opts, x, dir, t0, &mut xs),
        }
        owner.resize(xs.len() / x.len(), k);
        if xs.len() == before && !opts.adaptive() {
            covered = k + 1;
            break;
        }
    }
    if xs.is_empty() {
        return Ok(covered);
    }
    ev.eval_ahead(xs, x.len(), m, opts.batch(), |p| {
        format!(
            "{}, point {} of a batch of {}",
            chunk[owner[p]].0.name(),
            p + 1,
            owner.len()
        )
    })?;
    Ok(covered)
}
