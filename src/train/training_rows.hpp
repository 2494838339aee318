// Where the CPU backend (src/cpu/training_backend.hpp) finds the rows of its batches: the training
// data in memory, or a .nbd file read a window of blocks at a time (streamed_rows.hpp).
#pragma once

#include <cstddef>
#include <span>

#include "nabla/dataset.hpp"

namespace nabla {

class TrainingRows {
public:
    virtual ~TrainingRows() = default;

    // The rows this process holds, and the widths of their inputs and targets.
    virtual std::size_t held() const = 0;
    virtual std::size_t features() const = 0;
    virtual std::size_t outputs() const = 0;
    virtual Task task() const = 0;

    // An epoch whose order is `order` (TrainingState::order) begins at position `position`.
    virtual void start_epoch(std::span<const std::size_t> order, std::size_t position) = 0;
    // The rows of the batch at positions [begin, end) of the epoch's order are asked for next;
    // the rows of earlier batches are not asked for again this epoch.
    virtual void prepare(std::size_t begin, std::size_t end) = 0;
    // Inputs and targets of row `row` of this process's rows (of the batch prepared last).
    virtual const float* x(std::size_t row) const = 0;
    virtual const float* y(std::size_t row) const = 0;
};

// The rows of a data set in memory.
class RowsInMemory final : public TrainingRows {
public:
    explicit RowsInMemory(const Dataset& data) : data_(data) {}
    std::size_t held() const override { return data_.samples(); }
    std::size_t features() const override { return data_.x.cols; }
    std::size_t outputs() const override { return data_.y.cols; }
    Task task() const override { return data_.task; }
    void start_epoch(std::span<const std::size_t>, std::size_t) override {}
    void prepare(std::size_t, std::size_t) override {}
    const float* x(std::size_t row) const override { return data_.x.row(row); }
    const float* y(std::size_t row) const override { return data_.y.row(row); }

private:
    const Dataset& data_;
};

}  // namespace nabla
