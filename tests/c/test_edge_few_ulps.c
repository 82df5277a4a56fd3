/*
 * test_edge_few_ulps.c: a domain edge a few ulps from x (x = L + k ulps, f NaN beyond L),
 * through the C API. log|x - L| and |x - L|^p vary on the scale of x's distance to the
 * edge, far below any step; every result is covered by its bound or unbounded (error_bound
 * NaN, the direction counted in unbounded_directions), never off with a finite bound.
 *
 * Entry points: fdvjp_vjp, fdvjp_vjp_batch (batch size 4), fdvjp_vjp on 2 threads,
 * fdvjp_jvp, fdvjp_jacobian and an opaque tape node; the batched and threaded gradients
 * equal the serial one bit for bit. m = 2: output 0 at the edge, output 1 cos x.
 *
 * At L = 0, x is a few subnormals from 0. Before (2 December, on f5b05a8): log(x - 1000)
 * at 1000 plus one ulp came out 8.8e12 off with a bound of 2.0e5, sqrt(x - 1) at 1 plus 16
 * ulps 8.8e5 off with a bound of 4.1e4, and sqrt at 5e-324 525 for 2.2e161 with a bound
 * of 238, all FDVJP_OK.
 */
#include <stddef.h>

#include "check.h"

typedef struct {
    double l, side, p; /* the edge, the side x lies on, the power (0: the logarithm) */
} edge;

static double g(const edge *e, double x)
{
    double d = e->side * (x - e->l);
    if (d < 0.0)
        return NAN;
    return e->p == 0.0 ? log(d) : pow(d, e->p);
}

/* The derivative of g at x, where g is finite and x is not on the edge. */
static double dg(const edge *e, double x)
{
    double d = e->side * (x - e->l);
    return e->p == 0.0 ? e->side / d : e->side * e->p * pow(d, e->p - 1.0);
}

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    const edge *e = (const edge *)user;
    if (n != 1 || m != 2)
        return 99;
    y[0] = g(e, x[0]);
    y[1] = cos(x[0]);
    return 0;
}

CHECK_BATCH_OF(fb, f)

/* Covered or unbounded, after a call that returned FDVJP_OK. */
static void check_report(const edge *e, double x, const char *entry, double err)
{
    fdvjp_report r = check_last_report();
    int unbounded = isnan(r.error_bound) && r.unbounded_directions == 1;
    if (!CHECK(r.completed && (unbounded || err <= r.error_bound)))
        fprintf(stderr, "    p %g at L %g %+g ulps (x %.17g), %s: err %.3g bound %.3g\n", e->p,
                e->l, e->side, x, entry, err, r.error_bound);
}

static void check_edge(const edge *e, double x, fdvjp_config *batch, fdvjp_config *threads)
{
    void *user = (void *)e;
    double d0 = dg(e, x), d1 = -sin(x);
    double v[2] = {1.0, -0.25}, want = v[0] * d0 + v[1] * d1;
    double gs = NAN, gb = NAN, gt = NAN, u = 1.0, jvp[2], jac[2];

    CHECK_STATUS(fdvjp_vjp(NULL, f, user, &x, 1, 2, v, &gs), FDVJP_OK);
    check_report(e, x, "vjp", fabs(gs - want));
    CHECK_STATUS(fdvjp_vjp_batch(batch, fb, user, &x, 1, 2, v, &gb), FDVJP_OK);
    check_report(e, x, "vjp_batch", fabs(gb - want));
    CHECK(memcmp(&gs, &gb, sizeof gs) == 0);
    CHECK_STATUS(fdvjp_vjp(threads, f, user, &x, 1, 2, v, &gt), FDVJP_OK);
    check_report(e, x, "vjp on 2 threads", fabs(gt - want));
    CHECK(memcmp(&gs, &gt, sizeof gs) == 0);

    CHECK_STATUS(fdvjp_jvp(NULL, f, user, &x, 1, 2, &u, jvp), FDVJP_OK);
    check_report(e, x, "jvp", fmax(fabs(jvp[0] - d0), fabs(jvp[1] - d1)));
    CHECK_STATUS(fdvjp_jacobian(NULL, f, user, &x, 1, 2, jac), FDVJP_OK);
    check_report(e, x, "jacobian", fmax(fabs(jac[0] - d0), fabs(jac[1] - d1)));

    /* Through a sum: the error is at most the two entries' errors, each within the bound. */
    double gtape = check_tape_sum_gradient(f, user, x, 2);
    check_report(e, x, "tape", fabs(gtape - (d0 + d1)) / 2.0);
}

int main(void)
{
    static const double EDGE_AT[] = {1.0, -3.0, 7.25, 1e3, 1e5, 0.0};
    static const double POWER[] = {0.0, 0.5, 0.7, 1.1, 1.5, 2.5};
    static const int ULPS[] = {1, 2, 3, 16, 100};
    fdvjp_config *batch = fdvjp_config_new(), *threads = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_batch_size(batch, 4), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_threads(threads, 2), FDVJP_OK);
    for (size_t a = 0; a < sizeof EDGE_AT / sizeof EDGE_AT[0]; a++)
        for (int side = -1; side <= 1; side += 2)
            for (size_t b = 0; b < sizeof POWER / sizeof POWER[0]; b++)
                for (size_t c = 0; c < sizeof ULPS / sizeof ULPS[0]; c++) {
                    edge e = {EDGE_AT[a], side, POWER[b]};
                    double x = e.l;
                    for (int k = 0; k < ULPS[c]; k++)
                        x = nextafter(x, side * INFINITY);
                    check_edge(&e, x, batch, threads);
                }
    fdvjp_config_free(batch);
    fdvjp_config_free(threads);
    return check_summary("test_edge_few_ulps");
}
