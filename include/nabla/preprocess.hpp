/// @file
/// Input preprocessing that is fitted on the training data and stored inside the model, so that eval
/// and predict transform their input exactly as training did: x' = (x − offset) ⊙ scale per feature.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nabla/communicator.hpp"
#include "nabla/matrix.hpp"

namespace nabla {

/// A per-feature affine transform x' = (x − offset) ⊙ scale.
struct Preprocessing {
    /// How offset and scale were chosen.
    enum class Kind : std::uint8_t { none = 0, pixel_scale = 1, standardize = 2 };
    Kind kind = Kind::none;  ///< none: x' = x
    std::vector<float> offset;  ///< one per feature (empty for none)
    std::vector<float> scale;   ///< one per feature (empty for none)

    static Preprocessing identity();  ///< x' = x
    /// x' = x / max_value, for images of `features` pixels.
    static Preprocessing pixels(std::size_t features, float max_value = 255.0f);
    /// Per-feature mean and 1/stddev of x (constant features get scale 1). In data-parallel training
    /// each process holds some of the rows, and `processes` sums across them, so that every process
    /// fits the mean and stddev of all the rows together.
    static Preprocessing standardize_fit(const Matrix<float>& x, Communicator& processes = alone());

    void apply(Matrix<float>& x) const;  ///< Error when x.cols differs from the fitted feature count
    /// The same on `rows` rows of the fitted feature count, row-major at x (rows read from a stream).
    void apply_rows(float* x, std::size_t rows) const;
    std::string describe() const;        ///< one line for `nabla info`
};

/// Regression targets standardised for training: y' = (y − mean) / stddev per output. A network
/// learns targets in the thousands (prices) or near 10^20 as easily as targets near 1, with the same
/// learning rate; once trained, fold_into() moves the scale into its output layer, so that the saved
/// network predicts in the targets' own units and a model file needs nothing more.
struct TargetScaling {
    std::vector<double> mean;    ///< one per output
    std::vector<double> stddev;  ///< one per output (1 for a constant target)

    /// The mean and standard deviation of each column of y; `processes` as in
    /// Preprocessing::standardize_fit, for data-parallel training.
    static TargetScaling fit(const Matrix<float>& y, Communicator& processes = alone());

    void apply(Matrix<float>& y) const;  ///< y ← (y − mean) / stddev, per column
    void apply_rows(float* y, std::size_t rows) const;  ///< the same on `rows` rows of as many outputs, at y
    /// For an identity output layer a^F = W z + b trained on scaled targets: W ← stddev ⊙ W (row j
    /// times stddev_j) and b ← stddev ⊙ b + mean, so that it outputs unscaled targets.
    template <class Net>
    void fold_into(Net& net) const {
        const std::size_t last = net.depth() - 1, in = net.layers()[last].in, out = net.layers()[last].out;
        for (std::size_t j = 0; j < out; ++j) {
            auto* row = net.W(last) + j * in;
            for (std::size_t k = 0; k < in; ++k) row[k] = static_cast<float>(row[k] * stddev[j]);
            net.b(last)[j] = static_cast<float>(net.b(last)[j] * stddev[j] + mean[j]);
        }
    }
};

const char* preprocessing_name(Preprocessing::Kind kind);  ///< "none", "pixel_scale" or "standardize"

}  // namespace nabla
