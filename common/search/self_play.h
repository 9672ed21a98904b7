// The multi-game self-play driver: one thread advances G games, gathers the leaves of all of
// them into one batch and makes one evaluator call per round. Implemented in self_play.cc.
//
// One round:
//   1. Select up to leaves_per_game leaves in every active game (virtual loss keeps them apart).
//   2. Evaluate the whole batch with one Evaluator call.
//   3. Back up every result.
//   4. Games whose search budget is spent play a move; finished games go to the sink and their
//      slot starts a new game while the game quota lasts.
//
// RunSelfPlay runs several such drivers on their own threads, sharing one evaluator.
#ifndef ZEROFLEET_COMMON_SEARCH_SELF_PLAY_H_
#define ZEROFLEET_COMMON_SEARCH_SELF_PLAY_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "common/game/game_record.h"
#include "common/game/rules.h"
#include "common/search/evaluator.h"
#include "common/search/resign.h"
#include "common/search/search_options.h"

namespace zf {

struct SelfPlayOptions {
  Rules rules;
  SearchOptions search;
  int parallel_games = 64;  // games in flight, over all threads
  int threads = 1;
  int64_t max_games = -1;  // stop after this many games; -1 = until stopped
  uint64_t seed = 1;
  ResignOptions resign;  // off unless resign.threshold > 0
};

absl::Status ValidateSelfPlayOptions(const SelfPlayOptions& options);

// Counters shared by the drivers of one run. Thread-safe.
struct SelfPlayStats {
  std::atomic<int64_t> simulations{0};  // playouts (evaluated leaves + terminal visits)
  std::atomic<int64_t> evaluations{0};  // positions sent to the evaluator
  std::atomic<int64_t> batches{0};
  std::atomic<int64_t> moves{0};
  std::atomic<int64_t> games{0};
  // Resignation (ResignOptions): games resigned, played-out games in which a side would have
  // resigned, and how many of those it did not lose; the threshold now in force.
  std::atomic<int64_t> resigned{0};
  std::atomic<int64_t> resign_checked{0};
  std::atomic<int64_t> false_resigns{0};
  std::atomic<float> resign_threshold{0};
};

// Receives each finished game. Called from driver threads; must be thread-safe when threads > 1.
using GameSink = std::function<void(GameRecord&&)>;

// Plays games until max_games are finished, `stop` becomes true, or the evaluator fails.
// With a stop, unfinished games are dropped. Blocks the caller.
absl::Status RunSelfPlay(const SelfPlayOptions& options, Evaluator* evaluator, const GameSink& sink,
                         SelfPlayStats* stats, const std::atomic<bool>* stop = nullptr);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_SEARCH_SELF_PLAY_H_
