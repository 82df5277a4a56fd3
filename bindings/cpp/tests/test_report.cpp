// fdvjp::last_report and the noise options: the report of a computation counts exactly
// the evaluations the scheme makes, names the noise declared, and bad options throw
// fdvjp::error.
#include "fdvjp.hpp"

#include "check.hpp"
#include "suites.hpp"

#include <cmath>
#include <vector>

namespace {

void sum_of_squares(fdvjp::span<const double> x, fdvjp::span<double> y) {
    y[0] = 0;
    for (double xi : x) y[0] += xi * xi;
    y[1] = x[0];
}

void test_report_counts_a_central_vjp() {
    const std::vector<double> x{1.0, -2.0, 0.5}, v{1.0, 0.0};
    const auto grad = fdvjp::vjp(sum_of_squares, x, v);
    const fdvjp::report r = fdvjp::last_report();
    CHECK(r.size == sizeof(fdvjp::report));
    CHECK(r.completed == 1);
    CHECK(r.evaluations == 2 * x.size() + 1);  // central differences: 2n + 1
    CHECK(r.directions == x.size());
    CHECK(r.noise_source == FDVJP_NOISE_NONE);
    for (std::size_t j = 0; j < x.size(); ++j) CHECK_NEAR(grad[j], 2 * x[j], 1e-9);
}

void test_declared_noise_is_reported() {
    fdvjp::config cfg;
    const std::vector<double> level{1e-10};
    cfg.noise(level).noise_mode(FDVJP_NOISE_OFF);
    const std::vector<double> x{1.0, -2.0, 0.5}, v{1.0, 0.0};
    const auto grad = fdvjp::vjp(sum_of_squares, x, v, cfg);
    const fdvjp::report r = fdvjp::last_report();
    CHECK(r.completed == 1 && r.noise_source == FDVJP_NOISE_DECLARED);
    CHECK(r.noise_level == 1e-10);
    const std::vector<double> per_output = fdvjp::last_report_noise();
    CHECK(per_output.size() == 2 && per_output[0] == 1e-10 && per_output[1] == 1e-10);
    for (std::size_t j = 0; j < x.size(); ++j) CHECK_NEAR(grad[j], 2 * x[j], 1e-6);
}

void test_bad_noise_options_throw() {
    fdvjp::config cfg;
    int caught = 0;
    try {
        cfg.noise_mode(7);
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_INVALID_ARGUMENT;
    }
    try {
        const std::vector<double> negative{-1.0};
        cfg.noise(negative);
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_INVALID_ARGUMENT;
    }
    CHECK(caught == 2);
}

}  // namespace

void run_report_tests() {
    test_report_counts_a_central_vjp();
    test_declared_noise_is_reported();
    test_bad_noise_options_throw();
}
