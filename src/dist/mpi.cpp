#include "dist/mpi.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <limits>

#include "nabla/error.hpp"

namespace nabla::dist {

namespace {

void check(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char reason[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, reason, &length);
    throw Error(std::string(call) + " failed: " + std::string(reason, std::size_t(length)));
}

template <class T>
void allreduce(std::span<T> buffer, MPI_Datatype type) {
    // MPI counts are ints: a buffer beyond 2^31 − 1 elements goes in pieces.
    constexpr std::size_t kMaxCount = std::numeric_limits<int>::max();
    for (std::size_t at = 0; at < buffer.size(); at += kMaxCount) {
        const int count = int(std::min(kMaxCount, buffer.size() - at));
        check(MPI_Allreduce(MPI_IN_PLACE, buffer.data() + at, count, type, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
    }
}

}  // namespace

struct Mpi::Requests {
    std::vector<MPI_Request> list;
};

Mpi::Mpi() : pending_(std::make_unique<Requests>()) {
    // Only the main thread calls MPI; nabla's worker threads (split_pool.hpp) never do.
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
    // The processes that share this machine (its memory), numbered among themselves.
    MPI_Comm machine = MPI_COMM_NULL;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &machine),
          "MPI_Comm_split_type");
    const int ranked = MPI_Comm_rank(machine, &local_rank_);
    MPI_Comm_free(&machine);
    check(ranked, "MPI_Comm_rank");
}

Mpi::~Mpi() { MPI_Finalize(); }

void Mpi::sum(std::span<float> buffer) { allreduce(buffer, MPI_FLOAT); }

void Mpi::sum(std::span<double> buffer) { allreduce(buffer, MPI_DOUBLE); }

void Mpi::start_sum(std::span<float> buffer) {
    constexpr std::size_t kMaxCount = std::numeric_limits<int>::max();
    for (std::size_t at = 0; at < buffer.size(); at += kMaxCount) {
        const int count = int(std::min(kMaxCount, buffer.size() - at));
        MPI_Request& request = pending_->list.emplace_back(MPI_REQUEST_NULL);
        check(MPI_Iallreduce(MPI_IN_PLACE, buffer.data() + at, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &request),
              "MPI_Iallreduce");
    }
    // Open MPI moves a non-blocking sum along only inside MPI calls: test them all now.
    int done = 0;
    check(MPI_Testall(int(pending_->list.size()), pending_->list.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
}

void Mpi::finish_sums() {
    check(MPI_Waitall(int(pending_->list.size()), pending_->list.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
    pending_->list.clear();
}

void Mpi::broadcast(std::span<std::byte> buffer) {
    constexpr std::size_t kMaxCount = std::numeric_limits<int>::max();
    for (std::size_t at = 0; at < buffer.size(); at += kMaxCount) {
        const int count = int(std::min(kMaxCount, buffer.size() - at));
        check(MPI_Bcast(buffer.data() + at, count, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast");
    }
}

void Mpi::abort_all(const std::string& message) const {
    std::fprintf(stderr, "nabla: error: rank %d of %d: %s\n", rank_, size_, message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);  // MPI_Abort does not return; should an implementation's, this process still ends
}

}  // namespace nabla::dist
