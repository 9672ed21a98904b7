// RemoteEvaluator: zf::Evaluator over gRPC to a zerofleet-inference-server. Implemented in
// remote_evaluator.cc.
//
// One bidirectional InferenceService.Evaluate stream is shared by every caller; each Evaluate
// call is one request on it, and a reader thread hands each response to the caller waiting for
// its request id, so any number of calls (from several self-play threads) are in flight at once.
//
//   caller A ──Write(id 7)──┐                       ┌──▶ pending[7] ──▶ caller A wakes
//   caller B ──Write(id 8)──┼──▶ stream ══▶ server ══▶ reader thread
//                           └ (writes serialized)   └──▶ pending[8] ──▶ caller B wakes
//
// Failures: a call waits at most `request_timeout` (then DEADLINE_EXCEEDED and the stream is
// cancelled); keepalive (grpc_options.h) detects a dead server; when the stream fails, every
// waiting call gets the stream's status (UNAVAILABLE when the server is down) and the next call
// opens a new stream. A request the server rejects returns the server's code and message.
#ifndef ZEROFLEET_COMMON_RPC_REMOTE_EVALUATOR_H_
#define ZEROFLEET_COMMON_RPC_REMOTE_EVALUATOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/rpc/security.h"
#include "common/search/evaluator.h"
#include "zerofleet/v1/inference.grpc.pb.h"

namespace zf {

struct RemoteEvaluatorOptions {
  std::string target;  // "host:port"
  absl::Duration request_timeout = absl::Seconds(30);
  RpcSecurity security;  // TLS and token (security.h); default: plaintext, no token
};

struct RemoteEvaluatorStats {
  int64_t requests = 0;
  int64_t positions = 0;
  int64_t bytes_sent = 0;      // serialized request messages
  int64_t bytes_received = 0;  // serialized response messages
  int64_t streams_opened = 0;
};

class RemoteEvaluator : public Evaluator {
 public:
  // Does not connect yet (the first Evaluate does). Thread-safe.
  static absl::StatusOr<std::unique_ptr<RemoteEvaluator>> Create(
      const RemoteEvaluatorOptions& options);
  // Cancels the stream and joins its reader. No Evaluate may be running.
  ~RemoteEvaluator() override;

  // All positions must share board size, win length and rule. Thread-safe.
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;

  // Model version of the last successful response (-1 before any). Thread-safe.
  int64_t last_model_version() const { return last_version_.load(); }
  RemoteEvaluatorStats stats() const;  // Thread-safe.

 private:
  class Stream;
  explicit RemoteEvaluator(const RemoteEvaluatorOptions& options);
  // The current stream, opening a new one if there is none or it failed.
  std::shared_ptr<Stream> GetStream();

  const RemoteEvaluatorOptions options_;
  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<zerofleet::v1::InferenceService::Stub> stub_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int64_t> last_version_{-1};
  mutable absl::Mutex mu_;
  std::shared_ptr<Stream> stream_ ABSL_GUARDED_BY(mu_);
  RemoteEvaluatorStats stats_ ABSL_GUARDED_BY(mu_);
};

// grpc::Status -> absl::Status with the same code; the message is "<context>: <CODE>: <message>"
// (the code name helps an operator: UNAUTHENTICATED, UNAVAILABLE, ...).
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view context);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_RPC_REMOTE_EVALUATOR_H_
