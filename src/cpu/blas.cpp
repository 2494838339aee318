#include "cpu/blas.hpp"

#include <cstdlib>

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

Blas open_blas() {
    choose_kernel();
    // Opened into the global namespace, as a linked library would be.
    const SharedLibrary library("OpenBLAS", {"libopenblas.so.0", "libopenblas.so"}, "",
                                "install libopenblas0 or libopenblas-dev", true);
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

}  // namespace

const Blas& blas() {
    static const Blas loaded = open_blas();
    return loaded;
}

std::string blas_kernel() { return blas().corename(); }

}  // namespace nabla::cpu
