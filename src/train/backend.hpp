// The seam between the training loop (src/train/trainer.cpp) and the hardware it trains on. The
// loop owns everything a run decides: the order of the samples, the learning-rate schedule,
// checkpoints and resuming, what a diverged step does, metrics and validation. A backend owns the
// network's parameters and the optimizer's state while the run lasts, and runs steps: next batch,
// forward, backward, (sum across processes,) update. src/cpu/training_backend.hpp and the CUDA
// backend (src/cuda/backend.hpp) implement it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/divergence.hpp"
#include "nabla/matrix.hpp"
#include "nabla/network.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

// One training step's batch, as the loop hands it to a backend.
struct Batch {
    std::span<const std::size_t> rows;  // the batch's rows this process holds, as indices into its data
    std::size_t global = 0;             // the batch's samples over all processes: L_T is their mean
    std::size_t index = 0;              // the step's place in its epoch: 0, 1, …
    std::size_t position = 0;           // the place of its first sample in the epoch's order
    std::uint64_t step = 0;             // the step's place in the run (0-based): its dropout masks' step
    std::uint64_t dropout_key = 0;      // the run's dropout key (Dropout::key)
    double learning_rate = 0;           // η of the step
};

// What a step did: L_T and the correctly classified samples of the whole batch (summed across
// the processes), and its verdict under the run's divergence policy (core/divergence.hpp).
struct StepOutcome {
    double loss = 0;
    std::size_t correct = 0;
    StepVerdict verdict = StepVerdict::update;
};

class Backend {
public:
    virtual ~Backend() = default;

    // An epoch whose order is `order` (TrainingState::order, epoch_order.hpp) begins at step
    // `index` (0, or where a resumed run left off).
    virtual void start_epoch(std::span<const std::size_t> order, std::size_t index) = 0;
    // Runs the batch's step, or queues it when queues_steps(): a queued step runs in order, and
    // applies the divergence policy itself, so that the loop may learn its outcome later. Once a
    // step's verdict is stop, no later step updates the parameters.
    virtual void step(const Batch& batch) = 0;
    virtual bool queues_steps() const = 0;
    // The outcomes of the steps given since the last call, in order, once they have run: valid
    // until the next step() or outcomes().
    virtual std::span<const StepOutcome> outcomes() = 0;

    // The parameters into net, and the optimizer's state into state (moments, step count), as
    // they stand after the steps so far; restore_optimizer puts a checkpoint's state back.
    virtual void download(Network<float>& net) = 0;
    virtual void save_optimizer(TrainingState& state) = 0;
    virtual void restore_optimizer(const TrainingState& state) = 0;

    // After a step whose verdict was stop: where the divergence shows first ("layer 2 weights").
    virtual std::string first_non_finite() = 0;
    // a^F of the network as it stands, for every row of x.
    virtual Matrix<float> predict(const Matrix<float>& x) = 0;
};

// Whether every parameter of net is finite.
bool parameters_finite(const Network<float>& net);

// "layer 2 weights" for the first layer whose weights, biases or (given ws, of its last batch)
// outputs are not finite, else "the loss of the outputs": where a divergence shows first.
std::string first_non_finite(const Network<float>& net, const Workspace<float>* ws);

}  // namespace nabla
