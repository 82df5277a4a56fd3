/*
 * test_log_near_zero.c: d/dx log(x) at x = 1e-12 .. 1e-3 with the default step rule.
 *
 * At x = 1e-9 the central stencil (h = eps^(1/3) * max(|x|, 1) = 6.06e-6) evaluates log
 * below 0 and meets NaN. Going one-sided AT THE SAME STEP would give 2.1e6 instead of 1e9
 * (log changes by 9.4 over [x, x + 2h]); the core instead retries at x's own scale,
 * r * |x|, where the central stencil fits inside the domain. Tolerance 1e-8 relative: the
 * truncation error there is (r)^2 / 3 ~ 1e-11 and rounding eps * |log x| / (r x) ~ 4e-10.
 */
#include "check.h"

static int32_t log_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)n;
    (void)m;
    y[0] = log(x[0]);
    return 0;
}

int main(void)
{
    const double xs[] = {1e-12, 1e-9, 1e-6};
    const double one = 1.0;
    for (size_t k = 0; k < sizeof xs / sizeof xs[0]; k++) {
        double g = 0.0;
        CHECK_STATUS(fdvjp_vjp(NULL, log_fn, NULL, &xs[k], 1, 1, &one, &g), FDVJP_OK);
        CHECK_CLOSE(g * xs[k], 1.0, 1e-8);
    }
    return check_summary("test_log_near_zero");
}
