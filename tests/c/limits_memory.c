/*
 * limits_memory.c: large problems run in bounded memory. Measures fdvjp's peak extra
 * resident memory (VmHWM after the call minus VmRSS before it, with the peak reset through
 * /proc/self/clear_refs) beyond the caller's buffers, which are allocated and touched
 * first, and prints it in multiples of n and m doubles:
 *   - a JVP with n = 10,000,000 (f = a few sums);
 *   - a VJP with n = 100,000 and m = 1,000, and one with n = 100 and m = 1,000,000.
 * Each must stay within its stated bound (the private copy of x and the staged result,
 * both n, plus 6 m-vectors: f(x), the current f value, the difference, its rounding scale,
 * the second difference the step refinement reads, and the guarded buffer the callback
 * writes into) plus 512 KiB for allocator and page rounding, and give the
 * exact derivative of a linear map (tolerance 1e-6 relative, differences of sums of
 * up to 1e7 terms).
 *
 * Linux only (reads /proc/self/status). Run natively by tests/run.sh: under valgrind the
 * resident sizes are valgrind's.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

#define SLACK (512.0 * 1024.0)

/* A field of /proc/self/status in bytes ("VmRSS", "VmHWM"); -1 if missing. */
static double status_bytes(const char *field)
{
    char line[256];
    double kb = -1.0;
    size_t len = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1.0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            kb = atof(line + len + 1);
    fclose(f);
    return kb * 1024.0;
}

/* Resets the peak resident size to the current one (Linux >= 4.0). */
static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    int ok;
    if (f == NULL)
        return 0;
    ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* y_i = sum_j c_ij x_j with c_ij = 1 + (i + j) % 3 on a band: y_i reads at most 3 x's
 * (j = i, i+1, i+2 mod n), except for m == 1, where y_0 = sum_j x_j (reads all of x). */
static double coef(size_t i, size_t j)
{
    return 1.0 + (double)((i + j) % 3);
}

static int32_t linear(void *user, const double *x, size_t n, double *y, size_t m)
{
    size_t i, k;
    (void)user;
    if (m == 1) {
        double s = 0.0;
        for (k = 0; k < n; k++)
            s += x[k];
        y[0] = s;
        return 0;
    }
    for (i = 0; i < m; i++) {
        y[i] = 0.0;
        for (k = 0; k < 3 && k < n; k++) {
            size_t j = (i + k) % n;
            y[i] += coef(i, j) * x[j];
        }
    }
    return 0;
}

/* Runs `call` and returns fdvjp's peak extra memory in bytes. */
#define MEASURE(extra, call)                                   \
    do {                                                       \
        double rss_;                                           \
        CHECK(reset_peak());                                   \
        rss_ = status_bytes("VmRSS");                          \
        CHECK_STATUS((call), FDVJP_OK);                        \
        (extra) = status_bytes("VmHWM") - rss_;                \
    } while (0)

static double *touched(size_t len, double value)
{
    double *p = malloc(len * sizeof *p);
    size_t i;
    if (p == NULL) {
        fprintf(stderr, "cannot allocate the caller's buffers\n");
        exit(2);
    }
    for (i = 0; i < len; i++)
        p[i] = value;
    return p;
}

static void jvp_large(void)
{
    const size_t n = 10000000, m = 1;
    double *x = touched(n, 0.5), *u = touched(n, 1.0), jvp = 0.0, extra;
    MEASURE(extra, fdvjp_jvp(NULL, linear, NULL, x, n, m, u, &jvp));
    CHECK_CLOSE(jvp, (double)n, 1e-6);
    printf("JVP  n = %zu, m = %zu: peak extra %.1f MiB = %.3f n doubles\n", n, m,
           extra / 1048576.0, extra / (8.0 * (double)n));
    CHECK(extra <= 8.0 * (double)(n + 4 * m) + SLACK);
    free(x);
    free(u);
}

static void vjp_large(size_t n, size_t m)
{
    double *x = touched(n, 0.25), *v = touched(m, 1.0), *grad = touched(n, 0.0), extra;
    double bound = 8.0 * (double)(2 * n + 6 * m) + SLACK;
    size_t i, j, k;
    MEASURE(extra, fdvjp_vjp(NULL, linear, NULL, x, n, m, v, grad));
    printf("VJP  n = %zu, m = %zu: peak extra %.2f MiB = %.3f (n + 6m) doubles, "
           "%.3f (2n + 6m) (bound: 2n + 6m + 512 KiB)\n",
           n, m, extra / 1048576.0, extra / (8.0 * (double)(n + 6 * m)),
           extra / (8.0 * (double)(2 * n + 6 * m)));
    CHECK(extra <= bound);
    /* grad_j = sum_i v_i c_ij over the rows that read x_j; v = 1 */
    {
        double *want = calloc(n, sizeof *want);
        CHECK(want != NULL);
        for (i = 0; i < m; i++)
            for (k = 0; k < 3 && k < n; k++) {
                j = (i + k) % n;
                want[j] += coef(i, j);
            }
        for (j = 0; j < n; j++)
            if (fabs(grad[j] - want[j]) > 1e-6 * (1.0 + fabs(want[j]))) {
                CHECK_CLOSE(grad[j], want[j], 1e-6);
                break;
            }
        free(want);
    }
    free(x);
    free(v);
    free(grad);
}

int main(void)
{
    /* warm-up: fault in the library's code and the allocator's arenas */
    {
        double x[4] = {1, 2, 3, 4}, v[2] = {1, 1}, g[4], u[4] = {1, 0, 0, 0}, j[2];
        CHECK_STATUS(fdvjp_vjp(NULL, linear, NULL, x, 4, 2, v, g), FDVJP_OK);
        CHECK_STATUS(fdvjp_jvp(NULL, linear, NULL, x, 4, 2, u, j), FDVJP_OK);
    }
    if (status_bytes("VmHWM") < 0 || !reset_peak()) {
        printf("limits_memory: /proc/self/status or clear_refs unavailable\n");
        return 1;
    }
    jvp_large();
    vjp_large(100000, 1000);
    vjp_large(100, 1000000);
    return check_summary("limits_memory");
}
