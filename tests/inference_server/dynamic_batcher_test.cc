// DynamicBatcher (inference_server/dynamic_batcher.h): batches close at max size or delay,
// hold one board size, and results reach the right request.
#include "inference_server/dynamic_batcher.h"

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace zf {
namespace {

// Records each batch's size and board size; value[i] = number of stones (identifies positions).
class RecordingEvaluator : public Evaluator {
 public:
  // With `gate`: the batch holding the position with 0 stones signals `entered` and waits for
  // `gate` (to queue work behind it). Chosen by content, not by arrival: with several workers
  // any batch may reach the evaluator first.
  RecordingEvaluator(absl::Notification* entered = nullptr, absl::Notification* gate = nullptr)
      : entered_(entered), gate_(gate) {}

  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override {
    if (gate_ != nullptr && HoldsEmptyBoard(batch)) {
      entered_->Notify();
      gate_->WaitForNotificationWithTimeout(absl::Seconds(10));
    }
    if (absl::Status s = uniform_.Evaluate(batch, policy, value); !s.ok()) return s;
    for (size_t i = 0; i < batch.size(); ++i) {
      int stones = 0;
      for (int w = 0; w < kPlaneWords; ++w)
        stones += __builtin_popcountll(batch[i].own[w] | batch[i].opp[w]);
      value[i] = static_cast<float>(stones);
    }
    absl::MutexLock l(&mu_);
    sizes_.push_back(static_cast<int>(batch.size()));
    boards_.push_back(batch.empty() ? 0 : batch[0].size);
    return absl::OkStatus();
  }
  std::vector<int> sizes() const {
    absl::MutexLock l(&mu_);
    return sizes_;
  }
  std::vector<int> boards() const {
    absl::MutexLock l(&mu_);
    return boards_;
  }

 private:
  static bool HoldsEmptyBoard(absl::Span<const EncodedPosition> batch) {
    for (const EncodedPosition& p : batch) {
      int stones = 0;
      for (int w = 0; w < kPlaneWords; ++w) stones += __builtin_popcountll(p.own[w] | p.opp[w]);
      if (stones == 0) return true;
    }
    return false;
  }

  absl::Notification* const entered_;
  absl::Notification* const gate_;
  UniformEvaluator uniform_;
  mutable absl::Mutex mu_;
  std::vector<int> sizes_ ABSL_GUARDED_BY(mu_);
  std::vector<int> boards_ ABSL_GUARDED_BY(mu_);
};

EncodedPosition PositionWithStones(int size, int stones) {
  GameState state(Rules{size, size >= 5 ? 5 : 3, Rule::kFreestyle});
  for (int i = 0; i < stones; ++i) state.PlayUnchecked(i);
  return Encode(state);
}

struct Outcome {
  absl::Notification done;
  absl::Status status;
  std::vector<float> values;
  size_t policy_size = 0;
};

DynamicBatcher::Done Record(Outcome* out) {
  return [out](const absl::Status& s, absl::Span<const float> policy, absl::Span<const float> value,
               int64_t) {
    out->status = s;
    out->values.assign(value.begin(), value.end());
    out->policy_size = policy.size();
    out->done.Notify();
  };
}

TEST(DynamicBatcherTest, ClosesAtMaxBatchWithoutWaitingForTheDelay) {
  RecordingEvaluator eval;
  DynamicBatcherOptions o;
  o.max_batch = 8;
  o.max_queue_delay = absl::Seconds(10);  // a full batch must not wait for this
  DynamicBatcher batcher(
      &eval, [] { return int64_t{3}; }, o);
  std::vector<Outcome> out(8);
  for (int i = 0; i < 8; ++i) batcher.Submit({PositionWithStones(9, i)}, Record(&out[i]));
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(out[i].done.WaitForNotificationWithTimeout(absl::Seconds(5))) << i;
    ASSERT_TRUE(out[i].status.ok());
    ASSERT_EQ(out[i].values.size(), 1u);
    EXPECT_EQ(out[i].values[0], static_cast<float>(i));  // each request got its own result
    EXPECT_EQ(out[i].policy_size, 81u);
  }
  EXPECT_EQ(eval.sizes(), std::vector<int>{8});
  const BatcherStats s = batcher.stats();
  EXPECT_EQ(s.batches, 1);
  EXPECT_EQ(s.positions, 8);
  EXPECT_EQ(s.requests, 8);
  EXPECT_EQ(s.batch_size_buckets[3], 1);  // [8, 16)
}

TEST(DynamicBatcherTest, ClosesAPartialBatchAfterTheDelay) {
  RecordingEvaluator eval;
  DynamicBatcherOptions o;
  o.max_batch = 64;
  o.max_queue_delay = absl::Milliseconds(20);
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  Outcome a;
  batcher.Submit({PositionWithStones(9, 1), PositionWithStones(9, 2)}, Record(&a));
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(a.values, (std::vector<float>{1, 2}));
  EXPECT_EQ(eval.sizes(), std::vector<int>{2});
}

TEST(DynamicBatcherTest, KeepsBoardSizesApartAndWholeRequestsUnderMax) {
  absl::Notification entered, gate;
  RecordingEvaluator eval(&entered, &gate);
  DynamicBatcherOptions o;
  o.max_batch = 4;
  o.max_queue_delay = absl::Milliseconds(50);
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  // A first request holds the worker, so the next four are all queued when it looks again.
  Outcome blocker;
  batcher.Submit({PositionWithStones(9, 0)}, Record(&blocker));
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  std::vector<Outcome> out(4);
  batcher.Submit({PositionWithStones(9, 1), PositionWithStones(9, 2), PositionWithStones(9, 3)},
                 Record(&out[0]));
  batcher.Submit({PositionWithStones(15, 4)}, Record(&out[1]));
  batcher.Submit({PositionWithStones(9, 5), PositionWithStones(9, 6)}, Record(&out[2]));
  batcher.Submit({PositionWithStones(9, 7)}, Record(&out[3]));
  gate.Notify();
  ASSERT_TRUE(blocker.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  for (auto& o2 : out) ASSERT_TRUE(o2.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(out[1].policy_size, 225u);
  EXPECT_EQ(out[2].values, (std::vector<float>{5, 6}));
  const std::vector<int> sizes = eval.sizes();
  const std::vector<int> boards = eval.boards();
  int positions = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_LE(sizes[i], 4);
    positions += sizes[i];
  }
  EXPECT_EQ(positions, 8);
  // After the blocker, the oldest request is 9x9: its batch takes 3 + 1 (the 2-position
  // request would pass 4; the 15x15 one has another size), then 15x15 alone, then the 2.
  EXPECT_EQ(sizes, (std::vector<int>{1, 4, 1, 2}));
  EXPECT_EQ(boards, (std::vector<int>{9, 9, 15, 9}));
}

TEST(DynamicBatcherTest, ConcurrentSubmittersShareBatches) {
  RecordingEvaluator eval;
  DynamicBatcherOptions o;
  o.max_batch = 16;
  o.max_queue_delay = absl::Seconds(2);
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  std::vector<Outcome> out(16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i)
        batcher.Submit({PositionWithStones(9, 4 * t + i)}, Record(&out[4 * t + i]));
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(out[i].done.WaitForNotificationWithTimeout(absl::Seconds(10)));
    EXPECT_EQ(out[i].values[0], static_cast<float>(i));
  }
  EXPECT_EQ(eval.sizes(), std::vector<int>{16});
}

// Two workers and 128 positions in flight under a max batch of 128: each worker takes half,
// so one batch computes while the other does (one worker taking all 128 would leave the other
// idle and every client waiting for the same batch). The second batch closes as soon as it
// holds as much as the first, without waiting for the 10 s delay.
TEST(DynamicBatcherTest, TwoWorkersSplitWhatIsInFlight) {
  absl::Notification entered, gate;
  RecordingEvaluator eval(&entered, &gate);
  DynamicBatcherOptions o;
  o.max_batch = 128;
  o.max_queue_delay = absl::Seconds(10);
  o.workers = 2;
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  std::vector<Outcome> out(8);
  for (int r = 0; r < 8; ++r) {
    std::vector<EncodedPosition> request;
    for (int i = 0; i < 16; ++i) request.push_back(PositionWithStones(9, r));
    batcher.Submit(std::move(request), Record(&out[r]));
  }
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  // The batch of requests 0-3 (the first taken; either worker may reach the evaluator first)
  // is held at the gate; the second must finish meanwhile.
  for (int r = 4; r < 8; ++r) {
    ASSERT_TRUE(out[r].done.WaitForNotificationWithTimeout(absl::Seconds(5))) << r;
    EXPECT_EQ(out[r].values, std::vector<float>(16, static_cast<float>(r)));
  }
  EXPECT_FALSE(out[0].done.HasBeenNotified());
  gate.Notify();
  for (int r = 0; r < 4; ++r)
    ASSERT_TRUE(out[r].done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(eval.sizes(), (std::vector<int>{64, 64}));
}

TEST(DynamicBatcherTest, StopFailsQueuedRequestsAndLaterSubmits) {
  RecordingEvaluator eval;
  DynamicBatcherOptions o;
  o.max_batch = 100;
  o.max_queue_delay = absl::Seconds(10);
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  Outcome queued, late;
  batcher.Submit({PositionWithStones(9, 1)}, Record(&queued));
  batcher.Stop();
  ASSERT_TRUE(queued.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(queued.status.code(), absl::StatusCode::kUnavailable);
  batcher.Submit({PositionWithStones(9, 1)}, Record(&late));
  ASSERT_TRUE(late.done.HasBeenNotified());
  EXPECT_EQ(late.status.code(), absl::StatusCode::kUnavailable);
}

TEST(DynamicBatcherTest, CancelledRequestsNeverReachTheEvaluator) {
  absl::Notification entered, gate;
  RecordingEvaluator eval(&entered, &gate);
  DynamicBatcherOptions o;
  o.max_batch = 8;
  o.max_queue_delay = absl::ZeroDuration();
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  Outcome blocker, gone, kept;
  batcher.Submit({PositionWithStones(9, 0)}, Record(&blocker));
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  batcher.Submit({PositionWithStones(9, 1), PositionWithStones(9, 2)}, Record(&gone), cancelled);
  batcher.Submit({PositionWithStones(9, 3)}, Record(&kept), nullptr);
  cancelled->store(true);  // the client went away while its request waited
  batcher.CancelledSome();
  gate.Notify();
  ASSERT_TRUE(gone.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_TRUE(kept.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(gone.status.code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE(kept.status.ok());
  EXPECT_EQ(kept.values, std::vector<float>{3});
  EXPECT_EQ(eval.sizes(), (std::vector<int>{1, 1}));  // the blocker, then only `kept`
  EXPECT_EQ(batcher.stats().cancelled_requests, 1);
}

TEST(DynamicBatcherTest, QueueIsBoundedAcrossAllRequests) {
  absl::Notification entered, gate;
  RecordingEvaluator eval(&entered, &gate);
  DynamicBatcherOptions o;
  o.max_batch = 4;
  o.max_queue_delay = absl::ZeroDuration();
  o.max_queued_positions = 4;
  DynamicBatcher batcher(
      &eval, [] { return int64_t{0}; }, o);
  Outcome blocker, a, b, over;
  batcher.Submit({PositionWithStones(9, 0)}, Record(&blocker));
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(5)));
  batcher.Submit({PositionWithStones(9, 1), PositionWithStones(9, 2)}, Record(&a));
  batcher.Submit({PositionWithStones(9, 3), PositionWithStones(9, 4)}, Record(&b));
  batcher.Submit({PositionWithStones(9, 5)}, Record(&over));  // a fifth queued position
  ASSERT_TRUE(over.done.HasBeenNotified());                   // answered at once
  EXPECT_EQ(over.status.code(), absl::StatusCode::kResourceExhausted);
  gate.Notify();
  ASSERT_TRUE(a.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_TRUE(b.done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_TRUE(a.status.ok() && b.status.ok());
  EXPECT_EQ(batcher.stats().refused_requests, 1);
  o.max_queued_positions = 3;  // below max_batch
  EXPECT_FALSE(ValidateBatcherOptions(o).ok());
}

TEST(DynamicBatcherTest, RejectsBadOptions) {
  DynamicBatcherOptions o;
  o.max_batch = 0;
  EXPECT_FALSE(ValidateBatcherOptions(o).ok());
  o.max_batch = 8;
  o.max_queue_delay = absl::Microseconds(-1);
  EXPECT_FALSE(ValidateBatcherOptions(o).ok());
  o.max_queue_delay = absl::ZeroDuration();
  EXPECT_TRUE(ValidateBatcherOptions(o).ok());
}

}  // namespace
}  // namespace zf
