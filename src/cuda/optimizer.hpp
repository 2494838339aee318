// An optimizer on the GPU: its moments beside the network's parameters, and the update kernel that
// applies Optimizer<float>::step's rule to all of them at once.
#pragma once

#include "cuda/device_network.hpp"
#include "nabla/optimizer.hpp"
#include "nabla/trainer.hpp"

namespace nabla::cuda {

class DeviceOptimizer {
public:
    // Moments for net's parameters, at zero, as Optimizer<float> starts them.
    DeviceOptimizer(const OptimizerSpec& spec, const DeviceNetwork& net, cudaStream_t stream);

    // Queues one update of net's parameters from its gradient, with the learning rate of the
    // state's step, clipped to clip_norm when squared_norm is given, and skipped when its loss is
    // not finite (kernels.hpp: update_parameters).
    void step(DeviceNetwork& net, const float* learning_rates, StepState* state, const float* squared_norm = nullptr,
              double clip_norm = 0.0);

    // The moments into (or from) a checkpoint's state, in Optimizer<float>'s layout.
    void save(TrainingState& state) const;
    void restore(const TrainingState& state);

private:
    OptimizerSpec spec_;
    cudaStream_t stream_;
    DeviceBuffer<float> m_, v_;  // velocity or Adam's m; Adam's v (empty where the rule has none)
    DeviceBuffer<BiasRange> biases_;  // which parameters weight decay leaves alone
    DeviceBuffer<float> corrections_;  // Adam's bias corrections of the current step
};

}  // namespace nabla::cuda
