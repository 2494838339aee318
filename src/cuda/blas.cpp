#include "cuda/blas.hpp"

#include <dlfcn.h>

#include <string>

#include "nabla/error.hpp"

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

template <class F>
F symbol(void* library, const char* name) {
    void* p = dlsym(library, name);
    if (!p) throw Error(std::string("cuBLAS has no symbol ") + name);
    return reinterpret_cast<F>(p);
}

// This toolkit's cuBLAS: where the system finds libraries, else where the build found it.
Cublas open_cublas() {
    const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
    void* library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen((NABLA_CUDA_LIBRARY_DIR "/" + name).c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library)
        throw Error("cannot open cuBLAS (" + name + "): install the CUDA toolkit's cuBLAS, or add its directory to "
                    "LD_LIBRARY_PATH");
    Cublas c;
    c.create = symbol<decltype(c.create)>(library, "cublasCreate_v2");
    c.destroy = symbol<decltype(c.destroy)>(library, "cublasDestroy_v2");
    c.set_stream = symbol<decltype(c.set_stream)>(library, "cublasSetStream_v2");
    c.set_workspace = symbol<decltype(c.set_workspace)>(library, "cublasSetWorkspace_v2");
    c.set_atomics_mode = symbol<decltype(c.set_atomics_mode)>(library, "cublasSetAtomicsMode");
    c.gemm = symbol<decltype(c.gemm)>(library, "cublasGemmEx");
    c.status_string = symbol<decltype(c.status_string)>(library, "cublasGetStatusString");
    return c;
}

}  // namespace

const Cublas& cublas() {
    static const Cublas opened = open_cublas();
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
