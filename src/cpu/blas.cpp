#include "cpu/blas.hpp"

#include <dlfcn.h>

#include <cstdlib>

#include "nabla/error.hpp"

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

template <class F>
F symbol(void* handle, const char* name) {
    void* p = dlsym(handle, name);
    if (!p) throw Error(std::string("OpenBLAS has no symbol ") + name);
    return reinterpret_cast<F>(p);
}

Blas open_blas() {
    choose_kernel();
    void* handle = nullptr;
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"})
        if ((handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL))) break;
    if (!handle) throw Error("cannot open OpenBLAS (libopenblas.so.0): install libopenblas0 or libopenblas-dev");
    Blas b;
    b.sgemm = symbol<decltype(b.sgemm)>(handle, "cblas_sgemm");
    b.dgemm = symbol<decltype(b.dgemm)>(handle, "cblas_dgemm");
    b.sgemv = symbol<decltype(b.sgemv)>(handle, "cblas_sgemv");
    b.dgemv = symbol<decltype(b.dgemv)>(handle, "cblas_dgemv");
    b.set_num_threads = symbol<decltype(b.set_num_threads)>(handle, "openblas_set_num_threads");
    b.get_num_threads = symbol<decltype(b.get_num_threads)>(handle, "openblas_get_num_threads");
    b.corename = symbol<decltype(b.corename)>(handle, "openblas_get_corename");
    b.set_num_threads(1);  // nabla splits products across its own threads (split_pool.hpp)
    return b;
}

}  // namespace

const Blas& blas() {
    static const Blas loaded = open_blas();
    return loaded;
}

std::string blas_kernel() { return blas().corename(); }

}  // namespace nabla::cpu
