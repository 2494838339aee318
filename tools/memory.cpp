// How much memory a training run needs, checked before anything large is allocated, so that an
// absurd network or batch is refused with a message instead of ending in the OOM killer.
#include <algorithm>
#include <fstream>
#include <optional>
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

namespace {

// MemAvailable of /proc/meminfo: what the machine can give without swapping; 0 if unknown.
std::uint64_t machine_available() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    std::uint64_t kib = 0;
    while (meminfo >> key >> kib) {
        if (key == "MemAvailable:") return kib * 1024;
        meminfo.ignore(64, '\n');
    }
    return 0;
}

// The first number in a file; nullopt when it cannot be read or is not one ("max").
std::optional<std::uint64_t> number_in(const std::string& path) {
    std::ifstream in(path);
    std::uint64_t value = 0;
    if (in >> value) return value;
    return std::nullopt;
}

// The memory limit of this process's control group, cgroup v2 (memory.max) or v1
// (memory.limit_in_bytes), where one is set: a run in a container or under systemd may not take
// what the machine has.
std::optional<std::uint64_t> group_limit() {
    std::ifstream groups("/proc/self/cgroup");
    for (std::string line; std::getline(groups, line);) {
        const std::size_t first = line.find(':'), second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1), path = line.substr(second + 1);
        std::optional<std::uint64_t> limit;
        if (controllers.empty())  // v2
            limit = number_in("/sys/fs/cgroup" + path + "/memory.max");
        else if (controllers == "memory" || controllers.find("memory,") != std::string::npos ||
                 controllers.find(",memory") != std::string::npos)
            limit = number_in("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
        if (limit && *limit < (std::uint64_t(1) << 60)) return limit;  // v1 writes "no limit" as about 2^63
    }
    return std::nullopt;
}

}  // namespace

std::uint64_t available_memory_bytes() {
    const std::uint64_t machine = machine_available();
    const std::optional<std::uint64_t> group = group_limit();
    if (!group) return machine;
    return machine == 0 ? *group : std::min(machine, *group);
}

}  // namespace nabla
