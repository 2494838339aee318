#include "cuda/optimizer.hpp"

#include <vector>

#include "nabla/error.hpp"

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

void DeviceOptimizer::step(DeviceNetwork& net, const float* learning_rates, StepState* state, const float* squared_norm,
                           double clip_norm) {
    GemmMatrix& theta = net.parameters();
    update_parameters(stream_, spec_, biases_.data(), biases_.size(), theta.values.size(), theta.values.data(),
                      theta.copy_or_null(), net.gradient().data(), m_.data(), v_.data(), learning_rates, state,
                      net.loss_and_correct().data(), corrections_.data(), squared_norm, clip_norm);
}

void DeviceOptimizer::save(TrainingState& state) const {
    state.moment1.resize(m_.size());
    state.moment2.resize(v_.size());
    if (m_.size()) m_.download(state.moment1, stream_);
    if (v_.size()) v_.download(state.moment2, stream_);
}

void DeviceOptimizer::restore(const TrainingState& state) {
    if (state.moment1.size() != m_.size() || state.moment2.size() != v_.size())
        throw Error("checkpoint's optimizer state does not match the optimizer");
    if (m_.size()) m_.upload(state.moment1, stream_);
    if (v_.size()) v_.upload(state.moment2, stream_);
}

}  // namespace nabla::cuda
