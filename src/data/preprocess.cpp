#include "nabla/preprocess.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include "nabla/error.hpp"

namespace nabla {

Preprocessing Preprocessing::identity() {
    return {};
}

Preprocessing Preprocessing::pixels(std::size_t features, float max_value) {
    if (!(max_value > 0.0f) || !std::isfinite(max_value))
        throw Error("pixel scaling needs a positive maximum value, got " + std::to_string(max_value));
    Preprocessing scaling;
    scaling.kind = Kind::pixel_scale;
    scaling.offset.assign(features, 0.0f);
    scaling.scale.assign(features, 1.0f / max_value);
    return scaling;
}

Preprocessing Preprocessing::standardize_fit(const Matrix<float>& x, Communicator& processes) {
    // Sums in double: float sums over tens of thousands of samples lose the digits that matter. The
    // row count rides after the column sums, so that processes holding parts of the data add both.
    std::vector<double> sums(x.cols + 1, 0.0);
    for (std::size_t i = 0; i < x.rows; ++i)
        for (std::size_t j = 0; j < x.cols; ++j) sums[j] += x(i, j);
    sums[x.cols] = static_cast<double>(x.rows);
    processes.sum(std::span<double>(sums));
    const double rows = sums[x.cols];
    if (rows == 0) throw Error("cannot fit standardization to a data set without samples");
    std::vector<double> mean(sums.begin(), sums.end() - 1);
    for (double& m : mean) m /= rows;

    std::vector<double> variance(x.cols, 0.0);
    for (std::size_t i = 0; i < x.rows; ++i)
        for (std::size_t j = 0; j < x.cols; ++j) {
            const double deviation = x(i, j) - mean[j];
            variance[j] += deviation * deviation;
        }
    processes.sum(std::span<double>(variance));

    // Below this a feature is constant for our purposes, and 1/stddev would not fit in a float;
    // scale 1 keeps such a feature at 0 instead of dividing by (nearly) zero.
    const double smallest_stddev = 1.0 / std::numeric_limits<float>::max();
    Preprocessing standardize;
    standardize.kind = Kind::standardize;
    for (std::size_t j = 0; j < x.cols; ++j) {
        const double stddev = std::sqrt(variance[j] / rows);
        standardize.offset.push_back(static_cast<float>(mean[j]));
        standardize.scale.push_back(stddev > smallest_stddev ? static_cast<float>(1.0 / stddev) : 1.0f);
    }
    return standardize;
}

void Preprocessing::apply(Matrix<float>& x) const {
    if (kind == Kind::none) return;
    if (x.cols != offset.size() || x.cols != scale.size())
        throw Error(std::string(preprocessing_name(kind)) + " preprocessing was fitted to " +
                    std::to_string(offset.size()) + " features, but the data has " + std::to_string(x.cols));
    apply_rows(x.data.data(), x.rows);
}

void Preprocessing::apply_rows(float* x, std::size_t rows) const {
    if (kind == Kind::none) return;
    const std::size_t cols = offset.size();
    for (std::size_t i = 0; i < rows; ++i) {
        float* row = x + i * cols;
        for (std::size_t j = 0; j < cols; ++j) row[j] = (row[j] - offset[j]) * scale[j];
    }
}

std::string Preprocessing::describe() const {
    const std::string features = " (" + std::to_string(offset.size()) + " features)";
    switch (kind) {
        case Kind::none: return "none";
        case Kind::pixel_scale: {
            char max_value[32];
            std::snprintf(max_value, sizeof max_value, "%g", scale.empty() ? 1.0 : 1.0 / scale[0]);
            return "pixel scale 1/" + std::string(max_value) + features;
        }
        case Kind::standardize: return "standardize" + features;
    }
    return preprocessing_name(kind);
}

TargetScaling TargetScaling::fit(const Matrix<float>& y, Communicator& processes) {
    // The standardisation of the inputs, computed the same way (double sums, across processes).
    const Preprocessing columns = Preprocessing::standardize_fit(y, processes);
    TargetScaling scaling;
    for (std::size_t j = 0; j < y.cols; ++j) {
        scaling.mean.push_back(columns.offset[j]);
        scaling.stddev.push_back(1.0 / double(columns.scale[j]));
    }
    return scaling;
}

void TargetScaling::apply(Matrix<float>& y) const {
    if (y.cols != mean.size()) throw Error("target scaling was fitted to " + std::to_string(mean.size()) +
                                           " outputs, but the data has " + std::to_string(y.cols));
    apply_rows(y.data.data(), y.rows);
}

void TargetScaling::apply_rows(float* y, std::size_t rows) const {
    const std::size_t cols = mean.size();
    for (std::size_t i = 0; i < rows; ++i) {
        float* row = y + i * cols;
        for (std::size_t j = 0; j < cols; ++j) row[j] = static_cast<float>((row[j] - mean[j]) / stddev[j]);
    }
}

const char* preprocessing_name(Preprocessing::Kind kind) {
    switch (kind) {
        case Preprocessing::Kind::none: return "none";
        case Preprocessing::Kind::pixel_scale: return "pixel_scale";
        case Preprocessing::Kind::standardize: return "standardize";
    }
    return "unknown";  // a Kind cast from a corrupt number
}

}  // namespace nabla
