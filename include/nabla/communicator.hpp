/// @file
/// The processes that train one model together (docs/distributed.md), as the trainer sees them:
/// sums and a broadcast across all of them.
#pragma once

#include <cstddef>
#include <span>

namespace nabla {

/// Sums and a broadcast across the processes that train one model together; every process calls
/// the same functions in the same order. This base class is one process alone, for which a sum
/// leaves its buffer as it is. nabla's program implements it with MPI under mpirun (buffers in
/// host memory), and the CUDA backend with NCCL for the GPUs of such a job (buffers in the GPU's
/// memory, the operations queued in order with the GPU's other work).
class Communicator {
public:
    virtual ~Communicator() = default;

    virtual int rank() const { return 0; }        ///< this process: 0 … size() − 1
    virtual int size() const { return 1; }        ///< the processes training together
    virtual int local_rank() const { return 0; }  ///< this process among those on its machine (the GPU it takes)

    /// Adds the buffer element-wise across all processes, in place: every process ends with the sums.
    virtual void sum(std::span<float> buffer) { (void)buffer; }
    virtual void sum(std::span<double> buffer) { (void)buffer; }  ///< the same for doubles

    /// Starts sum(buffer) and may return before it is done; the buffer must stay put until
    /// finish_sums(). Lets a sum run while the backward pass computes the layers below.
    virtual void start_sum(std::span<float> buffer) { sum(buffer); }
    virtual void finish_sums() {}  ///< waits until every sum started has finished

    /// Copies rank 0's buffer into every other process's.
    virtual void broadcast(std::span<std::byte> buffer) { (void)buffer; }
};

/// The one process alone: a Communicator whose sums change nothing.
Communicator& alone();

}  // namespace nabla
