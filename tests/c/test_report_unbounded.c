/*
 * test_report_unbounded.c: fdvjp_report's error_bound never understates (issue 11). When
 * some directions of a call have no bound (forward or backward columns not refined,
 * fourth order, adaptive steps, the caller's steps), error_bound is NaN and
 * unbounded_directions counts them; otherwise error_bound covers every entry's error.
 *
 * f: y_i = sum_j a_ij exp(b_j x_j), m = 2, n = 4, coefficients log-uniform in 1e-3..1e3,
 * |b_j| in 0.5..6, x_j near 0 (1e-6..1e-3) or well-scaled (0.1..1), at 40 random points.
 * Exact answers: the analytic Jacobian. Covered: |got - exact| <= error_bound + 4 eps
 * sum_i |w_i y_i| / h_j (the rounding of f's values at the plain step h_j).
 *
 * Before: forward differences on such a mix reported the bound of the columns near 0
 * only, far below the error of the others (the minimal case below: 2.7e-3 against 6.9e-8).
 */
#include <float.h>
#include <stddef.h>

#include "check.h"

#define N 4
#define M 2

typedef struct {
    double a[M][N], b[N];
} problem;

static int32_t sum_exp(void *user, const double *x, size_t n, double *y, size_t m)
{
    const problem *p = (const problem *)user;
    if (n != N || m != M)
        return 99;
    for (int i = 0; i < M; i++) {
        y[i] = 0.0;
        for (int j = 0; j < N; j++)
            y[i] += p->a[i][j] * exp(p->b[j] * x[j]);
    }
    return 0;
}

static fdvjp_report report(void)
{
    fdvjp_report r;
    memset(&r, 0xff, sizeof r);
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    return r;
}

/* The report's NaN and its count agree: NaN exactly when some direction is unbounded
 * (or none was bounded at all). */
static void check_consistent(fdvjp_report r)
{
    CHECK(r.unbounded_directions == 0 || isnan(r.error_bound));
    CHECK(r.unbounded_directions <= r.directions);
}

static int covers(double bound, double err, double rounding)
{
    return isnan(bound) || err <= bound + rounding;
}

/* The minimal case: forward differences of 1e-3 sin(x0) + 100 exp(5 x1) at (1e4, 1):
 * column 0 (far above typ) is checked and bounded, column 1 is not. */
static int32_t two_terms(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = 1e-3 * sin(x[0]) + 100.0 * exp(5.0 * x[1]);
    return 0;
}

static void minimal(void)
{
    const double x[2] = {1e4, 1.0}, v[1] = {1.0};
    double g[2];
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, FDVJP_FORWARD), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, two_terms, NULL, x, 2, 1, v, g), FDVJP_OK);
    fdvjp_report r = report();
    CHECK(fabs(g[1] - 500.0 * exp(5.0)) > 1e-3);
    CHECK(isnan(r.error_bound));
    CHECK_INT((long)r.unbounded_directions, 1);
    CHECK_INT((long)r.directions, 2);
    /* Central differences bound both columns. */
    CHECK_STATUS(fdvjp_vjp(NULL, two_terms, NULL, x, 2, 1, v, g), FDVJP_OK);
    r = report();
    CHECK_INT((long)r.unbounded_directions, 0);
    CHECK(isfinite(r.error_bound));
    CHECK(fabs(g[1] - 500.0 * exp(5.0)) <= r.error_bound);
    CHECK(fabs(g[0] - 1e-3 * cos(1e4)) <= r.error_bound);
    fdvjp_config_free(cfg);
}

/* The plain step of the scheme along e_j. */
static double step(int32_t scheme, double xj)
{
    double r = scheme == FDVJP_CENTRAL ? cbrt(DBL_EPSILON)
               : scheme == FDVJP_CENTRAL4 ? pow(DBL_EPSILON, 0.2)
                                          : sqrt(DBL_EPSILON);
    return r * (fabs(xj) > 1.0 ? fabs(xj) : 1.0);
}

static void random_points(void)
{
    uint64_t state = 0x2545f4914f6cdd1dULL;
    const int32_t schemes[4] = {FDVJP_CENTRAL, FDVJP_FORWARD, FDVJP_BACKWARD, FDVJP_CENTRAL4};
    for (int point = 0; point < 40; point++) {
        problem p;
        double x[N], w[N], y[M];
        for (int j = 0; j < N; j++) {
            for (int i = 0; i < M; i++)
                p.a[i][j] = pow(10.0, check_uniform(&state, -3.0, 3.0));
            p.b[j] = check_uniform(&state, 0.5, 6.0) * (check_uniform(&state, -1, 1) < 0 ? -1 : 1);
            double mag = check_uniform(&state, 0, 1) < 0.5
                             ? pow(10.0, check_uniform(&state, -6.0, -3.0))
                             : pow(10.0, check_uniform(&state, -1.0, 0.0));
            x[j] = check_uniform(&state, -1, 1) < 0 ? -mag : mag;
            w[j] = check_uniform(&state, -1.0, 1.0);
        }
        sum_exp(&p, x, N, y, M);
        const double v[M] = {0.8, -0.6};
        for (int mode = 0; mode < 6; mode++) {
            fdvjp_config *cfg = fdvjp_config_new();
            int32_t scheme = mode < 4 ? schemes[mode] : FDVJP_CENTRAL;
            CHECK_STATUS(fdvjp_config_set_scheme(cfg, scheme), FDVJP_OK);
            if (mode == 4)
                CHECK_STATUS(fdvjp_config_set_adaptive(cfg, 1), FDVJP_OK);
            if (mode == 5)
                CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 1e-6), FDVJP_OK);

            double g[N], jac[M * N], jv[M];
            CHECK_STATUS(fdvjp_vjp(cfg, sum_exp, &p, x, N, M, v, g), FDVJP_OK);
            fdvjp_report r = report();
            check_consistent(r);
            for (int j = 0; j < N; j++) {
                double exact = 0.0, size = 0.0;
                for (int i = 0; i < M; i++) {
                    exact += v[i] * p.a[i][j] * p.b[j] * exp(p.b[j] * x[j]);
                    size += fabs(v[i] * y[i]);
                }
                CHECK(covers(r.error_bound, fabs(g[j] - exact),
                             4.0 * DBL_EPSILON * size / step(scheme, x[j])));
            }

            CHECK_STATUS(fdvjp_jacobian(cfg, sum_exp, &p, x, N, M, jac), FDVJP_OK);
            r = report();
            check_consistent(r);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) {
                    double exact = p.a[i][j] * p.b[j] * exp(p.b[j] * x[j]);
                    CHECK(covers(r.error_bound, fabs(jac[i * N + j] - exact),
                                 4.0 * DBL_EPSILON * fabs(y[i]) / step(scheme, x[j])));
                }

            CHECK_STATUS(fdvjp_jvp(cfg, sum_exp, &p, x, N, M, w, jv), FDVJP_OK);
            r = report();
            check_consistent(r);
            double t = INFINITY;
            for (int j = 0; j < N; j++)
                if (w[j] != 0.0 && step(scheme, x[j]) / fabs(w[j]) < t)
                    t = step(scheme, x[j]) / fabs(w[j]);
            for (int i = 0; i < M; i++) {
                double exact = 0.0;
                for (int j = 0; j < N; j++)
                    exact += p.a[i][j] * p.b[j] * exp(p.b[j] * x[j]) * w[j];
                CHECK(covers(r.error_bound, fabs(jv[i] - exact),
                             4.0 * DBL_EPSILON * fabs(y[i]) / t));
            }
            fdvjp_config_free(cfg);
        }
    }
}

int main(void)
{
    minimal();
    random_points();
    return check_summary("test_report_unbounded");
}
