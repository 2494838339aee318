#include "train/epoch_order.hpp"

#include <algorithm>
#include <numeric>

namespace nabla {

EpochOrder EpochOrder::full(std::size_t samples) { return EpochOrder(samples, 1, 0, 0, true); }

EpochOrder EpochOrder::windowed(std::size_t samples, std::size_t block, std::size_t window, std::uint64_t seed,
                                bool shuffle) {
    return EpochOrder(samples, std::max<std::size_t>(block, 1), std::max<std::size_t>(window, 1), seed, shuffle);
}

std::size_t EpochOrder::entries() const { return is_windowed() ? (samples_ + block_ - 1) / block_ : samples_; }

std::size_t EpochOrder::windows() const {
    return is_windowed() ? (entries() + window_ - 1) / window_ : 1;
}

std::vector<std::size_t> EpochOrder::initial() const {
    std::vector<std::size_t> order(entries());
    std::iota(order.begin(), order.end(), std::size_t(0));
    return order;
}

void EpochOrder::shuffle(std::vector<std::size_t>& order, Rng& rng) const {
    if (!is_windowed()) return nabla::shuffle(order, rng);
    std::span<std::size_t> whole_blocks(order.data(), full_blocks());  // a shorter last block stays last
    nabla::shuffle(whole_blocks, rng);
}

bool EpochOrder::valid(std::span<const std::size_t> order) const {
    const std::size_t n = entries();
    if (order.size() != n) return false;
    std::vector<bool> seen(n, false);
    for (const std::size_t entry : order) {
        if (entry >= n || seen[entry]) return false;
        seen[entry] = true;
    }
    return !is_windowed() || full_blocks() == n || order.back() == n - 1;
}

std::span<const std::size_t> EpochOrder::blocks_of(std::span<const std::size_t> order, std::size_t w) const {
    const std::size_t first = w * window_;
    if (first >= order.size()) return {};
    return order.subspan(first, std::min(window_, order.size() - first));
}

namespace {

// splitmix64's finaliser: nearby inputs give unrelated outputs.
std::uint64_t mixed(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

const std::vector<std::uint32_t>& EpochOrder::rows_of(std::span<const std::size_t> order, std::size_t epoch,
                                                      std::size_t w) {
    if (!rows_.empty() && rows_epoch_ == epoch && rows_window_ == w) return rows_;
    std::size_t count = 0;
    for (const std::size_t block : blocks_of(order, w)) count += std::min(block_, samples_ - block * block_);
    rows_.resize(count);
    std::iota(rows_.begin(), rows_.end(), std::uint32_t(0));
    if (shuffle_rows_) {
        Rng rng(mixed(mixed(mixed(seed_) ^ epoch) ^ w));
        nabla::shuffle(rows_, rng);
    }
    rows_epoch_ = epoch;
    rows_window_ = w;
    return rows_;
}

std::span<const std::size_t> EpochOrder::samples(std::span<const std::size_t> order, std::size_t epoch,
                                                 std::size_t begin, std::size_t end) {
    if (!is_windowed()) return order.subspan(begin, end - begin);
    batch_.clear();
    const std::size_t window_rows = block_ * window_;
    for (std::size_t p = begin; p < end;) {
        const std::size_t w = window_of(p), stop = std::min(end, (w + 1) * window_rows);
        const std::vector<std::uint32_t>& rows = rows_of(order, epoch, w);
        const std::span<const std::size_t> blocks = blocks_of(order, w);
        // Every block of a window but a shorter last one is whole: row r is row r % block of its
        // r / block-th block.
        for (; p < stop; ++p) {
            const std::size_t r = rows[p - w * window_rows];
            batch_.push_back(blocks[r / block_] * block_ + r % block_);
        }
    }
    return batch_;
}

}  // namespace nabla
