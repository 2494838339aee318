// Runs the nabla program as a user would, in a directory of the test's, and kills it (SIGKILL) if
// it is still running after a given time: for tests of what an interrupted run leaves behind.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

// Starts the nabla program in `dir` with `args`, standard output discarded: the child's pid.
inline pid_t start_nabla(const std::vector<std::string>& args, const std::string& dir) {
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
    return pid;
}

// The nabla program run in `dir` with `args` (standard output discarded), sent `signal_number`
// (SIGKILL unless told) after `delay` if still running; its exit status, or -1 if a signal ended it.
inline int run_and_kill(const std::vector<std::string>& args, const std::string& dir, std::chrono::milliseconds delay,
                        int signal_number = SIGKILL) {
    const pid_t pid = start_nabla(args, dir);
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

// What run_when_ready_and_kill saw.
struct KilledRun {
    bool ready = false;   // ready() held while the program ran
    bool killed = false;  // the program was still running `delay` later, and SIGKILL ended it
};

// The nabla program run in `dir` with `args` (standard output discarded) and killed (SIGKILL)
// `delay` after ready() first holds (polled every millisecond), so that a test knows what existed
// before the kill. Gives up, killing the program, when ready() has not held after `wait_at_most`.
inline KilledRun run_when_ready_and_kill(const std::vector<std::string>& args, const std::string& dir,
                                         const std::function<bool()>& ready, std::chrono::milliseconds delay,
                                         std::chrono::milliseconds wait_at_most = std::chrono::minutes(1)) {
    const pid_t pid = start_nabla(args, dir);
    KilledRun run;
    int status = 0;
    const auto give_up = std::chrono::steady_clock::now() + wait_at_most;
    while (!(run.ready = ready()) && std::chrono::steady_clock::now() < give_up) {
        if (waitpid(pid, &status, WNOHANG) == pid) return run;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const auto deadline = std::chrono::steady_clock::now() + delay;
    while (run.ready && std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) return run;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    run.killed = run.ready && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    return run;
}

// The nabla program run to completion (five minutes at most): its exit status.
inline int run_nabla(const std::vector<std::string>& args, const std::string& dir) {
    return run_and_kill(args, dir, std::chrono::minutes(5));
}
