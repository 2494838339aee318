// The CUDA backend's kernels: every part of a training step that is not a matrix product, each one
// pass over memory. The per-element math is core/activation_math.hpp and core/loss_math.hpp, the
// same inline functions the CPU runs, compiled for the device too.
//
// A kernel that writes a matrix a later product reads can also write its bf16 copy (bf16
// precision); a null copy pointer means none is kept.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "nabla/activation.hpp"
#include "nabla/loss.hpp"
#include "nabla/optimizer.hpp"

namespace nabla::cuda {

using bf16 = __nv_bfloat16;

// The bookkeeping of a training run, kept on the device so that a step needs nothing from the
// host: the step graph reads its window of the sample order and its learning rate through it.
struct StepState {
    std::uint64_t step = 0;             // steps taken in this epoch
    std::uint64_t optimizer_steps = 0;  // updates made in the run (Adam's bias correction)
    double loss_sum = 0;                // this epoch: Σ L_T × batch size over its batches
    double correct = 0;                 // this epoch: correctly classified training samples
    std::int64_t diverged_step = -1;    // the first step of the epoch whose loss was not finite; −1: none
    float diverged_loss = 0;            // that step's loss: NaN or ±∞
};

// The layer l's biases b^l: parameters [begin, end) of the network's vector.
struct BiasRange {
    std::uint64_t begin, end;
};

// Whether the GPU can run these kernels (cudaSuccess), or why not.
cudaError_t kernels_load();

// The step's mini-batch: x_i = rows[order[s · batch + i]] for i < n, s = state->step.
void gather_rows(cudaStream_t stream, const float* rows, std::size_t cols, const std::uint32_t* order,
                 const StepState* state, std::size_t batch, std::size_t n, float* x, bf16* x_copy);

// a^l = σ(z^l + b^l) in place over n × k: z holds Z = A^(l−1) (W^l)^T. Softmax: per row.
void add_bias_and_activate(cudaStream_t stream, Activation activation, const float* b, float* z, std::size_t n,
                           std::size_t k, bf16* a_copy);

// Per sample i: d^F = ∇_a L ⊙ σ'(z^F) (math::sample_output_error), and stats[2i] = L_i,
// stats[2i + 1] = 1 if the sample is classified right, else 0.
void output_error(cudaStream_t stream, Loss loss, Activation output, const float* a, const float* y, std::size_t n,
                  std::size_t k, float* d, bf16* d_copy, float* stats);

// d^l = ((W^(l+1))^T d^(l+1)) ⊙ σ'(z^l): d holds the product, σ' is taken from a = σ(z).
void multiply_by_sigma_prime(cudaStream_t stream, Activation activation, const float* a, float* d, std::size_t count,
                             bf16* d_copy);

// copy = bf16(x), rounded to nearest.
void to_bf16(cudaStream_t stream, const float* x, bf16* copy, std::size_t count);

// out[j] = alpha · Σ_i m[i, j] over an n × k matrix: ∂L_T/∂b^l = (1/n) Σ_i d^l_i with alpha = 1/n.
// The sum runs in a fixed order, so the result is bitwise the same every run; scratch holds
// column_sums_scratch(n, k) floats. n = 0 gives zeros.
std::size_t column_sums_scratch(std::size_t n, std::size_t k);
void column_sums(cudaStream_t stream, const float* m, std::size_t n, std::size_t k, float alpha, float* out,
                 float* scratch);

// One optimizer update θ ← update(θ, g) of `count` parameters, element by element as
// Optimizer<float>::step does it (weight decay on weights, not on the biases), with η =
// learning_rates[state->step]. Skipped when the batch's loss sum is not finite or the epoch has
// diverged: a diverged gradient never reaches θ. theta_copy: θ's bf16 copy, refreshed.
// corrections: 2 floats of device memory for Adam's bias corrections, computed once per step.
void update_parameters(cudaStream_t stream, const OptimizerSpec& spec, const BiasRange* biases, std::size_t layers,
                       std::size_t count, float* theta, bf16* theta_copy, const float* g, float* m, float* v,
                       const float* learning_rates, const StepState* state, const float* loss_sum,
                       float* corrections);

// The end of a step of n samples: L_T = loss_and_correct[0] / n and the correct count into the
// epoch's sums (or the step marked as diverged), and the step counters advanced.
void finish_step(cudaStream_t stream, StepState* state, const float* loss_and_correct, std::size_t n);

}  // namespace nabla::cuda
