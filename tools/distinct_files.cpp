#include "distinct_files.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <optional>

#include "commands.hpp"
#include "io/atomic_file.hpp"
#include "nabla/dataset.hpp"

namespace nabla::cli {

namespace {

// What a path names: the existing file's device and inode, or (for a file not created yet) the
// absolute path it will be created at.
struct Identity {
    bool exists = false;
    bool shareable = false;  // a device, FIFO or socket: writing to it twice destroys nothing
    dev_t device = 0;
    ino_t inode = 0;
    std::string new_path;
};

Identity identify(const std::string& path) {
    Identity id;
    struct stat st {};
    if (stat(path.c_str(), &st) == 0) {
        id.exists = true;
        id.shareable = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        id.device = st.st_dev;
        id.inode = st.st_ino;
        return id;
    }
    std::error_code error;
    const std::filesystem::path target = std::filesystem::absolute(final_target(path), error);
    id.new_path = std::filesystem::weakly_canonical(target, error).string();
    if (error) id.new_path = target.lexically_normal().string();
    return id;
}

bool same_file(const Identity& a, const Identity& b) {
    if (a.exists != b.exists) return false;
    if (a.exists) return !a.shareable && a.device == b.device && a.inode == b.inode;
    return a.new_path == b.new_path;
}

std::string named(const FileFlag& f) { return f.flag + " '" + f.path + "'"; }

}  // namespace

void check_outputs_are_distinct(const std::vector<FileFlag>& inputs, const std::vector<FileFlag>& outputs) {
    std::vector<std::pair<const FileFlag*, Identity>> written;
    for (const FileFlag& output : outputs) {
        if (output.path.empty() || output.path == "-") continue;
        const Identity id = identify(output.path);
        if (id.exists && std::filesystem::is_directory(output.path))
            throw UsageError(named(output) + " is a directory; name a file to write");
        for (const FileFlag& input : inputs)
            if (!input.path.empty() && same_file(id, identify(input.path)))
                throw UsageError(named(output) + " is the same file as " + named(input) +
                                 ": nabla never writes over a file it reads; choose another output");
        for (const auto& [other, other_id] : written)
            if (same_file(id, other_id))
                throw UsageError(named(output) + " is the same file as " + named(*other) +
                                 ": give each output a file of its own");
        written.emplace_back(&output, id);
    }
}

std::vector<FileFlag> files_of_source(const std::string& flag, const std::string& source) {
    if (source.empty()) return {};
    std::vector<FileFlag> files;
    for (std::string& path : source_files(source)) files.push_back({flag, std::move(path)});
    return files;
}

}  // namespace nabla::cli
