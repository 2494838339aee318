/// @file
/// Where a network trains and runs, and in what arithmetic: plain data that TrainOptions and the
/// functions of device.hpp take.
#pragma once

#include <cstdint>
#include <string>

namespace nabla {

/// Where the passes run.
enum class Device : std::uint8_t {
    cpu,   ///< this machine's processor (OpenBLAS)
    cuda,  ///< an NVIDIA GPU (cuBLAS and nabla's kernels)
};

const char* device_name(Device device);  ///< "cpu" or "cuda"
Device parse_device(const std::string& name);  ///< accepts the names device_name gives; Error otherwise

/// The arithmetic of the GPU's matrix products. The rest of a step (activations, errors, losses,
/// sums, the optimizer) and the master copy of the weights are fp32 in every precision.
enum class Precision : std::uint8_t {
    fp32,  ///< IEEE single precision, bitwise the same from run to run
    tf32,  ///< tensor cores: inputs rounded to TF32 (10-bit mantissa), fp32 accumulation
    bf16,  ///< bf16 copies of weights, activations and errors as inputs, fp32 accumulation
};

const char* precision_name(Precision precision);  ///< "fp32", "tf32" or "bf16"
Precision parse_precision(const std::string& name);  ///< accepts the names precision_name gives; Error otherwise

}  // namespace nabla
