// Matrix products cut into tiles and shared across nabla's threads (src/cpu/blas.hpp, split_pool):
// the same bits at every thread count, for every tile count; against one OpenBLAS call, blocks of
// rows or columns to the kernel's rounding of a block's edge, a split sum over k to rounding.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "cpu/blas.hpp"
#include "cpu/train_step.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

using namespace nabla;

namespace {

class ProductSplit : public ::testing::Test {
protected:
    void SetUp() override { saved_threads_ = threads(); }
    void TearDown() override {
        set_threads(saved_threads_);
        cpu::set_product_tiles(0);
    }

private:
    int saved_threads_ = 1;
};

template <class T>
std::vector<T> normal_values(std::size_t count, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<T> v(count);
    for (T& x : v) x = T(rng.normal());
    return v;
}

struct Shape {
    std::size_t m, n, k;
};

// op(A) m × k, op(B) k × n, C m × n; C starts non-zero so that beta is checked too.
template <class T>
double max_relative_difference(bool trans_a, bool trans_b, Shape s, int parts) {
    cpu::set_product_tiles(parts);
    const std::vector<T> A = normal_values<T>(s.m * s.k, 1), B = normal_values<T>(s.k * s.n, 2);
    const std::vector<T> C0 = normal_values<T>(s.m * s.n, 3);
    const std::size_t lda = trans_a ? s.m : s.k, ldb = trans_b ? s.k : s.n;
    std::vector<T> one = C0, split = C0;
    cpu::gemm_on_this_thread(trans_a, trans_b, s.m, s.n, s.k, T(0.5), A.data(), lda, B.data(), ldb, T(0.25),
                             one.data(), s.n);
    set_threads(parts);
    cpu::gemm(trans_a, trans_b, s.m, s.n, s.k, T(0.5), A.data(), lda, B.data(), ldb, T(0.25), split.data(), s.n);
    double worst = 0;
    for (std::size_t i = 0; i < one.size(); ++i)
        worst = std::max(worst, std::abs(double(split[i]) - double(one[i])) / std::max(1.0, std::abs(double(one[i]))));
    return worst;
}

// The shapes of a 784-256-128-10 step at batch 1 and 24 (forward, update, back-propagation), and
// odd sizes whose blocks do not divide evenly or leave some parts without work.
const Shape shapes[] = {{1, 256, 784}, {256, 784, 1}, {1, 256, 128}, {24, 256, 784}, {256, 784, 24},
                        {24, 256, 128}, {5, 130, 129}, {129, 37, 300}, {3, 1000, 40}, {700, 3, 40}};

TEST_F(ProductSplit, EverySplitMatchesOneThread) {
    for (const int parts : {2, 3, 8})
        for (const Shape& s : shapes)
            for (const bool ta : {false, true})
                for (const bool tb : {false, true}) {
                    const auto where = ::testing::Message() << parts << " threads, " << s.m << "×" << s.n << "×" << s.k
                                                            << (ta ? " Aᵀ" : "") << (tb ? " Bᵀ" : "");
                    // A sum split in two rounds differently: within k rounding steps of the result.
                    EXPECT_LE(max_relative_difference<float>(ta, tb, s, parts), double(s.k) * 1.2e-7) << where;
                    EXPECT_LE(max_relative_difference<double>(ta, tb, s, parts), double(s.k) * 2.3e-16) << where;
                }
}

TEST_F(ProductSplit, SplitsFollowTheRowsOfTheWeights) {
    using cpu::Split;
    // 784-256-128-10 at batch 1: W (256 × 784) is B in the forward pass, C in the update, B in D W.
    EXPECT_EQ(cpu::split_for(false, true, 1, 256, 784, 2), Split::columns);  // Z = A Wᵀ: W's rows
    EXPECT_EQ(cpu::split_for(true, false, 256, 784, 1, 2), Split::rows);     // W ← W − η Dᵀ A: W's rows
    EXPECT_EQ(cpu::split_for(false, false, 1, 256, 128, 2), Split::sum);     // D W: W's rows are k
    EXPECT_EQ(cpu::split_for(false, true, 1, 10, 128, 2), Split::none);      // too small to hand off
    EXPECT_EQ(cpu::split_for(false, true, 1, 256, 784, 1), Split::none);     // one thread
    // At batch 1024 the samples are the largest extent; a large weight gradient Dᵀ A, a sum over
    // the samples, is split by C's columns instead (its rounding must not depend on the cut).
    EXPECT_EQ(cpu::split_for(false, true, 1024, 256, 784, 2), Split::rows);    // Z = A Wᵀ: samples
    EXPECT_EQ(cpu::split_for(true, false, 256, 784, 1024, 2), Split::columns);  // Dᵀ A, large
    EXPECT_EQ(cpu::split_for(true, false, 10, 128, 1024, 2), Split::sum);       // Dᵀ A, small
}

// C = alpha · op(A) op(B) + beta · C0 on `threads` threads, the product cut into `tiles` tiles.
template <class T>
std::vector<T> product_on(int threads_, int tiles, bool ta, bool tb, Shape s) {
    const std::vector<T> A = normal_values<T>(s.m * s.k, 1), B = normal_values<T>(s.k * s.n, 2);
    std::vector<T> C = normal_values<T>(s.m * s.n, 3);
    set_threads(threads_);
    cpu::set_product_tiles(tiles);
    cpu::gemm(ta, tb, s.m, s.n, s.k, T(-0.0137), A.data(), ta ? s.m : s.k, B.data(), tb ? s.k : s.n, T(0.999),
              C.data(), s.n);
    return C;
}

TEST_F(ProductSplit, EveryThreadCountGivesTheSameBits) {
    // The products of a 784-256-128-10 step at batch 1, 24, 128 and 1024, and odd sizes, on every
    // tile count a machine of 2, 3 or 8 threads uses: any number of threads gives one thread's bits,
    // whichever thread runs a tile and whichever kernel OpenBLAS loaded (tests/every_blas_kernel.sh
    // runs this under each).
    const Shape all[] = {{1, 256, 784},    {256, 784, 1},    {1, 256, 128},    {24, 256, 784},  {256, 784, 24},
                         {24, 256, 128},   {5, 130, 129},    {129, 37, 300},   {3, 1000, 40},   {700, 3, 40},
                         {128, 256, 784},  {256, 784, 128},  {128, 256, 128},  {1024, 256, 784}, {256, 784, 1024},
                         {1024, 128, 256}, {1024, 256, 128}, {128, 256, 1024}, {1024, 10, 128}, {10, 128, 1024}};
    for (const int tiles : {2, 3, 8})
        for (const Shape& s : all)
            for (const bool ta : {false, true})
                for (const bool tb : {false, true}) {
                    const auto where = ::testing::Message() << tiles << " tiles, " << s.m << "×" << s.n << "×" << s.k
                                                            << (ta ? " Aᵀ" : "") << (tb ? " Bᵀ" : "") << ", threads ";
                    const std::vector<float> one = product_on<float>(1, tiles, ta, tb, s);
                    const bool small = s.m * s.n * s.k < (1u << 22);
                    const std::vector<double> one_double = small ? product_on<double>(1, tiles, ta, tb, s)
                                                                 : std::vector<double>{};
                    for (const int t : {2, 3, 8}) {
                        const std::vector<float> many = product_on<float>(t, tiles, ta, tb, s);
                        EXPECT_EQ(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)), 0) << where << t;
                        if (!small) continue;
                        const std::vector<double> many_double = product_on<double>(t, tiles, ta, tb, s);
                        EXPECT_EQ(std::memcmp(one_double.data(), many_double.data(), one_double.size() * sizeof(double)), 0)
                            << where << t << " (double)";
                    }
                }
}

TEST_F(ProductSplit, ContendedCallersGetTheSameBitsAsThePool) {
    // Callers that find the pool busy run every part themselves: same partition, same rounding.
    const Shape s{1, 256, 784};
    const std::vector<float> A = normal_values<float>(s.k * s.m, 1), B = normal_values<float>(s.k * s.n, 2);
    set_threads(2);
    std::vector<float> expected(s.m * s.n);
    cpu::gemm(false, false, s.m, s.n, s.k, 1.0f, A.data(), s.k, B.data(), s.n, 0.0f, expected.data(), s.n);
    constexpr int workers = 4, repeats = 200;
    std::vector<int> mismatches(workers, 0);
    std::vector<std::thread> callers;
    for (int t = 0; t < workers; ++t)
        callers.emplace_back([&, t] {
            std::vector<float> c(s.m * s.n);
            for (int r = 0; r < repeats; ++r) {
                cpu::gemm(false, false, s.m, s.n, s.k, 1.0f, A.data(), s.k, B.data(), s.n, 0.0f, c.data(), s.n);
                mismatches[t] += std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)) != 0;
            }
        });
    for (std::thread& caller : callers) caller.join();
    for (int t = 0; t < workers; ++t) EXPECT_EQ(mismatches[t], 0) << "caller " << t;
}

TEST_F(ProductSplit, EveryPartRunsOnceWithMoreThreadsThanCores) {
    // More helpers than cores: helpers are descheduled at any point, some between reading a task
    // and taking their part, while the caller takes parts itself and posts the next task. Each part
    // of each task still runs exactly once, and every task ends.
    set_threads(std::min(4096, 4 * hardware_threads() + 1));
    constexpr int most = 16, tasks = 200000;
    std::atomic<int> runs[most];
    int twice = 0, missed = 0;
    for (int t = 0; t < tasks; ++t) {
        const int parts = 2 + t % std::min(most - 1, threads());
        for (int p = 0; p < parts; ++p) runs[p].store(0);
        cpu::run_in_parts(parts, [&](int part, int count) {
            if (count == parts) runs[part].fetch_add(1);
        });
        for (int p = 0; p < parts; ++p) {
            const int n = runs[p].load();
            twice += n > 1;
            missed += n == 0;
        }
    }
    EXPECT_EQ(twice, 0);
    EXPECT_EQ(missed, 0);
}

TEST_F(ProductSplit, AForkedChildSplitsProductsWithoutTheParentsThreads) {
    set_threads(2);
    EXPECT_LE(max_relative_difference<float>(false, true, {1, 256, 784}, 2), 1e-4);  // the pool is running
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // a child that waited for the parent's helpers would hang: the alarm ends it
        alarm(10);
        const bool same = max_relative_difference<float>(false, true, {1, 256, 784}, 2) <= 1e-4 &&
                          max_relative_difference<float>(true, false, {256, 784, 1}, 2) == 0.0;
        _exit(same ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "the child was killed by signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(ProductSplit, TrainingGivesTheSameModelOnEveryThreadCount) {
    NetworkSpec spec;
    spec.layers = {300, 256, 128, 10};
    spec.hidden = Activation::relu;
    spec.loss = Loss::cross_entropy;
    const std::vector<float> x = normal_values<float>(512 * 300, 4);  // 256 rows and room for a batch after
    std::vector<float> y(512 * 10, 0.0f);
    for (std::size_t i = 0; i < 512; ++i) y[i * 10 + i % 10] = 1;
    for (const int tiles : {0, 4})  // this machine's tile count, and a 4-thread machine's
        for (const OptimizerKind kind : {OptimizerKind::sgd, OptimizerKind::adam})
            for (const std::size_t batch : {1, 24, 256}) {
                std::vector<float> weights[3];
                for (const int t : {1, 2, 3}) {
                    set_threads(t);
                    cpu::set_product_tiles(tiles);
                    Network<float> net(spec, 7);
                    OptimizerSpec optimizer_spec;
                    optimizer_spec.kind = kind;
                    Optimizer<float> optimizer(optimizer_spec, net);
                    Workspace<float> ws;
                    std::vector<float> grads(net.parameters().size());
                    for (std::size_t step = 0; step < 12; ++step) {
                        const std::size_t first = (step * batch) % 256;
                        train_step(net, optimizer, ws, grads, x.data() + first * 300, y.data() + first * 10, batch, 0.01);
                    }
                    weights[t - 1].assign(net.parameters().begin(), net.parameters().end());
                }
                for (const int t : {2, 3})
                    EXPECT_EQ(std::memcmp(weights[0].data(), weights[t - 1].data(), weights[0].size() * sizeof(float)), 0)
                        << (kind == OptimizerKind::sgd ? "SGD" : "Adam") << ", batch " << batch << ", " << t
                        << " threads, tiles " << cpu::product_tiles();
            }
}

}  // namespace
