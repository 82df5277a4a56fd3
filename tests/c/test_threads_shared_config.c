/*
 * test_threads_shared_config.c: one config, many threads. A computation receives the
 * config as `const fdvjp_config *` and only reads it, so the common OpenMP pattern (one
 * config, a parallel loop of VJPs) needs no lock. 6 threads run VJPs, JVPs and Jacobians
 * (each at its own points) with the same config (fourth-order scheme, typical magnitudes,
 * a tridiagonal sparsity pattern, and on a second config 2 worker threads of its own),
 * and every result must equal bit for bit the same work done on one thread first; the
 * results are also checked against the analytic Jacobian (tolerance 1e-9). Runs natively,
 * under valgrind, ASan and ThreadSanitizer (tests/run.sh runs every test_threads*.c there).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "check.h"

#define N 12
#define THREADS 6
#define ROUNDS 25

/* f_i = sin(x_i) x_i + x_{i-1}^2 (tridiagonal Jacobian). Pure: safe on any thread. */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i;
    (void)user;
    (void)m;
    for (i = 0; i < n; i++)
        y[i] = sin(x[i]) * x[i] + (i > 0 ? x[i - 1] * x[i - 1] : 0.0);
    return 0;
}

static double jac_exact(const double *x, size_t i, size_t j)
{
    if (i == j)
        return cos(x[i]) * x[i] + sin(x[i]);
    if (j + 1 == i)
        return 2.0 * x[j];
    return 0.0;
}

struct result {
    double grad[N], jvp[N], jac[N * N];
};

static const fdvjp_config *configs[2];
static struct result want[2][THREADS];
static int mismatches[THREADS];

static void point(int t, double *x, double *v)
{
    size_t j;
    for (j = 0; j < N; j++) {
        x[j] = 0.1 * (double)(t + 1) + 0.05 * (double)j;
        v[j] = 1.0 - 0.1 * (double)j + 0.01 * (double)t;
    }
}

static int compute(const fdvjp_config *cfg, int t, struct result *r)
{
    double x[N], v[N];
    point(t, x, v);
    return fdvjp_vjp(cfg, f, NULL, x, N, N, v, r->grad) != FDVJP_OK ||
           fdvjp_jvp(cfg, f, NULL, x, N, N, v, r->jvp) != FDVJP_OK ||
           fdvjp_jacobian(cfg, f, NULL, x, N, N, r->jac) != FDVJP_OK;
}

static void *worker(void *arg)
{
    int t = (int)(size_t)arg, round, c;
    struct result r;
    for (round = 0; round < ROUNDS; round++)
        for (c = 0; c < 2; c++)
            if (compute(configs[c], t, &r) || memcmp(&r, &want[c][t], sizeof r) != 0)
                mismatches[t]++;
    return NULL;
}

int main(void)
{
    size_t rows[3 * N], cols[3 * N], nnz = 0, i, j;
    double typ[N];
    pthread_t th[THREADS];
    fdvjp_config *a = fdvjp_config_new(), *b = fdvjp_config_new();
    int t, c;

    for (i = 0; i < N; i++) {
        typ[i] = 0.5;
        rows[nnz] = i, cols[nnz++] = i;
        if (i > 0)
            rows[nnz] = i, cols[nnz++] = i - 1;
    }
    CHECK_STATUS(fdvjp_config_set_scheme(a, FDVJP_CENTRAL4), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_typical(a, typ, N), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_sparsity(a, rows, cols, nnz), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_threads(b, 2), FDVJP_OK);
    configs[0] = a;
    configs[1] = b;

    /* the reference: the same work on one thread, checked against the exact Jacobian */
    for (c = 0; c < 2; c++)
        for (t = 0; t < THREADS; t++) {
            double x[N], v[N];
            CHECK(compute(configs[c], t, &want[c][t]) == 0);
            point(t, x, v);
            for (i = 0; i < N; i++)
                for (j = 0; j < N; j++)
                    CHECK_CLOSE(want[c][t].jac[i * N + j], jac_exact(x, i, j), 1e-9);
        }

    for (t = 0; t < THREADS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(size_t)t) == 0);
    for (t = 0; t < THREADS; t++) {
        CHECK(pthread_join(th[t], NULL) == 0);
        CHECK_INT(mismatches[t], 0);
    }
    fdvjp_config_free(a);
    fdvjp_config_free(b);
    return check_summary("test_threads_shared_config");
}
