/*
 * test_freed_handles.c: a config or tape used after fdvjp_*_free is refused by its tag
 * (FDVJP_INVALID_ARGUMENT; a second free is a no-op), and checking that tag reads memory
 * that is still the library's: a freed handle's memory is emptied and kept for the next
 * fdvjp_*_new, never returned to the allocator, so this runs under valgrind and
 * AddressSanitizer too (it ran natively only while the tag read freed memory: probe13
 * finding 1).
 *
 * The limit, stated honestly: once fdvjp_*_new hands that memory to a new config or tape,
 * the stale pointer is indistinguishable from the new handle. The tag catches the common
 * mistakes (double free, use right after free), not every one.
 */
#include <stdlib.h>

#include "check.h"

#define SENTINEL 0x3E

static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)n;
    (void)m;
    ++*(long *)user;
    y[0] = x[0] * x[1];
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
    const double x[2] = {1.5, -2.0}, v = 1.0;
    double grad[2];
    fdvjp_var out;
    long calls = 0;
    fdvjp_config *cfg = fdvjp_config_new();
    fdvjp_tape *t = fdvjp_tape_new();

    fdvjp_config_free(cfg);
    fdvjp_tape_free(t);

    memset(grad, SENTINEL, sizeof grad);
    CHECK_STATUS(fdvjp_vjp(cfg, f, &calls, x, 2, 1, &v, grad), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_vjp: cfg is not a live fdvjp_config (freed or foreign)");
    CHECK(all_sentinel(grad, sizeof grad));
    CHECK_STATUS(fdvjp_config_set_scheme(cfg, FDVJP_FORWARD), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_config_set_scheme: cfg is not a live fdvjp_config");
    fdvjp_config_free(cfg); /* double free: a no-op */

    memset(&out, SENTINEL, sizeof out);
    CHECK_STATUS(fdvjp_tape_input(t, x, 2, &out), FDVJP_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("fdvjp_tape_input: t is not a live fdvjp_tape (freed or foreign)");
    CHECK(all_sentinel(&out, sizeof out));
    fdvjp_tape_free(t); /* double free: a no-op */
    CHECK_INT(calls, 0);

    /* many handles freed at once: every stale one is refused, none reads freed memory */
    {
        enum { K = 12 };
        fdvjp_config *cfgs[K];
        fdvjp_tape *tapes[K];
        int k;
        for (k = 0; k < K; k++) {
            cfgs[k] = fdvjp_config_new();
            tapes[k] = fdvjp_tape_new();
            CHECK(cfgs[k] != NULL && tapes[k] != NULL);
            CHECK_STATUS(fdvjp_tape_input(tapes[k], x, 2, &out), FDVJP_OK);
        }
        for (k = 0; k < K; k++) {
            fdvjp_config_free(cfgs[k]);
            fdvjp_tape_free(tapes[k]);
        }
        for (k = 0; k < K; k++) {
            CHECK_STATUS(fdvjp_vjp(cfgs[k], f, &calls, x, 2, 1, &v, grad),
                         FDVJP_INVALID_ARGUMENT);
            CHECK_STATUS(fdvjp_tape_input(tapes[k], x, 2, &out), FDVJP_INVALID_ARGUMENT);
            fdvjp_config_free(cfgs[k]);
            fdvjp_tape_free(tapes[k]);
        }
        CHECK_INT(calls, 0);
    }

    /* the library is still fine afterwards */
    cfg = fdvjp_config_new();
    CHECK_STATUS(fdvjp_vjp(cfg, f, &calls, x, 2, 1, &v, grad), FDVJP_OK);
    CHECK_CLOSE(grad[0], x[1], 1e-9);
    CHECK_CLOSE(grad[1], x[0], 1e-9);
    fdvjp_config_free(cfg);
    return check_summary("test_freed_handles");
}
