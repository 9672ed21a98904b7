// Strength tracked while a run trains, for both front ends (`zerofleet train` and
// `zerofleet learner`): the --rating-* flags, a Rater fed with the Learner's published models,
// the Prometheus gauges and the short "Elo +312 ± 40 (v42)" text. Implemented in
// train_rating.cc.
#ifndef ZEROFLEET_TOOLS_ZEROFLEET_TRAIN_RATING_H_
#define ZEROFLEET_TOOLS_ZEROFLEET_TRAIN_RATING_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "learner/learner.h"
#include "tools/play/rater.h"
#include "tools/zerofleet/flag_spec.h"

namespace prometheus {
class Registry;
}

namespace zf::cli {

// The rating flags train and learner own.
FlagList RatingFlags();
// True unless --rating-budget is 0.
bool RatingEnabled();

class TrainRating {
 public:
  // Reads the flags, opens the run's rating files and starts rating `learner`'s published
  // models (it must export them). `registry` may be null (no metrics). Thread-safe `log`.
  static absl::StatusOr<std::unique_ptr<TrainRating>> Start(
      const std::string& run_dir, const Rules& rules, const std::string& device, Learner* learner,
      std::shared_ptr<prometheus::Registry> registry, std::function<void(const std::string&)> log);
  ~TrainRating();

  // "Elo +312 ± 40 (v42)", or "" before the first rating. Thread-safe.
  std::string Text() const;
  void Stop();  // Thread-safe.

 private:
  TrainRating() = default;
  std::unique_ptr<play::Rater> rater_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

// "+312 ± 40" (a half-width of the 95% interval; "+inf" ends shown as such).
std::string FormatRating(double elo, double low, double high);

}  // namespace zf::cli

#endif  // ZEROFLEET_TOOLS_ZEROFLEET_TRAIN_RATING_H_
