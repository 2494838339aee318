// Model files (docs/model-format.md): a bit-exact round trip, and an Error, never a crash or a huge
// allocation, for every kind of damage: truncation at every byte, any flipped byte, and hand-made
// files whose checksums are right but whose contents are absurd. Also AtomicFile, which saves them.
#include <gtest/gtest.h>
#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "io/atomic_file.hpp"
#include "nabla/error.hpp"
#include "nabla/model.hpp"
#include "io/model_encoding.hpp"
#include "scratch_dir.hpp"

using namespace nabla;

namespace {

// A 3-4-2 classifier with every field of a Model set, and weights that test bit-exactness: −0, a
// subnormal, the largest float.
Model example_classifier() {
    NetworkSpec spec{{3, 4, 2}, Activation::tanh, Activation::softmax, Loss::cross_entropy, Init::xavier};
    Network<float> net(spec, 42);
    const auto params = net.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) params[i] += 0.001f * float(i);
    params[0] = -0.0f;
    params[1] = std::numeric_limits<float>::denorm_min();
    params[2] = std::numeric_limits<float>::max();
    Model model(std::move(net));
    model.task = Task::classification;
    model.preprocessing.kind = Preprocessing::Kind::standardize;
    model.preprocessing.offset = {1.5f, -2.0f, 0.1f};
    model.preprocessing.scale = {0.5f, 2.0f, 1.0f / 3.0f};
    model.class_names = {"cat", "dog"};
    model.feature_names = {"height", "weight", "größe"};
    model.target = "species";
    model.metadata = {{"epochs", "10"}, {"optimizer", "adam"}, {"note", ""}};
    return model;
}

// A 2-3-1 regression model that leaves the optional fields unset.
Model example_regression() {
    Model model(Network<float>(NetworkSpec{{2, 3, 1}, Activation::relu, std::nullopt, Loss::mse}, 7));
    model.task = Task::regression;
    model.target_names = {"price"};
    return model;
}

void expect_same_bits(std::span<const float> a, std::span<const float> b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_EQ(std::bit_cast<std::uint32_t>(a[i]), std::bit_cast<std::uint32_t>(b[i])) << "value " << i;
}

void expect_same_model(const Model& loaded, const Model& saved) {
    const NetworkSpec &a = loaded.network.spec(), &b = saved.network.spec();
    EXPECT_EQ(a.layers, b.layers);
    EXPECT_EQ(a.hidden, b.hidden);
    EXPECT_EQ(a.output, b.output);
    EXPECT_EQ(a.loss, b.loss);
    EXPECT_EQ(a.init, b.init);
    expect_same_bits(loaded.network.parameters(), saved.network.parameters());
    EXPECT_EQ(loaded.task, saved.task);
    EXPECT_EQ(loaded.preprocessing.kind, saved.preprocessing.kind);
    expect_same_bits(loaded.preprocessing.offset, saved.preprocessing.offset);
    expect_same_bits(loaded.preprocessing.scale, saved.preprocessing.scale);
    EXPECT_EQ(loaded.class_names, saved.class_names);
    EXPECT_EQ(loaded.feature_names, saved.feature_names);
    EXPECT_EQ(loaded.target_names, saved.target_names);
    EXPECT_EQ(loaded.target, saved.target);
    EXPECT_EQ(loaded.metadata, saved.metadata);
}

std::uint32_t crc_of(std::string_view bytes) {
    return static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())));
}

void store_le(std::string& bytes, std::size_t offset, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) bytes[offset + i] = static_cast<char>(value >> (8 * i));
}

std::uint64_t load_le(const std::string& bytes, std::size_t offset) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 8; ++i) value |= std::uint64_t(std::uint8_t(bytes[offset + i])) << (8 * i);
    return value;
}

// Recomputes both checksums after a deliberate change, as a buggy or hostile writer would: what is
// wrong must then be found by the checks on the contents.
void reseal(std::string& bytes) {
    constexpr std::size_t header_checksum_offset = 20;
    store_le(bytes, header_checksum_offset, crc_of(std::string_view(bytes).substr(0, header_checksum_offset)), 4);
    store_le(bytes, bytes.size() - 4, crc_of(std::string_view(bytes).substr(0, bytes.size() - 4)), 4);
}

// Where the payload of the section tagged `tag` starts (after its tag and 8-byte size).
std::size_t payload_offset(const std::string& bytes, std::string_view tag) {
    const std::size_t at = bytes.find(tag, 24);
    EXPECT_NE(at, std::string::npos) << tag;
    return at + 4 + 8;
}

class ModelFile : public ScratchDirTest {
protected:
    // The file's bytes, also for a model that save_model would refuse to write.
    static std::string saved(const Model& model) {
        const std::vector<std::uint8_t> bytes = detail::encode_model_unchecked(model);
        return std::string(bytes.begin(), bytes.end());
    }

    // The message of the Error that loading `bytes` throws, checked to be one line naming the file.
    std::string load_error(std::string_view bytes) {
        const std::string file = path("damaged.nabla");
        write_file(file, bytes);
        try {
            load_model(file);
        } catch (const Error& error) {
            const std::string message = error.what();
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
            EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
            return message.substr(file.size() + 2);
        }
        ADD_FAILURE() << "loading did not throw nabla::Error";
        return {};
    }
};

TEST_F(ModelFile, RoundTripIsBitExact) {
    const Model model = example_classifier();
    save_model(model, path("model.nabla"));
    expect_same_model(load_model(path("model.nabla")), model);
}

TEST_F(ModelFile, RoundTripKeepsUnsetOptionalFieldsUnset) {
    const Model model = example_regression();
    save_model(model, path("model.nabla"));
    const Model loaded = load_model(path("model.nabla"));
    expect_same_model(loaded, model);
    EXPECT_FALSE(loaded.network.spec().output.has_value());
}

TEST_F(ModelFile, SingleSigmoidOutputHasTwoClasses) {
    Model model(Network<float>(NetworkSpec{{2, 1}, Activation::relu, std::nullopt, Loss::binary_cross_entropy}, 3));
    model.class_names = {"no", "yes"};
    save_model(model, path("model.nabla"));
    EXPECT_EQ(load_model(path("model.nabla")).class_names, model.class_names);
}

TEST_F(ModelFile, InputColumnsRoundTripAndMustFitTheInputs) {
    Model model = example_classifier();  // 3 inputs: a number and a category of two
    InputColumn age{"age", InputColumn::Kind::numeric, 29.5f, {}, false};
    InputColumn port{"port", InputColumn::Kind::categorical, 0.0f, {"C"}, true};
    model.columns = {age, port};
    save_model(model, path("model.nabla"));
    const Model loaded = load_model(path("model.nabla"));
    ASSERT_EQ(loaded.columns.size(), 2u);
    EXPECT_EQ(loaded.columns[0].name, "age");
    EXPECT_EQ(loaded.columns[0].kind, InputColumn::Kind::numeric);
    EXPECT_EQ(loaded.columns[0].fill, 29.5f);
    EXPECT_EQ(loaded.columns[1].kind, InputColumn::Kind::categorical);
    EXPECT_EQ(loaded.columns[1].categories, std::vector<std::string>{"C"});
    EXPECT_TRUE(loaded.columns[1].missing_category);
    model.columns[1].missing_category = false;  // 2 inputs for a network of 3
    EXPECT_EQ(load_error(saved(model)), "2 inputs from the input columns, expected 3 (one-hot categories included)");
}

TEST_F(ModelFile, VersionOneFilesStillLoad) {
    // Written by nabla before input columns were stored: its inputs are numeric columns.
    const std::string v1 = std::string(NABLA_SOURCE_DIR) + "/fuzz/corpus/model/class.nabla";
    ASSERT_EQ(read_file(v1).substr(8, 4), std::string("\x01\0\0\0", 4));
    const Model model = load_model(v1);
    EXPECT_TRUE(model.columns.empty());
    EXPECT_FALSE(model.feature_names.empty());
}

TEST_F(ModelFile, AModelThatLoadingWouldRefuseIsNeverWritten) {
    Model one_class(Network<float>(NetworkSpec{{2, 1}, Activation::relu, std::nullopt, Loss::binary_cross_entropy}, 3));
    one_class.class_names = {"only"};  // one sigmoid output tells two classes apart
    EXPECT_THROW(save_model(one_class, path("model.nabla")), Error);
    Model latin1 = example_classifier();
    latin1.feature_names.back() = "caf\xE9";
    EXPECT_THROW(save_model(latin1, path("model.nabla")), Error);
    EXPECT_TRUE(entries().empty());
}

TEST_F(ModelFile, SavingWritesTheFileAtomicallyAndReplacesAnOldOne) {
    save_model(example_regression(), path("model.nabla"));
    const Model model = example_classifier();
    save_model(model, path("model.nabla"));
    expect_same_model(load_model(path("model.nabla")), model);
    EXPECT_EQ(entries(), std::vector<std::string>{"model.nabla"});
}

TEST_F(ModelFile, SavingIntoAMissingDirectoryIsAnErrorAndCreatesNothing) {
    try {
        save_model(example_classifier(), path("missing/model.nabla"));
        FAIL() << "no Error";
    } catch (const Error& error) {
        const std::string reason = "cannot create a temporary file beside it: No such file or directory";
        EXPECT_EQ(std::string(error.what()), path("missing/model.nabla") + ": " + reason);
    }
    EXPECT_TRUE(entries().empty());
}

TEST_F(ModelFile, MissingFileIsAnError) {
    try {
        load_model(path("nothing.nabla"));
        FAIL() << "no Error";
    } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()), path("nothing.nabla") + ": cannot read: No such file or directory");
    }
}

TEST_F(ModelFile, EmptyOrForeignFileIsNotAModel) {
    EXPECT_EQ(load_error(""), "is empty, not a nabla model file");
    EXPECT_EQ(load_error("NABLA"), "not a nabla model file (bad magic)");
    std::string bytes = saved(example_classifier());
    bytes[0] = 'X';
    EXPECT_EQ(load_error(bytes), "not a nabla model file (bad magic)");
}

TEST_F(ModelFile, NewerVersionIsRefusedByNumber) {
    std::string bytes = saved(example_classifier());
    store_le(bytes, 8, 7, 4);
    EXPECT_EQ(load_error(bytes), "model format version 7 is newer than this nabla supports (2)");
    store_le(bytes, 8, 0, 4);
    EXPECT_EQ(load_error(bytes), "unknown model format version 0");
}

TEST_F(ModelFile, EveryTruncationIsAnErrorNamingWhereTheFileEnds) {
    const std::string bytes = saved(example_classifier());
    const std::size_t weights = bytes.find("WGHT"), task = bytes.find("TASK");
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        const std::string message = load_error(std::string_view(bytes).substr(0, size));
        if (size >= 24) {
            EXPECT_NE(message.find("truncated in section '"), std::string::npos) << size << ": " << message;
        }
        if (size > weights && size < task) {
            EXPECT_EQ(message, "truncated in section 'weights'") << size;
        }
    }
    EXPECT_EQ(load_error(std::string_view(bytes).substr(0, 12)), "truncated in section 'header'");
    EXPECT_EQ(load_error(std::string_view(bytes).substr(0, bytes.size() - 1)), "truncated in section 'checksum'");
}

TEST_F(ModelFile, AnyFlippedByteAfterMagicAndVersionIsAChecksumMismatch) {
    const std::string bytes = saved(example_classifier());
    for (std::size_t offset = 12; offset < bytes.size(); ++offset) {
        std::string damaged = bytes;
        damaged[offset] = static_cast<char>(damaged[offset] ^ 0x10);
        EXPECT_EQ(load_error(damaged), "checksum mismatch: the file is corrupt") << "byte " << offset;
    }
}

TEST_F(ModelFile, ExtraBytesAfterTheEndAreAnError) {
    const std::string bytes = saved(example_classifier());
    const std::string size = std::to_string(bytes.size()), longer = std::to_string(bytes.size() + 1);
    EXPECT_EQ(load_error(bytes + "x"), "is " + longer + " bytes long, but its header declares " + size);
}

TEST_F(ModelFile, ImpossibleDeclaredSizeIsAnError) {
    std::string bytes = saved(example_classifier());
    store_le(bytes, 12, 10, 8);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "header declares an impossible size of 10 bytes");
}

TEST_F(ModelFile, AbsurdLayerCountIsRefusedBeforeAllocating) {
    std::string bytes = saved(example_classifier());
    store_le(bytes, payload_offset(bytes, "ARCH"), std::uint64_t(1) << 61, 8);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes),
              "2305843009213693952 layer widths cannot fit in the 28 bytes left in section 'architecture'");
}

TEST_F(ModelFile, AbsurdLayerWidthsAreRefusedBeforeAllocating) {
    std::string bytes = saved(example_classifier());
    const std::size_t widths = payload_offset(bytes, "ARCH") + 8;
    store_le(bytes, widths + 8, std::uint64_t(1) << 20, 8);
    store_le(bytes, widths + 16, std::uint64_t(1) << 20, 8);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "network has more than 2^31 parameters: too large in section 'architecture'");
}

TEST_F(ModelFile, AbsurdStringLengthIsRefusedBeforeAllocating) {
    std::string bytes = saved(example_classifier());
    const std::size_t first_class_name = payload_offset(bytes, "CLAS") + 8;
    store_le(bytes, first_class_name, std::uint64_t(1) << 62, 8);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes),
              "4611686018427387904 bytes of text cannot fit in the 14 bytes left in section 'class names'");
}

TEST_F(ModelFile, UnknownEnumCodeIsAnError) {
    std::string bytes = saved(example_classifier());
    const std::size_t loss = payload_offset(bytes, "ARCH") + 8 + 3 * 8 + 2;
    bytes[loss] = 9;
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "unknown loss code 9 in section 'architecture'");
}

TEST_F(ModelFile, MissingSectionIsAnError) {
    std::string bytes = saved(example_classifier());
    bytes.replace(bytes.find("TASK"), 4, "XXXX");
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "section 'task' is missing or out of order");
}

TEST_F(ModelFile, WeightCountMustFitTheArchitecture) {
    std::string bytes = saved(example_classifier());
    const std::size_t count = payload_offset(bytes, "WGHT");
    store_le(bytes, count, load_le(bytes, count) - 1, 8);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "network needs 26 parameters, got 25 in section 'weights'");
}

TEST_F(ModelFile, NonFiniteWeightIsAnError) {
    std::string bytes = saved(example_classifier());
    const std::size_t weight_12 = payload_offset(bytes, "WGHT") + 8 + 4 * 12;
    store_le(bytes, weight_12, std::bit_cast<std::uint32_t>(std::numeric_limits<float>::quiet_NaN()), 4);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "weight 12 is NaN");
    store_le(bytes, weight_12, std::bit_cast<std::uint32_t>(-std::numeric_limits<float>::infinity()), 4);
    reseal(bytes);
    EXPECT_EQ(load_error(bytes), "weight 12 is infinite");
}

TEST_F(ModelFile, PreprocessingMustHaveOneValuePerInput) {
    Model model = example_classifier();
    model.preprocessing.offset.pop_back();
    EXPECT_EQ(load_error(saved(model)), "2 preprocessing offsets, expected 3 (one per input)");
    model = example_classifier();
    model.preprocessing.kind = Preprocessing::Kind::none;
    EXPECT_EQ(load_error(saved(model)),
              "3 preprocessing offsets, expected 0 (preprocessing 'none' has no parameters)");
}

TEST_F(ModelFile, NamesMustMatchTheNetwork) {
    Model model = example_classifier();
    model.class_names.push_back("bird");
    EXPECT_EQ(load_error(saved(model)), "3 class names, expected 2 (one per output)");
    model = example_classifier();
    model.feature_names.pop_back();
    EXPECT_EQ(load_error(saved(model)), "2 feature names, expected 3 (one per input)");
    model = example_regression();
    model.target_names.push_back("tax");
    EXPECT_EQ(load_error(saved(model)), "2 target names, expected 1 (one per output)");
}

class AtomicFileTest : public ScratchDirTest {};

TEST_F(AtomicFileTest, CommitReplacesTheFileAndLeavesNoTemporary) {
    write_file(path("out.txt"), "old");
    AtomicFile file(path("out.txt"));
    file.write("new ");
    file.write(std::string(3 << 20, 'x'));  // more than the buffer holds
    EXPECT_EQ(read_file(path("out.txt")), "old");
    EXPECT_EQ(entries().size(), 2u);  // the file and the temporary beside it
    file.commit();
    EXPECT_EQ(read_file(path("out.txt")), "new " + std::string(3 << 20, 'x'));
    EXPECT_EQ(entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, WithoutCommitTheOldFileStaysAndTheTemporaryGoes) {
    write_file(path("out.txt"), "old");
    try {
        AtomicFile file(path("out.txt"));
        file.write("half of it");
        throw Error("interrupted");
    } catch (const Error&) {
    }
    EXPECT_EQ(read_file(path("out.txt")), "old");
    EXPECT_EQ(entries(), std::vector<std::string>{"out.txt"});
}

TEST_F(AtomicFileTest, ADirectoryIsRefusedAtOnce) {
    std::filesystem::create_directories(path("folder"));
    EXPECT_THROW(AtomicFile file(path("folder")), Error);
    EXPECT_EQ(entries(), std::vector<std::string>{"folder"});
}

TEST_F(AtomicFileTest, FailedRenameIsAnErrorAndLeavesNoTemporary) {
    {
        AtomicFile file(path("taken"));
        file.write("data");
        std::filesystem::create_directories(path("taken/inside"));  // meanwhile: a directory, not replaceable
        EXPECT_THROW(file.commit(), Error);
    }
    EXPECT_TRUE(std::filesystem::is_directory(path("taken/inside")));
    EXPECT_EQ(entries(), std::vector<std::string>{"taken"});
}

}  // namespace
