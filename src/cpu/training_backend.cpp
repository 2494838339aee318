#include "cpu/training_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

namespace nabla::cpu {

TrainingBackend::TrainingBackend(Network<float>& net, TrainingRows& rows, const TrainOptions& options,
                                 std::size_t batch, Communicator& processes, std::size_t first, bool overlap)
    : net_(net),
      rows_(rows),
      batch_(batch),
      optimizer_(options.optimizer, net),
      dropout_rate_(options.dropout),
      clip_norm_(options.clip_norm),
      skip_batches_(options.on_divergence == TrainOptions::OnDivergence::skip_batch),
      classification_(rows.task() == Task::classification),
      processes_(processes),
      first_(first),
      overlap_(overlap),
      grads_(net.parameters().size()),
      x_(batch, rows.features()),
      y_(batch, net.output_size()),
      samples_(batch) {}

// Next batch (gathered), then the step: forward, backward, sum across processes, update.
void TrainingBackend::step(const Batch& batch) {
    if (std::exchange(taken_, false)) outcomes_.clear();  // keeps its room: a step allocates nothing
    const std::size_t m = batch.rows.size();
    rows_.prepare(batch.position, batch.position + batch.global);
    for (std::size_t i = 0; i < m; ++i) {
        const std::size_t row = batch.rows[i];
        std::memcpy(x_.row(i), rows_.x(row), x_.cols * sizeof(float));
        std::memcpy(y_.row(i), rows_.y(row), y_.cols * sizeof(float));
        samples_[i] = first_ + row;
    }
    const Dropout dropout{dropout_rate_, batch.dropout_key, batch.step, samples_.data()};
    const StepResult result = cpu::step(net_, optimizer_, ws_, grads_, x_.data.data(), y_.data.data(), m, batch.global,
                                        batch.learning_rate, dropout, clip_norm_, processes_, overlap_, classification_);
    const bool loss_finite = std::isfinite(result.loss);
    const bool weights_finite = loss_finite || parameters_finite(net_);
    outcomes_.push_back({result.loss, result.correct, judge_step(loss_finite, weights_finite, skip_batches_, skipped_in_a_row_)});
}

std::span<const StepOutcome> TrainingBackend::outcomes() {
    taken_ = true;
    return outcomes_;
}

void TrainingBackend::save_optimizer(TrainingState& state) {
    state.optimizer_steps = optimizer_.steps();
    state.moment1 = optimizer_.first_moment();
    state.moment2 = optimizer_.second_moment();
}

void TrainingBackend::restore_optimizer(const TrainingState& state) {
    optimizer_.first_moment() = state.moment1;
    optimizer_.second_moment() = state.moment2;
    optimizer_.set_steps(state.optimizer_steps);
}

std::string TrainingBackend::first_non_finite() { return nabla::first_non_finite(net_, &ws_); }

Matrix<float> TrainingBackend::predict(const Matrix<float>& x) { return nabla::predict(net_, x); }

}  // namespace nabla::cpu
