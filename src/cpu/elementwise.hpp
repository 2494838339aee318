// The CPU backend's passes over memory that are not matrix products: each fuses what the
// backpropagation equations (docs/backprop.md) apply elementwise into one loop, so a batch is read and written once per step. A large batch's
// elementwise pass is split into blocks across nabla's threads, like its products.
#pragma once

#include <cstddef>

#include "core/activation_math.hpp"
#include "cpu/split_pool.hpp"

namespace nabla::cpu {

// z ← z + b on every row, then a = σ(z) in place (softmax: per row). The pass counts a softmax
// output as 30 ReLU outputs when it decides to split (measured: docs/BENCHMARKS.md, "The passes").
template <class T>
void add_bias_and_activate(Activation activation, const T* b, T* z, std::size_t n, std::size_t k) {
    math::with_activation(activation, [&](auto act) {
        const std::size_t cost = act() == Activation::softmax ? 30 : 1;
        for_blocks(n, n * k * cost, [&](std::size_t first, std::size_t end) {
            for (std::size_t i = first; i < end; ++i) {
                T* row = z + i * k;
                if constexpr (act() == Activation::softmax) {
                    for (std::size_t j = 0; j < k; ++j) row[j] += b[j];
                    math::softmax_row(row, k);
                } else {
                    for (std::size_t j = 0; j < k; ++j) row[j] = math::sigma(act(), row[j] + b[j]);
                }
            }
        });
    });
}

// g ← g ⊙ σ'(z), with σ'(z) taken from a = σ(z) (activation_math.hpp). Not for softmax.
template <class T>
void multiply_by_sigma_prime(Activation activation, const T* a, T* g, std::size_t count) {
    math::with_activation(activation, [&](auto act) {
        for_blocks(count, count, [&](std::size_t first, std::size_t end) {
            for (std::size_t i = first; i < end; ++i) g[i] *= math::sigma_prime_from_output(act(), a[i]);
        });
    });
}

// out[j] ← beta · out[j] + alpha · Σ_i m[i, j]: with alpha = 1/n, beta = 0, each column's batch mean.
// beta = 0 overwrites out without reading it (as BLAS does), so out may start uninitialised.
// On the calling thread: split across the threads by columns it ran slower, the rows coming from
// both cores' caches either way (docs/BENCHMARKS.md, "The passes").
template <class T>
void column_sums(const T* m, std::size_t n, std::size_t k, T alpha, T beta, T* out) {
    for (std::size_t j = 0; j < k; ++j) out[j] = beta == T(0) ? T(0) : beta * out[j];
    for (std::size_t i = 0; i < n; ++i) {
        const T* row = m + i * k;
        for (std::size_t j = 0; j < k; ++j) out[j] += alpha * row[j];
    }
}

// out = x ⊙ y, elementwise.
template <class T>
void multiply(const T* x, const T* y, T* out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out[i] = x[i] * y[i];
}

}  // namespace nabla::cpu
