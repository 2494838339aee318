// The network's passes against the equations of docs/backprop.md worked by hand, batched against
// per-sample gradients, and the errors a bad construction gets.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "nabla/error.hpp"
#include "nabla/network.hpp"

using namespace nabla;

namespace {

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// 2-2-1 sigmoid network, quadratic loss, one sample; gradients derived by hand.
TEST(Backprop, TwoTwoOneSigmoidQuadraticLossByHand) {
    NetworkSpec spec{{2, 2, 1}, Activation::sigmoid, Activation::sigmoid, Loss::mse};
    // W1 = [[0.15, 0.20], [0.25, 0.30]], b1 = [0.35, 0.35], W2 = [[0.40, 0.45]], b2 = [0.60]
    Network<double> net(spec, std::vector<double>{0.15, 0.20, 0.25, 0.30, 0.35, 0.35, 0.40, 0.45, 0.60});
    const double x[2] = {0.05, 0.10};
    const double y[1] = {0.01};

    // Forward: z^1_j = Σ_k w_jk x_k + b_j, a^1 = σ(z^1); z^2 = Σ_j w_j a^1_j + b, a^2 = σ(z^2).
    const double z11 = 0.15 * 0.05 + 0.20 * 0.10 + 0.35, z12 = 0.25 * 0.05 + 0.30 * 0.10 + 0.35;
    const double a11 = sigmoid(z11), a12 = sigmoid(z12);
    const double z2 = 0.40 * a11 + 0.45 * a12 + 0.60, a2 = sigmoid(z2);
    // Final layer: d^F = (a^F − y) σ'(z^F), with σ'(z) = σ(z)(1 − σ(z)).
    const double dF = (a2 - y[0]) * a2 * (1 - a2);
    // Intermediate layer: d^1_j = w^2_j d^F σ'(z^1_j).
    const double d11 = 0.40 * dF * a11 * (1 - a11), d12 = 0.45 * dF * a12 * (1 - a12);
    // ∂L/∂w_jk = d_j a_k^(l−1), ∂L/∂b_j = d_j.
    const std::vector<double> expected{d11 * x[0], d11 * x[1], d12 * x[0], d12 * x[1], d11, d12,
                                       dF * a11,   dF * a12,   dF};

    Workspace<double> ws;
    const double* out = forward(net, x, 1, ws);
    EXPECT_NEAR(out[0], a2, 1e-15);
    std::vector<double> grads(net.parameters().size());
    const double loss = backward(net, y, ws, std::span<double>(grads));
    EXPECT_NEAR(loss, 0.5 * (y[0] - a2) * (y[0] - a2), 1e-15);
    ASSERT_EQ(grads.size(), expected.size());
    for (std::size_t p = 0; p < grads.size(); ++p) EXPECT_NEAR(grads[p], expected[p], 1e-15) << "parameter " << p;
}

// ∇L_T over a batch equals the mean of the per-sample gradients ∇L_i (L_T = (1/n) Σ L_i).
TEST(Backprop, BatchedGradientIsTheMeanOfPerSampleGradients) {
    for (Loss loss : {Loss::mse, Loss::cross_entropy, Loss::binary_cross_entropy}) {
        NetworkSpec spec{{6, 8, 5, 4}, Activation::tanh, std::nullopt, loss};
        Network<double> net(spec, 11);
        const std::size_t n = 9;
        Rng rng(4);
        std::vector<double> x(n * 6), y(n * 4, 0.0);
        for (double& v : x) v = rng.normal();
        for (std::size_t i = 0; i < n; ++i) y[i * 4 + rng.below(4)] = 1.0;

        Workspace<double> ws;
        std::vector<double> batched(net.parameters().size()), sample(batched.size()), mean(batched.size(), 0.0);
        forward(net, x.data(), n, ws);
        const double batch_loss = backward(net, y.data(), ws, std::span<double>(batched));
        double loss_mean = 0;
        for (std::size_t i = 0; i < n; ++i) {
            forward(net, x.data() + i * 6, 1, ws);
            loss_mean += backward(net, y.data() + i * 4, ws, std::span<double>(sample)) / double(n);
            for (std::size_t p = 0; p < mean.size(); ++p) mean[p] += sample[p] / double(n);
        }
        EXPECT_NEAR(batch_loss, loss_mean, 1e-13);
        for (std::size_t p = 0; p < mean.size(); ++p) EXPECT_NEAR(batched[p], mean[p], 1e-13) << loss_name(loss) << " p=" << p;
    }
}

TEST(Network, SameSeedGivesBitwiseIdenticalWeights) {
    NetworkSpec spec{{10, 7, 3}};
    Network<float> a(spec, 42), b(spec, 42), c(spec, 43);
    EXPECT_TRUE(std::equal(a.parameters().begin(), a.parameters().end(), b.parameters().begin()));
    EXPECT_FALSE(std::equal(a.parameters().begin(), a.parameters().end(), c.parameters().begin()));
}

TEST(Network, InitializersHaveTheirVariance) {
    auto variance = [](const Network<double>& net) {
        const std::size_t count = net.layer(0).in * net.layer(0).out;
        double sum = 0;
        for (std::size_t i = 0; i < count; ++i) sum += net.W(0)[i] * net.W(0)[i];
        return sum / double(count);
    };
    NetworkSpec he{{400, 300, 2}, Activation::relu};
    EXPECT_NEAR(variance(Network<double>(he, 1)), 2.0 / 400, 0.05 * 2.0 / 400);
    NetworkSpec xavier{{400, 300, 2}, Activation::tanh};
    EXPECT_NEAR(variance(Network<double>(xavier, 1)), 2.0 / 700, 0.05 * 2.0 / 700);
    for (std::size_t j = 0; j < 300; ++j) EXPECT_EQ(Network<double>(xavier, 1).b(0)[j], 0.0);
}

TEST(Network, OutputActivationFollowsTheLossUnlessSet) {
    EXPECT_EQ((NetworkSpec{{2, 2}, Activation::relu, std::nullopt, Loss::cross_entropy}.output_activation()), Activation::softmax);
    EXPECT_EQ((NetworkSpec{{2, 2}, Activation::relu, std::nullopt, Loss::binary_cross_entropy}.output_activation()), Activation::sigmoid);
    EXPECT_EQ((NetworkSpec{{2, 2}, Activation::relu, std::nullopt, Loss::mse}.output_activation()), Activation::identity);
    EXPECT_EQ((NetworkSpec{{2, 2}, Activation::relu, Activation::sigmoid, Loss::mse}.output_activation()), Activation::sigmoid);
}

TEST(Network, SoftmaxOutputIsAProbabilityDistributionEvenForHugeInputs) {
    NetworkSpec spec{{3, 4}, Activation::relu, std::nullopt, Loss::cross_entropy};
    Network<float> net(spec, 1);
    const float x[3] = {1e4f, -1e4f, 3e4f};
    Workspace<float> ws;
    const float* a = forward(net, x, 1, ws);
    float sum = 0;
    for (int j = 0; j < 4; ++j) {
        EXPECT_TRUE(std::isfinite(a[j]));
        sum += a[j];
    }
    EXPECT_NEAR(sum, 1.0f, 1e-6f);
}

// L by definition: −Σ y_j log a_j (CE) and −Σ y_j log a_j + (1 − y_j) log(1 − a_j) (BCE), for
// one-hot, soft and 0/1 targets; a saturated output costs log of the smallest float, not infinity.
TEST(Loss, ValuesFollowTheirDefinitions) {
    const double a[3] = {0.2, 0.5, 0.3};
    const double one_hot[3] = {0, 1, 0}, soft[3] = {0.1, 0.6, 0.3};
    EXPECT_EQ(loss_sum(Loss::cross_entropy, a, one_hot, 1, 3), -std::log(0.5));
    EXPECT_NEAR(loss_sum(Loss::cross_entropy, a, soft, 1, 3),
                -(0.1 * std::log(0.2) + 0.6 * std::log(0.5) + 0.3 * std::log(0.3)), 1e-15);
    const double p[2] = {0.9, 0.25}, labels[2] = {1, 0};
    EXPECT_NEAR(loss_sum(Loss::binary_cross_entropy, p, labels, 1, 2), -(std::log(0.9) + std::log(0.75)), 1e-15);
    const double half[1] = {0.5}, p0[1] = {0.4};
    EXPECT_NEAR(loss_sum(Loss::binary_cross_entropy, p0, half, 1, 1), -0.5 * (std::log(0.4) + std::log(0.6)), 1e-15);
    const float saturated[2] = {0.0f, 1.0f}, wrong[2] = {1.0f, 0.0f};
    EXPECT_FLOAT_EQ(loss_sum(Loss::cross_entropy, saturated, wrong, 1, 2), -std::log(std::numeric_limits<float>::min()));
}

TEST(Network, BadConstructionIsAClearError) {
    auto message = [](const NetworkSpec& spec) {
        try {
            Network<float> net(spec, 1);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(message(NetworkSpec{{4, 0, 2}}).find("width 0"), std::string::npos);
    EXPECT_NE(message(NetworkSpec{{4}}).find("at least two"), std::string::npos);
    EXPECT_NE(message(NetworkSpec{{4, 3, 2}, Activation::softmax}).find("softmax"), std::string::npos);
    EXPECT_NE(message(NetworkSpec{{100000, 100000, 2}}).find("2^31"), std::string::npos);
    EXPECT_THROW(parse_activation("swish"), Error);
    EXPECT_THROW(parse_loss("hinge"), Error);
    EXPECT_THROW((Network<float>(NetworkSpec{{2, 2}}, std::vector<float>(5))), Error);
}

TEST(Network, CastToDoubleKeepsTheParameters) {
    Network<float> f(NetworkSpec{{3, 5, 2}}, 3);
    Network<double> d = f.cast<double>();
    for (std::size_t p = 0; p < f.parameters().size(); ++p) EXPECT_EQ(double(f.parameters()[p]), d.parameters()[p]);
}

}  // namespace

// forward() draws each row's dropout masks eight rows at a time (and splits the rows across the
// threads): every mask is still the one Dropout::draw_mask gives that row, and kept = a ⊙ keep.
TEST(Network, DropoutMasksAreEachRowsOwnDraws) {
    NetworkSpec spec{{5, 13, 300, 70, 3}};  // widths that are not multiples of 4, one over 256
    const Network<float> net(spec, 3);
    for (const double rate : {0.1, 0.5, 0.999999}) {
        for (const std::size_t n : {std::size_t(1), std::size_t(8), std::size_t(37), std::size_t(130)}) {
            std::vector<float> x(n * 5);
            for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(double(i)));
            std::vector<std::size_t> samples(n);
            for (std::size_t i = 0; i < n; ++i) samples[i] = 1000 + 7 * i;
            const Dropout dropout{rate, 99, 5, samples.data()};
            Workspace<float> ws;
            forward(net, x.data(), n, ws, dropout);
            const float scale = float(1.0 / (1.0 - rate));
            for (std::size_t l = 0; l + 1 < net.depth(); ++l) {
                const std::size_t width = net.layer(l).out;
                std::vector<float> expected(width);
                for (std::size_t i = 0; i < n; ++i) {
                    Dropout::draw_mask(dropout.mask_source(i, l), rate, scale, expected.data(), width);
                    for (std::size_t j = 0; j < width; ++j) {
                        ASSERT_EQ(ws.keep[l][i * width + j], expected[j]) << "rate " << rate << ", layer " << l << ", row " << i << ", unit " << j;
                        ASSERT_EQ(ws.kept[l][i * width + j], ws.a[l][i * width + j] * expected[j]);
                    }
                }
            }
        }
    }
}
