// nabla predict: one CSV row per sample, the predicted class and the class probabilities, or the
// regression outputs. The data are read, predicted and written a part at a time, so that memory
// stays the same for any number of rows.
#include <cstdio>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "device_flags.hpp"
#include "distinct_files.hpp"
#include "parse.hpp"
#include "io/atomic_file.hpp"
#include "nabla/model.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

namespace nabla::cli {

namespace {

// %.9g: a float printed this way reads back as the same float.
std::string number(float v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", double(v));
    return text;
}

// CSV field, quoted when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

// The first line: the id column's name (with --id), then "prediction" and a probability per
// class, or the regression outputs' names.
std::string header_line(const Model& model, const std::string& id_name) {
    std::string out;
    if (!id_name.empty()) out += csv_field(id_name) + ",";
    if (model.task == Task::classification) {
        out += "prediction";
        for (const std::string& name : model.class_names) out += ",p_" + csv_field(name);
    } else {
        const std::size_t outputs = model.network.output_size();
        for (std::size_t j = 0; j < outputs; ++j)
            out += (j ? "," : "") + csv_field(j < model.target_names.size() ? model.target_names[j] : "y" + std::to_string(j));
    }
    return out + '\n';
}

// One row per sample: its id (with --id), then the predicted class and the class probabilities, or
// the regression outputs.
std::string prediction_rows(const Model& model, const Matrix<float>& a, const std::vector<std::string>& ids) {
    std::string out;
    const bool classification = model.task == Task::classification;
    const bool single_sigmoid = classification && a.cols == 1;  // output = P(class 1)
    for (std::size_t i = 0; i < a.rows; ++i) {
        const float* row = a.row(i);
        if (!ids.empty()) out += csv_field(ids[i]) + ",";
        if (classification) {
            out += csv_field(model.class_names[predicted_class(row, a.cols)]);
            if (single_sigmoid) out += "," + number(1.0f - row[0]) + "," + number(row[0]);
            else for (std::size_t j = 0; j < a.cols; ++j) out += "," + number(row[j]);
        } else {
            for (std::size_t j = 0; j < a.cols; ++j) out += (j ? "," : "") + number(row[j]);
        }
        out += '\n';
    }
    return out;
}

// Rows read this many at a time: memory holds a part's text, inputs and outputs, whatever the
// size of the data.
constexpr std::size_t kRowsPerPart = 65536;
// predict_on's batch. Rows are predicted in whole batches (the last one short), the batches a
// prediction of all the rows at once would make, so that every number comes out the same.
constexpr std::size_t kBatch = 1024;

// The predictions of rows that arrive a part at a time, handed to `write` as they are made.
class StreamedPredictions {
public:
    StreamedPredictions(const Model& model, const Placement& where, std::function<void(const std::string&)> write)
        : model_(model), where_(where), write_(std::move(write)) {}

    void add(const Dataset& part) {
        x_.insert(x_.end(), part.x.data.begin(), part.x.data.end());
        ids_.insert(ids_.end(), part.ids.begin(), part.ids.end());
        rows_ += part.samples();
        cols_ = part.features();
        if (rows_ >= kBatch) predict_first(rows_ / kBatch * kBatch);
    }

    void finish() {
        if (rows_ > 0) predict_first(rows_);
    }

private:
    void predict_first(std::size_t n) {
        Matrix<float> x(n, cols_);
        std::copy_n(x_.begin(), n * cols_, x.data.begin());
        const Matrix<float> a = predict_on(where_.device, model_.network, x, where_.precision, kBatch);
        const std::size_t with_ids = std::min(n, ids_.size());
        write_(prediction_rows(model_, a, std::vector<std::string>(ids_.begin(), ids_.begin() + std::ptrdiff_t(with_ids))));
        x_.erase(x_.begin(), x_.begin() + std::ptrdiff_t(n * cols_));
        ids_.erase(ids_.begin(), ids_.begin() + std::ptrdiff_t(with_ids));
        rows_ -= n;
    }

    const Model& model_;
    const Placement where_;
    std::function<void(const std::string&)> write_;
    std::vector<float> x_;  // rows not predicted yet, fewer than a batch after each part
    std::vector<std::string> ids_;
    std::size_t rows_ = 0, cols_ = 0;
};

}  // namespace

Command add_predict(CLI::App& app) {
    struct Flags {
        std::string model, data, output, ignore, id, delimiter, missing = "impute";
        bool strict = false;
        int threads = 0;
        DeviceFlags device;
    };
    auto f = std::make_shared<Flags>();
    app.add_option("--model", f->model, "model file written by nabla train")->required();
    app.add_option("--data", f->data, "data to predict (a target column, if any, is not read)")->required();
    app.add_option("--output,-o", f->output, "write the CSV here (default, or -: standard output)");
    app.add_option("--ignore", f->ignore, "CSV: columns to leave out (names, comma-separated)");
    app.add_option("--delimiter", f->delimiter, "CSV: field separator , ; | or tab (default: found in the first line)");
    app.add_option("--missing", f->missing, "CSV: impute (as fitted in training) or error")->capture_default_str();
    app.add_flag("--strict", f->strict, "CSV: refuse a category the model never saw (default: all-zero inputs, a note)");
    app.add_option("--id", f->id, "CSV: a column to copy into the output, first, to tell the rows apart");
    app.add_option("--threads", f->threads, "CPU threads (0: all cores)")->check(whole_number_in(0, 4096));
    f->device.add_to(app);
    return [f] {
        std::vector<FileFlag> inputs = files_of_source("--data", f->data);
        inputs.push_back({"--model", f->model});
        check_outputs_are_distinct(inputs, {{"--output", f->output}});
        set_threads(f->threads);
        const Placement where = f->device.placement();
        const Model model = load_model(f->model);
        LoadOptions load;
        load.targets_optional = true;
        load.ignore = parse_names(f->ignore);
        load.delimiter = parse_delimiter(f->delimiter);
        load.missing_is_error = parse_missing_is_error(f->missing);
        load.unseen_is_error = f->strict;
        load.id_column = f->id;
        // Standard output, or the file through AtomicFile: a failure midway leaves no file behind.
        std::optional<AtomicFile> file;
        if (!f->output.empty() && f->output != "-") file.emplace(f->output);
        const auto write = [&](const std::string& text) {
            if (file) file->write(text);
            else std::fwrite(text.data(), 1, text.size(), stdout);
        };
        StreamedPredictions predictions(model, where, write);
        std::set<std::string> noted;  // a note that every part repeats is printed once
        bool started = false;
        load_dataset_for_in_parts(model, f->data, load, kRowsPerPart, [&](Dataset& part) {
            if (!started) write(header_line(model, f->id));  // once the first part has read well
            started = true;
            for (const std::string& note : part.notes)
                if (noted.insert(note).second) std::fprintf(stderr, "nabla: note: %s\n", note.c_str());
            predictions.add(part);
        });
        predictions.finish();
        if (file) file->commit();
        return 0;
    };
}

}  // namespace nabla::cli
