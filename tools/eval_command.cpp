// nabla eval: a saved model's loss and accuracy (or RMSE) on a data set.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "device_flags.hpp"
#include "parse.hpp"
#include "progress.hpp"
#include "nabla/model.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

namespace nabla::cli {

namespace {

void print_confusion(const Evaluation& e, const std::vector<std::string>& names) {
    std::size_t width = 6;
    for (const std::string& name : names) width = std::max(width, name.size() + 1);
    std::printf("confusion matrix (rows: true class, columns: predicted):\n%*s", int(width), "");
    for (std::size_t j = 0; j < e.classes; ++j) std::printf("%*s", int(width), names[j].c_str());
    std::printf("\n");
    for (std::size_t i = 0; i < e.classes; ++i) {
        std::printf("%*s", int(width), names[i].c_str());
        for (std::size_t j = 0; j < e.classes; ++j) std::printf("%*zu", int(width), e.confusion[i * e.classes + j]);
        std::printf("\n");
    }
}

// Precision, recall, F1 and support of each class, by name.
nlohmann::json per_class_json(const Evaluation& e, const std::vector<std::string>& names) {
    nlohmann::json classes = nlohmann::json::object();
    for (std::size_t c = 0; c < e.classes; ++c) {
        const Evaluation::ClassScores s = e.class_scores(c);
        classes[c < names.size() ? names[c] : std::to_string(c)] = {
            {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
    }
    return classes;
}

// The unweighted means of precision, recall and F1 over the classes.
nlohmann::json macro_json(const Evaluation& e) {
    double precision = 0, recall = 0, f1 = 0;
    for (std::size_t c = 0; c < e.classes; ++c) {
        const Evaluation::ClassScores s = e.class_scores(c);
        precision += s.precision, recall += s.recall, f1 += s.f1;
    }
    const double n = double(e.classes);
    return {{"precision", precision / n}, {"recall", recall / n}, {"f1", f1 / n}};
}

}  // namespace

Command add_eval(CLI::App& app) {
    struct Flags {
        std::string model, data, ignore, delimiter, missing = "impute";
        bool json = false;
        bool strict = false;
        int threads = 0;
        DeviceFlags device;
    };
    auto f = std::make_shared<Flags>();
    app.add_option("--model", f->model, "model file written by nabla train")->required();
    app.add_option("--data", f->data, "data to evaluate on (with targets)")->required();
    app.add_option("--ignore", f->ignore, "CSV: columns to leave out (names, comma-separated)");
    app.add_option("--delimiter", f->delimiter, "CSV: field separator , ; | or tab (default: found in the first line)");
    app.add_option("--missing", f->missing, "CSV: impute (as fitted in training) or error")->capture_default_str();
    app.add_flag("--strict", f->strict, "CSV: refuse a category the model never saw (default: all-zero inputs, a note)");
    app.add_option("--threads", f->threads, "CPU threads (0: all cores)")->check(whole_number_in(0, 4096));
    f->device.add_to(app);
    app.add_flag("--json", f->json, "print one JSON object");
    return [f] {
        set_threads(f->threads);
        const Placement where = f->device.placement();
        const Model model = load_model(f->model);
        LoadOptions load;
        load.ignore = parse_names(f->ignore);
        load.delimiter = parse_delimiter(f->delimiter);
        load.missing_is_error = parse_missing_is_error(f->missing);
        load.unseen_is_error = f->strict;
        const Dataset data = [&] {
            const LoadProgressLine progress(stderr_is_terminal());  // a terminal only: nothing in logs
            return load_dataset_for(model, f->data, load);
        }();
        print_notes(data);
        const Evaluation e = evaluate_on(where.device, model.network, data, where.precision);
        const bool classification = model.task == Task::classification;
        if (f->json) {
            nlohmann::json j = {{"samples", e.samples}, {"loss", e.loss}, {"task", task_name(model.task)}};
            if (classification) {
                j["accuracy"] = e.accuracy;
                j["confusion"] = e.confusion;
                j["classes"] = model.class_names;
                j["per_class"] = per_class_json(e, model.class_names);
                j["macro"] = macro_json(e);
            } else {
                j["rmse"] = e.rmse;
                j["mae"] = e.mae;
                j["r2"] = e.r2;
            }
            std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
            return 0;
        }
        std::printf("%zu samples from %s\nloss %.6f\n", e.samples, f->data.c_str(), e.loss);
        if (!classification) {
            std::printf("rmse %.6f\nmae %.6f\nr2 %.6f\n", e.rmse, e.mae, e.r2);
            return 0;
        }
        std::printf("accuracy %.4f\n", e.accuracy);
        print_confusion(e, model.class_names);
        return 0;
    };
}

}  // namespace nabla::cli
