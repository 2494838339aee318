// The CPU as a training backend (src/train/backend.hpp): trains the caller's network in place,
// one step at a time (cpu::step), on batches gathered from its training rows (in memory, or
// streamed from a file: src/train/training_rows.hpp).
#pragma once

#include <cstddef>
#include <vector>

#include "cpu/train_step.hpp"
#include "train/backend.hpp"
#include "train/training_rows.hpp"

namespace nabla::cpu {

class TrainingBackend final : public Backend {
public:
    // Training net (in place) on `rows`, this process's rows first … first + rows.held() − 1 of
    // the training set, with options' optimizer, dropout, clipping and divergence policy; the
    // gradients summed across `processes` (layer by layer as they come when `overlap`).
    TrainingBackend(Network<float>& net, TrainingRows& rows, const TrainOptions& options, std::size_t batch,
                    Communicator& processes, std::size_t first, bool overlap);

    void start_epoch(std::span<const std::size_t> order, std::size_t index) override {
        rows_.start_epoch(order, index * batch_);
    }
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
    TrainingRows& rows_;
    std::size_t batch_;
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
