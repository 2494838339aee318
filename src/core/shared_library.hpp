// A shared library opened at run time (dlopen) and its functions looked up by name. nabla opens
// OpenBLAS this way (to name its kernel before it loads), and cuBLAS and NCCL (so that a CPU-only
// run needs neither). A library stays open for the life of the process.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

namespace nabla {

class SharedLibrary {
public:
    // The first of `files` that opens, each tried by name (the system's search path) and then in
    // `fallback_dir` if given. Error "cannot open WHAT (FILE): HINT" if none does.
    SharedLibrary(std::string what, std::initializer_list<std::string> files, const std::string& fallback_dir,
                  const std::string& hint, bool global = false);

    // A library already opened (a dlopen handle, not null), whose functions are looked up by name.
    SharedLibrary(std::string what, void* handle) : what_(std::move(what)), handle_(handle) {}

    // The function `name`, as F; Error "WHAT has no symbol NAME" if the library lacks it.
    template <class F>
    F function(const char* name) const {
        return reinterpret_cast<F>(symbol(name));
    }

private:
    void* symbol(const char* name) const;

    std::string what_;
    void* handle_ = nullptr;
};

}  // namespace nabla
