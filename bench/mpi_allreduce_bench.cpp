// nabla_mpi_allreduce_bench: how long the gradient sum of one data-parallel training step takes
// (dist::Mpi::sum), alone, to fit the latency and bandwidth of the cost model in
// docs/distributed.md. Each size is summed 20 times after a barrier; rank 0 prints the median and
// the fastest, and the bandwidth that the ring algorithm's 2(N−1)/N · bytes would need.
// Usage: mpirun -np N nabla_mpi_allreduce_bench [FLOATS...]
//        (default: 1, then the parameters of 784-256-128-10 and of 784-4096-4096-10)
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "dist/mpi.hpp"

namespace {

constexpr int kRepeats = 20;

// Seconds of each of kRepeats sums of `floats` floats, sorted.
std::vector<double> time_sums(nabla::dist::Mpi& mpi, std::size_t floats) {
    std::vector<float> buffer(floats, 1.0f);
    std::vector<double> seconds;
    for (int i = 0; i < kRepeats; ++i) {
        MPI_Barrier(MPI_COMM_WORLD);  // every rank starts together: the time is the sum's, not a wait
        const double start = MPI_Wtime();
        mpi.sum(std::span<float>(buffer));
        seconds.push_back(MPI_Wtime() - start);
    }
    std::sort(seconds.begin(), seconds.end());
    return seconds;
}

}  // namespace

int main(int argc, char** argv) {
    nabla::dist::Mpi mpi;
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
    if (sizes.empty()) sizes = {1, 235146, 20037642};

    const double ring_share = 2.0 * (mpi.size() - 1) / mpi.size();  // of the buffer each rank sends
    for (const std::size_t floats : sizes) {
        const std::vector<double> seconds = time_sums(mpi, floats);
        const double median = seconds[seconds.size() / 2];
        if (mpi.rank() == 0)
            std::printf("%d processes, %zu floats: median %.1f us, fastest %.1f us, ring bandwidth %.2f GB/s\n",
                        mpi.size(), floats, median * 1e6, seconds.front() * 1e6,
                        ring_share * double(floats) * sizeof(float) / median / 1e9);
    }
}
