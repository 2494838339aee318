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
        claims_.store(claims_of(generation, parts, 1), std::memory_order_release);  // part 0 is this thread's
        generation_.store(generation);  // publishes the task (seq_cst: ordered before the sleepers check)
        if (sleeping_.load() > 0) generation_.notify_all();
        task(context, 0, parts);
        // The parts no helper has taken yet run here: a helper that is slow to wake (the cores busy
        // with other work) is never waited for, only one that is running a part.
        int here = 1, count = parts;
        for (int part; (part = claim(generation, count)) >= 0; ++here) task(context, part, parts);
        for (int spin = 0; done_.load(std::memory_order_acquire) != parts - here; ++spin)
            if (spin < spins_before_sleep) _mm_pause(); else std::this_thread::yield();
        busy_.clear(std::memory_order_release);
        return true;
    }

private:
    // The claim word: the task's generation (low 32 bits of it), its number of parts and the next
    // part not yet taken, so that a claim never takes a part of a task that has ended.
    static std::uint64_t claims_of(std::uint64_t generation, int parts, int next) {
        return (generation & 0xffffffffu) << 32 | std::uint64_t(parts) << 16 | std::uint64_t(next);
    }

    // Takes the next part of task `generation` and sets `parts` to the task's number of parts; −1
    // once every part is taken (or the task is over).
    int claim(std::uint64_t generation, int& parts) {
        std::uint64_t word = claims_.load(std::memory_order_acquire);
        for (;;) {
            parts = int(word >> 16 & 0xffff);
            const int next = int(word & 0xffff);
            if ((word >> 32) != (generation & 0xffffffffu) || next >= parts) return -1;
            if (claims_.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel, std::memory_order_acquire))
                return next;
        }
    }

    void ensure_helpers(int count) {
        for (; helpers_ < count; ++helpers_)
            std::thread([this, seen = generation_.load()] { help(seen); }).detach();
    }

    // In a forked child: the helper threads are the parent's, and the pool starts again without.
    void forget_helpers() {
        helpers_ = 0;
        sleeping_.store(0);
        busy_.clear();
    }

    // A helper takes parts of each new task until none is left; whichever thread runs a part, it
    // computes the same (the tasks' results depend on the part, never on the thread). `seen` is
    // the generation before the helper's first task: it may start after that was posted.
    void help(std::uint64_t seen) {
        for (;;) {
            seen = wait_for_task(seen);
            int parts = 0;
            for (int part; (part = claim(seen, parts)) >= 0;) {
                _mm_setcsr(mxcsr_);  // the caller's floating-point mode (a step flushes subnormals)
                task_(context_, part, parts);
                done_.fetch_add(1, std::memory_order_release);
            }
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
    std::atomic<std::uint64_t> claims_{0};  // claims_of(generation, parts, next part to take)
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
