#include "actor/actor.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/rpc/remote_evaluator.h"
#include "common/rpc/run_config.h"
#include "zerofleet/v1/learner.grpc.pb.h"

namespace zf {
namespace {

namespace v1 = zerofleet::v1;

}  // namespace

absl::StatusOr<std::unique_ptr<Actor>> Actor::Create(const ActorOptions& options) {
  if (options.actor_id.empty()) return absl::InvalidArgumentError("actor id is empty");
  if (options.learner.empty()) return absl::InvalidArgumentError("--learner: no address given");
  if (options.inference.empty()) {
    return absl::InvalidArgumentError("--inference: no address given");
  }
  if (options.threads < 1 || options.threads > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads ", options.threads, " out of range: 1..64"));
  }
  if (options.parallel_games < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--parallel-games ", options.parallel_games, " is negative"));
  }
  std::unique_ptr<Actor> actor(new Actor(options));
  std::vector<std::unique_ptr<Evaluator>> backends;
  for (const std::string& target : options.inference) {
    RemoteEvaluatorOptions remote;
    remote.target = target;
    remote.request_timeout = options.rpc_timeout;
    remote.security = options.security;
    absl::StatusOr<std::unique_ptr<RemoteEvaluator>> evaluator = RemoteEvaluator::Create(remote);
    if (!evaluator.ok()) return evaluator.status();
    backends.push_back(*std::move(evaluator));
  }
  actor->round_robin_ =
      std::make_unique<RoundRobinEvaluator>(std::move(backends), options.inference);
  return actor;
}

Actor::~Actor() = default;

int64_t Actor::ModelVersion() const {
  int64_t version = -1;
  for (int i = 0; i < round_robin_->size(); ++i) {
    version = std::max(
        version, static_cast<RemoteEvaluator&>(round_robin_->backend(i)).last_model_version());
  }
  return version;
}

absl::StatusOr<SelfPlayOptions> Actor::FetchRunConfig(const std::atomic<bool>* stop,
                                                      const ActorCallbacks& callbacks) {
  auto stub = v1::LearnerService::NewStub(MakeSecureChannel(options_.learner, options_.security));
  Backoff backoff(options_.backoff, options_.seed);
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetRunConfigRequest request;
    request.set_actor_id(options_.actor_id);
    v1::RunConfig config;
    grpc::Status status = stub->GetRunConfig(&context, request, &config);
    if (status.ok()) {
      absl::StatusOr<SelfPlayOptions> selfplay = SelfPlayOptionsFromRunConfig(config);
      if (!selfplay.ok()) return selfplay.status();
      if (callbacks.on_log) {
        callbacks.on_log(absl::StrCat("run ", config.run_id(), ": ", selfplay->rules.size, "x",
                                      selfplay->rules.size, " k=", selfplay->rules.win_length, ", ",
                                      selfplay->search.simulations, " sims, model v",
                                      config.model_version()));
      }
      return selfplay;
    }
    absl::Status error = FromGrpcStatus(status, absl::StrCat("learner ", options_.learner));
    if (!IsRetryable(error)) return error;
    const absl::Duration wait = backoff.Next();
    if (callbacks.on_log && (backoff.attempt() == 1 || backoff.attempt() % 10 == 0)) {
      callbacks.on_log(
          absl::StrCat(error.message(), "; retrying in ",
                       absl::FormatDuration(absl::Trunc(wait, absl::Milliseconds(1)))));
    }
    if (!SleepUnlessStopped(wait, stop)) return absl::CancelledError("stopped");
  }
}

absl::Status Actor::Run(const std::atomic<bool>* stop, const ActorCallbacks& callbacks) {
  start_ = absl::Now();
  absl::StatusOr<SelfPlayOptions> selfplay = FetchRunConfig(stop, callbacks);
  if (!selfplay.ok()) {
    return absl::IsCancelled(selfplay.status()) ? absl::OkStatus() : selfplay.status();
  }
  if (options_.parallel_games > 0) selfplay->parallel_games = options_.parallel_games;
  selfplay->threads = std::min(options_.threads, selfplay->parallel_games);
  selfplay->seed = options_.seed;
  selfplay->max_games = -1;  // counted here, by acks

  GameSenderOptions sender;
  sender.learner = options_.learner;
  sender.actor_id = options_.actor_id;
  sender.security = options_.security;
  sender.games_per_request = options_.games_per_request;
  sender.rpc_timeout = options_.rpc_timeout;
  sender.backoff = options_.backoff;
  sender.seed = options_.seed ^ 0x5e4d;
  sender.on_log = callbacks.on_log;
  sender_ = std::make_unique<GameSender>(sender);

  std::atomic<bool> selfplay_stop{false};
  RetryingEvaluatorOptions retry;
  retry.backoff = options_.backoff;
  retry.seed = options_.seed;
  std::atomic<int64_t> last_retry_log_ns{0};
  retry.on_retry = [&](const absl::Status& status, absl::Duration wait) {
    const int64_t now = absl::GetCurrentTimeNanos();
    int64_t last = last_retry_log_ns.load();
    if (now - last > int64_t{5} * 1000000000 &&
        last_retry_log_ns.compare_exchange_strong(last, now) && callbacks.on_log) {
      callbacks.on_log(
          absl::StrCat("inference unavailable (", status.message(), "); games wait, retrying"));
    }
  };
  retrying_ = std::make_unique<RetryingEvaluator>(round_robin_.get(), &selfplay_stop, retry);
  ObservedEvaluator observed(retrying_.get(), callbacks.on_batch, &in_flight_);

  std::atomic<int64_t> finished{0};
  auto sink = [&](GameRecord&& record) {
    const int64_t n = finished.fetch_add(1);
    if (options_.max_games >= 0 && n >= options_.max_games) return;  // quota reached
    v1::Game game;
    game.set_game_id(absl::StrCat(options_.actor_id, "-", n));
    game.set_model_version(ModelVersion());
    game.set_record(SerializeGameRecord(record));
    sender_->Enqueue(std::move(game));
  };
  absl::Status selfplay_status;
  std::atomic<bool> selfplay_done{false};
  std::thread selfplay_thread([&] {
    selfplay_status = RunSelfPlay(*selfplay, &observed, sink, &stats_, &selfplay_stop);
    selfplay_done = true;
  });
  // RunSelfPlay returns only when stopped or failed: wait for a stop or the game quota.
  while (!selfplay_done.load() && !(stop != nullptr && stop->load())) {
    if (options_.max_games >= 0 && finished.load() >= options_.max_games) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  selfplay_stop = true;
  selfplay_thread.join();
  const bool drained = sender_->Drain(options_.drain_timeout);
  if (!drained && callbacks.on_log) {
    callbacks.on_log(absl::StrCat(sender_->pending(),
                                  " finished games not acked by the learner "
                                  "within the drain timeout; they are lost"));
  }
  if (!selfplay_status.ok() && !absl::IsCancelled(selfplay_status)) return selfplay_status;
  return absl::OkStatus();
}

ActorSnapshot Actor::snapshot() const {
  ActorSnapshot s;
  s.simulations = stats_.simulations.load();
  s.evaluations = stats_.evaluations.load();
  s.batches = stats_.batches.load();
  s.moves = stats_.moves.load();
  s.games_finished = stats_.games.load();
  if (sender_ != nullptr) {
    s.games_acked = sender_->acked();
    s.games_pending = sender_->pending();
    s.submit_failures = sender_->failures();
  }
  s.evaluate_retries = retrying_ != nullptr ? retrying_->retries() : 0;
  s.model_version = ModelVersion();
  s.batches_in_flight = in_flight_.load();
  s.elapsed_seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  return s;
}

}  // namespace zf
