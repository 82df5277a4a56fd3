/*
 * test_accuracy.c: the accuracy entry points of issue 4 through the C API.
 *
 * - Richardson (fdvjp_{vjp,jvp,jacobian}_estimate): values within 1e-11 of the analytic
 *   derivatives, error estimates above the true error and small, exact evaluation counts.
 * - Adaptive steps (fdvjp_config_set_adaptive): cos near 1e-6 within 1e-7 where the
 *   default step is not; 36 evaluations per column.
 * - Complex step through a C99 double _Complex callback: 1e-14, n+3 / 4 / n+3 evaluations (the last two check f analytic)
 *   (the first at the real x, checking that f(x) is real).
 * - Complex-valued functions: z^2, conj(z), |z|^2 and a mixed map against their Wirtinger
 *   derivatives A = df/dz, B = df/dconj(z) (VJP: sum conj(A) v + B conj(v); JVP:
 *   A u + B conj(u); real 2m x 2n Jacobian).
 * - Error paths of every new entry point: NULL pointers with non-zero lengths, non-finite
 *   x, callback failure at evaluation k, NaN at x; outputs (grad and err) byte-for-byte
 *   untouched.
 */
#include <complex.h>
#include <float.h>
#include <stdlib.h>

#include "check.h"
#include "smooth_map.h" /* f(x) = [x0 x1 + sin(x2), exp(x0) x2^2]: smooth, smooth_complex, N, M */

static counter fresh(void)
{
    counter c;
    memset(&c, 0, sizeof c);
    return c;
}

/* ---- Richardson --------------------------------------------------------------------- */

static void test_estimates(void)
{
    uint64_t rng = 12345;
    int point, honest = 0, entries = 0;
    for (point = 0; point < 20; point++) {
        double x[N], v[M], u[N], jac[M * N], grad[N], err[N], jv[M], jerr[M];
        double est[M * N], eerr[M * N];
        counter c = fresh();
        int i, j;
        for (j = 0; j < N; j++)
            x[j] = check_uniform(&rng, -1.5, 1.5);
        for (i = 0; i < M; i++)
            v[i] = check_uniform(&rng, -1.0, 1.0);
        for (j = 0; j < N; j++)
            u[j] = check_uniform(&rng, -1.0, 1.0);
        smooth_jacobian(x, jac);

        CHECK_STATUS(fdvjp_vjp_estimate(NULL, smooth, &c, x, N, M, v, grad, err), FDVJP_OK);
        CHECK_INT(c.calls, 1 + 14 * N);
        for (j = 0; j < N; j++) {
            double want = v[0] * jac[j] + v[1] * jac[N + j];
            CHECK_CLOSE(grad[j], want, 1e-11);
            CHECK(err[j] < 1e-9);
            honest += fabs(grad[j] - want) <= err[j];
            entries++;
        }

        c = fresh();
        CHECK_STATUS(fdvjp_jvp_estimate(NULL, smooth, &c, x, N, M, u, jv, jerr), FDVJP_OK);
        CHECK_INT(c.calls, 15);
        for (i = 0; i < M; i++) {
            double want = jac[i * N] * u[0] + jac[i * N + 1] * u[1] + jac[i * N + 2] * u[2];
            CHECK_CLOSE(jv[i], want, 1e-11);
            CHECK(jerr[i] < 1e-9);
            honest += fabs(jv[i] - want) <= jerr[i];
            entries++;
        }

        c = fresh();
        CHECK_STATUS(fdvjp_jacobian_estimate(NULL, smooth, &c, x, N, M, est, eerr), FDVJP_OK);
        CHECK_INT(c.calls, 1 + 14 * N);
        for (i = 0; i < M * N; i++) {
            CHECK_CLOSE(est[i], jac[i], 1e-11);
            CHECK(eerr[i] < 1e-9);
            honest += fabs(est[i] - jac[i]) <= eerr[i];
            entries++;
        }
    }
    /* The estimate bounds the true error for at least 95% of entries. */
    CHECK(honest >= 0.95 * entries);
}

/* ---- adaptive steps ------------------------------------------------------------------ */

static int32_t cosine(void *user, const double *x, size_t n, double *y, size_t m)
{
    long *calls = (long *)user;
    (*calls)++;
    (void)n;
    (void)m;
    y[0] = cos(x[0]);
    return 0;
}

static void test_adaptive(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    double x = 1e-6, v = 1.0, fixed = 0.0, adapted = 0.0, want = -sin(1e-6);
    long calls = 0;
    /* the plain rule's step (its relative factor set, so no refinement) loses digits */
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, cbrt(DBL_EPSILON)), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, cosine, &calls, &x, 1, 1, &v, &fixed), FDVJP_OK);
    CHECK(fabs((fixed - want) / want) > 1e-7);
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 0.0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_adaptive(cfg, 1), FDVJP_OK);
    calls = 0;
    CHECK_STATUS(fdvjp_vjp(cfg, cosine, &calls, &x, 1, 1, &v, &adapted), FDVJP_OK);
    CHECK(fabs((adapted - want) / want) <= 1e-7);
    CHECK_INT(calls, 1 + 36);
    calls = 0;
    CHECK_STATUS(fdvjp_jvp(cfg, cosine, &calls, &x, 1, 1, &v, &adapted), FDVJP_OK);
    CHECK(fabs((adapted - want) / want) <= 1e-7);
    CHECK_INT(calls, 1 + 36);
    CHECK_STATUS(fdvjp_config_set_adaptive(cfg, 0), FDVJP_OK);
    calls = 0;
    CHECK_STATUS(fdvjp_vjp(cfg, cosine, &calls, &x, 1, 1, &v, &fixed), FDVJP_OK);
    /* cos near 0 is refined by default: rounding swamps the plain step, which grows
     * tenfold until truncation shows, here three times (2 evaluations per level), then
     * one central difference at half that level's step removes the h^2 term (2 more,
     * src/fd/refine/grow.rs); within 1e-7, inside its bound. (Before, cos alone
     * counted as a step too large and was refined down to x's own scale, where the
     * levels see only rounding, and the plain value was kept.) */
    CHECK_INT(calls, 1 + 2 + 6 + 2);
    fdvjp_report report;
    CHECK_STATUS(fdvjp_last_report(&report, sizeof report), FDVJP_OK);
    CHECK(report.evaluations == 11);
    CHECK(fabs(fixed - want) <= report.error_bound);
    CHECK(fabs((fixed - want) / want) <= 1e-7);

    CHECK_STATUS(fdvjp_config_set_adaptive(cfg, 2), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_config_set_adaptive: on = 2 must be 0 or 1");
    CHECK_STATUS(fdvjp_config_set_adaptive(cfg, -1), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_config_set_adaptive(NULL, 1), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("cfg is NULL");
    fdvjp_config_free(cfg);
}

/* ---- complex step -------------------------------------------------------------------- */

static void test_complex_step(void)
{
    uint64_t rng = 777;
    int point;
    for (point = 0; point < 20; point++) {
        double x[N], v[M], u[N], jac[M * N], grad[N], jv[M], cs[M * N];
        counter c = fresh();
        int i, j;
        for (j = 0; j < N; j++)
            x[j] = check_uniform(&rng, -1.5, 1.5);
        for (i = 0; i < M; i++)
            v[i] = check_uniform(&rng, -1.0, 1.0);
        for (j = 0; j < N; j++)
            u[j] = check_uniform(&rng, -1.0, 1.0);
        smooth_jacobian(x, jac);

        CHECK_STATUS(fdvjp_vjp_complex_step(NULL, smooth_complex, &c, x, N, M, v, grad),
                     FDVJP_OK);
        CHECK_INT(c.calls, N + 3);
        for (j = 0; j < N; j++)
            CHECK_CLOSE(grad[j], v[0] * jac[j] + v[1] * jac[N + j], 1e-14);

        c = fresh();
        CHECK_STATUS(fdvjp_jvp_complex_step(NULL, smooth_complex, &c, x, N, M, u, jv),
                     FDVJP_OK);
        CHECK_INT(c.calls, 4);
        for (i = 0; i < M; i++)
            CHECK_CLOSE(jv[i], jac[i * N] * u[0] + jac[i * N + 1] * u[1] + jac[i * N + 2] * u[2],
                        1e-14);

        c = fresh();
        CHECK_STATUS(fdvjp_jacobian_complex_step(NULL, smooth_complex, &c, x, N, M, cs),
                     FDVJP_OK);
        CHECK_INT(c.calls, N + 3);
        for (i = 0; i < M * N; i++)
            CHECK_CLOSE(cs[i], jac[i], 1e-14);
    }
}

/* ---- complex-valued functions -------------------------------------------------------- */

/* f(z) = z^2, conj(z), |z|^2 (n = m = 1), selected by *user. */
static int32_t scalar_map(void *user, const double *z, size_t n, double *w, size_t m)
{
    int which = *(const int *)user;
    double complex zc = z[0] + I * z[1], wc;
    (void)n;
    (void)m;
    wc = which == 0 ? zc * zc : which == 1 ? conj(zc) : zc * conj(zc);
    w[0] = creal(wc);
    w[1] = cimag(wc);
    return 0;
}

/* (z0 conj(z1) + exp(z0), |z1|^2 z0): C^2 -> C^2. */
static int32_t mixed_map(void *user, const double *z, size_t n, double *w, size_t m)
{
    double complex z0 = z[0] + I * z[1], z1 = z[2] + I * z[3], w0, w1;
    (void)user;
    (void)n;
    (void)m;
    w0 = z0 * conj(z1) + cexp(z0);
    w1 = z1 * conj(z1) * z0;
    w[0] = creal(w0);
    w[1] = cimag(w0);
    w[2] = creal(w1);
    w[3] = cimag(w1);
    return 0;
}

static void check_complex_close(double complex got, double complex want, const char *what)
{
    check_close_at(creal(got), creal(want), 1e-8, what, __FILE__, __LINE__);
    check_close_at(cimag(got), cimag(want), 1e-8, what, __FILE__, __LINE__);
}

/* Checks VJP, JVP and Jacobian of an n x m map with Wirtinger derivatives a, b. */
static void check_complex_map(fdvjp_cfn f, void *user, const double complex *z, size_t n,
                              size_t m, const double complex *a, const double complex *b,
                              const double complex *v, const double complex *u)
{
    double grad[4], jv[4], jac[16];
    size_t i, j;
    CHECK_STATUS(fdvjp_complex_vjp(NULL, f, user, (const double *)(const void *)z, n, m,
                                   (const double *)(const void *)v, grad),
                 FDVJP_OK);
    for (j = 0; j < n; j++) {
        double complex want = 0;
        for (i = 0; i < m; i++)
            want += conj(a[i * n + j]) * v[i] + b[i * n + j] * conj(v[i]);
        check_complex_close(grad[2 * j] + I * grad[2 * j + 1], want, "complex vjp");
    }
    CHECK_STATUS(fdvjp_complex_jvp(NULL, f, user, (const double *)(const void *)z, n, m,
                                   (const double *)(const void *)u, jv),
                 FDVJP_OK);
    for (i = 0; i < m; i++) {
        double complex want = 0;
        for (j = 0; j < n; j++)
            want += a[i * n + j] * u[j] + b[i * n + j] * conj(u[j]);
        check_complex_close(jv[2 * i] + I * jv[2 * i + 1], want, "complex jvp");
    }
    CHECK_STATUS(fdvjp_complex_jacobian(NULL, f, user, (const double *)(const void *)z, n, m,
                                        jac),
                 FDVJP_OK);
    for (i = 0; i < m; i++)
        for (j = 0; j < n; j++) {
            double complex s = a[i * n + j] + b[i * n + j], d = a[i * n + j] - b[i * n + j];
            size_t r = 2 * i, c = 2 * j, cols = 2 * n;
            CHECK_CLOSE(jac[r * cols + c], creal(s), 1e-8);
            CHECK_CLOSE(jac[r * cols + c + 1], -cimag(d), 1e-8);
            CHECK_CLOSE(jac[(r + 1) * cols + c], cimag(s), 1e-8);
            CHECK_CLOSE(jac[(r + 1) * cols + c + 1], creal(d), 1e-8);
        }
}

static void test_complex_functions(void)
{
    uint64_t rng = 99;
    int point, which;
    for (point = 0; point < 10; point++) {
        double complex z[2], v[2], u[2], a[4], b[4];
        int k;
        for (k = 0; k < 2; k++) {
            z[k] = check_uniform(&rng, -1.5, 1.5) + I * check_uniform(&rng, -1.5, 1.5);
            v[k] = check_uniform(&rng, -1.0, 1.0) + I * check_uniform(&rng, -1.0, 1.0);
            u[k] = check_uniform(&rng, -1.0, 1.0) + I * check_uniform(&rng, -1.0, 1.0);
        }
        for (which = 0; which < 3; which++) {
            a[0] = which == 0 ? 2.0 * z[0] : which == 1 ? 0.0 : conj(z[0]);
            b[0] = which == 0 ? 0.0 : which == 1 ? 1.0 : z[0];
            check_complex_map(scalar_map, &which, z, 1, 1, a, b, v, u);
        }
        a[0] = conj(z[1]) + cexp(z[0]);
        b[0] = 0.0;
        a[1] = 0.0;
        b[1] = z[0];
        a[2] = z[1] * conj(z[1]);
        b[2] = 0.0;
        a[3] = conj(z[1]) * z[0];
        b[3] = z[1] * z[0];
        check_complex_map(mixed_map, NULL, z, 2, 2, a, b, v, u);
    }
    /* |z|^2 seeded with 1: the ChainRules gradient 2z (JAX's is its conjugate). */
    {
        int abs2 = 2;
        double z[2] = {0.8, -0.6}, one[2] = {1.0, 0.0}, grad[2];
        CHECK_STATUS(fdvjp_complex_vjp(NULL, scalar_map, &abs2, z, 1, 1, one, grad), FDVJP_OK);
        CHECK_CLOSE(grad[0], 1.6, 1e-8);
        CHECK_CLOSE(grad[1], -1.2, 1e-8);
    }
}

/* ---- error paths ------------------------------------------------------------------------ */

#define SENTINEL 0xA5
static double o1[2 * N], o2[4 * M * N]; /* room for every output of every entry point */

static void fill(void)
{
    memset(o1, SENTINEL, sizeof o1);
    memset(o2, SENTINEL, sizeof o2);
}

static int untouched(void)
{
    const unsigned char *p1 = (const unsigned char *)o1, *p2 = (const unsigned char *)o2;
    size_t i;
    for (i = 0; i < sizeof o1; i++)
        if (p1[i] != SENTINEL)
            return 0;
    for (i = 0; i < sizeof o2; i++)
        if (p2[i] != SENTINEL)
            return 0;
    return 1;
}

/* The entry points under test, each writing to o1 (and o2 where it has a second output). */
enum { VJP_EST, JVP_EST, JAC_EST, VJP_CS, JVP_CS, JAC_CS, C_VJP, C_JVP, C_JAC, ENTRIES };
static const char *const names[ENTRIES] = {
    "fdvjp_vjp_estimate",     "fdvjp_jvp_estimate",     "fdvjp_jacobian_estimate",
    "fdvjp_vjp_complex_step", "fdvjp_jvp_complex_step", "fdvjp_jacobian_complex_step",
    "fdvjp_complex_vjp",      "fdvjp_complex_jvp",      "fdvjp_complex_jacobian",
};

/* Calls entry `e` with x (and v/u) possibly NULL; complex entries get the complex map. */
static int32_t call(int e, counter *c, const double *x, const double *vu, double *out1,
                    double *out2)
{
    switch (e) {
    case VJP_EST:
        return fdvjp_vjp_estimate(NULL, smooth, c, x, N, M, vu, out1, out2);
    case JVP_EST:
        return fdvjp_jvp_estimate(NULL, smooth, c, x, N, M, vu, out1, out2);
    case JAC_EST: /* jac and err in o2 */
        return fdvjp_jacobian_estimate(NULL, smooth, c, x, N, M, out1 == NULL ? NULL : o2,
                                       out2 == NULL ? NULL : o2 + M * N);
    case VJP_CS:
        return fdvjp_vjp_complex_step(NULL, smooth_complex, c, x, N, M, vu, out1);
    case JVP_CS:
        return fdvjp_jvp_complex_step(NULL, smooth_complex, c, x, N, M, vu, out1);
    case JAC_CS:
        return fdvjp_jacobian_complex_step(NULL, smooth_complex, c, x, N, M, out1);
    case C_VJP: /* the complex map with n = N, m = M complex numbers */
        return fdvjp_complex_vjp(NULL, smooth_complex, c, x, N, M, vu, out1);
    case C_JVP:
        return fdvjp_complex_jvp(NULL, smooth_complex, c, x, N, M, vu, out1);
    default: /* 4mn doubles: o2 */
        return fdvjp_complex_jacobian(NULL, smooth_complex, c, x, N, M,
                                      out1 == NULL ? NULL : o2);
    }
}

static int is_complex(int e) { return e >= C_VJP; }
static int has_err(int e) { return e <= JAC_EST; }

static void expect(int32_t got, int32_t want, const char *name, const char *needle,
                   const char *what)
{
    char msg[1024];
    check_status_at(got, want, what, __FILE__, __LINE__);
    fdvjp_last_error(msg, sizeof msg);
    check_record(strncmp(msg, name, strlen(name)) == 0, __FILE__, __LINE__,
                 "message names the function");
    check_error_has_at(needle, __FILE__, __LINE__);
    check_record(untouched(), __FILE__, __LINE__, "outputs untouched");
}

static void test_errors(void)
{
    /* Inputs big enough for the complex entries (2n and 2m doubles). */
    double x[2 * N] = {0.3, 0.1, -0.7, 0.2, 1.1, -0.4}, vu[2 * N] = {1, 2, 3, 4, 5, 6};
    double bad[2 * N];
    int e;
    for (e = 0; e < ENTRIES; e++) {
        const char *name = names[e];
        const char *xname = is_complex(e) ? "z is NULL" : "x is NULL";
        counter c = fresh();
        double *second = has_err(e) ? o1 + N : NULL;
        memcpy(bad, x, sizeof bad);
        bad[1] = NAN;

        fill();
        expect(call(e, &c, NULL, vu, o1, second), FDVJP_NULL_POINTER, name, xname, "x NULL");
        CHECK_INT(c.calls, 0);

        if (e != JAC_EST && e != JAC_CS && e != C_JAC) {
            fill();
            expect(call(e, &c, x, NULL, o1, second), FDVJP_NULL_POINTER, name, "is NULL",
                   "v/u NULL");
        }
        fill();
        expect(call(e, &c, x, vu, NULL, second), FDVJP_NULL_POINTER, name, "is NULL",
               "output NULL");
        if (has_err(e)) {
            fill();
            expect(call(e, &c, x, vu, o1, NULL), FDVJP_NULL_POINTER, name, "err is NULL",
                   "err NULL");
        }
        CHECK_INT(c.calls, 0);

        fill();
        expect(call(e, &c, bad, vu, o1, second), FDVJP_INVALID_ARGUMENT, name,
               "x[1] = NaN is not finite", "NaN in x");
        CHECK_INT(c.calls, 0);

        /* The callback fails at its 3rd evaluation (a perturbed point; the 1st and only
         * one for the complex-step JVP). */
        c = fresh();
        c.fail_at = e == JVP_CS ? 1 : 3;
        fill();
        expect(call(e, &c, x, vu, o1, second), FDVJP_CALLBACK_FAILED, name,
               e == JVP_CS ? "callback returned 7 at evaluation 1"
                           : "callback returned 7 at evaluation 3",
               "callback failure");
        CHECK_INT(c.calls, c.fail_at);

        /* f is NaN at x itself. */
        c = fresh();
        c.nan_at_x = 1;
        fill();
        expect(call(e, &c, x, vu, o1, second), FDVJP_NONFINITE_AT_X, name, "NaN",
               "NaN at x");
    }
    /* f NULL. */
    fill();
    expect(fdvjp_vjp_estimate(NULL, NULL, NULL, x, N, M, vu, o1, o1 + N), FDVJP_NULL_POINTER,
           "fdvjp_vjp_estimate", "f is NULL", "f NULL");
    fill();
    expect(fdvjp_vjp_complex_step(NULL, NULL, NULL, x, N, M, vu, o1), FDVJP_NULL_POINTER,
           "fdvjp_vjp_complex_step", "f is NULL", "f NULL");
    fill();
    expect(fdvjp_complex_vjp(NULL, NULL, NULL, x, N, M, vu, o1), FDVJP_NULL_POINTER,
           "fdvjp_complex_vjp", "f is NULL", "f NULL");
}

int main(void)
{
    test_estimates();
    test_adaptive();
    test_complex_step();
    test_complex_functions();
    test_errors();
    return check_summary("test_accuracy");
}
