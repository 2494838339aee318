// nabla train: load data, fit preprocessing on the training part, train, report, save.
#include <cstdio>
#include <ctime>
#include <memory>

#include "commands.hpp"
#include "nabla/error.hpp"
#include "nabla/model.hpp"
#include "nabla/report.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "parse.hpp"
#include "progress.hpp"

namespace nabla::cli {

namespace {

struct TrainFlags {
    std::string data, test, target, task, save, log, plot;
    std::string hidden = "256,128", activation = "relu", output_activation, loss, optimizer = "adam";
    std::string init = "auto", schedule = "cosine";
    double lr = 1e-3, weight_decay = 0, momentum = 0.9, dropout = 0, val_split = 0;
    bool nesterov = false, no_standardize = false, quiet = false;
    std::size_t batch = 128, epochs = 10;
    std::uint64_t seed = 1;
    int threads = 0;
};

std::string utc_now() {
    char text[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return text;
}

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

int run_train(const TrainFlags& f) {
    set_threads(f.threads);
    LoadOptions load;
    load.target = f.target;
    if (!f.task.empty()) load.task = parse_task(f.task);
    Dataset all = load_dataset(f.data, load);

    // Preprocessing is fitted on the training part only, then applied to every part alike.
    Dataset train = std::move(all), validation;
    if (f.val_split > 0) std::tie(train, validation) = split_dataset(train, f.val_split, f.seed);
    const Preprocessing prep = train.pixels ? Preprocessing::pixels(train.features())
                               : f.no_standardize ? Preprocessing::identity()
                                                  : Preprocessing::standardize_fit(train.x);

    NetworkSpec spec;
    spec.layers = {train.features()};
    if (!f.hidden.empty() && f.hidden != "none")
        for (std::size_t width : parse_widths(f.hidden, "--hidden")) spec.layers.push_back(width);
    spec.layers.push_back(train.y.cols);
    spec.hidden = parse_activation(f.activation);
    spec.loss = !f.loss.empty() ? parse_loss(f.loss) : train.task == Task::classification ? Loss::cross_entropy : Loss::mse;
    if (!f.output_activation.empty()) spec.output = parse_activation(f.output_activation);
    spec.init = parse_init(f.init);

    Model model{Network<float>(spec, f.seed)};
    model.task = train.task;
    model.preprocessing = prep;
    model.class_names = train.class_names;
    model.feature_names = train.feature_names;
    model.target_names = train.target_names;
    model.target = f.target;

    // The held-out and test sets are read the way the model will read data later.
    std::optional<Dataset> test;
    if (!f.test.empty()) test = load_dataset_for(model, f.test);
    prep.apply(train.x);
    if (f.val_split > 0) prep.apply(validation.x);
    const Dataset* watched = f.val_split > 0 ? &validation : test ? &*test : nullptr;

    TrainOptions options;
    options.epochs = f.epochs;
    options.batch = f.batch;
    options.optimizer.kind = parse_optimizer(f.optimizer);
    options.optimizer.learning_rate = f.lr;
    options.optimizer.momentum = f.momentum;
    options.optimizer.nesterov = f.nesterov;
    options.optimizer.weight_decay = f.weight_decay;
    options.schedule.kind = parse_schedule(f.schedule);
    options.dropout = f.dropout;
    options.seed = f.seed;

    ProgressBar progress(!f.quiet && stderr_is_terminal());
    auto start_epoch = [&](std::size_t epoch) {
        progress.start("epoch " + std::to_string(epoch) + "/" + std::to_string(f.epochs));
    };
    options.on_batch = [&](std::size_t done, std::size_t total, double loss) { progress.update(done, total, loss); };
    options.on_epoch = [&](const EpochMetrics& m) {
        progress.finish();
        if (!f.quiet) print_epoch(m, f.epochs, train.task, f.val_split > 0 ? "val" : "test");
        start_epoch(m.epoch + 1);
    };
    start_epoch(1);
    if (!f.quiet)
        std::printf("training %s on %zu samples (%zu features → %zu outputs), %zu parameters, %d threads\n",
                    f.data.c_str(), train.samples(), train.features(), train.y.cols,
                    model.network.parameters().size(), threads());
    const std::vector<EpochMetrics> history = nabla::train(model.network, train, watched, options);

    model.metadata = {{"created", utc_now()},
                      {"nabla_version", "0.1.0"},
                      {"data", f.data},
                      {"train_samples", std::to_string(train.samples())},
                      {"epochs", std::to_string(f.epochs)},
                      {"batch", std::to_string(f.batch)},
                      {"optimizer", optimizer_name(options.optimizer.kind)},
                      {"learning_rate", std::to_string(f.lr)},
                      {"schedule", schedule_name(options.schedule.kind)},
                      {"weight_decay", std::to_string(f.weight_decay)},
                      {"dropout", std::to_string(f.dropout)},
                      {"seed", std::to_string(f.seed)},
                      {"final_train_loss", std::to_string(history.back().train_loss)}};
    if (test) {
        const Evaluation e = evaluate(model.network, *test);
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
        const std::string title = "nabla: " + f.data + (f.val_split > 0 ? "" : test ? " (validation: " + f.test + ")" : "");
        write_learning_curve_svg(history, model.task, title, f.plot);
        std::printf("learning curve written to %s\n", f.plot.c_str());
    }
    return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
    auto f = std::make_shared<TrainFlags>();
    app.add_option("--data", f->data, "training data: fashion-mnist:train, idx:IMAGES,LABELS or a CSV file")->required();
    app.add_option("--test", f->test, "test data, evaluated after every epoch and at the end");
    app.add_option("--target", f->target, "CSV: target column, by name or 0-based index (default: the last)");
    app.add_option("--task", f->task, "CSV: classification (default) or regression");
    app.add_option("--val-split", f->val_split, "hold out this fraction of the training data for validation")
        ->check(CLI::Range(0.0, 0.9));
    app.add_option("--hidden", f->hidden, "hidden layer widths, or 'none'")->capture_default_str();
    app.add_option("--activation", f->activation, "hidden activation: sigmoid, tanh, relu, leaky_relu, identity")
        ->capture_default_str();
    app.add_option("--output-activation", f->output_activation, "output activation (default: follows the loss)");
    app.add_option("--loss", f->loss, "ce, bce or mse (default: ce for classification, mse for regression)");
    app.add_option("--init", f->init, "weight initialiser: auto, xavier or he")->capture_default_str();
    app.add_option("--optimizer", f->optimizer, "sgd, momentum, adam or adamw")->capture_default_str();
    app.add_option("--lr", f->lr, "learning rate")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--schedule", f->schedule, "learning-rate schedule: constant, step or cosine")->capture_default_str();
    app.add_option("--momentum", f->momentum, "momentum μ (momentum optimizer)")->capture_default_str();
    app.add_flag("--nesterov", f->nesterov, "Nesterov momentum");
    app.add_option("--weight-decay", f->weight_decay, "L2 weight decay λ (decoupled for adamw)")->capture_default_str();
    app.add_option("--dropout", f->dropout, "dropout rate on hidden layers")->capture_default_str()->check(CLI::Range(0.0, 0.95));
    app.add_option("--batch", f->batch, "mini-batch size (0: the whole training set)")->capture_default_str()
        ->check(CLI::Range(std::size_t(0), std::size_t(1) << 24));
    app.add_option("--epochs", f->epochs, "passes over the training data")->capture_default_str()
        ->check(CLI::Range(std::size_t(1), std::size_t(1000000)));
    app.add_option("--seed", f->seed, "seed of initialisation, shuffling and dropout")->capture_default_str();
    app.add_option("--threads", f->threads, "CPU threads (0: all cores)")->capture_default_str()->check(CLI::Range(0, 4096));
    app.add_flag("--no-standardize", f->no_standardize, "CSV: do not standardise features");
    app.add_option("--save", f->save, "where to write the trained model")->required();
    app.add_option("--log", f->log, "write per-epoch metrics to this CSV file");
    app.add_option("--plot", f->plot, "write the learning curve to this SVG file");
    app.add_flag("--quiet,-q", f->quiet, "print only the final results");
    return [f] { return run_train(*f); };
}

}  // namespace nabla::cli
