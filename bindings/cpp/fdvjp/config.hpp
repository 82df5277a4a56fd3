// fdvjp::config: RAII owner of one fdvjp_config (and of its progress callable).
#ifndef FDVJP_CONFIG_HPP
#define FDVJP_CONFIG_HPP

#include "callable.hpp"
#include "error.hpp"
#include "span.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fdvjp {

namespace detail {

// A progress callable `bool (std::size_t done, std::size_t total)` (false cancels) with
// the slot for an exception it throws; at a fixed address, for C's `user` pointer.
struct progress_holder {
    std::function<bool(std::size_t, std::size_t)> f;
    exception_slot slot;
};

inline int32_t progress_trampoline(void* user, std::size_t done, std::size_t total) noexcept {
    auto* holder = static_cast<progress_holder*>(user);
    try {
        return holder->f(done, total) ? 0 : 1;
    } catch (...) {
        holder->slot.capture();
        return cpp_exception;
    }
}

}  // namespace detail

// Owns one fdvjp_config; move-only. Setters throw fdvjp::error on invalid values and
// return *this so that they chain.
class config {
public:
    config() : handle_(fdvjp_config_new()) {
        if (!handle_) throw error(FDVJP_OUT_OF_MEMORY, "fdvjp_config_new returned NULL");
    }
    ~config() { fdvjp_config_free(handle_); }  // before the progress holder goes
    config(config&& other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), layout_(other.layout_),
          progress_(std::move(other.progress_)) {}
    config& operator=(config&& other) noexcept {
        if (this != &other) {
            fdvjp_config_free(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
            layout_ = other.layout_;
            progress_ = std::move(other.progress_);
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
    // The Jacobian's sparsity pattern in COO form (0-based row and column indices).
    config& sparsity(span<const std::size_t> rows, span<const std::size_t> cols) {
        if (rows.size() != cols.size())
            throw error(FDVJP_LENGTH_MISMATCH, "fdvjp::config::sparsity: rows and cols differ in size");
        return set(fdvjp_config_set_sparsity(handle_, rows.data(), cols.data(), rows.size()));
    }
    // Learn the Jacobian's pattern at the first vjp/jacobian (or, in a tape, at each node's
    // first pull-back) and use it, verified; false forgets a learned pattern.
    config& learn_sparsity(bool on) { return set(fdvjp_config_set_learn_sparsity(handle_, on ? 1 : 0)); }
    // The learned pattern's (row, col) entries (empty when none).
    std::pair<std::vector<std::size_t>, std::vector<std::size_t>> learned_sparsity() const {
        std::size_t nnz = 0;
        check(fdvjp_config_learned_sparsity(handle_, nullptr, nullptr, 0, &nnz));
        std::vector<std::size_t> rows(nnz), cols(nnz);
        if (nnz)
            check(fdvjp_config_learned_sparsity(handle_, rows.data(), cols.data(), nnz, &nnz));
        return {std::move(rows), std::move(cols)};
    }
    config& adaptive(bool on) { return set(fdvjp_config_set_adaptive(handle_, on ? 1 : 0)); }
    // f's absolute noise level: one value for every output, or one per output (checked
    // against m by each computation); an empty span declares none.
    config& noise(span<const double> levels) {
        return set(fdvjp_config_set_noise(handle_, levels.empty() ? nullptr : levels.data(), levels.size()));
    }
    // When f's noise is estimated: FDVJP_NOISE_AUTO (default), FDVJP_NOISE_ESTIMATE, FDVJP_NOISE_OFF.
    config& noise_mode(int32_t mode) { return set(fdvjp_config_set_noise_mode(handle_, mode)); }
    // More than one thread declares the function safe to call concurrently.
    config& threads(std::size_t n) { return set(fdvjp_config_set_threads(handle_, n)); }
    config& batch_size(std::size_t points) { return set(fdvjp_config_set_batch_size(handle_, points)); }
    // progress(done, total) after each batch of evaluations; false cancels the computation
    // (FDVJP_CANCELLED) and an exception it throws is rethrown by the computation.
    config& progress(std::function<bool(std::size_t, std::size_t)> f) {
        if (!f) {
            set(fdvjp_config_set_progress(handle_, nullptr, nullptr));
            progress_.reset();
            return *this;
        }
        auto holder = std::make_shared<detail::progress_holder>();
        holder->f = std::move(f);
        set(fdvjp_config_set_progress(handle_, &detail::progress_trampoline, holder.get()));
        progress_ = std::move(holder);
        return *this;
    }

    // Getters: what the C config stores (fdvjp_config_get_*), throwing fdvjp::error as the
    // setters do. Arrays are empty when unset; relative_step() and batch_size() are 0 when
    // the default applies; sparsity() gives the distinct entries by column, then row.
    int32_t scheme() const { return scalar<int32_t>(fdvjp_config_get_scheme); }
    double relative_step() const { return scalar<double>(fdvjp_config_get_relative_step); }
    std::vector<double> steps() const { return arrays<double, 1>(fdvjp_config_get_steps)[0]; }
    std::vector<double> typical() const { return arrays<double, 1>(fdvjp_config_get_typical)[0]; }
    std::pair<std::vector<double>, std::vector<double>> bounds() const {
        auto b = arrays<double, 2>(fdvjp_config_get_bounds);
        return {std::move(b[0]), std::move(b[1])};
    }
    std::pair<std::vector<std::size_t>, std::vector<std::size_t>> sparsity() const {
        auto p = arrays<std::size_t, 2>(fdvjp_config_get_sparsity);
        return {std::move(p[0]), std::move(p[1])};
    }
    bool adaptive() const { return scalar<int32_t>(fdvjp_config_get_adaptive) != 0; }
    bool learn_sparsity() const { return scalar<int32_t>(fdvjp_config_get_learn_sparsity) != 0; }
    std::vector<double> noise() const { return arrays<double, 1>(fdvjp_config_get_noise)[0]; }
    int32_t noise_mode() const { return scalar<int32_t>(fdvjp_config_get_noise_mode); }
    std::size_t threads() const { return scalar<std::size_t>(fdvjp_config_get_threads); }
    std::size_t batch_size() const { return scalar<std::size_t>(fdvjp_config_get_batch_size); }
    // Whether a progress callable is registered (read from the C config).
    bool has_progress() const {
        fdvjp_progress_fn f = nullptr;
        void* user = nullptr;
        check(fdvjp_config_get_progress(handle_, &f, &user));
        return f != nullptr;
    }

    fdvjp_config* get() const noexcept { return handle_; }
    // The Jacobian layout as the C config stores it (the last one set if it cannot be read).
    int32_t layout() const noexcept {
        int32_t l = layout_;
        if (handle_) fdvjp_config_get_layout(handle_, &l);  // writes l only on success
        return l;
    }
    // Where the progress callable's exception waits (nullptr without one).
    detail::exception_slot* progress_slot() const noexcept { return progress_ ? &progress_->slot : nullptr; }
    // The progress callable, for a tape that copies this config to keep it alive.
    std::shared_ptr<detail::progress_holder> progress_holder() const noexcept { return progress_; }

private:
    template <typename T>
    T scalar(fdvjp_status (*getter)(const fdvjp_config*, T*)) const {
        T value{};
        check(getter(handle_, &value));
        return value;
    }
    // An option's K arrays: the length first (capacity 0), then the copy.
    template <typename T, std::size_t K, typename Getter>
    std::array<std::vector<T>, K> arrays(Getter getter) const {
        std::size_t count = 0;
        std::array<std::vector<T>, K> out;
        if constexpr (K == 1) {
            check(getter(handle_, nullptr, 0, &count));
            out[0].resize(count);
            if (count) check(getter(handle_, out[0].data(), count, &count));
        } else {
            check(getter(handle_, nullptr, nullptr, 0, &count));
            out[0].resize(count);
            out[1].resize(count);
            if (count) check(getter(handle_, out[0].data(), out[1].data(), count, &count));
        }
        return out;
    }
    config& set(int32_t status) {
        check(status);
        return *this;
    }
    fdvjp_config* handle_;
    int32_t layout_ = FDVJP_ROW_MAJOR;
    std::shared_ptr<detail::progress_holder> progress_;  // shared with tapes that copied cfg
};

}  // namespace fdvjp

#endif  // FDVJP_CONFIG_HPP
