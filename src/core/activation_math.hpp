// σ and σ' of each activation, one sample-element at a time. These formulas are the math; the
// backends (cpu/, and any other) only decide how to run them over whole batches.
//
// σ'(z) is written through a = σ(z) for every activation here (sigmoid: a(1 − a); tanh: 1 − a²;
// ReLU: [a > 0]; …), so a pass keeps a^l alone and the backward pass needs no z^l.
#pragma once

#include <cmath>
#include <type_traits>

#include "core/host_device.hpp"
#include "nabla/activation.hpp"

namespace nabla::math {

template <class T>
NABLA_HOST_DEVICE inline T sigma(Activation activation, T z) {
    switch (activation) {
        case Activation::sigmoid: return T(1) / (T(1) + std::exp(-z));
        case Activation::tanh: return std::tanh(z);
        case Activation::relu: return z > T(0) ? z : T(0);
        case Activation::leaky_relu: return z > T(0) ? z : T(leaky_relu_slope) * z;
        case Activation::identity:
        case Activation::softmax: break;  // softmax needs the whole row: see softmax_row
    }
    return z;
}

// σ'(z) given a = σ(z).
template <class T>
NABLA_HOST_DEVICE inline T sigma_prime_from_output(Activation activation, T a) {
    switch (activation) {
        case Activation::sigmoid: return a * (T(1) - a);
        case Activation::tanh: return T(1) - a * a;
        case Activation::relu: return a > T(0) ? T(1) : T(0);
        case Activation::leaky_relu: return a > T(0) ? T(1) : T(leaky_relu_slope);
        case Activation::identity:
        case Activation::softmax: break;  // softmax's Jacobian is not diagonal: see loss.cpp
    }
    return T(1);
}

// a = softmax(z) over one sample's k outputs, shifted by max z so that exp cannot overflow.
template <class T>
NABLA_HOST_DEVICE inline void softmax_row(T* z_to_a, std::size_t k) {
    T max = z_to_a[0];
    for (std::size_t j = 1; j < k; ++j) max = z_to_a[j] > max ? z_to_a[j] : max;
    T sum = 0;
    for (std::size_t j = 0; j < k; ++j) {
        z_to_a[j] = std::exp(z_to_a[j] - max);
        sum += z_to_a[j];
    }
    const T inv = T(1) / sum;
    for (std::size_t j = 0; j < k; ++j) z_to_a[j] *= inv;
}

// Calls f with the activation as a compile-time constant, so that a loop written once over
// σ or σ' is compiled (and vectorised) separately for each activation.
template <class F>
inline void with_activation(Activation activation, F&& f) {
    using A = Activation;
    switch (activation) {
        case A::sigmoid: f(std::integral_constant<A, A::sigmoid>{}); return;
        case A::tanh: f(std::integral_constant<A, A::tanh>{}); return;
        case A::relu: f(std::integral_constant<A, A::relu>{}); return;
        case A::leaky_relu: f(std::integral_constant<A, A::leaky_relu>{}); return;
        case A::identity: f(std::integral_constant<A, A::identity>{}); return;
        case A::softmax: f(std::integral_constant<A, A::softmax>{}); return;
    }
}

}  // namespace nabla::math
