/*
 * test_bad_input.c: the rows of the bad-input matrix (README.md, "Hardening") that
 * test_errors.c, test_tape.c, test_batch.c and test_accuracy.c do not already cover.
 *
 * Each bad call must return its status, leave a last-error message naming the function,
 * the argument and the value, and leave every output buffer byte for byte as it was.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "check.h"

#define N 3
#define M 2
#define SENTINEL 0x5C

/* Every output buffer a failing call could write, filled with a sentinel before it. */
static double out_d[M * N];
static fdvjp_var out_v;

static void fill(void)
{
    memset(out_d, SENTINEL, sizeof out_d);
    memset(&out_v, SENTINEL, sizeof out_v);
}

static int untouched(void)
{
    const unsigned char *p = (const unsigned char *)out_d, *q = (const unsigned char *)&out_v;
    size_t i;
    for (i = 0; i < sizeof out_d; i++)
        if (p[i] != SENTINEL)
            return 0;
    for (i = 0; i < sizeof out_v; i++)
        if (q[i] != SENTINEL)
            return 0;
    return 1;
}

/* The status, each NULL-terminated substring of the last error, untouched outputs. */
static void expect_at(const char *file, int line, int32_t got, int32_t want, ...)
{
    va_list ap;
    const char *needle;
    check_status_at(got, want, "status", file, line);
    va_start(ap, want);
    while ((needle = va_arg(ap, const char *)) != NULL)
        check_error_has_at(needle, file, line);
    va_end(ap);
    check_record(untouched(), file, line, "every output buffer untouched");
}
#define EXPECT(got, want, ...) \
    expect_at(__FILE__, __LINE__, (got), (want), __VA_ARGS__, (const char *)NULL)

/* f(x) = (x0 x1 + sin x2, x0^2 - x2); counts calls, fails with `code` at call `fail_at`. */
typedef struct {
    long calls;
    long fail_at;
    int32_t code;
} counter;

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    counter *c = (counter *)user;
    (void)n;
    (void)m;
    if (__sync_add_and_fetch(&c->calls, 1) == c->fail_at)
        return c->code;
    y[0] = x[0] * x[1] + sin(x[2]);
    y[1] = x[0] * x[0] - x[2];
    return 0;
}

static int32_t batch_f(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)
{
    size_t p;
    for (p = 0; p < k; p++) {
        int32_t rc = f(user, xs + p * n, n, ys + p * m, m);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int32_t cancel_at_3(void *user, size_t done, size_t total)
{
    (void)user;
    (void)total;
    return done >= 3;
}

static const double X[N] = {0.5, -0.25, 0.75}, V[M] = {1.5, -0.5}, U[N] = {0.25, 1, -0.5};

/* Row "zero lengths": n == 0 or m == 0 is an empty problem; f is never called, NULL
 * arrays are fine, and only the documented result is written (grad = 0 when m == 0). */
static void row_zero_lengths(void)
{
    counter c = {0, 0, 0};
    double grad[N];
    CHECK_STATUS(fdvjp_vjp(NULL, f, &c, NULL, 0, M, V, NULL), FDVJP_OK);
    CHECK_STATUS(fdvjp_jvp(NULL, f, &c, NULL, 0, M, NULL, out_d), FDVJP_OK);
    CHECK_STATUS(fdvjp_jacobian(NULL, f, &c, X, N, 0, NULL), FDVJP_OK);
    memset(grad, SENTINEL, sizeof grad);
    CHECK_STATUS(fdvjp_vjp(NULL, f, &c, X, N, 0, NULL, grad), FDVJP_OK);
    CHECK(grad[0] == 0.0 && grad[1] == 0.0 && grad[2] == 0.0);
    CHECK_INT(c.calls, 0);
}

/* Row "foreign config / tape handle": memory that is readable but was never a handle
 * (its tag does not match) is refused by every use; freeing it is a no-op. */
static void row_foreign_handles(void)
{
    /* zeroed, aligned and larger than either handle: reading it is defined */
    static uint64_t foreign[512];
    fdvjp_config *cfg = (fdvjp_config *)(void *)foreign;
    fdvjp_tape *t = (fdvjp_tape *)(void *)foreign;
    counter c = {0, 0, 0};

    fill();
    EXPECT(fdvjp_vjp(cfg, f, &c, X, N, M, V, out_d), FDVJP_INVALID_ARGUMENT, "fdvjp_vjp:",
           "cfg is not a live fdvjp_config");
    EXPECT(fdvjp_jacobian(cfg, f, &c, X, N, M, out_d), FDVJP_INVALID_ARGUMENT,
           "fdvjp_jacobian:", "cfg is not a live fdvjp_config");
    EXPECT(fdvjp_config_set_scheme(cfg, FDVJP_FORWARD), FDVJP_INVALID_ARGUMENT,
           "fdvjp_config_set_scheme:", "cfg is not a live fdvjp_config");
    EXPECT(fdvjp_tape_input(t, X, N, &out_v), FDVJP_INVALID_ARGUMENT, "fdvjp_tape_input:",
           "t is not a live fdvjp_tape");
    EXPECT(fdvjp_tape_call(NULL, NULL, f, &c, &out_v, 1, M, &out_v), FDVJP_NULL_POINTER,
           "fdvjp_tape_call:", "t is NULL");
    fdvjp_config_free(cfg);
    fdvjp_tape_free(t);
    CHECK(foreign[0] == 0 && foreign[511] == 0); /* the frees wrote nothing */
    CHECK_INT(c.calls, 0);
}

/* Row "non-finite seed" and "non-finite replay input": refused, previous gradients kept. */
static void row_tape_nonfinite(void)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv, sq;
    const double seed_nan[N] = {1, NAN, 1}, seed_inf[N] = {-INFINITY, 0, 0};
    const double x_nan[N] = {0.5, 0.25, NAN};
    double before[N], after[N], value[N];
    CHECK_STATUS(fdvjp_tape_input(t, X, N, &xv), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, xv, &sq), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_backward(t, sq, U, N), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_grad(t, xv, before, N), FDVJP_OK);

    fill();
    EXPECT(fdvjp_tape_backward(t, sq, seed_nan, N), FDVJP_INVALID_ARGUMENT,
           "fdvjp_tape_backward:", "seed[1] = NaN");
    EXPECT(fdvjp_tape_backward(t, sq, seed_inf, N), FDVJP_INVALID_ARGUMENT, "seed[0] = -inf");
    CHECK_STATUS(fdvjp_tape_grad(t, xv, after, N), FDVJP_OK);
    CHECK(memcmp(before, after, sizeof before) == 0);
    CHECK_CLOSE(after[0], 2 * X[0] * U[0], 0.0);

    fill();
    EXPECT(fdvjp_tape_set_input(t, xv, x_nan, N), FDVJP_INVALID_ARGUMENT,
           "fdvjp_tape_set_input:", "[2] = NaN");
    CHECK_STATUS(fdvjp_tape_value(t, xv, value, N), FDVJP_OK);
    CHECK(memcmp(value, X, sizeof value) == 0);
    fdvjp_tape_free(t);
}

/* Row "never-issued var id": an id this tape could issue but has not. */
static void row_never_issued_var(void)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv;
    CHECK_STATUS(fdvjp_tape_input(t, X, N, &xv), FDVJP_OK);
    fill();
    EXPECT(fdvjp_tape_value(t, xv + 1000, out_d, N), FDVJP_UNKNOWN_VAR, "fdvjp_tape_value:",
           "is unknown to this tape");
    EXPECT(fdvjp_tape_unary(t, FDVJP_OP_EXP, xv + 1, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_unary:", "is unknown to this tape");
    /* ids no tape of the process issued: said so, shown as the caller's id (probe11 7b:
     * "var 0 (id 2^63) ... belongs to another tape") */
    EXPECT(fdvjp_tape_value(t, (fdvjp_var)1 << 63, out_d, N), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_value: v = id 9223372036854775808 is unknown to this tape", "no tape issued it");
    EXPECT(fdvjp_tape_unary(t, FDVJP_OP_EXP, UINT64_MAX, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_unary: a = id 18446744073709551615 is unknown", "no tape issued it");
    fdvjp_tape_free(t);
}

/* Row "var of another tape": the message names the argument that holds it (its own text,
 * "var 0", is its index on the other tape and reads as the first operand). */
static void row_var_names_its_argument(void)
{
    fdvjp_tape *t = fdvjp_tape_new(), *other = fdvjp_tape_new();
    fdvjp_var a, a2, b0, list[3];
    counter c = {0, 0, 0};
    CHECK_STATUS(fdvjp_tape_input(t, X, N, &a), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_input(t, X, N, &a2), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_input(other, X, N, &b0), FDVJP_OK);
    list[0] = a;
    list[1] = a2;
    list[2] = b0;
    fill();
    EXPECT(fdvjp_tape_binary(t, FDVJP_OP_ADD, a, b0, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_binary: b = var 0 (id ", "is unknown to this tape");
    EXPECT(fdvjp_tape_binary(t, FDVJP_OP_MUL, b0, a, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_binary: a = var 0 (id ");
    EXPECT(fdvjp_tape_dot(t, a, b0, &out_v), FDVJP_UNKNOWN_VAR, "fdvjp_tape_dot: b = var 0");
    EXPECT(fdvjp_tape_concat(t, list, 3, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_concat: vars[2] = var 0 (id ");
    EXPECT(fdvjp_tape_call(t, NULL, f, &c, list, 3, M, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_call: args[2] = var 0 (id ");
    EXPECT(fdvjp_tape_unary(t, FDVJP_OP_EXP, b0, &out_v), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_unary: a = var 0 (id ");
    EXPECT(fdvjp_tape_value(t, b0, out_d, N), FDVJP_UNKNOWN_VAR, "fdvjp_tape_value: v = var 0");
    EXPECT(fdvjp_tape_backward(t, b0, NULL, 0), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_backward: out = var 0");
    EXPECT(fdvjp_tape_set_input(t, b0, X, N), FDVJP_UNKNOWN_VAR,
           "fdvjp_tape_set_input: input = var 0");
    CHECK_INT(c.calls, 0);
    fdvjp_tape_free(t);
    fdvjp_tape_free(other);
}

/* Row "callback fails at call k" on worker threads and in a batch function: the lowest
 * failing evaluation is reported, outputs untouched. */
static void row_callback_fails_parallel(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    long k;
    CHECK_STATUS(fdvjp_config_set_threads(cfg, 2), FDVJP_OK);
    for (k = 1; k <= 1 + 2 * N; k++) {
        counter c = {0, 0, 9};
        c.fail_at = k;
        fill();
        EXPECT(fdvjp_vjp(cfg, f, &c, X, N, M, V, out_d), FDVJP_CALLBACK_FAILED, "fdvjp_vjp:",
               "callback returned 9");
        c.calls = 0;
        EXPECT(fdvjp_jacobian_batch(cfg, batch_f, &c, X, N, M, out_d), FDVJP_CALLBACK_FAILED,
               "fdvjp_jacobian_batch:", "callback returned 9");
    }
    fdvjp_config_free(cfg);
}

/* Row "cancelled": through the progress callback of a JVP, a Jacobian and an opaque tape
 * node's pull-back (the node's gradients of the previous backward are kept). */
static void row_cancelled(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_tape *t = fdvjp_tape_new();
    counter c = {0, 0, 0};
    fdvjp_var xv, y, sq, loss, sum;
    double before[N], after[N];
    CHECK_STATUS(fdvjp_config_set_progress(cfg, cancel_at_3, NULL), FDVJP_OK);
    fill();
    EXPECT(fdvjp_jvp(cfg, f, &c, X, N, M, U, out_d), FDVJP_CANCELLED, "fdvjp_jvp:",
           "cancelled by the progress callback after 3 of 3");
    c.calls = 0;
    EXPECT(fdvjp_jacobian(cfg, f, &c, X, N, M, out_d), FDVJP_CANCELLED, "fdvjp_jacobian:",
           "after 3 of 7");
    CHECK_INT(c.calls, 3);

    CHECK_STATUS(fdvjp_tape_input(t, X, N, &xv), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_call(t, cfg, f, &c, &xv, 1, M, &y), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, xv, &sq), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, sq, &sum), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_backward(t, sum, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_grad(t, xv, before, N), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &loss), FDVJP_OK);
    fill();
    EXPECT(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_CANCELLED, "fdvjp_tape_backward:",
           "cancelled by the progress callback");
    CHECK_STATUS(fdvjp_tape_grad(t, xv, after, N), FDVJP_OK);
    CHECK(memcmp(before, after, sizeof before) == 0);
    fdvjp_tape_free(t);
    fdvjp_config_free(cfg);
}

/* Row "bounds with lo >= hi / NaN" on a single element, and "adaptive flag not 0/1". */
static void row_config_values(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    const double lo = 1.0, hi = 1.0, inf = INFINITY, nan = NAN;
    fill();
    EXPECT(fdvjp_config_set_bounds(cfg, &lo, &hi, 1), FDVJP_INVALID_ARGUMENT,
           "fdvjp_config_set_bounds:", "lower[0] = 1", "upper[0] = 1");
    EXPECT(fdvjp_config_set_bounds(cfg, &inf, &inf, 1), FDVJP_INVALID_ARGUMENT,
           "lower[0] = inf");
    EXPECT(fdvjp_config_set_typical(cfg, &inf, 1), FDVJP_INVALID_ARGUMENT,
           "fdvjp_config_set_typical:", "typical[0] = inf");
    EXPECT(fdvjp_config_set_steps(cfg, &nan, 1), FDVJP_INVALID_ARGUMENT,
           "fdvjp_config_set_steps:", "steps[0] = NaN");
    EXPECT(fdvjp_config_set_adaptive(cfg, 2), FDVJP_INVALID_ARGUMENT,
           "fdvjp_config_set_adaptive:", "on = 2");
    EXPECT(fdvjp_config_set_adaptive(NULL, 1), FDVJP_NULL_POINTER, "cfg is NULL");
    fdvjp_config_free(cfg);
}

int main(void)
{
    row_zero_lengths();
    row_foreign_handles();
    row_tape_nonfinite();
    row_never_issued_var();
    row_var_names_its_argument();
    row_callback_fails_parallel();
    row_cancelled();
    row_config_values();
    return check_summary("test_bad_input");
}
