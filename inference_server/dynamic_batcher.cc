#include "inference_server/dynamic_batcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace zf {

absl::Status ValidateBatcherOptions(const DynamicBatcherOptions& options) {
  if (options.max_batch < 1 || options.max_batch > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("max batch ", options.max_batch, " out of range: 1..4096"));
  }
  if (options.max_queue_delay < absl::ZeroDuration() ||
      options.max_queue_delay > absl::Seconds(10)) {
    return absl::InvalidArgumentError(absl::StrCat("max queue delay ",
                                                   absl::FormatDuration(options.max_queue_delay),
                                                   " out of range: 0..10s"));
  }
  if (options.workers < 1 || options.workers > 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("batcher workers ", options.workers, " out of range: 1..16"));
  }
  if (options.max_queued_positions < options.max_batch) {
    return absl::InvalidArgumentError(absl::StrCat("max queued positions ",
                                                   options.max_queued_positions,
                                                   " below the max batch ", options.max_batch));
  }
  return absl::OkStatus();
}

DynamicBatcher::DynamicBatcher(Evaluator* evaluator, std::function<int64_t()> model_version,
                               const DynamicBatcherOptions& options)
    : evaluator_(evaluator), model_version_(std::move(model_version)), options_(options) {
  absl::MutexLock l(&join_mu_);
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

DynamicBatcher::~DynamicBatcher() { Stop(); }

void DynamicBatcher::Submit(std::vector<EncodedPosition> positions, Done done,
                            std::shared_ptr<const std::atomic<bool>> cancelled) {
  const int64_t n = static_cast<int64_t>(positions.size());
  int64_t queued = 0;
  {
    absl::MutexLock l(&mu_);
    if (stop_) {
      queued = -1;
    } else if (queued_positions_ + n > options_.max_queued_positions) {
      queued = queued_positions_;
    } else {
      queued_positions_ += n;
      queue_.push_back(
          Request{std::move(positions), std::move(done), absl::Now(), std::move(cancelled)});
      cv_.Signal();
      return;
    }
  }
  if (queued < 0) {
    done(absl::UnavailableError("inference server is shutting down"), {}, {}, 0);
    return;
  }
  {
    absl::MutexLock l(&stats_mu_);
    ++stats_.refused_requests;
  }
  done(absl::ResourceExhaustedError(absl::StrCat("inference queue full: ", queued,
                                                 " positions wait (at most ",
                                                 options_.max_queued_positions, "); retry later")),
       {}, {}, 0);
}

void DynamicBatcher::CancelledSome() {
  absl::MutexLock l(&mu_);
  cancel_pending_ = true;
  cv_.Signal();
}

void DynamicBatcher::DropCancelled(std::vector<Request>* dropped) {
  cancel_pending_ = false;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->cancelled != nullptr && it->cancelled->load()) {
      queued_positions_ -= static_cast<int64_t>(it->positions.size());
      dropped->push_back(std::move(*it));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void DynamicBatcher::Stop() {
  std::deque<Request> dropped;
  {
    absl::MutexLock l(&mu_);
    stop_ = true;
    dropped.swap(queue_);
    queued_positions_ = 0;
    cv_.SignalAll();
  }
  for (Request& r : dropped) {
    r.done(absl::UnavailableError("inference server is shutting down"), {}, {}, 0);
  }
  absl::MutexLock l(&join_mu_);
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

bool DynamicBatcher::TakeBatch(std::vector<Request>* batch, std::vector<Request>* dropped) {
  while (true) {
    // 1. Wait for a request; drop those of clients that went away (the caller answers them).
    while (!stop_ && queue_.empty() && !cancel_pending_) cv_.Wait(&mu_);
    if (stop_) return false;
    if (cancel_pending_) DropCancelled(dropped);
    if (!dropped->empty()) {
      if (!queue_.empty()) cv_.Signal();  // another worker batches the rest meanwhile
      return true;
    }
    if (queue_.empty()) continue;
    // 2. Wait until the batch is full or the oldest request is due. While other workers
    //    compute, "full" is also "as many positions as they hold" (see 3).
    const absl::Time due = queue_.front().enqueued + options_.max_queue_delay;
    const bool full = queued_positions_ >= options_.max_batch ||
                      (computing_positions_ > 0 && queued_positions_ >= computing_positions_);
    if (!full && absl::Now() < due) {
      cv_.WaitWithDeadline(&mu_, due);
      continue;  // re-check: another worker may have taken the queue
    }
    break;
  }
  // 3. Take whole requests of the oldest request's board size, up to this worker's share:
  //    the positions here (queued + being computed) split over the workers, at most
  //    max_batch. With fewer positions in flight than workers x max_batch, the workers so
  //    hold even parts and one batch queues while another computes; one worker taking
  //    everything would leave the others and the clients waiting in turn. One worker: all.
  const int64_t in_flight = queued_positions_ + computing_positions_;
  const int64_t share =
      std::min<int64_t>(options_.max_batch, (in_flight + options_.workers - 1) / options_.workers);
  const int size = queue_.front().positions[0].size;
  int64_t taken = 0;
  std::deque<Request> rest;
  while (!queue_.empty()) {
    Request& r = queue_.front();
    const int64_t n = static_cast<int64_t>(r.positions.size());
    if (r.positions[0].size == size && (taken == 0 || taken + n <= share)) {
      taken += n;
      batch->push_back(std::move(r));
    } else {
      rest.push_back(std::move(r));
    }
    queue_.pop_front();
    if (taken >= share) break;
  }
  while (!rest.empty()) {  // keep the skipped ones first, in order
    queue_.push_front(std::move(rest.back()));
    rest.pop_back();
  }
  queued_positions_ -= taken;
  computing_positions_ += taken;
  // Another worker may start on the rest, or find the queue now matches what this one holds.
  if (!queue_.empty()) cv_.Signal();
  return true;
}

void DynamicBatcher::WorkerLoop() {
  std::vector<Request> batch;
  std::vector<Request> dropped;
  BatchWork work;
  while (true) {
    batch.clear();
    dropped.clear();
    {
      absl::MutexLock l(&mu_);
      if (!TakeBatch(&batch, &dropped)) return;
    }
    if (!dropped.empty()) FailDropped(dropped);
    if (batch.empty()) continue;
    Evaluate(batch, work);
    RecordBatch(batch, work);  // before the answers: a client that has one sees it counted
    Answer(batch, work);
  }
}

void DynamicBatcher::FailDropped(std::vector<Request>& dropped) {
  {
    absl::MutexLock l(&stats_mu_);
    stats_.cancelled_requests += static_cast<int64_t>(dropped.size());
  }
  for (Request& r : dropped) r.done(absl::CancelledError("the client went away"), {}, {}, 0);
}

void DynamicBatcher::Evaluate(const std::vector<Request>& batch, BatchWork& work) {
  work.start = absl::Now();
  work.positions.clear();
  for (const Request& r : batch) {
    work.positions.insert(work.positions.end(), r.positions.begin(), r.positions.end());
  }
  work.points = size_t{work.positions[0].size} * work.positions[0].size;
  work.policy.resize(work.positions.size() * work.points);
  work.value.resize(work.positions.size());
  work.version = -1;
  work.status = evaluator_->EvaluateVersioned(work.positions, absl::MakeSpan(work.policy),
                                              absl::MakeSpan(work.value), &work.version);
  if (work.version < 0) work.version = model_version_();  // an unversioned evaluator
  work.end = absl::Now();
  absl::MutexLock l(&mu_);
  computing_positions_ -= static_cast<int64_t>(work.positions.size());
  cv_.Signal();  // a waiting worker's "full" depends on what is being computed
}

void DynamicBatcher::RecordBatch(const std::vector<Request>& batch, const BatchWork& work) {
  const size_t positions = work.positions.size();
  {
    absl::MutexLock l(&stats_mu_);
    stats_.requests += static_cast<int64_t>(batch.size());
    stats_.positions += static_cast<int64_t>(positions);
    ++stats_.batches;
    if (!work.status.ok()) ++stats_.failed_batches;
    int bucket = 0;
    while (bucket + 1 < BatcherStats::kBuckets && (size_t{2} << bucket) <= positions) ++bucket;
    ++stats_.batch_size_buckets[bucket];
    for (const Request& r : batch) {
      const double wait = absl::ToDoubleSeconds(work.start - r.enqueued);
      stats_.queue_wait_seconds_total += wait;
      stats_.max_queue_wait_seconds = std::max(stats_.max_queue_wait_seconds, wait);
    }
    stats_.compute_seconds_total += absl::ToDoubleSeconds(work.end - work.start);
  }
  if (!options_.on_batch) return;
  std::vector<double> waits;
  waits.reserve(batch.size());
  for (const Request& r : batch) waits.push_back(absl::ToDoubleSeconds(work.start - r.enqueued));
  options_.on_batch(static_cast<int>(positions), absl::ToDoubleSeconds(work.end - work.start),
                    waits);
}

void DynamicBatcher::Answer(std::vector<Request>& batch, const BatchWork& work) {
  const absl::Status& status = work.status;
  const size_t points = work.points;
  size_t offset = 0;
  for (Request& r : batch) {
    const size_t n = r.positions.size();
    if (status.ok()) {
      r.done(status, absl::MakeConstSpan(work.policy).subspan(offset * points, n * points),
             absl::MakeConstSpan(work.value).subspan(offset, n), work.version);
    } else {
      r.done(absl::Status(status.code(), absl::StrCat("evaluation failed: ", status.message())), {},
             {}, work.version);
    }
    offset += n;
  }
}

BatcherStats DynamicBatcher::stats() const {
  absl::MutexLock l(&stats_mu_);
  return stats_;
}

}  // namespace zf
