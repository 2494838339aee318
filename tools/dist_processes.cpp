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
    const std::size_t n = count_samples(source), parts = std::size_t(count()), r = std::size_t(rank());
    if (n < parts)
        throw Error(source + " holds " + std::to_string(n) + " samples, fewer than the " + std::to_string(parts) +
                    " processes that would share them");
    return RowRange{n * r / parts, n * (r + 1) / parts};
}

std::size_t Processes::total(std::size_t mine) const {
    std::vector<double> sums{double(mine)};  // exact: counts stay far below 2^53
    communicator->sum(std::span<double>(sums));
    return std::size_t(sums[0]);
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
    processes.communicator = &mpi;
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
    if (!launched_by_mpi()) return command(Processes{});  // alone
#ifdef NABLA_HAS_MPI
    return run_as_rank(command);
#else
    throw Error("this nabla was built without MPI (NABLA_MPI=OFF, or no MPI found), so under mpirun each process "
                "would train alone; rebuild it with Open MPI installed (Debian: libopenmpi-dev)");
#endif
}

}  // namespace nabla::cli
