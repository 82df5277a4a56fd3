// header_cpp.cpp: include/fdvjp.h is C++-clean (g++ -std=c++17 -Wall -Wextra -Werror
// -pedantic), and the API is usable from C++: a captureless lambda as the callback, the
// enums as typed constants, RAII for the config. Exits non-zero if the gradient is wrong.
#include "fdvjp.h"

#include <cmath>
#include <cstdio>
#include <memory>

int main()
{
    using config_ptr = std::unique_ptr<fdvjp_config, decltype(&fdvjp_config_free)>;
    config_ptr cfg(fdvjp_config_new(), &fdvjp_config_free);

    // f(x) = x0^2 x1 + sin(x1): gradient [2 x0 x1, x0^2 + cos(x1)].
    fdvjp_fn f = [](void *, const double *x, size_t, double *y, size_t) -> int32_t {
        y[0] = x[0] * x[0] * x[1] + std::sin(x[1]);
        return 0;
    };
    const double x[2] = {1.5, -0.5}, v[1] = {1.0};
    double grad[2] = {0.0, 0.0};

    fdvjp_status s = fdvjp_config_set_scheme(cfg.get(), FDVJP_CENTRAL4);
    if (s == FDVJP_OK)
        s = fdvjp_vjp(cfg.get(), f, nullptr, x, 2, 1, v, grad);
    if (s != FDVJP_OK) {
        char msg[256];
        fdvjp_last_error(msg, sizeof msg);
        std::printf("header_cpp: %s: %s\n", fdvjp_status_str(s), msg);
        return 1;
    }
    const double want[2] = {2.0 * x[0] * x[1], x[0] * x[0] + std::cos(x[1])};
    const bool ok = std::fabs(grad[0] - want[0]) < 1e-10 && std::fabs(grad[1] - want[1]) < 1e-10;
    std::printf("header_cpp: gradient [%.12f, %.12f], %s\n", grad[0], grad[1],
                ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
