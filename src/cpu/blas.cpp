#include "cpu/blas.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/shared_library.hpp"

namespace nabla::cpu {

namespace {

// The kernel family for this CPU, unless the user chose one with OPENBLAS_CORETYPE. Only set
// where OpenBLAS's own detection is known to fall short; SkylakeX covers AVX-512 CPUs, Haswell
// AVX2 + FMA ones.
void choose_kernel() {
    if (std::getenv("OPENBLAS_CORETYPE")) return;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        setenv("OPENBLAS_CORETYPE", "Haswell", 0);
}

// A kernel family by the name of the one whose single-precision products it runs: Cooperlake's
// (and Sapphire Rapids') sgemm is SkylakeX's, Zen's is Haswell's, bit for bit.
std::string family(std::string name) {
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (name == "cooperlake" || name == "sapphirerapids") return "skylakex";
    if (name == "zen") return "haswell";
    return name;
}

// The path of the OpenBLAS another library of this process opened before nabla with kernels of
// another family than `wanted` (NumPy's, in a Python process: OpenBLAS chose them as it loaded,
// and Debian's 0.3.21 takes a recent CPU for an old one); empty if none is open, or its kernels
// are of that family.
std::string opened_elsewhere_with_other_kernels(const char* wanted) {
    void* handle = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) return {};
    std::string path;
    const auto corename = reinterpret_cast<char* (*)()>(dlsym(handle, "openblas_get_corename"));
    link_map* map = nullptr;
    if (corename && family(corename()) != family(wanted) && dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map &&
        map->l_name && *map->l_name)
        path = map->l_name;
    dlclose(handle);  // the reference RTLD_NOLOAD added
    return path;
}

// An instance of the OpenBLAS at `path` of nabla's own, which chooses its kernels (by
// OPENBLAS_CORETYPE) as it loads, beside the one already open. The loader hands out a library
// already loaded from the same file instead of loading it again, so this instance is loaded from a
// copy of the file in memory (about 37 MB for Debian's 0.3.21); RTLD_DEEPBIND binds its own
// symbols to itself. Null if any of it fails.
void* own_instance(const std::string& path) {
    const int from = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (from < 0) return nullptr;
    void* handle = nullptr;
    struct stat st {};
    const int copy = fstat(from, &st) == 0 ? memfd_create("nabla-openblas", MFD_CLOEXEC) : -1;
    if (copy >= 0) {
        off_t offset = 0;
        while (offset < st.st_size && sendfile(copy, from, &offset, std::size_t(st.st_size - offset)) > 0) {
        }
        if (offset == st.st_size) {
            char name[40];
            std::snprintf(name, sizeof name, "/proc/self/fd/%d", copy);
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        }
        close(copy);  // the mapping keeps the copy
    }
    close(from);
    return handle;
}

Blas blas_of(const SharedLibrary& library) {
    Blas b;
    b.sgemm = library.function<decltype(b.sgemm)>("cblas_sgemm");
    b.dgemm = library.function<decltype(b.dgemm)>("cblas_dgemm");
    b.sgemv = library.function<decltype(b.sgemv)>("cblas_sgemv");
    b.dgemv = library.function<decltype(b.dgemv)>("cblas_dgemv");
    b.set_num_threads = library.function<decltype(b.set_num_threads)>("openblas_set_num_threads");
    b.corename = library.function<decltype(b.corename)>("openblas_get_corename");
    b.set_num_threads(1);  // nabla splits products across its own threads (split_pool.hpp)
    return b;
}

Blas open_blas() {
    choose_kernel();
    // In a process where NumPy opened OpenBLAS first, OpenBLAS's own choice stands for that
    // instance (Prescott's SSE3 kernels where 0.3.21 does not know the CPU), or the one
    // OPENBLAS_CORETYPE named then: where that is another family than the one chosen above, nabla
    // opens an instance of its own with these kernels, the ones the nabla program gets.
    if (const char* wanted = std::getenv("OPENBLAS_CORETYPE"); wanted && *wanted) {
        if (const std::string path = opened_elsewhere_with_other_kernels(wanted); !path.empty()) {
            if (void* handle = own_instance(path)) {
                Blas b = blas_of(SharedLibrary("OpenBLAS", handle));
                if (strcasecmp(b.corename(), wanted) == 0) return b;
                dlclose(handle);  // not the kernels asked for after all: the one already open serves
            }
        }
    }
    // Opened into the global namespace, as a linked library would be.
    const SharedLibrary library("OpenBLAS", {"libopenblas.so.0", "libopenblas.so"}, "",
                                "install libopenblas0 or libopenblas-dev", true);
    return blas_of(library);
}

}  // namespace

const Blas& blas() {
    static const Blas loaded = open_blas();
    return loaded;
}

std::string blas_kernel() { return blas().corename(); }

}  // namespace nabla::cpu
