/// @file
/// What a training run leaves for a person to read: per-epoch metrics as CSV and a learning-curve
/// picture (SVG: loss and accuracy per epoch) that any browser opens.
#pragma once

#include <string>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

/// Columns: epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_rmse,learning_rate,seconds,
/// samples_per_s (val_* empty when there was no validation data; accuracy columns empty for
/// regression). Written atomically.
void write_metrics_csv(const std::vector<EpochMetrics>& history, Task task, const std::string& path);

/// Two panels: loss (train and validation) and accuracy (classification) or RMSE (regression)
/// against epoch, with axes, ticks, a legend and the given title. Written atomically.
void write_learning_curve_svg(const std::vector<EpochMetrics>& history, Task task, const std::string& title,
                              const std::string& path);

}  // namespace nabla
