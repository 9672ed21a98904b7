// A command's flags, declared once. Each command's file (cmd_<name>.cc) lists the flags it owns
// in its Command, shared groups sit in the file that defines their flags (cli.cc: rules and
// search); the ABSL_FLAG definitions hold the name, help and default, and a FlagSpec adds the
// accepted range of a number. The dispatcher reads that one list to print --help, to refuse a
// flag the command does not own, and to check every range before the command runs.
//
//   Command SelfPlayCommand() {  // cmd_selfplay.cc
//     return {"selfplay", summary, usage,
//             Concat({RuleFlags(), SearchFlags(),
//                     {{FLAGS_games, FlagRange::AtLeast(1)}, FLAGS_evaluator, FLAGS_out}}),
//             RunSelfPlayCommand};
//   }
//
// The options structs keep their own Validate functions: they guard library callers too, and
// check what one flag's range cannot (win length <= board size).
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_FLAG_SPEC_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_FLAG_SPEC_H_

#include <cmath>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zf::cli {

// The values a numeric flag accepts: min..max, either end excluded when marked open.
struct FlagRange {
  double min = 0;
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;

  static FlagRange Between(double min, double max) { return {min, max}; }
  static FlagRange AtLeast(double min) { return {min}; }
  // (0, max]: a quantity that must be positive but may be fractional.
  static FlagRange Positive(double max = std::numeric_limits<double>::infinity()) {
    return {0, max, true};
  }
  // [0, 1): a fraction that must stay below one (a decay, a share of moves).
  static FlagRange BelowOne() { return {0, 1, false, true}; }

  bool Contains(double v) const {  // false for NaN and infinities
    return std::isfinite(v) && (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
  }
  // "1..65535", ">= 1", "> 0", "(0, 3600]", "[0, 1)".
  std::string ToString() const;
};

// One flag a command owns, and its range if it is a number with one.
class FlagSpec {
 public:
  // Implicit, so that lists read {FLAGS_a, {FLAGS_b, FlagRange::AtLeast(1)}}.
  template <typename T>
  FlagSpec(const absl::Flag<T>& flag)  // NOLINT(google-explicit-constructor)
      : flag_(&absl::GetFlagReflectionHandle(flag)) {}
  template <typename T>
  FlagSpec(const absl::Flag<T>& flag, FlagRange range)
      : flag_(&absl::GetFlagReflectionHandle(flag)), range_(range) {}
  explicit FlagSpec(const absl::CommandLineFlag& flag) : flag_(&flag) {}

  // With underscores, as absl knows it ("parallel_games").
  absl::string_view name() const { return flag_->Name(); }
  const std::optional<FlagRange>& range() const { return range_; }
  // "--sims = 0 out of range: 1..1000000" when the flag's current value is outside its range.
  absl::Status CheckRange() const;
  // "  --sims  MCTS playouts per move (1..1000000; default: 400)": the current value is the
  // default the command will use, after its presets.
  std::string HelpLine() const;

 private:
  const absl::CommandLineFlag* flag_;  // absl's flags live for the whole program
  std::optional<FlagRange> range_;
};

using FlagList = std::vector<FlagSpec>;

// The lists one after another (a command's own flags and the shared groups it takes).
FlagList Concat(std::initializer_list<FlagList> lists);
// "parallel_games" -> "parallel-games", as users type and --help shows names.
std::string Dashed(std::string name);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_FLAG_SPEC_H_
