/*
 * test_hardening_steps.c: steps at the ends of the double range (issue 10, item 5).
 *
 * A step that underflows to 0 or overflows to inf is handled before f is called: complex
 * step at a tiny typical magnitude (typ = 1e-305) or along a huge direction (u = 1e305)
 * gives the exact answer of a linear or exponential f; the real JVP along a huge or
 * subnormal u gives J u; at x = +-DBL_MAX the stencil stays finite (f is never called at
 * +-inf) and a linear f gets its slope; a step that rounds to 0 is reported as such; a
 * relative step that would reach +-inf is refused at the setter. Each answer is compared
 * with the exact one (linear functions, exp at 0), never NaN with FDVJP_OK.
 */
#include <float.h>
#include <stdlib.h>

#include "check.h"

#define SENTINEL 0x77

static int all_sentinel(const void *p, size_t bytes)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < bytes; i++)
        if (c[i] != SENTINEL)
            return 0;
    return 1;
}

/* |got - want| <= tol |want| (a relative check at any magnitude, also subnormal). */
#define CHECK_REL(got, want, tol)                                                           \
    do {                                                                                    \
        double g_ = (got), w_ = (want);                                                     \
        if (!CHECK(fabs(g_ - w_) <= (tol) * fabs(w_)))                                      \
            fprintf(stderr, "    got %.17g, want %.17g\n", g_, w_);                         \
    } while (0)

/* --- complex step ------------------------------------------------------------------------ */

/* w = exp(z) elementwise (m = n), in complex arithmetic. */
static int32_t cexp_fn(void *user, const double *z, size_t n, double *w, size_t m)
{
    size_t i;
    (void)user, (void)n;
    for (i = 0; i < m; i++) {
        double e = exp(z[2 * i]);
        w[2 * i] = e * cos(z[2 * i + 1]);
        w[2 * i + 1] = e * sin(z[2 * i + 1]);
    }
    return 0;
}

/* w_i = sum_j B_ij z_j with B = [[2, -1], [0.5, 3]]: J = B. */
static const double B[2][2] = {{2, -1}, {0.5, 3}};
static int32_t clinear_fn(void *user, const double *z, size_t n, double *w, size_t m)
{
    size_t i, j;
    (void)user;
    for (i = 0; i < m; i++) {
        w[2 * i] = w[2 * i + 1] = 0;
        for (j = 0; j < n; j++) {
            w[2 * i] += B[i][j] * z[2 * j];
            w[2 * i + 1] += B[i][j] * z[2 * j + 1];
        }
    }
    return 0;
}

static void test_complex_step_tiny_typical(void)
{
    const double typ[1] = {1e-305}, x[1] = {0}, one[1] = {1};
    double grad[1], jvp[1], jac[1];
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_typical(cfg, typ, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp_complex_step(cfg, cexp_fn, NULL, x, 1, 1, one, grad), FDVJP_OK);
    CHECK_REL(grad[0], 1.0, 1e-15);
    CHECK_STATUS(fdvjp_jvp_complex_step(cfg, cexp_fn, NULL, x, 1, 1, one, jvp), FDVJP_OK);
    CHECK_REL(jvp[0], 1.0, 1e-15);
    CHECK_STATUS(fdvjp_jacobian_complex_step(cfg, cexp_fn, NULL, x, 1, 1, jac), FDVJP_OK);
    CHECK_REL(jac[0], 1.0, 1e-15);
    fdvjp_config_free(cfg);
}

static void test_complex_step_huge_direction(void)
{
    const double x[2] = {0.25, -1}, us[3][2] = {{1e305, -2e304}, {1e-320, 3e-321}, {DBL_MAX / 8, 0}};
    double jvp[2];
    size_t k, i;
    for (k = 0; k < 3; k++) {
        const double *u = us[k];
        CHECK_STATUS(fdvjp_jvp_complex_step(NULL, clinear_fn, NULL, x, 2, 2, u, jvp), FDVJP_OK);
        for (i = 0; i < 2; i++)
            CHECK_REL(jvp[i], B[i][0] * u[0] + B[i][1] * u[1], 1e-3 * (k == 1) + 1e-14);
    }
    /* exp at 0 along u = 1e305: exactly 1e305 */
    {
        const double z0[1] = {0}, u[1] = {1e305};
        CHECK_STATUS(fdvjp_jvp_complex_step(NULL, cexp_fn, NULL, z0, 1, 1, u, jvp), FDVJP_OK);
        CHECK_REL(jvp[0], 1e305, 1e-15);
    }
    /* J u beyond DBL_MAX: a clear status, the output untouched */
    {
        const double u[2] = {DBL_MAX, -DBL_MAX};
        memset(jvp, SENTINEL, sizeof jvp);
        CHECK(fdvjp_jvp_complex_step(NULL, clinear_fn, NULL, x, 2, 2, u, jvp) != FDVJP_OK);
        CHECK_ERROR_HAS("fdvjp_jvp_complex_step: ");
        CHECK(all_sentinel(jvp, sizeof jvp));
    }
}

/* --- real differences ---------------------------------------------------------------------- */

static long nonfinite_calls;

/* y = A x with A = [[0.5, -0.25], [0.125, 0.5]]: small enough that f(+-DBL_MAX) is finite.
 * Counts calls at a non-finite point (never allowed). */
static const double A[2][2] = {{0.5, -0.25}, {0.125, 0.5}};
static int32_t linear_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i, j;
    (void)user;
    for (j = 0; j < n; j++)
        if (!isfinite(x[j]))
            nonfinite_calls++;
    for (i = 0; i < m; i++) {
        y[i] = 0;
        for (j = 0; j < n; j++)
            y[i] += A[i][j] * x[j];
    }
    return 0;
}

static void test_real_jvp_extreme_directions(void)
{
    static const double us[4][2] = {
        {1e305, -2e304}, {DBL_MAX / 2, DBL_MAX / 4}, {1e-320, 3e-321}, {4.9e-324, 0}};
    const double x[2] = {0.25, -1};
    double jvp[2];
    int scheme;
    size_t k, i;
    for (scheme = 0; scheme < 4; scheme++) {
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, scheme), FDVJP_OK);
        for (k = 0; k < 4; k++) {
            const double *u = us[k];
            if (!CHECK_STATUS(fdvjp_jvp(cfg, linear_fn, NULL, x, 2, 2, u, jvp), FDVJP_OK))
                continue;
            for (i = 0; i < 2; i++) {
                double want = A[i][0] * u[0] + A[i][1] * u[1];
                /* rounding of a linear f: about eps * |f| / h, h = eps^(1/2) one-sided;
                 * a subnormal u: the answer has only the bits of a subnormal */
                double tol = k == 2 ? 1e-2 : (scheme == 1 || scheme == 2) ? 1e-7 : 1e-9;
                if (k == 3)
                    CHECK(fabs(jvp[i] - want) <= 4.9e-324 * 2);
                else
                    CHECK_REL(jvp[i], want, tol);
            }
        }
        fdvjp_config_free(cfg);
    }
    /* the Richardson estimate along the same directions, with its error estimate */
    for (k = 0; k < 3; k++) {
        const double *u = us[k];
        double err[2];
        if (!CHECK_STATUS(fdvjp_jvp_estimate(NULL, linear_fn, NULL, x, 2, 2, u, jvp, err),
                          FDVJP_OK))
            continue;
        for (i = 0; i < 2; i++) {
            double want = A[i][0] * u[0] + A[i][1] * u[1];
            CHECK_REL(jvp[i], want, k == 2 ? 1e-2 : 1e-12);
            CHECK(isfinite(err[i]) && err[i] >= 0);
        }
    }
    CHECK_INT(nonfinite_calls, 0);
}

/* At x = +-DBL_MAX (every entry, so that f's rounding scale is the same for each column)
 * the stencils that fit are the one-sided ones pointing inward; f is never called at
 * +-inf, and the slopes of the linear f come out exact to rounding (1e-16 * |f| / h). */
static void test_stencil_at_dbl_max(void)
{
    static const double xs[4][2] = {
        {DBL_MAX, DBL_MAX}, {-DBL_MAX, DBL_MAX}, {DBL_MAX, -DBL_MAX}, {-DBL_MAX, -DBL_MAX}};
    const double v[2] = {1, -2};
    double grad[2], jac[4], jvp[2];
    int scheme;
    size_t k, i, j;
    nonfinite_calls = 0;
    for (scheme = 0; scheme < 4; scheme++) {
        fdvjp_config *cfg = fdvjp_config_new();
        /* one-sided schemes: h = eps^(1/2) |x|, rounding eps |f| / h ~ 1e-8 */
        double tol = (scheme == 1 || scheme == 2) ? 1e-7 : 1e-9;
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, scheme), FDVJP_OK);
        for (k = 0; k < 4; k++) {
            const double *x = xs[k];
            /* inward along both axes */
            const double u[2] = {x[0] > 0 ? -1 : 1, x[1] > 0 ? -1 : 1};
            if (CHECK_STATUS(fdvjp_vjp(cfg, linear_fn, NULL, x, 2, 2, v, grad), FDVJP_OK))
                for (j = 0; j < 2; j++)
                    CHECK_REL(grad[j], v[0] * A[0][j] + v[1] * A[1][j], tol);
            if (CHECK_STATUS(fdvjp_jacobian(cfg, linear_fn, NULL, x, 2, 2, jac), FDVJP_OK))
                for (i = 0; i < 2; i++)
                    for (j = 0; j < 2; j++)
                        CHECK_REL(jac[i * 2 + j], A[i][j], tol);
            if (CHECK_STATUS(fdvjp_jvp(cfg, linear_fn, NULL, x, 2, 2, u, jvp), FDVJP_OK))
                for (i = 0; i < 2; i++)
                    CHECK_REL(jvp[i], A[i][0] * u[0] + A[i][1] * u[1], tol);
        }
        /* along a direction that leaves the doubles whichever way it goes: refused */
        {
            const double u[2] = {1, -1};
            memset(jvp, SENTINEL, sizeof jvp);
            CHECK_STATUS(fdvjp_jvp(cfg, linear_fn, NULL, xs[0], 2, 2, u, jvp),
                         FDVJP_INVALID_ARGUMENT);
            CHECK_ERROR_HAS("fdvjp_jvp: direction u: no stencil fits inside the finite doubles");
            CHECK(all_sentinel(jvp, sizeof jvp));
        }
        fdvjp_config_free(cfg);
    }
    CHECK_INT(nonfinite_calls, 0);
}

static long calls;
static int32_t counting_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    calls++;
    return linear_fn(user, x, n, y, m);
}

static void test_step_rounds_to_zero(void)
{
    const double x[2] = {1, 2}, v[2] = {1, 1}, tiny[2] = {1e-300, 1e-300};
    const double typ[2] = {1e-320, 1e-320}, zero[2] = {0, 0};
    double grad[2];
    fdvjp_config *cfg = fdvjp_config_new();
    /* an absolute step far below half an ulp of x (no bounds) */
    CHECK_STATUS(fdvjp_config_set_steps(cfg, tiny, 2), FDVJP_OK);
    memset(grad, SENTINEL, sizeof grad);
    calls = 0;
    CHECK_STATUS(fdvjp_vjp(cfg, counting_fn, NULL, x, 2, 2, v, grad), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_vjp: column 0: the step h = 1e-300 rounds to 0 at x[0] = 1");
    CHECK(all_sentinel(grad, sizeof grad));
    CHECK_INT(calls, 1); /* f(x) only */
    fdvjp_config_free(cfg);
    /* a relative step that underflows: typ = 1e-320 at x = 0 */
    cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_typical(cfg, typ, 2), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, counting_fn, NULL, zero, 2, 2, v, grad),
                 FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_vjp: column 0: the step underflowed to 0 at x[0] = 0 (below");
    CHECK(all_sentinel(grad, sizeof grad));
    fdvjp_config_free(cfg);
}

/* Doubles in messages are short: a subnormal x or step is named as 5e-324, never as the 330
 * digits of its decimal expansion (nor a zero step as "h = 0e0"). */
static void test_values_in_messages_are_short(void)
{
    const double x[1] = {5e-324}, v[1] = {1}, typ[1] = {5e-324}, neg[1] = {-5e-324};
    const double lo[1] = {1}, hi[1] = {2};
    double grad[1];
    char msg[1024];
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_typical(cfg, typ, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, linear_fn, NULL, x, 1, 1, v, grad), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("column 0: the step underflowed to 0 at x[0] = 5e-324 (below half");
    CHECK(fdvjp_last_error(msg, sizeof msg) < 200);
    CHECK_STATUS(fdvjp_config_set_steps(cfg, neg, 1), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("steps[0] = -5e-324 must be finite and > 0");
    CHECK_STATUS(fdvjp_config_set_typical(cfg, neg, 1), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("typical[0] = -5e-324 must be finite and > 0");
    CHECK_STATUS(fdvjp_config_set_noise(cfg, neg, 1), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("noise[0] = -5e-324 must be finite and >= 0");
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, -5e-324), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("relative step r = -5e-324 must be finite and > 0");
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lo, hi, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, linear_fn, NULL, x, 1, 1, v, grad), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("x[0] = 5e-324 lies outside its bounds [1, 2]");
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, typ, typ, 1), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("lower[0] = 5e-324 must be below upper[0] = 5e-324");
    fdvjp_config_free(cfg);
}

static void test_relative_step_setter(void)
{
    static const double bad[3] = {1.5, 1e300, DBL_MAX};
    size_t k;
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 1.0), FDVJP_OK);
    for (k = 0; k < 3; k++) {
        CHECK_STATUS(fdvjp_config_set_relative_step(cfg, bad[k]), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_config_set_relative_step: relative step = ");
        CHECK_ERROR_HAS("must be at most 1");
    }
    fdvjp_config_free(cfg);
}

/* --- results beyond the doubles ------------------------------------------------------------ */

/* y_0 = 10 sum_j x_j: a gradient of 10 v_0 per entry, beyond DBL_MAX for v_0 = 1e308. */
static int32_t tenfold_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t j;
    (void)user;
    (void)m;
    y[0] = 0;
    for (j = 0; j < n; j++)
        y[0] += 10 * x[j];
    return 0;
}

/* y_0 = 1e240 x_0: J u beyond DBL_MAX along u = 1e70 (a direction the JVP does not rescale). */
static int32_t steep_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = 1e240 * x[0];
    return 0;
}

/* A product beyond the doubles is FDVJP_INVALID_ARGUMENT naming the entry, never an inf with
 * FDVJP_OK; the output stays untouched and the report says the call did not complete. Every
 * VJP path: the small flat path (n = 1), the general one (n = 100), threads, the estimate. */
static void test_results_beyond_the_doubles(void)
{
    static double x[100], grad[100];
    const double v[1] = {1e308}, u[1] = {1e70};
    const size_t sizes[2] = {1, 100};
    fdvjp_report r;
    double jvp[1];
    double err[100];
    fdvjp_config *threads = fdvjp_config_new();
    size_t k, j;
    CHECK_STATUS(fdvjp_config_set_threads(threads, 2), FDVJP_OK);
    for (j = 0; j < 100; j++)
        x[j] = 1.0 + 0.01 * (double)j;
    for (k = 0; k < 2; k++) {
        memset(grad, SENTINEL, sizeof grad);
        CHECK_STATUS(fdvjp_vjp(NULL, tenfold_fn, NULL, x, sizes[k], 1, v, grad), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_vjp: the result is beyond the doubles: grad[0] = inf");
        CHECK(all_sentinel(grad, sizeof grad));
        CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
        CHECK(r.completed == 0 && r.evaluations == 2 * sizes[k] + 1);
        CHECK_STATUS(fdvjp_vjp(threads, tenfold_fn, NULL, x, sizes[k], 1, v, grad), FDVJP_INVALID_ARGUMENT);
        CHECK(all_sentinel(grad, sizeof grad));
        CHECK_STATUS(fdvjp_vjp_estimate(NULL, tenfold_fn, NULL, x, sizes[k], 1, v, grad, err),
                     FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_vjp_estimate: the result is beyond the doubles: grad[0]");
        CHECK(all_sentinel(grad, sizeof grad));
    }
    memset(jvp, SENTINEL, sizeof jvp);
    CHECK_STATUS(fdvjp_jvp(NULL, steep_fn, NULL, x, 1, 1, u, jvp), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_jvp: the result is beyond the doubles: jvp[0] = inf");
    CHECK(all_sentinel(jvp, sizeof jvp));
    /* just inside the doubles: the value */
    {
        const double w[1] = {1e307};
        CHECK_STATUS(fdvjp_vjp(NULL, tenfold_fn, NULL, x, 100, 1, w, grad), FDVJP_OK);
        CHECK_REL(grad[99], 1e308, 1e-8);
    }
    fdvjp_config_free(threads);
}

/* y_0 = y_1 = 3 (x_0 + x_1): v = (1e308, -1e308) gives exactly 0, but the sum over the rows
 * overflows (inf - inf = NaN). Still refused, with a message naming the overflow and the
 * remedy (it said "a defect of fdvjp: please report it"), output untouched. */
static int32_t twin_rows_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = y[1] = 3 * (x[0] + x[1]);
    return 0;
}

static void test_nan_from_overflow_says_so(void)
{
    const double x[2] = {1.0, 2.0}, v[2] = {1e308, -1e308};
    double grad[2], err[2];
    char msg[512];
    memset(grad, SENTINEL, sizeof grad);
    CHECK_STATUS(fdvjp_vjp(NULL, twin_rows_fn, NULL, x, 2, 2, v, grad), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("grad[0] = NaN: terms of opposite signs overflowed in an intermediate sum "
                    "(inf - inf)");
    CHECK_ERROR_HAS("scale v down and the gradient up");
    fdvjp_last_error(msg, sizeof msg);
    CHECK(strstr(msg, "defect") == NULL);
    CHECK(all_sentinel(grad, sizeof grad));
    CHECK_STATUS(fdvjp_vjp_estimate(NULL, twin_rows_fn, NULL, x, 2, 2, v, grad, err),
                 FDVJP_INVALID_ARGUMENT);
    fdvjp_last_error(msg, sizeof msg);
    CHECK(strstr(msg, "defect") == NULL);
    CHECK(all_sentinel(grad, sizeof grad));
}

static int32_t sines_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i;
    (void)user;
    (void)m;
    for (i = 0; i < n; i++)
        y[i] = sin(x[i]);
    return 0;
}

/* sin at 1e12 with a diagonal pattern gave NaN with FDVJP_OK (a step that rounded to 0 in a
 * column group): whatever a path computes, FDVJP_OK comes with finite values only, and a
 * failure leaves grad untouched. */
static void test_no_nan_with_ok(void)
{
    const double x[2] = {1e12, 1.3e12}, v[2] = {1, 1};
    const size_t rows[2] = {0, 1}, cols[2] = {0, 1};
    double grad[2];
    fdvjp_config *cfg = fdvjp_config_new();
    int32_t st;
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, cols, 2), FDVJP_OK);
    memset(grad, SENTINEL, sizeof grad);
    st = fdvjp_vjp(cfg, sines_fn, NULL, x, 2, 2, v, grad);
    if (st == FDVJP_OK) {
        /* cos at 1e12 and 1.3e12: a refined step reaches 1e-6 relative there */
        CHECK(isfinite(grad[0]) && isfinite(grad[1]));
        CHECK_REL(grad[0], cos(x[0]), 1e-6);
        CHECK_REL(grad[1], cos(x[1]), 1e-6);
    } else {
        CHECK(all_sentinel(grad, sizeof grad));
        CHECK_ERROR_HAS("fdvjp_vjp: ");
    }
    fdvjp_config_free(cfg);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } blocks[] = {{"complex_step_tiny_typical", test_complex_step_tiny_typical},
                  {"complex_step_huge_direction", test_complex_step_huge_direction},
                  {"real_jvp_extreme_directions", test_real_jvp_extreme_directions},
                  {"stencil_at_dbl_max", test_stencil_at_dbl_max},
                  {"step_rounds_to_zero", test_step_rounds_to_zero},
                  {"relative_step_setter", test_relative_step_setter},
                  {"results_beyond_the_doubles", test_results_beyond_the_doubles},
                  {"nan_from_overflow_says_so", test_nan_from_overflow_says_so},
                  {"values_in_messages_are_short", test_values_in_messages_are_short},
                  {"no_nan_with_ok", test_no_nan_with_ok}};
    size_t b;
    for (b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
        if (argc < 2 || strcmp(argv[1], blocks[b].name) == 0)
            blocks[b].run();
    return check_summary("test_hardening_steps");
}
