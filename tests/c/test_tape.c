/*
 * test_tape.c: the reverse-mode tape through the C header. Built-in ops around opaque and
 * custom-VJP C functions against exact gradients; the Jacobian cache proven by counting
 * evaluations; replay against a fresh recording; every error path with its status, a
 * message naming the thing at fault, and output buffers left byte-for-byte untouched.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "check.h"

/* ---- sentinel-filled outputs ----------------------------------------------------------- */

#define SENTINEL 0xA5
static double out_d[8];
static fdvjp_var out_v;
static size_t out_z[4];

static void fill_outputs(void)
{
    memset(out_d, SENTINEL, sizeof out_d);
    memset(&out_v, SENTINEL, sizeof out_v);
    memset(out_z, SENTINEL, sizeof out_z);
}

static int is_sentinel(const void *p, size_t bytes)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < bytes; i++)
        if (c[i] != SENTINEL)
            return 0;
    return 1;
}

static int outputs_untouched(void)
{
    return is_sentinel(out_d, sizeof out_d) && is_sentinel(&out_v, sizeof out_v) &&
           is_sentinel(out_z, sizeof out_z);
}

/* Checks the status, each NULL-terminated substring of the message, and the buffers. */
static void expect_error_at(const char *file, int line, int32_t got, int32_t want, ...)
{
    va_list ap;
    const char *needle;
    check_status_at(got, want, "status", file, line);
    va_start(ap, want);
    while ((needle = va_arg(ap, const char *)) != NULL)
        check_error_has_at(needle, file, line);
    va_end(ap);
    check_record(outputs_untouched(), file, line, "every output buffer untouched");
}
#define EXPECT_ERROR(got, want, ...) \
    expect_error_at(__FILE__, __LINE__, (got), (want), __VA_ARGS__, (const char *)NULL)

#define OK(call) CHECK_STATUS((call), FDVJP_OK)

/* ---- C functions for opaque and custom-VJP nodes ---------------------------------------- */

/* Counts evaluations and can be made to fail or to return NaN. */
typedef struct {
    int evaluations;
    int32_t fail_code; /* returned when non-zero */
    int nan_output;
} counter;

/* slope(x, y) of the least-squares line through (x_i, y_i); x = z[0..k], y = z[k..2k]. */
static int32_t slope(void *user, const double *z, size_t n, double *out, size_t m)
{
    counter *c = (counter *)user;
    size_t k = n / 2, i;
    double xm = 0, ym = 0, sxy = 0, sxx = 0;
    (void)m;
    c->evaluations++;
    if (c->fail_code)
        return c->fail_code;
    for (i = 0; i < k; i++) {
        xm += z[i] / (double)k;
        ym += z[k + i] / (double)k;
    }
    for (i = 0; i < k; i++) {
        sxy += (z[i] - xm) * (z[k + i] - ym);
        sxx += (z[i] - xm) * (z[i] - xm);
    }
    out[0] = c->nan_output ? NAN : sxy / sxx;
    return 0;
}

/* g(u) = [u0 u1, exp(u0) + u2, u1^2]. */
static int32_t g3(void *user, const double *u, size_t n, double *y, size_t m)
{
    counter *c = (counter *)user;
    (void)n;
    (void)m;
    c->evaluations++;
    if (c->fail_code)
        return c->fail_code;
    y[0] = u[0] * u[1];
    y[1] = exp(u[0]) + u[2];
    y[2] = c->nan_output ? NAN : u[1] * u[1];
    return 0;
}

/* h(x) = [x0^2, x0 x1] and its exact adjoint. */
static int32_t h2(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = x[0] * x[0];
    y[1] = x[0] * x[1];
    return 0;
}

static int32_t h2_vjp(void *user, const double *x, size_t n, const double *y, size_t m,
                      const double *v, double *grad)
{
    counter *c = (counter *)user;
    (void)n;
    (void)y;
    (void)m;
    c->evaluations++;
    if (c->fail_code)
        return c->fail_code;
    grad[0] = 2 * x[0] * v[0] + x[1] * v[1];
    grad[1] = x[0] * v[1];
    return 0;
}

/* Calls back into its own tape (a misuse): the calls must fail cleanly, not alias it. */
typedef struct {
    fdvjp_tape *tape;
    fdvjp_var var;
    int32_t value_status, input_status;
} reentrant;

static int32_t calls_its_tape(void *user, const double *x, size_t n, double *y, size_t m)
{
    reentrant *r = (reentrant *)user;
    double v[2];
    fdvjp_var unused;
    (void)m;
    r->value_status = fdvjp_tape_value(r->tape, r->var, v, 2);
    r->input_status = fdvjp_tape_input(r->tape, x, n, &unused);
    fdvjp_tape_free(r->tape); /* must do nothing while the tape is in use */
    y[0] = x[0] + x[1];
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* The least-squares slope with x and y as two arguments of one opaque call; the exact
 * gradients at x = [1,2,3,4], y = [0.4,1.6,2.1,3.9] are ((y - ym) - 2b(x - xm)) / Sxx and
 * (x - xm) / Sxx; central differences are within 1e-10 here, tolerance 1e-8. */
static void test_slope(void)
{
    const double x[4] = {1, 2, 3, 4}, y[4] = {0.4, 1.6, 2.1, 3.9};
    const double want_x[4] = {0.34, 0.14, -0.2, -0.28}, want_y[4] = {-0.3, -0.1, 0.1, 0.3};
    counter c = {0, 0, 0};
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv, yv, args[2], b;
    double gx[4], gy[4], value;
    int i;
    OK(fdvjp_tape_input(t, x, 4, &xv));
    OK(fdvjp_tape_input(t, y, 4, &yv));
    CHECK(xv != 0 && yv != 0 && xv != yv);
    args[0] = xv;
    args[1] = yv;
    OK(fdvjp_tape_call(t, NULL, slope, &c, args, 2, 1, &b));
    OK(fdvjp_tape_value(t, b, &value, 1));
    CHECK_CLOSE(value, 1.1, 1e-14);
    OK(fdvjp_tape_backward(t, b, NULL, 0));
    OK(fdvjp_tape_grad(t, xv, gx, 4));
    OK(fdvjp_tape_grad(t, yv, gy, 4));
    for (i = 0; i < 4; i++) {
        CHECK_CLOSE(gx[i], want_x[i], 1e-8);
        CHECK_CLOSE(gy[i], want_y[i], 1e-8);
    }
    CHECK_INT(c.evaluations, 1 + 2 * 8); /* record, then central differences over n = 8 */
    fdvjp_tape_free(t);
}

/* loss = sum(tanh(g(sin(x) * x))) with g opaque under forward differences: record costs 1
 * evaluation, the first backward n = 3, the next two (other seeds) none. Gradient exact by
 * the chain rule; forward differences are within ~1e-7 here, tolerance 1e-6. */
static void test_seed_flow_and_cache(void)
{
    const double x[3] = {0.3, -0.7, 1.1};
    counter c = {0, 0, 0};
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv, s, u, gv, th, loss;
    double grad[3], u0[3], du[3], y[3], w[3], wg[3], row[3];
    int i;
    OK(fdvjp_config_set_scheme(cfg, FDVJP_FORWARD));
    OK(fdvjp_tape_input(t, x, 3, &xv));
    OK(fdvjp_tape_unary(t, FDVJP_OP_SIN, xv, &s));
    OK(fdvjp_tape_binary(t, FDVJP_OP_MUL, s, xv, &u));
    OK(fdvjp_tape_call(t, cfg, g3, &c, &u, 1, 3, &gv));
    fdvjp_config_free(cfg); /* copied at the call */
    OK(fdvjp_tape_unary(t, FDVJP_OP_TANH, gv, &th));
    OK(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, th, &loss));
    CHECK_INT(c.evaluations, 1);
    OK(fdvjp_tape_backward(t, loss, NULL, 0));
    OK(fdvjp_tape_grad(t, xv, grad, 3));
    CHECK_INT(c.evaluations, 1 + 3);
    for (i = 0; i < 3; i++) {
        u0[i] = sin(x[i]) * x[i];
        du[i] = cos(x[i]) * x[i] + sin(x[i]);
    }
    y[0] = u0[0] * u0[1];
    y[1] = exp(u0[0]) + u0[2];
    y[2] = u0[1] * u0[1];
    for (i = 0; i < 3; i++)
        w[i] = 1 - tanh(y[i]) * tanh(y[i]);
    wg[0] = w[0] * u0[1] + w[1] * exp(u0[0]);
    wg[1] = w[0] * u0[0] + w[2] * 2 * u0[1];
    wg[2] = w[1];
    for (i = 0; i < 3; i++)
        CHECK_CLOSE(grad[i], wg[i] * du[i], 1e-6);
    /* Rows of J_g(u) composed with du: seeds e_0 and e_2 on gv cost no evaluation. */
    {
        const double e0[3] = {1, 0, 0}, e2[3] = {0, 0, 1};
        OK(fdvjp_tape_backward(t, gv, e0, 3));
        OK(fdvjp_tape_grad(t, xv, row, 3));
        CHECK_CLOSE(row[0], u0[1] * du[0], 1e-6);
        CHECK_CLOSE(row[1], u0[0] * du[1], 1e-6);
        CHECK_CLOSE(row[2], 0.0, 1e-6);
        OK(fdvjp_tape_backward(t, gv, e2, 3));
        OK(fdvjp_tape_grad(t, xv, row, 3));
        CHECK_CLOSE(row[1], 2 * u0[1] * du[1], 1e-6);
        CHECK_INT(c.evaluations, 1 + 3);
    }
    fdvjp_tape_free(t);
}

/* Records loss = dot(A g(h(x)) , c) + mean(x^2) * 2: a custom-VJP node h, an opaque g, a
 * matrix-vector product with a shaped constant, a scalar constant broadcast. */
static fdvjp_var record_mixed(fdvjp_tape *t, const double *x, fdvjp_var *xv, counter *cg,
                              counter *ch)
{
    const double a[6] = {1, -0.5, 0.25, 2, 0, 1}, cvec[2] = {0.3, -0.7}, two = 2;
    const size_t ashape[2] = {2, 3};
    fdvjp_var hv, gv, av, mv, cv, d, sq, mean, twov, sc, loss;
    OK(fdvjp_tape_input(t, x, 2, xv));
    OK(fdvjp_tape_call_vjp(t, h2, h2_vjp, ch, xv, 1, 2, &hv));
    {
        fdvjp_var args[2];
        args[0] = hv;
        args[1] = *xv; /* g(h0, h1, x0) uses the first three entries of [h, x] */
        OK(fdvjp_tape_call(t, NULL, g3, cg, args, 2, 3, &gv));
    }
    OK(fdvjp_tape_constant_shaped(t, a, ashape, 2, &av));
    OK(fdvjp_tape_matmul(t, av, gv, &mv));
    OK(fdvjp_tape_constant(t, cvec, 2, &cv));
    OK(fdvjp_tape_dot(t, mv, cv, &d));
    OK(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, *xv, &sq));
    OK(fdvjp_tape_reduce(t, FDVJP_REDUCE_MEAN, sq, &mean));
    OK(fdvjp_tape_constant_shaped(t, &two, NULL, 0, &twov));
    OK(fdvjp_tape_binary(t, FDVJP_OP_MUL, mean, twov, &sc));
    OK(fdvjp_tape_binary(t, FDVJP_OP_ADD, d, sc, &loss));
    return loss;
}

/* The mixed program against its exact gradient (1e-8: central differences inside g), and a
 * replay at a new point equal to a fresh recording there, bit for bit. */
static void test_mixed_and_replay(void)
{
    const double x[2] = {0.7, -0.4}, x2[2] = {-0.3, 1.2};
    counter cg = {0, 0, 0}, ch = {0, 0, 0}, cg2 = {0, 0, 0}, ch2 = {0, 0, 0};
    fdvjp_tape *t = fdvjp_tape_new(), *fresh = fdvjp_tape_new();
    fdvjp_var xv, loss, fx, floss;
    double grad[2], h[2], w[3], wz[4], want[2], v1, v2, g1[2], g2[2];
    size_t ndim, shape[1], len;
    int i;
    loss = record_mixed(t, x, &xv, &cg, &ch);
    OK(fdvjp_tape_backward(t, loss, NULL, 0));
    OK(fdvjp_tape_grad(t, xv, grad, 2));
    CHECK_INT(ch.evaluations, 1); /* one pull-back through the custom node */
    /* w = A^T c; z = [h0, h1, x0, x1]; grad g3 at z: w^T J_g */
    w[0] = 1 * 0.3 + 2 * -0.7;
    w[1] = -0.5 * 0.3 + 0 * -0.7;
    w[2] = 0.25 * 0.3 + 1 * -0.7;
    h[0] = x[0] * x[0];
    h[1] = x[0] * x[1];
    wz[0] = w[0] * h[1] + w[1] * exp(h[0]);
    wz[1] = w[0] * h[0] + w[2] * 2 * h[1];
    wz[2] = w[1];
    wz[3] = 0;
    want[0] = 2 * x[0] * wz[0] + x[1] * wz[1] + wz[2] + 2 * x[0];
    want[1] = x[0] * wz[1] + wz[3] + 2 * x[1];
    for (i = 0; i < 2; i++)
        CHECK_CLOSE(grad[i], want[i], 1e-8);
    OK(fdvjp_tape_ndim(t, xv, &ndim));
    CHECK_INT((long long)ndim, 1);
    OK(fdvjp_tape_shape(t, xv, shape, 1));
    CHECK_INT((long long)shape[0], 2);
    OK(fdvjp_tape_ndim(t, loss, &ndim));
    CHECK_INT((long long)ndim, 0);
    OK(fdvjp_tape_len(t, loss, &len));
    CHECK_INT((long long)len, 1);

    OK(fdvjp_tape_set_input(t, xv, x2, 2));
    OK(fdvjp_tape_forward(t));
    OK(fdvjp_tape_backward(t, loss, NULL, 0));
    floss = record_mixed(fresh, x2, &fx, &cg2, &ch2);
    OK(fdvjp_tape_backward(fresh, floss, NULL, 0));
    OK(fdvjp_tape_value(t, loss, &v1, 1));
    OK(fdvjp_tape_value(fresh, floss, &v2, 1));
    OK(fdvjp_tape_grad(t, xv, g1, 2));
    OK(fdvjp_tape_grad(fresh, fx, g2, 2));
    CHECK(v1 == v2);
    CHECK(g1[0] == g2[0] && g1[1] == g2[1]);
    fdvjp_tape_free(t);
    fdvjp_tape_free(fresh);
}

/* reshape, slice and concat through the C API: gradients moved back exactly. */
static void test_shape_ops(void)
{
    const double x[6] = {1, 2, 3, 4, 5, 6};
    const size_t shape[2] = {2, 3}, flat[1] = {6};
    const double seed[5] = {10, 20, 30, 40, 50};
    const double want[6] = {10 + 0, 20 + 0, 0, 0, 30 + 50, 40};
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv, r, head, tail, parts[3], cat;
    double grad[6], value[5];
    int i;
    OK(fdvjp_tape_input_shaped(t, x, shape, 2, &xv));
    OK(fdvjp_tape_reshape(t, xv, flat, 1, &r));
    OK(fdvjp_tape_slice(t, r, 0, 2, &head));
    OK(fdvjp_tape_slice(t, xv, 4, 2, &tail));
    parts[0] = head;
    parts[1] = tail;
    OK(fdvjp_tape_slice(t, xv, 4, 1, &parts[2]));
    OK(fdvjp_tape_concat(t, parts, 3, &cat));
    OK(fdvjp_tape_value(t, cat, value, 5));
    CHECK(value[0] == 1 && value[1] == 2 && value[2] == 5 && value[3] == 6 && value[4] == 5);
    OK(fdvjp_tape_backward(t, cat, seed, 5));
    OK(fdvjp_tape_grad(t, xv, grad, 6));
    for (i = 0; i < 6; i++)
        CHECK_CLOSE(grad[i], want[i], 0.0);
    fdvjp_tape_free(t);
}

/* Every error path: the status, the message, untouched outputs, a usable tape after. */
static void test_errors(void)
{
    const double x[3] = {1, 2, 3}, two[2] = {1, 2}, bad[2] = {1, NAN};
    counter c = {0, 0, 0};
    fdvjp_tape *t = fdvjp_tape_new(), *other = fdvjp_tape_new();
    fdvjp_var xv, yv, ov, sv, loss, gv, hv, stale;
    double grad_before[3], grad_after[3], v_before, v_after;
    char id[64];

    OK(fdvjp_tape_input(t, x, 3, &xv));
    OK(fdvjp_tape_input(t, two, 2, &yv));
    OK(fdvjp_tape_input(other, x, 3, &ov));

    fill_outputs();
    EXPECT_ERROR(fdvjp_tape_input(NULL, x, 3, &out_v), FDVJP_NULL_POINTER, "fdvjp_tape_input",
                 "t is NULL");
    EXPECT_ERROR(fdvjp_tape_input(t, NULL, 3, &out_v), FDVJP_NULL_POINTER, "x is NULL");
    EXPECT_ERROR(fdvjp_tape_input(t, x, 3, NULL), FDVJP_NULL_POINTER, "out is NULL");
    EXPECT_ERROR(fdvjp_tape_input(t, bad, 2, &out_v), FDVJP_INVALID_ARGUMENT,
                 "input[1] = NaN");
    /* a foreign var, and 0 */
    snprintf(id, sizeof id, "(id %llu)", (unsigned long long)ov); /* decimal, as C prints a fdvjp_var */
    EXPECT_ERROR(fdvjp_tape_unary(t, FDVJP_OP_EXP, ov, &out_v), FDVJP_UNKNOWN_VAR,
                 "fdvjp_tape_unary", id, "another tape");
    EXPECT_ERROR(fdvjp_tape_value(t, 0, out_d, 1), FDVJP_UNKNOWN_VAR, "0 is never");
    /* op codes */
    EXPECT_ERROR(fdvjp_tape_unary(t, 99, xv, &out_v), FDVJP_INVALID_ARGUMENT,
                 "op = 99 is not a fdvjp_unary_op");
    EXPECT_ERROR(fdvjp_tape_binary(t, -1, xv, xv, &out_v), FDVJP_INVALID_ARGUMENT,
                 "op = -1 is not a fdvjp_binary_op");
    EXPECT_ERROR(fdvjp_tape_reduce(t, 3, xv, &out_v), FDVJP_INVALID_ARGUMENT,
                 "fdvjp_reduce_op");
    /* shapes */
    EXPECT_ERROR(fdvjp_tape_binary(t, FDVJP_OP_ADD, xv, yv, &out_v), FDVJP_SHAPE_MISMATCH,
                 "add: shapes [3] and [2]");
    EXPECT_ERROR(fdvjp_tape_dot(t, xv, yv, &out_v), FDVJP_SHAPE_MISMATCH, "[3] and [2]");
    EXPECT_ERROR(fdvjp_tape_matmul(t, xv, yv, &out_v), FDVJP_SHAPE_MISMATCH, "matmul");
    {
        const size_t s22[2] = {2, 2};
        EXPECT_ERROR(fdvjp_tape_reshape(t, xv, s22, 2, &out_v), FDVJP_SHAPE_MISMATCH,
                     "[3] and [2, 2]");
    }
    EXPECT_ERROR(fdvjp_tape_slice(t, xv, 2, 5, &out_v), FDVJP_INVALID_ARGUMENT,
                 "start = 2 with len = 5");
    /* lengths */
    EXPECT_ERROR(fdvjp_tape_value(t, xv, out_d, 2), FDVJP_LENGTH_MISMATCH,
                 "len = 2, but var");
    EXPECT_ERROR(fdvjp_tape_shape(t, xv, out_z, 2), FDVJP_LENGTH_MISMATCH, "ndim = 2");
    EXPECT_ERROR(fdvjp_tape_backward(t, xv, NULL, 0), FDVJP_LENGTH_MISMATCH, "seed (NULL");
    EXPECT_ERROR(fdvjp_tape_grad(t, xv, out_d, 3), FDVJP_INVALID_ARGUMENT, "no backward");
    EXPECT_ERROR(fdvjp_tape_set_input(t, xv, two, 2), FDVJP_LENGTH_MISMATCH,
                 "x has length 2");
    /* callbacks: NULL, failing, NaN at recording */
    EXPECT_ERROR(fdvjp_tape_call(t, NULL, NULL, &c, &xv, 1, 3, &out_v), FDVJP_NULL_POINTER,
                 "f is NULL");
    EXPECT_ERROR(fdvjp_tape_call_vjp(t, h2, NULL, &c, &yv, 1, 2, &out_v), FDVJP_NULL_POINTER,
                 "vjp is NULL");
    c.fail_code = 7;
    EXPECT_ERROR(fdvjp_tape_call(t, NULL, g3, &c, &xv, 1, 3, &out_v), FDVJP_CALLBACK_FAILED,
                 "fdvjp_tape_call", "(opaque call) failed in recording",
                 "callback returned 7 at evaluation 1");
    c.fail_code = 0;
    c.nan_output = 1;
    EXPECT_ERROR(fdvjp_tape_call(t, NULL, g3, &c, &xv, 1, 3, &out_v), FDVJP_NONFINITE_AT_X,
                 "y[2] = NaN");
    c.nan_output = 0;

    /* backward failure keeps the previous gradients */
    OK(fdvjp_tape_call(t, NULL, g3, &c, &xv, 1, 3, &gv));
    OK(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, gv, &loss));
    OK(fdvjp_tape_reduce(t, FDVJP_REDUCE_NORM2, xv, &sv));
    OK(fdvjp_tape_backward(t, sv, NULL, 0));
    OK(fdvjp_tape_grad(t, xv, grad_before, 3));
    c.fail_code = 5;
    fill_outputs();
    EXPECT_ERROR(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_CALLBACK_FAILED,
                 "failed in backward", "callback returned 5", "x[0] - h");
    OK(fdvjp_tape_grad(t, xv, grad_after, 3));
    CHECK(memcmp(grad_before, grad_after, sizeof grad_before) == 0);
    CHECK_CLOSE(grad_after[0], 1 / sqrt(14.0), 1e-15);

    /* a failing adjoint callback */
    OK(fdvjp_tape_call_vjp(t, h2, h2_vjp, &c, &yv, 1, 2, &hv));
    {
        const double seed[2] = {1, 1};
        EXPECT_ERROR(fdvjp_tape_backward(t, hv, seed, 2), FDVJP_CALLBACK_FAILED,
                     "(custom-VJP call) failed in backward", "callback returned 5");
    }

    /* replay failure restores the values */
    c.fail_code = 0;
    OK(fdvjp_tape_value(t, loss, &v_before, 1));
    {
        const double x2[3] = {0.5, 0.25, -1};
        OK(fdvjp_tape_set_input(t, xv, x2, 3));
    }
    EXPECT_ERROR(fdvjp_tape_unary(t, FDVJP_OP_EXP, xv, &out_v), FDVJP_INVALID_ARGUMENT,
                 "stale");
    EXPECT_ERROR(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_INVALID_ARGUMENT,
                 "call forward first");
    c.fail_code = 3;
    EXPECT_ERROR(fdvjp_tape_forward(t), FDVJP_CALLBACK_FAILED, "failed in replay",
                 "callback returned 3");
    OK(fdvjp_tape_value(t, loss, &v_after, 1));
    CHECK(v_before == v_after);
    c.fail_code = 0;
    OK(fdvjp_tape_forward(t));
    OK(fdvjp_tape_value(t, loss, &v_after, 1));
    CHECK_CLOSE(v_after, 0.5 * 0.25 + exp(0.5) - 1 + 0.25 * 0.25, 1e-15);

    /* clear: old vars become unknown; the tape records again */
    stale = xv;
    OK(fdvjp_tape_clear(t));
    snprintf(id, sizeof id, "(id %llu)", (unsigned long long)stale);
    EXPECT_ERROR(fdvjp_tape_value(t, stale, out_d, 3), FDVJP_UNKNOWN_VAR, id, "cleared");
    OK(fdvjp_tape_input(t, x, 3, &xv));
    OK(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, xv, &sv));
    OK(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, sv, &loss));
    OK(fdvjp_tape_backward(t, loss, NULL, 0));
    OK(fdvjp_tape_grad(t, xv, grad_after, 3));
    CHECK(grad_after[0] == 2 && grad_after[1] == 4 && grad_after[2] == 6);

    fdvjp_tape_free(NULL);
    fdvjp_tape_free(t);
    fdvjp_tape_free(other);
}

/* A callback calling into its own tape gets FDVJP_INVALID_ARGUMENT; the outer call works. */
/* y = (x0 x1, x0 + x1). The adjoint writes only grad[0] (for y_0 alone) and adds into it:
 * grad is zeroed before each call (header), so grad[1] counts as 0 and the addition gives
 * the same as an overwrite, at every backward. */
static int32_t partial_f(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = x[0] * x[1];
    y[1] = x[0] + x[1];
    return 0;
}

static int32_t partial_vjp(void *user, const double *x, size_t n, const double *y, size_t m,
                           const double *v, double *grad)
{
    (void)user;
    (void)n;
    (void)y;
    (void)m;
    grad[0] += v[0] * x[1];
    return 0;
}

static void test_custom_vjp_grad_zeroed(void)
{
    const double x[2] = {3, 5}, seed[2] = {2, 7};
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var xv, yv;
    double g[2];
    int pass;
    OK(fdvjp_tape_input(t, x, 2, &xv));
    OK(fdvjp_tape_call_vjp(t, partial_f, partial_vjp, NULL, &xv, 1, 2, &yv));
    for (pass = 0; pass < 2; pass++) {
        OK(fdvjp_tape_backward(t, yv, seed, 2));
        OK(fdvjp_tape_grad(t, xv, g, 2));
        CHECK(g[0] == 2 * 5); /* v0 x1, not v0 x1 plus leftovers */
        CHECK(g[1] == 0);     /* unwritten: 0, not v0 x0 + v1 */
    }
    fdvjp_tape_free(t);
}

static void test_reentrancy(void)
{
    const double x[2] = {1, 2};
    reentrant r;
    fdvjp_var xv, y;
    double value, grad[2];
    r.tape = fdvjp_tape_new();
    OK(fdvjp_tape_input(r.tape, x, 2, &xv));
    r.var = xv;
    r.value_status = r.input_status = -1;
    OK(fdvjp_tape_call(r.tape, NULL, calls_its_tape, &r, &xv, 1, 1, &y));
    CHECK_STATUS(r.value_status, FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(r.input_status, FDVJP_INVALID_ARGUMENT);
    OK(fdvjp_tape_value(r.tape, y, &value, 1));
    CHECK(value == 3);
    OK(fdvjp_tape_backward(r.tape, y, NULL, 0));
    OK(fdvjp_tape_grad(r.tape, xv, grad, 2));
    CHECK_CLOSE(grad[0], 1.0, 1e-9);
    CHECK_CLOSE(grad[1], 1.0, 1e-9);
    fdvjp_tape_free(r.tape);
}

int main(void)
{
    test_slope();
    test_custom_vjp_grad_zeroed();
    test_seed_flow_and_cache();
    test_mixed_and_replay();
    test_shape_ops();
    test_errors();
    test_reentrancy();
    return check_summary("test_tape");
}
