/*
 * test_config_reentry.c: callbacks that change or free the config their computation runs
 * under. Each computation takes a snapshot of the config when it starts, so it must give
 * exactly (bit for bit, same evaluation count) what it gives with the config left alone,
 * while the change applies to the next call; and a config freed from inside f must not be
 * touched again (valgrind and ASan check that; natively, the results must still match).
 *
 * f: R^N -> R^N, f_i = x_i^3 + x_{i-1} x_i (tridiagonal Jacobian), so the sparsity pattern
 * of the config is exact and the reference results are also checked against the analytic
 * VJP (tolerance 1e-7, central differences).
 */
#include <stdlib.h>

#include "check.h"

#define N 8

enum action { NOTHING, SET_SCHEME, SET_SPARSITY, CLEAR_SPARSITY, FREE_CONFIG, SET_BATCH };

struct ctx {
    fdvjp_config *cfg; /* the config the computation runs under */
    enum action action;
    int calls;         /* evaluations (points) */
    int acted;
};

static void act(struct ctx *c)
{
    size_t rows[N], cols[N];
    size_t k;
    if (c->acted || c->action == NOTHING)
        return;
    c->acted = 1;
    switch (c->action) {
    case SET_SCHEME:
        CHECK_STATUS(fdvjp_config_set_scheme(c->cfg, FDVJP_FORWARD), FDVJP_OK);
        break;
    case SET_SPARSITY: /* a diagonal pattern: wrong for f, so using it would show */
        for (k = 0; k < N; k++)
            rows[k] = cols[k] = k;
        CHECK_STATUS(fdvjp_config_set_sparsity(c->cfg, rows, cols, N), FDVJP_OK);
        break;
    case CLEAR_SPARSITY:
        CHECK_STATUS(fdvjp_config_set_sparsity(c->cfg, NULL, NULL, 0), FDVJP_OK);
        break;
    case SET_BATCH:
        CHECK_STATUS(fdvjp_config_set_batch_size(c->cfg, 1), FDVJP_OK);
        break;
    case FREE_CONFIG:
        fdvjp_config_free(c->cfg);
        c->cfg = NULL;
        break;
    default:
        break;
    }
}

static void eval_point(const double *x, double *y)
{
    size_t i;
    for (i = 0; i < N; i++)
        y[i] = x[i] * x[i] * x[i] + (i > 0 ? x[i - 1] * x[i] : 0.0);
}

/* Acts at its third evaluation, in the middle of the computation. */
static int32_t f(void *user, const double *x, size_t n, double *y, size_t m)
{
    struct ctx *c = (struct ctx *)user;
    (void)n;
    (void)m;
    if (++c->calls == 3)
        act(c);
    eval_point(x, y);
    return 0;
}

static int32_t f_batch(void *user, const double *xs, size_t n, size_t k, double *ys, size_t m)
{
    struct ctx *c = (struct ctx *)user;
    size_t p;
    for (p = 0; p < k; p++)
        eval_point(xs + p * n, ys + p * m);
    c->calls += (int)k;
    act(c);
    return 0;
}

static int32_t progress(void *user, size_t done, size_t total)
{
    (void)total;
    if (done == 2)
        act((struct ctx *)user);
    return 0;
}

static const double X[N] = {0.3, -0.7, 1.1, 0.5, -1.3, 0.9, 0.2, -0.4};
static const double V[N] = {1.0, -2.0, 0.5, 0.25, 3.0, -1.0, 0.75, 2.0};

/* A config with a tridiagonal pattern (the true one), central differences. */
static fdvjp_config *make_config(int batch)
{
    size_t rows[3 * N], cols[3 * N], nnz = 0, i;
    fdvjp_config *cfg = fdvjp_config_new();
    for (i = 0; i < N; i++) {
        rows[nnz] = i, cols[nnz++] = i;
        if (i > 0)
            rows[nnz] = i, cols[nnz++] = i - 1;
        if (i + 1 < N)
            rows[nnz] = i, cols[nnz++] = i + 1;
    }
    CHECK_STATUS(fdvjp_config_set_sparsity(cfg, rows, cols, nnz), FDVJP_OK);
    if (batch)
        CHECK_STATUS(fdvjp_config_set_batch_size(cfg, 4), FDVJP_OK);
    return cfg;
}

/* The VJP with `action` done by f (or by the progress callback, or a batch function), compared
   bit for bit with the untouched run. */
static void run(enum action action, int via_progress, int batch)
{
    struct ctx ref = {NULL, NOTHING, 0, 0}, c = {NULL, action, 0, 0};
    double want[N], got[N];
    size_t j;
    int32_t s;
    char what[96];
    snprintf(what, sizeof what, "action %d%s%s", (int)action, via_progress ? " in progress" : "",
             batch ? " in a batch function" : "");

    ref.cfg = make_config(batch);
    if (via_progress)
        CHECK_STATUS(fdvjp_config_set_progress(ref.cfg, progress, &ref), FDVJP_OK);
    s = batch ? fdvjp_vjp_batch(ref.cfg, f_batch, &ref, X, N, N, V, want)
              : fdvjp_vjp(ref.cfg, f, &ref, X, N, N, V, want);
    CHECK_STATUS(s, FDVJP_OK);
    /* analytic: grad_j = v_j (3 x_j^2 + x_{j-1}) + v_{j+1} x_{j+1} */
    for (j = 0; j < N; j++)
        CHECK_CLOSE(want[j], V[j] * (3 * X[j] * X[j] + (j > 0 ? X[j - 1] : 0.0)) +
                                 (j + 1 < N ? V[j + 1] * X[j + 1] : 0.0),
                    1e-7);

    c.cfg = make_config(batch);
    if (via_progress)
        CHECK_STATUS(fdvjp_config_set_progress(c.cfg, progress, &c), FDVJP_OK);
    memset(got, 0, sizeof got);
    s = batch ? fdvjp_vjp_batch(c.cfg, f_batch, &c, X, N, N, V, got)
              : fdvjp_vjp(c.cfg, f, &c, X, N, N, V, got);
    if (!CHECK_STATUS(s, FDVJP_OK))
        fprintf(stderr, "    (%s)\n", what);
    if (!CHECK(c.acted) || !CHECK_INT(c.calls, ref.calls) ||
        !CHECK(memcmp(got, want, sizeof got) == 0))
        fprintf(stderr, "    (%s): the computation saw the change\n", what);

    /* the change applies to the next call */
    if (action != FREE_CONFIG) {
        struct ctx after = {c.cfg, NOTHING, 0, 0};
        CHECK_STATUS(fdvjp_vjp(c.cfg, f, &after, X, N, N, V, got), FDVJP_OK);
        if (action == SET_SCHEME) /* forward differences: 1 + 3 groups */
            CHECK_INT(after.calls, 1 + 3);
        if (action == SET_SPARSITY) /* the (wrong) diagonal pattern: one group */
            CHECK_INT(after.calls, 1 + 2);
        if (action == CLEAR_SPARSITY) /* dense central */
            CHECK_INT(after.calls, 1 + 2 * N);
    }
    fdvjp_config_free(ref.cfg);
    fdvjp_config_free(c.cfg);
}

/* A callback that frees the config, then runs a VJP of its own under a new one. */
static int32_t f_nested(void *user, const double *x, size_t n, double *y, size_t m)
{
    struct ctx *c = (struct ctx *)user;
    (void)n;
    (void)m;
    if (++c->calls == 2) {
        double g[N];
        struct ctx inner = {NULL, NOTHING, 0, 0};
        fdvjp_config_free(c->cfg);
        c->cfg = NULL;
        inner.cfg = make_config(0);
        CHECK_STATUS(fdvjp_vjp(inner.cfg, f, &inner, X, N, N, V, g), FDVJP_OK);
        fdvjp_config_free(inner.cfg);
        c->acted = 1;
    }
    eval_point(x, y);
    return 0;
}

int main(void)
{
    const enum action actions[] = {SET_SCHEME, SET_SPARSITY, CLEAR_SPARSITY, SET_BATCH,
                                   FREE_CONFIG};
    size_t a;
    for (a = 0; a < sizeof actions / sizeof actions[0]; a++) {
        run(actions[a], 0, 0);
        run(actions[a], 1, 0);
        run(actions[a], 0, 1);
        run(actions[a], 1, 1);
    }
    {
        struct ctx c = {NULL, NOTHING, 0, 0}, ref = {NULL, NOTHING, 0, 0};
        double want[N], got[N];
        ref.cfg = make_config(0);
        CHECK_STATUS(fdvjp_vjp(ref.cfg, f, &ref, X, N, N, V, want), FDVJP_OK);
        fdvjp_config_free(ref.cfg);
        c.cfg = make_config(0);
        CHECK_STATUS(fdvjp_vjp(c.cfg, f_nested, &c, X, N, N, V, got), FDVJP_OK);
        CHECK(c.acted);
        CHECK(memcmp(got, want, sizeof got) == 0);
    }
    return check_summary("test_config_reentry");
}
