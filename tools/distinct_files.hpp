// Outputs never destroy inputs: before a command reads anything, each file it will write is
// compared with each file it reads and with the other files it writes, by device and inode where
// the file exists (so a symbolic link, a hard link or another spelling of the path is caught) and
// by the path with its links followed where it does not exist yet.
#pragma once

#include <string>
#include <vector>

namespace nabla::cli {

// A file named on the command line, and the flag that named it (for the message).
struct FileFlag {
    std::string flag;
    std::string path;
};

// UsageError (exit status 2) naming both flags when an output is the same file as an input or as
// another output, or naming the flag when an output is a directory. Devices, FIFOs and sockets (/dev/null, say) may be named more than once. Empty
// paths are ignored.
void check_outputs_are_distinct(const std::vector<FileFlag>& inputs, const std::vector<FileFlag>& outputs);

// The files that the data source `source` (a --data or --test value) reads (source_files), each
// named by `flag`; none for an empty source.
std::vector<FileFlag> files_of_source(const std::string& flag, const std::string& source);

}  // namespace nabla::cli
