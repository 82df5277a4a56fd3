// fdvjp::error, the exception every failed call throws, and the last-error message.
#ifndef FDVJP_ERROR_HPP
#define FDVJP_ERROR_HPP

#include "fdvjp.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fdvjp {

// A failed call: status() is the C status code, message() fdvjp's last-error text.
class error : public std::runtime_error {
public:
    error(int32_t status, const std::string& message)
        : std::runtime_error(std::string(fdvjp_status_str(status)) + ": " + message),
          status_(status), message_(message) {}
    int32_t status() const noexcept { return status_; }
    const char* status_name() const noexcept { return fdvjp_status_str(status_); }
    const std::string& message() const noexcept { return message_; }

private:
    int32_t status_;
    std::string message_;
};

// This thread's last-error message (empty after a successful call).
inline std::string last_error() {
    std::string text(fdvjp_last_error(nullptr, 0) + 1, '\0');
    text.resize(fdvjp_last_error(&text[0], text.size()));
    return text;
}

// Throws fdvjp::error for a non-zero status (reading the thread-local message at once).
inline void check(int32_t status) {
    if (status != FDVJP_OK) throw error(status, last_error());
}

}  // namespace fdvjp

#endif  // FDVJP_ERROR_HPP
