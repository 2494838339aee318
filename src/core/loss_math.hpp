// Each loss for one sample: its value L(y, a^F) and the output error d^F = ∂L/∂z^F. The backends
// run these per sample (row) over a batch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "core/activation_math.hpp"
#include "nabla/loss.hpp"

namespace nabla::math {

// log a, with a clamped away from 0 so that a saturated output gives a large finite loss.
template <class T>
NABLA_HOST_DEVICE inline T safe_log(T a) {
    return std::log(std::max(a, std::numeric_limits<T>::min()));
}

// c · log a, skipping the logarithm where c = 0: the term is then exactly 0 (safe_log is finite),
// and with one-hot targets that leaves one logarithm per sample instead of one per output.
template <class T>
NABLA_HOST_DEVICE inline T weighted_log(T c, T a) {
    return c == T(0) ? T(0) : c * safe_log(a);
}

// L(y, a) of one sample with k outputs.
template <class T>
NABLA_HOST_DEVICE inline T sample_loss(Loss loss, const T* a, const T* y, std::size_t k) {
    T sum = 0;
    for (std::size_t j = 0; j < k; ++j) {
        switch (loss) {
            case Loss::mse: sum += T(0.5) * (y[j] - a[j]) * (y[j] - a[j]); break;
            case Loss::cross_entropy: sum -= weighted_log(y[j], a[j]); break;
            case Loss::binary_cross_entropy:
                sum -= weighted_log(y[j], a[j]) + weighted_log(T(1) - y[j], T(1) - a[j]);
                break;
        }
    }
    return sum;
}

// ∂L/∂a_j: a − y for the quadratic loss; −y/a for cross-entropy;
// (a − y) / (a(1 − a)) for binary cross-entropy.
template <class T>
NABLA_HOST_DEVICE inline T loss_gradient(Loss loss, T a, T y) {
    const T tiny = std::numeric_limits<T>::min();
    switch (loss) {
        case Loss::mse: return a - y;
        case Loss::cross_entropy: return -y / std::max(a, tiny);
        case Loss::binary_cross_entropy: return (a - y) / std::max(a * (T(1) - a), tiny);
    }
    return a - y;
}

// True where the output activation cancels the loss's curvature so that d^F = a − y exactly:
// softmax with cross-entropy (targets summing to 1) and sigmoid with binary cross-entropy. This
// fused form is also the numerically stable one: it never divides by a saturated output.
NABLA_HOST_DEVICE inline bool output_error_is_a_minus_y(Loss loss, Activation output) {
    return (loss == Loss::cross_entropy && output == Activation::softmax) ||
           (loss == Loss::binary_cross_entropy && output == Activation::sigmoid);
}

// d^F of one sample = ∇_a L ⊙ σ'(z^F) (the output layer's equation in docs/backprop.md). For a softmax
// output, whose Jacobian is not diagonal, the sum Σ_k ∂L/∂a_k ∂a_k/∂z_j is taken in full:
// d_j = a_j (g_j − Σ_k g_k a_k) with g = ∇_a L.
template <class T>
NABLA_HOST_DEVICE inline void sample_output_error(Loss loss, Activation output, const T* a, const T* y, std::size_t k, T* d) {
    if (output_error_is_a_minus_y(loss, output)) {
        for (std::size_t j = 0; j < k; ++j) d[j] = a[j] - y[j];
        return;
    }
    for (std::size_t j = 0; j < k; ++j) d[j] = loss_gradient(loss, a[j], y[j]);
    if (output == Activation::softmax) {
        T g_dot_a = 0;
        for (std::size_t j = 0; j < k; ++j) g_dot_a += d[j] * a[j];
        for (std::size_t j = 0; j < k; ++j) d[j] = a[j] * (d[j] - g_dot_a);
        return;
    }
    for (std::size_t j = 0; j < k; ++j) d[j] *= sigma_prime_from_output(output, a[j]);
}

// The class a row of k outputs (or one-hot targets) stands for: the index of the first largest
// value, or for a single sigmoid output, 1 when it is at least 0.5.
template <class T>
NABLA_HOST_DEVICE inline std::size_t predicted_class(const T* values, std::size_t k) {
    if (k == 1) return values[0] >= T(0.5) ? 1 : 0;
    std::size_t best = 0;
    for (std::size_t j = 1; j < k; ++j)
        if (values[best] < values[j]) best = j;
    return best;
}

}  // namespace nabla::math
