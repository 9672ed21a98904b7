// The all-in-one training run behind `zerofleet train`: self-play threads and the Learner
// (learner.h, the same object zerofleet-learner serves over gRPC) in one process, with
// in-process transports: games go to Learner::Submit directly, new weights reach the shared
// TorchEvaluator through Learner's on_publish hook. Implemented in train_run.cc.
//
//   self-play threads (RunSelfPlay, TorchEvaluator) --finished games--> Learner::Submit
//        ^                                                                  |
//        | SetModel every publish_every_steps                               v
//   TorchEvaluator <---------------- on_publish ----------------- Learner::TrainStep (this thread)
//
// The learner trains at most R samples per new self-play position (replay_ratio.h) and waits
// for data otherwise. Every checkpoint_every_steps, and when stopped, it writes a checkpoint
// (model, optimizer, step, buffer, rng) and <run_dir>/model.zfm for `zerofleet play`.
// Creating a run on a directory with a checkpoint resumes it exactly where it stopped.
#ifndef ZEROFLEET_LEARNER_TRAIN_RUN_H_
#define ZEROFLEET_LEARNER_TRAIN_RUN_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/nn/network.h"
#include "common/nn/torch_evaluator.h"
#include "common/search/self_play.h"
#include "learner/learner.h"

namespace zf {

struct TrainRunOptions {
  // The learner's options, as `zerofleet-learner` takes them: run_dir, net (architecture of a
  // fresh run), trainer, buffer, ratio, publish/checkpoint/log intervals, export_models. Its
  // rules and seed are ignored: the learner gets selfplay's.
  LearnerOptions learner;
  SelfPlayOptions selfplay;  // rules, search, parallel_games, threads, seed (max_games unused)
  TorchEvaluatorOptions evaluator;
  int games_per_iteration = 64;
  int64_t num_iterations = 2000;  // the run ends after num_iterations * games_per_iteration games
};

absl::Status ValidateTrainRunOptions(const TrainRunOptions& options);

// What the progress display shows. A value type.
struct TrainSnapshot {
  int64_t iteration = 0;  // completed iterations
  int64_t num_iterations = 0;
  int64_t games = 0;
  int64_t positions = 0;  // positions ever added
  int64_t buffer_size = 0;
  int64_t step = 0;
  int64_t model_version = 0;
  double sims_per_second = 0;
  double evals_per_second = 0;
  double samples_per_second = 0;
  double avg_batch = 0;
  StepStats last;  // the latest training step (zeros before the first)
  double elapsed_seconds = 0;
  double eta_seconds = -1;  // < 0 when unknown
  // Raw self-play counts since this Run started (for metrics; the rates above derive from them).
  int64_t simulations = 0;
  int64_t evaluations = 0;
  int64_t batches = 0;
  int64_t moves = 0;
  // Resignation in self-play since this Run started (common/search/resign.h).
  int64_t resigned = 0;
  int64_t resign_checked = 0;
  int64_t false_resigns = 0;
  double resign_threshold = 0;
};

struct TrainCallbacks {
  // About every 100 ms while running (from the learner thread).
  std::function<void(const TrainSnapshot&)> on_progress;
  // Once per finished iteration, and for notable events (resume, checkpoint, stop).
  std::function<void(const std::string& line)> on_log;
  // Optional, for metrics. After each self-play evaluator batch: its size and wall time. Called
  // from self-play threads, so it must be thread-safe.
  std::function<void(int batch_size, double seconds)> on_batch;
  // Optional, for metrics. After each checkpoint written: its wall time (learner thread).
  std::function<void(double seconds)> on_checkpoint;
  // Optional: text appended to each iteration line (e.g. "Elo +312 ± 40 (v42)"); "" = none.
  std::function<std::string()> status_text;
};

class TrainRun {
 public:
  // Builds a fresh run, or resumes the checkpoint in options.run_dir. Errors name the problem
  // (bad option, unreadable checkpoint, rules differing from the checkpoint's).
  static absl::StatusOr<std::unique_ptr<TrainRun>> Create(const TrainRunOptions& options);
  ~TrainRun();

  // Runs until the last iteration or until *stop becomes true; then stops self-play and writes
  // a final checkpoint. Blocks. Not thread-safe (call once at a time).
  absl::Status Run(const std::atomic<bool>* stop, const TrainCallbacks& callbacks);

  // For tests and tools. Not thread-safe while Run is in progress.
  Trainer& trainer() { return learner_->trainer(); }
  ReplayBuffer& buffer() { return learner_->buffer(); }
  TorchEvaluator& evaluator() { return *evaluator_; }
  Learner& learner() { return *learner_; }
  int64_t model_version() const { return learner_->status().model_version; }
  bool resumed() const { return learner_->resumed(); }
  std::string model_path() const { return learner_->model_path(); }

  // The Learner part of `options` (shared by validation and Create).
  static LearnerOptions LearnerOptionsFor(const TrainRunOptions& options);

 private:
  explicit TrainRun(const TrainRunOptions& options) : options_(options) {}
  // Where Run started: its rates and ETA count from here.
  struct RunStart {
    absl::Time time;
    int64_t games = 0;
    int64_t step = 0;
  };
  TrainSnapshot Snapshot(const RunStart& run, const SelfPlayStats& stats) const;
  // The per-iteration log line.
  std::string IterationLine(const TrainSnapshot& s, const TrainCallbacks& callbacks) const;

  TrainRunOptions options_;
  std::unique_ptr<TorchEvaluator> evaluator_;  // outlives learner_, whose hook uses it
  std::unique_ptr<Learner> learner_;
  // Set by Run for the metrics rows the learner writes (self-play rates).
  std::function<void(JsonLine*)> decorate_metrics_;
  std::function<void(const std::string&)> on_log_;
  std::function<void(double)> on_checkpoint_;
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_TRAIN_RUN_H_
