#include "nabla/loss.hpp"

#include "nabla/error.hpp"

namespace nabla {

const char* loss_name(Loss loss) {
    switch (loss) {
        case Loss::mse: return "mse";
        case Loss::cross_entropy: return "ce";
        case Loss::binary_cross_entropy: return "bce";
    }
    return "unknown";
}

Loss parse_loss(const std::string& name) {
    if (name == "mse" || name == "quadratic") return Loss::mse;
    if (name == "ce" || name == "cross_entropy") return Loss::cross_entropy;
    if (name == "bce" || name == "binary_cross_entropy") return Loss::binary_cross_entropy;
    throw Error("unknown loss '" + name + "' (expected mse, ce or bce)");
}

Activation default_output_activation(Loss loss) {
    switch (loss) {
        case Loss::mse: return Activation::identity;
        case Loss::cross_entropy: return Activation::softmax;
        case Loss::binary_cross_entropy: return Activation::sigmoid;
    }
    return Activation::identity;
}

}  // namespace nabla
