/// @file
/// The library's version.
#pragma once

namespace nabla {

/// nabla's version, "MAJOR.MINOR.PATCH" (the CMake project version it was built as).
const char* version();

}  // namespace nabla
