#include "train/streamed_rows.hpp"

#include <algorithm>
#include <utility>

namespace nabla {

StreamedRows::StreamedRows(const data::NbdBlocks& file, const EpochOrder& order, RowRange share, Preprocessing inputs,
                           std::optional<TargetScaling> targets)
    : file_(file),
      order_(order),
      share_(share),
      inputs_(std::move(inputs)),
      targets_(std::move(targets)),
      x_width_(file.shape().x.cols),
      y_width_(file.shape().y.cols),
      where_(order.entries()) {
    reader_ = std::thread([this] { read_windows(); });
}

StreamedRows::~StreamedRows() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    reader_.join();
}

std::size_t StreamedRows::memory_bytes(const EpochOrder& order, std::size_t x_width, std::size_t y_width) {
    const std::size_t window_rows = order.block() * order.window_blocks();
    return 2 * window_rows * (x_width + y_width) * sizeof(float)  // two slots
           + window_rows * (sizeof(std::uint32_t) + sizeof(std::size_t))  // a window's order, a batch's samples
           + order.entries() * (sizeof(Place) + 2 * sizeof(std::size_t));  // places, the block order (twice)
}

void StreamedRows::start_epoch(std::span<const std::size_t> order, std::size_t position) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !reading_; });
    if (failed_) std::rethrow_exception(failed_);
    blocks_.assign(order.begin(), order.end());
    for (Slot& slot : slots_) slot.window = none;
    wanted_ = next_ = order_.window_of(position);
    started_ = true;
    changed_.notify_all();
}

void StreamedRows::prepare(std::size_t begin, std::size_t end) {
    const std::size_t first = order_.window_of(begin), last = order_.window_of(end - 1);
    std::unique_lock lock(mutex_);
    if (wanted_ != first) {
        wanted_ = first;
        changed_.notify_all();
    }
    changed_.wait(lock, [&] { return failed_ || (holds(first) && holds(last)); });
    if (failed_) std::rethrow_exception(failed_);
}

void StreamedRows::read_windows() {
    std::vector<std::pair<std::size_t, Place>> places;
    std::unique_lock lock(mutex_);
    for (;;) {
        // Two windows at most: the one trained on (and the next, when a batch spans both), and
        // the next read ahead.
        changed_.wait(lock, [&] {
            return stopping_ || (started_ && !failed_ && next_ < order_.windows() && next_ < wanted_ + 2);
        });
        if (stopping_) return;
        const std::size_t w = next_;
        Slot& slot = slots_[w % 2];
        slot.window = none;
        reading_ = true;
        lock.unlock();
        places.clear();
        std::exception_ptr failed;
        try {
            read_window(w, blocks_, slot, w % 2, places);  // start_epoch waits for it before changing blocks_
        } catch (...) {
            failed = std::current_exception();
        }
        lock.lock();
        reading_ = false;
        if (failed) {
            failed_ = failed;
        } else {
            for (const auto& [block, place] : places) where_[block] = place;
            slot.window = w;
            ++next_;
        }
        changed_.notify_all();
    }
}

void StreamedRows::read_window(std::size_t w, const std::vector<std::size_t>& blocks, Slot& slot,
                               std::size_t slot_index, std::vector<std::pair<std::size_t, Place>>& places) const {
    const std::size_t block_rows = order_.block(), n = order_.samples();
    std::size_t rows = 0;
    for (const std::size_t block : order_.blocks_of(blocks, w)) {
        const std::size_t begin = std::max(block * block_rows, share_.begin);
        const std::size_t end = std::min({(block + 1) * block_rows, n, share_.end});
        if (begin >= end) continue;  // another process's rows
        const std::size_t count = end - begin;
        if (slot.x.size() < (rows + count) * x_width_) slot.x.resize((rows + count) * x_width_);
        if (slot.y.size() < (rows + count) * y_width_) slot.y.resize((rows + count) * y_width_);
        float* x = slot.x.data() + rows * x_width_;
        float* y = slot.y.data() + rows * y_width_;
        file_.read({begin, end}, x, y);
        inputs_.apply_rows(x, count);
        if (targets_) targets_->apply_rows(y, count);
        places.emplace_back(block, Place{slot_index, std::ptrdiff_t(rows) - std::ptrdiff_t(begin)});
        rows += count;
    }
}

}  // namespace nabla
