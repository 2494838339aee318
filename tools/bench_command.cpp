// nabla bench: steady-state throughput of training steps (or forward passes) on synthetic data in
// memory, reported from the median step time so that a noisy machine's outliers do not count.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "device_flags.hpp"
#include "nabla/error.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "parse.hpp"

namespace nabla::cli {

namespace {

struct BenchFlags {
    std::string layers = "784,256,128,10", activation = "relu", loss = "ce", optimizer = "sgd";
    std::string output_activation;  // empty: the loss's default
    std::size_t batch = 128;
    double seconds = 2.0;
    int threads = 0;
    std::uint64_t seed = 1;
    bool inference = false, json = false;
    DeviceFlags device;
};

// A pool of distinct batches, cycled, so that a step does not see the same data every time: 8 of
// them, fewer for huge batches (2^19 samples at most, a few GB).
Dataset synthetic_pool(const Network<float>& net, std::size_t batch, std::uint64_t seed) {
    const std::size_t batches = std::clamp<std::size_t>((std::size_t(1) << 19) / batch, 1, 8);
    Dataset pool;
    pool.source = "synthetic";
    pool.x = Matrix<float>(batches * batch, net.input_size());
    pool.y = Matrix<float>(batches * batch, net.output_size());
    Rng rng(seed);
    for (float& v : pool.x.data) v = float(rng.normal());
    for (std::size_t i = 0; i < pool.y.rows; ++i) pool.y(i, rng.below(pool.y.cols)) = 1.0f;
    return pool;
}

// What is timed: `steps(count)` runs count more training steps (or forward passes) and returns once
// they are done.
std::function<void(std::size_t)> timed_steps(const BenchFlags& f, const Placement& where, const Network<float>& net,
                                             const Dataset& pool, const OptimizerSpec& optimizer) {
    if (!f.inference) return training_steps_on(where.device, net, pool, optimizer, f.batch, where.precision);
    if (where.device != Device::cpu) throw Error("--inference times forward passes on the CPU only");
    auto ws = std::make_shared<Workspace<float>>();
    const std::size_t batches = pool.samples() / f.batch;
    return [&net, &pool, ws, batch = f.batch, batches, i = std::size_t(0)](std::size_t count) mutable {
        for (std::size_t s = 0; s < count; ++s, ++i) forward(net, pool.x.row((i % batches) * batch), batch, *ws);
    };
}

int run_bench(const BenchFlags& f) {
    const Placement where = f.device.placement();
    set_threads(f.threads);
    NetworkSpec spec;
    spec.layers = parse_widths(f.layers, "--layers");
    spec.hidden = parse_activation(f.activation);
    spec.loss = parse_loss(f.loss);
    if (!f.output_activation.empty()) spec.output = parse_activation(f.output_activation);
    const Network<float> net(spec, f.seed);
    OptimizerSpec opt;
    opt.kind = parse_optimizer(f.optimizer);
    opt.learning_rate = 1e-3;  // small: the weights stay finite for the whole run
    const Dataset pool = synthetic_pool(net, f.batch, f.seed);
    const std::function<void(std::size_t)> steps = timed_steps(f, where, net, pool, opt);

    using clock = std::chrono::steady_clock;
    const auto warmup_start = clock::now();
    const auto warmup_end = warmup_start + std::chrono::duration<double>(std::min(0.5, f.seconds / 4));
    std::size_t warmup_steps = 0;
    for (; clock::now() < warmup_end || warmup_steps < 3; ++warmup_steps) steps(1);
    // The CPU's steps are timed one by one. A GPU's are timed in windows of about a millisecond:
    // waiting for each step alone would add the host's round trip to every one.
    const double warmup_step =
        std::chrono::duration<double>(clock::now() - warmup_start).count() / double(warmup_steps);
    const std::size_t window =
        where.device == Device::cpu ? 1 : std::max<std::size_t>(1, std::size_t(1e-3 / warmup_step));

    std::vector<double> step_seconds;  // per window, divided by its steps
    const auto start = clock::now();
    const auto end = start + std::chrono::duration<double>(f.seconds);
    for (auto t = start; t < end || step_seconds.size() < 5;) {
        steps(window);
        const auto now = clock::now();
        step_seconds.push_back(std::chrono::duration<double>(now - t).count() / double(window));
        t = now;
    }
    const double total = std::chrono::duration<double>(clock::now() - start).count();
    const std::size_t steps_timed = step_seconds.size() * window;
    std::vector<double> sorted = step_seconds;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const double median = sorted[sorted.size() / 2];
    const double samples_per_s = double(f.batch) / median;
    const double flops = spec.flops_per_sample(!f.inference);
    const double gflops = samples_per_s * flops * 1e-9;
    if (f.json) {
        nlohmann::json j = {{"samples_per_s", samples_per_s},
                            {"mean_samples_per_s", double(f.batch * steps_timed) / total},
                            {"gflops", gflops},
                            {"median_step_ms", median * 1e3},
                            {"steps", steps_timed},
                            {"steps_per_window", window},
                            {"flops_per_sample", flops},
                            {"mode", f.inference ? "inference" : "train"},
                            {"batch", f.batch},
                            {"threads", threads()},
                            {"device", device_name(where.device)},
                            {"precision", precision_name(where.precision)},
                            {"layers", spec.layers},
                            {"activation", f.activation},
                            {"loss", f.loss},
                            {"optimizer", f.optimizer}};
        std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        const std::string on = where.device == Device::cpu ? std::to_string(threads()) + " threads"
                                                            : std::string("cuda, ") + precision_name(where.precision);
        std::printf("%s %s, batch %zu, %s: %.0f samples/s (median of %zu steps, %.3f ms each), %.1f GFLOP/s\n",
                    f.inference ? "inference" : "training", f.layers.c_str(), f.batch, on.c_str(), samples_per_s,
                    steps_timed, median * 1e3, gflops);
    }
    return 0;
}

}  // namespace

Command add_bench(CLI::App& app) {
    auto f = std::make_shared<BenchFlags>();
    app.add_option("--layers", f->layers, "layer widths, input first")->capture_default_str();
    app.add_option("--activation", f->activation, "hidden activation")->capture_default_str();
    app.add_option("--loss", f->loss, "mse, ce or bce")->capture_default_str();
    app.add_option("--output-activation", f->output_activation, "output activation (default: the loss's)");
    app.add_option("--optimizer", f->optimizer, "sgd, momentum, adam or adamw")->capture_default_str();
    app.add_option("--batch", f->batch, "samples per step")->capture_default_str()
        ->check(whole_number_in(1, 1048576));
    app.add_option("--seconds", f->seconds, "how long to measure")->capture_default_str()->check(number_in(0.01, 3600.0));
    app.add_option("--threads", f->threads, "CPU threads (0: all cores)")->capture_default_str()->check(whole_number_in(0, 4096));
    app.add_option("--seed", f->seed, "seed of the network and the synthetic data")->capture_default_str();
    f->device.add_to(app);
    app.add_flag("--inference", f->inference, "time forward passes only");
    app.add_flag("--json", f->json, "print one JSON object");
    return [f] { return run_bench(*f); };
}

}  // namespace nabla::cli
