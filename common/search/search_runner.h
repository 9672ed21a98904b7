// Searches one game's positions with a SearchTree and an Evaluator: until a playout budget or a
// deadline, a few leaves per evaluator call, with progress reports for a thinking display and
// the tree kept across moves. Implemented in search_runner.cc. Not thread-safe: one runner
// belongs to one thread (the evaluator it calls may be shared).
//
// Used directly (Search) by `zerofleet play` and pbrain-zerofleet; multi-game drivers (the
// arena) use the step API instead and batch the leaves of many runners into one call:
//
//   runner.CollectLeaves(k, &batch)   -> positions appended to a shared batch
//   evaluator->Evaluate(batch, ...)   -> one call for every runner
//   runner.ApplyEvaluations(policy, value)  (each runner its own slice, in order)
//
// Playouts count selections that reached a leaf to evaluate or a finished game (as in
// RunSelfPlay); visits reused from an earlier search come on top.
#ifndef ZEROFLEET_COMMON_SEARCH_SEARCH_RUNNER_H_
#define ZEROFLEET_COMMON_SEARCH_SEARCH_RUNNER_H_

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/game/encoded_position.h"
#include "common/game/game_state.h"
#include "common/search/evaluator.h"
#include "common/search/search_options.h"
#include "common/search/search_tree.h"

namespace zf {

struct SearchRunnerOptions {
  // PUCT settings. `simulations` and `leaves_per_game` are not used here (see SearchLimits and
  // leaves_per_round); `reuse_tree` keeps the chosen subtree across Play().
  SearchOptions search;
  // Leaves selected per evaluator call (kept apart by virtual loss). 1 is strongest at equal
  // playouts; a few more feed a GPU better under a time limit.
  int leaves_per_round = 1;
  uint64_t seed = 1;
};

absl::Status ValidateSearchRunnerOptions(const SearchRunnerOptions& options);

struct SearchLimits {
  // New playouts for this search; <= 0 means no playout limit (then `deadline` must be set).
  int64_t playouts = 400;
  // Stop at the first round that ends after this time. At least one round always runs, so an
  // already-passed deadline still yields a move from the network's policy.
  absl::Time deadline = absl::InfiniteFuture();
  // Progress callbacks come at most this often during the search (the final state is
  // Search's result, not a callback).
  absl::Duration progress_interval = absl::Milliseconds(100);
};

// A search's state: the final answer of Search() or a progress snapshot.
struct SearchResult {
  int move = kNoMove;           // most visited root move so far (best prior before any visit)
  float value = 0;              // root value for the side to move, in [-1, 1]
  float win_probability = 0.5;  // (value + 1) / 2
  int64_t playouts = 0;         // new playouts in this search
  int root_visits = 0;          // including visits reused from earlier searches
  int64_t evaluations = 0;      // positions sent to the evaluator in this search
  absl::Duration elapsed;
  // (move, visits) of visited root children; filled in the final result only.
  std::vector<std::pair<int16_t, uint32_t>> visits;
};

using SearchProgressCallback = std::function<void(const SearchResult& progress)>;

// Playouts whose tree fits in `bytes` on a board of `num_points` points (an upper bound for
// time-limited searches): per expanded node, a 4-byte edge and a 4-byte child index per
// point plus the node, twice over for the copy kept between moves. At least 1. Thread-safe.
int64_t PlayoutsForMemory(int64_t bytes, int num_points);

class SearchRunner {
 public:
  // `evaluator` is not owned and may be null if only the step API is used. `options` must pass
  // ValidateSearchRunnerOptions.
  SearchRunner(const SearchRunnerOptions& options, Evaluator* evaluator);

  // Starts over at `state` (the tree is dropped). Not thread-safe.
  void Reset(const GameState& state);
  // Plays a legal move at the root, keeping its subtree when reuse_tree is set; an error names
  // the problem (occupied, off board, game over) and leaves the runner unchanged.
  // Not thread-safe.
  absl::Status Play(int move);
  // The position at the root. Not thread-safe.
  const GameState& state() const { return tree_.root_state(); }

  // Searches the current position until `limits` are met. Fails if the game is over, no
  // evaluator was given, or the evaluator fails. Not thread-safe.
  absl::StatusOr<SearchResult> Search(const SearchLimits& limits,
                                      const SearchProgressCallback& progress = nullptr);

  // Step API. Selects up to `max_leaves` leaves and appends the positions that need an
  // evaluation to `batch`; returns how many it appended (0 when the game is over). Every call
  // must be followed by ApplyEvaluations before the next one. Not thread-safe.
  int CollectLeaves(int max_leaves, std::vector<EncodedPosition>* batch);
  // Results for the positions of the last CollectLeaves, in the same order: `policy` holds
  // n*n floats per position, `value` one float per position. Not thread-safe.
  void ApplyEvaluations(absl::Span<const float> policy, absl::Span<const float> value);
  // Playouts since the last Reset or Play. Not thread-safe.
  int64_t playouts_this_move() const { return playouts_this_move_; }

  // The current best move, value and visit counts; `move` is the move Search would return.
  // Not thread-safe.
  SearchResult Snapshot();
  // The most visited move (temperature < 0.01) or a sample from visits^(1/temperature), as
  // SearchTree::ChooseMove. Not thread-safe.
  int ChooseMove(float temperature) { return tree_.ChooseMove(temperature); }
  // As SearchTree's (search_tree.h), for self-play. Not thread-safe.
  void AddRootNoise() { tree_.AddRootNoise(); }
  float RootValue() const { return tree_.RootValue(); }
  std::vector<std::pair<int16_t, uint32_t>> PolicyTargetVisits() const {
    return tree_.PolicyTargetVisits();
  }

 private:
  SearchRunnerOptions options_;
  Evaluator* evaluator_;
  SearchTree tree_;
  std::vector<SearchTree::Leaf> leaves_;  // reused across rounds
  int pending_ = 0;                       // leaves_[0..pending_) await ApplyEvaluations
  int64_t playouts_this_move_ = 0;
  // Evaluation buffers for Search().
  std::vector<EncodedPosition> batch_;
  std::vector<float> policy_;
  std::vector<float> value_;
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_SEARCH_SEARCH_RUNNER_H_
