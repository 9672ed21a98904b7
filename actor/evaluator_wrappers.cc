#include "actor/evaluator_wrappers.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace zf {

RoundRobinEvaluator::RoundRobinEvaluator(std::vector<std::unique_ptr<Evaluator>> backends,
                                         std::vector<std::string> names, absl::Duration cooldown)
    : backends_(std::move(backends)),
      names_(std::move(names)),
      cooldown_(cooldown),
      down_until_(backends_.size(), absl::InfinitePast()) {}

absl::Status RoundRobinEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                           absl::Span<float> policy, absl::Span<float> value) {
  const int n = size();
  const int start = static_cast<int>(next_.fetch_add(1) % static_cast<uint64_t>(n));
  absl::Status last = absl::UnavailableError("no inference server");
  // First pass skips backends in cooldown; if every one is, try them all anyway.
  for (int pass = 0; pass < 2; ++pass) {
    bool tried = false;
    for (int k = 0; k < n; ++k) {
      const int i = (start + k) % n;
      if (pass == 0) {
        absl::MutexLock lock(&mu_);
        if (down_until_[i] > absl::Now()) continue;
      }
      tried = true;
      absl::Status status = backends_[i]->Evaluate(batch, policy, value);
      if (status.ok() || !IsRetryable(status)) return status;
      last = absl::Status(status.code(), absl::StrCat(names_[i], ": ", status.message()));
      absl::MutexLock lock(&mu_);
      down_until_[i] = absl::Now() + cooldown_;
    }
    if (tried) break;
  }
  return last;
}

RetryingEvaluator::RetryingEvaluator(Evaluator* inner, const std::atomic<bool>* stop,
                                     RetryingEvaluatorOptions options)
    : inner_(inner), stop_(stop), options_(std::move(options)) {}

absl::Status RetryingEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                         absl::Span<float> policy, absl::Span<float> value) {
  Backoff backoff(options_.backoff, options_.seed + calls_.fetch_add(1));
  while (true) {
    if (stop_ != nullptr && stop_->load()) return absl::CancelledError("stopped");
    absl::Status status = inner_->Evaluate(batch, policy, value);
    if (status.ok() || !IsRetryable(status)) return status;
    ++retries_;
    const absl::Duration wait = backoff.Next();
    if (options_.on_retry) options_.on_retry(status, wait);
    if (!SleepUnlessStopped(wait, stop_)) return absl::CancelledError("stopped");
  }
}

}  // namespace zf
