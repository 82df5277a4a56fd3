// Error estimates (Richardson extrapolation), complex step, and finite differences of
// complex functions. Complex callables take std::complex<double> values, in the forms of
// callable.hpp: (span<const std::complex<double>>, span<std::complex<double>>) or
// (const std::vector<std::complex<double>>&) returning a complex or a container of them.
#ifndef FDVJP_ACCURACY_HPP
#define FDVJP_ACCURACY_HPP

#include "callable.hpp"
#include "config.hpp"
#include "derivatives.hpp"

#include <complex>
#include <vector>

namespace fdvjp {

using complex = std::complex<double>;

// A derivative with an estimate of each entry's absolute error.
struct estimate {
    std::vector<double> value, error;
};
struct matrix_estimate {
    matrix value, error;
};

// ---------------------------------------------------------------- estimates

// v^T J(x) by Richardson extrapolation (1 + 12n evaluations), with error estimates.
template <class F>
estimate vjp_estimate(F&& f, span<const double> x, span<const double> v, const config* cfg = nullptr) {
    estimate out{std::vector<double>(x.size()), std::vector<double>(x.size())};
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_vjp_estimate(detail::handle(cfg), fn, user, x.data(), x.size(), v.size(), v.data(),
                                  out.value.data(), out.error.data());
    }, detail::progress_of(cfg));
    return out;
}

// J(x) u (m entries) by Richardson extrapolation (13 evaluations), with error estimates.
template <class F>
estimate jvp_estimate(F&& f, span<const double> x, span<const double> u, std::size_t m,
                      const config* cfg = nullptr) {
    detail::require_size("fdvjp::jvp_estimate", "u", u.size(), x.size());
    estimate out{std::vector<double>(m), std::vector<double>(m)};
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_jvp_estimate(detail::handle(cfg), fn, user, x.data(), x.size(), m, u.data(),
                                  out.value.data(), out.error.data());
    }, detail::progress_of(cfg));
    return out;
}

// The m×n Jacobian by Richardson extrapolation, with error estimates (same layout).
template <class F>
matrix_estimate jacobian_estimate(F&& f, span<const double> x, std::size_t m, const config* cfg = nullptr) {
    const std::size_t size = detail::checked_product("fdvjp::jacobian_estimate", m, x.size());
    const int32_t layout = cfg ? cfg->layout() : FDVJP_ROW_MAJOR;
    matrix_estimate out{{m, x.size(), layout, std::vector<double>(size)},
                        {m, x.size(), layout, std::vector<double>(size)}};
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_jacobian_estimate(detail::handle(cfg), fn, user, x.data(), x.size(), m,
                                       out.value.data.data(), out.error.data.data());
    }, detail::progress_of(cfg));
    return out;
}

// ---------------------------------------------------------------- complex step

// v^T J(x) of a real-analytic f, written with complex arithmetic, by complex step
// (n complex evaluations, no cancellation).
template <class F>
std::vector<double> vjp_complex_step(F&& f, span<const double> x, span<const double> v,
                                     const config* cfg = nullptr) {
    std::vector<double> grad(x.size());
    detail::with_callback<detail::as_complex_function>(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_vjp_complex_step(detail::handle(cfg), fn, user, x.data(), x.size(), v.size(),
                                      v.data(), grad.data());
    }, detail::progress_of(cfg));
    return grad;
}

// J(x) u (m entries) by one complex evaluation.
template <class F>
std::vector<double> jvp_complex_step(F&& f, span<const double> x, span<const double> u, std::size_t m,
                                     const config* cfg = nullptr) {
    detail::require_size("fdvjp::jvp_complex_step", "u", u.size(), x.size());
    std::vector<double> out(m);
    detail::with_callback<detail::as_complex_function>(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_jvp_complex_step(detail::handle(cfg), fn, user, x.data(), x.size(), m, u.data(),
                                      out.data());
    }, detail::progress_of(cfg));
    return out;
}

// The m×n Jacobian by complex step (n complex evaluations).
template <class F>
matrix jacobian_complex_step(F&& f, span<const double> x, std::size_t m, const config* cfg = nullptr) {
    matrix jac{m, x.size(), cfg ? cfg->layout() : FDVJP_ROW_MAJOR,
               std::vector<double>(detail::checked_product("fdvjp::jacobian_complex_step", m, x.size()))};
    detail::with_callback<detail::as_complex_function>(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_jacobian_complex_step(detail::handle(cfg), fn, user, x.data(), x.size(), m,
                                           jac.data.data());
    }, detail::progress_of(cfg));
    return jac;
}

// ---------------------------------------------------------------- complex functions

// The cotangent v (m values) of f: C^n -> C^m pulled back to z, ChainRules convention:
// grad_j = sum_i conj(A_ij) v_i + B_ij conj(v_i) (J^H v for holomorphic f).
template <class F>
std::vector<complex> complex_vjp(F&& f, span<const complex> z, span<const complex> v,
                                 const config* cfg = nullptr) {
    std::vector<complex> grad(z.size());
    detail::with_callback<detail::as_complex_function>(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_complex_vjp(detail::handle(cfg), fn, user, reinterpret_cast<const double*>(z.data()),
                                 z.size(), v.size(), reinterpret_cast<const double*>(v.data()),
                                 reinterpret_cast<double*>(grad.data()));
    }, detail::progress_of(cfg));
    return grad;
}

// A u + B conj(u) (m values).
template <class F>
std::vector<complex> complex_jvp(F&& f, span<const complex> z, span<const complex> u, std::size_t m,
                                 const config* cfg = nullptr) {
    detail::require_size("fdvjp::complex_jvp", "u", u.size(), z.size());
    std::vector<complex> out(m);
    detail::with_callback<detail::as_complex_function>(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_complex_jvp(detail::handle(cfg), fn, user, reinterpret_cast<const double*>(z.data()),
                                 z.size(), m, reinterpret_cast<const double*>(u.data()),
                                 reinterpret_cast<double*>(out.data()));
    }, detail::progress_of(cfg));
    return out;
}

// The real 2m×2n Jacobian of the interleaved view (rows Re w_i, Im w_i; columns Re z_j, Im z_j).
template <class F>
matrix complex_jacobian(F&& f, span<const complex> z, std::size_t m, const config* cfg = nullptr) {
    const std::size_t rows = 2 * m, cols = 2 * z.size();
    matrix jac{rows, cols, cfg ? cfg->layout() : FDVJP_ROW_MAJOR,
               std::vector<double>(detail::checked_product("fdvjp::complex_jacobian", rows, cols))};
    detail::with_callback<detail::as_complex_function>(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_complex_jacobian(detail::handle(cfg), fn, user, reinterpret_cast<const double*>(z.data()),
                                      z.size(), m, jac.data.data());
    }, detail::progress_of(cfg));
    return jac;
}

}  // namespace fdvjp

#endif  // FDVJP_ACCURACY_HPP
