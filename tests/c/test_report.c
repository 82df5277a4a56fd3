/*
 * test_report.c: fdvjp_last_report and its fields, fdvjp_last_report_noise, and the
 * error paths of fdvjp_config_set_noise / fdvjp_config_set_noise_mode.
 *
 * Exact answers: evaluation counts are counted in the callback itself; directions are n;
 * declared noise levels come back as given.
 */
#include <stddef.h>
#include <stdlib.h>

#include "check.h"

typedef struct {
    int calls;
    int fail_at; /* 0: never */
} counter;

/* y_i = sum_j sin((i+1) x_j + j), well scaled at x in [-1, 1]. */
static int32_t smooth(void *user, const double *x, size_t n, double *y, size_t m)
{
    counter *c = user;
    /* atomic: with threads, f is called at once from several */
    int k = __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
    if (c->fail_at && k == c->fail_at)
        return 7;
    for (size_t i = 0; i < m; i++) {
        y[i] = 0.0;
        for (size_t j = 0; j < n; j++)
            y[i] += sin((double)(i + 1) * x[j] + (double)j);
    }
    return 0;
}

static void plain_call(void)
{
    counter c = {0, 0};
    const double x[3] = {0.3, -0.2, 0.7}, v[2] = {1.0, -0.5};
    double g[3];
    CHECK_STATUS(fdvjp_vjp(NULL, smooth, &c, x, 3, 2, v, g), FDVJP_OK);
    fdvjp_report r;
    memset(&r, 0xff, sizeof r);
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT((long)r.size, (long)sizeof r);
    CHECK_INT(r.completed, 1);
    CHECK_INT((long)r.evaluations, (long)c.calls);
    CHECK_INT((long)r.evaluations, 7);
    CHECK_INT((long)r.directions, 3);
    CHECK_INT((long)r.refined_large, 0);
    CHECK_INT((long)r.refined_rounding, 0);
    CHECK_INT((long)r.refined_noise, 0);
    CHECK_INT((long)r.nonfinite_fallbacks, 0);
    CHECK_INT((long)r.bound_fallbacks, 0);
    CHECK_INT(r.noise_source, FDVJP_NOISE_NONE);
    CHECK(r.noise_level == 0.0);
    /* error_bound: NaN or a finite bound >= 0 */
    CHECK(r.error_bound != r.error_bound || r.error_bound >= 0.0);
    double noise[2] = {-1.0, -1.0};
    CHECK_INT((long)fdvjp_last_report_noise(NULL, 0), 2);
    CHECK_INT((long)fdvjp_last_report_noise(noise, 2), 2);
    CHECK(noise[0] == 0.0 && noise[1] == 0.0);
}

/* A caller compiled against a shorter struct gets only what fits. */
static void short_struct(void)
{
    counter c = {0, 0};
    const double x[2] = {0.3, -0.2}, v[1] = {1.0};
    double g[2];
    CHECK_STATUS(fdvjp_vjp(NULL, smooth, &c, x, 2, 1, v, g), FDVJP_OK);
    fdvjp_report r;
    memset(&r, 0xab, sizeof r);
    size_t upto = offsetof(fdvjp_report, evaluations) + sizeof r.evaluations;
    CHECK_STATUS(fdvjp_last_report(&r, upto), FDVJP_OK);
    CHECK_INT((long)r.size, (long)upto);
    CHECK_INT((long)r.evaluations, 5);
    unsigned char *tail = (unsigned char *)&r.directions;
    CHECK(tail[0] == 0xab); /* untouched beyond size */
    CHECK_STATUS(fdvjp_last_report(&r, 0), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("size = 0");
    CHECK_STATUS(fdvjp_last_report(NULL, sizeof r), FDVJP_NULL_POINTER);
}

/* A call failing at its third evaluation: completed 0, the evaluations so far. */
static void failed_call(void)
{
    counter c = {0, 3};
    const double x[3] = {0.3, -0.2, 0.7}, v[1] = {1.0};
    double g[3] = {5.0, 5.0, 5.0};
    CHECK_STATUS(fdvjp_vjp(NULL, smooth, &c, x, 3, 1, v, g), FDVJP_CALLBACK_FAILED);
    CHECK(g[0] == 5.0 && g[1] == 5.0 && g[2] == 5.0);
    fdvjp_report r;
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT(r.completed, 0);
    CHECK_INT((long)r.evaluations, 3);
    /* reading the report keeps the failure's message (probe11 7a: it emptied it) */
    CHECK_ERROR_HAS("fdvjp_vjp: callback returned 7 at evaluation 3");
}

static void declared_noise(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    const double levels[2] = {1e-9, 3e-9};
    CHECK_STATUS(fdvjp_config_set_noise(cfg, levels, 2), FDVJP_OK);
    counter c = {0, 0};
    const double x[3] = {0.3, -0.2, 0.7}, v[2] = {1.0, -0.5};
    double g[3];
    CHECK_STATUS(fdvjp_vjp(cfg, smooth, &c, x, 3, 2, v, g), FDVJP_OK);
    fdvjp_report r;
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT(r.completed, 1);
    CHECK_INT(r.noise_source, FDVJP_NOISE_DECLARED);
    CHECK(r.noise_level == 3e-9);
    double noise[3] = {0.0, 0.0, -1.0};
    CHECK_INT((long)fdvjp_last_report_noise(noise, 3), 2);
    CHECK(noise[0] == 1e-9 && noise[1] == 3e-9 && noise[2] == -1.0);
    /* a misaligned out: not written, the count still returned, the last error names it */
    union {
        double align;
        unsigned char bytes[3 * sizeof(double)];
    } raw;
    memset(raw.bytes, 0xab, sizeof raw.bytes);
    double *misaligned = (double *)(void *)(raw.bytes + 1);
    CHECK_INT((long)fdvjp_last_report_noise(misaligned, 2), 2);
    int untouched = 1;
    for (size_t k = 0; k < sizeof raw.bytes; k++)
        untouched &= raw.bytes[k] == 0xab;
    CHECK(untouched);
    CHECK_ERROR_HAS("fdvjp_last_report_noise: out = ");
    CHECK_ERROR_HAS("is not aligned to 8 bytes");

    /* m = 3 outputs against 2 levels: refused at the call, grad untouched */
    double v3[3] = {1.0, 1.0, 1.0}, g3[3] = {5.0, 5.0, 5.0};
    CHECK_STATUS(fdvjp_vjp(cfg, smooth, &c, x, 3, 3, v3, g3), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("2 levels");
    CHECK_ERROR_HAS("m = 3");
    CHECK(g3[0] == 5.0 && g3[1] == 5.0 && g3[2] == 5.0);

    /* one level for every output */
    const double one = 2e-10;
    CHECK_STATUS(fdvjp_config_set_noise(cfg, &one, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, smooth, &c, x, 3, 3, v3, g3), FDVJP_OK);
    CHECK_INT((long)fdvjp_last_report_noise(noise, 3), 3);
    CHECK(noise[0] == 2e-10 && noise[1] == 2e-10 && noise[2] == 2e-10);

    /* bad levels */
    const double bad[3] = {1e-9, NAN, 1.0};
    CHECK_STATUS(fdvjp_config_set_noise(cfg, bad, 3), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("noise[1] = NaN");
    const double neg[1] = {-1e-9};
    CHECK_STATUS(fdvjp_config_set_noise(cfg, neg, 1), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("noise[0] = -1e-9 must be");
    CHECK_STATUS(fdvjp_config_set_noise(cfg, NULL, 2), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_set_noise(NULL, levels, 2), FDVJP_NULL_POINTER);
    /* (NULL, 0): not declared any more */
    CHECK_STATUS(fdvjp_config_set_noise(cfg, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, smooth, &c, x, 3, 3, v3, g3), FDVJP_OK);
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT(r.noise_source, FDVJP_NOISE_NONE);

    /* modes */
    CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_AUTO), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_ESTIMATE), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_OFF), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, 7), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("mode = 7");
    CHECK_STATUS(fdvjp_config_set_noise_mode(NULL, 0), FDVJP_NULL_POINTER);
    fdvjp_config_free(cfg);
}

/* 2 + sum 0.5 sin(x_j + 0.3 j) + eps * u(x), u a deterministic hash of x in [-1, 1]. */
static int32_t noisy(void *user, const double *x, size_t n, double *y, size_t m)
{
    const double eps = *(const double *)user;
    double s = 2.0;
    (void)m;
    for (size_t j = 0; j < n; j++)
        s += 0.5 * sin(x[j] + 0.3 * (double)j);
    y[0] = s + eps * check_hash(0x123456789abcdef0ull, x, n);
    return 0;
}

/* Estimated noise: the level is reported within 3x of eps (ECnoise estimates the standard
 * deviation, 0.58 eps for this uniform noise), 2n + 1 + 12 evaluations, and the gradient
 * within 10 eps^(2/3) of the exact one (the plain step gives about eps / 6e-6). */
static void noisy_function(void)
{
    const double eps = 1e-8;
    double x[8], g[8], one = 1.0;
    for (size_t j = 0; j < 8; j++)
        x[j] = -0.9 + 0.23 * (double)j;
    fdvjp_config *cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, FDVJP_NOISE_ESTIMATE), FDVJP_OK);
    CHECK_STATUS(fdvjp_vjp(cfg, noisy, (void *)&eps, x, 8, 1, &one, g), FDVJP_OK);
    fdvjp_report r;
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    CHECK_INT(r.noise_source, FDVJP_NOISE_ESTIMATED);
    CHECK(r.noise_level > eps / 3.0 && r.noise_level < 3.0 * eps);
    CHECK_INT((long)r.evaluations, 2 * 8 + 1 + 12);
    CHECK_INT((long)r.refined_noise, 8);
    for (size_t j = 0; j < 8; j++)
        CHECK_CLOSE(g[j], 0.5 * cos(x[j] + 0.3 * (double)j), 10.0 * pow(eps, 2.0 / 3.0));
    fdvjp_config_free(cfg);
}

/* The report's padding (after sparsity_relearned) reaches the caller as zeros, never as
 * the library's stack bytes: two reports of one call compare equal with memcmp (valgrind
 * flagged the uninitialised padding before) and a 0xab-filled struct comes back with
 * zero padding. */
static void padding_is_zero(void)
{
    counter c = {0, 0};
    const double x[2] = {0.3, -0.2}, v[1] = {1.0};
    double g[2];
    CHECK_STATUS(fdvjp_vjp(NULL, smooth, &c, x, 2, 1, v, g), FDVJP_OK);
    fdvjp_report a, b;
    memset(&a, 0xab, sizeof a);
    memset(&b, 0x00, sizeof b);
    CHECK_STATUS(fdvjp_last_report(&a, sizeof a), FDVJP_OK);
    CHECK_STATUS(fdvjp_last_report(&b, sizeof b), FDVJP_OK);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    const unsigned char *bytes = (const unsigned char *)&a;
    size_t from = offsetof(fdvjp_report, sparsity_relearned) + sizeof a.sparsity_relearned;
    int zero = 1;
    for (size_t k = from; k < offsetof(fdvjp_report, unbounded_directions); k++)
        zero &= bytes[k] == 0;
    CHECK(zero);
}

/* Every point of the batch counts: a batch function fails as a whole after being handed them. */
static int32_t smooth_batch(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)
{
    int32_t code = 0;
    for (size_t p = 0; p < k; p++)
        if (smooth(user, xs + p * n, n, ys + p * m, m))
            code = 7;
    return code;
}

/* After a failure with threads or a batch function, the report counts every evaluation f
 * was called for (probe11 finding 5: 4 threads reported 1 where f ran 5 times, a batch of
 * 11 reported 1). */
static void failed_threads_and_batches_count_every_evaluation(void)
{
    const double x[5] = {0.1, 0.2, 0.3, 0.4, 0.5}, v[1] = {1.0};
    int cases = 0;
    for (int fail_at = 1; fail_at <= 11; fail_at++) {
        for (size_t threads = 1; threads <= 4; threads++) {
            fdvjp_config *cfg = fdvjp_config_new();
            CHECK_STATUS(fdvjp_config_set_threads(cfg, threads), FDVJP_OK);
            counter c = {0, fail_at};
            double g[5] = {5, 5, 5, 5, 5};
            CHECK_STATUS(fdvjp_vjp(cfg, smooth, &c, x, 5, 1, v, g), FDVJP_CALLBACK_FAILED);
            fdvjp_report r;
            CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
            CHECK_INT(r.completed, 0);
            CHECK_INT((long)r.evaluations, (long)__atomic_load_n(&c.calls, __ATOMIC_RELAXED));
            CHECK(g[0] == 5.0 && g[4] == 5.0);
            fdvjp_config_free(cfg);
            cases++;
        }
        size_t batches[3] = {1, 3, SIZE_MAX};
        for (int b = 0; b < 3; b++) {
            fdvjp_config *cfg = fdvjp_config_new();
            CHECK_STATUS(fdvjp_config_set_batch_size(cfg, batches[b]), FDVJP_OK);
            counter c = {0, fail_at};
            double g[5] = {5, 5, 5, 5, 5};
            CHECK_STATUS(fdvjp_vjp_batch(cfg, smooth_batch, &c, x, 5, 1, v, g), FDVJP_CALLBACK_FAILED);
            fdvjp_report r;
            CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
            CHECK_INT((long)r.evaluations, (long)__atomic_load_n(&c.calls, __ATOMIC_RELAXED));
            fdvjp_config_free(cfg);
            cases++;
        }
    }
    CHECK_INT(cases, 77);
}

int main(void)
{
    noisy_function();
    plain_call();
    short_struct();
    failed_call();
    declared_noise();
    padding_is_zero();
    failed_threads_and_batches_count_every_evaluation();
    return check_summary("test_report");
}
