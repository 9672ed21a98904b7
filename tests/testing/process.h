// Real child processes for integration tests: ChildProcess (fork/exec, output to files,
// bounded waits, always cleaned up), RunBinary (run to completion and capture), BinDir and
// FreeLoopbackPort. Implemented in process.cc.
#ifndef ZEROFLEET_TESTS_TESTING_PROCESS_H_
#define ZEROFLEET_TESTS_TESTING_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zf::testing {

// The directory of the built binaries: $ZF_BIN_DIR (set by zf_test), else "build/bin".
// Thread-safe.
std::string BinDir();

// A TCP port on 127.0.0.1 that was free a moment ago; -1 on error. Picked at random below the
// kernel's ephemeral range, so no outgoing connection takes it before the server binds it.
// Thread-safe.
int FreeLoopbackPort();

struct CommandResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string out;
  std::string err;
};

// Runs BinDir()/<binary> with `args` (appended as shell words) to completion; stdin is
// /dev/null unless `input` is given. Killed after `timeout_s`. Thread-safe.
CommandResult RunBinary(const std::string& binary, const std::string& args,
                        const std::string& input = "", int timeout_s = 120);

// A number from /proc/PID/status, e.g. "Threads" or "VmRSS" (in kB); -1 if unreadable.
int64_t ProcStatusValue(pid_t pid, absl::string_view field);

// A child started with fork/exec (stdin /dev/null, a clean signal mask), its stdout and
// stderr going to files. The destructor stops it (SIGTERM, then SIGKILL after 5 s), so a
// failing test leaves no process behind. Every wait is bounded. Not thread-safe.
class ChildProcess {
 public:
  enum class Stream { kStdout, kStderr };

  // Starts argv[0] (a path) with `argv`; stdout goes to `out_path` and stderr to `err_path`
  // (the same path puts both in one file). Null when fork fails. Thread-safe.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             const std::string& out_path,
                                             const std::string& err_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The child's process id (for kill()). Thread-safe.
  pid_t pid() const { return pid_; }
  // False once the process has exited. Not thread-safe.
  bool Running();
  // Waits until `stream` contains `text`; false on timeout or if the process exits
  // first. Not thread-safe.
  bool WaitForOutput(Stream stream, absl::string_view text, absl::Duration timeout);
  // Waits for the exit: the exit code, 128+signal if killed by a signal, -2 on
  // timeout. Not thread-safe.
  int WaitExit(absl::Duration timeout);
  // SIGTERM, then SIGKILL after `grace`; returns the exit code or 128+signal as
  // WaitExit. Not thread-safe.
  int Stop(absl::Duration grace);
  // What it has written to `stream` so far. Thread-safe.
  std::string Output(Stream stream) const;
  // Stdout, then stderr when that is a separate file. Thread-safe.
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string out_path, std::string err_path)
      : pid_(pid), out_path_(std::move(out_path)), err_path_(std::move(err_path)) {}
  int ExitCode() const;

  pid_t pid_;
  std::string out_path_;
  std::string err_path_;
  bool exited_ = false;
  int status_ = 0;  // the wait status, once exited_
};

// The port from a server's first stdout line, "listening on 127.0.0.1:PORT (...)" (the learner
// and the inference server print it once serving); 0 if no such line came within `timeout`.
int ReadListeningPort(ChildProcess& p, absl::Duration timeout = absl::Seconds(90));

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_TESTING_PROCESS_H_
