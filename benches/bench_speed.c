/*
 * bench_speed.c: fdvjp against what a user would write by hand, shape by shape (issue 15).
 *
 * Every row times fdvjp through its C API and the floor, a bare hand-written C loop doing
 * the same evaluations of the same C function, in the same process, interleaved, best of
 * many short samples (about 2 ms each: the machine's other work only ever slows a sample
 * down, and on a shared machine short samples are the ones that run undisturbed), and
 * prints the ratio fdvjp / bare:
 *
 *   vjp      the dense VJP with the default config (central), with forward differences and
 *            with the plain rule (the default step set explicitly, noise estimation off: the
 *            central stencil without the step rule's checks), on four functions: a tridiagonal linear system 1000 -> 1000 (dense Jacobian),
 *            softmax 100 -> 100, logsumexp 4 -> 1, the least-squares slope of 8 points 8 -> 1.
 *   tape     the gradient of loss = sum(exp(-tanh(x^2 + sin x)) * x) at lengths 10, 1000 and
 *            100000: recorded on a fresh tape + backward + grad ("record"), and replayed on
 *            a recorded tape (set_input + forward + backward + grad), against one fused
 *            hand-written loop.
 *   threads  n = 32, a 1 ms function: fdvjp with 1 and 2 threads (and all cores when there
 *            are more) against bare pthreads splitting the same evaluations statically;
 *            then the same with a function that sleeps 1 ms (1, 2 and 16 threads): the
 *            threads' own cost, which the machine's other load does not hide.
 *   sparse   a tridiagonal black box at n = 10000, 100 VJPs: dense (one VJP timed, times
 *            100), the pattern given with fdvjp_config_set_sparsity, and learned (the row
 *            that fdvjp_config_detect_sparsity fills), with evaluation counts; and learned
 *            on a function whose coupling grows after the 50th VJP (where the check first
 *            re-learns, and the largest error of any VJP).
 *
 * Run it with `bash benches/run.sh` (which also runs bench_vjp), or `bash benches/run.sh
 * speed` for this one alone. About a minute on a 2-core machine.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdvjp.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void check(fdvjp_status s, const char *what)
{
    if (s != FDVJP_OK) {
        char msg[512];
        fdvjp_last_error(msg, sizeof msg);
        fprintf(stderr, "%s failed: %s: %s\n", what, fdvjp_status_str(s), msg);
        exit(1);
    }
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* ---------------------------------------------------------------- the functions */

static long calls; /* evaluations of the test functions (single-threaded rows only) */

/* y solves T y = x with T tridiagonal: diagonal 4 + x_i^2 / 10, off-diagonals -1 (the
 * Thomas algorithm). Its Jacobian is dense. */
static int32_t tridiagonal_system(void *user, const double *x, size_t n, double *y, size_t m)
{
    double *c = user; /* n doubles of scratch */
    (void)m;
    calls++;
    double b = 4.0 + 0.1 * x[0] * x[0];
    c[0] = -1.0 / b;
    y[0] = x[0] / b;
    for (size_t i = 1; i < n; i++) {
        b = 4.0 + 0.1 * x[i] * x[i] + c[i - 1];
        c[i] = -1.0 / b;
        y[i] = (x[i] + y[i - 1]) / b;
    }
    for (size_t i = n - 1; i-- > 0;) {
        y[i] -= c[i] * y[i + 1];
    }
    return 0;
}

static int32_t softmax(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    calls++;
    double top = x[0], sum = 0.0;
    for (size_t i = 1; i < n; i++) {
        top = x[i] > top ? x[i] : top;
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = exp(x[i] - top);
        sum += y[i];
    }
    for (size_t i = 0; i < n; i++) {
        y[i] /= sum;
    }
    return 0;
}

static int32_t logsumexp(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    calls++;
    double top = x[0], sum = 0.0;
    for (size_t i = 1; i < n; i++) {
        top = x[i] > top ? x[i] : top;
    }
    for (size_t i = 0; i < n; i++) {
        sum += exp(x[i] - top);
    }
    y[0] = top + log(sum);
    return 0;
}

/* The least-squares slope of the points (i, x_i), i = 0 .. n-1. */
static int32_t slope(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    calls++;
    double tbar = 0.5 * (double)(n - 1), xbar = 0.0, sxy = 0.0, sxx = 0.0;
    for (size_t i = 0; i < n; i++) {
        xbar += x[i];
    }
    xbar /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i - tbar;
        sxy += t * (x[i] - xbar);
        sxx += t * t;
    }
    y[0] = sxy / sxx;
    return 0;
}

/* ---------------------------------------------------------------- bare VJP loops */

typedef struct {
    fdvjp_fn f;
    void *user;
    size_t n, m;
    const double *x, *v;
    double *xp, *y0, *yp, *ym; /* the bare loop's buffers, allocated once by the caller */
} problem;

/* Central differences by hand: f(x) (as fdvjp evaluates it), then x_j +- h for each j,
 * h = cbrt(eps) max(|x_j|, 1) made exact, and one pass sum_i v_i (f+ - f-) / 2h. */
static void bare_central(const problem *p, double *grad)
{
    const double r = 6.055454452393343e-06; /* cbrt(DBL_EPSILON) */
    memcpy(p->xp, p->x, p->n * sizeof *p->xp);
    p->f(p->user, p->x, p->n, p->y0, p->m);
    for (size_t j = 0; j < p->n; j++) {
        double xj = p->x[j], h = r * fmax(fabs(xj), 1.0);
        h = (xj + h) - xj;
        p->xp[j] = xj + h;
        p->f(p->user, p->xp, p->n, p->yp, p->m);
        p->xp[j] = xj - h;
        p->f(p->user, p->xp, p->n, p->ym, p->m);
        p->xp[j] = xj;
        double g = 0.0;
        for (size_t i = 0; i < p->m; i++) {
            g += p->v[i] * (p->yp[i] - p->ym[i]);
        }
        grad[j] = g / (2.0 * h);
    }
}

/* Forward differences by hand: f(x), then x_j + h, h = sqrt(eps) max(|x_j|, 1). */
static void bare_forward(const problem *p, double *grad)
{
    const double r = 1.4901161193847656e-08; /* sqrt(DBL_EPSILON) */
    memcpy(p->xp, p->x, p->n * sizeof *p->xp);
    p->f(p->user, p->x, p->n, p->y0, p->m);
    for (size_t j = 0; j < p->n; j++) {
        double xj = p->x[j], h = r * fmax(fabs(xj), 1.0);
        h = (xj + h) - xj;
        p->xp[j] = xj + h;
        p->f(p->user, p->xp, p->n, p->yp, p->m);
        p->xp[j] = xj;
        double g = 0.0;
        for (size_t i = 0; i < p->m; i++) {
            g += p->v[i] * (p->yp[i] - p->y0[i]);
        }
        grad[j] = g / h;
    }
}

/* Repetitions of `run` that take about `target` seconds. */
typedef void (*runner)(void *ctx);

static long calibrate(runner run, void *ctx, double target)
{
    long reps = 1;
    for (;;) {
        double t0 = now();
        for (long k = 0; k < reps; k++) {
            run(ctx);
        }
        double t = now() - t0;
        if (t > target / 4 || reps > (1L << 30)) {
            long want = (long)(reps * target / (t > 0 ? t : 1e-9));
            return want > 0 ? want : 1;
        }
        reps *= 4;
    }
}

/* Best time per run of `a` and of `b`, `samples` interleaved samples of `reps` runs. */
static void race(runner a, void *ca, runner b, void *cb, int samples, double target, double *ta,
                 double *tb)
{
    long ra = calibrate(a, ca, target), rb = calibrate(b, cb, target);
    *ta = *tb = INFINITY;
    for (int s = 0; s < samples; s++) {
        double t0 = now();
        for (long k = 0; k < ra; k++) {
            a(ca);
        }
        *ta = fmin(*ta, (now() - t0) / ra);
        t0 = now();
        for (long k = 0; k < rb; k++) {
            b(cb);
        }
        *tb = fmin(*tb, (now() - t0) / rb);
    }
}

static const char *unit(double seconds, double *scaled)
{
    if (seconds >= 1e-3) {
        *scaled = seconds * 1e3;
        return "ms";
    }
    if (seconds >= 1e-6) {
        *scaled = seconds * 1e6;
        return "us";
    }
    *scaled = seconds * 1e9;
    return "ns";
}

static void print_times(const char *label, double fd, double bare, const char *extra)
{
    double a, b;
    const char *ua = unit(fd, &a), *ub = unit(bare, &b);
    printf("%-38s fdvjp %8.2f %s  bare %8.2f %s  ratio %5.2f  %s\n", label, a, ua, b, ub,
           fd / bare, extra);
}

typedef struct {
    problem p;
    fdvjp_config *cfg; /* NULL: the defaults */
    double *grad_fd, *grad_bare;
    int forward;
} vjp_row;

static void run_fdvjp(void *ctx)
{
    vjp_row *r = ctx;
    check(fdvjp_vjp(r->cfg, r->p.f, r->p.user, r->p.x, r->p.n, r->p.m, r->p.v, r->grad_fd),
          "fdvjp_vjp");
}

static void run_bare(void *ctx)
{
    vjp_row *r = ctx;
    if (r->forward) {
        bare_forward(&r->p, r->grad_bare);
    } else {
        bare_central(&r->p, r->grad_bare);
    }
}

static void vjp_rows(const char *name, fdvjp_fn f, void *user, size_t n, size_t m, int samples)
{
    double *x = xmalloc(n * sizeof *x), *v = xmalloc(m * sizeof *v);
    for (size_t j = 0; j < n; j++) {
        x[j] = 0.3 + 0.7 * sin(1.0 + (double)j);
    }
    for (size_t i = 0; i < m; i++) {
        v[i] = 1.0 + 0.5 * cos((double)i);
    }
    vjp_row r = {
        .p = {f, user, n, m, x, v, xmalloc(n * sizeof(double)), xmalloc(m * sizeof(double)),
              xmalloc(m * sizeof(double)), xmalloc(m * sizeof(double))},
        .grad_fd = xmalloc(n * sizeof(double)),
        .grad_bare = xmalloc(n * sizeof(double)),
    };
    fdvjp_config *forward = fdvjp_config_new();
    check(fdvjp_config_set_scheme(forward, FDVJP_FORWARD), "fdvjp_config_set_scheme");
    /* The plain rule: the default's step set explicitly, which turns off the step rule's
     * checks and refinements (README, "Step rule"), and no noise estimation: what the
     * default's accuracy checks cost, against the same bare loop. */
    fdvjp_config *plain = fdvjp_config_new();
    check(fdvjp_config_set_relative_step(plain, 6.055454452393343e-06), "set_relative_step");
    check(fdvjp_config_set_noise_mode(plain, FDVJP_NOISE_OFF), "set_noise_mode");
    for (int scheme = 0; scheme < 3; scheme++) {
        r.forward = scheme == 1;
        r.cfg = scheme == 1 ? forward : scheme == 2 ? plain : NULL;
        calls = 0;
        run_fdvjp(&r);
        long evals_fd = calls;
        calls = 0;
        run_bare(&r);
        long evals_bare = calls;
        double fd, bare, diff = 0.0, size = 0.0;
        race(run_fdvjp, &r, run_bare, &r, samples, 0.002, &fd, &bare);
        for (size_t j = 0; j < n; j++) {
            diff = fmax(diff, fabs(r.grad_fd[j] - r.grad_bare[j]));
            size = fmax(size, fabs(r.grad_bare[j]));
        }
        char label[64], extra[96];
        const char *kinds[] = {"central", "forward", "plain"};
        snprintf(label, sizeof label, "vjp %-7s %-18s %4zu->%-4zu", kinds[scheme], name, n, m);
        snprintf(extra, sizeof extra, "evaluations %ld/%ld  max|diff| %.1e of %.1e", evals_fd,
                 evals_bare, diff, size);
        print_times(label, fd, bare, extra);
    }
    fdvjp_config_free(forward);
    fdvjp_config_free(plain);
    free(x);
    free(v);
    free(r.p.xp);
    free(r.p.y0);
    free(r.p.yp);
    free(r.p.ym);
    free(r.grad_fd);
    free(r.grad_bare);
}

/* ---------------------------------------------------------------- the tape */

/* loss = sum(exp(-tanh(x^2 + sin x)) * x) and its gradient, in one hand-written pass. */
static double hand_chain(const double *x, size_t n, double *grad)
{
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double xi = x[i], s = sin(xi), c = cos(xi);
        double d = tanh(xi * xi + s), e = exp(-d);
        loss += e * xi;
        grad[i] = e - xi * e * (1.0 - d * d) * (2.0 * xi + c);
    }
    return loss;
}

/* Records the chain on `t` over a new input x; returns the input and the loss. */
static void record_chain(fdvjp_tape *t, const double *x, size_t n, fdvjp_var *in,
                         fdvjp_var *loss)
{
    fdvjp_var sq, s, c, d, nd, e, f;
    check(fdvjp_tape_input(t, x, n, in), "fdvjp_tape_input");
    check(fdvjp_tape_unary(t, FDVJP_OP_SQUARE, *in, &sq), "square");
    check(fdvjp_tape_unary(t, FDVJP_OP_SIN, *in, &s), "sin");
    check(fdvjp_tape_binary(t, FDVJP_OP_ADD, sq, s, &c), "add");
    check(fdvjp_tape_unary(t, FDVJP_OP_TANH, c, &d), "tanh");
    check(fdvjp_tape_unary(t, FDVJP_OP_NEG, d, &nd), "neg");
    check(fdvjp_tape_unary(t, FDVJP_OP_EXP, nd, &e), "exp");
    check(fdvjp_tape_binary(t, FDVJP_OP_MUL, e, *in, &f), "mul");
    check(fdvjp_tape_reduce(t, FDVJP_REDUCE_SUM, f, loss), "sum");
}

typedef struct {
    const double *x;
    size_t n;
    double *grad_tape, *grad_hand;
    fdvjp_tape *tape; /* the recorded tape replayed */
    fdvjp_var in, loss;
} tape_row;

static void run_hand(void *ctx)
{
    tape_row *r = ctx;
    volatile double loss = hand_chain(r->x, r->n, r->grad_hand);
    (void)loss;
}

static void run_record(void *ctx)
{
    tape_row *r = ctx;
    fdvjp_tape *t = fdvjp_tape_new();
    fdvjp_var in, loss;
    record_chain(t, r->x, r->n, &in, &loss);
    check(fdvjp_tape_backward(t, loss, NULL, 0), "fdvjp_tape_backward");
    check(fdvjp_tape_grad(t, in, r->grad_tape, r->n), "fdvjp_tape_grad");
    fdvjp_tape_free(t);
}

static void run_replay(void *ctx)
{
    tape_row *r = ctx;
    check(fdvjp_tape_set_input(r->tape, r->in, r->x, r->n), "fdvjp_tape_set_input");
    check(fdvjp_tape_forward(r->tape), "fdvjp_tape_forward");
    check(fdvjp_tape_backward(r->tape, r->loss, NULL, 0), "fdvjp_tape_backward");
    check(fdvjp_tape_grad(r->tape, r->in, r->grad_tape, r->n), "fdvjp_tape_grad");
}

static void tape_rows(size_t n)
{
    double *x = xmalloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        x[i] = (double)(i * 37 % 101) / 50.0 - 1.0;
    }
    tape_row r = {x, n, xmalloc(n * sizeof(double)), xmalloc(n * sizeof(double)), fdvjp_tape_new(),
                  0, 0};
    record_chain(r.tape, x, n, &r.in, &r.loss);
    const char *names[2] = {"record + backward", "replay + backward"};
    runner runs[2] = {run_record, run_replay};
    for (int k = 0; k < 2; k++) {
        double fd, hand, diff = 0.0;
        race(runs[k], &r, run_hand, &r, 41, 0.002, &fd, &hand);
        for (size_t i = 0; i < n; i++) {
            diff = fmax(diff, fabs(r.grad_tape[i] - r.grad_hand[i]));
        }
        char label[64], extra[64];
        snprintf(label, sizeof label, "tape %-17s n = %6zu", names[k], n);
        snprintf(extra, sizeof extra, "(8 nodes)  max|diff| %.1e", diff);
        print_times(label, fd, hand, extra);
    }
    fdvjp_tape_free(r.tape);
    free(x);
    free(r.grad_tape);
    free(r.grad_hand);
}

/* ---------------------------------------------------------------- threads */

/* About `repeats` steps of a dependent recurrence (no effect on y), then a cheap f:
 * y_0 = sum sin(x_j), y_1 = sum x_j^2 / 2. Thread-safe (no shared state). */
static int32_t slow(void *user, const double *x, size_t n, double *y, size_t m)
{
    long repeats = *(const long *)user;
    volatile double w = 0.5;
    double u = w;
    for (long r = 0; r < repeats; r++) {
        u = 3.7 * u * (1.0 - u);
    }
    w = u;
    double s = 0.0, q = 0.0;
    for (size_t j = 0; j < n; j++) {
        s += sin(x[j]);
        q += 0.5 * x[j] * x[j];
    }
    y[0] = s + (w > 2.0 ? 1.0 : 0.0);
    if (m > 1) {
        y[1] = q;
    }
    return 0;
}

typedef struct {
    const problem *p;
    size_t first, last; /* the columns of this thread */
    double *grad;
} bare_share;

static void *bare_thread(void *arg)
{
    bare_share *s = arg;
    const problem *p = s->p;
    double *xp = xmalloc(p->n * sizeof *xp), yp[2], ym[2];
    memcpy(xp, p->x, p->n * sizeof *xp);
    const double r = 6.055454452393343e-06;
    for (size_t j = s->first; j < s->last; j++) {
        double xj = p->x[j], h = r * fmax(fabs(xj), 1.0);
        h = (xj + h) - xj;
        xp[j] = xj + h;
        p->f(p->user, xp, p->n, yp, p->m);
        xp[j] = xj - h;
        p->f(p->user, xp, p->n, ym, p->m);
        xp[j] = xj;
        double g = 0.0;
        for (size_t i = 0; i < p->m; i++) {
            g += p->v[i] * (yp[i] - ym[i]);
        }
        s->grad[j] = g / (2.0 * h);
    }
    free(xp);
    return NULL;
}

/* The same 1 + 2n evaluations as fdvjp: f(x) on the calling thread, then the columns
 * split statically over `threads` new pthreads, joined. */
static void bare_threads(const problem *p, int threads, double *grad)
{
    double y0[2];
    p->f(p->user, p->x, p->n, y0, p->m);
    pthread_t ids[64];
    bare_share shares[64];
    for (int k = 0; k < threads; k++) {
        shares[k] = (bare_share){p, p->n * k / threads, p->n * (k + 1) / threads, grad};
        if (pthread_create(&ids[k], NULL, bare_thread, &shares[k]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(1);
        }
    }
    for (int k = 0; k < threads; k++) {
        pthread_join(ids[k], NULL);
    }
}

static long repeats_for(double target)
{
    long reps = 100000;
    double x[32] = {0}, y[2];
    double t0 = now();
    slow(&reps, x, 32, y, 2);
    double t = now() - t0;
    return (long)(reps * target / t);
}

/* The same f after sleeping about 1 ms instead of computing: threads that sleep do not
 * compete for the CPUs, so its rows show the threads' own cost (starting them, handing out
 * points, waiting at the end of each batch) whatever else the machine runs, and at more
 * threads than it has cores. */
static int32_t sleeper(void *user, const double *x, size_t n, double *y, size_t m)
{
    long zero = 0;
    const struct timespec ms = {0, 1000000L};
    (void)user;
    nanosleep(&ms, NULL);
    return slow(&zero, x, n, y, m);
}

/* fdvjp with 1, 2 and `many` threads against as many bare pthreads, on f (user: the
 * repeats of `slow`, calibrated here). */
static void thread_rows_of(fdvjp_fn f, const char *what, int many)
{
    enum { N = 32 };
    double x[N], v[2] = {1.0, -0.5}, g_serial[N], g_fd[N], g_bare[N];
    for (size_t j = 0; j < N; j++) {
        x[j] = 0.5 + 0.01 * (double)j;
    }
    /* The best of 5 calibrations: a slow one would make f faster than 1 ms. */
    long repeats = 0;
    for (int k = 0; k < 5; k++) {
        long r = repeats_for(1e-3);
        repeats = r > repeats ? r : repeats;
    }
    problem p = {f, &repeats, N, 2, x, v, NULL, NULL, NULL, NULL};
    int counts[3] = {1, 2, many};
    int rows = many > 2 ? 3 : 2;
    double serial_fd = INFINITY, serial_bare = INFINITY;
    for (int c = 0; c < rows; c++) {
        int threads = counts[c];
        fdvjp_config *cfg = fdvjp_config_new();
        check(fdvjp_config_set_threads(cfg, (size_t)threads), "fdvjp_config_set_threads");
        double fd = INFINITY, bare = INFINITY;
        for (int s = 0; s < 5; s++) {
            double t0 = now();
            check(fdvjp_vjp(cfg, f, &repeats, x, N, 2, v, g_fd), "fdvjp_vjp");
            fd = fmin(fd, now() - t0);
            t0 = now();
            bare_threads(&p, threads, g_bare);
            bare = fmin(bare, now() - t0);
        }
        fdvjp_config_free(cfg);
        if (threads == 1) {
            serial_fd = fd;
            serial_bare = bare;
            memcpy(g_serial, g_fd, sizeof g_serial);
        }
        char label[64], extra[160];
        snprintf(label, sizeof label, "threads %2d  n = 32, 1 ms %s", threads, what);
        snprintf(extra, sizeof extra,
                 "speed-up fdvjp %.2fx bare %.2fx (ideal %.2fx)  identical to serial: %s",
                 serial_fd / fd, serial_bare / bare,
                 (2.0 * N + 1) / (ceil(2.0 * N / threads) + 1.0),
                 memcmp(g_serial, g_fd, sizeof g_fd) == 0 ? "yes" : "NO");
        print_times(label, fd, bare, extra);
    }
}

static void thread_rows(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    thread_rows_of(slow, "function", (int)(cores > 64 ? 64 : cores));
    thread_rows_of(sleeper, "sleep", 16);
}

/* ---------------------------------------------------------------- learned sparsity */

/* A tridiagonal black box: y_i = x_i^2 - x_{i-1} + 2 x_{i+1}. */
static int32_t tridiagonal(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    (void)m;
    calls++;
    for (size_t i = 0; i < n; i++) {
        y[i] = x[i] * x[i] - (i > 0 ? x[i - 1] : 0.0) + (i + 1 < n ? 2.0 * x[i + 1] : 0.0);
    }
    return 0;
}

/* Set from the 51st VJP of the drifting row on: y_i also depends on x_{i+2}. */
static int grown;

/* The tridiagonal black box, plus 0.5 x_{i+2} in y_i once `grown` is set: a learned
 * pattern that turns wrong midway (issue 15 item 3). */
static int32_t drifting(void *user, const double *x, size_t n, double *y, size_t m)
{
    tridiagonal(user, x, n, y, m);
    for (size_t i = 0; grown && i + 2 < n; i++) {
        y[i] += 0.5 * x[i + 2];
    }
    return 0;
}

static double tridiagonal_error(const double *x, size_t n, const double *g)
{
    double worst = 0.0;
    for (size_t j = 0; j < n; j++) { /* v = 1: column sums of J */
        double exact = 2.0 * x[j] - (j + 1 < n ? 1.0 : 0.0) + (j > 0 ? 2.0 : 0.0) +
                       (grown && j >= 2 ? 0.5 : 0.0);
        worst = fmax(worst, fabs(g[j] - exact));
    }
    return worst;
}

static void sparse_rows(void)
{
    enum { N = 10000, CALLS = 100 };
    double *x = xmalloc(N * sizeof *x), *v = xmalloc(N * sizeof *v), *g = xmalloc(N * sizeof *g);
    size_t *rows = xmalloc(3 * N * sizeof *rows), *cols = xmalloc(3 * N * sizeof *cols), nnz = 0;
    for (size_t i = 0; i < N; i++) {
        x[i] = 0.1 * (double)(i % 7);
        v[i] = 1.0;
        for (size_t j = i > 0 ? i - 1 : 0; j <= i + 1 && j < N; j++) {
            rows[nnz] = i;
            cols[nnz++] = j;
        }
    }
    /* Dense: one VJP timed; 100 of them would take minutes. */
    calls = 0;
    double t0 = now();
    check(fdvjp_vjp(NULL, tridiagonal, NULL, x, N, N, v, g), "fdvjp_vjp");
    double dense = now() - t0;
    printf("sparse dense     n = %d, %d VJPs: %9ld evaluations, %8.2f s (one timed, x %d), "
           "max error %.1e\n",
           N, CALLS, calls * CALLS, dense * CALLS, CALLS, tridiagonal_error(x, N, g));
    /* The pattern given by the caller. */
    fdvjp_config *cfg = fdvjp_config_new();
    check(fdvjp_config_set_sparsity(cfg, rows, cols, nnz), "fdvjp_config_set_sparsity");
    calls = 0;
    double worst = 0.0;
    t0 = now();
    for (int k = 0; k < CALLS; k++) {
        check(fdvjp_vjp(cfg, tridiagonal, NULL, x, N, N, v, g), "fdvjp_vjp");
        worst = fmax(worst, tridiagonal_error(x, N, g));
    }
    double given = now() - t0;
    printf("sparse given     n = %d, %d VJPs: %9ld evaluations, %8.4f s, max error %.1e\n", N,
           CALLS, calls, given, worst);
    fdvjp_config_free(cfg);
    /* Learned: fdvjp_config_detect_sparsity, then the same 100 VJPs, each verified by the
     * check (issue 15 item 3): 2(n + 1) + 100 x 9 evaluations. */
    cfg = fdvjp_config_new();
    calls = 0;
    worst = 0.0;
    int relearned = 0;
    t0 = now();
    check(fdvjp_config_detect_sparsity(cfg, tridiagonal, NULL, x, N, N),
          "fdvjp_config_detect_sparsity");
    for (int k = 0; k < CALLS; k++) {
        check(fdvjp_vjp(cfg, tridiagonal, NULL, x, N, N, v, g), "fdvjp_vjp");
        fdvjp_report r;
        check(fdvjp_last_report(&r, sizeof r), "fdvjp_last_report");
        relearned += r.sparsity_relearned;
        worst = fmax(worst, tridiagonal_error(x, N, g));
    }
    double learned = now() - t0;
    printf("sparse learned   n = %d, %d VJPs: %9ld evaluations, %8.4f s, max error %.1e "
           "(goal <= 2(n+1) + 900 = %d; re-learned %d times)\n",
           N, CALLS, calls, learned, worst, 2 * (N + 1) + 9 * CALLS, relearned);
    fdvjp_config_free(cfg);
    /* Learned, and the function's coupling grows after the 50th VJP: the check must catch
     * it at the 51st, whose result must still be right. */
    cfg = fdvjp_config_new();
    calls = 0;
    worst = 0.0;
    relearned = 0;
    int first = -1;
    grown = 0;
    check(fdvjp_config_detect_sparsity(cfg, drifting, NULL, x, N, N),
          "fdvjp_config_detect_sparsity");
    for (int k = 0; k < CALLS; k++) {
        grown = k >= CALLS / 2;
        check(fdvjp_vjp(cfg, drifting, NULL, x, N, N, v, g), "fdvjp_vjp");
        fdvjp_report r;
        check(fdvjp_last_report(&r, sizeof r), "fdvjp_last_report");
        relearned += r.sparsity_relearned;
        if (r.sparsity_relearned && first < 0) {
            first = k + 1;
        }
        worst = fmax(worst, tridiagonal_error(x, N, g));
    }
    grown = 0;
    printf("sparse drifting  n = %d, %d VJPs: %9ld evaluations, coupling grows after VJP %d, "
           "first re-learned at VJP %d, re-learned %d times, max error %.1e\n",
           N, CALLS, calls, CALLS / 2, first, relearned, worst);
    fdvjp_config_free(cfg);
    free(x);
    free(v);
    free(g);
    free(rows);
    free(cols);
}

/* ---------------------------------------------------------------- main */

int main(void)
{
    size_t n = 1000;
    double *scratch = xmalloc(n * sizeof *scratch);
    printf("fdvjp / bare: the ratio of the best times of the two, interleaved; "
           "evaluations fdvjp/bare\n");
    vjp_rows("tridiagonal system", tridiagonal_system, scratch, n, n, 15);
    vjp_rows("softmax", softmax, NULL, 100, 100, 41);
    vjp_rows("logsumexp", logsumexp, NULL, 4, 1, 41);
    vjp_rows("least-squares slope", slope, NULL, 8, 1, 41);
    free(scratch);
    tape_rows(10);
    tape_rows(1000);
    tape_rows(100000);
    thread_rows();
    sparse_rows();
    return 0;
}
