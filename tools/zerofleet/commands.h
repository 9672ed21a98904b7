// Entry points of the `zerofleet` subcommands, one file each (cmd_<name>.cc).
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_

#include <string>
#include <vector>

namespace zf::cli {

int RunSelfPlayCommand(const std::vector<std::string>& args);  // cmd_selfplay.cc
int RunBenchCommand(const std::vector<std::string>& args);     // cmd_bench.cc
int RunPlayCommand(const std::vector<std::string>& args);      // cmd_play.cc
int RunEvaluateCommand(const std::vector<std::string>& args);  // cmd_evaluate.cc
int RunTrainCommand(const std::vector<std::string>& args);     // cmd_train.cc
// Applies --preset defaults before flags are parsed (cmd_train.cc).
void ApplyTrainDefaults(const std::vector<std::string>& args);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_
