// What a training step whose loss is not finite does to the run (TrainOptions::on_divergence): one
// rule for the training loop on the host and for the CUDA step, which applies it on the device so
// that its queued steps need not wait for the host.
#pragma once

#include <cstdint>

#include "core/host_device.hpp"

namespace nabla {

// A step's verdict: its update was made; it was skipped (no update, training goes on); or the run
// stops here (no update, and none after it).
enum class StepVerdict : std::uint32_t { update = 0, skip = 1, stop = 2 };

// A step with a finite loss updates. One that is not finite takes no update: it is skipped when
// diverged batches are skipped, the weights are still finite, and fewer than ten steps in a row
// were skipped; otherwise the run stops. `skipped_in_a_row` carries the count from step to step.
NABLA_HOST_DEVICE inline StepVerdict judge_step(bool loss_finite, bool weights_finite, bool skip_batches,
                                                std::uint32_t& skipped_in_a_row) {
    if (loss_finite) {
        skipped_in_a_row = 0;
        return StepVerdict::update;
    }
    if (skip_batches && weights_finite && ++skipped_in_a_row < 10) return StepVerdict::skip;
    return StepVerdict::stop;
}

}  // namespace nabla
