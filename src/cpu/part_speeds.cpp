#include "cpu/part_speeds.hpp"

#include <algorithm>

namespace nabla::cpu {

void PartSpeeds::cut(std::size_t extent, int parts, std::size_t* cut) const {
    double total = 0;
    for (int p = 0; p < parts; ++p) total += speed_[std::size_t(p)].load(std::memory_order_relaxed);
    double before = 0;  // the speeds of the parts before p
    cut[0] = 0;
    for (int p = 1; p < parts; ++p) {
        before += speed_[std::size_t(p - 1)].load(std::memory_order_relaxed);
        const auto at = std::size_t(double(extent) * before / total / 16 + 0.5) * 16;
        cut[p] = std::clamp(at, cut[p - 1], extent);
    }
    cut[parts] = extent;
}

void PartSpeeds::learn(const std::size_t* cut, const double* seconds, int parts) {
    // Speeds relative to the product's mean rate: products differ in the work per row, and only
    // the ratios between threads matter.
    double rate[tracked];
    double sum = 0;
    int measured = 0;
    for (int p = 0; p < parts; ++p) {
        const std::size_t block = cut[p + 1] - cut[p];
        rate[p] = block > 0 && seconds[p] > 1e-6 ? double(block) / seconds[p] : 0.0;
        if (rate[p] > 0) sum += rate[p], ++measured;
    }
    if (measured < 2) return;
    const double mean = sum / measured;
    for (int p = 0; p < parts; ++p) {
        if (rate[p] == 0) continue;
        std::atomic<double>& speed = speed_[std::size_t(p)];
        speed.store(0.75 * speed.load(std::memory_order_relaxed) + 0.25 * rate[p] / mean, std::memory_order_relaxed);
    }
}

PartSpeeds& part_speeds() {
    static PartSpeeds speeds;
    return speeds;
}

}  // namespace nabla::cpu
