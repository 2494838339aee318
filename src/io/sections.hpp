// The binary layout that nabla's files share (docs/model-format.md, docs/data.md): little-endian
// integers, length-prefixed strings and float arrays, and tagged sections that each say how long
// they are. The Reader trusts no length: every read is checked against the bytes left, so that a
// damaged or hostile file is an Error naming the file and section, never a crash or a huge allocation.
#pragma once

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "nabla/preprocess.hpp"

namespace nabla::io {

// A section of a file: its tag, and what messages call it.
struct Section {
    std::string_view tag;  // four ASCII bytes in the file
    const char* name;      // in messages
};

// zlib's CRC-32 of the bytes, the checksum of every nabla file.
inline std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) {
    return static_cast<std::uint32_t>(crc32_z(crc32_z(0, nullptr, 0), bytes.data(), bytes.size()));
}

// The unsigned integer of `size` bytes stored little-endian at `bytes`, and the reverse.
inline std::uint64_t load_little_endian(const std::uint8_t* bytes, std::size_t size) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t(bytes[i]) << (8 * i);
    return value;
}

inline void store_little_endian(std::uint8_t* bytes, std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
}

// Encodes into a growing byte buffer.
class Writer {
public:
    std::size_t size() const { return bytes_.size(); }
    const std::vector<std::uint8_t>& bytes() const { return bytes_; }

    void raw(std::string_view text) { bytes_.insert(bytes_.end(), text.begin(), text.end()); }
    void u8(std::uint8_t value) { bytes_.push_back(value); }
    void u32(std::uint32_t value) { unsigned_at(grow(4), value, 4); }
    void u64(std::uint64_t value) { unsigned_at(grow(8), value, 8); }
    // Overwrites bytes written earlier (sizes and checksums known only later).
    void unsigned_at(std::size_t offset, std::uint64_t value, std::size_t size) {
        store_little_endian(bytes_.data() + offset, value, size);
    }

    void string(std::string_view text) {
        u64(text.size());
        raw(text);
    }
    void strings(const std::vector<std::string>& list) {
        u64(list.size());
        for (const std::string& text : list) string(text);
    }
    void f64(double value) { u64(std::bit_cast<std::uint64_t>(value)); }
    void u64s(std::span<const std::size_t> values) {
        u64(values.size());
        for (const std::size_t value : values) u64(value);
    }
    void floats(std::span<const float> values) {
        u64(values.size());
        bytes_.reserve(bytes_.size() + 4 * values.size());
        for (const float value : values) u32(std::bit_cast<std::uint32_t>(value));
    }

    // A section: its tag, its payload's size, and the payload that `write_payload(*this)` appends.
    template <class WritePayload>
    void section(const Section& section, WritePayload write_payload) {
        raw(section.tag);
        const std::size_t size_offset = grow(8);
        write_payload(*this);
        unsigned_at(size_offset, size() - size_offset - 8, 8);
    }

private:
    std::size_t grow(std::size_t size) {
        bytes_.resize(bytes_.size() + size);
        return bytes_.size() - size;
    }

    std::vector<std::uint8_t> bytes_;
};

// Decodes a span of the file, refusing every read past its end; failures name the file and the
// section being read.
class Reader {
public:
    Reader(std::span<const std::uint8_t> bytes, const std::string& path, const char* section)
        : bytes_(bytes), path_(path), section_(section) {}

    std::size_t remaining() const { return bytes_.size() - position_; }

    std::span<const std::uint8_t> take(std::size_t size) {
        if (size > remaining()) fail("truncated");
        position_ += size;
        return bytes_.subspan(position_ - size, size);
    }
    std::uint8_t u8() { return take(1)[0]; }
    std::uint32_t u32() { return static_cast<std::uint32_t>(load_little_endian(take(4).data(), 4)); }
    std::uint64_t u64() { return load_little_endian(take(8).data(), 8); }

    // A count of items that take at least `item_size` bytes each, refused when the rest of the
    // section cannot hold that many: this is what keeps an absurd count from becoming an allocation.
    std::size_t count(std::size_t item_size, const char* items) {
        const std::uint64_t n = u64();
        if (n > remaining() / item_size)
            fail(std::to_string(n) + " " + items + " cannot fit in the " + std::to_string(remaining()) +
                 " bytes left");
        return static_cast<std::size_t>(n);
    }

    template <class Enum>
    Enum enumeration(std::uint8_t code, Enum last, const char* what) {
        if (code > static_cast<std::uint8_t>(last))
            fail("unknown " + std::string(what) + " code " + std::to_string(code));
        return static_cast<Enum>(code);
    }
    template <class Enum>
    Enum enumeration(Enum last, const char* what) { return enumeration(u8(), last, what); }

    double f64() { return std::bit_cast<double>(u64()); }
    std::vector<std::size_t> u64s(const char* what) {
        std::vector<std::size_t> values(count(8, what));
        for (std::size_t& value : values) value = u64();
        return values;
    }

    std::string string() {
        const auto text = take(count(1, "bytes of text"));
        return std::string(text.begin(), text.end());
    }
    std::vector<std::string> strings() {
        std::vector<std::string> list(count(8, "strings"));  // each at least its 8-byte length
        for (std::string& text : list) text = string();
        return list;
    }
    std::vector<float> floats(const char* what) {
        std::vector<float> values(count(4, what));
        const auto raw = take(4 * values.size());
        for (std::size_t i = 0; i < values.size(); ++i)
            values[i] = std::bit_cast<float>(static_cast<std::uint32_t>(load_little_endian(&raw[4 * i], 4)));
        return values;
    }

    // The next section, which must be `section`: a reader over its payload.
    Reader next_section(const Section& section) {
        section_ = section.name;
        const auto tag = take(section.tag.size());
        if (!std::equal(tag.begin(), tag.end(), section.tag.begin()))
            throw Error(path_ + ": section '" + std::string(section.name) + "' is missing or out of order");
        return Reader(take(u64()), path_, section.name);
    }

    void expect_end() const {
        if (remaining() != 0) fail(std::to_string(remaining()) + " bytes left over");
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(path_ + ": " + what + " in section '" + section_ + "'");
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t position_ = 0;
    const std::string& path_;
    std::string section_;
};

// Reads the next section with `read_payload` (a function or member of Reader) and makes sure it
// used every byte of it.
template <class ReadPayload>
auto read_section(Reader& file, const Section& section, ReadPayload read_payload) {
    Reader payload = file.next_section(section);
    auto value = std::invoke(read_payload, payload);
    payload.expect_end();
    return value;
}

// CSV input columns (InputColumn): name, kind, fill, categories, missing-category flag each.
inline void write_columns(Writer& out, const std::vector<InputColumn>& columns) {
    out.u64(columns.size());
    for (const InputColumn& column : columns) {
        out.string(column.name);
        out.u8(static_cast<std::uint8_t>(column.kind));
        out.u32(std::bit_cast<std::uint32_t>(column.fill));
        out.strings(column.categories);
        out.u8(column.missing_category ? 1 : 0);
    }
}

inline std::vector<InputColumn> read_columns(Reader& in) {
    // Each column takes at least its name's length, kind, fill, category count and flag: 22 bytes.
    std::vector<InputColumn> columns(in.count(22, "input columns"));
    for (InputColumn& column : columns) {
        column.name = in.string();
        column.kind = in.enumeration(InputColumn::Kind::categorical, "input column kind");
        column.fill = std::bit_cast<float>(in.u32());
        column.categories = in.strings();
        column.missing_category = in.u8() != 0;
    }
    return columns;
}

// Key–value pairs of text, in order.
inline void write_metadata(Writer& out, const std::vector<std::pair<std::string, std::string>>& metadata) {
    out.u64(metadata.size());
    for (const auto& [key, value] : metadata) {
        out.string(key);
        out.string(value);
    }
}

inline std::vector<std::pair<std::string, std::string>> read_metadata(Reader& in) {
    std::vector<std::pair<std::string, std::string>> metadata(in.count(16, "metadata entries"));
    for (auto& [key, value] : metadata) {
        key = in.string();
        value = in.string();
    }
    return metadata;
}

// A Preprocessing: kind, offsets, scales (model files, and the statistics of .nbd files).
inline void write_preprocessing(Writer& out, const Preprocessing& preprocessing) {
    out.u8(static_cast<std::uint8_t>(preprocessing.kind));
    out.floats(preprocessing.offset);
    out.floats(preprocessing.scale);
}

inline Preprocessing read_preprocessing(Reader& in) {
    Preprocessing preprocessing;
    preprocessing.kind = in.enumeration(Preprocessing::Kind::standardize, "preprocessing");
    preprocessing.offset = in.floats("offsets");
    preprocessing.scale = in.floats("scales");
    return preprocessing;
}

// A TargetScaling: per output, mean and standard deviation (f64), refused unless finite and positive.
inline void write_target_scaling(Writer& out, const TargetScaling& scaling) {
    out.u64(scaling.mean.size());
    for (std::size_t j = 0; j < scaling.mean.size(); ++j) {
        out.f64(scaling.mean[j]);
        out.f64(scaling.stddev[j]);
    }
}

inline TargetScaling read_target_scaling(Reader& in) {
    TargetScaling scaling;
    const std::size_t outputs = in.count(16, "target scales");
    for (std::size_t j = 0; j < outputs; ++j) {
        scaling.mean.push_back(in.f64());
        scaling.stddev.push_back(in.f64());
        if (!std::isfinite(scaling.mean.back()) || !(scaling.stddev.back() > 0) || !std::isfinite(scaling.stddev.back()))
            in.fail("a target scale that is not a finite mean and a positive standard deviation");
    }
    return scaling;
}

}  // namespace nabla::io
