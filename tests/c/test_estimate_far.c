/*
 * test_estimate_far.c: the Richardson estimates (fdvjp_vjp_estimate, fdvjp_jvp_estimate,
 * fdvjp_jacobian_estimate) where x lies far from the scale f varies on, through the C API.
 * Every entry's error is within its estimate, or the estimate is NaN and the report
 * counts the direction unbounded.
 *
 * Far above typ (typ = 1): sin x at x = 1.2345 10^k, k = 3..18. Far below the default
 * start: K + 1/x, K + log x, K + sqrt x at x = 1.2345 10^-k, k = 3..12, K up to 1e25. f
 * has a second input and output (x1^2 / 2 added to y0, y1 = x1^3 / 3). Before (2 December,
 * on 7609cc3): sin at 1.2345e18 came out 1.0 off with an estimate of 9e-16, sin at 1e14
 * -3.8e-12 for -0.978 with 2.4e-11, 1e25 + 1/x at 1.2e-7 6.6e13 off with 1.9e12; 96 of
 * 3760 entries of the Rust sweep (tests/estimate_far_from_typical.rs) were off by more
 * than their finite estimate, all FDVJP_OK.
 */
#include <stddef.h>

#include "check.h"

typedef struct {
    int kind; /* 0 sin, 1 1/x, 2 log, 3 sqrt */
    double k;
} black_box;

static double g(const black_box *b, double x)
{
    switch (b->kind) {
    case 0:
        return sin(x);
    case 1:
        return 1.0 / x;
    case 2:
        return log(x);
    default:
        return sqrt(x);
    }
}

static double dg(const black_box *b, double x)
{
    switch (b->kind) {
    case 0:
        return cos(x);
    case 1:
        return -1.0 / (x * x);
    case 2:
        return 1.0 / x;
    default:
        return 0.5 / sqrt(x);
    }
}

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    const black_box *b = (const black_box *)user;
    if (n != 2 || m != 2)
        return 99;
    y[0] = g(b, x[0]) + b->k + x[1] * x[1] / 2.0;
    y[1] = x[1] * x[1] * x[1] / 3.0;
    return 0;
}

static size_t entries, unbounded;

/* Covered or NaN, and a NaN counted in the report. */
static void check_entries(const char *entry, const black_box *b, const double *x,
                          const double *got, const double *want, const double *err, size_t len)
{
    fdvjp_report r = check_last_report();
    for (size_t i = 0; i < len; i++) {
        entries++;
        double off = fabs(got[i] - want[i]);
        int ok = isnan(err[i]) ? r.unbounded_directions > 0 && isnan(r.error_bound)
                               : off <= err[i];
        unbounded += isnan(err[i]);
        if (!CHECK(r.completed && ok))
            fprintf(stderr, "    kind %d K %g at %.17g, %s[%zu]: %.17g for %.17g, err %.3g\n",
                    b->kind, b->k, x[0], entry, i, got[i], want[i], err[i]);
    }
}

static void check_at(const black_box *b, double x0)
{
    void *user = (void *)b;
    double x[2] = {x0, 0.7};
    double j00 = dg(b, x0), j01 = x[1], j11 = x[1] * x[1];
    double v[2] = {1.0, -0.5}, grad[2], gerr[2];
    double want_grad[2] = {j00, j01 - 0.5 * j11};
    CHECK_STATUS(fdvjp_vjp_estimate(NULL, f, user, x, 2, 2, v, grad, gerr), FDVJP_OK);
    check_entries("vjp_estimate", b, x, grad, want_grad, gerr, 2);

    double u[2] = {1.0, 0.3}, jvp[2], jerr[2];
    double want_jvp[2] = {j00 + 0.3 * j01, 0.3 * j11};
    CHECK_STATUS(fdvjp_jvp_estimate(NULL, f, user, x, 2, 2, u, jvp, jerr), FDVJP_OK);
    check_entries("jvp_estimate", b, x, jvp, want_jvp, jerr, 2);

    double jac[4], err[4], want_jac[4] = {j00, j01, 0.0, j11};
    CHECK_STATUS(fdvjp_jacobian_estimate(NULL, f, user, x, 2, 2, jac, err), FDVJP_OK);
    check_entries("jacobian_estimate", b, x, jac, want_jac, err, 4);
}

int main(void)
{
    black_box sine = {0, 0.0};
    for (int k = 3; k <= 18; k++) {
        check_at(&sine, 1.2345 * pow(10.0, k));
        check_at(&sine, -1.2345 * pow(10.0, k));
    }
    static const double K[] = {0.0, 1e10, 1e20, 1e25};
    for (int kind = 1; kind <= 3; kind++)
        for (size_t a = 0; a < sizeof K / sizeof K[0]; a++) {
            black_box b = {kind, K[a]};
            for (int k = 3; k <= 12; k++)
                check_at(&b, 1.2345 * pow(10.0, -k));
        }
    printf("test_estimate_far: %zu of %zu entries unbounded\n", unbounded, entries);
    return check_summary("test_estimate_far");
}
