/*
 * smooth_map.h: the smooth map R^3 -> R^2 that test_accuracy.c and
 * test_report_entry_points.c differentiate, written once:
 *
 *     f(x) = [x0 x1 + sin(x2), exp(x0) x2^2]
 *
 * as a real callback, as a complex one (interleaved re/im: the layout of double _Complex)
 * and its analytic row-major 2 x 3 Jacobian. The callbacks count their calls in a
 * `counter` (the `user` pointer) and can be made to fail: return 7 at evaluation
 * `fail_at` (1-based; 0 = never), or give a NaN y[1] everywhere (`nan_at_x`). A call with
 * other sizes than N = 3, M = 2 returns 99. Functions are `static inline`, so a test that
 * uses only some of them compiles without unused-function warnings.
 */
#ifndef FDVJP_TESTS_SMOOTH_MAP_H
#define FDVJP_TESTS_SMOOTH_MAP_H

#include <complex.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define N 3
#define M 2

typedef struct {
    long calls;
    long fail_at;   /* return 7 at this (1-based) evaluation; 0 = never */
    int nan_at_x;   /* 1: y[1] = NaN everywhere */
} counter;

/* The callbacks' common part: counts the call, then 99 for other sizes, 7 at fail_at. */
static inline int32_t smooth_enter(counter *c, size_t n, size_t m)
{
    c->calls++;
    if (n != N || m != M)
        return 99;
    return c->fail_at == c->calls ? 7 : 0;
}

static inline int32_t smooth(void *user, const double *x, size_t n, double *y, size_t m)
{
    counter *c = (counter *)user;
    int32_t status = smooth_enter(c, n, m);
    if (status != 0)
        return status;
    y[0] = x[0] * x[1] + sin(x[2]);
    y[1] = c->nan_at_x ? NAN : exp(x[0]) * x[2] * x[2];
    return 0;
}

static inline void smooth_jacobian(const double *x, double *jac)
{
    jac[0] = x[1];
    jac[1] = x[0];
    jac[2] = cos(x[2]);
    jac[3] = exp(x[0]) * x[2] * x[2];
    jac[4] = 0.0;
    jac[5] = 2.0 * exp(x[0]) * x[2];
}

static inline int32_t smooth_complex(void *user, const double *z, size_t n, double *w, size_t m)
{
    counter *c = (counter *)user;
    const double complex *zc = (const double complex *)(const void *)z;
    double complex *wc = (double complex *)(void *)w;
    int32_t status = smooth_enter(c, n, m);
    if (status == 0) {
        wc[0] = zc[0] * zc[1] + csin(zc[2]);
        wc[1] = c->nan_at_x ? NAN : cexp(zc[0]) * zc[2] * zc[2];
    }
    return status;
}

#endif
