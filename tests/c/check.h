/*
 * check.h: the assertions shared by the C test programs.
 *
 * Each CHECK_* macro counts one check; a failing one prints file:line and what differed,
 * and the program goes on so that one run shows every failure. check_summary() prints one
 * line and returns the exit code (non-zero when anything failed).
 *
 * Also a small deterministic random generator, so that test points are reproducible.
 */
#ifndef FDVJP_TESTS_CHECK_H
#define FDVJP_TESTS_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fdvjp.h"

static int check_total;
static int check_failed;

/* Records one check; prints the failure with its location. Returns `ok`. */
static inline int check_record(int ok, const char *file, int line, const char *what)
{
    check_total++;
    if (!ok) {
        check_failed++;
        fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
    }
    return ok;
}

/* |got - want| <= tol * max(1, |want|): an absolute tolerance near 0, relative above 1. */
static inline int check_close_at(double got, double want, double tol, const char *what,
                                 const char *file, int line)
{
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    int ok = fabs(got - want) <= tol * scale;
    if (!ok) {
        check_record(0, file, line, what);
        fprintf(stderr, "    got %.17g, want %.17g (diff %.3g, tol %.3g x %.3g)\n", got,
                want, got - want, tol, scale);
        return 0;
    }
    return check_record(1, file, line, what);
}

/* The status is `want`; on a mismatch also prints the last error. */
static inline int check_status_at(int32_t got, int32_t want, const char *what,
                                  const char *file, int line)
{
    if (got != want) {
        char msg[512];
        fdvjp_last_error(msg, sizeof msg);
        check_record(0, file, line, what);
        fprintf(stderr, "    status %s, want %s; last error: \"%s\"\n", fdvjp_status_str(got),
                fdvjp_status_str(want), msg);
        return 0;
    }
    return check_record(1, file, line, what);
}

/* The last error message contains `needle`. */
static inline int check_error_has_at(const char *needle, const char *file, int line)
{
    char msg[1024];
    fdvjp_last_error(msg, sizeof msg);
    if (strstr(msg, needle) == NULL) {
        check_record(0, file, line, "last error contains a substring");
        fprintf(stderr, "    \"%s\" not found in \"%s\"\n", needle, msg);
        return 0;
    }
    return check_record(1, file, line, "last error contains a substring");
}

/* Counts `got == want` for integers, printing both on a mismatch. */
static inline int check_int_at(long long got, long long want, const char *what,
                               const char *file, int line)
{
    if (got != want) {
        check_record(0, file, line, what);
        fprintf(stderr, "    got %lld, want %lld\n", got, want);
        return 0;
    }
    return check_record(1, file, line, what);
}

#define CHECK(cond) check_record((cond) != 0, __FILE__, __LINE__, #cond)
#define CHECK_CLOSE(got, want, tol) \
    check_close_at((got), (want), (tol), #got " ~ " #want, __FILE__, __LINE__)
#define CHECK_STATUS(got, want) check_status_at((got), (want), #got, __FILE__, __LINE__)
#define CHECK_ERROR_HAS(needle) check_error_has_at((needle), __FILE__, __LINE__)
#define CHECK_INT(got, want) check_int_at((got), (want), #got " == " #want, __FILE__, __LINE__)

/* Prints "<name>: N checks, F failed" and returns the process exit code. */
static inline int check_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_total, check_failed);
    return check_failed == 0 && check_total > 0 ? 0 : 1;
}

/* xorshift64*: a reproducible stream of uniform doubles in [lo, hi). */
static inline double check_uniform(uint64_t *state, double lo, double hi)
{
    uint64_t s = *state;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    *state = s;
    return lo + (hi - lo) * (double)((s * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
}

/* A deterministic hash of x[0..n) from `seed`, uniform in [-1, 1): the noise of the noisy
 * test functions (the same x always gives the same value, as with a solver). */
static inline double check_hash(uint64_t seed, const double *x, size_t n)
{
    uint64_t z = seed;
    for (size_t j = 0; j < n; j++) {
        uint64_t bits;
        memcpy(&bits, &x[j], sizeof bits);
        z ^= bits;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
    }
    return (double)(z >> 11) / 4503599627370496.0 - 1.0;
}

/* check_uniform, drawn again while 0 < |x| < 0.01 (when [lo, hi) reaches beyond): a
 * well-scaled point, where the default step rule costs exactly the plain rule's
 * evaluations (below typ / 100 = 0.01 a central column is checked at its own scale, 2
 * evaluations more; see the README's "Step rule"). */
static inline double check_uniform_well_scaled(uint64_t *state, double lo, double hi)
{
    double x = check_uniform(state, lo, hi);
    while (x != 0.0 && fabs(x) < 0.01 && (lo < -0.01 || hi > 0.01))
        x = check_uniform(state, lo, hi);
    return x;
}

/* Defines `name`, a batch function (`fdvjp_batch_fn`) that evaluates the point function `f`
 * at each of its k points in turn: a batch entry point's result against the serial one. */
#define CHECK_BATCH_OF(name, f)                                                             \
    static int32_t name(void *user, const double *xs, size_t n, size_t k, double *ys,      \
                        size_t m)                                                           \
    {                                                                                       \
        for (size_t p = 0; p < k; p++) {                                                    \
            int32_t s = f(user, xs + p * n, n, ys + p * m, m);                              \
            if (s != 0)                                                                     \
                return s;                                                                   \
        }                                                                                   \
        return 0;                                                                           \
    }

/* The last report on this thread (every byte of it set first, so a field the library left
 * unwritten shows). */
static inline fdvjp_report check_last_report(void)
{
    fdvjp_report r;
    memset(&r, 0xff, sizeof r);
    CHECK_STATUS(fdvjp_last_report(&r, sizeof r), FDVJP_OK);
    return r;
}

/* d(sum_i f_i)/dx of a scalar x through an opaque tape node with m outputs, reduced by a
 * sum and pulled back: the tape's result for a one-input function (NAN if a step fails,
 * each failure recorded). The report is the backward sweep's. */
static inline double check_tape_sum_gradient(fdvjp_fn f, void *user, double x, size_t m)
{
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var in, y, s;
    double g = NAN;
    CHECK_STATUS(fdvjp_tape_input(t, &x, 1, &in), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_call(t, NULL, f, user, &in, 1, m, &y), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, y, &s), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_backward(t, s, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_tape_grad(t, in, &g, 1), FDVJP_OK);
    fdvjp_tape_free(t);
    return g;
}

#endif /* FDVJP_TESTS_CHECK_H */
