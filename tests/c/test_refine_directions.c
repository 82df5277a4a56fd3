/*
 * test_refine_directions.c: issue 11's step refinement through the C API for a JVP
 * direction and for sparse (coloured) column groups, default config, no typical
 * magnitudes.
 *
 * Badly scaled (each against its exact derivative): the JVP of sum_j g(x_j) along a
 * random u, relative to sum_j |g'(x_j) u_j|, and the sparse Jacobian and VJP of
 * y_i = g(x_i) with a diagonal pattern, entry by entry. g = log at 1e-9..1e-6, 1/x at
 * 1e-4, exp(1e6 x) at 1e-7, sin at 1e4..1e7: 1e-7 relative (the goal; before
 * this change 1e-4 to 1 off, with FDVJP_OK); cos at 1e-7..1e-6: 1e-5.
 * Well scaled (sin at 0.5..2): the JVP costs exactly 3 evaluations and refines nothing.
 */
#include "check.h"

#define N 8

typedef double (*scalar)(double);

static double recip(double x) { return 1.0 / x; }
static double d_log(double x) { return 1.0 / x; }
static double d_recip(double x) { return -1.0 / (x * x); }
static double exp6(double x) { return exp(1e6 * x); }
static double d_exp6(double x) { return 1e6 * exp(1e6 * x); }
static double d_cos(double x) { return -sin(x); }

struct fn {
    const char *name;
    scalar g, dg;
    double low, high, tol;
};

static const struct fn FNS[] = {
    {"log", log, d_log, 1e-9, 1e-6, 1e-7},
    {"1/x", recip, d_recip, 0.5e-4, 2e-4, 1e-7},
    {"exp(1e6 x)", exp6, d_exp6, 0.5e-7, 2e-7, 1e-7},
    {"sin", sin, cos, 1e4, 1e7, 1e-7},
    {"cos", cos, d_cos, 1e-7, 1e-6, 1e-5},
};

static size_t evaluations;

/* y[0] = sum_j g(x_j) */
static int32_t sum_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    scalar g = ((const struct fn *)user)->g;
    (void)m;
    evaluations++;
    y[0] = 0.0;
    for (size_t j = 0; j < n; j++)
        y[0] += g(x[j]);
    return 0;
}

/* y[i] = g(x_i) */
static int32_t diagonal_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    scalar g = ((const struct fn *)user)->g;
    (void)m;
    evaluations++;
    for (size_t i = 0; i < n; i++)
        y[i] = g(x[i]);
    return 0;
}

static int32_t smooth_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    evaluations++;
    for (size_t i = 0; i < m; i++) {
        y[i] = 0.0;
        for (size_t j = 0; j < n; j++)
            y[i] += sin((double)(i + 1) * 0.5 * x[j] + (double)j);
    }
    return 0;
}

static void check_relative(double err, double tol, const char *what)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s: relative error %.2g <= %.2g", what, err, tol);
    if (!CHECK(err <= tol))
        fprintf(stderr, "    %s\n", buf);
    printf("  %s\n", buf);
}

int main(void)
{
    uint64_t state = 0x9e3779b97f4a7c15ULL;
    size_t rows[N], cols[N];
    for (size_t i = 0; i < N; i++)
        rows[i] = cols[i] = i;
    fdvjp_config *sparse = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_sparsity(sparse, rows, cols, N), FDVJP_OK);

    for (size_t k = 0; k < sizeof FNS / sizeof FNS[0]; k++) {
        const struct fn *f = &FNS[k];
        double x[N], u[N], ones[N], jvp = 0.0, want = 0.0, size = 0.0;
        for (size_t j = 0; j < N; j++) {
            x[j] = exp(check_uniform(&state, log(f->low), log(f->high)));
            u[j] = check_uniform(&state, -1.0, 1.0);
            ones[j] = 1.0;
            want += f->dg(x[j]) * u[j];
            size += fabs(f->dg(x[j]) * u[j]);
        }
        char what[128];

        /* JVP along u */
        CHECK_STATUS(fdvjp_jvp(NULL, sum_fn, (void *)f, x, N, 1, u, &jvp), FDVJP_OK);
        snprintf(what, sizeof what, "jvp %s", f->name);
        check_relative(fabs(jvp - want) / size, f->tol, what);
        fdvjp_report r;
        CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
        /* refined, or (log near 0) moved to its own scale after a NaN */
        CHECK(r.refined_large + r.refined_rounding + r.nonfinite_fallbacks == 1);

        /* sparse Jacobian and VJP, diagonal pattern: one group */
        double jac[N * N], grad[N], worst = 0.0, worst_vjp = 0.0;
        CHECK_STATUS(fdvjp_jacobian(sparse, diagonal_fn, (void *)f, x, N, N, jac), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(sparse, diagonal_fn, (void *)f, x, N, N, ones, grad), FDVJP_OK);
        for (size_t i = 0; i < N; i++) {
            double d = f->dg(x[i]);
            double e = fabs(jac[i * N + i] - d) / fabs(d);
            worst = e > worst ? e : worst;
            e = fabs(grad[i] - d) / fabs(d);
            worst_vjp = e > worst_vjp ? e : worst_vjp;
            for (size_t j = 0; j < N; j++)
                if (j != i)
                    CHECK(jac[i * N + j] == 0.0);
        }
        snprintf(what, sizeof what, "sparse jacobian %s", f->name);
        check_relative(worst, f->tol, what);
        snprintf(what, sizeof what, "sparse vjp %s", f->name);
        check_relative(worst_vjp, f->tol, what);
    }

    /* Well scaled: 3 evaluations, nothing refined, the plain rule's value. */
    double x[N], u[N], jvp[2];
    for (size_t j = 0; j < N; j++) {
        x[j] = check_uniform(&state, 0.5, 2.0);
        u[j] = check_uniform(&state, -1.0, 1.0);
    }
    evaluations = 0;
    CHECK_STATUS(fdvjp_jvp(NULL, smooth_fn, NULL, x, N, 2, u, jvp), FDVJP_OK);
    CHECK_INT((long long)evaluations, 3);
    fdvjp_report r;
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT((long long)(r.refined_large + r.refined_rounding + r.refined_noise), 0);
    for (size_t i = 0; i < 2; i++) {
        double want = 0.0;
        for (size_t j = 0; j < N; j++)
            want += (double)(i + 1) * 0.5 * cos((double)(i + 1) * 0.5 * x[j] + (double)j) * u[j];
        CHECK_CLOSE(jvp[i], want, 1e-9);
    }
    fdvjp_config_free(sparse);
    return check_summary("test_refine_directions");
}
