#include "cpu/split_pool.hpp"

#include <immintrin.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace nabla::cpu {

namespace {

// How long a helper spins for the next part before it sleeps: about 50 µs, longer than the gap
// between two products of a step, shorter than anything a user would see as a busy core.
constexpr int spins_before_sleep = 1500;

class SplitPool {
public:
    ~SplitPool() {
        stop_.store(true);
        generation_.fetch_add(1);
        generation_.notify_all();
        for (std::thread& t : helpers_) t.join();
    }

    void run(int parts, void (*task)(void*, int, int), void* context) {
        if (parts <= 1 || busy_.test_and_set(std::memory_order_acquire)) {
            for (int part = 0; part < parts; ++part) task(context, part, parts);
            return;
        }
        ensure_helpers(parts - 1);
        task_ = task;
        context_ = context;
        mxcsr_ = _mm_getcsr();
        parts_ = parts;
        remaining_.store(int(helpers_.size()), std::memory_order_relaxed);  // every helper answers
        generation_.fetch_add(1);  // publishes the task (seq_cst: ordered before the sleepers check)
        if (sleeping_.load() > 0) generation_.notify_all();
        task(context, 0, parts);
        for (int spin = 0; remaining_.load(std::memory_order_acquire) != 0; ++spin)
            if (spin < spins_before_sleep) _mm_pause(); else std::this_thread::yield();
        busy_.clear(std::memory_order_release);
    }

private:
    void ensure_helpers(int count) {
        std::lock_guard lock(grow_);
        while (int(helpers_.size()) < count) {
            const int part = int(helpers_.size()) + 1;
            helpers_.emplace_back([this, part, seen = generation_.load()] { help(part, seen); });
        }
    }

    // Helper `part` runs that part of every task with more parts (and only answers the others).
    // `seen` is the generation before the helper's first task: it may start after that was posted.
    void help(int part, std::uint64_t seen) {
        for (;;) {
            seen = wait_for_task(seen);
            if (stop_.load()) return;
            if (part < parts_) {
                _mm_setcsr(mxcsr_);  // the caller's floating-point mode (a step flushes subnormals)
                task_(context_, part, parts_);
            }
            remaining_.fetch_sub(1, std::memory_order_release);
        }
    }

    std::uint64_t wait_for_task(std::uint64_t seen) {
        for (int spin = 0; spin < spins_before_sleep; ++spin) {
            const std::uint64_t now = generation_.load(std::memory_order_acquire);
            if (now != seen) return now;
            _mm_pause();
        }
        for (;;) {
            sleeping_.fetch_add(1);
            const std::uint64_t now = generation_.load();
            if (now != seen) {
                sleeping_.fetch_sub(1);
                return now;
            }
            generation_.wait(seen);
            sleeping_.fetch_sub(1);
        }
    }

    std::atomic_flag busy_;
    std::atomic<std::uint64_t> generation_{0};
    std::atomic<int> sleeping_{0};
    std::atomic<int> remaining_{0};
    std::atomic<bool> stop_{false};
    void (*task_)(void*, int, int) = nullptr;
    void* context_ = nullptr;
    int parts_ = 0;
    unsigned mxcsr_ = 0;
    std::mutex grow_;
    std::vector<std::thread> helpers_;
};

}  // namespace

void run_in_parts(int parts, void (*task)(void*, int, int), void* context) {
    static SplitPool pool;
    pool.run(parts, task, context);
}

}  // namespace nabla::cpu
