// Learning-rate schedules: the rate η_t used at step t of a run of `total` steps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace nabla {

struct Schedule {
    enum class Kind : std::uint8_t { constant, step, cosine };
    Kind kind = Kind::constant;
    std::size_t step_epochs = 10;  // step: multiply by gamma every step_epochs epochs
    double gamma = 0.1;
    double min_factor = 0.0;       // cosine: the final rate as a fraction of the base rate

    // η at a given step (0-based), with steps_per_epoch steps an epoch and total steps in all.
    double rate(double base, std::size_t step, std::size_t steps_per_epoch, std::size_t total) const;
    void validate() const;
};

const char* schedule_name(Schedule::Kind kind);
Schedule::Kind parse_schedule(const std::string& name);

}  // namespace nabla
