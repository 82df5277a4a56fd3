// Any C++ callable as an fdvjp_fn / fdvjp_cfn / fdvjp_vjp_fn: the trampolines that stop
// exceptions at the C boundary and hand them back for rethrowing after the C call.
#ifndef FDVJP_CALLABLE_HPP
#define FDVJP_CALLABLE_HPP

#include "error.hpp"
#include "span.hpp"

#include <complex>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fdvjp {

namespace detail {

template <class T>
struct is_complex : std::false_type {};
template <class T>
struct is_complex<std::complex<T>> : std::true_type {};

// Calls the user's callable in whichever form it has, on values of type T (double, or
// std::complex<double> for an fdvjp_cfn, whose buffers hold n and m interleaved pairs);
// a non-zero return aborts the computation.
template <class T, class F>
int32_t evaluate(F& f, const double* x, std::size_t n, double* y, std::size_t m) {
    // std::complex<double> is layout-compatible with double[2] ([complex.numbers]).
    const T* in = reinterpret_cast<const T*>(x);
    T* out = reinterpret_cast<T*>(y);
    if constexpr (std::is_invocable_v<F&, span<const T>, span<T>>) {
        using R = std::invoke_result_t<F&, span<const T>, span<T>>;
        if constexpr (std::is_void_v<R>) {
            f(span<const T>(in, n), span<T>(out, m));
            return 0;
        } else {
            return static_cast<int32_t>(f(span<const T>(in, n), span<T>(out, m)));
        }
    } else {
        static_assert(std::is_invocable_v<F&, const std::vector<T>&>,
                      "fdvjp: a function takes (span<const T>, span<T>) or (const std::vector<T>&), "
                      "T = double (std::complex<double> for complex functions)");
        const std::vector<T> input(in, in + n);
        const auto result = f(input);
        using R = std::decay_t<decltype(result)>;
        if constexpr (std::is_arithmetic_v<R> || is_complex<R>::value) {
            if (m != 1)
                throw error(FDVJP_LENGTH_MISMATCH, "fdvjp: the function returned a scalar where " +
                                                       std::to_string(m) + " values were expected");
            out[0] = static_cast<T>(result);
        } else {
            if (static_cast<std::size_t>(result.size()) != m)
                throw error(FDVJP_LENGTH_MISMATCH, "fdvjp: the function returned " +
                                                       std::to_string(result.size()) + " values where " +
                                                       std::to_string(m) + " were expected");
            std::size_t i = 0;
            for (const auto& value : result) out[i++] = static_cast<T>(value);
        }
        return 0;
    }
}

// Calls a user adjoint `void|int (span<const double> x, span<const double> y,
// span<const double> v, span<double> grad)`, which overwrites grad with v^T J(x).
template <class G>
int32_t evaluate_adjoint(G& g, const double* x, std::size_t n, const double* y, std::size_t m,
                         const double* v, double* grad) {
    using R = std::invoke_result_t<G&, span<const double>, span<const double>, span<const double>,
                                   span<double>>;
    if constexpr (std::is_void_v<R>) {
        g(span<const double>(x, n), span<const double>(y, m), span<const double>(v, m),
          span<double>(grad, n));
        return 0;
    } else {
        return static_cast<int32_t>(g(span<const double>(x, n), span<const double>(y, m),
                                      span<const double>(v, m), span<double>(grad, n)));
    }
}

// Where a trampoline leaves the first exception of a computation, for rethrowing after it.
// Locked: with threads, callables run (and may throw) on several threads at once.
struct exception_slot {
    std::exception_ptr thrown;
    std::mutex lock;
    void capture() noexcept {
        const std::lock_guard<std::mutex> guard(lock);
        if (!thrown) thrown = std::current_exception();
    }
    void rethrow_if_any() {
        std::exception_ptr first;
        {
            const std::lock_guard<std::mutex> guard(lock);
            first = std::exchange(thrown, nullptr);
        }
        if (first) std::rethrow_exception(first);
    }
};

// Returned to fdvjp when the callable threw.
constexpr int32_t cpp_exception = 1;

// The user data of a one-call computation: the caller's callable, borrowed.
template <class F>
struct bound_function {
    F* f;
    exception_slot* slot;
    F& function() { return *f; }
};

// The C callback over any Bound (a struct with function() and slot): nothing may propagate
// through fdvjp's frames, so every exception is stored and the computation aborted.
template <class Bound, class T = double>
int32_t trampoline(void* user, const double* x, std::size_t n, double* y, std::size_t m) noexcept {
    auto* bound = static_cast<Bound*>(user);
    try {
        return evaluate<T>(bound->function(), x, n, y, m);
    } catch (...) {
        bound->slot->capture();
        return cpp_exception;
    }
}

// The C adjoint callback over a Bound with adjoint() and slot.
template <class Bound>
int32_t adjoint_trampoline(void* user, const double* x, std::size_t n, const double* y,
                           std::size_t m, const double* v, double* grad) noexcept {
    auto* bound = static_cast<Bound*>(user);
    try {
        return evaluate_adjoint(bound->adjoint(), x, n, y, m, v, grad);
    } catch (...) {
        bound->slot->capture();
        return cpp_exception;
    }
}

// Calls a batch callable `void|int (span<const double> points, std::size_t k,
// span<double> values)`: k points of n values each (row p is point p), k*m values out.
template <class F>
int32_t evaluate_batch(F& f, const double* xs, std::size_t n, std::size_t k, double* ys, std::size_t m) {
    using R = std::invoke_result_t<F&, span<const double>, std::size_t, span<double>>;
    if constexpr (std::is_void_v<R>) {
        f(span<const double>(xs, n * k), k, span<double>(ys, m * k));
        return 0;
    } else {
        return static_cast<int32_t>(f(span<const double>(xs, n * k), k, span<double>(ys, m * k)));
    }
}

// The C batch callback (fdvjp_batch_fn) over a Bound with function() and slot.
template <class Bound>
int32_t batch_trampoline(void* user, const double* xs, std::size_t n, std::size_t k, double* ys,
                         std::size_t m) noexcept {
    auto* bound = static_cast<Bound*>(user);
    try {
        return evaluate_batch(bound->function(), xs, n, k, ys, m);
    } catch (...) {
        bound->slot->capture();
        return cpp_exception;
    }
}

// The kinds of C callback a borrowed callable can be handed to C as.
struct as_function {};
struct as_complex_function {};
struct as_batch_function {};

template <class Kind, class Bound>
auto c_callback() {
    if constexpr (std::is_same_v<Kind, as_batch_function>) {
        return &batch_trampoline<Bound>;
    } else if constexpr (std::is_same_v<Kind, as_complex_function>) {
        return &trampoline<Bound, std::complex<double>>;
    } else {
        return &trampoline<Bound, double>;
    }
}

// Runs `call(fn, user)` for a callable borrowed for one C call; rethrows the callable's
// exception (it caused the failure), then one of the config's progress callable
// (`progress`, may be nullptr), before reporting the status.
template <class Kind = as_function, class F, class Call>
void with_callback(F& f, Call&& call, exception_slot* progress = nullptr) {
    using G = std::remove_reference_t<F>;
    exception_slot slot;
    bound_function<G> bound{&f, &slot};
    const int32_t status = call(c_callback<Kind, bound_function<G>>(), static_cast<void*>(&bound));
    slot.rethrow_if_any();
    if (progress) progress->rethrow_if_any();
    check(status);
}

inline void require_size(const char* where, const char* name, std::size_t got, std::size_t want) {
    if (got != want)
        throw error(FDVJP_LENGTH_MISMATCH, std::string(where) + ": " + name + " has " +
                                               std::to_string(got) + " entries, expected " +
                                               std::to_string(want));
}

inline std::size_t checked_product(const char* where, std::size_t a, std::size_t b) {
    if (a != 0 && b > SIZE_MAX / a) throw error(FDVJP_INVALID_ARGUMENT, std::string(where) + ": m*n overflows size_t");
    return a * b;
}

}  // namespace detail

}  // namespace fdvjp

#endif  // FDVJP_CALLABLE_HPP
