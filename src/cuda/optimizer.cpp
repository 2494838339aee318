#include "cuda/optimizer.hpp"

#include <vector>

namespace nabla::cuda {

namespace {

std::size_t parameter_count(const DeviceNetwork& net) { return net.parameters().values.size(); }

// A zeroed buffer of count floats for a moment the rule keeps, else an empty one.
DeviceBuffer<float> moment(bool kept, std::size_t count, cudaStream_t stream) {
    if (!kept) return {};
    DeviceBuffer<float> buffer(count);
    check(cudaMemsetAsync(buffer.data(), 0, buffer.size() * sizeof(float), stream), "cudaMemsetAsync");
    return buffer;
}

}  // namespace

DeviceOptimizer::DeviceOptimizer(const OptimizerSpec& spec, const DeviceNetwork& net, cudaStream_t stream)
    : spec_(spec),
      stream_(stream),
      m_(moment(spec.kind != OptimizerKind::sgd, parameter_count(net), stream)),
      v_(moment(spec.kind == OptimizerKind::adam || spec.kind == OptimizerKind::adamw, parameter_count(net), stream)),
      biases_(net.layers().size()),
      corrections_(2) {
    spec_.validate();
    std::vector<BiasRange> biases;
    for (const LayerShape& s : net.layers()) biases.push_back({s.b_offset, s.b_offset + s.out});
    biases_.upload(biases, stream);
}

void DeviceOptimizer::step(DeviceNetwork& net, const float* learning_rates, const StepState* state) {
    GemmMatrix& theta = net.parameters();
    update_parameters(stream_, spec_, biases_.data(), biases_.size(), theta.values.size(), theta.values.data(),
                      theta.copy_or_null(), net.gradient().data(), m_.data(), v_.data(), learning_rates, state,
                      net.loss_and_correct().data(), corrections_.data());
}

}  // namespace nabla::cuda
