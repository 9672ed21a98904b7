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
// the stream and the server go on. RESOURCE_EXHAUSTED also answers a request when responses of
// all streams not yet written to their clients hold max_buffered_response_bytes. A message that is
// not an EvaluateRequest at all ends the stream with INVALID_ARGUMENT once the requests before it
// are answered (the method is registered raw so the service, not gRPC, parses and can tell this
// from a half-close). Reading pauses while a stream has max_in_flight requests unanswered, so a
// client that never reads cannot grow the server's memory.
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
  // Responses computed or being computed but not yet written to their (slow or non-reading)
  // clients, all streams together; a request past it is answered RESOURCE_EXHAUSTED.
  int64_t max_buffered_response_bytes = int64_t{256} << 20;
  int board_size = 0;    // > 0: the only board size served
  RpcSecurity security;  // the token every stream must carry (if any)
};

struct InferenceServiceStats {
  int64_t streams = 0;       // opened since start
  int64_t open_streams = 0;  // open now (connected actors)
  int64_t requests = 0;
  int64_t rejected = 0;                 // requests answered with an error
  int64_t buffered_response_bytes = 0;  // reserved for responses not yet written
};

class InferenceServiceImpl final
    : public zerofleet::v1::InferenceService::WithRawCallbackMethod_Evaluate<
          zerofleet::v1::InferenceService::Service> {
 public:
  // `batcher` must outlive the service (and the server running it).
  InferenceServiceImpl(DynamicBatcher* batcher, const InferenceServiceOptions& options);

  // Called by gRPC for each new stream; messages are serialized EvaluateRequest and
  // EvaluateResponse. Thread-safe.
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Evaluate(
      grpc::CallbackServerContext* context) override;

  InferenceServiceStats stats() const;  // Thread-safe.

 private:
  class Reactor;
  // Reserves room for a response under max_buffered_response_bytes; false when full.
  bool Reserve(int64_t bytes);
  void Release(int64_t bytes);

  DynamicBatcher* const batcher_;
  const InferenceServiceOptions options_;
  std::atomic<int64_t> streams_{0};
  std::atomic<int64_t> open_streams_{0};
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> rejected_{0};
  std::atomic<int64_t> buffered_bytes_{0};
};

}  // namespace zf

#endif  // ZEROFLEET_INFERENCE_SERVER_INFERENCE_SERVICE_H_
