/// @file
/// Export to ONNX, so that a trained model runs wherever ONNX does (ONNX Runtime, browsers,
/// other languages) without nabla.
#pragma once

#include <string>

#include "nabla/model.hpp"

namespace nabla {

/// Writes the model as an ONNX graph (opset 13, IR version 7, producer "nabla"), atomically.
///
/// The graph takes "input", float [N, features] of raw data as `predict` reads it: the model's
/// preprocessing is folded into the first layer's weights and bias. Each layer is a Gemm
/// (W stored out × in, transB = 1) followed by its activation (Sigmoid, Tanh, Relu, LeakyRelu
/// with alpha 0.01, Softmax over axis 1; none for identity). The result is "output", float
/// [N, outputs]: a^F, i.e. class probabilities for a softmax classifier, P(class 1) for a single
/// sigmoid output, the targets for regression. Error on I/O failure.
void export_onnx(const Model& model, const std::string& path);

}  // namespace nabla
