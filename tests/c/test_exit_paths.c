/*
 * test_exit_paths.c: fdvjp called from thread-exit and process-exit code.
 *
 * A pthread-key destructor runs after the thread's own thread-local storage (where fdvjp
 * keeps the last error) has been torn down, and an atexit handler runs after the main
 * thread's. Both call fdvjp_vjp (one good call, one failing call), fdvjp_last_error,
 * fdvjp_config_new/free and a small tape, on threads that used fdvjp before: each entry
 * point must return a status (never abort), and the results must still be right. The
 * process must exit 0: the atexit handler calls _exit(1) on any failed check.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#define N 3

/* f(x) = sum x_j^2: the gradient with v = 1 is 2x. */
static int32_t sumsq(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t j;
    (void)user;
    (void)m;
    y[0] = 0.0;
    for (j = 0; j < n; j++)
        y[0] += x[j] * x[j];
    return 0;
}

static int32_t fails(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)x;
    (void)n;
    (void)y;
    (void)m;
    return 7;
}

/* Every entry point the brief names, with exact answers; returns the number of failures. */
static int exercise(const char *where)
{
    const double x[N] = {0.5, -1.0, 2.0}, v = 1.0;
    double grad[N] = {0}, g[N] = {0}, value = 0.0;
    char msg[256];
    int bad = 0;
    size_t j;
    fdvjp_var in = 0, out = 0;
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_tape *t = fdvjp_tape_new();

    if (cfg == NULL || t == NULL)
        bad++;
    if (fdvjp_config_set_scheme(cfg, FDVJP_CENTRAL4) != FDVJP_OK)
        bad++;
    if (fdvjp_vjp(cfg, sumsq, NULL, x, N, 1, &v, grad) != FDVJP_OK)
        bad++;
    for (j = 0; j < N; j++)
        if (fabs(grad[j] - 2.0 * x[j]) > 1e-8)
            bad++;
    /* a failing call returns its status; the message may be lost with the thread's
       storage, but asking for it must not abort, and the answer is a length */
    if (fdvjp_vjp(NULL, fails, NULL, x, N, 1, &v, grad) != FDVJP_CALLBACK_FAILED)
        bad++;
    msg[0] = 'x';
    (void)fdvjp_last_error(msg, sizeof msg);
    if (memchr(msg, 0, sizeof msg) == NULL)
        bad++;
    (void)fdvjp_last_error(NULL, 0);
    if (fdvjp_tape_input(t, x, N, &in) != FDVJP_OK ||
        fdvjp_tape_call(t, cfg, sumsq, NULL, &in, 1, 1, &out) != FDVJP_OK ||
        fdvjp_tape_value(t, out, &value, 1) != FDVJP_OK ||
        fdvjp_tape_backward(t, out, NULL, 0) != FDVJP_OK ||
        fdvjp_tape_grad(t, in, g, N) != FDVJP_OK)
        bad++;
    if (fabs(value - 5.25) > 1e-15)
        bad++;
    for (j = 0; j < N; j++)
        if (fabs(g[j] - 2.0 * x[j]) > 1e-8)
            bad++;
    fdvjp_tape_free(t);
    fdvjp_config_free(cfg);
    if (bad)
        fprintf(stderr, "%s: %d checks failed\n", where, bad);
    return bad;
}

static pthread_key_t key;
static int destructor_failures = -1;

static void key_destructor(void *p)
{
    (void)p;
    destructor_failures = exercise("pthread key destructor");
}

static void *thread_main(void *arg)
{
    (void)arg;
    /* use fdvjp on this thread first, so its thread-local storage exists */
    (void)exercise("thread body");
    pthread_setspecific(key, &key);
    return NULL;
}

static void at_exit(void)
{
    int bad = exercise("atexit handler");
    if (bad) {
        fprintf(stderr, "test_exit_paths: atexit handler failed\n");
        _exit(1);
    }
    printf("test_exit_paths: atexit handler ok\n");
}

int main(void)
{
    pthread_t th;
    CHECK(pthread_key_create(&key, key_destructor) == 0);
    CHECK(pthread_create(&th, NULL, thread_main, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK_INT(destructor_failures, 0);
    /* the main thread uses fdvjp (and its last error), then exits through the handler */
    CHECK_INT(exercise("main"), 0);
    CHECK_STATUS(fdvjp_vjp(NULL, fails, NULL, NULL, 0, 0, NULL, NULL), FDVJP_OK);
    CHECK(atexit(at_exit) == 0);
    pthread_key_delete(key);
    return check_summary("test_exit_paths");
}
