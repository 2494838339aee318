// The device side of a training run: the training data, uploaded once; the network and its
// optimizer; the epoch's sample order and learning rates; the run's StepState; and the graphs of
// its steps. A step then needs nothing from the host but a graph launch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cuda/device_network.hpp"
#include "cuda/optimizer.hpp"
#include "cuda/step_graphs.hpp"
#include "nabla/dataset.hpp"

namespace nabla::cuda {

class DeviceTraining {
public:
    // Training net on data with the optimizer, `batch` samples a step, products in `precision`.
    DeviceTraining(const Network<float>& net, const Dataset& data, const OptimizerSpec& optimizer, std::size_t batch,
                   Precision precision);

    DeviceNetwork& network() { return net_; }

    // Starts an epoch once the steps queued so far have run: the order of its samples (a
    // permutation of the data's rows) and the learning rate of each of its steps. Its sums start
    // at zero; the optimizer's step count carries on.
    void start_epoch(std::span<const std::size_t> order, std::span<const float> learning_rates);
    // Back to the epoch's first step with the same order: `nabla bench` cycles through its data so.
    void rewind();
    // Queues the epoch's next step, on the next n samples of the order (n ≤ batch).
    void step(std::size_t n);
    // The run's bookkeeping, once the queued steps have run.
    StepState state() const;

private:
    void enqueue_step(std::size_t n);

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
};

}  // namespace nabla::cuda
