// A black box used by both translation units, so the same trampoline instantiation is
// emitted twice and merged by the linker.
#ifndef FDVJP_CPP_SHARED_FUNCTION_HPP
#define FDVJP_CPP_SHARED_FUNCTION_HPP

#include <vector>

// f(x) = sum_j j * x_j^2, so d f / d x_j = 2 j x_j.
inline std::vector<double> weighted_squares(const std::vector<double>& x) {
    double sum = 0;
    for (std::size_t j = 0; j < x.size(); ++j) sum += static_cast<double>(j) * x[j] * x[j];
    return {sum};
}

// Defined in second_unit.cpp: the gradient of weighted_squares at x = [1, 1, 1, 1].
std::vector<double> second_unit_gradient();

#endif
