/*
 * test_noisy.c: issue 16's goals through the C API on three kinds of noisy black box,
 * n = 20, dense central VJP (the Rust suite tests/noisy_functions.rs has the same kinds).
 *
 *  - hash: 2 + sum 0.5 sin(x_j + 0.3 j) + eps u(x), u a deterministic hash of x, uniform
 *    in [-1, 1) (standard deviation eps / sqrt 3), eps = 1e-12 .. 1e-6. Exact gradient
 *    0.5 cos(x_j + 0.3 j).
 *  - ode: y(5) of y' = -a y + sin t + b, y(0) = c (a, b, c smooth in x) by an RK23
 *    (Bogacki-Shampine) integrator with step control at tolerance 1e-10. Exact gradient
 *    from the closed-form solution, by the chain rule.
 *  - jacobi: v^T z, A(x) z = b(x) tridiagonal and diagonally dominant, by Jacobi iteration
 *    stopped at a tolerance: in double (tol 1e-10) and in single precision (tol 1e-6, the
 *    noise of a mixed-precision solver). Exact gradient -l^T dA z + l^T db, A l = v, from
 *    a direct tridiagonal solve.
 *
 * "True eps" of the solvers is measured: f at 33 points spaced by the plain step along a
 * fixed direction, minus its least-squares quadratic; the rms of the residuals. The
 * integrator and the double solver are smooth at that scale (their derivative error is
 * the solver's own, at most 10 tol: measured 4.3 tol for the integrator, 0.13 tol for the
 * solver, in tests/noisy_functions.rs), so nothing may change for them: 2n + 1
 * evaluations and no noise reported by the default.
 */
#include <stddef.h>
#include <stdlib.h>

#include "check.h"

#define N 20
#define K 8 /* unknowns of the linear system */

static long calls;

static double point(size_t j)
{
    return ((double)(j * 7 % 11) / 11.0 - 0.5) * 2.0;
}

/* ---- hash noise ---- */

static int32_t hash_noisy(void *user, const double *x, size_t n, double *y, size_t m)
{
    const double eps = *(const double *)user;
    double s = 2.0;
    (void)m;
    calls++;
    for (size_t j = 0; j < n; j++)
        s += 0.5 * sin(x[j] + 0.3 * (double)j);
    y[0] = s + eps * check_hash(0x123456789abcdef0ull, x, n);
    return 0;
}

/* ---- the ODE ---- */

#define T_END 5.0

typedef struct {
    double a, b, c;          /* coefficients */
    double da, db, dc;       /* their derivatives wrt the three sums */
    double s1, s2, s3;       /* the sums */
} coefficients;

static double w1(size_t j) { return 0.3 * cos((double)j); }
static double w2(size_t j) { return 0.2 * sin((double)j + 1.0); }
static double w3(size_t j) { return 0.25 / ((double)j + 1.0); }

static coefficients ode_coefficients(const double *x, size_t n)
{
    coefficients k = {0};
    for (size_t j = 0; j < n; j++) {
        k.s1 += w1(j) * x[j];
        k.s2 += w2(j) * x[j];
        k.s3 += w3(j) * x[j];
    }
    k.a = 1.5 + 0.5 * sin(k.s1);
    k.da = 0.5 * cos(k.s1);
    k.b = 0.3 * k.s2;
    k.db = 0.3;
    k.c = 1.0 + 0.5 * cos(k.s3);
    k.dc = -0.5 * sin(k.s3);
    return k;
}

static double rhs(const coefficients *k, double t, double y)
{
    return -k->a * y + sin(t) + k->b;
}

static int32_t ode_rk23(void *user, const double *x, size_t n, double *y, size_t m)
{
    const double tol = *(const double *)user;
    coefficients k = ode_coefficients(x, n);
    double t = 0.0, u = k.c, h = 0.01, k1 = rhs(&k, t, u);
    (void)m;
    calls++;
    while (t < T_END) {
        if (t + h > T_END)
            h = T_END - t;
        double k2 = rhs(&k, t + 0.5 * h, u + 0.5 * h * k1);
        double k3 = rhs(&k, t + 0.75 * h, u + 0.75 * h * k2);
        double u3 = u + h * (2.0 * k1 + 3.0 * k2 + 4.0 * k3) / 9.0;
        double k4 = rhs(&k, t + h, u3);
        double u2 = u + h * (7.0 / 24.0 * k1 + 0.25 * k2 + k3 / 3.0 + 0.125 * k4);
        double err = fabs(u3 - u2) / (tol * (1.0 + fabs(u3)));
        if (err <= 1.0) {
            t += h;
            u = u3;
            k1 = k4;
        }
        double fac = err == 0.0 ? 5.0 : 0.9 * pow(err, -1.0 / 3.0);
        h *= fac > 5.0 ? 5.0 : fac < 0.2 ? 0.2 : fac;
    }
    y[0] = u;
    return 0;
}

/* d y(T) / d x_j of the closed form (c - b/a + 1/q) E + b/a + (a sin T - cos T)/q,
 * E = exp(-a T), q = 1 + a^2. */
static void ode_gradient(const double *x, double *g)
{
    coefficients k = ode_coefficients(x, N);
    double a = k.a, b = k.b, c = k.c, e = exp(-a * T_END), q = 1.0 + a * a;
    double p = a * sin(T_END) - cos(T_END);
    double dy_da = (b / (a * a) - 2.0 * a / (q * q)) * e
                   - T_END * (c - b / a + 1.0 / q) * e - b / (a * a)
                   + (sin(T_END) * q - 2.0 * a * p) / (q * q);
    double dy_db = (-1.0 / a) * e + 1.0 / a;
    double dy_dc = e;
    for (size_t j = 0; j < N; j++)
        g[j] = dy_da * k.da * w1(j) + dy_db * k.db * w2(j) + dy_dc * k.dc * w3(j);
}

/* ---- the linear system ---- */

typedef struct {
    double tol;
    int single;
} solver;

static const double cotangent[K] = {1.0, 0.8, 0.6, 0.4, 0.2, 0.0, -0.2, -0.4};

static void tridiagonal(const double *x, double *d, double *o, double *b)
{
    for (size_t i = 0; i < K; i++) {
        d[i] = 5.0 + 0.5 * x[i];
        b[i] = sin((double)(i + 1)) + 0.5 * x[15 + i % 5];
        if (i + 1 < K)
            o[i] = 1.0 + 0.3 * x[8 + i];
    }
}

static void jacobi_double(const double *x, double tol, double *z)
{
    double d[K], o[K], b[K], next[K];
    tridiagonal(x, d, o, b);
    for (size_t i = 0; i < K; i++)
        z[i] = 0.0;
    for (int it = 0; it < 10000; it++) {
        double change = 0.0;
        for (size_t i = 0; i < K; i++) {
            double s = b[i];
            if (i > 0)
                s -= o[i - 1] * z[i - 1];
            if (i + 1 < K)
                s -= o[i] * z[i + 1];
            next[i] = s / d[i];
            change = fmax(change, fabs(next[i] - z[i]));
        }
        memcpy(z, next, sizeof next);
        if (change <= tol)
            break;
    }
}

static void jacobi_single(const double *x, double tol, double *z)
{
    double d[K], o[K], b[K];
    float zf[K] = {0}, next[K];
    tridiagonal(x, d, o, b);
    for (int it = 0; it < 10000; it++) {
        float change = 0.0f;
        for (size_t i = 0; i < K; i++) {
            float s = (float)b[i];
            if (i > 0)
                s -= (float)o[i - 1] * zf[i - 1];
            if (i + 1 < K)
                s -= (float)o[i] * zf[i + 1];
            next[i] = s / (float)d[i];
            change = fmaxf(change, fabsf(next[i] - zf[i]));
        }
        memcpy(zf, next, sizeof next);
        if (change <= tol)
            break;
    }
    for (size_t i = 0; i < K; i++)
        z[i] = zf[i];
}

static int32_t jacobi(void *user, const double *x, size_t n, double *y, size_t m)
{
    const solver *s = user;
    (void)n;
    (void)m;
    calls++;
    if (s->single)
        jacobi_single(x, s->tol, y);
    else
        jacobi_double(x, s->tol, y);
    return 0;
}

/* Solves the (symmetric) tridiagonal system A z = r directly (Thomas). */
static void solve_direct(const double *d, const double *o, const double *r, double *z)
{
    double cp[K], dp[K];
    for (size_t i = 0; i < K; i++) {
        double sub = i > 0 ? o[i - 1] : 0.0;
        double den = d[i] - (i > 0 ? sub * cp[i - 1] : 0.0);
        cp[i] = i + 1 < K ? o[i] / den : 0.0;
        dp[i] = (r[i] - (i > 0 ? sub * dp[i - 1] : 0.0)) / den;
    }
    z[K - 1] = dp[K - 1];
    for (size_t i = K - 1; i-- > 0;)
        z[i] = dp[i] - cp[i] * z[i + 1];
}

/* v^T dz/dx = -l^T (dA/dx) z + l^T db/dx with A l = v (A symmetric). */
static void jacobi_gradient(const double *x, double *g)
{
    double d[K], o[K], b[K], z[K], l[K];
    tridiagonal(x, d, o, b);
    solve_direct(d, o, b, z);
    solve_direct(d, o, cotangent, l);
    for (size_t j = 0; j < N; j++)
        g[j] = 0.0;
    for (size_t i = 0; i < K; i++) {
        g[i] += -l[i] * 0.5 * z[i];             /* dA_ii / dx_i = 0.5 */
        g[15 + i % 5] += l[i] * 0.5;            /* db_i / dx_(15 + i mod 5) = 0.5 */
        if (i + 1 < K)                          /* dA_i,i+1 = dA_i+1,i / dx_(8+i) = 0.3 */
            g[8 + i] += -0.3 * (l[i] * z[i + 1] + l[i + 1] * z[i]);
    }
}

/* ---- the measures ---- */

/* The rms residual of v^T f after a least-squares quadratic, at 33 points spaced by the
 * plain central step along u_j = cos(1.7 j + 0.4). */
static double spread(fdvjp_fn f, void *user, const double *x, size_t m, const double *v)
{
    double s[33], r[33], xk[N], y[K];
    double h = cbrt(2.220446049250313e-16);
    for (int k = -16; k <= 16; k++) {
        for (size_t j = 0; j < N; j++)
            xk[j] = x[j] + (double)k * h * fmax(fabs(x[j]), 1.0) * cos(1.7 * (double)j + 0.4);
        f(user, xk, N, y, m);
        s[k + 16] = (double)k / 16.0;
        r[k + 16] = 0.0;
        for (size_t i = 0; i < m; i++)
            r[k + 16] += v[i] * y[i];
    }
    double m2 = 0.0;
    for (int k = 0; k < 33; k++)
        m2 += s[k] * s[k] / 33.0;
    for (int p = 0; p < 3; p++) {
        double num = 0.0, den = 0.0;
        for (int k = 0; k < 33; k++) {
            double b = p == 0 ? 1.0 : p == 1 ? s[k] : s[k] * s[k] - m2;
            num += b * r[k];
            den += b * b;
        }
        for (int k = 0; k < 33; k++) {
            double b = p == 0 ? 1.0 : p == 1 ? s[k] : s[k] * s[k] - m2;
            r[k] -= num / den * b;
        }
    }
    double sq = 0.0;
    for (int k = 0; k < 33; k++)
        sq += r[k] * r[k];
    return sqrt(sq / 30.0);
}

/* The VJP under `cfg`, its max abs error against `want`, evaluations and the report. */
static double vjp_error(const fdvjp_config *cfg, fdvjp_fn f, void *user, size_t m,
                        const double *v, const double *want, long *evals, fdvjp_report *r)
{
    double x[N], g[N];
    for (size_t j = 0; j < N; j++)
        x[j] = point(j);
    calls = 0;
    CHECK_STATUS(fdvjp_vjp(cfg, f, user, x, N, m, v, g), FDVJP_OK);
    *evals = calls;
    CHECK_STATUS(fdvjp_last_report(r, sizeof *r), FDVJP_OK);
    CHECK_INT((long)r->evaluations, calls);
    double err = 0.0;
    for (size_t j = 0; j < N; j++)
        err = fmax(err, fabs(g[j] - want[j]));
    return err;
}

/* Hash noise: declared within 3 eps^(2/3) with 2n+1 evaluations; estimated within
 * 10 eps^(2/3) with at most 2n+1+12, the estimate within 3x of eps / sqrt 3; the
 * default within 10 eps^(2/3) from eps = 1e-8 (at most 2(2n+1)+12 evaluations). */
static void hash_goals(void)
{
    const double levels[4] = {1e-12, 1e-10, 1e-8, 1e-6}, one = 1.0;
    double x[N], want[N];
    for (size_t j = 0; j < N; j++) {
        x[j] = point(j);
        want[j] = 0.5 * cos(x[j] + 0.3 * (double)j);
    }
    for (int l = 0; l < 4; l++) {
        double eps = levels[l], sd = eps / sqrt(3.0), best = pow(sd, 2.0 / 3.0), err;
        long evals;
        fdvjp_report r;
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_noise(cfg, &sd, 1), FDVJP_OK);
        err = vjp_error(cfg, hash_noisy, &eps, 1, &one, want, &evals, &r);
        printf("hash %.0e: declared %.2e (%.2f eps^(2/3), %ld evals)", eps, err, err / best,
               evals);
        CHECK(err <= 3.0 * best);
        CHECK_INT(evals, 2 * N + 1);
        CHECK_INT(r.noise_source, FDVJP_NOISE_DECLARED);
        fdvjp_config_free(cfg);

        cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_ESTIMATE), FDVJP_OK);
        err = vjp_error(cfg, hash_noisy, &eps, 1, &one, want, &evals, &r);
        printf(", estimate %.2e (%.2f, %ld, noise %.2e)", err, err / best, evals,
               r.noise_level);
        CHECK(err <= 10.0 * best);
        CHECK(evals <= 2 * N + 1 + 12);
        CHECK_INT(r.noise_source, FDVJP_NOISE_ESTIMATED);
        CHECK(r.noise_level > sd / 3.0 && r.noise_level < 3.0 * sd);
        fdvjp_config_free(cfg);

        err = vjp_error(NULL, hash_noisy, &eps, 1, &one, want, &evals, &r);
        printf(", default %.2e (%.2f, %ld)\n", err, err / best, evals);
        CHECK(evals <= 2 * (2 * N + 1) + 12);
        if (eps >= 1e-8)
            CHECK(err <= 10.0 * best);
    }
}

/* The integrator and the double-precision solver are smooth at the scale of the steps:
 * the default takes 2n+1 evaluations, reports no noise, and is within the solver's own
 * derivative error (10 tol) plus 10 (4 eps |f|)^(2/3) of the exact gradient; the noise
 * estimate finds nothing above 3 times rounding (4 eps |f|). */
static void smooth_solvers(void)
{
    double x[N], want[N], one = 1.0, tol = 1e-10;
    solver s = {1e-10, 0};
    for (size_t j = 0; j < N; j++)
        x[j] = point(j);
    for (int kind = 0; kind < 2; kind++) {
        fdvjp_fn f = kind == 0 ? ode_rk23 : jacobi;
        void *user = kind == 0 ? (void *)&tol : (void *)&s;
        size_t m = kind == 0 ? 1 : K;
        const double *v = kind == 0 ? &one : cotangent;
        double y[K], size = 0.0;
        f(user, x, N, y, m);
        for (size_t i = 0; i < m; i++)
            size += fabs(v[i] * y[i]);
        double floor = 4.0 * 2.220446049250313e-16 * size;
        if (kind == 0)
            ode_gradient(x, want);
        else
            jacobi_gradient(x, want);
        long evals;
        fdvjp_report r;
        double err = vjp_error(NULL, f, user, m, v, want, &evals, &r);
        double eps = spread(f, user, x, m, v);
        printf("%s: spread %.1e, default %.2e (%ld evals)", kind == 0 ? "ode" : "jacobi",
               eps, err, evals);
        CHECK(eps < 4.0 * floor); /* rounding of a few thousand steps */
        CHECK_INT(evals, 2 * N + 1);
        CHECK_INT(r.noise_source, FDVJP_NOISE_NONE);
        CHECK(err <= 10.0 * 1e-10 + 10.0 * pow(floor, 2.0 / 3.0));
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_ESTIMATE), FDVJP_OK);
        err = vjp_error(cfg, f, user, m, v, want, &evals, &r);
        double noise = 0.0, lv[K];
        CHECK_INT((long)fdvjp_last_report_noise(lv, m), (long)m);
        for (size_t i = 0; i < m; i++)
            noise += v[i] * v[i] * lv[i] * lv[i];
        noise = sqrt(noise);
        printf(", estimate %.2e (%ld evals, noise %.1e)\n", err, evals, noise);
        CHECK(err <= 10.0 * 1e-10 + 10.0 * pow(floor, 2.0 / 3.0));
        CHECK(noise < 3.0 * floor);
        fdvjp_config_free(cfg);
    }
}

/* The single-precision solver is noisy (spread ~1e-8): the default notices (at most
 * 2(2n+1)+12 evaluations), and it and the estimate mode come within 10 eps^(2/3) of the
 * exact gradient plus the solver's own error (1e-6 >= its tolerance 1e-6 times 0.2); the
 * estimated noise of v^T f is within 3x of the spread. */
static void single_precision_solver(void)
{
    solver s = {1e-6, 1};
    double x[N], want[N];
    for (size_t j = 0; j < N; j++)
        x[j] = point(j);
    jacobi_gradient(x, want);
    double eps = spread(jacobi, &s, x, K, cotangent), best = pow(eps, 2.0 / 3.0);
    long evals;
    fdvjp_report r;
    double err = vjp_error(NULL, jacobi, &s, K, cotangent, want, &evals, &r);
    printf("jacobi f32: spread %.1e, default %.2e (%.2f eps^(2/3), %ld evals)", eps, err,
           err / best, evals);
    CHECK(eps > 1e-9);
    CHECK(evals <= 2 * (2 * N + 1) + 12);
    CHECK(err <= 10.0 * best + 1e-6);
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_ESTIMATE), FDVJP_OK);
    err = vjp_error(cfg, jacobi, &s, K, cotangent, want, &evals, &r);
    double noise = 0.0, lv[K];
    CHECK_INT((long)fdvjp_last_report_noise(lv, K), K);
    for (size_t i = 0; i < K; i++)
        noise += cotangent[i] * cotangent[i] * lv[i] * lv[i];
    noise = sqrt(noise);
    printf(", estimate %.2e (%ld evals), noise %.2e\n", err, evals, noise);
    CHECK(evals <= 2 * N + 1 + 12);
    CHECK(err <= 10.0 * best + 1e-6);
    CHECK(noise > eps / 3.0 && noise < 3.0 * eps);
    fdvjp_config_free(cfg);
}

int main(void)
{
    hash_goals();
    smooth_solvers();
    single_precision_solver();
    return check_summary("test_noisy");
}
