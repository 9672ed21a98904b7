// Runs a program from build/bin as a real process and captures what it printed.
// Implemented in run_command.cc.
#ifndef ZEROFLEET_TESTS_CLI_RUN_COMMAND_H_
#define ZEROFLEET_TESTS_CLI_RUN_COMMAND_H_

#include <string>

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

// Path of build/bin (from the ZF_BIN_DIR variable ctest sets).
std::string BinDir();
std::string TempDir();

}  // namespace zf::testing

#endif  // ZEROFLEET_TESTS_CLI_RUN_COMMAND_H_
