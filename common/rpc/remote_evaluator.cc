#include "common/rpc/remote_evaluator.h"

#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/rpc/grpc_options.h"
#include "common/rpc/security.h"
#include "common/rpc/wire.h"

namespace zf {

using zerofleet::v1::EvaluateRequest;
using zerofleet::v1::EvaluateResponse;

absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  return absl::Status(code, absl::StrCat(context, ": ", absl::StatusCodeToString(code), ": ",
                                         status.error_message()));
}

namespace {

struct Pending {
  absl::Notification done;
  absl::Status status;  // set before `done`
  EvaluateResponse response;
};

}  // namespace

// One bidi stream, its pending calls and its reader thread. Thread-safe.
class RemoteEvaluator::Stream {
 public:
  Stream(zerofleet::v1::InferenceService::Stub* stub, std::string target)
      : target_(std::move(target)) {
    rw_ = stub->Evaluate(&ctx_);
    reader_ = std::thread([this] { ReadLoop(); });
  }
  ~Stream() {
    ctx_.TryCancel();
    if (reader_.joinable()) reader_.join();
  }

  bool broken() const {
    absl::MutexLock l(&mu_);
    return !broken_.ok();
  }

  // Registers `pending` under `id` and writes the request. False when the stream had already
  // failed and nothing was sent (the caller may retry on a new stream).
  bool Send(uint64_t id, const EvaluateRequest& request, const std::shared_ptr<Pending>& pending) {
    {
      absl::MutexLock l(&mu_);
      if (!broken_.ok()) return false;
      pending_[id] = pending;
    }
    absl::MutexLock w(&write_mu_);
    if (broken()) {
      Forget(id);
      return false;
    }
    if (!rw_->Write(request)) {
      // The reader sees the failure too and reports the stream's status to every caller.
      MarkBroken(
          absl::UnavailableError(absl::StrCat("inference server ", target_, ": stream closed")));
      ctx_.TryCancel();
    }
    return true;
  }

  absl::Status status() const {
    absl::MutexLock l(&mu_);
    return broken_;
  }

  // Gives up on `id` (timeout) and cancels the stream: it may be stuck.
  void Abandon(uint64_t id, const absl::Status& why) {
    Forget(id);
    MarkBroken(why);
    ctx_.TryCancel();
  }

 private:
  void Forget(uint64_t id) {
    absl::MutexLock l(&mu_);
    pending_.erase(id);
  }

  void MarkBroken(const absl::Status& why) {
    absl::MutexLock l(&mu_);
    if (broken_.ok()) broken_ = why;
  }

  void ReadLoop() {
    EvaluateResponse response;
    while (rw_->Read(&response)) {
      std::shared_ptr<Pending> p;
      {
        absl::MutexLock l(&mu_);
        auto it = pending_.find(response.request_id());
        if (it == pending_.end()) continue;  // its caller gave up
        p = std::move(it->second);
        pending_.erase(it);
      }
      p->response = std::move(response);
      response.Clear();
      p->done.Notify();
    }
    MarkBroken(
        absl::UnavailableError(absl::StrCat("inference server ", target_, ": stream ended")));
    grpc::Status status;
    {
      absl::MutexLock w(&write_mu_);  // Finish must not overlap a Write
      status = rw_->Finish();
    }
    absl::Status final_status = FromGrpcStatus(status, absl::StrCat("inference server ", target_));
    if (final_status.ok() || final_status.code() == absl::StatusCode::kCancelled) {
      // Closed, or cancelled by a server shutting down (whether the client sees that or a dead
      // connection is a race): the server is unavailable either way.
      final_status = absl::UnavailableError(absl::StrCat("inference server ", target_, ": stream ",
                                                         final_status.ok() ? "closed" : "cancelled",
                                                         " by the server"));
    }
    std::map<uint64_t, std::shared_ptr<Pending>> failed;
    {
      absl::MutexLock l(&mu_);
      broken_ = final_status;
      failed.swap(pending_);
    }
    for (auto& [id, p] : failed) {
      p->status = final_status;
      p->done.Notify();
    }
  }

  const std::string target_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<EvaluateRequest, EvaluateResponse>> rw_;
  absl::Mutex write_mu_;  // one Write at a time (gRPC allows one writer and one reader)
  mutable absl::Mutex mu_;
  std::map<uint64_t, std::shared_ptr<Pending>> pending_ ABSL_GUARDED_BY(mu_);
  absl::Status broken_ ABSL_GUARDED_BY(mu_);  // not OK once the stream failed
  std::thread reader_;                        // last: starts after everything else exists
};

absl::StatusOr<std::unique_ptr<RemoteEvaluator>> RemoteEvaluator::Create(
    const RemoteEvaluatorOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("no inference server address");
  if (options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("request timeout must be positive");
  }
  return std::unique_ptr<RemoteEvaluator>(new RemoteEvaluator(options));
}

RemoteEvaluator::RemoteEvaluator(const RemoteEvaluatorOptions& options)
    : options_(options),
      channel_(MakeSecureChannel(options.target, options.security)),
      stub_(zerofleet::v1::InferenceService::NewStub(channel_)) {}

RemoteEvaluator::~RemoteEvaluator() {
  std::shared_ptr<Stream> s;
  {
    absl::MutexLock l(&mu_);
    s = std::move(stream_);
  }
  s.reset();  // cancels and joins (callers are gone, so this is the last reference)
}

std::shared_ptr<RemoteEvaluator::Stream> RemoteEvaluator::GetStream() {
  std::shared_ptr<Stream> old;
  std::shared_ptr<Stream> current;
  {
    absl::MutexLock l(&mu_);
    if (stream_ == nullptr || stream_->broken()) {
      old = std::move(stream_);
      stream_ = std::make_shared<Stream>(stub_.get(), options_.target);
      ++stats_.streams_opened;
    }
    current = stream_;
  }
  old.reset();  // outside mu_: may join the old reader thread
  return current;
}

absl::Status RemoteEvaluator::Evaluate(absl::Span<const EncodedPosition> batch,
                                       absl::Span<float> policy, absl::Span<float> value) {
  if (absl::Status s = CheckEvaluateArgs(batch, policy, value); !s.ok()) return s;
  if (batch.empty()) return absl::OkStatus();
  const EncodedPosition& first = batch[0];
  EvaluateRequest request;
  const uint64_t id = next_id_.fetch_add(1);
  request.set_request_id(id);
  request.set_board_size(first.size);
  request.set_win_length(first.win_length);
  request.set_rule(static_cast<zerofleet::v1::Rule>(first.rule));
  request.set_count(static_cast<uint32_t>(batch.size()));
  std::string* packed = request.mutable_positions();
  packed->reserve(batch.size() * PackedPositionBytes(first.size));
  for (const EncodedPosition& p : batch) {
    if (p.win_length != first.win_length || p.rule != first.rule) {
      return absl::InvalidArgumentError("batch mixes rules");
    }
    AppendPackedPosition(p, packed);
  }

  // A stream that failed before our write gets one retry on a new stream: nothing was sent.
  std::shared_ptr<Pending> pending;
  std::shared_ptr<Stream> stream;
  bool sent = false;
  for (int attempt = 0; attempt < 2 && !sent; ++attempt) {
    pending = std::make_shared<Pending>();  // a fresh one: the old may have been failed
    stream = GetStream();
    sent = stream->Send(id, request, pending);
  }
  if (!sent) return stream->status();
  if (!pending->done.WaitForNotificationWithTimeout(options_.request_timeout)) {
    absl::Status why = absl::DeadlineExceededError(
        absl::StrCat("inference server ", options_.target, ": no answer within ",
                     absl::FormatDuration(options_.request_timeout)));
    stream->Abandon(id, why);
    return why;
  }
  if (!pending->status.ok()) return pending->status;
  const EvaluateResponse& r = pending->response;
  if (r.error().code() != 0) {
    return absl::Status(
        static_cast<absl::StatusCode>(r.error().code()),
        absl::StrCat("inference server ", options_.target, ": ", r.error().message()));
  }
  const size_t points = size_t{first.size} * first.size;
  if (r.value_size() != static_cast<int>(batch.size())) {
    return absl::InternalError(absl::StrCat("inference server ", options_.target, ": ",
                                            r.value_size(), " values for ", batch.size(),
                                            " positions"));
  }
  if (absl::Status s = DecodeHalfs(r.policy(), policy.subspan(0, batch.size() * points)); !s.ok()) {
    return absl::InternalError(
        absl::StrCat("inference server ", options_.target, ": bad policy: ", s.message()));
  }
  for (size_t i = 0; i < batch.size(); ++i) value[i] = r.value(static_cast<int>(i));
  last_version_.store(r.model_version());
  {
    absl::MutexLock l(&mu_);
    ++stats_.requests;
    stats_.positions += static_cast<int64_t>(batch.size());
    stats_.bytes_sent += static_cast<int64_t>(request.ByteSizeLong());
    stats_.bytes_received += static_cast<int64_t>(r.ByteSizeLong());
  }
  return absl::OkStatus();
}

RemoteEvaluatorStats RemoteEvaluator::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

}  // namespace zf
