#include "learner/train_run.h"

#include <algorithm>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/util/file_io.h"

namespace zf {
namespace {

absl::Status Bad(absl::string_view name, int64_t value, absl::string_view range) {
  return absl::InvalidArgumentError(absl::StrCat(name, " = ", value, " out of range: ", range));
}

}  // namespace

LearnerOptions TrainRun::LearnerOptionsFor(const TrainRunOptions& o) {
  LearnerOptions l = o.learner;
  l.rules = o.selfplay.rules;
  l.seed = o.selfplay.seed;
  return l;
}

absl::Status ValidateTrainRunOptions(const TrainRunOptions& o) {
  if (absl::Status s = ValidateSelfPlayOptions(o.selfplay); !s.ok()) return s;
  if (absl::Status s = ValidateLearnerOptions(TrainRun::LearnerOptionsFor(o)); !s.ok()) return s;
  if (o.games_per_iteration < 1) return Bad("games_per_iter", o.games_per_iteration, ">= 1");
  if (o.num_iterations < 1) return Bad("num_iterations", o.num_iterations, ">= 1");
  return absl::OkStatus();
}

TrainRun::~TrainRun() = default;

absl::StatusOr<std::unique_ptr<TrainRun>> TrainRun::Create(const TrainRunOptions& options) {
  if (absl::Status s = ValidateTrainRunOptions(options); !s.ok()) return s;
  std::unique_ptr<TrainRun> run(new TrainRun(options));
  TrainRun* self = run.get();
  // The in-process transport back: new weights go straight into the shared evaluator.
  LearnerHooks hooks;
  hooks.on_publish = [self](const PolicyValueNet& net, int64_t version) {
    if (self->evaluator_ != nullptr) self->evaluator_->SetModel(net, version);
  };
  hooks.on_log = [self](const std::string& line) {
    if (self->on_log_) self->on_log_(line);
  };
  hooks.on_checkpoint = [self](double seconds) {
    if (self->on_checkpoint_) self->on_checkpoint_(seconds);
  };
  hooks.decorate_metrics = [self](JsonLine* row) {
    if (self->decorate_metrics_) self->decorate_metrics_(row);
  };
  absl::StatusOr<std::unique_ptr<Learner>> learner =
      Learner::Create(LearnerOptionsFor(options), std::move(hooks));
  if (!learner.ok()) return learner.status();
  run->learner_ = *std::move(learner);
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> evaluator = TorchEvaluator::Create(
      run->learner_->trainer().net(), run->learner_->status().model_version, options.evaluator);
  if (!evaluator.ok()) return evaluator.status();
  run->evaluator_ = *std::move(evaluator);
  return run;
}

namespace {

// Self-play on its own thread, each finished game submitted to the learner (the in-process
// transport). Problem() says why it can no longer feed the learner, if it cannot.
class BackgroundSelfPlay {
 public:
  BackgroundSelfPlay(const SelfPlayOptions& options, Evaluator* evaluator,
                     const TorchEvaluator* versions, Learner* learner)
      : thread_([this, options, evaluator, versions, learner] {
          status_ = RunSelfPlay(
              options, evaluator,
              [this, versions, learner](GameRecord&& game) {
                std::vector<IncomingGame> games(1);
                games[0].game_id = absl::StrCat("local-", game.id);
                games[0].model_version = versions->version();
                games[0].record = std::move(game);
                absl::StatusOr<SubmitResult> submitted = learner->Submit(std::move(games));
                if (!submitted.ok()) {
                  absl::MutexLock lock(&mu_);
                  sink_status_ = submitted.status();
                }
              },
              &stats_, &stop_);
          done_ = true;
        }) {}
  ~BackgroundSelfPlay() { Stop(); }

  absl::Status Problem() {
    if (done_.load()) {
      return status_.ok() ? absl::InternalError("self-play stopped unexpectedly") : status_;
    }
    absl::MutexLock lock(&mu_);
    return sink_status_;
  }
  // Stops (unfinished games are dropped) and joins.
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const SelfPlayStats& stats() const { return stats_; }

 private:
  SelfPlayStats stats_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  absl::Status status_;  // written by the thread before done_
  absl::Mutex mu_;
  absl::Status sink_status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace

TrainSnapshot TrainRun::Snapshot(const RunStart& run, const SelfPlayStats& stats) const {
  const LearnerStatus l = learner_->status();
  TrainSnapshot s;
  s.games = l.games;
  s.iteration = s.games / options_.games_per_iteration;
  s.num_iterations = options_.num_iterations;
  s.positions = l.positions;
  s.buffer_size = l.buffer_size;
  s.step = l.step;
  s.model_version = l.model_version;
  s.last = l.last;
  s.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - run.time);
  const double secs = std::max(s.elapsed_seconds, 1e-9);
  s.sims_per_second = stats.simulations.load() / secs;
  s.evals_per_second = stats.evaluations.load() / secs;
  s.samples_per_second =
      (s.step - run.step) * double{1} * options_.learner.trainer.batch_size / secs;
  s.avg_batch = stats.evaluations.load() / std::max<double>(1, stats.batches.load());
  s.simulations = stats.simulations.load();
  s.evaluations = stats.evaluations.load();
  s.batches = stats.batches.load();
  s.moves = stats.moves.load();
  s.resigned = stats.resigned.load();
  s.resign_checked = stats.resign_checked.load();
  s.false_resigns = stats.false_resigns.load();
  s.resign_threshold = stats.resign_threshold.load();
  const int64_t new_games = s.games - run.games;
  const int64_t target_games = options_.num_iterations * options_.games_per_iteration;
  if (new_games > 0) s.eta_seconds = (target_games - s.games) * secs / new_games;
  return s;
}

std::string TrainRun::IterationLine(const TrainSnapshot& s, const TrainCallbacks& callbacks) const {
  // Before the first step there are no losses to show: say what training waits for.
  const std::string training =
      s.step > 0
          ? absl::StrFormat("loss policy %.3f value %.3f entropy %.3f lr %.4g", s.last.policy_loss,
                            s.last.value_loss, s.last.policy_entropy, s.last.lr)
          : absl::StrFormat("training starts at %d positions",
                            options_.learner.ratio.min_positions);
  std::string line = absl::StrFormat(
      "iter %d/%d games %d positions %d step %d | %s | sims/s %.0f evals/s %.0f batch %.0f "
      "| buffer %d | model v%d",
      s.iteration, s.num_iterations, s.games, s.positions, s.step, training, s.sims_per_second,
      s.evals_per_second, s.avg_batch, s.buffer_size, s.model_version);
  if (options_.selfplay.resign.enabled()) {
    absl::StrAppendFormat(&line, " | resigned %d (false %d/%d, t %.3f)", s.resigned,
                          s.false_resigns, s.resign_checked, s.resign_threshold);
  }
  if (callbacks.status_text) {
    if (const std::string text = callbacks.status_text(); !text.empty()) {
      absl::StrAppend(&line, " | ", text);
    }
  }
  return line;
}

absl::Status TrainRun::Run(const std::atomic<bool>* stop, const TrainCallbacks& callbacks) {
  auto log = [&](const std::string& line) {
    if (callbacks.on_log) callbacks.on_log(line);
  };
  on_log_ = callbacks.on_log;
  on_checkpoint_ = callbacks.on_checkpoint;
  const int64_t target_games = options_.num_iterations * options_.games_per_iteration;
  if (resumed()) log(learner_->resume_note());

  // 1. Self-play threads submit finished games to the learner.
  SelfPlayOptions selfplay = options_.selfplay;
  selfplay.max_games = -1;
  selfplay.seed = options_.selfplay.seed + static_cast<uint64_t>(buffer().games_added());
  ObservedEvaluator observed(evaluator_.get(), callbacks.on_batch);
  Evaluator* selfplay_evaluator = evaluator_.get();
  if (callbacks.on_batch) selfplay_evaluator = &observed;
  const RunStart run{absl::Now(), buffer().games_added(), trainer().step()};
  BackgroundSelfPlay games(selfplay, selfplay_evaluator, evaluator_.get(), learner_.get());
  decorate_metrics_ = [&](JsonLine* row) {
    const TrainSnapshot s = Snapshot(run, games.stats());
    row->Double("sims_per_second", s.sims_per_second)
        .Double("evals_per_second", s.evals_per_second);
  };

  // 2. The learner loop, on this thread.
  absl::Time last_progress = absl::InfinitePast();
  int64_t last_iteration = buffer().games_added() / options_.games_per_iteration;
  absl::Status status;
  while (true) {
    if (stop != nullptr && stop->load()) {
      log("stopping: interrupted");
      break;
    }
    if (status = games.Problem(); !status.ok()) break;
    const absl::Time now = absl::Now();
    if (callbacks.on_progress && now - last_progress > absl::Milliseconds(100)) {
      last_progress = now;
      callbacks.on_progress(Snapshot(run, games.stats()));
    }
    const int64_t games_now = buffer().games_added();
    if (const int64_t iteration = games_now / options_.games_per_iteration;
        iteration > last_iteration) {
      last_iteration = iteration;
      log(IterationLine(Snapshot(run, games.stats()), callbacks));
    }
    if (games_now >= target_games) break;
    absl::StatusOr<bool> stepped = learner_->TrainStep();
    if (!stepped.ok()) {
      status = stepped.status();
      break;
    }
    if (!*stepped) absl::SleepFor(absl::Milliseconds(20));  // wait for self-play positions
  }

  // 3. Stop self-play (unfinished games are dropped) and save where we are.
  games.Stop();
  if (callbacks.on_progress) callbacks.on_progress(Snapshot(run, games.stats()));
  absl::Status saved = learner_->SaveCheckpoint();
  if (saved.ok()) {
    log(absl::StrCat("checkpoint at step ", trainer().step(), ", model v", model_version(), " -> ",
                     model_path()));
  }
  if (absl::Status st = learner_->Sync(); !st.ok() && saved.ok()) saved = st;
  decorate_metrics_ = nullptr;
  return status.ok() ? saved : status;
}

}  // namespace zf
