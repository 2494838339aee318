// Backprop against central finite differences, in double: every activation × loss pair, depths 1
// to 4, batch 1 and batch > 1.
#include <gtest/gtest.h>

#include <tuple>

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
    if (loss == Loss::mse) spec.output = activation;  // the seed's σ on every layer
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

// A wrong gradient must be caught: the check is not allowed to pass everything.
TEST(GradCheckSensitivity, DetectsAPerturbedNetworkGradient) {
    NetworkSpec spec{{3, 4, 2}, Activation::sigmoid, Activation::sigmoid, Loss::mse};
    Network<double> net(spec, 5);
    Matrix<double> x(2, 3), y(2, 2);
    Rng rng(9);
    for (double& v : x.data) v = rng.normal();
    for (double& v : y.data) v = rng.uniform();
    const GradCheckResult exact = gradient_check(net, x, y);
    EXPECT_LE(exact.max_rel_error, gradcheck_tolerance);
    // A step far too large makes the finite difference inexact, which the check must report.
    const GradCheckResult coarse = gradient_check(net, x, y, 0.5);
    EXPECT_GT(coarse.max_rel_error, gradcheck_tolerance);
}

}  // namespace
