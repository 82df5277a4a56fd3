/*
 * test_learned.c: fdvjp_config_detect_sparsity, fdvjp_config_set_learn_sparsity and
 * fdvjp_config_learned_sparsity through the C API: exact evaluation counts (counted in
 * the callback), the learned pattern against the known one, gradients against the
 * analytic VJP, a coupling that appears midway caught by the check at the first call, a
 * tape node that learns at its first pull-back, and the error paths (config unchanged).
 */
#include <stddef.h>
#include <stdlib.h>

#include "check.h"

typedef struct {
    long calls;
    double g;       /* coupling of y_i to x_{i+2} (0: tridiagonal) */
    long nan_after; /* 0: never; else NaN in y[1] from this call on */
    long fail_at;   /* 0: never; else return 9 at this call */
} chain_data;

/* y_i = x_{i-1} x_i + sin(x_i) - x_{i+1}^2/3 + g x_{i+2}^2/2. */
static int32_t chain(void *user, const double *x, size_t n, double *y, size_t m)
{
    chain_data *d = user;
    d->calls++;
    if (d->fail_at && d->calls == d->fail_at)
        return 9;
    for (size_t i = 0; i < m; i++) {
        double left = i > 0 ? x[i - 1] * x[i] : 0.0;
        double right = i + 1 < n ? x[i + 1] * x[i + 1] / 3.0 : 0.0;
        double far = i + 2 < n ? d->g * x[i + 2] * x[i + 2] / 2.0 : 0.0;
        y[i] = left + sin(x[i]) - right + far;
    }
    if (d->nan_after && d->calls >= d->nan_after)
        y[1] = NAN;
    return 0;
}

static void chain_vjp(const double *x, const double *v, size_t n, double g, double *grad)
{
    for (size_t j = 0; j < n; j++)
        grad[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            grad[i - 1] += v[i] * x[i];
        grad[i] += v[i] * (cos(x[i]) + (i > 0 ? x[i - 1] : 0.0));
        if (i + 1 < n)
            grad[i + 1] -= v[i] * 2.0 * x[i + 1] / 3.0;
        if (i + 2 < n)
            grad[i + 2] += v[i] * g * x[i + 2];
    }
}

enum { N = 1000 };

static double max_diff(const double *a, const double *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]));
    return worst;
}

static void detect_then_loop(void)
{
    static double x[N], v[N], grad[N], want[N];
    static size_t rows[3 * N], cols[3 * N];
    uint64_t s = 5;
    for (size_t i = 0; i < N; i++)
        x[i] = 0.5 + check_uniform(&s, 0.0, 1.0);
    chain_data d = {0, 0.0, 0, 0};
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_detect_sparsity(cfg, chain, &d, x, N, N), FDVJP_OK);
    CHECK_INT(d.calls, 2 * (N + 1));
    size_t nnz = 0;
    CHECK_STATUS(fdvjp_config_learned_sparsity(cfg, rows, cols, 3 * N, &nnz), FDVJP_OK);
    CHECK_INT(nnz, 3 * N - 2);
    int tridiagonal = 1;
    for (size_t k = 0; k < nnz; k++)
        tridiagonal &= rows[k] + 1 >= cols[k] && cols[k] + 1 >= rows[k];
    CHECK(tridiagonal);
    fdvjp_report r;
    for (int call = 1; call <= 100; call++) {
        if (call > 50)
            d.g = 1e-5;
        for (size_t i = 0; i < N; i++) {
            x[i] = 0.5 + check_uniform(&s, 0.0, 1.0);
            v[i] = 2.0 * check_uniform(&s, 0.0, 1.0) - 1.0;
        }
        long before = d.calls;
        CHECK_STATUS(fdvjp_vjp(cfg, chain, &d, x, N, N, v, grad), FDVJP_OK);
        CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
        chain_vjp(x, v, N, d.g, want);
        CHECK(max_diff(grad, want, N) < 1e-8);
        if (call < 51) {
            CHECK_INT(d.calls - before, 9);
            CHECK_INT(r.sparsity_relearned, 0);
            CHECK(r.sparsity_check < 0.1);
        } else if (call == 51) {
            CHECK_INT(r.sparsity_relearned, 1);
            CHECK_INT(d.calls - before, 9 + 2 * N);
            CHECK_INT(r.evaluations, 9 + 2 * N);
        } else {
            CHECK_INT(r.sparsity_relearned, 0);
            CHECK_INT(d.calls - before, 1 + 2 * 4 + 2);
        }
    }
    CHECK_STATUS(fdvjp_config_learned_sparsity(cfg, NULL, NULL, 0, &nnz), FDVJP_OK);
    CHECK_INT(nnz, 4 * N - 4);
    fdvjp_config_free(cfg);
}

static void errors_leave_the_config(void)
{
    double x[6] = {1, 1, 1, 1, 1, 1}, v[6] = {1, 1, 1, 1, 1, 1}, g[6], want[6];
    chain_data d = {0, 0.0, 0, 0};
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_detect_sparsity(NULL, chain, &d, x, 6, 6), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_detect_sparsity(cfg, NULL, &d, x, 6, 6), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_detect_sparsity(cfg, chain, &d, NULL, 6, 6), FDVJP_NULL_POINTER);
    CHECK_INT(d.calls, 0);
    d.fail_at = 4;
    CHECK_STATUS(fdvjp_config_detect_sparsity(cfg, chain, &d, x, 6, 6), FDVJP_CALLBACK_FAILED);
    CHECK_ERROR_HAS("fdvjp_config_detect_sparsity");
    CHECK_ERROR_HAS("returned 9 at evaluation 4");
    d.fail_at = 0;
    d.calls = 0;
    d.nan_after = 3;
    CHECK_STATUS(fdvjp_config_detect_sparsity(cfg, chain, &d, x, 6, 6), FDVJP_NONFINITE_PERTURBED);
    CHECK_ERROR_HAS("column 1 (sparsity detection)");
    d.nan_after = 0;
    size_t nnz = 99;
    CHECK_STATUS(fdvjp_config_learned_sparsity(cfg, NULL, NULL, 0, &nnz), FDVJP_OK);
    CHECK_INT(nnz, 0);
    /* the config is unchanged: a plain dense VJP (1 + 2n) */
    d.calls = 0;
    CHECK_STATUS(fdvjp_vjp(cfg, chain, &d, x, 6, 6, v, g), FDVJP_OK);
    CHECK_INT(d.calls, 13);
    chain_vjp(x, v, 6, 0.0, want);
    CHECK(max_diff(g, want, 6) < 1e-8);
    /* learned, then a call with other sizes is refused, grad untouched */
    CHECK_STATUS(fdvjp_config_detect_sparsity(cfg, chain, &d, x, 6, 6), FDVJP_OK);
    g[0] = 42.0;
    CHECK_STATUS(fdvjp_vjp(cfg, chain, &d, x, 5, 5, v, g), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("n = 6, m = 6");
    CHECK(g[0] == 42.0);
    /* a short capacity: LENGTH_MISMATCH as fdvjp_config_get_sparsity, nothing written */
    size_t small_rows[2] = {7, 7}, small_cols[2] = {7, 7};
    nnz = 99;
    CHECK_STATUS(fdvjp_config_learned_sparsity(cfg, small_rows, small_cols, 2, &nnz),
                 FDVJP_LENGTH_MISMATCH);
    CHECK_ERROR_HAS("fdvjp_config_learned_sparsity: capacity = 2 is less than the 16 elements");
    CHECK_INT(nnz, 99);
    CHECK_INT(small_rows[0] + small_rows[1] + small_cols[0] + small_cols[1], 28);
    CHECK_STATUS(fdvjp_config_learned_sparsity(cfg, NULL, NULL, 0, NULL), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 2), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_config_set_learn_sparsity(NULL, 1), FDVJP_NULL_POINTER);
    /* off forgets the pattern */
    CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_learned_sparsity(cfg, NULL, NULL, 0, &nnz), FDVJP_OK);
    CHECK_INT(nnz, 0);
    fdvjp_config_free(cfg);
}

/* A tape node recorded with a learning config: learns at its first pull-back, then each
 * replay's pull-back costs 6 + 2 (f(x) is the node's forward value). */
static void tape_node_learns(void)
{
    enum { M = 200 };
    static double x[M], v[M], grad[M], want[M];
    uint64_t s = 9;
    for (size_t i = 0; i < M; i++)
        x[i] = 0.5 + check_uniform(&s, 0.0, 1.0);
    chain_data d = {0, 0.0, 0, 0};
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 1), FDVJP_OK);
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var in, out;
    CHECK_STATUS(fdvjp_tape_input(t, x, M, &in), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_call(t, cfg, chain, &d, &in, 1, M, &out), FDVJP_OK);
    fdvjp_config_free(cfg);
    for (int replay = 0; replay < 5; replay++) {
        for (size_t i = 0; i < M; i++)
            v[i] = 2.0 * check_uniform(&s, 0.0, 1.0) - 1.0;
        if (replay > 0) {
            for (size_t i = 0; i < M; i++)
                x[i] = 0.5 + check_uniform(&s, 0.0, 1.0);
            CHECK_STATUS(fdvjp_tape_set_input(t, in, x, M), FDVJP_OK);
            CHECK_STATUS(fdvjp_tape_forward(t), FDVJP_OK);
        }
        long before = d.calls;
        CHECK_STATUS(fdvjp_tape_backward(t, out, v, M), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(t, in, grad, M), FDVJP_OK);
        chain_vjp(x, v, M, 0.0, want);
        CHECK(max_diff(grad, want, M) < 1e-8);
        CHECK_INT(d.calls - before, replay == 0 ? 2 * M + 1 + 8 : 8);
    }
    fdvjp_tape_free(t);
}

int main(void)
{
    detect_then_loop();
    errors_leave_the_config();
    tape_node_learns();
    return check_summary("test_learned");
}
