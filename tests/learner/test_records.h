// Game records for the learner tests: hand-built ones and real self-play. Header-only.
#ifndef ZEROFLEET_TESTS_LEARNER_TEST_RECORDS_H_
#define ZEROFLEET_TESTS_LEARNER_TEST_RECORDS_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/game/game_record.h"
#include "common/search/evaluator.h"
#include "common/search/self_play.h"
#include "gtest/gtest.h"

namespace zf {
namespace testing_records {

inline int Pt(int x, int y, int size) { return y * size + x; }

inline MoveRecord FullMove(int move, std::vector<std::pair<int16_t, uint32_t>> visits,
                           float root_value = 0) {
  MoveRecord m;
  m.move = static_cast<int16_t>(move);
  m.full_search = true;
  m.root_value = root_value;
  m.visits = std::move(visits);
  return m;
}

inline MoveRecord FastMove(int move) {
  MoveRecord m;
  m.move = static_cast<int16_t>(move);
  m.full_search = false;
  return m;
}

// Finished games from real self-play (search with `evaluator`), sorted by id so runs repeat.
inline std::vector<GameRecord> SelfPlayGames(const SelfPlayOptions& options, Evaluator* evaluator) {
  absl::Mutex mu;
  std::vector<GameRecord> games;
  SelfPlayStats stats;
  const absl::Status s = RunSelfPlay(
      options, evaluator,
      [&](GameRecord&& g) {
        absl::MutexLock lock(&mu);
        games.push_back(std::move(g));
      },
      &stats);
  EXPECT_TRUE(s.ok()) << s;
  std::sort(games.begin(), games.end(),
            [](const GameRecord& a, const GameRecord& b) { return a.id < b.id; });
  return games;
}

// A few quick 7x7 k=4 games with a seeded pseudo-network (varied, peaked visit counts).
inline std::vector<GameRecord> SmallGames(int games, uint64_t seed = 1) {
  SelfPlayOptions o;
  o.rules.size = 7;
  o.rules.win_length = 4;
  o.search.simulations = 48;
  o.search.root_noise = true;
  o.search.fast_move_fraction = 0.25f;
  o.parallel_games = games;
  o.max_games = games;
  o.seed = seed;
  SeededTestEvaluator evaluator(seed);
  return SelfPlayGames(o, &evaluator);
}

}  // namespace testing_records
}  // namespace zf

#endif  // ZEROFLEET_TESTS_LEARNER_TEST_RECORDS_H_
