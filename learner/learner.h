// Learner: the single source of truth of a training run (replay buffer, optimizer, checkpoints,
// model versions, and optionally the durable store of received games). Implemented in
// learner.cc.
//
// Both front ends drive the same object:
//   zerofleet train   (train_run.h)       self-play threads in-process --Submit--> Learner
//   zerofleet-learner (learner_service.h) actors over gRPC ------------Submit--> Learner
//
//   Submit(games) ──validate──▶ GameStore.Append (fsync) ──▶ ReplayBuffer.AddGame ──▶ ack
//                                   (store_games only)
//   training thread: while (...) TrainStep();   one step when the replay ratio allows;
//                    publishes, logs and checkpoints on their schedules.
//
// Storage trouble (a full disk) never stops the learner: a failed periodic checkpoint is logged,
// counted (status().checkpoint_failures) and retried with backoff while training goes on (the
// previous checkpoint stays the newest); a failed store write refuses that Submit with
// UNAVAILABLE (nothing acked) and marks storage as failing (storage_status()) until a Submit or
// the training thread's write probe succeeds again.
//
// Restart: the newest checkpoint restores trainer, buffer, rng and model version; then every
// stored game the checkpoint's buffer had not seen yet (store index >= buffer.games_added())
// is added again, so nothing acknowledged is lost and nothing is counted twice. This works
// because games reach the store and the buffer in the same order (one submit lock).
//
// Thread safety: Submit, published_model, WaitForModel, status are thread-safe. TrainStep,
// SaveCheckpoint and trainer() belong to one training thread.
#ifndef ZEROFLEET_LEARNER_LEARNER_H_
#define ZEROFLEET_LEARNER_LEARNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/game/game_record.h"
#include "common/nn/network.h"
#include "learner/checkpoint.h"
#include "learner/game_store.h"
#include "learner/metrics_log.h"
#include "learner/replay_buffer.h"
#include "learner/replay_ratio.h"
#include "learner/trainer.h"

namespace zf {

struct LearnerOptions {
  std::string run_dir = "runs/default";
  Rules rules;    // every submitted game must be played under these
  NetConfig net;  // architecture of a fresh run (a resumed run keeps its own)
  TrainerOptions trainer;
  ReplayBufferOptions buffer;
  ReplayRatioOptions ratio;
  int publish_every_steps = 20;
  int checkpoint_every_steps = 500;
  int log_every_steps = 10;  // metrics.jsonl rows
  int keep_checkpoints = 3;
  uint64_t seed = 1;  // sampling rng of a fresh run
  // Durable, idempotent game storage under <run_dir>/games (the distributed learner acks only
  // after it). The all-in-one trainer regenerates games cheaply and leaves it off.
  bool store_games = false;
  int64_t segment_bytes = int64_t{64} << 20;
  // Keep the serialized model file of the newest version (for WatchModel).
  bool export_models = false;
  // A failed periodic checkpoint is retried after this delay, doubled per failure in a row up
  // to checkpoint_retry_max.
  absl::Duration checkpoint_retry_initial = absl::Seconds(2);
  absl::Duration checkpoint_retry_max = absl::Minutes(5);
  // While storage fails, the training thread tries a small write this often.
  absl::Duration storage_probe_every = absl::Seconds(2);
};

absl::Status ValidateLearnerOptions(const LearnerOptions& options);

// One game as it arrives. `record` is parsed already (the transport did it).
struct IncomingGame {
  std::string game_id;  // idempotency key (only used with store_games)
  int64_t model_version = 0;
  GameRecord record;
  // The record's bytes as received, stored as they are; empty: the store serializes `record`.
  std::string serialized;
};

struct SubmitResult {
  std::vector<bool> is_new;  // per input game: stored now (true) or a duplicate (false)
  int new_games = 0;
  int duplicates = 0;
};

// A model version as the fleet receives it.
struct PublishedModel {
  int64_t version = 0;
  std::string sha256;  // lowercase hex of `bytes`
  std::string bytes;   // a model file (common/nn/model_file.h)
};

// A value snapshot of the learner for progress lines and metrics.
struct LearnerStatus {
  int64_t step = 0;
  int64_t model_version = 0;
  int64_t games = 0;      // games ever added to the buffer (over the whole run)
  int64_t positions = 0;  // positions ever added
  int64_t buffer_size = 0;
  int64_t games_stored = 0;         // with store_games
  int64_t duplicate_games = 0;      // duplicates refused since start
  int64_t checkpoint_failures = 0;  // failed checkpoint writes since start (retried later)
  bool storage_ok = true;           // false while submitted games cannot be stored
  StepStats last;                   // the latest step (zeros before the first)
};

struct LearnerHooks {
  // New weights (every publish_every_steps, and at each checkpoint), from the training thread.
  std::function<void(const PolicyValueNet& net, int64_t version)> on_publish;
  std::function<void(const std::string& line)> on_log;
  std::function<void(double seconds)> on_checkpoint;
  // Adds fields to each metrics.jsonl row (e.g. self-play rates).
  std::function<void(JsonLine* row)> decorate_metrics;
};

class Learner {
 public:
  // Fresh run or resume from options.run_dir. Errors name the problem (bad option, unreadable
  // checkpoint or game store, rules differing from the run's).
  static absl::StatusOr<std::unique_ptr<Learner>> Create(const LearnerOptions& options,
                                                         LearnerHooks hooks = {});
  ~Learner();

  // Validates every game first (rules, record consistency, a result that follows from the
  // moves: CheckFinishedGame): one bad game rejects the call
  // (INVALID_ARGUMENT naming it) and nothing is stored. Then stores the new ones durably (with
  // store_games) and adds them to the buffer. Returns only after the store's fsync. A store
  // write error (full disk) is UNAVAILABLE naming it: nothing stored, send again later.
  absl::StatusOr<SubmitResult> Submit(std::vector<IncomingGame> games);

  // One optimizer step if the replay ratio allows it; false when waiting for data. Publishes,
  // logs and checkpoints on their schedules; retries a failed checkpoint and probes failing
  // storage when due (even while waiting for data). Returns an error after 10 failed steps in
  // a row; a failed checkpoint is no error (see above).
  absl::StatusOr<bool> TrainStep();
  // Publishes a new version, writes a checkpoint and <run_dir>/model.zfm.
  absl::Status SaveCheckpoint();
  // OK while submitted games can be stored; else the last store error. Thread-safe.
  absl::Status storage_status() const;
  // Flushes metrics.jsonl.
  absl::Status Sync();

  std::shared_ptr<const PublishedModel> published_model() const;
  // Waits until a version newer than `newer_than` is published (export_models) or `deadline`;
  // null on timeout or when Shutdown was called.
  std::shared_ptr<const PublishedModel> WaitForModel(int64_t newer_than, absl::Time deadline);
  // Wakes every WaitForModel (server shutdown); later waits return null at once.
  void Shutdown();
  bool shutting_down() const;

  LearnerStatus status() const;
  bool resumed() const { return resumed_; }
  const LearnerOptions& options() const { return options_; }
  const NetConfig& net_config() const { return trainer_->config(); }
  std::string model_path() const { return options_.run_dir + "/model.zfm"; }
  // Training thread only.
  Trainer& trainer() { return *trainer_; }
  ReplayBuffer& buffer() { return *buffer_; }
  std::string resume_note() const { return resume_note_; }

 private:
  Learner(const LearnerOptions& options, LearnerHooks hooks);
  absl::Status Resume(const LoadedCheckpoint& checkpoint);
  absl::Status OpenStore();
  absl::Status Publish();
  // The checkpoint and model.zfm of the current state under the current version.
  absl::Status WriteCheckpoint(absl::Time start);
  // Training thread: a scheduled or retried checkpoint; a failure schedules the next try.
  void CheckpointOrRetryLater();
  // Training thread: the retry and the storage probe, when due.
  void RetryWhenDue();
  // A store error from Submit: storage is marked failing unless the games were bad.
  absl::Status StoreFailed(const absl::Status& error);
  void StoreWorked();
  std::string ConfigText() const;
  void Log(const std::string& line) const;

  const LearnerOptions options_;
  const LearnerHooks hooks_;
  std::unique_ptr<Trainer> trainer_;
  std::unique_ptr<ReplayBuffer> buffer_;
  std::unique_ptr<CheckpointManager> checkpoints_;
  std::unique_ptr<MetricsLog> metrics_;
  std::unique_ptr<GameStore> store_;
  std::mt19937_64 rng_;
  bool resumed_ = false;
  std::string resume_note_;
  int consecutive_failures_ = 0;
  // Checkpoint retry and storage probe state (training thread only).
  bool checkpoint_pending_ = false;  // the last checkpoint failed; retry at checkpoint_retry_at_
  int64_t checkpoint_failed_step_ = -1;
  int checkpoint_failures_in_row_ = 0;
  absl::Duration checkpoint_backoff_ = absl::ZeroDuration();
  absl::Time checkpoint_retry_at_ = absl::InfinitePast();
  absl::Time next_storage_probe_ = absl::InfinitePast();
  std::atomic<int64_t> checkpoint_failures_{0};
  absl::Time start_ = absl::Now();
  int64_t start_step_ = 0;

  absl::Mutex submit_mu_;  // store and buffer see games in the same order
  std::atomic<int64_t> duplicates_{0};

  mutable absl::Mutex mu_;
  std::atomic<int64_t> step_{0};
  std::atomic<int64_t> model_version_{0};
  StepStats last_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const PublishedModel> published_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status storage_error_ ABSL_GUARDED_BY(mu_);  // OK while games can be stored
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_LEARNER_H_
