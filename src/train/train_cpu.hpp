// The training loop on the CPU (trainer.cpp), which train() (device.cpp) runs for Device::cpu.
#pragma once

#include <vector>

#include "nabla/trainer.hpp"

namespace nabla {

std::vector<EpochMetrics> train_cpu(Network<float>& net, const Dataset& data, const Dataset* validation,
                                    const TrainOptions& options);

}  // namespace nabla
