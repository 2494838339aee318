// Reading data for a trained model: the loader is told what the model expects, so a file that does
// not fit (other features, unknown classes) is refused with the file's own line and field.
#include "nabla/model.hpp"

namespace nabla {

namespace {

// The caller's options, with the fields that describe the model filled from it.
LoadOptions for_model(const Model& model, LoadOptions options) {
    options.target = model.target;
    options.task = model.task;
    options.class_names = model.class_names;
    options.feature_names = model.feature_names;
    options.columns = model.columns;
    options.features = model.network.input_size();
    return options;
}

}  // namespace

Dataset load_dataset_for(const Model& model, const std::string& source, LoadOptions options) {
    Dataset data = load_dataset(source, for_model(model, std::move(options)));
    model.preprocessing.apply(data.x);
    return data;
}

void load_dataset_for_in_parts(const Model& model, const std::string& source, LoadOptions options, std::size_t rows,
                               const std::function<void(Dataset& part)>& visit) {
    load_dataset_in_parts(source, for_model(model, std::move(options)), rows, [&](Dataset& part) {
        model.preprocessing.apply(part.x);
        visit(part);
    });
}

}  // namespace nabla
