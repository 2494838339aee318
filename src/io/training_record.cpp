#include <ctime>

#include "nabla/model.hpp"
#include "nabla/version.hpp"

namespace nabla {

namespace {

std::string utc_now() {
    char text[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return text;
}

}  // namespace

void record_training(Model& model, const std::string& data, std::size_t samples, const TrainOptions& options,
                     const std::vector<EpochMetrics>& history, const TargetScaling* target_scaling) {
    model.metadata = {{"created", utc_now()},
                      {"nabla_version", version()},
                      {"data", data},
                      {"train_samples", std::to_string(samples)},
                      {"epochs", std::to_string(history.size())},
                      {"batch", std::to_string(options.batch)},
                      {"optimizer", optimizer_name(options.optimizer.kind)},
                      {"learning_rate", std::to_string(options.optimizer.learning_rate)},
                      {"schedule", schedule_name(options.schedule.kind)},
                      {"weight_decay", std::to_string(options.optimizer.weight_decay)},
                      {"dropout", std::to_string(options.dropout)},
                      {"seed", std::to_string(options.seed)}};
    if (!history.empty())
        model.metadata.emplace_back("final_train_loss", std::to_string(history.back().train_loss));
    if (target_scaling && target_scaling->mean.size() == 1) {
        model.metadata.emplace_back("target_mean", std::to_string(target_scaling->mean[0]));
        model.metadata.emplace_back("target_stddev", std::to_string(target_scaling->stddev[0]));
    }
}

}  // namespace nabla
