// DynamicBatcher: merges evaluation requests from every connected client into batches for one
// Evaluator. Implemented in dynamic_batcher.cc.
//
//   Submit (any thread, never waits for evaluation)      worker thread(s)
//   ──────────────────────────────────────────────▶ queue ──▶ close a batch when
//     request = positions + done callback                     queued positions >= max_batch
//                                                             or >= the positions other
//                                                                workers are computing (> 0)
//                                                             or the oldest waited max_queue_delay
//                                                          ──▶ Evaluate(batch) ──▶ done(results)
//
// A batch holds whole requests of one board size (the oldest request's), at most max_batch
// positions; requests of other sizes wait for the next batch. Callbacks run on a worker thread
// and must not block (the inference service only queues a write).
//
// Bounds: at most max_queued_positions wait in the queue (all clients together); a request
// past it gets RESOURCE_EXHAUSTED at once. A request whose `cancelled` flag is set (its client
// went away) is dropped, with CANCELLED, before it reaches the evaluator: on a worker's next
// look at the queue after CancelledSome().
#ifndef ZEROFLEET_INFERENCE_SERVER_DYNAMIC_BATCHER_H_
#define ZEROFLEET_INFERENCE_SERVER_DYNAMIC_BATCHER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/search/evaluator.h"

namespace zf {

struct DynamicBatcherOptions {
  int max_batch = 256;                                       // positions per batch, 1..4096
  absl::Duration max_queue_delay = absl::Microseconds(500);  // 0: take what is queued
  int workers = 1;  // concurrent batches (2 overlaps host work with a GPU forward pass)
  // Positions waiting (not yet in a batch), over all requests; >= max_batch.
  int64_t max_queued_positions = 65536;
  // Optional (metrics): after each batch, from its worker thread: positions, compute seconds,
  // and each request's queue wait in seconds. Must be thread-safe and quick.
  std::function<void(int positions, double compute_seconds, absl::Span<const double> waits)>
      on_batch;
};

absl::Status ValidateBatcherOptions(const DynamicBatcherOptions& options);

// Counters since start. Batch sizes: bucket i counts batches of [2^i, 2^(i+1)) positions.
struct BatcherStats {
  static constexpr int kBuckets = 13;
  int64_t requests = 0;
  int64_t positions = 0;
  int64_t cancelled_requests = 0;  // dropped before evaluation: their client went away
  int64_t refused_requests = 0;    // RESOURCE_EXHAUSTED: the queue was full
  int64_t batches = 0;
  int64_t failed_batches = 0;
  std::array<int64_t, kBuckets> batch_size_buckets{};
  double queue_wait_seconds_total = 0;  // summed over requests
  double max_queue_wait_seconds = 0;
  double compute_seconds_total = 0;  // summed over batches
  double mean_batch() const { return batches > 0 ? static_cast<double>(positions) / batches : 0; }
};

class DynamicBatcher {
 public:
  // Results of one request. The spans are valid during the call only. `status` not OK: no results.
  using Done = std::function<void(const absl::Status& status, absl::Span<const float> policy,
                                  absl::Span<const float> value, int64_t model_version)>;

  // `evaluator` must outlive the batcher; results carry the version EvaluateVersioned
  // reports, or `model_version()` read after the batch for unversioned evaluators.
  // Starts the worker threads. `options` must pass ValidateBatcherOptions.
  DynamicBatcher(Evaluator* evaluator, std::function<int64_t()> model_version,
                 const DynamicBatcherOptions& options);
  // Stop(), then joins.
  ~DynamicBatcher();

  // Queues `positions` (non-empty, one board size, at most max_batch). After Stop, `done` gets
  // UNAVAILABLE at once; past max_queued_positions RESOURCE_EXHAUSTED. Once `cancelled` (if
  // given) is true and CancelledSome() was called, the request is dropped with CANCELLED unless
  // it is being evaluated already. Thread-safe; never blocks on evaluation.
  void Submit(std::vector<EncodedPosition> positions, Done done,
              std::shared_ptr<const std::atomic<bool>> cancelled = nullptr);

  // Some request's `cancelled` flag was set: workers drop such requests from the queue.
  // Thread-safe.
  void CancelledSome();

  // Finishes the batches in progress, fails queued requests with UNAVAILABLE, joins workers.
  // Thread-safe; idempotent.
  void Stop();

  BatcherStats stats() const;                           // Thread-safe.
  int max_batch() const { return options_.max_batch; }  // Thread-safe.

 private:
  struct Request {
    std::vector<EncodedPosition> positions;
    Done done;
    absl::Time enqueued;
    std::shared_ptr<const std::atomic<bool>> cancelled;  // may be null
  };

  // One batch's inputs and outputs; a worker reuses it from batch to batch.
  struct BatchWork {
    std::vector<EncodedPosition> positions;
    std::vector<float> policy;
    std::vector<float> value;
    size_t points = 0;  // policy entries per position
    int64_t version = -1;
    absl::Status status;
    absl::Time start;
    absl::Time end;
  };

  void WorkerLoop();
  // Fails requests whose client went away with CANCELLED.
  void FailDropped(std::vector<Request>& dropped);
  // Evaluates the batch's positions into `work`.
  void Evaluate(const std::vector<Request>& batch, BatchWork& work) ABSL_LOCKS_EXCLUDED(mu_);
  // Counts an evaluated batch in the stats and tells options_.on_batch.
  void RecordBatch(const std::vector<Request>& batch, const BatchWork& work);
  // Hands each request its slice of the outputs, or the batch's error.
  static void Answer(std::vector<Request>& batch, const BatchWork& work);
  // Waits until a batch should close or cancelled requests were found, and takes them (either
  // may be empty then); false when stopping. Requires mu_ held.
  bool TakeBatch(std::vector<Request>* batch, std::vector<Request>* dropped)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the queue's cancelled requests to *dropped.
  void DropCancelled(std::vector<Request>* dropped) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Evaluator* const evaluator_;
  const std::function<int64_t()> model_version_;
  const DynamicBatcherOptions options_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  int64_t queued_positions_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t computing_positions_ ABSL_GUARDED_BY(mu_) = 0;  // in batches being evaluated
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool cancel_pending_ ABSL_GUARDED_BY(mu_) = false;  // CancelledSome since the last scan

  mutable absl::Mutex stats_mu_;
  BatcherStats stats_ ABSL_GUARDED_BY(stats_mu_);

  absl::Mutex join_mu_;  // serializes Stop's join
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace zf

#endif  // ZEROFLEET_INFERENCE_SERVER_DYNAMIC_BATCHER_H_
