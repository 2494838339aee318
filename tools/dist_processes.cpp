#include "dist_processes.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "nabla/error.hpp"
#ifdef NABLA_HAS_MPI
#include "dist/mpi.hpp"
#endif

namespace nabla::cli {

std::optional<RowRange> Processes::rows_of(const std::string& source) const {
    if (!together()) return std::nullopt;
    const std::size_t n = count_samples(source), parts = std::size_t(count), r = std::size_t(rank);
    if (n < parts)
        throw Error(source + " holds " + std::to_string(n) + " samples, fewer than the " + std::to_string(parts) +
                    " processes that would share them");
    return RowRange{n * r / parts, n * (r + 1) / parts};
}

std::size_t Processes::total(std::size_t mine) const {
    if (!together()) return mine;
    std::vector<double> sums{double(mine)};  // exact: counts stay far below 2^53
    sum_doubles(sums);
    return std::size_t(sums[0]);
}

Metrics Processes::combine(const Metrics& mine) const {
    return together() ? combine_across_processes(mine, sum_doubles) : mine;
}

DataParallel data_parallel(const Processes& processes, std::size_t samples, std::size_t first, bool overlap,
                           double& seconds) {
    // The time spent in the sums: all of it, or when they overlap the backward pass, the time
    // spent starting them and then waiting for what the backward pass did not hide.
    auto timed = [&seconds](auto&& call) {
        const auto start = std::chrono::steady_clock::now();
        call();
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    DataParallel parallel;
    parallel.samples = samples;
    parallel.first = first;
    parallel.sum_doubles = processes.sum_doubles;
    parallel.rank = processes.rank;
    parallel.processes = processes.count;
    parallel.local_rank = processes.local_rank;
    parallel.broadcast = processes.broadcast;
    parallel.sum = [&processes, timed](std::span<float> buffer) { timed([&] { processes.sum(buffer); }); };
    if (overlap && processes.start_sum) {
        parallel.start_sum = [&processes, timed](std::span<float> b) { timed([&] { processes.start_sum(b); }); };
        parallel.finish_sums = [&processes, timed] { timed([&] { processes.finish_sums(); }); };
    }
    return parallel;
}

namespace {

// The mark an MPI launcher leaves on the processes it starts: Open MPI's mpirun sets
// OMPI_COMM_WORLD_SIZE, MPICH's and Slurm's PMI set PMI_SIZE, and PMIx (srun --mpi=pmix) PMIX_RANK.
bool launched_by_mpi() {
    return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE") || std::getenv("PMIX_RANK");
}

#ifdef NABLA_HAS_MPI
int run_as_rank(const std::function<int(const Processes&)>& command) {
    dist::Mpi mpi;
    Processes processes;
    processes.rank = mpi.rank();
    processes.count = mpi.size();
    processes.local_rank = mpi.local_rank();
    processes.broadcast = [&mpi](std::span<std::byte> bytes) { mpi.broadcast(bytes); };
    processes.start_sum = [&mpi](std::span<float> buffer) { mpi.start_sum(buffer); };
    processes.finish_sums = [&mpi] { mpi.finish_sums(); };
    processes.sum = [&mpi](std::span<float> buffer) { mpi.allreduce_sum(buffer); };
    processes.sum_doubles = [&mpi](std::span<double> buffer) { mpi.allreduce_sum(buffer); };
    try {
        return command(processes);
    } catch (const std::bad_alloc&) {
        mpi.abort_all("out of memory");
    } catch (const std::exception& e) {
        mpi.abort_all(e.what());
    }
}
#endif

}  // namespace

int run_as_processes(const std::function<int(const Processes&)>& command) {
    if (!launched_by_mpi()) return command(Processes{});
#ifdef NABLA_HAS_MPI
    return run_as_rank(command);
#else
    throw Error("this nabla was built without MPI (NABLA_MPI=OFF, or no MPI found), so under mpirun each process "
                "would train alone; rebuild it with Open MPI installed (Debian: libopenmpi-dev)");
#endif
}

}  // namespace nabla::cli
