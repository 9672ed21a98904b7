// ModelWatcher: keeps an inference server's model current by following the learner's
// WatchModel stream. Implemented in model_watcher.cc.
//
//   learner ══ WatchModel(have = -1 at start, then the version held) ══▶ chunks of version v
//     assemble ──▶ check indices, size, sha256 ──▶ DeserializeModel ──▶ TorchEvaluator::SetModel
//
// SetModel swaps between batches (a batch in progress keeps the model it started with), so no
// request fails or is dropped and every result carries the version that computed it. A
// broken stream or a bad model is logged and the watcher reconnects with backoff; until then
// the server keeps serving the model it has (at start: its own random init).
// Thread-safe: stats(); the rest runs on the watcher's own thread.
#ifndef ZEROFLEET_INFERENCE_SERVER_MODEL_WATCHER_H_
#define ZEROFLEET_INFERENCE_SERVER_MODEL_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/nn/torch_evaluator.h"
#include "common/rpc/backoff.h"
#include "common/rpc/security.h"

namespace zf {

struct ModelWatcherOptions {
  std::string learner;  // "host:port"
  RpcSecurity security;
  BackoffOptions backoff;
  // A watch call is re-opened after this long (every call has a deadline); keepalive notices
  // a dead learner much sooner.
  absl::Duration stream_deadline = absl::Minutes(30);
  std::function<void(const std::string& line)> on_log;
  // After each model is loaded (for metrics).
  std::function<void(int64_t version)> on_model;
};

struct ModelWatcherStats {
  std::atomic<int64_t> models_loaded{0};
  std::atomic<int64_t> rejected{0};  // failed the size or sha256 check, or did not load
  std::atomic<int64_t> reconnects{0};
};

class ModelWatcher {
 public:
  // Starts following at once. `evaluator` must outlive the watcher.
  static absl::StatusOr<std::unique_ptr<ModelWatcher>> Start(const ModelWatcherOptions& options,
                                                             TorchEvaluator* evaluator);
  ~ModelWatcher();  // stops and joins

  const ModelWatcherStats& stats() const { return stats_; }

 private:
  ModelWatcher(const ModelWatcherOptions& options, TorchEvaluator* evaluator)
      : options_(options), evaluator_(evaluator) {}
  void Loop();
  struct ChunkAssembly;
  // One WatchModel call until it ends; the status says why.
  absl::Status WatchOnce(int64_t have_version);
  // Checks a complete version (size, sha256, a loadable model) and hands it to the evaluator.
  absl::Status Install(const ChunkAssembly& assembly);
  void Log(const std::string& line) const;

  const ModelWatcherOptions options_;
  TorchEvaluator* const evaluator_;
  ModelWatcherStats stats_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> have_learner_model_{false};
  absl::Mutex mu_;
  grpc::ClientContext* live_call_ ABSL_GUARDED_BY(mu_) = nullptr;  // cancelled on stop
  std::thread thread_;
};

}  // namespace zf

#endif  // ZEROFLEET_INFERENCE_SERVER_MODEL_WATCHER_H_
