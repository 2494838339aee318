// The device side of a training run: the training data, uploaded once; the network and its
// optimizer; the epoch's sample order and learning rates; the run's StepState; and the graphs of
// its steps. A step then needs nothing from the host but a graph launch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "cuda/device_network.hpp"
#include "cuda/nccl.hpp"
#include "cuda/optimizer.hpp"
#include "cuda/step_graphs.hpp"
#include "nabla/dataset.hpp"

namespace nabla::cuda {

class DeviceTraining {
public:
    // Training net on data with the optimizer, `batch` samples a step, products in `precision`.
    // With `parallel`, data is this process's part of the training set, and each step's gradient
    // is summed across the processes' GPUs (NCCL) before the update.
    DeviceTraining(const Network<float>& net, const Dataset& data, const OptimizerSpec& optimizer, std::size_t batch,
                   Precision precision, const DataParallel* parallel = nullptr);

    DeviceNetwork& network() { return net_; }

    // Starts an epoch once the steps queued so far have run: the order of its samples (rows of
    // the data; step s takes order[s · batch …]) and the learning rate of each of its steps. Its
    // sums start at zero; the optimizer's step count carries on.
    void start_epoch(std::span<const std::size_t> order, std::span<const float> learning_rates);
    // Back to the epoch's first step with the same order: `nabla bench` cycles through its data so.
    void rewind();
    // Queues the epoch's next step, on the next n samples of the order (n ≤ batch): in
    // data-parallel training this process's part of a batch of `global` samples, else all of it.
    void step(std::size_t n, std::size_t global);
    void step(std::size_t n) { step(n, n); }
    // The run's bookkeeping, once the queued steps have run.
    StepState state() const;

private:
    void enqueue_step(std::size_t n, std::size_t global);

    Stream stream_;
    std::size_t batch_, features_, outputs_;
    DeviceBuffer<float> x_, y_;  // the training data, one sample a row
    DeviceNetwork net_;
    DeviceOptimizer optimizer_;
    DeviceBuffer<float> y_batch_;  // the step's targets, gathered beside its inputs
    std::vector<std::uint32_t> host_order_;
    DeviceBuffer<std::uint32_t> order_;
    DeviceBuffer<float> learning_rates_;  // η of each step of the epoch
    DeviceBuffer<StepState> state_;
    StepGraphs graphs_;
    std::optional<Nccl> nccl_;  // data-parallel: the sum across the processes' GPUs
};

}  // namespace nabla::cuda
