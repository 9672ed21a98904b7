#include "tools/zerofleet/train_rating.h"

#include <cmath>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/metrics/zerofleet_metrics.h"
#include "tools/play/rating.h"

ABSL_FLAG(double, rating_budget, 0.1,
          "Rate new model versions while training, using at most this fraction of the "
          "machine's CPU; 0 = off");
ABSL_FLAG(int, rating_playouts, 400, "Playouts per move of the rated models");
ABSL_FLAG(int, rating_games, 16, "Rating games per opponent and version (even)");
ABSL_FLAG(std::string, rating_anchors, "",
          "Comma-separated frozen model files to rate against (fixed anchors)");

namespace zf::cli {

FlagList RatingFlags() {
  return {{FLAGS_rating_budget, FlagRange::Between(0, 1)},
          {FLAGS_rating_playouts, FlagRange::Between(1, 100000)},
          {FLAGS_rating_games, FlagRange::Between(2, 1000)},
          FLAGS_rating_anchors};
}

bool RatingEnabled() { return absl::GetFlag(FLAGS_rating_budget) != 0; }

struct TrainRating::Metrics {
  explicit Metrics(std::shared_ptr<prometheus::Registry> registry) : set(std::move(registry)) {}
  RatingMetricSet set;
};

std::string FormatRating(double elo, double low, double high) {
  if (!std::isfinite(elo)) return play::FormatElo(elo);
  const double half = 0.5 * (high - low);
  return std::isfinite(half) ? absl::StrFormat("%+.0f \u00b1 %.0f", elo, half)
                             : absl::StrFormat("%+.0f \u00b1 inf", elo);
}

absl::StatusOr<std::unique_ptr<TrainRating>> TrainRating::Start(
    const std::string& run_dir, const Rules& rules, const std::string& device, Learner* learner,
    std::shared_ptr<prometheus::Registry> registry, std::function<void(const std::string&)> log) {
  play::RaterOptions o;
  o.run_dir = run_dir;
  o.rules = rules;
  o.device = device;
  o.playouts = absl::GetFlag(FLAGS_rating_playouts);
  o.games_per_opponent = absl::GetFlag(FLAGS_rating_games);
  o.budget = absl::GetFlag(FLAGS_rating_budget);
  o.seed = absl::ToUnixMicros(absl::Now());
  for (absl::string_view path :
       absl::StrSplit(absl::GetFlag(FLAGS_rating_anchors), ',', absl::SkipEmpty())) {
    o.frozen_models.emplace_back(path);
  }
  if (absl::Status s = play::ValidateRaterOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", s.message()));
  }
  std::unique_ptr<TrainRating> rating(new TrainRating);
  absl::StatusOr<std::unique_ptr<play::Rater>> rater = play::Rater::Create(o, log);
  if (!rater.ok()) return rater.status();
  rating->rater_ = *std::move(rater);
  if (registry != nullptr) rating->metrics_ = std::make_unique<Metrics>(std::move(registry));
  play::ModelSource source = [learner](int64_t newer_than) -> std::optional<play::ModelSnapshot> {
    std::shared_ptr<const PublishedModel> model = learner->published_model();
    if (model == nullptr || model->version <= newer_than) return std::nullopt;
    const LearnerStatus status = learner->status();
    return play::ModelSnapshot{model->version, status.step, status.games, model->bytes};
  };
  Metrics* metrics = rating->metrics_.get();
  rating->rater_->Start(std::move(source), [metrics, log](const play::RaterSummary& s) {
    const play::RatedVersion& v = s.latest;
    log(absl::StrFormat(
        "rated v%d (step %d, %d games): Elo %s [%s, %s], %d rating games, rater CPU %.0f s",
        v.version, v.step, v.games, play::FormatElo(v.elo), play::FormatElo(v.elo_low),
        play::FormatElo(v.elo_high), v.rating_games, s.cpu_seconds));
    if (metrics != nullptr) {
      metrics->set.Set(v.version, v.elo, v.elo_low, v.elo_high, static_cast<double>(s.games_played),
                       s.cpu_seconds);
    }
  });
  return rating;
}

TrainRating::~TrainRating() { Stop(); }

void TrainRating::Stop() {
  if (rater_ != nullptr) rater_->Stop();
}

std::string TrainRating::Text() const {
  const play::RaterSummary s = rater_->summary();
  if (!s.rated) return "";
  return absl::StrCat("Elo ", FormatRating(s.latest.elo, s.latest.elo_low, s.latest.elo_high),
                      " (v", s.latest.version, ")");
}

}  // namespace zf::cli
