// Training positions from self-play games. Implemented in training_data.cc.
// Functions are thread-safe (no shared state).
//
// A game yields one position per full-search move (playout-cap "fast" moves are played but
// not trained on). For each:
//   position  the board before the move, encoded relative to the side to move (zf::Encode);
//   visits    the root visit counts of the search, exact (the policy target is their
//             normalization);
//   value     the final result for the side to move: +1 won, 0 draw, -1 lost.
#ifndef ZEROFLEET_LEARNER_TRAINING_DATA_H_
#define ZEROFLEET_LEARNER_TRAINING_DATA_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/game/encoded_position.h"
#include "common/game/game_record.h"

namespace zf {

struct TrainingPosition {
  EncodedPosition position;
  // Sparse root visit counts (point, visits), points ascending, no zero counts.
  std::vector<std::pair<int16_t, uint32_t>> visits;
  // Final game result for the side to move.
  float value = 0;
  // The search's root value for the side to move (kept for analysis; not a target).
  float root_value = 0;

  // The policy target: visits / total over all n*n points (0 where unvisited).
  std::vector<float> PolicyTarget() const;
  // The same into `out`, which holds n*n floats.
  void PolicyTarget(absl::Span<float> out) const;

  bool operator==(const TrainingPosition& o) const {
    return position == o.position && visits == o.visits && value == o.value &&
           root_value == o.root_value;
  }
};

// The training positions of `record`, in move order. Errors: a game without a result
// (kOngoing), an illegal move, or a full-search move whose visits are empty, off the board or
// on an occupied point; the message names the move number.
absl::StatusOr<std::vector<TrainingPosition>> ExtractTrainingPositions(const GameRecord& record);

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_TRAINING_DATA_H_
