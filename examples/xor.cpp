// XOR from four in-memory samples: a 2-8-2 tanh network, trained, then asked for each case.
#include <cstdio>
#include <nabla/nabla.hpp>

int main() {
    nabla::Dataset data;  // a classification task: one row of x and one one-hot row of y per sample
    data.x = nabla::Matrix<float>(4, 2);
    data.x.data = {0, 0, 0, 1, 1, 0, 1, 1};
    data.y = nabla::Matrix<float>(4, 2);
    data.y.data = {1, 0, 0, 1, 0, 1, 1, 0};  // class 1 when the inputs differ

    nabla::Network<float> net({.layers = {2, 8, 2}, .hidden = nabla::Activation::tanh}, /*seed=*/1);
    nabla::train(net, data, nullptr, {.epochs = 300, .batch = 4, .optimizer = {.learning_rate = 0.05}});

    const nabla::Matrix<float> p = nabla::predict(net, data.x);
    for (std::size_t i = 0; i < 4; ++i)
        std::printf("%g xor %g = %zu  (P(1) = %.3f)\n", data.x(i, 0), data.x(i, 1), nabla::predicted_class(p.row(i), 2), p(i, 1));
    std::printf("accuracy %.0f%%\n", 100 * nabla::evaluate(net, data).accuracy);
}
