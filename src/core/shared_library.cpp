#include "core/shared_library.hpp"

#include <dlfcn.h>

#include "nabla/error.hpp"

namespace nabla {

SharedLibrary::SharedLibrary(std::string what, std::initializer_list<std::string> files,
                             const std::string& fallback_dir, const std::string& hint, bool global)
    : what_(std::move(what)) {
    const int flags = RTLD_NOW | (global ? RTLD_GLOBAL : RTLD_LOCAL);
    for (const std::string& file : files) {
        if ((handle_ = dlopen(file.c_str(), flags))) return;
        if (!fallback_dir.empty() && (handle_ = dlopen((fallback_dir + "/" + file).c_str(), flags))) return;
    }
    throw Error("cannot open " + what_ + " (" + *files.begin() + "): " + hint);
}

void* SharedLibrary::symbol(const char* name) const {
    void* p = dlsym(handle_, name);
    if (!p) throw Error(what_ + " has no symbol " + name);
    return p;
}

}  // namespace nabla
