// fdvjp::version: the version of the library actually loaded (compare it with the
// header's FDVJP_VERSION_* to detect a library older than the header).
#ifndef FDVJP_VERSION_HPP
#define FDVJP_VERSION_HPP

#include "fdvjp.h"

#include <cstdint>
#include <string>

namespace fdvjp {

struct version_info {
    int32_t major_version;
    int32_t minor_version;
    int32_t patch_version;
    std::string text;  // "major.minor.patch"
};

inline version_info version() {
    version_info v{};
    v.text = fdvjp_version(&v.major_version, &v.minor_version, &v.patch_version);
    return v;
}

}  // namespace fdvjp

#endif  // FDVJP_VERSION_HPP
