// The replay-ratio controller: how many training steps the learner may take now, so that
// each self-play position is trained on at most R times on average (R = samples per new
// position). Pure logic; implemented in replay_ratio.cc. Thread-safe (no state).
//
// Training faster than self-play produces data overfits the window; the learner waits instead.
//
//   allowed samples = R * positions_added - samples_trained     (never below zero)
//   allowed steps   = floor(allowed samples / batch_size)
//
// and nothing before the buffer has `min_positions` (training on a handful of games first
// would overfit them).
#ifndef ZEROFLEET_LEARNER_REPLAY_RATIO_H_
#define ZEROFLEET_LEARNER_REPLAY_RATIO_H_

#include <cstdint>

#include "absl/status/status.h"

namespace zf {

struct ReplayRatioOptions {
  // R: trained samples allowed per new self-play position.
  double max_samples_per_position = 4.0;
  // No training until this many positions have been added.
  int64_t min_positions = 0;
};

absl::Status ValidateReplayRatioOptions(const ReplayRatioOptions& options);

// Steps of `batch_size` samples that may run now, given the samples trained so far and the
// positions added to the buffer so far (ReplayBuffer::total_added). 0 when none may.
int64_t AllowedSteps(const ReplayRatioOptions& options, int64_t samples_trained,
                     int64_t positions_added, int batch_size);

// Positions that must still arrive before the next step is allowed (0 if it is allowed now);
// lets a caller wait for exactly that much self-play.
int64_t PositionsNeededForNextStep(const ReplayRatioOptions& options, int64_t samples_trained,
                                   int64_t positions_added, int batch_size);

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_REPLAY_RATIO_H_
