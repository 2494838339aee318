// The CUDA backend as the rest of nabla calls it (src/train/device.cpp, behind nabla/device.hpp):
// plain C++ without CUDA types, so that a build without CUDA links unavailable.cpp in its place.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nabla/device.hpp"
#include "train/backend.hpp"

namespace nabla::cuda {

// Why the backend cannot run here (built without CUDA, no GPU, …), or "" when it can. The
// functions below are only called when it can.
std::string unavailable_reason();

// The GPU as train()'s backend (src/train/backend.hpp), for net on data with options, `batch`
// samples a step over `samples` in all processes, of which this one holds rows first … first +
// data.samples() − 1.
std::unique_ptr<Backend> training_backend(const Network<float>& net, const Dataset& data, const TrainOptions& options,
                                          std::size_t batch, std::size_t samples, std::size_t first);

// predict_on, gradient_on and training_steps_on for Device::cuda.
Matrix<float> predict(const Network<float>& net, const Matrix<float>& x, Precision precision, std::size_t batch);
float gradient(const Network<float>& net, const float* x, const float* y, std::size_t n, std::span<float> grads,
               Precision precision);
std::function<void(std::size_t)> training_steps(const Network<float>& net, const Dataset& data,
                                                const OptimizerSpec& optimizer, std::size_t batch, Precision precision);

}  // namespace nabla::cuda
