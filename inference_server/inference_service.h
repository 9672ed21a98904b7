// InferenceServiceImpl: zerofleet.v1.InferenceService on gRPC's callback API. Implemented in
// inference_service.cc.
//
// One reactor per client stream. Reactors never block: OnReadDone validates and unpacks the
// request and hands it to the DynamicBatcher; the batcher's worker converts the results to a
// response and queues it on the stream's write queue, which StartWrite drains one at a time.
//
//   client ══▶ OnReadDone ─ bad input ─────────────────────────┐
//                 │ ok                                         ▼
//                 └─▶ batcher.Submit ──▶ worker: done(...) ──▶ write queue ──▶ StartWrite ══▶
//                 client
//
// A rejected request gets a response with `error` set (INVALID_ARGUMENT for wrong rules, an
// empty batch or malformed positions; RESOURCE_EXHAUSTED for more positions than the limit);
// the stream and the server go on. Reading pauses while a stream has max_in_flight requests
// unanswered, so a client that never reads cannot grow the server's memory.
#ifndef ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVICE_H_
#define ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "common/rpc/security.h"
#include "inference_server/dynamic_batcher.h"
#include "zerofleet/v1/inference.grpc.pb.h"

namespace zf {

struct InferenceServiceOptions {
  int max_positions_per_request = 256;  // larger requests: RESOURCE_EXHAUSTED
  int max_in_flight_per_stream = 64;    // unanswered requests before reading pauses
  int board_size = 0;                   // > 0: the only board size served
  RpcSecurity security;                 // the token every stream must carry (if any)
};

struct InferenceServiceStats {
  int64_t streams = 0;       // opened since start
  int64_t open_streams = 0;  // open now (connected actors)
  int64_t requests = 0;
  int64_t rejected = 0;  // requests answered with an error
};

class InferenceServiceImpl final : public zerofleet::v1::InferenceService::CallbackService {
 public:
  // `batcher` must outlive the service (and the server running it).
  InferenceServiceImpl(DynamicBatcher* batcher, const InferenceServiceOptions& options);

  // Called by gRPC for each new stream. Thread-safe.
  grpc::ServerBidiReactor<zerofleet::v1::EvaluateRequest, zerofleet::v1::EvaluateResponse>*
  Evaluate(grpc::CallbackServerContext* context) override;

  InferenceServiceStats stats() const;  // Thread-safe.

 private:
  class Reactor;
  DynamicBatcher* const batcher_;
  const InferenceServiceOptions options_;
  std::atomic<int64_t> streams_{0};
  std::atomic<int64_t> open_streams_{0};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> rejected_{0};
};

}  // namespace zf

#endif  // ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVICE_H_
