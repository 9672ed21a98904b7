// Evaluator wrappers the actor stacks on its RemoteEvaluators (lc0-style: each adds one
// behaviour to the narrow Evaluate interface). Implemented in evaluator_wrappers.cc.
//
//   RunSelfPlay ──▶ RetryingEvaluator ──▶ RoundRobinEvaluator ──▶ RemoteEvaluator (server 1)
//                   waits out outages      spreads calls,        └▶ RemoteEvaluator (server 2)
//                   (backoff + jitter)     skips a failed one
//
// Both are thread-safe when their inner evaluators are.
#ifndef ZEROFLEET_ACTOR_EVALUATOR_WRAPPERS_H_
#define ZEROFLEET_ACTOR_EVALUATOR_WRAPPERS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/rpc/backoff.h"
#include "common/search/evaluator.h"

namespace zf {

// Each call goes to the next backend; a backend that fails with a retryable error is skipped
// for `cooldown` (unless all are down) and the call moves on to the next one.
class RoundRobinEvaluator : public Evaluator {
 public:
  RoundRobinEvaluator(std::vector<std::unique_ptr<Evaluator>> backends,
                      std::vector<std::string> names, absl::Duration cooldown = absl::Seconds(1));
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;
  Evaluator& backend(int i) { return *backends_[i]; }
  int size() const { return static_cast<int>(backends_.size()); }

 private:
  const std::vector<std::unique_ptr<Evaluator>> backends_;
  const std::vector<std::string> names_;
  const absl::Duration cooldown_;
  std::atomic<uint64_t> next_{0};
  absl::Mutex mu_;
  std::vector<absl::Time> down_until_ ABSL_GUARDED_BY(mu_);
};

struct RetryingEvaluatorOptions {
  BackoffOptions backoff;
  uint64_t seed = 1;
  // Told about each failed attempt and the wait before the next (for a log line).
  std::function<void(const absl::Status& status, absl::Duration wait)> on_retry;
};

// Retries retryable failures until success or `stop`: self-play games keep their trees while
// an inference server restarts. Non-retryable errors return at once; a stop returns CANCELLED.
class RetryingEvaluator : public Evaluator {
 public:
  RetryingEvaluator(Evaluator* inner, const std::atomic<bool>* stop,
                    RetryingEvaluatorOptions options);
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;
  int64_t retries() const { return retries_.load(); }

 private:
  Evaluator* const inner_;
  const std::atomic<bool>* const stop_;
  const RetryingEvaluatorOptions options_;
  std::atomic<int64_t> retries_{0};
  std::atomic<uint64_t> calls_{0};
};

}  // namespace zf

#endif  // ZEROFLEET_ACTOR_EVALUATOR_WRAPPERS_H_
