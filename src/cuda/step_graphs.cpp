#include "cuda/step_graphs.hpp"

#include "cuda/runtime.hpp"

namespace nabla::cuda {

StepGraphs::~StepGraphs() {
    for (const auto& [n, graph] : graphs_)
        if (graph) cudaGraphExecDestroy(graph);
}

void StepGraphs::run(std::size_t n, const std::function<void(std::size_t)>& enqueue) {
    const auto [it, first] = graphs_.try_emplace(n, nullptr);
    if (first) {
        enqueue(n);
        return;
    }
    if (!it->second) it->second = capture(n, enqueue);
    check(cudaGraphLaunch(it->second, stream_), "cudaGraphLaunch");
}

cudaGraphExec_t StepGraphs::capture(std::size_t n, const std::function<void(std::size_t)>& enqueue) {
    check(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    cudaGraph_t graph = nullptr;
    try {
        enqueue(n);
    } catch (...) {
        cudaStreamEndCapture(stream_, &graph);  // leaves the stream usable
        if (graph) cudaGraphDestroy(graph);
        throw;
    }
    check(cudaStreamEndCapture(stream_, &graph), "cudaStreamEndCapture");
    cudaGraphExec_t exec = nullptr;
    const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    check(instantiated, "cudaGraphInstantiate");
    return exec;
}

}  // namespace nabla::cuda
