/// @file
/// Activation functions σ, applied elementwise (softmax: per sample, over the output layer).
#pragma once

#include <cstdint>
#include <string>

namespace nabla {

/// The activation σ of a layer.
enum class Activation : std::uint8_t { sigmoid, tanh, relu, leaky_relu, identity, softmax };

/// Slope of leaky ReLU for z < 0.
inline constexpr double leaky_relu_slope = 0.01;

const char* activation_name(Activation activation);  ///< the name `--activation` takes, e.g. "leaky_relu"
/// Accepts the names activation_name gives; throws Error listing them otherwise.
Activation parse_activation(const std::string& name);

}  // namespace nabla
