// The CPU backend's matrix products: OpenBLAS, row-major, overloaded on the scalar so that one
// templated code path serves float (training) and double (checks).
//
// OpenBLAS is opened at run time (blas.cpp) rather than linked: its kernel is chosen when the
// library loads, and Debian's OpenBLAS 0.3.21 does not recognise recent CPUs and falls back to
// its SSE3 "Prescott" kernels (a quarter of the speed: docs/BENCHMARKS.md). Opening it ourselves
// lets nabla name the right kernel family first.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

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

// Where a product is cut into tiles: blocks of C's rows (m), of C's columns (n), or of the sum over
// k, each tile of the sum then adding its partial product into C.
enum class Split { none, rows, columns, sum };

// The dimension a split divides: C's rows (m), C's columns (n) or the sum (k).
inline std::size_t extent_of(Split split, std::size_t m, std::size_t n, std::size_t k) {
    return split == Split::rows ? m : split == Split::columns ? n : k;
}

// Products of at least this many multiply-adds per tile are never split over k, so that the
// large products of a large batch keep one sum per element of C, as one call computes it.
constexpr std::size_t large_product_work_per_tile = std::size_t(1) << 22;

// How many tiles a product over `extent` is cut into: product_tiles(), fewer where a tile would
// be shorter than 16 (64 bytes of floats: two threads never write the same cache line); 1 when
// the product is too small to share.
inline int tiles_for(std::size_t work, std::size_t extent, int tiles) {
    if (work < split_min_work) return 1;
    return int(std::min(std::size_t(tiles), extent / 16));
}

// Splits follow the rows of the largest matrix as stored. In a small batch's step that is the
// weights W, and the forward pass Z = A Wᵀ (C's columns are W's rows), the update of W (C's rows)
// and the back-propagated D W (W's rows are the sum over k) then give each thread the same block
// of W: it stays in that core's cache. Splitting W differently in two products moves it between
// the cores every step (measured: docs/BENCHMARKS.md, "Why the CPU backend is built as it is").
// In a large batch the activations are the largest, and the tiles are blocks of samples; a large
// product is split across C's columns or rows rather than its sum, whichever leaves the smaller
// operand (A or B) for every tile to read whole.
//
// The split depends on the shape and the tile count only, never on the thread count.
inline Split split_for(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, int tiles) {
    const std::size_t a = m * k, b = k * n, c = m * n;
    Split split;
    if (c >= a && c >= b) split = Split::rows;
    else if (a >= b) split = trans_a ? Split::sum : Split::rows;
    else split = trans_b ? Split::columns : Split::sum;
    if (split == Split::sum && m * n * k >= large_product_work_per_tile * std::size_t(tiles))
        split = m <= n ? Split::columns : Split::rows;
    return tiles_for(m * n * k, extent_of(split, m, n, k), tiles) > 1 ? split : Split::none;
}

// Room for the partial products of a split sum: one m × n block per tile but the first, kept by
// each calling thread and grown to the largest product it has split (so a step allocates nothing
// once the first has run).
template <class T>
T* partial_products(std::size_t count) {
    thread_local std::vector<T> partials;
    if (partials.size() < count) partials.resize(count);
    return partials.data();
}

// The product, as one OpenBLAS call or as a fixed set of tiles shared among nabla's threads.
//
// Same bits at any thread count, by construction: the tiles (split_for, tiles_for, block_of)
// depend on the product's shape and product_tiles() alone, each tile is one OpenBLAS call with the
// same arguments whichever thread runs it, and a split sum adds its tiles' partial products in
// tile order. One thread runs every tile itself. Cutting anywhere else (by the thread count, or by
// the threads' measured speeds) would not keep the bits: OpenBLAS's AVX2 kernels (Haswell, Zen)
// compute the last columns of a product with narrower code that rounds differently, so an element
// of C changes when a cut moves it to the edge of a block. OpenBLAS itself runs single-threaded
// inside each tile.
template <class T>
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha, const T* A,
                 std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
    const Split split = split_for(trans_a, trans_b, m, n, k, product_tiles());
    if (split == Split::none) {
        gemm_on_this_thread(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const std::size_t extent = extent_of(split, m, n, k);
    const int tiles = tiles_for(m * n * k, extent, product_tiles());
    T* partials = split == Split::sum ? partial_products<T>(std::size_t(tiles - 1) * m * n) : nullptr;
    auto run_tile = [&](int tile) {
        const auto [begin, end] = block_of(extent, tile, tiles);
        if (split == Split::rows) {
            if (begin < end)
                gemm_on_this_thread(trans_a, trans_b, end - begin, n, k, alpha, A + begin * (trans_a ? 1 : lda), lda,
                                    B, ldb, beta, C + begin * ldc, ldc);
        } else if (split == Split::columns) {
            if (begin < end)
                gemm_on_this_thread(trans_a, trans_b, m, end - begin, k, alpha, A, lda,
                                    B + begin * (trans_b ? ldb : 1), ldb, beta, C + begin, ldc);
        } else {  // tile 0 into C (with beta), the others into their partial blocks
            T* out = tile == 0 ? C : partials + std::size_t(tile - 1) * m * n;
            if (begin == end && tile > 0) {  // nothing of k left for this tile (small k)
                std::fill(out, out + m * n, T(0));
                return;
            }
            gemm_on_this_thread(trans_a, trans_b, m, n, end - begin, alpha, A + begin * (trans_a ? lda : 1), lda,
                                B + begin * (trans_b ? 1 : ldb), ldb, tile == 0 ? beta : T(0), out,
                                tile == 0 ? ldc : n);
        }
    };
    // Thread `part` of `count` runs a contiguous run of tiles: with as many threads as tiles, one
    // each, every thread keeping its block of the weights from product to product.
    const int parts = std::min(split_parts(), tiles);
    run_in_parts(parts, [&](int part, int count) {
        for (int tile = part * tiles / count; tile < (part + 1) * tiles / count; ++tile) run_tile(tile);
    });
    if (split != Split::sum) return;
    // C += the other tiles' partial products, in tile order; itself split by rows when large.
    for_blocks(m, m * n * std::size_t(tiles - 1), [&](std::size_t first, std::size_t end) {
        for (int p = 1; p < tiles; ++p) {
            const T* partial = partials + std::size_t(p - 1) * m * n;
            for (std::size_t i = first; i < end; ++i)
                for (std::size_t j = 0; j < n; ++j) C[i * ldc + j] += partial[i * n + j];
        }
    });
}

}  // namespace nabla::cpu
