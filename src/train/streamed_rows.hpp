// Training rows streamed from a .nbd file (train --stream, docs/data.md): the file is read a
// window of blocks at a time (EpochOrder's windows), in the background, one window ahead of the
// one being trained on, so that reading and arithmetic overlap. Memory holds two windows of this
// process's rows, whatever the size of the file; each block is checked against its CRC-32 and its
// rows standardised as they arrive (the standardisation nabla convert stored, as training in memory
// fits it).
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "data/nbd.hpp"
#include "nabla/preprocess.hpp"
#include "train/epoch_order.hpp"
#include "train/training_rows.hpp"

namespace nabla {

class StreamedRows final : public TrainingRows {
public:
    // The rows `share` (of all processes' samples, this process's) of `file`, in the windows of
    // `order` (windowed, in blocks of the file's); inputs transformed by `inputs`, targets by
    // `targets` when given. file and order must outlive it.
    StreamedRows(const data::NbdBlocks& file, const EpochOrder& order, RowRange share, Preprocessing inputs,
                 std::optional<TargetScaling> targets);
    ~StreamedRows() override;
    StreamedRows(const StreamedRows&) = delete;
    StreamedRows& operator=(const StreamedRows&) = delete;

    std::size_t held() const override { return share_.end - share_.begin; }
    std::size_t features() const override { return x_width_; }
    std::size_t outputs() const override { return y_width_; }
    Task task() const override { return file_.shape().task; }

    void start_epoch(std::span<const std::size_t> order, std::size_t position) override;
    void prepare(std::size_t begin, std::size_t end) override;  // waits for the windows it needs
    const float* x(std::size_t row) const override { return slots_[where_[block_of(row)].slot].x.data() + at(row) * x_width_; }
    const float* y(std::size_t row) const override { return slots_[where_[block_of(row)].slot].y.data() + at(row) * y_width_; }

    // The bytes of memory it holds at most, for rows of these widths.
    static std::size_t memory_bytes(const EpochOrder& order, std::size_t x_width, std::size_t y_width);

private:
    // A window's rows of this process, as read.
    struct Slot {
        std::vector<float> x, y;
        std::size_t window = none;  // which window it holds, once read
    };
    // Where a block's rows are: the slot, and the slot's row of sample s is s + shift.
    struct Place {
        std::size_t slot = 0;
        std::ptrdiff_t shift = 0;
    };
    static constexpr std::size_t none = std::size_t(-1);

    std::size_t block_of(std::size_t row) const { return (share_.begin + row) / order_.block(); }
    std::size_t at(std::size_t row) const {
        return std::size_t(std::ptrdiff_t(share_.begin + row) + where_[block_of(row)].shift);
    }
    void read_windows();  // the background reader's loop
    // Window w's blocks (of `blocks`) into slot; their places into `places`.
    void read_window(std::size_t w, const std::vector<std::size_t>& blocks, Slot& slot, std::size_t slot_index,
                     std::vector<std::pair<std::size_t, Place>>& places) const;
    bool holds(std::size_t w) const { return slots_[w % 2].window == w; }

    const data::NbdBlocks& file_;
    const EpochOrder& order_;
    const RowRange share_;
    const Preprocessing inputs_;
    const std::optional<TargetScaling> targets_;
    const std::size_t x_width_, y_width_;

    std::array<Slot, 2> slots_;      // window w in slot w % 2
    std::vector<Place> where_;       // per block of the file, where its rows are (of the windows held)
    std::vector<std::size_t> blocks_;  // this epoch's block order, as the reader reads it

    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t wanted_ = 0;  // the first window still trained on: those before it are released
    std::size_t next_ = 0;    // the next window to read
    bool started_ = false;    // an epoch has begun: blocks_ holds its order
    bool reading_ = false;    // the reader is reading a window (outside the lock)
    bool stopping_ = false;
    std::exception_ptr failed_;  // what stopped the reader
    std::thread reader_;
};

}  // namespace nabla
