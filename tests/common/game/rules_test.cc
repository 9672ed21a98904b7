#include "common/game/rules.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

TEST(ValidateRulesTest, AcceptsSupportedRules) {
  EXPECT_TRUE(ValidateRules(Rules{}).ok());
  EXPECT_TRUE(ValidateRules(Rules{15, 5, Rule::kStandard}).ok());
  EXPECT_TRUE(ValidateRules(Rules{5, 3, Rule::kFreestyle}).ok());
  EXPECT_TRUE(ValidateRules(Rules{5, 5, Rule::kFreestyle}).ok());
  EXPECT_TRUE(ValidateRules(Rules{20, 20, Rule::kStandard}).ok());
  EXPECT_TRUE(ValidateRules(Rules{3, 3, Rule::kFreestyle}).ok());  // tic-tac-toe
  EXPECT_TRUE(ValidateRules(Rules{3, 3, Rule::kStandard}).ok());
}

TEST(ValidateRulesTest, RejectsBoardSizeNamingTheValue) {
  for (int size : {4, 21, 0, -1, 2}) {
    const absl::Status s = ValidateRules(Rules{size, 3, Rule::kFreestyle});
    ASSERT_FALSE(s.ok()) << size;
    EXPECT_TRUE(absl::IsInvalidArgument(s));
    EXPECT_THAT(Message(s), HasSubstr("board size " + std::to_string(size))) << s;
  }
}

TEST(ValidateRulesTest, SmallBoardOnlyAsTicTacToe) {
  const absl::Status s = ValidateRules(Rules{3, 2, Rule::kFreestyle});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("board size 3"));
  EXPECT_FALSE(ValidateRules(Rules{4, 3, Rule::kFreestyle}).ok());
}

TEST(ValidateRulesTest, RejectsWinLengthNamingTheValue) {
  absl::Status s = ValidateRules(Rules{15, 16, Rule::kFreestyle});
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(Message(s), HasSubstr("win length 16"));
  EXPECT_THAT(Message(s), HasSubstr("15"));

  s = ValidateRules(Rules{5, 6, Rule::kStandard});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("win length 6"));

  for (int k : {2, 1, 0, -5}) {
    s = ValidateRules(Rules{15, k, Rule::kFreestyle});
    ASSERT_FALSE(s.ok()) << k;
    EXPECT_THAT(Message(s), HasSubstr("win length " + std::to_string(k)));
  }
}

TEST(ValidateRulesTest, RejectsUnknownRule) {
  const absl::Status s = ValidateRules(Rules{15, 5, static_cast<Rule>(7)});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(Message(s), HasSubstr("7"));
}

TEST(RuleNameTest, RoundTrips) {
  for (Rule rule : {Rule::kFreestyle, Rule::kStandard}) {
    absl::StatusOr<Rule> parsed = ParseRule(RuleName(rule));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, rule);
  }
  EXPECT_EQ(RuleName(Rule::kFreestyle), "freestyle");
  EXPECT_EQ(RuleName(Rule::kStandard), "standard");
  EXPECT_EQ(*ParseRule("Standard"), Rule::kStandard);
}

TEST(RuleNameTest, ParseRejectsUnknownNamingIt) {
  absl::StatusOr<Rule> parsed = ParseRule("renju");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(Message(parsed.status()), HasSubstr("'renju'"));
  EXPECT_FALSE(ParseRule("").ok());
}

TEST(DescribeRulesTest, Describes) {
  EXPECT_EQ(DescribeRules(Rules{15, 5, Rule::kFreestyle}), "15x15 k=5 freestyle");
  EXPECT_EQ(DescribeRules(Rules{7, 4, Rule::kStandard}), "7x7 k=4 standard");
}

TEST(RulesTest, EqualityAndPoints) {
  EXPECT_EQ(Rules{}, (Rules{15, 5, Rule::kFreestyle}));
  EXPECT_NE(Rules{}, (Rules{15, 5, Rule::kStandard}));
  EXPECT_NE(Rules{}, (Rules{15, 6, Rule::kFreestyle}));
  EXPECT_NE(Rules{}, (Rules{14, 5, Rule::kFreestyle}));
  EXPECT_EQ(Rules{}.num_points(), 225);
}

}  // namespace
}  // namespace zf
