#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "io/temporary_files.hpp"
#include "nabla/error.hpp"

namespace nabla {

namespace {

// Big enough that a model's weights go to the kernel in few large writes.
constexpr std::size_t buffer_size = std::size_t(1) << 20;

// Opens a fresh temporary file beside `path`, named after it so that a stray one is recognisable.
// "x" (O_EXCL) refuses a name that exists, e.g. left by a crashed process that had our pid; the
// counter tells apart the files of this process's threads. The name is registered for removal on a
// signal before the file exists, so that no moment leaves it unregistered. Returns nullptr with
// errno set on failure; `slot` is the registration (temporary_files.hpp).
std::FILE* create_temporary(const std::string& path, std::string& temp_path, int& slot) {
    static std::atomic<unsigned> counter{0};
    for (;;) {
        temp_path = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
        slot = remember_temporary_file(temp_path.c_str());
        std::FILE* file = std::fopen(temp_path.c_str(), "wbxe");
        if (file) return file;
        const int error = errno;
        forget_temporary_file(slot);
        slot = -1;
        errno = error;
        if (error != EEXIST) return nullptr;
    }
}

// A rename changes the directory, which has its own fsync. Without it a power loss could bring back
// the old file (still whole, so this is best effort: some file systems refuse to sync a directory).
void sync_directory_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    const std::string directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const int fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    fsync(fd);
    close(fd);
}

}  // namespace

// Links that loop are left for open to report.
std::string final_target(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path target = path;
    std::error_code error;
    for (int hops = 0; hops < 40 && fs::is_symlink(target, error); ++hops) {
        const fs::path next = fs::read_symlink(target, error);
        if (error) break;
        target = next.is_absolute() ? next : target.parent_path() / next;
    }
    return target.string();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), target_(final_target(path_)) {
    struct stat existing {};
    if (stat(target_.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode)) {
        if (S_ISDIR(existing.st_mode)) {
            errno = EISDIR;
            fail("cannot write a file there");
        }
        file_ = std::fopen(target_.c_str(), "wbe");  // a device, FIFO or socket: written, never replaced
        if (!file_) fail("cannot open for writing");
        return;
    }
    file_ = create_temporary(target_, temp_path_, temp_slot_);
    if (!file_) fail("cannot create a temporary file beside it");
    buffer_ = std::make_unique<char[]>(buffer_size);
    std::setvbuf(file_, buffer_.get(), _IOFBF, buffer_size);
}

AtomicFile::~AtomicFile() {
    if (file_) std::fclose(file_);
    if (!committed_ && !temp_path_.empty()) std::remove(temp_path_.c_str());
    forget_temporary_file(temp_slot_);
}

void AtomicFile::write(const void* data, std::size_t size) {
    if (std::fwrite(data, 1, size, file_) != size) fail("cannot write");
}

void AtomicFile::commit() {
    if (std::fflush(file_) != 0) fail("cannot write");
    if (temp_path_.empty()) {  // a device, FIFO or socket: nothing to rename
        const int closed = std::fclose(file_);
        file_ = nullptr;
        if (closed != 0) fail("cannot write");
        committed_ = true;
        return;
    }
    if (fsync(fileno(file_)) != 0) fail("cannot flush to disk");
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0) fail("cannot write");
    if (std::rename(temp_path_.c_str(), target_.c_str()) != 0) fail("cannot rename the temporary file over it");
    committed_ = true;
    sync_directory_of(target_);
}

void AtomicFile::fail(const char* what) const {
    const int error = errno;  // before building the message can change it
    throw Error(path_ + ": " + what + ": " + std::strerror(error));
}

}  // namespace nabla
