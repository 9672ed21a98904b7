#include "common/search/self_play.h"

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace zf {
namespace {

using ::testing::HasSubstr;

// Collects finished games from any number of driver threads.
class Collector {
 public:
  GameSink Sink() {
    return [this](GameRecord&& record) {
      absl::MutexLock lock(&mu_);
      records_.push_back(std::move(record));
    };
  }
  std::vector<GameRecord> records() {
    absl::MutexLock lock(&mu_);
    return records_;
  }

 private:
  absl::Mutex mu_;
  std::vector<GameRecord> records_ ABSL_GUARDED_BY(mu_);
};

// Fails every call after the first `ok_calls`. Thread-safe.
class FailingEvaluator : public Evaluator {
 public:
  explicit FailingEvaluator(int ok_calls) : ok_calls_(ok_calls) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    if (calls_.fetch_add(1) >= ok_calls_) return absl::InternalError("evaluator boom");
    return uniform_.Evaluate(batch, policy, value);
  }

 private:
  const int ok_calls_;
  std::atomic<int> calls_{0};
  UniformEvaluator uniform_;
};

SelfPlayOptions SmallRun(const Rules& rules) {
  SelfPlayOptions o;
  o.rules = rules;
  o.search.simulations = 32;
  o.search.leaves_per_game = 2;
  o.search.fast_move_fraction = 0.25f;
  o.search.root_noise = true;
  o.parallel_games = 16;
  o.threads = 2;
  o.max_games = 40;
  o.seed = 11;
  return o;
}

std::vector<std::vector<int16_t>> MoveLists(const std::vector<GameRecord>& records) {
  std::vector<std::vector<int16_t>> out;
  for (const GameRecord& r : records) {
    std::vector<int16_t> moves;
    for (const MoveRecord& m : r.moves) moves.push_back(m.move);
    out.push_back(moves);
  }
  return out;
}

TEST(SelfPlayTest, FinishesExactlyMaxGamesOfLegalCorrectGames) {
  for (const Rules& rules : {Rules{7, 4, Rule::kFreestyle}, Rules{6, 4, Rule::kStandard},
                             Rules{3, 3, Rule::kFreestyle}}) {
    SCOPED_TRACE(DescribeRules(rules));
    const SelfPlayOptions options = SmallRun(rules);
    const int fast_sims = options.search.EffectiveFastSimulations();
    SeededTestEvaluator evaluator(5);
    Collector collector;
    SelfPlayStats stats;
    ASSERT_TRUE(RunSelfPlay(options, &evaluator, collector.Sink(), &stats).ok());
    const std::vector<GameRecord> records = collector.records();
    ASSERT_EQ(records.size(), static_cast<size_t>(options.max_games));
    EXPECT_EQ(stats.games.load(), options.max_games);

    std::set<uint64_t> ids;
    int64_t moves = 0, fast = 0, full = 0, expected_sims = 0;
    for (const GameRecord& rec : records) {
      EXPECT_TRUE(ids.insert(rec.id).second) << "duplicate game id " << rec.id;
      EXPECT_EQ(rec.rules, rules);
      // Replay: every move legal, the game ends exactly at its last move, with its result.
      GameState state(rules);
      for (size_t i = 0; i < rec.moves.size(); ++i) {
        const MoveRecord& m = rec.moves[i];
        ASSERT_FALSE(state.IsTerminal()) << "moves after the end";
        EXPECT_GE(m.root_value, -1.0f);
        EXPECT_LE(m.root_value, 1.0f);
        if (m.full_search) {
          ++full;
          expected_sims += options.search.simulations;
          // Visit lists: legal points, sorted, the played move among them, and at least this
          // move's playouts (tree reuse can add more) minus the root's own first visit.
          ASSERT_FALSE(m.visits.empty());
          int64_t sum = 0;
          bool has_move = false;
          for (size_t v = 0; v < m.visits.size(); ++v) {
            EXPECT_TRUE(state.IsLegal(m.visits[v].first));
            EXPECT_GT(m.visits[v].second, 0u);
            if (v > 0) {
              EXPECT_LT(m.visits[v - 1].first, m.visits[v].first);
            }
            has_move |= m.visits[v].first == m.move;
            sum += m.visits[v].second;
          }
          EXPECT_TRUE(has_move);
          EXPECT_GE(sum, options.search.simulations - 1);
        } else {
          ++fast;
          expected_sims += fast_sims;
          EXPECT_TRUE(m.visits.empty()) << "a fast move carries a visit list";
        }
        const absl::Status st = state.Play(m.move);
        ASSERT_TRUE(st.ok()) << "move " << i + 1 << ": " << st;
      }
      EXPECT_TRUE(state.IsTerminal());
      EXPECT_EQ(state.outcome(), rec.result);
      moves += static_cast<int64_t>(rec.moves.size());
    }
    // Playout cap randomization: about a quarter of the moves are fast.
    EXPECT_GT(fast, 0);
    EXPECT_GT(full, 0);
    EXPECT_GT(fast, (fast + full) / 10);
    EXPECT_LT(fast, (fast + full) / 2);
    // Counters agree with the records: every started playout belongs to a recorded move.
    EXPECT_EQ(stats.moves.load(), moves);
    EXPECT_EQ(stats.simulations.load(), expected_sims);
    EXPECT_GE(stats.simulations.load(), stats.evaluations.load());
    EXPECT_GT(stats.evaluations.load(), 0);
    EXPECT_GT(stats.batches.load(), 0);
    // One batch holds at most (games per thread) x (leaves per game) positions.
    EXPECT_LE(stats.evaluations.load(), stats.batches.load() * 8 * 2);
  }
}

TEST(SelfPlayTest, RecordsRoundTripThroughDisk) {
  const SelfPlayOptions options = SmallRun(Rules{7, 4, Rule::kFreestyle});
  UniformEvaluator evaluator;
  Collector collector;
  SelfPlayStats stats;
  ASSERT_TRUE(RunSelfPlay(options, &evaluator, collector.Sink(), &stats).ok());
  const std::vector<GameRecord> records = collector.records();
  const ::zf::testing::ScopedTempDir dir("zf_self_play_");
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.Path("games.zfgr");
  ASSERT_TRUE(WriteGameRecords(path, records).ok());
  absl::StatusOr<std::vector<GameRecord>> read = ReadGameRecords(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_TRUE((*read)[i] == records[i]) << i;
}

// One thread: the same seed replays the same games, a different seed plays different ones.
TEST(SelfPlayTest, SameSeedSameGamesDifferentSeedDifferentGames) {
  auto run = [](uint64_t seed) {
    SelfPlayOptions o = SmallRun(Rules{7, 4, Rule::kFreestyle});
    o.threads = 1;
    o.parallel_games = 4;
    o.max_games = 6;
    o.seed = seed;
    o.search.temperature = 1.0f;
    o.search.temperature_moves = 100;  // sample every move
    SeededTestEvaluator evaluator(21);
    Collector collector;
    SelfPlayStats stats;
    EXPECT_TRUE(RunSelfPlay(o, &evaluator, collector.Sink(), &stats).ok());
    return collector.records();
  };
  const std::vector<GameRecord> a = run(5);
  const std::vector<GameRecord> b = run(5);
  const std::vector<GameRecord> c = run(6);
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  ASSERT_EQ(c.size(), 6u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i] == b[i]) << i;
  EXPECT_NE(MoveLists(a), MoveLists(c));
}

// With temperature 0 and the uniform evaluator the search is deterministic, so only root noise
// can make two seeds play differently.
TEST(SelfPlayTest, RootNoiseChangesGamesOnlyWhenEnabled) {
  auto run = [](uint64_t seed, bool noise) {
    SelfPlayOptions o = SmallRun(Rules{7, 4, Rule::kFreestyle});
    o.threads = 1;
    o.parallel_games = 2;
    o.max_games = 2;
    o.seed = seed;
    o.search.temperature = 0.0f;
    o.search.fast_move_fraction = 0.0f;
    o.search.root_noise = noise;
    UniformEvaluator evaluator;
    Collector collector;
    SelfPlayStats stats;
    EXPECT_TRUE(RunSelfPlay(o, &evaluator, collector.Sink(), &stats).ok());
    return MoveLists(collector.records());
  };
  EXPECT_EQ(run(1, false), run(2, false));
  EXPECT_NE(run(1, true), run(2, true));
}

TEST(SelfPlayTest, StopEndsTheRun) {
  SelfPlayOptions o = SmallRun(Rules{7, 4, Rule::kFreestyle});
  o.max_games = -1;  // until stopped
  UniformEvaluator evaluator;
  std::atomic<bool> stop{false};
  std::atomic<int> seen{0};
  SelfPlayStats stats;
  const GameSink sink = [&](GameRecord&&) {
    if (seen.fetch_add(1) + 1 >= 5) stop.store(true);
  };
  ASSERT_TRUE(RunSelfPlay(o, &evaluator, sink, &stats, &stop).ok());
  EXPECT_GE(seen.load(), 5);
  EXPECT_EQ(stats.games.load(), seen.load());

  // Stopped before it starts: no games.
  SelfPlayStats none;
  std::atomic<bool> stopped{true};
  int calls = 0;
  ASSERT_TRUE(RunSelfPlay(
                  o, &evaluator, [&](GameRecord&&) { ++calls; }, &none, &stopped)
                  .ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(none.games.load(), 0);
}

TEST(SelfPlayTest, ZeroGames) {
  SelfPlayOptions o = SmallRun(Rules{7, 4, Rule::kFreestyle});
  o.max_games = 0;
  UniformEvaluator evaluator;
  SelfPlayStats stats;
  int calls = 0;
  ASSERT_TRUE(RunSelfPlay(
                  o, &evaluator, [&](GameRecord&&) { ++calls; }, &stats)
                  .ok());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(stats.evaluations.load(), 0);
}

TEST(SelfPlayTest, EvaluatorFailureEndsTheRun) {
  for (int threads : {1, 2}) {
    SelfPlayOptions o = SmallRun(Rules{7, 4, Rule::kFreestyle});
    o.threads = threads;
    o.max_games = -1;  // would never end on its own
    FailingEvaluator evaluator(20);
    SelfPlayStats stats;
    const absl::Status s = RunSelfPlay(
        o, &evaluator, [](GameRecord&&) {}, &stats);
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(std::string(s.message()), HasSubstr("evaluator boom"));
  }
}

TEST(SelfPlayTest, InvalidOptionsAreRejectedNamingTheField) {
  struct Case {
    const char* what;
    void (*set)(SelfPlayOptions*);
  };
  const Case cases[] = {
      {"parallel_games", [](SelfPlayOptions* o) { o->parallel_games = 0; }},
      {"threads", [](SelfPlayOptions* o) { o->threads = 0; }},
      {"max_games", [](SelfPlayOptions* o) { o->max_games = -2; }},
      {"board size 4", [](SelfPlayOptions* o) { o->rules.size = 4; }},
      {"simulations", [](SelfPlayOptions* o) { o->search.simulations = 0; }},
  };
  for (const Case& c : cases) {
    SelfPlayOptions o = SmallRun(Rules{7, 4, Rule::kFreestyle});
    c.set(&o);
    EXPECT_FALSE(ValidateSelfPlayOptions(o).ok()) << c.what;
    UniformEvaluator evaluator;
    SelfPlayStats stats;
    int calls = 0;
    const absl::Status s = RunSelfPlay(
        o, &evaluator, [&](GameRecord&&) { ++calls; }, &stats);
    ASSERT_FALSE(s.ok()) << c.what;
    EXPECT_TRUE(absl::IsInvalidArgument(s));
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.what));
    EXPECT_EQ(calls, 0);
  }
  EXPECT_TRUE(ValidateSelfPlayOptions(SmallRun(Rules{7, 4, Rule::kFreestyle})).ok());
}

}  // namespace
}  // namespace zf
