// nabla_synthetic_nbd ROWS OUTPUT.nbd [SEED]: writes a learnable classification set of ROWS rows
// of 50 features straight to a .nbd file, with the statistics nabla convert stores, for the
// streaming benchmark (docs/BENCHMARKS.md, "Training on more rows than memory holds"), where a CSV
// file of that size would take longer to write and parse than the run takes.
//
// x ~ N(0, 1) per feature; label 1 when w·x + 0.8 sin(2 x₁) + 0.5 x₂x₃ + ε > 0, with ε ~ N(0, 0.5²)
// and w the same in every file (SEED draws the rows only: a test set is another seed).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "nabla/rng.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: nabla_synthetic_nbd ROWS OUTPUT.nbd [SEED]\n");
        return 2;
    }
    try {
        const std::size_t rows = std::stoull(argv[1]), features = 50;
        const std::uint64_t seed = argc > 3 ? std::stoull(argv[3]) : 1;
        nabla::Rng weights(1), rng(seed);
        std::vector<double> w(features);
        for (double& v : w) v = weights.normal() / std::sqrt(double(features));
        nabla::Dataset data;
        data.source = "synthetic";
        data.x = nabla::Matrix<float>(rows, features);
        data.y = nabla::Matrix<float>(rows, 2);
        for (std::size_t j = 0; j < features; ++j) data.feature_names.push_back("f" + std::to_string(j));
        data.class_names = {"0", "1"};
        data.target_column = "label";
        for (std::size_t i = 0; i < rows; ++i) {
            float* x = data.x.row(i);
            double score = 0;
            for (std::size_t j = 0; j < features; ++j) {
                x[j] = float(rng.normal());
                score += w[j] * x[j];
            }
            score += 0.8 * std::sin(2.0 * x[0]) + 0.5 * x[1] * x[2] + 0.5 * rng.normal();
            data.y(i, score > 0 ? 1 : 0) = 1.0f;
        }
        nabla::NbdOrigin origin;
        origin.source = "synthetic (nabla_synthetic_nbd " + std::string(argv[1]) + ")";
        origin.standardization = nabla::Preprocessing::standardize_fit(data.x);
        nabla::save_nbd(data, origin, argv[2]);
        std::printf("%s: %zu rows of %zu features\n", argv[2], rows, features);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nabla_synthetic_nbd: %s\n", e.what());
        return 1;
    }
    return 0;
}
