// Every output file nabla writes (models, metrics, pictures, predictions) goes through AtomicFile, so
// that a crash, a full disk or an exception midway never leaves a half-written file where a good
// one was: the bytes go to a temporary file beside the target, which replaces it only on commit().
//
// A symbolic link is written through: its final target is replaced, the link stays. A target that
// exists and is not a regular file (a device such as /dev/null, a FIFO, a socket) is never
// replaced: the bytes are written into it directly. A directory is an error.
#pragma once

#include <cstddef>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace nabla {

// `path` with every symbolic link along it followed, also one whose target does not exist yet:
// the file that writing to `path` creates or replaces.
std::string final_target(const std::string& path);

class AtomicFile {
public:
    // Creates PATH.tmp-<pid>-<n> in the directory of PATH's final target (symbolic links followed),
    // or opens PATH itself if it is a device, FIFO or socket; Error naming PATH if that is impossible.
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

    std::string path_;       // as the user named it, for messages
    std::string target_;     // path_ with symbolic links followed: the file replaced
    std::string temp_path_;  // empty when writing straight into a device, FIFO or socket
    int temp_slot_ = -1;     // in temporary_files.hpp's registry
    std::FILE* file_ = nullptr;
    std::unique_ptr<char[]> buffer_;  // stdio's buffer: large, so writes of a few bytes stay cheap
    bool committed_ = false;
};

}  // namespace nabla
