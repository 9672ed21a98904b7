#include "common/search/evaluator.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/util/hash.h"

namespace zf {

absl::Status ObservedEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                         absl::Span<float> policy, absl::Span<float> value) {
  if (in_flight_ != nullptr) ++*in_flight_;
  const absl::Time start = absl::Now();
  absl::Status status = inner_->Evaluate(batch, policy, value);
  if (in_flight_ != nullptr) --*in_flight_;
  if (status.ok() && on_batch_) {
    on_batch_(static_cast<int>(batch.size()), absl::ToDoubleSeconds(absl::Now() - start));
  }
  return status;
}

absl::Status CheckEvaluateArgs(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                               absl::Span<float> value) {
  if (batch.empty()) return absl::OkStatus();
  const size_t points = size_t{batch[0].size} * batch[0].size;
  for (const EncodedPosition& p : batch) {
    if (p.size != batch[0].size) {
      return absl::InvalidArgumentError("batch mixes board sizes");
    }
  }
  if (policy.size() < batch.size() * points || value.size() < batch.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("output buffers too small for a batch of ", batch.size()));
  }
  return absl::OkStatus();
}

absl::Status UniformEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                        absl::Span<float> policy, absl::Span<float> value) {
  if (absl::Status s = CheckEvaluateArgs(batch, policy, value); !s.ok()) return s;
  for (size_t i = 0; i < batch.size(); ++i) {
    const EncodedPosition& pos = batch[i];
    const int points = pos.size * pos.size;
    float* out = policy.data() + i * points;
    std::fill(out, out + points, 0.0f);
    uint64_t empty[kPlaneWords];
    int count = 0;
    for (int w = 0; w < kPlaneWords; ++w) {
      const int bits = std::clamp(points - w * 64, 0, 64);
      const uint64_t mask = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
      empty[w] = ~(pos.own[w] | pos.opp[w]) & mask;
      count += __builtin_popcountll(empty[w]);
    }
    const float prior = count > 0 ? 1.0f / count : 0.0f;
    for (int w = 0; w < kPlaneWords; ++w) {
      for (uint64_t e = empty[w]; e; e &= e - 1) out[w * 64 + __builtin_ctzll(e)] = prior;
    }
    value[i] = 0.0f;
  }
  return absl::OkStatus();
}

absl::Status SeededTestEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                           absl::Span<float> policy, absl::Span<float> value) {
  if (absl::Status s = CheckEvaluateArgs(batch, policy, value); !s.ok()) return s;
  float logits[kMaxPoints];
  for (size_t i = 0; i < batch.size(); ++i) {
    const EncodedPosition& pos = batch[i];
    uint64_t h = SplitMix64(seed_);
    // Chained, not SplitMix64(a) ^ SplitMix64(b): that cancels to 0 on an empty word and lost the
    // seed.
    for (int w = 0; w < kPlaneWords; ++w) h = SplitMix64(SplitMix64(h ^ pos.own[w]) + pos.opp[w]);
    const int points = pos.size * pos.size;
    for (int p = 0; p < points; ++p) {
      logits[p] =
          static_cast<float>(SplitMix64(h + p) >> 40) / static_cast<float>(1 << 24) * 4.0f - 2.0f;
    }
    MaskedSoftmax(pos, absl::MakeConstSpan(logits, points), policy.subspan(i * points, points));
    value[i] =
        static_cast<float>(SplitMix64(h ^ 0x5bd1e995) >> 40) / static_cast<float>(1 << 24) - 0.5f;
  }
  return absl::OkStatus();
}

void MaskedSoftmax(const EncodedPosition& pos, absl::Span<const float> logits,
                   absl::Span<float> out) {
  const int points = pos.size * pos.size;
  float max_logit = -INFINITY;
  for (int p = 0; p < points; ++p) {
    if (pos.IsEmpty(p) && logits[p] > max_logit) max_logit = logits[p];
  }
  float sum = 0;
  for (int p = 0; p < points; ++p) {
    out[p] = pos.IsEmpty(p) ? std::exp(logits[p] - max_logit) : 0.0f;
    sum += out[p];
  }
  if (sum > 0) {
    for (int p = 0; p < points; ++p) out[p] /= sum;
  }
}

}  // namespace zf
