// A child process for integration tests that is always cleaned up: the destructor sends
// SIGTERM, waits a bounded time, then SIGKILLs. Implemented in child_process.cc.
#ifndef ZEROFLEET_TESTS_METRICS_CHILD_PROCESS_H_
#define ZEROFLEET_TESTS_METRICS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace zf::testing {

class ChildProcess {
 public:
  // Starts argv[0] with `argv`; stdout and stderr go to `log_path`. Null when fork fails.
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& argv,
                                             const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // False once the process has exited (its status is then exit_status()). Not thread-safe.
  bool Running();
  // SIGTERM, then SIGKILL after `grace_ms`; returns the wait status. Not thread-safe.
  int Stop(int grace_ms);
  // What it printed so far.
  std::string Log() const;

 private:
  ChildProcess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_;
  std::string log_path_;
  bool exited_ = false;
  int status_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read it, close).
int FreeLoopbackPort();

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_METRICS_CHILD_PROCESS_H_
