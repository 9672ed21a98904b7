#include "inference_server/inference_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/nn/model_file.h"
#include "common/nn/network.h"
#include "common/nn/torch_evaluator.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/security.h"

namespace zf {

absl::StatusOr<ServedModel> LoadServedModel(const ServedModelOptions& options) {
  ServedModel served;
  if (options.null_model) {
    served.evaluator = std::make_unique<UniformEvaluator>();
    served.version = [] { return int64_t{0}; };
    served.description = "null model (uniform policy, value 0)";
    return served;
  }
  LoadedModel loaded;
  if (!options.model_path.empty()) {
    absl::StatusOr<LoadedModel> m = LoadModel(options.model_path);
    if (!m.ok()) return m.status();
    loaded = std::move(*m);
  } else {
    absl::StatusOr<NetConfig> config = NetConfigFromPreset(options.net);
    if (!config.ok()) return config.status();
    try {
      torch::manual_seed(options.seed);
      loaded.config = *config;
      loaded.net = PolicyValueNet(*config);
      loaded.net->eval();
    } catch (const std::exception& e) {
      return absl::InternalError(absl::StrCat("creating a ", options.net, " net: ", e.what()));
    }
  }
  TorchEvaluatorOptions topt;
  topt.device = options.device;
  absl::StatusOr<std::unique_ptr<TorchEvaluator>> torch_eval =
      TorchEvaluator::Create(loaded.net, loaded.version, topt);
  if (!torch_eval.ok()) return torch_eval.status();
  TorchEvaluator* raw = torch_eval->get();
  served.version = [raw] { return raw->version(); };
  served.torch = raw;
  served.description =
      absl::StrCat(options.model_path.empty()
                       ? absl::StrCat(options.net, " random init (seed ", options.seed, ")")
                       : absl::StrCat(options.model_path, " v", loaded.version),
                   ", ", loaded.config.blocks, "x", loaded.config.channels, " on ",
                   raw->device().str(), raw->bf16() ? " bf16" : " fp32");
  served.evaluator = std::move(*torch_eval);
  return served;
}

absl::StatusOr<std::unique_ptr<InferenceServer>> InferenceServer::Start(
    ServedModel model, const InferenceServerOptions& options) {
  if (model.evaluator == nullptr || !model.version) {
    return absl::InvalidArgumentError("inference server needs an evaluator");
  }
  if (absl::Status s = ValidateBatcherOptions(options.batcher); !s.ok()) return s;
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port ", options.port, " out of range"));
  }
  if (options.service.max_in_flight_per_stream < 1) {
    return absl::InvalidArgumentError("max in flight per stream must be at least 1");
  }
  std::unique_ptr<InferenceServer> server(new InferenceServer(std::move(model)));
  server->batcher_ = std::make_unique<DynamicBatcher>(server->model_.evaluator.get(),
                                                      server->model_.version, options.batcher);
  InferenceServiceOptions service_options = options.service;
  service_options.max_positions_per_request = options.batcher.max_batch;
  server->service_ =
      std::make_unique<InferenceServiceImpl>(server->batcher_.get(), service_options);

  absl::StatusOr<std::unique_ptr<grpc::Server>> grpc_server = StartGrpcServer(
      options.address, options.port, MakeServerCredentials(options.service.security),
      server->service_.get(), zerofleet::v1::InferenceService::service_full_name(), &server->port_,
      options.reflection);
  if (!grpc_server.ok()) {
    server->batcher_->Stop();
    return grpc_server.status();
  }
  server->server_ = *std::move(grpc_server);
  return server;
}

InferenceServer::~InferenceServer() { Shutdown(); }

void InferenceServer::Shutdown(absl::Duration grace) {
  absl::MutexLock l(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ != nullptr) {
    SetServing(server_.get(), zerofleet::v1::InferenceService::service_full_name(), false);
    server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  }
  if (batcher_ != nullptr) batcher_->Stop();
}

void InferenceServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace zf
