// Outputs never destroy inputs: an output that is the same file as an input or another output is
// refused (exit status 2, both flags named, nothing written), however the path is spelt (symbolic
// or hard link); a symbolic link is written through; a device or FIFO is written into, never
// replaced; and SIGINT or SIGTERM during a save leaves no temporary file behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <fstream>
#include <iterator>
#include <thread>

#include "cli_fixture.hpp"
#include "nabla/model.hpp"
#include "run_cli.hpp"

namespace {

using namespace cli_test;
namespace fs = std::filesystem;

class CliOutputs : public CliTest {
protected:
    // A refused command line: exit status 2, one line naming both flags, every file as it was.
    void expect_same_file_refused(const Args& args, const std::string& output_flag, const std::string& input_flag) {
        SCOPED_TRACE(command_line(args));
        std::map<std::string, std::string> before;
        for (const std::string& name : entries())
            if (fs::is_regular_file(path(name))) before[name] = read_file(path(name));
        const Outcome run = nabla(args);
        EXPECT_EQ(run.status, 2) << run.err;
        EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
        EXPECT_NE(run.err.find(output_flag + " '"), std::string::npos) << run.err;
        EXPECT_NE(run.err.find("same file as " + input_flag + " '"), std::string::npos) << run.err;
        for (const auto& [name, bytes] : before) EXPECT_EQ(read_file(path(name)), bytes) << name << " changed";
        std::vector<std::string> names;
        for (const auto& [name, bytes] : before) names.push_back(name);
        std::vector<std::string> now;
        for (const std::string& name : entries())
            if (fs::is_regular_file(path(name))) now.push_back(name);
        EXPECT_EQ(now, names) << "a file appeared or went";
    }
};

TEST_F(CliOutputs, TrainNeverWritesOverItsData) {
    train_blobs_classifier();
    fs::create_symlink("blobs.csv", path("link.csv"));
    fs::create_hard_link(path("blobs.csv"), path("hard.csv"));
    const Args quick = kQuickTraining;
    expect_same_file_refused(train_args("blobs.csv", "blobs.csv", quick), "--save", "--data");
    expect_same_file_refused(train_args("blobs.csv", "link.csv", quick), "--save", "--data");
    expect_same_file_refused(train_args("blobs.csv", "hard.csv", quick), "--save", "--data");
    expect_same_file_refused(train_args("blobs.csv", "./blobs.csv", quick), "--save", "--data");
    expect_same_file_refused(concat(train_args("blobs.csv", "m.nabla", quick), {"--test", "hard.csv", "--log", "link.csv"}),
                             "--log", "--data");
    expect_same_file_refused(concat(train_args("blobs.csv", "m.nabla", quick), {"--plot", "blobs.csv"}), "--plot",
                             "--data");
    // An IDX source reads its labels too, also where it names only the images.
    write("t-images-idx3-ubyte", idx_file({1, 2, 2}, std::string(4, '\0')));
    write("t-labels-idx1-ubyte", idx_file({1}, std::string(1, '\0')));
    expect_same_file_refused(train_args("t-images-idx3-ubyte", "t-labels-idx1-ubyte", quick), "--save", "--data");
    expect_same_file_refused(train_args("idx:t-images-idx3-ubyte,t-labels-idx1-ubyte", "t-labels-idx1-ubyte", quick),
                             "--save", "--data");
}

TEST_F(CliOutputs, TrainNeverWritesTwoOutputsToOneFile) {
    train_blobs_classifier();
    expect_same_file_refused(concat(train_args("blobs.csv", "m.nabla", kQuickTraining), {"--log", "m.nabla"}), "--log",
                             "--save");
    expect_same_file_refused(concat(train_args("blobs.csv", "blobs.nabla", kQuickTraining), {"--plot", "blobs.nabla"}),
                             "--plot", "--save");
    expect_same_file_refused(
        concat(train_args("blobs.csv", "ck/checkpoint.nabla", kQuickTraining), {"--checkpoint", "ck"}), "--checkpoint",
        "--save");
}

TEST_F(CliOutputs, PredictAndExportNeverWriteOverTheirInputs) {
    train_blobs_classifier();
    const Args predict = {"predict", "--model", "blobs.nabla", "--data", "blobs.csv", "--output"};
    expect_same_file_refused(concat(predict, {"blobs.csv"}), "--output", "--data");
    expect_same_file_refused(concat(predict, {"blobs.nabla"}), "--output", "--model");
    expect_same_file_refused({"export", "--model", "blobs.nabla", "--onnx", "blobs.nabla"}, "--onnx", "--model");
}

TEST_F(CliOutputs, ASymbolicLinkIsWrittenThrough) {
    train_blobs_classifier();
    fs::create_directories(path("models"));
    fs::create_symlink("models/kept.nabla", path("latest.nabla"));  // dangling until the first save
    succeeds(train_args("blobs.csv", "latest.nabla", kQuickTraining));
    EXPECT_TRUE(fs::is_symlink(path("latest.nabla")));
    EXPECT_NO_THROW(nabla::load_model(path("models/kept.nabla")));
    succeeds({"predict", "--model", "blobs.nabla", "--data", "blobs.csv", "--output", "latest.nabla"});  // replaced again
    EXPECT_TRUE(fs::is_symlink(path("latest.nabla")));
    EXPECT_EQ(read_file(path("models/kept.nabla")).rfind("prediction,", 0), 0u);
}

TEST_F(CliOutputs, DevicesAndFifosAreWrittenIntoNeverReplaced) {
    train_blobs_classifier();
    const Args predict = {"predict", "--model", "blobs.nabla", "--data", "blobs.csv", "--output"};
    succeeds(concat(predict, {"/dev/null"}));
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
    EXPECT_EQ(succeeds(concat(predict, {"-"})).out.rfind("prediction,", 0), 0u);  // - is standard output

    if (access("/dev/full", W_OK) == 0) {  // a full disk: an error, and the device stays a device
        const Outcome full = nabla(train_args("blobs.csv", "/dev/full", kQuickTraining));
        EXPECT_EQ(full.status, 1);
        EXPECT_NE(full.err.find("/dev/full: cannot write"), std::string::npos) << full.err;
        EXPECT_TRUE(fs::is_character_file("/dev/full"));
    }

    ASSERT_EQ(mkfifo(path("pipe").c_str(), 0600), 0);
    std::string received;
    std::thread reader([&] {
        std::ifstream in(path("pipe"), std::ios::binary);
        received.assign(std::istreambuf_iterator<char>(in), {});
    });
    succeeds(concat(predict, {"pipe"}));
    reader.join();
    EXPECT_TRUE(fs::is_fifo(path("pipe")));
    EXPECT_EQ(received.rfind("prediction,", 0), 0u);
    EXPECT_EQ(std::count(received.begin(), received.end(), '\n'), 91);
}

TEST_F(CliOutputs, InterruptingASaveLeavesNoTemporaryFile) {
    train_blobs_classifier();
    // Large models saved at every step: a signal often lands while one is being written.
    const Args args = concat(train_args("blobs.csv", "m.nabla", {"--hidden", "512,512", "--epochs", "30", "--quiet"}),
                             {"--checkpoint", "ck", "--checkpoint-every", "1"});
    // The signal comes at fixed delays after the first checkpoint exists (so that a failure can be
    // reproduced), however long loading takes on this machine or under a sanitizer.
    const auto checkpointed = [this] { return fs::exists(path("ck/checkpoint.nabla")); };
    for (const int signal_number : {SIGINT, SIGTERM})
        for (int attempt = 0; attempt < 4; ++attempt) {
            fs::remove_all(path("ck"));
            const auto delay = std::chrono::milliseconds(37 * attempt);
            const KilledRun run = run_when_ready_and_kill(args, path(""), checkpointed, delay, signal_number);
            ASSERT_TRUE(run.ready) << "no checkpoint was written";
            EXPECT_TRUE(run.killed) << "ended before signal " << signal_number << " after " << delay.count() << " ms";
            for (const fs::path dir : {fs::path(path("")), fs::path(path("ck"))})
                for (const auto& entry : fs::directory_iterator(dir))
                    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
                        << entry.path() << " left by signal " << signal_number << " after " << delay.count() << " ms";
        }
}

}  // namespace
