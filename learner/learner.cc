#include "learner/learner.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/nn/model_file.h"
#include "common/util/file_io.h"
#include "learner/training_data.h"

namespace zf {
namespace {

absl::Status Bad(absl::string_view name, int64_t value, absl::string_view range) {
  return absl::InvalidArgumentError(absl::StrCat(name, " = ", value, " out of range: ", range));
}

constexpr int kMaxConsecutiveFailures = 10;

}  // namespace

absl::Status ValidateLearnerOptions(const LearnerOptions& o) {
  if (o.run_dir.empty()) return absl::InvalidArgumentError("run_dir is empty");
  if (absl::Status s = ValidateRules(o.rules); !s.ok()) return s;
  if (absl::Status s = ValidateNetConfig(o.net); !s.ok()) return s;
  if (absl::Status s = ValidateTrainerOptions(o.trainer); !s.ok()) return s;
  if (absl::Status s = ValidateReplayBufferOptions(o.buffer); !s.ok()) return s;
  if (absl::Status s = ValidateReplayRatioOptions(o.ratio); !s.ok()) return s;
  if (o.publish_every_steps < 1) return Bad("publish_every", o.publish_every_steps, ">= 1");
  if (o.checkpoint_every_steps < 1) {
    return Bad("checkpoint_every", o.checkpoint_every_steps, ">= 1");
  }
  if (o.log_every_steps < 1) return Bad("log_every", o.log_every_steps, ">= 1");
  if (o.keep_checkpoints < 1) return Bad("keep_checkpoints", o.keep_checkpoints, ">= 1");
  if (o.segment_bytes < 4096) return Bad("segment_bytes", o.segment_bytes, ">= 4096");
  if (o.checkpoint_retry_initial <= absl::ZeroDuration() ||
      o.checkpoint_retry_max < o.checkpoint_retry_initial ||
      o.storage_probe_every <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "checkpoint retry delays and the storage probe interval must be positive (initial <= "
        "max)");
  }
  return absl::OkStatus();
}

Learner::Learner(const LearnerOptions& options, LearnerHooks hooks)
    : options_(options), hooks_(std::move(hooks)), rng_(options.seed ^ 0x7a65726f666c6565ull) {}

Learner::~Learner() { Shutdown(); }

void Learner::Log(const std::string& line) const {
  if (hooks_.on_log) hooks_.on_log(line);
}

std::string Learner::ConfigText() const {
  const Rules& r = options_.rules;
  return absl::StrCat("board_size=", r.size, "\nwin_length=", r.win_length,
                      "\nrule=", RuleName(r.rule), "\nblocks=", trainer_->config().blocks,
                      "\nchannels=", trainer_->config().channels, "\n");
}

absl::StatusOr<std::unique_ptr<Learner>> Learner::Create(const LearnerOptions& options,
                                                         LearnerHooks hooks) {
  if (absl::Status s = ValidateLearnerOptions(options); !s.ok()) return s;
  if (absl::Status s = MakeDirs(options.run_dir); !s.ok()) return s;
  std::unique_ptr<Learner> learner(new Learner(options, std::move(hooks)));
  learner->checkpoints_ = std::make_unique<CheckpointManager>(
      options.run_dir, CheckpointOptions{options.keep_checkpoints});
  learner->buffer_ = std::make_unique<ReplayBuffer>(options.buffer);
  absl::StatusOr<LoadedCheckpoint> loaded = learner->checkpoints_->LoadLatest();
  if (loaded.ok()) {
    if (absl::Status s = learner->Resume(*loaded); !s.ok()) return s;
  } else if (absl::IsNotFound(loaded.status())) {
    absl::StatusOr<std::unique_ptr<Trainer>> trainer =
        Trainer::Create(options.net, options.trainer);
    if (!trainer.ok()) return trainer.status();
    learner->trainer_ = *std::move(trainer);
  } else {
    return loaded.status();
  }
  learner->start_step_ = learner->trainer_->step();
  learner->step_ = learner->trainer_->step();
  if (options.store_games) {
    if (absl::Status s = learner->OpenStore(); !s.ok()) return s;
  }
  absl::StatusOr<std::unique_ptr<MetricsLog>> metrics = MetricsLog::Open(options.run_dir);
  if (!metrics.ok()) return metrics.status();
  learner->metrics_ = *std::move(metrics);
  if (options.export_models) {
    if (absl::Status s = learner->Publish(); !s.ok()) return s;
  }
  return learner;
}

absl::Status Learner::Resume(const LoadedCheckpoint& checkpoint) {
  const CheckpointState& state = checkpoint.state;
  // The rules must match: the buffer and the net's experience are for one game.
  const Rules& want = options_.rules;
  for (absl::string_view line : absl::StrSplit(state.config_text, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
    std::string expected;
    if (kv.first == "board_size") expected = absl::StrCat(want.size);
    if (kv.first == "win_length") expected = absl::StrCat(want.win_length);
    if (kv.first == "rule") expected = std::string(RuleName(want.rule));
    if (!expected.empty() && expected != kv.second) {
      return absl::FailedPreconditionError(absl::StrCat(
          "run directory ", options_.run_dir, " holds a run with ", kv.first, "=", kv.second,
          " but this run asks for ", expected, "; use another --run-dir or the same settings"));
    }
  }
  absl::StatusOr<std::unique_ptr<Trainer>> trainer =
      Trainer::Restore(state.trainer_state, options_.trainer);
  if (!trainer.ok()) {
    return absl::DataLossError(absl::StrCat(checkpoint.path, ": ", trainer.status().message()));
  }
  trainer_ = *std::move(trainer);
  if (absl::Status s = buffer_->Deserialize(state.replay_buffer); !s.ok()) {
    return absl::DataLossError(absl::StrCat(checkpoint.path, ": replay buffer: ", s.message()));
  }
  if (absl::Status s = ParseRng(state.rng_state, &rng_); !s.ok()) {
    return absl::DataLossError(absl::StrCat(checkpoint.path, ": rng: ", s.message()));
  }
  model_version_ = state.model_version;
  resumed_ = true;
  resume_note_ =
      absl::StrCat("resumed from step ", trainer_->step(), " (model v", state.model_version, ", ",
                   buffer_->games_added(), " games, ", buffer_->size(), " positions in buffer)");
  return absl::OkStatus();
}

absl::Status Learner::OpenStore() {
  // Games the checkpoint's buffer has not seen are added again, in storage order.
  const int64_t seen = buffer_->games_added();
  int64_t replayed = 0;
  GameStoreOptions store_options;
  store_options.dir = options_.run_dir + "/games";
  store_options.segment_bytes = options_.segment_bytes;
  absl::StatusOr<std::unique_ptr<GameStore>> store =
      GameStore::Open(store_options, [&](const StoredGame& game, int64_t index) -> absl::Status {
        if (index < seen) return absl::OkStatus();
        absl::StatusOr<GameRecord> record = ParseGameRecord(game.record);
        if (!record.ok()) {
          return absl::DataLossError(
              absl::StrCat("stored game ", game.game_id, ": ", record.status().message()));
        }
        absl::StatusOr<int> added = buffer_->AddGame(*record);
        if (!added.ok()) {
          return absl::DataLossError(
              absl::StrCat("stored game ", game.game_id, ": ", added.status().message()));
        }
        ++replayed;
        return absl::OkStatus();
      });
  if (!store.ok()) return store.status();
  store_ = *std::move(store);
  if (store_->size() < seen) {
    return absl::DataLossError(absl::StrCat(store_options.dir, " holds ", store_->size(),
                                            " games but the checkpoint has seen ", seen,
                                            "; the game store is missing files"));
  }
  std::string note = absl::StrCat("game store: ", store_->size(), " games, ", replayed,
                                  " added to the buffer after the checkpoint");
  if (!store_->recovery().note.empty()) absl::StrAppend(&note, "; ", store_->recovery().note);
  Log(note);
  return absl::OkStatus();
}

absl::StatusOr<SubmitResult> Learner::Submit(std::vector<IncomingGame> games) {
  // 1. Validate all before storing any: the store must only hold games the buffer accepts.
  // The training positions made to validate a game are the ones the buffer gets.
  std::vector<std::vector<TrainingPosition>> positions;
  positions.reserve(games.size());
  for (const IncomingGame& game : games) {
    const Rules& r = game.record.rules;
    if (r != options_.rules) {
      return absl::InvalidArgumentError(absl::StrCat(
          "game ", game.game_id, " was played on ", r.size, "x", r.size, " k=", r.win_length, " ",
          RuleName(r.rule), " but this run is ", options_.rules.size, "x", options_.rules.size,
          " k=", options_.rules.win_length, " ", RuleName(options_.rules.rule)));
    }
    // Value targets come from the result: it must follow from the moves (a five, a full
    // board, or a resignation by the side to move), so a buggy or hostile actor cannot teach
    // wrong outcomes.
    if (absl::Status s = CheckFinishedGame(game.record); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("game ", game.game_id, ": ", s.message()));
    }
    absl::StatusOr<std::vector<TrainingPosition>> extracted = ExtractTrainingPositions(game.record);
    if (!extracted.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("game ", game.game_id, ": ", extracted.status().message()));
    }
    positions.push_back(*std::move(extracted));
  }
  SubmitResult result;
  absl::MutexLock lock(&submit_mu_);
  // 2. Durable first (with a store), then visible to training.
  if (store_ != nullptr) {
    std::vector<StoredGame> stored;
    stored.reserve(games.size());
    for (const IncomingGame& game : games) {
      stored.push_back(
          StoredGame{game.game_id, game.model_version,
                     game.serialized.empty() ? SerializeGameRecord(game.record) : game.serialized});
    }
    absl::StatusOr<std::vector<bool>> is_new = store_->Append(stored);
    if (!is_new.ok()) return StoreFailed(is_new.status());
    StoreWorked();
    result.is_new = *std::move(is_new);
  } else {
    result.is_new.assign(games.size(), true);
  }
  for (size_t i = 0; i < games.size(); ++i) {
    if (!result.is_new[i]) {
      ++result.duplicates;
      continue;
    }
    ++result.new_games;
    // Validated above; an error here is a bug (or a board size the buffer never had).
    if (absl::Status s = buffer_->AddGamePositions(positions[i]); !s.ok()) return s;
  }
  duplicates_ += result.duplicates;
  return result;
}

absl::Status Learner::Publish() {
  const int64_t version = model_version_.load();
  if (options_.export_models) {
    absl::StatusOr<std::string> bytes = trainer_->ExportModel(version);
    if (!bytes.ok()) return bytes.status();
    auto model = std::make_shared<PublishedModel>();
    model->version = version;
    model->sha256 = Sha256Hex(*bytes);
    model->bytes = *std::move(bytes);
    absl::MutexLock lock(&mu_);
    published_ = std::move(model);
  }
  if (hooks_.on_publish) hooks_.on_publish(trainer_->net(), version);
  return absl::OkStatus();
}

absl::Status Learner::StoreFailed(const absl::Status& error) {
  if (absl::IsInvalidArgument(error)) return error;  // the games, not the disk
  absl::MutexLock lock(&mu_);
  storage_error_ = error;
  return absl::UnavailableError(absl::StrCat("the learner cannot store games now (",
                                             error.message(),
                                             "); nothing was stored, send them again later"));
}

void Learner::StoreWorked() {
  absl::MutexLock lock(&mu_);
  storage_error_ = absl::OkStatus();
}

absl::Status Learner::storage_status() const {
  absl::MutexLock lock(&mu_);
  return storage_error_;
}

void Learner::RetryWhenDue() {
  const absl::Time now = absl::Now();
  if (checkpoint_pending_ && now >= checkpoint_retry_at_) CheckpointOrRetryLater();
  if (storage_status().ok() || now < next_storage_probe_) return;
  // While storage fails, readiness probes take the learner out of rotation and no Submit may
  // come to show that writes work again: the training thread tries one.
  next_storage_probe_ = now + options_.storage_probe_every;
  const std::string probe = options_.run_dir + "/.storage-probe";
  if (WriteFileAtomically(probe, std::string(64 << 10, '\0')).ok()) {
    StoreWorked();
    Log("storage is writable again; taking games");
  }
  std::remove(probe.c_str());
}

void Learner::CheckpointOrRetryLater() {
  const int64_t step = trainer_->step();
  // A retry at the step that failed writes that state under the version already published;
  // a later step gets a new version first, as a scheduled checkpoint does.
  const absl::Status s = checkpoint_pending_ && step == checkpoint_failed_step_
                             ? WriteCheckpoint(absl::Now())
                             : SaveCheckpoint();
  if (s.ok()) {
    if (checkpoint_pending_) {
      Log(absl::StrCat("checkpoint at step ", step, " written after ", checkpoint_failures_in_row_,
                       " failed tries"));
    }
    checkpoint_pending_ = false;
    checkpoint_failures_in_row_ = 0;
    return;
  }
  ++checkpoint_failures_;
  ++checkpoint_failures_in_row_;
  checkpoint_backoff_ = checkpoint_pending_
                            ? std::min(checkpoint_backoff_ * 2, options_.checkpoint_retry_max)
                            : options_.checkpoint_retry_initial;
  checkpoint_pending_ = true;
  checkpoint_failed_step_ = step;
  checkpoint_retry_at_ = absl::Now() + checkpoint_backoff_;
  Log(absl::StrCat("checkpoint at step ", step, " failed: ", s.message(),
                   "; training goes on, the previous checkpoint stays the newest; next try in ",
                   absl::FormatDuration(checkpoint_backoff_)));
}

absl::StatusOr<bool> Learner::TrainStep() {
  RetryWhenDue();
  const int batch_size = options_.trainer.batch_size;
  if (AllowedSteps(options_.ratio, trainer_->step() * batch_size, buffer_->total_added(),
                   batch_size) <= 0) {
    return false;
  }
  absl::StatusOr<TrainingBatch> batch = buffer_->Sample(batch_size, rng_);
  if (!batch.ok()) return batch.status();
  absl::StatusOr<StepStats> step = trainer_->Step(*batch);
  if (!step.ok()) {
    Log(absl::StrCat("training step skipped: ", step.status().message()));
    if (++consecutive_failures_ >= kMaxConsecutiveFailures) return step.status();
    return true;
  }
  consecutive_failures_ = 0;
  {
    absl::MutexLock lock(&mu_);
    last_ = *step;
  }
  const int64_t n = trainer_->step();
  step_ = n;
  if (n % options_.publish_every_steps == 0) {
    ++model_version_;
    if (absl::Status s = Publish(); !s.ok()) return s;
  }
  if (n % options_.log_every_steps == 0) {
    const LearnerStatus s = status();
    LearnerMetricsRow m;
    m.step = n;
    m.stats = *step;
    const double secs = std::max(absl::ToDoubleSeconds(absl::Now() - start_), 1e-9);
    m.samples_per_second = double(n - start_step_) * batch_size / secs;
    m.buffer_size = s.buffer_size;
    m.positions_added = s.positions;
    m.games = s.games;
    m.model_version = s.model_version;
    JsonLine row = ToJson(m);
    if (hooks_.decorate_metrics) hooks_.decorate_metrics(&row);
    if (absl::Status st = metrics_->Append(row); !st.ok()) Log(std::string(st.message()));
  }
  // While a retry is pending its backoff decides; a scheduled one would only add failures.
  if (n % options_.checkpoint_every_steps == 0 && !checkpoint_pending_) CheckpointOrRetryLater();
  return true;
}

absl::Status Learner::SaveCheckpoint() {
  const absl::Time start = absl::Now();
  // Publish first so the model file, the checkpoint and the fleet agree on one version.
  ++model_version_;
  if (absl::Status s = Publish(); !s.ok()) return s;
  return WriteCheckpoint(start);
}

absl::Status Learner::WriteCheckpoint(absl::Time start) {
  absl::StatusOr<std::string> trainer_state = trainer_->Serialize();
  if (!trainer_state.ok()) return trainer_state.status();
  CheckpointState state;
  state.step = trainer_->step();
  state.model_version = model_version_.load();
  state.config_text = ConfigText();
  state.rng_state = SerializeRng(rng_);
  state.trainer_state = *std::move(trainer_state);
  state.replay_buffer = buffer_->Serialize();
  absl::StatusOr<std::string> path = checkpoints_->Save(state);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> model = trainer_->ExportModel(state.model_version);
  if (!model.ok()) return model.status();
  if (absl::Status s = WriteFileAtomically(model_path(), *model); !s.ok()) return s;
  if (hooks_.on_checkpoint) hooks_.on_checkpoint(absl::ToDoubleSeconds(absl::Now() - start));
  return absl::OkStatus();
}

absl::Status Learner::Sync() { return metrics_->Sync(); }

std::shared_ptr<const PublishedModel> Learner::published_model() const {
  absl::MutexLock lock(&mu_);
  return published_;
}

std::shared_ptr<const PublishedModel> Learner::WaitForModel(int64_t newer_than,
                                                            absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return shut_down_ || (published_ != nullptr && published_->version > newer_than);
  };
  mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  if (shut_down_ || published_ == nullptr || published_->version <= newer_than) return nullptr;
  return published_;
}

void Learner::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
}

bool Learner::shutting_down() const {
  absl::MutexLock lock(&mu_);
  return shut_down_;
}

LearnerStatus Learner::status() const {
  LearnerStatus s;
  s.step = step_.load();
  s.model_version = model_version_.load();
  s.games = buffer_->games_added();
  s.positions = buffer_->total_added();
  s.buffer_size = buffer_->size();
  s.games_stored = store_ != nullptr ? store_->size() : 0;
  s.duplicate_games = duplicates_.load();
  s.checkpoint_failures = checkpoint_failures_.load();
  absl::MutexLock lock(&mu_);
  s.last = last_;
  s.storage_ok = storage_error_.ok();
  return s;
}

}  // namespace zf
