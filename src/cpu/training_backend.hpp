// The CPU as a training backend (src/train/backend.hpp): trains the caller's network in place,
// one step at a time (cpu::step), on batches gathered from the data in host memory.
#pragma once

#include <cstddef>
#include <vector>

#include "cpu/train_step.hpp"
#include "train/backend.hpp"

namespace nabla::cpu {

class TrainingBackend final : public Backend {
public:
    // Training net (in place) on data, this process's rows first … first + data.samples() − 1 of
    // the training set, with options' optimizer, dropout, clipping and divergence policy; the
    // gradients summed across `processes` (layer by layer as they come when `overlap`).
    TrainingBackend(Network<float>& net, const Dataset& data, const TrainOptions& options, std::size_t batch,
                    Communicator& processes, std::size_t first, bool overlap);

    void start_epoch(std::size_t) override {}
    void step(const Batch& batch) override;
    bool queues_steps() const override { return false; }
    std::span<const StepOutcome> outcomes() override;

    void download(Network<float>&) override {}  // the network is trained in place
    void save_optimizer(TrainingState& state) override;
    void restore_optimizer(const TrainingState& state) override;

    std::string first_non_finite() override;
    Matrix<float> predict(const Matrix<float>& x) override;

private:
    Network<float>& net_;
    const Dataset& data_;
    Optimizer<float> optimizer_;
    double dropout_rate_, clip_norm_;
    bool skip_batches_, classification_;
    Communicator& processes_;
    std::size_t first_;
    bool overlap_;
    Workspace<float> ws_;
    std::vector<float> grads_;
    Matrix<float> x_, y_;                // the batch's rows, gathered
    std::vector<std::size_t> samples_;   // their sample numbers, for the dropout masks
    std::uint32_t skipped_in_a_row_ = 0;
    std::vector<StepOutcome> outcomes_;  // of the steps since the last outcomes()
    bool taken_ = false;                 // outcomes_ has been given to the loop
};

}  // namespace nabla::cpu
