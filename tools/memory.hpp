// How much memory a training run needs, and how much the machine can give: `nabla train` checks
// them before anything large is allocated (--max-memory).
#pragma once

#include <cstddef>
#include <cstdint>

#include "nabla/network.hpp"
#include "nabla/optimizer.hpp"

namespace nabla {

// Bytes a training run of spec at this batch size holds besides its data: parameters, gradients,
// optimizer moments, and the per-layer activations and errors of a batch (with dropout masks).
std::uint64_t training_memory_bytes(const NetworkSpec& spec, std::size_t batch, OptimizerKind optimizer, bool dropout);

// Memory the system can give this process now: MemAvailable, or its control group's memory limit
// where that is lower; 0 where it cannot tell.
std::uint64_t available_memory_bytes();

}  // namespace nabla
