#include "cuda/blas.hpp"

#include <string>

#include "core/shared_library.hpp"

namespace nabla::cuda {

namespace {

// cuBLAS's suggested workspace on Hopper. Given to it up front, so that it never allocates one
// while a step is being captured into a graph.
constexpr std::size_t workspace_bytes = std::size_t(32) << 20;

cudaDataType input_type(Precision precision) { return precision == Precision::bf16 ? CUDA_R_16BF : CUDA_R_32F; }

// TF32 is fp32 storage with tensor-core products on inputs rounded to a 10-bit mantissa.
cublasComputeType_t compute_type(Precision precision) {
    return precision == Precision::tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
}

cublasOperation_t operation(bool transpose) { return transpose ? CUBLAS_OP_T : CUBLAS_OP_N; }

}  // namespace

Cublas open_cublas(const std::string& file, const std::string& fallback_dir) {
    const SharedLibrary library("cuBLAS", {file}, fallback_dir,
                                "install the CUDA toolkit's cuBLAS, or add its directory to LD_LIBRARY_PATH");
    Cublas c;
    c.create = library.function<decltype(c.create)>("cublasCreate_v2");
    c.destroy = library.function<decltype(c.destroy)>("cublasDestroy_v2");
    c.set_stream = library.function<decltype(c.set_stream)>("cublasSetStream_v2");
    c.set_workspace = library.function<decltype(c.set_workspace)>("cublasSetWorkspace_v2");
    c.set_atomics_mode = library.function<decltype(c.set_atomics_mode)>("cublasSetAtomicsMode");
    c.gemm = library.function<decltype(c.gemm)>("cublasGemmEx");
    c.status_string = library.function<decltype(c.status_string)>("cublasGetStatusString");
    return c;
}

// This toolkit's cuBLAS: where the system finds libraries, else where the build found it.
const Cublas& cublas() {
    static const Cublas opened =
        open_cublas("libcublas.so." + std::to_string(CUBLAS_VER_MAJOR), NABLA_CUDA_LIBRARY_DIR);
    return opened;
}

Blas::Blas(const Stream& stream, Precision precision) : precision_(precision), workspace_(workspace_bytes) {
    check(cublas().create(&handle_), "cublasCreate");
    try {
        check(cublas().set_stream(handle_, stream.get()), "cublasSetStream");
        check(cublas().set_workspace(handle_, workspace_.data(), workspace_bytes), "cublasSetWorkspace");
        // Bitwise the same results run to run: no reductions through atomics (cuBLAS's default,
        // stated here because fp32 runs rely on it).
        check(cublas().set_atomics_mode(handle_, CUBLAS_ATOMICS_NOT_ALLOWED), "cublasSetAtomicsMode");
    } catch (...) {
        cublas().destroy(handle_);
        throw;
    }
}

Blas::~Blas() { cublas().destroy(handle_); }

void Blas::gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const void* A,
                std::size_t lda, const void* B, std::size_t ldb, float beta, float* C, std::size_t ldc) const {
    // cuBLAS is column-major, where a row-major matrix reads as its transpose: row-major
    // C = op(A) op(B) is column-major Cᵀ = op(B)ᵀ op(A)ᵀ, so B goes first.
    const cudaDataType type = input_type(precision_);
    check(cublas().gemm(handle_, operation(trans_b), operation(trans_a), int(n), int(m), int(k), &alpha, B, type,
                       int(ldb), A, type, int(lda), &beta, C, CUDA_R_32F, int(ldc), compute_type(precision_),
                       CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
}

}  // namespace nabla::cuda
