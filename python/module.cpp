// _nabla: the compiled core of the Python package `nabla` (python/nabla/). Training, prediction and
// model files run in the C++ library exactly as `nabla train`, `nabla predict` run them; the
// estimators of python/nabla/estimators.py check their inputs, then call these functions.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "nabla/device.hpp"
#include "nabla/error.hpp"
#include "nabla/model.hpp"
#include "nabla/preprocess.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "nabla/version.hpp"

namespace py = pybind11;

namespace nabla::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style>;  // no forcecast: the caller converts

// Python ends training early (Ctrl-C, an exception in a callback, early stopping) by throwing this
// from a training callback; the library leaves the network as the last finished step made it.
struct StopTraining {
    bool early = false;  // early stopping: not an error
};

// A trained model as Python holds it: the model file's content (network in the targets' units) and
// what continuing training needs, the network in training units, its target scaling and the
// optimizer's state.
struct PyModel {
    Model model;
    std::optional<Network<float>> learning;  // regression with scaled targets: the unfolded network
    std::optional<TargetScaling> scaling;
    std::optional<TrainingState> state;       // after the last epoch: moments, random state, steps
    std::vector<EpochMetrics> history;
    std::size_t best_epoch = 0;               // early stopping: the epoch whose parameters were kept

    explicit PyModel(Model m) : model(std::move(m)) {}
    Network<float>& trainee() { return learning ? *learning : model.network; }
};

// The options of one call of train(), set attribute by attribute from Python.
struct FitOptions {
    std::vector<std::size_t> hidden{256, 128};
    std::string activation = "relu", loss, optimizer = "adam", schedule = "cosine", device = "cpu", task;
    double learning_rate = 1e-3, weight_decay = 0, dropout = 0, clip_norm = 0, momentum = 0.9;
    double validation_fraction = 0, tol = 1e-4;
    std::size_t epochs = 10, batch = 128, n_iter_no_change = 10;
    std::uint64_t seed = 1;
    int threads = 0;
    bool standardize = true, early_stopping = false;
    std::vector<std::string> class_names, feature_names;
};

// Copies rows × cols floats out of a C-contiguous array (the only copy made of the input).
Matrix<float> matrix_of(const FloatArray& a, const char* name) {
    if (a.ndim() != 2) throw Error(std::string(name) + " must be 2-dimensional");
    Matrix<float> m(static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1)));
    std::copy_n(a.data(), m.size(), m.data.data());
    return m;
}

// A data set of x and y (one-hot rows and labels for classification), as a CSV file would load.
Dataset dataset_of(Matrix<float> x, Matrix<float> y, const py::array_t<std::int32_t, py::array::c_style>& labels,
                   Task task, const std::vector<std::string>& class_names) {
    Dataset data;
    data.x = std::move(x);
    data.y = std::move(y);
    data.task = task;
    data.source = "X";
    data.class_names = class_names;
    if (task == Task::classification) data.labels.assign(labels.data(), labels.data() + labels.size());
    return data;
}

std::vector<EpochMetrics> in_target_units(std::vector<EpochMetrics> history, const std::optional<TargetScaling>& s) {
    if (!s || s->stddev.size() != 1) return history;
    const double f = s->stddev[0];
    for (EpochMetrics& m : history) {
        m.train_loss *= f * f;
        if (m.validation) {
            m.validation->loss *= f * f;
            m.validation->rmse *= f;
        }
    }
    return history;
}

// Trains a new model (prior null) or continues `prior` (partial_fit, warm start). y holds one-hot
// rows (classification) or targets; labels the class index of each row. on_batch runs with the GIL
// held after every batch (it checks for Ctrl-C); on_epoch after every epoch, given the epoch, loss and
// validation loss (NaN without validation). Preprocessing and target scaling are fitted as
// `nabla train` fits them, so the same data, flags and seed give the same parameters bit for bit.
std::shared_ptr<PyModel> train_model(std::shared_ptr<PyModel> prior, const FloatArray& x_in, const FloatArray& y_in,
                                     const py::array_t<std::int32_t, py::array::c_style>& labels, const FitOptions& o,
                                     const py::object& on_batch, const py::object& on_epoch) {
    const Task task = parse_task(o.task);
    std::shared_ptr<PyModel> fitted;
    Dataset train, validation;
    std::optional<TargetScaling> scaling;
    {
        Dataset all = dataset_of(matrix_of(x_in, "X"), matrix_of(y_in, "y"), labels, task, o.class_names);
        if (o.early_stopping) std::tie(train, validation) = split_dataset(all, o.validation_fraction, o.seed);
        else train = std::move(all);
    }
    if (prior) {
        fitted = std::make_shared<PyModel>(*prior);
        scaling = fitted->scaling;
    } else {
        NetworkSpec spec;
        spec.layers = {train.features()};
        for (std::size_t width : o.hidden) spec.layers.push_back(width);
        spec.layers.push_back(train.y.cols);
        spec.hidden = parse_activation(o.activation);
        spec.loss = !o.loss.empty() ? parse_loss(o.loss) : task == Task::classification ? Loss::cross_entropy : Loss::mse;
        Model model{Network<float>(spec, o.seed)};
        model.task = task;
        model.preprocessing = o.standardize ? Preprocessing::standardize_fit(train.x) : Preprocessing::identity();
        model.class_names = o.class_names;
        model.feature_names = o.feature_names;
        if (task == Task::regression)
            for (std::size_t j = 0; j < train.y.cols; ++j)
                model.target_names.push_back(train.y.cols == 1 ? "y" : "y" + std::to_string(j + 1));
        fitted = std::make_shared<PyModel>(std::move(model));
        if (task == Task::regression && spec.output_activation() == Activation::identity && o.standardize)
            scaling = TargetScaling::fit(train.y);
        fitted->scaling = scaling;
        if (scaling) fitted->learning = fitted->model.network;
    }
    Model& model = fitted->model;
    if (train.features() != model.network.input_size())
        throw Error("X has " + std::to_string(train.features()) + " features, but the model was fitted on " +
                    std::to_string(model.network.input_size()));
    if (train.y.cols != model.network.output_size())
        throw Error("y has " + std::to_string(train.y.cols) + " outputs, but the model has " +
                    std::to_string(model.network.output_size()));
    model.preprocessing.apply(train.x);
    if (o.early_stopping) model.preprocessing.apply(validation.x);
    if (scaling) {
        scaling->apply(train.y);
        if (o.early_stopping) scaling->apply(validation.y);
    }

    TrainOptions options;
    options.epochs = o.epochs;
    options.batch = o.batch;
    options.optimizer.kind = parse_optimizer(o.optimizer);
    options.optimizer.learning_rate = o.learning_rate;
    options.optimizer.momentum = o.momentum;
    options.optimizer.weight_decay = o.weight_decay;
    options.schedule.kind = parse_schedule(o.schedule);
    options.dropout = o.dropout;
    options.seed = o.seed;
    options.clip_norm = o.clip_norm;
    const Device device = parse_device(o.device);
    // Continuing: the optimizer's moments and the random state carry over to the new data.
    std::optional<TrainingState> resume;
    if (prior && prior->state) {
        resume = *prior->state;
        resume->epoch = 1;
        resume->position = 0;
        resume->step = 0;
        resume->order.resize(train.samples());
        std::iota(resume->order.begin(), resume->order.end(), std::size_t(0));
        resume->history.clear();
        resume->loss_sum = 0;
        resume->correct = 0;
        options.resume = &*resume;
    }
    options.on_checkpoint = [&](const TrainingState& s) { fitted->state = s; };

    Network<float>& net = fitted->trainee();
    std::optional<py::error_already_set> python_error;
    double best_loss = std::numeric_limits<double>::infinity();
    std::size_t since_best = 0;
    std::vector<float> best_params;
    std::vector<EpochMetrics> seen;  // the finished epochs, also when training stops early
    fitted->best_epoch = 0;
    options.on_batch = [&](std::size_t, std::size_t, double) {
        py::gil_scoped_acquire gil;
        try {
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();  // Ctrl-C: KeyboardInterrupt
            if (!on_batch.is_none()) on_batch();
        } catch (py::error_already_set& e) {
            python_error = std::move(e);
            throw StopTraining{};
        }
    };
    options.on_epoch = [&](const EpochMetrics& m) {
        seen.push_back(m);
        const double validation_loss = m.validation ? m.validation->loss : std::nan("");
        {
            py::gil_scoped_acquire gil;
            try {
                if (!on_epoch.is_none())
                    on_epoch(m.epoch, m.train_loss, validation_loss, m.validation ? m.validation->accuracy : std::nan(""));
            } catch (py::error_already_set& e) {
                python_error = std::move(e);
                throw StopTraining{};
            }
        }
        // Early stopping (CPU only: the GPU keeps the network to itself until training ends).
        if (!m.validation || device != Device::cpu) return;
        if (validation_loss < best_loss - o.tol) {
            best_loss = validation_loss;
            since_best = 0;
            best_params.assign(net.parameters().begin(), net.parameters().end());
            fitted->best_epoch = m.epoch;
        } else if (++since_best >= o.n_iter_no_change) {
            throw StopTraining{true};
        }
    };

    bool interrupted = false;
    {
        py::gil_scoped_release release;
        set_threads(o.threads);
        try {
            options.device = device;
            nabla::train(net, train, o.early_stopping ? &validation : nullptr, options);
        } catch (const StopTraining& stop) {
            interrupted = !stop.early;
        }
    }
    if (interrupted) {
        if (python_error) throw std::move(*python_error);
        throw Error("training stopped");
    }
    // Early stopping keeps the parameters of the epoch with the lowest validation loss.
    if (!best_params.empty()) std::copy(best_params.begin(), best_params.end(), net.parameters().begin());
    std::vector<EpochMetrics> history = std::move(seen);
    if (fitted->learning) {
        model.network = *fitted->learning;
        scaling->fold_into(model.network);
    }
    fitted->history = in_target_units(std::move(history), scaling);
    record_training(model, "python", train.samples(), options, fitted->history, scaling ? &*scaling : nullptr);
    return fitted;
}

// a^F of the model for raw rows x: the model's preprocessing (as `nabla predict` applies it), then
// the network's forward pass in double precision from its float parameters. In float32 a sample's
// outputs could differ in the last bit with its position in the BLAS kernels' tiles, that is, with the
// other rows predicted alongside; in float64 those differences lie far below float32's precision, so
// a sample's prediction does not depend on its batch (scikit-learn's invariance checks).
py::array_t<double> predict_rows(const PyModel& m, const FloatArray& x_in, int threads) {
    Matrix<float> x = matrix_of(x_in, "X");
    const Network<float>& net = m.model.network;
    if (x.cols != net.input_size())
        throw Error("X has " + std::to_string(x.cols) + " features, but the model was fitted on " +
                    std::to_string(net.input_size()));
    const std::size_t k = net.output_size();
    py::array_t<double> out({x.rows, k});
    double* to = out.mutable_data();
    {
        py::gil_scoped_release release;
        set_threads(threads);
        m.model.preprocessing.apply(x);
        const Network<double> exact = net.cast<double>();
        Workspace<double> ws;
        constexpr std::size_t batch = 1024;
        std::vector<double> rows;
        for (std::size_t begin = 0; begin < x.rows; begin += batch) {
            const std::size_t n = std::min(batch, x.rows - begin);
            rows.assign(x.row(begin), x.row(begin) + n * x.cols);
            const double* a = forward(exact, rows.data(), n, ws);
            std::copy_n(a, n * k, to + begin * k);
        }
    }
    return out;
}

// A network in double precision with its last forward pass, for following backpropagation by hand.
struct LearnerNetwork {
    Network<double> net;
    Workspace<double> ws;
    std::vector<double> input;
    bool forwarded = false;

    py::list weights(bool biases) const {
        py::list out;
        for (std::size_t l = 0; l < net.depth(); ++l) {
            const LayerShape& s = net.layer(l);
            if (biases) {
                py::array_t<double> b(static_cast<py::ssize_t>(s.out));
                std::copy_n(net.b(l), s.out, b.mutable_data());
                out.append(b);
            } else {
                py::array_t<double> w({s.out, s.in});
                std::copy_n(net.W(l), s.out * s.in, w.mutable_data());
                out.append(w);
            }
        }
        return out;
    }
};

py::array_t<double> rows_of(const std::vector<double>& v, std::size_t n, std::size_t k) {
    py::array_t<double> out({n, k});
    std::copy_n(v.data(), n * k, out.mutable_data());
    return out;
}

}  // namespace

}  // namespace nabla::python

PYBIND11_MODULE(_nabla, m) {
    using namespace nabla;
    using namespace nabla::python;
    m.doc() = "nabla's compiled core: training, prediction and model files (see the package nabla)";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const Error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    m.attr("__version__") = version();

    py::class_<FitOptions>(m, "FitOptions")
        .def(py::init<>())
        .def_readwrite("hidden", &FitOptions::hidden)
        .def_readwrite("activation", &FitOptions::activation)
        .def_readwrite("loss", &FitOptions::loss)
        .def_readwrite("optimizer", &FitOptions::optimizer)
        .def_readwrite("schedule", &FitOptions::schedule)
        .def_readwrite("device", &FitOptions::device)
        .def_readwrite("task", &FitOptions::task)
        .def_readwrite("learning_rate", &FitOptions::learning_rate)
        .def_readwrite("weight_decay", &FitOptions::weight_decay)
        .def_readwrite("dropout", &FitOptions::dropout)
        .def_readwrite("clip_norm", &FitOptions::clip_norm)
        .def_readwrite("momentum", &FitOptions::momentum)
        .def_readwrite("validation_fraction", &FitOptions::validation_fraction)
        .def_readwrite("tol", &FitOptions::tol)
        .def_readwrite("epochs", &FitOptions::epochs)
        .def_readwrite("batch", &FitOptions::batch)
        .def_readwrite("n_iter_no_change", &FitOptions::n_iter_no_change)
        .def_readwrite("seed", &FitOptions::seed)
        .def_readwrite("threads", &FitOptions::threads)
        .def_readwrite("standardize", &FitOptions::standardize)
        .def_readwrite("early_stopping", &FitOptions::early_stopping)
        .def_readwrite("class_names", &FitOptions::class_names)
        .def_readwrite("feature_names", &FitOptions::feature_names);

    py::class_<PyModel, std::shared_ptr<PyModel>>(m, "Model", "a trained model: the content of a model file")
        .def_property_readonly("task", [](const PyModel& p) { return std::string(task_name(p.model.task)); })
        .def_property_readonly("layers", [](const PyModel& p) { return p.model.network.spec().layers; })
        .def_property_readonly("activation",
                               [](const PyModel& p) { return std::string(activation_name(p.model.network.spec().hidden)); })
        .def_property_readonly("class_names", [](const PyModel& p) { return p.model.class_names; })
        .def_property_readonly("feature_names", [](const PyModel& p) { return p.model.feature_names; })
        .def_property_readonly("metadata", [](const PyModel& p) { return p.model.metadata; })
        .def_property_readonly("parameters",
                               [](const PyModel& p) {
                                   auto params = p.model.network.parameters();
                                   py::array_t<float> out(static_cast<py::ssize_t>(params.size()));
                                   std::copy(params.begin(), params.end(), out.mutable_data());
                                   return out;
                               })
        .def_property_readonly("loss_curve",
                               [](const PyModel& p) {
                                   std::vector<double> v;
                                   for (const EpochMetrics& e : p.history) v.push_back(e.train_loss);
                                   return v;
                               })
        .def_property_readonly("validation_loss_curve",
                               [](const PyModel& p) {
                                   std::vector<double> v;
                                   for (const EpochMetrics& e : p.history)
                                       if (e.validation) v.push_back(e.validation->loss);
                                   return v;
                               })
        .def_property_readonly("best_epoch", [](const PyModel& p) { return p.best_epoch; })
        .def("coefs", [](const PyModel& p) { return LearnerNetwork{p.model.network.cast<double>(), {}, {}, false}.weights(false); })
        .def("intercepts", [](const PyModel& p) { return LearnerNetwork{p.model.network.cast<double>(), {}, {}, false}.weights(true); })
        .def("save", [](const PyModel& p, const std::string& path) { save_model(p.model, path); })
        .def("predict", &predict_rows, py::arg("x"), py::arg("threads") = 0);

    m.def("load", [](const std::string& path) { return std::make_shared<PyModel>(load_model(path)); },
          "reads a model file, as `nabla train --save` writes it");
    m.def("train", &train_model, py::arg("prior"), py::arg("x"), py::arg("y"), py::arg("labels"), py::arg("options"),
          py::arg("on_batch"), py::arg("on_epoch"));
    m.def("cuda_available", &cuda_available);
    m.def("hardware_threads", &hardware_threads);
    m.def("blas_kernel", &blas_kernel, "the OpenBLAS kernel family nabla's products run on");

    py::class_<LearnerNetwork>(m, "NetworkCore")
        .def(py::init([](std::vector<std::size_t> layers, const std::string& activation, const std::string& loss,
                         const std::string& output, std::uint64_t seed) {
                 NetworkSpec spec;
                 spec.layers = std::move(layers);
                 spec.hidden = parse_activation(activation);
                 spec.loss = parse_loss(loss);
                 if (!output.empty()) spec.output = parse_activation(output);
                 return LearnerNetwork{Network<double>(spec, seed), {}, {}, false};
             }),
             py::arg("layers"), py::arg("activation"), py::arg("loss"), py::arg("output_activation"), py::arg("seed"))
        .def_property_readonly("layers", [](const LearnerNetwork& n) { return n.net.spec().layers; })
        .def_property_readonly("output_activation",
                               [](const LearnerNetwork& n) { return std::string(activation_name(n.net.spec().output_activation())); })
        .def("weights", [](const LearnerNetwork& n) { return n.weights(false); })
        .def("biases", [](const LearnerNetwork& n) { return n.weights(true); })
        .def("set_parameter",
             [](LearnerNetwork& n, std::size_t l, bool bias, py::array_t<double, py::array::c_style | py::array::forcecast> v) {
                 if (l >= n.net.depth()) throw Error("no layer " + std::to_string(l + 1));
                 const LayerShape& s = n.net.layer(l);
                 const std::size_t size = bias ? s.out : s.out * s.in;
                 if (static_cast<std::size_t>(v.size()) != size)
                     throw Error(std::string(bias ? "b" : "W") + " of layer " + std::to_string(l + 1) + " has " +
                                 std::to_string(size) + " values, got " + std::to_string(v.size()));
                 std::copy_n(v.data(), size, bias ? n.net.b(l) : n.net.W(l));
             })
        .def("forward",
             [](LearnerNetwork& n, py::array_t<double, py::array::c_style | py::array::forcecast> x) {
                 if (x.ndim() != 2 || static_cast<std::size_t>(x.shape(1)) != n.net.input_size())
                     throw Error("x must be n × " + std::to_string(n.net.input_size()));
                 const std::size_t rows = static_cast<std::size_t>(x.shape(0));
                 if (rows == 0) throw Error("x has no rows");
                 n.input.assign(x.data(), x.data() + x.size());
                 forward(n.net, n.input.data(), rows, n.ws);
                 n.forwarded = true;
                 py::list a;
                 for (std::size_t l = 0; l < n.net.depth(); ++l) a.append(rows_of(n.ws.a[l], rows, n.net.layer(l).out));
                 return a;
             })
        .def("backward",
             [](LearnerNetwork& n, py::array_t<double, py::array::c_style | py::array::forcecast> y) {
                 if (!n.forwarded) throw Error("backward needs a forward pass first");
                 const std::size_t rows = n.ws.n, k = n.net.output_size();
                 if (y.ndim() != 2 || static_cast<std::size_t>(y.shape(0)) != rows ||
                     static_cast<std::size_t>(y.shape(1)) != k)
                     throw Error("y must be " + std::to_string(rows) + " × " + std::to_string(k) +
                                 ", like the last forward pass's output");
                 std::vector<double> grads(n.net.parameters().size());
                 const double loss = backward(n.net, y.data(), n.ws, std::span<double>(grads));
                 py::list d, dW, db;
                 for (std::size_t l = 0; l < n.net.depth(); ++l) {
                     const LayerShape& s = n.net.layer(l);
                     d.append(rows_of(n.ws.d[l], rows, s.out));
                     py::array_t<double> w({s.out, s.in}), b(static_cast<py::ssize_t>(s.out));
                     std::copy_n(grads.data() + s.w_offset, s.out * s.in, w.mutable_data());
                     std::copy_n(grads.data() + s.b_offset, s.out, b.mutable_data());
                     dW.append(w);
                     db.append(b);
                 }
                 return py::make_tuple(loss, d, dW, db);
             });
}
