// Reading data for a trained model: the loader is told what the model expects, so a file that does
// not fit (other features, unknown classes) is refused with the file's own line and field.
#include "nabla/model.hpp"

namespace nabla {

Dataset load_dataset_for(const Model& model, const std::string& source, LoadOptions options) {
    options.target = model.target;
    options.task = model.task;
    options.class_names = model.class_names;
    options.feature_names = model.feature_names;
    options.columns = model.columns;
    options.features = model.network.input_size();
    Dataset data = load_dataset(source, options);
    model.preprocessing.apply(data.x);
    return data;
}

}  // namespace nabla
