// InferenceServer: a running zerofleet-inference-server (gRPC server + batcher + evaluator),
// and the evaluator it serves. Implemented in inference_server.cc. Tests and the thin main
// (main.cc) both use it.
//
// Ownership: InferenceServer owns the evaluator, the batcher and the service; destruction
// shuts the gRPC server down first (no new requests), then stops the batcher.
#ifndef ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVER_H_
#define ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/nn/torch_evaluator.h"
#include "common/search/evaluator.h"
#include "inference_server/dynamic_batcher.h"
#include "inference_server/inference_service.h"

namespace zf {

// What the server evaluates with.
struct ServedModelOptions {
  bool null_model = false;    // uniform policy, value 0, no LibTorch (transport benchmark)
  std::string model_path;     // a model file (common/nn/model_file.h); else random init of `net`
  std::string net = "small";  // preset for the random-init model
  uint64_t seed = 1;          // random init seed
  std::string device = "auto";
};

struct ServedModel {
  std::unique_ptr<Evaluator> evaluator;
  std::function<int64_t()> version;  // thread-safe
  std::string description;           // "null model", "small random init", "model.zfnn v12 (...)"
  TorchEvaluator* torch = nullptr;   // `evaluator` when it is one (models can be swapped in)
};

// Builds the evaluator. Errors name the file or flag at fault. Thread-safe.
absl::StatusOr<ServedModel> LoadServedModel(const ServedModelOptions& options);

struct InferenceServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: the system picks one; read it back with port()
  DynamicBatcherOptions batcher;
  InferenceServiceOptions service;  // max_positions_per_request is set to batcher.max_batch
  bool reflection = false;          // grpc.reflection (answers callers without a token)
};

class InferenceServer {
 public:
  // Starts serving `model` (health SERVING once this returns). Thread-safe.
  static absl::StatusOr<std::unique_ptr<InferenceServer>> Start(
      ServedModel model, const InferenceServerOptions& options);
  ~InferenceServer();  // Shutdown()

  int port() const { return port_; }  // Thread-safe.
  // Stops accepting calls, ends open streams (waiting at most `grace`), stops the batcher.
  // Thread-safe; idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(2));
  // Blocks until Shutdown. Thread-safe.
  void Wait();

  BatcherStats batcher_stats() const { return batcher_->stats(); }           // Thread-safe.
  InferenceServiceStats service_stats() const { return service_->stats(); }  // Thread-safe.
  // Thread-safe (fixed at start).
  const std::string& model_description() const { return model_.description; }
  // The swappable evaluator (null for the null model). Thread-safe.
  TorchEvaluator* torch_evaluator() const { return model_.torch; }

 private:
  explicit InferenceServer(ServedModel model) : model_(std::move(model)) {}

  ServedModel model_;
  std::unique_ptr<DynamicBatcher> batcher_;
  std::unique_ptr<InferenceServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace zf

#endif  // ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVER_H_
