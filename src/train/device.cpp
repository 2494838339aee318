// nabla/device.hpp: each function runs the CPU's version or the CUDA backend's (cuda/backend.hpp),
// after checking that the device can be used.
#include "nabla/device.hpp"

#include <memory>

#include "cuda/backend.hpp"
#include "cpu/training_backend.hpp"
#include "train/training_rows.hpp"
#include "train/training_loop.hpp"
#include "nabla/error.hpp"

namespace nabla {

const char* device_name(Device device) {
    switch (device) {
        case Device::cpu: return "cpu";
        case Device::cuda: return "cuda";
    }
    return "unknown";
}

Device parse_device(const std::string& name) {
    if (name == "cpu") return Device::cpu;
    if (name == "cuda") return Device::cuda;
    throw Error("unknown device '" + name + "' (expected cpu or cuda)");
}

const char* precision_name(Precision precision) {
    switch (precision) {
        case Precision::fp32: return "fp32";
        case Precision::tf32: return "tf32";
        case Precision::bf16: return "bf16";
    }
    return "unknown";
}

Precision parse_precision(const std::string& name) {
    if (name == "fp32") return Precision::fp32;
    if (name == "tf32") return Precision::tf32;
    if (name == "bf16") return Precision::bf16;
    throw Error("unknown precision '" + name + "' (expected fp32, tf32 or bf16)");
}

namespace {

// Asked once: whether a GPU is present does not change while the program runs.
const std::string& cuda_problem() {
    static const std::string reason = cuda::unavailable_reason();
    return reason;
}

// nabla bench's CPU steps: train_step on the data's batches in turn, as the benchmark always ran.
std::function<void(std::size_t)> cpu_training_steps(const Network<float>& net, const Dataset& data,
                                                    const OptimizerSpec& spec, std::size_t batch) {
    struct Run {
        Network<float> net;
        Optimizer<float> optimizer;
        Workspace<float> ws;
        std::vector<float> grads;
        std::size_t next = 0;  // the batch of the next step
    };
    auto run =
        std::make_shared<Run>(Run{net, Optimizer<float>(spec, net), {}, std::vector<float>(net.parameters().size())});
    const std::size_t batches = data.samples() / batch;
    return [run, &data, batch, batches, lr = spec.learning_rate](std::size_t count) {
        for (std::size_t s = 0; s < count; ++s) {
            const std::size_t first = (run->next++ % batches) * batch;
            train_step(run->net, run->optimizer, run->ws, run->grads, data.x.row(first), data.y.row(first), batch, lr);
        }
    };
}

}  // namespace

bool cuda_available() { return cuda_problem().empty(); }

void check_device(Device device, Precision precision) {
    if (device == Device::cuda && !cuda_problem().empty()) throw Error("--device cuda: " + cuda_problem());
    if (device == Device::cpu && precision != Precision::fp32)
        throw Error(std::string("--precision ") + precision_name(precision) +
                    " needs --device cuda (the CPU computes in fp32 only)");
}

std::vector<EpochMetrics> train(Network<float>& net, const Dataset& data, const Dataset* validation,
                                const TrainOptions& options) {
    check_device(options.device, options.precision);
    options.validate();
    check_fits(net, data, "training");
    if (validation) check_fits(net, *validation, "validation");
    const Shard shard = shard_of(options, data.samples());
    const std::size_t batch = batch_size(options, shard.samples);
    EpochOrder order = EpochOrder::full(shard.samples);
    if (options.device == Device::cpu) {
        RowsInMemory rows(data);
        cpu::TrainingBackend backend(net, rows, options, batch, shard.processes, shard.first, shard.overlap);
        return run_training(backend, net, order, data.samples(), data.task, validation, options, shard);
    }
    const std::unique_ptr<Backend> backend = cuda::training_backend(net, data, options, batch, shard.samples, shard.first);
    return run_training(*backend, net, order, data.samples(), data.task, validation, options, shard);
}

Evaluation evaluate_on(Device device, const Network<float>& net, const Dataset& data, Precision precision,
                       std::size_t batch) {
    check_device(device, precision);
    if (device == Device::cpu) return evaluate(net, data, batch);
    check_fits(net, data, "evaluation");
    return evaluate_outputs(net.spec().loss, data, cuda::predict(net, data.x, precision, batch));
}

Matrix<float> predict_on(Device device, const Network<float>& net, const Matrix<float>& x, Precision precision,
                         std::size_t batch) {
    check_device(device, precision);
    if (device == Device::cpu) return predict(net, x, batch);
    if (x.cols != net.input_size())
        throw Error("input has " + std::to_string(x.cols) + " features, but the network takes " +
                    std::to_string(net.input_size()));
    return cuda::predict(net, x, precision, batch);
}

float gradient_on(Device device, const Network<float>& net, const float* x, const float* y, std::size_t n,
                  std::span<float> grads, Precision precision) {
    check_device(device, precision);
    if (n == 0) throw Error("a gradient needs at least one sample");
    if (grads.size() != net.parameters().size()) throw Error("gradient buffer does not match the network");
    if (device == Device::cuda) return cuda::gradient(net, x, y, n, grads, precision);
    Workspace<float> ws;
    forward(net, x, n, ws);
    return backward(net, y, ws, grads);
}

std::function<void(std::size_t)> training_steps_on(Device device, const Network<float>& net, const Dataset& data,
                                                   const OptimizerSpec& optimizer, std::size_t batch,
                                                   Precision precision) {
    check_device(device, precision);
    check_fits(net, data, "benchmark");
    if (batch == 0 || data.samples() % batch != 0)
        throw Error("training steps need whole batches: " + std::to_string(data.samples()) +
                    " samples do not split into batches of " + std::to_string(batch));
    if (device == Device::cpu) return cpu_training_steps(net, data, optimizer, batch);
    return cuda::training_steps(net, data, optimizer, batch, precision);
}

}  // namespace nabla
