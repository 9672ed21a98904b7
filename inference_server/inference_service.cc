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
    : public grpc::ServerBidiReactor<EvaluateRequest, EvaluateResponse> {
 public:
  explicit Reactor(InferenceServiceImpl* service) : service_(service) { StartRead(&request_); }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client half-closed, cancelled or the connection broke
      bool finish;
      {
        absl::MutexLock l(&mu_);
        reads_done_ = true;
        finish = ShouldFinishLocked();
      }
      if (finish) Finish(grpc::Status::OK);
      return;
    }
    Handle();
    bool read_more;
    {
      absl::MutexLock l(&mu_);
      read_more = !Saturated();
      read_paused_ = !read_more;
    }
    if (read_more) StartRead(&request_);
  }

  void OnWriteDone(bool ok) override {
    const EvaluateResponse* next = nullptr;
    bool resume_read = false;
    bool finish = false;
    {
      absl::MutexLock l(&mu_);
      queue_.pop_front();
      if (!ok) {  // the client is gone; drop what is queued
        broken_ = true;
        queue_.clear();
      }
      if (!queue_.empty()) {
        next = &queue_.front();
      } else {
        writing_ = false;
      }
      resume_read = ResumeReadLocked();
      finish = ShouldFinishLocked();
    }
    if (next != nullptr) StartWrite(next);
    if (resume_read) StartRead(&request_);
    if (finish) Finish(grpc::Status::OK);  // last: nothing may touch `this` after it
  }

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
    if (!bad.ok()) {
      service_->rejected_.fetch_add(1, std::memory_order_relaxed);
      EvaluateResponse r;
      r.set_request_id(id);
      r.mutable_error()->set_code(static_cast<int>(bad.code()));
      r.mutable_error()->set_message(std::string(bad.message()));
      Enqueue(std::move(r));
      return;
    }
    refs_.fetch_add(1);
    {
      absl::MutexLock l(&mu_);
      ++in_flight_;
    }
    service_->batcher_->Submit(
        std::move(positions), [this, id](const absl::Status& status, absl::Span<const float> policy,
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
          Enqueue(std::move(r), /*answered=*/true);
          Unref();
        });
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

  void Enqueue(EvaluateResponse response, bool answered = false) {
    const EvaluateResponse* start = nullptr;
    bool resume_read = false;
    bool finish = false;
    {
      absl::MutexLock l(&mu_);
      if (answered) --in_flight_;
      if (!broken_ && !finish_called_) {
        queue_.push_back(std::move(response));  // deque: &front() stays valid on push_back
        if (!writing_) {
          writing_ = true;
          start = &queue_.front();
        }
      }
      resume_read = ResumeReadLocked();
      finish = ShouldFinishLocked();
    }
    if (start != nullptr) StartWrite(start);
    if (resume_read) StartRead(&request_);
    if (finish) Finish(grpc::Status::OK);
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

  InferenceServiceImpl* const service_;
  EvaluateRequest request_;   // read target; touched only between StartRead and OnReadDone
  std::atomic<int> refs_{1};  // gRPC's (dropped in OnDone) + one per request in the batcher
  absl::Mutex mu_;
  std::deque<EvaluateResponse> queue_ ABSL_GUARDED_BY(mu_);  // front() is being written
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
};

InferenceServiceImpl::InferenceServiceImpl(DynamicBatcher* batcher,
                                           const InferenceServiceOptions& options)
    : batcher_(batcher), options_(options) {}

grpc::ServerBidiReactor<EvaluateRequest, EvaluateResponse>* InferenceServiceImpl::Evaluate(
    grpc::CallbackServerContext* context) {
  if (grpc::Status s = AuthorizeCall(*context, options_.security,
                                     "/zerofleet.v1.InferenceService/Evaluate");
      !s.ok()) {
    return new FinishedBidiReactor<EvaluateRequest, EvaluateResponse>(std::move(s));
  }
  streams_.fetch_add(1, std::memory_order_relaxed);
  open_streams_.fetch_add(1, std::memory_order_relaxed);
  return new Reactor(this);
}

InferenceServiceStats InferenceServiceImpl::stats() const {
  InferenceServiceStats s;
  s.streams = streams_.load();
  s.open_streams = open_streams_.load();
  s.requests = requests_.load();
  s.rejected = rejected_.load();
  return s;
}

}  // namespace zf
