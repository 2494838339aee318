// Runs the nabla program as a user would, in a directory of the test's, and kills it (SIGKILL) if
// it is still running after a given time: for tests of what an interrupted run leaves behind.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

// The nabla program run in `dir` with `args` (standard output discarded), sent `signal_number`
// (SIGKILL unless told) after `delay` if still running; its exit status, or -1 if a signal ended it.
inline int run_and_kill(const std::vector<std::string>& args, const std::string& dir, std::chrono::milliseconds delay,
                        int signal_number = SIGKILL) {
    const pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir.c_str()) != 0) _exit(127);
        if (!std::freopen("/dev/null", "w", stdout)) _exit(127);
        std::vector<char*> argv{const_cast<char*>(NABLA_CLI)};
        for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(NABLA_CLI, argv.data());
        _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + delay;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(pid, signal_number);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The nabla program run to completion (five minutes at most): its exit status.
inline int run_nabla(const std::vector<std::string>& args, const std::string& dir) {
    return run_and_kill(args, dir, std::chrono::minutes(5));
}
