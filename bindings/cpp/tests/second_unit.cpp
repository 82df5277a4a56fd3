// A second translation unit using the header: its inline functions and templates must
// link with the first one's without duplicate symbols.
#include "fdvjp.hpp"
#include "shared_function.hpp"

std::vector<double> second_unit_gradient() {
    const std::vector<double> x{1, 1, 1, 1}, v{1};
    return fdvjp::vjp(&weighted_squares, x, v);
}
