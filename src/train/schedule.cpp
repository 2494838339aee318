#include "nabla/schedule.hpp"

#include <cmath>

#include "nabla/error.hpp"

namespace nabla {

const char* schedule_name(Schedule::Kind kind) {
    switch (kind) {
        case Schedule::Kind::constant: return "constant";
        case Schedule::Kind::step: return "step";
        case Schedule::Kind::cosine: return "cosine";
    }
    return "unknown";
}

Schedule::Kind parse_schedule(const std::string& name) {
    if (name == "constant") return Schedule::Kind::constant;
    if (name == "step") return Schedule::Kind::step;
    if (name == "cosine") return Schedule::Kind::cosine;
    throw Error("unknown schedule '" + name + "' (expected constant, step or cosine)");
}

void Schedule::validate() const {
    if (step_epochs == 0) throw Error("schedule: step interval must be at least 1 epoch");
    if (!(gamma > 0 && gamma <= 1)) throw Error("schedule: gamma must be in (0, 1]");
    if (!(min_factor >= 0 && min_factor <= 1)) throw Error("schedule: minimum factor must be in [0, 1]");
}

double Schedule::rate(double base, std::size_t step, std::size_t steps_per_epoch, std::size_t total) const {
    switch (kind) {
        case Kind::constant: return base;
        case Kind::step: {
            const std::size_t epoch = steps_per_epoch ? step / steps_per_epoch : 0;
            return base * std::pow(gamma, double(epoch / step_epochs));
        }
        case Kind::cosine: {
            const double progress = total > 1 ? double(step) / double(total) : 0.0;
            const double factor = min_factor + (1 - min_factor) * 0.5 * (1 + std::cos(M_PI * progress));
            return base * factor;
        }
    }
    return base;
}

}  // namespace nabla
