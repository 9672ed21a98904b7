#include "inference_server/inference_service.h"

#include <deque>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/game/rules.h"
#include "common/rpc/wire.h"

namespace zf {

using zerofleet::v1::EvaluateRequest;
using zerofleet::v1::EvaluateResponse;

// One client stream. Deletes itself when gRPC is done with it (OnDone) and no batcher
// callback still refers to it (refs_). Thread-safe.
class InferenceServiceImpl::Reactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit Reactor(InferenceServiceImpl* service) : service_(service) { StartRead(&read_buf_); }

  void OnReadDone(bool ok) override {
    // Not ok: the client half-closed, cancelled or the connection broke. Unparseable: the
    // client and this server disagree on the protocol; what follows cannot be trusted either.
    grpc::Status end = grpc::Status::OK;
    if (ok &&
        !grpc::SerializationTraits<EvaluateRequest>::Deserialize(&read_buf_, &request_).ok()) {
      end = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                         absl::StrCat("message ", messages_ + 1,
                                      " on this stream is not an EvaluateRequest; the stream "
                                      "ends here (the requests before it are answered)"));
      ok = false;
    }
    if (!ok) {
      bool finish;
      {
        absl::MutexLock l(&mu_);
        reads_done_ = true;
        end_status_ = std::move(end);
        finish = ShouldFinishLocked();
      }
      if (finish) FinishStream();
      return;
    }
    ++messages_;
    Handle();
    bool read_more;
    {
      absl::MutexLock l(&mu_);
      read_more = !Saturated();
      read_paused_ = !read_more;
    }
    if (read_more) StartRead(&read_buf_);
  }

  void OnWriteDone(bool ok) override {
    const grpc::ByteBuffer* next = nullptr;
    bool resume_read = false;
    bool finish = false;
    bool abandon = false;
    {
      absl::MutexLock l(&mu_);
      service_->Release(queue_.front().reserved);
      queue_.pop_front();
      if (!ok) {  // the client is gone; drop what is queued
        broken_ = true;
        for (const Pending& p : queue_) service_->Release(p.reserved);
        queue_.clear();
      }
      abandon = !ok;
      if (!queue_.empty()) {
        next = &queue_.front().bytes;
      } else {
        writing_ = false;
      }
      resume_read = ResumeReadLocked();
      finish = ShouldFinishLocked();
    }
    if (abandon) Abandon();
    if (next != nullptr) StartWrite(next);
    if (resume_read) StartRead(&read_buf_);
    if (finish) FinishStream();  // last: nothing may touch `this` after it
  }

  // The client went away (or the server is past its shutdown grace): its queued requests are
  // dropped before they reach the network.
  void OnCancel() override { Abandon(); }

  void OnDone() override {
    service_->open_streams_.fetch_sub(1, std::memory_order_relaxed);
    Unref();
  }

 private:
  // Validates request_, then submits it or queues an error response.
  void Handle() {
    const EvaluateRequest& req = request_;
    const uint64_t id = req.request_id();
    service_->requests_.fetch_add(1, std::memory_order_relaxed);
    absl::Status bad = Check(req);
    std::vector<EncodedPosition> positions;
    Rules rules;
    if (bad.ok()) {
      rules = Rules{static_cast<int>(req.board_size()), static_cast<int>(req.win_length()),
                    static_cast<Rule>(req.rule())};
      positions.resize(req.count());
      bad = UnpackPositions(req.positions(), rules, static_cast<int>(req.count()),
                            absl::MakeSpan(positions));
    }
    // The response's bytes are reserved until it is written: unread responses of all streams
    // together stay under the service's limit.
    const int64_t reserved =
        bad.ok() ? static_cast<int64_t>(req.count()) * (rules.size * rules.size * 2 + 4) + 64 : 0;
    if (bad.ok() && !service_->Reserve(reserved)) {
      bad = absl::ResourceExhaustedError(
          absl::StrCat("the server holds ", service_->buffered_bytes_.load() >> 20,
                       " MiB of responses not yet read by their clients (limit ",
                       service_->options_.max_buffered_response_bytes >> 20, " MiB); retry later"));
    }
    if (!bad.ok()) {
      service_->rejected_.fetch_add(1, std::memory_order_relaxed);
      EvaluateResponse r;
      r.set_request_id(id);
      r.mutable_error()->set_code(static_cast<int>(bad.code()));
      r.mutable_error()->set_message(std::string(bad.message()));
      Enqueue(r);
      return;
    }
    refs_.fetch_add(1);
    {
      absl::MutexLock l(&mu_);
      ++in_flight_;
    }
    service_->batcher_->Submit(
        std::move(positions),
        [this, id, reserved](const absl::Status& status, absl::Span<const float> policy,
                             absl::Span<const float> value, int64_t version) {
          EvaluateResponse r;
          r.set_request_id(id);
          r.set_model_version(version);
          if (status.ok()) {
            AppendHalfs(policy, r.mutable_policy());
            r.mutable_value()->Add(value.begin(), value.end());
          } else {
            r.mutable_error()->set_code(static_cast<int>(status.code()));
            r.mutable_error()->set_message(std::string(status.message()));
          }
          Enqueue(r, /*answered=*/true, reserved);
          Unref();
        },
        cancelled_);
  }

  absl::Status Check(const EvaluateRequest& req) const {
    const InferenceServiceOptions& o = service_->options_;
    if (req.board_size() > static_cast<uint32_t>(kMaxBoardSize) ||
        req.win_length() > static_cast<uint32_t>(kMaxBoardSize) || req.rule() < 0 ||
        req.rule() > static_cast<int>(Rule::kStandard)) {
      return absl::InvalidArgumentError(absl::StrCat("unsupported rules: board size ",
                                                     req.board_size(), ", win length ",
                                                     req.win_length(), ", rule ", req.rule()));
    }
    const Rules rules{static_cast<int>(req.board_size()), static_cast<int>(req.win_length()),
                      static_cast<Rule>(req.rule())};
    if (absl::Status s = ValidateRules(rules); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("unsupported rules: ", s.message()));
    }
    if (o.board_size > 0 && rules.size != o.board_size) {
      return absl::InvalidArgumentError(absl::StrCat("wrong board size ", rules.size,
                                                     ": this server serves ", o.board_size, "x",
                                                     o.board_size));
    }
    if (req.count() == 0) return absl::InvalidArgumentError("empty batch (count 0)");
    if (req.count() > static_cast<uint32_t>(o.max_positions_per_request)) {
      return absl::ResourceExhaustedError(absl::StrCat("batch of ", req.count(),
                                                       " positions exceeds the limit of ",
                                                       o.max_positions_per_request));
    }
    return absl::OkStatus();
  }

  // Queues `response` for writing; `reserved` bytes are released once it is written or dropped.
  void Enqueue(const EvaluateResponse& response, bool answered = false, int64_t reserved = 0) {
    grpc::ByteBuffer bytes;
    bool own = false;
    const bool serialized =
        grpc::SerializationTraits<EvaluateResponse>::Serialize(response, &bytes, &own).ok();
    const grpc::ByteBuffer* start = nullptr;
    bool resume_read = false;
    bool finish = false;
    {
      absl::MutexLock l(&mu_);
      if (answered) --in_flight_;
      if (serialized && !broken_ && !finish_called_) {
        queue_.push_back(Pending{std::move(bytes), reserved});  // &front() stays valid
        reserved = 0;
        if (!writing_) {
          writing_ = true;
          start = &queue_.front().bytes;
        }
      }
      resume_read = ResumeReadLocked();
      finish = ShouldFinishLocked();
    }
    service_->Release(reserved);  // not queued
    if (start != nullptr) StartWrite(start);
    if (resume_read) StartRead(&read_buf_);
    if (finish) FinishStream();
  }

  // After ShouldFinishLocked said so; end_status_ is no longer written then.
  void FinishStream() {
    grpc::Status status;
    {
      absl::MutexLock l(&mu_);
      status = end_status_;
    }
    Finish(std::move(status));
  }

  bool Saturated() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ + static_cast<int64_t>(queue_.size()) >=
           service_->options_.max_in_flight_per_stream;
  }

  // True (and clears the pause) when reading should start again.
  bool ResumeReadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!read_paused_ || reads_done_ || Saturated()) return false;
    read_paused_ = false;
    return true;
  }

  // True once, when everything read has been answered and written: the caller then calls
  // Finish outside mu_ (OnDone may run inside Finish on this thread).
  bool ShouldFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_called_ || !reads_done_ || in_flight_ > 0 || writing_) return false;
    finish_called_ = true;
    return true;
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  void Abandon() {
    if (!cancelled_->exchange(true)) service_->batcher_->CancelledSome();
  }

  InferenceServiceImpl* const service_;
  grpc::ByteBuffer read_buf_;  // read target; touched only between StartRead and OnReadDone
  EvaluateRequest request_;    // read_buf_ parsed, in OnReadDone
  int64_t messages_ = 0;       // parsed so far (OnReadDone only)
  std::atomic<int> refs_{1};   // gRPC's (dropped in OnDone) + one per request in the batcher
  // Set once the client is gone; the batcher drops this stream's queued requests then.
  const std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
  absl::Mutex mu_;
  struct Pending {
    grpc::ByteBuffer bytes;
    int64_t reserved = 0;  // released to the service once written or dropped
  };
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);  // front() is being written
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_status_ ABSL_GUARDED_BY(mu_);  // OK, or why reading stopped early
};

InferenceServiceImpl::InferenceServiceImpl(DynamicBatcher* batcher,
                                           const InferenceServiceOptions& options)
    : batcher_(batcher), options_(options) {}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* InferenceServiceImpl::Evaluate(
    grpc::CallbackServerContext* context) {
  if (grpc::Status s =
          AuthorizeCall(*context, options_.security, "/zerofleet.v1.InferenceService/Evaluate");
      !s.ok()) {
    return new FinishedBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>(std::move(s));
  }
  streams_.fetch_add(1, std::memory_order_relaxed);
  open_streams_.fetch_add(1, std::memory_order_relaxed);
  return new Reactor(this);
}

bool InferenceServiceImpl::Reserve(int64_t bytes) {
  int64_t held = buffered_bytes_.load();
  do {
    // Alone, one request may pass any limit (else a tiny limit would refuse everything).
    if (held > 0 && held + bytes > options_.max_buffered_response_bytes) return false;
  } while (!buffered_bytes_.compare_exchange_weak(held, held + bytes));
  return true;
}

void InferenceServiceImpl::Release(int64_t bytes) {
  if (bytes != 0) buffered_bytes_.fetch_sub(bytes);
}

InferenceServiceStats InferenceServiceImpl::stats() const {
  InferenceServiceStats s;
  s.streams = streams_.load();
  s.open_streams = open_streams_.load();
  s.requests = requests_.load();
  s.rejected = rejected_.load();
  s.buffered_response_bytes = buffered_bytes_.load();
  return s;
}

}  // namespace zf
