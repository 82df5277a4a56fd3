/*
 * bench_instr.c: the issue-15 rows counted in instructions instead of timed, for
 * `bash benches/run.sh instr` (under valgrind's callgrind). On a shared machine the timed
 * ratios of bench_speed.c move with the load; instruction counts do not.
 *
 *   bench_instr ROW CALLS   runs row ROW CALLS times through fdvjp (function `fd_side`)
 *                           and the same number of times by hand (`bare_side`).
 *
 * ROW: tridiagonal (1000 -> 1000), softmax (100 -> 100), logsumexp (4 -> 1), slope (8 -> 1),
 * overhead (1000 -> 2, benches/vjp_overhead.rs's cheap function, point and v: issue 11's
 * overhead row),
 * each a dense central VJP with the default config against a bare loop doing the same
 * 2n + 1 evaluations (bench_speed.c's functions, points and seeds); tape10, the gradient of
 * loss = sum(exp(-tanh(x^2 + sin x)) * x) at length 10 recorded on a new tape + backward +
 * grad + free, against the fused hand-written loop. run.sh reads the inclusive counts of
 * fd_side and bare_side and prints their ratio per call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdvjp.h"

static void check(fdvjp_status s, const char *what)
{
    if (s != FDVJP_OK) {
        char message[512];
        fdvjp_last_error(message, sizeof message);
        fprintf(stderr, "%s: status %d (%s)\n", what, (int)s, message);
        exit(1);
    }
}

/* y solves T y = x, T tridiagonal (diagonal 4 + x_i^2 / 10, off-diagonals -1). */
static int32_t tridiagonal_system(void *user, const double *x, size_t n, double *y, size_t m)
{
    double *c = user;
    (void)m;
    double b = 4.0 + 0.1 * x[0] * x[0];
    c[0] = -1.0 / b;
    y[0] = x[0] / b;
    for (size_t i = 1; i < n; i++) {
        b = 4.0 + 0.1 * x[i] * x[i] + c[i - 1];
        c[i] = -1.0 / b;
        y[i] = (x[i] + y[i - 1]) / b;
    }
    for (size_t i = n - 1; i-- > 0;) {
        y[i] -= c[i] * y[i + 1];
    }
    return 0;
}

static int32_t softmax(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    double top = x[0], sum = 0.0;
    for (size_t i = 1; i < n; i++) {
        top = x[i] > top ? x[i] : top;
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = exp(x[i] - top);
        sum += y[i];
    }
    for (size_t i = 0; i < n; i++) {
        y[i] /= sum;
    }
    return 0;
}

static int32_t logsumexp(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    double top = x[0], sum = 0.0;
    for (size_t i = 1; i < n; i++) {
        top = x[i] > top ? x[i] : top;
    }
    for (size_t i = 0; i < n; i++) {
        sum += exp(x[i] - top);
    }
    y[0] = top + log(sum);
    return 0;
}

static int32_t slope(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    double tbar = 0.5 * (double)(n - 1), xbar = 0.0, sxy = 0.0, sxx = 0.0;
    for (size_t i = 0; i < n; i++) {
        xbar += x[i];
    }
    xbar /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i - tbar;
        sxy += t * (x[i] - xbar);
        sxx += t * t;
    }
    y[0] = sxy / sxx;
    return 0;
}

/* benches/vjp_overhead.rs's cheap function: a short dependent recurrence and two passes over x. */
static int32_t cheap(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user, (void)m;
    double w = 0.5;
    for (int k = 0; k < 200; k++) {
        w = 3.7 * w * (1.0 - w);
    }
    volatile double kept = w;
    double squares = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        squares += 0.5 * x[i] * x[i];
        sum += x[i];
    }
    y[0] = squares + kept * 0.0;
    y[1] = sum;
    return 0;
}

typedef struct {
    fdvjp_fn f;
    void *user;
    size_t n, m;
    double *x, *v, *xp, *y0, *yp, *ym, *grad;
} problem;

/* Central differences by hand, as bench_speed.c's bare loop. */
__attribute__((noinline)) void bare_side(const problem *p)
{
    const double r = 6.055454452393343e-06;
    memcpy(p->xp, p->x, p->n * sizeof *p->xp);
    p->f(p->user, p->x, p->n, p->y0, p->m);
    for (size_t j = 0; j < p->n; j++) {
        double xj = p->x[j], h = r * fmax(fabs(xj), 1.0);
        h = (xj + h) - xj;
        p->xp[j] = xj + h;
        p->f(p->user, p->xp, p->n, p->yp, p->m);
        p->xp[j] = xj - h;
        p->f(p->user, p->xp, p->n, p->ym, p->m);
        p->xp[j] = xj;
        double g = 0.0;
        for (size_t i = 0; i < p->m; i++) {
            g += p->v[i] * (p->yp[i] - p->ym[i]);
        }
        p->grad[j] = g / (2.0 * h);
    }
}

__attribute__((noinline)) void fd_side(const problem *p)
{
    check(fdvjp_vjp(NULL, p->f, p->user, p->x, p->n, p->m, p->v, p->grad), "fdvjp_vjp");
}

__attribute__((noinline)) void tape_fd_side(const double *x, size_t n, double *grad)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var in, sq, s, c, d, nd, e, f, loss;
    check(fdvjp_tape_input(t, x, n, &in), "input");
    check(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, in, &sq), "square");
    check(fdvjp_tape_unary(t, FDVJP_OP_SIN, in, &s), "sin");
    check(fdvjp_tape_binary(t, FDVJP_OP_ADD, sq, s, &c), "add");
    check(fdvjp_tape_unary(t, FDVJP_OP_TANH, c, &d), "tanh");
    check(fdvjp_tape_unary(t, FDVJP_OP_NEG, d, &nd), "neg");
    check(fdvjp_tape_unary(t, FDVJP_OP_EXP, nd, &e), "exp");
    check(fdvjp_tape_binary(t, FDVJP_OP_MUL, e, in, &f), "mul");
    check(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, f, &loss), "sum");
    check(fdvjp_tape_backward(t, loss, NULL, 0), "backward");
    check(fdvjp_tape_grad(t, in, grad, n), "grad");
    fdvjp_tape_free(t);
}

__attribute__((noinline)) double tape_bare_side(const double *x, size_t n, double *grad)
{
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], s = sin(xi), c = cos(xi);
        double d = tanh(xi * xi + s), e = exp(-d);
        loss += e * xi;
        grad[i] = e - xi * e * (1.0 - d * d) * (2.0 * xi + c);
    }
    return loss;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s tridiagonal|softmax|logsumexp|slope|overhead|tape10 CALLS\n", argv[0]);
        return 2;
    }
    const char *row = argv[1];
    int calls = atoi(argv[2]);
    size_t n, m;
    fdvjp_fn f;
    if (strcmp(row, "tape10") == 0) {
        double x[10], g1[10], g2[10];
        for (int j = 0; j < 10; j++) {
            x[j] = 0.3 + 0.7 * sin(1.0 + j);
        }
        volatile double loss = 0.0;
        for (int k = 0; k < calls; k++) {
            tape_fd_side(x, 10, g1);
            loss += tape_bare_side(x, 10, g2);
        }
        printf("tape10 grad[0] %.17g %.17g\n", g1[0], g2[0]);
        return 0;
    } else if (strcmp(row, "tridiagonal") == 0) {
        n = m = 1000, f = tridiagonal_system;
    } else if (strcmp(row, "softmax") == 0) {
        n = m = 100, f = softmax;
    } else if (strcmp(row, "logsumexp") == 0) {
        n = 4, m = 1, f = logsumexp;
    } else if (strcmp(row, "slope") == 0) {
        n = 8, m = 1, f = slope;
    } else if (strcmp(row, "overhead") == 0) {
        n = 1000, m = 2, f = cheap;
    } else {
        fprintf(stderr, "unknown row %s\n", row);
        return 2;
    }
    problem p = {f, calloc(n, sizeof(double)), n, m, calloc(n, 8), calloc(m, 8), calloc(n, 8),
                 calloc(m, 8), calloc(m, 8), calloc(m, 8), calloc(n, 8)};
    for (size_t j = 0; j < n; j++) {
        p.x[j] = f == cheap ? 0.5 + 0.001 * (double)(j % 997) : 0.3 + 0.7 * sin(1.0 + (double)j);
    }
    for (size_t i = 0; i < m; i++) {
        p.v[i] = f == cheap ? 1.0 - 1.5 * (double)i : 1.0 + 0.5 * cos((double)i);
    }
    double g0 = 0.0;
    for (int k = 0; k < calls; k++) {
        fd_side(&p);
        g0 = p.grad[0];
        bare_side(&p);
    }
    printf("%s grad[0] %.17g %.17g\n", row, g0, p.grad[0]);
    return 0;
}
