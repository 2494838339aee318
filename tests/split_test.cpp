// Matrix products split across nabla's threads (src/cpu/blas.hpp, split_pool) compute what one
// thread computes: blocks of rows or columns exactly, a split sum over k to rounding; large
// products cut to the threads' speeds (part_speeds) exactly, wherever the cut falls.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "cpu/blas.hpp"
#include "cpu/part_speeds.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

using namespace nabla;

namespace {

class ProductSplit : public ::testing::Test {
protected:
    void SetUp() override { saved_threads_ = threads(); }
    void TearDown() override { set_threads(saved_threads_); }

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

// Speeds learnt from a product whose part 1 takes `slowdown` times as long per row as part 0.
void learn_slowdown(cpu::PartSpeeds& speeds, double slowdown, int times = 60) {
    const std::size_t cut[] = {0, 512, 1024};
    const double seconds[] = {1e-3, slowdown * 1e-3};
    for (int i = 0; i < times; ++i) speeds.learn(cut, seconds, 2);
}

TEST(PartSpeeds, CutsFollowTheMeasuredSpeeds) {
    cpu::PartSpeeds speeds;
    std::size_t cut[4];
    speeds.cut(1024, 2, cut);
    EXPECT_EQ(cut[0], 0u);
    EXPECT_EQ(cut[1], 512u);  // equal until measured
    EXPECT_EQ(cut[2], 1024u);
    learn_slowdown(speeds, 2.0);  // part 0 twice as fast: two thirds of the rows
    speeds.cut(1024, 2, cut);
    EXPECT_EQ(cut[1], 688u);  // 2/3 of 1024 = 682.7, to a multiple of 16
    learn_slowdown(speeds, 0.5, 1);  // one product the other way moves it only a quarter of the way
    speeds.cut(1024, 2, cut);
    EXPECT_GT(cut[1], 512u);
    EXPECT_LT(cut[1], 688u);
    learn_slowdown(speeds, 1.0);
    speeds.cut(1000, 3, cut);  // three parts, equal again: multiples of 16, the last part takes the rest
    EXPECT_EQ(cut[1], 336u);
    EXPECT_EQ(cut[2], 672u);
    EXPECT_EQ(cut[3], 1000u);
}

TEST(PartSpeeds, UnmeasuredPartsKeepTheirSpeed) {
    cpu::PartSpeeds speeds;
    const std::size_t cut[] = {0, 0, 1024};  // part 0 had no rows: nothing to compare
    const double seconds[] = {0.0, 1e-3};
    speeds.learn(cut, seconds, 2);
    std::size_t now[3];
    speeds.cut(1024, 2, now);
    EXPECT_EQ(now[1], 512u);
}

TEST_F(ProductSplit, ProductsCutToSpeedGiveOneThreadsBits) {
    // The large products of a 784-256-128-10 step at batch 1024 and 128, with the cut pushed far
    // each way: each element of C is computed by one part, exactly as one thread computes it.
    const Shape large[] = {{1024, 256, 784}, {1024, 128, 256}, {1024, 256, 128}, {128, 256, 1024},
                           {256, 784, 1024}, {128, 256, 784},  {256, 784, 128}};
    cpu::PartSpeeds& speeds = cpu::part_speeds();
    for (const double slowdown : {0.55, 1.0, 1.8}) {
        learn_slowdown(speeds, slowdown);
        for (const Shape& s : large)
            for (const bool ta : {false, true}) {
                const bool tb = !ta;  // Z = A Wᵀ (beta 0) and θ ← keep θ − (η/n) Dᵀ A, as a step runs them
                const float alpha = ta ? -0.0137f : 1.0f, beta = ta ? 0.999f : 0.0f;
                const std::vector<float> A = normal_values<float>(s.m * s.k, 1), B = normal_values<float>(s.k * s.n, 2);
                const std::size_t lda = ta ? s.m : s.k, ldb = tb ? s.k : s.n;
                std::vector<float> one = normal_values<float>(s.m * s.n, 3), split = one;
                cpu::gemm_on_this_thread(ta, tb, s.m, s.n, s.k, alpha, A.data(), lda, B.data(), ldb, beta, one.data(), s.n);
                set_threads(2);
                cpu::gemm(ta, tb, s.m, s.n, s.k, alpha, A.data(), lda, B.data(), ldb, beta, split.data(), s.n);
                EXPECT_EQ(std::memcmp(one.data(), split.data(), one.size() * sizeof(float)), 0)
                    << s.m << "×" << s.n << "×" << s.k << (ta ? " Aᵀ" : " Bᵀ") << ", part 1 slowed " << slowdown << "×";
            }
    }
    learn_slowdown(speeds, 1.0);
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

TEST_F(ProductSplit, TrainingOnTwoThreadsMatchesOne) {
    NetworkSpec spec;
    spec.layers = {300, 256, 128, 10};
    spec.hidden = Activation::relu;
    spec.loss = Loss::cross_entropy;
    const std::vector<float> x = normal_values<float>(24 * 300, 4);
    std::vector<float> y(24 * 10, 0.0f);
    for (std::size_t i = 0; i < 24; ++i) y[i * 10 + i % 10] = 1;
    for (const std::size_t batch : {1, 24}) {
        std::vector<float> weights[2];
        for (const int t : {1, 2}) {
            set_threads(t);
            Network<float> net(spec, 7);
            OptimizerSpec sgd;  // plain descent: Adam would magnify the last bit of near-zero gradients
            sgd.kind = OptimizerKind::sgd;
            Optimizer<float> optimizer(sgd, net);
            Workspace<float> ws;
            std::vector<float> grads(net.parameters().size());
            for (std::size_t step = 0; step < 20; ++step) {
                const std::size_t first = (step * batch) % 24;
                train_step(net, optimizer, ws, grads, x.data() + first * 300, y.data() + first * 10, batch, 0.05);
            }
            weights[t - 1].assign(net.parameters().begin(), net.parameters().end());
        }
        double worst = 0;
        for (std::size_t i = 0; i < weights[0].size(); ++i)
            worst = std::max(worst, std::abs(double(weights[1][i]) - double(weights[0][i])) /
                                        std::max(1e-2, std::abs(double(weights[0][i]))));
        EXPECT_LE(worst, 1e-5) << "batch " << batch;
    }
}

}  // namespace
