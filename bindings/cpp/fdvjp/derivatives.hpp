// fdvjp::vjp, jvp and jacobian of a callable, into new vectors or caller buffers.
// `cfg` may be nullptr (the defaults) wherever a `const config*` is taken.
#ifndef FDVJP_DERIVATIVES_HPP
#define FDVJP_DERIVATIVES_HPP

#include "callable.hpp"
#include "config.hpp"

#include <cstdint>
#include <vector>

namespace fdvjp {

namespace detail {
// The C config behind `cfg`, nullptr (the defaults) only when none was given: a config that
// was moved from holds no handle, and computing with the defaults in its place would drop
// its settings (bounds, scheme, pattern) without a word.
inline fdvjp_config* handle(const config* cfg) {
    if (!cfg) return nullptr;
    if (!cfg->get())
        throw error(FDVJP_INVALID_ARGUMENT,
                    "fdvjp: the config passed was moved from (its settings went with it); pass the "
                    "config it was moved to, or nullptr for the defaults");
    return cfg->get();
}
inline exception_slot* progress_of(const config* cfg) { return cfg ? cfg->progress_slot() : nullptr; }
}  // namespace detail

// grad = v^T J(x) into the caller's buffer (x.size() entries), for f: R^n -> R^m with
// m = v.size().
template <class F>
void vjp(F&& f, span<const double> x, span<const double> v, span<double> grad,
         const config* cfg = nullptr) {
    detail::require_size("fdvjp::vjp", "grad", grad.size(), x.size());
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_vjp(detail::handle(cfg), fn, user, x.data(), x.size(), v.size(), v.data(), grad.data());
    }, detail::progress_of(cfg));
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
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_jvp(detail::handle(cfg), fn, user, x.data(), x.size(), out.size(), u.data(), out.data());
    }, detail::progress_of(cfg));
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
    detail::require_size("fdvjp::jacobian", "jac", jac.size(),
                         detail::checked_product("fdvjp::jacobian", m, x.size()));
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_jacobian(detail::handle(cfg), fn, user, x.data(), x.size(), m, jac.data());
    }, detail::progress_of(cfg));
}

// The m×n Jacobian as a matrix: J(i, j) = df_i/dx_j.
template <class F>
matrix jacobian(F&& f, span<const double> x, std::size_t m, const config* cfg = nullptr) {
    matrix jac{m, x.size(), cfg ? cfg->layout() : FDVJP_ROW_MAJOR, {}};
    jac.data.resize(detail::checked_product("fdvjp::jacobian", m, x.size()));
    jacobian(f, x, m, span<double>(jac.data), cfg);
    return jac;
}

template <class F>
matrix jacobian(F&& f, span<const double> x, std::size_t m, const config& cfg) {
    return jacobian(f, x, m, &cfg);
}

// Learns the sparsity pattern of f's m×n Jacobian at x (2(n + 1) evaluations) into cfg;
// later vjp/jacobian calls with cfg use it, verified on every call (2 more evaluations),
// and fall back to dense for a call whose check fails (see fdvjp_config_detect_sparsity).
// On error cfg is unchanged.
template <class F>
void detect_sparsity(config& cfg, F&& f, span<const double> x, std::size_t m) {
    detail::with_callback(f, [&](fdvjp_fn fn, void* user) {
        return fdvjp_config_detect_sparsity(cfg.get(), fn, user, x.data(), x.size(), m);
    }, detail::progress_of(&cfg));
}

}  // namespace fdvjp

#endif  // FDVJP_DERIVATIVES_HPP
