#include "common/game/rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace zf {

absl::Status ValidateRules(const Rules& rules) {
  const bool tictactoe = rules.size == 3 && rules.win_length == 3;
  if (!tictactoe && (rules.size < kMinBoardSize || rules.size > kMaxBoardSize)) {
    return absl::InvalidArgumentError(absl::StrCat("board size ", rules.size,
                                                   " out of range: must be ", kMinBoardSize, "..",
                                                   kMaxBoardSize, " (or 3 with win length 3)"));
  }
  if (rules.win_length < 3 || rules.win_length > rules.size) {
    return absl::InvalidArgumentError(absl::StrCat("win length ", rules.win_length,
                                                   " out of range: must be 3..", rules.size,
                                                   " (the board size)"));
  }
  if (rules.rule != Rule::kFreestyle && rules.rule != Rule::kStandard) {
    return absl::InvalidArgumentError(absl::StrCat("unknown rule ", static_cast<int>(rules.rule)));
  }
  return absl::OkStatus();
}

absl::string_view RuleName(Rule rule) { return rule == Rule::kStandard ? "standard" : "freestyle"; }

absl::StatusOr<Rule> ParseRule(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "freestyle") return Rule::kFreestyle;
  if (lower == "standard") return Rule::kStandard;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown rule '", name, "': expected freestyle or standard"));
}

std::string DescribeRules(const Rules& rules) {
  return absl::StrCat(rules.size, "x", rules.size, " k=", rules.win_length, " ",
                      RuleName(rules.rule));
}

}  // namespace zf
