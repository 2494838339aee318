// The CUDA runtime as the backend uses it: failed calls become nabla::Error, and the stream and
// device memory are owned by objects that release them.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <span>
#include <utility>

namespace nabla::cuda {

/// @{ Throws Error("CUDA: CALL failed: REASON") unless the call succeeded.
void check(cudaError_t status, const char* call);
void check(cublasStatus_t status, const char* call);
/// @}

// The stream every operation of one run is ordered on; the device work of a run is this one queue.
class Stream {
public:
    Stream();
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    cudaStream_t get() const { return stream_; }
    void synchronize() const;  // waits until everything queued so far has run

private:
    cudaStream_t stream_ = nullptr;
};

// `count` values of T in device memory, uninitialised.
template <class T>
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t count) : count_(count) {
        if (count > 0) check(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)), "cudaMalloc");
    }
    ~DeviceBuffer() { cudaFree(data_); }
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(count_, other.count_);
        return *this;
    }

    T* data() { return data_; }
    const T* data() const { return data_; }
    std::size_t size() const { return count_; }

    // Copies host values to the start of the buffer, ordered on stream. The host memory may be
    // reused as soon as this returns: a copy from pageable memory is staged before the call returns.
    void upload(std::span<const T> host, cudaStream_t stream, std::size_t offset = 0) {
        check(cudaMemcpyAsync(data_ + offset, host.data(), host.size_bytes(), cudaMemcpyHostToDevice, stream),
              "cudaMemcpyAsync (to the device)");
    }
    // Copies the buffer's first host.size() values back once the work queued on stream has run.
    void download(std::span<T> host, cudaStream_t stream, std::size_t offset = 0) const {
        check(cudaMemcpyAsync(host.data(), data_ + offset, host.size_bytes(), cudaMemcpyDeviceToHost, stream),
              "cudaMemcpyAsync (to the host)");
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }

private:
    T* data_ = nullptr;
    std::size_t count_ = 0;
};

}  // namespace nabla::cuda
