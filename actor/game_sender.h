// GameSender: streams finished games to the learner's SubmitGames and keeps each one until the
// learner acks it (acked = durably stored there). Implemented in game_sender.cc.
//
//   Enqueue(game) ──▶ pending queue ──▶ sender thread: up to N games per request
//                                          ├─ ack OK      → drop them (acked)
//                                          ├─ ack error   → retryable code: keep, back off
//                                          │                bad request: drop, log (a bug)
//                                          └─ stream fails → keep, back off, reconnect
// Re-sending after a lost ack is safe: the learner stores a game id once.
// Thread-safe.
#ifndef ZEROFLEET_ACTOR_GAME_SENDER_H_
#define ZEROFLEET_ACTOR_GAME_SENDER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "actor/evaluator_wrappers.h"
#include "common/rpc/security.h"
#include "zerofleet/v1/learner.grpc.pb.h"

namespace zf {

struct GameSenderOptions {
  std::string learner;   // "host:port"
  std::string actor_id;  // sent with each request (the learner counts active actors)
  RpcSecurity security;
  int games_per_request = 16;
  absl::Duration rpc_timeout = absl::Seconds(30);
  BackoffOptions backoff;
  uint64_t seed = 1;
  std::function<void(const std::string& line)> on_log;
};

class GameSender {
 public:
  explicit GameSender(const GameSenderOptions& options);
  ~GameSender();  // stops the thread; games not acked by then are lost (call Drain first)

  void Enqueue(zerofleet::v1::Game game);
  // Waits until every queued game is acked or `timeout`; true if none is left.
  bool Drain(absl::Duration timeout);

  int64_t acked() const { return acked_.load(); }
  int64_t failures() const { return failures_.load(); }
  int64_t pending() const;

 private:
  void Loop();
  // One SubmitGames call for `batch`: OK once acked; else the reason.
  absl::Status Send(const std::vector<zerofleet::v1::Game>& batch);
  void Log(const std::string& line) const;

  const GameSenderOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<zerofleet::v1::LearnerService::Stub> stub_;
  std::atomic<int64_t> acked_{0};
  std::atomic<int64_t> failures_{0};
  mutable absl::Mutex mu_;
  std::deque<zerofleet::v1::Game> queue_ ABSL_GUARDED_BY(mu_);
  int64_t in_progress_ ABSL_GUARDED_BY(mu_) = 0;  // taken from the queue, not acked yet
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stop_flag_{false};
  std::thread thread_;
};

}  // namespace zf

#endif  // ZEROFLEET_ACTOR_GAME_SENDER_H_
