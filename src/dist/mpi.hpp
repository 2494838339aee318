// MPI for data-parallel training (docs/distributed.md): the processes of a job, the sums that make
// them train one model, and the abort that ends them all when one of them fails. Built only with
// MPI (NABLA_MPI); the library itself never depends on it.
#pragma once

#include <cstddef>
#include <span>
#include <memory>
#include <string>

#include "nabla/communicator.hpp"

namespace nabla::dist {

// MPI for the lifetime of this object: MPI_Init_thread on construction, MPI_Finalize on destruction.
// Only a process started by an MPI launcher (mpirun, srun) may create one. MPI calls that fail
// throw nabla::Error (MPI_ERRORS_RETURN) instead of MPI's default of aborting without a word.
//
// MPI_Finalize waits for the other processes, so an error must end in abort_all(), never in this
// destructor: a process leaving alone would hang the others in their next collective.
class Mpi : public Communicator {
public:
    Mpi();
    ~Mpi();
    Mpi(const Mpi&) = delete;
    Mpi& operator=(const Mpi&) = delete;

    int rank() const override { return rank_; }  // 0 .. size() − 1
    int size() const override { return size_; }  // the processes of the job
    int local_rank() const override { return local_rank_; }  // among the job's processes on this machine

    // Adds the buffer element-wise across all processes, in place (MPI_Allreduce, MPI_SUM): every
    // process ends with the same sums.
    void sum(std::span<float> buffer) override;
    void sum(std::span<double> buffer) override;

    // Starts adding the buffer across all processes in place (MPI_Iallreduce) and lets the sums
    // started before progress; finish_sums() waits for all of them. The buffer must stay put
    // until then, and every process must start the same sums in the same order.
    void start_sum(std::span<float> buffer) override;
    void finish_sums() override;

    // Copies rank 0's buffer into every other process's (MPI_Bcast).
    void broadcast(std::span<std::byte> buffer) override;

    // Prints "nabla: error: rank R of N: MESSAGE" and ends every process of the job with exit
    // status 1 (MPI_Abort), so that one process's failure does not leave the others waiting.
    [[noreturn]] void abort_all(const std::string& message) const;

private:
    int rank_ = 0;
    int size_ = 1;
    int local_rank_ = 0;
    struct Requests;  // the MPI_Requests of the sums started and not yet finished (mpi.cpp)
    std::unique_ptr<Requests> pending_;
};

}  // namespace nabla::dist
