// zerofleet-inference-server: serves InferenceService (leaf batches -> policy + value) to the
// actors. A thin main: parse flags, load the model, start the server, stop on SIGINT/SIGTERM.
// The logic lives in zf_inference (inference_server.h).
//
// Prints "listening on ADDRESS:PORT" on stdout once serving (tests read the port from it when
// started with --port 0).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/game/rules.h"
#include "absl/time/clock.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/zerofleet_metrics.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/security_flags.h"
#include "common/util/allocator.h"
#include "common/util/command_line.h"
#include "inference_server/inference_server.h"
#include "inference_server/model_watcher.h"

ABSL_FLAG(std::string, address, "127.0.0.1", "Address to listen on (0.0.0.0 for every interface)");
ABSL_FLAG(int, port, 0, "Port to listen on (0: pick a free one and print it)");
ABSL_FLAG(int, max_batch, 256, "Positions per batch at most (1..4096); also the request limit");
ABSL_FLAG(int, max_queue_delay_us, 500,
          "A batch closes when its oldest request has waited this long (microseconds)");
ABSL_FLAG(int, batch_workers, 2,
          "Batches evaluated concurrently (1..16); with 2 one batch fills while another computes "
          "(and host work overlaps the GPU's)");
ABSL_FLAG(int, max_in_flight_per_stream, 64, "Unanswered requests per stream before reads pause");
ABSL_FLAG(std::string, reflection, "auto",
          "gRPC reflection: on, off, or auto (on unless --token-file is set; reflection answers "
          "callers without the token)");
ABSL_FLAG(int64_t, max_queued_positions, 65536,
          "Positions waiting for a batch, all clients together; past it requests get "
          "RESOURCE_EXHAUSTED (>= --max-batch)");
ABSL_FLAG(std::string, model, "", "Model file; without it, a random-init model of --net");
ABSL_FLAG(std::string, net, "small", "Net preset for the random-init model: tiny, small, base");
ABSL_FLAG(uint64_t, seed, 1, "Seed of the random-init model");
ABSL_FLAG(int, board_size, 0, "Serve only this board size (0: any size the rules allow)");
ABSL_FLAG(std::string, device, "auto", "auto, cpu, cuda or cuda:N (CUDA runs bf16)");
ABSL_FLAG(bool, null_model, false,
          "Uniform policy and value 0 without LibTorch (to measure the transport alone)");
ABSL_FLAG(std::string, learner, "",
          "Learner address (host:port): follow its model versions (WatchModel) and serve each "
          "new one; without it, serve the starting model forever");
ABSL_FLAG(int, metrics_port, 0, "Serve Prometheus metrics on this port at /metrics; 0 = off");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1",
          "Address for --metrics-port (0.0.0.0 to be scraped from other hosts)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "zerofleet-inference-server: error: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  zf::KeepFreedMemoryForReuse();  // tensors' memory is reused, not faulted in again per batch
  absl::FlagsUsageConfig usage_config;  // --help lists this file's flags (not absl's)
  usage_config.contains_help_flags = [](absl::string_view path) {
    return absl::StrContains(path, "inference_server/main.cc") ||
           absl::StrContains(path, "common/rpc/security_flags.cc");
  };
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(
      "zerofleet-inference-server [--port P] [--learner HOST:PORT] [--model FILE | --net "
      "tiny|small|base | --null-model] [--max-batch N] [--max-queue-delay-us U] "
      "[--metrics-port M]: evaluates leaf batches for zerofleet actors over gRPC");
  // --max-batch == --max_batch
  const std::vector<std::string> rest = zf::ParseCommandLineAcceptingDashes(argc, argv);
  if (rest.size() > 1) return Fail(absl::StrCat("unexpected argument '", rest[1], "'"));

  const int board_size = absl::GetFlag(FLAGS_board_size);
  if (board_size != 0 && (board_size < 3 || board_size > zf::kMaxBoardSize)) {
    return Fail(
        absl::StrCat("--board-size ", board_size, " out of range: 0 or 3..", zf::kMaxBoardSize));
  }
  const int delay_us = absl::GetFlag(FLAGS_max_queue_delay_us);
  if (delay_us < 0) return Fail(absl::StrCat("--max-queue-delay-us ", delay_us, " is negative"));
  const int metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (metrics_port < 0 || metrics_port > 65535) {
    return Fail(absl::StrCat("--metrics-port ", metrics_port, " out of range: 0 (off) or 1..65535"));
  }
  absl::StatusOr<zf::RpcSecurity> security = zf::RpcSecurityFromFlags();
  if (!security.ok()) return Fail(std::string(security.status().message()));
  const std::string learner = absl::GetFlag(FLAGS_learner);
  if (!learner.empty() && absl::GetFlag(FLAGS_null_model)) {
    return Fail("--learner needs a network: drop --null-model");
  }

  // SIGINT/SIGTERM are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  zf::ServedModelOptions model_options;
  model_options.null_model = absl::GetFlag(FLAGS_null_model);
  model_options.model_path = absl::GetFlag(FLAGS_model);
  model_options.net = absl::GetFlag(FLAGS_net);
  model_options.seed = absl::GetFlag(FLAGS_seed);
  model_options.device = absl::GetFlag(FLAGS_device);
  absl::StatusOr<zf::ServedModel> model = zf::LoadServedModel(model_options);
  if (!model.ok()) return Fail(std::string(model.status().message()));

  zf::InferenceServerOptions options;
  options.address = absl::GetFlag(FLAGS_address);
  options.port = absl::GetFlag(FLAGS_port);
  options.batcher.max_batch = absl::GetFlag(FLAGS_max_batch);
  options.batcher.max_queue_delay = absl::Microseconds(delay_us);
  options.batcher.workers = absl::GetFlag(FLAGS_batch_workers);
  options.batcher.max_queued_positions = absl::GetFlag(FLAGS_max_queued_positions);
  options.service.max_in_flight_per_stream = absl::GetFlag(FLAGS_max_in_flight_per_stream);
  options.service.board_size = board_size;
  options.service.security = *security;
  absl::StatusOr<bool> reflection =
      zf::ReflectionWanted(absl::GetFlag(FLAGS_reflection), security->has_token());
  if (!reflection.ok()) return Fail(std::string(reflection.status().message()));
  options.reflection = *reflection;
  // Metrics: batches from the batcher's workers, the rest sampled by a small thread.
  std::shared_ptr<prometheus::Registry> registry;
  std::unique_ptr<zf::InferenceMetricSet> inference_metrics;
  std::unique_ptr<zf::InferenceServerMetricSet> server_metrics;
  std::unique_ptr<zf::MetricsServer> metrics_server;
  if (metrics_port != 0) {
    registry = std::make_shared<prometheus::Registry>();
    inference_metrics = std::make_unique<zf::InferenceMetricSet>(registry);
    server_metrics = std::make_unique<zf::InferenceServerMetricSet>(registry);
    options.batcher.on_batch = [i = inference_metrics.get(), s = server_metrics.get()](
                                   int positions, double seconds, absl::Span<const double> waits) {
      i->ObserveBatch(positions, seconds);
      for (double w : waits) s->queue_wait_seconds.Observe(w);
    };
    absl::StatusOr<std::unique_ptr<zf::MetricsServer>> started = zf::MetricsServer::Start(
        zf::MetricsServerOptions{absl::GetFlag(FLAGS_metrics_address), metrics_port}, registry);
    if (!started.ok()) {
      return Fail(absl::StrCat("--metrics-port: ", started.status().message()));
    }
    metrics_server = *std::move(started);
  }
  absl::StatusOr<std::unique_ptr<zf::InferenceServer>> server =
      zf::InferenceServer::Start(*std::move(model), options);
  if (!server.ok()) return Fail(std::string(server.status().message()));

  std::printf("listening on %s:%d (%s, %s)\n", options.address.c_str(), (*server)->port(),
              (*server)->model_description().c_str(), zf::DescribeSecurity(*security).c_str());
  if (metrics_server != nullptr) std::printf("metrics: %s\n", metrics_server->url().c_str());
  std::fflush(stdout);

  std::unique_ptr<zf::ModelWatcher> watcher;
  if (!learner.empty()) {
    zf::ModelWatcherOptions watch;
    watch.learner = learner;
    watch.security = *security;
    watch.on_log = [](const std::string& line) {
      std::printf("%s\n", line.c_str());
      std::fflush(stdout);
    };
    if (server_metrics != nullptr) {
      watch.on_model = [s = server_metrics.get()](int64_t) { s->models_loaded.Increment(); };
    }
    absl::StatusOr<std::unique_ptr<zf::ModelWatcher>> started =
        zf::ModelWatcher::Start(watch, (*server)->torch_evaluator());
    if (!started.ok()) return Fail(std::string(started.status().message()));
    watcher = *std::move(started);
  }
  std::atomic<bool> done{false};
  std::thread sampler;
  if (server_metrics != nullptr) {
    sampler = std::thread([&] {
      while (!done.load()) {
        const zf::InferenceServiceStats stats = (*server)->service_stats();
        server_metrics->open_streams.Set(static_cast<double>(stats.open_streams));
        if (zf::TorchEvaluator* torch = (*server)->torch_evaluator(); torch != nullptr) {
          server_metrics->model_version.Set(static_cast<double>(torch->version()));
        }
        absl::SleepFor(absl::Milliseconds(500));
      }
    });
  }

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "zerofleet-inference-server: signal %d, shutting down\n", sig);
  watcher.reset();
  done = true;
  if (sampler.joinable()) sampler.join();
  (*server)->Shutdown();
  const zf::BatcherStats stats = (*server)->batcher_stats();
  std::fprintf(stderr, "zerofleet-inference-server: %lld positions in %lld batches (mean %.1f)\n",
               static_cast<long long>(stats.positions), static_cast<long long>(stats.batches),
               stats.mean_batch());
  return 0;
}
