#include "io/temporary_files.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace nabla {

namespace {

// Slots of heap copies of the paths. A signal handler may only read them and call unlink (both
// async-signal-safe); a slot is claimed and released with atomic exchanges.
constexpr int slots = 64;
std::atomic<char*> temporary_paths[slots];

void remove_and_end(int signal_number) {
    for (std::atomic<char*>& slot : temporary_paths)
        if (const char* path = slot.load()) unlink(path);
    struct sigaction fallback {};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(signal_number, &fallback, nullptr);
    raise(signal_number);  // delivered once this handler returns: the process ends as the signal says
}

}  // namespace

int remember_temporary_file(const char* path) {
    char* copy = strdup(path);
    if (!copy) return -1;
    for (int i = 0; i < slots; ++i) {
        char* expected = nullptr;
        if (temporary_paths[i].compare_exchange_strong(expected, copy)) return i;
    }
    std::free(copy);
    return -1;
}

void forget_temporary_file(int slot) {
    if (slot < 0 || slot >= slots) return;
    std::free(temporary_paths[slot].exchange(nullptr));
}

void remove_temporary_files_on_signals() {
    struct sigaction action {};
    action.sa_handler = remove_and_end;
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal_number, &action, nullptr);
}

}  // namespace nabla
