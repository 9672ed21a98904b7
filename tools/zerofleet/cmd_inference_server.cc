// `zerofleet inference-server` (also the binary zerofleet-inference-server): serves
// InferenceService (leaf batches -> policy + value) to the actors. The logic lives in
// zf_inference (inference_server/inference_server.h); this file turns flags into its options.
//
// Prints "listening on ADDRESS:PORT" on stdout once serving (tests read the port from it when
// started with --port 0). SIGINT/SIGTERM: stop accepting, finish or cancel what is queued
// within the server's grace period, exit 0.
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/game/rules.h"
#include "common/metrics/zerofleet_metrics.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/security_flags.h"
#include "inference_server/inference_server.h"
#include "inference_server/model_watcher.h"
#include "tools/zerofleet/cli.h"
#include "tools/zerofleet/commands.h"
#include "tools/zerofleet/metrics_flags.h"
#include "tools/zerofleet/signals.h"

ABSL_FLAG(int, max_batch, 256, "Positions per batch at most (1..4096); also the request limit");
ABSL_FLAG(int, max_queue_delay_us, 500,
          "A batch closes when its oldest request has waited this long (microseconds)");
ABSL_FLAG(int, batch_workers, 2,
          "Batches evaluated concurrently (1..16); with 2 one batch fills while another computes "
          "(and host work overlaps the GPU's)");
ABSL_FLAG(int, max_in_flight_per_stream, 64, "Unanswered requests per stream before reads pause");
ABSL_FLAG(int64_t, max_queued_positions, 65536,
          "Positions waiting for a batch, all clients together; past it requests get "
          "RESOURCE_EXHAUSTED (>= --max-batch)");
ABSL_FLAG(bool, null_model, false,
          "Uniform policy and value 0 without LibTorch (to measure the transport alone)");
ABSL_DECLARE_FLAG(std::string, address);
ABSL_DECLARE_FLAG(int, port);
ABSL_DECLARE_FLAG(std::string, reflection);
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, net);
ABSL_DECLARE_FLAG(std::string, learner);

namespace zf::cli {
namespace {

// The model, the batcher and the service from the flags (checked).
absl::StatusOr<InferenceServerOptions> ServerOptionsFromFlags(const RpcSecurity& security) {
  const int board_size = absl::GetFlag(FLAGS_board_size);
  if (board_size != 0 && board_size < 3) {  // its range: InferenceServerCommand()
    return absl::InvalidArgumentError(
        absl::StrCat("--board-size ", board_size, " out of range: 0 or 3..", kMaxBoardSize));
  }
  const int delay_us = absl::GetFlag(FLAGS_max_queue_delay_us);
  const int port = absl::GetFlag(FLAGS_port);
  InferenceServerOptions options;
  options.address = absl::GetFlag(FLAGS_address);
  options.port = port;
  options.batcher.max_batch = absl::GetFlag(FLAGS_max_batch);
  options.batcher.max_queue_delay = absl::Microseconds(delay_us);
  options.batcher.workers = absl::GetFlag(FLAGS_batch_workers);
  options.batcher.max_queued_positions = absl::GetFlag(FLAGS_max_queued_positions);
  options.service.max_in_flight_per_stream = absl::GetFlag(FLAGS_max_in_flight_per_stream);
  options.service.board_size = board_size;
  options.service.security = security;
  absl::StatusOr<bool> reflection =
      ReflectionWanted(absl::GetFlag(FLAGS_reflection), security.has_token());
  if (!reflection.ok()) return reflection.status();
  options.reflection = *reflection;
  return options;
}

// Prometheus: batches from the batcher's workers (on_batch), the rest sampled by Sample().
class ServerMetrics {
 public:
  // Starts /metrics and hooks `options` when --metrics-port asks for it; else does nothing.
  absl::Status Start(InferenceServerOptions* options) {
    if (!MetricsWanted()) return absl::OkStatus();
    auto registry = std::make_shared<prometheus::Registry>();
    inference_ = std::make_unique<InferenceMetricSet>(registry);
    server_ = std::make_unique<InferenceServerMetricSet>(registry);
    options->batcher.on_batch = [i = inference_.get(), s = server_.get()](
                                    int positions, double seconds, absl::Span<const double> waits) {
      i->ObserveBatch(positions, seconds);
      for (double w : waits) s->queue_wait_seconds.Observe(w);
    };
    absl::StatusOr<std::unique_ptr<MetricsServer>> http = StartMetricsServer(registry);
    if (!http.ok()) return http.status();
    http_ = *std::move(http);
    std::printf("metrics: %s\n", http_->url().c_str());
    return absl::OkStatus();
  }
  void Sample(InferenceServer& server) {
    if (server_ == nullptr) return;
    server_->open_streams.Set(static_cast<double>(server.service_stats().open_streams));
    if (TorchEvaluator* torch = server.torch_evaluator(); torch != nullptr) {
      server_->model_version.Set(static_cast<double>(torch->version()));
    }
  }
  InferenceServerMetricSet* server_metrics() { return server_.get(); }

 private:
  std::unique_ptr<InferenceMetricSet> inference_;
  std::unique_ptr<InferenceServerMetricSet> server_;
  std::unique_ptr<MetricsServer> http_;
};

// Follows the learner's models (--learner), or nullptr without one.
absl::StatusOr<std::unique_ptr<ModelWatcher>> WatchLearner(InferenceServer& server,
                                                           const RpcSecurity& security,
                                                           ServerMetrics& metrics) {
  const std::string learner = absl::GetFlag(FLAGS_learner);
  if (learner.empty()) return nullptr;
  ModelWatcherOptions watch;
  watch.learner = learner;
  watch.security = security;
  watch.on_log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  if (InferenceServerMetricSet* m = metrics.server_metrics(); m != nullptr) {
    watch.on_model = [m](int64_t) { m->models_loaded.Increment(); };
  }
  return ModelWatcher::Start(watch, server.torch_evaluator());
}

void ApplyInferenceServerDefaults(const std::vector<std::string>&) {
  absl::SetFlag(&FLAGS_port, 0);        // pick a free port and print it
  absl::SetFlag(&FLAGS_board_size, 0);  // any size the rules allow
  absl::SetFlag(&FLAGS_model, "");      // a random-init --net
  absl::SetFlag(&FLAGS_learner, "");    // serve the starting model forever
}

int RunInferenceServerCommand(const std::vector<std::string>& args) {
  if (!args.empty()) return Fail(absl::StrCat("unexpected argument '", args[0], "'"));
  absl::StatusOr<RpcSecurity> security = RpcSecurityFromFlags();
  if (!security.ok()) return Fail(security.status());
  if (!absl::GetFlag(FLAGS_learner).empty() && absl::GetFlag(FLAGS_null_model)) {
    return Fail("--learner needs a network: drop --null-model");
  }
  absl::StatusOr<InferenceServerOptions> options = ServerOptionsFromFlags(*security);
  if (!options.ok()) return Fail(options.status());

  std::atomic<bool> stop{false};
  SignalWatcher signals(&stop);  // before any thread starts
  ServedModelOptions model_options;
  model_options.null_model = absl::GetFlag(FLAGS_null_model);
  model_options.model_path = absl::GetFlag(FLAGS_model);
  model_options.net = absl::GetFlag(FLAGS_net);
  model_options.seed = absl::GetFlag(FLAGS_seed);
  model_options.device = absl::GetFlag(FLAGS_device);
  absl::StatusOr<ServedModel> model = LoadServedModel(model_options);
  if (!model.ok()) return Fail(model.status());
  ServerMetrics metrics;
  if (absl::Status s = metrics.Start(&*options); !s.ok()) return Fail(s);
  absl::StatusOr<std::unique_ptr<InferenceServer>> server =
      InferenceServer::Start(*std::move(model), *options);
  if (!server.ok()) return Fail(server.status());
  std::printf("listening on %s:%d (%s, %s)\n", options->address.c_str(), (*server)->port(),
              (*server)->model_description().c_str(), DescribeSecurity(*security).c_str());
  std::fflush(stdout);
  absl::StatusOr<std::unique_ptr<ModelWatcher>> watcher =
      WatchLearner(**server, *security, metrics);
  if (!watcher.ok()) return Fail(watcher.status());

  for (int tick = 0; !stop.load(); ++tick) {
    if (tick % 5 == 0) metrics.Sample(**server);
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::fprintf(stderr, "zerofleet-inference-server: stopping\n");
  watcher->reset();
  (*server)->Shutdown();
  const BatcherStats stats = (*server)->batcher_stats();
  std::fprintf(stderr, "zerofleet-inference-server: %lld positions in %lld batches (mean %.1f)\n",
               static_cast<long long>(stats.positions), static_cast<long long>(stats.batches),
               stats.mean_batch());
  return 0;
}

}  // namespace

Command InferenceServerCommand() {
  return {"inference-server",
          "evaluate leaf batches for actors over gRPC (= zerofleet-inference-server)",
          "zerofleet-inference-server [--port P] [--learner HOST:PORT] [--model FILE | "
          "--net tiny|small|base | --null-model] [--max-batch N] [--metrics-port M]",
          Concat({{FLAGS_address,
                   {FLAGS_port, FlagRange::Between(0, 65535)},
                   FLAGS_model,
                   FLAGS_net,
                   FLAGS_seed,
                   FLAGS_device,
                   // 0: any size (the learner's or the model's decides).
                   {FLAGS_board_size, FlagRange::Between(0, kMaxBoardSize)},
                   FLAGS_null_model,
                   FLAGS_learner,
                   {FLAGS_max_batch, FlagRange::Between(1, 4096)},
                   {FLAGS_max_queue_delay_us, FlagRange::Between(0, 10000000)},
                   {FLAGS_batch_workers, FlagRange::Between(1, 16)},
                   {FLAGS_max_in_flight_per_stream, FlagRange::AtLeast(1)},
                   {FLAGS_max_queued_positions, FlagRange::AtLeast(1)},
                   FLAGS_reflection},
                  MetricsFlags(),
                  RpcSecurityFlags()}),
          RunInferenceServerCommand,
          ApplyInferenceServerDefaults};
}

}  // namespace zf::cli
