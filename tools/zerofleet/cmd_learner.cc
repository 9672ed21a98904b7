// `zerofleet learner` (also the binary zerofleet-learner): the Learner behind LearnerService.
// Actors fetch the run config from it and submit games; inference servers watch its models.
// Same flags and presets as `train` for the run's settings. SIGINT/SIGTERM: stop accepting
// games, write a checkpoint, exit 0.
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/zerofleet_metrics.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/security_flags.h"
#include "common/util/file_io.h"
#include "common/util/progress.h"
#include "learner/learner_service.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"
#include "tools/zerofleet/metrics_flags.h"
#include "tools/zerofleet/signals.h"
#include "tools/zerofleet/train_rating.h"

ABSL_FLAG(std::string, address, "127.0.0.1",
          "Address to serve gRPC on (0.0.0.0: every interface, e.g. in a container)");
ABSL_FLAG(int, port, 50051, "Port to serve gRPC on (0: pick a free one and print it)");
ABSL_FLAG(std::string, reflection, "auto",
          "gRPC reflection: on, off, or auto (on unless --token-file is set; reflection answers "
          "callers without the token)");
ABSL_FLAG(int, max_submit_streams, 256,
          "Open SubmitGames streams at most (each holds a thread); more get RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_watch_streams, 64,
          "Open WatchModel streams at most (each holds a thread); more get RESOURCE_EXHAUSTED");
ABSL_DECLARE_FLAG(int, games_per_iter);

namespace zf::cli {
namespace {

// Follows the learner's status into its Prometheus metrics (from the main loop).
class LearnerMetrics {
 public:
  LearnerMetrics(std::shared_ptr<prometheus::Registry> registry, const LearnerStatus& start,
                 int batch_size)
      : set_(std::move(registry)), start_(start), batch_size_(batch_size) {}
  void Update(const LearnerStatus& s) {
    AdvanceCounterTo(set_.train_steps, static_cast<double>(s.step - start_.step));
    AdvanceCounterTo(set_.samples_trained,
                     static_cast<double>((s.step - start_.step) * batch_size_));
    AdvanceCounterTo(set_.games_received, static_cast<double>(s.games - start_.games));
    AdvanceCounterTo(set_.duplicate_games, static_cast<double>(s.duplicate_games));
    AdvanceCounterTo(set_.checkpoint_failures, static_cast<double>(s.checkpoint_failures));
    set_.buffer_positions.Set(static_cast<double>(s.buffer_size));
    set_.model_version.Set(static_cast<double>(s.model_version));
    if (s.last.step > 0) {
      set_.SetStep(s.last.policy_loss, s.last.value_loss, s.last.policy_entropy, s.last.lr);
    }
  }
  void ObserveCheckpoint(double seconds) { set_.checkpoint_seconds.Observe(seconds); }

 private:
  LearnerMetricSet set_;
  const LearnerStatus start_;
  const int batch_size_;
};

// The run's id for GetRunConfig: random hex made once and kept in <run_dir>/run_id, so it
// names the run across restarts without telling callers where it lives.
absl::StatusOr<std::string> LoadOrCreateRunId(const std::string& run_dir) {
  const std::string path = run_dir + "/run_id";
  absl::StatusOr<std::string> stored = ReadFile(path);
  if (stored.ok()) {
    const std::string id(absl::StripAsciiWhitespace(*stored));
    if (!id.empty()) return id;
  } else if (!absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&id, absl::Hex(random(), absl::kZeroPad8));
  if (absl::Status s = WriteFileAtomically(path, id + "\n"); !s.ok()) return s;
  return id;
}

}  // namespace

namespace {

// The gRPC side: address, run id, security, stream caps, reflection (checked).
absl::StatusOr<LearnerServerOptions> ServerOptionsFromFlags(const TrainRunOptions& train,
                                                            const RpcSecurity& security) {
  LearnerServerOptions options;
  options.address = absl::GetFlag(FLAGS_address);
  options.port = absl::GetFlag(FLAGS_port);  // ranges: LearnerCommand()
  options.service.selfplay = train.selfplay;
  absl::StatusOr<std::string> run_id = LoadOrCreateRunId(train.learner.run_dir);
  if (!run_id.ok()) return run_id.status();
  options.service.run_id = *run_id;
  options.service.security = security;
  options.service.max_submit_streams = absl::GetFlag(FLAGS_max_submit_streams);
  options.service.max_watch_streams = absl::GetFlag(FLAGS_max_watch_streams);
  absl::StatusOr<bool> reflection =
      ReflectionWanted(absl::GetFlag(FLAGS_reflection), security.has_token());
  if (!reflection.ok()) return reflection.status();
  options.reflection = *reflection;
  return options;
}

// What the training loop reports to.
struct LoopOutputs {
  Progress* progress;
  LearnerMetrics* metrics;  // may be null
  TrainRating* rating;      // may be null
};

// The training loop, on this thread (games arrive on gRPC threads meanwhile), until `stop` or
// a training error; a status line every 100 ms and a log line every --games-per-iter games.
absl::Status TrainUntilStopped(Learner& learner, LearnerServer& server, const LoopOutputs& out,
                               const std::atomic<bool>& stop) {
  const absl::Time start = absl::Now();
  const LearnerStatus first = learner.status();
  const int64_t games_per_line = absl::GetFlag(FLAGS_games_per_iter);
  int64_t last_line_games = first.games;
  absl::Time last_progress = absl::InfinitePast();
  while (!stop.load()) {
    absl::StatusOr<bool> stepped = learner.TrainStep();
    if (!stepped.ok()) return stepped.status();
    if (!*stepped) absl::SleepFor(absl::Milliseconds(20));
    const absl::Time now = absl::Now();
    if (now - last_progress < absl::Milliseconds(100)) continue;
    last_progress = now;
    const LearnerStatus s = learner.status();
    if (out.metrics != nullptr) out.metrics->Update(s);
    const double secs = std::max(1e-9, absl::ToDoubleSeconds(now - start));
    std::string line = absl::StrFormat(
        "games %d (+%d dup) | positions %d | step %d | loss p %.3f v %.3f | games/h %.0f | "
        "buffer %d | model v%d | actors %d",
        s.games, s.duplicate_games, s.positions, s.step, s.last.policy_loss, s.last.value_loss,
        (s.games - first.games) * 3600.0 / secs, s.buffer_size, s.model_version,
        server.ActiveActors());
    if (out.rating != nullptr) {
      if (const std::string text = out.rating->Text(); !text.empty()) line += " | " + text;
    }
    out.progress->Update(line);
    if (s.games - last_line_games >= games_per_line) {
      last_line_games = s.games;
      out.progress->Log(line);
    }
  }
  return absl::OkStatus();
}

// Stops taking games first, so the final checkpoint holds every acked one; then checkpoints
// and syncs the store.
absl::Status ShutDown(Learner& learner, LearnerServer& server, Progress& progress) {
  server.Shutdown();
  progress.Finish();
  absl::Status saved = learner.SaveCheckpoint();
  if (saved.ok()) {
    // Stored (durable, acked) and counted (added to the buffer) must agree: nothing acked lost,
    // nothing counted twice.
    const LearnerStatus s = learner.status();
    progress.Log(absl::StrCat("checkpoint at step ", s.step, ", model v", s.model_version,
                              "; games stored ", s.games_stored, ", counted ", s.games));
  }
  if (absl::Status s = learner.Sync(); !s.ok() && saved.ok()) saved = s;
  return saved;
}

int RunLearnerCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<TrainRunOptions> train = TrainRunOptionsFromFlags();
  if (!train.ok()) return Fail(train.status());
  absl::StatusOr<RpcSecurity> security = RpcSecurityFromFlags();
  if (!security.ok()) return Fail(security.status());
  LearnerOptions options = TrainRun::LearnerOptionsFor(*train);
  options.store_games = true;  // ack only what is durable
  options.export_models = true;

  std::atomic<bool> stop{false};
  SignalWatcher watcher(&stop);
  Progress progress;
  std::unique_ptr<LearnerMetrics> metrics;
  LearnerHooks hooks;
  hooks.on_log = [&](const std::string& line) { progress.Log(line); };
  hooks.on_checkpoint = [&](double seconds) {
    if (metrics != nullptr) metrics->ObserveCheckpoint(seconds);
  };
  absl::StatusOr<std::unique_ptr<Learner>> learner = Learner::Create(options, hooks);
  if (!learner.ok()) return Fail(learner.status());
  if ((*learner)->resumed()) progress.Log((*learner)->resume_note());
  // After the learner: it creates the run directory the run id is kept in.
  absl::StatusOr<LearnerServerOptions> server_options = ServerOptionsFromFlags(*train, *security);
  if (!server_options.ok()) return Fail(server_options.status());

  std::unique_ptr<MetricsServer> metrics_server;
  std::shared_ptr<prometheus::Registry> registry;
  if (MetricsWanted()) {
    registry = std::make_shared<prometheus::Registry>();
    metrics = std::make_unique<LearnerMetrics>(registry, (*learner)->status(),
                                               options.trainer.batch_size);
    absl::StatusOr<std::unique_ptr<MetricsServer>> server = StartMetricsServer(registry);
    if (!server.ok()) return Fail(server.status());
    metrics_server = *std::move(server);
  }
  absl::StatusOr<std::unique_ptr<LearnerServer>> server =
      LearnerServer::Start(learner->get(), *server_options);
  if (!server.ok()) return Fail(server.status());
  std::printf("listening on %s:%d (%s)\n", server_options->address.c_str(), (*server)->port(),
              DescribeSecurity(*security).c_str());
  if (metrics_server != nullptr) std::printf("metrics: %s\n", metrics_server->url().c_str());
  std::fflush(stdout);
  const Rules& rules = train->selfplay.rules;
  progress.Log(absl::StrFormat(
      "zerofleet learner: %s, net %dx%d, %d sims, %d games per actor, batch %d, device %s, run "
      "dir %s, model v%d",
      DescribeRules(rules), (*learner)->net_config().blocks, (*learner)->net_config().channels,
      train->selfplay.search.simulations, train->selfplay.parallel_games,
      options.trainer.batch_size, (*learner)->trainer().device().str(), options.run_dir,
      (*learner)->status().model_version));

  // Strength while training: the learner rates its own published models (train_rating.h).
  std::unique_ptr<TrainRating> rating;
  if (RatingEnabled()) {
    absl::StatusOr<std::unique_ptr<TrainRating>> started =
        TrainRating::Start(options.run_dir, rules, options.trainer.device, learner->get(), registry,
                           [&](const std::string& line) { progress.Log(line); });
    if (!started.ok()) return Fail(started.status());
    rating = *std::move(started);
  }
  const absl::Status trained = TrainUntilStopped(
      **learner, **server, LoopOutputs{&progress, metrics.get(), rating.get()}, stop);
  if (rating != nullptr) rating->Stop();
  const absl::Status saved = ShutDown(**learner, **server, progress);
  if (!trained.ok()) return Fail(trained);
  if (!saved.ok()) return Fail(saved);
  return 0;
}

}  // namespace

Command LearnerCommand() {
  return {"learner",
          "serve a training run to actors and inference servers over gRPC (= zerofleet-learner)",
          "zerofleet-learner [--run-dir DIR] [--port 50051] [--preset auto|cpu|gpu] "
          "[run flags as for train]",
          Concat({{FLAGS_address,
                   {FLAGS_port, FlagRange::Between(0, 65535)},
                   FLAGS_reflection,
                   {FLAGS_max_submit_streams, FlagRange::AtLeast(1)},
                   {FLAGS_max_watch_streams, FlagRange::AtLeast(1)}},
                  TrainRunFlags(),
                  RpcSecurityFlags()}),
          RunLearnerCommand,
          ApplyTrainDefaults};
}

}  // namespace zf::cli
