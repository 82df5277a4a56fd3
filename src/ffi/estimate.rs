//! The Richardson entry points: VJP, JVP and Jacobian with a per-entry error estimate.

use super::callback::fdvjp_fn;
use super::product::products;

products! {
    /// Vector-Jacobian product `grad = v^T J(x)` (n entries) by Richardson extrapolation of
    /// central differences, with an estimate of each entry's absolute error in `err` (n
    /// entries).
    ///
    /// Per column: central differences at 6 steps `t0, t0/2, ..., t0/32`, with
    /// `t0 = max(|x_j|, typ_j) / 8` (or the config's absolute steps or relative factor),
    /// combined in a Neville tableau in `t^2`; on well-scaled smooth functions the relative
    /// error is about 1e-13. Where f may vary on another scale, tableaus from other starts
    /// compete: `typ_j / 8` when `|x_j| > 8 typ_j` (sin at 1e4: error 1e-11; where x_j
    /// rounds its steps off halving, 4 or 16 times larger, and beyond about 1.5e14 typ_j,
    /// where none serves, `err[j]` is NaN); `|x_j| / 8`
    /// when `|x_j| < typ_j / 256` (the first tableau's smallest step exceeds `|x_j|`), or
    /// when `|x_j| < typ_j / 2` and the first tableau fell back or its estimate exceeds 1e-9 of
    /// its value (log, sqrt, 1/x near 0); and near a domain edge (a NaN or infinity), 1/8 of
    /// the largest step below the edge at which the central stencil is finite (arcsin at 0.95).
    /// The smallest estimate wins, unless two tableaus disagree by more than their estimates:
    /// then the one from the smaller start; with several outputs each is judged on its own
    /// too, and where the dot product's choice disagrees with an output's, `grad[j]` sums
    /// each output's choice. A tableau that converged although a smaller start shows f
    /// varying far beyond what its estimate allows (aliasing: sin(1e6 x) at 1e3) starts
    /// tableaus 64 times smaller, at most 4 times (12 evaluations each), until one resolves
    /// f; if none does, `err[j]` is NaN and the report counts the column unbounded. The
    /// believed tableau is checked by one more central difference, at `pi/4` of its last
    /// step (2 evaluations): off its lattice of steps `t0 / 2^k`, on which f oscillating far
    /// below them can look smooth (sin(x / 4.4e-4) at 2.13: 1.109 for 1033.5 with an
    /// estimate of 1e-10). With nothing declared (`FDVJP_NOISE_AUTO`), a miss first has f's
    /// noise estimated (the call's one estimate): a level below 1e-4 of f that accounts for
    /// the miss makes it a pass, since the tableau's own noise probe is one sample and small
    /// by chance (hash noise). A tableau whose noise probe saw f vary below its steps, with
    /// an estimate above 1% of its value (above its value where `|x_j| > 8 typ_j`), misses
    /// whatever the check reads unless f's measured noise accounts for it (sin(1e4 x) at
    /// 0.5, typ 1, gave 52 for 1547 with an estimate of 445: its estimate widened the
    /// check's allowance as much as the miss); a smaller variation is taken for noise (left
    /// alone: a fast oscillation that small beside the rest of f). Where the check misses the tableau's prediction, its estimate is
    /// raised to what the check saw, tableaus from larger starts count as missed too, and
    /// tableaus start 64 times smaller (at most 4 times, 14 evaluations each) until one
    /// passes; a missed tableau still believed has the estimate that one which passed
    /// gives its value, and with none passed `err[j]` is NaN. Before that check, the
    /// tableau's second differences `f(x + t) + f(x - t) - 2 f(x)` (no evaluation) show a
    /// kink of f its steps straddle (halving t divides them by 2 to 3, not by 4): the
    /// central quotients average the two slopes there (`|x - a| + x^2` with the kink 2.6e-6
    /// away: 2.46 for 1.47). Such a tableau misses with its estimate raised by the slope
    /// jump and by its value's distance from its last quotient, and smaller starts follow
    /// as above; if all of them straddle the kink, that raised estimate stands (it covers,
    /// not NaN). Second differences about constant over the levels are a peak narrower
    /// than the steps (a Gaussian of width 1e-3: 0 with 5e-46 for -508): missed the same
    /// way, and NaN unless a smaller start resolves it. `err[j]` is twice the difference of the last two
    /// extrapolants plus twice the larger of the worst-case rounding error carried through the
    /// tableau (f accurate to about one unit in the last place, or to one step of the grid its
    /// values show where that is coarser: f computed with cancellation; an output that one
    /// tableau never saw move counts as off by twice what another measured, and by at least
    /// what a tableau from a smaller start resolves) and a noise
    /// term: probed from the tableau, or from the config's declared noise (`fdvjp_config_set_noise`) or its
    /// estimate (`FDVJP_NOISE_ESTIMATE`), three standard deviations carried through the
    /// tableau, which then also stops at fewer levels where that is more accurate. With
    /// nothing declared (`FDVJP_NOISE_AUTO`), a column whose probe shows noise far above
    /// rounding, or whose check misses, has the noise estimated (once per call) and folded into `err`, values
    /// unchanged. Over sin, cos, exp, log, sqrt, 1/x at scales 1e-9..1e7, arcsin near its
    /// edges and smooth functions plus noise of 1e-12..1e-6, the true error exceeded `err`
    /// for 0.17% of entries (noisy functions with nothing declared: 0%).
    ///
    /// Evaluations of f: 1 + 14n for a well-scaled f; 12 more per column that takes a second
    /// start, a few more plus 12 near a domain edge, 12 more with `FDVJP_NOISE_ESTIMATE` or
    /// when the automatic noise estimate runs; more for columns that fall back near bounds
    /// (one-sided tableaus, then steps divided by 10).
    /// The config's bounds, steps, typical magnitudes and noise apply; its scheme, adaptive
    /// flag and sparsity do not.
    /// `grad` and `err` are written only on success.
    ///
    /// # Safety
    /// `cfg` is NULL or a live config; `x` (n doubles) and `v` (m doubles) readable, `grad` and
    /// `err` (n doubles each) writable, each may be NULL only when its length is 0; `f` is
    /// callable with `user` during the call.
    fn fdvjp_vjp_estimate(f: fdvjp_fn) = Estimate, Vjp(x, v -> grad + err);

    /// Jacobian-vector product `jvp = J(x) u` (m entries) by Richardson extrapolation along u,
    /// with an estimate of each entry's absolute error in `err` (m entries).
    ///
    /// As `fdvjp_vjp_estimate` for one direction: the starting step along u is
    /// `min_j t0_j / |u_j|` over `u_j != 0` (the other starts likewise, element by element).
    /// The points `x + o t u` are rounded element by element, so each quotient is along a
    /// slightly different direction: `err` counts that too, `max_j |e_j / u_j|` times the
    /// quotient (e the rounding of the step's displacement over t), which dominates where
    /// |x_j| is far above the step (sin at 1e7 along a random u: about 1e-6; the JVP's
    /// entries were covered for 98.7% of entries without it, 100% with it in
    /// `tests/accuracy_coverage_jvp.rs`). Evaluations of f: 15 (f(x), 12 and the check's 2)
    /// for a well-scaled f, more as for the VJP's columns; 1 when u = 0 (J u = 0 and err = 0
    /// exactly, bound 0, no direction). Where no start along u (or a part of it) moves every
    /// element it should at the tableau's smallest steps (elements of x and u of very
    /// different magnitudes: x_j = 1.2e12 moved by 1e-4), that part is taken element by
    /// element, `sum_j u_j J e_j` with err `sum_j |u_j| err_j`, at the Jacobian's cost per
    /// element (14 or more each). `jvp` and `err` are written only on success.
    ///
    /// # Safety
    /// As `fdvjp_vjp_estimate`, with `u` (n doubles) readable and `jvp`, `err` (m doubles
    /// each) writable.
    fn fdvjp_jvp_estimate(f: fdvjp_fn) = Estimate, Jvp(x, u -> jvp + err);

    /// The m×n Jacobian by Richardson extrapolation into `jac` (m*n doubles, in the config's
    /// layout), with an estimate of each entry's absolute error in `err` (m*n doubles, same
    /// layout).
    ///
    /// As `fdvjp_vjp_estimate` column by column, with its evaluation counts (the sparsity
    /// pattern is not used). `jac` and `err` are written only on success.
    ///
    /// # Safety
    /// As `fdvjp_vjp_estimate`, with `jac` and `err` writable for m*n doubles each.
    fn fdvjp_jacobian_estimate(f: fdvjp_fn) = Estimate, Jacobian(x -> jac + err);
}
