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
// host: the step graph reads its window of the sample order, its learning rate and its dropout
// masks' step through it, and applies the divergence policy (core/divergence.hpp) on its own.
struct StepState {
    std::uint64_t step = 0;                // the step's place in its epoch: its window of the order, its η, its record
    std::uint64_t run_step = 0;            // the step's place in the run: its dropout masks (Dropout::step)
    std::uint64_t dropout_key = 0;         // the run's dropout key (Dropout::key)
    std::uint64_t optimizer_steps = 0;     // updates made in the run (Adam's bias correction)
    std::uint32_t skipped_in_a_row = 0;    // diverged steps skipped since the last update
    std::uint32_t skip_batches = 0;        // the policy: 1 skips diverged batches, 0 stops at the first
    std::uint32_t stopped = 0;             // a step's verdict was stop: no update since
    std::uint32_t weights_not_finite = 0;  // an update wrote a parameter that is not finite
};

// What a step did, as finish_step records it: L_T of its batch, the correctly classified samples,
// and its StepVerdict.
struct StepRecord {
    float loss = 0;
    float correct = 0;
    std::uint32_t verdict = 0;
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

// d^l = ((W^(l+1))^T d^(l+1)) ⊙ σ'(z^l): d holds the product, σ' is taken from a = σ(z). With
// dropout, d is first multiplied by the layer's mask `keep` (null: none).
void multiply_by_sigma_prime(cudaStream_t stream, Activation activation, const float* a, const float* keep, float* d,
                             std::size_t count, bf16* d_copy);

// Inverted dropout on a hidden layer's outputs a (n × width) in training: keep = 0 or 1/(1−rate)
// per unit, drawn as the CPU draws it (Dropout::source: state->dropout_key, state->run_step, the
// sample's number first + order[state->step · batch + i], and `layer`), and kept = a ⊙ keep,
// the next layer's input.
struct DropoutDraw {
    double rate;
    const std::uint32_t* order;
    std::size_t batch, first, layer;
};
void dropout(cudaStream_t stream, const DropoutDraw& draw, const StepState* state, const float* a, std::size_t n,
             std::size_t width, float* keep, float* kept, bf16* kept_copy);

// squares[i] = g[i]², the terms of the gradient's squared L2 norm (summed by column_sums).
void squares(cudaStream_t stream, const float* g, std::size_t count, float* squares);

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
// learning_rates[state->step]. With `squared_norm` (non-null), g is first scaled down to the L2
// norm clip_norm when longer, as clip_to_norm does. Skipped when the batch's loss sum is not
// finite or the run has stopped: a diverged gradient never reaches θ. An update that writes a
// parameter that is not finite marks state->weights_not_finite. theta_copy: θ's bf16 copy,
// refreshed. corrections: 2 floats of device memory for Adam's bias corrections, computed once
// per step.
void update_parameters(cudaStream_t stream, const OptimizerSpec& spec, const BiasRange* biases, std::size_t layers,
                       std::size_t count, float* theta, bf16* theta_copy, const float* g, float* m, float* v,
                       const float* learning_rates, StepState* state, const float* loss_sum, float* corrections,
                       const float* squared_norm, double clip_norm);

// The end of a step of n samples: its record, records[state->step] = {L_T = loss_and_correct[0]
// / n, the correct count, the verdict of judge_step}, the run stopped on a stop verdict, and the
// step counters advanced.
void finish_step(cudaStream_t stream, StepState* state, const float* loss_and_correct, std::size_t n,
                 StepRecord* records);

}  // namespace nabla::cuda
