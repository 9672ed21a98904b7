// Retry helpers shared by every zerofleet client (actor, inference server's model watcher):
// which errors are worth retrying, exponential backoff with jitter, an interruptible sleep.
// Implemented in backoff.cc.
#ifndef ZEROFLEET_COMMON_RPC_BACKOFF_H_
#define ZEROFLEET_COMMON_RPC_BACKOFF_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace zf {

// Worth retrying: the peer is down, overloaded, restarting or slow (not: the request is bad).
// Thread-safe.
bool IsRetryable(const absl::Status& status);

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(200);
  absl::Duration max = absl::Seconds(5);
  double multiplier = 2.0;
  double jitter = 0.3;  // each wait is scaled by a random factor in [1 - jitter, 1 + jitter]
};

// Exponential backoff with jitter (so restarted servers are not hit by every client at once).
// Not thread-safe (one per retry loop).
class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed) : options_(options), state_(seed) {}
  // The next wait (grows until max).
  absl::Duration Next();
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  BackoffOptions options_;
  uint64_t state_;
  int attempt_ = 0;
};

// Sleeps `duration` in small steps; false if `stop` (may be null) became true meanwhile.
// Thread-safe.
bool SleepUnlessStopped(absl::Duration duration, const std::atomic<bool>* stop);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_BACKOFF_H_
