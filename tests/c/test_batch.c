/*
 * test_batch.c: threads, batch callbacks and progress through the C API.
 *
 * Threaded and batched runs must give the serial results bit for bit with the same number
 * of evaluations; batches never exceed the configured size; a progress callback sees the
 * counts and can cancel, leaving the output untouched.
 */
#include "check.h"

#include <stdlib.h>

enum { N = 24, M = N + 1 };

/* y_i = sin(x_i) x_{i+1} + exp(x_{i-1} / 4), y_N = log(1 + |x|^2). Pure: thread-safe. */
static void model(const double *x, double *y)
{
    double s = 0.0;
    for (size_t i = 0; i < N; i++) {
        double next = i + 1 < N ? x[i + 1] : 1.0;
        double prev = i > 0 ? x[i - 1] : 0.0;
        y[i] = sin(x[i]) * next + exp(prev / 4.0);
        s += x[i] * x[i];
    }
    y[N] = log(1.0 + s);
}

typedef struct {
    long calls;      /* evaluations, counted atomically */
    long batches;    /* batch calls */
    size_t largest;  /* largest batch seen */
    size_t cancel_at; /* progress refuses once done >= cancel_at (0: never) */
    size_t last_done, last_total, reports;
} counters;

static int32_t point_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    counters *c = user;
    __sync_fetch_and_add(&c->calls, 1);
    if (n != N || m != M) {
        return 3;
    }
    model(x, y);
    return 0;
}

static int32_t batch_fn(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)
{
    counters *c = user;
    c->batches++;
    if (k > c->largest) {
        c->largest = k;
    }
    for (size_t p = 0; p < k; p++) {
        int32_t rc = point_fn(user, xs + p * n, n, ys + p * m, m);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int32_t progress_fn(void *user, size_t done, size_t total)
{
    counters *c = user;
    c->reports++;
    c->last_done = done;
    c->last_total = total;
    return c->cancel_at != 0 && done >= c->cancel_at;
}

static void point(double *x)
{
    uint64_t state = 99;
    for (size_t i = 0; i < N; i++) {
        x[i] = check_uniform_well_scaled(&state, -1.5, 1.5);
    }
}

int main(void)
{
    double x[N], v[M], jac_serial[M * N], jac[M * N], grad_serial[N], grad[N];
    point(x);
    for (size_t i = 0; i < M; i++) {
        v[i] = (double)i / M - 0.5;
    }
    const int32_t schemes[] = {FDVJP_FORWARD, FDVJP_CENTRAL, FDVJP_CENTRAL4};
    for (size_t s = 0; s < 3; s++) {
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, schemes[s]), FDVJP_OK);
        counters serial = {0};
        CHECK_STATUS(fdvjp_jacobian(cfg, point_fn, &serial, x, N, M, jac_serial), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(cfg, point_fn, &serial, x, N, M, v, grad_serial), FDVJP_OK);

        /* Two threads, default batch (16 points per thread). */
        counters threaded = {0};
        CHECK_STATUS(fdvjp_config_set_threads(cfg, 2), FDVJP_OK);
        CHECK_STATUS(fdvjp_jacobian(cfg, point_fn, &threaded, x, N, M, jac), FDVJP_OK);
        CHECK(memcmp(jac, jac_serial, sizeof jac) == 0);
        CHECK_STATUS(fdvjp_vjp(cfg, point_fn, &threaded, x, N, M, v, grad), FDVJP_OK);
        CHECK(memcmp(grad, grad_serial, sizeof grad) == 0);
        CHECK_INT(threaded.calls, serial.calls);
        CHECK_STATUS(fdvjp_config_set_threads(cfg, 0), FDVJP_OK);

        /* A batch callback with batches of at most 5 points. */
        counters batched = {0};
        CHECK_STATUS(fdvjp_config_set_batch_size(cfg, 5), FDVJP_OK);
        CHECK_STATUS(fdvjp_jacobian_batch(cfg, batch_fn, &batched, x, N, M, jac), FDVJP_OK);
        CHECK(memcmp(jac, jac_serial, sizeof jac) == 0);
        CHECK_STATUS(fdvjp_vjp_batch(cfg, batch_fn, &batched, x, N, M, v, grad), FDVJP_OK);
        CHECK(memcmp(grad, grad_serial, sizeof grad) == 0);
        CHECK_INT(batched.calls, serial.calls);
        CHECK(batched.largest <= 5 && batched.largest >= 4);
        fdvjp_config_free(cfg);
    }

    /* JVP through a batch function: the central stencil's two points in one call. */
    {
        fdvjp_config *cfg = fdvjp_config_new();
        double u[N], jvp_serial[M], jvp[M];
        for (size_t j = 0; j < N; j++) {
            u[j] = 1.0 / (1.0 + j);
        }
        counters serial = {0}, batched = {0};
        CHECK_STATUS(fdvjp_jvp(cfg, point_fn, &serial, x, N, M, u, jvp_serial), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_batch_size(cfg, 8), FDVJP_OK);
        CHECK_STATUS(fdvjp_jvp_batch(cfg, batch_fn, &batched, x, N, M, u, jvp), FDVJP_OK);
        CHECK(memcmp(jvp, jvp_serial, sizeof jvp) == 0);
        CHECK_INT(batched.calls, 3);
        CHECK_INT(batched.largest, 2);
        fdvjp_config_free(cfg);
    }

    /* Progress: counts up to 1 + 2N; cancelling leaves grad untouched. */
    {
        fdvjp_config *cfg = fdvjp_config_new();
        counters c = {0};
        CHECK_STATUS(fdvjp_config_set_progress(cfg, progress_fn, &c), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(cfg, point_fn, &c, x, N, M, v, grad), FDVJP_OK);
        CHECK_INT((long long)c.last_done, 1 + 2 * N);
        CHECK_INT((long long)c.last_total, 1 + 2 * N);
        CHECK_INT((long long)c.reports, 1 + 2 * N);

        counters cancel = {0};
        cancel.cancel_at = 7;
        CHECK_STATUS(fdvjp_config_set_progress(cfg, progress_fn, &cancel), FDVJP_OK);
        double before[N];
        memset(grad, 0xA5, sizeof grad);
        memcpy(before, grad, sizeof grad);
        CHECK_STATUS(fdvjp_vjp(cfg, point_fn, &cancel, x, N, M, v, grad), FDVJP_CANCELLED);
        CHECK(memcmp(grad, before, sizeof grad) == 0);
        CHECK_INT(cancel.calls, 7);
        CHECK_ERROR_HAS("cancelled by the progress callback after 7 of 49 evaluations");

        /* Removing it: the computation runs to the end again. */
        CHECK_STATUS(fdvjp_config_set_progress(cfg, NULL, NULL), FDVJP_OK);
        CHECK_STATUS(fdvjp_vjp(cfg, point_fn, &cancel, x, N, M, v, grad), FDVJP_OK);
        CHECK_INT(cancel.calls, 7 + 1 + 2 * N);
        fdvjp_config_free(cfg);
    }

    /* An opaque tape node: batch function and threads give the point function's gradient
     * bit for bit, with the same evaluations (1 forward + 2N for the pull-back). */
    {
        double g_point[N], g_batch[N], g_threads[N];
        double *grads[3] = {g_point, g_batch, g_threads};
        long calls[3];
        for (int mode = 0; mode < 3; mode++) {
            fdvjp_tape *t = fdvjp_tape_new();
            fdvjp_config *cfg = fdvjp_config_new();
            counters c = {0};
            fdvjp_var in = 0, y = 0, loss = 0;
            CHECK_STATUS(fdvjp_tape_input(t, x, N, &in), FDVJP_OK);
            if (mode == 1) {
                CHECK_STATUS(fdvjp_config_set_batch_size(cfg, 6), FDVJP_OK);
                CHECK_STATUS(fdvjp_tape_call_batch(t, cfg, batch_fn, &c, &in, 1, M, &y), FDVJP_OK);
            } else {
                if (mode == 2) {
                    CHECK_STATUS(fdvjp_config_set_threads(cfg, 2), FDVJP_OK);
                }
                CHECK_STATUS(fdvjp_tape_call(t, cfg, point_fn, &c, &in, 1, M, &y), FDVJP_OK);
            }
            fdvjp_config_free(cfg); /* copied by the tape */
            CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &loss), FDVJP_OK);
            CHECK_STATUS(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_OK);
            CHECK_STATUS(fdvjp_tape_grad(t, in, grads[mode], N), FDVJP_OK);
            calls[mode] = c.calls;
            if (mode == 1) {
                CHECK(c.largest <= 6 && c.largest >= 2);
            }
            fdvjp_tape_free(t);
        }
        CHECK(memcmp(g_point, g_batch, sizeof g_point) == 0);
        CHECK(memcmp(g_point, g_threads, sizeof g_point) == 0);
        CHECK_INT(calls[0], 1 + 2 * N);
        CHECK_INT(calls[1], 1 + 2 * N);
        CHECK_INT(calls[2], 1 + 2 * N);
    }

    /* Errors: NULL batch function, NULL config for the setters, a failing batch. */
    {
        memset(grad, 0x5A, sizeof grad);
        double before[N];
        memcpy(before, grad, sizeof grad);
        CHECK_STATUS(fdvjp_vjp_batch(NULL, NULL, NULL, x, N, M, v, grad), FDVJP_NULL_POINTER);
        CHECK_ERROR_HAS("fdvjp_vjp_batch: f is NULL");
        CHECK(memcmp(grad, before, sizeof grad) == 0);
        CHECK_STATUS(fdvjp_config_set_threads(NULL, 2), FDVJP_NULL_POINTER);
        CHECK_STATUS(fdvjp_config_set_batch_size(NULL, 2), FDVJP_NULL_POINTER);
        CHECK_STATUS(fdvjp_config_set_progress(NULL, progress_fn, NULL), FDVJP_NULL_POINTER);
    }
    return check_summary("test_batch");
}
