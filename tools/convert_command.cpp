// nabla convert: reads a data source once, as train (or, with --model, eval and predict) would
// read it, and saves what it read as a .nbd file (docs/data.md), which later runs load in a few
// large reads instead of parsing the text again.
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "distinct_files.hpp"
#include "parse.hpp"
#include "progress.hpp"
#include "nabla/model.hpp"
#include "nabla/threads.hpp"

namespace nabla::cli {

namespace {

// The source's inputs with NaN where a numeric feature value was missing, instead of the fill it
// got: the source read again with the columns `data` has, each numeric one's fill NaN. Loading the
// .nbd file fills them in again, with these columns' fills or a model's (docs/data.md).
Matrix<float> with_missing_values(const std::string& source, LoadOptions load, const Dataset& data) {
    if (data.columns.empty()) return data.x;  // IDX images: no value is ever missing
    load.columns = data.columns;
    for (InputColumn& column : load.columns)
        if (column.kind == InputColumn::Kind::numeric) column.fill = std::numeric_limits<float>::quiet_NaN();
    return load_dataset(source, load).x;
}

}  // namespace

Command add_convert(CLI::App& app) {
    struct Flags {
        std::string data, output, model, target, ignore, id, delimiter, task, missing = "impute";
        bool strict = false;
        bool no_targets = false;
        int threads = 0;
    };
    auto f = std::make_shared<Flags>();
    app.add_option("--data", f->data, "the data to convert: a CSV file, or any source train reads")->required();
    app.add_option("--output,-o", f->output, "the .nbd file to write")->required();
    auto* model = app.add_option("--model", f->model, "read the data as eval and predict read it for this model");
    app.add_option("--target", f->target, "CSV: target column, by name or 0-based index (default: the last)")
        ->excludes(model);
    app.add_option("--task", f->task, "CSV: classification (default) or regression")->excludes(model);
    app.add_option("--ignore", f->ignore, "CSV: columns that are neither features nor target (names, comma-separated)");
    app.add_option("--id", f->id, "CSV: a column kept beside the rows (predict --id copies it into its output)");
    app.add_option("--delimiter", f->delimiter, "CSV: field separator , ; | or tab (default: found in the first line)");
    app.add_option("--missing", f->missing, "CSV: impute (as fitted) or error")->capture_default_str();
    app.add_flag("--strict", f->strict, "with --model: refuse a category the model never saw")->needs(model);
    app.add_flag("--no-targets", f->no_targets, "with --model: do not read the target column (data to predict on)")
        ->needs(model);
    app.add_option("--threads", f->threads, "CPU threads (0: all cores)")->check(whole_number_in(0, 4096));
    return [f] {
        std::vector<FileFlag> inputs = files_of_source("--data", f->data);
        inputs.push_back({"--model", f->model});
        if (f->output == "-") throw UsageError("--output: name a file; a .nbd file is binary data");
        check_outputs_are_distinct(inputs, {{"--output", f->output}});
        set_threads(f->threads);
        LoadOptions load;
        load.target = f->target;
        load.ignore = parse_names(f->ignore);
        load.id_column = f->id;
        load.delimiter = parse_delimiter(f->delimiter);
        load.missing_is_error = parse_missing_is_error(f->missing);
        if (!f->task.empty()) load.task = parse_task(f->task);
        if (!f->model.empty()) {  // as load_dataset_for reads, without the model's preprocessing
            load = load_options_for(load_model(f->model), load);
            load.unseen_is_error = f->strict;
            load.targets_optional = f->no_targets;
        }
        Dataset data = [&] {
            const LoadProgressLine progress(stderr_is_terminal());  // a terminal only: nothing in logs
            return load_dataset(f->data, load);
        }();
        print_notes(data);
        NbdOrigin origin;
        origin.source = f->data;
        origin.options = load;
        if (f->model.empty()) {  // what train fits on these rows, for a streamed run (docs/data.md)
            origin.standardization = Preprocessing::standardize_fit(data.x);
            if (data.task == Task::regression && !data.y.empty()) origin.target_scaling = TargetScaling::fit(data.y);
        }
        data.x = with_missing_values(f->data, load, data);
        save_nbd(data, origin, f->output);
        std::printf("%s: %zu samples, %zu features%s\n", f->output.c_str(), data.samples(), data.features(),
                    data.has_targets ? (std::string(", ") + task_name(data.task) + " targets").c_str() : "");
        return 0;
    };
}

}  // namespace nabla::cli
