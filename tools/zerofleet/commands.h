// The `zerofleet` subcommands, one file each (cmd_<name>.cc): each declares its name, help and
// the flags it owns (with their ranges) in one `Command` (cli.h).
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/train_run.h"
#include "tools/zerofleet/cli.h"

namespace zf::cli {

// Every subcommand, in help order (dispatch.cc).
const std::vector<Command>& Commands();

Command SelfPlayCommand();         // cmd_selfplay.cc
Command TrainCommand();            // cmd_train.cc
Command LearnerCommand();          // cmd_learner.cc
Command ActorCommand();            // cmd_actor.cc
Command InferenceServerCommand();  // cmd_inference_server.cc
Command PlayCommand();             // cmd_play.cc
Command EvaluateCommand();         // cmd_evaluate.cc
Command RatingsCommand();          // cmd_ratings.cc
Command BenchCommand();            // cmd_bench.cc

// What `train` and `learner` share (cmd_train.cc): the run's flags, the --preset defaults
// applied before flags are parsed, and the run settings read from the flags, validated.
FlagList TrainRunFlags();
void ApplyTrainDefaults(const std::vector<std::string>& args);
absl::StatusOr<TrainRunOptions> TrainRunOptionsFromFlags();

// The whole command line of `zerofleet` (dispatch.cc). With `command` set, runs that one
// command with every argument as its own (zerofleet-learner, zerofleet-actor,
// zerofleet-inference-server). A flag the command does not own is refused, and every flag's
// range is checked before the command runs.
int RunMain(int argc, char** argv, const char* command = nullptr);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_COMMANDS_H_
