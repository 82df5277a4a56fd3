/*
 * test_report_entry_points.c: fdvjp_last_report after each entry point that evaluates f
 * (issue 11 item 2): the complex-step drivers, a complex-function driver, an empty
 * problem and the tape's backward each replace the report of an earlier call (A, a
 * plain VJP of another function) with their own; and central columns that fall back
 * after a NaN or at a bound report a finite bound.
 *
 * Exact answers: evaluation counts are counted in the callbacks; errors are against the
 * analytic Jacobian, covered when |value - exact| <= error_bound + 4 eps * (the size of the
 * exact product's terms, for its own rounding).
 */
#include <complex.h>
#include <float.h>
#include <stddef.h>

#include "check.h"
#include "smooth_map.h" /* f(x) = [x0 x1 + sin(x2), exp(x0) x2^2]: smooth_complex, N, M */

/* A: a plain central VJP of a sum of 5 sines, 11 evaluations. */
static int32_t sines(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    y[0] = 0.0;
    for (size_t j = 0; j < n; j++)
        y[0] += sin(x[j]);
    return 0;
}

static void another_call(void)
{
    const double x[5] = {0.1, 0.2, 0.3, 0.4, 0.5}, v[1] = {1.0};
    double g[5];
    CHECK_STATUS(fdvjp_vjp(NULL, sines, NULL, x, 5, 1, v, g), FDVJP_OK);
    fdvjp_report r;
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT((long)r.evaluations, 11);
}

static fdvjp_report report(void)
{
    fdvjp_report r;
    memset(&r, 0xff, sizeof r);
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    return r;
}

/* |got - sum(terms)| <= bound + 4 eps sum |terms|. */
static int covered(double got, const double *terms, size_t k, double bound)
{
    double exact = 0.0, size = 0.0;
    for (size_t i = 0; i < k; i++) {
        exact += terms[i];
        size += fabs(terms[i]);
    }
    return fabs(got - exact) <= bound + 4.0 * DBL_EPSILON * size;
}

static void complex_step(void)
{
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    for (int point = 0; point < 20; point++) {
        double x[N], v[M], u[N], jac[M * N], terms[N];
        for (int j = 0; j < N; j++) {
            x[j] = check_uniform(&state, -2.0, 2.0);
            u[j] = check_uniform(&state, -1.0, 1.0);
        }
        for (int i = 0; i < M; i++)
            v[i] = check_uniform(&state, -1.0, 1.0);
        smooth_jacobian(x, jac);

        counter c = {0};
        double g[N], J[M * N], Ju[M];
        another_call();
        CHECK_STATUS(fdvjp_vjp_complex_step(NULL, smooth_complex, &c, x, N, M, v, g), FDVJP_OK);
        fdvjp_report r = report();
        CHECK_INT(r.completed, 1);
        CHECK_INT((long)r.evaluations, N + 3);
        CHECK_INT(c.calls, N + 3);
        CHECK_INT((long)r.directions, N);
        CHECK(isfinite(r.error_bound) && r.error_bound < 1e3 * DBL_EPSILON * 100.0);
        for (int j = 0; j < N; j++) {
            for (int i = 0; i < M; i++)
                terms[i] = v[i] * jac[i * N + j];
            CHECK(covered(g[j], terms, M, r.error_bound));
        }

        c.calls = 0;
        another_call();
        CHECK_STATUS(fdvjp_jacobian_complex_step(NULL, smooth_complex, &c, x, N, M, J), FDVJP_OK);
        r = report();
        CHECK_INT(r.completed, 1);
        CHECK_INT((long)r.evaluations, N + 3);
        CHECK_INT(c.calls, N + 3);
        CHECK_INT((long)r.directions, N);
        for (int k = 0; k < M * N; k++)
            CHECK(covered(J[k], &jac[k], 1, r.error_bound));

        c.calls = 0;
        another_call();
        CHECK_STATUS(fdvjp_jvp_complex_step(NULL, smooth_complex, &c, x, N, M, u, Ju), FDVJP_OK);
        r = report();
        CHECK_INT(r.completed, 1);
        CHECK_INT((long)r.evaluations, 4);
        CHECK_INT(c.calls, 4);
        CHECK_INT((long)r.directions, 1);
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++)
                terms[j] = jac[i * N + j] * u[j];
            CHECK(covered(Ju[i], terms, N, r.error_bound));
        }
    }
}

/* Finite differences of the complex map on its 2n interleaved reals: 1 + 4n evaluations. */
static void complex_function(void)
{
    counter c = {0};
    const double z[2 * N] = {0.3, -0.2, 0.7, 0.4, -0.5, 0.1};
    const double v[2 * M] = {1.0, 0.5, -0.5, 0.25};
    double g[2 * N];
    another_call();
    CHECK_STATUS(fdvjp_complex_vjp(NULL, smooth_complex, &c, z, N, M, v, g), FDVJP_OK);
    fdvjp_report r = report();
    CHECK_INT(r.completed, 1);
    CHECK_INT((long)r.evaluations, 1 + 4 * N);
    CHECK_INT(c.calls, 1 + 4 * N);
    CHECK_INT((long)r.directions, 2 * N);
}

/* n = 0: nothing evaluated, and the report says so (not A's 11 evaluations). */
static void empty_problem(void)
{
    counter c = {0};
    const double v[M] = {1.0, 1.0};
    another_call();
    CHECK_STATUS(fdvjp_vjp_complex_step(NULL, smooth_complex, &c, NULL, 0, M, v, NULL),
                 FDVJP_OK);
    fdvjp_report r = report();
    CHECK_INT(r.completed, 1);
    CHECK_INT((long)r.evaluations, 0);
    CHECK_INT((long)r.directions, 0);
    CHECK(r.error_bound == 0.0);
    another_call();
    CHECK_STATUS(fdvjp_vjp(NULL, sines, NULL, NULL, 0, 1, v, NULL), FDVJP_OK);
    r = report();
    CHECK_INT(r.completed, 1);
    CHECK_INT((long)r.evaluations, 0);
    CHECK_INT(c.calls, 0);
}

/* g(a) = [a0 a1, sin(a0) + a1], counted. */
static int32_t pair(void *user, const double *x, size_t n, double *y, size_t m)
{
    counter *c = (counter *)user;
    c->calls++;
    if (n != 2 || m != 2)
        return 99;
    y[0] = x[0] * x[1];
    y[1] = sin(x[0]) + x[1];
    return 0;
}

/* Backward: the Jacobian of the opaque node (2n = 4 evaluations, f(x) known); again at
 * the same point (cached): none, not A's. */
static void tape_backward(void)
{
    counter c = {0};
    fdvjp_tape *t = fdvjp_tape_new();
    const double a[2] = {0.3, 0.8};
    fdvjp_var x, y, loss;
    CHECK_STATUS(fdvjp_tape_input(t, a, 2, &x), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_call(t, NULL, pair, &c, &x, 1, 2, &y), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &loss), FDVJP_OK);
    c.calls = 0;
    another_call();
    CHECK_STATUS(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_OK);
    fdvjp_report r = report();
    CHECK_INT(r.completed, 1);
    CHECK_INT((long)r.evaluations, 4);
    CHECK_INT(c.calls, 4);
    CHECK_INT((long)r.directions, 2);
    CHECK(isfinite(r.error_bound));
    double grad[2];
    CHECK_STATUS(fdvjp_tape_grad(t, x, grad, 2), FDVJP_OK);
    CHECK_CLOSE(grad[0], a[1] + cos(a[0]), 1e-9);
    CHECK_CLOSE(grad[1], a[0] + 1.0, 1e-9);

    another_call();
    CHECK_STATUS(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_OK);
    r = report();
    CHECK_INT(r.completed, 1);
    CHECK_INT((long)r.evaluations, 0);
    CHECK_INT(c.calls, 4);
    fdvjp_tape_free(t);
}

/* [log x, 2 sqrt x] at x = 1e-8: the central stencil at the plain step 6e-6 meets a NaN. */
static int32_t edge(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = log(x[0]);
    y[1] = 2.0 * sqrt(x[0]);
    return 0;
}

/* [x0^3 / sqrt(10)] near 10 with bounds [x - 3e-9, x + 2e-9]. */
static int32_t cube(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = x[0] * x[0] * x[0] / sqrt(10.0);
    return 0;
}

static void fallback_bounds(void)
{
    const double x[1] = {1e-8}, v[2] = {1.0, -0.5};
    double g[1];
    CHECK_STATUS(fdvjp_vjp(NULL, edge, NULL, x, 1, 2, v, g), FDVJP_OK);
    fdvjp_report r = report();
    CHECK_INT((long)r.nonfinite_fallbacks, 1);
    CHECK(isfinite(r.error_bound));
    double terms[2] = {v[0] / x[0], v[1] / sqrt(x[0])};
    CHECK(covered(g[0], terms, 2, r.error_bound));

    fdvjp_config *cfg = fdvjp_config_new();
    const double xb[1] = {10.3}, lo[1] = {10.3 - 3e-9}, hi[1] = {10.3 + 2e-9}, one[1] = {1.0};
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lo, hi, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, cube, NULL, xb, 1, 1, one, g), FDVJP_OK);
    r = report();
    CHECK_INT((long)r.bound_fallbacks, 1);
    CHECK(isfinite(r.error_bound));
    double exact = 3.0 * xb[0] * xb[0] / sqrt(10.0);
    CHECK(covered(g[0], &exact, 1, r.error_bound));
    fdvjp_config_free(cfg);
}

int main(void)
{
    complex_step();
    complex_function();
    empty_problem();
    tape_backward();
    fallback_bounds();
    return check_summary("test_report_entry_points");
}
