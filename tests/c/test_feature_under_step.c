/*
 * A pole within the default step of one well-scaled input, through the C API (README,
 * "Step rule", rule 3): the report's bound of a VJP, a Jacobian or a JVP covers the error
 * or is NaN, never a finite bound the error exceeds; and the smooth case that looks the
 * same to three points (a double root, f and f' both 0 along the input) keeps a finite
 * bound that covers, at 2 more evaluations for the check at half the step.
 */
#include <stdlib.h>

#include "check.h"

typedef struct {
    double a, c; /* the pole c / (x2 - a) */
    long calls;
} pole;

/* y0 = 3 sin x0 + x1 x2 + c / (x2 - a), y1 = cos x1 + x0. */
static int32_t with_pole(void *user, const double *x, size_t n, double *y, size_t m)
{
    pole *p = user;
    (void)n;
    (void)m;
    p->calls++;
    y[0] = 3.0 * sin(x[0]) + x[1] * x[2] + p->c / (x[2] - p->a);
    y[1] = cos(x[1]) + x[0];
    return 0;
}

static void pole_jacobian(const pole *p, const double *x, double *J)
{
    double d = x[2] - p->a;
    J[0] = 3.0 * cos(x[0]);
    J[1] = x[2];
    J[2] = x[1] - p->c / (d * d);
    J[3] = 1.0;
    J[4] = -sin(x[1]);
    J[5] = 0.0;
}

/* Whether every entry lies within the reported bound plus 4e-15 of its size. */
static int covered(const double *got, const double *want, size_t k, double bound)
{
    size_t i;
    for (i = 0; i < k; i++)
        if (fabs(got[i] - want[i]) > bound + 4e-15 * (fabs(want[i]) + 1.0))
            return 0;
    return 1;
}

/* The last call's bound: NaN adds one to *nan_bounds; a finite one must cover every entry. */
static void covered_or_unbounded(const double *got, const double *want, size_t k,
                                 int *nan_bounds)
{
    fdvjp_report r;
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    if (isnan(r.error_bound))
        (*nan_bounds)++;
    else
        CHECK(covered(got, want, k, r.error_bound));
}

static void poles_are_covered_or_unbounded(void)
{
    uint64_t rng = 20261130, rng_u = 1132; /* the JVPs' directions: a stream of their own */
    int k, nan_bounds = 0, jvp_nan_bounds = 0;
    for (k = 0; k < 300; k++) {
        double x[3], v[2], J[6], want[3], grad[3], jac[6], u[3], jv[2], jv_want[2];
        double d, sign;
        pole p;
        size_t j;
        for (j = 0; j < 3; j++)
            x[j] = check_uniform_well_scaled(&rng, 0.1, 4.0);
        v[0] = check_uniform(&rng, -1.0, 1.0);
        v[1] = check_uniform(&rng, -1.0, 1.0);
        /* 1e-9..1e-5 from x2 (the step is about 6e-6 max(|x2|, 1)), moving f by 1e-6..1e-2 */
        sign = check_uniform(&rng, 0.0, 1.0) < 0.5 ? -1.0 : 1.0;
        d = sign * exp(check_uniform(&rng, log(1e-9), log(1e-5)));
        p.a = x[2] + d;
        p.c = exp(check_uniform(&rng, log(1e-6), log(1e-2))) * fabs(d);
        p.calls = 0;
        pole_jacobian(&p, x, J);
        for (j = 0; j < 3; j++)
            want[j] = v[0] * J[j] + v[1] * J[3 + j];

        CHECK_STATUS(fdvjp_vjp(NULL, with_pole, &p, x, 3, 2, v, grad), FDVJP_OK);
        covered_or_unbounded(grad, want, 3, &nan_bounds);
        CHECK_STATUS(fdvjp_jacobian(NULL, with_pole, &p, x, 3, 2, jac), FDVJP_OK);
        covered_or_unbounded(jac, J, 6, &nan_bounds);

        for (j = 0; j < 3; j++)
            u[j] = check_uniform(&rng_u, -1.0, 1.0);
        for (j = 0; j < 2; j++)
            jv_want[j] = J[3 * j] * u[0] + J[3 * j + 1] * u[1] + J[3 * j + 2] * u[2];
        CHECK_STATUS(fdvjp_jvp(NULL, with_pole, &p, x, 3, 2, u, jv), FDVJP_OK);
        covered_or_unbounded(jv, jv_want, 2, &jvp_nan_bounds);
    }
    /* The pole is seen: most calls say they cannot bound it (the JVP's check, on one
     * direction, keeps the bound where its two second differences vary as noise's: 221 of
     * 300 NaN; before its vector was checked, 157 of 300 bounds were short). */
    CHECK(nan_bounds > 300);
    CHECK(jvp_nan_bounds > 150);
    printf("poles under the step: %d of 600 results without a bound, JVPs %d of 300\n",
           nan_bounds, jvp_nan_bounds);
}

enum { TRI = 6 };

typedef struct {
    double a, c; /* the pole c / (x_p - a) in y_p */
    size_t p;
} tri_pole;

/* y_i = 3 sin(x_i + i) + x_(i-1) x_(i+1) / 4 (tridiagonal), plus the pole in y_p. */
static int32_t tridiagonal(void *user, const double *x, size_t n, double *y, size_t m)
{
    const tri_pole *t = user;
    size_t i;
    (void)m;
    for (i = 0; i < n; i++)
        y[i] = 3.0 * sin(x[i] + (double)i) +
               (i > 0 ? x[i - 1] : 1.0) * (i + 1 < n ? x[i + 1] : 1.0) / 4.0;
    y[t->p] += t->c / (x[t->p] - t->a);
    return 0;
}

/* The same through a declared tridiagonal pattern (3 column groups of 2 columns): a
 * group's bound covers or is NaN (before groups were checked, 167 of 200 were short). */
static void poles_under_a_group_step_are_covered_or_unbounded(void)
{
    uint64_t rng = 1133;
    size_t rows[3 * TRI], cols[3 * TRI], nnz = 0, i, k;
    int trial, nan_bounds = 0;
    fdvjp_config *cfg = fdvjp_config_new();
    for (i = 0; i < TRI; i++)
        for (k = i > 0 ? i - 1 : 0; k < TRI && k <= i + 1; k++) {
            rows[nnz] = i;
            cols[nnz] = k;
            nnz++;
        }
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, cols, nnz), FDVJP_OK);
    for (trial = 0; trial < 200; trial++) {
        double x[TRI], J[TRI * TRI] = {0}, jac[TRI * TRI], d, sign;
        tri_pole t;
        for (i = 0; i < TRI; i++)
            x[i] = check_uniform_well_scaled(&rng, 0.1, 4.0);
        t.p = (size_t)(check_uniform(&rng, 0.0, 1.0) * TRI) % TRI;
        sign = check_uniform(&rng, 0.0, 1.0) < 0.5 ? -1.0 : 1.0;
        d = sign * exp(check_uniform(&rng, log(1e-9), log(1e-5)));
        t.a = x[t.p] + d;
        t.c = exp(check_uniform(&rng, log(1e-6), log(1e-2))) * fabs(d);
        for (i = 0; i < TRI; i++) {
            J[i * TRI + i] = 3.0 * cos(x[i] + (double)i);
            if (i > 0)
                J[i * TRI + i - 1] = (i + 1 < TRI ? x[i + 1] : 1.0) / 4.0;
            if (i + 1 < TRI)
                J[i * TRI + i + 1] = (i > 0 ? x[i - 1] : 1.0) / 4.0;
        }
        J[t.p * TRI + t.p] -= t.c / ((x[t.p] - t.a) * (x[t.p] - t.a));
        CHECK_STATUS(fdvjp_jacobian(cfg, tridiagonal, &t, x, TRI, TRI, jac), FDVJP_OK);
        covered_or_unbounded(jac, J, TRI * TRI, &nan_bounds);
    }
    CHECK(nan_bounds > 100);
    printf("poles under a group's step: %d of 200 Jacobians without a bound\n", nan_bounds);
    fdvjp_config_free(cfg);
}

typedef struct {
    double a, k;
    long calls;
} root;

/* y0 = k (x0 - a)^2 (1 + 0.1 sin x1), y1 = cos x1 + x2; the VJP weights y0 only. */
static int32_t double_root(void *user, const double *x, size_t n, double *y, size_t m)
{
    root *p = user;
    (void)n;
    (void)m;
    p->calls++;
    y[0] = p->k * (x[0] - p->a) * (x[0] - p->a) * (1.0 + 0.1 * sin(x[1]));
    y[1] = cos(x[1]) + x[2];
    return 0;
}

static void a_double_root_keeps_its_bound(void)
{
    uint64_t rng = 1131;
    int k;
    for (k = 0; k < 200; k++) {
        double x[3], v[2] = {1.0, 0.0}, grad[3], zero[3] = {0.0, 0.0, 0.0};
        root p;
        fdvjp_report r;
        p.a = check_uniform_well_scaled(&rng, 0.1, 4.0);
        p.k = exp(check_uniform(&rng, log(1e-3), log(1e3)));
        p.calls = 0;
        x[0] = p.a;
        x[1] = check_uniform_well_scaled(&rng, 0.1, 1.0);
        x[2] = check_uniform_well_scaled(&rng, 0.1, 1.0);
        CHECK_STATUS(fdvjp_vjp(NULL, double_root, &p, x, 3, 2, v, grad), FDVJP_OK);
        CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
        CHECK(isfinite(r.error_bound));
        CHECK(covered(grad, zero, 3, r.error_bound));
        CHECK_INT(p.calls, 1 + 2 * 3 + 2);
        CHECK_INT((long long)r.evaluations, 1 + 2 * 3 + 2);
    }
}

int main(void)
{
    poles_are_covered_or_unbounded();
    poles_under_a_group_step_are_covered_or_unbounded();
    a_double_root_keeps_its_bound();
    return check_summary("test_feature_under_step");
}
