/*
 * test_edge_at_x.c: a domain edge at x itself (f NaN on one side of x at every step),
 * through the C API. Where the derivative there is infinite (sqrt and cbrt at 0, asin at 1,
 * acos at -1 and 1) no entry point claims a bound: error_bound NaN with the direction
 * counted in unbounded_directions. Where f is smooth up to the edge (exp, sin, x^2.5 at 0)
 * the bound is finite and covers the error against the analytic derivative.
 *
 * Entry points: fdvjp_vjp, fdvjp_jvp, fdvjp_jacobian, fdvjp_vjp_batch (batch size 4),
 * fdvjp_vjp on 2 threads, and an opaque tape node; the batched and threaded gradients equal
 * the serial one bit for bit. m = 2: output 0 at the edge, output 1 cos x (no edge).
 *
 * Before (probe of 1 December): sqrt at 0 gave 525 with a bound of 238, asin at 1 743 with
 * 337, cbrt at 0 4124 with 2230, all FDVJP_OK with nothing unbounded.
 */
#include <stddef.h>

#include "check.h"

typedef struct {
    const char *name;
    double (*g)(double);
    double x, dg; /* the edge point and the derivative there (INFINITY: infinite) */
} edge;

static double nan_below_zero(double x, double v) { return x < 0.0 ? NAN : v; }
static double cbrt_edge(double x) { return nan_below_zero(x, cbrt(x)); }
static double exp_edge(double x) { return nan_below_zero(x, exp(x)); }
static double sin_edge(double x) { return nan_below_zero(x, sin(x)); }
static double pow25_edge(double x) { return nan_below_zero(x, x * x * sqrt(x)); }

static const edge EDGES[] = {
    {"sqrt at 0", sqrt, 0.0, INFINITY},    {"cbrt at 0", cbrt_edge, 0.0, INFINITY},
    {"asin at 1", asin, 1.0, INFINITY},    {"acos at -1", acos, -1.0, INFINITY},
    {"acos at 1", acos, 1.0, INFINITY},    {"exp at 0", exp_edge, 0.0, 1.0},
    {"sin at 0", sin_edge, 0.0, 1.0},      {"x^2.5 at 0", pow25_edge, 0.0, 0.0},
};

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    const edge *e = (const edge *)user;
    if (n != 1 || m != 2)
        return 99;
    y[0] = e->g(x[0]);
    y[1] = cos(x[0]);
    return 0;
}

CHECK_BATCH_OF(fb, f)

/* The report of a result whose error is `err`: unbounded where the derivative is infinite;
 * finite and covering where it is not. */
static void check_report(const edge *e, const char *entry, double err)
{
    fdvjp_report r = check_last_report();
    int infinite = isinf(e->dg);
    int ok = r.completed && (infinite ? isnan(r.error_bound) && r.unbounded_directions == 1
                                      : isfinite(r.error_bound) && err <= r.error_bound);
    if (!CHECK(ok))
        fprintf(stderr, "    %s, %s: err %.3g bound %.3g unbounded %zu\n", e->name, entry, err,
                r.error_bound, r.unbounded_directions);
}

int main(void)
{
    fdvjp_config *batch = fdvjp_config_new(), *threads = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_batch_size(batch, 4), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_threads(threads, 2), FDVJP_OK);
    for (size_t k = 0; k < sizeof EDGES / sizeof EDGES[0]; k++) {
        const edge *e = &EDGES[k];
        void *user = (void *)e;
        double x = e->x, d1 = -sin(x);
        double v[2] = {1.0, -0.25}, g = NAN, gb = NAN, gt = NAN, u = 1.0, jvp[2], jac[2];

        CHECK_STATUS(fdvjp_vjp(NULL, f, user, &x, 1, 2, v, &g), FDVJP_OK);
        check_report(e, "vjp", fabs(g - (v[0] * e->dg + v[1] * d1)));
        CHECK_STATUS(fdvjp_vjp_batch(batch, fb, user, &x, 1, 2, v, &gb), FDVJP_OK);
        check_report(e, "vjp_batch", fabs(gb - (v[0] * e->dg + v[1] * d1)));
        CHECK(memcmp(&g, &gb, sizeof g) == 0);
        CHECK_STATUS(fdvjp_vjp(threads, f, user, &x, 1, 2, v, &gt), FDVJP_OK);
        check_report(e, "vjp on 2 threads", fabs(gt - (v[0] * e->dg + v[1] * d1)));
        CHECK(memcmp(&g, &gt, sizeof g) == 0);

        CHECK_STATUS(fdvjp_jvp(NULL, f, user, &x, 1, 2, &u, jvp), FDVJP_OK);
        check_report(e, "jvp", fmax(fabs(jvp[0] - e->dg), fabs(jvp[1] - d1)));
        CHECK_STATUS(fdvjp_jacobian(NULL, f, user, &x, 1, 2, jac), FDVJP_OK);
        check_report(e, "jacobian", fmax(fabs(jac[0] - e->dg), fabs(jac[1] - d1)));

        /* An opaque node pulled back through a sum: its error is at most the sum of the
         * two entries', each within the bound. */
        double gtape = check_tape_sum_gradient(f, user, x, 2);
        check_report(e, "tape", fabs(gtape - (e->dg + d1)) / 2.0);
    }
    fdvjp_config_free(batch);
    fdvjp_config_free(threads);
    return check_summary("test_edge_at_x");
}
