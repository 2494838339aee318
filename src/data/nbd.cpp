// .nbd data files, laid out as docs/data.md describes: a fixed header with its own CRC-32, a
// description in tagged sections (names, columns, the options the data were read with, one CRC-32
// per block of rows), then the rows' values at 64-byte aligned offsets. Loading trusts no size
// before the header's checksum vouches for it and the sizes add up to the file's own size, so that
// every allocation is bounded by the bytes on disk; the rows are read with pread, a block per
// thread, each checked against its CRC-32 as it arrives. pread rather than a mapping: a file cut
// short while it is read is then an Error, not a SIGBUS.
#include "data/nbd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <optional>

#include "cpu/split_pool.hpp"
#include "data/loading.hpp"
#include "io/atomic_file.hpp"
#include "io/sections.hpp"

namespace nabla {

namespace {

using data::file_error;

constexpr std::string_view magic = "NABLADAT";
// Version 2 added the statistics section (STAT); version 1 files read as before, without it.
constexpr std::uint32_t format_version = 2;
// The header: fixed fields, then the CRC-32 of the description, then that of the header itself.
constexpr std::size_t version_offset = 8;
constexpr std::size_t flags_offset = 12;
constexpr std::size_t file_size_offset = 16;
constexpr std::size_t rows_offset = 24;
constexpr std::size_t x_columns_offset = 32;
constexpr std::size_t y_columns_offset = 40;
constexpr std::size_t id_text_offset = 48;
constexpr std::size_t description_size_offset = 56;
constexpr std::size_t description_checksum_offset = 64;
constexpr std::size_t header_checksum_offset = 68;
constexpr std::size_t header_size = 72;
constexpr std::uint32_t flag_ids = 1;  // the rows carry ids (LoadOptions::id_column)
constexpr std::uint32_t known_flags = flag_ids;
// Rows per checksummed block: a process's share, or a part that predict streams, reads and checks
// only the blocks it touches.
constexpr std::uint64_t block_rows = data::NbdBlocks::rows_per_block;
constexpr std::uint64_t alignment = 64;

static_assert(int(Task::classification) == 0 && int(Task::regression) == 1);

constexpr io::Section task_section{"TASK", "task"};
constexpr io::Section class_names_section{"CLAS", "class names"};
constexpr io::Section feature_names_section{"FEAT", "feature names"};
constexpr io::Section target_names_section{"TNAM", "target names"};
constexpr io::Section target_section{"TCOL", "target column"};
constexpr io::Section columns_section{"COLS", "input columns"};
constexpr io::Section origin_section{"ORIG", "origin"};
constexpr io::Section checksums_section{"SUMS", "checksums"};
constexpr io::Section statistics_section{"STAT", "statistics"};

// The header's fields.
struct Header {
    std::uint32_t version = format_version;
    std::uint32_t flags = 0;
    std::uint64_t file_size = 0;
    std::uint64_t rows = 0;
    std::uint64_t x_columns = 0;
    std::uint64_t y_columns = 0;
    std::uint64_t id_text = 0;  // bytes of id text, all rows together
    std::uint64_t description_size = 0;
    std::uint32_t description_checksum = 0;
};

// Where each part of the file starts, from the header's sizes.
struct Regions {
    std::uint64_t x = 0;           // rows × x_columns f32
    std::uint64_t y = 0;           // rows × y_columns f32
    std::uint64_t id_offsets = 0;  // with ids: rows + 1 u64
    std::uint64_t id_text = 0;     // with ids: the text
    std::uint64_t end = 0;         // the file's size
};

// a + b and a · b, or nullopt when they overflow 64 bits.
std::optional<std::uint64_t> add(std::optional<std::uint64_t> a, std::uint64_t b) {
    std::uint64_t sum;
    if (!a || __builtin_add_overflow(*a, b, &sum)) return std::nullopt;
    return sum;
}
std::optional<std::uint64_t> multiply(std::uint64_t a, std::uint64_t b) {
    std::uint64_t product;
    if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
    return product;
}
std::optional<std::uint64_t> aligned(std::optional<std::uint64_t> offset) {
    const std::optional<std::uint64_t> up = add(offset, alignment - 1);
    if (!up) return std::nullopt;
    return *up / alignment * alignment;
}

// The regions the header's sizes describe; nullopt when they overflow.
std::optional<Regions> regions_of(const Header& h) {
    const std::optional<std::uint64_t> x_bytes = multiply(h.rows, 4), y_bytes = multiply(h.rows, 4);
    const std::optional<std::uint64_t> x_size = x_bytes ? multiply(*x_bytes, h.x_columns) : std::nullopt;
    const std::optional<std::uint64_t> y_size = y_bytes ? multiply(*y_bytes, h.y_columns) : std::nullopt;
    const std::optional<std::uint64_t> offsets_size = (h.flags & flag_ids) ? multiply(h.rows + 1, 8) : 0;
    if (!x_size || !y_size || !offsets_size || h.rows == UINT64_MAX) return std::nullopt;
    const auto x = aligned(add(header_size, h.description_size));
    const auto y = aligned(add(x, *x_size));
    const auto id_offsets = (h.flags & flag_ids) ? aligned(add(y, *y_size)) : add(y, *y_size);
    const auto id_text = add(id_offsets, *offsets_size);
    const auto end = add(id_text, h.id_text);
    if (!x || !y || !id_offsets || !id_text || !end) return std::nullopt;
    return Regions{*x, *y, *id_offsets, *id_text, *end};
}

std::uint32_t crc32_continued(std::uint32_t crc, const void* bytes, std::size_t size) {
    return static_cast<std::uint32_t>(crc32_z(crc, static_cast<const Bytef*>(bytes), size));
}

// Values are stored little-endian; a big-endian machine swaps them on the way in and out.
template <class T>
void swap_to_or_from_little_endian(T* values, std::size_t count) {
    if constexpr (std::endian::native == std::endian::big) {
        for (std::size_t i = 0; i < count; ++i) {
            auto bits = std::bit_cast<std::array<std::uint8_t, sizeof(T)>>(values[i]);
            std::reverse(bits.begin(), bits.end());
            values[i] = std::bit_cast<T>(bits);
        }
    } else {
        (void)values, (void)count;
    }
}

std::string join(const std::vector<std::string>& names) {
    std::string joined;
    for (std::size_t i = 0; i < names.size(); ++i) joined += (i ? "," : "") + names[i];
    return joined;
}

// ---- Writing ----

// The file's ids as offsets into one text.
struct IdText {
    std::vector<std::uint64_t> offsets;
    std::string text;
};

IdText id_text_of(const std::vector<std::string>& ids) {
    IdText out;
    if (ids.empty()) return out;
    out.offsets.reserve(ids.size() + 1);
    out.offsets.push_back(0);
    for (const std::string& id : ids) {
        out.text += id;
        out.offsets.push_back(out.text.size());
    }
    return out;
}

// The bytes of rows [begin, end) of a row-major float matrix, stored little-endian, in pieces.
template <class Sink>
void float_rows(const Matrix<float>& m, std::size_t begin, std::size_t end, Sink sink) {
    if (m.cols == 0 || begin == end) return;
    if constexpr (std::endian::native == std::endian::little) {
        sink(m.row(begin), (end - begin) * m.cols * 4);
    } else {
        for (std::size_t i = begin; i < end; ++i) {
            std::vector<float> row(m.row(i), m.row(i) + m.cols);
            swap_to_or_from_little_endian(row.data(), row.size());
            sink(row.data(), row.size() * 4);
        }
    }
}

template <class Sink>
void u64_values(const std::uint64_t* values, std::size_t count, Sink sink) {
    std::vector<std::uint64_t> copy(values, values + count);
    swap_to_or_from_little_endian(copy.data(), copy.size());
    sink(copy.data(), copy.size() * 8);
}

// Each block's CRC-32: its rows of x, of y, its id offsets (first to last, both included) and its
// id text.
std::vector<std::uint32_t> block_checksums(const Dataset& data, const IdText& ids) {
    std::vector<std::uint32_t> sums;
    for (std::size_t begin = 0; begin < data.samples(); begin += block_rows) {
        const std::size_t end = std::min<std::size_t>(data.samples(), begin + block_rows);
        std::uint32_t crc = crc32_continued(0, nullptr, 0);
        const auto add_bytes = [&](const void* bytes, std::size_t size) { crc = crc32_continued(crc, bytes, size); };
        float_rows(data.x, begin, end, add_bytes);
        float_rows(data.y, begin, end, add_bytes);
        if (!ids.offsets.empty()) {
            u64_values(&ids.offsets[begin], end - begin + 1, add_bytes);
            add_bytes(ids.text.data() + ids.offsets[begin], ids.offsets[end] - ids.offsets[begin]);
        }
        sums.push_back(crc);
    }
    return sums;
}

std::vector<std::pair<std::string, std::string>> origin_entries(const NbdOrigin& origin) {
    const LoadOptions& o = origin.options;
    return {{"source", origin.source},
            {"target", o.target},
            {"ignore", join(o.ignore)},
            {"id", o.id_column},
            {"delimiter", o.delimiter ? std::string(1, *o.delimiter) : ""},
            {"task", o.task ? task_name(*o.task) : ""},
            {"missing", o.missing_is_error ? "error" : "impute"},
            {"strict", o.unseen_is_error ? "yes" : "no"},
            {"model", o.columns.empty() ? "no" : "yes"}};
}

void check_savable(const Dataset& data, const std::string& path) {
    const std::size_t n = data.samples();
    if (data.features() == 0) throw file_error(path, "a data set without features cannot be saved");
    if (data.x.size() != n * data.features() || (!data.y.empty() && data.y.rows != n) ||
        (!data.ids.empty() && data.ids.size() != n))
        throw file_error(path, "the data set's parts do not have one row per sample");
}

}  // namespace

void save_nbd(const Dataset& data, const NbdOrigin& origin, const std::string& path) {
    check_savable(data, path);
    const IdText ids = id_text_of(data.ids);
    io::Writer description;
    description.section(task_section, [&](io::Writer& w) {
        w.u8(static_cast<std::uint8_t>(data.task));
        w.u8(data.has_targets && !data.y.empty() ? 1 : 0);
        w.u8(data.pixels ? 1 : 0);
    });
    description.section(class_names_section, [&](io::Writer& w) { w.strings(data.class_names); });
    description.section(feature_names_section, [&](io::Writer& w) { w.strings(data.feature_names); });
    description.section(target_names_section, [&](io::Writer& w) { w.strings(data.target_names); });
    description.section(target_section, [&](io::Writer& w) { w.string(data.target_column); });
    description.section(columns_section, [&](io::Writer& w) { io::write_columns(w, data.columns); });
    description.section(origin_section, [&](io::Writer& w) { io::write_metadata(w, origin_entries(origin)); });
    description.section(checksums_section, [&](io::Writer& w) {
        w.u64(block_rows);
        const std::vector<std::uint32_t> sums = block_checksums(data, ids);
        w.u64(sums.size());
        for (const std::uint32_t sum : sums) w.u32(sum);
    });
    description.section(statistics_section, [&](io::Writer& w) {
        w.u8(origin.standardization ? 1 : 0);
        if (origin.standardization) io::write_preprocessing(w, *origin.standardization);
        w.u8(origin.target_scaling ? 1 : 0);
        if (origin.target_scaling) io::write_target_scaling(w, *origin.target_scaling);
    });

    Header h;
    h.flags = data.ids.empty() ? 0 : flag_ids;
    h.rows = data.samples();
    h.x_columns = data.features();
    h.y_columns = data.y.empty() ? 0 : data.y.cols;
    h.id_text = ids.text.size();
    h.description_size = description.size();
    h.description_checksum = io::crc32_of(description.bytes());
    const Regions at = *regions_of(h);  // sizes of data in memory cannot overflow
    h.file_size = at.end;

    io::Writer header;
    header.raw(magic);
    header.u32(h.version);
    header.u32(h.flags);
    for (const std::uint64_t value : {h.file_size, h.rows, h.x_columns, h.y_columns, h.id_text, h.description_size})
        header.u64(value);
    header.u32(h.description_checksum);
    header.u32(io::crc32_of(std::span(header.bytes()).first(header_checksum_offset)));

    AtomicFile file(path);
    std::uint64_t written = 0;
    const auto write = [&](const void* bytes, std::size_t size) {
        file.write(bytes, size);
        written += size;
    };
    const auto pad_to = [&](std::uint64_t offset) {
        const std::string zeros(offset - written, '\0');
        write(zeros.data(), zeros.size());
    };
    write(header.bytes().data(), header.size());
    write(description.bytes().data(), description.size());
    pad_to(at.x);
    float_rows(data.x, 0, data.samples(), write);
    pad_to(at.y);
    float_rows(data.y, 0, data.samples(), write);
    if (!ids.offsets.empty()) {
        pad_to(at.id_offsets);
        u64_values(ids.offsets.data(), ids.offsets.size(), write);
        write(ids.text.data(), ids.text.size());
    }
    file.commit();
}

namespace {

// ---- Reading ----

// An open file read at offsets; Error naming it when a read fails or comes up short.
class InputBytes {
public:
    explicit InputBytes(const std::string& path) : path_(path) {
        fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) throw file_error(path, std::string("cannot open: ") + std::strerror(errno));
        const off_t end = ::lseek(fd_, 0, SEEK_END);
        if (end < 0) {
            const int error = errno;
            ::close(fd_);
            throw file_error(path, std::string("cannot read: ") + std::strerror(error));
        }
        size_ = std::uint64_t(end);
    }
    ~InputBytes() { ::close(fd_); }
    InputBytes(const InputBytes&) = delete;
    InputBytes& operator=(const InputBytes&) = delete;

    std::uint64_t size() const { return size_; }

    // Reads bytes [offset, offset + size) into `into`; returns how many there were (fewer at the end).
    std::size_t read_some(std::uint64_t offset, void* into, std::size_t size) const {
        std::size_t done = 0;
        while (done < size) {
            const ssize_t got = ::pread(fd_, static_cast<char*>(into) + done, size - done, off_t(offset + done));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) throw file_error(path_, std::string("cannot read: ") + std::strerror(errno));
            if (got == 0) break;
            done += std::size_t(got);
        }
        return done;
    }

    // All of bytes [offset, offset + size); Error when the file ends first (it shrank while read).
    void read(std::uint64_t offset, void* into, std::size_t size) const {
        if (read_some(offset, into, size) != size) throw file_error(path_, "ended while it was read (truncated)");
    }

private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

[[noreturn]] void corrupt(const std::string& path, const std::string& where) {
    throw file_error(path, "checksum mismatch in " + where + ": the file is corrupt");
}

Header read_header(const InputBytes& file, const std::string& path) {
    std::uint8_t bytes[header_size] = {};
    const std::size_t got = file.read_some(0, bytes, header_size);
    if (got == 0) throw file_error(path, "is empty, not a nabla data file");
    if (got < magic.size() || !std::equal(magic.begin(), magic.end(), bytes))
        throw file_error(path, "not a nabla data file (bad magic)");
    if (got < header_size)
        throw file_error(path, "truncated in the header (" + std::to_string(got) + " of " + std::to_string(header_size) +
                                   " bytes)");
    const auto u32 = [&](std::size_t at) { return std::uint32_t(io::load_little_endian(bytes + at, 4)); };
    const auto u64 = [&](std::size_t at) { return io::load_little_endian(bytes + at, 8); };
    Header h;
    h.version = u32(version_offset);
    if (h.version > format_version)
        throw file_error(path, "data format version " + std::to_string(h.version) +
                                   " is newer than this nabla supports (" + std::to_string(format_version) + ")");
    if (h.version == 0) throw file_error(path, "unknown data format version 0");
    if (u32(header_checksum_offset) != io::crc32_of(std::span(bytes).first(header_checksum_offset)))
        corrupt(path, "the header");
    h.flags = u32(flags_offset);
    h.file_size = u64(file_size_offset);
    h.rows = u64(rows_offset);
    h.x_columns = u64(x_columns_offset);
    h.y_columns = u64(y_columns_offset);
    h.id_text = u64(id_text_offset);
    h.description_size = u64(description_size_offset);
    h.description_checksum = u32(description_checksum_offset);
    // The header's checksum vouches for its sizes: from here on a shorter file is a truncated one.
    if (file.size() < h.file_size)
        throw file_error(path, "is " + std::to_string(file.size()) + " bytes long, but its header declares " +
                                   std::to_string(h.file_size) + ": the file is truncated");
    if (file.size() > h.file_size)
        throw file_error(path, "is " + std::to_string(file.size()) + " bytes long, but its header declares " +
                                   std::to_string(h.file_size));
    if (h.flags & ~known_flags) throw file_error(path, "unknown flags " + std::to_string(h.flags) + " in the header");
    const std::optional<Regions> at = regions_of(h);
    if (h.x_columns == 0 || !at || at->end != h.file_size)
        throw file_error(path, "the header's sizes (" + std::to_string(h.rows) + " rows of " +
                                   std::to_string(h.x_columns) + " + " + std::to_string(h.y_columns) +
                                   " values) do not add up to its file size");
    return h;
}

// What the description sections hold.
struct Description {
    Task task = Task::classification;
    bool has_targets = false;
    bool pixels = false;
    std::vector<std::string> class_names, feature_names, target_names;
    std::string target_column;
    std::vector<InputColumn> columns;
    std::vector<std::pair<std::string, std::string>> origin;
    std::vector<std::uint32_t> sums;
    std::optional<Preprocessing> standardization;  // version 2 on: NbdOrigin's statistics
    std::optional<TargetScaling> target_scaling;

    const std::string& origin_value(const std::string& key) const {
        static const std::string none;
        for (const auto& [k, v] : origin)
            if (k == key) return v;
        return none;
    }
};

Description read_description(const InputBytes& file, const Header& h, const std::string& path) {
    std::vector<std::uint8_t> bytes(h.description_size);  // within the file: read_header checked
    file.read(header_size, bytes.data(), bytes.size());
    if (io::crc32_of(bytes) != h.description_checksum) corrupt(path, "the description");
    io::Reader in(bytes, path, "description");
    Description d;
    io::read_section(in, task_section, [&](io::Reader& r) {
        d.task = r.enumeration(Task::regression, "task");
        d.has_targets = r.u8() != 0;
        d.pixels = r.u8() != 0;
        return 0;
    });
    d.class_names = io::read_section(in, class_names_section, &io::Reader::strings);
    d.feature_names = io::read_section(in, feature_names_section, &io::Reader::strings);
    d.target_names = io::read_section(in, target_names_section, &io::Reader::strings);
    d.target_column = io::read_section(in, target_section, &io::Reader::string);
    d.columns = io::read_section(in, columns_section, io::read_columns);
    d.origin = io::read_section(in, origin_section, io::read_metadata);
    d.sums = io::read_section(in, checksums_section, [&](io::Reader& r) {
        if (r.u64() != block_rows) r.fail("a block size other than " + std::to_string(block_rows) + " rows");
        std::vector<std::uint32_t> sums(r.count(4, "checksums"));
        for (std::uint32_t& sum : sums) sum = r.u32();
        return sums;
    });
    if (h.version >= 2)
        io::read_section(in, statistics_section, [&](io::Reader& r) {
            if (r.u8() != 0) d.standardization = io::read_preprocessing(r);
            if (r.u8() != 0) d.target_scaling = io::read_target_scaling(r);
            return 0;
        });
    if (in.remaining() != 0)
        throw file_error(path, std::to_string(in.remaining()) + " unexpected bytes after the last section");
    return d;
}

void expect(bool holds, const std::string& path, const std::string& what) {
    if (!holds) throw file_error(path, what);
}

// What the description and header must agree on: a file can pass its checksums and still come
// from a buggy or hostile writer.
void check_consistency(const Header& h, const Description& d, const std::string& path) {
    expect(d.sums.size() == (h.rows + block_rows - 1) / block_rows, path,
           std::to_string(d.sums.size()) + " block checksums for " + std::to_string(h.rows) + " rows");
    expect(d.has_targets == (h.y_columns > 0), path, "the header and the description disagree on its targets");
    if (d.has_targets && d.task == Task::classification)
        expect(d.class_names.size() == h.y_columns, path,
               std::to_string(d.class_names.size()) + " class names, but one-hot targets of " +
                   std::to_string(h.y_columns) + " classes");
    if (d.has_targets && d.task == Task::regression)
        expect(d.target_names.empty() || d.target_names.size() == h.y_columns, path,
               std::to_string(d.target_names.size()) + " target names for " + std::to_string(h.y_columns) +
                   " target columns");
    expect(d.feature_names.empty() || d.feature_names.size() == h.x_columns, path,
           std::to_string(d.feature_names.size()) + " feature names for " + std::to_string(h.x_columns) + " features");
    if (!d.columns.empty()) {
        std::uint64_t width = 0;
        for (const InputColumn& column : d.columns) width += column.width();
        expect(width == h.x_columns, path,
               "its input columns make " + std::to_string(width) + " inputs, not " + std::to_string(h.x_columns));
    }
    if (d.standardization) {
        const Preprocessing& p = *d.standardization;
        const auto finite = [](float v) { return std::isfinite(v); };
        expect(p.kind == Preprocessing::Kind::standardize && p.offset.size() == h.x_columns &&
                   p.scale.size() == h.x_columns && std::all_of(p.offset.begin(), p.offset.end(), finite) &&
                   std::all_of(p.scale.begin(), p.scale.end(), finite),
               path, "its feature statistics do not fit its " + std::to_string(h.x_columns) + " features");
    }
    if (d.target_scaling)
        expect(d.has_targets && d.task == Task::regression && d.target_scaling->mean.size() == h.y_columns, path,
               "its target statistics do not fit its targets");
    for (const std::vector<std::string>* names : {&d.class_names, &d.feature_names, &d.target_names})
        for (const std::string& name : *names)
            expect(data::valid_utf8(name), path, "the name " + data::quoted(name) + " is not valid UTF-8");
}

// A trained model's columns fit the file's when each encodes its rows alike: same names and kinds,
// and for a categorical column the same categories. A numeric column's missing values are filled
// with the model's fill (check_values).
void check_columns_fit(const Description& d, const LoadOptions& options, const std::string& path) {
    if (options.columns.empty()) return;
    const std::string remedy = ": convert the CSV file with --model to encode it as the model does";
    if (d.columns.size() != options.columns.size())
        throw file_error(path, std::to_string(d.columns.size()) + " input columns, but the model has " +
                                   std::to_string(options.columns.size()) + remedy);
    for (std::size_t k = 0; k < d.columns.size(); ++k) {
        const InputColumn &mine = d.columns[k], &model = options.columns[k];
        if (mine.name != model.name)
            throw file_error(path, "input column " + std::to_string(k + 1) + " is " + data::quoted(mine.name) +
                                       ", but the model's is " + data::quoted(model.name) + remedy);
        if (mine.kind != model.kind || mine.categories != model.categories ||
            mine.missing_category != model.missing_category)
            throw file_error(path, "column " + data::quoted(mine.name) +
                                       " was encoded as fitted on the file's own rows, not as the model's" + remedy);
    }
}

// Refuses a load that asks for CSV options other than those the file was converted with.
void check_options(const Description& d, const LoadOptions& options, const std::string& path) {
    const auto refuse = [&](const std::string& flag, const std::string& asked, const std::string& stored) {
        throw file_error(path, "converted with " + flag + " " + (stored.empty() ? "unset" : data::quoted(stored)) +
                                   ", not " + data::quoted(asked) + "; convert the CSV file again with " + flag + " " +
                                   asked);
    };
    if (!options.targets_optional && !options.target.empty() && options.target != d.origin_value("target") &&
        options.target != d.target_column)
        refuse("--target", options.target, d.origin_value("target"));
    if (!options.ignore.empty() && join(options.ignore) != d.origin_value("ignore"))
        refuse("--ignore", join(options.ignore), d.origin_value("ignore"));
    if (!options.id_column.empty() && options.id_column != d.origin_value("id"))
        refuse("--id", options.id_column, d.origin_value("id"));
    if (options.task && d.has_targets && *options.task != d.task)
        throw file_error(path, std::string("holds ") + task_name(d.task) + " targets, not " + task_name(*options.task) +
                                   "; convert the CSV file again with --task " + task_name(*options.task));
    if (!d.has_targets && !options.targets_optional)
        throw file_error(path, "holds no targets (it was converted without them), so it can only be predicted on");
    if (options.unseen_is_error && d.origin_value("model") == "yes" && d.origin_value("strict") != "yes")
        throw file_error(path, "converted without --strict, so categories the model never saw became all-zero "
                               "inputs; convert the CSV file with --strict to refuse them");
    check_columns_fit(d, options, path);
    if (!options.feature_names.empty() && !d.feature_names.empty() && options.feature_names != d.feature_names)
        throw file_error(path, "its features (" + data::list_names(d.feature_names) + ") are not the model's (" +
                                   data::list_names(options.feature_names) + ")");
}

// One part's reading of rows [begin, end) of the file, block by block.
struct RowReader {
    const InputBytes& file;
    const Header& h;
    const Regions& at;
    const Description& d;
    const std::string& path;
    RowRange kept;
    bool read_y;
    float* x;  // kept rows of x
    float* y;  // kept rows of y (when read_y)
    std::vector<std::string>* ids;  // kept rows' ids (with flag_ids), sized already

    static constexpr std::size_t piece = std::size_t(1) << 20;

    // Bytes [offset, offset + size) into `into` (or, when null, through a scratch buffer), added
    // to the CRC.
    void take(std::uint64_t offset, std::size_t size, std::uint8_t* into, std::uint32_t& crc,
              std::vector<std::uint8_t>& scratch) const {
        for (std::size_t done = 0; done < size;) {
            const std::size_t n = std::min(piece, size - done);
            std::uint8_t* target = into ? into + done : scratch.data();
            file.read(offset + done, target, n);
            crc = crc32_continued(crc, target, n);
            done += n;
        }
    }

    // Rows [r0, r1) of a region of `width` values of 4 bytes: the kept ones into `into`.
    void take_rows(std::uint64_t region, std::uint64_t width, std::size_t r0, std::size_t r1, float* into,
                   std::uint32_t& crc, std::vector<std::uint8_t>& scratch) const {
        const std::size_t row_bytes = std::size_t(width) * 4;
        const std::size_t lo = std::clamp(kept.begin, r0, r1), hi = std::clamp(kept.end, r0, r1);
        take(region + std::uint64_t(r0) * row_bytes, (lo - r0) * row_bytes, nullptr, crc, scratch);
        auto* kept_bytes = into ? reinterpret_cast<std::uint8_t*>(into + (lo - kept.begin) * width) : nullptr;
        take(region + std::uint64_t(lo) * row_bytes, (hi - lo) * row_bytes, kept_bytes, crc, scratch);
        take(region + std::uint64_t(hi) * row_bytes, (r1 - hi) * row_bytes, nullptr, crc, scratch);
    }

    void read_ids(std::size_t r0, std::size_t r1, std::uint32_t& crc, std::vector<std::uint8_t>& scratch) const {
        std::vector<std::uint64_t> offsets(r1 - r0 + 1);
        take(at.id_offsets + std::uint64_t(r0) * 8, offsets.size() * 8, reinterpret_cast<std::uint8_t*>(offsets.data()),
             crc, scratch);
        swap_to_or_from_little_endian(offsets.data(), offsets.size());
        for (std::size_t i = 0; i < offsets.size(); ++i)
            if (offsets[i] > h.id_text || (i > 0 && offsets[i] < offsets[i - 1]) || (r0 + i == 0 && offsets[i] != 0) ||
                (r0 + i == h.rows && offsets[i] != h.id_text))
                throw file_error(path, "id offsets out of order in rows " + std::to_string(r0 + 1) + " to " +
                                           std::to_string(r1));
        std::string text(offsets.back() - offsets.front(), '\0');
        take(at.id_text + offsets.front(), text.size(), reinterpret_cast<std::uint8_t*>(text.data()), crc, scratch);
        for (std::size_t r = std::max(r0, kept.begin); r < std::min(r1, kept.end); ++r)
            (*ids)[r - kept.begin] = text.substr(offsets[r - r0] - offsets.front(), offsets[r - r0 + 1] - offsets[r - r0]);
    }

    void read_block(std::size_t block, std::vector<std::uint8_t>& scratch) const {
        const std::size_t r0 = block * block_rows, r1 = std::min<std::size_t>(h.rows, r0 + block_rows);
        std::uint32_t crc = crc32_continued(0, nullptr, 0);
        take_rows(at.x, h.x_columns, r0, r1, x, crc, scratch);
        take_rows(at.y, h.y_columns, r0, r1, read_y ? y : nullptr, crc, scratch);
        if (h.flags & flag_ids) read_ids(r0, r1, crc, scratch);
        if (crc != d.sums[block]) corrupt(path, "rows " + std::to_string(r0 + 1) + " to " + std::to_string(r1));
    }
};

// A rows × cols matrix whose memory the kernel is asked to back with transparent huge pages before
// anything touches it: where it gives them only on request (Linux's "madvise" mode, Debian's
// default), a 200 MB matrix then takes about 100 page faults instead of 50,000, which on a virtual
// machine halves a load's time (docs/BENCHMARKS.md, ".nbd files and predict in parts").
Matrix<float> matrix_for_rows(std::size_t rows, std::size_t cols) {
    Matrix<float> m;
    m.data.reserve(rows * cols);  // allocated, not yet touched
    constexpr std::uintptr_t huge_page = std::uintptr_t(2) << 20;
    const auto begin = reinterpret_cast<std::uintptr_t>(m.data.data());
    const std::uintptr_t first = (begin + huge_page - 1) / huge_page * huge_page;
    const std::uintptr_t last = (begin + rows * cols * sizeof(float)) / huge_page * huge_page;
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // advice only
    m.data.resize(rows * cols);
    m.rows = rows;
    m.cols = cols;
    return m;
}

// Rows `kept` of x and y (when read_y), and of the ids, each block checked; the blocks shared
// among the threads.
void read_rows(const InputBytes& file, const Header& h, const Description& d, const std::string& path, RowRange kept,
               bool read_y, Dataset& data) {
    const Regions at = *regions_of(h);
    const std::size_t n = kept.end - kept.begin;
    data.x = matrix_for_rows(n, h.x_columns);
    if (read_y) data.y = matrix_for_rows(n, h.y_columns);
    if (h.flags & flag_ids) data.ids.resize(n);
    if (n == 0) return;
    RowReader reader{file, h, at, d, path, kept, read_y, data.x.data.data(), data.y.data.data(),
                     &data.ids};
    const std::size_t first = kept.begin / block_rows, last = (kept.end - 1) / block_rows + 1;
    const int parts = int(std::min<std::size_t>(std::size_t(cpu::split_parts()), last - first));
    std::vector<std::exception_ptr> failed(std::size_t(std::max(parts, 1)));
    cpu::run_in_parts(std::max(parts, 1), [&](int part, int count) {
        try {
            std::vector<std::uint8_t> scratch(RowReader::piece);
            for (std::size_t block = first + std::size_t(part); block < last; block += std::size_t(count))
                reader.read_block(block, scratch);
        } catch (...) {
            failed[std::size_t(part)] = std::current_exception();
        }
    });
    for (const std::exception_ptr& error : failed)
        if (error) std::rethrow_exception(error);
    swap_to_or_from_little_endian(data.x.data.data(), data.x.size());
    swap_to_or_from_little_endian(data.y.data.data(), data.y.size());
}

// Each input's fill for a missing value (NaN in the file): its numeric column's, from the model's
// columns when a model reads the file; NaN (not fillable) for a categorical input or without columns.
std::vector<float> input_fills(const Description& d, const LoadOptions& options, std::size_t inputs) {
    std::vector<float> fills(inputs, std::numeric_limits<float>::quiet_NaN());
    const std::vector<InputColumn>& columns = options.columns.empty() ? d.columns : options.columns;
    std::size_t at = 0;
    for (const InputColumn& column : columns) {
        if (column.kind == InputColumn::Kind::numeric && at < inputs) fills[at] = column.fill;
        at += column.width();
    }
    return fills;
}

// Missing values filled in (or refused, with LoadOptions::missing_is_error), and values a writer
// could not have stored refused: other non-finite inputs or targets, classification targets that
// are not one-hot (whose class indices become `labels`, when given). The rows are x's and y's
// (y may be null) first … first + count − 1 of the file, for messages.
struct ValueRules {
    std::vector<float> fills;  // input_fills
    bool missing_is_error = false;
    Task task = Task::classification;
    const std::string& path;
};

void check_rows(const ValueRules& rules, float* x, std::size_t x_cols, float* y, std::size_t y_cols,
                std::size_t count, std::size_t first, std::int32_t* labels) {
    const auto row_name = [&](std::size_t i) { return "row " + std::to_string(first + i + 1); };
    for (std::size_t i = 0; i < count; ++i) {
        // A NaN or an infinity has every exponent bit set: one pass over the row's bits, which the
        // compiler vectorises, finds the rare row that needs a closer look.
        float* row = x + i * x_cols;
        bool special = false;
        for (std::size_t j = 0; j < x_cols; ++j)
            special |= (std::bit_cast<std::uint32_t>(row[j]) & 0x7f800000u) == 0x7f800000u;
        if (!special) continue;
        for (std::size_t j = 0; j < x_cols; ++j) {
            float& v = row[j];
            if (std::isfinite(v)) continue;
            const std::string where = row_name(i) + ", input " + std::to_string(j + 1);
            if (!std::isnan(v) || std::isnan(rules.fills[j])) throw file_error(rules.path, where + ": not a finite number");
            if (rules.missing_is_error) throw file_error(rules.path, where + ": a missing value (--missing error)");
            v = rules.fills[j];
        }
    }
    if (!y) return;
    for (std::size_t i = 0; i < count; ++i) {
        const float* targets = y + i * y_cols;
        if (rules.task == Task::regression) {
            for (std::size_t j = 0; j < y_cols; ++j)
                if (!std::isfinite(targets[j]))
                    throw file_error(rules.path, row_name(i) + ": its target is not a finite number");
            continue;
        }
        std::size_t ones = 0, zeros = 0, label = 0;
        for (std::size_t j = 0; j < y_cols; ++j) {
            if (targets[j] == 1.0f) ++ones, label = j;
            else if (targets[j] == 0.0f) ++zeros;
        }
        if (ones != 1 || zeros + 1 != y_cols)
            throw file_error(rules.path, row_name(i) + ": its target is not one of the classes (not one-hot)");
        if (labels) labels[i] = std::int32_t(label);
    }
}

void check_values(Dataset& data, const Description& d, const LoadOptions& options, RowRange kept,
                  const std::string& path) {
    const ValueRules rules{input_fills(d, options, data.x.cols), options.missing_is_error, d.task, path};
    if (d.task == Task::classification && !data.y.empty()) data.labels.resize(data.y.rows);
    check_rows(rules, data.x.data.data(), data.x.cols, data.y.empty() ? nullptr : data.y.data.data(), data.y.cols,
               data.x.rows, kept.begin, data.labels.empty() ? nullptr : data.labels.data());
}

// Classification targets renumbered to a trained model's classes (its indices, so that a file
// lacking some class still lines up with training).
void conform_classes(Dataset& data, const LoadOptions& options, const std::string& path) {
    if (options.class_names.empty() || data.task != Task::classification) return;
    if (data.y.empty() && data.labels.empty()) {
        data.class_names = options.class_names;
        return;
    }
    const data::ClassIndex index(options.class_names);
    for (std::int32_t& label : data.labels) {
        const std::string& name = data.class_names[std::size_t(label)];
        const std::optional<std::int32_t> model_label = index.find(name);
        if (!model_label) throw file_error(path, data::unknown_class_message(name, options.class_names));
        label = *model_label;
    }
    data.class_names = options.class_names;
    data.y = data::one_hot(data.labels, data.class_names.size());
}

}  // namespace

bool data::is_nbd_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    char bytes[magic.size()] = {};
    const ssize_t got = ::pread(fd, bytes, sizeof bytes, 0);
    ::close(fd);
    return got == ssize_t(magic.size()) && std::string_view(bytes, sizeof bytes) == magic;
}

std::size_t data::count_nbd_rows(const std::string& path) {
    const InputBytes file(path);
    return std::size_t(read_header(file, path).rows);
}

namespace {

// A .nbd file opened for reading: its header and description read and checked against each other
// and against what `options` asks.
struct OpenedFile {
    std::string path;
    InputBytes bytes;
    Header h;
    Description d;

    OpenedFile(const std::string& p, const LoadOptions& options)
        : path(p), bytes(p), h(read_header(bytes, p)), d(read_description(bytes, h, p)) {
        check_consistency(h, d, path);
        check_options(d, options, path);
        const std::optional<std::size_t> expected = data::expected_features(options);
        if (expected && h.x_columns != *expected)
            throw file_error(path, std::to_string(h.x_columns) + " features, but the model expects " +
                                       std::to_string(*expected));
        if (!options.id_column.empty() && !(h.flags & flag_ids))
            throw file_error(path, "has no ids: convert the CSV file with --id " + options.id_column);
    }
};

// The data set `file` describes, without its rows (x and y of none, their widths set).
Dataset shape_of(const OpenedFile& file, const LoadOptions& options, bool read_y) {
    const Description& d = file.d;
    Dataset data;
    data.x.cols = std::size_t(file.h.x_columns);
    if (read_y) data.y.cols = std::size_t(file.h.y_columns);
    data.source = file.path;
    data.task = d.has_targets ? d.task : options.task.value_or(d.task);
    data.has_targets = read_y;
    data.pixels = d.pixels;
    data.class_names = d.class_names;
    data.feature_names = d.feature_names;
    data.target_names = read_y ? d.target_names : std::vector<std::string>{};
    data.target_column = read_y ? d.target_column : std::string();
    data.columns = d.columns;
    return data;
}

}  // namespace

Dataset data::load_nbd(const std::string& path, const LoadOptions& options) {
    const OpenedFile file(path, options);
    const RowRange kept = data::rows_to_keep(options.rows, std::size_t(file.h.rows), path);
    const bool read_y = file.d.has_targets && !options.targets_optional;
    Dataset data = shape_of(file, options, read_y);
    read_rows(file.bytes, file.h, file.d, path, kept, read_y, data);
    if (options.id_column.empty()) data.ids.clear();
    check_values(data, file.d, options, kept, path);
    conform_classes(data, options, path);
    return data;
}

struct data::NbdBlocks::File : OpenedFile {
    using OpenedFile::OpenedFile;
    LoadOptions options;
};

data::NbdBlocks::NbdBlocks(const std::string& path, const LoadOptions& options)
    : file_(std::make_unique<File>(path, options)) {
    file_->options = options;
    if (!file_->d.has_targets)
        throw file_error(path, "holds no targets (it was converted without them), so it cannot be trained on");
    shape_ = shape_of(*file_, options, true);
}

data::NbdBlocks::~NbdBlocks() = default;

std::size_t data::NbdBlocks::rows() const { return std::size_t(file_->h.rows); }

const std::optional<Preprocessing>& data::NbdBlocks::standardization() const { return file_->d.standardization; }

const std::optional<TargetScaling>& data::NbdBlocks::target_scaling() const { return file_->d.target_scaling; }

void data::NbdBlocks::read(RowRange kept, float* x, float* y) const {
    const File& f = *file_;
    const std::size_t block = kept.begin / rows_per_block;
    if (kept.end <= kept.begin || kept.end > rows() || (kept.end - 1) / rows_per_block != block)
        throw Error("NbdBlocks::read: rows " + std::to_string(kept.begin) + " to " + std::to_string(kept.end) +
                    " are not within one block of " + f.path);
    const Regions at = *regions_of(f.h);
    std::vector<std::string> ids((f.h.flags & flag_ids) ? kept.end - kept.begin : 0);  // read for the checksum
    const RowReader reader{f.bytes, f.h, at, f.d, f.path, kept, true, x, y, &ids};
    std::vector<std::uint8_t> scratch(RowReader::piece);
    reader.read_block(block, scratch);
    const std::size_t count = kept.end - kept.begin;
    swap_to_or_from_little_endian(x, count * f.h.x_columns);
    swap_to_or_from_little_endian(y, count * f.h.y_columns);
    const ValueRules rules{input_fills(f.d, f.options, std::size_t(f.h.x_columns)), f.options.missing_is_error,
                           f.d.task, f.path};
    check_rows(rules, x, std::size_t(f.h.x_columns), y, std::size_t(f.h.y_columns), count, kept.begin, nullptr);
}

}  // namespace nabla
