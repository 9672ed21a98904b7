#include "common/search/evaluator.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/game/notation.h"
#include "common/search/search_options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

EncodedPosition Position(const Rules& rules, absl::string_view moves) {
  absl::StatusOr<GameState> s = PositionFromMoveList(rules, moves);
  EXPECT_TRUE(s.ok()) << s.status();
  return Encode(*s);
}

// Policy rows are distributions over the empty points; values are in [-1, 1].
void ExpectValidOutput(absl::Span<const EncodedPosition> batch, const std::vector<float>& policy,
                       const std::vector<float>& value) {
  const int points = batch[0].size * batch[0].size;
  for (size_t i = 0; i < batch.size(); ++i) {
    double sum = 0;
    for (int p = 0; p < points; ++p) {
      const float v = policy[i * points + p];
      if (batch[i].IsEmpty(p)) {
        EXPECT_GT(v, 0.0f);
      } else {
        EXPECT_EQ(v, 0.0f) << "occupied point " << p;
      }
      sum += v;
    }
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_GE(value[i], -1.0f);
    EXPECT_LE(value[i], 1.0f);
  }
}

TEST(UniformEvaluatorTest, UniformOverEmptyPointsWithValueZero) {
  const Rules rules{7, 4, Rule::kFreestyle};
  const std::vector<EncodedPosition> batch = {Position(rules, ""), Position(rules, "a1 b2 c3")};
  std::vector<float> policy(2 * 49, -1), value(2, -1);
  UniformEvaluator eval;
  ASSERT_TRUE(eval.Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
  ExpectValidOutput(batch, policy, value);
  EXPECT_FLOAT_EQ(policy[0], 1.0f / 49);
  EXPECT_FLOAT_EQ(policy[49 + 1], 1.0f / 46);
  EXPECT_EQ(value[0], 0.0f);
  EXPECT_EQ(value[1], 0.0f);
}

TEST(UniformEvaluatorTest, RejectsBadArguments) {
  UniformEvaluator eval;
  const std::vector<EncodedPosition> batch = {Position(Rules{7, 4, Rule::kFreestyle}, ""),
                                              Position(Rules{7, 4, Rule::kFreestyle}, "")};
  std::vector<float> policy(2 * 49), value(2);
  EXPECT_FALSE(eval.Evaluate(batch, absl::MakeSpan(policy).subspan(1), absl::MakeSpan(value)).ok());
  EXPECT_FALSE(eval.Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value).subspan(1)).ok());
  const std::vector<EncodedPosition> mixed = {Position(Rules{7, 4, Rule::kFreestyle}, ""),
                                              Position(Rules{9, 4, Rule::kFreestyle}, "")};
  std::vector<float> big(2 * 81);
  const absl::Status s = eval.Evaluate(mixed, absl::MakeSpan(big), absl::MakeSpan(value));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("board sizes"));
  EXPECT_TRUE(eval.Evaluate({}, {}, {}).ok());
}

TEST(SeededTestEvaluatorTest, DeterministicValidAndSeedDependent) {
  const Rules rules{9, 5, Rule::kStandard};
  const std::vector<EncodedPosition> batch = {Position(rules, ""), Position(rules, "e5"),
                                              Position(rules, "e5 d4 c3 b2")};
  const int points = 81;
  std::vector<float> p1(3 * points), v1(3), p2(3 * points), v2(3), p3(3 * points), v3(3);
  SeededTestEvaluator a(1), a_again(1), b(2);
  ASSERT_TRUE(a.Evaluate(batch, absl::MakeSpan(p1), absl::MakeSpan(v1)).ok());
  ASSERT_TRUE(a_again.Evaluate(batch, absl::MakeSpan(p2), absl::MakeSpan(v2)).ok());
  ASSERT_TRUE(b.Evaluate(batch, absl::MakeSpan(p3), absl::MakeSpan(v3)).ok());
  ExpectValidOutput(batch, p1, v1);
  ExpectValidOutput(batch, p3, v3);
  EXPECT_EQ(p1, p2);
  EXPECT_EQ(v1, v2);
  EXPECT_NE(p1, p3);
  EXPECT_NE(v1, v3);
  // Different positions get different values and priors: compare the prior ratio of two points
  // empty in both (masking alone would keep it).
  EXPECT_NE(v1[0], v1[1]);
  EXPECT_NE(v1[1], v1[2]);
  EXPECT_NE(v1[0], v1[2]);
  EXPECT_NE(p1[0] / p1[1], p1[points + 0] / p1[points + 1]);
  EXPECT_NE(p1[0], p1[1]);  // not uniform
  // An evaluation does not depend on the rest of the batch.
  std::vector<float> single(points), single_v(1);
  ASSERT_TRUE(a.Evaluate(absl::MakeConstSpan(batch).subspan(2, 1), absl::MakeSpan(single),
                         absl::MakeSpan(single_v))
                  .ok());
  EXPECT_EQ(single, std::vector<float>(p1.begin() + 2 * points, p1.end()));
  EXPECT_EQ(single_v[0], v1[2]);
}

TEST(MaskedSoftmaxTest, SoftmaxOverEmptyPointsOnly) {
  absl::StatusOr<GameState> s = PositionFromMoveList(Rules{3, 3, Rule::kFreestyle}, "a1");
  ASSERT_TRUE(s.ok());
  const EncodedPosition pos = Encode(*s);
  std::vector<float> logits(9, 0.0f);
  logits[0] = 100.0f;  // occupied: ignored
  logits[1] = std::log(2.0f);
  std::vector<float> out(9, -1);
  MaskedSoftmax(pos, logits, absl::MakeSpan(out));
  EXPECT_EQ(out[0], 0.0f);
  EXPECT_NEAR(out[1], 2.0f / 9, 1e-6);
  for (int p = 2; p < 9; ++p) EXPECT_NEAR(out[p], 1.0f / 9, 1e-6);
}

TEST(SearchOptionsTest, DefaultsAreValid) { EXPECT_TRUE(ValidateSearchOptions({}).ok()); }

TEST(SearchOptionsTest, EachBadFieldIsNamed) {
  struct Case {
    const char* field;
    void (*set)(SearchOptions*);
  };
  const Case cases[] = {
      {"simulations", [](SearchOptions* o) { o->simulations = 0; }},
      {"leaves_per_game", [](SearchOptions* o) { o->leaves_per_game = 0; }},
      {"leaves_per_game", [](SearchOptions* o) { o->leaves_per_game = 65; }},
      {"c_puct", [](SearchOptions* o) { o->c_puct = 0; }},
      {"c_puct", [](SearchOptions* o) { o->c_puct = NAN; }},
      {"fpu_reduction", [](SearchOptions* o) { o->fpu_reduction = -0.1f; }},
      {"root_fpu_reduction", [](SearchOptions* o) { o->root_fpu_reduction = 3; }},
      {"dirichlet_weight", [](SearchOptions* o) { o->dirichlet_weight = 1.5f; }},
      {"dirichlet_alpha", [](SearchOptions* o) { o->dirichlet_alpha = -1; }},
      {"temperature", [](SearchOptions* o) { o->temperature = -1; }},
      {"final_temperature", [](SearchOptions* o) { o->final_temperature = 11; }},
      {"fast_move_fraction", [](SearchOptions* o) { o->fast_move_fraction = 1; }},
      {"fast_simulations", [](SearchOptions* o) { o->fast_simulations = 401; }},
  };
  for (const Case& c : cases) {
    SearchOptions o;
    c.set(&o);
    const absl::Status s = ValidateSearchOptions(o);
    ASSERT_FALSE(s.ok()) << c.field;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.field));
  }
}

TEST(SearchOptionsTest, EffectiveFastSimulations) {
  SearchOptions o;
  o.simulations = 400;
  EXPECT_EQ(o.EffectiveFastSimulations(), 50);
  o.fast_simulations = 7;
  EXPECT_EQ(o.EffectiveFastSimulations(), 7);
  o.fast_simulations = 0;
  o.simulations = 10;
  EXPECT_EQ(o.EffectiveFastSimulations(), 2);
}

}  // namespace
}  // namespace zf
