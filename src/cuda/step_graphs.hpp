// Training steps as CUDA graphs: a step is some twenty kernels and products, which one graph launch
// replays for about the cost of one, so small batches are not bound by launch latency.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>
#include <map>

namespace nabla::cuda {

// One graph per batch size n (a run has at most two: its batch, and the smaller last batch of an
// epoch). The first step of a size runs as queued, which also loads its kernels and lets cuBLAS
// settle its choices; the second is captured into a graph, which that step and all later ones
// replay. A step's changing inputs (sample order, learning rate, step count) are read from device
// memory, so the graph stays valid.
class StepGraphs {
public:
    explicit StepGraphs(cudaStream_t stream) : stream_(stream) {}
    ~StepGraphs();
    StepGraphs(const StepGraphs&) = delete;
    StepGraphs& operator=(const StepGraphs&) = delete;

    // Runs the step for n samples that `enqueue(n)` queues on the stream.
    void run(std::size_t n, const std::function<void(std::size_t)>& enqueue);

private:
    cudaGraphExec_t capture(std::size_t n, const std::function<void(std::size_t)>& enqueue);

    cudaStream_t stream_;
    std::map<std::size_t, cudaGraphExec_t> graphs_;  // null: seen once, not captured yet
};

}  // namespace nabla::cuda
