// nabla bench: steady-state throughput of training steps (or forward passes) on synthetic data in
// memory, reported from the median step time so that a noisy machine's outliers do not count.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nabla/error.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "parse.hpp"

namespace nabla::cli {

namespace {

struct BenchFlags {
    std::string layers = "784,256,128,10", activation = "relu", loss = "ce", optimizer = "sgd", device = "cpu";
    std::string output_activation;  // empty: the loss's default
    std::size_t batch = 128;
    double seconds = 2.0;
    int threads = 0;
    std::uint64_t seed = 1;
    bool inference = false, json = false;
};

// Floating-point operations per sample: 2·in·out multiply-adds per layer for the forward product,
// as many for the weight gradient, and as many for the error sent below every layer but the first.
double flops_per_sample(const Network<float>& net, bool inference) {
    double flops = 0;
    for (std::size_t l = 0; l < net.depth(); ++l) {
        const double mac = double(net.layer(l).in) * double(net.layer(l).out);
        flops += 2 * mac;
        if (!inference) flops += 2 * mac + (l > 0 ? 2 * mac : 0);
    }
    return flops;
}

int run_bench(const BenchFlags& f) {
    if (f.device != "cpu")
        throw Error("--device " + f.device + ": this nabla was built without a backend for it (available: cpu)");
    set_threads(f.threads);
    NetworkSpec spec;
    spec.layers = parse_widths(f.layers, "--layers");
    spec.hidden = parse_activation(f.activation);
    spec.loss = parse_loss(f.loss);
    if (!f.output_activation.empty()) spec.output = parse_activation(f.output_activation);
    Network<float> net(spec, f.seed);
    OptimizerSpec opt;
    opt.kind = parse_optimizer(f.optimizer);
    opt.learning_rate = 1e-3;  // small: the weights stay finite for the whole run
    Optimizer<float> optimizer(opt, net);

    // A pool of distinct batches, cycled, so the step does not see the same data every time.
    constexpr std::size_t pool = 8;
    Rng rng(f.seed);
    std::vector<float> x(pool * f.batch * net.input_size()), y(pool * f.batch * net.output_size(), 0.0f);
    for (float& v : x) v = float(rng.normal());
    for (std::size_t i = 0; i < pool * f.batch; ++i) y[i * net.output_size() + rng.below(net.output_size())] = 1.0f;
    Workspace<float> ws;
    std::vector<float> grads(net.parameters().size());

    auto step = [&](std::size_t i) {
        const float* xb = x.data() + (i % pool) * f.batch * net.input_size();
        if (f.inference) forward(net, xb, f.batch, ws);
        else train_step(net, optimizer, ws, grads, xb, y.data() + (i % pool) * f.batch * net.output_size(), f.batch, 1e-3);
    };
    using clock = std::chrono::steady_clock;
    const auto warmup_end = clock::now() + std::chrono::duration<double>(std::min(0.5, f.seconds / 4));
    std::size_t i = 0;
    while (clock::now() < warmup_end || i < 3) step(i++);

    std::vector<double> step_seconds;
    const auto start = clock::now();
    const auto end = start + std::chrono::duration<double>(f.seconds);
    for (auto t = start; t < end || step_seconds.size() < 5;) {
        step(i++);
        const auto now = clock::now();
        step_seconds.push_back(std::chrono::duration<double>(now - t).count());
        t = now;
    }
    const double total = std::chrono::duration<double>(clock::now() - start).count();
    std::vector<double> sorted = step_seconds;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const double median = sorted[sorted.size() / 2];
    const double samples_per_s = double(f.batch) / median;
    const double flops = flops_per_sample(net, f.inference);
    const double gflops = samples_per_s * flops * 1e-9;
    if (f.json) {
        nlohmann::json j = {{"samples_per_s", samples_per_s},
                            {"mean_samples_per_s", double(f.batch * step_seconds.size()) / total},
                            {"gflops", gflops},
                            {"median_step_ms", median * 1e3},
                            {"steps", step_seconds.size()},
                            {"flops_per_sample", flops},
                            {"mode", f.inference ? "inference" : "train"},
                            {"batch", f.batch},
                            {"threads", threads()},
                            {"device", f.device},
                            {"layers", spec.layers},
                            {"activation", f.activation},
                            {"loss", f.loss},
                            {"optimizer", f.optimizer}};
        std::printf("%s\n", j.dump().c_str());
    } else {
        std::printf("%s %s, batch %zu, %d threads: %.0f samples/s (median of %zu steps, %.3f ms each), %.1f GFLOP/s\n",
                    f.inference ? "inference" : "training", f.layers.c_str(), f.batch, threads(), samples_per_s,
                    step_seconds.size(), median * 1e3, gflops);
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
    app.add_option("--device", f->device, "where to run: cpu")->capture_default_str();
    app.add_flag("--inference", f->inference, "time forward passes only");
    app.add_flag("--json", f->json, "print one JSON object");
    return [f] { return run_bench(*f); };
}

}  // namespace nabla::cli
