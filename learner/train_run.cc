#include "learner/train_run.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

absl::Status Bad(absl::string_view name, int64_t value, absl::string_view range) {
  return absl::InvalidArgumentError(absl::StrCat(name, " = ", value, " out of range: ", range));
}

// Reports each batch's size and wall time to TrainCallbacks::on_batch. Thread-safe when the
// inner evaluator and the callback are.
class ObservedEvaluator : public Evaluator {
 public:
  ObservedEvaluator(Evaluator* inner, const std::function<void(int, double)>* on_batch)
      : inner_(inner), on_batch_(on_batch) {}
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    const absl::Time start = absl::Now();
    absl::Status status = inner_->Evaluate(batch, policy, value);
    if (status.ok()) {
      (*on_batch_)(static_cast<int>(batch.size()), absl::ToDoubleSeconds(absl::Now() - start));
    }
    return status;
  }

 private:
  Evaluator* inner_;
  const std::function<void(int, double)>* on_batch_;
};

}  // namespace

absl::Status ValidateTrainRunOptions(const TrainRunOptions& o) {
  if (o.run_dir.empty()) return absl::InvalidArgumentError("run_dir is empty");
  if (absl::Status s = ValidateSelfPlayOptions(o.selfplay); !s.ok()) return s;
  if (absl::Status s = ValidateNetConfig(o.net); !s.ok()) return s;
  if (absl::Status s = ValidateTrainerOptions(o.trainer); !s.ok()) return s;
  if (absl::Status s = ValidateReplayBufferOptions(o.buffer); !s.ok()) return s;
  if (absl::Status s = ValidateReplayRatioOptions(o.ratio); !s.ok()) return s;
  if (o.games_per_iteration < 1) return Bad("games_per_iter", o.games_per_iteration, ">= 1");
  if (o.num_iterations < 1) return Bad("num_iterations", o.num_iterations, ">= 1");
  if (o.publish_every_steps < 1) return Bad("publish_every", o.publish_every_steps, ">= 1");
  if (o.checkpoint_every_steps < 1) {
    return Bad("checkpoint_every", o.checkpoint_every_steps, ">= 1");
  }
  if (o.log_every_steps < 1) return Bad("log_every", o.log_every_steps, ">= 1");
  if (o.keep_checkpoints < 1) return Bad("keep_checkpoints", o.keep_checkpoints, ">= 1");
  return absl::OkStatus();
}

TrainRun::TrainRun(const TrainRunOptions& options)
    : options_(options), rng_(options.selfplay.seed ^ 0x7a65726f666c6565ull) {}

TrainRun::~TrainRun() = default;

std::string TrainRun::ConfigText() const {
  const Rules& r = options_.selfplay.rules;
  return absl::StrCat("board_size=", r.size, "\nwin_length=", r.win_length,
                      "\nrule=", RuleName(r.rule), "\nblocks=", trainer_->config().blocks,
                      "\nchannels=", trainer_->config().channels, "\n");
}

absl::StatusOr<std::unique_ptr<TrainRun>> TrainRun::Create(const TrainRunOptions& options) {
  if (absl::Status s = ValidateTrainRunOptions(options); !s.ok()) return s;
  if (absl::Status s = MakeDirs(options.run_dir); !s.ok()) return s;
  std::unique_ptr<TrainRun> run(new TrainRun(options));
  run->checkpoints_ = std::make_unique<CheckpointManager>(
      options.run_dir, CheckpointOptions{options.keep_checkpoints});
  run->buffer_ = std::make_unique<ReplayBuffer>(options.buffer);
  absl::StatusOr<LoadedCheckpoint> loaded = run->checkpoints_->LoadLatest();
  if (loaded.ok()) {
    if (absl::Status s = run->Resume(*loaded); !s.ok()) return s;
  } else if (absl::IsNotFound(loaded.status())) {
    absl::StatusOr<std::unique_ptr<Trainer>> trainer = Trainer::Create(options.net, options.trainer);
    if (!trainer.ok()) return trainer.status();
    run->trainer_ = *std::move(trainer);
  } else {
    return loaded.status();
  }
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> evaluator =
      TorchEvaluator::Create(run->trainer_->net(), run->model_version_, options.evaluator);
  if (!evaluator.ok()) return evaluator.status();
  run->evaluator_ = *std::move(evaluator);
  absl::StatusOr<std::unique_ptr<MetricsLog>> metrics = MetricsLog::Open(options.run_dir);
  if (!metrics.ok()) return metrics.status();
  run->metrics_ = *std::move(metrics);
  return run;
}

absl::Status TrainRun::Resume(const LoadedCheckpoint& checkpoint) {
  const CheckpointState& state = checkpoint.state;
  // The rules must match: the buffer and the net's experience are for one game.
  const Rules& want = options_.selfplay.rules;
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
  return absl::OkStatus();
}

absl::Status TrainRun::SaveCheckpoint() {
  // Publish first so the model file, the checkpoint and self-play agree on one version.
  evaluator_->SetModel(trainer_->net(), ++model_version_);
  absl::StatusOr<std::string> trainer_state = trainer_->Serialize();
  if (!trainer_state.ok()) return trainer_state.status();
  CheckpointState state;
  state.step = trainer_->step();
  state.model_version = model_version_;
  state.config_text = ConfigText();
  state.rng_state = SerializeRng(rng_);
  state.trainer_state = *std::move(trainer_state);
  state.replay_buffer = buffer_->Serialize();
  absl::StatusOr<std::string> path = checkpoints_->Save(state);
  if (!path.ok()) return path.status();
  absl::StatusOr<std::string> model = trainer_->ExportModel(model_version_);
  if (!model.ok()) return model.status();
  return WriteFileAtomically(model_path(), *model);
}

absl::Status TrainRun::Run(const std::atomic<bool>* stop, const TrainCallbacks& callbacks) {
  auto log = [&](const std::string& line) {
    if (callbacks.on_log) callbacks.on_log(line);
  };
  const int batch_size = options_.trainer.batch_size;
  const int64_t target_games = options_.num_iterations * options_.games_per_iteration;
  if (resumed_) {
    log(absl::StrCat("resumed from step ", trainer_->step(), " (model v", model_version_, ", ",
                     buffer_->games_added(), " games, ", buffer_->size(), " positions in buffer)"));
  }

  // 1. Self-play threads feed the buffer until told to stop.
  SelfPlayOptions selfplay = options_.selfplay;
  selfplay.max_games = -1;
  selfplay.seed = options_.selfplay.seed + static_cast<uint64_t>(buffer_->games_added());
  SelfPlayStats stats;
  std::atomic<bool> selfplay_stop{false};
  std::atomic<bool> selfplay_done{false};
  absl::Status selfplay_status;
  absl::Status sink_status;
  absl::Mutex sink_mu;
  ObservedEvaluator observed(evaluator_.get(), &callbacks.on_batch);
  Evaluator* selfplay_evaluator = evaluator_.get();
  if (callbacks.on_batch) selfplay_evaluator = &observed;
  std::thread selfplay_thread([&] {
    selfplay_status = RunSelfPlay(
        selfplay, selfplay_evaluator,
        [&](GameRecord&& game) {
          absl::StatusOr<int> added = buffer_->AddGame(game);
          if (!added.ok()) {
            absl::MutexLock lock(&sink_mu);
            sink_status = added.status();
          }
        },
        &stats, &selfplay_stop);
    selfplay_done = true;
  });

  // 2. The learner loop, on this thread.
  const absl::Time start = absl::Now();
  absl::Time last_progress = absl::InfinitePast();
  const int64_t start_games = buffer_->games_added();
  const int64_t start_step = trainer_->step();
  int64_t last_iteration = buffer_->games_added() / options_.games_per_iteration;
  StepStats last;
  absl::Status status;
  int consecutive_failures = 0;
  auto snapshot = [&] {
    TrainSnapshot s;
    s.games = buffer_->games_added();
    s.iteration = s.games / options_.games_per_iteration;
    s.num_iterations = options_.num_iterations;
    s.positions = buffer_->total_added();
    s.buffer_size = buffer_->size();
    s.step = trainer_->step();
    s.model_version = model_version_;
    s.last = last;
    s.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    const double secs = std::max(s.elapsed_seconds, 1e-9);
    s.sims_per_second = stats.simulations.load() / secs;
    s.evals_per_second = stats.evaluations.load() / secs;
    s.samples_per_second = (s.step - start_step) * double{1} * batch_size / secs;
    s.avg_batch = stats.evaluations.load() / std::max<double>(1, stats.batches.load());
    s.simulations = stats.simulations.load();
    s.evaluations = stats.evaluations.load();
    s.batches = stats.batches.load();
    s.moves = stats.moves.load();
    const int64_t new_games = s.games - start_games;
    if (new_games > 0) s.eta_seconds = (target_games - s.games) * secs / new_games;
    return s;
  };
  while (true) {
    if (stop != nullptr && stop->load()) {
      log("stopping: interrupted");
      break;
    }
    if (selfplay_done.load()) {
      status = selfplay_status.ok() ? absl::InternalError("self-play stopped unexpectedly")
                                    : selfplay_status;
      break;
    }
    {
      absl::MutexLock lock(&sink_mu);
      if (!sink_status.ok()) {
        status = sink_status;
        break;
      }
    }
    const absl::Time now = absl::Now();
    if (callbacks.on_progress && now - last_progress > absl::Milliseconds(100)) {
      last_progress = now;
      callbacks.on_progress(snapshot());
    }
    const int64_t games_now = buffer_->games_added();
    const int64_t iteration = games_now / options_.games_per_iteration;
    if (iteration > last_iteration) {
      last_iteration = iteration;
      const TrainSnapshot s = snapshot();
      // Before the first step there are no losses to show: say what training waits for.
      const std::string training =
          s.step > 0 ? absl::StrFormat("loss policy %.3f value %.3f entropy %.3f lr %.4g",
                                       last.policy_loss, last.value_loss, last.policy_entropy,
                                       last.lr)
                     : absl::StrFormat("training starts at %d positions",
                                       options_.ratio.min_positions);
      log(absl::StrFormat(
          "iter %d/%d games %d positions %d step %d | %s | sims/s %.0f evals/s %.0f batch %.0f "
          "| buffer %d | model v%d",
          s.iteration, s.num_iterations, s.games, s.positions, s.step, training,
          s.sims_per_second, s.evals_per_second, s.avg_batch, s.buffer_size, s.model_version));
    }
    if (games_now >= target_games) break;
    if (AllowedSteps(options_.ratio, trainer_->step() * batch_size, buffer_->total_added(),
                     batch_size) <= 0) {
      absl::SleepFor(absl::Milliseconds(20));  // wait for self-play to add positions
      continue;
    }
    // 2a. One optimizer step on a fresh minibatch.
    absl::StatusOr<TrainingBatch> batch = buffer_->Sample(batch_size, rng_);
    if (!batch.ok()) {
      status = batch.status();
      break;
    }
    absl::StatusOr<StepStats> step = trainer_->Step(*batch);
    if (!step.ok()) {
      log(absl::StrCat("training step skipped: ", step.status().message()));
      if (++consecutive_failures >= 10) {
        status = step.status();
        break;
      }
      continue;
    }
    consecutive_failures = 0;
    last = *step;
    const int64_t n = trainer_->step();
    // 2b. Publish, log, checkpoint on their schedules.
    if (n % options_.publish_every_steps == 0) evaluator_->SetModel(trainer_->net(), ++model_version_);
    if (n % options_.log_every_steps == 0) {
      LearnerMetrics m;
      m.step = n;
      m.stats = last;
      const TrainSnapshot s = snapshot();
      m.samples_per_second = s.samples_per_second;
      m.buffer_size = s.buffer_size;
      m.positions_added = s.positions;
      m.games = s.games;
      m.model_version = model_version_;
      JsonLine row = ToJson(m);
      row.Double("sims_per_second", s.sims_per_second).Double("evals_per_second", s.evals_per_second);
      if (absl::Status st = metrics_->Append(row); !st.ok()) log(std::string(st.message()));
    }
    if (n % options_.checkpoint_every_steps == 0) {
      const absl::Time checkpoint_start = absl::Now();
      if (absl::Status st = SaveCheckpoint(); !st.ok()) {
        status = st;
        break;
      }
      if (callbacks.on_checkpoint) {
        callbacks.on_checkpoint(absl::ToDoubleSeconds(absl::Now() - checkpoint_start));
      }
    }
  }

  // 3. Stop self-play (unfinished games are dropped) and save where we are.
  selfplay_stop = true;
  selfplay_thread.join();
  if (callbacks.on_progress) callbacks.on_progress(snapshot());
  const absl::Time checkpoint_start = absl::Now();
  absl::Status saved = SaveCheckpoint();
  if (saved.ok() && callbacks.on_checkpoint) {
    callbacks.on_checkpoint(absl::ToDoubleSeconds(absl::Now() - checkpoint_start));
  }
  if (saved.ok()) {
    log(absl::StrCat("checkpoint at step ", trainer_->step(), ", model v", model_version_, " -> ",
                     model_path()));
  }
  if (absl::Status st = metrics_->Sync(); !st.ok() && saved.ok()) saved = st;
  return status.ok() ? saved : status;
}

}  // namespace zf
