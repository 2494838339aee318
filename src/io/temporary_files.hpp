// The temporary files that AtomicFile has open, so that a process stopped by SIGINT, SIGTERM or
// SIGHUP removes them before it ends (kill -9 cannot be caught: a file named PATH.tmp-<pid>-<n>
// may then stay behind, never the half-written PATH itself).
#pragma once

namespace nabla {

// Registers a temporary file's path; returns its slot, or -1 when every slot is taken (the file is
// then not removed on a signal, which only matters to a process with over 64 files open at once).
int remember_temporary_file(const char* path);

// Forgets the file in `slot` (from remember_temporary_file), after it was renamed or removed.
void forget_temporary_file(int slot);

// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the registered temporary files and
// then end the process as the signal would have. For programs (the nabla CLI); a library user with
// handlers of their own keeps them.
void remove_temporary_files_on_signals();

}  // namespace nabla
