// The C++ wrapper against analytic derivatives, plus its error and exception behaviour.
#include "fdvjp.hpp"
#include "fdvjp.hpp"  // twice on purpose: the include guard must make this harmless

#include "check.hpp"
#include "shared_function.hpp"
#include "suites.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace {

// f: R^3 -> R^3 with the Jacobian below (out-parameter form).
void f3(fdvjp::span<const double> x, fdvjp::span<double> y) {
    y[0] = x[0] * x[1];
    y[1] = std::sin(x[2]);
    y[2] = std::exp(x[0]) * x[1] * x[1];
}

double jac_f3(const std::vector<double>& x, std::size_t i, std::size_t j) {
    const double table[3][3] = {
        {x[1], x[0], 0.0},
        {0.0, 0.0, std::cos(x[2])},
        {std::exp(x[0]) * x[1] * x[1], 2 * std::exp(x[0]) * x[1], 0.0},
    };
    return table[i][j];
}

const std::vector<double> X{0.3, -1.2, 0.7};
const std::vector<double> V{1.0, -2.0, 0.5};
const std::vector<double> U{0.2, 0.1, -1.0};

void test_vjp_jvp_jacobian_match_analytic() {
    const auto grad = fdvjp::vjp(f3, X, V);
    const auto jv = fdvjp::jvp(f3, X, U, 3);
    const auto jac = fdvjp::jacobian(f3, X, 3);
    CHECK(jac.rows == 3 && jac.cols == 3);
    for (std::size_t j = 0; j < 3; ++j) {
        double want = 0;
        for (std::size_t i = 0; i < 3; ++i) want += V[i] * jac_f3(X, i, j);
        CHECK_NEAR(grad[j], want, 1e-9);
    }
    for (std::size_t i = 0; i < 3; ++i) {
        double want = 0;
        for (std::size_t j = 0; j < 3; ++j) want += jac_f3(X, i, j) * U[j];
        CHECK_NEAR(jv[i], want, 1e-9);
        for (std::size_t j = 0; j < 3; ++j) CHECK_NEAR(jac(i, j), jac_f3(X, i, j), 1e-9);
    }
}

void test_column_major_config_reads_the_same_matrix() {
    fdvjp::config cfg;
    cfg.layout(FDVJP_COL_MAJOR);
    const auto jac = fdvjp::jacobian(f3, X, 3, cfg);
    CHECK(jac.layout == FDVJP_COL_MAJOR);
    CHECK_NEAR(jac.data[0 * 3 + 2], jac_f3(X, 2, 0), 1e-9);  // storage is column-major
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j) CHECK_NEAR(jac(i, j), jac_f3(X, i, j), 1e-9);
}

// The logsumexp example: the gradient is softmax(x).
void test_logsumexp_gradient_is_softmax() {
    auto logsumexp = [](const std::vector<double>& x) {
        const double top = *std::max_element(x.begin(), x.end());
        double sum = 0;
        for (double xi : x) sum += std::exp(xi - top);
        return top + std::log(sum);  // a scalar: m = 1
    };
    const std::vector<double> x{0.5, -1.0, 2.0, 0.25, 3.0};
    const std::vector<double> one{1.0};
    const auto grad = fdvjp::vjp(logsumexp, x, one);
    double total = 0;
    for (double xi : x) total += std::exp(xi);
    for (std::size_t j = 0; j < x.size(); ++j) CHECK_NEAR(grad[j], std::exp(x[j]) / total, 1e-8);
}

// The least-squares example: slope of the fitted line through (x, y), as a black box of
// the 8 values [x; y]; analytic gradients [0.34, 0.14, -0.2, -0.28] and [-0.3, -0.1, 0.1, 0.3].
void test_least_squares_slope_gradient() {
    auto slope = [](const std::vector<double>& xy) {
        const std::size_t k = xy.size() / 2;
        const auto half = xy.begin() + static_cast<std::ptrdiff_t>(k);
        const double mx = std::accumulate(xy.begin(), half, 0.0) / static_cast<double>(k);
        const double my = std::accumulate(half, xy.end(), 0.0) / static_cast<double>(k);
        double sxy = 0, sxx = 0;
        for (std::size_t i = 0; i < k; ++i) {
            sxy += (xy[i] - mx) * (xy[k + i] - my);
            sxx += (xy[i] - mx) * (xy[i] - mx);
        }
        return std::vector<double>{sxy / sxx};
    };
    const std::array<double, 8> xy{0, 1, 2, 3, -1, 0.2, 0.7, 2.5};
    const double one[1] = {1.0};
    std::array<double, 8> grad{};
    fdvjp::vjp(slope, xy, one, grad);  // std::array / C array / caller buffer interface
    const double want[8] = {0.34, 0.14, -0.2, -0.28, -0.3, -0.1, 0.1, 0.3};
    for (std::size_t j = 0; j < 8; ++j) CHECK_NEAR(grad[j], want[j], 1e-8);
}

void test_pointer_and_length_interface() {
    const double x[2] = {2.0, 3.0}, v[1] = {1.0};
    double grad[2] = {0, 0};
    auto product = [](fdvjp::span<const double> in, fdvjp::span<double> out) { out[0] = in[0] * in[1]; };
    fdvjp::vjp(product, fdvjp::span<const double>(x, 2), fdvjp::span<const double>(v, 1),
               fdvjp::span<double>(grad, 2));
    CHECK_NEAR(grad[0], 3.0, 1e-9);
    CHECK_NEAR(grad[1], 2.0, 1e-9);
}

void test_config_scheme_sets_evaluation_count() {
    int calls = 0;
    auto counted = [&calls](fdvjp::span<const double> x, fdvjp::span<double> y) {
        ++calls;
        f3(x, y);
    };
    fdvjp::config cfg;
    cfg.scheme(FDVJP_FORWARD).relative_step(1e-7);
    fdvjp::vjp(counted, X, V, cfg);
    CHECK(calls == 1 + 3);
    calls = 0;
    fdvjp::config fourth;
    fourth.scheme(FDVJP_CENTRAL4);
    const auto grad = fdvjp::vjp(counted, X, V, fourth);
    CHECK(calls == 1 + 4 * 3);
    double want = 0;
    for (std::size_t i = 0; i < 3; ++i) want += V[i] * jac_f3(X, i, 0);
    CHECK_NEAR(grad[0], want, 1e-11);
}

void test_bounds_keep_evaluations_in_the_box() {
    double lowest = std::numeric_limits<double>::infinity();
    auto log_f = [&lowest](const std::vector<double>& x) {
        lowest = std::min(lowest, x[0]);
        return std::log(x[0]);
    };
    const std::vector<double> x{2.0}, one{1.0}, lo{2.0}, hi{3.0};
    fdvjp::config cfg;
    cfg.bounds(lo, hi);
    const auto grad = fdvjp::vjp(log_f, x, one, cfg);
    CHECK(lowest >= 2.0);
    CHECK_NEAR(grad[0], 0.5, 1e-8);
}

struct custom_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_exception_in_callable_is_rethrown_unchanged() {
    int calls = 0;
    auto throws = [&calls](const std::vector<double>&) -> std::vector<double> {
        ++calls;
        throw custom_failure("from the callable");
    };
    std::vector<double> grad{7, 7};
    bool caught = false;
    try {
        fdvjp::vjp(throws, std::vector<double>{1, 2}, std::vector<double>{1}, grad);
    } catch (const custom_failure& e) {
        caught = std::string(e.what()) == "from the callable";
    }
    CHECK(caught);
    CHECK(calls == 1);                         // the computation stopped at the throw
    CHECK(grad[0] == 7 && grad[1] == 7);       // the output was left untouched
}

void test_wrong_output_size_throws_fdvjp_error() {
    auto two = [](const std::vector<double>& x) { return std::vector<double>{x[0], x[0]}; };
    bool caught = false;
    try {
        fdvjp::vjp(two, std::vector<double>{1}, std::vector<double>{1, 1, 1});
    } catch (const fdvjp::error& e) {
        caught = e.status() == FDVJP_LENGTH_MISMATCH &&
                 std::string(e.what()).find("returned 2 values where 3") != std::string::npos;
    }
    CHECK(caught);
}

void test_nonzero_return_is_callback_failed() {
    auto refuses = [](fdvjp::span<const double>, fdvjp::span<double>) { return 7; };
    try {
        fdvjp::vjp(refuses, std::vector<double>{1}, std::vector<double>{1});
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_CALLBACK_FAILED);
        CHECK(std::string(e.status_name()) == "FDVJP_CALLBACK_FAILED");
        CHECK(e.message().find("returned 7") != std::string::npos);
        CHECK(std::string(e.what()).find(e.message()) != std::string::npos);
    }
}

// An out-parameter callable writing one value past y (its output is longer than v says):
// the library's guard words catch it, and it is an fdvjp::error, the output untouched.
void test_write_past_y_is_an_fdvjp_error() {
    auto too_long = [](fdvjp::span<const double> x, fdvjp::span<double> y) {
        double* out = y.data();
        for (std::size_t i = 0; i <= y.size(); ++i) out[i] = x[0];  // one too many
    };
    std::vector<double> grad{42};
    try {
        fdvjp::vjp(too_long, std::vector<double>{1.5}, std::vector<double>{1, 1}, grad);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_CALLBACK_FAILED);
        CHECK(e.message().find("wrote past y[m-1] (m = 2)") != std::string::npos);
    }
    CHECK(grad[0] == 42);
}

void test_nan_at_x_throws_and_leaves_output_untouched() {
    auto log_f = [](const std::vector<double>& x) { return std::log(x[0]); };
    std::vector<double> grad{42};
    try {
        fdvjp::vjp(log_f, std::vector<double>{-1}, std::vector<double>{1}, grad);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_NONFINITE_AT_X);
        CHECK(e.message().find("fdvjp_vjp") != std::string::npos);
    }
    CHECK(grad[0] == 42);
}

void test_invalid_options_and_sizes_throw_with_status() {
    fdvjp::config cfg;
    try {
        cfg.relative_step(-1.0);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_INVALID_ARGUMENT);
    }
    std::vector<double> small(1, 5.0);
    try {
        fdvjp::vjp(f3, X, V, small);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_LENGTH_MISMATCH);
        CHECK(e.message().find("grad has 1") != std::string::npos);
    }
    CHECK(small[0] == 5.0);
    CHECK(fdvjp::vjp(f3, X, V).size() == 3);
    CHECK(fdvjp::last_error().empty());  // a success clears the message
}

void test_config_moves_own_the_handle_once() {
    fdvjp::config a;
    fdvjp_config* raw = a.get();
    fdvjp::config b(std::move(a));
    CHECK(b.get() == raw && a.get() == nullptr);  // NOLINT: moved-from state is specified
    fdvjp::config c;
    c = std::move(b);
    CHECK(c.get() == raw);
    c.scheme(FDVJP_BACKWARD);  // still live
}

void test_second_translation_unit() {
    const auto grad = second_unit_gradient();
    const auto here = fdvjp::vjp(&weighted_squares, std::vector<double>{1, 1, 1, 1}, std::vector<double>{1});
    for (std::size_t j = 0; j < 4; ++j) {
        CHECK_NEAR(grad[j], 2.0 * static_cast<double>(j), 1e-8);
        CHECK_NEAR(here[j], grad[j], 0.0);
    }
}

}  // namespace

int main() {
    test_vjp_jvp_jacobian_match_analytic();
    test_column_major_config_reads_the_same_matrix();
    test_logsumexp_gradient_is_softmax();
    test_least_squares_slope_gradient();
    test_pointer_and_length_interface();
    test_config_scheme_sets_evaluation_count();
    test_bounds_keep_evaluations_in_the_box();
    test_exception_in_callable_is_rethrown_unchanged();
    test_wrong_output_size_throws_fdvjp_error();
    test_nonzero_return_is_callback_failed();
    test_write_past_y_is_an_fdvjp_error();
    test_nan_at_x_throws_and_leaves_output_untouched();
    test_invalid_options_and_sizes_throw_with_status();
    test_config_moves_own_the_handle_once();
    test_second_translation_unit();
    run_accuracy_tests();
    run_tape_tests();
    run_parallel_tests();
    run_arithmetic_tests();
    run_config_get_tests();
    run_report_tests();
    std::printf("%d passed, %d failed\n", check::passed(), check::failed());
    return check::failed() == 0 ? 0 : 1;
}
