// fdvjp::span (a view of contiguous values; std::span is C++20) and fdvjp::matrix.
#ifndef FDVJP_SPAN_HPP
#define FDVJP_SPAN_HPP

#include "fdvjp.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace fdvjp {

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

}  // namespace fdvjp

#endif  // FDVJP_SPAN_HPP
