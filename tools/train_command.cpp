// nabla train: load data, fit preprocessing on the training part, train, report, save.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "data/loading.hpp"
#include "data/nbd.hpp"
#include "device_flags.hpp"
#include "dist_processes.hpp"
#include "distinct_files.hpp"
#include "memory.hpp"
#include "nabla/checkpoint.hpp"
#include "nabla/error.hpp"
#include "nabla/model.hpp"
#include "nabla/report.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "parse.hpp"
#include "progress.hpp"
#include "train/streamed_rows.hpp"
#include "train/streamed_training.hpp"

namespace nabla::cli {

namespace {

struct TrainFlags {
    std::string data, test, target, ignore, delimiter, missing = "impute", task, save, log, plot, checkpoint, resume, on_divergence = "stop", max_memory;
    std::string hidden = "256,128", activation = "relu", output_activation, loss, optimizer = "adam";
    std::string init = "auto", schedule = "cosine";
    double lr = 1e-3, weight_decay = 0, momentum = 0.9, val_split = 0, clip_norm = 0;
    std::optional<double> dropout;  // unset: default_dropout()
    bool nesterov = false, no_standardize = false, quiet = false, overlap_sums = false, stream = false;
    std::size_t batch = 128, epochs = 0, checkpoint_every = 0;  // epochs 0: default_epochs()
    std::size_t stream_window = 0;  // blocks; 0: default_window_blocks()
    std::uint64_t seed = 1;
    std::optional<int> threads;  // none: all cores, or one a process when processes train together
    DeviceFlags device;
};

// `watched` names the data evaluated after each epoch: "val" (held out) or "test".
void print_epoch(const EpochMetrics& m, std::size_t epochs, Task task, const char* watched) {
    std::printf("epoch %zu/%zu  train loss %.4f", m.epoch, epochs, m.train_loss);
    if (task == Task::classification) std::printf("  acc %.4f", m.train_accuracy);
    if (m.validation) {
        std::printf("  |  %s loss %.4f", watched, m.validation->loss);
        if (task == Task::classification) std::printf("  acc %.4f", m.validation->accuracy);
        else std::printf("  rmse %.4f", m.validation->rmse);
    }
    std::printf("  |  %.1fs, %.0f samples/s, lr %.2e\n", m.seconds, m.samples_per_second, m.learning_rate);
    std::fflush(stdout);
}

// Metrics of a network trained on standardised targets, in the targets' own units: the error
// scales with the standard deviation, the quadratic loss with its square.
EpochMetrics in_target_units(EpochMetrics m, const std::optional<TargetScaling>& scaling) {
    if (!scaling || scaling->stddev.size() != 1) return m;
    const double s = scaling->stddev[0];
    m.train_loss *= s * s;
    if (m.validation) {
        m.validation->loss *= s * s;
        m.validation->rmse *= s;
    }
    return m;
}

// "4 threads", or "1 threads × 2 processes" when processes train together.
std::string workers(const Processes& processes) {
    const std::string threads_each = std::to_string(threads()) + " threads";
    return processes.together() ? threads_each + " × " + std::to_string(processes.count()) + " processes" : threads_each;
}

// How much of the training time the processes spent adding their gradients (docs/distributed.md).
void print_summing_share(double summing_seconds, double training_seconds, int processes) {
    std::printf("%d processes: %.1f%% of the training time adding gradients across them (%.2fs of %.2fs)\n",
                processes, 100.0 * summing_seconds / training_seconds, summing_seconds, training_seconds);
}

// The default length of a run: 10 epochs, or as many as make 1000 optimizer steps when the data
// set is small (150 samples at batch 128 make one step an epoch, and 10 steps learn nothing).
std::size_t default_epochs(std::size_t samples, std::size_t batch) {
    constexpr std::size_t min_epochs = 10, min_steps = 1000;
    const std::size_t steps_per_epoch = batch == 0 ? 1 : (samples + batch - 1) / batch;
    return std::max(min_epochs, (min_steps + steps_per_epoch - 1) / steps_per_epoch);
}

// The default dropout: 0.1 on a training set of under 10,000 samples, where a network of the
// default width has far more parameters than there are samples and learns their noise (on
// scikit-learn's diabetes set, test RMSE 60.7 without it, 58.7 with it, against 59.2 for
// scikit-learn's MLP with its L2 penalty; docs/BENCHMARKS.md), and none on larger sets. The same
// on every device, so that a run means the same on the CPU and the GPU.
double default_dropout(std::size_t samples) {
    constexpr std::size_t small_set = 10000;
    return samples < small_set ? 0.1 : 0.0;
}

// Where a run keeps its checkpoint inside --checkpoint DIR.
std::string checkpoint_file(const std::string& dir) { return (std::filesystem::path(dir) / "checkpoint.nabla").string(); }

// Refuses a run that would write one of its files over another, or over its data.
void check_files(const TrainFlags& f) {
    std::vector<FileFlag> inputs = files_of_source("--data", f.data);
    for (FileFlag& test : files_of_source("--test", f.test)) inputs.push_back(std::move(test));
    const std::string checkpoint = f.checkpoint.empty() ? "" : checkpoint_file(f.checkpoint);
    check_outputs_are_distinct(inputs, {{"--save", f.save}, {"--log", f.log}, {"--plot", f.plot},
                                        {"--checkpoint", checkpoint}});
}

// The memory a run may take: --max-memory, or what the system can give.
std::uint64_t memory_allowed(const TrainFlags& f) {
    return f.max_memory.empty() ? available_memory_bytes() : parse_bytes(f.max_memory, "--max-memory");
}

// Refuses a run whose working set would not fit in the memory allowed: the network, optimizer
// and batch buffers, and with --stream the windows of rows it reads (`stream_bytes`; the rows of
// a run in memory are checked before they are loaded: check_rows_fit).
void check_memory(const NetworkSpec& spec, const TrainFlags& f, const TrainOptions& options, std::size_t samples,
                  std::uint64_t stream_bytes) {
    const std::size_t batch = f.batch == 0 ? samples : std::min(f.batch, samples);
    const std::uint64_t needed =
        training_memory_bytes(spec, batch, options.optimizer.kind, options.dropout > 0) + stream_bytes;
    const std::uint64_t allowed = memory_allowed(f);
    if (needed > allowed)
        throw Error("training this network at batch " + std::to_string(batch) +
                    (stream_bytes ? " from a stream" : "") + " needs about " + format_bytes(needed) + ", more than the " +
                    format_bytes(allowed) + " allowed (--max-memory, default: the memory available)");
}

// Refuses to load the rows of a .nbd file that would not fit in the memory allowed, pointing at
// --stream (other sources are measured only once read).
void check_rows_fit(const TrainFlags& f, const LoadOptions& load) {
    if (!data::is_nbd_file(f.data)) return;
    const data::NbdBlocks file(f.data, load);
    const std::size_t rows = load.rows ? load.rows->end - load.rows->begin : file.rows();
    const std::uint64_t bytes = std::uint64_t(rows) * (file.shape().x.cols + file.shape().y.cols) * sizeof(float);
    const std::uint64_t allowed = memory_allowed(f);
    if (allowed > 0 && bytes > allowed)
        throw Error(f.data + ": its rows take " + format_bytes(bytes) + " in memory, more than the " +
                    format_bytes(allowed) + " allowed (--max-memory, default: the memory available); train with "
                    "--stream to read them a window at a time");
}

// Refuses classification data of a single class.
void check_classes(const TrainFlags& f, const Dataset& data) {
    if (data.task == Task::classification && data.class_names.size() < 2)
        throw Error(f.data + ": every row has the same class" +
                    (data.class_names.empty() ? std::string() : " " + data::quoted(data.class_names[0])) +
                    ": a classifier needs at least two (for a numeric target, use --task regression)");
}

// The statistics a .nbd file stores for a stream (NbdOrigin), or an Error naming it.
template <class Statistics>
Statistics stored(const std::optional<Statistics>& statistics, const std::string& path) {
    if (!statistics)
        throw Error(path + ": has no stored statistics to standardise a stream with (it was converted by an "
                           "earlier nabla, or with --model): convert it again, or train with --no-standardize");
    return *statistics;
}

// The rows of --data as this process trains on them (its share, under mpirun), with the loader's
// notes printed once; refuses classification data of a single class.
Dataset load_training_rows(const TrainFlags& f, const LoadOptions& load, const Processes& processes) {
    Dataset all = [&] {
        const LoadProgressLine progress(!f.quiet && processes.leader() && stderr_is_terminal());
        return load_dataset(f.data, load);
    }();
    if (processes.leader()) print_notes(all);
    check_classes(f, all);
    return all;
}

LoadOptions load_options(const TrainFlags& f) {
    LoadOptions load;
    load.target = f.target;
    load.ignore = parse_names(f.ignore);
    load.delimiter = parse_delimiter(f.delimiter);
    load.missing_is_error = parse_missing_is_error(f.missing);
    if (!f.task.empty()) load.task = parse_task(f.task);
    return load;
}

// The network the flags describe, for data of train's shape.
NetworkSpec network_spec(const TrainFlags& f, const Dataset& train) {
    NetworkSpec spec;
    spec.layers = {train.features()};
    if (!f.hidden.empty() && f.hidden != "none")
        for (std::size_t width : parse_widths(f.hidden, "--hidden")) spec.layers.push_back(width);
    spec.layers.push_back(train.y.cols);
    spec.hidden = parse_activation(f.activation);
    spec.loss = !f.loss.empty() ? parse_loss(f.loss) : train.task == Task::classification ? Loss::cross_entropy : Loss::mse;
    if (!f.output_activation.empty()) spec.output = parse_activation(f.output_activation);
    spec.init = parse_init(f.init);
    return spec;
}

// The model to train: a new network of `spec` (or the checkpoint's), with what reading data later
// needs (preprocessing, names, columns, target).
Model model_for(const TrainFlags& f, const NetworkSpec& spec, const Dataset& train, const Preprocessing& prep,
                const Checkpoint* checkpoint) {
    Model model = checkpoint ? checkpoint->model : Model{Network<float>(spec, f.seed)};
    if (checkpoint && model.network.spec().layers != spec.layers)
        throw Error(checkpoint_file(f.checkpoint) + ": the checkpoint's network does not fit the training data");
    model.task = train.task;
    model.preprocessing = prep;
    model.class_names = train.class_names;
    model.feature_names = train.feature_names;
    model.columns = train.columns;
    model.target_names = train.target_names;
    // By name, so that eval and predict find it in any column order; an index stays an index.
    const bool by_index = !f.target.empty() && f.target.find_first_not_of("0123456789") == std::string::npos;
    model.target = by_index || train.target_column.empty() ? f.target : train.target_column;
    return model;
}

// How to train, from the flags: the run's length, batch, optimizer, schedule and regularisation
// (the callbacks and the processes are the caller's).
TrainOptions train_options(const TrainFlags& f, std::size_t samples) {
    TrainOptions options;
    options.epochs = f.epochs ? f.epochs : default_epochs(samples, f.batch);
    options.batch = f.batch;
    options.optimizer.kind = parse_optimizer(f.optimizer);
    options.optimizer.learning_rate = f.lr;
    options.optimizer.momentum = f.momentum;
    options.optimizer.nesterov = f.nesterov;
    options.optimizer.weight_decay = f.weight_decay;
    options.schedule.kind = parse_schedule(f.schedule);
    options.dropout = f.dropout.value_or(default_dropout(samples));
    options.seed = f.seed;
    options.clip_norm = f.clip_norm;
    options.on_divergence = parse_on_divergence(f.on_divergence);
    return options;
}

// After training: the test result printed and recorded, then the model, log and plot written.
void report(Model& model, const TrainFlags& f, const std::optional<Metrics>& tested,
            const std::vector<EpochMetrics>& history) {
    if (tested) {
        const Metrics& e = *tested;
        const bool classification = model.task == Task::classification;
        model.metadata.emplace_back(classification ? "test_accuracy" : "test_rmse",
                                    std::to_string(classification ? e.accuracy : e.rmse));
        if (classification) std::printf("test accuracy: %.4f (loss %.4f, %zu samples)\n", e.accuracy, e.loss, e.samples);
        else std::printf("test rmse: %.4f (loss %.4f, %zu samples)\n", e.rmse, e.loss, e.samples);
    }
    save_model(model, f.save);
    std::printf("model saved to %s\n", f.save.c_str());
    if (!f.log.empty()) write_metrics_csv(history, model.task, f.log);
    if (!f.plot.empty()) {
        const std::string validation = f.val_split > 0 || f.test.empty() ? "" : " (validation: " + f.test + ")";
        write_learning_curve_svg(history, model.task, "nabla: " + f.data + validation, f.plot);
        std::printf("learning curve written to %s\n", f.plot.c_str());
    }
}

// `checkpoint`: the run to resume, or null for a new run. Processes training together each load
// their share of the rows and train the same model; the first alone prints and writes files.
// Flags → data and model → options → training → report.
int run_train(const TrainFlags& f, const std::vector<std::string>& arguments, const Checkpoint* checkpoint,
              const Processes& processes) {
    if (processes.together() && f.val_split > 0)
        throw Error("--val-split cannot hold rows out when processes train together (each holds only its share); "
                    "give the held-out rows as a file of their own with --test");
    if (f.stream && f.val_split > 0)
        throw Error("--val-split cannot hold rows out of a stream; give the held-out rows as a file of their own "
                    "with --test");
    if (f.stream && !data::is_nbd_file(f.data))
        throw Error("--stream reads a .nbd file, and " + f.data + " is not one: convert it first with nabla convert "
                    "--data " + f.data + " --output FILE.nbd");
    check_files(f);
    set_threads(f.threads.value_or(processes.together() ? 1 : 0));  // processes sharing a machine share its cores
    const Placement where = f.device.placement();
    LoadOptions load = load_options(f);
    load.rows = processes.rows_of(f.data);

    // Preprocessing is fitted on the training part only, then applied to every part alike. A
    // stream (--stream) holds no rows here: it reads them as it trains, standardised with the
    // statistics nabla convert stored, which are what fitting here would give.
    std::unique_ptr<data::NbdBlocks> stream;
    Dataset train, validation;
    if (f.stream) {
        stream = std::make_unique<data::NbdBlocks>(f.data, load);
        train = stream->shape();
        check_classes(f, train);
    } else {
        check_rows_fit(f, load);
        train = load_training_rows(f, load, processes);
    }
    if (f.val_split > 0) std::tie(train, validation) = split_dataset(train, f.val_split, f.seed);
    const std::size_t samples = stream ? stream->rows() : processes.total(train.samples());
    const Preprocessing prep = checkpoint                ? checkpoint->model.preprocessing
                               : train.pixels             ? Preprocessing::pixels(train.features())
                               : f.no_standardize         ? Preprocessing::identity()
                               : stream                   ? stored(stream->standardization(), f.data)
                                                          : Preprocessing::standardize_fit(train.x, *processes.communicator);
    const NetworkSpec spec = network_spec(f, train);
    Model model = model_for(f, spec, train, prep, checkpoint);
    // Regression targets are learnt standardised, and the scale folded into the output layer at the
    // end (TargetScaling): targets in the thousands learn as fast as targets near 1. Fitted on the
    // training rows, like the inputs' standardisation; a resumed run takes its checkpoint's.
    std::optional<TargetScaling> target_scaling;
    if (checkpoint) target_scaling = checkpoint->target_scaling;
    else if (model.task == Task::regression && spec.output_activation() == Activation::identity && !f.no_standardize)
        target_scaling = stream ? stored(stream->target_scaling(), f.data) : TargetScaling::fit(train.y, *processes.communicator);

    // The test set is read the way the model will read data later.
    std::optional<Dataset> test;
    if (!f.test.empty()) {
        LoadOptions test_load;
        test_load.ignore = load.ignore;
        test_load.delimiter = load.delimiter;
        test_load.missing_is_error = load.missing_is_error;
        test_load.rows = processes.rows_of(f.test);
        test = load_dataset_for(model, f.test, test_load);
        if (processes.leader()) print_notes(*test);
    }
    prep.apply(train.x);
    if (f.val_split > 0) prep.apply(validation.x);
    std::optional<Dataset> test_in_training_units;  // the test set as the network sees it while it learns
    if (target_scaling) {
        target_scaling->apply(train.y);
        if (f.val_split > 0) target_scaling->apply(validation.y);
        if (test) target_scaling->apply(test_in_training_units.emplace(*test).y);
    }
    const Dataset* watched = f.val_split > 0              ? &validation
                             : test_in_training_units ? &*test_in_training_units
                             : test                   ? &*test
                                                      : nullptr;

    TrainOptions options = train_options(f, samples);
    options.device = where.device;
    options.precision = where.precision;
    const std::size_t window_blocks =
        f.stream_window ? f.stream_window : default_window_blocks(train.features(), train.y.cols);
    const EpochOrder windows =
        EpochOrder::windowed(samples, data::NbdBlocks::rows_per_block, window_blocks, f.seed, true);
    check_memory(spec, f, options, samples,
                 stream ? StreamedRows::memory_bytes(windows, train.features(), train.y.cols) : 0);
    double summing_seconds = 0;
    TimedSums timed_sums(*processes.communicator, summing_seconds);
    if (processes.together()) options.parallel = DataParallel{&timed_sums, samples, load.rows->begin, f.overlap_sums};
    if (checkpoint) options.resume = &checkpoint->state;
    if (!f.checkpoint.empty() && processes.leader()) {
        std::filesystem::create_directories(f.checkpoint);
        options.checkpoint_every = f.checkpoint_every;
        options.on_checkpoint = [&, path = checkpoint_file(f.checkpoint)](const TrainingState& state) {
            TrainingState with_arguments = state;
            with_arguments.arguments = arguments;
            save_checkpoint(model, with_arguments, path, target_scaling);
        };
    }
    const bool quiet = f.quiet || !processes.leader();
    ProgressBar progress(!quiet && stderr_is_terminal());
    auto start_epoch = [&](std::size_t epoch) {
        progress.start("epoch " + std::to_string(epoch) + "/" + std::to_string(options.epochs));
    };
    options.on_batch = [&](std::size_t done, std::size_t total, double loss) { progress.update(done, total, loss); };
    options.on_epoch = [&](const EpochMetrics& m) {
        progress.finish();
        if (!quiet)
            print_epoch(in_target_units(m, target_scaling), options.epochs, train.task, f.val_split > 0 ? "val" : "test");
        start_epoch(m.epoch + 1);
    };

    start_epoch(checkpoint ? checkpoint->state.epoch : 1);
    if (checkpoint && !quiet)
        std::printf("resuming at epoch %zu, sample %zu of %zu\n", checkpoint->state.epoch, checkpoint->state.position,
                    samples);
    if (!quiet)
        std::printf("training %s on %zu samples (%zu features → %zu outputs), %zu parameters, %s\n",
                    f.data.c_str(), samples, train.features(), train.y.cols, model.network.parameters().size(),
                    workers(processes).c_str());
    const auto started = std::chrono::steady_clock::now();
    std::vector<EpochMetrics> history =
        stream ? train_streamed(model.network, *stream,
                                {window_blocks, load.rows.value_or(RowRange{0, samples}), prep, target_scaling},
                                watched, options)
               : nabla::train(model.network, train, watched, options);
    if (target_scaling) {
        target_scaling->fold_into(model.network);
        for (EpochMetrics& m : history) m = in_target_units(m, target_scaling);
    }
    const double training_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    // Every process measures its share of the test set; all of them hold the same model, which the
    // first alone reports and saves.
    std::optional<Metrics> tested;
    if (test) tested = processes.combine(evaluate_on(where.device, model.network, *test, where.precision));
    if (!processes.leader()) return 0;
    if (processes.together() && !f.quiet) print_summing_share(summing_seconds, training_seconds, processes.count());
    record_training(model, f.data, samples, options, history, target_scaling ? &*target_scaling : nullptr);
    report(model, f, tested, history);
    return 0;
}

// The flags of a training run (everything but --resume), registered on app into f.
void add_train_flags(CLI::App& app, TrainFlags& f) {
    app.add_option("--data", f.data, "training data: fashion-mnist:train, idx:IMAGES,LABELS, a CSV file or a .nbd file");
    app.add_option("--test", f.test, "test data, evaluated after every epoch and at the end");
    app.add_option("--target", f.target, "CSV: target column, by name or 0-based index (default: the last)");
    app.add_option("--ignore", f.ignore, "CSV: columns that are neither features nor target (names, comma-separated)");
    app.add_option("--delimiter", f.delimiter, "CSV: field separator , ; | or tab (default: found in the first line)");
    app.add_option("--missing", f.missing,
                   "CSV: impute (a missing feature gets the training median, or a 'missing' category) or error")
        ->capture_default_str();
    app.add_option("--task", f.task, "CSV: classification (default) or regression");
    app.add_option("--val-split", f.val_split, "hold out this fraction of the training data for validation")
        ->check(number_in(0.0, 0.9));
    app.add_option("--hidden", f.hidden, "hidden layer widths, or 'none'")->capture_default_str();
    app.add_option("--activation", f.activation, "hidden activation: sigmoid, tanh, relu, leaky_relu, identity")
        ->capture_default_str();
    app.add_option("--output-activation", f.output_activation, "output activation (default: follows the loss)");
    app.add_option("--loss", f.loss, "ce, bce or mse (default: ce for classification, mse for regression)");
    app.add_option("--init", f.init, "weight initialiser: auto, xavier or he")->capture_default_str();
    app.add_option("--optimizer", f.optimizer, "sgd, momentum, adam or adamw")->capture_default_str();
    app.add_option("--lr", f.lr, "learning rate")->capture_default_str()->check(positive_number());
    app.add_option("--schedule", f.schedule, "learning-rate schedule: constant, step or cosine")->capture_default_str();
    app.add_option("--momentum", f.momentum, "momentum μ (momentum optimizer)")->capture_default_str();
    app.add_flag("--nesterov", f.nesterov, "Nesterov momentum");
    app.add_option("--weight-decay", f.weight_decay, "L2 weight decay λ (decoupled for adamw)")->capture_default_str();
    app.add_option("--dropout", f.dropout, "dropout rate on hidden layers (default: 0.1 on under 10,000 samples, else 0)")->check(number_in(0.0, 0.95));
    app.add_option("--batch", f.batch, "mini-batch size (0: the whole training set)")->capture_default_str()
        ->check(whole_number_in(0, 1 << 24));
    app.add_option("--epochs", f.epochs, "passes over the training data (default: 10, or enough for 1000 steps)")
        ->check(whole_number_in(1, 1000000));
    app.add_option("--seed", f.seed, "seed of initialisation, shuffling and dropout")->capture_default_str();
    app.add_option("--threads", f.threads, "CPU threads (0: all cores; default: all, or 1 a process under mpirun)")
        ->check(whole_number_in(0, 4096));
    f.device.add_to(app);
    app.add_flag("--no-standardize", f.no_standardize, "CSV: do not standardise features or regression targets");
    app.add_option("--save", f.save, "where to write the trained model (required)");
    app.add_option("--log", f.log, "write per-epoch metrics to this CSV file");
    app.add_option("--plot", f.plot, "write the learning curve to this SVG file");
    app.add_option("--clip-norm", f.clip_norm, "clip the gradient to this global L2 norm (0: off)")
        ->capture_default_str()->check(number_in(0.0, 1e30));
    app.add_option("--on-divergence", f.on_divergence, "when the loss is NaN or infinite: stop or skip-batch")
        ->capture_default_str();
    app.add_option("--checkpoint", f.checkpoint, "keep the complete training state in this directory");
    app.add_option("--checkpoint-every", f.checkpoint_every, "also checkpoint every N steps (0: after each epoch only)")
        ->capture_default_str();
    app.add_flag("--stream", f.stream,
                 "train on a .nbd file a window of blocks at a time, in constant memory, its rows shuffled within "
                 "windows (docs/data.md)");
    app.add_option("--stream-window", f.stream_window,
                   "with --stream: blocks of 65,536 rows in a window (default: as many as make about 32 MiB)")
        ->check(whole_number_in(1, 4096));
    app.add_option("--max-memory", f.max_memory, "refuse runs needing more memory than this (e.g. 8G; default: available)");
    app.add_flag("--overlap-sums", f.overlap_sums,
                 "under mpirun: start each layer's gradient sum as soon as the backward pass has it (pays where "
                 "MPI progresses sums in the background; see docs/distributed.md)");
    app.add_flag("--quiet,-q", f.quiet, "print only the final results");
}

// A resumed run takes every flag from its checkpoint, where the run stored them as CLI11 config, but
// --quiet and --threads: the thread count changes no bit of the result (docs/reliability.md).
int resume_train(const std::string& dir, bool quiet, std::optional<int> threads, const Processes& processes) {
    const Checkpoint checkpoint = load_checkpoint(checkpoint_file(dir));
    CLI::App app;
    TrainFlags f;
    add_train_flags(app, f);
    std::string config;
    for (const std::string& line : checkpoint.state.arguments) config += line + "\n";
    std::istringstream in(config);
    try {
        app.parse_from_stream(in);
    } catch (const CLI::ParseError& e) {
        throw Error(checkpoint_file(dir) + ": the stored training flags do not parse: " + e.what());
    }
    f.quiet = quiet;
    if (threads) f.threads = threads;
    f.checkpoint = dir;
    return run_train(f, checkpoint.state.arguments, &checkpoint, processes);
}

}  // namespace

Command add_train(CLI::App& app) {
    auto f = std::make_shared<TrainFlags>();
    add_train_flags(app, *f);
    app.add_option("--resume", f->resume, "continue the run checkpointed in this directory (its flags are stored there)");
    return [f, &app] {
        if (!f->resume.empty()) {
            for (const CLI::Option* option : app.get_options())
                if (option->count() > 0 && option->get_name() != "--resume" && option->get_name() != "--quiet" &&
                    option->get_name() != "--threads" && option->get_name() != "--help")
                    throw Error("--resume continues a run exactly as it was started: drop " + option->get_name());
            return run_as_processes(
                [&](const Processes& processes) { return resume_train(f->resume, f->quiet, f->threads, processes); });
        }
        if (f->data.empty()) throw Error("--data is required (or --resume DIR)");
        if (f->save.empty()) throw Error("--save is required: where to write the trained model");
        // The run's flags as CLI11 config lines, stored in checkpoints so that --resume needs no others.
        std::vector<std::string> arguments;
        std::istringstream config(app.config_to_str(false, false));
        for (std::string line; std::getline(config, line);)
            if (!line.empty() && line.rfind("resume", 0) != 0) arguments.push_back(line);
        return run_as_processes(
            [&](const Processes& processes) { return run_train(*f, arguments, nullptr, processes); });
    };
}

}  // namespace nabla::cli
