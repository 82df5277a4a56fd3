// fdvjp::tape: opaque and adjoint callables mixed with built-in ops, against analytic
// gradients, and exceptions thrown during backward.
#include "fdvjp.hpp"

#include "check.hpp"
#include "suites.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace {

// Opaque: y = [a0 a1, sin a0, a1^2].
void black_box(fdvjp::span<const double> a, fdvjp::span<double> y) {
    y[0] = a[0] * a[1];
    y[1] = std::sin(a[0]);
    y[2] = a[1] * a[1];
}

void test_opaque_call_with_built_in_ops() {
    fdvjp::tape t;
    const std::vector<double> x0{1.0, 2.0};
    const fdvjp::var x = t.input(x0);
    const fdvjp::var loss = fdvjp::sum(fdvjp::square(t.call(black_box, {x}, 3)));
    t.backward(loss);
    const auto g = t.grad(x);
    // d/dx sum(y^2) = [2 x0 x1^2 + 2 sin x0 cos x0, 2 x0^2 x1 + 4 x1^3]
    CHECK_NEAR(g[0], 2 * 1 * 4 + 2 * std::sin(1.0) * std::cos(1.0), 1e-8);
    CHECK_NEAR(g[1], 2 * 1 * 2 + 4 * 8, 1e-8);
}

// The least-squares slope of the demo as an opaque call of x and y on the tape.
void test_least_squares_slope() {
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
        return sxy / sxx;
    };
    fdvjp::tape t;
    const fdvjp::var x = t.input(std::vector<double>{0, 1, 2, 3});
    const fdvjp::var y = t.input(std::vector<double>{-1, 0.2, 0.7, 2.5});
    t.backward(t.call(slope, {x, y}, 1));
    const auto gx = t.grad(x), gy = t.grad(y);
    const double want_x[4] = {0.34, 0.14, -0.2, -0.28}, want_y[4] = {-0.3, -0.1, 0.1, 0.3};
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK_NEAR(gx[i], want_x[i], 1e-8);
        CHECK_NEAR(gy[i], want_y[i], 1e-8);
    }
}

void test_adjoint_call_and_operators() {
    fdvjp::tape t;
    const fdvjp::var a = t.input(std::vector<double>{1.0, 2.0});
    // cube with an exact adjoint: grad = v * 3 x^2
    auto cube = [](fdvjp::span<const double> x, fdvjp::span<double> y) {
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * x[i] * x[i];
    };
    auto cube_adjoint = [](fdvjp::span<const double> x, fdvjp::span<const double>, fdvjp::span<const double> v,
                           fdvjp::span<double> grad) {
        for (std::size_t i = 0; i < x.size(); ++i) grad[i] = v[i] * 3 * x[i] * x[i];
    };
    const fdvjp::var c = t.call_vjp(cube, cube_adjoint, {a}, 2);
    // L = sum(c) * 2 + dot(a, a) + mean(exp(a))
    const fdvjp::var loss = 2.0 * fdvjp::sum(c) + fdvjp::dot(a, a) + fdvjp::mean(fdvjp::exp(a));
    t.backward(loss);
    const auto g = t.grad(a);
    CHECK_NEAR(g[0], 6 * 1.0 + 2 * 1.0 + std::exp(1.0) / 2, 1e-13);
    CHECK_NEAR(g[1], 6 * 4.0 + 2 * 2.0 + std::exp(2.0) / 2, 1e-13);
    CHECK(t.shape(loss).empty());
    CHECK_NEAR(t.value(c)[1], 8.0, 0.0);
}

void test_replay_at_new_inputs() {
    int calls = 0;
    fdvjp::tape t;
    const fdvjp::var x = t.input(std::vector<double>{1.0, 2.0});
    auto counted = [&calls](fdvjp::span<const double> a, fdvjp::span<double> y) {
        ++calls;
        black_box(a, y);
    };
    const fdvjp::var loss = fdvjp::sum(t.call(counted, {x}, 3));
    t.set_input(x, std::vector<double>{0.5, -1.0});
    const int before = calls;
    t.forward();
    CHECK(calls == before + 1);
    CHECK_NEAR(t.value(loss)[0], 0.5 * -1.0 + std::sin(0.5) + 1.0, 1e-15);
    t.backward(loss);
    CHECK_NEAR(t.grad(x)[0], -1.0 + std::cos(0.5), 1e-8);
}

struct refused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_exception_during_backward_is_rethrown() {
    int calls = 0;
    fdvjp::tape t;
    const fdvjp::var x = t.input(std::vector<double>{1.0});
    auto fails_when_perturbed = [&calls](const std::vector<double>& a) {
        if (++calls > 1) throw refused("perturbed");
        return 2 * a[0];
    };
    const fdvjp::var y = t.call(fails_when_perturbed, {x}, 1);
    bool caught = false;
    try {
        t.backward(y);
    } catch (const refused&) {
        caught = true;
    }
    CHECK(caught);
    CHECK(calls == 2);
    t.backward(fdvjp::sum(x));  // still usable
    CHECK_NEAR(t.grad(x)[0], 1.0, 0.0);
}

void test_tape_errors_carry_status() {
    fdvjp::tape t, other;
    const fdvjp::var x = t.input(std::vector<double>{1.0, 2.0});
    try {
        (void)other.value(x);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_UNKNOWN_VAR);
    }
    try {
        (void)(x + t.input(std::vector<double>{1.0, 2.0, 3.0}));
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_SHAPE_MISMATCH);
        CHECK(!e.message().empty());
    }
    try {
        (void)t.input(std::vector<double>{1.0, 2.0, 3.0}, {2, 2});
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_LENGTH_MISMATCH);
    }
    fdvjp::tape moved(std::move(t));
    CHECK(moved.value(x).size() == 2);  // the handle moved with its callables
    moved.clear();
    try {
        (void)moved.value(x);
        CHECK(!"no exception");
    } catch (const fdvjp::error& e) {
        CHECK(e.status() == FDVJP_UNKNOWN_VAR);
    }
}

// Every member of a moved-from tape throws fdvjp::error naming the move (it used to
// dereference the moved slot and crash the process), and the tape moved to works on.
void test_moved_from_tape_throws_everywhere() {
    fdvjp::tape t;
    const fdvjp::var x = t.input(std::vector<double>{1.0, 2.0});
    fdvjp::tape kept(std::move(t));
    const auto square = [](fdvjp::span<const double> in, fdvjp::span<double> out) { out[0] = in[0] * in[0]; };
    const auto adjoint = [](fdvjp::span<const double>, fdvjp::span<const double>, fdvjp::span<const double>,
                            fdvjp::span<double> g) { g[0] = 0; };
    int refused = 0, calls = 0;
    const auto expect_refused = [&](auto&& call) {
        ++calls;
        try {
            call();
        } catch (const fdvjp::error& e) {
            refused += e.status() == FDVJP_INVALID_ARGUMENT && e.message().find("moved from") != std::string::npos;
        }
    };
    // NOLINTBEGIN(bugprone-use-after-move): the moved-from state is what is tested
    expect_refused([&] { (void)t.input(std::vector<double>{1.0}); });
    expect_refused([&] { (void)t.constant(std::vector<double>{1.0}); });
    expect_refused([&] { (void)t.scalar(2.0); });
    expect_refused([&] { (void)t.call(square, {x}, 1); });
    expect_refused([&] { (void)t.call_vjp(square, adjoint, {x}, 1); });
    expect_refused([&] { (void)t.unary(FDVJP_OP_SIN, x); });
    expect_refused([&] { (void)t.binary(FDVJP_OP_ADD, x, x); });
    expect_refused([&] { (void)t.reduce(FDVJP_REDUCE_SUM, x); });
    expect_refused([&] { (void)t.pow(x, 2.0); });
    expect_refused([&] { (void)t.dot(x, x); });
    expect_refused([&] { (void)t.slice(x, 0, 1); });
    expect_refused([&] { (void)t.concat({x, x}); });
    expect_refused([&] { (void)t.shape(x); });
    expect_refused([&] { (void)t.size(x); });
    expect_refused([&] { (void)t.value(x); });
    expect_refused([&] { t.backward(x, std::vector<double>{1.0, 1.0}); });
    expect_refused([&] { (void)t.grad(x); });
    expect_refused([&] { t.set_input(x, std::vector<double>{3.0, 4.0}); });
    expect_refused([&] { t.forward(); });
    expect_refused([&] { t.clear(); });
    // NOLINTEND(bugprone-use-after-move)
    CHECK(refused == calls);
    const fdvjp::var s = kept.reduce(FDVJP_REDUCE_SUM, kept.unary(FDVJP_OP_SIN, x));
    kept.backward(s);
    CHECK(std::fabs(kept.grad(x)[1] - std::cos(2.0)) < 1e-15);
}

}  // namespace

void run_tape_tests() {
    test_moved_from_tape_throws_everywhere();
    test_opaque_call_with_built_in_ops();
    test_least_squares_slope();
    test_adjoint_call_and_operators();
    test_replay_at_new_inputs();
    test_exception_during_backward_is_rethrown();
    test_tape_errors_carry_status();
}
