// Data-parallel `nabla train` (docs/distributed.md): under mpirun, the processes of the job each load
// their share of the rows, fit the preprocessing and measure the test set together, and train one
// model; rank 0 alone prints and writes files. Alone, everything here is the identity.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "nabla/communicator.hpp"
#include "nabla/dataset.hpp"
#include "nabla/trainer.hpp"
#include "train/training_loop.hpp"

namespace nabla::cli {

// The processes that train one model: this one alone (the default), or the ranks of an MPI job.
struct Processes {
    Communicator* communicator = &alone();  // not owned

    int rank() const { return communicator->rank(); }
    int count() const { return communicator->size(); }
    bool together() const { return count() > 1; }
    bool leader() const { return rank() == 0; }  // the one that prints and writes files

    // This process's share of a source's n samples when together, rows [n·rank/count,
    // n·(rank+1)/count) (a counting pass finds n; Error when n < count); none alone: all of them.
    std::optional<RowRange> rows_of(const std::string& source) const;
    // The sum of a count across the processes.
    std::size_t total(std::size_t mine) const;
    // Metrics of everyone's rows, from each process's metrics of its own.
    Metrics combine(const Metrics& mine) const { return combine_across_processes(mine, *communicator); }
};

// A communicator that adds the time its sums take to `seconds`, for the report after training:
// all of it, or when the sums overlap the backward pass, the time spent starting them and then
// waiting for what the backward pass did not hide.
class TimedSums : public Communicator {
public:
    TimedSums(Communicator& inner, double& seconds) : inner_(inner), seconds_(seconds) {}
    int rank() const override { return inner_.rank(); }
    int size() const override { return inner_.size(); }
    int local_rank() const override { return inner_.local_rank(); }
    void sum(std::span<float> buffer) override { timed([&] { inner_.sum(buffer); }); }
    void sum(std::span<double> buffer) override { timed([&] { inner_.sum(buffer); }); }
    void start_sum(std::span<float> buffer) override { timed([&] { inner_.start_sum(buffer); }); }
    void finish_sums() override { timed([&] { inner_.finish_sums(); }); }
    void broadcast(std::span<std::byte> buffer) override { inner_.broadcast(buffer); }

private:
    template <class F>
    void timed(const F& call) {
        const auto start = std::chrono::steady_clock::now();
        call();
        seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    Communicator& inner_;
    double& seconds_;
};

// Runs a command as this process's part of the run: under an MPI launcher (mpirun, srun), as one rank
// of the job, where an error on any rank ends every rank at once instead of leaving the others
// waiting for it; else alone. Error when launched by MPI but built without it.
int run_as_processes(const std::function<int(const Processes&)>& command);

}  // namespace nabla::cli
