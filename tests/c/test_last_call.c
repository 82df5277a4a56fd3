/*
 * test_last_call.c: the last error means the last call. A callback (f, progress, custom
 * VJP) that makes its own failing fdvjp call during a computation must not leave that
 * message behind once the outer call succeeds: fdvjp_last_error then returns 0 and "".
 * Results are checked against exact derivatives too (tolerances as stated at each check).
 */
#include "check.h"

#define N 3

static int inner_failures;

/* A failing fdvjp call, as a callback might make by mistake; checks that it did fail and
   that its own message was there while the callback ran. */
static void failing_inner_call(void)
{
    char msg[256];
    int32_t s = fdvjp_config_set_scheme(NULL, FDVJP_CENTRAL);
    if (s == FDVJP_NULL_POINTER && fdvjp_last_error(msg, sizeof msg) > 0 &&
        strstr(msg, "fdvjp_config_set_scheme") != NULL)
        inner_failures++;
}

/* f(x) = (sum x_j^2, x_0 x_1): the first evaluation makes the failing inner call. */
static int32_t f_reenters(void *user, const double *x, size_t n, double *y, size_t m)
{
    int *first = (int *)user;
    (void)n;
    if (*first) {
        *first = 0;
        failing_inner_call();
    }
    y[0] = x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
    if (m > 1)
        y[1] = x[0] * x[1];
    return 0;
}

static int32_t progress_reenters(void *user, size_t done, size_t total)
{
    (void)user;
    (void)total;
    if (done == 1)
        failing_inner_call();
    return 0;
}

/* Custom VJP of f_reenters with m = 1: grad = 2 v x. */
static int32_t vjp_reenters(void *user, const double *x, size_t n, const double *y, size_t m,
                            const double *v, double *grad)
{
    size_t j;
    (void)user;
    (void)y;
    (void)m;
    failing_inner_call();
    for (j = 0; j < n; j++)
        grad[j] = 2.0 * v[0] * x[j];
    return 0;
}

static void check_empty(const char *after)
{
    char msg[64] = "not touched";
    size_t len = fdvjp_last_error(msg, sizeof msg);
    if (!CHECK(len == 0 && msg[0] == '\0'))
        fprintf(stderr, "    after %s: last error \"%s\"\n", after, msg);
}

int main(void)
{
    const double x[N] = {0.5, -1.0, 2.0}, v[2] = {1.0, 2.0}, u[N] = {1.0, 2.0, -3.0};
    /* exact: grad = v0 * 2x + v1 * (x1, x0, 0) */
    const double want[N] = {2 * 0.5 + 2 * -1.0, 2 * -1.0 + 2 * 0.5, 2 * 2.0};
    double grad[N], jac[2 * N], jvp[2], g[N];
    int first, j;
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var in, out;

    first = 1;
    CHECK_STATUS(fdvjp_vjp(NULL, f_reenters, &first, x, N, 2, v, grad), FDVJP_OK);
    check_empty("fdvjp_vjp whose f made a failing call");
    for (j = 0; j < N; j++)
        CHECK_CLOSE(grad[j], want[j], 1e-8); /* central differences, h ~ 6e-6 */

    first = 1;
    CHECK_STATUS(fdvjp_jacobian(NULL, f_reenters, &first, x, N, 2, jac), FDVJP_OK);
    check_empty("fdvjp_jacobian");
    CHECK_CLOSE(jac[N + 0], x[1], 1e-8);

    first = 1;
    CHECK_STATUS(fdvjp_jvp(NULL, f_reenters, &first, x, N, 2, u, jvp), FDVJP_OK);
    check_empty("fdvjp_jvp");
    CHECK_CLOSE(jvp[0], 2 * (x[0] * u[0] + x[1] * u[1] + x[2] * u[2]), 1e-8);
    CHECK_CLOSE(jvp[1], x[1] * u[0] + x[0] * u[1], 1e-8);

    CHECK_STATUS(fdvjp_config_set_progress(cfg, progress_reenters, NULL), FDVJP_OK);
    first = 0;
    CHECK_STATUS(fdvjp_vjp(cfg, f_reenters, &first, x, N, 2, v, grad), FDVJP_OK);
    check_empty("fdvjp_vjp whose progress callback made a failing call");
    CHECK_STATUS(fdvjp_vjp_estimate(cfg, f_reenters, &first, x, N, 2, v, grad, g), FDVJP_OK);
    check_empty("fdvjp_vjp_estimate");

    first = 1;
    CHECK_STATUS(fdvjp_tape_input(t, x, N, &in), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_call_vjp(t, f_reenters, vjp_reenters, &first, &in, 1, 1, &out),
                 FDVJP_OK);
    check_empty("fdvjp_tape_call_vjp");
    CHECK_STATUS(fdvjp_tape_backward(t, out, NULL, 0), FDVJP_OK);
    check_empty("fdvjp_tape_backward whose custom VJP made a failing call");
    CHECK_STATUS(fdvjp_tape_grad(t, in, g, N), FDVJP_OK);
    for (j = 0; j < N; j++)
        CHECK_CLOSE(g[j], 2.0 * x[j], 1e-15); /* the custom VJP is exact */
    first = 1;
    CHECK_STATUS(fdvjp_tape_forward(t), FDVJP_OK);
    check_empty("fdvjp_tape_forward whose f made a failing call");

    /* every inner call did fail, with its message visible inside the callback */
    CHECK(inner_failures >= 7);
    fdvjp_tape_free(t);
    fdvjp_config_free(cfg);
    return check_summary("test_last_call");
}
