#include "learner/replay_ratio.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace zf {

absl::Status ValidateReplayRatioOptions(const ReplayRatioOptions& options) {
  if (!(options.max_samples_per_position > 0 && options.max_samples_per_position <= 1e6)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_samples_per_position = ", options.max_samples_per_position,
                     " out of range: (0, 1e6]"));
  }
  if (options.min_positions < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_positions = ", options.min_positions, " must be >= 0"));
  }
  return absl::OkStatus();
}

int64_t AllowedSteps(const ReplayRatioOptions& options, int64_t samples_trained,
                     int64_t positions_added, int batch_size) {
  if (batch_size < 1 || positions_added < std::max<int64_t>(options.min_positions, 1)) return 0;
  // floor() of a double product: exact for the counts a run reaches (< 2^53).
  const double budget =
      std::floor(options.max_samples_per_position * static_cast<double>(positions_added)) -
      static_cast<double>(samples_trained);
  if (budget < batch_size) return 0;
  return static_cast<int64_t>(budget) / batch_size;
}

int64_t PositionsNeededForNextStep(const ReplayRatioOptions& options, int64_t samples_trained,
                                   int64_t positions_added, int batch_size) {
  if (batch_size < 1 || AllowedSteps(options, samples_trained, positions_added, batch_size) > 0) {
    return 0;
  }
  // Smallest p >= max(min_positions, 1) with floor(R * p) >= samples_trained + batch_size.
  const double want = static_cast<double>(samples_trained) + std::max(batch_size, 1);
  int64_t p = static_cast<int64_t>(std::ceil(want / options.max_samples_per_position));
  p = std::max<int64_t>({p, options.min_positions, 1});
  // Float rounding can leave the guess one off either way.
  while (AllowedSteps(options, samples_trained, p, batch_size) == 0) ++p;
  while (p > 1 && AllowedSteps(options, samples_trained, p - 1, batch_size) > 0) --p;
  return std::max<int64_t>(p - positions_added, 0);
}

}  // namespace zf
