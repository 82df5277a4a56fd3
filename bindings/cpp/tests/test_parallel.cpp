// Threads, batch functions and progress: the same derivatives as the serial path.
#include "fdvjp.hpp"

#include "check.hpp"
#include "suites.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace {

const std::vector<double> X{0.3, -1.2, 0.7, 2.0};
const std::vector<double> V{1.0, -2.0};

// f(x) = [x0 x1 + x3, sin(x2) x3]
void f(fdvjp::span<const double> x, fdvjp::span<double> y) {
    y[0] = x[0] * x[1] + x[3];
    y[1] = std::sin(x[2]) * x[3];
}

// d/dx of v^T f
std::vector<double> want_grad() {
    return {V[0] * X[1], V[0] * X[0], V[1] * std::cos(X[2]) * X[3], V[0] + V[1] * std::sin(X[2])};
}

void test_threads_match_serial_bit_for_bit() {
    std::atomic<int> calls{0};
    auto counted = [&calls](fdvjp::span<const double> x, fdvjp::span<double> y) {
        ++calls;
        f(x, y);
    };
    const auto serial = fdvjp::vjp(f, X, V);
    fdvjp::config cfg;
    cfg.threads(2);
    const auto parallel = fdvjp::vjp(counted, X, V, cfg);
    CHECK(calls.load() == 1 + 2 * 4);
    for (std::size_t j = 0; j < X.size(); ++j) CHECK(parallel[j] == serial[j]);
}

struct perturbed_point : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_exception_on_a_worker_thread_is_rethrown() {
    auto fails_when_perturbed = [](fdvjp::span<const double> x, fdvjp::span<double> y) {
        for (std::size_t j = 0; j < x.size(); ++j)
            if (x[j] != X[j]) throw perturbed_point("perturbed");
        f(x, y);
    };
    fdvjp::config cfg;
    cfg.threads(2);
    bool caught = false;
    try {
        (void)fdvjp::vjp(fails_when_perturbed, X, V, cfg);
    } catch (const perturbed_point&) {
        caught = true;
    }
    CHECK(caught);
}

void test_batch_functions() {
    std::size_t largest = 0, total = 0;
    auto batch = [&](fdvjp::span<const double> points, std::size_t k, fdvjp::span<double> values) {
        largest = std::max(largest, k);
        total += k;
        for (std::size_t p = 0; p < k; ++p)
            f(fdvjp::span<const double>(points.data() + 4 * p, 4), fdvjp::span<double>(values.data() + 2 * p, 2));
    };
    fdvjp::config cfg;
    cfg.batch_size(4);
    const auto grad = fdvjp::vjp_batch(batch, X, V, &cfg);
    const auto want = want_grad();
    for (std::size_t j = 0; j < X.size(); ++j) CHECK_NEAR(grad[j], want[j], 1e-9);
    CHECK(largest > 1 && largest <= 4);
    CHECK(total == 1 + 2 * 4);
    const auto jac = fdvjp::jacobian_batch(batch, X, 2, &cfg);
    CHECK_NEAR(jac(1, 2), std::cos(X[2]) * X[3], 1e-9);
    const std::vector<double> u{0, 0, 0, 1};
    const auto jv = fdvjp::jvp_batch(batch, X, u, 2, &cfg);
    CHECK_NEAR(jv[1], std::sin(X[2]), 1e-9);
}

void test_progress_reports_cancels_and_rethrows() {
    std::size_t last_done = 0, last_total = 0;
    fdvjp::config cfg;
    cfg.progress([&](std::size_t done, std::size_t total) {
        last_done = done;
        last_total = total;
        return true;
    });
    (void)fdvjp::vjp(f, X, V, cfg);
    CHECK(last_done == 9 && last_total == 9);
    cfg.progress([](std::size_t done, std::size_t) { return done < 3; });
    try {
        (void)fdvjp::vjp(f, X, V, cfg);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_CANCELLED);
    }
    cfg.progress([](std::size_t, std::size_t) -> bool { throw std::domain_error("from progress"); });
    bool caught = false;
    try {
        (void)fdvjp::vjp(f, X, V, cfg);
    } catch (const std::domain_error&) {
        caught = true;
    }
    CHECK(caught);
}

void test_progress_of_a_call_config_lives_as_long_as_the_tape() {
    std::size_t reports = 0;
    fdvjp::tape t;
    const fdvjp::var x = t.input(X);
    fdvjp::var y;
    {
        fdvjp::config cfg;  // destroyed before the backward pass that reports through it
        cfg.progress([&reports](std::size_t, std::size_t) {
            ++reports;
            return true;
        });
        y = t.call(f, {x}, 2, &cfg);
    }
    t.backward(y, V);
    const auto g = t.grad(x);
    const auto want = want_grad();
    for (std::size_t j = 0; j < X.size(); ++j) CHECK_NEAR(g[j], want[j], 1e-9);
    CHECK(reports > 0);
}

void test_batch_call_on_the_tape() {
    auto batch = [](fdvjp::span<const double> points, std::size_t k, fdvjp::span<double> values) {
        for (std::size_t p = 0; p < k; ++p)
            f(fdvjp::span<const double>(points.data() + 4 * p, 4), fdvjp::span<double>(values.data() + 2 * p, 2));
    };
    fdvjp::tape t;
    const fdvjp::var x = t.input(X);
    const fdvjp::var y = t.call_batch(batch, {x}, 2);
    t.backward(y, V);
    const auto g = t.grad(x);
    const auto want = want_grad();
    for (std::size_t j = 0; j < X.size(); ++j) CHECK_NEAR(g[j], want[j], 1e-9);
}

}  // namespace

void run_parallel_tests() {
    test_threads_match_serial_bit_for_bit();
    test_exception_on_a_worker_thread_is_rethrown();
    test_batch_functions();
    test_progress_reports_cancels_and_rethrows();
    test_batch_call_on_the_tape();
    test_progress_of_a_call_config_lives_as_long_as_the_tape();
}
