/// @file
/// The random source behind initialisation, shuffling and dropout, from a seed: xoshiro256**
/// seeded by splitmix64, with our own uniform and normal transforms: the standard library's
/// distributions differ between implementations, and a seed must give the same run everywhere.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>

namespace nabla {

/// A seeded xoshiro256** generator: the same seed gives the same numbers everywhere. Its
/// constructor and next() are constexpr, which lets the CUDA kernels draw the same dropout masks
/// as the CPU from this one definition.
class Rng {
public:
    /// The generator seeded from `seed` through splitmix64.
    constexpr explicit Rng(std::uint64_t seed = 1) {
        for (auto& word : state_) word = splitmix64(seed);
    }

    /// The next 64 random bits.
    constexpr std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    constexpr double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }  ///< uniform in [lo, hi)

    /// Uniform integer in [0, n), without modulo bias (Lemire's method).
    std::uint64_t below(std::uint64_t n) {
        __extension__ using u128 = unsigned __int128;
        u128 m = static_cast<u128>(next()) * n;
        auto low = static_cast<std::uint64_t>(m);
        if (low < n) {
            const std::uint64_t threshold = -n % n;
            while (low < threshold) {
                m = static_cast<u128>(next()) * n;
                low = static_cast<std::uint64_t>(m);
            }
        }
        return static_cast<std::uint64_t>(m >> 64);
    }

    /// Standard normal by Box–Muller (one value per call; simple and reproducible).
    double normal() {
        const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

    const std::array<std::uint64_t, 4>& state() const { return state_; }  ///< the full state, for checkpoints
    void set_state(const std::array<std::uint64_t, 4>& state) { state_ = state; }  ///< continues from a saved state

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static constexpr std::uint64_t splitmix64(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::array<std::uint64_t, 4> state_{};
};

/// Fisher–Yates shuffle driven by Rng, identical on every platform.
template <class Vec>
void shuffle(Vec& items, Rng& rng) {
    for (std::size_t i = items.size(); i > 1; --i) {
        const std::size_t j = rng.below(i);
        std::swap(items[i - 1], items[j]);
    }
}

}  // namespace nabla
