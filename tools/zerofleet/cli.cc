#include "tools/zerofleet/cli.h"

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/rpc/security_flags.h"

ABSL_FLAG(int, board_size, 15, "Board size n (n x n), 5..20; 3 only with --win-length 3");
ABSL_FLAG(int, win_length, 5, "Stones in a row that win (k), 3..board size");
ABSL_FLAG(std::string, rule, "freestyle",
          "freestyle (k or more in a row wins) or standard (exactly k; overlines do not win)");
ABSL_FLAG(int, sims, 400, "MCTS playouts per move");
ABSL_FLAG(int, leaves_per_game, 1, "Leaves each game's tree contributes per batch (virtual loss)");
ABSL_FLAG(int, parallel_games, 64, "Games played at once (their leaves form one batch)");
ABSL_FLAG(int, threads, 1, "Self-play threads, each driving parallel_games/threads games");
ABSL_FLAG(double, c_puct, 1.5, "PUCT exploration constant");
ABSL_FLAG(double, fpu_reduction, 0.2, "First-play-urgency reduction below the parent's value");
ABSL_FLAG(double, dirichlet_alpha, 0.0, "Root noise alpha; 0 = 10 / legal moves");
ABSL_FLAG(double, dirichlet_weight, 0.25, "Root noise weight in self-play (0 disables)");
ABSL_FLAG(int, temperature_moves, -1,
          "Moves sampled by visit count at temperature 1 before playing the best; -1 = board size");
ABSL_FLAG(double, fast_move_fraction, 0.0,
          "Playout cap randomization: fraction of moves searched with sims/8 and not trained on");
ABSL_FLAG(double, forced_playouts, 0.0,
          "Forced playouts with policy target pruning (KataGo's k, e.g. 2): noised root children "
          "get at least sqrt(k * prior * visits) visits, pruned from the target; 0 = off");
ABSL_FLAG(double, resign_threshold, 0.9,
          "Self-play: resign when the search's value is below minus this; 0 = never resign");
ABSL_FLAG(int, resign_consecutive, 2, "Self-play: ... on this many own moves in a row");
ABSL_FLAG(double, no_resign_fraction, 0.1,
          "Self-play: games played out regardless, to measure (and cap) false resignations");
ABSL_FLAG(uint64_t, seed, 1, "Random seed");
ABSL_FLAG(bool, json, false, "Print one JSON object instead of a table");
ABSL_FLAG(std::string, device, "auto",
          "Where networks run: auto (CUDA when available), cpu, cuda or cuda:N");

namespace zf::cli {

FlagList RuleFlags() {
  return {{FLAGS_board_size, FlagRange::Between(3, kMaxBoardSize)},
          {FLAGS_win_length, FlagRange::Between(3, kMaxBoardSize)},
          FLAGS_rule};
}

FlagList ResignFlags() {
  return {{FLAGS_resign_threshold, FlagRange::BelowOne()},
          {FLAGS_resign_consecutive, FlagRange::Between(1, 100)},
          {FLAGS_no_resign_fraction, FlagRange::Between(0, 1)}};
}

FlagList MoveSearchFlags() {
  return {{FLAGS_sims, FlagRange::Between(1, 1000000)},
          {FLAGS_leaves_per_game, FlagRange::Between(1, 64)},
          {FLAGS_c_puct, FlagRange::Positive(100)},
          {FLAGS_fpu_reduction, FlagRange::Between(0, 2)}};
}

FlagList SearchFlags() {
  return Concat({MoveSearchFlags(),
                 {{FLAGS_parallel_games, FlagRange::Between(1, 65536)},
                  {FLAGS_threads, FlagRange::Between(1, 256)},
                  {FLAGS_dirichlet_alpha, FlagRange::Between(0, 100)},
                  {FLAGS_dirichlet_weight, FlagRange::Between(0, 1)},
                  {FLAGS_temperature_moves, FlagRange::AtLeast(-1)},
                  {FLAGS_fast_move_fraction, FlagRange::BelowOne()},
                  {FLAGS_forced_playouts, FlagRange::Between(0, 10)},
                  FLAGS_seed}});
}

FlagList RpcSecurityFlags() {
  FlagList flags;
  for (const absl::CommandLineFlag* flag : SecurityFlags()) flags.emplace_back(*flag);
  return flags;
}

absl::StatusOr<Rules> RulesFromFlags() {
  Rules rules;
  rules.size = absl::GetFlag(FLAGS_board_size);
  rules.win_length = absl::GetFlag(FLAGS_win_length);
  absl::StatusOr<Rule> rule = ParseRule(absl::GetFlag(FLAGS_rule));
  if (!rule.ok())
    return absl::InvalidArgumentError(absl::StrCat("--rule: ", rule.status().message()));
  rules.rule = *rule;
  if (absl::Status s = ValidateRules(rules); !s.ok()) return s;
  return rules;
}

absl::StatusOr<SearchOptions> SearchOptionsFromFlags() {
  SearchOptions o;
  o.simulations = absl::GetFlag(FLAGS_sims);
  o.leaves_per_game = absl::GetFlag(FLAGS_leaves_per_game);
  o.c_puct = static_cast<float>(absl::GetFlag(FLAGS_c_puct));
  o.fpu_reduction = static_cast<float>(absl::GetFlag(FLAGS_fpu_reduction));
  o.dirichlet_alpha = static_cast<float>(absl::GetFlag(FLAGS_dirichlet_alpha));
  o.dirichlet_weight = static_cast<float>(absl::GetFlag(FLAGS_dirichlet_weight));
  o.root_noise = o.dirichlet_weight > 0;
  o.temperature_moves = absl::GetFlag(FLAGS_temperature_moves);
  o.fast_move_fraction = static_cast<float>(absl::GetFlag(FLAGS_fast_move_fraction));
  o.forced_playouts = static_cast<float>(absl::GetFlag(FLAGS_forced_playouts));
  if (absl::Status s = ValidateSearchOptions(o); !s.ok()) {
    // Name the flag the user typed, not the struct field.
    std::string msg(s.message());
    msg = absl::StrReplaceAll(msg, {{"simulations =", "--sims ="}});
    if (msg.rfind("--", 0) != 0) msg = absl::StrCat("--", msg);
    return absl::InvalidArgumentError(msg);
  }
  return o;
}

absl::StatusOr<SelfPlayOptions> SelfPlayOptionsFromFlags() {
  SelfPlayOptions o;
  absl::StatusOr<Rules> rules = RulesFromFlags();
  if (!rules.ok()) return rules.status();
  absl::StatusOr<SearchOptions> search = SearchOptionsFromFlags();
  if (!search.ok()) return search.status();
  o.rules = *rules;
  o.search = *search;
  o.parallel_games = absl::GetFlag(FLAGS_parallel_games);
  o.threads = absl::GetFlag(FLAGS_threads);
  o.seed = absl::GetFlag(FLAGS_seed);
  o.resign.threshold = static_cast<float>(absl::GetFlag(FLAGS_resign_threshold));
  o.resign.consecutive = absl::GetFlag(FLAGS_resign_consecutive);
  o.resign.no_resign_fraction = static_cast<float>(absl::GetFlag(FLAGS_no_resign_fraction));
  if (absl::Status s = ValidateSelfPlayOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", s.message()));
  }
  return o;
}

int Fail(const absl::Status& status) { return Fail(status.message()); }

namespace {
// Written once at startup (RunMain), before any thread exists; read by Fail.
std::string& ProgramName() {
  static std::string* const name = new std::string("zerofleet");
  return *name;
}
}  // namespace

void SetProgramName(absl::string_view name) { ProgramName() = std::string(name); }

int Fail(absl::string_view message) {
  std::fprintf(stderr, "%s: error: %.*s\n", ProgramName().c_str(), static_cast<int>(message.size()),
               message.data());
  return 2;
}

}  // namespace zf::cli
