// The CPU backend's training step: the one function the training loop (src/train/trainer.cpp)
// calls per batch, for one process or many.
#pragma once

#include <cstddef>
#include <span>

#include "nabla/communicator.hpp"
#include "nabla/network.hpp"
#include "nabla/optimizer.hpp"

namespace nabla::cpu {

// What a step gives the loop: the mean loss over the global batch, and how many of its samples
// the network classified correctly (when asked to count them).
struct StepResult {
    double loss = 0;
    std::size_t correct = 0;
};

// One training step, the equations of the backpropagation notes batched: forward over this
// process's m rows of a global batch of `global` rows; backward into grads, each layer's gradient
// scaled to its share of the global mean and summed across the processes (with `overlap`, started
// as soon as the backward pass has it, while the layers below are computed); then the update that
// every process takes alike. A loss that is not finite takes no update.
StepResult step(Network<float>& net, Optimizer<float>& optimizer, Workspace<float>& ws, std::span<float> grads,
                const float* x, const float* y, std::size_t m, std::size_t global, double lr, const Dropout& dropout,
                double clip_norm, Communicator& processes, bool overlap, bool count);

// How many of n rows of outputs a (k each) name the class their targets y name.
std::size_t count_correct(const float* a, const float* y, std::size_t n, std::size_t k);

}  // namespace nabla::cpu

namespace nabla {

// One training step on a batch of n samples (rows of x and y) in this process alone: forward pass,
// backward pass into grads, clipping to clip_norm (if > 0), optimizer update with learning rate
// lr. Returns the batch's L_T. Afterwards ws.a.back() still holds the batch's outputs a^F.
// Allocates nothing once ws has seen a batch this large. (`nabla bench` and the tests step so.)
float train_step(Network<float>& net, Optimizer<float>& optimizer, Workspace<float>& ws, std::span<float> grads,
                 const float* x, const float* y, std::size_t n, double lr, const Dropout& dropout = {},
                 double clip_norm = 0.0);

// Scales grads down to the global L2 norm max_norm if it is longer.
void clip_to_norm(std::span<float> grads, double max_norm);

}  // namespace nabla
