// Backprop against central finite differences, in double: every activation × loss pair, depths 1
// to 4, batch 1 and batch > 1.
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <tuple>
#include <vector>

#include "nabla/gradcheck.hpp"

using namespace nabla;

namespace {

using Case = std::tuple<Activation, Loss, std::size_t /*depth*/, std::size_t /*batch*/>;

class GradCheck : public ::testing::TestWithParam<Case> {};

TEST_P(GradCheck, BackpropMatchesFiniteDifferences) {
    const auto [activation, loss, depth, batch] = GetParam();
    NetworkSpec spec;
    spec.layers = {5};
    for (std::size_t l = 1; l < depth; ++l) spec.layers.push_back(4 + l);
    spec.layers.push_back(3);
    spec.hidden = activation;
    spec.loss = loss;
    if (loss == Loss::mse) spec.output = activation;  // σ on every layer, as in docs/backprop.md
    for (std::uint64_t seed : {1u, 2u}) {
        const GradCheckResult r = gradient_check(spec, batch, seed);
        EXPECT_LE(r.max_rel_error, gradcheck_tolerance)
            << "worst " << r.worst << ": backprop " << r.worst_backprop << " vs numeric " << r.worst_numeric;
        EXPECT_EQ(r.parameters, Network<double>(spec, seed).parameters().size());
    }
}

INSTANTIATE_TEST_SUITE_P(
    AllPairs, GradCheck,
    ::testing::Combine(::testing::Values(Activation::sigmoid, Activation::tanh, Activation::relu,
                                         Activation::leaky_relu, Activation::identity),
                       ::testing::Values(Loss::mse, Loss::cross_entropy, Loss::binary_cross_entropy),
                       ::testing::Values(1, 2, 3, 4), ::testing::Values(1, 7)),
    [](const ::testing::TestParamInfo<Case>& info) {
        return std::string(activation_name(std::get<0>(info.param))) + "_" + loss_name(std::get<1>(info.param)) +
               "_depth" + std::to_string(std::get<2>(info.param)) + "_batch" + std::to_string(std::get<3>(info.param));
    });

// Output activations that the loss does not imply take the general (non-fused) d^F path.
TEST(GradCheckGeneralOutput, SoftmaxWithQuadraticLossAndSigmoidWithCrossEntropy) {
    for (auto [output, loss] : {std::pair{Activation::softmax, Loss::mse}, std::pair{Activation::sigmoid, Loss::cross_entropy},
                                std::pair{Activation::softmax, Loss::binary_cross_entropy},
                                std::pair{Activation::tanh, Loss::mse}}) {
        NetworkSpec spec{{4, 6, 3}, Activation::tanh, output, loss};
        const GradCheckResult r = gradient_check(spec, 4, 3);
        EXPECT_LE(r.max_rel_error, gradcheck_tolerance) << activation_name(output) << " + " << loss_name(loss);
    }
}

// A backward pass written out by hand for an all-sigmoid network under the quadratic loss, one
// sample at a time, with one of the mistakes a derivation makes (or none).
enum class Mistake { none, flipped_output_error, dropped_hidden_sigma_prime, dropped_output_sigma_prime };

GradientFunction hand_backprop(Mistake mistake) {
    return [mistake](const Network<double>& net, const Matrix<double>& x, const Matrix<double>& y,
                     std::span<double> grads) {
        const std::size_t depth = net.depth();
        for (std::size_t i = 0; i < x.rows; ++i) {
            // Forward: a[0] = x_i, a[l + 1] = σ(W a[l] + b) for layer l.
            std::vector<std::vector<double>> a{std::vector<double>(x.row(i), x.row(i) + x.cols)};
            for (std::size_t l = 0; l < depth; ++l) {
                const LayerShape& s = net.layer(l);
                std::vector<double> out(s.out);
                for (std::size_t j = 0; j < s.out; ++j) {
                    double z = net.b(l)[j];
                    for (std::size_t k = 0; k < s.in; ++k) z += net.W(l)[j * s.in + k] * a[l][k];
                    out[j] = 1 / (1 + std::exp(-z));
                }
                a.push_back(std::move(out));
            }
            // Backward: d^F = (a − y) ⊙ σ′, d^l = (W^(l+1))^T d^(l+1) ⊙ σ′, with σ′ = a (1 − a).
            std::vector<double> d(net.output_size());
            for (std::size_t j = 0; j < d.size(); ++j) {
                const double out = a[depth][j];
                const double error = mistake == Mistake::flipped_output_error ? y(i, j) - out : out - y(i, j);
                d[j] = mistake == Mistake::dropped_output_sigma_prime ? error : error * out * (1 - out);
            }
            for (std::size_t l = depth; l-- > 0;) {
                const LayerShape& s = net.layer(l);
                for (std::size_t j = 0; j < s.out; ++j) {
                    grads[s.b_offset + j] += d[j] / double(x.rows);
                    for (std::size_t k = 0; k < s.in; ++k) grads[s.w_offset + j * s.in + k] += d[j] * a[l][k] / double(x.rows);
                }
                if (l == 0) break;
                std::vector<double> below(s.in, 0.0);
                for (std::size_t k = 0; k < s.in; ++k) {
                    for (std::size_t j = 0; j < s.out; ++j) below[k] += net.W(l)[j * s.in + k] * d[j];
                    if (mistake != Mistake::dropped_hidden_sigma_prime) below[k] *= a[l][k] * (1 - a[l][k]);
                }
                d = std::move(below);
            }
        }
    };
}

class GradCheckSensitivity : public ::testing::Test {
protected:
    GradCheckSensitivity() : net(NetworkSpec{{3, 4, 2}, Activation::sigmoid, Activation::sigmoid, Loss::mse}, 5) {
        Rng rng(9);
        for (double& v : x.data) v = rng.normal();
        for (double& v : y.data) v = rng.uniform();
        for (std::size_t l = 0; l < net.depth(); ++l)
            for (std::size_t j = 0; j < net.layer(l).out; ++j) net.b(l)[j] = 0.1 * rng.normal();
    }
    Network<double> net;
    Matrix<double> x{2, 3}, y{2, 2};
};

// The check is not allowed to pass everything: correct backward passes pass, wrong ones are reported.
TEST_F(GradCheckSensitivity, DetectsAPerturbedNetworkGradient) {
    const GradCheckResult own = gradient_check(net, x, y);
    EXPECT_LE(own.max_rel_error, gradcheck_tolerance) << own.worst;
    const GradCheckResult by_hand = gradient_check(net, x, y, hand_backprop(Mistake::none));
    EXPECT_LE(by_hand.max_rel_error, gradcheck_tolerance) << by_hand.worst;

    const GradCheckResult flipped = gradient_check(net, x, y, hand_backprop(Mistake::flipped_output_error));
    EXPECT_GT(flipped.max_rel_error, 0.5) << "d^F = (y − a) ⊙ σ′ passed";
    const GradCheckResult no_hidden = gradient_check(net, x, y, hand_backprop(Mistake::dropped_hidden_sigma_prime));
    EXPECT_GT(no_hidden.max_rel_error, gradcheck_tolerance) << "a hidden layer's missing σ′ passed";
    EXPECT_EQ(no_hidden.worst[1], '1') << no_hidden.worst << ": only layer 1's gradient is wrong";
    const GradCheckResult no_output = gradient_check(net, x, y, hand_backprop(Mistake::dropped_output_sigma_prime));
    EXPECT_GT(no_output.max_rel_error, gradcheck_tolerance) << "the output layer's missing σ′ passed";
}

// nabla's own backward pass, with the sign of one gradient entry flipped, is reported, and the
// report names that entry.
TEST_F(GradCheckSensitivity, NamesTheOneWrongParameter) {
    const GradientFunction one_sign_flipped = [](const Network<double>& n, const Matrix<double>& in,
                                                 const Matrix<double>& target, std::span<double> grads) {
        Workspace<double> ws;
        forward(n, in.data.data(), in.rows, ws);
        backward(n, target.data.data(), ws, grads);
        grads[n.layer(1).b_offset + 1] = -grads[n.layer(1).b_offset + 1];
    };
    const GradCheckResult r = gradient_check(net, x, y, one_sign_flipped);
    EXPECT_GT(r.max_rel_error, 0.5);
    EXPECT_EQ(r.worst, "b2[1]");
    EXPECT_NEAR(r.worst_backprop, -r.worst_numeric, 1e-6 * std::abs(r.worst_numeric));
}

// A step far too large makes the finite difference inexact, which the check reports too.
TEST_F(GradCheckSensitivity, ReportsAStepTooCoarse) {
    const GradCheckResult coarse = gradient_check(net, x, y, 0.5);
    EXPECT_GT(coarse.max_rel_error, gradcheck_tolerance);
}

}  // namespace
