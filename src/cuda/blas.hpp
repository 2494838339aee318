// The CUDA backend's matrix products: cuBLAS on the run's stream, row-major like cpu/blas.hpp, in
// the run's precision.
#pragma once

#include <cublas_v2.h>

#include <cstddef>
#include <span>
#include <string>

#include "cuda/kernels.hpp"
#include "cuda/runtime.hpp"
#include "nabla/device.hpp"

namespace nabla::cuda {

// A matrix the passes compute in fp32 and a matrix product reads. In bf16 precision it keeps a bf16
// copy beside the fp32 values, which the kernel that writes them writes too; products read that.
struct GemmMatrix {
    DeviceBuffer<float> values;
    DeviceBuffer<bf16> copy;  // empty unless the precision is bf16

    GemmMatrix(std::size_t count, Precision precision)
        : values(count), copy(precision == Precision::bf16 ? count : 0) {}

    bf16* copy_or_null() { return copy.size() ? copy.data() : nullptr; }
    // The element at `offset` as a product reads it: in the copy if there is one.
    const void* gemm_input(std::size_t offset = 0) const {
        return copy.size() ? static_cast<const void*>(copy.data() + offset) : values.data() + offset;
    }
    // Copies host values to the start of the matrix, and to its copy.
    void upload(std::span<const float> host, cudaStream_t stream) {
        values.upload(host, stream);
        if (copy.size()) to_bf16(stream, values.data(), copy.data(), host.size());
    }
};

// cuBLAS is opened at run time, by the first run on the GPU, rather than linked: its libraries are
// some 600 MB, which every start of the program, on the CPU too, would otherwise map and relocate
// (0.1 s and 200 MB of memory). Error if it cannot be opened.
struct Cublas {
    decltype(&cublasCreate_v2) create;
    decltype(&cublasDestroy_v2) destroy;
    decltype(&cublasSetStream_v2) set_stream;
    decltype(&cublasSetWorkspace_v2) set_workspace;
    decltype(&cublasSetAtomicsMode) set_atomics_mode;
    cublasStatus_t (*gemm)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                           const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                           cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t);  // C++ overloads the name
    decltype(&cublasGetStatusString) status_string;
};
const Cublas& cublas();  // this toolkit's, opened once
// cuBLAS from `file`, by the system's search path, else in fallback_dir.
Cublas open_cublas(const std::string& file, const std::string& fallback_dir);

class Blas {
public:
    // cuBLAS on stream, computing products in `precision`.
    Blas(const Stream& stream, Precision precision);
    ~Blas();
    Blas(const Blas&) = delete;
    Blas& operator=(const Blas&) = delete;

    // C (m × n) = alpha · op(A) · op(B) + beta · C, all row-major; op(A) is m × k, op(B) is k × n. A
    // and B are gemm_input()s of this precision; C is fp32.
    void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const void* A,
              std::size_t lda, const void* B, std::size_t ldb, float beta, float* C, std::size_t ldc) const;

private:
    cublasHandle_t handle_ = nullptr;
    Precision precision_;
    DeviceBuffer<unsigned char> workspace_;
};

}  // namespace nabla::cuda
