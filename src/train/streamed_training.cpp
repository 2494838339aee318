#include "train/streamed_training.hpp"

#include "cpu/training_backend.hpp"
#include "nabla/device.hpp"
#include "nabla/error.hpp"
#include "train/streamed_rows.hpp"
#include "train/training_loop.hpp"

namespace nabla {

std::vector<EpochMetrics> train_streamed(Network<float>& net, const data::NbdBlocks& file, const Streaming& streaming,
                                         const Dataset* validation, const TrainOptions& options) {
    check_device(options.device, options.precision);
    options.validate();
    if (options.device != Device::cpu)
        throw Error("--stream trains on the CPU: a GPU run holds its training rows in GPU memory (drop --stream "
                    "or --device cuda)");
    const Dataset& shape = file.shape();
    if (shape.x.cols != net.input_size() || shape.y.cols != net.output_size())
        throw Error("training data '" + shape.source + "' has " + std::to_string(shape.x.cols) + " features and " +
                    std::to_string(shape.y.cols) + " outputs per sample, but the network takes " +
                    std::to_string(net.input_size()) + " and gives " + std::to_string(net.output_size()));
    if (file.rows() == 0) throw Error("training data '" + shape.source + "' has no samples");
    if (validation) check_fits(net, *validation, "validation");
    const RowRange share = streaming.share;
    const Shard shard = shard_of(options, share.end - share.begin);
    if (shard.samples != file.rows() || share.end > file.rows() || share.begin != shard.first)
        throw Error("--stream: this process's rows do not lie within '" + shape.source + "'");
    const std::size_t batch = batch_size(options, shard.samples);
    if (batch > window_rows(streaming.window_blocks))
        throw Error("--batch " + (options.batch == 0 ? "0 (the whole set, " + std::to_string(batch) + " rows)" : std::to_string(batch)) +
                    " is larger than a stream window of " +
                    std::to_string(streaming.window_blocks) + " blocks (" +
                    std::to_string(window_rows(streaming.window_blocks)) + " rows): raise --stream-window");
    EpochOrder order = EpochOrder::windowed(shard.samples, data::NbdBlocks::rows_per_block, streaming.window_blocks,
                                            options.seed, options.shuffle);
    StreamedRows rows(file, order, share, streaming.inputs, streaming.targets);
    cpu::TrainingBackend backend(net, rows, options, batch, shard.processes, shard.first, shard.overlap);
    return run_training(backend, net, order, rows.held(), shape.task, validation, options, shard);
}

}  // namespace nabla
