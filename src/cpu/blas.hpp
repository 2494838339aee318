// The CPU backend's matrix products: OpenBLAS, row-major, overloaded on the scalar so that one
// templated code path serves float (training) and double (checks).
#pragma once

#include <cblas.h>

#include <cstddef>

namespace nabla::cpu {

// C (m × n) = alpha · op(A) · op(B) + beta · C, all row-major.
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha,
                 const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
                 std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
                 const double* A, std::size_t lda, const double* B, std::size_t ldb, double beta,
                 double* C, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

}  // namespace nabla::cpu
