/// @file
/// Learning-rate schedules: the rate η_t used at step t of a run of `total` steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nabla {

/// How the learning rate changes over a run.
struct Schedule {
    /// Constant η; η × gamma every step_epochs epochs; or a cosine decay to min_factor × η.
    enum class Kind : std::uint8_t { constant, step, cosine };
    Kind kind = Kind::constant;  ///< the shape of the schedule
    std::size_t step_epochs = 10;  ///< step: multiply by gamma every step_epochs epochs
    double gamma = 0.1;  ///< step: the factor applied every step_epochs epochs
    double min_factor = 0.0;       ///< cosine: the final rate as a fraction of the base rate

    /// η at a given step (0-based), with steps_per_epoch steps an epoch and total steps in all.
    double rate(double base, std::size_t step, std::size_t steps_per_epoch, std::size_t total) const;
    void validate() const;  ///< Error on a non-finite or out-of-range value
};

const char* schedule_name(Schedule::Kind kind);  ///< "constant", "step" or "cosine"
Schedule::Kind parse_schedule(const std::string& name);  ///< accepts the names schedule_name gives; Error otherwise

}  // namespace nabla
