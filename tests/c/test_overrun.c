/*
 * test_overrun.c: a callback that writes past the end of its output buffer (y[m], a wrong
 * m, a Fortran array of the wrong length) is caught by the guard words after every buffer
 * fdvjp hands to a callback: the call returns FDVJP_CALLBACK_FAILED with "the function
 * wrote past y[m-1] (m = 2)" and the evaluation, every output untouched, the heap intact
 * (valgrind and ASan check that). Point functions (serial and on 2 threads), batch
 * functions, complex functions (complex step and complex finite differences), custom VJPs
 * and a tape's opaque nodes. The same callbacks with the right length give exact results.
 * A function that leaves an output unwritten, on a buffer new to the thread, sees the
 * guard's NaN there and fails at f(x) instead of differentiating a silent 0.
 */
#include "check.h"

#define N 3
#define M 2
#define SENTINEL 0xA5

struct bad {
    int at;         /* evaluation that overruns (1-based), 0 = never */
    int extra;      /* doubles written past the end */
    int calls;
};

/* f(x) = (x0 x1, x1 + x2^2); writes `extra` doubles past y[m-1] at evaluation `at` */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    struct bad *b = (struct bad *)user;
    int k;
    (void)n;
    b->calls++;
    y[0] = x[0] * x[1];
    y[1] = x[1] + x[2] * x[2];
    if (b->calls == b->at)
        for (k = 0; k < b->extra; k++)
            y[m + (size_t)k] = 42.0;
    return 0;
}

static int32_t f_batch(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)
{
    struct bad *b = (struct bad *)user;
    size_t p;
    for (p = 0; p < k; p++) {
        ys[p * m] = xs[p * n] * xs[p * n + 1];
        ys[p * m + 1] = xs[p * n + 1] + xs[p * n + 2] * xs[p * n + 2];
    }
    b->calls++;
    if (b->calls == b->at)
        ys[k * m] = 42.0;
    return 0;
}

/* complex: w = (z0 z1, z1 + z2^2), interleaved */
static int32_t cf(void *user, const double *z, size_t n, double *w, size_t m)
{
    struct bad *b = (struct bad *)user;
    (void)n;
    b->calls++;
    w[0] = z[0] * z[2] - z[1] * z[3];
    w[1] = z[0] * z[3] + z[1] * z[2];
    w[2] = z[2] + z[4] * z[4] - z[5] * z[5];
    w[3] = z[3] + 2 * z[4] * z[5];
    if (b->calls == b->at)
        w[2 * m] = 42.0;
    return 0;
}

/* custom VJP of f: grad = v^T J, J = [[x1, x0, 0], [0, 1, 2 x2]] */
static int32_t vjp(void *user, const double *x, size_t n, const double *y, size_t m,
                   const double *v, double *grad)
{
    struct bad *b = (struct bad *)user;
    (void)y;
    (void)m;
    grad[0] = v[0] * x[1];
    grad[1] = v[0] * x[0] + v[1];
    grad[2] = v[1] * 2 * x[2];
    if (b->at < 0)
        grad[n] = 42.0;
    return 0;
}

static double grad[2 * N], jvp[2 * M], jac[4 * M * N];

static void fill(void)
{
    memset(grad, SENTINEL, sizeof grad);
    memset(jvp, SENTINEL, sizeof jvp);
    memset(jac, SENTINEL, sizeof jac);
}

static int untouched(void)
{
    const unsigned char *p[3] = {(const unsigned char *)grad, (const unsigned char *)jvp,
                                 (const unsigned char *)jac};
    const size_t len[3] = {sizeof grad, sizeof jvp, sizeof jac};
    size_t i, k;
    for (i = 0; i < 3; i++)
        for (k = 0; k < len[i]; k++)
            if (p[i][k] != SENTINEL)
                return 0;
    return 1;
}

/* f writes y[0] only (a wrong loop bound): m = 5 is new to this thread's buffer, whose
 * entries hold the guard pattern, a NaN, so the unwritten y[1] shows as a non-finite f(x)
 * rather than a silent 0 (the buffer is no longer cleared before each evaluation). */
static int32_t f_half(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = x[0] * x[1];
    return 0;
}

static void test_unwritten_output(const double *x)
{
    const double v5[5] = {1.0, 1.0, 1.0, 1.0, 1.0};
    fill();
    CHECK_STATUS(fdvjp_vjp(NULL, f_half, NULL, x, N, 5, v5, grad), FDVJP_NONFINITE_AT_X);
    CHECK_ERROR_HAS("fdvjp_vjp: f(x) is not finite: y[1] = NaN");
    CHECK(untouched());
}

#define EXPECT_OVERRUN(call, needle)                         \
    do {                                                     \
        fill();                                              \
        CHECK_STATUS((call), FDVJP_CALLBACK_FAILED);         \
        CHECK_ERROR_HAS(needle);                             \
        CHECK(untouched());                                  \
    } while (0)

int main(void)
{
    const double x[N] = {0.5, -1.5, 2.0}, v[M] = {1.0, -2.0}, u[N] = {1.0, 0.5, -1.0};
    const double z[2 * N] = {0.5, 0.1, -1.5, 0.2, 2.0, -0.3};
    const double cv[2 * M] = {1.0, 0.0, -2.0, 0.0}, cu[2 * N] = {1, 0, 0.5, 0, -1, 0};
    fdvjp_config *threads = fdvjp_config_new(), *batch = fdvjp_config_new();
    struct bad b;
    int at;

    CHECK_STATUS(fdvjp_config_set_threads(threads, 2), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_batch_size(batch, 4), FDVJP_OK);

    /* one double past y[m-1], at f(x) and at a perturbed point; 16 past too */
    for (at = 1; at <= 3; at++) {
        char needle[64];
        snprintf(needle, sizeof needle, "at evaluation %d (", at);
        b = (struct bad){at, at == 3 ? 16 : 1, 0};
        EXPECT_OVERRUN(fdvjp_vjp(NULL, f, &b, x, N, M, v, grad),
                       "fdvjp_vjp: the function wrote past y[m-1] (m = 2)");
        CHECK_ERROR_HAS(needle);
        CHECK_INT(b.calls, at); /* no call after the overrun */
    }
    b = (struct bad){4, 1, 0};
    EXPECT_OVERRUN(fdvjp_jacobian(NULL, f, &b, x, N, M, jac),
                   "fdvjp_jacobian: the function wrote past y[m-1] (m = 2) at evaluation 4");
    b = (struct bad){2, 1, 0};
    EXPECT_OVERRUN(fdvjp_jvp(NULL, f, &b, x, N, M, u, jvp), "wrote past y[m-1] (m = 2)");
    b = (struct bad){5, 1, 0};
    EXPECT_OVERRUN(fdvjp_vjp_estimate(NULL, f, &b, x, N, M, v, grad, jac),
                   "wrote past y[m-1] (m = 2) at evaluation 5");
    b = (struct bad){5, 1, 0};
    EXPECT_OVERRUN(fdvjp_vjp(threads, f, &b, x, N, M, v, grad), "wrote past y[m-1] (m = 2)");
    b = (struct bad){2, 1, 0};
    EXPECT_OVERRUN(fdvjp_vjp_batch(batch, f_batch, &b, x, N, M, v, grad),
                   "the batch function wrote past ys[k*m-1] (k = ");
    b = (struct bad){2, 1, 0};
    EXPECT_OVERRUN(fdvjp_vjp_complex_step(NULL, cf, &b, x, N, M, v, grad),
                   "the function wrote past w[2m-1] (m = 2) at evaluation 2");
    b = (struct bad){3, 1, 0};
    EXPECT_OVERRUN(fdvjp_complex_vjp(NULL, cf, &b, z, N, M, cv, grad),
                   "the function wrote past w[2m-1] (m = 2) at evaluation 3");
    b = (struct bad){1, 1, 0};
    EXPECT_OVERRUN(fdvjp_complex_jvp(NULL, cf, &b, z, N, M, cu, jvp), "wrote past w[2m-1]");

    /* tapes: the opaque node's recording, and a custom VJP in backward */
    {
        fdvjp_tape *t = fdvjp_tape_new();
        fdvjp_var in, out;
        double g[N];
        CHECK_STATUS(fdvjp_tape_input(t, x, N, &in), FDVJP_OK);
        b = (struct bad){1, 1, 0};
        CHECK_STATUS(fdvjp_tape_call(t, NULL, f, &b, &in, 1, M, &out), FDVJP_CALLBACK_FAILED);
        CHECK_ERROR_HAS("fdvjp_tape_call: ");
        CHECK_ERROR_HAS("the function wrote past y[m-1] (m = 2)");
        b = (struct bad){-1, 0, 0};
        CHECK_STATUS(fdvjp_tape_call_vjp(t, f, vjp, &b, &in, 1, M, &out), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(t, out, v, M), FDVJP_CALLBACK_FAILED);
        CHECK_ERROR_HAS("the vjp callback wrote past grad[n-1] (n = 3)");
        /* the same node with a correct adjoint: exact */
        b.at = 0;
        CHECK_STATUS(fdvjp_tape_backward(t, out, v, M), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(t, in, g, N), FDVJP_OK);
        CHECK_CLOSE(g[0], v[0] * x[1], 0.0);
        CHECK_CLOSE(g[1], v[0] * x[0] + v[1], 0.0);
        CHECK_CLOSE(g[2], v[1] * 2 * x[2], 0.0);
        fdvjp_tape_free(t);
    }

    /* well-behaved callbacks: exact answers, guard words never noticed */
    b = (struct bad){0, 0, 0};
    CHECK_STATUS(fdvjp_vjp(threads, f, &b, x, N, M, v, grad), FDVJP_OK);
    CHECK_CLOSE(grad[0], v[0] * x[1], 1e-9);
    CHECK_CLOSE(grad[2], v[1] * 2 * x[2], 1e-9);
    CHECK_STATUS(fdvjp_vjp_batch(batch, f_batch, &b, x, N, M, v, grad), FDVJP_OK);
    CHECK_CLOSE(grad[1], v[0] * x[0] + v[1], 1e-9);
    CHECK_STATUS(fdvjp_vjp_complex_step(NULL, cf, &b, x, N, M, v, grad), FDVJP_OK);
    CHECK_CLOSE(grad[2], v[1] * 2 * x[2], 1e-15);

    /* the thread's guarded buffer after an overrun: guard words are written when the
     * buffer is made, not before every call, so an overrun must not leave them spoilt:
     * a clean call with the same m right after one is exact, and the next overrun is
     * caught again (serial: the calling thread's buffer each time) */
    for (at = 0; at < 3; at++) {
        b = (struct bad){at == 1 ? 0 : 2, 1, 0};
        if (at == 1) {
            CHECK_STATUS(fdvjp_vjp(NULL, f, &b, x, N, M, v, grad), FDVJP_OK);
            CHECK_CLOSE(grad[0], v[0] * x[1], 1e-9);
            CHECK_CLOSE(grad[1], v[0] * x[0] + v[1], 1e-9);
            CHECK_CLOSE(grad[2], v[1] * 2 * x[2], 1e-9);
        } else {
            EXPECT_OVERRUN(fdvjp_vjp(NULL, f, &b, x, N, M, v, grad),
                           "wrote past y[m-1] (m = 2) at evaluation 2");
        }
    }

    /* an output left unwritten (after calls with other lengths on this thread) */
    test_unwritten_output(x);

    fdvjp_config_free(threads);
    fdvjp_config_free(batch);
    return check_summary("test_overrun");
}
