#include "cuda/nccl.hpp"

#include <array>
#include <cstring>
#include <string>

#include "core/shared_library.hpp"
#include "cuda/runtime.hpp"
#include "nabla/error.hpp"

#ifdef NABLA_HAS_NCCL
#include <nccl.h>
#endif

namespace nabla::cuda {

void select_device(const DataParallel& parallel) {
    int devices = 0;
    check(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    if (devices == 0) throw Error("--device cuda: no CUDA GPU on this machine");
    check(cudaSetDevice(parallel.processes->local_rank() % devices), "cudaSetDevice");
}

#ifdef NABLA_HAS_NCCL

namespace {

struct NcclApi {
    decltype(&ncclGetUniqueId) get_unique_id;
    decltype(&ncclCommInitRank) comm_init_rank;
    decltype(&ncclCommDestroy) comm_destroy;
    decltype(&ncclAllReduce) all_reduce;
    decltype(&ncclGroupStart) group_start;
    decltype(&ncclGroupEnd) group_end;
    decltype(&ncclGetErrorString) error_string;
};

// This toolkit's NCCL: where the system finds libraries, else where the build found it.
const NcclApi& nccl() {
    static const NcclApi api = [] {
        const SharedLibrary library("NCCL", {"libnccl.so." + std::to_string(NCCL_MAJOR)}, NABLA_NCCL_LIBRARY_DIR,
                                    "install NCCL (it comes with the CUDA toolkit), or add its directory to "
                                    "LD_LIBRARY_PATH");
        NcclApi a;
        a.get_unique_id = library.function<decltype(a.get_unique_id)>("ncclGetUniqueId");
        a.comm_init_rank = library.function<decltype(a.comm_init_rank)>("ncclCommInitRank");
        a.comm_destroy = library.function<decltype(a.comm_destroy)>("ncclCommDestroy");
        a.all_reduce = library.function<decltype(a.all_reduce)>("ncclAllReduce");
        a.group_start = library.function<decltype(a.group_start)>("ncclGroupStart");
        a.group_end = library.function<decltype(a.group_end)>("ncclGroupEnd");
        a.error_string = library.function<decltype(a.error_string)>("ncclGetErrorString");
        return a;
    }();
    return api;
}

void check(ncclResult_t result, const char* call) {
    if (result != ncclSuccess) throw Error(std::string("NCCL: ") + call + " failed: " + nccl().error_string(result));
}

}  // namespace

Nccl::Nccl(const DataParallel& parallel) {
    if (!parallel.processes) throw Error("GPU data-parallel training needs the processes' communicator (MPI)");
    ncclUniqueId id;
    std::memset(&id, 0, sizeof id);
    if (parallel.processes->rank() == 0) check(nccl().get_unique_id(&id), "ncclGetUniqueId");
    parallel.processes->broadcast(std::as_writable_bytes(std::span(&id, 1)));
    ncclComm_t comm = nullptr;
    check(nccl().comm_init_rank(&comm, parallel.processes->size(), id, parallel.processes->rank()), "ncclCommInitRank");
    comm_ = comm;
}

Nccl::~Nccl() { nccl().comm_destroy(static_cast<ncclComm_t>(comm_)); }

void Nccl::sum(std::initializer_list<Buffer> buffers, cudaStream_t stream) const {
    check(nccl().group_start(), "ncclGroupStart");
    for (const Buffer& b : buffers)
        check(nccl().all_reduce(b.values, b.values, b.count, ncclFloat32, ncclSum, static_cast<ncclComm_t>(comm_),
                                stream),
              "ncclAllReduce");
    check(nccl().group_end(), "ncclGroupEnd");
}

#else  // built where the toolkit has no nccl.h

Nccl::Nccl(const DataParallel&) {
    throw Error("--device cuda under mpirun needs NCCL, and this nabla was built without it (no nccl.h in the CUDA "
                "toolkit): train on the CPU, or rebuild with NCCL installed");
}

Nccl::~Nccl() = default;

void Nccl::sum(std::initializer_list<Buffer>, cudaStream_t) const {}

#endif

}  // namespace nabla::cuda
