/*
 * test_config_get.c: fdvjp_version and every fdvjp_config_get_* getter.
 *
 * Each getter is checked against its setter: the defaults of a new config, a round trip of
 * a set value (exact: the getter returns what was stored), the value after a reset, and
 * the error cases (NULL cfg, NULL out-pointers, a short array), after which every output
 * must hold what the caller put there.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

#define SENTINEL_INT ((int32_t)-77)
#define SENTINEL_SIZE ((size_t)0xdeadbeef)
#define SENTINEL_DOUBLE (-12345.5)

static int32_t progress(void *user, size_t done, size_t total)
{
    (void)user;
    (void)done;
    (void)total;
    return 0;
}

static void test_version(void)
{
    int32_t major = SENTINEL_INT, minor = SENTINEL_INT, patch = SENTINEL_INT;
    char want[64];
    const char *text = fdvjp_version(&major, &minor, &patch);
    CHECK(text != NULL);
    CHECK_INT(major, FDVJP_VERSION_MAJOR);
    CHECK_INT(minor, FDVJP_VERSION_MINOR);
    CHECK_INT(patch, FDVJP_VERSION_PATCH);
    snprintf(want, sizeof want, "%d.%d.%d", (int)major, (int)minor, (int)patch);
    CHECK(text != NULL && strncmp(text, want, strlen(want)) == 0);
    /* Every component is optional; the string is the same static one. */
    CHECK(fdvjp_version(NULL, NULL, NULL) == text);
    minor = SENTINEL_INT;
    CHECK(fdvjp_version(NULL, &minor, NULL) == text);
    CHECK_INT(minor, FDVJP_VERSION_MINOR);
}

/* The scalar getters: defaults, round trips, resets, errors. */
static void test_scalars(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    int32_t i = SENTINEL_INT;
    size_t z = SENTINEL_SIZE;
    double r = SENTINEL_DOUBLE;

    CHECK_STATUS(fdvjp_config_get_scheme(cfg, &i), FDVJP_OK);
    CHECK_INT(i, FDVJP_CENTRAL);
    for (int32_t s = FDVJP_CENTRAL; s <= FDVJP_CENTRAL4; s++) {
        CHECK_STATUS(fdvjp_config_set_scheme(cfg, s), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_get_scheme(cfg, &i), FDVJP_OK);
        CHECK_INT(i, s);
    }

    CHECK_STATUS(fdvjp_config_get_layout(cfg, &i), FDVJP_OK);
    CHECK_INT(i, FDVJP_ROW_MAJOR);
    CHECK_STATUS(fdvjp_config_set_layout(cfg, FDVJP_COL_MAJOR), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_layout(cfg, &i), FDVJP_OK);
    CHECK_INT(i, FDVJP_COL_MAJOR);

    CHECK_STATUS(fdvjp_config_get_relative_step(cfg, &r), FDVJP_OK);
    CHECK(r == 0.0);
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 3.25e-4), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_relative_step(cfg, &r), FDVJP_OK);
    CHECK(r == 3.25e-4);
    CHECK_STATUS(fdvjp_config_set_relative_step(cfg, 0.0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_relative_step(cfg, &r), FDVJP_OK);
    CHECK(r == 0.0);

    CHECK_STATUS(fdvjp_config_get_adaptive(cfg, &i), FDVJP_OK);
    CHECK_INT(i, 0);
    CHECK_STATUS(fdvjp_config_set_adaptive(cfg, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_adaptive(cfg, &i), FDVJP_OK);
    CHECK_INT(i, 1);

    CHECK_STATUS(fdvjp_config_get_threads(cfg, &z), FDVJP_OK);
    CHECK_INT((long long)z, 0);
    CHECK_STATUS(fdvjp_config_set_threads(cfg, 3), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_threads(cfg, &z), FDVJP_OK);
    CHECK_INT((long long)z, 3);
    /* A refused value leaves the stored one. */
    CHECK_STATUS(fdvjp_config_set_threads(cfg, FDVJP_MAX_THREADS + 1), FDVJP_INVALID_ARGUMENT);
    CHECK_STATUS(fdvjp_config_get_threads(cfg, &z), FDVJP_OK);
    CHECK_INT((long long)z, 3);

    /* Threads alone give 16 points per thread, but the getter reports the caller's choice. */
    CHECK_STATUS(fdvjp_config_get_batch_size(cfg, &z), FDVJP_OK);
    CHECK_INT((long long)z, 0);
    CHECK_STATUS(fdvjp_config_set_batch_size(cfg, 7), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_batch_size(cfg, &z), FDVJP_OK);
    CHECK_INT((long long)z, 7);
    CHECK_STATUS(fdvjp_config_set_batch_size(cfg, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_batch_size(cfg, &z), FDVJP_OK);
    CHECK_INT((long long)z, 0);

    CHECK_STATUS(fdvjp_config_get_noise_mode(cfg, &i), FDVJP_OK);
    CHECK_INT(i, FDVJP_NOISE_AUTO);
    for (int32_t mode = FDVJP_NOISE_AUTO; mode <= FDVJP_NOISE_OFF; mode++) {
        CHECK_STATUS(fdvjp_config_set_noise_mode(cfg, mode), FDVJP_OK);
        CHECK_STATUS(fdvjp_config_get_noise_mode(cfg, &i), FDVJP_OK);
        CHECK_INT(i, mode);
    }

    /* Errors: NULL cfg, NULL out; the outputs keep the caller's values. */
    i = SENTINEL_INT;
    z = SENTINEL_SIZE;
    r = SENTINEL_DOUBLE;
    CHECK_STATUS(fdvjp_config_get_scheme(NULL, &i), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_scheme: cfg is NULL");
    CHECK_STATUS(fdvjp_config_get_layout(NULL, &i), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_adaptive(NULL, &i), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_noise_mode(NULL, &i), FDVJP_NULL_POINTER);
    CHECK_INT(i, SENTINEL_INT);
    CHECK_STATUS(fdvjp_config_get_relative_step(NULL, &r), FDVJP_NULL_POINTER);
    CHECK(r == SENTINEL_DOUBLE);
    CHECK_STATUS(fdvjp_config_get_threads(NULL, &z), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_batch_size(NULL, &z), FDVJP_NULL_POINTER);
    CHECK_INT((long long)z, (long long)SENTINEL_SIZE);
    CHECK_STATUS(fdvjp_config_get_scheme(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_scheme: out is NULL");
    CHECK_STATUS(fdvjp_config_get_layout(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_relative_step(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_adaptive(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_threads(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_batch_size(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_noise_mode(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_noise_mode: out is NULL");
    fdvjp_config_free(cfg);
}

/* Copies of one-array options: steps, typical magnitudes, noise levels. */
typedef fdvjp_status (*set_array)(fdvjp_config *, const double *, size_t);
typedef fdvjp_status (*get_array)(const fdvjp_config *, double *, size_t, size_t *);

static void check_array_option(const char *name, set_array set, get_array get)
{
    fdvjp_config *cfg = fdvjp_config_new();
    const double values[3] = {0.5, 2.0, 1e-3};
    double out[4] = {SENTINEL_DOUBLE, SENTINEL_DOUBLE, SENTINEL_DOUBLE, SENTINEL_DOUBLE};
    size_t count = SENTINEL_SIZE;
    char needle[128];

    /* Nothing stored: count 0, with or without room. */
    CHECK_STATUS(get(cfg, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    count = SENTINEL_SIZE;
    CHECK_STATUS(get(cfg, out, 4, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    CHECK(out[0] == SENTINEL_DOUBLE);

    CHECK_STATUS(set(cfg, values, 3), FDVJP_OK);
    /* Length query. */
    CHECK_STATUS(get(cfg, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 3);
    /* A short array: an error naming the lengths, nothing written. */
    count = SENTINEL_SIZE;
    CHECK_STATUS(get(cfg, out, 2, &count), FDVJP_LENGTH_MISMATCH);
    snprintf(needle, sizeof needle, "%s: capacity = 2 is less than the 3 elements", name);
    CHECK_ERROR_HAS(needle);
    CHECK_INT((long long)count, (long long)SENTINEL_SIZE);
    CHECK(out[0] == SENTINEL_DOUBLE && out[1] == SENTINEL_DOUBLE);
    /* NULL with a capacity, NULL count: errors, nothing written. */
    CHECK_STATUS(get(cfg, NULL, 3, &count), FDVJP_NULL_POINTER);
    CHECK_INT((long long)count, (long long)SENTINEL_SIZE);
    CHECK_STATUS(get(cfg, out, 4, NULL), FDVJP_NULL_POINTER);
    CHECK(out[0] == SENTINEL_DOUBLE);
    CHECK_STATUS(get(NULL, out, 4, &count), FDVJP_NULL_POINTER);
    CHECK(out[0] == SENTINEL_DOUBLE);
    CHECK_INT((long long)count, (long long)SENTINEL_SIZE);
    /* Room for more: the stored elements exactly, the rest untouched. */
    CHECK_STATUS(get(cfg, out, 4, &count), FDVJP_OK);
    CHECK_INT((long long)count, 3);
    CHECK(out[0] == values[0] && out[1] == values[1] && out[2] == values[2]);
    CHECK(out[3] == SENTINEL_DOUBLE);
    /* Cleared with (NULL, 0). */
    CHECK_STATUS(set(cfg, NULL, 0), FDVJP_OK);
    CHECK_STATUS(get(cfg, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    fdvjp_config_free(cfg);
}

static void test_bounds(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    const double lo[2] = {-1.0, -INFINITY}, hi[2] = {2.5, 4.0};
    double l[3] = {SENTINEL_DOUBLE, SENTINEL_DOUBLE, SENTINEL_DOUBLE};
    double u[3] = {SENTINEL_DOUBLE, SENTINEL_DOUBLE, SENTINEL_DOUBLE};
    size_t count = SENTINEL_SIZE;

    CHECK_STATUS(fdvjp_config_get_bounds(cfg, NULL, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, lo, hi, 2), FDVJP_OK);
    count = SENTINEL_SIZE;
    CHECK_STATUS(fdvjp_config_get_bounds(cfg, l, u, 1, &count), FDVJP_LENGTH_MISMATCH);
    CHECK_STATUS(fdvjp_config_get_bounds(cfg, l, NULL, 3, &count), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_bounds: upper is NULL but capacity = 3");
    CHECK(l[0] == SENTINEL_DOUBLE && u[0] == SENTINEL_DOUBLE);
    CHECK_INT((long long)count, (long long)SENTINEL_SIZE);
    CHECK_STATUS(fdvjp_config_get_bounds(cfg, l, u, 3, &count), FDVJP_OK);
    CHECK_INT((long long)count, 2);
    CHECK(l[0] == -1.0 && l[1] == -INFINITY && u[0] == 2.5 && u[1] == 4.0);
    CHECK(l[2] == SENTINEL_DOUBLE && u[2] == SENTINEL_DOUBLE);
    CHECK_STATUS(fdvjp_config_set_bounds(cfg, NULL, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_bounds(cfg, NULL, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    fdvjp_config_free(cfg);
}

static void test_sparsity(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    /* Given out of order with a duplicate: read back sorted by column, then row. */
    const size_t rows[5] = {1, 0, 2, 0, 1};
    const size_t cols[5] = {1, 0, 1, 0, 0};
    const size_t want_rows[4] = {0, 1, 1, 2}, want_cols[4] = {0, 0, 1, 1};
    size_t r[5], c[5], count = SENTINEL_SIZE;

    for (int k = 0; k < 5; k++)
        r[k] = c[k] = SENTINEL_SIZE;
    CHECK_STATUS(fdvjp_config_get_sparsity(cfg, NULL, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, cols, 5), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_sparsity(cfg, NULL, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 4);
    count = SENTINEL_SIZE;
    CHECK_STATUS(fdvjp_config_get_sparsity(cfg, r, c, 3, &count), FDVJP_LENGTH_MISMATCH);
    CHECK(r[0] == SENTINEL_SIZE && c[0] == SENTINEL_SIZE);
    CHECK_INT((long long)count, (long long)SENTINEL_SIZE);
    CHECK_STATUS(fdvjp_config_get_sparsity(cfg, r, c, 5, &count), FDVJP_OK);
    CHECK_INT((long long)count, 4);
    for (int k = 0; k < 4; k++) {
        CHECK_INT((long long)r[k], (long long)want_rows[k]);
        CHECK_INT((long long)c[k], (long long)want_cols[k]);
    }
    CHECK(r[4] == SENTINEL_SIZE && c[4] == SENTINEL_SIZE);
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, NULL, NULL, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_sparsity(cfg, NULL, NULL, 0, &count), FDVJP_OK);
    CHECK_INT((long long)count, 0);
    fdvjp_config_free(cfg);
}

static void test_learn_sparsity(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    int32_t i = -1;
    CHECK_STATUS(fdvjp_config_get_learn_sparsity(cfg, &i), FDVJP_OK);
    CHECK_INT(i, 0);
    CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 1), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_learn_sparsity(cfg, &i), FDVJP_OK);
    CHECK_INT(i, 1);
    CHECK_STATUS(fdvjp_config_set_learn_sparsity(cfg, 0), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_learn_sparsity(cfg, &i), FDVJP_OK);
    CHECK_INT(i, 0);
    CHECK_STATUS(fdvjp_config_get_learn_sparsity(NULL, &i), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_learn_sparsity: cfg is NULL");
    CHECK_STATUS(fdvjp_config_get_learn_sparsity(cfg, NULL), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_learn_sparsity: out is NULL");
    fdvjp_config_free(cfg);
}

static void test_progress(void)
{
    fdvjp_config *cfg = fdvjp_config_new();
    int token = 0;
    fdvjp_progress_fn f = progress;
    void *user = &token;

    CHECK_STATUS(fdvjp_config_get_progress(cfg, &f, &user), FDVJP_OK);
    CHECK(f == NULL && user == NULL);
    CHECK_STATUS(fdvjp_config_set_progress(cfg, progress, &token), FDVJP_OK);
    CHECK_STATUS(fdvjp_config_get_progress(cfg, &f, &user), FDVJP_OK);
    CHECK(f == progress && user == &token);
    /* Errors leave both outputs alone. */
    f = NULL;
    user = NULL;
    CHECK_STATUS(fdvjp_config_get_progress(cfg, &f, NULL), FDVJP_NULL_POINTER);
    CHECK_ERROR_HAS("fdvjp_config_get_progress: user is NULL");
    CHECK_STATUS(fdvjp_config_get_progress(cfg, NULL, &user), FDVJP_NULL_POINTER);
    CHECK_STATUS(fdvjp_config_get_progress(NULL, &f, &user), FDVJP_NULL_POINTER);
    CHECK(f == NULL && user == NULL);
    CHECK_STATUS(fdvjp_config_set_progress(cfg, NULL, NULL), FDVJP_OK);
    f = progress;
    CHECK_STATUS(fdvjp_config_get_progress(cfg, &f, &user), FDVJP_OK);
    CHECK(f == NULL && user == NULL);
    fdvjp_config_free(cfg);
}

int main(void)
{
    test_version();
    test_scalars();
    check_array_option("fdvjp_config_get_steps", fdvjp_config_set_steps, fdvjp_config_get_steps);
    check_array_option("fdvjp_config_get_typical", fdvjp_config_set_typical,
                       fdvjp_config_get_typical);
    check_array_option("fdvjp_config_get_noise", fdvjp_config_set_noise, fdvjp_config_get_noise);
    test_bounds();
    test_sparsity();
    test_learn_sparsity();
    test_progress();
    return check_summary("test_config_get");
}
