// Actor: a stateless self-play process of the fleet. Implemented in actor.cc.
//
//   1. GetRunConfig from the learner (retried with backoff until it answers): rules, search
//      settings, games per actor. The actor has no settings of its own beyond addresses.
//   2. RunSelfPlay with `threads` drivers over G games. Each driver makes its own Evaluate
//      calls, so `threads` leaf batches are in flight at once: tree work of one overlaps the
//      network evaluation of the other (threads >= 2).
//        evaluators: RetryingEvaluator -> RoundRobinEvaluator -> RemoteEvaluator per server
//   3. Finished games queue up in a GameSender, which streams them to the learner's
//      SubmitGames and drops each only once acked (durable there). Unacked games are re-sent
//      after a failure; the learner recognises them by id.
//
// Stop (SIGTERM): self-play stops (unfinished games are dropped: the only loss when an actor
// dies), queued finished games are sent (waiting at most drain_timeout), Run returns.
// Thread-safe: stats() and snapshot(); Run is called once.
#ifndef ZEROFLEET_ACTOR_ACTOR_H_
#define ZEROFLEET_ACTOR_ACTOR_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "actor/evaluator_wrappers.h"
#include "actor/game_sender.h"
#include "common/rpc/security.h"
#include "common/search/self_play.h"

namespace zf {

struct ActorOptions {
  std::string actor_id;                // unique per process (game ids derive from it)
  std::string learner;                 // "host:port"
  std::vector<std::string> inference;  // "host:port" each (round robin)
  int parallel_games = 0;              // 0: the run config's
  int threads = 2;                     // self-play drivers = leaf batches in flight
  int64_t max_games = -1;              // stop after this many finished games; -1: until stopped
  uint64_t seed = 1;
  RpcSecurity security;
  BackoffOptions backoff;
  absl::Duration rpc_timeout = absl::Seconds(30);
  absl::Duration drain_timeout = absl::Seconds(30);
  int games_per_request = 16;
};

// What progress lines and metrics show. A value type.
struct ActorSnapshot {
  int64_t simulations = 0;
  int64_t evaluations = 0;
  int64_t batches = 0;
  int64_t moves = 0;
  int64_t games_finished = 0;
  int64_t games_acked = 0;
  int64_t games_pending = 0;  // finished, not yet acked
  int64_t evaluate_retries = 0;
  int64_t submit_failures = 0;
  int64_t model_version = -1;
  int batches_in_flight = 0;
  double elapsed_seconds = 0;
};

struct ActorCallbacks {
  std::function<void(const std::string& line)> on_log;  // any thread
  // After each successful leaf batch: its size and round-trip seconds (self-play threads).
  std::function<void(int size, double seconds)> on_batch;
};

class Actor {
 public:
  static absl::StatusOr<std::unique_ptr<Actor>> Create(const ActorOptions& options);
  ~Actor();

  // Plays until max_games are acked, or *stop. OK on a clean stop; an error when the learner
  // refuses the run config or a non-retryable error occurs. Blocks.
  absl::Status Run(const std::atomic<bool>* stop, const ActorCallbacks& callbacks);

  ActorSnapshot snapshot() const;

 private:
  explicit Actor(const ActorOptions& options) : options_(options) {}
  absl::StatusOr<SelfPlayOptions> FetchRunConfig(const std::atomic<bool>* stop,
                                                 const ActorCallbacks& callbacks);
  int64_t ModelVersion() const;

  const ActorOptions options_;
  absl::Time start_ = absl::Now();
  SelfPlayStats stats_;
  std::atomic<int> in_flight_{0};
  std::unique_ptr<RoundRobinEvaluator> round_robin_;
  std::unique_ptr<RetryingEvaluator> retrying_;
  std::unique_ptr<GameSender> sender_;
};

}  // namespace zf

#endif  // ZEROFLEET_ACTOR_ACTOR_H_
