/*
 * demo_tape.c: a gradient that flows through built-in ops and an opaque C function.
 *
 *   loss(x) = sum(tanh(A g(x)))      A: a 2x3 constant, g: R^3 -> R^3 opaque
 *
 * The tape records x, the opaque call g (differentiated by central differences when the
 * gradient is pulled back), the matrix-vector product, tanh and the sum; one backward pass
 * gives d loss / dx. It is compared with the exact gradient J_g^T A^T (1 - tanh^2(A g)),
 * J_g written out by hand. Then the tape is replayed at a second point (no re-recording).
 *
 * Exits non-zero if any entry is off by more than 1e-8 (central differences of this smooth
 * g carry an error of about h^2 |g'''| / 6 ~ 1e-10 with h ~ 6e-6). Build and run (from the
 * repo root, after `cargo build --release`):
 *   gcc -std=c99 -Iinclude examples/demo_tape.c -Ltarget/release -lfdvjp -lm \
 *       -Wl,-rpath,$PWD/target/release -o demo_tape && ./demo_tape
 */
#include <math.h>
#include <stdio.h>

#include "fdvjp.h"

#define TOLERANCE 1e-8

static const double A[6] = {0.5, -1.0, 0.25, /* row 0 */
                            1.5, 0.75, -0.5}; /* row 1 */

/* The "legacy" function fdvjp cannot see into: g(x) = [x0 x1, sin(x2) + x0, exp(-x1^2)].
 * `user` counts its evaluations. */
static int32_t g(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)n;
    (void)m;
    ++*(long *)user;
    y[0] = x[0] * x[1];
    y[1] = sin(x[2]) + x[0];
    y[2] = exp(-x[1] * x[1]);
    return 0;
}

/* The exact gradient of loss at x, for comparison. */
static void exact_gradient(const double *x, double *grad)
{
    double y[3], z[2], w[2], v[3];
    long unused = 0;
    int i, j;
    g(&unused, x, 3, y, 3);
    for (i = 0; i < 2; i++) {
        z[i] = 0;
        for (j = 0; j < 3; j++)
            z[i] += A[i * 3 + j] * y[j];
        w[i] = 1 - tanh(z[i]) * tanh(z[i]);
    }
    for (j = 0; j < 3; j++)
        v[j] = A[0 * 3 + j] * w[0] + A[1 * 3 + j] * w[1]; /* v = A^T w */
    /* J_g = [[x1, x0, 0], [1, 0, cos x2], [0, -2 x1 exp(-x1^2), 0]] */
    grad[0] = v[0] * x[1] + v[1];
    grad[1] = v[0] * x[0] - v[2] * 2 * x[1] * exp(-x[1] * x[1]);
    grad[2] = v[1] * cos(x[2]);
}

/* Prints the status's name and the last error when a call fails. */
static int ok(fdvjp_status s, const char *what)
{
    if (s != FDVJP_OK) {
        char msg[512];
        fdvjp_last_error(msg, sizeof msg);
        fprintf(stderr, "%s: %s: %s\n", what, fdvjp_status_str(s), msg);
        return 0;
    }
    return 1;
}

/* Compares the tape's gradient with the exact one; returns the number of bad entries. */
static int report(const double *x, const double *grad, double loss, long evaluations)
{
    double want[3];
    int i, bad = 0;
    exact_gradient(x, want);
    printf("x = (%g, %g, %g)   loss = %.12f   evaluations of g: %ld\n", x[0], x[1], x[2], loss,
           evaluations);
    printf("  %-3s %22s %22s %10s\n", "i", "tape", "exact", "|diff|");
    for (i = 0; i < 3; i++) {
        double diff = fabs(grad[i] - want[i]);
        printf("  %-3d %22.15f %22.15f %10.2e%s\n", i, grad[i], want[i], diff,
               diff > TOLERANCE ? "  <-- off" : "");
        bad += diff > TOLERANCE;
    }
    return bad;
}

int main(void)
{
    const double x0[3] = {0.3, -0.8, 1.2}, x1[3] = {-1.1, 0.4, 2.5};
    const size_t a_shape[2] = {2, 3};
    long evaluations = 0;
    int bad = 0;
    double grad[3], loss;
    fdvjp_var x, gx, a, ag, th, sum;
    fdvjp_tape *t = fdvjp_tape_new();
    if (t == NULL)
        return 1;

    /* Record once. NULL config: central differences with the default steps. */
    if (!ok(fdvjp_tape_input(t, x0, 3, &x), "input") ||
        !ok(fdvjp_tape_call(t, NULL, g, &evaluations, &x, 1, 3, &gx), "call g") ||
        !ok(fdvjp_tape_constant_shaped(t, A, a_shape, 2, &a), "constant A") ||
        !ok(fdvjp_tape_matmul(t, a, gx, &ag), "matmul") ||
        !ok(fdvjp_tape_unary(t, FDVJP_OP_TANH, ag, &th), "tanh") ||
        !ok(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, th, &sum), "sum") ||
        !ok(fdvjp_tape_backward(t, sum, NULL, 0), "backward") ||
        !ok(fdvjp_tape_grad(t, x, grad, 3), "grad") || !ok(fdvjp_tape_value(t, sum, &loss, 1), "value"))
        goto fail;
    bad += report(x0, grad, loss, evaluations);

    /* Replay at a new point: set the input, re-run every node, pull back again. */
    evaluations = 0;
    if (!ok(fdvjp_tape_set_input(t, x, x1, 3), "set_input") || !ok(fdvjp_tape_forward(t), "forward") ||
        !ok(fdvjp_tape_backward(t, sum, NULL, 0), "backward") ||
        !ok(fdvjp_tape_grad(t, x, grad, 3), "grad") || !ok(fdvjp_tape_value(t, sum, &loss, 1), "value"))
        goto fail;
    bad += report(x1, grad, loss, evaluations);

    fdvjp_tape_free(t);
    printf("%s: %d entries off by more than %g\n", bad ? "FAILED" : "ok", bad, TOLERANCE);
    return bad ? 1 : 0;
fail:
    fdvjp_tape_free(t);
    return 1;
}
