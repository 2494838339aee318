/// @file
/// The one exception type nabla throws: every failure a user can cause (bad file, bad flag, bad
/// shape, NaN) becomes an Error whose message is a single line naming what was wrong and where.
#pragma once

#include <stdexcept>
#include <string>

namespace nabla {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace nabla
