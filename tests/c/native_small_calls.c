/*
 * native_small_calls.c: a small call allocates nothing once the thread has made one
 * (issue 15 item 2). Counts the process's calls of malloc, calloc, realloc and the aligned
 * allocators (this program defines them, forwarding to glibc's, so the library's calls
 * come here too) during repeated fdvjp_vjp and fdvjp_jvp calls with n, m <= 64 and the
 * default config, after a few warm-up calls; each must allocate nothing. The results are
 * checked against the analytic derivative (tolerance 1e-8).
 *
 * Native only (tests/run.sh): valgrind and the sanitizers replace the allocator
 * themselves.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "check.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

static long allocations;

void *malloc(size_t size)
{
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
    allocations++;
    return __libc_calloc(count, size);
}

void *realloc(void *p, size_t size)
{
    allocations++;
    return __libc_realloc(p, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    allocations++;
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    allocations++;
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    allocations++;
    void *p = __libc_memalign(align, size);
    if (p == NULL) {
        return 12; /* ENOMEM */
    }
    *out = p;
    return 0;
}

void free(void *p)
{
    __libc_free(p);
}

/* y_i = sum_j a_ij sin(x_j) with a_ij = 1 + (i + 2j) / 64. */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    for (size_t i = 0; i < m; i++) {
        y[i] = 0.0;
        for (size_t j = 0; j < n; j++) {
            y[i] += (1.0 + (double)(i + 2 * j) / 64.0) * sin(x[j]);
        }
    }
    return 0;
}

static void shape(size_t n, size_t m)
{
    double x[64], v[64], u[64], grad[64], jvp[64];
    for (size_t j = 0; j < n; j++) {
        x[j] = 0.3 + 0.05 * (double)j;
        u[j] = 1.0 - 0.01 * (double)j;
    }
    for (size_t i = 0; i < m; i++) {
        v[i] = 0.5 + 0.1 * (double)i;
    }
    for (int k = 0; k < 10; k++) { /* warm-up: the thread's spare vectors fill up */
        fdvjp_vjp(NULL, f, NULL, x, n, m, v, grad);
        fdvjp_jvp(NULL, f, NULL, x, n, m, u, jvp);
    }
    long before = allocations;
    for (int k = 0; k < 100; k++) {
        CHECK_STATUS(fdvjp_vjp(NULL, f, NULL, x, n, m, v, grad), FDVJP_OK);
    }
    long vjp_allocations = allocations - before;
    before = allocations;
    for (int k = 0; k < 100; k++) {
        CHECK_STATUS(fdvjp_jvp(NULL, f, NULL, x, n, m, u, jvp), FDVJP_OK);
    }
    long jvp_allocations = allocations - before;
    if (vjp_allocations != 0 || jvp_allocations != 0) {
        fprintf(stderr, "n = %zu, m = %zu: %ld allocations in 100 VJPs, %ld in 100 JVPs\n", n,
                m, vjp_allocations, jvp_allocations);
    }
    CHECK(vjp_allocations == 0);
    CHECK(jvp_allocations == 0);
    for (size_t j = 0; j < n; j++) {
        double want = 0.0;
        for (size_t i = 0; i < m; i++) {
            want += v[i] * (1.0 + (double)(i + 2 * j) / 64.0) * cos(x[j]);
        }
        CHECK_CLOSE(grad[j], want, 1e-8);
    }
    for (size_t i = 0; i < m; i++) {
        double want = 0.0;
        for (size_t j = 0; j < n; j++) {
            want += (1.0 + (double)(i + 2 * j) / 64.0) * cos(x[j]) * u[j];
        }
        CHECK_CLOSE(jvp[i], want, 1e-8);
    }
}

int main(void)
{
    /* The counter sees the library's allocations: a config is one. */
    long before = allocations;
    fdvjp_config_free(fdvjp_config_new());
    CHECK(allocations > before);
    shape(4, 1);
    shape(8, 1);
    shape(1, 8);
    shape(64, 64);
    return check_summary("native_small_calls");
}
