// nabla_csv_load_bench FILE [THREADS]: how long nabla::load_dataset takes to read a CSV file, and at
// what rate, on the given number of threads (default: all). For docs/BENCHMARKS.md, "CSV loading";
// peak memory from /usr/bin/time -v around it.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "nabla/dataset.hpp"
#include "nabla/threads.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: nabla_csv_load_bench FILE [THREADS]\n");
        return 2;
    }
    nabla::set_threads(argc > 2 ? std::atoi(argv[2]) : 0);
    try {
        const auto start = std::chrono::steady_clock::now();
        const nabla::Dataset data = nabla::load_dataset(argv[1]);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf("%s: %zu rows x %zu features in %.3f s\n", argv[1], data.samples(), data.x.cols, seconds);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
