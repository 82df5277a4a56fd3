/*
 * test_fd.c: fdvjp_vjp, fdvjp_jvp and fdvjp_jacobian against analytic derivatives, for
 * every scheme and both layouts; the step rules (relative, absolute, typical magnitudes);
 * bounds; a sparsity pattern; exact evaluation counts; empty problems; distinct configs
 * used on several threads at once.
 *
 * Tolerances are on |got - want| <= tol * max(1, |want|), per scheme at the default steps
 * (see SCHEMES): 25x to 80x above the worst error measured on these functions (the table
 * the program prints).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

/* Passed as `user` to the test functions (or NULL): counts evaluations, and classifies
 * each one against `base` (when set) as lying above or below it in some coordinate. */
typedef struct {
    long calls;
    const double *base;
    long above;
    long below;
} tally;

static void tally_point(void *user, const double *x, size_t n)
{
    tally *t = (tally *)user;
    size_t j;
    int up = 0, down = 0;
    if (t == NULL)
        return;
    t->calls++;
    if (t->base == NULL)
        return;
    for (j = 0; j < n; j++) {
        up |= x[j] > t->base[j];
        down |= x[j] < t->base[j];
    }
    t->above += up;
    t->below += down;
}

static tally tally_at(const double *base)
{
    tally t;
    t.calls = 0;
    t.base = base;
    t.above = 0;
    t.below = 0;
    return t;
}

/* ---- test functions with analytic Jacobians (row-major m x n) ---------------------- */

/* R^3 -> R^2: y0 = x0^2 x1 + 3 x2^3, y1 = x0 x1 x2 - 2 x1^2 + x0. */
static int32_t poly(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)m;
    tally_point(user, x, n);
    y[0] = x[0] * x[0] * x[1] + 3.0 * x[2] * x[2] * x[2];
    y[1] = x[0] * x[1] * x[2] - 2.0 * x[1] * x[1] + x[0];
    return 0;
}

static void poly_jac(const double *x, double *J)
{
    J[0] = 2.0 * x[0] * x[1];
    J[1] = x[0] * x[0];
    J[2] = 9.0 * x[2] * x[2];
    J[3] = x[1] * x[2] + 1.0;
    J[4] = x[0] * x[2] - 4.0 * x[1];
    J[5] = x[0] * x[1];
}

/* R^n -> R: log(sum exp(x_i)), computed stably. */
static double logsumexp_value(const double *x, size_t n)
{
    double mx = x[0], s = 0.0;
    size_t i;
    for (i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (i = 0; i < n; i++)
        s += exp(x[i] - mx);
    return mx + log(s);
}

static int32_t logsumexp(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)m;
    tally_point(user, x, n);
    y[0] = logsumexp_value(x, n);
    return 0;
}

#define LSE_N 6
static void logsumexp_jac(const double *x, double *J) /* the softmax */
{
    double l = logsumexp_value(x, LSE_N);
    size_t i;
    for (i = 0; i < LSE_N; i++)
        J[i] = exp(x[i] - l);
}

/* R^4 -> R^4 elementwise: y_i = exp(x_i) sin(x_i). */
static int32_t expsin(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i;
    tally_point(user, x, n);
    for (i = 0; i < m; i++)
        y[i] = exp(x[i]) * sin(x[i]);
    return 0;
}

static void expsin_jac(const double *x, double *J)
{
    size_t i, j;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 4; j++)
            J[i * 4 + j] = i == j ? exp(x[i]) * (sin(x[i]) + cos(x[i])) : 0.0;
}

/* R^2 -> R^4: more outputs than inputs. */
static int32_t tall(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)m;
    tally_point(user, x, n);
    y[0] = sin(x[0]) * cos(x[1]);
    y[1] = x[0] * x[1];
    y[2] = exp(x[0] - x[1]);
    y[3] = x[0] * x[0] + x[1] * x[1];
    return 0;
}

static void tall_jac(const double *x, double *J)
{
    double e = exp(x[0] - x[1]);
    J[0] = cos(x[0]) * cos(x[1]);
    J[1] = -sin(x[0]) * sin(x[1]);
    J[2] = x[1];
    J[3] = x[0];
    J[4] = e;
    J[5] = -e;
    J[6] = 2.0 * x[0];
    J[7] = 2.0 * x[1];
}

typedef struct {
    const char *name;
    fdvjp_fn f;
    void (*jac)(const double *x, double *J);
    size_t n, m;
    double lo, hi; /* random points are drawn from [lo, hi)^n */
} test_function;

static const test_function FUNCTIONS[] = {
    {"poly R^3->R^2", poly, poly_jac, 3, 2, -2.0, 2.0},
    {"logsumexp R^6->R", logsumexp, logsumexp_jac, LSE_N, 1, -3.0, 3.0},
    {"exp*sin R^4->R^4", expsin, expsin_jac, 4, 4, -2.0, 2.0},
    {"tall R^2->R^4", tall, tall_jac, 2, 4, -1.5, 1.5},
};
#define N_FUNCTIONS (sizeof FUNCTIONS / sizeof FUNCTIONS[0])
#define MAX_N 8
#define MAX_M 8

/* ---- schemes ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    int32_t scheme;
    double tol;        /* at the default steps, away from bounds */
    double bound_tol;  /* with the one-sided fall-back stencil at a bound */
    long per_column;   /* evaluations per column besides f(x) */
    long per_jvp;      /* evaluations of a JVP, counting f(x) */
} scheme_case;

static const scheme_case SCHEMES[] = {
    {"FORWARD", FDVJP_FORWARD, 1e-5, 1e-5, 1, 2},
    {"BACKWARD", FDVJP_BACKWARD, 1e-5, 1e-5, 1, 2},
    {"CENTRAL", FDVJP_CENTRAL, 1e-8, 1e-8, 2, 3},
    {"CENTRAL4", FDVJP_CENTRAL4, 1e-10, 1e-10, 4, 5},
};
#define N_SCHEMES (sizeof SCHEMES / sizeof SCHEMES[0])

static fdvjp_config *config_with_scheme(int32_t scheme)
{
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK(cfg != NULL);
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, scheme), FDVJP_OK);
    return cfg;
}

/* Mixed error |got - want| / max(1, |want|), for the accuracy table. */
static double mixed_error(double got, double want)
{
    return fabs(got - want) / (fabs(want) > 1.0 ? fabs(want) : 1.0);
}

static double worst[N_SCHEMES][N_FUNCTIONS];

/* Jacobian (both layouts), VJP and JVP of one function at one point, one scheme. */
static void check_point(const scheme_case *sc, size_t si, size_t fi, const double *x,
                        const double *v, const double *u)
{
    const test_function *tf = &FUNCTIONS[fi];
    size_t n = tf->n, m = tf->m, i, j;
    double J[MAX_M * MAX_N], jac[MAX_M * MAX_N], want_grad[MAX_N], grad[MAX_N];
    double want_jvp[MAX_M], jvp[MAX_M], x_copy[MAX_N], v_copy[MAX_M];
    fdvjp_config *cfg = config_with_scheme(sc->scheme);
    tally t = tally_at(x);
    double *err = &worst[si][fi];

    memcpy(x_copy, x, n * sizeof *x);
    memcpy(v_copy, v, m * sizeof *v);
    tf->jac(x, J);
    for (j = 0; j < n; j++) {
        want_grad[j] = 0.0;
        for (i = 0; i < m; i++)
            want_grad[j] += v[i] * J[i * n + j];
    }
    for (i = 0; i < m; i++) {
        want_jvp[i] = 0.0;
        for (j = 0; j < n; j++)
            want_jvp[i] += J[i * n + j] * u[j];
    }

    /* Row-major Jacobian; the scheme's side shows in where f was evaluated. */
    CHECK_STATUS(fdvjp_jacobian(cfg, tf->f, &t, x, n, m, jac), FDVJP_OK);
    CHECK_INT(t.calls, 1 + sc->per_column * (long)n);
    if (sc->scheme == FDVJP_FORWARD) {
        CHECK_INT(t.above, (long)n);
        CHECK_INT(t.below, 0);
    } else if (sc->scheme == FDVJP_BACKWARD) {
        CHECK_INT(t.above, 0);
        CHECK_INT(t.below, (long)n);
    } else {
        CHECK_INT(t.above, sc->per_column / 2 * (long)n);
        CHECK_INT(t.below, sc->per_column / 2 * (long)n);
    }
    for (i = 0; i < m * n; i++) {
        CHECK_CLOSE(jac[i], J[i], sc->tol);
        if (mixed_error(jac[i], J[i]) > *err)
            *err = mixed_error(jac[i], J[i]);
    }

    /* Column-major Jacobian: jac[j*m + i] = J[i][j]. */
    CHECK_STATUS(fdvjp_config_set_layout(cfg, FDVJP_COL_MAJOR), FDVJP_OK);
    t = tally_at(NULL);
    CHECK_STATUS(fdvjp_jacobian(cfg, tf->f, &t, x, n, m, jac), FDVJP_OK);
    CHECK_INT(t.calls, 1 + sc->per_column * (long)n);
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++)
            CHECK_CLOSE(jac[j * m + i], J[i * n + j], sc->tol);

    /* VJP. */
    t = tally_at(NULL);
    CHECK_STATUS(fdvjp_vjp(cfg, tf->f, &t, x, n, m, v, grad), FDVJP_OK);
    CHECK_INT(t.calls, 1 + sc->per_column * (long)n);
    for (j = 0; j < n; j++) {
        CHECK_CLOSE(grad[j], want_grad[j], sc->tol);
        if (mixed_error(grad[j], want_grad[j]) > *err)
            *err = mixed_error(grad[j], want_grad[j]);
    }

    /* JVP. */
    t = tally_at(NULL);
    CHECK_STATUS(fdvjp_jvp(cfg, tf->f, &t, x, n, m, u, jvp), FDVJP_OK);
    CHECK_INT(t.calls, sc->per_jvp);
    for (i = 0; i < m; i++) {
        CHECK_CLOSE(jvp[i], want_jvp[i], sc->tol);
        if (mixed_error(jvp[i], want_jvp[i]) > *err)
            *err = mixed_error(jvp[i], want_jvp[i]);
    }

    /* Inputs are never written. */
    CHECK(memcmp(x, x_copy, n * sizeof *x) == 0);
    CHECK(memcmp(v, v_copy, m * sizeof *v) == 0);
    fdvjp_config_free(cfg);
}

static void test_schemes_against_analytic(void)
{
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    size_t si, fi, k, j;
    for (fi = 0; fi < N_FUNCTIONS; fi++) {
        const test_function *tf = &FUNCTIONS[fi];
        for (k = 0; k < 25; k++) {
            double x[MAX_N], v[MAX_M], u[MAX_N];
            for (j = 0; j < tf->n; j++)
                x[j] = check_uniform_well_scaled(&seed, tf->lo, tf->hi);
            for (j = 0; j < tf->m; j++)
                v[j] = check_uniform(&seed, -1.0, 1.0);
            for (j = 0; j < tf->n; j++)
                u[j] = check_uniform(&seed, -1.0, 1.0);
            for (si = 0; si < N_SCHEMES; si++)
                check_point(&SCHEMES[si], si, fi, x, v, u);
        }
    }
    printf("max error |got - want| / max(1, |want|) over 25 random points, default steps:\n");
    printf("  %-18s", "function");
    for (si = 0; si < N_SCHEMES; si++)
        printf(" %10s", SCHEMES[si].name);
    printf("\n");
    for (fi = 0; fi < N_FUNCTIONS; fi++) {
        printf("  %-18s", FUNCTIONS[fi].name);
        for (si = 0; si < N_SCHEMES; si++)
            printf(" %10.2e", worst[si][fi]);
        printf("\n");
    }
}

/* cfg == NULL means the defaults: central differences, bit for bit. */
static void test_null_config_is_central(void)
{
    const double x[3] = {0.7, -1.3, 0.4}, v[2] = {0.25, -2.0}, u[3] = {1.0, 0.5, -0.5};
    double g_null[3], g_cfg[3], j_null[6], j_cfg[6], d_null[2], d_cfg[2];
    fdvjp_config *cfg = config_with_scheme(FDVJP_CENTRAL);
    tally t = tally_at(NULL);

    CHECK_STATUS(fdvjp_vjp(NULL, poly, &t, x, 3, 2, v, g_null), FDVJP_OK);
    CHECK_INT(t.calls, 7);
    CHECK_STATUS(fdvjp_vjp(cfg, poly, &t, x, 3, 2, v, g_cfg), FDVJP_OK);
    CHECK(memcmp(g_null, g_cfg, sizeof g_cfg) == 0);

    t = tally_at(NULL);
    CHECK_STATUS(fdvjp_jacobian(NULL, poly, &t, x, 3, 2, j_null), FDVJP_OK);
    CHECK_INT(t.calls, 7);
    CHECK_STATUS(fdvjp_jacobian(cfg, poly, &t, x, 3, 2, j_cfg), FDVJP_OK);
    CHECK(memcmp(j_null, j_cfg, sizeof j_cfg) == 0);

    t = tally_at(NULL);
    CHECK_STATUS(fdvjp_jvp(NULL, poly, &t, x, 3, 2, u, d_null), FDVJP_OK);
    CHECK_INT(t.calls, 3);
    CHECK_STATUS(fdvjp_jvp(cfg, poly, &t, x, 3, 2, u, d_cfg), FDVJP_OK);
    CHECK(memcmp(d_null, d_cfg, sizeof d_cfg) == 0);
    fdvjp_config_free(cfg);
}

/* ---- step rules: exact on low-degree polynomials, so the step shows in the result --- */

/* R^n -> R: sum x_j^2. A forward difference gives exactly 2 x_j + h_j. */
static int32_t sum_squares(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t j;
    (void)m;
    tally_point(user, x, n);
    y[0] = 0.0;
    for (j = 0; j < n; j++)
        y[0] += x[j] * x[j];
    return 0;
}

/* R^n -> R: sum x_j^3. A central difference gives exactly 3 x_j^2 + h_j^2. */
static int32_t sum_cubes(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t j;
    (void)m;
    tally_point(user, x, n);
    y[0] = 0.0;
    for (j = 0; j < n; j++)
        y[0] += x[j] * x[j] * x[j];
    return 0;
}

/* The step the library takes from x for a nominal h: (x + h) - x. */
static double taken(double x, double h)
{
    volatile double xp = x + h;
    return xp - x;
}

static void test_relative_step(void)
{
    const double x[2] = {3.0, -0.25}, one = 1.0;
    double grad[2], ref[2];
    fdvjp_config *cfg = config_with_scheme(FDVJP_FORWARD), *fresh;
    tally t = tally_at(NULL);
    size_t j;

    /* h_j = r * max(|x_j|, 1) */
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 1e-3), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, sum_squares, &t, x, 2, 1, &one, grad), FDVJP_OK);
    for (j = 0; j < 2; j++) {
        double h = taken(x[j], 1e-3 * (fabs(x[j]) > 1.0 ? fabs(x[j]) : 1.0));
        CHECK_CLOSE(grad[j], 2.0 * x[j] + h, 1e-10);
    }

    /* central: 3 x^2 + h^2 */
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, FDVJP_CENTRAL), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 1e-2), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, sum_cubes, &t, x, 2, 1, &one, grad), FDVJP_OK);
    for (j = 0; j < 2; j++) {
        double h = taken(x[j], 1e-2 * (fabs(x[j]) > 1.0 ? fabs(x[j]) : 1.0));
        CHECK_CLOSE(grad[j], 3.0 * x[j] * x[j] + h * h, 1e-10);
    }

    /* r = 0 restores the default: same bits as a fresh config. */
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 0.0), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, sum_cubes, &t, x, 2, 1, &one, grad), FDVJP_OK);
    fresh = fdvjp_config_new();
    CHECK_STATUS(fdvjp_vjp(fresh, sum_cubes, &t, x, 2, 1, &one, ref), FDVJP_OK);
    CHECK(memcmp(grad, ref, sizeof ref) == 0);
    fdvjp_config_free(fresh);
    fdvjp_config_free(cfg);
}

static void test_absolute_steps(void)
{
    const double x[3] = {1.5, -2.0, 0.0}, h[3] = {0.01, 0.02, 0.05}, one = 1.0;
    const double u[3] = {0.5, -4.0, 1.0};
    double grad[3], jac[3], d, t_u, want;
    fdvjp_config *cfg = config_with_scheme(FDVJP_FORWARD);
    tally t = tally_at(NULL);
    size_t j;

    CHECK_STATUS(fdvjp_config_set_steps(cfg, h, 3), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, sum_squares, &t, x, 3, 1, &one, grad), FDVJP_OK);
    CHECK_STATUS(fdvjp_jacobian(cfg, sum_squares, &t, x, 3, 1, jac), FDVJP_OK);
    for (j = 0; j < 3; j++) {
        CHECK_CLOSE(grad[j], 2.0 * x[j] + taken(x[j], h[j]), 1e-12);
        CHECK_CLOSE(jac[j], 2.0 * x[j] + taken(x[j], h[j]), 1e-12);
    }

    /* JVP: one step t along u, t = min_j h_j / |u_j| = 0.005; forward difference of
     * sum x^2 along u is 2 x.u + t |u|^2. */
    CHECK_STATUS(fdvjp_jvp(cfg, sum_squares, &t, x, 3, 1, u, &d), FDVJP_OK);
    t_u = 0.02 / 4.0;
    want = 2.0 * (x[0] * u[0] + x[1] * u[1] + x[2] * u[2]) +
           t_u * (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    CHECK_CLOSE(d, want, 1e-10);

    /* (NULL, 0) clears them: back to the default step (bits of a fresh config). */
    {
        double ref[3];
        fdvjp_config *fresh = config_with_scheme(FDVJP_FORWARD);
        CHECK_STATUS(fdvjp_config_set_steps(cfg, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(cfg, sum_squares, &t, x, 3, 1, &one, grad), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(fresh, sum_squares, &t, x, 3, 1, &one, ref), FDVJP_OK);
        CHECK(memcmp(grad, ref, sizeof ref) == 0);
        fdvjp_config_free(fresh);
    }
    fdvjp_config_free(cfg);
}

static void test_typical_magnitudes(void)
{
    const double x[2] = {3.0, 3.0}, typ[2] = {100.0, 1e-3}, one = 1.0;
    double grad[2];
    fdvjp_config *cfg = config_with_scheme(FDVJP_FORWARD);
    tally t = tally_at(NULL);

    /* h_j = r * max(|x_j|, typ_j): 1e-4 * 100 and 1e-4 * 3. */
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 1e-4), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_typical(cfg, typ, 2), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, sum_squares, &t, x, 2, 1, &one, grad), FDVJP_OK);
    CHECK_CLOSE(grad[0], 6.0 + taken(3.0, 1e-2), 1e-10);
    CHECK_CLOSE(grad[1], 6.0 + taken(3.0, 3e-4), 1e-10);

    /* (NULL, 0) clears them: typ_j = 1, so h_0 = 1e-4 * 3 as well. */
    CHECK_STATUS(fdvjp_config_set_typical(cfg, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, sum_squares, &t, x, 2, 1, &one, grad), FDVJP_OK);
    CHECK_CLOSE(grad[0], 6.0 + taken(3.0, 3e-4), 1e-10);
    fdvjp_config_free(cfg);
}

/* ---- bounds --------------------------------------------------------------------------- */

/* Defined only on the box [0,1]^2: outside it, either fails with code 13 or returns NaN. */
typedef struct {
    tally t;
    int nan_outside;
    long outside;
} boxed;

static int32_t box_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    boxed *b = (boxed *)user;
    (void)m;
    tally_point(&b->t, x, n);
    if (!(x[0] >= 0.0 && x[0] <= 1.0 && x[1] >= 0.0 && x[1] <= 1.0)) {
        b->outside++;
        if (!b->nan_outside)
            return 13;
        y[0] = y[1] = NAN;
        return 0;
    }
    y[0] = exp(x[0]) * x[1];
    y[1] = sin(x[0] + 2.0 * x[1]);
    return 0;
}

static void box_jac(const double *x, double *J)
{
    double c = cos(x[0] + 2.0 * x[1]);
    J[0] = exp(x[0]) * x[1];
    J[1] = exp(x[0]);
    J[2] = c;
    J[3] = 2.0 * c;
}

static double bound_worst[N_SCHEMES];

static void note_bound_error(size_t si, double got, double want)
{
    if (mixed_error(got, want) > bound_worst[si])
        bound_worst[si] = mixed_error(got, want);
}

static void test_bounds(void)
{
    /* Corners, edges, and points just inside (closer than a step). */
    static const double points[][2] = {{0.0, 0.0}, {0.0, 1.0}, {1.0, 0.0}, {1.0, 1.0},
                                       {0.0, 0.5}, {0.5, 1.0}, {1e-9, 1.0 - 1e-9}};
    const double lower[2] = {0.0, 0.0}, upper[2] = {1.0, 1.0}, v[2] = {0.75, -1.25};
    size_t si, pi, i, j;
    int nan_outside;
    for (nan_outside = 0; nan_outside <= 1; nan_outside++) {
        for (si = 0; si < N_SCHEMES; si++) {
            const scheme_case *sc = &SCHEMES[si];
            fdvjp_config *cfg = config_with_scheme(sc->scheme);
            CHECK_STATUS(fdvjp_config_set_bounds(cfg, lower, upper, 2), FDVJP_OK);
            for (pi = 0; pi < sizeof points / sizeof points[0]; pi++) {
                const double *x = points[pi];
                double J[4], jac[4], grad[2], d[2], u[2];
                boxed b;
                b.t = tally_at(NULL);
                b.nan_outside = nan_outside;
                b.outside = 0;
                box_jac(x, J);
                /* a direction pointing into the box along both coordinates */
                u[0] = x[0] < 0.5 ? 0.5 : -0.5;
                u[1] = x[1] < 0.5 ? 1.0 : -1.0;

                CHECK_STATUS(fdvjp_jacobian(cfg, box_fn, &b, x, 2, 2, jac), FDVJP_OK);
                for (i = 0; i < 4; i++) {
                    CHECK_CLOSE(jac[i], J[i], sc->bound_tol);
                    note_bound_error(si, jac[i], J[i]);
                }
                CHECK_STATUS(fdvjp_vjp(cfg, box_fn, &b, x, 2, 2, v, grad), FDVJP_OK);
                for (j = 0; j < 2; j++)
                    CHECK_CLOSE(grad[j], v[0] * J[j] + v[1] * J[2 + j], sc->bound_tol);
                CHECK_STATUS(fdvjp_jvp(cfg, box_fn, &b, x, 2, 2, u, d), FDVJP_OK);
                for (i = 0; i < 2; i++)
                    CHECK_CLOSE(d[i], J[2 * i] * u[0] + J[2 * i + 1] * u[1], sc->bound_tol);
                CHECK_INT(b.outside, 0);
            }
            fdvjp_config_free(cfg);
        }
    }
    printf("max error of the Jacobian on the box [0,1]^2, at its corners and edges:\n ");
    for (si = 0; si < N_SCHEMES; si++)
        printf(" %s %.2e", SCHEMES[si].name, bound_worst[si]);
    printf("\n");
}

/* ---- a known sparsity pattern ------------------------------------------------------------ */

#define TRI_N 10
/* R^10 -> R^10, tridiagonal: y_i = sin(x_i) + x_{i-1} x_i + x_{i+1}^2 / 2. */
static int32_t tridiagonal(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i;
    tally_point(user, x, n);
    for (i = 0; i < m; i++) {
        y[i] = sin(x[i]);
        if (i > 0)
            y[i] += x[i - 1] * x[i];
        if (i + 1 < n)
            y[i] += 0.5 * x[i + 1] * x[i + 1];
    }
    return 0;
}

static void tridiagonal_jac(const double *x, double *J)
{
    size_t i;
    memset(J, 0, TRI_N * TRI_N * sizeof *J);
    for (i = 0; i < TRI_N; i++) {
        J[i * TRI_N + i] = cos(x[i]) + (i > 0 ? x[i - 1] : 0.0);
        if (i > 0)
            J[i * TRI_N + i - 1] = x[i];
        if (i + 1 < TRI_N)
            J[i * TRI_N + i + 1] = x[i + 1];
    }
}

/* Columns sharing no row are perturbed together: 3 groups for any tridiagonal size, so
 * 1 + 3 (forward), 1 + 6 (central), 1 + 12 (4th order) evaluations; same derivatives. */
static void test_sparsity_tridiagonal(void)
{
    size_t rows[3 * TRI_N], cols[3 * TRI_N], nnz = 0, i, j, si;
    double x[TRI_N], v[TRI_N], J[TRI_N * TRI_N], jac[TRI_N * TRI_N], grad[TRI_N], want;
    uint64_t seed = 12345;
    for (i = 0; i < TRI_N; i++) {
        for (j = i > 0 ? i - 1 : 0; j <= i + 1 && j < TRI_N; j++) {
            rows[nnz] = i;
            cols[nnz] = j;
            nnz++;
        }
        x[i] = check_uniform_well_scaled(&seed, -1.0, 1.0);
        v[i] = check_uniform(&seed, -1.0, 1.0);
    }
    tridiagonal_jac(x, J);
    for (si = 0; si < N_SCHEMES; si++) {
        const scheme_case *sc = &SCHEMES[si];
        fdvjp_config *cfg = config_with_scheme(sc->scheme);
        tally t = tally_at(NULL);
        CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, cols, nnz), FDVJP_OK);

        CHECK_STATUS(fdvjp_jacobian(cfg, tridiagonal, &t, x, TRI_N, TRI_N, jac), FDVJP_OK);
        CHECK_INT(t.calls, 1 + 3 * sc->per_column);
        for (i = 0; i < TRI_N * TRI_N; i++)
            CHECK_CLOSE(jac[i], J[i], sc->tol);

        t = tally_at(NULL);
        CHECK_STATUS(fdvjp_vjp(cfg, tridiagonal, &t, x, TRI_N, TRI_N, v, grad), FDVJP_OK);
        CHECK_INT(t.calls, 1 + 3 * sc->per_column);
        for (j = 0; j < TRI_N; j++) {
            want = 0.0;
            for (i = 0; i < TRI_N; i++)
                want += v[i] * J[i * TRI_N + j];
            CHECK_CLOSE(grad[j], want, sc->tol);
        }

        /* nnz == 0 removes the pattern: dense again. */
        CHECK_STATUS(fdvjp_config_set_sparsity(cfg, NULL, NULL, 0), FDVJP_OK);
        t = tally_at(NULL);
        CHECK_STATUS(fdvjp_jacobian(cfg, tridiagonal, &t, x, TRI_N, TRI_N, jac), FDVJP_OK);
        CHECK_INT(t.calls, 1 + TRI_N * sc->per_column);
        fdvjp_config_free(cfg);
    }
}

/* ---- evaluation counts not covered above, and empty problems ------------------------- */

static void test_zero_direction_costs_one_evaluation(void)
{
    const double x[3] = {0.1, 0.2, 0.3}, u[3] = {0.0, 0.0, 0.0};
    double d[2] = {-1.0, -1.0};
    size_t si;
    for (si = 0; si < N_SCHEMES; si++) {
        fdvjp_config *cfg = config_with_scheme(SCHEMES[si].scheme);
        tally t = tally_at(NULL);
        CHECK_STATUS(fdvjp_jvp(cfg, poly, &t, x, 3, 2, u, d), FDVJP_OK);
        CHECK_INT(t.calls, 1);
        CHECK(d[0] == 0.0 && d[1] == 0.0);
        fdvjp_config_free(cfg);
    }
}

static void test_empty_problems(void)
{
    const double x[3] = {0.1, 0.2, 0.3}, v[2] = {1.0, 2.0};
    double grad[3] = {7.0, 7.0, 7.0}, d[2] = {7.0, 7.0};
    size_t si;
    for (si = 0; si < N_SCHEMES; si++) {
        fdvjp_config *cfg = config_with_scheme(SCHEMES[si].scheme);
        tally t = tally_at(NULL);

        /* m == 0: v^T J = 0 (an empty sum), f never called. */
        CHECK_STATUS(fdvjp_vjp(cfg, poly, &t, x, 3, 0, NULL, grad), FDVJP_OK);
        CHECK(grad[0] == 0.0 && grad[1] == 0.0 && grad[2] == 0.0);
        /* n == 0: nothing to write; (NULL, 0) arrays are valid. */
        CHECK_STATUS(fdvjp_vjp(cfg, poly, &t, NULL, 0, 2, v, NULL), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(cfg, poly, &t, NULL, 0, 0, NULL, NULL), FDVJP_OK);
        /* JVP: n == 0 gives J u = 0 (m entries); m == 0 writes nothing. */
        CHECK_STATUS(fdvjp_jvp(cfg, poly, &t, NULL, 0, 2, NULL, d), FDVJP_OK);
        CHECK(d[0] == 0.0 && d[1] == 0.0);
        CHECK_STATUS(fdvjp_jvp(cfg, poly, &t, x, 3, 0, x, NULL), FDVJP_OK);
        /* Jacobian: 0 entries either way. */
        CHECK_STATUS(fdvjp_jacobian(cfg, poly, &t, x, 3, 0, NULL), FDVJP_OK);
        CHECK_STATUS(fdvjp_jacobian(cfg, poly, &t, NULL, 0, 2, NULL), FDVJP_OK);
        CHECK_INT(t.calls, 0);
        fdvjp_config_free(cfg);
        grad[0] = grad[1] = grad[2] = 7.0;
        d[0] = d[1] = 7.0;
    }
}

/* ---- threads: distinct configs are independent; callbacks run on the calling thread -- */

typedef struct {
    pthread_t caller;
    long calls;
    long foreign; /* calls made on another thread than the caller's */
} thread_probe;

static int32_t thread_checked(void *user, const double *x, size_t n, double *y, size_t m)
{
    thread_probe *tp = (thread_probe *)user;
    tp->calls++;
    tp->foreign += !pthread_equal(pthread_self(), tp->caller);
    return poly(NULL, x, n, y, m) == 0 ? 0 : 1;
}

typedef struct {
    int32_t scheme;
    double grad[3];
    int32_t status;
    thread_probe probe;
} thread_job;

static void *run_job(void *arg)
{
    thread_job *job = (thread_job *)arg;
    const double x[3] = {0.3, -0.8, 1.1}, v[2] = {-0.5, 2.0};
    fdvjp_config *cfg = fdvjp_config_new();
    int k;
    job->probe.caller = pthread_self();
    job->status = fdvjp_config_set_scheme(cfg, job->scheme);
    for (k = 0; k < 200 && job->status == FDVJP_OK; k++)
        job->status = fdvjp_vjp(cfg, thread_checked, &job->probe, x, 3, 2, v, job->grad);
    fdvjp_config_free(cfg);
    return NULL;
}

static void test_threads(void)
{
    const double x[3] = {0.3, -0.8, 1.1}, v[2] = {-0.5, 2.0};
    thread_job jobs[4];
    pthread_t threads[4];
    size_t k;
    for (k = 0; k < 4; k++) {
        memset(&jobs[k], 0, sizeof jobs[k]);
        jobs[k].scheme = SCHEMES[k].scheme;
        CHECK(pthread_create(&threads[k], NULL, run_job, &jobs[k]) == 0);
    }
    for (k = 0; k < 4; k++) {
        double serial[3];
        fdvjp_config *cfg = config_with_scheme(SCHEMES[k].scheme);
        CHECK(pthread_join(threads[k], NULL) == 0);
        CHECK_STATUS(jobs[k].status, FDVJP_OK);
        CHECK_INT(jobs[k].probe.calls, 200 * (1 + 3 * SCHEMES[k].per_column));
        CHECK_INT(jobs[k].probe.foreign, 0);
        /* the same bits as the same computation alone on this thread */
        CHECK_STATUS(fdvjp_vjp(cfg, poly, NULL, x, 3, 2, v, serial), FDVJP_OK);
        CHECK(memcmp(serial, jobs[k].grad, sizeof serial) == 0);
        fdvjp_config_free(cfg);
    }
}

int main(void)
{
    test_schemes_against_analytic();
    test_null_config_is_central();
    test_relative_step();
    test_absolute_steps();
    test_typical_magnitudes();
    test_bounds();
    test_sparsity_tridiagonal();
    test_zero_direction_costs_one_evaluation();
    test_empty_problems();
    test_threads();
    return check_summary("test_fd");
}
