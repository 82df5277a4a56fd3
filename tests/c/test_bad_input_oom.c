/*
 * test_bad_input_oom.c: problems too large for memory. A Jacobian whose m*n doubles
 * cannot exist in the address space is FDVJP_INVALID_ARGUMENT; one whose size is valid but
 * far beyond any machine (8 PiB) is FDVJP_OUT_OF_MEMORY, before f is ever called; an
 * opaque tape node whose Jacobian cache cannot be allocated fails its backward with
 * FDVJP_OUT_OF_MEMORY and leaves the tape usable. No crash, no output written.
 *
 * The output pointers are small buffers: fdvjp must refuse before writing anything, and
 * the sentinel shows it did.
 */
#include <stdlib.h>

#include "check.h"

#define SENTINEL 0x77

static int32_t copy_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i;
    ++*(long *)user;
    for (i = 0; i < m; i++)
        y[i] = x[i % n];
    return 0;
}

static int all_sentinel(const void *p, size_t bytes)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < bytes; i++)
        if (c[i] != SENTINEL)
            return 0;
    return 1;
}

int main(void)
{
    double jac[16], x_small[4] = {1, 2, 3, 4};
    long calls = 0;
    size_t big = (size_t)1 << 31, n = (size_t)1 << 20, m = (size_t)1 << 30;
    double *x = calloc(n, sizeof *x);
    CHECK(x != NULL);

    /* n = m = 2^31: 2^62 doubles overflow the address space, so no such buffer exists. */
    memset(jac, SENTINEL, sizeof jac);
    CHECK_STATUS(fdvjp_jacobian(NULL, copy_fn, &calls, x_small, big, big, jac),
                 FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_jacobian: m*n = 4611686018427387904 is too large for jac");
    CHECK(all_sentinel(jac, sizeof jac));

    /* n = 2^20, m = 2^30: 2^50 doubles (8 PiB) is a valid size no allocator can give. */
    CHECK_STATUS(fdvjp_jacobian(NULL, copy_fn, &calls, x, n, m, jac), FDVJP_OUT_OF_MEMORY);
    CHECK_ERROR_HAS("fdvjp_jacobian: cannot allocate the Jacobian: 1125899906842624 doubles");
    CHECK(all_sentinel(jac, sizeof jac));
    CHECK_INT(calls, 0);

    /* The tape: an opaque node R^(2^23) -> R^(2^23) records (one evaluation), but its
     * 2^46-double Jacobian cache cannot be had; the backward fails, the tape lives on. */
    {
        size_t k = (size_t)1 << 23;
        double *xk = calloc(k, sizeof *xk), g[2], before[2];
        const double two[2] = {3.0, -1.0};
        fdvjp_tape *t = fdvjp_tape_new();
        fdvjp_var xv, y, loss, sv, sq, s2;
        CHECK(xk != NULL);
        CHECK_STATUS(fdvjp_tape_input(t, xk, k, &xv), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_call(t, NULL, copy_fn, &calls, &xv, 1, k, &y), FDVJP_OK);
        CHECK_INT(calls, 1);
        CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &loss), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_input(t, two, 2, &sv), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, sv, &sq), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, sq, &s2), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_backward(t, s2, NULL, 0), FDVJP_OK);
        CHECK_STATUS(fdvjp_tape_grad(t, sv, before, 2), FDVJP_OK);

        CHECK_STATUS(fdvjp_tape_backward(t, loss, NULL, 0), FDVJP_OUT_OF_MEMORY);
        CHECK_ERROR_HAS("fdvjp_tape_backward: node 1 (opaque call) failed in backward: "
                        "cannot allocate the Jacobian: 70368744177664 doubles");
        CHECK_INT(calls, 1);
        /* the previous gradients are kept, and the tape still works */
        memset(g, SENTINEL, sizeof g);
        CHECK_STATUS(fdvjp_tape_grad(t, sv, g, 2), FDVJP_OK);
        CHECK(memcmp(g, before, sizeof g) == 0);
        CHECK(g[0] == 6.0 && g[1] == -2.0);
        CHECK_STATUS(fdvjp_tape_backward(t, s2, NULL, 0), FDVJP_OK);
        fdvjp_tape_free(t);
        free(xk);
    }
    free(x);
    return check_summary("test_bad_input_oom");
}
