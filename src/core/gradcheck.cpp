#include "nabla/gradcheck.hpp"

#include <cmath>
#include <utility>
#include <vector>

#include "nabla/error.hpp"

namespace nabla {

namespace {

// "W2[3,1]" or "b1[4]" (1-based layer as in docs/backprop.md, 0-based unit indices) for parameter p.
std::string parameter_name(const Network<double>& net, std::size_t p) {
    for (std::size_t l = 0; l < net.depth(); ++l) {
        const LayerShape& s = net.layer(l);
        const std::string layer = std::to_string(l + 1);
        if (p >= s.w_offset && p < s.b_offset) {
            const std::size_t i = p - s.w_offset;
            return "W" + layer + "[" + std::to_string(i / s.in) + "," + std::to_string(i % s.in) + "]";
        }
        if (p >= s.b_offset && p < s.b_offset + s.out) return "b" + layer + "[" + std::to_string(p - s.b_offset) + "]";
    }
    return "?";
}

double mean_loss(const Network<double>& net, const Matrix<double>& x, const Matrix<double>& y,
                 Workspace<double>& ws) {
    const double* a = forward(net, x.data.data(), x.rows, ws);
    return loss_sum(net.spec().loss, a, y.data.data(), x.rows, y.cols) / double(x.rows);
}

}  // namespace

GradCheckResult gradient_check(const Network<double>& network, const Matrix<double>& x, const Matrix<double>& y,
                               double step) {
    const GradientFunction backprop = [](const Network<double>& net, const Matrix<double>& in,
                                         const Matrix<double>& target, std::span<double> grads) {
        Workspace<double> ws;
        forward(net, in.data.data(), in.rows, ws);
        backward(net, target.data.data(), ws, grads);
    };
    return gradient_check(network, x, y, backprop, step);
}

GradCheckResult gradient_check(const Network<double>& network, const Matrix<double>& x, const Matrix<double>& y,
                               const GradientFunction& gradient, double step) {
    if (x.rows == 0 || x.rows != y.rows) throw Error("gradient check needs a non-empty batch with one target row per input row");
    if (x.cols != network.input_size() || y.cols != network.output_size())
        throw Error("gradient check: batch shape does not match the network");
    if (!gradient) throw Error("gradient check: no gradient function to check");
    Network<double> net = network;
    Workspace<double> ws;
    std::vector<double> grads(net.parameters().size());
    gradient(std::as_const(net), x, y, std::span<double>(grads));

    // Relative error with a floor on the denominator: where both gradients are ~0, the central
    // difference's round-off (~ε·L/h ≈ 1e-10) is all that is left to compare.
    constexpr double floor = 1e-4;
    GradCheckResult result;
    result.parameters = grads.size();
    auto params = net.parameters();
    for (std::size_t p = 0; p < params.size(); ++p) {
        const double saved = params[p];
        params[p] = saved + step;
        const double plus = mean_loss(net, x, y, ws);
        params[p] = saved - step;
        const double minus = mean_loss(net, x, y, ws);
        params[p] = saved;
        const double numeric = (plus - minus) / (2 * step);
        const double abs_error = std::abs(grads[p] - numeric);
        const double rel_error = abs_error / std::max(std::abs(grads[p]) + std::abs(numeric), floor);
        result.max_abs_error = std::max(result.max_abs_error, abs_error);
        if (rel_error > result.max_rel_error || p == 0) {
            result.max_rel_error = rel_error;
            result.worst = parameter_name(net, p);
            result.worst_backprop = grads[p];
            result.worst_numeric = numeric;
        }
    }
    return result;
}

GradCheckResult gradient_check(const NetworkSpec& spec, std::size_t batch, std::uint64_t seed, double step) {
    if (batch == 0) throw Error("gradient check: batch must be at least 1");
    Network<double> net(spec, seed);
    // Random biases too, so that their gradients are not checked only at 0.
    Rng rng(seed ^ 0x5eedULL);
    for (std::size_t l = 0; l < net.depth(); ++l)
        for (std::size_t j = 0; j < net.layer(l).out; ++j) net.b(l)[j] = 0.1 * rng.normal();

    Matrix<double> x(batch, net.input_size());
    for (double& v : x.data) v = rng.normal();
    Matrix<double> y(batch, net.output_size());
    const Activation output = spec.output_activation();
    for (std::size_t i = 0; i < batch; ++i) {
        if (spec.loss == Loss::cross_entropy) {
            y(i, rng.below(y.cols)) = 1.0;
        } else if (spec.loss == Loss::binary_cross_entropy || output == Activation::sigmoid ||
                   output == Activation::softmax) {
            for (std::size_t j = 0; j < y.cols; ++j) y(i, j) = rng.uniform(0.05, 0.95);
        } else {
            for (std::size_t j = 0; j < y.cols; ++j) y(i, j) = rng.normal();
        }
    }
    return gradient_check(net, x, y, step);
}

}  // namespace nabla
