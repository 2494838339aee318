// The device side of a training run: the training data, uploaded once; the network and its
// optimizer; the epoch's sample order and learning rates; the run's StepState; and the graphs of
// its steps. A step then needs nothing from the host but a graph launch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "nabla/trainer.hpp"

#include "cuda/device_network.hpp"
#include "cuda/nccl.hpp"
#include "cuda/optimizer.hpp"
#include "cuda/step_graphs.hpp"
#include "nabla/dataset.hpp"

namespace nabla::cuda {

// How a run trains, besides its network and data: TrainOptions' parts that a step applies.
struct StepRules {
    OptimizerSpec optimizer;
    double dropout = 0;         // the rate on hidden layers (0: none)
    double clip_norm = 0;       // 0: no clipping
    bool skip_batches = false;  // TrainOptions::OnDivergence::skip_batch
    std::size_t first = 0;      // data-parallel: the first row of the training set this process holds
};

class DeviceTraining {
public:
    // Training net on data (this process's rows), `batch` samples a step and at most
    // steps_per_epoch steps an epoch, products in `precision`, each step by `rules`. With
    // `parallel`, each step's gradient is summed across the processes' GPUs (NCCL) before the update.
    DeviceTraining(const Network<float>& net, const Dataset& data, const StepRules& rules, std::size_t batch,
                   std::size_t steps_per_epoch, Precision precision, const DataParallel* parallel = nullptr);

    DeviceNetwork& network() { return net_; }

    // Where the next step is: step `index` of its epoch, step `run_step` of the run, whose
    // dropout key is `dropout_key`.
    void set_position(std::size_t index, std::uint64_t run_step, std::uint64_t dropout_key);
    // The rows (indices into the data) and learning rate of step `index` of the epoch.
    void load_step(std::size_t index, std::span<const std::size_t> rows, float learning_rate);
    // Back to the epoch's first step, the steps loaded: `nabla bench` cycles through its data so.
    void rewind();
    // Queues the next step, on its n loaded rows (n ≤ batch): in data-parallel training this
    // process's part of a batch of `global` samples, else all of it.
    void step(std::size_t n, std::size_t global);
    void step(std::size_t n) { step(n, n); }
    // The records of `count` steps of the epoch from step `begin`, once they have run.
    std::vector<StepRecord> records(std::size_t begin, std::size_t count) const;
    // Until the queued steps have run.
    void wait() const;
    // The optimizer's moments and step count into (or from) a checkpoint's state.
    void save_optimizer(TrainingState& state) const;
    void restore_optimizer(const TrainingState& state);

private:
    void enqueue_step(std::size_t n, std::size_t global);

    Stream stream_;
    StepRules rules_;
    std::size_t batch_, features_, outputs_;
    DeviceBuffer<float> x_, y_;  // the training data, one sample a row
    DeviceNetwork net_;
    DeviceOptimizer optimizer_;
    DeviceBuffer<float> y_batch_;  // the step's targets, gathered beside its inputs
    std::vector<std::uint32_t> host_rows_;
    DeviceBuffer<std::uint32_t> order_;   // step s's rows at [s · batch, s · batch + n)
    DeviceBuffer<float> learning_rates_;  // η of each step of the epoch
    DeviceBuffer<StepState> state_;
    DeviceBuffer<StepRecord> records_;    // each step of the epoch
    DeviceBuffer<float> squares_, squared_norm_, norm_scratch_;  // clipping: ‖∇L_T‖²
    StepGraphs graphs_;
    std::optional<Nccl> nccl_;  // data-parallel: the sum across the processes' GPUs
};

}  // namespace nabla::cuda
