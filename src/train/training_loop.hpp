// The training loop, written once for every backend (backend.hpp): train() (device.cpp) picks the
// backend for TrainOptions::device and runs it here.
#pragma once

#include <cstddef>
#include <vector>

#include "train/backend.hpp"
#include "train/epoch_order.hpp"

namespace nabla {

// Throws Error unless data fits net: samples present, as many features and outputs as the
// network's input and output widths, and every value finite. `role` ("training", "validation",
// …) names the data in the message.
void check_fits(const Network<float>& net, const Dataset& data, const char* role);

// Metrics of every process's part of a data set combined as if measured on the whole (each mean
// weighted by its samples, the RMSE through its mean square).
Metrics combine_across_processes(const Metrics& mine, Communicator& processes);

// The processes a run trains in, and the rows this one holds (TrainOptions::parallel).
struct Shard {
    Communicator& processes;
    std::size_t samples;  // in all processes
    std::size_t first;    // the first this process holds
    bool overlap;         // DataParallel::overlap_sums
};
Shard shard_of(const TrainOptions& options, std::size_t held);  // held: the rows this process holds

// The batch size of a run over n samples: options.batch, or all n when it is 0 or larger.
std::size_t batch_size(const TrainOptions& options, std::size_t n);

// Trains on `backend` (which trains net) for options.epochs epochs over the shard's samples in
// `order`, of which this process holds `held` (the backend's rows) of `task`; `validation`, if
// given, is measured after each epoch. At the end, and when it stops, net holds the backend's
// parameters. options and the data are checked by the caller.
std::vector<EpochMetrics> run_training(Backend& backend, Network<float>& net, EpochOrder& order, std::size_t held,
                                       Task task, const Dataset* validation, const TrainOptions& options,
                                       const Shard& shard);

}  // namespace nabla
