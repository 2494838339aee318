// Data-parallel training (TrainOptions::parallel) gives the weights of a single-process run, with
// dropout too (a sample's masks follow the sample, not the process holding it): here
// the processes are threads and the sum across them a barrier, so the trainer's side of it is
// checked without MPI (tests/mpi checks the real thing).
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cmath>
#include <mutex>
#include <numeric>
#include <filesystem>
#include <thread>
#include <unistd.h>

#include "nabla/trainer.hpp"
#include "train/rows_held.hpp"
#include "train/streamed_training.hpp"

#include "blobs.hpp"

using namespace nabla;

namespace {

Dataset blobs(std::size_t n) { return ::blobs(n, 5, 1.5); }

// Rows [begin, end) of data.
Dataset shard(const Dataset& data, std::size_t begin, std::size_t end) {
    Dataset part = data;
    part.x = Matrix<float>(end - begin, data.x.cols);
    part.y = Matrix<float>(end - begin, data.y.cols);
    std::copy(data.x.row(begin), data.x.row(end), part.x.data.begin());
    std::copy(data.y.row(begin), data.y.row(end), part.y.data.begin());
    return part;
}

// In-place sum of a buffer across `parties` threads.
template <class T>
class ThreadSum {
public:
    explicit ThreadSum(std::ptrdiff_t parties) : added_(parties), read_(parties, [this]() noexcept { total_.clear(); }) {}
    void operator()(std::span<T> buffer) {
        {
            std::lock_guard lock(mutex_);
            if (total_.empty()) total_.assign(buffer.size(), T(0));
            for (std::size_t i = 0; i < buffer.size(); ++i) total_[i] += buffer[i];
        }
        added_.arrive_and_wait();
        std::copy(total_.begin(), total_.end(), buffer.begin());
        read_.arrive_and_wait();
    }

private:
    std::mutex mutex_;
    std::vector<T> total_;
    std::barrier<> added_;
    std::barrier<std::function<void()>> read_;
};

// Threads standing for processes: rank `rank` of `size`, summing through shared ThreadSums.
class ThreadCommunicator : public Communicator {
public:
    ThreadCommunicator(int rank, int size, ThreadSum<float>& floats, ThreadSum<double>& doubles)
        : rank_(rank), size_(size), floats_(floats), doubles_(doubles) {}
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    void sum(std::span<float> buffer) override { floats_(buffer); }
    void sum(std::span<double> buffer) override { doubles_(buffer); }

private:
    int rank_, size_;
    ThreadSum<float>& floats_;
    ThreadSum<double>& doubles_;
};

TrainOptions options(OptimizerKind kind, double dropout = 0) {
    TrainOptions o;
    o.dropout = dropout;
    o.epochs = 3;
    o.batch = 32;
    o.optimizer.kind = kind;
    o.optimizer.learning_rate = kind == OptimizerKind::sgd ? 0.05 : 0.005;
    o.seed = 4;
    return o;
}

TEST(DataParallel, ProcessesTogetherTrainTheWeightsOfOne) {
    const Dataset data = blobs(301);
    const NetworkSpec spec{{5, 16, 3}, Activation::tanh};
    for (OptimizerKind kind : {OptimizerKind::sgd, OptimizerKind::adam})
    for (const double dropout : {0.0, 0.2}) {
        Network<float> single(spec, 2);
        const auto single_history = train(single, data, &data, options(kind, dropout));
        for (std::size_t ranks : {2u, 3u})
        for (const bool overlap : {false, true}) {  // sums after the backward pass, or layer by layer
            ThreadSum<float> sum{std::ptrdiff_t(ranks)};
            ThreadSum<double> sum_doubles{std::ptrdiff_t(ranks)};
            std::vector<Network<float>> nets(ranks, Network<float>(spec, 2));
            std::vector<std::vector<EpochMetrics>> histories(ranks);
            std::vector<std::thread> threads;
            for (std::size_t r = 0; r < ranks; ++r) {
                threads.emplace_back([&, r] {
                    const std::size_t begin = data.samples() * r / ranks, end = data.samples() * (r + 1) / ranks;
                    const Dataset part = shard(data, begin, end);
                    // Started sums (overlap) finish at once here: what is checked is their order.
                    ThreadCommunicator processes(int(r), int(ranks), sum, sum_doubles);
                    TrainOptions o = options(kind, dropout);
                    o.parallel = DataParallel{&processes, data.samples(), begin, overlap};
                    histories[r] = train(nets[r], part, &part, o);
                });
            }
            for (std::thread& t : threads) t.join();
            for (std::size_t r = 0; r < ranks; ++r) {
                const auto p = nets[r].parameters(), q = single.parameters();
                for (std::size_t i = 0; i < p.size(); ++i)
                    ASSERT_NEAR(p[i], q[i], 1e-5 * std::max(1.0f, std::abs(q[i])))
                        << optimizer_name(kind) << ", " << ranks << " processes, rank " << r << ", parameter " << i
                        << (overlap ? ", sums overlapped" : "") << ", dropout " << dropout;
                EXPECT_NEAR(histories[r].back().train_loss, single_history.back().train_loss, 1e-5);
                EXPECT_NEAR(histories[r].back().validation->accuracy, single_history.back().validation->accuracy, 1e-6);
                EXPECT_EQ(histories[r].back().validation->samples, data.samples());
            }
        }
    }
}

// Streamed from a .nbd file (train --stream), each process reads only its share of each window's
// blocks, and together they train the weights of one process streaming the whole file.
TEST(DataParallel, ProcessesStreamingTogetherTrainTheWeightsOfOne) {
    const Dataset data = blobs(140000);  // two blocks of 65,536 rows and a shorter one
    const std::string file_path = (std::filesystem::temp_directory_path() /
                                   ("nabla_streaming_processes_" + std::to_string(getpid()) + ".nbd")).string();
    NbdOrigin origin;
    origin.source = "blobs";
    origin.standardization = Preprocessing::standardize_fit(data.x);
    save_nbd(data, origin, file_path);
    const data::NbdBlocks file(file_path, {});
    const NetworkSpec spec{{5, 16, 3}, Activation::tanh};
    TrainOptions o = options(OptimizerKind::adam, 0.2);
    o.epochs = 1;
    o.batch = 256;
    const std::size_t n = data.samples();
    Network<float> single(spec, 2);
    train_streamed(single, file, {1, {0, n}, *origin.standardization, std::nullopt}, nullptr, o);
    for (std::size_t ranks : {2u, 3u}) {
        ThreadSum<float> sum{std::ptrdiff_t(ranks)};
        ThreadSum<double> sum_doubles{std::ptrdiff_t(ranks)};
        std::vector<Network<float>> nets(ranks, Network<float>(spec, 2));
        std::vector<std::thread> threads;
        for (std::size_t r = 0; r < ranks; ++r) {
            threads.emplace_back([&, r] {
                const std::size_t begin = n * r / ranks, end = n * (r + 1) / ranks;
                ThreadCommunicator processes(int(r), int(ranks), sum, sum_doubles);
                TrainOptions mine = o;
                mine.parallel = DataParallel{&processes, n, begin, false};
                train_streamed(nets[r], file, {1, {begin, end}, *origin.standardization, std::nullopt}, nullptr, mine);
            });
        }
        for (std::thread& t : threads) t.join();
        for (std::size_t r = 0; r < ranks; ++r) {
            const auto p = nets[r].parameters(), q = single.parameters();
            for (std::size_t i = 0; i < p.size(); ++i)
                ASSERT_NEAR(p[i], q[i], 1e-4 * std::max(1.0f, std::abs(q[i])))
                    << ranks << " processes, rank " << r << ", parameter " << i;
        }
    }
    std::filesystem::remove(file_path);
}

TEST(DataParallel, EachRowOfABatchGoesToTheOneProcessHoldingIt) {
    constexpr std::size_t n = 103, batch = 16, processes = 3;
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    Rng rng(5);
    shuffle(order, rng);
    for (std::size_t begin = 0; begin < n; begin += batch) {
        const std::span<const std::size_t> window = std::span(order).subspan(begin, std::min(batch, n - begin));
        std::vector<std::size_t> trained;  // rows of the whole set, over every process
        for (std::size_t r = 0; r < processes; ++r) {
            const std::size_t first = n * r / processes, held = n * (r + 1) / processes - first;
            std::vector<std::size_t> mine(window.size());
            mine.resize(rows_held(window, first, held, mine.data()));
            for (std::size_t i = 0; i < mine.size(); ++i) {
                ASSERT_LT(mine[i], held);
                if (i > 0)  // in the window's order
                    EXPECT_LT(std::find(window.begin(), window.end(), mine[i - 1] + first),
                              std::find(window.begin(), window.end(), mine[i] + first));
                trained.push_back(mine[i] + first);
            }
        }
        std::vector<std::size_t> expected(window.begin(), window.end());
        std::sort(expected.begin(), expected.end());
        std::sort(trained.begin(), trained.end());
        EXPECT_EQ(trained, expected) << "batch from " << begin;
    }
    std::vector<std::size_t> all(n);  // alone: the whole window, as it is
    EXPECT_EQ(rows_held(order, 0, n, all.data()), n);
    EXPECT_EQ(all, order);
}

}  // namespace
