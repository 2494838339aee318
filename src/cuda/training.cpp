#include "cuda/training.hpp"

namespace nabla::cuda {

DeviceTraining::DeviceTraining(const Network<float>& net, const Dataset& data, const OptimizerSpec& optimizer,
                               std::size_t batch, Precision precision, const DataParallel* parallel)
    : batch_(batch),
      features_(data.features()),
      outputs_(data.y.cols),
      x_(data.x.size()),
      y_(data.y.size()),
      net_(net, precision, batch, stream_),
      optimizer_(optimizer, net_, stream_.get()),
      y_batch_(batch * outputs_),
      order_(parallel ? (parallel->samples + batch - 1) / batch * batch : data.samples()),
      learning_rates_(((parallel ? parallel->samples : data.samples()) + batch - 1) / batch),
      state_(1),
      graphs_(stream_.get()) {
    x_.upload(data.x.data, stream_.get());
    y_.upload(data.y.data, stream_.get());
    const StepState start;
    state_.upload(std::span(&start, 1), stream_.get());
    if (parallel) nccl_.emplace(*parallel);
}

void DeviceTraining::start_epoch(std::span<const std::size_t> order, std::span<const float> learning_rates) {
    StepState start;
    start.optimizer_steps = state().optimizer_steps;
    state_.upload(std::span(&start, 1), stream_.get());
    host_order_.assign(order.begin(), order.end());
    order_.upload(host_order_, stream_.get());
    learning_rates_.upload(learning_rates, stream_.get());
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

StepState DeviceTraining::state() const {
    if (nccl_) nccl_->wait(stream_.get());  // polled: a failed or stopped peer ends this wait
    StepState state;
    state_.download(std::span(&state, 1), stream_.get());
    return state;
}

// One training step, all on the device: gather the mini-batch, forward, backward, (sum across the
// processes,) update, count.
void DeviceTraining::enqueue_step(std::size_t n, std::size_t global) {
    if (n > 0) {
        GemmMatrix& x = net_.input();
        gather_rows(stream_.get(), x_.data(), features_, order_.data(), state_.data(), batch_, n, x.values.data(),
                    x.copy_or_null());
        gather_rows(stream_.get(), y_.data(), outputs_, order_.data(), state_.data(), batch_, n, y_batch_.data(),
                    nullptr);
        net_.forward(n);
        net_.backward(y_batch_.data(), n, global);
    } else {
        net_.clear_gradient();
    }
    if (nccl_) nccl_->sum({{net_.gradient().data(), net_.gradient().size()}, {net_.loss_and_correct().data(), net_.loss_and_correct().size()}},
                          stream_.get());
    optimizer_.step(net_, learning_rates_.data(), state_.data());
    finish_step(stream_.get(), state_.data(), net_.loss_and_correct().data(), global);
}

}  // namespace nabla::cuda
