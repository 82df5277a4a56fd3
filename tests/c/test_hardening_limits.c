/*
 * test_hardening_limits.c: sizes, thread counts and batch sizes from the whole size_t
 * range, NULL arrays with a length, and tape callbacks or configs that do not fit their
 * node (issue 10, items 1, 4, 9 and 10).
 *
 * Every bad call must return FDVJP_INVALID_ARGUMENT or FDVJP_OUT_OF_MEMORY (never
 * FDVJP_INTERNAL_ERROR, never an abort) with a message naming the function and the value,
 * and leave every output as it was (each is filled with a sentinel first). Every good call
 * with an extreme thread count or batch size must give the exact answer. Nothing here
 * allocates more than a few kilobytes: a huge size is refused before allocation, or the
 * allocator refuses it (8 TiB and more).
 */
#include <stdlib.h>

#include "check.h"

#define SENTINEL 0x77
#define VAR_SENTINEL 0x7777777777777777ULL

static const size_t HUGE_SIZES[] = {(size_t)1 << 40, (size_t)1 << 62, SIZE_MAX};
#define N_HUGE (sizeof HUGE_SIZES / sizeof HUGE_SIZES[0])

static int all_sentinel(const void *p, size_t bytes)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < bytes; i++)
        if (c[i] != SENTINEL)
            return 0;
    return 1;
}

/* The status is one of the two refusals, never OK or an internal error. */
#define CHECK_REFUSED(call)                                                                  \
    do {                                                                                     \
        int32_t s_ = (call);                                                                 \
        if (!CHECK(s_ == FDVJP_INVALID_ARGUMENT || s_ == FDVJP_OUT_OF_MEMORY)) {             \
            char msg_[512];                                                                  \
            fdvjp_last_error(msg_, sizeof msg_);                                             \
            fprintf(stderr, "    status %s; last error \"%s\"\n", fdvjp_status_str(s_), msg_); \
        }                                                                                    \
    } while (0)

/* y = A x with A[i][j] = (i + 1) * (j + 2) - 3 j: linear, so every scheme is exact up to
 * rounding; J = A. */
static double a_entry(size_t i, size_t j)
{
    return (double)(i + 1) * (double)(j + 2) - 3.0 * (double)j;
}

static int32_t linear_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i, j;
    if (user)
        ++*(long *)user;
    for (i = 0; i < m; i++) {
        y[i] = 0;
        for (j = 0; j < n; j++)
            y[i] += a_entry(i, j) * x[j];
    }
    return 0;
}

static int32_t linear_batch(void *user, const double *xs, size_t n, size_t k, double *ys,
                            size_t m)
{
    size_t p;
    for (p = 0; p < k; p++)
        linear_fn(user, xs + p * n, n, ys + p * m, m);
    return 0;
}

/* Never to be called: a refused call must fail before evaluating anything. */
static int32_t never_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)x, (void)n, (void)y, (void)m;
    ++*(long *)user;
    return 0;
}

static int32_t never_vjp(void *user, const double *x, size_t n, const double *y, size_t m,
                         const double *v, double *grad)
{
    (void)x, (void)n, (void)y, (void)m, (void)v, (void)grad;
    ++*(long *)user;
    return 0;
}

/* --- item 1: huge sizes and indices ---------------------------------------------------- */

static void test_huge_sparsity(void)
{
    double x[3] = {1, 2, 3}, v[2] = {1, -1}, grad[3], jac[6];
    size_t k;
    long calls = 0;
    for (k = 0; k < N_HUGE; k++) {
        size_t rows[2] = {0, HUGE_SIZES[k]}, cols[2] = {HUGE_SIZES[k], 1};
        fdvjp_config *cfg = fdvjp_config_new();
        int32_t s = fdvjp_config_set_sparsity(cfg, rows, cols, 2);
        CHECK(s == FDVJP_OK || s == FDVJP_INVALID_ARGUMENT);
        memset(grad, SENTINEL, sizeof grad);
        memset(jac, SENTINEL, sizeof jac);
        if (s == FDVJP_OK) {
            CHECK_STATUS(fdvjp_vjp(cfg, never_fn, &calls, x, 3, 2, v, grad),
                         FDVJP_INVALID_ARGUMENT);
            CHECK_ERROR_HAS("fdvjp_vjp: sparsity");
            CHECK_STATUS(fdvjp_jacobian(cfg, never_fn, &calls, x, 3, 2, jac),
                         FDVJP_INVALID_ARGUMENT);
        }
        CHECK(all_sentinel(grad, sizeof grad) && all_sentinel(jac, sizeof jac));
        fdvjp_config_free(cfg);
    }
    CHECK_INT(calls, 0);
}

static void test_huge_tape_shapes(void)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var out, a, b, e, parts[64];
    size_t k, i;
    double value[4];
    long calls = 0;

    /* shapes whose element count overflows */
    for (k = 0; k < N_HUGE; k++) {
        size_t shape[3] = {HUGE_SIZES[k], HUGE_SIZES[k], 2};
        out = VAR_SENTINEL;
        CHECK_REFUSED(fdvjp_tape_input_shaped(t, NULL, shape, 3, &out));
        CHECK_ERROR_HAS("fdvjp_tape_input_shaped: ");
        CHECK(out == VAR_SENTINEL);
        CHECK_REFUSED(fdvjp_tape_constant_shaped(t, NULL, shape, 3, &out));
        CHECK(out == VAR_SENTINEL);
    }
    /* empty, but with axes whose product of the non-zero ones overflows isize */
    {
        size_t shape[3] = {(size_t)1 << 62, 4, 0};
        out = VAR_SENTINEL;
        CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, shape, 3, &out), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_tape_input_shaped: shape [4611686018427387904, 4, 0]");
        CHECK(out == VAR_SENTINEL);
        CHECK_STATUS(fdvjp_tape_constant_shaped(t, NULL, shape, 3, &out),
                     FDVJP_INVALID_ARGUMENT);
        CHECK(out == VAR_SENTINEL);
    }
    /* [0, SIZE_MAX]: refused naming the shape, not with ndarray's "(ShapeError/Overflow" */
    {
        size_t shape[2] = {0, SIZE_MAX};
        char msg[512];
        out = VAR_SENTINEL;
        CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, shape, 2, &out), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_tape_input_shaped: shape [0, 18446744073709551615] has 0 "
                        "elements, but its non-zero dimensions multiply beyond isize::MAX");
        fdvjp_last_error(msg, sizeof msg);
        CHECK(strstr(msg, "ShapeError") == NULL);
        CHECK(out == VAR_SENTINEL);
    }
    /* empty-but-huge operands: [2^k, 0] x [0, 2^k] has 2^2k elements */
    for (k = 0; k < N_HUGE; k++) {
        size_t big = HUGE_SIZES[k] > ((size_t)1 << 62) ? ((size_t)1 << 62) : HUGE_SIZES[k];
        size_t sa[2] = {big, 0}, sb[2] = {0, big};
        CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, sa, 2, &a), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, sb, 2, &b), FDVJP_OK);
        out = VAR_SENTINEL;
        CHECK_REFUSED(fdvjp_tape_matmul(t, a, b, &out));
        CHECK_ERROR_HAS("fdvjp_tape_matmul: ");
        CHECK(out == VAR_SENTINEL);
        /* [2^k, 0] x [0] is a valid [2^k] result of 2^k zeros: too much memory */
        {
            size_t s1[1] = {0};
            fdvjp_var z;
            CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, s1, 1, &z), FDVJP_OK);
            out = VAR_SENTINEL;
            CHECK_REFUSED(fdvjp_tape_matmul(t, a, z, &out));
            CHECK(out == VAR_SENTINEL);
        }
    }
    /* reshape of an empty var to shapes that overflow */
    {
        size_t s0[1] = {0}, bad[3] = {SIZE_MAX, SIZE_MAX, 0}, bad2[3] = {(size_t)1 << 62, 4, 0};
        CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, s0, 1, &e), FDVJP_OK);
        out = VAR_SENTINEL;
        CHECK_REFUSED(fdvjp_tape_reshape(t, e, bad, 3, &out));
        CHECK(out == VAR_SENTINEL);
        CHECK_STATUS(fdvjp_tape_reshape(t, e, bad2, 3, &out), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_tape_reshape: ");
        CHECK(out == VAR_SENTINEL);
    }
    /* slice ranges that overflow */
    {
        const double x4[4] = {1, 2, 3, 4};
        CHECK_STATUS(fdvjp_tape_input(t, x4, 4, &a), FDVJP_OK);
        out = VAR_SENTINEL;
        CHECK_STATUS(fdvjp_tape_slice(t, a, SIZE_MAX, 2, &out), FDVJP_INVALID_ARGUMENT);
        CHECK_STATUS(fdvjp_tape_slice(t, a, 2, SIZE_MAX, &out), FDVJP_INVALID_ARGUMENT);
        CHECK(out == VAR_SENTINEL);
        /* concat: 64 times a var of 2^58 elements would be 2^64 */
        {
            size_t huge_empty[2] = {(size_t)1 << 58, 0};
            CHECK_STATUS(fdvjp_tape_input_shaped(t, NULL, huge_empty, 2, &b), FDVJP_OK);
            for (i = 0; i < 64; i++)
                parts[i] = b;
            CHECK_STATUS(fdvjp_tape_concat(t, parts, 64, &out), FDVJP_OK); /* 0 elements */
            CHECK_STATUS(fdvjp_tape_len(t, out, &i), FDVJP_OK);
            CHECK_INT((long long)i, 0);
        }
        CHECK_STATUS(fdvjp_tape_value(t, a, value, 4), FDVJP_OK);
        CHECK(value[3] == 4.0);
    }
    CHECK_INT(calls, 0);
    /* the tape is still usable: a small call records and differentiates exactly */
    {
        const double x2[2] = {1, 2};
        fdvjp_var xv, y, s;
        double g[2];
        CHECK_STATUS(fdvjp_tape_input(t, x2, 2, &xv), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_call(t, NULL, linear_fn, NULL, &xv, 1, 1, &y), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &s), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(t, s, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(t, xv, g, 2), FDVJP_OK);
        CHECK_CLOSE(g[0], a_entry(0, 0), 1e-9);
        CHECK_CLOSE(g[1], a_entry(0, 1), 1e-9);
    }
    fdvjp_tape_free(t);
}

static void test_huge_call_lengths(void)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var out;
    size_t k;
    long calls = 0;
    /* opaque and custom calls with huge output lengths: refused before f is called */
    {
        const double x2[2] = {1, 2};
        fdvjp_var xv;
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_tape_input(t, x2, 2, &xv), FDVJP_OK);
        for (k = 0; k < N_HUGE; k++) {
            size_t m = HUGE_SIZES[k];
            out = VAR_SENTINEL;
            CHECK_REFUSED(fdvjp_tape_call(t, NULL, never_fn, &calls, &xv, 1, m, &out));
            CHECK_ERROR_HAS("fdvjp_tape_call: ");
            CHECK_REFUSED(fdvjp_tape_call(t, cfg, never_fn, &calls, &xv, 1, m, &out));
            CHECK_REFUSED(
                fdvjp_tape_call_vjp(t, never_fn, never_vjp, &calls, &xv, 1, m, &out));
            CHECK_ERROR_HAS("fdvjp_tape_call_vjp: ");
            CHECK(out == VAR_SENTINEL);
        }
        fdvjp_config_free(cfg);
    }
    CHECK_INT(calls, 0);
    fdvjp_tape_free(t);
}

static void test_huge_problem_sizes(void)
{
    double x[2] = {1, 2}, jac[4];
    long calls = 0;
    size_t k;
    for (k = 0; k < N_HUGE; k++) {
        /* n*m overflows (or is beyond memory); every Jacobian driver refuses before f */
        memset(jac, SENTINEL, sizeof jac);
        CHECK_REFUSED(fdvjp_jacobian(NULL, never_fn, &calls, x, 2, HUGE_SIZES[k], jac));
        CHECK_REFUSED(fdvjp_jacobian_batch(NULL, linear_batch, &calls, x, 2, HUGE_SIZES[k],
                                           jac));
        CHECK(all_sentinel(jac, sizeof jac));
    }
    CHECK_INT(calls, 0);
}

/* --- item 4: threads and batch sizes of any size_t value -------------------------------- */

static void check_linear_vjp(const fdvjp_config *cfg, int batch_fn)
{
    enum { N = 5, M = 3 };
    double x[N] = {0.5, -1, 2, 3, -0.25}, v[M] = {1, -2, 0.5}, grad[N], want;
    size_t i, j;
    int32_t s;
    memset(grad, SENTINEL, sizeof grad);
    s = batch_fn ? fdvjp_vjp_batch(cfg, linear_batch, NULL, x, N, M, v, grad)
                 : fdvjp_vjp(cfg, linear_fn, NULL, x, N, M, v, grad);
    if (!CHECK_STATUS(s, FDVJP_OK))
        return;
    for (j = 0; j < N; j++) {
        want = 0;
        for (i = 0; i < M; i++)
            want += v[i] * a_entry(i, j);
        CHECK_CLOSE(grad[j], want, 1e-8);
    }
}

static void test_threads_and_batch(void)
{
    static const size_t values[] = {0,
                                    1,
                                    2,
                                    3,
                                    1024,
                                    1025,
                                    (size_t)1 << 20,
                                    (size_t)1 << 32,
                                    (size_t)1 << 61,
                                    (size_t)1 << 62,
                                    ((size_t)1 << 62) + 1,
                                    (size_t)1 << 63,
                                    SIZE_MAX / 4 + 1,
                                    SIZE_MAX / 2,
                                    SIZE_MAX - 1,
                                    SIZE_MAX};
    size_t a, b;
    for (a = 0; a < sizeof values / sizeof values[0]; a++) {
        fdvjp_config *cfg = fdvjp_config_new();
        int32_t s = fdvjp_config_set_threads(cfg, values[a]);
        CHECK(s == FDVJP_OK || s == FDVJP_INVALID_ARGUMENT);
        check_linear_vjp(cfg, 0);
        check_linear_vjp(cfg, 1);
        for (b = 0; b < sizeof values / sizeof values[0]; b += 3) {
            s = fdvjp_config_set_batch_size(cfg, values[b]);
            CHECK(s == FDVJP_OK || s == FDVJP_INVALID_ARGUMENT);
            check_linear_vjp(cfg, 0);
            check_linear_vjp(cfg, 1);
        }
        fdvjp_config_free(cfg);
    }
    /* the limit is documented and its message names the value */
    {
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_threads(cfg, 1024), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_threads(cfg, 1025), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_config_set_threads: threads = 1025");
        CHECK_STATUS(fdvjp_config_set_threads(cfg, SIZE_MAX), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("threads = 18446744073709551615");
        fdvjp_config_free(cfg);
    }
}

/* --- item 9: a NULL array comes with length 0 ------------------------------------------- */

static void test_null_with_length(void)
{
    fdvjp_tape *t = fdvjp_tape_new();
    const double x1[1] = {3};
    fdvjp_var xv, sq, before_g;
    double g[1];
    size_t len;
    CHECK_STATUS(fdvjp_tape_input(t, x1, 1, &xv), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, xv, &sq), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_backward(t, sq, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_backward(t, sq, NULL, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_grad(t, xv, g, 1), FDVJP_OK);
    CHECK_CLOSE(g[0], 6.0, 1e-15);
    for (len = 2; len < 6; len += 3) {
        CHECK_STATUS(fdvjp_tape_backward(t, sq, NULL, len), FDVJP_INVALID_ARGUMENT);
        CHECK_ERROR_HAS("fdvjp_tape_backward: seed is NULL but len = ");
    }
    CHECK_STATUS(fdvjp_tape_backward(t, sq, NULL, SIZE_MAX), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("len = 18446744073709551615");
    /* gradients kept */
    memset(g, SENTINEL, sizeof g);
    CHECK_STATUS(fdvjp_tape_grad(t, xv, g, 1), FDVJP_OK);
    CHECK_CLOSE(g[0], 6.0, 1e-15);
    (void)before_g;
    fdvjp_tape_free(t);
}

/* --- item 10: custom VJPs writing NaN, config sparsity out of range for a tape node ------ */

static int32_t square_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i;
    (void)user;
    for (i = 0; i < m; i++)
        y[i] = x[i % n] * x[i % n];
    return 0;
}

static int32_t nan_vjp(void *user, const double *x, size_t n, const double *y, size_t m,
                       const double *v, double *grad)
{
    size_t j;
    (void)y, (void)m, (void)v;
    for (j = 0; j < n; j++)
        grad[j] = 2 * x[j];
    grad[n - 1] = *(const double *)user;
    return 0;
}

static void test_custom_vjp_nonfinite(void)
{
    static const double bad[3] = {NAN, INFINITY, -INFINITY};
    size_t k;
    for (k = 0; k < 3; k++) {
        fdvjp_tape *t = fdvjp_tape_new();
        const double x2[2] = {1, -2};
        fdvjp_var xv, sq, s, y, l;
        double g[2];
        CHECK_STATUS(fdvjp_tape_input(t, x2, 2, &xv), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, xv, &sq), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, sq, &s), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(t, s, NULL, 0), FDVJP_OK);
        CHECK_STATUS(
            fdvjp_tape_call_vjp(t, square_fn, nan_vjp, (void *)&bad[k], &xv, 1, 2, &y),
            FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &l), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(t, l, NULL, 0), FDVJP_CALLBACK_FAILED);
        CHECK_ERROR_HAS("fdvjp_tape_backward: node 3 (custom-VJP call)");
        CHECK_ERROR_HAS("grad[1] = ");
        /* the previous gradients are kept */
        memset(g, SENTINEL, sizeof g);
        CHECK_STATUS(fdvjp_tape_grad(t, xv, g, 2), FDVJP_OK);
        CHECK(g[0] == 2.0 && g[1] == -4.0);
        fdvjp_tape_free(t);
    }
}

static void test_tape_sparsity_out_of_range(void)
{
    static const size_t rows_ok[2] = {0, 1}, cols_ok[2] = {0, 1};
    static const size_t rows_bad[2] = {0, 5}, cols_bad[2] = {0, 1};
    static const size_t rows_c[2] = {0, 1}, cols_c[2] = {0, 7};
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_config *ok = fdvjp_config_new(), *bad_row = fdvjp_config_new(),
                 *bad_col = fdvjp_config_new();
    const double x2[2] = {1.5, -2};
    fdvjp_var xv, y, l;
    long calls = 0;
    double g[2];
    CHECK_STATUS(fdvjp_config_set_sparsity(ok, rows_ok, cols_ok, 2), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_sparsity(bad_row, rows_bad, cols_bad, 2), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_sparsity(bad_col, rows_c, cols_c, 2), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_input(t, x2, 2, &xv), FDVJP_OK);
    y = VAR_SENTINEL;
    CHECK_STATUS(fdvjp_tape_call(t, bad_row, never_fn, &calls, &xv, 1, 2, &y),
                 FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_tape_call: node 1 (opaque call) failed in recording: sparsity row index 5 is not "
                    "below m = 2");
    CHECK_STATUS(fdvjp_tape_call(t, bad_col, never_fn, &calls, &xv, 1, 2, &y),
                 FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_tape_call: node 1 (opaque call) failed in recording: sparsity column index 7 is not "
                    "below n = 2");
    CHECK(y == VAR_SENTINEL);
    CHECK_INT(calls, 0);
    /* a pattern that fits records and differentiates exactly (diagonal of x^2) */
    CHECK_STATUS(fdvjp_tape_call(t, ok, square_fn, NULL, &xv, 1, 2, &y), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &l), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_backward(t, l, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_grad(t, xv, g, 2), FDVJP_OK);
    CHECK_CLOSE(g[0], 3.0, 1e-8);
    CHECK_CLOSE(g[1], -4.0, 1e-8);
    fdvjp_config_free(ok);
    fdvjp_config_free(bad_row);
    fdvjp_config_free(bad_col);
    fdvjp_tape_free(t);
}

/* Each block on its own with its name as the argument (to see every failure of a library
 * that aborts); all of them without one. */
int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } blocks[] = {{"huge_sparsity", test_huge_sparsity},
                  {"huge_tape_shapes", test_huge_tape_shapes},
                  {"huge_call_lengths", test_huge_call_lengths},
                  {"huge_problem_sizes", test_huge_problem_sizes},
                  {"threads_and_batch", test_threads_and_batch},
                  {"null_with_length", test_null_with_length},
                  {"custom_vjp_nonfinite", test_custom_vjp_nonfinite},
                  {"tape_sparsity_out_of_range", test_tape_sparsity_out_of_range}};
    size_t b;
    for (b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
        if (argc < 2 || strcmp(argv[1], blocks[b].name) == 0)
            blocks[b].run();
    return check_summary("test_hardening_limits");
}
