#include "cuda/runtime.hpp"

#include "cuda/backend.hpp"
#include "cuda/blas.hpp"
#include "cuda/kernels.hpp"
#include "nabla/error.hpp"

namespace nabla::cuda {

void check(cudaError_t status, const char* call) {
    if (status != cudaSuccess)
        throw Error(std::string("CUDA: ") + call + " failed: " + cudaGetErrorString(status));
}

void check(cublasStatus_t status, const char* call) {
    if (status != CUBLAS_STATUS_SUCCESS)
        throw Error(std::string("cuBLAS: ") + call + " failed: " + cublas().status_string(status));
}

namespace {

// "13.0": the CUDA version this build's runtime needs a driver for.
std::string runtime_version() {
    int version = 0;
    cudaRuntimeGetVersion(&version);
    return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

}  // namespace

std::string unavailable_reason() {
    int devices = 0;
    const cudaError_t status = cudaGetDeviceCount(&devices);
    if (status == cudaErrorInsufficientDriver)
        return "no NVIDIA driver for CUDA " + runtime_version() + " is installed (" + cudaGetErrorString(status) + ")";
    if (status != cudaSuccess) return std::string("no CUDA device is available (") + cudaGetErrorString(status) + ")";
    if (devices == 0) return "no CUDA device is available";
    // A GPU older than the architectures the kernels were compiled for cannot load them.
    if (const cudaError_t loaded = kernels_load(); loaded != cudaSuccess)
        return std::string("the GPU cannot run this build's kernels (") + cudaGetErrorString(loaded) +
               "): rebuild with CMAKE_CUDA_ARCHITECTURES set for it";
    try {
        cublas();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

Stream::Stream() { check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate"); }

Stream::~Stream() { cudaStreamDestroy(stream_); }

void Stream::synchronize() const { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

}  // namespace nabla::cuda
