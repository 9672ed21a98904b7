// The batch evaluation interface between search and networks (lc0's narrow-backend idea), plus
// the two evaluators that need no network. Implemented in evaluator.cc.
//
// For a batch of B positions, all on the same n x n board:
//
//   policy: B x n*n floats, row-major per position: probabilities over points, 0 on occupied
//           points, summing to 1 over the empty ones
//   value:  B floats in [-1, 1], from the point of view of the side to move
//
// Implementations stack as wrappers (uniform, seeded test, LibTorch in common/nn, remote gRPC).
#ifndef ZEROFLEET_COMMON_SEARCH_EVALUATOR_H_
#define ZEROFLEET_COMMON_SEARCH_EVALUATOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/game/encoded_position.h"

namespace zf {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Fills `policy` (batch.size() * n*n) and `value` (batch.size()).
  // Thread-safe in every implementation in this project: several self-play threads share one.
  virtual absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                                absl::Span<float> value) = 0;
  // Evaluate, also saying which model version computed the results: evaluators whose model
  // can be swapped mid-flight override it so the answer names the model actually used.
  // The default reports -1 (unversioned).
  virtual absl::Status EvaluateVersioned(absl::Span<const EncodedPosition> batch,
                                         absl::Span<float> policy, absl::Span<float> value,
                                         int64_t* version) {
    *version = -1;
    return Evaluate(batch, policy, value);
  }
};

// Uniform policy over empty points, value 0: search with no knowledge. Thread-safe.
class UniformEvaluator : public Evaluator {
 public:
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;
};

// Wraps an evaluator for metrics: reports each successful batch's size and wall time to
// `on_batch` (may be empty) and, if given, counts calls in flight in `*in_flight`. Thread-safe
// when `inner` and `on_batch` are.
class ObservedEvaluator : public Evaluator {
 public:
  ObservedEvaluator(Evaluator* inner, std::function<void(int size, double seconds)> on_batch,
                    std::atomic<int>* in_flight = nullptr)
      : inner_(inner), on_batch_(std::move(on_batch)), in_flight_(in_flight) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;

 private:
  Evaluator* const inner_;
  const std::function<void(int, double)> on_batch_;
  std::atomic<int>* const in_flight_;
};

// A deterministic pseudo-network: priors and value are a hash of (seed, position), so searches
// differ from uniform yet repeat exactly. For tests. Thread-safe.
class SeededTestEvaluator : public Evaluator {
 public:
  explicit SeededTestEvaluator(uint64_t seed) : seed_(seed) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;

 private:
  uint64_t seed_;
};

// Checks that policy/value spans fit the batch; shared by implementations.
absl::Status CheckEvaluateArgs(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                               absl::Span<float> value);

// Softmax of `logits` over the empty points of `pos` (others get 0), written to `out`.
void MaskedSoftmax(const EncodedPosition& pos, absl::Span<const float> logits,
                   absl::Span<float> out);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_SEARCH_EVALUATOR_H_
