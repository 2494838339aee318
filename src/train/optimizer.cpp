#include "nabla/optimizer.hpp"

#include <cmath>

#include "nabla/error.hpp"

namespace nabla {

const char* optimizer_name(OptimizerKind kind) {
    switch (kind) {
        case OptimizerKind::sgd: return "sgd";
        case OptimizerKind::momentum: return "momentum";
        case OptimizerKind::adam: return "adam";
        case OptimizerKind::adamw: return "adamw";
    }
    return "unknown";
}

OptimizerKind parse_optimizer(const std::string& name) {
    if (name == "sgd" || name == "gd") return OptimizerKind::sgd;
    if (name == "momentum") return OptimizerKind::momentum;
    if (name == "adam") return OptimizerKind::adam;
    if (name == "adamw") return OptimizerKind::adamw;
    throw Error("unknown optimizer '" + name + "' (expected sgd, momentum, adam or adamw)");
}

void OptimizerSpec::validate() const {
    auto check = [](double value, double lo, double hi, const char* what) {
        if (!std::isfinite(value) || value < lo || value > hi)
            throw Error(std::string(what) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                        "], got " + std::to_string(value));
    };
    if (!std::isfinite(learning_rate) || learning_rate <= 0)
        throw Error("learning rate must be a positive number, got " + std::to_string(learning_rate));
    check(momentum, 0, 1, "momentum");
    check(beta1, 0, 0.999999, "beta1");
    check(beta2, 0, 0.999999999, "beta2");
    check(weight_decay, 0, 1e3, "weight decay");
    if (!(epsilon > 0) || !std::isfinite(epsilon)) throw Error("epsilon must be a positive number");
}

template <class T>
Optimizer<T>::Optimizer(OptimizerSpec spec, const Network<T>& net) : spec_(spec) {
    spec_.validate();
    const std::size_t count = net.parameters().size();
    if (spec_.kind != OptimizerKind::sgd) m_.assign(count, T(0));
    if (spec_.kind == OptimizerKind::adam || spec_.kind == OptimizerKind::adamw) v_.assign(count, T(0));
}

template <class T>
void Optimizer<T>::step(Network<T>& net, std::span<const T> grads, double lr) {
    if (grads.size() != net.parameters().size()) throw Error("optimizer: gradient does not match the network");
    ++steps_;
    const T eta = T(lr);
    const T mu = T(spec_.momentum);
    const T b1 = T(spec_.beta1), b2 = T(spec_.beta2), eps = T(spec_.epsilon);
    const T correction1 = T(1) / T(1 - std::pow(spec_.beta1, double(steps_)));
    const T correction2 = T(1) / T(1 - std::pow(spec_.beta2, double(steps_)));
    T* theta = net.parameters().data();
    const T* g = grads.data();
    T* m = m_.data();
    T* v = v_.data();

    // Weights decay, biases do not: walk each layer's W then b with the matching λ.
    auto update = [&](std::size_t begin, std::size_t end, T lambda) {
        switch (spec_.kind) {
            case OptimizerKind::sgd:
                for (std::size_t i = begin; i < end; ++i) theta[i] -= eta * (g[i] + lambda * theta[i]);
                break;
            case OptimizerKind::momentum:
                for (std::size_t i = begin; i < end; ++i) {
                    const T gi = g[i] + lambda * theta[i];
                    m[i] = mu * m[i] + gi;
                    theta[i] -= eta * (spec_.nesterov ? gi + mu * m[i] : m[i]);
                }
                break;
            case OptimizerKind::adam:
            case OptimizerKind::adamw: {
                const bool decoupled = spec_.kind == OptimizerKind::adamw;
                for (std::size_t i = begin; i < end; ++i) {
                    const T gi = decoupled ? g[i] : g[i] + lambda * theta[i];
                    m[i] = b1 * m[i] + (T(1) - b1) * gi;
                    v[i] = b2 * v[i] + (T(1) - b2) * gi * gi;
                    const T adam_step = (m[i] * correction1) / (std::sqrt(v[i] * correction2) + eps);
                    theta[i] -= eta * (adam_step + (decoupled ? lambda * theta[i] : T(0)));
                }
                break;
            }
        }
    };
    const T lambda = T(spec_.weight_decay);
    for (const LayerShape& s : net.layers()) {
        update(s.w_offset, s.b_offset, lambda);
        update(s.b_offset, s.b_offset + s.out, T(0));
    }
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace nabla
