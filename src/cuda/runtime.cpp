#include "cuda/runtime.hpp"

#include "cuda/backend.hpp"
#include "cuda/blas.hpp"
#include "cuda/errors.hpp"
#include "cuda/kernels.hpp"
#include "nabla/error.hpp"

namespace nabla::cuda {

void check(cudaError_t status, const char* call) {
    if (status != cudaSuccess)
        throw Error(std::string("CUDA: ") + call + " failed: " + explain(status, cuda_versions()));
}

void check(cublasStatus_t status, const char* call) {
    if (status != CUBLAS_STATUS_SUCCESS)
        throw Error(std::string("cuBLAS: ") + call + " failed: " + cublas().status_string(status));
}

// Only calls that make no context: a process of a data-parallel run asks this before it selects
// its own GPU (nccl.hpp: select_device), and a context made here would sit on GPU 0 for the whole
// run. What needs a context (the kernels' loading, memory, the compute mode) is reported by the
// run's first call on its own GPU: the Stream below.
std::string unavailable_reason() {
    int devices = 0;
    const cudaError_t status = cudaGetDeviceCount(&devices);
    if (status != cudaSuccess) return explain(status, cuda_versions());
    if (devices == 0) return explain(cudaErrorNoDevice, cuda_versions());
    try {
        cublas();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

namespace {

// The kernels load with the first context of the process: a GPU they were not compiled for is
// named here, with the rebuild hint, before any of them is queued.
void load_kernels() {
    static const cudaError_t loaded = kernels_load();
    check(loaded, "loading nabla's kernels");
}

}  // namespace

// The first call of every run on the device, after its GPU was selected: the one that makes the
// context, so that the GPU's compute mode and memory are reported from here.
Stream::Stream() {
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    try {
        load_kernels();
    } catch (...) {
        cudaStreamDestroy(stream_);
        throw;
    }
}

Stream::~Stream() { cudaStreamDestroy(stream_); }

void Stream::synchronize() const { check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

}  // namespace nabla::cuda
