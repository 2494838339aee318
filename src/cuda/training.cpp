#include "cuda/training.hpp"

#include <cstddef>

namespace nabla::cuda {

DeviceTraining::DeviceTraining(const Network<float>& net, const Dataset& data, const StepRules& rules,
                               std::size_t batch, std::size_t steps_per_epoch, Precision precision,
                               const DataParallel* parallel)
    : rules_(rules),
      batch_(batch),
      features_(data.features()),
      outputs_(data.y.cols),
      x_(data.x.size()),
      y_(data.y.size()),
      net_(net, precision, batch, stream_),
      optimizer_(rules.optimizer, net_, stream_.get()),
      y_batch_(batch * outputs_),
      host_rows_(batch),
      order_(steps_per_epoch * batch),
      learning_rates_(steps_per_epoch),
      state_(1),
      records_(steps_per_epoch),
      squares_(rules.clip_norm > 0 ? net.parameters().size() : 0),
      squared_norm_(rules.clip_norm > 0 ? 1 : 0),
      norm_scratch_(rules.clip_norm > 0 ? column_sums_scratch(net.parameters().size(), 1) : 0),
      graphs_(stream_.get()) {
    x_.upload(data.x.data, stream_.get());
    y_.upload(data.y.data, stream_.get());
    StepState start;
    start.skip_batches = rules.skip_batches ? 1 : 0;
    state_.upload(std::span(&start, 1), stream_.get());
    net_.enable_dropout({rules.dropout, order_.data(), batch, rules.first, 0}, state_.data());
    if (parallel) nccl_.emplace(*parallel, stream_.get());
}

void DeviceTraining::set_position(std::size_t index, std::uint64_t run_step, std::uint64_t dropout_key) {
    const std::uint64_t position[3] = {index, run_step, dropout_key};  // StepState's first three fields
    static_assert(offsetof(StepState, dropout_key) == 2 * sizeof(std::uint64_t));
    check(cudaMemcpyAsync(state_.data(), position, sizeof(position), cudaMemcpyHostToDevice, stream_.get()),
          "cudaMemcpyAsync (to the device)");
}

// A copy from pageable memory is staged before the call returns, so host_rows_ is free again at once.
void DeviceTraining::load_step(std::size_t index, std::span<const std::size_t> rows, float learning_rate) {
    for (std::size_t i = 0; i < rows.size(); ++i) host_rows_[i] = std::uint32_t(rows[i]);
    if (!rows.empty())
        order_.upload(std::span<const std::uint32_t>(host_rows_.data(), rows.size()), stream_.get(), index * batch_);
    learning_rates_.upload(std::span(&learning_rate, 1), stream_.get(), index);
}

void DeviceTraining::rewind() {
    check(cudaMemsetAsync(&state_.data()->step, 0, sizeof(StepState::step), stream_.get()), "cudaMemsetAsync");
}

// A step that sums across GPUs runs as queued rather than as a graph: a process's share of the
// batch changes from step to step (a graph for each), and the host must see each sum to poll it
// (nccl.hpp), which a replayed graph would hide.
void DeviceTraining::step(std::size_t n, std::size_t global) {
    if (nccl_) enqueue_step(n, global);
    else graphs_.run(n, [this](std::size_t m) { enqueue_step(m, m); });
}

void DeviceTraining::wait() const {
    if (nccl_) nccl_->wait();  // polled: a failed or stopped peer ends this wait
    else stream_.synchronize();
}

std::vector<StepRecord> DeviceTraining::records(std::size_t begin, std::size_t count) const {
    wait();
    std::vector<StepRecord> records(count);
    if (count) records_.download(records, stream_.get(), begin);
    return records;
}

void DeviceTraining::save_optimizer(TrainingState& state) const {
    wait();
    StepState now;
    state_.download(std::span(&now, 1), stream_.get());
    state.optimizer_steps = now.optimizer_steps;
    optimizer_.save(state);
}

void DeviceTraining::restore_optimizer(const TrainingState& state) {
    optimizer_.restore(state);
    const std::uint64_t steps = state.optimizer_steps;
    check(cudaMemcpyAsync(&state_.data()->optimizer_steps, &steps, sizeof(steps), cudaMemcpyHostToDevice,
                          stream_.get()),
          "cudaMemcpyAsync (to the device)");
}

// One training step, all on the device: gather the mini-batch, forward, backward, (sum across the
// processes,) (clip,) update, record.
void DeviceTraining::enqueue_step(std::size_t n, std::size_t global) {
    if (n > 0) {
        GemmMatrix& x = net_.input();
        gather_rows(stream_.get(), x_.data(), features_, order_.data(), state_.data(), batch_, n, x.values.data(),
                    x.copy_or_null());
        gather_rows(stream_.get(), y_.data(), outputs_, order_.data(), state_.data(), batch_, n, y_batch_.data(),
                    nullptr);
        net_.forward(n, true);
        net_.backward(y_batch_.data(), n, global);
    } else {
        net_.clear_gradient();
    }
    if (nccl_) {  // the gradient and the batch's sums, as one fused operation
        nccl_->start_sum(std::span(net_.gradient().data(), net_.gradient().size()));
        nccl_->start_sum(std::span(net_.loss_and_correct().data(), net_.loss_and_correct().size()));
        nccl_->finish_sums();
    }
    const float* squared_norm = nullptr;
    if (rules_.clip_norm > 0) {
        squares(stream_.get(), net_.gradient().data(), net_.gradient().size(), squares_.data());
        column_sums(stream_.get(), squares_.data(), squares_.size(), 1, 1.0f, squared_norm_.data(), norm_scratch_.data());
        squared_norm = squared_norm_.data();
    }
    optimizer_.step(net_, learning_rates_.data(), state_.data(), squared_norm, rules_.clip_norm);
    finish_step(stream_.get(), state_.data(), net_.loss_and_correct().data(), global, records_.data());
}

}  // namespace nabla::cuda
