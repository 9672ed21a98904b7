// Shared pieces of the `zerofleet` command line: what a subcommand is, flags used by several
// subcommands, and error reporting. Implemented in cli.cc.
//
// Flag names are written with underscores in code and may be typed with dashes
// (--parallel-games == --parallel_games); main.cc normalises them before absl parses.
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_CLI_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_CLI_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/game/rules.h"
#include "common/search/self_play.h"
#include "tools/zerofleet/flag_spec.h"

ABSL_DECLARE_FLAG(int, board_size);
ABSL_DECLARE_FLAG(int, win_length);
ABSL_DECLARE_FLAG(std::string, rule);
ABSL_DECLARE_FLAG(int, sims);
ABSL_DECLARE_FLAG(int, leaves_per_game);
ABSL_DECLARE_FLAG(int, parallel_games);
ABSL_DECLARE_FLAG(int, threads);
ABSL_DECLARE_FLAG(double, c_puct);
ABSL_DECLARE_FLAG(double, fpu_reduction);
ABSL_DECLARE_FLAG(double, dirichlet_alpha);
ABSL_DECLARE_FLAG(double, dirichlet_weight);
ABSL_DECLARE_FLAG(int, temperature_moves);
ABSL_DECLARE_FLAG(double, fast_move_fraction);
ABSL_DECLARE_FLAG(double, forced_playouts);
ABSL_DECLARE_FLAG(uint64_t, seed);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, device);

namespace zf::cli {

// One subcommand, declared in its own file (cmd_<name>.cc) as `Command <Name>Command()`.
struct Command {
  std::string name;
  std::string summary;
  std::string usage;
  // Every flag it accepts, with ranges: --help lists them, any other flag is refused, and
  // each range is checked before `run`.
  FlagList flags;
  int (*run)(const std::vector<std::string>& args);  // args: positionals after the name
  // Optional: sets flag defaults from the raw arguments before parsing (presets).
  void (*before_parse)(const std::vector<std::string>& args) = nullptr;
};

// Flag groups several commands take (defined in cli.cc beside the flags).
FlagList RuleFlags();
// The search of one move: sims, leaves_per_game, c_puct, fpu_reduction (play, evaluate).
FlagList MoveSearchFlags();
// Self-play: the move search, root noise, temperature, parallel games, threads, seed.
FlagList SearchFlags();
FlagList ResignFlags();  // self-play resignation (train, learner)
// --tls-* and --token-file (common/rpc/security_flags.cc) for the gRPC commands.
FlagList RpcSecurityFlags();

// Reads and range-checks the shared flags.
absl::StatusOr<Rules> RulesFromFlags();
absl::StatusOr<SearchOptions> SearchOptionsFromFlags();
// Rules + search + parallel_games/threads/seed, validated together.
absl::StatusOr<SelfPlayOptions> SelfPlayOptionsFromFlags();

// Prints "<program>: error: <message>" on one line to stderr; returns the exit code 2.
int Fail(const absl::Status& status);
int Fail(absl::string_view message);
// The name errors start with: the binary's (zerofleet, zerofleet-learner, ...). Set once by
// RunMain before any command runs; "zerofleet" until then.
void SetProgramName(absl::string_view name);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_CLI_H_
