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
    /// each process holds some of the rows: `sum_across` adds a buffer across the processes in place,
    /// so that every process fits the mean and stddev of all the rows together.
    static Preprocessing standardize_fit(const Matrix<float>& x,
                                         const std::function<void(std::span<double>)>& sum_across = {});

    void apply(Matrix<float>& x) const;  ///< Error when x.cols differs from the fitted feature count
    std::string describe() const;        ///< one line for `nabla info`
};

const char* preprocessing_name(Preprocessing::Kind kind);  ///< "none", "pixel_scale" or "standardize"

}  // namespace nabla
