/*
 * mpi_vjp.c: fdvjp's batch callback spreading the perturbed points over MPI ranks.
 *
 * Rank 0 asks fdvjp for a VJP of an expensive function (about 1 ms per call) through
 * fdvjp_vjp_batch. Each batch fdvjp hands over is split among the ranks: every rank
 * (rank 0 included) evaluates the points p with p % size == rank, and the values are
 * gathered back on rank 0. The other ranks wait in a loop for work until told to stop.
 *
 * Checks: the gradient equals the serial one (plain fdvjp_vjp on rank 0) bit for bit, and
 * matches the analytic gradient; prints both wall times (best of 3) and their ratio; the
 * ideal ratio with 2 ranks is (1 + 2n) / (1 + n) = 1.97, f(x) itself being serial.
 *
 *   mpicc -std=c99 -O2 -Iinclude examples/mpi_vjp.c -Ltarget/release -lfdvjp -lm -o mpi_vjp
 *   mpirun -np 2 ./mpi_vjp
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdvjp.h"

enum { N = 32, M = 4 };

/* f_i(x) = sum_j sin(x_j + i) * x_j^2 / (1 + i); made to cost ~1 ms by repeating the work
 * with a result that does not change (so the derivative stays analytic). */
static void expensive(const double *x, double *y, int repeats)
{
    for (int i = 0; i < M; i++) {
        double acc = 0.0;
        for (int r = 0; r < repeats; r++) {
            double s = 0.0;
            for (int j = 0; j < N; j++) {
                s += sin(x[j] + i) * x[j] * x[j];
            }
            acc = s; /* same value every repeat */
        }
        y[i] = acc / (1 + i);
    }
}

static int repeats = 1;

static int32_t serial_fn(void *user, const double *x, size_t n, double *y, size_t m)
{
    (void)user;
    if (n != N || m != M) {
        return 1;
    }
    expensive(x, y, repeats);
    return 0;
}

/* Work message: k points follow; k == 0 means stop. */
static void evaluate_share(int rank, int size, int k, const double *xs, double *ys)
{
    for (int p = rank; p < k; p += size) {
        expensive(xs + (size_t)p * N, ys + (size_t)p * M, repeats);
    }
}

static int32_t mpi_batch_fn(void *user, const double *xs, size_t n, size_t k, double *ys,
                            size_t m)
{
    int size = *(int *)user;
    if (n != N || m != M) {
        return 1;
    }
    int kk = (int)k;
    MPI_Bcast(&kk, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast((void *)xs, kk * N, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    double *mine = calloc(k * M, sizeof *mine);
    if (mine == NULL) {
        return 2;
    }
    evaluate_share(0, size, kk, xs, mine);
    /* Each point's values come from exactly one rank; the others contribute zeros. */
    MPI_Reduce(mine, ys, kk * M, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    free(mine);
    return 0;
}

static void worker(int rank, int size)
{
    for (;;) {
        int k = 0;
        MPI_Bcast(&k, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (k == 0) {
            return;
        }
        double *xs = malloc((size_t)k * N * sizeof *xs);
        double *ys = calloc((size_t)k * M, sizeof *ys);
        MPI_Bcast(xs, k * N, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        evaluate_share(rank, size, k, xs, ys);
        MPI_Reduce(ys, NULL, k * M, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
        free(xs);
        free(ys);
    }
}

/* Calibrates `repeats` so that one evaluation takes about 1 ms. */
static void calibrate(void)
{
    double x[N], y[M];
    for (int j = 0; j < N; j++) {
        x[j] = 0.1 * j;
    }
    repeats = 64;
    double t0 = MPI_Wtime();
    expensive(x, y, repeats);
    double per = (MPI_Wtime() - t0) / repeats;
    repeats = per > 0 ? (int)(1e-3 / per) : 1000;
    if (repeats < 1) {
        repeats = 1;
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) {
        calibrate();
    }
    MPI_Bcast(&repeats, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank != 0) {
        worker(rank, size);
        MPI_Finalize();
        return 0;
    }

    double x[N], v[M], serial[N], spread[N];
    for (int j = 0; j < N; j++) {
        x[j] = 0.3 + 0.05 * j;
    }
    for (int i = 0; i < M; i++) {
        v[i] = 1.0 - 0.25 * i;
    }
    fdvjp_config *cfg = fdvjp_config_new();
    int failed = 0;
    /* Best of 3 each: timings on a shared machine only ever come out too slow. */
    double t_serial = 1e30, t_mpi = 1e30;
    fdvjp_config_set_batch_size(cfg, 2 * N); /* all 2N perturbed points in one batch */
    for (int rep = 0; rep < 3; rep++) {
        double t0 = MPI_Wtime();
        if (fdvjp_vjp(NULL, serial_fn, NULL, x, N, M, v, serial) != FDVJP_OK) {
            failed = 1;
        }
        double t = MPI_Wtime() - t0;
        t_serial = t < t_serial ? t : t_serial;
        t0 = MPI_Wtime();
        if (fdvjp_vjp_batch(cfg, mpi_batch_fn, &size, x, N, M, v, spread) != FDVJP_OK) {
            char msg[256];
            fdvjp_last_error(msg, sizeof msg);
            fprintf(stderr, "fdvjp_vjp_batch: %s\n", msg);
            failed = 1;
        }
        t = MPI_Wtime() - t0;
        t_mpi = t < t_mpi ? t : t_mpi;
    }
    int stop = 0;
    MPI_Bcast(&stop, 1, MPI_INT, 0, MPI_COMM_WORLD);
    fdvjp_config_free(cfg);

    double worst = 0.0;
    for (int j = 0; j < N; j++) {
        double exact = 0.0;
        for (int i = 0; i < M; i++) {
            double c = cos(x[j] + i), s = sin(x[j] + i);
            exact += v[i] * (c * x[j] * x[j] + 2.0 * s * x[j]) / (1 + i);
        }
        double err = fabs(spread[j] - exact) / fmax(1.0, fabs(exact));
        worst = err > worst ? err : worst;
    }
    int identical = memcmp(serial, spread, sizeof serial) == 0;
    printf("ranks %d, n = %d, m = %d, %d evaluations of ~1 ms\n", size, N, M, 1 + 2 * N);
    printf("serial   %.1f ms\nmpi      %.1f ms\nspeed-up %.2fx\n", 1e3 * t_serial, 1e3 * t_mpi,
           t_serial / t_mpi);
    printf("gradient identical to serial: %s; max relative error vs analytic %.2e\n",
           identical ? "yes" : "NO", worst);
    MPI_Finalize();
    return failed || !identical || worst > 1e-8;
}
