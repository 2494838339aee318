// Training streamed from a .nbd file (train --stream): the windowed order visits every sample once
// an epoch, a window at a time; a streamed run resumes from any checkpoint bit for bit, gives the
// same bits at any thread count, learns what a run in memory learns, and a damaged block stops it
// with the file and rows named.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numeric>
#include <set>

#include "blobs.hpp"
#include "data/nbd.hpp"
#include "nabla/error.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "scratch_dir.hpp"
#include "train/epoch_order.hpp"
#include "train/streamed_training.hpp"

using namespace nabla;

namespace {

TEST(EpochOrder, EveryEpochVisitsEverySampleOnceAWindowAtATime) {
    constexpr std::size_t n = 1000, block = 64, window = 3;  // 15 whole blocks and one of 40 rows
    EpochOrder order = EpochOrder::windowed(n, block, window, 7, true);
    ASSERT_EQ(order.entries(), 16u);
    ASSERT_EQ(order.windows(), 6u);
    std::vector<std::size_t> blocks = order.initial();
    Rng rng(3);
    std::vector<std::vector<std::size_t>> epochs;
    for (std::size_t epoch = 1; epoch <= 3; ++epoch) {
        order.shuffle(blocks, rng);
        ASSERT_TRUE(order.valid(blocks));
        EXPECT_EQ(blocks.back(), 15u) << "the shorter last block stays last";
        std::vector<std::size_t> visited;
        for (std::size_t begin = 0; begin < n; begin += 100) {  // batches that straddle windows
            const auto batch = order.samples(blocks, epoch, begin, std::min(n, begin + 100));
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const std::size_t p = begin + i;
                const auto in_window = order.blocks_of(blocks, order.window_of(p));
                EXPECT_NE(std::find(in_window.begin(), in_window.end(), batch[i] / block), in_window.end())
                    << "position " << p << " of epoch " << epoch << " lies outside its window's blocks";
            }
            visited.insert(visited.end(), batch.begin(), batch.end());
        }
        std::vector<std::size_t> sorted = visited;
        std::sort(sorted.begin(), sorted.end());
        std::vector<std::size_t> all(n);
        std::iota(all.begin(), all.end(), std::size_t(0));
        EXPECT_EQ(sorted, all) << "epoch " << epoch;
        epochs.push_back(visited);
    }
    EXPECT_NE(epochs[0], epochs[1]);
    // The same run asked for any stretch again, in any order (a resumed run), gives the same samples.
    EpochOrder again = EpochOrder::windowed(n, block, window, 7, true);
    const auto stretch = again.samples(blocks, 3, 450, 530);
    EXPECT_TRUE(std::equal(stretch.begin(), stretch.end(), epochs[2].begin() + 450));
}

TEST(EpochOrder, WithoutShufflingTheOrderIsTheFilesAndCheckpointsAreChecked) {
    EpochOrder order = EpochOrder::windowed(300, 64, 2, 7, false);
    const std::vector<std::size_t> blocks = order.initial();
    const auto all = order.samples(blocks, 1, 0, 300);
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i);
    EXPECT_FALSE(order.valid(std::vector<std::size_t>{0, 1, 2, 3}));        // too few blocks
    EXPECT_FALSE(order.valid(std::vector<std::size_t>{0, 1, 2, 2, 3}));     // not a permutation
    EXPECT_FALSE(order.valid(std::vector<std::size_t>{0, 1, 4, 2, 3}));     // the shorter block not last
    EXPECT_TRUE(order.valid(std::vector<std::size_t>{3, 1, 0, 2, 4}));
    EXPECT_TRUE(EpochOrder::full(4).valid(std::vector<std::size_t>{3, 1, 0, 2}));
}

class Streamed : public ScratchDirTest {
protected:
    static constexpr std::size_t rows = 150000;  // two whole blocks of 65,536 rows and a shorter one

    void SetUp() override {
        ScratchDirTest::SetUp();
        data_ = blobs(rows, 6, 1.0);
        NbdOrigin origin;
        origin.source = "blobs";
        origin.standardization = Preprocessing::standardize_fit(data_.x);
        save_nbd(data_, origin, path("blobs.nbd"));
    }

    static TrainOptions options() {
        TrainOptions o;
        o.epochs = 2;
        o.batch = 500;
        o.optimizer.learning_rate = 0.002;
        o.dropout = 0.1;
        o.seed = 9;
        o.checkpoint_every = 97;
        return o;
    }

    std::vector<EpochMetrics> stream(Network<float>& net, const TrainOptions& o, std::size_t window = 1) const {
        const data::NbdBlocks file(path("blobs.nbd"), {});
        return train_streamed(net, file, {window, {0, rows}, *file.standardization(), std::nullopt}, nullptr, o);
    }

    Dataset data_;
    const NetworkSpec spec_{{6, 16, 3}, Activation::relu};
};

std::vector<float> weights(const Network<float>& net) { return {net.parameters().begin(), net.parameters().end()}; }

TEST_F(Streamed, ResumingFromAnyCheckpointEndsBitwiseIdentical) {
    Network<float> net(spec_, 1);
    std::vector<std::pair<TrainingState, std::vector<float>>> checkpoints;
    TrainOptions o = options();
    o.on_checkpoint = [&](const TrainingState& s) { checkpoints.emplace_back(s, weights(net)); };
    const auto history = stream(net, o);
    ASSERT_GE(checkpoints.size(), 6u);
    for (const auto& [state, saved] : checkpoints) {
        EXPECT_EQ(state.order.size(), 3u) << "a stream's checkpoint holds the order of its blocks";
        Network<float> resumed(spec_, saved);
        TrainOptions again = options();
        again.resume = &state;
        const auto resumed_history = stream(resumed, again);
        EXPECT_EQ(weights(resumed), weights(net)) << "from step " << state.step;
        EXPECT_EQ(resumed_history.back().train_loss, history.back().train_loss);
    }
}

TEST_F(Streamed, GivesTheSameBitsAtAnyThreadCount) {
    std::vector<std::vector<float>> results;
    for (const int threads : {1, 2, 3}) {
        set_threads(threads);
        Network<float> net(spec_, 1);
        stream(net, options(), 2);
        results.push_back(weights(net));
    }
    set_threads(0);
    EXPECT_EQ(results[0], results[1]);
    EXPECT_EQ(results[0], results[2]);
}

TEST_F(Streamed, LearnsWhatTrainingInMemoryLearns) {
    const Dataset test = blobs(3000, 6, 1.0);
    Dataset standardised = data_, test_standardised = test;
    const Preprocessing p = Preprocessing::standardize_fit(data_.x);
    p.apply(standardised.x);
    p.apply(test_standardised.x);
    Network<float> in_memory(spec_, 1), streamed(spec_, 1);
    train(in_memory, standardised, nullptr, options());
    stream(streamed, options(), 1);  // a window of one block: the coarsest shuffle
    const double a = evaluate(in_memory, test_standardised).accuracy, b = evaluate(streamed, test_standardised).accuracy;
    EXPECT_GT(a, 0.6);
    EXPECT_NEAR(a, b, 0.01);
}

TEST_F(Streamed, ADamagedBlockStopsTheRunNamingTheFileAndRows) {
    std::string bytes = read_file(path("blobs.nbd"));
    bytes[bytes.size() / 2] ^= 0x10;  // inside x, in the second block of rows
    std::ofstream(path("damaged.nbd"), std::ios::binary) << bytes;
    const data::NbdBlocks file(path("damaged.nbd"), {});
    Network<float> net(spec_, 1);
    try {
        train_streamed(net, file, {1, {0, rows}, *file.standardization(), std::nullopt}, nullptr, options());
        FAIL() << "trained on a damaged file";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("damaged.nbd"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("checksum mismatch in rows 65537 to 131072"), std::string::npos)
            << e.what();
    }
}

TEST_F(Streamed, RefusesABatchLargerThanAWindowAndTheGpu) {
    const data::NbdBlocks file(path("blobs.nbd"), {});
    Network<float> net(spec_, 1);
    TrainOptions o = options();
    o.batch = 70000;
    EXPECT_THROW(train_streamed(net, file, {1, {0, rows}, {}, std::nullopt}, nullptr, o), Error);
    o.batch = 500;
    o.device = Device::cuda;
    EXPECT_THROW(train_streamed(net, file, {1, {0, rows}, {}, std::nullopt}, nullptr, o), Error);
}

TEST_F(Streamed, ConvertStoresTheStatisticsTrainingInMemoryFits) {
    const data::NbdBlocks file(path("blobs.nbd"), {});
    ASSERT_TRUE(file.standardization());
    const Preprocessing fitted = Preprocessing::standardize_fit(data_.x);
    EXPECT_EQ(file.standardization()->offset, fitted.offset);
    EXPECT_EQ(file.standardization()->scale, fitted.scale);
    EXPECT_FALSE(file.target_scaling());
    // Blocks read one at a time hold the rows load_dataset reads whole.
    std::vector<float> x(1000 * 6), y(1000 * 3);
    file.read({131100, 132100}, x.data(), y.data());
    EXPECT_TRUE(std::equal(x.begin(), x.end(), data_.x.row(131100)));
    EXPECT_TRUE(std::equal(y.begin(), y.end(), data_.y.row(131100)));
    EXPECT_THROW(file.read({131100, 132100 + 65536}, x.data(), y.data()), Error);  // beyond its block
}

}  // namespace
