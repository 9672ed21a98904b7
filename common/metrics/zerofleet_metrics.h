// The Prometheus metric families zerofleet exports, one set per component, so every process
// uses the same names, help texts and buckets (docs/OPERATIONS.md lists them). Implemented in
// zerofleet_metrics.cc.
//
// Conventions: `zerofleet_` prefix, base units (seconds), counters end in `_total`, histograms
// for batch sizes and latencies. A set registers its families in the registry it is given and
// keeps references to the metrics; the registry owns them (a set must not outlive it, so each
// set holds the registry's shared_ptr).
//
// Processes that learn cumulative counts from elsewhere (e.g. `zerofleet train`'s progress
// snapshots) advance counters with AdvanceCounterTo.
#ifndef ZEROFLEET_COMMON_METRICS_ZEROFLEET_METRICS_H_
#define ZEROFLEET_COMMON_METRICS_ZEROFLEET_METRICS_H_

#include <cstdint>
#include <memory>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace zf {

// Adds (total - counter.Value()) when positive: makes a counter follow a cumulative total
// observed elsewhere. A total below the counter is ignored (counters never go down).
// Thread-safe, but two threads advancing one counter may double-count: use one feeder.
void AdvanceCounterTo(prometheus::Counter& counter, double total);

// Buckets shared by the histograms below (upper bounds).
prometheus::Histogram::BucketBoundaries BatchSizeBuckets();       // 1, 2, 4, ... 4096
prometheus::Histogram::BucketBoundaries LatencySecondsBuckets();  // 100 us ... ~13 s
prometheus::Histogram::BucketBoundaries SlowSecondsBuckets();     // 10 ms ... ~160 s

// Self-play (an actor, or the self-play threads of `zerofleet train`).
class SelfPlayMetricSet {
 public:
  explicit SelfPlayMetricSet(std::shared_ptr<prometheus::Registry> registry);

  prometheus::Counter& simulations;  // zerofleet_selfplay_simulations_total
  prometheus::Counter& moves;        // zerofleet_selfplay_moves_total
  prometheus::Counter& games;        // zerofleet_selfplay_games_total

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

// Neural-net evaluation (an inference server, or the in-process evaluator of `train`).
class InferenceMetricSet {
 public:
  explicit InferenceMetricSet(std::shared_ptr<prometheus::Registry> registry);

  // Records one evaluated batch: advances evaluations and batches, observes the size and the
  // compute time. Thread-safe.
  void ObserveBatch(int64_t size, double compute_seconds);

  prometheus::Counter& evaluations;        // zerofleet_inference_evaluations_total
  prometheus::Counter& batches;            // zerofleet_inference_batches_total
  prometheus::Histogram& batch_size;       // zerofleet_inference_batch_size
  prometheus::Histogram& compute_seconds;  // zerofleet_inference_compute_seconds

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

// What only a zerofleet-inference-server has: the queue in front of the batcher, the actors
// connected, the model it serves.
class InferenceServerMetricSet {
 public:
  explicit InferenceServerMetricSet(std::shared_ptr<prometheus::Registry> registry);

  prometheus::Histogram& queue_wait_seconds;  // zerofleet_inference_queue_wait_seconds
  prometheus::Gauge& open_streams;            // zerofleet_inference_open_streams
  prometheus::Gauge& model_version;           // zerofleet_inference_model_version
  prometheus::Counter& models_loaded;         // zerofleet_inference_models_loaded_total

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

// A zerofleet-actor (with SelfPlayMetricSet for simulations, moves and games).
class ActorMetricSet {
 public:
  explicit ActorMetricSet(std::shared_ptr<prometheus::Registry> registry);

  prometheus::Histogram& leaf_roundtrip_seconds;  // zerofleet_actor_leaf_roundtrip_seconds
  prometheus::Gauge& batches_in_flight;           // zerofleet_actor_batches_in_flight
  prometheus::Counter& games_acked;               // zerofleet_actor_games_acked_total
  prometheus::Counter& evaluate_retries;          // zerofleet_actor_evaluate_retries_total
  prometheus::Gauge& games_pending;               // zerofleet_actor_games_pending

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

// The learner. Loss, entropy and learning rate appear only after the first training step
// (SetStep), so a fresh run exports no made-up zeros for them.
class LearnerMetricSet {
 public:
  explicit LearnerMetricSet(std::shared_ptr<prometheus::Registry> registry);

  // The latest training step's statistics. Thread-safe.
  void SetStep(double policy_loss, double value_loss, double policy_entropy, double lr);

  prometheus::Counter& train_steps;           // zerofleet_learner_train_steps_total
  prometheus::Counter& samples_trained;       // zerofleet_learner_samples_trained_total
  prometheus::Counter& games_received;        // zerofleet_learner_games_received_total
  prometheus::Gauge& buffer_positions;        // zerofleet_learner_buffer_positions
  prometheus::Gauge& model_version;           // zerofleet_model_version
  prometheus::Histogram& checkpoint_seconds;  // zerofleet_learner_checkpoint_seconds
  prometheus::Counter& duplicate_games;       // zerofleet_learner_duplicate_games_total
  prometheus::Counter& checkpoint_failures;   // zerofleet_learner_checkpoint_failures_total

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& loss_;  // zerofleet_learner_loss{head}
  prometheus::Family<prometheus::Gauge>& entropy_;
  prometheus::Family<prometheus::Gauge>& lr_;
};

// Strength tracked during training (tools/play/rater.h). The gauges appear with the first
// rated version, so a run exports no made-up Elo before it has one.
class RatingMetricSet {
 public:
  explicit RatingMetricSet(std::shared_ptr<prometheus::Registry> registry);

  // The newest rated version: Elo (anchor: net-less search at 400 playouts = 0) with its 95%
  // interval; totals of rating games and rater CPU seconds in this process. Thread-safe.
  void Set(int64_t version, double elo, double elo_low, double elo_high, double games_total,
           double cpu_seconds_total);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Gauge>& elo_;       // zerofleet_rating_elo
  prometheus::Family<prometheus::Gauge>& elo_low_;   // zerofleet_rating_elo_low
  prometheus::Family<prometheus::Gauge>& elo_high_;  // zerofleet_rating_elo_high
  prometheus::Family<prometheus::Gauge>& version_;   // zerofleet_rating_model_version
  prometheus::Counter& games_;                       // zerofleet_rating_games_total
  prometheus::Counter& cpu_seconds_;                 // zerofleet_rating_cpu_seconds_total
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_METRICS_ZEROFLEET_METRICS_H_
