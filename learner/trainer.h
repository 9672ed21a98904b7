// The trainer: owns the network being trained and its optimizer, takes one optimizer step per
// minibatch, and saves/restores the whole training state. Implemented in trainer.cc.
//
// One step (Step):
//   1. Move the batch to the device; set this step's learning rate (warmup, then schedule).
//   2. Forward under bf16 autocast when enabled (weights stay fp32: the master copy).
//   3. loss = policy cross-entropy vs the target distribution + value MSE (weight decay is
//      the optimizer's).
//   4. Backward; global gradient norm; clip to grad_clip_norm when set.
//   5. Read the stats back (one device sync); a non-finite loss or gradient skips the update,
//      restores the BN statistics and returns an error: one bad batch cannot poison the net.
//   6. Optimizer step.
//
// LibTorch exceptions never escape: every method returns a status naming what failed.
#ifndef ZEROFLEET_LEARNER_TRAINER_H_
#define ZEROFLEET_LEARNER_TRAINER_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/nn/network.h"
#include "learner/replay_buffer.h"

namespace zf {

struct TrainerOptions {
  int batch_size = 1024;          // for callers that sample; Step takes any batch
  std::string optimizer = "sgd";  // "sgd" (with momentum) or "adamw"
  double lr = 0.02;               // peak learning rate
  double momentum = 0.9;          // SGD momentum
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_eps = 1e-8;
  double weight_decay = 1e-4;  // SGD: L2 in the gradient; AdamW: decoupled
  // Linear warmup from lr/warmup_steps to lr over the first warmup_steps steps.
  int64_t warmup_steps = 0;
  // After warmup: "constant"; "cosine" from lr down to lr * min_lr_fraction at total_steps;
  // "step": lr * step_gamma^floor((step - warmup_steps) / step_every).
  std::string schedule = "constant";
  int64_t total_steps = 0;
  double min_lr_fraction = 0.0;
  int64_t step_every = 0;
  double step_gamma = 0.1;
  // Clip the global L2 norm of the gradients to this; 0 = no clipping.
  double grad_clip_norm = 0.0;
  // "auto" = bf16 autocast on CUDA, fp32 on CPU; "fp32"; "bf16".
  std::string precision = "auto";
  // "auto", "cpu", "cuda", "cuda:N" (common/nn/torch_evaluator.h ParseDevice).
  std::string device = "auto";
  // Seeds the initial weights of Create(config, ...) (through torch::manual_seed).
  uint64_t seed = 1;
  // Exported models are an exponential moving average of the weights with this decay per step
  // (0 = the current weights). Not part of Serialize(): a restored trainer restarts the
  // average from its weights.
  double ema_decay = 0.0;
};

// Range checks and known names; the error names the field.
absl::Status ValidateTrainerOptions(const TrainerOptions& options);

// The learning rate for step `step` (0-based: the step about to run). Thread-safe.
double LearningRateAt(const TrainerOptions& options, int64_t step);

struct StepStats {
  double policy_loss = 0;     // cross-entropy against the target distribution
  double value_loss = 0;      // mean squared error
  double policy_entropy = 0;  // mean entropy of the net's policy on the batch
  double lr = 0;              // learning rate this step used
  double grad_norm = 0;       // global gradient norm before clipping
  int64_t step = 0;           // steps taken, this one included
};

class Trainer {
 public:
  // A fresh net of `config` (weights from options.seed).
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(const NetConfig& config,
                                                         const TrainerOptions& options);
  // Continues from `net`'s weights (e.g. a model file); takes a deep copy. Step count 0.
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(PolicyValueNet net,
                                                         const TrainerOptions& options);
  // From Serialize() bytes: the architecture comes from `state`, the options from the caller
  // (a resumed run may change the schedule).
  static absl::StatusOr<std::unique_ptr<Trainer>> Restore(absl::string_view state,
                                                          const TrainerOptions& options);

  // One optimizer step on `batch` (any batch size >= 1). Not thread-safe.
  absl::StatusOr<StepStats> Step(const TrainingBatch& batch);

  // The full training state: architecture, weights and BN statistics, optimizer state
  // (momentum buffers / Adam moments), step count (which fixes the LR schedule position).
  //   "ZFTS" | u32 version | i32 x4 NetConfig | i64 step | u8 optimizer (0 sgd, 1 adamw) |
  //   u64 n | net archive (n bytes) | u64 m | optimizer archive (m bytes) | u32 crc32
  // Not thread-safe.
  absl::StatusOr<std::string> Serialize();
  // Loads Serialize() bytes of the same architecture and optimizer into this trainer; on
  // error the trainer is unchanged. It swaps in a new net object: handles from net() taken
  // before refer to the old weights. Not thread-safe.
  absl::Status Deserialize(absl::string_view state);

  // A model file (common/nn/model_file.h) of the current weights (their moving average when
  // options().ema_decay > 0). Not thread-safe.
  absl::StatusOr<std::string> ExportModel(int64_t version);
  // The net being trained (shared handle; do not use it while Step runs). Not thread-safe.
  PolicyValueNet net() const { return net_; }
  // The optimizer's per-parameter state tensors in parameter order (SGD: momentum buffer;
  // AdamW: exp_avg, exp_avg_sq), as CPU copies; empty before the first step. For tests and
  // diagnostics. Not thread-safe.
  std::vector<torch::Tensor> OptimizerStateTensors() const;

  int64_t step() const { return step_; }                                // Not thread-safe.
  double CurrentLr() const { return LearningRateAt(options_, step_); }  // Not thread-safe.
  const TrainerOptions& options() const { return options_; }            // Thread-safe.
  const NetConfig& config() const { return config_; }                   // Thread-safe.
  torch::Device device() const { return device_; }                      // Thread-safe.
  bool bf16() const { return bf16_; }                                   // Thread-safe.

 private:
  Trainer(const TrainerOptions& options, const NetConfig& config, torch::Device device, bool bf16)
      : options_(options), config_(config), device_(device), bf16_(bf16) {}
  // Moves the net to the device and builds the optimizer. Throws (callers catch).
  void Init(PolicyValueNet net);
  void ApplyOptimizerOptions(double lr);
  // Folds the just-updated weights into ema_net_ (BN statistics are copied). Throws.
  void UpdateAverage();
  // A training step's batch to the device, forward, losses, backward; its numbers (lr and
  // step left unset). Throws c10::Error (Step catches).
  StepStats ForwardBackward(const TrainingBatch& batch);
  // Scales the gradients down to options_.grad_clip_norm when `grad_norm` exceeds it.
  void ClipGradients(double grad_norm);

  const TrainerOptions options_;
  const NetConfig config_;
  const torch::Device device_;
  const bool bf16_;
  PolicyValueNet net_{nullptr};
  PolicyValueNet ema_net_{nullptr};  // set when options_.ema_decay > 0
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<torch::Tensor> params_;
  int64_t step_ = 0;
};

}  // namespace zf

#endif  // ZEROFLEET_LEARNER_TRAINER_H_
