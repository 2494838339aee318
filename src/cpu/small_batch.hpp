// A step on a small batch runs its matrix products on one thread: OpenBLAS would split them
// across all its threads, and on a batch of a few samples the hand-offs cost more than the work
// (measured here: batch 1 at 26k samples/s on one thread, 9k on two; even at batch 32).
#pragma once

#include <cstddef>

namespace nabla::cpu {

class SmallBatchThreads {
public:
    explicit SmallBatchThreads(std::size_t batch);
    ~SmallBatchThreads();
    SmallBatchThreads(const SmallBatchThreads&) = delete;
    SmallBatchThreads& operator=(const SmallBatchThreads&) = delete;

    static constexpr std::size_t small_batch = 32;  // below this, one thread

private:
    int restore_ = 0;  // the thread count to restore, or 0 if unchanged
};

}  // namespace nabla::cpu
