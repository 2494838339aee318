// GPU processes of a data-parallel run (docs/distributed.md): each process takes one GPU, and the
// gradients are summed on the GPUs with NCCL (over NVLink, PCIe or the network, whichever NCCL
// finds), never through host memory. NCCL is opened at run time, like cuBLAS, so a run on one GPU
// never needs it.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "nabla/trainer.hpp"

namespace nabla::cuda {

// Makes this process's GPU the current one: its rank among the processes on its machine, modulo
// the machine's GPUs. Comes before anything else of the run touches the GPU.
void select_device(const DataParallel& parallel);

// The run's NCCL communicator: one member a process, rank for rank as in DataParallel.
class Nccl {
public:
    // Rank 0 makes the communicator's id, parallel.broadcast gives it to the others, and every
    // process joins (which waits for all of them).
    explicit Nccl(const DataParallel& parallel);
    ~Nccl();
    Nccl(const Nccl&) = delete;
    Nccl& operator=(const Nccl&) = delete;

    // Each buffer (values, count) ← its sum over the processes, in place, ordered on stream; the
    // buffers go as one fused operation.
    struct Buffer {
        float* values;
        std::size_t count;
    };
    void sum(std::initializer_list<Buffer> buffers, cudaStream_t stream) const;

private:
    void* comm_ = nullptr;  // ncclComm_t
};

}  // namespace nabla::cuda
