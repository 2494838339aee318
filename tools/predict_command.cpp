// nabla predict: one CSV row per sample, the predicted class and the class probabilities, or the
// regression outputs.
#include <cstdio>
#include <memory>
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

// One row per sample: its id (with --id), then the predicted class and the class probabilities, or
// the regression outputs.
std::string predictions_csv(const Model& model, const Matrix<float>& a, const std::string& id_name,
                            const std::vector<std::string>& ids) {
    std::string out;
    const bool classification = model.task == Task::classification;
    const bool single_sigmoid = classification && a.cols == 1;  // output = P(class 1)
    if (!ids.empty()) out += csv_field(id_name) + ",";
    if (classification) {
        out += "prediction";
        for (const std::string& name : model.class_names) out += ",p_" + csv_field(name);
    } else {
        for (std::size_t j = 0; j < a.cols; ++j)
            out += (j ? "," : "") + csv_field(j < model.target_names.size() ? model.target_names[j] : "y" + std::to_string(j));
    }
    out += '\n';
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
        const Dataset data = load_dataset_for(model, f->data, load);
        print_notes(data);
        const std::string csv = predictions_csv(model, predict_on(where.device, model.network, data.x, where.precision),
                                                f->id, data.ids);
        if (f->output.empty() || f->output == "-") {
            std::fwrite(csv.data(), 1, csv.size(), stdout);
            return 0;
        }
        AtomicFile file(f->output);
        file.write(csv);
        file.commit();
        return 0;
    };
}

}  // namespace nabla::cli
