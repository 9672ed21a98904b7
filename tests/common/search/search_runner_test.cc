// Tests of common/search/search_runner.h (kept with the tools that use it).
#include "common/search/search_runner.h"

#include <vector>

#include "absl/time/clock.h"
#include "common/game/notation.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

SearchRunnerOptions Options(int leaves = 1, bool reuse = true) {
  SearchRunnerOptions o;
  o.search.reuse_tree = reuse;
  o.leaves_per_round = leaves;
  o.seed = 3;
  return o;
}

GameState Position(const Rules& rules, const char* moves) {
  absl::StatusOr<GameState> s = PositionFromMoveList(rules, moves);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

TEST(SearchRunnerTest, StopsAtThePlayoutBudget) {
  UniformEvaluator uniform;
  for (int leaves : {1, 4}) {
    SearchRunner runner(Options(leaves), &uniform);
    runner.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
    SearchLimits limits;
    limits.playouts = 100;
    absl::StatusOr<SearchResult> r = runner.Search(limits);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->playouts, 100) << "leaves " << leaves;
    EXPECT_EQ(r->evaluations, 100);  // no terminal positions this early
    EXPECT_EQ(r->root_visits, 100);
    EXPECT_TRUE(runner.state().IsLegal(r->move));
    uint32_t visit_sum = 0;
    for (const auto& [move, visits] : r->visits) visit_sum += visits;
    EXPECT_EQ(visit_sum, 99u);  // the first playout expanded the root
  }
}

TEST(SearchRunnerTest, PassedDeadlineStillGivesAMove) {
  UniformEvaluator uniform;
  SearchRunner runner(Options(), &uniform);
  runner.Reset(GameState(Rules{}));
  SearchLimits limits;
  limits.playouts = 0;
  limits.deadline = absl::Now() - absl::Seconds(1);
  absl::StatusOr<SearchResult> r = runner.Search(limits);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->playouts, 1);
  EXPECT_TRUE(runner.state().IsLegal(r->move));
}

TEST(SearchRunnerTest, DeadlineOnlySearchEnds) {
  UniformEvaluator uniform;
  SearchRunner runner(Options(), &uniform);
  runner.Reset(GameState(Rules{}));
  SearchLimits limits;
  limits.playouts = 0;
  limits.deadline = absl::Now() + absl::Milliseconds(30);
  absl::StatusOr<SearchResult> r = runner.Search(limits);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->playouts, 1);
  EXPECT_GE(r->elapsed, absl::Milliseconds(30));
}

TEST(SearchRunnerTest, NeedsALimit) {
  UniformEvaluator uniform;
  SearchRunner runner(Options(), &uniform);
  runner.Reset(GameState(Rules{}));
  SearchLimits limits;
  limits.playouts = 0;
  EXPECT_EQ(runner.Search(limits).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SearchRunnerTest, ReportsProgress) {
  SeededTestEvaluator seeded(5);
  SearchRunner runner(Options(), &seeded);
  runner.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  SearchLimits limits;
  limits.playouts = 50;
  limits.progress_interval = absl::ZeroDuration();
  std::vector<SearchResult> seen;
  absl::StatusOr<SearchResult> r =
      runner.Search(limits, [&](const SearchResult& p) { seen.push_back(p); });
  ASSERT_TRUE(r.ok());
  ASSERT_GE(seen.size(), 10u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_TRUE(runner.state().IsLegal(seen[i].move));
    EXPECT_GE(seen[i].win_probability, 0.0f);
    EXPECT_LE(seen[i].win_probability, 1.0f);
    EXPECT_NEAR(seen[i].win_probability, (seen[i].value + 1) / 2, 1e-6);
    if (i > 0) {
      EXPECT_GT(seen[i].playouts, seen[i - 1].playouts);
    }
    EXPECT_LT(seen[i].playouts, 50);
  }
}

TEST(SearchRunnerTest, FindsTheWinningMove) {
  const Rules rules{9, 5, Rule::kFreestyle};
  // Black: c5 d5 e5 f5; white scattered far away; black to move wins at b5 or g5.
  GameState state = Position(rules, "c5 a1 d5 a9 e5 i1 f5 i9");
  UniformEvaluator uniform;
  SearchRunner runner(Options(), &uniform);
  runner.Reset(state);
  SearchLimits limits;
  limits.playouts = 200;
  absl::StatusOr<SearchResult> r = runner.Search(limits);
  ASSERT_TRUE(r.ok());
  const std::string move = FormatMove(r->move, 9);
  EXPECT_TRUE(move == "b5" || move == "g5") << move;
  EXPECT_GT(r->win_probability, 0.6f);
}

TEST(SearchRunnerTest, KeepsTheTreeAcrossMoves) {
  SeededTestEvaluator seeded(1);
  for (bool reuse : {true, false}) {
    SearchRunner runner(Options(1, reuse), &seeded);
    runner.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
    SearchLimits limits;
    limits.playouts = 300;
    absl::StatusOr<SearchResult> r = runner.Search(limits);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(runner.Play(r->move).ok());
    EXPECT_EQ(runner.playouts_this_move(), 0);
    const int kept = runner.Snapshot().root_visits;
    if (reuse) {
      EXPECT_GT(kept, 10);
    } else {
      EXPECT_EQ(kept, 0);
    }
    // The next search adds its budget on top of what was kept.
    absl::StatusOr<SearchResult> next = runner.Search(limits);
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->root_visits, kept + 300);
  }
}

TEST(SearchRunnerTest, StepApiMatchesSearch) {
  SeededTestEvaluator seeded(9);
  const GameState start = Position(Rules{9, 5, Rule::kFreestyle}, "e5 e4");
  SearchRunner a(Options(2), &seeded);
  SearchRunner b(Options(2), nullptr);
  a.Reset(start);
  b.Reset(start);
  SearchLimits limits;
  limits.playouts = 120;
  absl::StatusOr<SearchResult> ra = a.Search(limits);
  ASSERT_TRUE(ra.ok());
  std::vector<EncodedPosition> batch;
  std::vector<float> policy, value;
  while (b.playouts_this_move() < 120) {
    batch.clear();
    const int n = b.CollectLeaves(
        static_cast<int>(std::min<int64_t>(2, 120 - b.playouts_this_move())), &batch);
    policy.resize(n * 81);
    value.resize(n);
    ASSERT_TRUE(seeded.Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value)).ok());
    b.ApplyEvaluations(policy, value);
  }
  const SearchResult rb = b.Snapshot();
  EXPECT_EQ(ra->visits, rb.visits);
  EXPECT_EQ(ra->move, rb.move);
  EXPECT_FLOAT_EQ(ra->value, rb.value);
  // Without an evaluator only the step API works.
  EXPECT_EQ(b.Search(limits).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(SearchRunnerTest, RejectsIllegalMovesAndFinishedGames) {
  UniformEvaluator uniform;
  SearchRunner runner(Options(), &uniform);
  const Rules rules{9, 5, Rule::kFreestyle};
  runner.Reset(Position(rules, "e5"));
  EXPECT_FALSE(runner.Play(4 * 9 + 4).ok());  // occupied
  EXPECT_FALSE(runner.Play(81).ok());         // off the board
  EXPECT_EQ(runner.state().move_count(), 1);
  runner.Reset(Position(rules, "a1 a2 b1 b2 c1 c2 d1 d2 e1"));
  ASSERT_TRUE(runner.state().IsTerminal());
  SearchLimits limits;
  EXPECT_EQ(runner.Search(limits).status().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<EncodedPosition> batch;
  EXPECT_EQ(runner.CollectLeaves(4, &batch), 0);
}

// Fails its first call, then behaves like the uniform evaluator.
class FailOnceEvaluator : public Evaluator {
 public:
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    if (calls_++ == 0) return absl::UnavailableError("device lost");
    return uniform_.Evaluate(batch, policy, value);
  }

 private:
  int calls_ = 0;
  UniformEvaluator uniform_;
};

TEST(SearchRunnerTest, RecoversFromAnEvaluatorError) {
  FailOnceEvaluator flaky;
  SearchRunner runner(Options(4), &flaky);
  runner.Reset(GameState(Rules{9, 5, Rule::kFreestyle}));
  SearchLimits limits;
  limits.playouts = 40;
  absl::StatusOr<SearchResult> r = runner.Search(limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  r = runner.Search(limits);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->root_visits, 40);
}

TEST(SearchRunnerTest, PlayoutsForMemory) {
  // 15x15: 2 * (8 * 225 + 32) = 3664 bytes per playout.
  EXPECT_EQ(PlayoutsForMemory(3664 * 1000, 225), 1000);
  EXPECT_EQ(PlayoutsForMemory(10, 225), 1);
}

}  // namespace
}  // namespace zf
