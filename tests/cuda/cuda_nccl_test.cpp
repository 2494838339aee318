// GPU processes training together over NCCL (src/cuda/nccl.cpp), as two processes of this test
// binary on two GPUs: they train as one process would, each makes a context on its own GPU only,
// and a killed process ends the job instead of leaving the other waiting. Needs two GPUs: skips
// with fewer (with none, fails under NABLA_REQUIRE_GPU=1 like every GPU test).
#include <cuda_runtime_api.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "blobs.hpp"
#include "gpu_required.hpp"

extern char** environ;

using namespace nabla;
using nabla::test::on;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t rows = 512, processes = 2;

TrainOptions job_options() {
    TrainOptions options;
    options.epochs = 3;
    options.batch = 64;
    options.optimizer.learning_rate = 0.05;
    return options;
}

Network<float> job_network() { return Network<float>(NetworkSpec{{6, 16, 3}}, 11); }

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Whether this process has a context on GPU `ordinal` (the driver's primary context).
bool has_context(int ordinal) {
    void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!driver) return false;
    using Get = int (*)(int*, int);
    using State = int (*)(int, unsigned*, int*);
    const auto get = reinterpret_cast<Get>(dlsym(driver, "cuDeviceGet"));
    const auto state = reinterpret_cast<State>(dlsym(driver, "cuDevicePrimaryCtxGetState"));
    int device = 0, active = 0;
    unsigned flags = 0;
    return get && state && get(&device, ordinal) == 0 && state(device, &flags, &active) == 0 && active != 0;
}

// One process of the job, when CudaNccl's tests start this binary with NABLA_NCCL_TEST_ROLE =
// "RANK MODE DIR": trains on its half of the rows and writes its parameters to DIR/params-RANK,
// or its error to DIR/error-RANK. MODE "die": rank 1 kills itself after the first epoch.
TEST(CudaNcclProcess, OfAJob) {
    const char* role = std::getenv("NABLA_NCCL_TEST_ROLE");
    if (!role) GTEST_SKIP() << "one process of CudaNccl's jobs, which start it themselves";
    int rank = 0;
    std::string mode, dir_name;
    std::istringstream(role) >> rank >> mode >> dir_name;
    const fs::path dir(dir_name);

    const Dataset all = blobs(rows, 6, 1.5);
    const std::size_t held = rows / processes, first = std::size_t(rank) * held;
    Dataset part = all;
    part.x = Matrix<float>(held, all.x.cols);
    part.y = Matrix<float>(held, all.y.cols);
    part.labels.assign(all.labels.begin() + std::ptrdiff_t(first), all.labels.begin() + std::ptrdiff_t(first + held));
    std::copy(all.x.row(first), all.x.row(first + held), part.x.data.begin());
    std::copy(all.y.row(first), all.y.row(first + held), part.y.data.begin());

    // The processes of the job: rank 0's NCCL id reaches the other through a file. The gradients
    // are summed by NCCL, so no other sum is needed of this communicator.
    class FileBroadcast : public Communicator {
    public:
        FileBroadcast(int rank, fs::path dir) : rank_(rank), dir_(std::move(dir)) {}
        int rank() const override { return rank_; }
        int size() const override { return int(processes); }
        int local_rank() const override { return rank_; }
        void broadcast(std::span<std::byte> bytes) override {
            const fs::path id = dir_ / "id";
            if (rank_ == 0) {
                std::ofstream(dir_ / "id.part", std::ios::binary)
                    .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
                fs::rename(dir_ / "id.part", id);
                return;
            }
            while (!fs::exists(id)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            std::ifstream(id, std::ios::binary).read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
        }

    private:
        int rank_;
        fs::path dir_;
    } job(rank, dir);
    TrainOptions options = job_options();
    options.parallel = DataParallel{&job, rows, first, false};
    if (mode == "die" && rank == 1)
        options.on_epoch = [](const EpochMetrics&) { raise(SIGKILL); };

    Network<float> net = job_network();
    try {
        train(net, part, nullptr, on(Device::cuda, options));
    } catch (const Error& e) {
        std::ofstream(dir / ("error-" + std::to_string(rank))) << e.what() << "\n";
        FAIL() << e.what();
    }
    std::ofstream(dir / ("params-" + std::to_string(rank)), std::ios::binary)
        .write(reinterpret_cast<const char*>(net.parameters().data()), std::streamsize(net.parameters().size_bytes()));
    if (rank == 1) std::ofstream(dir / "context-on-gpu-0") << (has_context(0) ? "yes" : "no");
}

class CudaNccl : public ::testing::Test {
protected:
    void SetUp() override {
        SKIP_WITHOUT_GPU();
        int gpus = 0;
        if (cudaGetDeviceCount(&gpus) != cudaSuccess || gpus < 2) GTEST_SKIP() << "needs two GPUs";
        dir_ = fs::temp_directory_path() / ("nabla-nccl-" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override {
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    // Starts the job's processes in `mode`; their exit statuses (−signal when killed by one),
    // each process killed if the job is still running after `limit`.
    std::vector<int> run_job(const std::string& mode, std::chrono::seconds limit) {
        std::vector<pid_t> pids;
        for (std::size_t rank = 0; rank < processes; ++rank) {
            std::vector<std::string> env{"NABLA_NCCL_TEST_ROLE=" + std::to_string(rank) + " " + mode + " " +
                                             dir_.string(),
                                         "NABLA_NCCL_TIMEOUT=10"};
            for (char** e = environ; *e; ++e)
                if (std::strncmp(*e, "NABLA_NCCL_", 11) != 0) env.emplace_back(*e);
            std::vector<char*> envp;
            for (std::string& e : env) envp.push_back(e.data());
            envp.push_back(nullptr);
            std::string exe = fs::read_symlink("/proc/self/exe").string(), filter = "--gtest_filter=CudaNcclProcess.*";
            const std::string log = (dir_ / ("log-" + std::to_string(rank))).string();
            char* argv[] = {exe.data(), filter.data(), nullptr};
            posix_spawn_file_actions_t files;
            posix_spawn_file_actions_init(&files);
            posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            posix_spawn_file_actions_adddup2(&files, 1, 2);
            pid_t pid = 0;
            EXPECT_EQ(posix_spawn(&pid, exe.c_str(), &files, nullptr, argv, envp.data()), 0);
            posix_spawn_file_actions_destroy(&files);
            pids.push_back(pid);
        }
        std::vector<int> statuses(processes, 0);
        std::vector<bool> done(processes, false);
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (std::size_t finished = 0; finished < processes;) {
            for (std::size_t r = 0; r < processes; ++r) {
                int status = 0;
                if (done[r] || waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
                done[r] = true;
                ++finished;
                statuses[r] = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
            }
            if (std::chrono::steady_clock::now() > deadline) {
                for (std::size_t r = 0; r < processes; ++r)
                    if (!done[r]) {
                        ADD_FAILURE() << "rank " << r << " still running after " << limit.count() << " s: "
                                      << read_text(dir_ / ("log-" + std::to_string(r)));
                        kill(pids[r], SIGKILL);
                        waitpid(pids[r], nullptr, 0);
                        done[r] = true;
                        ++finished;
                        statuses[r] = -SIGKILL;
                    }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return statuses;
    }

    fs::path dir_;
};

std::vector<float> read_params(const fs::path& path, std::size_t count) {
    std::vector<float> values(count, std::nanf(""));
    std::ifstream(path, std::ios::binary)
        .read(reinterpret_cast<char*>(values.data()), std::streamsize(count * sizeof(float)));
    return values;
}

TEST_F(CudaNccl, TwoProcessesTrainAsOne) {
    const std::vector<int> statuses = run_job("train", std::chrono::seconds(120));
    for (std::size_t r = 0; r < processes; ++r)
        ASSERT_EQ(statuses[r], 0) << "rank " << r << ": " << read_text(dir_ / ("log-" + std::to_string(r)));
    Network<float> one = job_network();
    train(one, blobs(rows, 6, 1.5), nullptr, on(Device::cuda, job_options()));
    const std::size_t count = one.parameters().size();
    const std::vector<float> rank0 = read_params(dir_ / "params-0", count);
    const std::vector<float> rank1 = read_params(dir_ / "params-1", count);
    EXPECT_EQ(std::memcmp(rank0.data(), rank1.data(), count * sizeof(float)), 0) << "the ranks' weights differ";
    double difference = 0, norm = 0;
    for (std::size_t i = 0; i < count; ++i) {
        difference += std::pow(double(rank0[i]) - one.parameters()[i], 2);
        norm += std::pow(double(one.parameters()[i]), 2);
    }
    EXPECT_LE(std::sqrt(difference / norm), 1e-4) << "two processes did not train as one";
    EXPECT_EQ(read_text(dir_ / "context-on-gpu-0"), "no") << "rank 1 (GPU 1) made a context on GPU 0";
}

TEST_F(CudaNccl, AKilledProcessEndsTheJob) {
    // Rank 1 dies after its first epoch; rank 0, waiting in the next sum, must give up within its
    // NABLA_NCCL_TIMEOUT (10 s) and exit with NCCL's one-line error, not wait forever.
    const std::vector<int> statuses = run_job("die", std::chrono::seconds(90));
    EXPECT_EQ(statuses[1], -SIGKILL);
    EXPECT_NE(statuses[0], 0) << "rank 0 finished training without its peer";
    const std::string error = read_text(dir_ / "error-0");
    EXPECT_EQ(error.rfind("NCCL: ", 0), 0u) << error << read_text(dir_ / "log-0");
    EXPECT_EQ(std::count(error.begin(), error.end(), '\n'), 1) << error;
}

}  // namespace
