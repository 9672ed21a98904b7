// Strength tracked while a run trains: the Rater rates new model versions on its own thread,
// within a CPU budget, against anchors that never change and earlier rated versions, and fits
// all rating games at once (elo_fit.h). Implemented in rater.cc.
//
// One rating round, for the newest version V (when the budget allows):
//   1. Once per run: the anchor ladder plays itself (net-less search at 100 / 400 / 1600
//      playouts), so the ladder's Elo gaps are measured, not assumed.
//   2. V (ratings/vV.zfm) plays games_per_opponent games against (a) the previously rated
//      version and (b) the fixed anchor whose Elo is nearest V's expected Elo; a frozen model
//      anchor not yet connected is tried once V is above every connected anchor.
//   3. Refit everything, anchored at the net-less search at 400 playouts = 0; append V's line
//      to ratings.jsonl and publish it (progress line, Prometheus).
// Matches use the built-in balanced openings, both colours, rotating from round to round.
//
// Budget: the rater thread's CPU time stays below budget x cores x wall time since start.
#ifndef ZEROFLEET_TOOLS_PLAY_RATER_H_
#define ZEROFLEET_TOOLS_PLAY_RATER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/game/rules.h"
#include "tools/play/rating_log.h"

namespace zf::play {

struct RaterOptions {
  std::string run_dir;
  Rules rules;
  std::string device = "cpu";
  int playouts = 400;  // the rated models' playouts per move
  // Net-less search anchors (playouts); kAnchorPlayouts is rated 0 and must be among them.
  std::vector<int> anchor_playouts = {100, 400, 1600};
  std::vector<std::string> frozen_models;  // model files used as anchors ("model:<file name>")
  int games_per_opponent = 16;             // even: each opening with both colours
  int parallel_games = 16;
  double budget = 0.1;  // fraction of the machine's CPU (cores x wall time)
  int cores = 0;        // 0 = std::thread::hardware_concurrency()
  uint64_t seed = 1;
};

inline constexpr int kAnchorPlayouts = 400;

absl::Status ValidateRaterOptions(const RaterOptions& options);

// The anchor names: "uniform@400", "model:ref.zfm".
std::string AnchorName(int playouts);
std::string FrozenName(const std::string& path);

// A model version to rate, from the training side.
struct ModelSnapshot {
  int64_t version = 0;
  int64_t step = 0;
  int64_t games = 0;
  std::string bytes;  // a model file (common/nn/model_file.h)
};
// Returns the newest version if it is newer than `newer_than`, else nothing. Called from the
// rater thread: must be thread-safe.
using ModelSource = std::function<std::optional<ModelSnapshot>(int64_t newer_than)>;

struct RaterSummary {
  bool rated = false;  // false until the first version is rated
  RatedVersion latest;
  int64_t games_played = 0;  // rating games played by this process
  double cpu_seconds = 0;    // rater thread CPU time in this process
};

class Rater {
 public:
  // Reads the run's rating files (resume). `log` gets progress and warnings (any thread).
  static absl::StatusOr<std::unique_ptr<Rater>> Create(const RaterOptions& options,
                                                       std::function<void(const std::string&)> log);
  ~Rater();  // stops the thread

  // Starts rating on a new thread; `on_rated` is called after each rated version (rater
  // thread). Not thread-safe (call once).
  void Start(ModelSource source, std::function<void(const RaterSummary&)> on_rated);
  // Stops after the game in progress is abandoned. Thread-safe; idempotent.
  void Stop();

  RaterSummary summary() const;  // Thread-safe.
  // One round for `model` now, ignoring the budget (the thread calls it; tests may too).
  // Not thread-safe with a running thread.
  absl::Status RateNow(const ModelSnapshot& model);

 private:
  Rater(const RaterOptions& options, std::function<void(const std::string&)> log)
      : options_(options), log_(std::move(log)) {}
  void Loop(const ModelSource& source);
  bool BudgetAllows() const;
  absl::Status CalibrateAnchors();
  absl::Status PlayMatch(const std::string& a, const std::string& b);
  std::vector<std::string> ChooseOpponents(int64_t version) const;
  absl::StatusOr<std::vector<PlayerRating>> Fit() const;

  const RaterOptions options_;
  const std::function<void(const std::string&)> log_;
  std::unique_ptr<RatingLog> ratings_;  // rater thread only (after Start)
  int64_t rounds_ = 0;                  // rater thread only
  const absl::Time start_ = absl::Now();
  double minutes_before_ = 0;  // training minutes of earlier processes (resume)
  std::atomic<bool> stop_{false};
  std::atomic<double> cpu_seconds_{0};
  std::function<void(const RaterSummary&)> on_rated_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  RaterSummary summary_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zf::play

#endif  // ZEROFLEET_TOOLS_PLAY_RATER_H_
