// The CUDA backend's parts that the public functions cannot show: the bench path's rewind, and
// column_sums over no rows. They need a GPU, and skip (or fail under NABLA_REQUIRE_GPU=1) without.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "blobs.hpp"
#include "cpu/train_step.hpp"
#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"
#include "cuda/training.hpp"
#include "gpu_required.hpp"

using namespace nabla;

namespace {

double relative_error(std::span<const float> a, std::span<const float> b) {
    double difference = 0, norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        difference += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        norm += double(b[i]) * b[i];
    }
    return std::sqrt(difference / norm);
}

// `nabla bench --device cuda` (cuda::training_steps) cycles through its data: after the epoch's
// last batch, rewind() starts the step counter over with the same order and learning rates. Seven
// steps over three batches must be the CPU's seven steps over batches 0, 1, 2, 0, 1, 2, 0.
TEST(CudaTrainingParts, RewindCyclesThroughTheBatches) {
    SKIP_WITHOUT_GPU();
    const Dataset data = blobs(192, 6, 1.5);
    const std::size_t batch = 64, batches = 3, steps = 7;
    const Network<float> start(NetworkSpec{{6, 16, 3}}, 3);
    OptimizerSpec spec;
    spec.kind = OptimizerKind::adam;  // its step count must carry across a rewind
    spec.learning_rate = 0.01;

    cuda::StepRules rules;
    rules.optimizer = spec;
    cuda::DeviceTraining run(start, data, rules, batch, batches, Precision::fp32);
    std::vector<std::size_t> rows(batch);
    for (std::size_t s = 0; s < batches; ++s) {
        std::iota(rows.begin(), rows.end(), s * batch);
        run.load_step(s, rows, float(spec.learning_rate));
    }
    for (std::size_t s = 0; s < steps; ++s) {
        if (s > 0 && s % batches == 0) run.rewind();
        run.step(batch);
    }
    TrainingState state;
    run.save_optimizer(state);
    EXPECT_EQ(state.optimizer_steps, steps);
    for (const cuda::StepRecord& record : run.records(0, batches)) EXPECT_EQ(record.verdict, 0u);
    Network<float> gpu = start;
    run.network().download(gpu);

    Network<float> cpu = start;
    Optimizer<float> optimizer(spec, cpu);
    Workspace<float> ws;
    std::vector<float> grads(cpu.parameters().size());
    for (std::size_t s = 0; s < steps; ++s) {
        const std::size_t first = (s % batches) * batch;
        train_step(cpu, optimizer, ws, grads, data.x.row(first), data.y.row(first), batch, spec.learning_rate);
    }
    // A step on the wrong rows would move the weights by about η, some hundred times this.
    EXPECT_LE(relative_error(gpu.parameters(), cpu.parameters()), 1e-4);
}

// A sum over no rows is zero, whatever alpha (1/n would be infinite), and touches no rows.
TEST(CudaTrainingParts, ColumnSumsOfNoRowsAreZero) {
    SKIP_WITHOUT_GPU();
    const std::size_t k = 5;
    const cuda::Stream stream;
    cuda::DeviceBuffer<float> out(k), scratch(cuda::column_sums_scratch(1, k));
    out.upload(std::vector<float>(k, 7.0f), stream.get());
    cuda::column_sums(stream.get(), nullptr, 0, k, std::numeric_limits<float>::infinity(), out.data(), scratch.data());
    std::vector<float> sums(k, -1.0f);
    out.download(sums, stream.get());
    for (const float v : sums) EXPECT_EQ(v, 0.0f);
}

}  // namespace
