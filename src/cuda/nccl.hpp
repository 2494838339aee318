// GPU processes of a data-parallel run (docs/distributed.md): each process takes one GPU, and the
// gradients are summed on the GPUs with NCCL (over NVLink, PCIe or the network, whichever NCCL
// finds), never through host memory. NCCL is opened at run time, like cuBLAS, so a run on one GPU
// never needs it.
//
// One process failing must end the job, never leave the others waiting in a sum that will not
// complete. So the communicator is non-blocking, and every wait on it polls: NCCL's asynchronous
// error (a peer's connection lost, …) or no progress for the timeout aborts the communicator, which
// also stops its kernels on the GPU, and throws Error; the process then exits, and the launcher
// ends the rest (docs/GPU.md, "When a process fails").
#pragma once

#include <cuda_runtime_api.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include "nabla/trainer.hpp"

namespace nabla::cuda {

// Makes this process's GPU the current one: its rank among the processes on its machine, modulo
// the machine's GPUs. Comes before anything of the run makes a context, so that no process makes
// one on a GPU other than its own.
void select_device(const DataParallel& parallel);

// How long a wait on the other processes may go without progress before the job is taken for
// stuck: NABLA_NCCL_TIMEOUT seconds, else 300 (far above a step or NCCL's connection set-up).
std::chrono::duration<double> nccl_timeout();

// The run's NCCL communicator: one member a process, rank for rank as in DataParallel. As a
// Communicator its buffers are in the GPU's memory, and its sums and broadcasts are queued on
// `stream` in order with the run's other work: they return at once, and have happened for the
// work queued after them. start_sum() queues sums into one fused operation, which finish_sums()
// issues.
class Nccl final : public Communicator {
public:
    // Rank 0 makes the communicator's id, the processes' broadcast gives it to the others, and every
    // process joins (which waits for all of them, under the timeout).
    Nccl(const DataParallel& parallel, cudaStream_t stream);
    // Finalizes (flushing what was issued) and destroys the communicator; aborts it instead when
    // the run is ending by an exception or it already failed, so that no peer waits on it.
    ~Nccl();
    Nccl(const Nccl&) = delete;
    Nccl& operator=(const Nccl&) = delete;

    int rank() const override { return host_.rank(); }
    int size() const override { return host_.size(); }
    int local_rank() const override { return host_.local_rank(); }

    void sum(std::span<float> buffer) override;
    void sum(std::span<double> buffer) override;
    // The host runs at most `in_flight` fused sums ahead of the GPU: the first start_sum of one
    // waits (polling) for the one that many back.
    void start_sum(std::span<float> buffer) override;
    void finish_sums() override;
    void broadcast(std::span<std::byte> buffer) override;

    // Waits until everything queued on the stream has run, polling the communicator as it waits.
    void wait() const;

private:
    static constexpr std::size_t in_flight = 4;

    // Returns once `done` gives cudaSuccess (null: once the communicator's pending operation has
    // completed); aborts the communicator and throws Error on an NCCL error, a CUDA error or the
    // timeout, `what` naming what was waited for.
    void await(const std::function<cudaError_t()>& done, const char* what) const;
    [[noreturn]] void fail(const std::string& message) const;

    // Queues one reduction of `count` values of NCCL type `type` into the open group.
    void reduce(void* values, std::size_t count, int type);

    Communicator& host_;    // the processes (MPI): ranks, and the broadcast of the id
    cudaStream_t stream_;
    bool grouping_ = false;  // a fused sum is open (start_sum)
    void* comm_ = nullptr;  // ncclComm_t
    mutable bool aborted_ = false;
    std::chrono::duration<double> timeout_;
    std::array<cudaEvent_t, in_flight> sums_{};  // recorded after each of the last sums, in turn
    std::size_t sums_queued_ = 0;
};

}  // namespace nabla::cuda
