// The C++ wrapper from an installed fdvjp (pkg-config): d/dx sum(x^2) = 2x within 1e-8.
#include <fdvjp.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    auto squares = [](const std::vector<double>& x) {
        double s = 0;
        for (double xi : x) s += xi * xi;
        return s;
    };
    const std::vector<double> x{1.0, -2.0, 0.5}, one{1.0};
    const auto grad = fdvjp::vjp(squares, x, one);
    for (std::size_t j = 0; j < x.size(); ++j)
        if (std::fabs(grad[j] - 2 * x[j]) > 1e-8) return 1;
    std::puts("ok");
    return 0;
}
