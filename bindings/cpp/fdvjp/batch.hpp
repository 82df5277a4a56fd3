// Batch functions: a callable `void|int (fdvjp::span<const double> points, std::size_t k,
// fdvjp::span<double> values)` evaluates k points at once (point p is points[p*n ..
// p*n + n], its values go to values[p*m .. p*m + m]), to vectorize or to hand the points
// to a GPU, MPI ranks or a cluster queue. The config's batch_size bounds k.
#ifndef FDVJP_BATCH_HPP
#define FDVJP_BATCH_HPP

#include "callable.hpp"
#include "config.hpp"
#include "derivatives.hpp"

#include <vector>

namespace fdvjp {

// v^T J(x) with a batch function.
template <class F>
std::vector<double> vjp_batch(F&& f, span<const double> x, span<const double> v, const config* cfg = nullptr) {
    std::vector<double> grad(x.size());
    detail::with_callback<detail::as_batch_function>(
        f,
        [&](fdvjp_batch_fn fn, void* user) {
            return fdvjp_vjp_batch(detail::handle(cfg), fn, user, x.data(), x.size(), v.size(), v.data(),
                                   grad.data());
        },
        detail::progress_of(cfg));
    return grad;
}

// J(x) u (m entries) with a batch function.
template <class F>
std::vector<double> jvp_batch(F&& f, span<const double> x, span<const double> u, std::size_t m,
                              const config* cfg = nullptr) {
    detail::require_size("fdvjp::jvp_batch", "u", u.size(), x.size());
    std::vector<double> out(m);
    detail::with_callback<detail::as_batch_function>(
        f,
        [&](fdvjp_batch_fn fn, void* user) {
            return fdvjp_jvp_batch(detail::handle(cfg), fn, user, x.data(), x.size(), m, u.data(), out.data());
        },
        detail::progress_of(cfg));
    return out;
}

// The m×n Jacobian with a batch function.
template <class F>
matrix jacobian_batch(F&& f, span<const double> x, std::size_t m, const config* cfg = nullptr) {
    matrix jac{m, x.size(), cfg ? cfg->layout() : FDVJP_ROW_MAJOR,
               std::vector<double>(detail::checked_product("fdvjp::jacobian_batch", m, x.size()))};
    detail::with_callback<detail::as_batch_function>(
        f,
        [&](fdvjp_batch_fn fn, void* user) {
            return fdvjp_jacobian_batch(detail::handle(cfg), fn, user, x.data(), x.size(), m, jac.data.data());
        },
        detail::progress_of(cfg));
    return jac;
}

}  // namespace fdvjp

#endif  // FDVJP_BATCH_HPP
