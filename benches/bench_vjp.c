/*
 * bench_vjp.c: fdvjp's time against the floor, a bare hand-written loop doing the same
 * evaluations of the same C function, in one run.
 *
 * For a cheap function (~1 us per call) and an expensive one (~1 ms per call) and
 * n = 10, 100, 1000: the dense central-difference VJP through fdvjp_vjp vs a bare loop
 * (copy x, perturb x_j by +-h, call f, difference, dot with v). Prints the ratio, the
 * evaluations used, the speed-up of 2 threads on the expensive function at n = 32, and the
 * evaluations of a sparse (tridiagonal) VJP at n = 1000. Run it with `bash benches/run.sh`.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fdvjp.h"

typedef struct {
    long calls;
    int repeats; /* inner repetitions that set the cost of one call */
} cost;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* y_0 = sum_j x_j^2 / 2 + sum_j sin(x_j) / n, y_1 = sum_j x_j: its work is the `repeats`
 * passes of a short recurrence, so that the cost per call is set by `repeats`. */
static int32_t fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    cost *c = user;
    __sync_fetch_and_add(&c->calls, 1);
    double s = 0.0, t = 0.0, w = 0.5;
    for (size_t j = 0; j < n; j++) {
        s += 0.5 * x[j] * x[j];
        t += x[j];
    }
    for (int r = 0; r < c->repeats; r++) {
        w = w * (1.0 - w) * 3.7; /* logistic map: not optimised away, no effect on y */
    }
    y[0] = s + (w > 2.0 ? 1.0 : 0.0);
    if (m > 1) {
        y[1] = t;
    }
    return 0;
}

/* The floor: central differences by hand, the same 1 + 2n evaluations. */
static void bare_vjp(cost *c, const double *x, size_t n, size_t m, const double *v, double *grad)
{
    double *xp = malloc(n * sizeof *xp), y0[2], yp[2], ym[2];
    memcpy(xp, x, n * sizeof *xp);
    fn(c, x, n, y0, m);
    const double r = cbrt(2.220446049250313e-16);
    for (size_t j = 0; j < n; j++) {
        double h = r * fmax(fabs(x[j]), 1.0);
        h = (x[j] + h) - x[j];
        xp[j] = x[j] + h;
        fn(c, xp, n, yp, m);
        xp[j] = x[j] - h;
        fn(c, xp, n, ym, m);
        xp[j] = x[j];
        double g = 0.0;
        for (size_t i = 0; i < m; i++) {
            g += v[i] * (yp[i] - ym[i]) / (2.0 * h);
        }
        grad[j] = g;
    }
    free(xp);
}

/* repeats for a target seconds per call at size n. */
static int calibrate(size_t n, double target)
{
    double *x = calloc(n, sizeof *x), y[2];
    cost c = {0, 1000};
    double t0 = now();
    int calls = 200;
    for (int k = 0; k < calls; k++) {
        fn(&c, x, n, y, 2);
    }
    double per_call = (now() - t0) / calls;
    c.repeats = 0;
    t0 = now();
    for (int k = 0; k < calls; k++) {
        fn(&c, x, n, y, 2);
    }
    double base = (now() - t0) / calls;
    free(x);
    double per_repeat = (per_call - base) / 1000.0;
    int reps = (int)((target - base) / per_repeat);
    return reps > 0 ? reps : 0;
}

static void fill(double *x, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        x[j] = 0.5 + 0.001 * (double)(j % 997);
    }
}

static void compare(const char *label, double target, size_t n, int rounds)
{
    const size_t m = 2;
    double *x = malloc(n * sizeof *x), *g1 = malloc(n * sizeof *g1), *g2 = malloc(n * sizeof *g2);
    double v[2] = {1.0, -0.5};
    fill(x, n);
    cost c = {0, calibrate(n, target)};
    double best_fd = INFINITY, best_bare = INFINITY;
    long evals = 0;
    for (int k = 0; k < rounds; k++) {
        c.calls = 0;
        double t0 = now();
        bare_vjp(&c, x, n, m, v, g2);
        double t = now() - t0;
        best_bare = t < best_bare ? t : best_bare;
        c.calls = 0;
        t0 = now();
        if (fdvjp_vjp(NULL, fn, &c, x, n, m, v, g1) != FDVJP_OK) {
            fprintf(stderr, "fdvjp_vjp failed\n");
            exit(1);
        }
        t = now() - t0;
        best_fd = t < best_fd ? t : best_fd;
        evals = c.calls;
    }
    double diff = 0.0;
    for (size_t j = 0; j < n; j++) {
        diff = fmax(diff, fabs(g1[j] - g2[j]));
    }
    printf("%-9s n = %5zu  evaluations %6ld (2n+1 = %6zu)  fdvjp %9.3f ms  bare %9.3f ms  "
           "ratio %.3f  max|diff| %.1e\n",
           label, n, evals, 2 * n + 1, 1e3 * best_fd, 1e3 * best_bare, best_fd / best_bare, diff);
    free(x);
    free(g1);
    free(g2);
}

static void thread_speedup(void)
{
    const size_t n = 32, m = 2;
    double x[32], v[2] = {1.0, 1.0}, g1[32], g2[32];
    fill(x, n);
    cost c = {0, calibrate(n, 1e-3)};
    fdvjp_config *serial_cfg = fdvjp_config_new(), *threaded_cfg = fdvjp_config_new();
    fdvjp_config_set_threads(threaded_cfg, 2);
    /* Best of 5 each, interleaved: the machine's other work only ever slows a run down. */
    double serial = INFINITY, threaded = INFINITY;
    for (int k = 0; k < 5; k++) {
        double t0 = now();
        fdvjp_vjp(serial_cfg, fn, &c, x, n, m, v, g1);
        serial = fmin(serial, now() - t0);
        t0 = now();
        fdvjp_vjp(threaded_cfg, fn, &c, x, n, m, v, g2);
        threaded = fmin(threaded, now() - t0);
    }
    fdvjp_config_free(serial_cfg);
    fdvjp_config_free(threaded_cfg);
    printf("threads   n = %5zu  1 thread %.1f ms, 2 threads %.1f ms: speed-up %.2fx, "
           "identical: %s (ideal %.2fx: f(x) itself is serial)\n",
           n, 1e3 * serial, 1e3 * threaded, serial / threaded,
           memcmp(g1, g2, sizeof g1) == 0 ? "yes" : "NO", (2.0 * n + 1) / (n + 1.0));
}

static int32_t tridiagonal(void *user, const double *x, size_t n, double *y, size_t m)
{
    cost *c = user;
    c->calls++;
    (void)m;
    for (size_t i = 0; i < n; i++) {
        y[i] = x[i] * x[i] - (i > 0 ? x[i - 1] : 0.0) + (i + 1 < n ? 2.0 * x[i + 1] : 0.0);
    }
    return 0;
}

static void sparse_counts(void)
{
    enum { N = 1000 };
    static size_t rows[3 * N], cols[3 * N];
    static double x[N], v[N], g[N];
    size_t nnz = 0;
    for (size_t i = 0; i < N; i++) {
        for (size_t j = i > 0 ? i - 1 : 0; j <= i + 1 && j < N; j++) {
            rows[nnz] = i;
            cols[nnz++] = j;
        }
        x[i] = 0.1 * (double)(i % 7);
        v[i] = 1.0;
    }
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_config_set_sparsity(cfg, rows, cols, nnz);
    const int32_t schemes[2] = {FDVJP_FORWARD, FDVJP_CENTRAL};
    const char *names[2] = {"forward", "central"};
    for (int s = 0; s < 2; s++) {
        cost c = {0, 0};
        fdvjp_config_set_scheme(cfg, schemes[s]);
        fdvjp_vjp(cfg, tridiagonal, &c, x, N, N, v, g);
        double worst = 0.0;
        for (size_t j = 0; j < N; j++) {
            double exact = 2.0 * x[j] - (j + 1 < N ? 1.0 : 0.0) + (j > 0 ? 2.0 : 0.0);
            worst = fmax(worst, fabs(g[j] - exact));
        }
        printf("sparse    n = %5d  tridiagonal, %s: %ld evaluations, max error %.1e\n", N,
               names[s], c.calls, worst);
    }
    fdvjp_config_free(cfg);
}

int main(void)
{
    const size_t sizes[3] = {10, 100, 1000};
    for (int k = 0; k < 3; k++) {
        compare("cheap", 1e-6, sizes[k], 21);
    }
    for (int k = 0; k < 3; k++) {
        compare("expensive", 1e-3, sizes[k], sizes[k] < 1000 ? 2 : 1);
    }
    thread_speedup();
    sparse_counts();
    return 0;
}
