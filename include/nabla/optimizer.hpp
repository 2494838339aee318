// Optimizers: how a gradient ∇L_T becomes a parameter update. All of them update the network's
// single parameter vector in one pass; weight decay applies to weights W, not biases b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nabla/network.hpp"

namespace nabla {

enum class OptimizerKind : std::uint8_t {
    sgd,       // θ ← θ − η (g + λθ); with batch = all samples this is the seed's gradient descent on L_T
    momentum,  // v ← μv + g + λθ; θ ← θ − η v (Nesterov: θ ← θ − η (g + λθ + μv))
    adam,      // Adam with L2 decay added to the gradient
    adamw,     // Adam with decoupled weight decay: θ ← θ − η λ θ
};

const char* optimizer_name(OptimizerKind kind);
OptimizerKind parse_optimizer(const std::string& name);

struct OptimizerSpec {
    OptimizerKind kind = OptimizerKind::adam;
    double learning_rate = 1e-3;
    double momentum = 0.9;
    bool nesterov = false;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
    double weight_decay = 0.0;  // λ

    void validate() const;  // Error on a non-finite or out-of-range value
};

template <class T>
class Optimizer {
public:
    Optimizer(OptimizerSpec spec, const Network<T>& net);

    // One update of net's parameters from grads (the parameters' layout) with learning rate lr.
    void step(Network<T>& net, std::span<const T> grads, double lr);

    const OptimizerSpec& spec() const { return spec_; }
    std::uint64_t steps() const { return steps_; }
    // Moments (velocity, or Adam's m and v), for checkpoints.
    std::vector<T>& first_moment() { return m_; }
    std::vector<T>& second_moment() { return v_; }
    void set_steps(std::uint64_t steps) { steps_ = steps; }

private:
    OptimizerSpec spec_;
    std::vector<T> m_, v_;
    std::uint64_t steps_ = 0;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace nabla
