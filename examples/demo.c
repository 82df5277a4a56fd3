/*
 * demo.c: the two classic examples of a numerical vector-Jacobian product, through fdvjp.
 *
 *   (a) the gradient of logsumexp at a random point, against the analytic softmax;
 *   (b) the gradient of the slope of a least-squares line fit with respect to its data,
 *       the fit being an opaque C function of 8 numbers (the x values, then the y values).
 *
 * Exits non-zero if any entry is off by more than 1e-8. Build and run (from the repo root,
 * after `cargo build --release`):
 *   gcc -std=c99 -Iinclude examples/demo.c -Ltarget/release -lfdvjp -lm \
 *       -Wl,-rpath,$PWD/target/release -o demo && ./demo
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdvjp.h"

#define TOLERANCE 1e-8

/* The functions fdvjp differentiates have this shape: read x (n doubles), write y
 * (m doubles), return 0 on success. `user` is passed through untouched; here it counts
 * the evaluations. */
static int32_t logsumexp(void *user, const double *x, size_t n, double *y, size_t m)
{
    double max = x[0], sum = 0.0;
    size_t i;
    (void)m;
    ++*(long *)user;
    for (i = 1; i < n; i++)
        max = x[i] > max ? x[i] : max;
    for (i = 0; i < n; i++)
        sum += exp(x[i] - max);
    y[0] = max + log(sum);
    return 0;
}

/* The slope of the least-squares line through (x_k, y_k), z = (x_0..x_3, y_0..y_3). */
static int32_t fit_slope(void *user, const double *z, size_t n, double *y, size_t m)
{
    const double *xs = z, *ys = z + n / 2;
    size_t k, points = n / 2;
    double xbar = 0.0, ybar = 0.0, sxy = 0.0, sxx = 0.0;
    (void)m;
    ++*(long *)user;
    for (k = 0; k < points; k++) {
        xbar += xs[k] / (double)points;
        ybar += ys[k] / (double)points;
    }
    for (k = 0; k < points; k++) {
        sxy += (xs[k] - xbar) * (ys[k] - ybar);
        sxx += (xs[k] - xbar) * (xs[k] - xbar);
    }
    if (sxx == 0.0)
        return 1; /* all x equal: no line; fdvjp reports the code and where it happened */
    y[0] = sxy / sxx;
    return 0;
}

/* Stops the demo with fdvjp's own explanation if a call failed. */
static void must(fdvjp_status status)
{
    if (status != FDVJP_OK) {
        char message[512];
        fdvjp_last_error(message, sizeof message);
        fprintf(stderr, "demo: %s: %s\n", fdvjp_status_str(status), message);
        exit(2);
    }
}

/* Prints one table row and returns |numeric - exact|. */
static double row(const char *label, double input, double numeric, double exact)
{
    double diff = fabs(numeric - exact);
    printf("  %-6s %10.4f %20.12f %20.12f %10.1e\n", label, input, numeric, exact, diff);
    return diff;
}

static void header(void)
{
    printf("  %-6s %10s %20s %20s %10s\n", "input", "value", "fdvjp (central)", "exact",
           "|diff|");
}

int main(void)
{
    double worst = 0.0;
    size_t i;

    /* (a) logsumexp: R^5 -> R. A VJP with v = [1] is the gradient, which is softmax(x). */
    {
        enum { N = 5 };
        double x[N], grad[N], lse, one = 1.0, softmax;
        long evaluations = 0;
        char label[8];
        srand(2024);
        for (i = 0; i < N; i++)
            x[i] = 4.0 * rand() / (double)RAND_MAX - 2.0;

        /* cfg NULL: central differences, default steps; v = [1]; grad gets n entries */
        must(fdvjp_vjp(NULL, logsumexp, &evaluations, x, N, 1, &one, grad));
        printf("(a) gradient of logsumexp at a random point (srand(2024)), n = %d\n", N);
        printf("    %ld evaluations of f (central differences: 2n + 1)\n", evaluations);
        header();
        logsumexp(&evaluations, x, N, &lse, 1);
        for (i = 0; i < N; i++) {
            softmax = exp(x[i] - lse);
            sprintf(label, "x[%d]", (int)i);
            worst = fmax(worst, row(label, x[i], grad[i], softmax));
        }
        printf("  fdvjp agrees with softmax(x) to %.1e\n\n", worst);
    }

    /* (b) The slope of a line fit as an opaque function of all 8 data numbers. */
    {
        enum { N = 8 };
        const double z[N] = {0.0, 1.0, 2.0, 3.0, -1.0, 0.2, 0.7, 2.5};
        const double exact[N] = {0.34, 0.14, -0.2, -0.28, -0.3, -0.1, 0.1, 0.3};
        double grad[N], slope, one = 1.0, d;
        long evaluations = 0;
        char label[8];

        must(fdvjp_vjp(NULL, fit_slope, &evaluations, z, N, 1, &one, grad));
        printf("(b) gradient of the slope of the least-squares line through\n"
               "    x = [0, 1, 2, 3], y = [-1, 0.2, 0.7, 2.5]\n");
        printf("    %ld evaluations of f (central differences: 2n + 1)\n", evaluations);
        fit_slope(&evaluations, z, N, &slope, 1);
        printf("    slope = %.2f\n", slope);
        header();
        d = 0.0;
        for (i = 0; i < N; i++) {
            sprintf(label, "%c[%d]", i < 4 ? 'x' : 'y', (int)(i % 4));
            d = fmax(d, row(label, z[i], grad[i], exact[i]));
        }
        printf("  fdvjp agrees with the exact gradient to %.1e\n\n", d);
        worst = fmax(worst, d);
    }

    if (!(worst <= TOLERANCE)) {
        printf("FAILED: an entry is off by %.1e > %.0e\n", worst, TOLERANCE);
        return 1;
    }
    printf("OK: every entry within %.0e of the exact answer\n", TOLERANCE);
    return 0;
}
