// What a failed CUDA call means for the user: one line naming the cause and what to do about it,
// rather than the runtime's own wording. The first call of a run on a new machine is where a broken
// setup shows (no driver, a driver too old, a fabric manager not started, a GPU held by another
// process, too little memory, kernels built for another GPU), so each of those is named as itself.
#pragma once

#include <cuda_runtime_api.h>

#include <string>

namespace nabla::cuda {

// CUDA versions as cudaDriverGetVersion and cudaRuntimeGetVersion give them (1000 × major + 10 ×
// minor). driver 0: no NVIDIA driver is installed.
struct CudaVersions {
    int driver = 0;
    int runtime = 0;
};

// This machine's driver and this build's runtime.
CudaVersions cuda_versions();

// "13.0" for 13000.
std::string cuda_version_name(int version);

// The cause of `status` in one line, ending in "(cudaErrorName)". Only a GPU that cannot load this
// build's kernels (no kernel image or PTX for it) is told to rebuild with CMAKE_CUDA_ARCHITECTURES.
std::string explain(cudaError_t status, const CudaVersions& versions);

}  // namespace nabla::cuda
