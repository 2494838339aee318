/// @file
/// Checkpoints: the complete state of a training run, so that a run stopped at any moment (kill -9
/// included) resumes exactly where it was and ends bitwise identical to an uninterrupted one.
/// A checkpoint file is a model file (docs/model-format.md) with one more section, so `eval`,
/// `predict` and `info` read it as the model it holds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nabla/model.hpp"
#include "nabla/preprocess.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

/// What a checkpoint file holds: the model so far and the state to resume its training from.
struct Checkpoint {
    Model model;  ///< the network as it trains, and everything needed to use it, as in a model file
    TrainingState state;  ///< where the run was
    /// A run that learns standardised regression targets: their scale, which model.network's
    /// outputs have not yet been multiplied back by. load_model() on the file folds it in, so that
    /// `eval` and `predict` on a checkpoint answer in target units.
    std::optional<TargetScaling> target_scaling;
};

/// Written atomically, like a model: a crash during the save leaves the previous checkpoint whole.
/// Error if `target_scaling` does not fit a regression model's outputs.
void save_checkpoint(const Model& model, const TrainingState& state, const std::string& path,
                     const std::optional<TargetScaling>& target_scaling = std::nullopt);

/// Error if the file is not a valid model file or holds no training state.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace nabla
