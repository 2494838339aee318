// Micro-benchmarks of nabla's kernels on synthetic data in memory: the forward pass and the full
// training step of the 784-256-128-10 ReLU / softmax-CE network at several batch sizes, the
// optimizer step over its ~235k parameters, the raw sgemm that bounds them all, and the shares of
// that sgemm rate that the step and its matrix products alone reach, measured in pairs.
//
// Every benchmark reports wall-clock time (UseRealTime): nabla's (or OpenBLAS's) worker threads do
// much of the work, so the calling thread's CPU time would undercount it.
//
// Usage: nabla_bench [--threads=N] [Google Benchmark flags]   (N = 0, the default: all cores)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "cpu/blas.hpp"
#include "cpu/train_step.hpp"
#include "nabla/dataset.hpp"
#include "nabla/device.hpp"
#include "nabla/network.hpp"
#include "nabla/optimizer.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

namespace {

using namespace nabla;

Network<float> mnist_network() {
    NetworkSpec spec;
    spec.layers = {784, 256, 128, 10};
    spec.hidden = Activation::relu;
    spec.loss = Loss::cross_entropy;
    return Network<float>(spec, 1);
}

std::vector<float> normal_values(std::size_t count, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<float> v(count);
    for (float& x : v) x = float(rng.normal());
    return v;
}

std::vector<float> one_hot_targets(std::size_t n, std::size_t classes, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<float> y(n * classes, 0.0f);
    for (std::size_t i = 0; i < n; ++i) y[i * classes + rng.below(classes)] = 1.0f;
    return y;
}

// The "FLOP" counter: a rate, printed with SI prefixes ("121.6G/s" = 121.6 GFLOP/s).
void set_flop_rate(benchmark::State& state, double flops_per_iteration) {
    state.counters["FLOP"] = benchmark::Counter(double(state.iterations()) * flops_per_iteration,
                                                benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// items_per_second = samples/s, and the FLOP rate.
void set_rate_counters(benchmark::State& state, std::size_t samples_per_iteration, double flops_per_iteration) {
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(samples_per_iteration));
    set_flop_rate(state, flops_per_iteration);
}

void BM_Forward(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    const Network<float> net = mnist_network();
    const std::vector<float> x = normal_values(n * net.input_size(), 2);
    Workspace<float> ws;
    for (auto _ : state) benchmark::DoNotOptimize(forward(net, x.data(), n, ws));
    set_rate_counters(state, n, double(n) * net.spec().flops_per_sample(false));
}

void BM_TrainStep(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    Network<float> net = mnist_network();
    OptimizerSpec spec;
    spec.kind = OptimizerKind::sgd;
    Optimizer<float> optimizer(spec, net);
    const std::vector<float> x = normal_values(n * net.input_size(), 2);
    const std::vector<float> y = one_hot_targets(n, net.output_size(), 3);
    Workspace<float> ws;
    std::vector<float> grads(net.parameters().size());
    // A small learning rate keeps the weights finite however many steps the benchmark takes.
    for (auto _ : state) benchmark::DoNotOptimize(train_step(net, optimizer, ws, grads, x.data(), y.data(), n, 1e-3));
    set_rate_counters(state, n, double(n) * net.spec().flops_per_sample(true));
}

// items_per_second = parameters/s; bytes_per_second counts each float array read or written once.
void BM_OptimizerStep(benchmark::State& state, OptimizerKind kind, int arrays_touched) {
    Network<float> net = mnist_network();
    OptimizerSpec spec;
    spec.kind = kind;
    Optimizer<float> optimizer(spec, net);
    const std::vector<float> grads = normal_values(net.parameters().size(), 4);
    for (auto _ : state) {
        optimizer.step(net, grads, 1e-6);
        benchmark::ClobberMemory();
    }
    const auto params = std::int64_t(net.parameters().size());
    state.SetItemsProcessed(std::int64_t(state.iterations()) * params);
    state.SetBytesProcessed(std::int64_t(state.iterations()) * params * arrays_touched * std::int64_t(sizeof(float)));
}

// A square n × n product C = A B, for the machine's matrix-product rate that bounds every step.
struct SquareProduct {
    std::size_t n;
    std::vector<float> a = normal_values(n * n, 5), b = normal_values(n * n, 6), c = std::vector<float>(n * n);

    double flops() const { return 2.0 * double(n * n * n); }

    // OpenBLAS's own sgemm on all of nabla's threads: OpenBLAS threading itself, as a square
    // product is its best case. (nabla's steps run OpenBLAS single-threaded in each part.)
    void on_openblas_threads() {
        cpu::blas().set_num_threads(threads());
        cpu::gemm_on_this_thread(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        cpu::blas().set_num_threads(1);
    }

    // The same product split across nabla's threads, as a training step runs its products.
    void split() { cpu::gemm(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n); }
};

// One way of running the square product, timed.
void time_square_product(benchmark::State& state, void (SquareProduct::*run)()) {
    SquareProduct product{std::size_t(state.range(0))};
    for (auto _ : state) {
        (product.*run)();
        benchmark::ClobberMemory();
    }
    set_flop_rate(state, product.flops());
}

void BM_Sgemm(benchmark::State& state) { time_square_product(state, &SquareProduct::on_openblas_threads); }
void BM_SgemmSplit(benchmark::State& state) { time_square_product(state, &SquareProduct::split); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

// A rate as a share of the sgemm rate, measured in pairs: each iteration times about 50 ms of
// `work(count)` (count repetitions of `flops` each) and then one square 2048 sgemm on OpenBLAS's
// own threads. This machine's speed drifts over seconds (the same sgemm reads 150–290 GFLOP/s
// from one minute to the next), which separate runs compare across; within a pair the drift
// mostly cancels. Counters: "share", the median of the pairs' ratios, the medians of both rates in
// GFLOP/s ("work_GFLOPs", "sgemm_GFLOPs"), and the number of pairs.
void share_of_sgemm(benchmark::State& state, double flops, const std::function<void(std::size_t)>& work) {
    SquareProduct product{2048};
    using clock = std::chrono::steady_clock;
    const auto seconds = [](clock::time_point from, clock::time_point to) {
        return std::chrono::duration<double>(to - from).count();
    };
    auto start = clock::now();
    std::size_t per_window = 1;  // repetitions in about 50 ms, found during the warm-up
    while (seconds(start, clock::now()) < 0.05) {
        work(per_window);
        per_window *= 2;
    }
    std::vector<double> shares, work_rates, sgemm_rates;
    for (auto _ : state) {
        const auto t0 = clock::now();
        work(per_window);
        const auto t1 = clock::now();
        product.on_openblas_threads();
        const auto t2 = clock::now();
        state.SetIterationTime(seconds(t0, t2));
        work_rates.push_back(double(per_window) * flops / seconds(t0, t1) / 1e9);
        sgemm_rates.push_back(product.flops() / seconds(t1, t2) / 1e9);
        shares.push_back(work_rates.back() / sgemm_rates.back());
    }
    state.counters["share"] = median(shares);
    state.counters["work_GFLOPs"] = median(work_rates);
    state.counters["sgemm_GFLOPs"] = median(sgemm_rates);
    state.counters["pairs"] = double(shares.size());
}

// The batches the paired benchmarks step through in turn: 8 of them, random inputs, one-hot targets.
constexpr std::size_t step_batch_count = 8;
Dataset step_batches(const Network<float>& net, std::size_t batch) {
    Dataset data;
    data.x = Matrix<float>(step_batch_count * batch, net.input_size());
    data.x.data = normal_values(data.x.data.size(), 2);
    data.y = Matrix<float>(step_batch_count * batch, net.output_size());
    data.y.data = one_hot_targets(step_batch_count * batch, net.output_size(), 3);
    return data;
}

// The training step's share of the sgemm rate (nabla bench's steps: SGD, 8 batches in turn).
// bench/compare.py judges the sgemm share of a step from this.
void BM_StepShareOfSgemm(benchmark::State& state) {
    const auto batch = std::size_t(state.range(0));
    const Network<float> net = mnist_network();
    const Dataset data = step_batches(net, batch);
    OptimizerSpec sgd;
    sgd.kind = OptimizerKind::sgd;
    sgd.learning_rate = 1e-3;  // small: the weights stay finite however many steps the benchmark takes
    share_of_sgemm(state, double(batch) * net.spec().flops_per_sample(true),
                   training_steps_on(Device::cpu, net, data, sgd, batch));
}

// The matrix products of one training step alone, on random operands: the forward A Wᵀ of each
// layer, then from the top down the error D W sent below (every layer but the first) and the
// weight gradient Dᵀ A added into the weights' buffer, with the shapes, transposes and β of a
// plain SGD step, split across nabla's threads as the step splits them, each step on the next of
// step_batches' inputs, as BM_StepShareOfSgemm. No pass between them: their share of the sgemm
// rate is the most the whole step can reach through this BLAS.
void BM_StepProductsShareOfSgemm(benchmark::State& state) {
    const auto n = std::size_t(state.range(0));
    const Network<float> net = mnist_network();
    const std::size_t F = net.depth();
    const Dataset data = step_batches(net, n);
    std::vector<std::vector<float>> a, d;
    for (std::size_t l = 0; l < F; ++l) {
        a.push_back(normal_values(n * net.layer(l).out, 3 + l));
        d.push_back(normal_values(n * net.layer(l).out, 13 + l));
    }
    std::vector<float> gradient(net.parameters().size());
    const float alpha = -1e-3f / float(n);
    std::size_t next = 0;  // the input batch of the next step
    auto products = [&](std::size_t count) {
        for (std::size_t r = 0; r < count; ++r) {
            const float* x = data.x.row((next++ % step_batch_count) * n);
            for (std::size_t l = 0; l < F; ++l) {
                const LayerShape& s = net.layer(l);
                cpu::gemm(false, true, n, s.out, s.in, 1.0f, l ? a[l - 1].data() : x, s.in, net.W(l), s.in,
                          0.0f, a[l].data(), s.out);
            }
            for (std::size_t l = F; l-- > 0;) {
                const LayerShape& s = net.layer(l);
                if (l > 0) cpu::gemm(false, false, n, s.in, s.out, 1.0f, d[l].data(), s.out, net.W(l), s.in, 0.0f,
                                     d[l - 1].data(), s.in);
                cpu::gemm(true, false, s.out, s.in, n, alpha, d[l].data(), s.out, l ? a[l - 1].data() : x, s.in,
                          1.0f, gradient.data() + s.w_offset, s.in);
            }
        }
    };
    share_of_sgemm(state, double(n) * net.spec().flops_per_sample(true), products);
}

BENCHMARK(BM_Forward)->Arg(1)->Arg(32)->Arg(128)->Arg(1024)->UseRealTime();
BENCHMARK(BM_TrainStep)->Arg(1)->Arg(32)->Arg(128)->Arg(1024)->UseRealTime();
// SGD reads θ and g and writes θ; Adam also reads and writes m and v.
BENCHMARK_CAPTURE(BM_OptimizerStep, sgd, OptimizerKind::sgd, 3)->UseRealTime();
BENCHMARK_CAPTURE(BM_OptimizerStep, adam, OptimizerKind::adam, 7)->UseRealTime();
BENCHMARK(BM_Sgemm)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SgemmSplit)->Arg(2048)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StepShareOfSgemm)->Arg(128)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StepProductsShareOfSgemm)->Arg(128)->Arg(1024)->UseManualTime()->Unit(benchmark::kMillisecond);

// Removes --threads=N from argv (Google Benchmark rejects flags it does not know) and returns N.
int take_threads_flag(int& argc, char** argv) {
    constexpr const char* prefix = "--threads=";
    int threads = 0;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strncmp(argv[i], prefix, std::strlen(prefix)) == 0) threads = std::atoi(argv[i] + std::strlen(prefix));
        else argv[kept++] = argv[i];
    }
    argc = kept;
    return threads;
}

}  // namespace

int main(int argc, char** argv) {
    // OpenBLAS's threads, once a threaded sgemm (BM_Sgemm, BM_StepShareOfSgemm) has woken them,
    // spin for about 0.1 s before they sleep (sched_yield in a loop, 2^28 cycles by default): long
    // enough to share the cores with the nabla steps timed next (measured: 10% of the CPU time of
    // a paired run in the scheduler). 2^4 cycles: they sleep at once. Read when OpenBLAS loads.
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    nabla::set_threads(take_threads_flag(argc, argv));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("nabla_threads", std::to_string(nabla::threads()));
    benchmark::AddCustomContext("blas_kernel", nabla::cpu::blas_kernel());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
