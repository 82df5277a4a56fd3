// fdvjp::config: RAII owner of one fdvjp_config.
#ifndef FDVJP_CONFIG_HPP
#define FDVJP_CONFIG_HPP

#include "error.hpp"
#include "span.hpp"

#include <utility>

namespace fdvjp {

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

}  // namespace fdvjp

#endif  // FDVJP_CONFIG_HPP
