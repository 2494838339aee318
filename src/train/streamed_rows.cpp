#include "train/streamed_rows.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
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
    const std::size_t rows = std::min(order.block() * order.window_blocks(), share.end - share.begin);
    for (Slot& slot : slots_) {
        slot.x = allocate(rows * x_width_);
        slot.y = allocate(rows * y_width_);
    }
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

void StreamedRows::FreeFloats::operator()(float* p) const { std::free(p); }

// On transparent huge pages where the kernel gives them on request (Linux's "madvise" mode): rows
// gathered from all over a window then take a TLB miss per 2 MB instead of per 4 KB.
StreamedRows::Floats StreamedRows::allocate(std::size_t count) {
    constexpr std::size_t huge_page = std::size_t(2) << 20;
    const std::size_t bytes = std::max<std::size_t>((count * sizeof(float) + huge_page - 1) / huge_page, 1) * huge_page;
    void* p = std::aligned_alloc(huge_page, bytes);
    if (!p) throw std::bad_alloc();
    ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only
    return Floats(static_cast<float*>(p));
}

std::size_t StreamedRows::memory_bytes(const EpochOrder& order, std::size_t x_width, std::size_t y_width) {
    const std::size_t window_rows = order.block() * order.window_blocks();
    return slots * window_rows * (x_width + y_width) * sizeof(float)
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
    while (!failed_ && !(holds(first) && holds(last))) {
        if (reading_ && (job_.window == first || job_.window == last) && job_.next < job_.parts.size()) {
            ++helping_;
            lock.unlock();
            read_parts();  // rather than wait for the reader alone
            lock.lock();
            --helping_;
            changed_.notify_all();
            continue;
        }
        changed_.wait(lock);
    }
    if (failed_) std::rethrow_exception(failed_);
}

void StreamedRows::read_windows() {
    std::unique_lock lock(mutex_);
    for (;;) {
        // `slots` windows at most: the one trained on (and the next, when a batch spans both), and
        // those read ahead.
        changed_.wait(lock, [&] {
            return stopping_ || (started_ && !failed_ && next_ < order_.windows() && next_ < wanted_ + slots);
        });
        if (stopping_) return;
        const std::size_t w = next_;
        Slot& slot = slots_[w % slots];
        slot.window = none;
        plan(w, slot);  // start_epoch waits for the job to end before it changes blocks_
        reading_ = true;
        lock.unlock();
        read_parts();
        lock.lock();
        changed_.wait(lock, [&] { return job_.finished == job_.parts.size() && helping_ == 0; });  // training's parts too
        reading_ = false;
        if (job_.failed) {
            failed_ = job_.failed;
        } else {
            for (std::size_t i = 0; i < job_.parts.size(); ++i) {
                const auto& [block, rows] = job_.parts[i];
                where_[block] = Place{w % slots, std::ptrdiff_t(job_.rows[i]) - std::ptrdiff_t(rows.begin)};
            }
            slot.window = w;
            ++next_;
        }
        changed_.notify_all();
    }
}

void StreamedRows::plan(std::size_t w, Slot& slot) {
    const std::size_t block_rows = order_.block(), n = order_.samples();
    job_.window = w;
    job_.slot = &slot;
    job_.parts.clear();
    job_.rows.clear();
    job_.failed = nullptr;
    std::size_t rows = 0;
    for (const std::size_t block : order_.blocks_of(blocks_, w)) {
        const std::size_t begin = std::max(block * block_rows, share_.begin);
        const std::size_t end = std::min({(block + 1) * block_rows, n, share_.end});
        if (begin >= end) continue;  // another process's rows
        job_.parts.emplace_back(block, RowRange{begin, end});
        job_.rows.push_back(rows);
        rows += end - begin;
    }
    job_.next = 0;
    job_.finished = 0;
}

void StreamedRows::read_parts() {
    const std::size_t parts = job_.parts.size();
    for (std::size_t i = job_.next++; i < parts; i = job_.next++) {
        const RowRange rows = job_.parts[i].second;
        float* x = job_.slot->x.get() + job_.rows[i] * x_width_;
        float* y = job_.slot->y.get() + job_.rows[i] * y_width_;
        try {
            file_.read(rows, x, y);
            inputs_.apply_rows(x, rows.end - rows.begin);
            if (targets_) targets_->apply_rows(y, rows.end - rows.begin);
        } catch (...) {
            const std::lock_guard lock(mutex_);
            if (!job_.failed) job_.failed = std::current_exception();
        }
        if (job_.finished.fetch_add(1) + 1 == parts) {
            const std::lock_guard lock(mutex_);  // the reader may be about to wait for it
            changed_.notify_all();
        }
    }
}

}  // namespace nabla
