// Checkpoints resume exactly: a run stopped anywhere (kill -9 included) and resumed ends with the
// same weights, bit for bit, as a run that was never stopped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <thread>

#include "nabla/checkpoint.hpp"
#include "nabla/error.hpp"
#include "run_cli.hpp"
#include "scratch_dir.hpp"

#include "blobs.hpp"

using namespace nabla;

namespace {

Dataset blobs(std::size_t n) { return ::blobs(n, 4, 2.0); }

TrainOptions options_with(OptimizerKind kind) {
    TrainOptions o;
    o.epochs = 3;
    o.batch = 16;
    o.optimizer.kind = kind;
    o.optimizer.learning_rate = kind == OptimizerKind::sgd ? 0.1 : 0.01;
    o.dropout = 0.2;
    o.seed = 9;
    o.checkpoint_every = 5;
    return o;
}

std::vector<float> weights(const Network<float>& net) { return {net.parameters().begin(), net.parameters().end()}; }

TEST(Checkpoint, ResumingFromEveryCheckpointEndsBitwiseIdentical) {
    const Dataset data = blobs(200);
    const NetworkSpec spec{{4, 12, 3}, Activation::tanh};
    for (OptimizerKind kind : {OptimizerKind::sgd, OptimizerKind::momentum, OptimizerKind::adamw}) {
        // The uninterrupted run, keeping every checkpoint (and the weights at that moment).
        std::vector<std::pair<TrainingState, std::vector<float>>> checkpoints;
        TrainOptions options = options_with(kind);
        Network<float> net(spec, 1);
        options.on_checkpoint = [&](const TrainingState& s) { checkpoints.emplace_back(s, weights(net)); };
        const auto history = train(net, data, nullptr, options);
        ASSERT_GE(checkpoints.size(), 10u);
        for (const auto& [state, saved] : checkpoints) {
            Network<float> resumed(spec, saved);
            TrainOptions again = options_with(kind);
            again.resume = &state;
            const auto resumed_history = train(resumed, data, nullptr, again);
            EXPECT_EQ(weights(resumed), weights(net)) << optimizer_name(kind) << " from step " << state.step;
            EXPECT_EQ(resumed_history.back().train_loss, history.back().train_loss);
        }
    }
}

TEST(Checkpoint, AResumeThatDoesNotFitTheRunIsRefused) {
    const Dataset data = blobs(60);
    TrainingState state;
    TrainOptions options = options_with(OptimizerKind::adam);
    Network<float> net(NetworkSpec{{4, 5, 3}}, 1);
    options.on_checkpoint = [&](const TrainingState& s) { state = s; };
    train(net, data, nullptr, options);
    TrainOptions again = options_with(OptimizerKind::adam);
    again.resume = &state;
    EXPECT_THROW(train(net, blobs(90), nullptr, again), Error);   // other data
    again.optimizer.kind = OptimizerKind::sgd;
    EXPECT_THROW(train(net, data, nullptr, again), Error);        // other optimizer
}

class CheckpointFile : public ScratchDirTest {};

TEST_F(CheckpointFile, RoundTripsTheStateAndReadsAsAModel) {
    Model model{Network<float>(NetworkSpec{{4, 5, 3}}, 2)};
    model.class_names = {"a", "b", "c"};
    TrainingState state;
    TrainOptions options = options_with(OptimizerKind::adam);
    options.on_checkpoint = [&](const TrainingState& s) { state = s; };
    options.epochs = 1;
    options.checkpoint_every = 3;
    train(model.network, blobs(40), nullptr, options);
    state.arguments = {"data=\"x.csv\"", "epochs=1"};
    save_checkpoint(model, state, path("c.nabla"));
    const Checkpoint loaded = load_checkpoint(path("c.nabla"));
    EXPECT_EQ(weights(loaded.model.network), weights(model.network));
    EXPECT_EQ(loaded.state.order, state.order);
    EXPECT_EQ(loaded.state.rng, state.rng);
    EXPECT_EQ(loaded.state.moment2, state.moment2);
    EXPECT_EQ(loaded.state.arguments, state.arguments);
    ASSERT_EQ(loaded.state.history.size(), 1u);
    EXPECT_EQ(loaded.state.history[0].train_loss, state.history[0].train_loss);
    EXPECT_EQ(weights(load_model(path("c.nabla")).network), weights(model.network));  // a checkpoint is a model
    save_model(model, path("m.nabla"));
    EXPECT_THROW(load_checkpoint(path("m.nabla")), Error);                             // a model is no checkpoint
}

class KillDuringTraining : public ScratchDirTest {
protected:
    void write_data() const {
        std::ofstream out(path("train.csv"));
        Rng rng(3);
        out << "x1,x2,x3,x4,x5,x6,label\n";
        for (int i = 0; i < 4000; ++i) {
            double s = 0;
            for (int j = 0; j < 6; ++j) {
                const double v = rng.normal();
                s += v * (j + 1);
                out << v << ",";
            }
            out << (s > 2 ? "hi" : s < -2 ? "lo" : "mid") << "\n";
        }
    }
    std::vector<std::string> train_args(const std::string& save, const std::string& checkpoint) const {
        return {"train", "--data", "train.csv", "--hidden", "64,32", "--epochs", "4", "--batch", "8", "--dropout", "0.1",
                "--threads", "1", "--save", save, "--checkpoint", checkpoint, "--checkpoint-every", "25"};
    }
};

TEST_F(KillDuringTraining, ResumedRunEndsWithTheSameModel) {
    write_data();
    ASSERT_EQ(run_and_kill(train_args("full.nabla", "full-ckpt"), path(""), std::chrono::minutes(5)), 0);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(run_and_kill(train_args("timing.nabla", "timing-ckpt"), path(""), std::chrono::minutes(5)), 0);
    const auto full_run = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);

    const std::uint64_t seed = 7;  // fixed: a failure names the delay and can be reproduced
    Rng rng(seed);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const std::string dir = "ckpt" + std::to_string(attempt), save = "resumed" + std::to_string(attempt) + ".nabla";
        const auto delay = std::chrono::milliseconds(std::int64_t(rng.uniform(0.1, 0.9) * double(full_run.count())));
        run_and_kill(train_args(save, dir), path(""), delay);
        // Killed or not, resuming (as often as it takes) finishes the run with the same weights.
        const bool checkpointed = std::filesystem::exists(path(dir + "/checkpoint.nabla"));
        if (checkpointed) {
            ASSERT_EQ(run_and_kill({"train", "--resume", dir}, path(""), std::chrono::minutes(5)), 0);
        } else {
            ASSERT_EQ(run_and_kill(train_args(save, dir), path(""), std::chrono::minutes(5)), 0);
        }
        EXPECT_EQ(weights(load_model(path(save)).network), weights(load_model(path("full.nabla")).network))
            << "killed after " << delay.count() << " ms of " << full_run.count() << " (delays drawn from seed "
            << seed << ", attempt " << attempt << ")";
    }
}

TEST_F(KillDuringTraining, KillDuringASaveLeavesTheCheckpointWhole) {
    write_data();
    std::vector<std::string> args = train_args("m.nabla", "ck");
    args[4] = "512,512";           // larger files: a save takes a while
    args.back() = "1";             // a checkpoint every step
    const std::string checkpoint = path("ck/checkpoint.nabla");
    const std::uint64_t seed = 13;  // fixed: a failure names the delay and can be reproduced
    Rng rng(seed);
    for (int attempt = 0; attempt < 5; ++attempt) {
        std::filesystem::remove_all(path("ck"));
        // Killed at a random moment of the saves that follow the first checkpoint.
        const auto delay = std::chrono::milliseconds(rng.below(300));
        SCOPED_TRACE("attempt " + std::to_string(attempt) + ": killed " + std::to_string(delay.count()) +
                     " ms after the first checkpoint (delays drawn from seed " + std::to_string(seed) + ")");
        const KilledRun run = run_when_ready_and_kill(
            args, path(""), [&] { return std::filesystem::exists(checkpoint); }, delay);
        ASSERT_TRUE(run.ready) << "no checkpoint was written before the run ended (or within a minute)";
        ASSERT_TRUE(run.killed) << "the run ended before the kill";
        ASSERT_TRUE(std::filesystem::exists(checkpoint));
        EXPECT_NO_THROW(load_checkpoint(checkpoint));
    }
}

}  // namespace
