/* Built against an installed fdvjp (pkg-config or CMake): the logsumexp gradient, whose
 * exact value is softmax(x), within 1e-8 (central differences). Prints "ok" and exits 0
 * on success. */
#include <fdvjp.h>
#include <math.h>
#include <stdio.h>

static int32_t logsumexp(void *user, const double *x, size_t n, double *y, size_t m) {
    (void)user;
    (void)m;
    double top = x[0], sum = 0.0;
    for (size_t j = 1; j < n; j++) top = x[j] > top ? x[j] : top;
    for (size_t j = 0; j < n; j++) sum += exp(x[j] - top);
    y[0] = top + log(sum);
    return 0;
}

int main(void) {
    const double x[4] = {0.5, -1.0, 2.0, 3.0}, v[1] = {1.0};
    double grad[4], total = 0.0;
    fdvjp_status status = fdvjp_vjp(NULL, logsumexp, NULL, x, 4, 1, v, grad);
    if (status != FDVJP_OK) {
        char message[256];
        fdvjp_last_error(message, sizeof message);
        fprintf(stderr, "%s: %s\n", fdvjp_status_str(status), message);
        return 1;
    }
    for (size_t j = 0; j < 4; j++) total += exp(x[j]);
    for (size_t j = 0; j < 4; j++) {
        if (fabs(grad[j] - exp(x[j]) / total) > 1e-8) {
            fprintf(stderr, "grad[%zu] = %.17g, want %.17g\n", j, grad[j], exp(x[j]) / total);
            return 1;
        }
    }
    puts("ok");
    return 0;
}
