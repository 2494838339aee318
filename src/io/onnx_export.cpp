// ONNX export. An ONNX file is one Protocol Buffers message (onnx.proto's ModelProto); the few
// message types it needs are written here by hand in the wire format, so that exporting depends
// on neither protobuf nor the ONNX library.
#include "nabla/onnx.hpp"

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/atomic_file.hpp"

namespace nabla {

namespace {

constexpr std::int64_t ir_version = 7;
constexpr std::int64_t opset_version = 13;
constexpr std::int64_t float_type = 1;  // TensorProto.DataType.FLOAT

// Field numbers, from onnx.proto.
namespace model_field { constexpr int ir_version = 1, producer_name = 2, graph = 7, opset_import = 8; }
namespace opset_field { constexpr int version = 2; }
namespace graph_field { constexpr int node = 1, name = 2, initializer = 5, input = 11, output = 12; }
namespace node_field { constexpr int input = 1, output = 2, name = 3, op_type = 4, attribute = 5; }
namespace attribute_field { constexpr int name = 1, f = 2, i = 3, type = 20; }
namespace attribute_type { constexpr int float_value = 1, int_value = 2; }
namespace tensor_field { constexpr int dims = 1, data_type = 2, name = 8, raw_data = 9; }
namespace value_info_field { constexpr int name = 1, type = 2; }
namespace type_field { constexpr int tensor_type = 1; }
namespace tensor_type_field { constexpr int elem_type = 1, shape = 2; }
namespace shape_field { constexpr int dim = 1; }
namespace dimension_field { constexpr int dim_value = 1, dim_param = 2; }

// One message in the wire format: each field is a key (field number and wire type) followed by a
// varint, four little-endian bytes, or a length-prefixed byte string (strings, bytes and nested
// messages alike).
class Message {
public:
    Message& varint(int field, std::uint64_t value) {
        key(field, 0);
        put_varint(value);
        return *this;
    }
    Message& fixed32(int field, float value) {
        key(field, 5);
        put_little_endian(std::bit_cast<std::uint32_t>(value));
        return *this;
    }
    Message& bytes(int field, std::string_view value) {
        key(field, 2);
        put_varint(value.size());
        out_ += value;
        return *this;
    }
    Message& message(int field, const Message& nested) { return bytes(field, nested.out_); }

    // Floats as raw little-endian bytes, the layout of TensorProto.raw_data.
    static std::string raw_floats(const std::vector<float>& values) {
        Message raw;
        for (float v : values) raw.put_little_endian(std::bit_cast<std::uint32_t>(v));
        return raw.out_;
    }

    const std::string& encoded() const { return out_; }

private:
    void key(int field, int wire_type) { put_varint((std::uint64_t(field) << 3) | std::uint64_t(wire_type)); }
    void put_varint(std::uint64_t value) {
        for (; value >= 0x80; value >>= 7) out_ += char((value & 0x7f) | 0x80);
        out_ += char(value);
    }
    void put_little_endian(std::uint32_t bits) {
        for (int byte = 0; byte < 4; ++byte) out_ += char((bits >> (8 * byte)) & 0xff);
    }

    std::string out_;
};

Message float_tensor(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
    Message tensor;
    for (std::int64_t d : dims) tensor.varint(tensor_field::dims, std::uint64_t(d));
    tensor.varint(tensor_field::data_type, float_type)
        .bytes(tensor_field::name, name)
        .bytes(tensor_field::raw_data, Message::raw_floats(values));
    return tensor;
}

// A graph input or output: float [N, width], N being any batch size.
Message batch_value_info(const std::string& name, std::size_t width) {
    Message batch, features, shape, tensor_type, type, info;
    batch.bytes(dimension_field::dim_param, "N");
    features.varint(dimension_field::dim_value, width);
    shape.message(shape_field::dim, batch).message(shape_field::dim, features);
    tensor_type.varint(tensor_type_field::elem_type, float_type).message(tensor_type_field::shape, shape);
    type.message(type_field::tensor_type, tensor_type);
    info.bytes(value_info_field::name, name).message(value_info_field::type, type);
    return info;
}

Message int_attribute(const std::string& name, std::int64_t value) {
    Message attribute;
    attribute.bytes(attribute_field::name, name)
        .varint(attribute_field::type, attribute_type::int_value)
        .varint(attribute_field::i, std::uint64_t(value));
    return attribute;
}

Message float_attribute(const std::string& name, float value) {
    Message attribute;
    attribute.bytes(attribute_field::name, name)
        .varint(attribute_field::type, attribute_type::float_value)
        .fixed32(attribute_field::f, value);
    return attribute;
}

Message node(const std::string& op_type, const std::string& name, const std::vector<std::string>& inputs,
             const std::string& output, const std::vector<Message>& attributes = {}) {
    Message n;
    for (const std::string& input : inputs) n.bytes(node_field::input, input);
    n.bytes(node_field::output, output).bytes(node_field::name, name).bytes(node_field::op_type, op_type);
    for (const Message& attribute : attributes) n.message(node_field::attribute, attribute);
    return n;
}

// The node applying σ to `input`; none for the identity.
std::optional<Message> activation_node(Activation activation, const std::string& suffix, const std::string& input,
                                       const std::string& output) {
    switch (activation) {
        case Activation::sigmoid: return node("Sigmoid", "sigmoid" + suffix, {input}, output);
        case Activation::tanh: return node("Tanh", "tanh" + suffix, {input}, output);
        case Activation::relu: return node("Relu", "relu" + suffix, {input}, output);
        case Activation::leaky_relu:
            return node("LeakyRelu", "leaky_relu" + suffix, {input}, output,
                        {float_attribute("alpha", float(leaky_relu_slope))});
        case Activation::softmax:
            return node("Softmax", "softmax" + suffix, {input}, output, {int_attribute("axis", 1)});
        case Activation::identity: break;
    }
    return std::nullopt;
}

struct Dense {
    std::vector<float> W;  // out × in, row-major
    std::vector<float> b;
};

Dense layer_parameters(const Network<float>& net, std::size_t l) {
    const LayerShape& shape = net.layer(l);
    return {std::vector<float>(net.W(l), net.W(l) + shape.out * shape.in),
            std::vector<float>(net.b(l), net.b(l) + shape.out)};
}

// The first layer applied to raw input: with x' = (x − offset) ⊙ scale,
// W x' + b = (W diag(scale)) x + (b − W (offset ⊙ scale)). Summed in double, rounded once.
Dense fold_preprocessing(const Network<float>& net, const Preprocessing& prep) {
    Dense folded = layer_parameters(net, 0);
    if (prep.kind == Preprocessing::Kind::none) return folded;
    const LayerShape& shape = net.layer(0);
    for (std::size_t j = 0; j < shape.out; ++j) {
        float* w = folded.W.data() + j * shape.in;
        double bias = folded.b[j];
        for (std::size_t k = 0; k < shape.in; ++k) {
            bias -= double(w[k]) * double(prep.offset[k]) * double(prep.scale[k]);
            w[k] = float(double(w[k]) * double(prep.scale[k]));
        }
        folded.b[j] = float(bias);
    }
    return folded;
}

Message graph(const Model& model) {
    const Network<float>& net = model.network;
    Message g;
    g.bytes(graph_field::name, "nabla");
    std::string value = "input";
    for (std::size_t l = 0; l < net.depth(); ++l) {
        const LayerShape& shape = net.layer(l);
        const Dense dense = l == 0 ? fold_preprocessing(net, model.preprocessing) : layer_parameters(net, l);
        const std::string suffix = std::to_string(l + 1);
        const bool last = l + 1 == net.depth();
        const bool has_activation = shape.activation != Activation::identity;
        const std::string z = last && !has_activation ? "output" : "z" + suffix;
        g.message(graph_field::initializer, float_tensor("W" + suffix, {std::int64_t(shape.out), std::int64_t(shape.in)}, dense.W))
            .message(graph_field::initializer, float_tensor("b" + suffix, {std::int64_t(shape.out)}, dense.b))
            .message(graph_field::node, node("Gemm", "gemm" + suffix, {value, "W" + suffix, "b" + suffix}, z,
                                             {int_attribute("transB", 1)}));
        value = z;
        const std::string a = last ? "output" : "a" + suffix;
        if (const auto activation = activation_node(shape.activation, suffix, z, a)) {
            g.message(graph_field::node, *activation);
            value = a;
        }
    }
    g.message(graph_field::input, batch_value_info("input", net.input_size()))
        .message(graph_field::output, batch_value_info("output", net.output_size()));
    return g;
}

}  // namespace

void export_onnx(const Model& model, const std::string& path) {
    Message opset;
    opset.varint(opset_field::version, opset_version);  // the default domain, ai.onnx
    Message onnx_model;
    onnx_model.varint(model_field::ir_version, ir_version)
        .bytes(model_field::producer_name, "nabla")
        .message(model_field::graph, graph(model))
        .message(model_field::opset_import, opset);
    AtomicFile file(path);
    file.write(onnx_model.encoded());
    file.commit();
}

}  // namespace nabla
