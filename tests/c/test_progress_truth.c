/*
 * test_progress_truth.c: progress reports tell the truth, for every driver. From the first
 * report on, `total` is the planned number of evaluations (the exact count below, for a
 * smooth f at well-scaled points where no column falls back), it never decreases, `done`
 * rises by the evaluations made and never exceeds `total`, and the last report has
 * done == total == the evaluations f actually saw. The complex-step and complex-function
 * drivers report and honour cancellation like the others (cancelled at report 2: status
 * FDVJP_CANCELLED, f called exactly twice, outputs untouched).
 *
 * Exact counts (n inputs, N = 4; complex functions have n complex = 2n real inputs):
 *   central 1 + 2n, forward 1 + n, fourth order 1 + 4n, JVP 1 + points;
 *   adaptive 1 + 18 points per column (18 trial steps);
 *   estimates 1 + 14n (JVP 1 + 14: 12 per tableau and 2 to check its steps);
 *   complex step n + 3 (JVP 4; the first at the real x, the last two the analyticity check);
 *   complex function VJP/Jacobian as the real ones with 2n inputs, JVP as the real JVP.
 */
#include "check.h"

#define N 4
#define M 2

struct watch {
    int evaluations;  /* calls of f */
    int reports;
    size_t first_total, last_done, last_total;
    int decreased, over, not_rising, mismatched;
    int cancel_at;    /* report number to cancel at, 0 = never */
};

static struct watch w;

static void reset(int cancel_at)
{
    memset(&w, 0, sizeof w);
    w.cancel_at = cancel_at;
}

static int32_t progress(void *user, size_t done, size_t total)
{
    (void)user;
    w.reports++;
    if (w.reports == 1)
        w.first_total = total;
    else {
        if (total < w.last_total)
            w.decreased++;
        if (done <= w.last_done)
            w.not_rising++;
    }
    if (done > total)
        w.over++;
    if (done != (size_t)w.evaluations)
        w.mismatched++;
    w.last_done = done;
    w.last_total = total;
    return w.reports == w.cancel_at;
}

/* f(x) = (sum x_j^2, prod-like x_0 x_1 + x_2^3): smooth and well scaled at x ~ 1 */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t j;
    (void)user;
    (void)m;
    w.evaluations++;
    y[0] = 0.0;
    for (j = 0; j < n; j++)
        y[0] += x[j] * x[j];
    y[1] = x[0] * x[1] + x[2] * x[2] * x[2];
    return 0;
}

/* the same f on complex numbers (interleaved re/im); also a real-analytic f for complex
   step */
static int32_t cf(void *user, const double *z, size_t n, double *out, size_t m)
{
    size_t j;
    double sr = 0, si = 0;
    (void)user;
    (void)m;
    w.evaluations++;
    for (j = 0; j < n; j++) {
        double a = z[2 * j], b = z[2 * j + 1];
        sr += a * a - b * b;
        si += 2 * a * b;
    }
    out[0] = sr;
    out[1] = si;
    {
        double a0 = z[0], b0 = z[1], a1 = z[2], b1 = z[3], a2 = z[4], b2 = z[5];
        double pr = a0 * a1 - b0 * b1, pi = a0 * b1 + b0 * a1;
        double qr = a2 * a2 - b2 * b2, qi = 2 * a2 * b2; /* z2^2 */
        double cr = qr * a2 - qi * b2, ci = qr * b2 + qi * a2; /* z2^3 */
        out[2] = pr + cr;
        out[3] = pi + ci;
    }
    return 0;
}

static void expect_truthful(const char *what, int32_t status, size_t want_total)
{
    int ok = 1;
    ok &= CHECK_STATUS(status, FDVJP_OK);
    ok &= CHECK(w.reports > 0);
    ok &= CHECK_INT((long long)w.first_total, (long long)want_total);
    ok &= CHECK_INT((long long)w.last_done, (long long)w.evaluations);
    ok &= CHECK_INT((long long)w.last_total, (long long)want_total);
    ok &= CHECK_INT(w.evaluations, (long long)want_total);
    ok &= CHECK(w.decreased == 0 && w.over == 0 && w.not_rising == 0 && w.mismatched == 0);
    if (!ok)
        fprintf(stderr, "    in %s: reports %d, first total %zu, last %zu of %zu, f saw %d\n",
                what, w.reports, w.first_total, w.last_done, w.last_total, w.evaluations);
}

int main(void)
{
    const double x[N] = {1.1, 0.9, 1.3, 0.7}, v[M] = {1.0, -0.5}, u[N] = {1, 2, -1, 0.5};
    const double z[2 * N] = {1.1, 0.2, 0.9, -0.1, 1.3, 0.3, 0.7, 0.1};
    const double cv[2 * M] = {1.0, 0.5, -0.5, 0.25}, cu[2 * N] = {1, 0, 0, 1, 1, 1, 0.5, 0};
    double grad[2 * N], jvp[2 * M], jac[4 * M * N], err[M * N], before[2 * N];
    const int schemes[3] = {FDVJP_CENTRAL, FDVJP_FORWARD, FDVJP_CENTRAL4};
    const size_t points[3] = {2, 1, 4};
    fdvjp_config *cfg = fdvjp_config_new();
    int s, adaptive;

    CHECK_STATUS(fdvjp_config_set_progress(cfg, progress, NULL), FDVJP_OK);
    for (adaptive = 0; adaptive <= 1; adaptive++) {
        size_t per = adaptive ? 18 : 1;
        CHECK_STATUS(fdvjp_config_set_adaptive(cfg, adaptive), FDVJP_OK);
        for (s = 0; s < 3; s++) {
            size_t p = points[s] * per;
            CHECK_STATUS(fdvjp_config_set_scheme(cfg, schemes[s]), FDVJP_OK);
            reset(0);
            expect_truthful("fdvjp_vjp", fdvjp_vjp(cfg, f, NULL, x, N, M, v, grad), 1 + p * N);
            reset(0);
            expect_truthful("fdvjp_jvp", fdvjp_jvp(cfg, f, NULL, x, N, M, u, jvp), 1 + p);
            reset(0);
            expect_truthful("fdvjp_jacobian", fdvjp_jacobian(cfg, f, NULL, x, N, M, jac),
                            1 + p * N);
            reset(0);
            expect_truthful("fdvjp_complex_vjp",
                            fdvjp_complex_vjp(cfg, cf, NULL, z, N, M, cv, grad), 1 + p * 2 * N);
            reset(0);
            expect_truthful("fdvjp_complex_jvp",
                            fdvjp_complex_jvp(cfg, cf, NULL, z, N, M, cu, jvp), 1 + p);
            reset(0);
            expect_truthful("fdvjp_complex_jacobian",
                            fdvjp_complex_jacobian(cfg, cf, NULL, z, N, M, jac), 1 + p * 2 * N);
        }
    }
    CHECK_STATUS(fdvjp_config_set_adaptive(cfg, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, FDVJP_CENTRAL), FDVJP_OK);

    reset(0);
    expect_truthful("fdvjp_vjp_estimate",
                    fdvjp_vjp_estimate(cfg, f, NULL, x, N, M, v, grad, err), 1 + 14 * N);
    reset(0);
    expect_truthful("fdvjp_jvp_estimate",
                    fdvjp_jvp_estimate(cfg, f, NULL, x, N, M, u, jvp, err), 1 + 14);
    reset(0);
    expect_truthful("fdvjp_jacobian_estimate",
                    fdvjp_jacobian_estimate(cfg, f, NULL, x, N, M, jac, err), 1 + 14 * N);

    /* complex step: f is analytic; real parts as the real x */
    reset(0);
    expect_truthful("fdvjp_vjp_complex_step",
                    fdvjp_vjp_complex_step(cfg, cf, NULL, x, N, M, v, grad), N + 3);
    /* exact: grad = v0 * 2x + v1 * (x1, x0, 3 x2^2, 0) */
    CHECK_CLOSE(grad[0], 2 * x[0] - 0.5 * x[1], 1e-15);
    CHECK_CLOSE(grad[2], 2 * x[2] - 0.5 * 3 * x[2] * x[2], 1e-15);
    reset(0);
    expect_truthful("fdvjp_jvp_complex_step",
                    fdvjp_jvp_complex_step(cfg, cf, NULL, x, N, M, u, jvp), 4);
    reset(0);
    expect_truthful("fdvjp_jacobian_complex_step",
                    fdvjp_jacobian_complex_step(cfg, cf, NULL, x, N, M, jac), N + 3);

    /* cancellation at the second report, outputs untouched */
    memset(grad, 0x5A, sizeof grad);
    memcpy(before, grad, sizeof before);
    reset(2);
    CHECK_STATUS(fdvjp_vjp_complex_step(cfg, cf, NULL, x, N, M, v, grad), FDVJP_CANCELLED);
    CHECK_ERROR_HAS("after 2 of 7");
    CHECK_INT(w.evaluations, 2);
    CHECK(memcmp(grad, before, sizeof grad) == 0);
    reset(2);
    CHECK_STATUS(fdvjp_jacobian_complex_step(cfg, cf, NULL, x, N, M, jac), FDVJP_CANCELLED);
    CHECK_INT(w.evaluations, 2);
    reset(1);
    CHECK_STATUS(fdvjp_jvp_complex_step(cfg, cf, NULL, x, N, M, u, jvp), FDVJP_CANCELLED);
    CHECK_INT(w.evaluations, 1);
    reset(2);
    CHECK_STATUS(fdvjp_complex_vjp(cfg, cf, NULL, z, N, M, cv, grad), FDVJP_CANCELLED);
    CHECK_ERROR_HAS("after 2 of 17");
    CHECK_INT(w.evaluations, 2);
    CHECK(memcmp(grad, before, sizeof grad) == 0);
    reset(2);
    CHECK_STATUS(fdvjp_complex_jacobian(cfg, cf, NULL, z, N, M, jac), FDVJP_CANCELLED);
    CHECK_INT(w.evaluations, 2);
    reset(2);
    CHECK_STATUS(fdvjp_complex_jvp(cfg, cf, NULL, z, N, M, cu, jvp), FDVJP_CANCELLED);
    CHECK_INT(w.evaluations, 2);

    fdvjp_config_free(cfg);
    return check_summary("test_progress_truth");
}
