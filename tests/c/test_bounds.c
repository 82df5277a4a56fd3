/*
 * test_bounds.c: near a bound, the stencil with the largest step that fits (issue 11,
 * item 4), through the C API. The callbacks fail (return 7) anywhere outside the box, so
 * a call that succeeds evaluated only inside it.
 *
 *   - f = [x0 sin x1, x1 cos x0, x0^3 / sqrt x1] at (10, 10) in the box
 *     [x - 3e-9, x + 2e-9]: the largest entrywise relative error is within 1.5 times
 *     scipy's (scipy 1.17.1 approx_derivative, measured by benches/bounds_scipy.py:
 *     3.32e-7 forward, 5.67e-7 central), at 1 + k n evaluations.
 *   - exp(3 x_i) at x_i = +-(1 - 1e-7) alternating, box [-1, 1], diagonal sparsity
 *     pattern: one column group near opposite bounds costs 1 + k evaluations and is
 *     within 2 times the dense error.
 */
#include "check.h"

#include <stdlib.h>

struct box {
    const double *lower, *upper;
    long calls;
};

static int outside(const struct box *b, const double *x, size_t n)
{
    size_t j;
    for (j = 0; j < n; j++)
        if (!(b->lower[j] <= x[j] && x[j] <= b->upper[j]))
            return 1;
    return 0;
}

static int32_t trig(void *user, const double *x, size_t n, double *y, size_t m)
{
    struct box *b = user;
    (void)m;
    b->calls++;
    if (outside(b, x, n))
        return 7;
    y[0] = x[0] * sin(x[1]);
    y[1] = x[1] * cos(x[0]);
    y[2] = x[0] * x[0] * x[0] / sqrt(x[1]);
    return 0;
}

static int32_t exp3(void *user, const double *x, size_t n, double *y, size_t m)
{
    struct box *b = user;
    size_t i;
    (void)m;
    b->calls++;
    if (outside(b, x, n))
        return 7;
    for (i = 0; i < n; i++)
        y[i] = exp(3.0 * x[i]);
    return 0;
}

/* max_k |got_k - want_k| / |want_k| (absolute where want_k = 0). */
static double relative_error(const double *got, const double *want, size_t len)
{
    double worst = 0.0;
    size_t k;
    for (k = 0; k < len; k++) {
        double e = fabs(got[k] - want[k]) / (want[k] != 0.0 ? fabs(want[k]) : 1.0);
        if (e > worst)
            worst = e;
    }
    return worst;
}

static void tight_box(void)
{
    const double x[2] = {10.0, 10.0};
    const double lower[2] = {x[0] - 3e-9, x[1] - 3e-9}, upper[2] = {x[0] + 2e-9, x[1] + 2e-9};
    const double want[6] = {sin(x[1]),
                            x[0] * cos(x[1]),
                            -x[1] * sin(x[0]),
                            cos(x[0]),
                            3.0 * x[0] * x[0] / sqrt(x[1]),
                            -0.5 * x[0] * x[0] * x[0] / pow(x[1], 1.5)};
    static const int32_t schemes[2] = {FDVJP_FORWARD, FDVJP_CENTRAL};
    static const double scipy[2] = {3.32e-7, 5.67e-7};
    static const long points[2] = {1, 2};
    size_t s;
    for (s = 0; s < 2; s++) {
        struct box b = {lower, upper, 0};
        double jac[6] = {0};
        fdvjp_config *cfg = fdvjp_config_new();
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, schemes[s]), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_set_bounds(cfg, lower, upper, 2), FDVJP_OK);
        CHECK_STATUS(fdvjp_jacobian(cfg, trig, &b, x, 2, 3, jac), FDVJP_OK);
        CHECK_INT(b.calls, 1 + 2 * points[s]);
        if (!CHECK(relative_error(jac, want, 6) <= 1.5 * scipy[s]))
            fprintf(stderr, "    scheme %d: error %.3g, scipy %.3g\n", (int)schemes[s],
                    relative_error(jac, want, 6), scipy[s]);
        fdvjp_config_free(cfg);
    }
}

static void group_near_opposite_bounds(void)
{
    enum { N = 10 };
    double x[N], lower[N], upper[N], want[N * N] = {0}, dense[N * N], sparse[N * N];
    size_t rows[N], j;
    struct box b = {lower, upper, 0};
    fdvjp_config *cfg = fdvjp_config_new();
    for (j = 0; j < N; j++) {
        x[j] = j % 2 == 0 ? 1.0 - 1e-7 : -(1.0 - 1e-7);
        lower[j] = -1.0;
        upper[j] = 1.0;
        rows[j] = j;
        want[j * N + j] = 3.0 * exp(3.0 * x[j]);
    }
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lower, upper, N), FDVJP_OK);
    CHECK_STATUS(fdvjp_jacobian(cfg, exp3, &b, x, N, N, dense), FDVJP_OK);
    CHECK_INT(b.calls, 1 + 2 * N);
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, rows, N), FDVJP_OK);
    b.calls = 0;
    CHECK_STATUS(fdvjp_jacobian(cfg, exp3, &b, x, N, N, sparse), FDVJP_OK);
    CHECK_INT(b.calls, 1 + 2);
    if (!CHECK(relative_error(sparse, want, N * N) <= 2.0 * relative_error(dense, want, N * N)))
        fprintf(stderr, "    sparse %.3g, dense %.3g\n", relative_error(sparse, want, N * N),
                relative_error(dense, want, N * N));
    CHECK(relative_error(dense, want, N * N) <= 1e-9);
    fdvjp_config_free(cfg);
}

int main(void)
{
    tight_box();
    group_near_opposite_bounds();
    return check_summary("test_bounds");
}
