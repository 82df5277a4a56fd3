// fdvjp.hpp: header-only C++17 wrapper over the C API in fdvjp.h.
//
//   fdvjp::config cfg;                       // RAII handle, options chain
//   cfg.scheme(FDVJP_CENTRAL4);
//   auto grad = fdvjp::vjp([](const std::vector<double>& x) { return f(x); }, x, v, cfg);
//
// Functions are any callables, in one of two forms:
//   - out-parameter:  void|int (fdvjp::span<const double> x, fdvjp::span<double> y)
//                     (an int result is a status: non-zero aborts the computation);
//   - value-returning: R (const std::vector<double>& x), R a double or a container of
//                     doubles with size() and begin()/end().
// An exception thrown by the callable is caught before it reaches the C library (C frames
// cannot unwind), the computation is aborted, and the exception is rethrown unchanged after
// the C call returns. Every failure of the library throws fdvjp::error, carrying the
// status and the library's message. Outputs are written only on success.
#ifndef FDVJP_HPP
#define FDVJP_HPP

#include "fdvjp.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fdvjp {

// ---------------------------------------------------------------- errors

// A failed call: status() is the C status code, message() fdvjp's last-error text.
class error : public std::runtime_error {
public:
    error(int32_t status, const std::string& message)
        : std::runtime_error(std::string(fdvjp_status_str(status)) + ": " + message),
          status_(status), message_(message) {}
    int32_t status() const noexcept { return status_; }
    const char* status_name() const noexcept { return fdvjp_status_str(status_); }
    const std::string& message() const noexcept { return message_; }

private:
    int32_t status_;
    std::string message_;
};

// This thread's last-error message (empty after a successful call).
inline std::string last_error() {
    std::string text(fdvjp_last_error(nullptr, 0) + 1, '\0');
    text.resize(fdvjp_last_error(&text[0], text.size()));
    return text;
}

// Throws fdvjp::error for a non-zero status (reading the thread-local message at once).
inline void check(int32_t status) {
    if (status != FDVJP_OK) throw error(status, last_error());
}

// ---------------------------------------------------------------- arrays

// A non-owning view of contiguous doubles (std::span is C++20): built from a pointer and
// a length, a std::vector, a std::array or a C array.
template <class T>
class span {
public:
    constexpr span() noexcept = default;
    constexpr span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    span(std::vector<U>& v) noexcept : data_(v.data()), size_(v.size()) {}
    template <class U, class = std::enable_if_t<std::is_convertible_v<const U*, T*>>>
    span(const std::vector<U>& v) noexcept : data_(v.data()), size_(v.size()) {}
    template <class U, std::size_t N, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    constexpr span(std::array<U, N>& a) noexcept : data_(a.data()), size_(N) {}
    template <class U, std::size_t N, class = std::enable_if_t<std::is_convertible_v<const U*, T*>>>
    constexpr span(const std::array<U, N>& a) noexcept : data_(a.data()), size_(N) {}
    template <std::size_t N>
    constexpr span(T (&a)[N]) noexcept : data_(a), size_(N) {}
    template <class U, class = std::enable_if_t<std::is_convertible_v<U*, T*>>>
    constexpr span(span<U> other) noexcept : data_(other.data()), size_(other.size()) {}

    constexpr T* data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T* begin() const noexcept { return data_; }
    constexpr T* end() const noexcept { return data_ + size_; }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

// An m×n Jacobian owning its data; (i, j) is df_i/dx_j whatever the storage layout.
struct matrix {
    std::size_t rows = 0, cols = 0;
    int32_t layout = FDVJP_ROW_MAJOR;
    std::vector<double> data;
    double operator()(std::size_t i, std::size_t j) const {
        return layout == FDVJP_COL_MAJOR ? data[j * rows + i] : data[i * cols + j];
    }
};

// ---------------------------------------------------------------- config

// Owns one fdvjp_config; move-only. Setters throw fdvjp::error on invalid values and
// return *this so that they chain.
class config {
public:
    config() : handle_(fdvjp_config_new()) {
        if (!handle_) throw error(FDVJP_OUT_OF_MEMORY, "fdvjp_config_new returned NULL");
    }
    ~config() { fdvjp_config_free(handle_); }
    config(config&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)),
                                      layout_(other.layout_) {}
    config& operator=(config&& other) noexcept {
        if (this != &other) {
            fdvjp_config_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            layout_ = other.layout_;
        }
        return *this;
    }
    config(const config&) = delete;
    config& operator=(const config&) = delete;

    config& scheme(int32_t s) { return set(fdvjp_config_set_scheme(handle_, s)); }
    config& layout(int32_t l) {
        set(fdvjp_config_set_layout(handle_, l));
        layout_ = l;
        return *this;
    }
    config& relative_step(double r) { return set(fdvjp_config_set_relative_step(handle_, r)); }
    config& steps(span<const double> h) {
        return set(fdvjp_config_set_steps(handle_, h.data(), h.size()));
    }
    config& typical(span<const double> typ) {
        return set(fdvjp_config_set_typical(handle_, typ.data(), typ.size()));
    }
    config& bounds(span<const double> lower, span<const double> upper) {
        if (lower.size() != upper.size())
            throw error(FDVJP_LENGTH_MISMATCH, "fdvjp::config::bounds: lower has " +
                                                   std::to_string(lower.size()) + " entries, upper " +
                                                   std::to_string(upper.size()));
        return set(fdvjp_config_set_bounds(handle_, lower.data(), upper.data(), lower.size()));
    }

    fdvjp_config* get() const noexcept { return handle_; }
    int32_t layout() const noexcept { return layout_; }

private:
    config& set(int32_t status) {
        check(status);
        return *this;
    }
    fdvjp_config* handle_;
    int32_t layout_ = FDVJP_ROW_MAJOR;
};

// ---------------------------------------------------------------- callables as fdvjp_fn

namespace detail {

// Calls the user's callable in whichever form it has; a non-zero return aborts.
template <class F>
int32_t evaluate(F& f, const double* x, std::size_t n, double* y, std::size_t m) {
    if constexpr (std::is_invocable_v<F&, span<const double>, span<double>>) {
        using R = std::invoke_result_t<F&, span<const double>, span<double>>;
        if constexpr (std::is_void_v<R>) {
            f(span<const double>(x, n), span<double>(y, m));
            return 0;
        } else {
            return static_cast<int32_t>(f(span<const double>(x, n), span<double>(y, m)));
        }
    } else {
        static_assert(std::is_invocable_v<F&, const std::vector<double>&>,
                      "fdvjp: a function takes (span<const double>, span<double>) or "
                      "(const std::vector<double>&)");
        const std::vector<double> input(x, x + n);
        const auto out = f(input);
        if constexpr (std::is_arithmetic_v<std::decay_t<decltype(out)>>) {
            if (m != 1)
                throw std::length_error("fdvjp: the function returned a scalar where " +
                                        std::to_string(m) + " values were expected");
            y[0] = static_cast<double>(out);
        } else {
            if (static_cast<std::size_t>(out.size()) != m)
                throw std::length_error("fdvjp: the function returned " + std::to_string(out.size()) +
                                        " values where " + std::to_string(m) + " were expected");
            std::size_t i = 0;
            for (const auto& value : out) y[i++] = static_cast<double>(value);
        }
        return 0;
    }
}

// The user data fdvjp passes back: the callable and the first exception it threw.
template <class F>
struct bound_function {
    F* f;
    std::exception_ptr thrown;
};

// Returned to fdvjp when the callable threw.
constexpr int32_t cpp_exception = 1;

// The C callback: nothing may propagate through fdvjp's frames, so every exception is
// stored and the computation aborted; `finish` rethrows it.
template <class F>
int32_t trampoline(void* user, const double* x, std::size_t n, double* y, std::size_t m) noexcept {
    auto* bound = static_cast<bound_function<F>*>(user);
    try {
        return evaluate(*bound->f, x, n, y, m);
    } catch (...) {
        if (!bound->thrown) bound->thrown = std::current_exception();
        return cpp_exception;
    }
}

// After the C call: the callable's exception first (it caused the failure), then status.
template <class F>
void finish(const bound_function<F>& bound, int32_t status) {
    if (bound.thrown) std::rethrow_exception(bound.thrown);
    check(status);
}

template <class F>
bound_function<std::remove_reference_t<F>> bind(F& f) {
    return {&f, nullptr};
}

inline void require_size(const char* where, const char* name, std::size_t got, std::size_t want) {
    if (got != want)
        throw error(FDVJP_LENGTH_MISMATCH, std::string(where) + ": " + name + " has " +
                                               std::to_string(got) + " entries, expected " +
                                               std::to_string(want));
}

}  // namespace detail

// ---------------------------------------------------------------- derivatives

// grad = v^T J(x) into the caller's buffer (x.size() entries), for f: R^n -> R^m with
// m = v.size(). `cfg` may be nullptr (defaults).
template <class F>
void vjp(F&& f, span<const double> x, span<const double> v, span<double> grad,
         const config* cfg = nullptr) {
    detail::require_size("fdvjp::vjp", "grad", grad.size(), x.size());
    auto bound = detail::bind(f);
    using G = std::remove_reference_t<F>;
    const int32_t status = fdvjp_vjp(cfg ? cfg->get() : nullptr, &detail::trampoline<G>, &bound,
                                     x.data(), x.size(), v.size(), v.data(), grad.data());
    detail::finish(bound, status);
}

// grad = v^T J(x) as a new vector.
template <class F>
std::vector<double> vjp(F&& f, span<const double> x, span<const double> v) {
    std::vector<double> grad(x.size());
    vjp(f, x, v, span<double>(grad));
    return grad;
}

template <class F>
std::vector<double> vjp(F&& f, span<const double> x, span<const double> v, const config& cfg) {
    std::vector<double> grad(x.size());
    vjp(f, x, v, span<double>(grad), &cfg);
    return grad;
}

// J(x) u into the caller's buffer; f has out.size() outputs.
template <class F>
void jvp(F&& f, span<const double> x, span<const double> u, span<double> out,
         const config* cfg = nullptr) {
    detail::require_size("fdvjp::jvp", "u", u.size(), x.size());
    auto bound = detail::bind(f);
    using G = std::remove_reference_t<F>;
    const int32_t status = fdvjp_jvp(cfg ? cfg->get() : nullptr, &detail::trampoline<G>, &bound,
                                     x.data(), x.size(), out.size(), u.data(), out.data());
    detail::finish(bound, status);
}

// J(x) u as a new vector of m entries.
template <class F>
std::vector<double> jvp(F&& f, span<const double> x, span<const double> u, std::size_t m) {
    std::vector<double> out(m);
    jvp(f, x, u, span<double>(out));
    return out;
}

template <class F>
std::vector<double> jvp(F&& f, span<const double> x, span<const double> u, std::size_t m,
                        const config& cfg) {
    std::vector<double> out(m);
    jvp(f, x, u, span<double>(out), &cfg);
    return out;
}

// The m×n Jacobian into the caller's buffer (m*n doubles, in cfg's layout).
template <class F>
void jacobian(F&& f, span<const double> x, std::size_t m, span<double> jac,
              const config* cfg = nullptr) {
    if (x.size() != 0 && m > SIZE_MAX / x.size())
        throw error(FDVJP_INVALID_ARGUMENT, "fdvjp::jacobian: m*n overflows size_t");
    detail::require_size("fdvjp::jacobian", "jac", jac.size(), m * x.size());
    auto bound = detail::bind(f);
    using G = std::remove_reference_t<F>;
    const int32_t status = fdvjp_jacobian(cfg ? cfg->get() : nullptr, &detail::trampoline<G>,
                                          &bound, x.data(), x.size(), m, jac.data());
    detail::finish(bound, status);
}

// The m×n Jacobian as a matrix: J(i, j) = df_i/dx_j.
template <class F>
matrix jacobian(F&& f, span<const double> x, std::size_t m, const config* cfg = nullptr) {
    matrix jac{m, x.size(), cfg ? cfg->layout() : FDVJP_ROW_MAJOR, {}};
    jac.data.resize(m * x.size());
    jacobian(f, x, m, span<double>(jac.data), cfg);
    return jac;
}

template <class F>
matrix jacobian(F&& f, span<const double> x, std::size_t m, const config& cfg) {
    return jacobian(f, x, m, &cfg);
}

}  // namespace fdvjp

#endif  // FDVJP_HPP
