// Internals shared by the data loaders: reading files that may be gzipped, the one-line errors that
// name a file (and line), and the class lookups and one-hot targets that both IDX and CSV build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "nabla/matrix.hpp"

namespace nabla::data {

// "PATH: message" and "PATH:LINE: message", the two shapes of every loader error.
Error file_error(const std::string& path, const std::string& message);
Error line_error(const std::string& path, std::size_t line, const std::string& message);

// User text for an error message: in single quotes, control and non-ASCII bytes escaped so that the
// message stays one line of valid UTF-8 whatever the file holds, and cut short so that a binary file
// does not flood the terminal.
std::string quoted(std::string_view text);

// Whether `text` is valid UTF-8 (no stray continuation bytes, overlong forms, surrogates or code
// points past U+10FFFF): names and labels end up in JSON (`info --json`, `eval --json`).
bool valid_utf8(std::string_view text);

// "a, b, c" for a message, the first few names only when there are many.
std::string list_names(const std::vector<std::string>& names);

// A file read through zlib, which inflates gzip data (recognised by its magic bytes 1f 8b) and passes
// any other file through unchanged, so every loader accepts both without looking.
class InputFile {
public:
    explicit InputFile(const std::string& path);  // Error when the file cannot be opened
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    // Up to `count` bytes, fewer only at the end of the file. The buffer grows as data arrives, so
    // a header that claims far more data than the file holds does not cause a huge allocation.
    std::string read(std::size_t count);

    // Reads past up to `count` bytes without keeping them; returns how many there were.
    std::size_t skip(std::size_t count);

    const std::string& path() const { return path_; }

private:
    std::string path_;
    void* file_;  // gzFile, kept out of this header so that users need not include zlib.h
};

// A plain file's bytes mapped into memory, read-only, and open for pread: the text is parsed where
// the kernel's page cache holds it (with the pages the parser has passed handed back), or copied a
// little at a time, so that a file much larger than the data parsed from it never sits in memory
// whole.
class MappedFile {
public:
    // None where InputFile must read the file instead: gzip data, an empty file, or anything that
    // is not a regular file or cannot be mapped (InputFile then names what is wrong with it).
    static std::unique_ptr<MappedFile> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    std::string_view text() const { return {static_cast<const char*>(data_), size_}; }

    // Maps the pages of text()[begin, end) at once, ahead of reading them (one system call instead
    // of a page fault every few pages).
    void map_ahead(std::size_t begin, std::size_t end) const;

    // Drops the pages wholly inside text()[begin, end) from this process (a page touched again is
    // read back from the file); returns where the dropped stretch ends, or begin when it was none.
    std::size_t release(std::size_t begin, std::size_t end) const;

    // Copies text()[offset, offset + count) into `into` without mapping it, for a pass that only
    // looks at each byte once. Error naming the file if it cannot be read, or has become shorter
    // since it was opened (reading the mapping there would end the process with SIGBUS).
    void copy(std::size_t offset, std::size_t count, char* into) const;

private:
    MappedFile(std::string path, int fd, void* data, std::size_t size)
        : path_(std::move(path)), fd_(fd), data_(data), size_(size) {}
    std::string path_;
    int fd_;
    void* data_;
    std::size_t size_;
};

// Progress through a large file being read: its path, and bytes done of all, now and then, on the
// thread that started the load (done == total at the end). Empty (the default): none is reported.
// The command line sets it to draw a progress line on a terminal (tools/progress.hpp).
using LoadProgress = std::function<void(const std::string& path, std::size_t done, std::size_t total)>;
void set_load_progress(LoadProgress report);
const LoadProgress& load_progress();

// y for classification: row i is the one-hot encoding of labels[i].
Matrix<float> one_hot(const std::vector<std::int32_t>& labels, std::size_t classes);

// Class indices by name.
class ClassIndex {
public:
    explicit ClassIndex(const std::vector<std::string>& names);
    std::optional<std::int32_t> find(std::string_view name) const;

private:
    std::map<std::string, std::int32_t, std::less<>> index_;
};

// "unknown class 'x' (the model knows: a, b, c)", for a label that a trained model never saw.
std::string unknown_class_message(std::string_view label, const std::vector<std::string>& known);

// The input width a trained model expects, if the options carry one.
std::optional<std::size_t> expected_features(const LoadOptions& options);

// The rows a load keeps: options.rows, or all `total` of them. Error naming `path` when the range
// asked for is not within the rows the source holds.
RowRange rows_to_keep(const std::optional<RowRange>& rows, std::size_t total, const std::string& path);

// The samples of a source without keeping them (count_samples): an IDX images file's count, from its
// header, and a CSV file's data rows, from a pass that only splits records.
std::size_t count_idx_images(const std::string& images_path);
std::size_t count_csv_rows(const std::string& path);

// load_csv's parser, on text already in memory (`path` names it in messages). The fuzzer calls it
// directly: reading through zlib sizes a 1 MiB buffer per file, which would dominate each run.
Dataset parse_csv(std::string text, const std::string& path, const LoadOptions& options = {});

// A CSV file read a part at a time (csv_parts.cpp): the delimiter of a file that starts with
// `opening` (LoadOptions::delimiter, or the one found in its first line), and a part after the
// first, read as parse_csv reads the rows of the whole file, with the same messages. `opening` is the
// start of the file up to the end of its second record at least, which tells the columns and whether
// a header names them; `text` holds whole records, the first on line `line`.
char csv_delimiter(std::string_view opening, const LoadOptions& options);
Dataset parse_csv_part(std::string opening, std::string text, std::size_t line, const std::string& path,
                       const LoadOptions& options);

// A CSV file's rows a part at a time, each part about `rows` records, in order: `visit` gets each
// as load_csv would read it (the first part's notes say what load_csv's would). Memory stays that
// of a part, whatever the file's size.
void load_csv_in_parts(const std::string& path, const LoadOptions& options, std::size_t rows,
                       const std::function<void(Dataset&)>& visit);

}  // namespace nabla::data
