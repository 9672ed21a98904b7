// Matches with in-process players: uniform search against random moves, batching, colours,
// openings, early stop, and the game files a match writes.
#include "tools/play/arena.h"

#include <atomic>
#include <set>

#include "common/game/game_record.h"
#include "gtest/gtest.h"
#include "tools/play/openings.h"
#include "tools/play/psq.h"

namespace zf::play {
namespace {

// Counts calls and positions; otherwise uniform.
class CountingEvaluator : public Evaluator {
 public:
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    ++calls;
    positions += static_cast<int64_t>(batch.size());
    max_batch = std::max<int64_t>(max_batch, static_cast<int64_t>(batch.size()));
    return uniform_.Evaluate(batch, policy, value);
  }
  int64_t calls = 0, positions = 0, max_batch = 0;

 private:
  UniformEvaluator uniform_;
};

ArenaPlayer SearchPlayer(const std::string& name, Evaluator* evaluator, int playouts) {
  ArenaPlayer p;
  p.name = name;
  p.kind = PlayerKind::kSearch;
  p.evaluator = evaluator;
  p.playouts = playouts;
  return p;
}

ArenaPlayer RandomPlayer() {
  ArenaPlayer p;
  p.name = "random";
  p.kind = PlayerKind::kRandom;
  return p;
}

ArenaOptions SmallMatch(int64_t games) {
  ArenaOptions o;
  o.rules = Rules{9, 5, Rule::kFreestyle};
  o.games = games;
  o.parallel_games = 8;
  o.openings = OpeningsForRules(BuiltinOpenings(), o.rules);
  o.seed = 11;
  return o;
}

TEST(ArenaTest, UniformSearchBeatsRandomMoves) {
  CountingEvaluator uniform;
  const ArenaOptions options = SmallMatch(20);
  int callbacks = 0;
  absl::StatusOr<ArenaResult> r =
      RunArena(options, SearchPlayer("uniform", &uniform, 100), RandomPlayer(),
               [&](const ArenaGame&, const MatchScore& score) {
                 EXPECT_EQ(score.games(), ++callbacks);
                 return false;
               });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->score.games(), 20);
  EXPECT_EQ(callbacks, 20);
  EXPECT_FALSE(r->stopped_early);
  // Uniform search takes every win-in-one; random moves do not.
  EXPECT_GT(r->score.wins, r->score.losses);
  EXPECT_GT(EstimateElo(r->score).elo, 0);
  // One evaluator call per round for all games of player 1.
  EXPECT_EQ(r->evaluator_calls[0], uniform.calls);
  EXPECT_EQ(r->evaluations[0], uniform.positions);
  EXPECT_GT(uniform.max_batch, 1);
  EXPECT_LE(uniform.max_batch, 8);
  EXPECT_EQ(r->evaluator_calls[1], 0);
}

TEST(ArenaTest, ColoursAlternateAndOpeningsRepeatOncePerColour) {
  UniformEvaluator uniform;
  const ArenaOptions options = SmallMatch(6);
  absl::StatusOr<ArenaResult> r =
      RunArena(options, SearchPlayer("uniform", &uniform, 30), RandomPlayer());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->games.size(), 6u);
  for (const ArenaGame& g : r->games) {
    EXPECT_EQ(g.player1_black, g.index % 2 == 0);
    EXPECT_EQ(g.opening, g.index / 2);
    const std::vector<int16_t>& opening = options.openings[g.opening];
    ASSERT_GE(g.record.moves.size(), opening.size());
    for (size_t i = 0; i < opening.size(); ++i) EXPECT_EQ(g.record.moves[i].move, opening[i]);
    EXPECT_EQ(g.move_ms.size(), g.record.moves.size());
    // The record replays to its result, and the winner matches the colours.
    GameState state(options.rules);
    for (const MoveRecord& m : g.record.moves) ASSERT_TRUE(state.Play(m.move).ok());
    ASSERT_TRUE(state.IsTerminal());
    EXPECT_EQ(state.outcome(), g.record.result);
    if (g.record.result == Outcome::kDraw) {
      EXPECT_EQ(g.winner, -1);
    } else {
      const bool black_won = g.record.result == Outcome::kBlackWin;
      EXPECT_EQ(g.winner, black_won == g.player1_black ? 0 : 1);
      EXPECT_EQ(g.reason, "five in a row");
    }
    // Search moves carry their visit counts.
    const size_t first_own =
        opening.size() + ((opening.size() % 2 == 0) == g.player1_black ? 0 : 1);
    if (first_own < g.record.moves.size()) {
      EXPECT_FALSE(g.record.moves[first_own].visits.empty());
    }
  }
}

TEST(ArenaTest, StopsWhenTheCallbackSaysSo) {
  UniformEvaluator uniform;
  absl::StatusOr<ArenaResult> r =
      RunArena(SmallMatch(40), SearchPlayer("uniform", &uniform, 30), RandomPlayer(),
               [](const ArenaGame&, const MatchScore& score) { return score.games() >= 4; });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stopped_early);
  EXPECT_EQ(r->score.games(), 4);
  EXPECT_EQ(r->games.size(), 4u);
}

TEST(ArenaTest, SearchAgainstSearchAndSampling) {
  // Two evaluators, each called once per round for its own games; sampled moves make the
  // repeated openings give different games.
  CountingEvaluator a, b;
  ArenaOptions options = SmallMatch(8);
  options.openings = {{}};  // every game from the empty board
  options.sample_moves = 4;
  absl::StatusOr<ArenaResult> r =
      RunArena(options, SearchPlayer("a", &a, 40), SearchPlayer("b", &b, 40));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->score.games(), 8);
  EXPECT_EQ(r->evaluator_calls[0], a.calls);
  EXPECT_EQ(r->evaluator_calls[1], b.calls);
  std::set<std::vector<int16_t>> distinct;
  for (const ArenaGame& g : r->games) {
    std::vector<int16_t> first;
    for (size_t i = 0; i < 4 && i < g.record.moves.size(); ++i)
      first.push_back(g.record.moves[i].move);
    distinct.insert(first);
  }
  EXPECT_GT(distinct.size(), 1u);
}

TEST(ArenaTest, GamesExportAsPsqAndRecords) {
  UniformEvaluator uniform;
  const ArenaOptions options = SmallMatch(4);
  absl::StatusOr<ArenaResult> r =
      RunArena(options, SearchPlayer("uniform", &uniform, 30), RandomPlayer());
  ASSERT_TRUE(r.ok());
  std::vector<GameRecord> records;
  for (const ArenaGame& g : r->games) {
    PsqGame psq;
    psq.size = options.rules.size;
    for (const MoveRecord& m : g.record.moves) psq.moves.push_back(m.move);
    psq.times_ms = g.move_ms;
    psq.black_name = g.player1_black ? "uniform" : "random";
    psq.white_name = g.player1_black ? "random" : "uniform";
    absl::StatusOr<PsqGame> back = ParsePsq(FormatPsq(psq));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->moves, psq.moves);
    EXPECT_EQ(back->black_name, psq.black_name);
    records.push_back(g.record);
  }
  const std::string path = ::testing::TempDir() + "/arena_test_games.zfgr";
  ASSERT_TRUE(WriteGameRecords(path, records).ok());
  absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, records);
  std::remove(path.c_str());
}

TEST(ArenaTest, RejectsBadSetups) {
  UniformEvaluator uniform;
  EXPECT_FALSE(RunArena(SmallMatch(0), SearchPlayer("u", &uniform, 10), RandomPlayer()).ok());
  EXPECT_FALSE(RunArena(SmallMatch(2), SearchPlayer("u", nullptr, 10), RandomPlayer()).ok());
  EXPECT_FALSE(RunArena(SmallMatch(2), SearchPlayer("u", &uniform, 0), RandomPlayer()).ok());
  ArenaOptions bad_opening = SmallMatch(2);
  bad_opening.openings = {{40, 40}};
  EXPECT_FALSE(RunArena(bad_opening, SearchPlayer("u", &uniform, 10), RandomPlayer()).ok());
  ArenaPlayer engine;
  engine.kind = PlayerKind::kEngine;
  EXPECT_FALSE(RunArena(SmallMatch(2), SearchPlayer("u", &uniform, 10), engine).ok());
}

}  // namespace
}  // namespace zf::play
