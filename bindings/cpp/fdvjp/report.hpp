// fdvjp::last_report: what the last finite-difference computation on this thread did
// (evaluations, directions refined and why, fall-backs, error bound, noise), and the
// noise level of each output.
#ifndef FDVJP_REPORT_HPP
#define FDVJP_REPORT_HPP

#include "error.hpp"

#include <vector>

namespace fdvjp {

// The C struct itself (fdvjp_report): its fields are documented in fdvjp.h.
using report = fdvjp_report;

// This thread's report of its last computation (a failed one has completed == 0).
inline report last_report() {
    report out{};
    check(fdvjp_last_report(&out, sizeof out));
    return out;
}

// The noise level of each output of f in the last computation on this thread (declared
// or estimated, 0 where none); empty before any computation.
inline std::vector<double> last_report_noise() {
    std::vector<double> levels(fdvjp_last_report_noise(nullptr, 0));
    levels.resize(fdvjp_last_report_noise(levels.data(), levels.size()));
    return levels;
}

}  // namespace fdvjp

#endif  // FDVJP_REPORT_HPP
