#include "data/loading.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nabla::data {

Error file_error(const std::string& path, const std::string& message) {
    return Error(path + ": " + message);
}

Error line_error(const std::string& path, std::size_t line, const std::string& message) {
    return Error(path + ":" + std::to_string(line) + ": " + message);
}

bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length;
        std::uint32_t code;
        if (byte < 0x80) { ++i; continue; }
        if (byte >= 0xC2 && byte <= 0xDF) length = 2, code = byte & 0x1F;
        else if (byte >= 0xE0 && byte <= 0xEF) length = 3, code = byte & 0x0F;
        else if (byte >= 0xF0 && byte <= 0xF4) length = 4, code = byte & 0x07;
        else return false;
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            code = (code << 6) | (next & 0x3F);
        }
        const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
        if (overlong || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return false;
        i += length;
    }
    return true;
}

std::string quoted(std::string_view text) {
    constexpr std::size_t kMaxShown = 40;
    std::string shown = "'";
    for (const char c : text.substr(0, kMaxShown)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02X", byte);
            shown += escape;
        } else {
            shown += c;
        }
    }
    shown += text.size() > kMaxShown ? "'..." : "'";
    return shown;
}

std::string list_names(const std::vector<std::string>& names) {
    constexpr std::size_t kMaxListed = 20;
    std::string list;
    for (std::size_t i = 0; i < std::min(names.size(), kMaxListed); ++i) list += (i ? ", " : "") + names[i];
    if (names.size() > kMaxListed) list += ", ... (" + std::to_string(names.size()) + " in all)";
    return list;
}

namespace {

gzFile as_gz(void* file) {
    return static_cast<gzFile>(file);
}

// zlib remembers a failed read or a gzip stream that ended early; either leaves the data unusable.
void throw_if_read_failed(gzFile file, const std::string& path, int error_number) {
    int code = Z_OK;
    const char* message = gzerror(file, &code);
    if (code == Z_OK) return;
    if (code == Z_ERRNO) throw file_error(path, std::string("cannot read: ") + std::strerror(error_number));
    if (code == Z_BUF_ERROR) throw file_error(path, "the gzip data is truncated");
    throw file_error(path, std::string("corrupt gzip data: ") + message);
}

}  // namespace

InputFile::InputFile(const std::string& path) : path_(path) {
    errno = 0;
    file_ = gzopen(path.c_str(), "rb");
    if (!file_) {
        // gzopen leaves errno at 0 when it fails for want of memory rather than in open().
        const char* reason = errno != 0 ? std::strerror(errno) : "out of memory";
        throw file_error(path, std::string("cannot open: ") + reason);
    }
    constexpr unsigned kBufferBytes = 1u << 17;  // zlib's 8 KiB default makes big files slow
    gzbuffer(as_gz(file_), kBufferBytes);
}

InputFile::~InputFile() {
    gzclose(as_gz(file_));
}

std::string InputFile::read(std::size_t count) {
    constexpr std::size_t kMinChunk = std::size_t{1} << 20;
    constexpr std::size_t kMaxChunk = std::size_t{1} << 30;  // gzread counts in unsigned int
    // An uncompressed file's size tells how much is left: read into one buffer of that size, not
    // one that doubles (each doubling zero-fills and copies all that was read before).
    std::optional<std::size_t> left;
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path_, error);
    const z_off_t at = gztell(as_gz(file_));
    if (!error && gzdirect(as_gz(file_)) && at >= 0 && std::uintmax_t(at) <= size) left = std::size_t(size - std::uintmax_t(at));
    std::string bytes;
    while (bytes.size() < count) {
        std::size_t chunk = std::min({count - bytes.size(), std::max(kMinChunk, bytes.size()), kMaxChunk});
        if (bytes.empty() && left) chunk = std::min({count, *left + 1, kMaxChunk});  // + 1: sees the end at once
        const std::size_t filled = bytes.size();
        bytes.resize(filled + chunk);
        const int got = gzread(as_gz(file_), bytes.data() + filled, static_cast<unsigned>(chunk));
        const int error_number = errno;
        bytes.resize(filled + static_cast<std::size_t>(std::max(got, 0)));
        if (got < 0 || static_cast<std::size_t>(got) < chunk) {
            throw_if_read_failed(as_gz(file_), path_, error_number);
            break;  // a clean end of file
        }
    }
    return bytes;
}

std::size_t InputFile::skip(std::size_t count) {
    constexpr std::size_t kChunk = std::size_t{1} << 20;
    std::size_t skipped = 0;
    while (skipped < count) {
        const std::size_t wanted = std::min(kChunk, count - skipped);
        const std::size_t got = read(wanted).size();
        skipped += got;
        if (got < wanted) break;  // the end of the file
    }
    return skipped;
}

std::unique_ptr<MappedFile> MappedFile::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat info {};
    unsigned char magic[2] = {};
    void* data = MAP_FAILED;
    const bool plain = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0 &&
                       !(::pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
    if (plain) data = ::mmap(nullptr, std::size_t(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        ::close(fd);
        return nullptr;
    }
    ::madvise(data, std::size_t(info.st_size), MADV_SEQUENTIAL);  // read ahead, for each part's thread
    return std::unique_ptr<MappedFile>(new MappedFile(path, fd, data, std::size_t(info.st_size)));
}

MappedFile::~MappedFile() {
    ::munmap(data_, size_);
    ::close(fd_);
}

namespace {
std::size_t page_size() {
    static const auto page = std::size_t(::sysconf(_SC_PAGESIZE));
    return page;
}
}  // namespace

void MappedFile::map_ahead(std::size_t begin, std::size_t end) const {
#ifndef MADV_POPULATE_READ
    constexpr int MADV_POPULATE_READ = 22;  // Linux 5.14; older kernels refuse it, and pages fault in as read
#endif
    const std::size_t first = begin / page_size() * page_size(), last = std::min(end, size_);
    if (first < last) ::madvise(static_cast<char*>(data_) + first, last - first, MADV_POPULATE_READ);
}

void MappedFile::copy(std::size_t offset, std::size_t count, char* into) const {
    while (count > 0) {
        const ssize_t got = ::pread(fd_, into, count, off_t(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw file_error(path_, std::string("cannot read: ") + std::strerror(errno));
        if (got == 0) throw file_error(path_, "became shorter while it was read (another program changed it)");
        into += got;
        offset += std::size_t(got);
        count -= std::size_t(got);
    }
}

std::size_t MappedFile::release(std::size_t begin, std::size_t end) const {
    const std::size_t page = page_size();
    const std::size_t first = (begin + page - 1) / page * page, last = std::min(end, size_) / page * page;
    if (first >= last) return begin;
    ::madvise(static_cast<char*>(data_) + first, last - first, MADV_DONTNEED);
    return last;
}

namespace {
LoadProgress& progress_report() {
    static LoadProgress report;
    return report;
}
}  // namespace

void set_load_progress(LoadProgress report) {
    progress_report() = std::move(report);
}

const LoadProgress& load_progress() {
    return progress_report();
}

RowRange rows_to_keep(const std::optional<RowRange>& rows, std::size_t total, const std::string& path) {
    if (!rows) return {0, total};
    if (rows->begin > rows->end || rows->end > total)
        throw file_error(path, "rows " + std::to_string(rows->begin) + " to " + std::to_string(rows->end) +
                                   " were asked for, but it holds " + std::to_string(total));
    return *rows;
}

Matrix<float> one_hot(const std::vector<std::int32_t>& labels, std::size_t classes) {
    Matrix<float> y(labels.size(), classes);
    for (std::size_t i = 0; i < labels.size(); ++i) y(i, static_cast<std::size_t>(labels[i])) = 1.0f;
    return y;
}

ClassIndex::ClassIndex(const std::vector<std::string>& names) {
    for (std::size_t i = 0; i < names.size(); ++i) index_.emplace(names[i], static_cast<std::int32_t>(i));
}

std::optional<std::int32_t> ClassIndex::find(std::string_view name) const {
    const auto found = index_.find(name);
    if (found == index_.end()) return std::nullopt;
    return found->second;
}

std::string unknown_class_message(std::string_view label, const std::vector<std::string>& known) {
    return "unknown class " + quoted(label) + " (the model knows: " + list_names(known) + ")";
}

std::optional<std::size_t> expected_features(const LoadOptions& options) {
    if (options.features) return options.features;
    if (!options.feature_names.empty()) return options.feature_names.size();
    return std::nullopt;
}

}  // namespace nabla::data
