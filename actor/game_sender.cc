#include "actor/game_sender.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/remote_evaluator.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;

// A retryable ack error means "try again later" (storage trouble, shutting down); anything
// else means the request itself is bad and re-sending it cannot help.
bool RetryableAckError(int code) {
  return IsRetryable(absl::Status(static_cast<absl::StatusCode>(code), ""));
}

}  // namespace

GameSender::GameSender(const GameSenderOptions& options)
    : options_(options),
      channel_(MakeSecureChannel(options.learner, options.security)),
      stub_(v1::LearnerService::NewStub(channel_)) {
  thread_ = std::thread([this] { Loop(); });
}

GameSender::~GameSender() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  stop_flag_ = true;
  thread_.join();
}

void GameSender::Log(const std::string& line) const {
  if (options_.on_log) options_.on_log(line);
}

void GameSender::Enqueue(v1::Game game) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(game));
}

int64_t GameSender::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(queue_.size()) + in_progress_;
}

bool GameSender::Drain(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && in_progress_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&empty), timeout);
}

absl::Status GameSender::Send(const std::vector<v1::Game>& batch) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(options_.rpc_timeout));
  std::unique_ptr<grpc::ClientReaderWriter<v1::SubmitGamesRequest, v1::SubmitGamesAck>> stream =
      stub_->SubmitGames(&context);
  v1::SubmitGamesRequest request;
  request.set_actor_id(options_.actor_id);
  for (const v1::Game& game : batch) *request.add_games() = game;
  v1::SubmitGamesAck ack;
  const bool sent = stream->Write(request) && stream->WritesDone() && stream->Read(&ack);
  if (!sent) {
    context.TryCancel();
    return FromGrpcStatus(stream->Finish(), absl::StrCat("learner ", options_.learner));
  }
  grpc::Status finish = stream->Finish();
  if (ack.has_error() && ack.error().code() != 0) {
    return absl::Status(
        static_cast<absl::StatusCode>(ack.error().code()),
        absl::StrCat("learner refused ", batch.size(), " games: ", ack.error().message()));
  }
  if (ack.game_ids_size() != static_cast<int>(batch.size())) {
    return absl::UnavailableError(
        absl::StrCat("learner acked ", ack.game_ids_size(), " of ", batch.size(), " games"));
  }
  (void)finish;  // the ack is what counts; a late stream error changes nothing stored
  return absl::OkStatus();
}

void GameSender::Loop() {
  Backoff backoff(options_.backoff, options_.seed);
  while (true) {
    std::vector<v1::Game> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      if (stop_) return;
      while (!queue_.empty() && static_cast<int>(batch.size()) < options_.games_per_request) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_progress_ = static_cast<int64_t>(batch.size());
    }
    if (batch.empty()) continue;
    absl::Status status = Send(batch);
    bool keep = false;
    if (status.ok()) {
      acked_ += static_cast<int64_t>(batch.size());
      backoff.Reset();
    } else if (RetryableAckError(static_cast<int>(status.code()))) {
      ++failures_;
      keep = true;
    } else {
      ++failures_;
      Log(absl::StrCat("dropping ", batch.size(), " games: ", status.message()));
    }
    absl::Duration wait;
    {
      absl::MutexLock lock(&mu_);
      if (keep) {  // back to the front, in order, for the next attempt
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
      }
      in_progress_ = 0;
    }
    if (keep) {
      wait = backoff.Next();
      if (backoff.attempt() == 1 || backoff.attempt() % 10 == 0) {
        Log(absl::StrCat("submitting games failed (", status.message(), "); retrying in ",
                         absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
      }
      SleepUnlessStopped(wait, &stop_flag_);
    }
  }
}

}  // namespace zf
