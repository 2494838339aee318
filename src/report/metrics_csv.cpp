// Per-epoch metrics as CSV, one row per epoch, numbers in their shortest exact form so that a
// spreadsheet or a script reads back exactly what training measured.
#include <charconv>
#include <string>

#include "io/atomic_file.hpp"
#include "nabla/report.hpp"

namespace nabla {

namespace {

std::string number(double value) {
    char text[32];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    return std::string(text, end);
}

// A column that does not apply (no validation data, accuracy of a regression) stays empty.
std::string number_if(bool applies, double value) { return applies ? number(value) : std::string(); }

std::string row(const EpochMetrics& epoch, Task task) {
    const bool classification = task == Task::classification;
    const bool validated = epoch.validation.has_value();
    const Metrics validation = epoch.validation.value_or(Metrics{});
    return std::to_string(epoch.epoch) + ',' + number(epoch.train_loss) + ',' +
           number_if(classification, epoch.train_accuracy) + ',' + number_if(validated, validation.loss) + ',' +
           number_if(validated && classification, validation.accuracy) + ',' +
           number_if(validated && !classification, validation.rmse) + ',' + number(epoch.learning_rate) + ',' +
           number(epoch.seconds) + ',' + number(epoch.samples_per_second) + '\n';
}

}  // namespace

void write_metrics_csv(const std::vector<EpochMetrics>& history, Task task, const std::string& path) {
    AtomicFile file(path);
    file.write("epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_rmse,learning_rate,seconds,samples_per_s\n");
    for (const EpochMetrics& epoch : history) file.write(row(epoch, task));
    file.commit();
}

}  // namespace nabla
