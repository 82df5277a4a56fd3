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
    CHECK(r.unbounded_directions == 0 && std::isfinite(r.error_bound));
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

// Deterministic noise in [-1, 1) (standard deviation 1/sqrt(3)) from x: the same x always
// gives the same value, as with a solver; points a plain step apart are unrelated.
double shader_noise(fdvjp::span<const double> x) {
    double z = 0;
    for (std::size_t j = 0; j < x.size(); ++j) z += (static_cast<double>(j) + 1.37) * x[j];
    const double s = std::sin(1e4 * z) * 43758.5453;
    return 2.0 * (s - std::floor(s)) - 1.0;
}

// Issue 16 through the binding: a smooth sum of sines plus noise of amplitude eps (sigma =
// eps / sqrt(3)). The estimate mode (2n + 1 + 12 evaluations) and a declared sigma give the
// gradient within 10 sigma^(2/3) of the exact one (the goal), and the report names
// the noise: estimated within a factor 3 of sigma, or the declared level itself.
void test_estimate_and_declared_noise() {
    const std::size_t n = 6;
    std::vector<double> x(n), exact(n);
    for (std::size_t j = 0; j < n; ++j) {
        x[j] = (static_cast<double>(j * 7 % 11) / 11.0 - 0.5) * 2.0;
        exact[j] = 0.5 * std::cos(x[j] + 0.3 * static_cast<double>(j));
    }
    const std::vector<double> v{1.0};
    for (const double eps : {1e-8, 1e-6}) {
        const double sigma = eps / std::sqrt(3.0), tol = 10 * std::pow(sigma, 2.0 / 3.0);
        auto f = [eps](fdvjp::span<const double> z, fdvjp::span<double> y) {
            y[0] = 2.0;
            for (std::size_t j = 0; j < z.size(); ++j) y[0] += 0.5 * std::sin(z[j] + 0.3 * static_cast<double>(j));
            y[0] += eps * shader_noise(z);
        };
        fdvjp::config estimate;
        estimate.noise_mode(FDVJP_NOISE_ESTIMATE);
        auto grad = fdvjp::vjp(f, x, v, estimate);
        fdvjp::report r = fdvjp::last_report();
        CHECK(r.completed == 1 && r.noise_source == FDVJP_NOISE_ESTIMATED);
        CHECK(r.noise_level >= sigma / 3 && r.noise_level <= 3 * sigma);
        CHECK(r.evaluations == 2 * n + 1 + 12);
        for (std::size_t j = 0; j < n; ++j) CHECK_NEAR(grad[j], exact[j], tol);
        fdvjp::config declared;
        const std::vector<double> level{sigma};
        declared.noise(level);
        grad = fdvjp::vjp(f, x, v, declared);
        r = fdvjp::last_report();
        CHECK(r.completed == 1 && r.noise_source == FDVJP_NOISE_DECLARED && r.noise_level == sigma);
        CHECK(r.evaluations == 2 * n + 1);
        for (std::size_t j = 0; j < n; ++j) CHECK_NEAR(grad[j], exact[j], tol);
    }
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

// Learned sparsity: a bidiagonal black box learned in 2(n + 1) evaluations, then each VJP
// costs 1 + 4 + 2 (f(x), two groups, the check) and matches the analytic gradient; a
// coupling that appears is caught by the next call's check (dense, re-learned).
void test_learned_sparsity() {
    const std::size_t n = 50;
    double g = 0.0;
    long calls = 0;
    auto chain = [&](fdvjp::span<const double> x, fdvjp::span<double> y) {
        ++calls;
        for (std::size_t i = 0; i < n; ++i) {
            y[i] = std::sin(x[i]) + (i > 0 ? x[i - 1] * x[i] : 0.0) +
                   (i + 2 < n ? g * x[i + 2] * x[i + 2] / 2 : 0.0);
        }
    };
    std::vector<double> x(n), v(n);
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = 0.5 + 0.01 * static_cast<double>(i);
        v[i] = 1.0 - 0.03 * static_cast<double>(i);
    }
    auto exact = [&](std::size_t j) {
        double d = v[j] * (std::cos(x[j]) + (j > 0 ? x[j - 1] : 0.0));
        if (j + 1 < n) d += v[j + 1] * x[j + 1];
        if (j >= 2) d += v[j - 2] * g * x[j];
        return d;
    };
    fdvjp::config cfg;
    fdvjp::detect_sparsity(cfg, chain, x, n);
    CHECK(calls == static_cast<long>(2 * (n + 1)));
    CHECK(cfg.learned_sparsity().first.size() == 2 * n - 1);
    calls = 0;
    auto grad = fdvjp::vjp(chain, x, v, cfg);
    CHECK(calls == 7);  // bidiagonal: two groups
    CHECK(fdvjp::last_report().sparsity_relearned == 0);
    for (std::size_t j = 0; j < n; ++j) CHECK_NEAR(grad[j], exact(j), 1e-8);
    g = 0.1;
    calls = 0;
    grad = fdvjp::vjp(chain, x, v, cfg);
    CHECK(fdvjp::last_report().sparsity_relearned == 1);
    CHECK(calls == static_cast<long>(7 + 2 * n));
    for (std::size_t j = 0; j < n; ++j) CHECK_NEAR(grad[j], exact(j), 1e-8);
    cfg.learn_sparsity(false);
    CHECK(cfg.learned_sparsity().first.empty());
}

}  // namespace

void run_report_tests() {
    test_learned_sparsity();
    test_report_counts_a_central_vjp();
    test_declared_noise_is_reported();
    test_estimate_and_declared_noise();
    test_bad_noise_options_throw();
}
