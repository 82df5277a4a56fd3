/*
 * test_progress_phases.c: progress over the phases of one call with learned sparsity
 * (learning, grouped columns, check, dense fall-back). Each report's done is every
 * evaluation of the call so far (counted in f), done only rises, total never decreases,
 * and the last report is done == total == fdvjp_report::evaluations == the calls of f.
 * A cancellation in a later phase names the call's counts, not the phase's. (A tester's
 * probe saw (62/62) then (1/60), and 64/64 for 124 evaluations.)
 */
#include "check.h"

#define N 12
#define M 12

struct watch {
    long calls, reports, backwards, mismatched, cancel_at;
    size_t last_done, last_total;
};

static struct watch w;
static double coupling; /* y_0's dependence on x_{N-1}: 0 while learning */

static void reset(long cancel_at)
{
    memset(&w, 0, sizeof w);
    w.cancel_at = cancel_at;
}

static int32_t progress(void *user, size_t done, size_t total)
{
    (void)user;
    w.reports++;
    if (done <= w.last_done || total < w.last_total || done > total)
        w.backwards++;
    if (done != (size_t)w.calls)
        w.mismatched++;
    w.last_done = done;
    w.last_total = total;
    return w.reports == w.cancel_at;
}

/* y_i = sin(x_i) + x_i x_{i+1}, and coupling * x_{N-1}^2 in y_0 */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    w.calls++;
    for (size_t i = 0; i < m; i++)
        y[i] = sin(x[i]) + (i + 1 < n ? x[i] * x[i + 1] : 0.0);
    y[0] += coupling * x[n - 1] * x[n - 1];
    return 0;
}

static void expect_monotone(const char *what, int32_t status)
{
    fdvjp_report r;
    int ok = CHECK_STATUS(status, FDVJP_OK);
    ok &= CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    ok &= CHECK(w.reports > 0);
    ok &= CHECK_INT(w.backwards, 0);
    ok &= CHECK_INT(w.mismatched, 0);
    ok &= CHECK_INT((long long)w.last_done, w.calls);
    ok &= CHECK_INT((long long)w.last_total, w.calls);
    ok &= CHECK_INT((long long)r.evaluations, w.calls);
    if (!ok)
        fprintf(stderr, "    in %s: %ld reports, last %zu of %zu, report %zu, f saw %ld\n",
                what, w.reports, w.last_done, w.last_total, r.evaluations, w.calls);
}

int main(void)
{
    double x[N], v[M], grad[N], jac[M * N], before[N];
    fdvjp_report r;
    for (size_t j = 0; j < N; j++)
        x[j] = 0.3 + 0.05 * (double)j;
    for (size_t i = 0; i < M; i++)
        v[i] = 1.0 - 0.1 * (double)i;

    for (int use_jacobian = 0; use_jacobian <= 1; use_jacobian++) {
        const char *what = use_jacobian ? "fdvjp_jacobian" : "fdvjp_vjp";
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_progress(cfg, progress, NULL), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 1), FDVJP_OK);
        /* 1: learning, grouped columns, check */
        coupling = 0.0;
        reset(0);
        expect_monotone(what, use_jacobian ? fdvjp_jacobian(cfg, f, NULL, x, N, M, jac)
                                           : fdvjp_vjp(cfg, f, NULL, x, N, M, v, grad));
        /* 2: a coupling outside the pattern: grouped, check fails, dense, relearned */
        coupling = 0.5;
        reset(0);
        expect_monotone(what, use_jacobian ? fdvjp_jacobian(cfg, f, NULL, x, N, M, jac)
                                           : fdvjp_vjp(cfg, f, NULL, x, N, M, v, grad));
        CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
        CHECK_INT(r.sparsity_relearned, 1);
        fdvjp_config_free(cfg);
    }

    /* cancelled in the grouped pass of a call that learned first: the message counts
       the learning's evaluations too, and grad is untouched */
    {
        fdvjp_config *cfg = fdvjp_config_new(), *once = fdvjp_config_new();
        char want[64];
        long learning;
        coupling = 0.0;
        reset(0);
        CHECK_STATUS(fdvjp_config_detect_sparsity(once, f, NULL, x, N, M), FDVJP_OK);
        learning = w.calls; /* what the first call's learning costs */
        fdvjp_config_free(once);
        CHECK_STATUS(fdvjp_config_set_progress(cfg, progress, NULL), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 1), FDVJP_OK);
        memset(grad, 0x5A, sizeof grad);
        memcpy(before, grad, sizeof before);
        reset(learning + 2);
        CHECK_STATUS(fdvjp_vjp(cfg, f, NULL, x, N, M, v, grad), FDVJP_CANCELLED);
        CHECK_INT(w.backwards, 0);
        CHECK_INT(w.mismatched, 0);
        snprintf(want, sizeof want, "after %zu of %zu", w.last_done, w.last_total);
        CHECK_ERROR_HAS(want);
        CHECK(w.last_done == (size_t)learning + 2);
        CHECK(memcmp(grad, before, sizeof grad) == 0);
        fdvjp_config_free(cfg);
    }
    return check_summary("test_progress_phases");
}
