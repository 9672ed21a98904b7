// LearnerService over gRPC (proto/zerofleet/v1/learner.proto) in front of a Learner
// (learner.h), and LearnerServer, the running gRPC server. Implemented in learner_service.cc.
//
//   GetRunConfig  unary          rules, search settings, games per actor, latest model version
//   SubmitGames   bidi stream    per request: validate -> Learner::Submit (fsync) -> ack
//   WatchModel    server stream  every newer version as chunks (<= 1 MiB) with its sha256
//
// Synchronous gRPC API: traffic here is a few messages per second per actor, so a thread per
// call keeps the code plain; the streams are capped (max_submit_streams, max_watch_streams:
// RESOURCE_EXHAUSTED past them) so callers cannot take every thread. A bad request in
// SubmitGames gets an ack carrying an error code (the stream stays open); a stream-level
// problem ends the call with the status, e.g. INVALID_ARGUMENT for bytes that are not a
// SubmitGamesRequest (the method is registered raw so the service parses and can tell this
// from a half-close).
// Thread-safe: gRPC calls the service from many threads; Learner is thread-safe for Submit.
#ifndef ZEROFLEET_LEARNER_LEARNER_SERVICE_H_
#define ZEROFLEET_LEARNER_LEARNER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/rpc/security.h"
#include "common/search/self_play.h"
#include "learner/learner.h"
#include "zerofleet/v1/learner.grpc.pb.h"

namespace zf {

struct LearnerServiceOptions {
  SelfPlayOptions selfplay;  // what GetRunConfig hands out (rules = the learner's)
  std::string run_id;
  int max_games_per_request = 256;
  int chunk_bytes = 1 << 20;     // WatchModel chunk payload (under the 4 MiB message limit)
  int max_submit_streams = 256;  // open SubmitGames streams (one thread each)
  int max_watch_streams = 64;    // open WatchModel streams (one thread each)
  RpcSecurity security;
};

// Counters for logs, metrics and tests. Thread-safe.
struct LearnerServiceStats {
  std::atomic<int64_t> games_acked{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> rejected_requests{0};
  std::atomic<int64_t> models_sent{0};
  std::atomic<int64_t> open_submit_streams{0};
  std::atomic<int64_t> open_watch_streams{0};
};

class LearnerServiceImpl final : public zerofleet::v1::LearnerService::Service {
 public:
  LearnerServiceImpl(Learner* learner, const LearnerServiceOptions& options);

  grpc::Status GetRunConfig(grpc::ServerContext* context,
                            const zerofleet::v1::GetRunConfigRequest* request,
                            zerofleet::v1::RunConfig* response) override;
  // SubmitGames on serialized SubmitGamesRequest / SubmitGamesAck messages.
  grpc::Status SubmitGamesRaw(grpc::ServerContext* context,
                              grpc::ServerReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>* stream);
  grpc::Status WatchModel(grpc::ServerContext* context,
                          const zerofleet::v1::WatchModelRequest* request,
                          grpc::ServerWriter<zerofleet::v1::ModelChunk>* writer) override;

  const LearnerServiceStats& stats() const { return stats_; }
  // Actors (by actor_id) whose games were acked within `window` before now. Actors open a
  // SubmitGames stream per batch of games, so open streams do not count them. Thread-safe.
  int ActiveActors(absl::Duration window = kActiveWindow) const ABSL_LOCKS_EXCLUDED(actors_mu_);

  // Actor ids remembered at most (a hostile client could send endless new ones).
  static constexpr int kMaxTrackedActors = 4096;
  static constexpr absl::Duration kActiveWindow = absl::Minutes(1);

 private:
  // One request's ack: stored (or error) for every game in it.
  zerofleet::v1::SubmitGamesAck Handle(const zerofleet::v1::SubmitGamesRequest& request);
  void NoteActor(const std::string& actor_id) ABSL_LOCKS_EXCLUDED(actors_mu_);

  Learner* const learner_;
  const LearnerServiceOptions options_;
  LearnerServiceStats stats_;
  mutable absl::Mutex actors_mu_;
  absl::flat_hash_map<std::string, absl::Time> actor_last_ack_ ABSL_GUARDED_BY(actors_mu_);
};

struct LearnerServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: the system picks one (see port())
  LearnerServiceOptions service;
  absl::Duration health_poll = absl::Milliseconds(200);
  bool reflection = false;  // grpc.reflection (answers callers without a token)
};

class LearnerServer {
 public:
  // Serves `learner` (not owned; must outlive the server). Health is SERVING once this returns.
  // The service's health (zerofleet.v1.LearnerService) follows learner->storage_status()
  // within health_poll: NOT_SERVING while games cannot be stored (no progress is possible);
  // the overall health ("") stays SERVING while the process serves, so a liveness probe does
  // not restart a learner that only waits for disk space.
  static absl::StatusOr<std::unique_ptr<LearnerServer>> Start(Learner* learner,
                                                              const LearnerServerOptions& options);
  ~LearnerServer();  // Shutdown()

  int port() const { return port_; }
  // Ends open calls (WatchModel streams at once, others within `grace`). Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(2));
  const LearnerServiceStats& stats() const { return service_->stats(); }
  int ActiveActors() const { return service_->ActiveActors(); }

 private:
  LearnerServer() = default;
  // Health thread: follows the learner's storage status until Shutdown.
  void FollowHealth(absl::Duration poll);

  Learner* learner_ = nullptr;
  std::unique_ptr<LearnerServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
  absl::Mutex health_mu_;
  bool stop_health_ ABSL_GUARDED_BY(health_mu_) = false;
  std::thread health_thread_;
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_LEARNER_SERVICE_H_
