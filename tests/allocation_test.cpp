// The steady-state training step allocates nothing: every buffer is sized on the first batch.
// A counting global operator new sees every heap allocation made in this test binary.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <numeric>
#include <vector>

#include "cpu/train_step.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace nabla;

namespace {

TEST(Allocation, SteadyStateTrainingStepAllocatesNothing) {
    for (OptimizerKind kind : {OptimizerKind::sgd, OptimizerKind::momentum, OptimizerKind::adam}) {
        Network<float> net(NetworkSpec{{20, 16, 8, 4}}, 1);
        OptimizerSpec spec;
        spec.kind = kind;
        Optimizer<float> optimizer(spec, net);
        Workspace<float> ws;
        std::vector<float> grads(net.parameters().size()), x(32 * 20, 0.5f), y(32 * 4, 0.0f);
        for (std::size_t i = 0; i < 32; ++i) y[i * 4 + i % 4] = 1;
        std::vector<std::size_t> samples(32);
        std::iota(samples.begin(), samples.end(), std::size_t(0));
        const Dropout dropout{0.3, 7, 0, samples.data()};
        train_step(net, optimizer, ws, grads, x.data(), y.data(), 32, 0.01, dropout);  // sizes the buffers
        const std::size_t before = allocations.load();
        for (int step = 0; step < 20; ++step)
            train_step(net, optimizer, ws, grads, x.data(), y.data(), step % 2 ? 32 : 17, 0.01, dropout);
        EXPECT_EQ(allocations.load() - before, 0u) << optimizer_name(kind);
    }
}

TEST(Allocation, StepSplitAcrossThreadsAllocatesNothing) {
    // Products this large are split across two threads (src/cpu/blas.hpp), sums with partials.
    const int saved_threads = threads();
    set_threads(2);
    NetworkSpec spec;
    spec.layers = {300, 256, 128, 10};
    Network<float> net(spec, 1);
    OptimizerSpec sgd;
    sgd.kind = OptimizerKind::sgd;
    Optimizer<float> optimizer(sgd, net);
    Workspace<float> ws;
    std::vector<float> grads(net.parameters().size()), x(16 * 300, 0.5f), y(16 * 10, 0.0f);
    for (std::size_t i = 0; i < 16; ++i) y[i * 10 + i % 10] = 1;
    train_step(net, optimizer, ws, grads, x.data(), y.data(), 16, 0.01);  // sizes the buffers
    const std::size_t before = allocations.load();
    for (int step = 0; step < 20; ++step) train_step(net, optimizer, ws, grads, x.data(), y.data(), step % 2 ? 16 : 1, 0.01);
    EXPECT_EQ(allocations.load() - before, 0u);
    set_threads(saved_threads);
}

// Trains 2 epochs of 16 batches of 16 and checks that batches 2 … 15 of the first epoch allocate
// nothing, alone or through the data-parallel step (one process, with and without overlapped sums).
void expect_no_allocation_between_batches(std::optional<DataParallel> parallel) {
    Dataset data;
    data.source = "synthetic";
    data.x = Matrix<float>(256, 10);
    data.y = Matrix<float>(256, 3);
    for (std::size_t i = 0; i < 256; ++i) {
        data.x(i, i % 10) = 1;
        data.y(i, i % 3) = 1;
    }
    Network<float> net(NetworkSpec{{10, 12, 3}}, 1);
    TrainOptions options;
    options.epochs = 2;
    options.batch = 16;
    std::vector<std::size_t> counts;
    counts.reserve(64);
    options.on_batch = [&](std::size_t, std::size_t, double) { counts.push_back(allocations.load()); };
    options.parallel = parallel;
    train(net, data, nullptr, options);
    ASSERT_EQ(counts.size(), 32u);
    for (std::size_t b = 2; b < 16; ++b) EXPECT_EQ(counts[b], counts[1]) << "batch " << b;
}

TEST(Allocation, TrainingLoopAllocatesNothingBetweenBatches) { expect_no_allocation_between_batches(std::nullopt); }

// Says there are two processes, but its sums leave every buffer as it is: a step's data-parallel
// path (shares, sums), run in one process that holds every row.
class PretendPair : public Communicator {
public:
    int size() const override { return 2; }
};

TEST(Allocation, DataParallelStepAllocatesNothing) {
    PretendPair pair;
    expect_no_allocation_between_batches(DataParallel{&pair, 256, 0, false});
    expect_no_allocation_between_batches(DataParallel{&pair, 256, 0, true});  // sums started layer by layer
}

}  // namespace
