#include "cpu/split_pool.hpp"

#include <immintrin.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <thread>

namespace nabla::cpu {

namespace {

// How long a helper spins for the next part before it sleeps: about 50 µs, longer than the gap
// between two products of a step, shorter than anything a user would see as a busy core.
constexpr int spins_before_sleep = 1500;

// Never destroyed (its helpers are detached and may still be waiting when the process exits), and
// reset in the child of a fork, which has none of the parent's helper threads.
class SplitPool {
public:
    SplitPool() {
        pthread_atfork(nullptr, nullptr, [] { pool().forget_helpers(); });
    }

    static SplitPool& pool() {
        static SplitPool& the_pool = *new SplitPool;
        return the_pool;
    }

    bool run(int parts, void (*task)(void*, int, int), void* context) {
        if (parts <= 1 || busy_.test_and_set(std::memory_order_acquire)) {
            for (int part = 0; part < parts; ++part) task(context, part, parts);
            return false;
        }
        ensure_helpers(parts - 1);
        task_ = task;
        context_ = context;
        mxcsr_ = _mm_getcsr();
        done_.store(0, std::memory_order_relaxed);
        const std::uint64_t generation = generation_.load(std::memory_order_relaxed) + 1;
        posted_.store(generation << 16 | std::uint64_t(parts), std::memory_order_release);
        generation_.store(generation);  // publishes the task (seq_cst: ordered before the sleepers check)
        if (sleeping_.load() > 0) generation_.notify_all();
        task(context, 0, parts);
        // The parts whose helpers have not taken them yet run here: a helper that is slow to wake
        // (its core busy with other work) is never waited for, only one that is running its part.
        int here = 1;
        for (int part = 1; part < parts; ++part)
            if (take(part, generation)) {
                task(context, part, parts);
                ++here;
            }
        for (int spin = 0; done_.load(std::memory_order_acquire) != parts - here; ++spin)
            if (spin < spins_before_sleep) _mm_pause(); else std::this_thread::yield();
        busy_.clear(std::memory_order_release);
        return true;
    }

private:
    static constexpr int most_parts = 4096;  // set_threads' limit

    // Takes part `part` of task `generation` for the calling thread; false if another thread has,
    // or if the task is over. A part's mark only ever grows: a helper that fell behind by a task
    // (it read the task, then was not scheduled until the next was posted) finds its part marked
    // with a later generation and leaves it alone.
    bool take(int part, std::uint64_t generation) {
        std::uint64_t last = taken_[part].load(std::memory_order_relaxed);
        while (last < generation)
            if (taken_[part].compare_exchange_weak(last, generation, std::memory_order_acq_rel, std::memory_order_relaxed))
                return true;
        return false;
    }

    void ensure_helpers(int count) {
        for (; helpers_ < count; ++helpers_) {
            const int part = helpers_ + 1;
            std::thread([this, part, seen = generation_.load()] { help(part, seen); }).detach();
        }
    }

    // In a forked child: the helper threads are the parent's, and the pool starts again without.
    void forget_helpers() {
        helpers_ = 0;
        sleeping_.store(0);
        busy_.clear();
    }

    // Helper `part` runs that part of every task with more parts, unless the caller took it first
    // (a part computes the same on any thread: a task's results depend on the part, never on the
    // thread). Each helper keeping its part keeps each core on its block of the weights from
    // product to product. `seen` is the generation before the helper's first task: it may start
    // after that was posted.
    void help(int part, std::uint64_t seen) {
        for (;;) {
            seen = wait_for_task(seen);
            const std::uint64_t posted = posted_.load(std::memory_order_acquire);
            const int parts = int(posted & 0xffff);
            // A task already followed by another is over: every one of its parts was taken.
            if ((posted >> 16) != seen || part >= parts || !take(part, seen)) continue;
            _mm_setcsr(mxcsr_);  // the caller's floating-point mode (a step flushes subnormals)
            task_(context_, part, parts);
            done_.fetch_add(1, std::memory_order_release);
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
    std::atomic<std::uint64_t> posted_{0};  // the current task: its generation << 16 | its parts
    std::atomic<std::uint64_t> taken_[most_parts] = {};  // the last generation each part was taken in
    std::atomic<int> done_{0};              // parts finished by helpers
    void (*task_)(void*, int, int) = nullptr;
    void* context_ = nullptr;
    unsigned mxcsr_ = 0;
    int helpers_ = 0;  // started (by the caller holding busy_)
};

}  // namespace

bool run_in_parts(int parts, void (*task)(void*, int, int), void* context) {
    return SplitPool::pool().run(parts, task, context);
}

}  // namespace nabla::cpu
