// The thread count changes no bit of any result (docs/reliability.md, "Same bits at any thread
// count"): the program trains the same model file, predicts the same bytes, and a run killed and
// resumed at another thread count ends with the uninterrupted run's model. The products are large
// enough to be cut into tiles (src/cpu/blas.hpp); tests/every_blas_kernel.sh runs these under
// every OpenBLAS kernel family the CPU can execute.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "nabla/model.hpp"
#include "nabla/rng.hpp"
#include "run_cli.hpp"
#include "scratch_dir.hpp"

namespace {

class SameBits : public ScratchDirTest {
protected:
    // 3000 rows of 32 features, four classes.
    void write_data() const {
        std::ofstream out(path("train.csv"));
        nabla::Rng rng(5);
        for (int j = 0; j < 32; ++j) out << "x" << j << ",";
        out << "label\n";
        for (int i = 0; i < 3000; ++i) {
            double s = 0, t = 0;
            for (int j = 0; j < 32; ++j) {
                const double v = rng.normal();
                (j % 2 ? s : t) += v * (j % 5 - 2);
                out << v << ",";
            }
            out << (s > 0 ? (t > 0 ? "a" : "b") : (t > 0 ? "c" : "d")) << "\n";
        }
    }

    // Products of 64 × 256 × 32 up to 256 × 128 × 64 multiply-adds: cut into tiles.
    static std::vector<std::string> train_args(const std::string& save, const std::string& threads) {
        std::vector<std::string> args{"train", "--data", "train.csv", "--hidden", "256,128", "--epochs", "8",
                                      "--batch", "64", "--dropout", "0.1", "--seed", "4", "--save", save, "--quiet"};
        if (!threads.empty()) args.insert(args.end(), {"--threads", threads});
        return args;
    }

    std::string bytes(const std::string& name) const { return read_file(path(name)); }

    // A model file's parameters, bit for bit (the file also records when it was written).
    std::vector<float> weights(const std::string& name) const {
        const nabla::Network<float> net = nabla::load_model(path(name)).network;
        return {net.parameters().begin(), net.parameters().end()};
    }
};

TEST_F(SameBits, TrainingWritesTheSameModelAtAnyThreadCount) {
    write_data();
    ASSERT_EQ(run_nabla(train_args("one.nabla", "1"), path("")), 0);
    for (const std::string threads : {"", "2", "3"}) {
        ASSERT_EQ(run_nabla(train_args("many.nabla", threads), path("")), 0);
        EXPECT_TRUE(weights("many.nabla") == weights("one.nabla")) << "--threads " << (threads.empty() ? "default" : threads);
    }
}

TEST_F(SameBits, PredictWritesTheSameBytesAtAnyThreadCount) {
    write_data();
    ASSERT_EQ(run_nabla(train_args("m.nabla", ""), path("")), 0);
    const std::vector<std::string> predict{"predict", "--model", "m.nabla", "--data", "train.csv", "--output"};
    auto with = [&](std::vector<std::string> args, std::vector<std::string> more) {
        args.insert(args.end(), more.begin(), more.end());
        return args;
    };
    ASSERT_EQ(run_nabla(with(predict, {"first.csv", "--threads", "1"}), path("")), 0);
    ASSERT_FALSE(bytes("first.csv").empty());
    for (int run = 0; run < 5; ++run) {  // the default thread count, five times
        ASSERT_EQ(run_nabla(with(predict, {"again.csv"}), path("")), 0);
        EXPECT_TRUE(bytes("again.csv") == bytes("first.csv")) << "run " << run << " at the default threads";
    }
    ASSERT_EQ(run_nabla(with(predict, {"again.csv", "--threads", "3"}), path("")), 0);
    EXPECT_TRUE(bytes("again.csv") == bytes("first.csv")) << "--threads 3";
}

TEST_F(SameBits, AKilledRunResumedAtAnyThreadCountEndsWithTheSameModel) {
    write_data();
    auto with_checkpoint = [](std::vector<std::string> args, const std::string& dir) {
        args.insert(args.end(), {"--checkpoint", dir, "--checkpoint-every", "10"});
        return args;
    };
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(run_nabla(with_checkpoint(train_args("full.nabla", ""), "full"), path("")), 0);
    const double full_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    nabla::Rng rng(11);  // fixed: a failure names the delay and can be reproduced
    int resumed = 0;
    for (const std::string threads : {"1", "", "3"}) {
        const std::string dir = "ck" + threads, save = "resumed" + threads + ".nabla";
        const auto delay = std::chrono::milliseconds(std::int64_t(rng.uniform(0.3, 0.9) * full_ms));
        run_and_kill(with_checkpoint(train_args(save, ""), dir), path(""), delay);
        std::vector<std::string> resume{"train", "--resume", dir, "--quiet"};
        if (!threads.empty()) resume.insert(resume.end(), {"--threads", threads});
        if (std::filesystem::exists(path(dir + "/checkpoint.nabla"))) {
            ++resumed;
            ASSERT_EQ(run_nabla(resume, path("")), 0);
        } else if (!std::filesystem::exists(path(save))) {  // killed before its first checkpoint
            ASSERT_EQ(run_nabla(with_checkpoint(train_args(save, threads), dir), path("")), 0);
        }
        EXPECT_TRUE(weights(save) == weights("full.nabla")) << "killed after " << delay.count() << " ms of " << full_ms
                                                    << ", resumed at --threads " << (threads.empty() ? "default" : threads);
    }
    EXPECT_GE(resumed, 1) << "no kill left a checkpoint to resume from";
}

}  // namespace
