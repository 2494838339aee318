// The CPU backend's matrix products: OpenBLAS, row-major, overloaded on the scalar so that one
// templated code path serves float (training) and double (checks).
//
// OpenBLAS is opened at run time (blas.cpp) rather than linked: its kernel is chosen when the
// library loads, and Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to
// its SSE3 "Prescott" kernels (a quarter of the speed). Opening it ourselves lets nabla name the
// right kernel family first.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "cpu/part_speeds.hpp"
#include "cpu/split_pool.hpp"

namespace nabla::cpu {

struct Blas {
    decltype(&cblas_sgemm) sgemm;
    decltype(&cblas_dgemm) dgemm;
    decltype(&cblas_sgemv) sgemv;
    decltype(&cblas_dgemv) dgemv;
    decltype(&openblas_set_num_threads) set_num_threads;
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
inline void gemm_on_this_thread(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A,
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

// Where a product is split across threads: blocks of C's rows (m), of C's columns (n), or of the
// sum over k, each part then adding its partial product into C.
enum class Split { none, rows, columns, sum };

// The dimension a split divides: C's rows (m), C's columns (n) or the sum (k).
inline std::size_t extent_of(Split split, std::size_t m, std::size_t n, std::size_t k) {
    return split == Split::rows ? m : split == Split::columns ? n : k;
}

// Splits follow the rows of the largest matrix as stored. In a small batch's step that is the
// weights W, and the forward pass Z = A Wᵀ (C's columns are W's rows), the update of W (C's rows)
// and the back-propagated D W (W's rows are the sum over k) then give each thread the same block
// of W: it stays in that core's cache. Splitting W differently in two products moves it between
// the cores every step (measured here: three times slower than not splitting at all). In a large
// batch the activations are the largest, and the parts are blocks of samples.
//
// A product large enough to be cut to the threads' speeds (part_speeds.hpp) is never split over
// k: where the cut falls would then change how its sums round. It is split across C's columns or
// rows instead, whichever leaves the smaller operand (A or B) for every part to read whole.
inline Split split_for(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, int parts) {
    const std::size_t a = m * k, b = k * n, c = m * n;
    Split split;
    if (c >= a && c >= b) split = Split::rows;
    else if (a >= b) split = trans_a ? Split::sum : Split::rows;
    else split = trans_b ? Split::columns : Split::sum;
    if (split == Split::sum && large_enough_to_cut(m * n * k, parts)) split = m <= n ? Split::columns : Split::rows;
    return worth_splitting(m * n * k, extent_of(split, m, n, k), parts) ? split : Split::none;
}

// Room for the partial products of a split sum: one m × n block per part but the first, kept by
// each calling thread and grown to the largest product it has split (so a step allocates nothing
// once the first has run).
template <class T>
T* partial_products(std::size_t count) {
    thread_local std::vector<T> partials;
    if (partials.size() < count) partials.resize(count);
    return partials.data();
}

// Where part p of a product split across C's rows or columns (`extent` of them) starts: cut[p]
// for p = 0 … parts. Cut to the threads' speeds when every part stays a large product (see
// balance_min_work_per_part: then no part is one of OpenBLAS's small products, whose rounding
// differs); false otherwise, and the parts are equal blocks.
inline bool cut_to_speeds(Split split, std::size_t work, std::size_t extent, int parts, std::size_t* cut) {
    if (split == Split::sum || parts > PartSpeeds::tracked || !large_enough_to_cut(work, parts)) return false;
    const std::size_t work_per_unit = work / extent;
    part_speeds().cut(extent, parts, cut);
    for (int p = 0; p < parts; ++p)
        if ((cut[p + 1] - cut[p]) * work_per_unit < balance_min_work_per_part / 2) return false;
    return true;
}

// The product, on the calling thread or split across nabla's threads (see split_for). OpenBLAS
// itself runs single-threaded inside each part.
template <class T>
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A,
                 std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    const int parts = split_parts();
    const Split split = split_for(trans_a, trans_b, m, n, k, parts);
    if (split == Split::none) {
        gemm_on_this_thread(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    std::size_t cut[PartSpeeds::tracked + 1];
    double seconds[PartSpeeds::tracked];
    const std::size_t extent = extent_of(split, m, n, k);
    const bool by_speed = cut_to_speeds(split, m * n * k, extent, parts, cut);
    T* partials = split == Split::sum ? partial_products<T>(std::size_t(parts - 1) * m * n) : nullptr;
    const bool together = run_in_parts(parts, [&](int part, int count) {
        using clock = std::chrono::steady_clock;
        const clock::time_point start = by_speed ? clock::now() : clock::time_point{};
        const auto [begin, end] = by_speed ? std::pair{cut[part], cut[part + 1]} : block_of(extent, part, count);
        if (split == Split::rows) {
            gemm_on_this_thread(trans_a, trans_b, end - begin, n, k, alpha, A + begin * (trans_a ? 1 : lda), lda, B,
                                ldb, beta, C + begin * ldc, ldc);
        } else if (split == Split::columns) {
            gemm_on_this_thread(trans_a, trans_b, m, end - begin, k, alpha, A, lda, B + begin * (trans_b ? ldb : 1),
                                ldb, beta, C + begin, ldc);
        } else {  // part 0 into C (with beta), the others into their partial blocks
            T* out = part == 0 ? C : partials + std::size_t(part - 1) * m * n;
            if (begin == end && part > 0) {  // nothing of k left for this part (many threads, small k)
                std::fill(out, out + m * n, T(0));
                return;
            }
            gemm_on_this_thread(trans_a, trans_b, m, n, end - begin, alpha, A + begin * (trans_a ? lda : 1), lda,
                                B + begin * (trans_b ? 1 : ldb), ldb, part == 0 ? beta : T(0), out,
                                part == 0 ? ldc : n);
        }
        if (by_speed) seconds[part] = std::chrono::duration<double>(clock::now() - start).count();
    });
    if (by_speed && together) part_speeds().learn(cut, seconds, parts);
    if (split != Split::sum) return;
    // C += the other parts' partial products, itself split by rows when there are enough.
    for_blocks(m, m * n * std::size_t(parts - 1), [&](std::size_t first, std::size_t end) {
        for (int p = 1; p < parts; ++p) {
            const T* partial = partials + std::size_t(p - 1) * m * n;
            for (std::size_t i = first; i < end; ++i)
                for (std::size_t j = 0; j < n; ++j) C[i * ldc + j] += partial[i * n + j];
        }
    });
}

}  // namespace nabla::cpu
