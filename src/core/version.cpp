#include "nabla/version.hpp"

namespace nabla {

const char* version() { return NABLA_VERSION; }  // set by src/CMakeLists.txt from the project

}  // namespace nabla
