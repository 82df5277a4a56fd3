/*
 * native_small_calls.c: a small call allocates nothing once the thread has made one
 * (issue 15 item 2). Counts the process's calls of malloc, calloc, realloc and the aligned
 * allocators (this program defines them, forwarding to glibc's, so the library's calls
 * come here too) during repeated fdvjp_vjp and fdvjp_jvp calls with n, m <= 64 and the
 * default config, after a few warm-up calls; each must allocate nothing. The results are
 * checked against the analytic derivative (tolerance 1e-8). Likewise a tape of built-in
 * ops at length 10 replayed at new inputs (set_input, forward, backward, grad) allocates
 * nothing once it has been replayed (issue 15: the tape's per-node cost), and gives the
 * analytic gradient (tolerance 1e-12); so does a new tape recorded, pulled back and freed
 * per gradient, once the thread has freed one.
 *
 * Native only (tests/run.sh): valgrind and the sanitizers replace the allocator
 * themselves.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "check.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static long allocations;

void *malloc(size_t size)
{
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    allocations++;
    return __libc_calloc(count, size);
}

void *realloc(void *p, size_t size)
{
    allocations++;
    return __libc_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    allocations++;
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    allocations++;
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    allocations++;
    void *p = __libc_memalign(align, size);
    if (p == NULL) {
        return 12; /* ENOMEM */
    }
    *out = p;
    return 0;
}

void free(void *p)
{
    __libc_free(p);
}

/* y_i = sum_j a_ij sin(x_j) with a_ij = 1 + (i + 2j) / 64. */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    for (size_t i = 0; i < m; i++) {
        y[i] = 0.0;
        for (size_t j = 0; j < n; j++) {
            y[i] += (1.0 + (double)(i + 2 * j) / 64.0) * sin(x[j]);
        }
    }
    return 0;
}

static void shape(size_t n, size_t m)
{
    double x[64], v[64], u[64], grad[64], jvp[64];
    for (size_t j = 0; j < n; j++) {
        x[j] = 0.3 + 0.05 * (double)j;
        u[j] = 1.0 - 0.01 * (double)j;
    }
    for (size_t i = 0; i < m; i++) {
        v[i] = 0.5 + 0.1 * (double)i;
    }
    for (int k = 0; k < 10; k++) { /* warm-up: the thread's spare vectors fill up */
        fdvjp_vjp(NULL, f, NULL, x, n, m, v, grad);
        fdvjp_jvp(NULL, f, NULL, x, n, m, u, jvp);
    }
    long before = allocations;
    for (int k = 0; k < 100; k++) {
        CHECK_STATUS(fdvjp_vjp(NULL, f, NULL, x, n, m, v, grad), FDVJP_OK);
    }
    long vjp_allocations = allocations - before;
    before = allocations;
    for (int k = 0; k < 100; k++) {
        CHECK_STATUS(fdvjp_jvp(NULL, f, NULL, x, n, m, u, jvp), FDVJP_OK);
    }
    long jvp_allocations = allocations - before;
    if (vjp_allocations != 0 || jvp_allocations != 0) {
        fprintf(stderr, "n = %zu, m = %zu: %ld allocations in 100 VJPs, %ld in 100 JVPs\n", n,
                m, vjp_allocations, jvp_allocations);
    }
    CHECK(vjp_allocations == 0);
    CHECK(jvp_allocations == 0);
    for (size_t j = 0; j < n; j++) {
        double want = 0.0;
        for (size_t i = 0; i < m; i++) {
            want += v[i] * (1.0 + (double)(i + 2 * j) / 64.0) * cos(x[j]);
        }
        CHECK_CLOSE(grad[j], want, 1e-8);
    }
    for (size_t i = 0; i < m; i++) {
        double want = 0.0;
        for (size_t j = 0; j < n; j++) {
            want += (1.0 + (double)(i + 2 * j) / 64.0) * cos(x[j]) * u[j];
        }
        CHECK_CLOSE(jvp[i], want, 1e-8);
    }
}

/* loss = sum(exp(-tanh(x^2 + sin x)) * x) and its gradient, by hand. */
static void chain_gradient(const double *x, size_t n, double *grad)
{
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], d = tanh(xi * xi + sin(xi)), e = exp(-d);
        grad[i] = e - xi * e * (1.0 - d * d) * (2.0 * xi + cos(xi));
    }
}

/* Records the chain on t over the input x[0..n]; returns the input and the loss. */
static void record_chain(fdvjp_tape *t, const double *x, size_t n, fdvjp_var *in,
                         fdvjp_var *loss)
{
    fdvjp_var sq, s, c, d, nd, e, f;
    CHECK_STATUS(fdvjp_tape_input(t, x, n, in), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, *in, &sq), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SIN, *in, &s), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_binary(t, FDVJP_OP_ADD, sq, s, &c), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_TANH, c, &d), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_NEG, d, &nd), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_EXP, nd, &e), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_binary(t, FDVJP_OP_MUL, e, *in, &f), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, f, loss), FDVJP_OK);
}

/* A new tape per gradient (new, record, backward, grad, free), as a tape inside an
 * optimisation loop is often used: after a few warm-up rounds this allocates nothing either
 * (the thread keeps the freed tape whole for its next fdvjp_tape_new), and a var of an
 * earlier round is unknown to the next tape. */
static void tape_records(void)
{
    enum { N = 10 };
    double x[N], grad[N], want[N];
    fdvjp_var old_in = 0;
    long record_allocations = 0;
    for (int k = 0; k < 103; k++) {
        for (size_t i = 0; i < N; i++) {
            x[i] = 0.1 * (double)i - 0.45 + 0.01 * (double)k;
        }
        long before = allocations;
        fdvjp_tape *t = fdvjp_tape_new();
        CHECK(t != NULL);
        fdvjp_var in, loss;
        record_chain(t, x, N, &in, &loss);
        CHECK_STATUS(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(t, in, grad, N), FDVJP_OK);
        long made = allocations - before;
        if (k > 0) { /* not counted: the failure's message is allocated */
            double untouched[N] = {0};
            CHECK_STATUS(fdvjp_tape_grad(t, old_in, untouched, N), FDVJP_UNKNOWN_VAR);
            CHECK(untouched[0] == 0.0);
        }
        old_in = in;
        before = allocations;
        fdvjp_tape_free(t);
        made += allocations - before;
        if (k >= 3) { /* after warm-up rounds */
            record_allocations += made;
        }
        chain_gradient(x, N, want);
        for (size_t i = 0; i < N; i++) {
            CHECK_CLOSE(grad[i], want[i], 1e-12);
        }
    }
    if (record_allocations != 0) {
        fprintf(stderr, "tape of length %d: %ld allocations in 100 recordings\n", N,
                record_allocations);
    }
    CHECK(record_allocations == 0);
}

static void tape_replays(void)
{
    enum { N = 10 };
    double x[N], grad[N], want[N];
    for (size_t i = 0; i < N; i++) {
        x[i] = 0.1 * (double)i - 0.45;
    }
    fdvjp_tape *t = fdvjp_tape_new();
    CHECK(t != NULL);
    fdvjp_var in, loss;
    record_chain(t, x, N, &in, &loss);
    long replay_allocations = 0;
    for (int k = 0; k < 103; k++) {
        for (size_t i = 0; i < N; i++) {
            x[i] = 0.1 * (double)i - 0.45 + 0.01 * (double)k;
        }
        long before = allocations;
        CHECK_STATUS(fdvjp_tape_set_input(t, in, x, N), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_forward(t), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(t, in, grad, N), FDVJP_OK);
        if (k >= 3) { /* after warm-up replays */
            replay_allocations += allocations - before;
        }
        chain_gradient(x, N, want);
        for (size_t i = 0; i < N; i++) {
            CHECK_CLOSE(grad[i], want[i], 1e-12);
        }
    }
    if (replay_allocations != 0) {
        fprintf(stderr, "tape of length %d: %ld allocations in 100 replays\n", N,
                replay_allocations);
    }
    CHECK(replay_allocations == 0);
    fdvjp_tape_free(t);
}

int main(void)
{
    /* The counter sees the library's allocations: a config is one. */
    long before = allocations;
    fdvjp_config_free(fdvjp_config_new());
    CHECK(allocations > before);
    shape(4, 1);
    shape(8, 1);
    shape(1, 8);
    shape(64, 64);
    tape_replays();
    tape_records();
    return check_summary("native_small_calls");
}
