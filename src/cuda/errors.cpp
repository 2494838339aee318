#include "cuda/errors.hpp"

namespace nabla::cuda {

CudaVersions cuda_versions() {
    CudaVersions v;
    if (cudaDriverGetVersion(&v.driver) != cudaSuccess) v.driver = 0;
    if (cudaRuntimeGetVersion(&v.runtime) != cudaSuccess) v.runtime = 0;
    return v;
}

std::string cuda_version_name(int version) {
    return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

namespace {

std::string cause(cudaError_t status, const CudaVersions& v) {
    const std::string runtime = "CUDA " + cuda_version_name(v.runtime);
    switch (status) {
        case cudaErrorInsufficientDriver:
            // The statically linked runtime opens libcuda.so.1; without it the driver reads as 0.
            if (v.driver == 0)
                return "no NVIDIA driver is installed (libcuda.so.1 not found); this nabla needs one for " + runtime;
            return "the NVIDIA driver supports CUDA " + cuda_version_name(v.driver) + ", older than the " + runtime +
                   " this nabla was built with: install a newer driver";
        case cudaErrorCompatNotSupportedOnDevice:
            return "this GPU cannot run " + runtime +
                   " through the forward-compatibility package: install a driver for " + runtime;
        case cudaErrorSystemDriverMismatch:
            return "the NVIDIA kernel module and libcuda.so are different driver versions: reinstall the driver or "
                   "reboot";
        case cudaErrorNoDevice:
            return "the NVIDIA driver finds no GPU (check CUDA_VISIBLE_DEVICES and nvidia-smi)";
        case cudaErrorSystemNotReady:
            return "the GPUs are not ready: on an NVSwitch machine (HGX, DGX) start the NVIDIA fabric manager "
                   "(nvidia-fabricmanager)";
        case cudaErrorDevicesUnavailable:
            return "the GPU is unavailable: its compute mode is exclusive-process (or prohibited) and another process "
                   "holds it (nvidia-smi -q -d COMPUTE)";
        case cudaErrorMemoryAllocation:
            return "the GPU is out of memory (other processes on it: nvidia-smi; or try a smaller --batch)";
        case cudaErrorInitializationError:
            return "the CUDA driver failed to initialise (see nvidia-smi and the kernel log)";
        case cudaErrorNoKernelImageForDevice:
        case cudaErrorInvalidPtx:
        case cudaErrorUnsupportedPtxVersion:
            return "the GPU cannot load this build's kernels (they were compiled for other architectures): rebuild "
                   "nabla with -DCMAKE_CUDA_ARCHITECTURES set to the GPU's compute capability (90 for H100 and H200)";
        default: return cudaGetErrorString(status);
    }
}

}  // namespace

std::string explain(cudaError_t status, const CudaVersions& versions) {
    return cause(status, versions) + " (" + cudaGetErrorName(status) + ")";
}

}  // namespace nabla::cuda
