/*
 * test_errors.c: every error path of the C API. Each failing call must return the right
 * status, leave a last-error message naming the function, the argument and the value, and
 * leave every output buffer byte-for-byte as it was (outputs are written only on success).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include "check.h"

#define N 3
#define M 2

/* ---- output buffers filled with a sentinel before each failing call ----------------- */

#define SENTINEL 0xA5
static double out_grad[N], out_jvp[M], out_jac[M * N];

static void fill_outputs(void)
{
    memset(out_grad, SENTINEL, sizeof out_grad);
    memset(out_jvp, SENTINEL, sizeof out_jvp);
    memset(out_jac, SENTINEL, sizeof out_jac);
}

static int is_sentinel(const void *p, size_t bytes)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < bytes; i++)
        if (c[i] != SENTINEL)
            return 0;
    return 1;
}

static int outputs_untouched(void)
{
    return is_sentinel(out_grad, sizeof out_grad) && is_sentinel(out_jvp, sizeof out_jvp) &&
           is_sentinel(out_jac, sizeof out_jac);
}

/* Checks the status, each NULL-terminated substring of the message, and the buffers. */
static void expect_error_at(const char *file, int line, int32_t got, int32_t want, ...)
{
    va_list ap;
    const char *needle;
    check_status_at(got, want, "status", file, line);
    va_start(ap, want);
    while ((needle = va_arg(ap, const char *)) != NULL)
        check_error_has_at(needle, file, line);
    va_end(ap);
    check_record(outputs_untouched(), file, line, "every output buffer untouched");
}
#define EXPECT_ERROR(got, want, ...) \
    expect_error_at(__FILE__, __LINE__, (got), (want), __VA_ARGS__, (const char *)NULL)

/* ---- callbacks ------------------------------------------------------------------------ */

/* Behaviour of `probe`, passed as `user`. */
typedef struct {
    long calls;
    long fail_at;        /* return `code` at this (1-based) evaluation; 0 = never */
    int32_t code;
    int nonfinite_at_x;  /* 1: y[1] = NaN everywhere; 2: y[0] = +inf everywhere */
    const double *only;  /* if set: finite only at exactly this point, NaN elsewhere */
    int bad_column;      /* with `only`: NaN only when x[bad_column] moved; -1 = any */
    int box;             /* 1: return code 13 outside [0,1]^N */
} probe;

static probe probe_new(void)
{
    probe p;
    memset(&p, 0, sizeof p);
    p.bad_column = -1;
    return p;
}

/* A complex function that must never be called (the call is refused first). */
static int32_t never_complex_fn(void *user, const double *z, size_t n, double *w, size_t m)
{
    ((probe *)user)->calls++;
    (void)z;
    (void)n;
    (void)w;
    (void)m;
    return 0;
}

/* R^3 -> R^2, a smooth map with the behaviours above. */
static int32_t probe_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    probe *p = (probe *)user;
    size_t j;
    (void)m;
    p->calls++;
    if (p->fail_at == p->calls)
        return p->code;
    if (p->box)
        for (j = 0; j < n; j++)
            if (!(x[j] >= 0.0 && x[j] <= 1.0))
                return 13;
    y[0] = x[0] * x[1] + sin(x[2]);
    y[1] = x[0] * x[0] - x[2];
    if (p->nonfinite_at_x == 1)
        y[1] = NAN;
    if (p->nonfinite_at_x == 2)
        y[0] = INFINITY;
    if (p->only != NULL) {
        for (j = 0; j < n; j++)
            if (x[j] != p->only[j] && (p->bad_column < 0 || (int)j == p->bad_column))
                y[0] = y[1] = NAN;
    }
    return 0;
}

static void probe_grad(const double *x, const double *v, double *g)
{
    g[0] = v[0] * x[1] + v[1] * 2.0 * x[0];
    g[1] = v[0] * x[0];
    g[2] = v[0] * cos(x[2]) - v[1];
}

static const double X[N] = {0.5, -0.25, 0.75};
static const double V[M] = {1.5, -0.5};
static const double U[N] = {0.25, 1.0, -0.5};

/* ---- each pointer NULL in turn -------------------------------------------------------- */

static void test_null_pointers(void)
{
    probe p = probe_new();
    fdvjp_config *cfg = fdvjp_config_new();
    const double h[N] = {0.1, 0.1, 0.1};

    fill_outputs();
    EXPECT_ERROR(fdvjp_vjp(cfg, NULL, &p, X, N, M, V, out_grad), FDVJP_NULL_POINTER,
                 "fdvjp_vjp:", "f is NULL");
    EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, NULL, N, M, V, out_grad), FDVJP_NULL_POINTER,
                 "fdvjp_vjp:", "x is NULL", "n = 3");
    EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, X, N, M, NULL, out_grad), FDVJP_NULL_POINTER,
                 "fdvjp_vjp:", "v is NULL", "m = 2");
    EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, X, N, M, V, NULL), FDVJP_NULL_POINTER,
                 "fdvjp_vjp:", "grad is NULL", "n = 3");
    /* f is checked even for an empty problem: every pointer is. */
    EXPECT_ERROR(fdvjp_vjp(cfg, NULL, &p, NULL, 0, 0, NULL, NULL), FDVJP_NULL_POINTER,
                 "fdvjp_vjp:", "f is NULL");

    EXPECT_ERROR(fdvjp_jvp(cfg, NULL, &p, X, N, M, U, out_jvp), FDVJP_NULL_POINTER,
                 "fdvjp_jvp:", "f is NULL");
    EXPECT_ERROR(fdvjp_jvp(cfg, probe_fn, &p, NULL, N, M, U, out_jvp), FDVJP_NULL_POINTER,
                 "fdvjp_jvp:", "x is NULL", "n = 3");
    EXPECT_ERROR(fdvjp_jvp(cfg, probe_fn, &p, X, N, M, NULL, out_jvp), FDVJP_NULL_POINTER,
                 "fdvjp_jvp:", "u is NULL", "n = 3");
    EXPECT_ERROR(fdvjp_jvp(cfg, probe_fn, &p, X, N, M, U, NULL), FDVJP_NULL_POINTER,
                 "fdvjp_jvp:", "jvp is NULL", "m = 2");

    EXPECT_ERROR(fdvjp_jacobian(cfg, NULL, &p, X, N, M, out_jac), FDVJP_NULL_POINTER,
                 "fdvjp_jacobian:", "f is NULL");
    EXPECT_ERROR(fdvjp_jacobian(cfg, probe_fn, &p, NULL, N, M, out_jac), FDVJP_NULL_POINTER,
                 "fdvjp_jacobian:", "x is NULL", "n = 3");
    EXPECT_ERROR(fdvjp_jacobian(cfg, probe_fn, &p, X, N, M, NULL), FDVJP_NULL_POINTER,
                 "fdvjp_jacobian:", "jac is NULL", "m*n = 6");

    /* setters: cfg NULL, then each array NULL with a non-zero length */
    EXPECT_ERROR(fdvjp_config_set_scheme(NULL, FDVJP_FORWARD), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_scheme:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_layout(NULL, FDVJP_COL_MAJOR), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_layout:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_relative_step(NULL, 1e-3), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_relative_step:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_steps(NULL, h, N), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_steps:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_typical(NULL, h, N), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_typical:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_bounds(NULL, h, h, N), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_bounds:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_steps(cfg, NULL, N), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_steps:", "h is NULL", "n = 3");
    EXPECT_ERROR(fdvjp_config_set_typical(cfg, NULL, 2), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_typical:", "typ is NULL", "n = 2");
    EXPECT_ERROR(fdvjp_config_set_bounds(cfg, NULL, h, N), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_bounds:", "lower is NULL", "n = 3");
    EXPECT_ERROR(fdvjp_config_set_bounds(cfg, h, NULL, N), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_bounds:", "upper is NULL", "n = 3");

    CHECK_INT(p.calls, 0);
    fdvjp_config_free(cfg);
}

/* ---- wrong config values ---------------------------------------------------------------- */

static void test_bad_config_values(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    const double zero_step[N] = {0.1, 0.0, 0.1}, neg_step[N] = {-1.0, 0.1, 0.1};
    const double nan_step[N] = {0.1, 0.1, NAN}, inf_step[N] = {INFINITY, 0.1, 0.1};
    const double lo[2] = {0.0, 2.0}, hi[2] = {1.0, 1.0}, same[2] = {1.0, 1.0};
    const double nan2[2] = {NAN, 0.0}, zero2[2] = {0.0, 0.0}, one2[2] = {1.0, 1.0};

    fill_outputs();
    EXPECT_ERROR(fdvjp_config_set_scheme(cfg, 4), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_config_set_scheme:", "scheme = 4");
    EXPECT_ERROR(fdvjp_config_set_scheme(cfg, -1), FDVJP_INVALID_ARGUMENT, "scheme = -1");
    EXPECT_ERROR(fdvjp_config_set_layout(cfg, 2), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_config_set_layout:", "layout = 2");
    EXPECT_ERROR(fdvjp_config_set_layout(cfg, -7), FDVJP_INVALID_ARGUMENT, "layout = -7");

    EXPECT_ERROR(fdvjp_config_set_relative_step(cfg, -1e-3), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_config_set_relative_step:", "relative step", "-0.001");
    EXPECT_ERROR(fdvjp_config_set_relative_step(cfg, NAN), FDVJP_INVALID_ARGUMENT,
                 "relative step", "NaN");
    EXPECT_ERROR(fdvjp_config_set_relative_step(cfg, INFINITY), FDVJP_INVALID_ARGUMENT,
                 "relative step", "inf");
    EXPECT_ERROR(fdvjp_config_set_relative_step(cfg, -INFINITY), FDVJP_INVALID_ARGUMENT,
                 "relative step", "-inf");

    EXPECT_ERROR(fdvjp_config_set_steps(cfg, zero_step, N), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_config_set_steps:", "steps[1] = 0");
    EXPECT_ERROR(fdvjp_config_set_steps(cfg, neg_step, N), FDVJP_INVALID_ARGUMENT,
                 "steps[0] = -1");
    EXPECT_ERROR(fdvjp_config_set_steps(cfg, nan_step, N), FDVJP_INVALID_ARGUMENT,
                 "steps[2] = NaN");
    EXPECT_ERROR(fdvjp_config_set_steps(cfg, inf_step, N), FDVJP_INVALID_ARGUMENT,
                 "steps[0] = inf");

    EXPECT_ERROR(fdvjp_config_set_typical(cfg, zero_step, N), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_config_set_typical:", "typical[1] = 0");
    EXPECT_ERROR(fdvjp_config_set_typical(cfg, neg_step, N), FDVJP_INVALID_ARGUMENT,
                 "typical[0] = -1");
    EXPECT_ERROR(fdvjp_config_set_typical(cfg, nan_step, N), FDVJP_INVALID_ARGUMENT,
                 "typical[2] = NaN");

    EXPECT_ERROR(fdvjp_config_set_bounds(cfg, lo, hi, 2), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_config_set_bounds:", "lower[1] = 2", "upper[1] = 1");
    EXPECT_ERROR(fdvjp_config_set_bounds(cfg, same, same, 2), FDVJP_INVALID_ARGUMENT,
                 "lower[0] = 1", "upper[0] = 1");
    EXPECT_ERROR(fdvjp_config_set_bounds(cfg, nan2, one2, 2), FDVJP_INVALID_ARGUMENT,
                 "lower[0] = NaN");
    EXPECT_ERROR(fdvjp_config_set_bounds(cfg, zero2, nan2, 2), FDVJP_INVALID_ARGUMENT,
                 "upper[0] = NaN");
    fdvjp_config_free(cfg);
}

/* A config that is valid on its own but wrong for the problem: checked at each call. */
static void expect_each_driver(fdvjp_config *cfg, const double *x, int32_t status,
                               const char *what, const char *value)
{
    probe p = probe_new();
    fill_outputs();
    EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, x, N, M, V, out_grad), status, "fdvjp_vjp:",
                 what, value);
    EXPECT_ERROR(fdvjp_jvp(cfg, probe_fn, &p, x, N, M, U, out_jvp), status, "fdvjp_jvp:",
                 what, value);
    EXPECT_ERROR(fdvjp_jacobian(cfg, probe_fn, &p, x, N, M, out_jac), status,
                 "fdvjp_jacobian:", what, value);
    CHECK_INT(p.calls, 0);
}

static void test_config_against_problem(void)
{
    const double two[2] = {0.1, 0.1}, lower[N] = {0.0, 0.0, 0.0}, upper[N] = {1.0, 1.0, 1.0};
    const double outside[N] = {0.5, 2.0, 0.5};
    fdvjp_config *cfg = fdvjp_config_new();

    CHECK_STATUS(fdvjp_config_set_steps(cfg, two, 2), FDVJP_OK);
    expect_each_driver(cfg, X, FDVJP_LENGTH_MISMATCH, "config steps has length 2", "n = 3");
    CHECK_STATUS(fdvjp_config_set_steps(cfg, NULL, 0), FDVJP_OK);

    CHECK_STATUS(fdvjp_config_set_typical(cfg, two, 2), FDVJP_OK);
    expect_each_driver(cfg, X, FDVJP_LENGTH_MISMATCH, "config typical has length 2", "n = 3");
    CHECK_STATUS(fdvjp_config_set_typical(cfg, NULL, 0), FDVJP_OK);

    CHECK_STATUS(fdvjp_config_set_bounds(cfg, two, upper, 2), FDVJP_OK);
    expect_each_driver(cfg, X, FDVJP_LENGTH_MISMATCH, "config bounds has length 2", "n = 3");

    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lower, upper, N), FDVJP_OK);
    expect_each_driver(cfg, outside, FDVJP_INVALID_ARGUMENT, "x[1] = 2",
                       "outside its bounds [0, 1]");
    fdvjp_config_free(cfg);
}

/* A sparsity pattern: NULL arrays, and indices that do not fit the problem. */
static void test_sparsity_errors(void)
{
    const size_t rows[3] = {0, 1, 1}, cols[3] = {0, 2, 3}, wide_rows[3] = {0, 2, 0};
    const size_t ok_cols[3] = {0, 1, 2};
    fdvjp_config *cfg = fdvjp_config_new();
    probe p = probe_new();

    fill_outputs();
    EXPECT_ERROR(fdvjp_config_set_sparsity(NULL, rows, cols, 3), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_sparsity:", "cfg is NULL");
    EXPECT_ERROR(fdvjp_config_set_sparsity(cfg, NULL, cols, 3), FDVJP_NULL_POINTER,
                 "fdvjp_config_set_sparsity:", "rows is NULL", "nnz = 3");
    EXPECT_ERROR(fdvjp_config_set_sparsity(cfg, rows, NULL, 3), FDVJP_NULL_POINTER,
                 "cols is NULL", "nnz = 3");

    /* column 3 in a problem with n = 3; row 2 with m = 2 */
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, cols, 3), FDVJP_OK);
    EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, X, N, M, V, out_grad), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_vjp:", "column index 3", "n = 3");
    EXPECT_ERROR(fdvjp_jacobian(cfg, probe_fn, &p, X, N, M, out_jac), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_jacobian:", "column index 3", "n = 3");
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, wide_rows, ok_cols, 3), FDVJP_OK);
    EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, X, N, M, V, out_grad), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_vjp:", "row index 2", "m = 2");
    CHECK_INT(p.calls, 0);
    fdvjp_config_free(cfg);
}

/* ---- non-finite and degenerate inputs ----------------------------------------------------- */

static void test_bad_inputs(void)
{
    probe p = probe_new();
    double x_nan[N] = {0.5, NAN, 0.75}, x_inf[N] = {0.5, 0.25, INFINITY};
    double v_nan[M] = {NAN, 1.0}, u_inf[N] = {0.0, 1.0, -INFINITY}, u_tiny[N] = {1e-320, 0, 0};
    char raw[(N + 1) * sizeof(double)];
    const double *misaligned = (const double *)(void *)(raw + 1);
    size_t huge = (size_t)-1 / 4;

    memset(raw, 0, sizeof raw);
    fill_outputs();
    EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, x_nan, N, M, V, out_grad),
                 FDVJP_INVALID_ARGUMENT, "fdvjp_vjp:", "x[1] = NaN", "not finite");
    EXPECT_ERROR(fdvjp_jvp(NULL, probe_fn, &p, x_inf, N, M, U, out_jvp), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_jvp:", "x[2] = inf");
    EXPECT_ERROR(fdvjp_jacobian(NULL, probe_fn, &p, x_nan, N, M, out_jac),
                 FDVJP_INVALID_ARGUMENT, "fdvjp_jacobian:", "x[1] = NaN");
    EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, X, N, M, v_nan, out_grad),
                 FDVJP_INVALID_ARGUMENT, "fdvjp_vjp:", "v[0] = NaN");
    EXPECT_ERROR(fdvjp_jvp(NULL, probe_fn, &p, X, N, M, u_inf, out_jvp), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_jvp:", "u[2] = -inf");
    CHECK_INT(p.calls, 0);

    /* A subnormal direction: the JVP works along u scaled by a power of two and scales
     * J u back (issue 10; it used to be refused as "u is too small"). J u is subnormal,
     * with the 11 or so bits a subnormal near 1e-320 has. */
    CHECK_STATUS(fdvjp_jvp(NULL, probe_fn, &p, X, N, M, u_tiny, out_jvp), FDVJP_OK);
    CHECK(fabs(out_jvp[0] - X[1] * u_tiny[0]) <= 1e-2 * fabs(X[1] * u_tiny[0]) + 1e-323);
    CHECK(fabs(out_jvp[1] - 2 * X[0] * u_tiny[0]) <= 1e-2 * fabs(2 * X[0] * u_tiny[0]) + 1e-323);
    fill_outputs();

    /* Sizes no buffer can have, and a misaligned array: rejected before any access. */
    p.calls = 0;
    EXPECT_ERROR(fdvjp_jacobian(NULL, probe_fn, &p, X, N, (size_t)-1 / 2 + 1, out_jac),
                 FDVJP_INVALID_ARGUMENT, "fdvjp_jacobian:", "overflows");
    EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, X, huge, M, V, out_grad), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_vjp:", "too large for x");
    /* complex Jacobian: the sizes named are those of its real view, 2m and 2n (probe11 7c:
     * "m*n = 2m*2n") */
    EXPECT_ERROR(fdvjp_complex_jacobian(NULL, never_complex_fn, &p, X, 2, (size_t)-1 / 4, out_jac),
                 FDVJP_INVALID_ARGUMENT, "fdvjp_complex_jacobian: jac: 2m*2n = 9223372036854775806*4 overflows");
    EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, misaligned, N, M, V, out_grad),
                 FDVJP_INVALID_ARGUMENT, "fdvjp_vjp:", "x = ", "not aligned");
    CHECK_INT(p.calls, 0);
}

/* A JVP at a corner of the box along a direction that leaves it both ways: no stencil
 * along u fits, so J u is summed from the columns of the non-zero u_j, each with its own
 * inward stencil; f is never called outside the box (it fails there). */
static void test_no_stencil_fits(void)
{
    const double lower[N] = {0.0, 0.0, 0.0}, upper[N] = {1.0, 1.0, 1.0};
    const double corners[2][N] = {{0.0, 0.0, 0.5}, {0.0, 1.0, 0.5}};
    const double us[2][N] = {{1.0, -1.0, 0.0}, {1.0, 1.0, 0.0}};
    /* J u = (x1 u0 + x0 u1 + cos(x2) u2, 2 x0 u0 - u2) */
    const double want[2][M] = {{0.0, 0.0}, {1.0, 0.0}};
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_report r;
    int k, i;
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lower, upper, N), FDVJP_OK);
    for (k = 0; k < 2; k++) {
        probe p = probe_new();
        p.box = 1;
        fill_outputs();
        if (!CHECK_STATUS(fdvjp_jvp(cfg, probe_fn, &p, corners[k], N, M, us[k], out_jvp),
                          FDVJP_OK))
            continue;
        CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
        CHECK_INT((long)r.directions, 2);
        CHECK(r.error_bound >= 0.0 && r.error_bound < 1e-3); /* one-sided columns: loose */
        for (i = 0; i < M; i++)
            CHECK(fabs(out_jvp[i] - want[k][i]) <= r.error_bound + 1e-12);
        CHECK_INT(p.calls, (long)r.evaluations);
    }
    fdvjp_config_free(cfg);
}

/* ---- a callback that fails at its k-th evaluation ---------------------------------------- */

static void test_callback_failure_at_each_evaluation(void)
{
    static const int32_t schemes[] = {FDVJP_FORWARD, FDVJP_CENTRAL, FDVJP_CENTRAL4};
    static const long vjp_evals[] = {1 + N, 1 + 2 * N, 1 + 4 * N};
    static const long jvp_evals[] = {2, 3, 5};
    size_t s;
    for (s = 0; s < sizeof schemes / sizeof schemes[0]; s++) {
        fdvjp_config *cfg = fdvjp_config_new();
        long k;
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, schemes[s]), FDVJP_OK);
        for (k = 1; k <= vjp_evals[s]; k++) {
            char want[64];
            probe p = probe_new();
            p.fail_at = k;
            p.code = k % 2 ? 7 : -3;
            sprintf(want, "returned %d at evaluation %ld", (int)p.code, k);
            fill_outputs();
            EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, X, N, M, V, out_grad),
                         FDVJP_CALLBACK_FAILED, "fdvjp_vjp:", want);
            CHECK_INT(p.calls, k); /* no evaluation after the failure */
            p.calls = 0;
            EXPECT_ERROR(fdvjp_jacobian(cfg, probe_fn, &p, X, N, M, out_jac),
                         FDVJP_CALLBACK_FAILED, "fdvjp_jacobian:", want);
            CHECK_INT(p.calls, k);
            if (k <= jvp_evals[s]) {
                p.calls = 0;
                EXPECT_ERROR(fdvjp_jvp(cfg, probe_fn, &p, X, N, M, U, out_jvp),
                             FDVJP_CALLBACK_FAILED, "fdvjp_jvp:", want);
                CHECK_INT(p.calls, k);
            }
        }
        /* the first evaluation is at x itself, and the message says so */
        {
            probe p = probe_new();
            p.fail_at = 1;
            p.code = 42;
            EXPECT_ERROR(fdvjp_vjp(cfg, probe_fn, &p, X, N, M, V, out_grad),
                         FDVJP_CALLBACK_FAILED, "returned 42 at evaluation 1 (x)");
        }
        fdvjp_config_free(cfg);
    }
}

/* ---- non-finite values of f ------------------------------------------------------------- */

static void test_nonfinite_at_x(void)
{
    probe p = probe_new();
    fill_outputs();
    p.nonfinite_at_x = 1;
    EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, X, N, M, V, out_grad), FDVJP_NONFINITE_AT_X,
                 "fdvjp_vjp:", "y[1] = NaN");
    EXPECT_ERROR(fdvjp_jacobian(NULL, probe_fn, &p, X, N, M, out_jac), FDVJP_NONFINITE_AT_X,
                 "fdvjp_jacobian:", "y[1] = NaN");
    p.nonfinite_at_x = 2;
    EXPECT_ERROR(fdvjp_jvp(NULL, probe_fn, &p, X, N, M, U, out_jvp), FDVJP_NONFINITE_AT_X,
                 "fdvjp_jvp:", "y[0] = inf");
    CHECK_INT(p.calls, 3); /* one evaluation each: at x */
}

/* Writes only y[0] of its m outputs (a caller passing an m larger than f's outputs). */
static int32_t writes_one(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = x[0];
    return 0;
}

/* An output left unwritten is named as such, on a thread's first call with this m (probe12
   finding 13: "f(x) is not finite: y[2] = NaN" alone, from Fortran's vjp with a v longer
   than f's outputs). */
static void test_unwritten_output_is_named(void)
{
    const double v4[4] = {1.0, 2.0, 3.0, 4.0};
    fill_outputs();
    EXPECT_ERROR(fdvjp_vjp(NULL, writes_one, NULL, X, N, 4, v4, out_grad),
                 FDVJP_NONFINITE_AT_X, "fdvjp_vjp:", "y[1] = NaN", "left unwritten by f");
}

/* f defined only for x >= 2 (NaN below) and smooth up to 2: exp(x - 2), 3x + cos(x). */
static int32_t from_two(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    if (x[0] < 2.0) {
        y[0] = y[1] = NAN;
        return 0;
    }
    y[0] = exp(x[0] - 2.0);
    y[1] = 3.0 * x[0] + cos(x[0]);
    return 0;
}

/* log(x): its domain ends at 0 and it varies on the scale of x itself. */
static int32_t log_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = log(x[0]);
    return 0;
}

static void test_nonfinite_perturbed(void)
{
    static const int32_t schemes[] = {FDVJP_FORWARD, FDVJP_BACKWARD, FDVJP_CENTRAL,
                                      FDVJP_CENTRAL4};
    static const double tols[] = {1e-6, 1e-6, 1e-9, 1e-9};
    const double x_edge = 1e-9, x_two = 2.0 + 1e-9, one = 1.0;
    size_t s;

    /* Recoverable: the stencil crossing 2 meets NaN; one-sided stencils stay in the domain
     * and, f being smooth up to the edge, are as accurate as the scheme. (The same at an
     * edge at 0 is in test_domain_edge.c.) */
    for (s = 0; s < sizeof schemes / sizeof schemes[0]; s++) {
        fdvjp_config *cfg = fdvjp_config_new();
        double jac[2], d[2], want0 = exp(x_two - 2.0), want1 = 3.0 - sin(x_two);
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, schemes[s]), FDVJP_OK);
        CHECK_STATUS(fdvjp_jacobian(cfg, from_two, NULL, &x_two, 1, 2, jac), FDVJP_OK);
        CHECK_CLOSE(jac[0], want0, tols[s]);
        CHECK_CLOSE(jac[1], want1, tols[s]);
        CHECK_STATUS(fdvjp_jvp(cfg, from_two, NULL, &x_two, 1, 2, &one, d), FDVJP_OK);
        CHECK_CLOSE(d[0], want0, tols[s]);
        CHECK_CLOSE(d[1], want1, tols[s]);
        fdvjp_config_free(cfg);
    }

    /* log at 1e-9, with typical magnitude 1e-9 to say on what scale it varies: the step
     * 6e-15 stays in the domain. (With the default typ = 1 the step is 6e-6 > x: see
     * test_log_near_zero.c.) */
    {
        const double typ = 1e-9;
        double g = 0.0;
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_typical(cfg, &typ, 1), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(cfg, log_fn, NULL, &x_edge, 1, 1, &one, &g), FDVJP_OK);
        CHECK_CLOSE(g, 1.0 / x_edge, 1e-8);
        fdvjp_config_free(cfg);
    }

    /* Unrecoverable: finite only at x itself. */
    {
        probe p = probe_new();
        p.only = X;
        fill_outputs();
        EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, X, N, M, V, out_grad),
                     FDVJP_NONFINITE_PERTURBED, "fdvjp_vjp:", "column 0", "y[0] = NaN");
        EXPECT_ERROR(fdvjp_jvp(NULL, probe_fn, &p, X, N, M, U, out_jvp),
                     FDVJP_NONFINITE_PERTURBED, "fdvjp_jvp:", "direction u", "y[0] = NaN");
        EXPECT_ERROR(fdvjp_jacobian(NULL, probe_fn, &p, X, N, M, out_jac),
                     FDVJP_NONFINITE_PERTURBED, "fdvjp_jacobian:", "column 0");
        /* only column 2 is bad: the message names it */
        p.bad_column = 2;
        EXPECT_ERROR(fdvjp_vjp(NULL, probe_fn, &p, X, N, M, V, out_grad),
                     FDVJP_NONFINITE_PERTURBED, "column 2", "x[2]");
    }
}

/* ---- a failed setter leaves the config as it was ------------------------------------------ */

static int32_t square_sum(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t j;
    (void)m;
    if (user != NULL)
        ((probe *)user)->calls++;
    y[0] = 0.0;
    for (j = 0; j < n; j++)
        y[0] += x[j] * x[j];
    return 0;
}

static double taken(double x, double h)
{
    volatile double xp = x + h;
    return xp - x;
}

static void test_failed_setter_keeps_config(void)
{
    const double x[N] = {0.0, 0.5, 1.0}, h[N] = {0.01, 0.02, 0.04}, bad[N] = {0.1, -1, 0.1};
    const double lower[N] = {0.0, 0.0, 0.0}, upper[N] = {1.0, 1.0, 1.0}, one = 1.0;
    double grad[N], jac[M * N], ref[M * N];
    fdvjp_config *cfg = fdvjp_config_new();
    probe p = probe_new();
    size_t j;

    /* scheme: still forward (n + 1 evaluations) */
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, FDVJP_FORWARD), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, 99), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_vjp(cfg, square_sum, &p, x, N, 1, &one, grad), FDVJP_OK);
    CHECK_INT(p.calls, N + 1);

    /* steps: still h (forward difference of x^2 is 2x + h) */
    CHECK_STATUS(fdvjp_config_set_steps(cfg, h, N), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_steps(cfg, bad, N), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_config_set_steps(cfg, NULL, N), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_vjp(cfg, square_sum, NULL, x, N, 1, &one, grad), FDVJP_OK);
    for (j = 0; j < N; j++)
        CHECK_CLOSE(grad[j], 2.0 * x[j] + taken(x[j], h[j]), 1e-12);
    CHECK_STATUS(fdvjp_config_set_steps(cfg, NULL, 0), FDVJP_OK);

    /* relative step: still 1e-3 */
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 1e-3), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, NAN), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_vjp(cfg, square_sum, NULL, x, N, 1, &one, grad), FDVJP_OK);
    for (j = 0; j < N; j++)
        CHECK_CLOSE(grad[j], 2.0 * x[j] + taken(x[j], 1e-3), 1e-12);

    /* typical: still 10 (h = 1e-3 * 10) */
    {
        const double typ[N] = {10.0, 10.0, 10.0};
        CHECK_STATUS(fdvjp_config_set_typical(cfg, typ, N), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_typical(cfg, bad, N), FDVJP_INVALID_ARGUMENT);
        CHECK_STATUS(fdvjp_vjp(cfg, square_sum, NULL, x, N, 1, &one, grad), FDVJP_OK);
        for (j = 0; j < N; j++)
            CHECK_CLOSE(grad[j], 2.0 * x[j] + taken(x[j], 1e-2), 1e-12);
        CHECK_STATUS(fdvjp_config_set_typical(cfg, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 0.0), FDVJP_OK);
    }

    /* bounds: still [0,1]^3, so f (failing outside) is fine at x on the bounds */
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lower, upper, N), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, upper, lower, N), FDVJP_INVALID_ARGUMENT);
    p = probe_new();
    p.box = 1;
    CHECK_STATUS(fdvjp_vjp(cfg, probe_fn, &p, x, N, M, V, grad), FDVJP_OK);
    {
        double want[N];
        probe_grad(x, V, want);
        for (j = 0; j < N; j++)
            CHECK_CLOSE(grad[j], want[j], 1e-8);
    }

    /* sparsity: still the pattern {(0,0), (0,1), (1,2)}: columns {0, 2} and {1}, so a
     * forward Jacobian costs 1 + 2 evaluations instead of 1 + 3 */
    {
        const size_t rows[3] = {0, 0, 1}, cols[3] = {0, 1, 2};
        fdvjp_config *sparse = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_scheme(sparse, FDVJP_FORWARD), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_sparsity(sparse, rows, cols, 3), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_sparsity(sparse, rows, NULL, 3), FDVJP_NULL_POINTER);
        p = probe_new();
        CHECK_STATUS(fdvjp_jacobian(sparse, probe_fn, &p, X, N, M, jac), FDVJP_OK);
        CHECK_INT(p.calls, 3);
        fdvjp_config_free(sparse);
    }

    /* layout: still column-major */
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, NULL, NULL, 0), FDVJP_OK);
    p = probe_new();
    CHECK_STATUS(fdvjp_jacobian(cfg, probe_fn, &p, X, N, M, ref), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_layout(cfg, FDVJP_COL_MAJOR), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_layout(cfg, 5), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_jacobian(cfg, probe_fn, &p, X, N, M, jac), FDVJP_OK);
    for (j = 0; j < N; j++) {
        CHECK(jac[j * M + 0] == ref[0 * N + j]);
        CHECK(jac[j * M + 1] == ref[1 * N + j]);
    }
    fdvjp_config_free(cfg);
}

/* ---- fdvjp_last_error ---------------------------------------------------------------------- */

static void test_last_error_semantics(void)
{
    char buf[256], small[8], one[1], untouched[4];
    size_t len;
    probe p = probe_new();
    double g[N];

    CHECK_STATUS(fdvjp_vjp(NULL, probe_fn, &p, NULL, N, M, V, g), FDVJP_NULL_POINTER);
    len = fdvjp_last_error(NULL, 0);
    CHECK(len > 0);
    CHECK(fdvjp_last_error(buf, sizeof buf) == len);
    CHECK(strlen(buf) == len);
    CHECK(strcmp(buf, "fdvjp_vjp: x is NULL but n = 3") == 0);
    /* reading it does not clear it */
    CHECK(fdvjp_last_error(NULL, 0) == len);

    /* truncated to len - 1 bytes and NUL-terminated; still returns the full length */
    CHECK(fdvjp_last_error(small, sizeof small) == len);
    CHECK(strlen(small) == sizeof small - 1);
    CHECK(strncmp(small, buf, sizeof small - 1) == 0);
    one[0] = 'z';
    CHECK(fdvjp_last_error(one, 1) == len);
    CHECK(one[0] == '\0');
    memset(untouched, 'q', sizeof untouched);
    CHECK(fdvjp_last_error(untouched, 0) == len);
    CHECK(untouched[0] == 'q' && untouched[3] == 'q');

    /* the next failure replaces it */
    CHECK_STATUS(fdvjp_config_set_scheme(NULL, 0), FDVJP_NULL_POINTER);
    fdvjp_last_error(buf, sizeof buf);
    CHECK(strcmp(buf, "fdvjp_config_set_scheme: cfg is NULL") == 0);

    /* a successful call clears it: computations and setters alike */
    CHECK_STATUS(fdvjp_vjp(NULL, probe_fn, &p, X, N, M, V, g), FDVJP_OK);
    CHECK(fdvjp_last_error(NULL, 0) == 0);
    buf[0] = 'x';
    CHECK(fdvjp_last_error(buf, sizeof buf) == 0);
    CHECK(buf[0] == '\0');
    {
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, 77), FDVJP_INVALID_ARGUMENT);
        CHECK(fdvjp_last_error(NULL, 0) > 0);
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, FDVJP_CENTRAL4), FDVJP_OK);
        CHECK(fdvjp_last_error(NULL, 0) == 0);
        fdvjp_config_free(cfg);
    }
}

/* The message is per thread: a failure on another thread is not seen here. */
static void *fail_on_other_thread(void *arg)
{
    size_t *seen = (size_t *)arg;
    seen[0] = fdvjp_last_error(NULL, 0); /* nothing failed on this thread yet */
    fdvjp_config_set_layout(NULL, 0);
    seen[1] = fdvjp_last_error(NULL, 0);
    return NULL;
}

static void test_last_error_is_per_thread(void)
{
    pthread_t thread;
    size_t seen[2] = {99, 0};
    char buf[128];
    CHECK_STATUS(fdvjp_config_set_scheme(NULL, 0), FDVJP_NULL_POINTER);
    CHECK(pthread_create(&thread, NULL, fail_on_other_thread, seen) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(seen[0] == 0);
    CHECK(seen[1] == strlen("fdvjp_config_set_layout: cfg is NULL"));
    fdvjp_last_error(buf, sizeof buf);
    CHECK(strcmp(buf, "fdvjp_config_set_scheme: cfg is NULL") == 0);
}

/* ---- fdvjp_status_str and fdvjp_config_free(NULL) ------------------------------------------- */

static void test_status_names(void)
{
    static const struct {
        int32_t code;
        const char *name;
    } names[] = {
        {FDVJP_OK, "FDVJP_OK"},
        {FDVJP_NULL_POINTER, "FDVJP_NULL_POINTER"},
        {FDVJP_INVALID_ARGUMENT, "FDVJP_INVALID_ARGUMENT"},
        {FDVJP_LENGTH_MISMATCH, "FDVJP_LENGTH_MISMATCH"},
        {FDVJP_CALLBACK_FAILED, "FDVJP_CALLBACK_FAILED"},
        {FDVJP_NONFINITE_AT_X, "FDVJP_NONFINITE_AT_X"},
        {FDVJP_NONFINITE_PERTURBED, "FDVJP_NONFINITE_PERTURBED"},
        {FDVJP_UNKNOWN_VAR, "FDVJP_UNKNOWN_VAR"},
        {FDVJP_SHAPE_MISMATCH, "FDVJP_SHAPE_MISMATCH"},
        {FDVJP_CANCELLED, "FDVJP_CANCELLED"},
        {FDVJP_OUT_OF_MEMORY, "FDVJP_OUT_OF_MEMORY"},
        {FDVJP_INTERNAL_ERROR, "FDVJP_INTERNAL_ERROR"},
    };
    static const int32_t unknown[] = {12, 100, -1, INT32_MAX, INT32_MIN};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK_INT(names[i].code, (long long)i); /* the codes are 0, 1, 2, ... */
        CHECK(strcmp(fdvjp_status_str(names[i].code), names[i].name) == 0);
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK(strcmp(fdvjp_status_str(unknown[i]), "FDVJP_UNKNOWN_STATUS") == 0);
}

/* fdvjp_config_free(NULL) is a no-op (valgrind checks the memory side); it is not a
 * fallible call, so it leaves the last error of the previous one alone. */
static void test_config_free_null(void)
{
    size_t len;
    CHECK_STATUS(fdvjp_config_set_scheme(NULL, 0), FDVJP_NULL_POINTER);
    len = fdvjp_last_error(NULL, 0);
    fdvjp_config_free(NULL);
    CHECK(len > 0 && fdvjp_last_error(NULL, 0) == len);
}

int main(void)
{
    test_null_pointers();
    test_bad_config_values();
    test_config_against_problem();
    test_sparsity_errors();
    test_bad_inputs();
    test_no_stencil_fits();
    test_callback_failure_at_each_evaluation();
    test_nonfinite_at_x();
    test_unwritten_output_is_named();
    test_nonfinite_perturbed();
    test_failed_setter_keeps_config();
    test_last_error_semantics();
    test_last_error_is_per_thread();
    test_status_names();
    test_config_free_null();
    return check_summary("test_errors");
}
