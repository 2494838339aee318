/// @file
/// Losses L(y, a^F) of one sample; training minimises their mean L_T = (1/n) Σ L_i.
#pragma once

#include <cstdint>
#include <string>

#include "nabla/activation.hpp"

namespace nabla {

/// The loss L of one sample.
enum class Loss : std::uint8_t {
    mse,                   ///< the quadratic loss ½‖y − a^F‖² of docs/backprop.md
    cross_entropy,         ///< −Σ_j y_j log a_j^F, with a softmax output
    binary_cross_entropy,  ///< −Σ_j [y_j log a_j^F + (1 − y_j) log(1 − a_j^F)], with a sigmoid output
};

const char* loss_name(Loss loss);             ///< "mse", "ce", "bce"
Loss parse_loss(const std::string& name);     ///< also accepts "quadratic", "cross_entropy", ...

/// The output activation a loss implies when none is set: softmax for cross-entropy, sigmoid for
/// binary cross-entropy, identity for regression with the quadratic loss.
Activation default_output_activation(Loss loss);

}  // namespace nabla
