// Every output file nabla writes (models, metrics, pictures, predictions) goes through AtomicFile, so
// that a crash, a full disk or an exception midway never leaves a half-written file where a good
// one was: the bytes go to a temporary file beside the target, which replaces it only on commit().
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace nabla {

class AtomicFile {
public:
    // Creates PATH.tmp-<pid>-<n> in PATH's directory; Error naming PATH if that is impossible.
    explicit AtomicFile(std::string path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    // Without a successful commit() the temporary file is removed and PATH stays as it was.
    ~AtomicFile();

    void write(const void* data, std::size_t size);
    void write(std::string_view text) { write(text.data(), text.size()); }

    // Flushes, fsyncs and closes the temporary file, then renames it over PATH. Error on any failure
    // (disk full, I/O error), in which case PATH is untouched.
    void commit();

    const std::string& path() const { return path_; }

private:
    [[noreturn]] void fail(const char* what) const;  // Error naming path_, what and errno

    std::string path_;
    std::string temp_path_;
    std::FILE* file_ = nullptr;
    std::unique_ptr<char[]> buffer_;  // stdio's buffer: large, so writes of a few bytes stay cheap
    bool committed_ = false;
};

}  // namespace nabla
