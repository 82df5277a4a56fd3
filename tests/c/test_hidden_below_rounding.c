/*
 * test_hidden_below_rounding.c: a term of an element's own scale hidden under a large
 * offset, through the C API. f(x) = K + c / x0 + sin x1 at tiny x0 (1e-13..1e-6), K from 0
 * to 1e31: the default step grows across the pole at 0 where f looks constant, and before
 * 1 December `1e25 + 1/x` at 1e-9 gave 0 for -1e18 with a bound of 2.35e12 and FDVJP_OK.
 * Every result must be covered by its bound, or have none (NaN, counted unbounded); the
 * bound is never infinite; batched and threaded gradients equal the serial one bit for bit.
 *
 * Entry points: fdvjp_vjp, fdvjp_vjp_batch (batch size 3), fdvjp_vjp on 2 threads,
 * fdvjp_jvp along e_0, fdvjp_jacobian, an opaque tape node. Exact answers: the analytic
 * gradient (-c / x0^2, cos x1).
 */
#include <stddef.h>

#include "check.h"

typedef struct {
    double k, c;
} term;

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    const term *t = (const term *)user;
    if (n != 2 || m != 1)
        return 99;
    y[0] = t->k + t->c / x[0] + sin(x[1]);
    return 0;
}

CHECK_BATCH_OF(fb, f)

/* The last report is honest about a result whose largest entry error is `err`. */
static void check_honest(const char *entry, int k, double err)
{
    fdvjp_report r = check_last_report();
    int ok = r.completed && !isinf(r.error_bound) &&
             (isnan(r.error_bound) ? r.unbounded_directions > 0 : err <= r.error_bound);
    if (!CHECK(ok))
        fprintf(stderr, "    case %d, %s: err %.3g bound %.3g unbounded %zu\n", k, entry, err,
                r.error_bound, r.unbounded_directions);
}

int main(void)
{
    fdvjp_config *batch = fdvjp_config_new(), *threads = fdvjp_config_new();
    CHECK_STATUS(fdvjp_config_set_batch_size(batch, 3), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_set_threads(threads, 2), FDVJP_OK);
    uint64_t seed = 41;
    for (int k = 0; k < 120; k++) {
        term t = {k % 5 == 0 ? 0.0 : pow(10.0, 31.0 * check_uniform(&seed, 0.0, 1.0)),
                  pow(10.0, 4.0 * check_uniform(&seed, 0.0, 1.0) - 2.0) * (k % 2 ? -1.0 : 1.0)};
        double x[2] = {pow(10.0, -13.0 + 7.0 * check_uniform(&seed, 0.0, 1.0)) * (k % 3 ? 1.0 : -1.0),
                       0.3 + check_uniform(&seed, 0.0, 1.0)};
        double want[2] = {-t.c / (x[0] * x[0]), cos(x[1])};
        double v = 1.0, g[2], gb[2], gt[2], d, jac[2], u[2] = {1.0, 0.0};

        CHECK_STATUS(fdvjp_vjp(NULL, f, &t, x, 2, 1, &v, g), FDVJP_OK);
        check_honest("vjp", k, fmax(fabs(g[0] - want[0]), fabs(g[1] - want[1])));
        CHECK_STATUS(fdvjp_vjp_batch(batch, fb, &t, x, 2, 1, &v, gb), FDVJP_OK);
        check_honest("vjp_batch", k, fmax(fabs(gb[0] - want[0]), fabs(gb[1] - want[1])));
        CHECK(memcmp(g, gb, sizeof g) == 0);
        CHECK_STATUS(fdvjp_vjp(threads, f, &t, x, 2, 1, &v, gt), FDVJP_OK);
        check_honest("vjp on 2 threads", k, fmax(fabs(gt[0] - want[0]), fabs(gt[1] - want[1])));
        CHECK(memcmp(g, gt, sizeof g) == 0);
        CHECK_STATUS(fdvjp_jvp(NULL, f, &t, x, 2, 1, u, &d), FDVJP_OK);
        check_honest("jvp", k, fabs(d - want[0]));
        CHECK_STATUS(fdvjp_jacobian(NULL, f, &t, x, 2, 1, jac), FDVJP_OK);
        check_honest("jacobian", k, fmax(fabs(jac[0] - want[0]), fabs(jac[1] - want[1])));

        fdvjp_tape *tape = fdvjp_tape_new();
        fdvjp_var in, y;
        double gtape[2];
        CHECK_STATUS(fdvjp_tape_input(tape, x, 2, &in), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_call(tape, NULL, f, &t, &in, 1, 1, &y), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(tape, y, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(tape, in, gtape, 2), FDVJP_OK);
        check_honest("tape", k, fmax(fabs(gtape[0] - want[0]), fabs(gtape[1] - want[1])));
        fdvjp_tape_free(tape);
    }
    fdvjp_config_free(batch);
    fdvjp_config_free(threads);
    return check_summary("test_hidden_below_rounding");
}
