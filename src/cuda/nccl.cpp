#include "cuda/nccl.hpp"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include "core/shared_library.hpp"
#include "cuda/runtime.hpp"
#include "nabla/error.hpp"

#ifdef NABLA_HAS_NCCL
#include <nccl.h>
#endif

namespace nabla::cuda {

void select_device(const DataParallel& parallel) {
    int devices = 0;  // counting the GPUs makes no context; cudaSetDevice makes this GPU's
    check(cudaGetDeviceCount(&devices), "cudaGetDeviceCount");
    if (devices == 0) throw Error("--device cuda: no CUDA GPU on this machine");
    check(cudaSetDevice(parallel.processes->local_rank() % devices), "cudaSetDevice");
}

std::chrono::duration<double> nccl_timeout() {
    if (const char* value = std::getenv("NABLA_NCCL_TIMEOUT")) {
        char* end = nullptr;
        const double seconds = std::strtod(value, &end);
        if (end == value || *end != '\0' || !(seconds > 0))
            throw Error(std::string("NABLA_NCCL_TIMEOUT must be a number of seconds above 0, not '") + value + "'");
        return std::chrono::duration<double>(seconds);
    }
    return std::chrono::duration<double>(300);
}

#ifdef NABLA_HAS_NCCL

namespace {

struct NcclApi {
    decltype(&ncclGetUniqueId) get_unique_id;
    decltype(&ncclCommInitRankConfig) comm_init_rank_config;
    decltype(&ncclCommGetAsyncError) comm_get_async_error;
    decltype(&ncclCommFinalize) comm_finalize;
    decltype(&ncclCommDestroy) comm_destroy;
    decltype(&ncclCommAbort) comm_abort;
    decltype(&ncclAllReduce) all_reduce;
    decltype(&ncclBroadcast) broadcast;
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
        a.comm_init_rank_config = library.function<decltype(a.comm_init_rank_config)>("ncclCommInitRankConfig");
        a.comm_get_async_error = library.function<decltype(a.comm_get_async_error)>("ncclCommGetAsyncError");
        a.comm_finalize = library.function<decltype(a.comm_finalize)>("ncclCommFinalize");
        a.comm_destroy = library.function<decltype(a.comm_destroy)>("ncclCommDestroy");
        a.comm_abort = library.function<decltype(a.comm_abort)>("ncclCommAbort");
        a.all_reduce = library.function<decltype(a.all_reduce)>("ncclAllReduce");
        a.broadcast = library.function<decltype(a.broadcast)>("ncclBroadcast");
        a.group_start = library.function<decltype(a.group_start)>("ncclGroupStart");
        a.group_end = library.function<decltype(a.group_end)>("ncclGroupEnd");
        a.error_string = library.function<decltype(a.error_string)>("ncclGetErrorString");
        return a;
    }();
    return api;
}

ncclComm_t handle(void* comm) { return static_cast<ncclComm_t>(comm); }

}  // namespace

void Nccl::fail(const std::string& message) const {
    if (comm_ && !aborted_) {
        aborted_ = true;
        nccl().comm_abort(handle(comm_));  // also stops this communicator's kernels on the GPU
    }
    throw Error("NCCL: " + message);
}

void Nccl::await(const std::function<cudaError_t()>& done, const char* what) const {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        ncclResult_t state = ncclSuccess;
        const ncclResult_t asked = nccl().comm_get_async_error(handle(comm_), &state);
        if (asked != ncclSuccess) state = asked;
        if (state != ncclSuccess && state != ncclInProgress)
            fail(std::string(what) + " failed: " + nccl().error_string(state));
        if (done) {
            const cudaError_t status = done();
            if (status == cudaSuccess) return;
            if (status != cudaErrorNotReady) {
                try {
                    check(status, what);
                } catch (const Error& e) {
                    fail(e.what());
                }
            }
        } else if (state == ncclSuccess) {
            return;
        }
        if (std::chrono::steady_clock::now() - start > timeout_)
            fail(std::string(what) + ": no progress in " + std::to_string(int(timeout_.count())) +
                 " s, so another process of the job has stopped (NABLA_NCCL_TIMEOUT sets the limit)");
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

namespace {

Communicator& processes_of(const DataParallel& parallel) {
    if (!parallel.processes) throw Error("GPU data-parallel training needs the processes' communicator (MPI)");
    return *parallel.processes;
}

}  // namespace

Nccl::Nccl(const DataParallel& parallel, cudaStream_t stream)
    : host_(processes_of(parallel)), stream_(stream), timeout_(nccl_timeout()) {
    ncclUniqueId id;
    std::memset(&id, 0, sizeof id);
    if (parallel.processes->rank() == 0) {
        const ncclResult_t made = nccl().get_unique_id(&id);
        if (made != ncclSuccess) throw Error(std::string("NCCL: ncclGetUniqueId failed: ") + nccl().error_string(made));
    }
    parallel.processes->broadcast(std::as_writable_bytes(std::span(&id, 1)));
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;  // calls return at once; await() polls them, so that no wait is unbounded
    ncclComm_t comm = nullptr;
    const ncclResult_t started = nccl().comm_init_rank_config(&comm, parallel.processes->size(), id,
                                                                     parallel.processes->rank(), &config);
    comm_ = comm;
    if (started != ncclSuccess && started != ncclInProgress) {
        if (comm_) nccl().comm_abort(comm);
        throw Error(std::string("NCCL: ncclCommInitRankConfig failed: ") + nccl().error_string(started));
    }
    try {
        await(nullptr, "joining the other processes (ncclCommInitRankConfig)");
        for (cudaEvent_t& event : sums_)
            check(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate");
    } catch (...) {
        for (cudaEvent_t event : sums_)
            if (event) cudaEventDestroy(event);
        if (!aborted_) nccl().comm_abort(comm);
        throw;
    }
}

Nccl::~Nccl() {
    // Ending by an exception, this process may have left a sum the others wait in: abort rather
    // than finalize, which would wait for them.
    if (!aborted_ && std::uncaught_exceptions() == 0) {
        try {
            const ncclResult_t finalized = nccl().comm_finalize(handle(comm_));
            if (finalized != ncclSuccess && finalized != ncclInProgress) fail("ncclCommFinalize failed");
            await(nullptr, "finishing (ncclCommFinalize)");
            nccl().comm_destroy(handle(comm_));
        } catch (const Error&) {
            // aborted by fail(); a destructor reports nothing more
        }
    } else if (!aborted_) {
        nccl().comm_abort(handle(comm_));
    }
    for (cudaEvent_t event : sums_) cudaEventDestroy(event);
}

void Nccl::start_sum(std::span<float> buffer) { reduce(buffer.data(), buffer.size(), ncclFloat32); }

void Nccl::sum(std::span<float> buffer) {
    start_sum(buffer);
    finish_sums();
}

void Nccl::sum(std::span<double> buffer) {
    reduce(buffer.data(), buffer.size(), ncclFloat64);
    finish_sums();
}

void Nccl::reduce(void* values, std::size_t count, int type) {
    if (!grouping_) {
        cudaEvent_t slot = sums_[sums_queued_ % in_flight];
        if (sums_queued_ >= in_flight) await([slot] { return cudaEventQuery(slot); }, "summing across the processes");
        const ncclResult_t started = nccl().group_start();
        if (started != ncclSuccess) fail(std::string("ncclGroupStart failed: ") + nccl().error_string(started));
        grouping_ = true;
    }
    const ncclResult_t queued =
        nccl().all_reduce(values, values, count, ncclDataType_t(type), ncclSum, handle(comm_), stream_);
    if (queued != ncclSuccess && queued != ncclInProgress)
        fail(std::string("ncclAllReduce failed: ") + nccl().error_string(queued));
}

void Nccl::finish_sums() {
    if (!grouping_) return;
    grouping_ = false;
    const ncclResult_t ended = nccl().group_end();
    if (ended != ncclSuccess && ended != ncclInProgress) fail(std::string("ncclGroupEnd failed: ") + nccl().error_string(ended));
    if (ended == ncclInProgress) await(nullptr, "queuing a sum (ncclGroupEnd)");
    check(cudaEventRecord(sums_[sums_queued_ % in_flight], stream_), "cudaEventRecord");
    ++sums_queued_;
}

void Nccl::broadcast(std::span<std::byte> buffer) {
    const ncclResult_t queued =
        nccl().broadcast(buffer.data(), buffer.data(), buffer.size(), ncclUint8, 0, handle(comm_), stream_);
    if (queued != ncclSuccess && queued != ncclInProgress)
        fail(std::string("ncclBroadcast failed: ") + nccl().error_string(queued));
    if (queued == ncclInProgress) await(nullptr, "queuing a broadcast (ncclBroadcast)");
}

void Nccl::wait() const {
    const cudaStream_t stream = stream_;
    await([stream] { return cudaStreamQuery(stream); }, "waiting for the GPU and the other processes");
}

#else  // built where the toolkit has no nccl.h

Nccl::Nccl(const DataParallel& parallel, cudaStream_t stream) : host_(*parallel.processes), stream_(stream) {
    throw Error("--device cuda under mpirun needs NCCL, and this nabla was built without it (no nccl.h in the CUDA "
                "toolkit): train on the CPU, or rebuild with NCCL installed");
}

Nccl::~Nccl() = default;

void Nccl::sum(std::span<float>) {}
void Nccl::sum(std::span<double>) {}
void Nccl::start_sum(std::span<float>) {}
void Nccl::finish_sums() {}
void Nccl::broadcast(std::span<std::byte>) {}
void Nccl::reduce(void*, std::size_t, int) {}

void Nccl::wait() const {}

void Nccl::await(const std::function<cudaError_t()>&, const char*) const {}

void Nccl::fail(const std::string& message) const { throw Error("NCCL: " + message); }

#endif

}  // namespace nabla::cuda
