// Inference is thread-safe: threads sharing one const network each get exactly the single-threaded
// result. scripts/test-tsan.sh runs these tests under ThreadSanitizer as well.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

using namespace nabla;

namespace {

// Two threads: the products are split across nabla's own pool (instrumented under
// ThreadSanitizer, like the callers), one caller at a time; the others run them alone.
class ThreadSafety : public ::testing::Test {
protected:
    void SetUp() override {
        saved_threads_ = threads();
        set_threads(2);
    }
    void TearDown() override { set_threads(saved_threads_); }

private:
    int saved_threads_ = 1;
};

Matrix<float> normal_inputs(std::size_t rows, std::size_t cols, std::uint64_t seed) {
    Rng rng(seed);
    Matrix<float> x(rows, cols);
    for (float& v : x.data) v = float(rng.normal());
    return x;
}

bool same_bits(const Matrix<float>& a, const Matrix<float>& b) {
    return a.rows == b.rows && a.cols == b.cols && std::memcmp(a.data.data(), b.data.data(), a.size() * sizeof(float)) == 0;
}

TEST_F(ThreadSafety, ConcurrentPredictOnOneConstNetworkMatchesSingleThreadedBitForBit) {
    const Network<float> net(NetworkSpec{{256, 256, 32, 5}, Activation::tanh}, 3);
    const Matrix<float> x = normal_inputs(48, 256, 5);
    // Batches of 16 take the matrix-product path, single samples the matrix-vector one; both are
    // large enough in the first layer to be split across the pool.
    const std::size_t batch_sizes[2] = {16, 1};
    const Matrix<float> expected[2] = {predict(net, x, batch_sizes[0]), predict(net, x, batch_sizes[1])};

    constexpr int workers = 8, repeats = 40;
    std::vector<int> mismatches(workers, 0);
    std::vector<std::thread> pool;
    for (int t = 0; t < workers; ++t)
        pool.emplace_back([&, t] {
            const int path = t % 2;
            for (int r = 0; r < repeats; ++r) mismatches[t] += !same_bits(predict(net, x, batch_sizes[path]), expected[path]);
        });
    for (std::thread& thread : pool) thread.join();
    for (int t = 0; t < workers; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
