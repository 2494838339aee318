// How much memory a training run needs, checked before anything large is allocated, so that an
// absurd network or batch is refused with a message instead of ending in the OOM killer.
#include <fstream>
#include <string>

#include "memory.hpp"

namespace nabla {

std::uint64_t training_memory_bytes(const NetworkSpec& spec, std::size_t batch, OptimizerKind optimizer, bool dropout) {
    spec.validate();
    long double parameters = 0, units = 0;
    for (std::size_t l = 1; l < spec.layers.size(); ++l) {
        parameters += (long double)(spec.layers[l]) * (long double)(spec.layers[l - 1] + 1);
        units += (long double)(spec.layers[l]);
    }
    const int moments = optimizer == OptimizerKind::sgd ? 0 : optimizer == OptimizerKind::momentum ? 1 : 2;
    const long double per_sample = units * (dropout ? 4 : 2) + (long double)(spec.layers.front() + spec.layers.back());
    const long double bytes = sizeof(float) * (parameters * (2 + moments) + per_sample * (long double)(batch));
    return bytes > 1.8e19L ? UINT64_MAX : std::uint64_t(bytes);
}

std::uint64_t available_memory_bytes() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    while (meminfo >> key >> kib) {
        if (key == "MemAvailable:") return kib * 1024;
        meminfo.ignore(64, '\n');
    }
    return 0;
}

}  // namespace nabla
