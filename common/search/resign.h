// Resignation in self-play: a player whose search says it is lost for a few moves in a row
// gives up, which saves the moves of decided games. A fraction of games is played out anyway
// to measure how often a resignation would have been wrong, and the threshold tightens when
// that false-resign rate exceeds its target. Implemented in resign.cc.
//
//   per game (ResignTracker, one thread):   per run (ResignControl, shared, thread-safe):
//     root value < -threshold for             threshold, adjusted from the outcomes of
//     `consecutive` own full-search moves     played-out games in which a side would
//     -> resign, or in a no-resign game,      have resigned: false rate > target ->
//        remember who would have resigned     stricter (threshold -> 1)
#ifndef ZEROFLEET_COMMON_SEARCH_RESIGN_H_
#define ZEROFLEET_COMMON_SEARCH_RESIGN_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/game/game_state.h"

namespace zf {

struct ResignOptions {
  // Resign when the root value of the side to move is below -threshold; 0 = never resign.
  float threshold = 0.0f;
  // ... on this many consecutive own full-search moves.
  int consecutive = 2;
  // Games played to the end regardless, to measure false resignations.
  float no_resign_fraction = 0.1f;
  // Wanted upper bound on the false-resign rate; the threshold tightens above it.
  float target_false_rate = 0.05f;
  bool enabled() const { return threshold > 0; }
};

absl::Status ValidateResignOptions(const ResignOptions& options);

// Shared by all games of a run. Thread-safe.
class ResignControl {
 public:
  explicit ResignControl(const ResignOptions& options);

  float threshold() const { return threshold_.load(std::memory_order_relaxed); }
  // A played-out (no-resign) game in which `would_have_resigned` hit the threshold ended with
  // `outcome`; false if that side did not lose. Adjusts the threshold every kWindow reports.
  void ReportPlayedOut(Player would_have_resigned, Outcome outcome);
  int64_t checked() const;        // played-out games where a side would have resigned
  int64_t false_resigns() const;  // ... and did not lose

  static constexpr int kWindow = 20;

 private:
  const ResignOptions options_;
  std::atomic<float> threshold_;
  mutable absl::Mutex mu_;
  int64_t checked_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t false_ ABSL_GUARDED_BY(mu_) = 0;
  int window_checked_ ABSL_GUARDED_BY(mu_) = 0;
  int window_false_ ABSL_GUARDED_BY(mu_) = 0;
};

// One game's view. Not thread-safe (one per game slot).
class ResignTracker {
 public:
  // `no_resign`: this game is played out (its would-be resignations are checked instead).
  void Reset(bool no_resign);
  // Before `mover` plays a move searched with `full_search`, whose root value is
  // `root_value`: true if it resigns now.
  bool ShouldResign(const ResignControl& control, int consecutive, Player mover, bool full_search,
                    float root_value);
  // At the end of a played-out game: reports a would-be resignation, if any.
  void Finish(ResignControl* control, Outcome outcome) const;

 private:
  bool no_resign_ = false;
  int streak_[2] = {0, 0};
  int would_resign_ = -1;  // Player index, -1 = none
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_SEARCH_RESIGN_H_
