#include "common/metrics/zerofleet_metrics.h"

#include <string>
#include <utility>

namespace zf {
namespace {

prometheus::Counter& NewCounter(prometheus::Registry& registry, const std::string& name,
                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Family<prometheus::Gauge>& NewGaugeFamily(prometheus::Registry& registry,
                                                      const std::string& name,
                                                      const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

prometheus::Histogram& NewHistogram(prometheus::Registry& registry, const std::string& name,
                                    const std::string& help,
                                    const prometheus::Histogram::BucketBoundaries& buckets) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, buckets);
}

prometheus::Histogram::BucketBoundaries Geometric(double first, double factor, int count) {
  prometheus::Histogram::BucketBoundaries bounds;
  double b = first;
  for (int i = 0; i < count; ++i, b *= factor) bounds.push_back(b);
  return bounds;
}

}  // namespace

void AdvanceCounterTo(prometheus::Counter& counter, double total) {
  const double delta = total - counter.Value();
  if (delta > 0) counter.Increment(delta);
}

prometheus::Histogram::BucketBoundaries BatchSizeBuckets() { return Geometric(1, 2, 13); }
prometheus::Histogram::BucketBoundaries LatencySecondsBuckets() { return Geometric(1e-4, 2, 18); }
prometheus::Histogram::BucketBoundaries SlowSecondsBuckets() { return Geometric(0.01, 2, 15); }

SelfPlayMetricSet::SelfPlayMetricSet(std::shared_ptr<prometheus::Registry> registry)
    : simulations(NewCounter(*registry, "zerofleet_selfplay_simulations_total",
                             "MCTS playouts run by self-play (evaluated leaves and terminal "
                             "visits).")),
      moves(NewCounter(*registry, "zerofleet_selfplay_moves_total",
                       "Moves played in self-play games.")),
      games(NewCounter(*registry, "zerofleet_selfplay_games_total", "Self-play games finished.")),
      registry_(std::move(registry)) {}

InferenceMetricSet::InferenceMetricSet(std::shared_ptr<prometheus::Registry> registry)
    : evaluations(NewCounter(*registry, "zerofleet_inference_evaluations_total",
                             "Positions evaluated by the network.")),
      batches(NewCounter(*registry, "zerofleet_inference_batches_total",
                         "Network forward passes (batches) run.")),
      batch_size(NewHistogram(*registry, "zerofleet_inference_batch_size",
                              "Positions per network batch.", BatchSizeBuckets())),
      compute_seconds(NewHistogram(*registry, "zerofleet_inference_compute_seconds",
                                   "Wall time of one batch evaluation, in seconds.",
                                   LatencySecondsBuckets())),
      registry_(std::move(registry)) {}

void InferenceMetricSet::ObserveBatch(int64_t size, double seconds) {
  evaluations.Increment(static_cast<double>(size));
  batches.Increment();
  batch_size.Observe(static_cast<double>(size));
  compute_seconds.Observe(seconds);
}

InferenceServerMetricSet::InferenceServerMetricSet(std::shared_ptr<prometheus::Registry> registry)
    : queue_wait_seconds(NewHistogram(*registry, "zerofleet_inference_queue_wait_seconds",
                                      "Time a request waited in the batcher's queue before its "
                                      "batch started, in seconds.",
                                      LatencySecondsBuckets())),
      open_streams(NewGaugeFamily(*registry, "zerofleet_inference_open_streams",
                                  "Evaluate streams open (one per connected actor).")
                       .Add({})),
      model_version(NewGaugeFamily(*registry, "zerofleet_inference_model_version",
                                   "Version of the model this server evaluates with.")
                        .Add({})),
      models_loaded(NewCounter(*registry, "zerofleet_inference_models_loaded_total",
                               "Model versions received from the learner and swapped in.")),
      registry_(std::move(registry)) {}

ActorMetricSet::ActorMetricSet(std::shared_ptr<prometheus::Registry> registry)
    : leaf_roundtrip_seconds(NewHistogram(*registry, "zerofleet_actor_leaf_roundtrip_seconds",
                                          "Round trip of one leaf batch to the inference "
                                          "servers (retries included), in seconds.",
                                          LatencySecondsBuckets())),
      batches_in_flight(NewGaugeFamily(*registry, "zerofleet_actor_batches_in_flight",
                                       "Leaf batches sent and not yet answered.")
                            .Add({})),
      games_acked(NewCounter(*registry, "zerofleet_actor_games_acked_total",
                             "Finished games the learner acknowledged (durably stored).")),
      evaluate_retries(NewCounter(*registry, "zerofleet_actor_evaluate_retries_total",
                                  "Leaf batches retried because no inference server answered.")),
      games_pending(NewGaugeFamily(*registry, "zerofleet_actor_games_pending",
                                   "Finished games waiting for the learner's ack.")
                        .Add({})),
      registry_(std::move(registry)) {}

LearnerMetricSet::LearnerMetricSet(std::shared_ptr<prometheus::Registry> registry)
    : train_steps(NewCounter(*registry, "zerofleet_learner_train_steps_total",
                             "Optimizer steps taken by the learner.")),
      samples_trained(NewCounter(*registry, "zerofleet_learner_samples_trained_total",
                                 "Training samples consumed (steps times batch size).")),
      games_received(NewCounter(*registry, "zerofleet_learner_games_received_total",
                                "Self-play games added to the replay buffer.")),
      buffer_positions(NewGaugeFamily(*registry, "zerofleet_learner_buffer_positions",
                                      "Positions held in the replay buffer.")
                           .Add({})),
      model_version(NewGaugeFamily(*registry, "zerofleet_model_version",
                                   "Version of the newest model published to self-play.")
                        .Add({})),
      checkpoint_seconds(NewHistogram(*registry, "zerofleet_learner_checkpoint_seconds",
                                      "Wall time to write one checkpoint, in seconds.",
                                      SlowSecondsBuckets())),
      duplicate_games(NewCounter(*registry, "zerofleet_learner_duplicate_games_total",
                                 "Games received again (same id) and not counted twice.")),
      checkpoint_failures(NewCounter(*registry, "zerofleet_learner_checkpoint_failures_total",
                                     "Checkpoint writes that failed (retried with backoff).")),
      registry_(std::move(registry)),
      loss_(NewGaugeFamily(*registry_, "zerofleet_learner_loss",
                           "Loss of the latest training step, by head (policy: cross-entropy, "
                           "value: mean squared error).")),
      entropy_(NewGaugeFamily(*registry_, "zerofleet_learner_policy_entropy",
                              "Mean entropy of the network's policy on the latest batch, in "
                              "nats.")),
      lr_(NewGaugeFamily(*registry_, "zerofleet_learner_learning_rate",
                         "Learning rate used by the latest training step.")) {}

void LearnerMetricSet::SetStep(double policy_loss, double value_loss, double policy_entropy,
                               double lr) {
  // Family::Add returns the existing child for known labels.
  loss_.Add({{"head", "policy"}}).Set(policy_loss);
  loss_.Add({{"head", "value"}}).Set(value_loss);
  entropy_.Add({}).Set(policy_entropy);
  lr_.Add({}).Set(lr);
}

RatingMetricSet::RatingMetricSet(std::shared_ptr<prometheus::Registry> registry)
    : registry_(std::move(registry)),
      elo_(NewGaugeFamily(*registry_, "zerofleet_rating_elo",
                          "Elo of the newest rated model version (net-less search at 400 "
                          "playouts = 0).")),
      elo_low_(NewGaugeFamily(*registry_, "zerofleet_rating_elo_low",
                              "Lower end of the 95% interval of zerofleet_rating_elo.")),
      elo_high_(NewGaugeFamily(*registry_, "zerofleet_rating_elo_high",
                               "Upper end of the 95% interval of zerofleet_rating_elo.")),
      version_(NewGaugeFamily(*registry_, "zerofleet_rating_model_version",
                              "Model version that zerofleet_rating_elo belongs to.")),
      games_(NewCounter(*registry_, "zerofleet_rating_games_total",
                        "Games played to rate model versions.")),
      cpu_seconds_(NewCounter(*registry_, "zerofleet_rating_cpu_seconds_total",
                              "CPU seconds the rater spent (its budget is a fraction of the "
                              "machine).")) {}

void RatingMetricSet::Set(int64_t version, double elo, double elo_low, double elo_high,
                          double games_total, double cpu_seconds_total) {
  elo_.Add({}).Set(elo);
  elo_low_.Add({}).Set(elo_low);
  elo_high_.Add({}).Set(elo_high);
  version_.Add({}).Set(static_cast<double>(version));
  AdvanceCounterTo(games_, games_total);
  AdvanceCounterTo(cpu_seconds_, cpu_seconds_total);
}

}  // namespace zf
