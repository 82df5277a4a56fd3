// Error estimates, complex step and complex functions against analytic derivatives.
#include "fdvjp.hpp"

#include "check.hpp"
#include "suites.hpp"

#include <cmath>
#include <complex>
#include <vector>

namespace {

using fdvjp::complex;

// f(x) = [x0 x1, sin x2]; written once for doubles and complex numbers.
template <class T>
std::vector<T> f2(const std::vector<T>& x) {
    return {x[0] * x[1], std::sin(x[2])};
}

const std::vector<double> X{0.3, -1.2, 0.7};
const std::vector<double> V{2.0, -1.0};

void test_estimates() {
    const auto est = fdvjp::vjp_estimate(f2<double>, X, V);
    CHECK_NEAR(est.value[0], 2.0 * X[1], 1e-11);
    CHECK_NEAR(est.value[1], 2.0 * X[0], 1e-11);
    CHECK_NEAR(est.value[2], -std::cos(X[2]), 1e-11);
    for (double e : est.error) CHECK(e >= 0 && e < 1e-9);
    const auto jac = fdvjp::jacobian_estimate(f2<double>, X, 2);
    CHECK_NEAR(jac.value(1, 2), std::cos(X[2]), 1e-11);
    CHECK(jac.error.rows == 2 && jac.error.cols == 3);
    const std::vector<double> u{0, 0, 1};
    const auto jv = fdvjp::jvp_estimate(f2<double>, X, u, 2);
    CHECK_NEAR(jv.value[1], std::cos(X[2]), 1e-11);
}

void test_complex_step() {
    auto f = [](const std::vector<complex>& z) { return f2(z); };
    const auto grad = fdvjp::vjp_complex_step(f, X, V);
    CHECK_NEAR(grad[0], 2.0 * X[1], 1e-15);
    CHECK_NEAR(grad[2], -std::cos(X[2]), 1e-15);
    const auto jac = fdvjp::jacobian_complex_step(f, X, 2);
    CHECK_NEAR(jac(0, 1), X[0], 1e-15);
    const std::vector<double> u{1, 1, 1};
    const auto jv = fdvjp::jvp_complex_step(f, X, u, 2);
    CHECK_NEAR(jv[0], X[1] + X[0], 1e-15);
}

void test_complex_functions() {
    auto square = [](const std::vector<complex>& z) { return z[0] * z[0]; };
    const std::vector<complex> z{complex(1.0, 2.0)}, v{complex(1.0, -1.0)};
    const auto grad = fdvjp::complex_vjp(square, z, v);  // conj(2z) v
    const complex want = std::conj(2.0 * z[0]) * v[0];
    CHECK_NEAR(grad[0].real(), want.real(), 1e-8);
    CHECK_NEAR(grad[0].imag(), want.imag(), 1e-8);
    const auto jv = fdvjp::complex_jvp(square, z, v, 1);  // 2z u
    CHECK_NEAR(jv[0].real(), (2.0 * z[0] * v[0]).real(), 1e-8);
    CHECK_NEAR(jv[0].imag(), (2.0 * z[0] * v[0]).imag(), 1e-8);
    const auto jac = fdvjp::complex_jacobian(square, z, 1);  // [[Re A, -Im A], [Im A, Re A]]
    CHECK(jac.rows == 2 && jac.cols == 2);
    CHECK_NEAR(jac(0, 0), 2.0, 1e-8);
    CHECK_NEAR(jac(0, 1), -4.0, 1e-8);
    CHECK_NEAR(jac(1, 0), 4.0, 1e-8);
    CHECK_NEAR(jac(1, 1), 2.0, 1e-8);
}

}  // namespace

void run_accuracy_tests() {
    test_estimates();
    test_complex_step();
    test_complex_functions();
}
