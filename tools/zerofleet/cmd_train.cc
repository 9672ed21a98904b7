// `zerofleet train`: the all-in-one trainer (self-play + learner in one process).
// Ctrl-C (SIGINT) or SIGTERM stops cleanly with a checkpoint; a second one exits at once.

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/zerofleet_metrics.h"
#include "common/nn/torch_evaluator.h"
#include "common/util/progress.h"
#include "learner/train_run.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"
#include "tools/zerofleet/metrics_flags.h"
#include "tools/zerofleet/signals.h"
#include "tools/zerofleet/train_rating.h"

ABSL_FLAG(std::string, run_dir, "runs/gomoku",
          "Run directory: checkpoints, model.zfm, metrics.jsonl; an existing run resumes");
ABSL_FLAG(std::string, preset, "auto",
          "Defaults for the machine: cpu (tiny net, light search), gpu (small net, 400 sims), or "
          "auto (gpu when CUDA is available); explicit flags override it");
ABSL_FLAG(
    std::string, net, "small",
    "Network size for a new run: tiny (2x32), small (6x64), base (10x128), or BLOCKSxCHANNELS");
ABSL_FLAG(int, batch_size, 1024, "Training minibatch size");
ABSL_FLAG(int, games_per_iter, 64, "Self-play games per iteration (one summary line each)");
ABSL_FLAG(int64_t, num_iterations, 2000, "Iterations before the run ends");
ABSL_FLAG(std::string, optimizer, "adamw", "adamw or sgd (momentum 0.9)");
ABSL_FLAG(double, lr, 2e-3, "Peak learning rate (sgd wants ~10x adamw's)");
ABSL_FLAG(double, weight_decay, 1e-4, "Weight decay");
ABSL_FLAG(double, ema_decay, 0.99,
          "Published models average the trained weights with this decay per step (0 = off; "
          "docs/STRENGTH.md: 0.99 measured stronger)");
ABSL_FLAG(int, warmup_steps, 100, "Linear learning-rate warmup steps");
ABSL_FLAG(double, replay_ratio, 8.0,
          "At most this many trained samples per new self-play position");
ABSL_FLAG(int64_t, min_positions, 2000, "Positions in the buffer before training starts");
ABSL_FLAG(int64_t, buffer_size, 500000, "Replay buffer capacity in positions (FIFO)");
ABSL_FLAG(int64_t, replay_window, 25000,
          "Batches come from the newest W positions, W growing as N^0.75 beyond this many "
          "(KataGo's window); 0 = the whole buffer");
ABSL_FLAG(int, publish_every, 20, "Training steps between new weights for self-play");
ABSL_FLAG(int, checkpoint_every, 500, "Training steps between checkpoints");
ABSL_FLAG(std::string, precision, "auto", "auto (bf16 on CUDA, fp32 on CPU), fp32 or bf16");

namespace zf::cli {
namespace {

// Sets preset values as flag defaults; main.cc calls this before parsing, so flags typed on
// the command line still win.
void ApplyPreset(const std::string& preset) {
  bool gpu = preset == "gpu";
  if (preset == "auto") {
    absl::StatusOr<torch::Device> device = ParseDevice("auto");
    gpu = device.ok() && device->is_cuda();
  }
  if (gpu) {
    // Many games in flight, in a few threads that each pass the network ~256 at a time: on
    // an H200 with 16 cores (docs/PERFORMANCE.md) 2,048 games on 8 threads reached 166k
    // sims/s, 1,024 games 95k. Half the cores, so the learner and the server keep theirs.
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    absl::SetFlag(&FLAGS_net, "small");
    absl::SetFlag(&FLAGS_sims, 400);
    absl::SetFlag(&FLAGS_parallel_games, 2048);
    absl::SetFlag(&FLAGS_threads, std::clamp(cores / 2, 2, 8));
    absl::SetFlag(&FLAGS_batch_size, 1024);
    absl::SetFlag(&FLAGS_games_per_iter, 64);
  } else {
    absl::SetFlag(&FLAGS_net, "tiny");
    absl::SetFlag(&FLAGS_sims, 100);
    // Torch runs one intra-op thread here; two self-play threads keep both cores busy
    // (`zerofleet bench selfplay`: 2x the evals/s of one thread on a 2-core machine).
    absl::SetFlag(&FLAGS_parallel_games, 32);
    absl::SetFlag(&FLAGS_threads, 2);
    absl::SetFlag(&FLAGS_batch_size, 256);
    absl::SetFlag(&FLAGS_games_per_iter, 16);
    absl::SetFlag(&FLAGS_min_positions, 1000);
    absl::SetFlag(&FLAGS_fast_move_fraction, 0.5);
  }
}

// --- Prometheus metrics (--metrics-port) ---------------------------------------------------
// Fed by TrainRun's callbacks. Counters count what this process did: the snapshot's totals
// (cumulative over a resumed run) are taken relative to where this process started.
class TrainMetrics {
 public:
  TrainMetrics(std::shared_ptr<prometheus::Registry> registry, TrainRun& run, int batch_size)
      : selfplay_(registry),
        inference_(registry),
        learner_(registry),
        start_games_(run.buffer().games_added()),
        start_step_(run.trainer().step()),
        batch_size_(batch_size) {
    learner_.model_version.Set(static_cast<double>(run.model_version()));
  }

  // From on_progress (learner thread only).
  void Update(const TrainSnapshot& s) {
    AdvanceCounterTo(selfplay_.simulations, static_cast<double>(s.simulations));
    AdvanceCounterTo(selfplay_.moves, static_cast<double>(s.moves));
    AdvanceCounterTo(selfplay_.games, static_cast<double>(s.games - start_games_));
    AdvanceCounterTo(learner_.games_received, static_cast<double>(s.games - start_games_));
    AdvanceCounterTo(learner_.train_steps, static_cast<double>(s.step - start_step_));
    AdvanceCounterTo(learner_.samples_trained,
                     static_cast<double>((s.step - start_step_) * batch_size_));
    learner_.buffer_positions.Set(static_cast<double>(s.buffer_size));
    learner_.model_version.Set(static_cast<double>(s.model_version));
    if (s.last.step > 0) {
      learner_.SetStep(s.last.policy_loss, s.last.value_loss, s.last.policy_entropy, s.last.lr);
    }
  }
  // From on_batch (self-play threads; the set is thread-safe).
  void ObserveBatch(int size, double seconds) { inference_.ObserveBatch(size, seconds); }
  // From on_checkpoint.
  void ObserveCheckpoint(double seconds) { learner_.checkpoint_seconds.Observe(seconds); }

 private:
  SelfPlayMetricSet selfplay_;
  InferenceMetricSet inference_;
  LearnerMetricSet learner_;
  const int64_t start_games_;
  const int64_t start_step_;
  const int batch_size_;
};

}  // namespace

absl::StatusOr<TrainRunOptions> TrainRunOptionsFromFlags() {
  const std::string preset = absl::GetFlag(FLAGS_preset);
  if (preset != "auto" && preset != "cpu" && preset != "gpu") {
    return absl::InvalidArgumentError(
        absl::StrCat("--preset: unknown preset '", preset, "' (auto, cpu, gpu)"));
  }
  TrainRunOptions o;
  absl::StatusOr<SelfPlayOptions> selfplay = SelfPlayOptionsFromFlags();
  if (!selfplay.ok()) return selfplay.status();
  o.selfplay = *selfplay;
  absl::StatusOr<NetConfig> net = NetConfigFromPreset(absl::GetFlag(FLAGS_net));
  if (!net.ok()) return absl::InvalidArgumentError(absl::StrCat("--net: ", net.status().message()));
  o.learner.net = *net;
  o.learner.run_dir = absl::GetFlag(FLAGS_run_dir);
  const std::string device = absl::GetFlag(FLAGS_device);
  if (absl::StatusOr<torch::Device> d = ParseDevice(device); !d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--device: ", d.status().message()));
  }
  o.evaluator.device = device;
  o.learner.trainer.device = device;
  o.learner.trainer.batch_size = absl::GetFlag(FLAGS_batch_size);
  o.learner.trainer.optimizer = absl::GetFlag(FLAGS_optimizer);
  o.learner.trainer.lr = absl::GetFlag(FLAGS_lr);
  o.learner.trainer.weight_decay = absl::GetFlag(FLAGS_weight_decay);
  o.learner.trainer.ema_decay = absl::GetFlag(FLAGS_ema_decay);
  o.learner.trainer.warmup_steps = absl::GetFlag(FLAGS_warmup_steps);
  o.learner.trainer.precision = absl::GetFlag(FLAGS_precision);
  o.learner.trainer.grad_clip_norm = 10.0;
  o.learner.trainer.seed = o.selfplay.seed;
  o.learner.buffer.capacity = absl::GetFlag(FLAGS_buffer_size);
  o.learner.buffer.window_min = absl::GetFlag(FLAGS_replay_window);
  o.learner.ratio.max_samples_per_position = absl::GetFlag(FLAGS_replay_ratio);
  o.learner.ratio.min_positions = absl::GetFlag(FLAGS_min_positions);
  o.games_per_iteration = absl::GetFlag(FLAGS_games_per_iter);
  o.num_iterations = absl::GetFlag(FLAGS_num_iterations);
  o.learner.publish_every_steps = absl::GetFlag(FLAGS_publish_every);
  o.learner.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every);
  if (absl::Status s = ValidateTrainRunOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", s.message()));
  }
  return o;
}

void ApplyTrainDefaults(const std::vector<std::string>& args) {
  std::string preset = "auto";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--preset=", 0) == 0) preset = args[i].substr(9);
    if (args[i] == "--preset" && i + 1 < args.size()) preset = args[i + 1];
  }
  ApplyPreset(preset);
}

int RunTrainCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<TrainRunOptions> options = TrainRunOptionsFromFlags();
  if (!options.ok()) return Fail(options.status());
  options->learner.export_models = RatingEnabled();  // the rater reads the published models
  const TrainRunOptions& o = *options;

  std::atomic<bool> stop{false};
  SignalWatcher watcher(&stop);  // before any thread starts, so all inherit the blocked mask
  absl::StatusOr<std::unique_ptr<TrainRun>> run = TrainRun::Create(o);
  if (!run.ok()) return Fail(run.status());
  Progress progress;
  progress.Log(absl::StrFormat(
      "zerofleet train: %s, net %dx%d, %d sims, %d parallel games, batch %d, device %s, run dir %s",
      DescribeRules(o.selfplay.rules), (*run)->trainer().config().blocks,
      (*run)->trainer().config().channels, o.selfplay.search.simulations, o.selfplay.parallel_games,
      o.learner.trainer.batch_size, (*run)->evaluator().device().str(), o.learner.run_dir));
  TrainCallbacks callbacks;
  // Metrics server: after the signal watcher, so its threads keep SIGINT/SIGTERM blocked.
  std::unique_ptr<TrainMetrics> metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  std::shared_ptr<prometheus::Registry> registry;
  if (MetricsWanted()) {
    registry = std::make_shared<prometheus::Registry>();
    metrics = std::make_unique<TrainMetrics>(registry, **run, o.learner.trainer.batch_size);
    absl::StatusOr<std::unique_ptr<MetricsServer>> server = StartMetricsServer(registry);
    if (!server.ok()) return Fail(server.status());
    metrics_server = *std::move(server);
    progress.Log(absl::StrCat("metrics: ", metrics_server->url()));
    callbacks.on_batch = [m = metrics.get()](int size, double secs) {
      m->ObserveBatch(size, secs);
    };
    callbacks.on_checkpoint = [m = metrics.get()](double secs) { m->ObserveCheckpoint(secs); };
  }
  callbacks.on_log = [&](const std::string& line) { progress.Log(line); };
  // Strength while training: a rater thread within its CPU budget (train_rating.h).
  std::unique_ptr<TrainRating> rating;
  if (RatingEnabled()) {
    absl::StatusOr<std::unique_ptr<TrainRating>> started = TrainRating::Start(
        o.learner.run_dir, o.selfplay.rules, o.evaluator.device, &(*run)->learner(), registry,
        [&](const std::string& line) { progress.Log(line); });
    if (!started.ok()) return Fail(started.status());
    rating = *std::move(started);
    callbacks.status_text = [&] { return rating->Text(); };
  }
  callbacks.on_progress = [&](const TrainSnapshot& s) {
    if (metrics != nullptr) metrics->Update(s);
    std::string line = absl::StrFormat(
        "iter %d/%d | games %d | step %d | sims/s %.0f | evals/s %.0f | loss p %.3f v %.3f | "
        "ETA %s",
        s.iteration, s.num_iterations, s.games, s.step, s.sims_per_second, s.evals_per_second,
        s.last.policy_loss, s.last.value_loss,
        s.eta_seconds < 0 ? "?" : FormatEta(absl::Seconds(s.eta_seconds)));
    if (rating != nullptr) {
      if (const std::string text = rating->Text(); !text.empty()) line += " | " + text;
    }
    progress.Update(line);
  };
  absl::Status status = (*run)->Run(&stop, callbacks);
  if (rating != nullptr) rating->Stop();
  progress.Finish();
  if (!status.ok()) return Fail(status);
  return 0;
}

FlagList TrainRunFlags() {
  return Concat({{FLAGS_run_dir,
                  FLAGS_preset,
                  FLAGS_net,
                  FLAGS_device,
                  {FLAGS_batch_size, FlagRange::Between(1, 1 << 20)},
                  {FLAGS_games_per_iter, FlagRange::AtLeast(1)},
                  FLAGS_optimizer,
                  {FLAGS_lr, FlagRange::Positive(100)},
                  {FLAGS_weight_decay, FlagRange::BelowOne()},
                  {FLAGS_ema_decay, FlagRange::BelowOne()},
                  {FLAGS_warmup_steps, FlagRange::AtLeast(0)},
                  {FLAGS_replay_ratio, FlagRange::Positive(1e6)},
                  {FLAGS_min_positions, FlagRange::AtLeast(0)},
                  {FLAGS_buffer_size, FlagRange::Between(1, 1LL << 34)},
                  {FLAGS_replay_window, FlagRange::AtLeast(0)},
                  {FLAGS_publish_every, FlagRange::AtLeast(1)},
                  {FLAGS_checkpoint_every, FlagRange::AtLeast(1)},
                  FLAGS_precision},
                 MetricsFlags(),
                 RuleFlags(),
                 SearchFlags(),
                 ResignFlags(),
                 RatingFlags()});
}

Command TrainCommand() {
  return {"train",
          "train a model: self-play and learning in one process (resumable)",
          "zerofleet train [--run-dir runs/gomoku] [--preset auto|cpu|gpu] [flags]",
          Concat({TrainRunFlags(), {{FLAGS_num_iterations, FlagRange::AtLeast(1)}}}),
          RunTrainCommand,
          ApplyTrainDefaults};
}

}  // namespace zf::cli
