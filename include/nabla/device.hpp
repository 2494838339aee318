/// @file
/// Where a network trains and runs: on the CPU (the default), or on an NVIDIA GPU through the CUDA
/// backend when nabla is built with it (CMake option NABLA_CUDA). Both run the same passes on the
/// same math; the GPU keeps the data set, the parameters and the optimizer's state on the device
/// for a whole run. A network is always a Network<float> on the host before and after, so model
/// files do not depend on the device that trained them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/matrix.hpp"
#include "nabla/network.hpp"
#include "nabla/optimizer.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

/// True when this nabla was built with the CUDA backend and a GPU it can run on is present.
bool cuda_available();

/// Throws Error unless `device` can run here in `precision`: "--device cuda: …" saying why the GPU
/// cannot be used, or that the CPU computes in fp32 only. Every function below checks this first.
void check_device(Device device, Precision precision);

/// evaluate() on a device.
Evaluation evaluate_on(Device device, const Network<float>& net, const Dataset& data,
                       Precision precision = Precision::fp32, std::size_t batch = 1024);

/// predict() on a device.
Matrix<float> predict_on(Device device, const Network<float>& net, const Matrix<float>& x,
                         Precision precision = Precision::fp32, std::size_t batch = 1024);

/// One forward and backward pass on a device over the batch (x, y: n rows each): writes ∇L_T into
/// grads (the parameters' layout) and returns L_T, as forward() then backward() do on the CPU; when
/// L_T is not finite, grads are left as they were.
float gradient_on(Device device, const Network<float>& net, const float* x, const float* y, std::size_t n,
                  std::span<float> grads, Precision precision = Precision::fp32);

/// Training steps on a device, for timing them (`nabla bench`): the returned function trains a copy
/// of net with `optimizer` for `count` more steps, `batch` rows of data at a time in order (cycling
/// through data, whose sample count must be a multiple of batch), and returns once they are done.
/// The CPU version reads data where it is, so data must outlive the function.
std::function<void(std::size_t count)> training_steps_on(Device device, const Network<float>& net, const Dataset& data,
                                                         const OptimizerSpec& optimizer, std::size_t batch,
                                                         Precision precision = Precision::fp32);

}  // namespace nabla
