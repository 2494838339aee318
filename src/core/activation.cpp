#include "nabla/activation.hpp"

#include <array>
#include <utility>

#include "nabla/error.hpp"

namespace nabla {

namespace {
constexpr std::array<std::pair<Activation, const char*>, 6> activation_names{{
    {Activation::sigmoid, "sigmoid"},
    {Activation::tanh, "tanh"},
    {Activation::relu, "relu"},
    {Activation::leaky_relu, "leaky_relu"},
    {Activation::identity, "identity"},
    {Activation::softmax, "softmax"},
}};
}  // namespace

const char* activation_name(Activation activation) {
    for (const auto& [value, name] : activation_names)
        if (value == activation) return name;
    return "unknown";
}

Activation parse_activation(const std::string& name) {
    for (const auto& [value, known] : activation_names)
        if (name == known) return value;
    throw Error("unknown activation '" + name +
                "' (expected sigmoid, tanh, relu, leaky_relu, identity or softmax)");
}

}  // namespace nabla
