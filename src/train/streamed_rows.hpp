// Training rows streamed from a .nbd file (train --stream, docs/data.md): the file is read a
// window of blocks at a time (EpochOrder's windows), in the background, two windows ahead of the
// one being trained on, so that reading and arithmetic overlap. Memory holds three windows of this
// process's rows, whatever the size of the file; each block is checked against its CRC-32 and its
// rows standardised as they arrive (the standardisation nabla convert stored, as training in memory
// fits it).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
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
    const float* x(std::size_t row) const override { return slots_[where_[block_of(row)].slot].x.get() + at(row) * x_width_; }
    const float* y(std::size_t row) const override { return slots_[where_[block_of(row)].slot].y.get() + at(row) * y_width_; }

    // The bytes of memory it holds at most, for rows of these widths.
    static std::size_t memory_bytes(const EpochOrder& order, std::size_t x_width, std::size_t y_width);

private:
    // Floats allocated once and never zero-filled: pread writes them first.
    struct FreeFloats {
        void operator()(float* p) const;
    };
    using Floats = std::unique_ptr<float, FreeFloats>;
    // A window's rows of this process, as read.
    struct Slot {
        Floats x, y;                // room for a whole window
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
    // The reading of a window into its slot, a block at a time: the reader claims its blocks in
    // turn, and so does training while it waits for the window (at the start of an epoch, or when
    // the disk is the slower), so that a window is read on every core then.
    struct Job {
        std::size_t window = none;
        Slot* slot = nullptr;
        std::vector<std::pair<std::size_t, RowRange>> parts;  // block, this process's rows of it
        std::vector<std::size_t> rows;                         // each part's first row in the slot
        std::atomic<std::size_t> next{0};                      // the next part to claim
        std::atomic<std::size_t> finished{0};                  // the parts read (or failed)
        std::exception_ptr failed;                             // the first failure (under mutex_)
    };
    void read_windows();  // the background reader's loop
    void plan(std::size_t w, Slot& slot);  // job_ for window w into slot
    void read_parts();  // claims and reads job_'s parts until none is left
    bool holds(std::size_t w) const { return slots_[w % slots].window == w; }
    static Floats allocate(std::size_t count);

    const data::NbdBlocks& file_;
    const EpochOrder& order_;
    const RowRange share_;
    const Preprocessing inputs_;
    const std::optional<TargetScaling> targets_;
    const std::size_t x_width_, y_width_;

    // The window trained on (and the next, which a batch may reach into) and those read ahead: a
    // slow read of the disk is made up for by the quicker ones around it.
    static constexpr std::size_t slots = 3;
    std::array<Slot, slots> slots_;  // window w in slot w % slots
    std::vector<Place> where_;       // per block of the file, where its rows are (of the windows held)
    std::vector<std::size_t> blocks_;  // this epoch's block order, as the reader reads it

    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t wanted_ = 0;  // the first window still trained on: those before it are released
    std::size_t next_ = 0;    // the next window to read
    bool started_ = false;    // an epoch has begun: blocks_ holds its order
    bool reading_ = false;    // job_ is under way (read outside the lock)
    Job job_;
    int helping_ = 0;         // training threads in read_parts: job_ stays as it is until they leave
    bool stopping_ = false;
    std::exception_ptr failed_;  // what stopped the reader
    std::thread reader_;
};

}  // namespace nabla
