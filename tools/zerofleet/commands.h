// Entry points of the `zerofleet` subcommands, one file each (cmd_<name>.cc).
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/train_run.h"

namespace zf::cli {

int RunSelfPlayCommand(const std::vector<std::string>& args);  // cmd_selfplay.cc
int RunBenchCommand(const std::vector<std::string>& args);     // cmd_bench.cc
int RunPlayCommand(const std::vector<std::string>& args);      // cmd_play.cc
int RunEvaluateCommand(const std::vector<std::string>& args);  // cmd_evaluate.cc
int RunTrainCommand(const std::vector<std::string>& args);     // cmd_train.cc
// Applies --preset defaults before flags are parsed (cmd_train.cc; also `learner`).
void ApplyTrainDefaults(const std::vector<std::string>& args);
// The run settings `train` and `learner` share, from the flags, validated (cmd_train.cc).
absl::StatusOr<TrainRunOptions> TrainRunOptionsFromFlags();
int RunLearnerCommand(const std::vector<std::string>& args);          // cmd_learner.cc
int RunActorCommand(const std::vector<std::string>& args);            // cmd_actor.cc
int RunRatingsCommand(const std::vector<std::string>& args);          // cmd_ratings.cc
int RunInferenceServerCommand(const std::vector<std::string>& args);  // cmd_inference_server.cc
// Inference-server defaults for the flags it shares (port 0, any board size, no model file).
void ApplyInferenceServerDefaults(const std::vector<std::string>& args);
// Actor defaults: games and threads from the learner's run config unless given.
void ApplyActorDefaults(const std::vector<std::string>& args);

// The whole command line of `zerofleet` (dispatch.cc). With `command` set, runs that one
// command with every argument as its own (zerofleet-learner, zerofleet-actor,
// zerofleet-inference-server). A flag the command does not list is refused.
int RunMain(int argc, char** argv, const char* command = nullptr);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_
