// Model files, laid out as docs/model-format.md describes: a header, tagged length-prefixed sections
// and a CRC32. Saving encodes the whole file in memory and writes it atomically; loading reads it
// whole, trusts no length before the checksums pass, and bounds-checks every read after that too,
// so that a damaged or hostile file is an Error, never a crash or a huge allocation.
#include "nabla/model.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "data/loading.hpp"
#include "io/atomic_file.hpp"
#include "io/model_encoding.hpp"
#include "io/sections.hpp"
#include "nabla/checkpoint.hpp"
#include "nabla/error.hpp"

namespace nabla {

namespace {

using io::crc32_of;
using io::load_little_endian;
using io::read_columns;
using io::read_metadata;
using io::read_section;
using io::Reader;
using io::Section;
using io::write_columns;
using io::write_metadata;
using io::Writer;

constexpr std::string_view magic = "NABLAMDL";
constexpr std::uint32_t format_version = 2;
// Version 1 files (no input-column section) are still read: their inputs are numeric columns.
constexpr std::uint32_t oldest_format_version = 1;
// The header: magic, version, file size, then a checksum of those three.
constexpr std::size_t version_offset = magic.size();
constexpr std::size_t file_size_offset = version_offset + 4;
constexpr std::size_t header_checksum_offset = file_size_offset + 8;
constexpr std::size_t header_size = header_checksum_offset + 4;
constexpr std::size_t checksum_size = 4;  // the CRC32 that ends the file
// The largest network (2^31 float parameters) is 8 GiB of weights; names and metadata get 1 GiB more.
constexpr std::uint64_t max_file_size = std::uint64_t(9) << 30;
// Output activation code meaning "none set: the loss decides" (NetworkSpec::output unset).
constexpr std::uint8_t output_follows_loss = 0xFF;

// The file stores enums as these numbers: pinning them here keeps a reordering of an enum from
// silently changing the format.
static_assert(int(Activation::sigmoid) == 0 && int(Activation::tanh) == 1 && int(Activation::relu) == 2 &&
              int(Activation::leaky_relu) == 3 && int(Activation::identity) == 4 && int(Activation::softmax) == 5);
static_assert(int(Loss::mse) == 0 && int(Loss::cross_entropy) == 1 && int(Loss::binary_cross_entropy) == 2);
static_assert(int(Init::automatic) == 0 && int(Init::xavier) == 1 && int(Init::he) == 2);
static_assert(int(Task::classification) == 0 && int(Task::regression) == 1);
static_assert(int(Preprocessing::Kind::none) == 0 && int(Preprocessing::Kind::pixel_scale) == 1 &&
              int(Preprocessing::Kind::standardize) == 2);

constexpr Section architecture_section{"ARCH", "architecture"};
constexpr Section weights_section{"WGHT", "weights"};
constexpr Section task_section{"TASK", "task"};
constexpr Section preprocessing_section{"PREP", "preprocessing"};
constexpr Section class_names_section{"CLAS", "class names"};
constexpr Section feature_names_section{"FEAT", "feature names"};
constexpr Section target_names_section{"TNAM", "target names"};
constexpr Section target_section{"TCOL", "target column"};
constexpr Section columns_section{"COLS", "input columns"};  // from version 2
constexpr Section metadata_section{"META", "metadata"};
// Only in checkpoints: after the metadata, the state of the training run, then (where the run
// learns standardised regression targets) the scale that puts its outputs back in target units.
constexpr Section training_section{"TRST", "training state"};
constexpr Section target_scaling_section{"TSCL", "target scaling"};
// The order of the sections in the file, by version.
constexpr std::array sections_v1{architecture_section,  weights_section,      task_section,
                                 preprocessing_section, class_names_section,  feature_names_section,
                                 target_names_section,  target_section,       metadata_section};
constexpr std::array sections{architecture_section,  weights_section,       task_section,
                              preprocessing_section, class_names_section,   feature_names_section,
                              target_names_section,  target_section,        columns_section,
                              metadata_section};

Error file_error(const std::string& path, const std::string& what) { return Error(path + ": " + what); }

Error checksum_mismatch(const std::string& path) {
    return file_error(path, "checksum mismatch: the file is corrupt");
}

void write_architecture(Writer& out, const NetworkSpec& spec) {
    out.u64(spec.layers.size());
    for (const std::size_t width : spec.layers) out.u64(width);
    out.u8(static_cast<std::uint8_t>(spec.hidden));
    out.u8(spec.output ? static_cast<std::uint8_t>(*spec.output) : output_follows_loss);
    out.u8(static_cast<std::uint8_t>(spec.loss));
    out.u8(static_cast<std::uint8_t>(spec.init));
}

NetworkSpec read_architecture(Reader& in) {
    NetworkSpec spec;
    spec.layers.resize(in.count(8, "layer widths"));
    for (std::size_t& width : spec.layers) width = in.u64();
    spec.hidden = in.enumeration(Activation::softmax, "hidden activation");
    const std::uint8_t output = in.u8();
    if (output != output_follows_loss) spec.output = in.enumeration(output, Activation::softmax, "output activation");
    spec.loss = in.enumeration(Loss::binary_cross_entropy, "loss");
    spec.init = in.enumeration(Init::he, "initializer");
    try {
        spec.validate();  // before the weights: absurd widths must not size anything
    } catch (const Error& error) {
        in.fail(error.what());
    }
    return spec;
}

void write_training_state(Writer& out, const TrainingState& state) {
    out.u64(state.epoch);
    out.u64(state.position);
    out.u64(state.step);
    for (const std::uint64_t word : state.rng) out.u64(word);
    for (const std::uint64_t word : state.dropout_rng) out.u64(word);
    out.u64s(state.order);
    out.f64(state.loss_sum);
    out.u64(state.correct);
    out.u64(state.optimizer_steps);
    out.floats(state.moment1);
    out.floats(state.moment2);
    out.u64(state.history.size());
    for (const EpochMetrics& m : state.history) {
        out.u64(m.epoch);
        for (const double value : {m.train_loss, m.train_accuracy, m.learning_rate, m.seconds, m.samples_per_second})
            out.f64(value);
        out.u8(m.validation.has_value());
        const Metrics v = m.validation.value_or(Metrics{});
        out.u64(v.samples);
        for (const double value : {v.loss, v.accuracy, v.rmse}) out.f64(value);
    }
    out.strings(state.arguments);
}

TrainingState read_training_state(Reader& in) {
    TrainingState state;
    state.epoch = in.u64();
    state.position = in.u64();
    state.step = in.u64();
    for (std::uint64_t& word : state.rng) word = in.u64();
    for (std::uint64_t& word : state.dropout_rng) word = in.u64();
    state.order = in.u64s("sample indices");
    state.loss_sum = in.f64();
    state.correct = in.u64();
    state.optimizer_steps = in.u64();
    state.moment1 = in.floats("first moments");
    state.moment2 = in.floats("second moments");
    state.history.resize(in.count(8 + 5 * 8 + 1 + 8 + 3 * 8, "epochs"));
    for (EpochMetrics& m : state.history) {
        m.epoch = in.u64();
        for (double* value : {&m.train_loss, &m.train_accuracy, &m.learning_rate, &m.seconds, &m.samples_per_second})
            *value = in.f64();
        const bool validated = in.u8() != 0;
        Metrics v;
        v.samples = in.u64();
        for (double* value : {&v.loss, &v.accuracy, &v.rmse}) *value = in.f64();
        if (validated) m.validation = v;
    }
    state.arguments = in.strings();
    return state;
}

Network<float> read_network(Reader& in, const NetworkSpec& spec) {
    try {
        return Network<float>(spec, in.floats("weights"));
    } catch (const Error& error) {
        in.fail(error.what());  // the weights do not fit the architecture
    }
}

std::vector<std::uint8_t> encode(const Model& model, const TrainingState* state, const TargetScaling* scaling = nullptr) {
    Writer out;
    out.raw(magic);
    out.u32(format_version);
    out.u64(0);  // file size and header checksum, known once the sections are written
    out.u32(0);
    out.section(architecture_section, [&](Writer& w) { write_architecture(w, model.network.spec()); });
    out.section(weights_section, [&](Writer& w) { w.floats(model.network.parameters()); });
    out.section(task_section, [&](Writer& w) { w.u8(static_cast<std::uint8_t>(model.task)); });
    out.section(preprocessing_section, [&](Writer& w) { write_preprocessing(w, model.preprocessing); });
    out.section(class_names_section, [&](Writer& w) { w.strings(model.class_names); });
    out.section(feature_names_section, [&](Writer& w) { w.strings(model.feature_names); });
    out.section(target_names_section, [&](Writer& w) { w.strings(model.target_names); });
    out.section(target_section, [&](Writer& w) { w.string(model.target); });
    out.section(columns_section, [&](Writer& w) { write_columns(w, model.columns); });
    out.section(metadata_section, [&](Writer& w) { write_metadata(w, model.metadata); });
    if (state) out.section(training_section, [&](Writer& w) { write_training_state(w, *state); });
    if (state && scaling) out.section(target_scaling_section, [&](Writer& w) { write_target_scaling(w, *scaling); });
    out.unsigned_at(file_size_offset, out.size() + checksum_size, 8);
    out.unsigned_at(header_checksum_offset, crc32_of(std::span(out.bytes()).first(header_checksum_offset)), 4);
    out.u32(crc32_of(out.bytes()));
    return out.bytes();
}

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error) throw file_error(path, "cannot read: " + error.message());
    if (size > max_file_size)
        throw file_error(path, "is " + std::to_string(size) + " bytes, larger than any nabla model (at most 9 GiB)");
    std::vector<std::uint8_t> bytes(size);
    std::ifstream in(path, std::ios::binary);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
        throw file_error(path, "cannot read the whole file");
    return bytes;
}

// The file ends before the size its header declares: says in which section.
[[noreturn]] void throw_truncated(std::span<const std::uint8_t> bytes, const std::string& path, std::uint32_t version) {
    Reader file(bytes.subspan(header_size), path, "header");
    if (version == 1)
        for (const Section& section : sections_v1) file.next_section(section);
    else
        for (const Section& section : sections) file.next_section(section);
    if (file.remaining() > checksum_size) file.next_section(training_section);
    if (file.remaining() > checksum_size) file.next_section(target_scaling_section);
    throw file_error(path, "truncated in section 'checksum'");
}

// Everything that must hold before any length inside the file is trusted: magic, version, the
// header's checksum (which vouches for the declared size, so truncation is told apart from
// corruption), the size, and the checksum over the whole file.
void verify_integrity(std::span<const std::uint8_t> bytes, const std::string& path) {
    if (bytes.empty()) throw file_error(path, "is empty, not a nabla model file");
    if (bytes.size() < magic.size() || !std::equal(magic.begin(), magic.end(), bytes.begin()))
        throw file_error(path, "not a nabla model file (bad magic)");
    Reader header(bytes.subspan(version_offset), path, "header");
    const std::uint32_t version = header.u32();
    if (version > format_version)
        throw file_error(path, "model format version " + std::to_string(version) +
                                   " is newer than this nabla supports (" + std::to_string(format_version) + ")");
    if (version < oldest_format_version)
        throw file_error(path, "unknown model format version " + std::to_string(version));
    const std::uint64_t declared_size = header.u64();
    if (header.u32() != crc32_of(bytes.first(header_checksum_offset))) throw checksum_mismatch(path);
    if (declared_size < header_size + checksum_size)
        throw file_error(path, "header declares an impossible size of " + std::to_string(declared_size) + " bytes");
    if (bytes.size() < declared_size) throw_truncated(bytes, path, version);
    if (bytes.size() > declared_size)
        throw file_error(path, "is " + std::to_string(bytes.size()) + " bytes long, but its header declares " +
                                   std::to_string(declared_size));
    const std::size_t checked = bytes.size() - checksum_size;
    if (load_little_endian(&bytes[checked], checksum_size) != crc32_of(bytes.first(checked)))
        throw checksum_mismatch(path);
}

void require_finite(std::span<const float> values, const char* what, const std::string& path) {
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i]))
            throw file_error(path, std::string(what) + " " + std::to_string(i) + " is " +
                                       (std::isnan(values[i]) ? "NaN" : "infinite"));
}

void expect_count(std::size_t count, std::size_t expected, const char* what, const char* why,
                  const std::string& path) {
    if (count != expected)
        throw file_error(path, std::to_string(count) + " " + what + ", expected " + std::to_string(expected) + " (" +
                                   why + ")");
}

// What the sections must agree on: a file can pass its checksums and still come from a buggy or
// hostile writer.
void check_consistency(const Model& model, const std::string& path) {
    for (const std::vector<std::string>* names : {&model.class_names, &model.feature_names, &model.target_names})
        for (const std::string& name : *names)
            if (!data::valid_utf8(name)) throw file_error(path, "the name " + data::quoted(name) + " is not valid UTF-8");
    const std::size_t inputs = model.network.input_size(), outputs = model.network.output_size();
    require_finite(model.network.parameters(), "weight", path);
    const Preprocessing& preprocessing = model.preprocessing;
    require_finite(preprocessing.offset, "preprocessing offset", path);
    require_finite(preprocessing.scale, "preprocessing scale", path);
    const bool fitted = preprocessing.kind != Preprocessing::Kind::none;
    const char* per_feature = fitted ? "one per input" : "preprocessing 'none' has no parameters";
    expect_count(preprocessing.offset.size(), fitted ? inputs : 0, "preprocessing offsets", per_feature, path);
    expect_count(preprocessing.scale.size(), fitted ? inputs : 0, "preprocessing scales", per_feature, path);
    if (!model.feature_names.empty())
        expect_count(model.feature_names.size(), inputs, "feature names", "one per input", path);
    if (!model.columns.empty()) {
        std::size_t width = 0;
        for (const InputColumn& column : model.columns) {
            width += column.width();
            if (!std::isfinite(column.fill)) throw file_error(path, "input column " + data::quoted(column.name) + ": its fill value is not finite");
            for (const std::string& category : column.categories)
                if (!data::valid_utf8(category)) throw file_error(path, "the category " + data::quoted(category) + " is not valid UTF-8");
            if (!data::valid_utf8(column.name)) throw file_error(path, "the name " + data::quoted(column.name) + " is not valid UTF-8");
        }
        expect_count(width, inputs, "inputs from the input columns", "one-hot categories included", path);
    }
    if (model.task == Task::regression) {
        expect_count(model.class_names.size(), 0, "class names", "a regression model has no classes", path);
        if (!model.target_names.empty())
            expect_count(model.target_names.size(), outputs, "target names", "one per output", path);
    } else if (outputs == 1) {
        expect_count(model.class_names.size(), 2, "class names", "a single sigmoid output tells two classes apart",
                     path);
    } else {
        expect_count(model.class_names.size(), outputs, "class names", "one per output", path);
    }
}

// What a file holds beyond the model, in a checkpoint.
struct RunState {
    std::optional<TrainingState> training;
    std::optional<TargetScaling> target_scaling;
};

// The model, and into *run what a checkpoint holds beyond it (run may be null).
Model decode(std::span<const std::uint8_t> body, const std::string& path, std::uint32_t version, RunState* run) {
    Reader file(body, path, "header");
    const NetworkSpec spec = read_section(file, architecture_section, read_architecture);
    Model model(read_section(file, weights_section, [&](Reader& in) { return read_network(in, spec); }));
    model.task =
        read_section(file, task_section, [](Reader& in) { return in.enumeration(Task::regression, "task"); });
    model.preprocessing = read_section(file, preprocessing_section, io::read_preprocessing);
    model.class_names = read_section(file, class_names_section, &Reader::strings);
    model.feature_names = read_section(file, feature_names_section, &Reader::strings);
    model.target_names = read_section(file, target_names_section, &Reader::strings);
    model.target = read_section(file, target_section, &Reader::string);
    if (version >= 2) model.columns = read_section(file, columns_section, read_columns);
    model.metadata = read_section(file, metadata_section, read_metadata);
    RunState mine;
    if (file.remaining() != 0) mine.training = read_section(file, training_section, read_training_state);
    if (file.remaining() != 0) {
        mine.target_scaling = read_section(file, target_scaling_section, io::read_target_scaling);
        if (mine.target_scaling->mean.size() != model.network.output_size() || model.task != Task::regression)
            throw file_error(path, "the target scaling does not fit the model's outputs");
    }
    if (file.remaining() != 0)
        throw file_error(path, std::to_string(file.remaining()) + " unexpected bytes after the last section");
    check_consistency(model, path);
    if (run) *run = std::move(mine);
    return model;
}

void write_file(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    AtomicFile file(path);
    file.write(bytes.data(), bytes.size());
    file.commit();
}

Model read_file(const std::string& path, RunState* run) {
    const std::vector<std::uint8_t> bytes = read_whole_file(path);
    verify_integrity(bytes, path);
    const auto version = static_cast<std::uint32_t>(load_little_endian(&bytes[version_offset], 4));
    return decode(std::span(bytes).subspan(header_size, bytes.size() - header_size - checksum_size), path, version,
                  run);
}

}  // namespace

std::vector<std::uint8_t> detail::encode_model_unchecked(const Model& model) { return encode(model, nullptr); }

// A model is checked as loading will check it before it is written, so that nabla never writes a
// file it would then refuse to read.
void save_model(const Model& model, const std::string& path) {
    check_consistency(model, path);
    write_file(path, encode(model, nullptr));
}

// A checkpoint read as a model predicts in target units, like the model its run will save.
Model load_model(const std::string& path) {
    RunState run;
    Model model = read_file(path, &run);
    if (run.target_scaling) run.target_scaling->fold_into(model.network);
    return model;
}

void save_checkpoint(const Model& model, const TrainingState& state, const std::string& path,
                     const std::optional<TargetScaling>& target_scaling) {
    check_consistency(model, path);
    if (target_scaling && (model.task != Task::regression || target_scaling->mean.size() != model.network.output_size()))
        throw Error(path + ": the target scaling does not fit the model's outputs");
    write_file(path, encode(model, &state, target_scaling ? &*target_scaling : nullptr));
}

Checkpoint load_checkpoint(const std::string& path) {
    RunState run;
    Model model = read_file(path, &run);
    if (!run.training) throw Error(path + ": a model file without training state, not a checkpoint");
    return Checkpoint{std::move(model), std::move(*run.training), std::move(run.target_scaling)};
}

}  // namespace nabla
