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
    decltype(&cblas_sgemv) sgemv;
    decltype(&cblas_dgemv) dgemv;
    decltype(&openblas_set_num_threads) set_num_threads;
    decltype(&openblas_get_num_threads) get_num_threads;
    decltype(&openblas_get_corename) corename;
};

// The loaded OpenBLAS; Error if it cannot be opened.
const Blas& blas();

// The OpenBLAS kernel family in use (e.g. "SkylakeX", "Haswell").
std::string blas_kernel();

// y = alpha · op(A) x + beta · y, A row-major rows × cols.
template <class T>
inline void gemv(bool trans, std::size_t rows, std::size_t cols, T alpha, const T* A, std::size_t lda, const T* x,
                 std::size_t incx, T beta, T* y) {
    const auto t = trans ? CblasTrans : CblasNoTrans;
    if constexpr (sizeof(T) == sizeof(float))
        blas().sgemv(CblasRowMajor, t, int(rows), int(cols), alpha, A, int(lda), x, int(incx), beta, y, 1);
    else
        blas().dgemv(CblasRowMajor, t, int(rows), int(cols), alpha, A, int(lda), x, int(incx), beta, y, 1);
}

// C (m × n) = alpha · op(A) · op(B) + beta · C, all row-major; op(A) is m × k, op(B) is k × n.
// A product with a single row or column (a batch of one sample) is a matrix–vector product, and a
// product over k = 1 (one sample's weight gradient) an outer product: both go to their own
// routines, since a GEMM would first copy ("pack") the whole weight matrix for them.
template <class T>
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A,
                 std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    if (m == 1 && n > 1) {  // Cᵀ = op(B)ᵀ op(A)ᵀ: B as stored is n × k (trans_b) or k × n
        gemv(!trans_b, trans_b ? n : k, trans_b ? k : n, alpha, B, ldb, A, trans_a ? lda : 1, beta, C);
        return;
    }
    if (n == 1 && m > 1 && ldc == 1) {  // C = op(A) op(B): A as stored is k × m (trans_a) or m × k
        gemv(trans_a, trans_a ? k : m, trans_a ? m : k, alpha, A, lda, B, trans_b ? 1 : ldb, beta, C);
        return;
    }
    if (k == 1) {  // C = alpha · a bᵀ + beta · C, in one pass over C
        const std::size_t a_step = trans_a ? 1 : lda, b_step = trans_b ? ldb : 1;
        for (std::size_t i = 0; i < m; ++i) {
            const T ai = alpha * A[i * a_step];
            T* row = C + i * ldc;
            if (beta == T(0))
                for (std::size_t j = 0; j < n; ++j) row[j] = ai * B[j * b_step];
            else
                for (std::size_t j = 0; j < n; ++j) row[j] = beta * row[j] + ai * B[j * b_step];
        }
        return;
    }
    const auto ta = trans_a ? CblasTrans : CblasNoTrans;
    const auto tb = trans_b ? CblasTrans : CblasNoTrans;
    if constexpr (sizeof(T) == sizeof(float))
        blas().sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
    else
        blas().dgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

}  // namespace nabla::cpu
