// The CUDA backend as the rest of nabla calls it (src/cuda/device.cpp, behind nabla/device.hpp):
// plain C++ without CUDA types, so that a build without CUDA links unavailable.cpp in its place.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nabla/device.hpp"

namespace nabla::cuda {

// Why the backend cannot run here (built without CUDA, no GPU, …), or "" when it can. The
// functions below are only called when it can.
std::string unavailable_reason();

// train_on, predict_on, gradient_on and training_steps_on for Device::cuda.
std::vector<EpochMetrics> train(Network<float>& net, const Dataset& data, const Dataset* validation,
                                const TrainOptions& options, Precision precision);
Matrix<float> predict(const Network<float>& net, const Matrix<float>& x, Precision precision, std::size_t batch);
float gradient(const Network<float>& net, const float* x, const float* y, std::size_t n, std::span<float> grads,
               Precision precision);
std::function<void(std::size_t)> training_steps(const Network<float>& net, const Dataset& data,
                                                const OptimizerSpec& optimizer, std::size_t batch, Precision precision);

}  // namespace nabla::cuda
