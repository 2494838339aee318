// The first-run failures of a GPU machine, each injected as the error code the CUDA runtime gives
// for it: every one is one line naming its own cause, and only a GPU that cannot load the kernels
// is told to rebuild for its architecture. Built only with the CUDA backend (it reads its headers).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <utility>

#include "cuda/blas.hpp"
#include "cuda/errors.hpp"
#include "nabla/error.hpp"
#include "scratch_dir.hpp"

using namespace nabla;

namespace {

constexpr cuda::CudaVersions driver_12_4{12040, 13000}, no_driver{0, 13000};

constexpr const char* rebuild_hint = "-DCMAKE_CUDA_ARCHITECTURES";

// Each cause of a failed first run, the code that reports it, and words its message must hold.
struct Cause {
    cudaError_t status;
    cuda::CudaVersions versions;
    const char* says;
};

const Cause causes[] = {
    {cudaErrorInsufficientDriver, driver_12_4, "the NVIDIA driver supports CUDA 12.4, older than the CUDA 13.0"},
    {cudaErrorInsufficientDriver, no_driver, "no NVIDIA driver is installed (libcuda.so.1 not found)"},
    {cudaErrorNoDevice, driver_12_4, "finds no GPU"},
    {cudaErrorSystemNotReady, driver_12_4, "fabric manager"},
    {cudaErrorDevicesUnavailable, driver_12_4, "exclusive-process"},
    {cudaErrorMemoryAllocation, driver_12_4, "out of memory"},
    {cudaErrorSystemDriverMismatch, driver_12_4, "different driver versions"},
    {cudaErrorCompatNotSupportedOnDevice, driver_12_4, "forward-compatibility"},
    {cudaErrorInitializationError, driver_12_4, "failed to initialise"},
    {cudaErrorNoKernelImageForDevice, driver_12_4, "cannot load this build's kernels"},
    {cudaErrorInvalidPtx, driver_12_4, "cannot load this build's kernels"},
    {cudaErrorUnsupportedPtxVersion, driver_12_4, "cannot load this build's kernels"},
};

bool needs_rebuild(cudaError_t status) {
    return status == cudaErrorNoKernelImageForDevice || status == cudaErrorInvalidPtx ||
           status == cudaErrorUnsupportedPtxVersion;
}

TEST(CudaErrors, EachFirstRunFailureIsOneLineNamingItsCause) {
    for (const Cause& c : causes) {
        const std::string message = cuda::explain(c.status, c.versions);
        SCOPED_TRACE(message);
        EXPECT_NE(message.find(c.says), std::string::npos);
        EXPECT_EQ(message.find('\n'), std::string::npos);
        EXPECT_NE(message.find(std::string("(") + cudaGetErrorName(c.status) + ")"), std::string::npos);
        EXPECT_EQ(message.find(rebuild_hint) != std::string::npos, needs_rebuild(c.status));
    }
}

TEST(CudaErrors, CausesAreTellable) {
    // No two causes share a message: each is reported as itself, not as a general failure.
    for (const Cause& a : causes)
        for (const Cause& b : causes)
            if (&a != &b && !needs_rebuild(a.status))
                EXPECT_NE(cuda::explain(a.status, a.versions), cuda::explain(b.status, b.versions));
}

TEST(CudaErrors, OtherFailuresGiveNoRebuildHint) {
    for (cudaError_t status : {cudaErrorLaunchFailure, cudaErrorIllegalAddress, cudaErrorECCUncorrectable,
                               cudaErrorInvalidValue, cudaErrorUnknown}) {
        const std::string message = cuda::explain(status, driver_12_4);
        EXPECT_EQ(message.find(rebuild_hint), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(CudaErrors, VersionsRead) {
    EXPECT_EQ(cuda::cuda_version_name(13000), "13.0");
    EXPECT_EQ(cuda::cuda_version_name(12040), "12.4");
    EXPECT_GE(cuda::cuda_versions().runtime, 13000);  // this build's runtime, GPU or not
}

// A missing cuBLAS (libcublas.so.13) as blas.cpp opens it, from a library path where it is not:
// the message names the file and what to install.
TEST(CudaErrors, MissingCublasNamesTheFile) {
    try {
        cuda::open_cublas("libcublas.so.999", "/nonexistent/cuda/lib64");
        FAIL() << "opened a cuBLAS that does not exist";
    } catch (const Error& e) {
        const std::string message = e.what();
        EXPECT_EQ(message.rfind("cannot open cuBLAS (libcublas.so.999): install", 0), 0u) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

// The program on this machine, through the real runtime: where no GPU can be used, `--device cuda`
// is one line holding the message of the runtime's own error code.
class CudaErrorsCli : public ScratchDirTest {};

TEST_F(CudaErrorsCli, TheProgramSaysThisMachinesCause) {
    int devices = 0;
    const cudaError_t status = cudaGetDeviceCount(&devices);
    if (status == cudaSuccess && devices > 0) GTEST_SKIP() << "a GPU is present";
    const cudaError_t cause = status == cudaSuccess ? cudaErrorNoDevice : status;  // success: no GPU counted
    const std::string expected = "nabla: error: --device cuda: " + cuda::explain(cause, cuda::cuda_versions()) + "\n";
    write_file(path("tiny.csv"), "a,b,label\n0,1,x\n1,0,y\n1,1,x\n0,0,y\n");
    const std::string command = "cd '" + dir_.string() + "' && '" + NABLA_CLI +
                                "' train --data tiny.csv --save tiny.nabla --device cuda >/dev/null 2>stderr </dev/null";
    const int run = std::system(command.c_str());
    EXPECT_TRUE(WIFEXITED(run) && WEXITSTATUS(run) == 1);
    EXPECT_EQ(read_file(path("stderr")), expected);
}

}  // namespace
