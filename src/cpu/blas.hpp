// The CPU backend's matrix products: OpenBLAS, row-major, overloaded on the scalar so that one
// templated code path serves float (training) and double (checks).
//
// OpenBLAS is opened at run time (blas.cpp) rather than linked: its kernel is chosen when the
// library loads, and Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to
// its SSE3 "Prescott" kernels (a quarter of the speed). Opening it ourselves lets nabla name the
// right kernel family first.
#pragma once

#include <cblas.h>

#include <cstddef>
#include <string>

namespace nabla::cpu {

struct Blas {
    decltype(&cblas_sgemm) sgemm;
    decltype(&cblas_dgemm) dgemm;
    decltype(&openblas_set_num_threads) set_num_threads;
    decltype(&openblas_get_num_threads) get_num_threads;
    decltype(&openblas_get_corename) corename;
};

// The loaded OpenBLAS; Error if it cannot be opened.
const Blas& blas();

// The OpenBLAS kernel family in use (e.g. "SkylakeX", "Haswell").
std::string blas_kernel();

// C (m × n) = alpha · op(A) · op(B) + beta · C, all row-major.
template <class T>
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A,
                 std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    const auto ta = trans_a ? CblasTrans : CblasNoTrans;
    const auto tb = trans_b ? CblasTrans : CblasNoTrans;
    if constexpr (sizeof(T) == sizeof(float))
        blas().sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
    else
        blas().dgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

}  // namespace nabla::cpu
