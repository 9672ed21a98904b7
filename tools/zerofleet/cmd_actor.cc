// `zerofleet actor` (also the binary zerofleet-actor): a stateless self-play actor (actor/).
// It needs only addresses: rules and search settings come from the learner. SIGINT/SIGTERM:
// stop self-play, send the finished games, exit 0.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "actor/actor.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/zerofleet_metrics.h"
#include "common/rpc/security_flags.h"
#include "common/util/progress.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"
#include "tools/zerofleet/metrics_flags.h"
#include "tools/zerofleet/signals.h"

ABSL_FLAG(std::string, learner, "127.0.0.1:50051", "Learner address (host:port)");
ABSL_FLAG(std::string, inference, "127.0.0.1:50052",
          "Inference server addresses, comma separated (host:port,...): round robin");
ABSL_FLAG(std::string, actor_id, "",
          "Name of this actor in game ids and logs (default: host-pid-random)");
ABSL_FLAG(int64_t, max_games, -1, "Stop after this many finished games are acked; -1 = never");

namespace zf::cli {
namespace {

std::string DefaultActorId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::random_device random;
  return absl::StrFormat("%s-%d-%04x", host[0] ? host : "actor", static_cast<int>(getpid()),
                         random() & 0xffff);
}

// One progress update from `s` (a logged line every 10 s, after *last_line) and the metrics,
// when kept.
void ReportActor(const ActorSnapshot& s, SelfPlayMetricSet* selfplay, ActorMetricSet* actor,
                 Progress& progress, absl::Time* last_line) {
  if (selfplay != nullptr) {
    AdvanceCounterTo(selfplay->simulations, static_cast<double>(s.simulations));
    AdvanceCounterTo(selfplay->moves, static_cast<double>(s.moves));
    AdvanceCounterTo(selfplay->games, static_cast<double>(s.games_finished));
    AdvanceCounterTo(actor->games_acked, static_cast<double>(s.games_acked));
    AdvanceCounterTo(actor->evaluate_retries, static_cast<double>(s.evaluate_retries));
    actor->batches_in_flight.Set(s.batches_in_flight);
    actor->games_pending.Set(static_cast<double>(s.games_pending));
  }
  const double secs = std::max(1e-9, s.elapsed_seconds);
  const std::string line = absl::StrFormat(
      "games %d | acked %d | pending %d | sims/s %.0f | evals/s %.0f | batch %.0f | model v%d",
      s.games_finished, s.games_acked, s.games_pending, s.simulations / secs, s.evaluations / secs,
      s.evaluations / std::max<double>(1, s.batches), s.model_version);
  progress.Update(line);
  if (absl::Now() - *last_line > absl::Seconds(10)) {
    *last_line = absl::Now();
    progress.Log(line);
  }
}

void ApplyActorDefaults(const std::vector<std::string>&) {
  absl::SetFlag(&FLAGS_parallel_games, 0);  // 0: the learner's run config decides
  absl::SetFlag(&FLAGS_threads, 2);         // two leaf batches in flight
}

int RunActorCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<RpcSecurity> security = RpcSecurityFromFlags();
  if (!security.ok()) return Fail(security.status());
  ActorOptions options;
  options.actor_id = absl::GetFlag(FLAGS_actor_id);
  if (options.actor_id.empty()) options.actor_id = DefaultActorId();
  options.learner = absl::GetFlag(FLAGS_learner);
  for (absl::string_view target :
       absl::StrSplit(absl::GetFlag(FLAGS_inference), ',', absl::SkipWhitespace())) {
    options.inference.emplace_back(target);
  }
  options.parallel_games = absl::GetFlag(FLAGS_parallel_games);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.max_games = absl::GetFlag(FLAGS_max_games);
  options.seed = absl::GetFlag(FLAGS_seed) ^ std::hash<std::string>()(options.actor_id);
  options.security = *security;

  std::atomic<bool> stop{false};
  SignalWatcher watcher(&stop);
  absl::StatusOr<std::unique_ptr<Actor>> actor = Actor::Create(options);
  if (!actor.ok()) return Fail(actor.status());
  Progress progress;

  ActorCallbacks callbacks;
  callbacks.on_log = [&](const std::string& line) { progress.Log(line); };
  std::unique_ptr<SelfPlayMetricSet> selfplay_metrics;
  std::unique_ptr<ActorMetricSet> actor_metrics;
  std::unique_ptr<MetricsServer> metrics_server;
  if (MetricsWanted()) {
    auto registry = std::make_shared<prometheus::Registry>();
    selfplay_metrics = std::make_unique<SelfPlayMetricSet>(registry);
    actor_metrics = std::make_unique<ActorMetricSet>(registry);
    callbacks.on_batch = [m = actor_metrics.get()](int, double seconds) {
      m->leaf_roundtrip_seconds.Observe(seconds);
    };
    absl::StatusOr<std::unique_ptr<MetricsServer>> server = StartMetricsServer(registry);
    if (!server.ok()) return Fail(server.status());
    metrics_server = *std::move(server);
    std::printf("metrics: %s\n", metrics_server->url().c_str());
  }
  std::printf("actor %s: learner %s, inference %s (%s)\n", options.actor_id.c_str(),
              options.learner.c_str(), absl::GetFlag(FLAGS_inference).c_str(),
              DescribeSecurity(*security).c_str());
  std::fflush(stdout);

  // Progress and metrics from a side thread while Run blocks this one.
  std::atomic<bool> done{false};
  std::thread reporter([&] {
    absl::Time last_line = absl::Now();
    while (!done.load()) {
      absl::SleepFor(absl::Milliseconds(200));
      ReportActor((*actor)->snapshot(), selfplay_metrics.get(), actor_metrics.get(), progress,
                  &last_line);
    }
  });
  absl::Status status = (*actor)->Run(&stop, callbacks);
  done = true;
  reporter.join();
  const ActorSnapshot s = (*actor)->snapshot();
  progress.Finish();
  progress.Log(absl::StrCat("actor ", options.actor_id, " done: ", s.games_finished,
                            " games finished, ", s.games_acked, " acked by the learner"));
  if (!status.ok()) return Fail(status);
  return 0;
}

}  // namespace

Command ActorCommand() {
  return {"actor",
          "play self-play games for a learner, evaluated by inference servers (= zerofleet-actor)",
          "zerofleet-actor --learner HOST:PORT --inference HOST:PORT[,HOST:PORT...]",
          Concat({{FLAGS_learner,
                   FLAGS_inference,
                   // 0: as many as the learner's run config plays.
                   {FLAGS_parallel_games, FlagRange::Between(0, 65536)},
                   {FLAGS_threads, FlagRange::Between(1, 64)},
                   FLAGS_actor_id,
                   {FLAGS_max_games, FlagRange::AtLeast(-1)},
                   FLAGS_seed},
                  MetricsFlags(),
                  RpcSecurityFlags()}),
          RunActorCommand,
          ApplyActorDefaults};
}

}  // namespace zf::cli
