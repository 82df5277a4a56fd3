// A minimal test harness: named checks, counted, with the values printed on failure.
#ifndef FDVJP_CPP_CHECK_HPP
#define FDVJP_CPP_CHECK_HPP

#include <cmath>
#include <cstdio>
#include <string>

namespace check {

inline int& passed() { static int count = 0; return count; }
inline int& failed() { static int count = 0; return count; }

inline void record(bool ok, const std::string& what, const char* file, int line) {
    if (ok) {
        ++passed();
    } else {
        ++failed();
        std::printf("FAIL %s:%d: %s\n", file, line, what.c_str());
    }
}

}  // namespace check

#define CHECK(cond) check::record((cond), #cond, __FILE__, __LINE__)
#define CHECK_NEAR(got, want, tol)                                                           \
    do {                                                                                     \
        const double got_ = (got), want_ = (want);                                           \
        check::record(std::fabs(got_ - want_) <= (tol),                                      \
                      std::string(#got " = ") + std::to_string(got_) + ", want " +          \
                          std::to_string(want_) + " within " #tol,                          \
                      __FILE__, __LINE__);                                                   \
    } while (0)

#endif
