/*
 * test_threads.c: 8 threads at once, each driving its own config and tape (VJP, JVP,
 * Jacobian, tape record / backward / replay / backward), some with parallel evaluation
 * (fdvjp_config_set_threads), every result compared bit for bit with the same work done
 * on one thread first; and fdvjp_last_error shown to be per thread: all threads fail at
 * once with different values, wait for each other, and each reads only its own message.
 *
 * tests/run.sh also builds it with ThreadSanitizer (the C side and the API's thread
 * model; the Rust library itself is not instrumented).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

enum { THREADS = 8, ROUNDS = 40, N = 12, M = 5 };

/* y_i = sum_j sin((i + 1) x_j) x_{(i + j) % N} / (1 + j): pure, so safe on any thread. */
static int32_t model(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i, j;
    if (user != NULL)
        __atomic_fetch_add((long *)user, 1, __ATOMIC_RELAXED);
    for (i = 0; i < m; i++) {
        y[i] = 0.0;
        for (j = 0; j < n; j++)
            y[i] += sin((double)(i + 1) * x[j]) * x[(i + j) % n] / (1.0 + (double)j);
    }
    return 0;
}

/* What one thread computes in one round; compared with memcmp. */
typedef struct {
    double vjp[N], jvp[M], jac[M * N];
    double tape_grad[N], replay_grad[N], replay_value;
} results;

static void point(int id, int round, double *x, double *v, double *u)
{
    uint64_t state = 1000u + 37u * (uint64_t)id + (uint64_t)round;
    size_t j;
    for (j = 0; j < N; j++) {
        x[j] = check_uniform(&state, -1.0, 1.0);
        u[j] = check_uniform(&state, -1.0, 1.0);
    }
    for (j = 0; j < M; j++)
        v[j] = check_uniform(&state, -1.0, 1.0);
}

/* The work of thread `id` in `round`: a status other than FDVJP_OK is returned at once. */
static int32_t work(int id, int round, results *r, long *calls)
{
    static const int32_t schemes[4] = {FDVJP_CENTRAL, FDVJP_FORWARD, FDVJP_CENTRAL4,
                                       FDVJP_BACKWARD};
    double x[N], v[M], u[N], x2[N];
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv, y, w, loss;
    int32_t s;
    size_t j;
    point(id, round, x, v, u);
    for (j = 0; j < N; j++)
        x2[j] = 0.5 * x[j] + 0.1;
    if ((s = fdvjp_config_set_scheme(cfg, schemes[id % 4])) != FDVJP_OK ||
        (s = fdvjp_config_set_threads(cfg, id % 2 ? 2 : 1)) != FDVJP_OK ||
        (s = fdvjp_vjp(cfg, model, calls, x, N, M, v, r->vjp)) != FDVJP_OK ||
        (s = fdvjp_jvp(cfg, model, calls, x, N, M, u, r->jvp)) != FDVJP_OK ||
        (s = fdvjp_jacobian(cfg, model, calls, x, N, M, r->jac)) != FDVJP_OK ||
        (s = fdvjp_tape_input(t, x, N, &xv)) != FDVJP_OK ||
        (s = fdvjp_tape_call(t, cfg, model, calls, &xv, 1, M, &y)) != FDVJP_OK ||
        (s = fdvjp_tape_unary(t, FDVJP_OP_TANH, y, &w)) != FDVJP_OK ||
        (s = fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, w, &loss)) != FDVJP_OK ||
        (s = fdvjp_tape_backward(t, loss, NULL, 0)) != FDVJP_OK ||
        (s = fdvjp_tape_grad(t, xv, r->tape_grad, N)) != FDVJP_OK ||
        (s = fdvjp_tape_set_input(t, xv, x2, N)) != FDVJP_OK ||
        (s = fdvjp_tape_forward(t)) != FDVJP_OK ||
        (s = fdvjp_tape_value(t, loss, &r->replay_value, 1)) != FDVJP_OK ||
        (s = fdvjp_tape_backward(t, loss, NULL, 0)) != FDVJP_OK ||
        (s = fdvjp_tape_grad(t, xv, r->replay_grad, N)) != FDVJP_OK) {
        /* falls through to the frees */
    }
    fdvjp_tape_free(t);
    fdvjp_config_free(cfg);
    return s;
}

static results reference[THREADS][ROUNDS];
static pthread_barrier_t barrier;

typedef struct {
    int id;
    int mismatches;     /* rounds whose results differ from the reference */
    int32_t failed;     /* first non-OK status */
    int own_message;    /* 1 when this thread read exactly its own last error */
    long calls;
} job;

static void *run(void *arg)
{
    job *j = (job *)arg;
    char want[128], got[128];
    int round;
    fdvjp_config *cfg = fdvjp_config_new();
    for (round = 0; round < ROUNDS; round++) {
        results r;
        int32_t s;
        memset(&r, 0, sizeof r);
        s = work(j->id, round, &r, &j->calls);
        if (s != FDVJP_OK && j->failed == FDVJP_OK)
            j->failed = s;
        if (memcmp(&r, &reference[j->id][round], sizeof r) != 0)
            j->mismatches++;
    }
    /* Every thread fails with its own value, then all read after all have failed. */
    fdvjp_config_set_scheme(cfg, 100 + j->id);
    snprintf(want, sizeof want, "fdvjp_config_set_scheme: scheme = %d is not a fdvjp_scheme",
             100 + j->id);
    pthread_barrier_wait(&barrier);
    fdvjp_last_error(got, sizeof got);
    j->own_message = strcmp(got, want) == 0;
    pthread_barrier_wait(&barrier);
    /* a success here clears only this thread's message */
    if (j->id == 0)
        fdvjp_config_set_scheme(cfg, FDVJP_CENTRAL);
    pthread_barrier_wait(&barrier);
    j->own_message &= (fdvjp_last_error(NULL, 0) == 0) == (j->id == 0);
    fdvjp_config_free(cfg);
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    job jobs[THREADS];
    long serial_calls = 0, parallel_calls = 0;
    int id, round;

    /* The reference: the same work, one thread after the other. */
    for (id = 0; id < THREADS; id++)
        for (round = 0; round < ROUNDS; round++)
            CHECK_STATUS(work(id, round, &reference[id][round], &serial_calls), FDVJP_OK);
    /* sanity of the reference itself: the Jacobian's rows dotted with v give the VJP */
    {
        const results *r = &reference[0][0];
        double x[N], v[M], u[N];
        size_t i, j;
        point(0, 0, x, v, u);
        for (j = 0; j < N; j++) {
            double want = 0.0;
            for (i = 0; i < M; i++)
                want += v[i] * r->jac[i * N + j];
            CHECK_CLOSE(r->vjp[j], want, 1e-13);
        }
    }

    CHECK(pthread_barrier_init(&barrier, NULL, THREADS) == 0);
    for (id = 0; id < THREADS; id++) {
        memset(&jobs[id], 0, sizeof jobs[id]);
        jobs[id].id = id;
        CHECK(pthread_create(&threads[id], NULL, run, &jobs[id]) == 0);
    }
    for (id = 0; id < THREADS; id++) {
        CHECK(pthread_join(threads[id], NULL) == 0);
        CHECK_STATUS(jobs[id].failed, FDVJP_OK);
        CHECK_INT(jobs[id].mismatches, 0);
        CHECK(jobs[id].own_message);
        parallel_calls += jobs[id].calls;
    }
    pthread_barrier_destroy(&barrier);
    CHECK_INT(parallel_calls, serial_calls); /* the same evaluations, only concurrently */
    printf("test_threads: %d threads x %d rounds, %ld evaluations, all bit-identical\n",
           THREADS, ROUNDS, parallel_calls);
    return check_summary("test_threads");
}
