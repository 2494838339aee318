// Data-parallel `nabla train` (docs/distributed.md): under mpirun, the processes of the job each load
// their share of the rows, fit the preprocessing and measure the test set together, and train one
// model; rank 0 alone prints and writes files. Alone, everything here is the identity.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "nabla/dataset.hpp"
#include "nabla/trainer.hpp"

namespace nabla::cli {

// The processes that train one model: this one alone (the default), or the ranks of an MPI job.
struct Processes {
    int rank = 0;
    int count = 1;
    int local_rank = 0;  // among the processes on this machine
    std::function<void(std::span<float>)> sum;          // adds a buffer across the processes, in place;
    std::function<void(std::span<double>)> sum_doubles;  // both unset alone
    std::function<void(std::span<std::byte>)> broadcast;  // rank 0's bytes to all; unset alone
    std::function<void(std::span<float>)> start_sum;      // as DataParallel's; unset alone
    std::function<void()> finish_sums;

    bool together() const { return count > 1; }
    bool leader() const { return rank == 0; }  // the one that prints and writes files

    // This process's share of a source's n samples when together, rows [n·rank/count,
    // n·(rank+1)/count) (a counting pass finds n; Error when n < count); none alone: all of them.
    std::optional<RowRange> rows_of(const std::string& source) const;
    // The sum of a count across the processes.
    std::size_t total(std::size_t mine) const;
    // Metrics of everyone's rows, from each process's metrics of its own.
    Metrics combine(const Metrics& mine) const;
};

// The trainer's hook for training together: this process holds rows [first, first + its rows) of
// `samples`; with `overlap`, each layer's gradient sum starts during the backward pass. The time
// its sums take is added to `seconds`, for the report after training.
DataParallel data_parallel(const Processes& processes, std::size_t samples, std::size_t first, bool overlap,
                           double& seconds);

// Runs a command as this process's part of the run: under an MPI launcher (mpirun, srun), as one rank
// of the job, where an error on any rank ends every rank at once instead of leaving the others
// waiting for it; else alone. Error when launched by MPI but built without it.
int run_as_processes(const std::function<int(const Processes&)>& command);

}  // namespace nabla::cli
