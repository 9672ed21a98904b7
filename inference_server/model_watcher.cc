#include "inference_server/model_watcher.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/nn/model_file.h"
#include "common/rpc/remote_evaluator.h"
#include "zerofleet/v1/learner.grpc.pb.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;

constexpr uint64_t kMaxModelBytes = uint64_t{1} << 30;

}  // namespace

absl::StatusOr<std::unique_ptr<ModelWatcher>> ModelWatcher::Start(
    const ModelWatcherOptions& options, TorchEvaluator* evaluator) {
  if (options.learner.empty()) return absl::InvalidArgumentError("--learner: no address given");
  if (evaluator == nullptr) {
    return absl::InvalidArgumentError("--learner needs a network model (not --null-model)");
  }
  std::unique_ptr<ModelWatcher> watcher(new ModelWatcher(options, evaluator));
  watcher->thread_ = std::thread([w = watcher.get()] { w->Loop(); });
  return watcher;
}

ModelWatcher::~ModelWatcher() {
  stop_ = true;
  {
    absl::MutexLock lock(&mu_);
    if (live_call_ != nullptr) live_call_->TryCancel();
  }
  thread_.join();
}

void ModelWatcher::Log(const std::string& line) const {
  if (options_.on_log) options_.on_log(line);
}

void ModelWatcher::Loop() {
  Backoff backoff(options_.backoff, static_cast<uint64_t>(absl::GetCurrentTimeNanos()));
  while (!stop_.load()) {
    // -1 at first: the learner's current model replaces our random init whatever its number.
    const int64_t have = have_learner_model_.load() ? evaluator_->version() : -1;
    const int64_t loaded_before = stats_.models_loaded.load();
    absl::Status status = WatchOnce(have);
    if (stop_.load()) return;
    if (stats_.models_loaded.load() > loaded_before) backoff.Reset();
    ++stats_.reconnects;
    const absl::Duration wait = backoff.Next();
    if (backoff.attempt() == 1 || backoff.attempt() % 10 == 0) {
      Log(absl::StrCat("model watch: ", status.message(), "; reconnecting in ",
                       absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
    }
    SleepUnlessStopped(wait, &stop_);
  }
}

// One model version put together from its chunks, which arrive in order.
struct ModelWatcher::ChunkAssembly {
  v1::ModelChunk header;  // the version's first chunk, without its data
  std::string bytes;
  uint32_t next_index = 0;

  // Adds one chunk; true when it was the version's last. A chunk out of sequence, or a version
  // over the size limit, is an error.
  absl::StatusOr<bool> Add(const v1::ModelChunk& chunk) {
    if (chunk.chunk_index() == 0) {  // a new version starts
      header = chunk;
      header.clear_data();
      bytes.clear();
      next_index = 0;
      if (chunk.total_bytes() > kMaxModelBytes || chunk.total_chunks() == 0) {
        return absl::DataLossError(absl::StrCat("model v", chunk.version(), ": ",
                                                chunk.total_bytes(), " bytes in ",
                                                chunk.total_chunks(), " chunks"));
      }
      bytes.reserve(chunk.total_bytes());
    }
    if (chunk.chunk_index() != next_index || chunk.version() != header.version() ||
        chunk.sha256() != header.sha256() || chunk.total_chunks() != header.total_chunks()) {
      return absl::DataLossError(absl::StrCat("model chunk ", chunk.chunk_index(), " of v",
                                              chunk.version(), " out of sequence"));
    }
    ++next_index;
    bytes += chunk.data();
    return chunk.chunk_index() + 1 >= chunk.total_chunks();
  }
};

absl::Status ModelWatcher::Install(const ChunkAssembly& assembly) {
  const v1::ModelChunk& header = assembly.header;
  if (assembly.bytes.size() != header.total_bytes() ||
      Sha256Hex(assembly.bytes) != header.sha256()) {
    ++stats_.rejected;
    return absl::DataLossError(
        absl::StrCat("model v", header.version(), ": size or sha256 does not match; ignored"));
  }
  absl::StatusOr<LoadedModel> model =
      DeserializeModel(assembly.bytes, absl::StrCat("model v", header.version()));
  if (!model.ok()) {
    ++stats_.rejected;
    return model.status();
  }
  evaluator_->SetModel(model->net, header.version());
  if (absl::Status s = evaluator_->set_model_status(); !s.ok()) {
    ++stats_.rejected;
    return s;
  }
  have_learner_model_ = true;
  ++stats_.models_loaded;
  Log(absl::StrCat("model v", header.version(), " loaded (sha256 ", header.sha256().substr(0, 12),
                   ", ", model->config.blocks, "x", model->config.channels, ")"));
  if (options_.on_model) options_.on_model(header.version());
  return absl::OkStatus();
}

absl::Status ModelWatcher::WatchOnce(int64_t have_version) {
  auto stub = v1::LearnerService::NewStub(MakeSecureChannel(options_.learner, options_.security));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(options_.stream_deadline));
  {
    absl::MutexLock lock(&mu_);
    if (stop_.load()) return absl::CancelledError("stopped");
    live_call_ = &context;
  }
  v1::WatchModelRequest request;
  request.set_have_version(have_version);
  std::unique_ptr<grpc::ClientReader<v1::ModelChunk>> reader = stub->WatchModel(&context, request);
  v1::ModelChunk chunk;
  ChunkAssembly assembly;
  absl::Status problem;
  while (reader->Read(&chunk)) {
    absl::StatusOr<bool> complete = assembly.Add(chunk);
    if (!complete.ok()) {
      problem = complete.status();
      break;
    }
    if (!*complete) continue;
    problem = Install(assembly);
    if (!problem.ok()) break;
    assembly.bytes.clear();
  }
  if (!problem.ok()) context.TryCancel();
  grpc::Status status = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    live_call_ = nullptr;
  }
  if (!problem.ok()) return problem;
  if (status.ok()) return absl::UnavailableError("learner ended the model stream");
  return FromGrpcStatus(status, absl::StrCat("learner ", options_.learner));
}

}  // namespace zf
