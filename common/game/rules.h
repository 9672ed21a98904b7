// Game rules: board size, win length and the rule variant. Implemented in rules.cc.
#ifndef ZEROFLEET_COMMON_GAME_RULES_H_
#define ZEROFLEET_COMMON_GAME_RULES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zf {

constexpr int kMinBoardSize = 5;
constexpr int kMaxBoardSize = 20;
constexpr int kMaxPoints = kMaxBoardSize * kMaxBoardSize;

// An enum (not a bool) so renju can be added later.
enum class Rule : uint8_t {
  kFreestyle = 0,  // a line of k or more wins
  kStandard = 1,   // exactly k wins; an overline is not a win
};

struct Rules {
  int size = 15;
  int win_length = 5;
  Rule rule = Rule::kFreestyle;

  int num_points() const { return size * size; }
  bool operator==(const Rules& o) const {
    return size == o.size && win_length == o.win_length && rule == o.rule;
  }
  bool operator!=(const Rules& o) const { return !(*this == o); }
};

// Boards 5..20 with 3 <= k <= size; also 3x3 with k=3 (tic-tac-toe, for tests).
absl::Status ValidateRules(const Rules& rules);

absl::string_view RuleName(Rule rule);  // "freestyle" / "standard"
absl::StatusOr<Rule> ParseRule(absl::string_view name);
// "15x15 k=5 freestyle"
std::string DescribeRules(const Rules& rules);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_GAME_RULES_H_
