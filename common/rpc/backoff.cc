#include "common/rpc/backoff.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/util/hash.h"

namespace zf {

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kCancelled:  // a stream cancelled under us (e.g. server shutdown)
    case absl::StatusCode::kInternal:   // gRPC reports some connection resets as INTERNAL
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

absl::Duration Backoff::Next() {
  absl::Duration wait = options_.initial;
  for (int i = 0; i < attempt_ && wait < options_.max; ++i) wait = wait * options_.multiplier;
  wait = std::min(wait, options_.max);
  ++attempt_;
  state_ = SplitMix64(state_ + 1);
  const double unit = static_cast<double>(state_ >> 11) / double(uint64_t{1} << 53);
  return wait * (1.0 + options_.jitter * (2.0 * unit - 1.0));
}

bool SleepUnlessStopped(absl::Duration duration, const std::atomic<bool>* stop) {
  const absl::Time end = absl::Now() + duration;
  while (absl::Now() < end) {
    if (stop != nullptr && stop->load()) return false;
    absl::SleepFor(std::min(absl::Milliseconds(50), end - absl::Now()));
  }
  return stop == nullptr || !stop->load();
}

}  // namespace zf
