// Regression on a CSV file whose last column is the target: standardise the features, train on 80%
// of the rows, print the RMSE on the other 20%. Without an argument it writes and uses an example
// file, regression_example.csv: y = sin(x1) + x2·x3 + noise.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nabla/nabla.hpp>
#include <string>

namespace {

std::string write_example_csv(const std::string& path) {
    nabla::Rng rng(42);
    std::ofstream out(path);
    out << "x1,x2,x3,y\n";
    for (int i = 0; i < 2000; ++i) {
        const double x1 = rng.uniform(-3, 3), x2 = rng.uniform(-1, 1), x3 = rng.uniform(-1, 1);
        out << x1 << ',' << x2 << ',' << x3 << ',' << std::sin(x1) + x2 * x3 + 0.05 * rng.normal() << '\n';
    }
    return path;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string path = argc > 1 ? argv[1] : write_example_csv("regression_example.csv");
        const nabla::Dataset data = nabla::load_dataset(path, {.task = nabla::Task::regression});
        auto [train, test] = nabla::split_dataset(data, 0.2, /*seed=*/1);
        const auto standardize = nabla::Preprocessing::standardize_fit(train.x);  // fitted on training rows only
        standardize.apply(train.x);
        standardize.apply(test.x);

        nabla::Network<float> net({.layers = {train.features(), 32, 32, train.y.cols}, .loss = nabla::Loss::mse}, 1);
        nabla::train(net, train, nullptr, {.epochs = 60, .batch = 32, .optimizer = {.learning_rate = 3e-3}});
        std::printf("%s: test RMSE %.4f over %zu rows\n", path.c_str(), nabla::evaluate(net, test).rmse, test.samples());
    } catch (const nabla::Error& e) {  // bad file, bad column, NaN: one line saying what and where
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
