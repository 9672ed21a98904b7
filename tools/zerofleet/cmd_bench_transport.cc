// `zerofleet bench transport`: the transport ceiling of the distributed setup. An in-process
// zerofleet inference server with the null model (uniform policy, no network) listens on a
// loopback port; RemoteEvaluator clients (one gRPC stream each, several calls in flight per
// stream) send 15x15 leaf batches as actors do. Reports leaves/s and bytes per leaf each way
// (serialized messages; HTTP/2 framing adds a few bytes per message, not per leaf).
#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/game/game_state.h"
#include "common/rpc/remote_evaluator.h"
#include "common/util/progress.h"
#include "inference_server/inference_server.h"
#include "tools/zerofleet/bench_json.h"
#include "tools/zerofleet/cli.h"

namespace zf::cli {
namespace {

constexpr double kTransportTarget = 500000;  // leaves/s, the target on 2 cores

struct TransportFigure {
  int streams = 0;
  int in_flight = 0;  // calls in flight per stream
  int leaves = 0;     // positions per request
  double leaves_per_sec = 0;
  double request_bytes_per_leaf = 0;
  double response_bytes_per_leaf = 0;
  double mean_server_batch = 0;
  std::string error;
};

std::vector<EncodedPosition> MidgamePositions(int count) {
  std::mt19937_64 rng(5);
  std::vector<EncodedPosition> out;
  int16_t legal[kMaxPoints];
  while (static_cast<int>(out.size()) < count) {
    GameState state(Rules{15, 5, Rule::kFreestyle});
    const int moves = 10 + static_cast<int>(rng() % 40);
    for (int i = 0; i < moves && !state.IsTerminal(); ++i) {
      state.PlayUnchecked(legal[rng() % state.LegalMoves(absl::MakeSpan(legal))]);
    }
    out.push_back(Encode(state));
  }
  return out;
}

// An in-process inference server with the null model: the transport without a network.
absl::StatusOr<std::unique_ptr<InferenceServer>> StartNullServer(int leaves) {
  ServedModelOptions model_options;
  model_options.null_model = true;
  absl::StatusOr<ServedModel> model = LoadServedModel(model_options);
  if (!model.ok()) return model.status();
  InferenceServerOptions options;
  options.batcher.max_batch = 4 * leaves;
  options.batcher.max_queue_delay = absl::Microseconds(200);
  return InferenceServer::Start(*std::move(model), options);
}

// Serialized bytes per leaf each way, over all the clients' calls.
void CountBytes(const std::vector<std::unique_ptr<RemoteEvaluator>>& clients, TransportFigure& f) {
  int64_t sent = 0, received = 0, leaves_total = 0;
  for (const auto& c : clients) {
    const RemoteEvaluatorStats st = c->stats();
    sent += st.bytes_sent;
    received += st.bytes_received;
    leaves_total += st.positions;
  }
  if (leaves_total > 0) {
    f.request_bytes_per_leaf = static_cast<double>(sent) / leaves_total;
    f.response_bytes_per_leaf = static_cast<double>(received) / leaves_total;
  }
}

TransportFigure MeasureTransport(int streams, int in_flight, int leaves, double seconds) {
  TransportFigure f;
  f.streams = streams;
  f.in_flight = in_flight;
  f.leaves = leaves;
  absl::StatusOr<std::unique_ptr<InferenceServer>> server = StartNullServer(leaves);
  if (!server.ok()) {
    f.error = std::string(server.status().message());
    return f;
  }
  std::vector<std::unique_ptr<RemoteEvaluator>> clients;
  for (int s = 0; s < streams; ++s) {
    RemoteEvaluatorOptions o;
    o.target = absl::StrCat("127.0.0.1:", (*server)->port());
    clients.push_back(*RemoteEvaluator::Create(o));
  }
  const std::vector<EncodedPosition> batch = MidgamePositions(leaves);
  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<int64_t> positions{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int s = 0; s < streams; ++s) {
    for (int t = 0; t < in_flight; ++t) {
      threads.emplace_back([&, s] {
        std::vector<float> policy(batch.size() * 225), value(batch.size());
        while (!stop.load()) {
          if (!clients[s]->Evaluate(batch, absl::MakeSpan(policy), absl::MakeSpan(value)).ok()) {
            failures.fetch_add(1);
            return;
          }
          if (measuring.load()) positions.fetch_add(static_cast<int64_t>(batch.size()));
        }
      });
    }
  }
  absl::SleepFor(absl::Milliseconds(300));  // warm up: connections, allocations
  const BatcherStats before = (*server)->batcher_stats();
  measuring = true;
  const absl::Time start = absl::Now();
  absl::SleepFor(absl::Seconds(seconds));
  measuring = false;
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const BatcherStats after = (*server)->batcher_stats();
  stop = true;
  for (std::thread& t : threads) t.join();
  if (failures.load() > 0) f.error = "some evaluations failed";
  f.leaves_per_sec = static_cast<double>(positions.load()) / elapsed;
  CountBytes(clients, f);
  const int64_t batches = after.batches - before.batches;
  if (batches > 0) {
    f.mean_server_batch = static_cast<double>(after.positions - before.positions) / batches;
  }
  clients.clear();
  (*server)->Shutdown();
  return f;
}

}  // namespace

int BenchTransport(double seconds, bool json) {
  std::vector<TransportFigure> figures;
  Progress progress;
  for (const auto& [streams, in_flight] :
       std::vector<std::pair<int, int>>{{1, 2}, {2, 2}, {4, 2}}) {
    if (!json && progress.is_tty()) {  // a transient line; logs get only the table
      progress.Update(absl::StrFormat("measuring streams=%d in_flight=%d...", streams, in_flight),
                      /*force=*/true);
    }
    figures.push_back(MeasureTransport(streams, in_flight, 256, seconds));
    if (!figures.back().error.empty()) {
      progress.Clear();
      return Fail(absl::StrCat("bench transport: ", figures.back().error));
    }
  }
  progress.Clear();
  if (json) {
    BenchJson j = {{"bench", "transport"},
                   {"board", 15},
                   {"model", "null"},
                   {"transport", "grpc loopback"},
                   {"target_leaves_per_sec", Whole(kTransportTarget)},
                   {"results", BenchJson::array()}};
    for (const auto& f : figures) {
      j["results"].push_back({{"streams", f.streams},
                              {"in_flight_per_stream", f.in_flight},
                              {"leaves_per_request", f.leaves},
                              {"leaves_per_sec", Whole(f.leaves_per_sec)},
                              {"request_bytes_per_leaf", Rounded(f.request_bytes_per_leaf, 1)},
                              {"response_bytes_per_leaf", Rounded(f.response_bytes_per_leaf, 1)},
                              {"mean_server_batch", Rounded(f.mean_server_batch, 1)}});
    }
    PrintJson(j);
    return 0;
  }
  std::printf(
      "transport: inference server with the null model over gRPC on loopback, 15x15, "
      "%u hardware threads\n\n",
      std::thread::hardware_concurrency());
  std::printf("%8s %10s %13s %12s %12s %12s %11s %10s\n", "streams", "in flight", "leaves/req",
              "leaves/s", "req B/leaf", "resp B/leaf", "srv batch", "vs target");
  for (const auto& f : figures) {
    std::printf("%8d %10d %13d %12.0f %12.1f %12.1f %11.1f %9.2fx\n", f.streams, f.in_flight,
                f.leaves, f.leaves_per_sec, f.request_bytes_per_leaf, f.response_bytes_per_leaf,
                f.mean_server_batch, f.leaves_per_sec / kTransportTarget);
  }
  std::printf("\ntarget: %.0f leaves/s; under 100 bytes per leaf requested, under 500 returned\n",
              kTransportTarget);
  return 0;
}

}  // namespace zf::cli
