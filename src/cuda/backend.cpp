// Training, prediction and gradients on the GPU: the backend that src/train/trainer.cpp's loop
// trains on, with every step queued on the device.
#include "cuda/backend.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>

#include "cuda/nccl.hpp"
#include "cuda/training.hpp"
#include "nabla/error.hpp"

namespace nabla::cuda {

namespace {

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

// The loop's steps queued on the GPU: each step's rows and learning rate go to the device as it
// is given, and the step runs there whole (gather, forward, backward, update, its record); the
// host reads the records back when the loop asks for them.
class CudaBackend final : public Backend {
public:
    CudaBackend(const Network<float>& net, const Dataset& data, const StepRules& rules, std::size_t batch,
                std::size_t steps_per_epoch, Precision precision, const DataParallel* parallel)
        : run_(net, data, rules, batch, steps_per_epoch, precision, parallel), batch_(batch), host_(net) {}

    void start_epoch(std::span<const std::size_t>, std::size_t index) override {
        taken_ = index;
        given_ = 0;
        placed_ = false;
    }

    void step(const Batch& batch) override {
        if (!placed_) run_.set_position(batch.index, batch.step, batch.dropout_key);
        placed_ = true;
        run_.load_step(batch.index, batch.rows, float(batch.learning_rate));
        run_.step(batch.rows.size(), batch.global);
        ++given_;
    }

    bool queues_steps() const override { return true; }

    std::span<const StepOutcome> outcomes() override {
        outcomes_.clear();
        for (const StepRecord& r : run_.records(taken_, given_))
            outcomes_.push_back({double(r.loss), std::size_t(std::lround(r.correct)), StepVerdict(r.verdict)});
        taken_ += given_;
        given_ = 0;
        return outcomes_;
    }

    void download(Network<float>& net) override { run_.network().download(net); }
    void save_optimizer(TrainingState& state) override { run_.save_optimizer(state); }
    void restore_optimizer(const TrainingState& state) override { run_.restore_optimizer(state); }

    std::string first_non_finite() override {
        run_.network().download(host_);
        return nabla::first_non_finite(host_, nullptr);
    }

    Matrix<float> predict(const Matrix<float>& x) override { return predict_rows(run_.network(), x, batch_); }

private:
    DeviceTraining run_;
    std::size_t batch_;
    std::size_t taken_ = 0;  // the epoch's steps whose outcomes the loop has
    std::size_t given_ = 0;  // steps given since
    bool placed_ = false;    // the device knows where the epoch's steps begin
    Network<float> host_;    // the parameters downloaded, to find where a divergence shows
    std::vector<StepOutcome> outcomes_;
};

}  // namespace

std::unique_ptr<Backend> training_backend(const Network<float>& net, const Dataset& data, const TrainOptions& options,
                                          std::size_t batch, std::size_t samples, std::size_t first) {
    // Data-parallel: every process walks the same order of all rows and trains on the rows of
    // each batch it holds, as on the CPU; the sums go through NCCL, which this process's GPU joins.
    const DataParallel* parallel = options.parallel && options.parallel->processes ? &*options.parallel : nullptr;
    if (parallel) select_device(*parallel);
    const StepRules rules{options.optimizer, options.dropout, options.clip_norm,
                          options.on_divergence == TrainOptions::OnDivergence::skip_batch, first};
    const std::size_t steps_per_epoch = (samples + batch - 1) / batch;
    return std::make_unique<CudaBackend>(net, data, rules, batch, steps_per_epoch, options.precision, parallel);
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
    const std::size_t steps_per_epoch = data.samples() / batch;
    StepRules rules;
    rules.optimizer = optimizer;
    auto run = std::make_shared<DeviceTraining>(net, data, rules, batch, steps_per_epoch, precision);
    std::vector<std::size_t> rows(batch);
    for (std::size_t s = 0; s < steps_per_epoch; ++s) {
        std::iota(rows.begin(), rows.end(), s * batch);
        run->load_step(s, rows, float(optimizer.learning_rate));
    }
    return [run, batch, steps_per_epoch, taken = std::size_t(0)](std::size_t count) mutable {
        for (std::size_t s = 0; s < count; ++s) {
            if (taken == steps_per_epoch) {
                run->rewind();
                taken = 0;
            }
            run->step(batch);
            ++taken;
        }
        run->wait();
    };
}

}  // namespace nabla::cuda
