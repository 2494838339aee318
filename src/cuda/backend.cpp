// Training, prediction and gradients on the GPU: the host side of src/train/trainer.cpp's loop,
// with every step queued on the device.
#include "cuda/backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>

#include "cuda/nccl.hpp"
#include "cuda/training.hpp"
#include "train/rows_held.hpp"
#include "nabla/error.hpp"

namespace nabla::cuda {

namespace {

[[noreturn]] void refuse(const std::string& option) {
    throw Error("--device cuda: " + option + " is not supported on the GPU yet (train on the CPU for it)");
}

void check_supported(const TrainOptions& options) {
    if (options.dropout > 0) refuse("dropout");
    if (options.clip_norm > 0) refuse("--clip-norm");
    if (options.on_divergence != TrainOptions::OnDivergence::stop) refuse("--on-divergence skip-batch");
    if (options.on_checkpoint || options.resume) refuse("checkpointing");
}

// This process's rows of each batch of an epoch (rows_held.hpp), in the device's order layout:
// step s's rows at [s · batch, s · batch + count[s]), as indices into the process's own part of
// the data (rows first … first + held − 1 of the whole set).
void local_batches(const std::vector<std::size_t>& order, std::size_t batch, std::size_t first, std::size_t held,
                   std::vector<std::size_t>& local, std::vector<std::size_t>& count) {
    const std::size_t steps = (order.size() + batch - 1) / batch;
    local.assign(steps * batch, 0);
    count.assign(steps, 0);
    for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t begin = s * batch, size = std::min(batch, order.size() - begin);
        count[s] = rows_held(std::span(order).subspan(begin, size), first, held, local.data() + begin);
    }
}

// a^F for every row of x, through net, `batch` rows at a time.
Matrix<float> predict_rows(DeviceNetwork& net, const Matrix<float>& x, std::size_t batch) {
    Matrix<float> out(x.rows, net.layers().back().out);
    for (std::size_t begin = 0; begin < x.rows; begin += batch) {
        const std::size_t m = std::min(batch, x.rows - begin);
        net.load_input(x.row(begin), m);
        net.forward(m);
        net.download_output(m, out.row(begin));
    }
    return out;
}

// The error that stops a run whose loss stopped being finite, as the CPU trainer words it.
Error divergence(const StepState& state, std::size_t epoch, std::size_t first_step) {
    const std::string what = std::isnan(state.diverged_loss) ? "NaN" : "infinite";
    return Error("training diverged: the loss is " + what + " at epoch " + std::to_string(epoch) + ", step " +
                 std::to_string(first_step + std::size_t(state.diverged_step) + 1) + " (try a lower learning rate)");
}

}  // namespace

// The CPU trainer's run (src/train/trainer.cpp), to the same sample order and learning rates: the
// host shuffles and schedules an epoch, the device runs all its steps, the host reads back its
// sums once.
std::vector<EpochMetrics> train(Network<float>& net, const Dataset& data, const Dataset* validation,
                                const TrainOptions& options, Precision precision) {
    options.validate();
    check_supported(options);
    check_fits(net, data, "training");
    if (validation) check_fits(net, *validation, "validation");

    // Data-parallel: every process walks the same order of all n rows and trains on the rows of
    // each batch it holds, as in the CPU trainer.
    const DataParallel* parallel = options.parallel && options.parallel->processes ? &*options.parallel : nullptr;
    if (parallel) select_device(*parallel);
    const std::size_t n = parallel ? parallel->samples : data.samples();
    const std::size_t first = parallel ? parallel->first : 0;
    const std::size_t batch = options.batch == 0 ? n : std::min(options.batch, n);
    const std::size_t steps_per_epoch = (n + batch - 1) / batch;
    const std::size_t total_steps = steps_per_epoch * options.epochs;
    const bool classification = data.task == Task::classification;

    DeviceTraining run(net, data, options.optimizer, batch, precision, parallel);
    std::vector<std::size_t> order(n), local_order, held(steps_per_epoch, batch);
    std::iota(order.begin(), order.end(), std::size_t(0));
    Rng order_rng(options.seed);
    std::vector<float> rates(steps_per_epoch);
    std::vector<EpochMetrics> history;
    for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        if (options.shuffle) shuffle(order, order_rng);
        const std::size_t first_step = (epoch - 1) * steps_per_epoch;
        double lr = 0;
        for (std::size_t s = 0; s < steps_per_epoch; ++s) {
            lr = options.schedule.rate(options.optimizer.learning_rate, first_step + s, steps_per_epoch, total_steps);
            rates[s] = float(lr);
        }
        if (parallel) local_batches(order, batch, first, data.samples(), local_order, held);
        run.start_epoch(parallel ? local_order : order, rates);
        for (std::size_t s = 0, begin = 0; begin < n; ++s, begin += batch)
            run.step(parallel ? held[s] : std::min(batch, n - begin), std::min(batch, n - begin));
        const StepState state = run.state();
        if (state.diverged_step >= 0) {
            run.network().download(net);  // θ as it was before the diverged step
            throw divergence(state, epoch, first_step);
        }

        EpochMetrics metrics;
        metrics.epoch = epoch;
        metrics.train_loss = state.loss_sum / double(n);
        metrics.train_accuracy = classification ? state.correct / double(n) : 0.0;
        metrics.learning_rate = lr;
        metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics.samples_per_second = double(n) / std::max(metrics.seconds, 1e-9);
        if (options.on_batch) options.on_batch(n, n, metrics.train_loss);
        if (validation)
            metrics.validation =
                evaluate_outputs(net.spec().loss, *validation, predict_rows(run.network(), validation->x, batch));
        if (validation && parallel) metrics.validation = combine_across_processes(*metrics.validation, *parallel->processes);
        history.push_back(metrics);
        if (options.on_epoch) options.on_epoch(metrics);
    }
    run.network().download(net);
    return history;
}

Matrix<float> predict(const Network<float>& net, const Matrix<float>& x, Precision precision, std::size_t batch) {
    batch = std::clamp<std::size_t>(batch, 1, std::max<std::size_t>(x.rows, 1));
    const Stream stream;
    DeviceNetwork device_net(net, precision, batch, stream);
    return predict_rows(device_net, x, batch);
}

float gradient(const Network<float>& net, const float* x, const float* y, std::size_t n, std::span<float> grads,
               Precision precision) {
    const Stream stream;
    DeviceNetwork device_net(net, precision, n, stream);
    DeviceBuffer<float> targets(n * net.output_size());
    targets.upload(std::span(y, targets.size()), stream.get());
    device_net.load_input(x, n);
    device_net.forward(n);
    device_net.backward(targets.data(), n);
    float loss = 0;
    device_net.loss_and_correct().download(std::span(&loss, 1), stream.get());
    loss /= float(n);
    if (std::isfinite(loss)) device_net.gradient().download(grads, stream.get());
    return loss;
}

std::function<void(std::size_t)> training_steps(const Network<float>& net, const Dataset& data,
                                                const OptimizerSpec& optimizer, std::size_t batch,
                                                Precision precision) {
    auto run = std::make_shared<DeviceTraining>(net, data, optimizer, batch, precision);
    const std::size_t steps_per_epoch = data.samples() / batch;
    std::vector<std::size_t> order(data.samples());
    std::iota(order.begin(), order.end(), std::size_t(0));
    run->start_epoch(order, std::vector<float>(steps_per_epoch, float(optimizer.learning_rate)));
    return [run, batch, steps_per_epoch, taken = std::size_t(0)](std::size_t count) mutable {
        for (std::size_t s = 0; s < count; ++s) {
            if (taken == steps_per_epoch) {
                run->rewind();
                taken = 0;
            }
            run->step(batch);
            ++taken;
        }
        run->state();  // waits for the steps
    };
}

}  // namespace nabla::cuda
