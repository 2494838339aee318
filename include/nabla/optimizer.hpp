/// @file
/// Optimizers: how a gradient ∇L_T becomes a parameter update. All of them update the network's
/// single parameter vector in one pass; weight decay applies to weights W, not biases b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nabla/network.hpp"

namespace nabla {

/// The update rule; g is the gradient ∇L_T, η the learning rate, λ the weight decay.
enum class OptimizerKind : std::uint8_t {
    sgd,       ///< θ ← θ − η (g + λθ); with batch = all samples this is plain gradient descent on L_T
    momentum,  ///< v ← μv + g + λθ; θ ← θ − η v (Nesterov: θ ← θ − η (g + λθ + μv))
    adam,      ///< Adam with L2 decay added to the gradient
    adamw,     ///< Adam with decoupled weight decay: θ ← θ − η λ θ
};

const char* optimizer_name(OptimizerKind kind);  ///< "sgd", "momentum", "adam" or "adamw"
OptimizerKind parse_optimizer(const std::string& name);  ///< accepts the names optimizer_name gives; Error otherwise

/// An optimizer and its hyperparameters.
struct OptimizerSpec {
    OptimizerKind kind = OptimizerKind::adam;  ///< the update rule
    double learning_rate = 1e-3;  ///< η, the base rate (the schedule scales it)
    double momentum = 0.9;  ///< μ (momentum)
    bool nesterov = false;  ///< Nesterov's variant (momentum)
    double beta1 = 0.9;  ///< Adam's decay of the first moment
    double beta2 = 0.999;  ///< Adam's decay of the second moment
    double epsilon = 1e-8;  ///< Adam's guard against division by zero
    double weight_decay = 0.0;  ///< λ

    void validate() const;  ///< Error on a non-finite or out-of-range value
};

/// An optimizer's state (moments, step count) for one network's parameters.
template <class T>
class Optimizer {
public:
    Optimizer(OptimizerSpec spec, const Network<T>& net);  ///< moments sized for net, at zero

    /// One update of net's parameters from grads (the parameters' layout) with learning rate lr.
    void step(Network<T>& net, std::span<const T> grads, double lr);

    const OptimizerSpec& spec() const { return spec_; }  ///< the rule and its hyperparameters
    std::uint64_t steps() const { return steps_; }  ///< updates made so far
    /// Moments (velocity, or Adam's m and v), for checkpoints.
    std::vector<T>& first_moment() { return m_; }
    std::vector<T>& second_moment() { return v_; }  ///< Adam's v (empty for other optimizers)
    const std::vector<T>& first_moment() const { return m_; }  ///< velocity or Adam's m, read-only
    const std::vector<T>& second_moment() const { return v_; }  ///< Adam's v, read-only
    void set_steps(std::uint64_t steps) { steps_ = steps; }  ///< restores the step count (resuming from a checkpoint)

private:
    OptimizerSpec spec_;
    std::vector<T> m_, v_;
    std::uint64_t steps_ = 0;
};

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace nabla
