// Runs a program from build/bin as a real process and captures what it printed.
// Implemented in run_command.cc.
#ifndef ZEROFLEET_TESTS_CLI_RUN_COMMAND_H_
#define ZEROFLEET_TESTS_CLI_RUN_COMMAND_H_

#include <string>
#include <vector>

namespace zf::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `args` is appended to the binary's path as shell words; stdin is /dev/null unless `input`
// is given. The command is killed after `timeout_s`.
CommandResult RunBinary(const std::string& binary, const std::string& args,
                        const std::string& input = "", int timeout_s = 120);

// A child process started with fork/exec, its output going to files. Killed (SIGKILL) when
// the object is destroyed, so a failing test leaves no process behind. Not thread-safe.
class SpawnedProcess {
 public:
  // Starts build/bin/<binary> with `args`; stdout and stderr go to `out_path` / `err_path`.
  SpawnedProcess(const std::string& binary, const std::vector<std::string>& args,
                 const std::string& out_path, const std::string& err_path);
  ~SpawnedProcess();
  int pid() const { return pid_; }
  // Waits until `path` contains `text`, up to `timeout_s`; false on timeout or exit.
  bool WaitForOutput(const std::string& path, const std::string& text, int timeout_s);
  // Waits for the exit, up to `timeout_s`; the exit code, or -1 (killed by a signal: 128+sig
  // is returned instead) / -2 on timeout.
  int WaitExit(int timeout_s);

 private:
  int pid_ = -1;
  bool exited_ = false;
};

// Path of build/bin (from the ZF_BIN_DIR variable ctest sets).
std::string BinDir();
std::string TempDir();

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_CLI_RUN_COMMAND_H_
