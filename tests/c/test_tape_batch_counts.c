/*
 * Threads and batch sizes change only the order of f's calls (issue 11 item 1), also for a
 * tape's opaque node: near the edges of log, sqrt and acos (NaN beyond them) and away from
 * them, every scheme, fdvjp_tape_call and fdvjp_tape_call_batch, threads 2..4 and batch
 * sizes 2, 3, 7 and SIZE_MAX give the serial run's status, gradient bits and number of
 * calls of f. Before, the batched first stencil points were evaluated in full where the
 * serial stencil stopped at a NaN (1386 of 5600 arrangements differed, central4 mostly:
 * 25 calls serially, 27 with a batch of 2).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static atomic_long calls;

/* y0 = log x0 + x1/2, y1 = sqrt(x2 - 1/4) + sin x1, y2 = acos(x3) (1 + x4^2/10). */
static void model(const double *x, double *y)
{
    atomic_fetch_add(&calls, 1);
    y[0] = log(x[0]) + 0.5 * x[1];
    y[1] = sqrt(x[2] - 0.25) + sin(x[1]);
    y[2] = acos(x[3]) * (1.0 + x[4] * x[4] / 10.0);
}

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user, (void)n, (void)m;
    model(x, y);
    return 0;
}

static int32_t f_batch(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)
{
    (void)user;
    for (size_t p = 0; p < k; p++)
        model(xs + p * n, ys + p * m);
    return 0;
}

/* One backward pass through an opaque node on `cfg`: status, gradient, calls of f. */
static int backward(const fdvjp_config *cfg, int batch_fn, const double *x, const double *seed,
                    double *g, long *n_calls)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xi, y;
    CHECK_STATUS(fdvjp_tape_input(t, x, 5, &xi), FDVJP_OK);
    if (batch_fn)
        CHECK_STATUS(fdvjp_tape_call_batch(t, cfg, f_batch, NULL, &xi, 1, 3, &y), FDVJP_OK);
    else
        CHECK_STATUS(fdvjp_tape_call(t, cfg, f, NULL, &xi, 1, 3, &y), FDVJP_OK);
    calls = 0;
    int s = fdvjp_tape_backward(t, y, seed, 3);
    *n_calls = calls;
    memset(g, 0, 5 * sizeof *g);
    if (s == FDVJP_OK)
        CHECK_STATUS(fdvjp_tape_grad(t, xi, g, 5), FDVJP_OK);
    fdvjp_tape_free(t);
    return s;
}

int main(void)
{
    const size_t threads[] = {2, 3, 4, 0, 0, 0, 0};
    const size_t batches[] = {0, 0, 0, 2, 3, 7, SIZE_MAX};
    const fdvjp_scheme schemes[] = {FDVJP_CENTRAL, FDVJP_FORWARD, FDVJP_BACKWARD, FDVJP_CENTRAL4};
    uint64_t rng = 11;
    for (int c = 0; c < 30; c++) {
        /* Distances to the edges log-uniform in 1e-12 .. 1e1 (near and far). */
        double x[5], seed[3];
        x[0] = pow(10.0, check_uniform(&rng, -12.0, 1.0));
        x[1] = check_uniform(&rng, -1.0, 1.0);
        x[2] = 0.25 + pow(10.0, check_uniform(&rng, -12.0, 1.0));
        x[3] = 1.0 - pow(10.0, check_uniform(&rng, -12.0, 0.0));
        x[4] = check_uniform(&rng, -1.0, 1.0);
        for (int i = 0; i < 3; i++)
            seed[i] = check_uniform(&rng, -1.0, 1.0);
        for (int k = 0; k < 4; k++) {
            for (int batch_fn = 0; batch_fn < 2; batch_fn++) {
                fdvjp_config *serial = fdvjp_config_new();
                CHECK_STATUS(fdvjp_config_set_scheme(serial, schemes[k]), FDVJP_OK);
                double g0[5], g[5];
                long n0, n;
                int s0 = backward(serial, batch_fn, x, seed, g0, &n0);
                for (size_t a = 0; a < sizeof threads / sizeof *threads; a++) {
                    fdvjp_config *cfg = fdvjp_config_new();
                    CHECK_STATUS(fdvjp_config_set_scheme(cfg, schemes[k]), FDVJP_OK);
                    CHECK_STATUS(fdvjp_config_set_threads(cfg, threads[a]), FDVJP_OK);
                    CHECK_STATUS(fdvjp_config_set_batch_size(cfg, batches[a]), FDVJP_OK);
                    int s = backward(cfg, batch_fn, x, seed, g, &n);
                    CHECK_INT(s, s0);
                    CHECK_INT(n, n0);
                    CHECK(memcmp(g, g0, sizeof g) == 0);
                    fdvjp_config_free(cfg);
                }
                fdvjp_config_free(serial);
            }
        }
    }
    return check_summary("test_tape_batch_counts");
}
