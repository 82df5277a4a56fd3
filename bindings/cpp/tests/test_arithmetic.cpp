// Tape vars as numbers: every operator in both operand orders with doubles, compound
// assignment, unary minus, every built-in op as a free function found by argument-dependent
// lookup, each against its analytic derivative; and the errors being fdvjp::error.
#include "fdvjp.hpp"

#include "check.hpp"
#include "suites.hpp"

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::vector<double> X0{0.5, 1.5, 2.5};

// The value of f at X0 and the gradient of sum(f(x)) recorded on a tape, against the
// analytic value and derivative, elementwise (1e-13: built-in ops are exact up to rounding).
void check_elementwise(const char* name, const std::function<fdvjp::var(fdvjp::var)>& f,
                       double (*value)(double), double (*derivative)(double)) {
    fdvjp::tape t;
    const fdvjp::var x = t.input(X0);
    const fdvjp::var y = f(x);
    t.backward(fdvjp::sum(y));
    const std::vector<double> got = t.value(y), g = t.grad(x);
    for (std::size_t i = 0; i < X0.size(); ++i) {
        const double tol = 1e-13 * std::fmax(1.0, std::fabs(derivative(X0[i])));
        check::record(std::fabs(got[i] - value(X0[i])) <= tol && std::fabs(g[i] - derivative(X0[i])) <= tol,
                      std::string(name) + " at " + std::to_string(X0[i]) + ": value " + std::to_string(got[i]) +
                          ", gradient " + std::to_string(g[i]) + ", want " + std::to_string(value(X0[i])) +
                          ", " + std::to_string(derivative(X0[i])),
                      __FILE__, __LINE__);
    }
}

#define ELEMENTWISE(expr_of_x, value_of_x, derivative_of_x)                         \
    check_elementwise(#expr_of_x, [](fdvjp::var x) { return expr_of_x; },          \
                      [](double x) { return value_of_x; }, []([[maybe_unused]] double x) { return derivative_of_x; })

void test_operators_with_doubles_on_either_side() {
    ELEMENTWISE(x + 1.0, x + 1, 1.0);
    ELEMENTWISE(1.0 + x, 1 + x, 1.0);
    ELEMENTWISE(x - 1.0, x - 1, 1.0);
    ELEMENTWISE(1.0 - x, 1 - x, -1.0);
    ELEMENTWISE(x * 3.0, 3 * x, 3.0);
    ELEMENTWISE(3.0 * x, 3 * x, 3.0);
    ELEMENTWISE(x / 2.0, x / 2, 0.5);
    ELEMENTWISE(1.0 / x, 1 / x, -1 / (x * x));
    ELEMENTWISE(-x, -x, -1.0);
    ELEMENTWISE(+x, x, 1.0);
    ELEMENTWISE(x * x - 2.0 * x / (1.0 + x), x * x - 2 * x / (1 + x), 2 * x - 2 / ((1 + x) * (1 + x)));
}

void test_compound_assignment() {
    ELEMENTWISE([](fdvjp::var v) { v += 1.0; v *= v; v -= 2.0; v /= 4.0; return v; }(x),
                ((x + 1) * (x + 1) - 2) / 4, (x + 1) / 2);
    ELEMENTWISE([](fdvjp::var v) { fdvjp::var w = v; w += v; w *= v; w -= v; w /= v; return w; }(x),
                2 * x - 1, 2.0);
}

// Unqualified calls: found by argument-dependent lookup in namespace fdvjp.
void test_free_functions_by_adl() {
    ELEMENTWISE(exp(x), std::exp(x), std::exp(x));
    ELEMENTWISE(log(x), std::log(x), 1 / x);
    ELEMENTWISE(log1p(x), std::log1p(x), 1 / (1 + x));
    ELEMENTWISE(sqrt(x), std::sqrt(x), 0.5 / std::sqrt(x));
    ELEMENTWISE(sin(x), std::sin(x), std::cos(x));
    ELEMENTWISE(cos(x), std::cos(x), -std::sin(x));
    ELEMENTWISE(tan(x), std::tan(x), 1 / (std::cos(x) * std::cos(x)));
    ELEMENTWISE(tanh(x), std::tanh(x), 1 - std::tanh(x) * std::tanh(x));
    ELEMENTWISE(abs(1.0 - x), std::fabs(1 - x), x < 1 ? -1.0 : 1.0);
    ELEMENTWISE(fdvjp::abs(x - 2.0), std::fabs(x - 2), x < 2 ? -1.0 : 1.0);
    ELEMENTWISE(fabs(-x), x, 1.0);
    ELEMENTWISE(square(x), x * x, 2 * x);
    ELEMENTWISE(neg(x), -x, -1.0);
    ELEMENTWISE(pow(x, 3.0), x * x * x, 3 * x * x);
    ELEMENTWISE(pow(x, x), std::pow(x, x), std::pow(x, x) * (std::log(x) + 1));
    ELEMENTWISE(pow(2.0, x), std::pow(2.0, x), std::pow(2.0, x) * std::log(2.0));
}

void test_reductions_products_and_shapes_by_adl() {
    fdvjp::tape t;
    const fdvjp::var x = t.input(X0);
    const fdvjp::var m = t.constant(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
    // L = sum(x) + 2 mean(x) + norm(x) + dot(x, x) + sum(m x) + sum(slice(x, 1, 2))
    //     + sum(reshape(x, [3, 1])) + sum(concat({x, x}))
    const fdvjp::var loss = sum(x) + 2.0 * mean(x) + norm(x) + dot(x, x) + sum(matmul(m, x)) +
                            sum(slice(x, 1, 2)) + sum(reshape(x, {3, 1})) + sum(fdvjp::concat({x, x}));
    t.backward(loss);
    const std::vector<double> g = t.grad(x);
    const double nx = std::sqrt(0.25 + 2.25 + 6.25);
    const double col[3] = {5, 7, 9};
    for (std::size_t i = 0; i < 3; ++i) {
        const double want = 1 + 2.0 / 3 + X0[i] / nx + 2 * X0[i] + col[i] + (i >= 1 ? 1 : 0) + 1 + 2;
        CHECK_NEAR(g[i], want, 1e-13);
    }
}

void test_wrong_output_count_is_fdvjp_error_everywhere() {
    auto two = [](const std::vector<double>& x) { return std::vector<double>{x[0], x[0]}; };
    auto scalar = [](const std::vector<double>& x) { return x[0]; };
    int caught = 0;
    try {
        fdvjp::vjp(two, std::vector<double>{1}, std::vector<double>{1, 1, 1});
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_LENGTH_MISMATCH &&
                  e.message().find("returned 2 values where 3 were expected") != std::string::npos;
    }
    fdvjp::tape t;
    const fdvjp::var x = t.input(std::vector<double>{1, 2});
    try {
        (void)t.call(two, {x}, 3);
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_LENGTH_MISMATCH &&
                  e.message().find("returned 2 values where 3") != std::string::npos;
    }
    try {
        (void)t.call(scalar, {x}, 2);
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_LENGTH_MISMATCH &&
                  e.message().find("returned a scalar where 2 values") != std::string::npos;
    }
    CHECK(caught == 3);
    t.backward(sum(x));  // the tape is still usable
    CHECK_NEAR(t.grad(x)[1], 1.0, 0.0);
}

void test_var_misuse_is_fdvjp_error() {
    fdvjp::tape t, other;
    const fdvjp::var x = t.input(X0), y = other.input(X0);
    int caught = 0;
    try {
        (void)exp(fdvjp::var{});
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_UNKNOWN_VAR && e.message().find("no tape") != std::string::npos;
    }
    try {
        (void)(x + y);
    } catch (const fdvjp::error& e) {
        caught += e.status() == FDVJP_UNKNOWN_VAR && e.message().find("different tapes") != std::string::npos;
    }
    CHECK(caught == 2);
}

// Vars are named by the node they are ("var 1"), in fdvjp's messages and when printed.
void test_vars_are_shown_by_number() {
    fdvjp::tape t;
    const fdvjp::var x = t.input(X0);
    const fdvjp::var s = sum(x);
    CHECK(x.index() == 0 && s.index() == 1);
    CHECK(fdvjp::to_string(s) == "var 1");
    std::ostringstream out;
    out << s;
    CHECK(out.str() == "var 1");
    std::string message;
    try {
        t.backward(s, std::vector<double>{1, 2});
    } catch (const fdvjp::error& e) {
        message = e.message();
    }
    CHECK(message.find("out var 1 = 1") != std::string::npos);
    CHECK(message.find("0x") == std::string::npos);
    try {
        (void)t.grad(s);
    } catch (const fdvjp::error& e) {
        message = e.message();
    }
    CHECK(message.find("var 1 is") != std::string::npos);
}

}  // namespace

void run_arithmetic_tests() {
    test_operators_with_doubles_on_either_side();
    test_compound_assignment();
    test_free_functions_by_adl();
    test_reductions_products_and_shapes_by_adl();
    test_wrong_output_count_is_fdvjp_error_everywhere();
    test_var_misuse_is_fdvjp_error();
    test_vars_are_shown_by_number();
}
