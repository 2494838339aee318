// A training loop written out with the equations of docs/backprop.md, step by step: fit
// y = sin(x) on [−π, π] with a 1-16-1 tanh network and the quadratic loss, by full-batch gradient descent on L_T.
#include <cmath>
#include <cstdio>
#include <nabla/nabla.hpp>
#include <numbers>
#include <span>
#include <vector>

int main() {
    // n samples, one per row: x^(i) evenly spaced, y^(i) = sin(x^(i)).
    const std::size_t n = 64;
    std::vector<float> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = float(-std::numbers::pi + 2 * std::numbers::pi * double(i) / double(n - 1));
        y[i] = std::sin(x[i]);
    }

    nabla::Network<float> net({.layers = {1, 16, 1}, .hidden = nabla::Activation::tanh, .loss = nabla::Loss::mse}, 1);
    nabla::Workspace<float> ws;                            // a^l and d^l of the batch, reused every step
    std::vector<float> grad(net.parameters().size());      // ∇L_T, laid out like θ: W^1, b^1, W^2, b^2
    const float eta = 0.1f;                                // η, the learning rate

    for (int step = 0; step <= 3000; ++step) {
        nabla::forward(net, x.data(), n, ws);                     // z^l = W^l a^(l−1) + b^l, a^l = σ(z^l)
        const float loss = nabla::backward(net, y.data(), ws, std::span(grad));  // d^F, d^l, ∂L/∂W^l, ∂L/∂b^l → ∇L_T
        const std::span<float> theta = net.parameters();
        for (std::size_t j = 0; j < theta.size(); ++j) theta[j] -= eta * grad[j];  // θ ← θ − η ∇L_T
        if (step % 500 == 0) std::printf("step %4d  loss %.6f\n", step, loss);
    }
}
