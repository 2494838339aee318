/// @file
/// Checkpoints: the complete state of a training run, so that a run stopped at any moment (kill -9
/// included) resumes exactly where it was and ends bitwise identical to an uninterrupted one.
/// A checkpoint file is a model file (docs/model-format.md) with one more section, so `eval`,
/// `predict` and `info` read it as the model it holds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nabla/model.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

/// What a checkpoint file holds: the model so far and the state to resume its training from.
struct Checkpoint {
    Model model;  ///< the network and everything needed to use it, as in a model file
    TrainingState state;  ///< where the run was
};

/// Written atomically, like a model: a crash during the save leaves the previous checkpoint whole.
void save_checkpoint(const Model& model, const TrainingState& state, const std::string& path);

/// Error if the file is not a valid model file or holds no training state.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace nabla
