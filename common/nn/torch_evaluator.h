// TorchEvaluator: the in-process LibTorch implementation of zf::Evaluator, plus device
// parsing. Implemented in torch_evaluator.cc.
//
// One Evaluate call = one host->device copy of the encoded batch, one forward pass, a masked
// softmax over the empty points on the device, one device->host copy:
//
//   EncodeInputs (CPU fp32) -> device [-> bf16 on CUDA] -> channels_last -> net
//     -> logits [B, n*n] -> fp32, occupied points masked -> softmax -> [B, n*n | value] -> host
//
// The model sits behind a shared_ptr swapped under a mutex: SetModel never waits for
// evaluations, and an evaluation in flight finishes on the model it started with.
#ifndef ZEROFLEET_COMMON_NN_TORCH_EVALUATOR_H_
#define ZEROFLEET_COMMON_NN_TORCH_EVALUATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "common/nn/network.h"
#include "common/search/evaluator.h"

namespace zf {

// "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:N". Errors name the spec.
absl::StatusOr<torch::Device> ParseDevice(absl::string_view spec);

struct TorchEvaluatorOptions {
  std::string device = "auto";
  bool bf16 = true;          // bf16 weights and activations; CUDA only (CPU is always fp32)
  int intra_op_threads = 0;  // > 0: torch::set_num_threads (process-wide); 0 = torch default
  // Pad each batch to PaddedBatchSize rows. kAuto: on CUDA, where cuDNN (benchmark mode)
  // tunes its kernels anew for every batch shape it sees; self-play's batch sizes vary.
  enum class Padding { kAuto, kOn, kOff };
  Padding pad_batches = Padding::kAuto;
};

class TorchEvaluator : public Evaluator {
 public:
  // Takes a deep copy of `net` (the caller keeps training its own, but not during this call).
  // Thread-safe.
  static absl::StatusOr<std::unique_ptr<TorchEvaluator>> Create(
      PolicyValueNet net, int64_t version, const TorchEvaluatorOptions& options);

  // Thread-safe; concurrent calls run concurrently.
  absl::Status Evaluate(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                        absl::Span<float> value) override;
  // Evaluate, naming the version that computed it (a SetModel mid-call does not change it).
  absl::Status EvaluateVersioned(absl::Span<const EncodedPosition> batch, absl::Span<float> policy,
                                 absl::Span<float> value, int64_t* version) override;

  // Swaps to a deep copy of `net` (not being trained during this call); calls in flight
  // finish on the old model. Evaluate never waits for the copy. If preparing the
  // copy fails (device out of memory), the old model stays and set_model_status() says why.
  // Thread-safe.
  void SetModel(PolicyValueNet net, int64_t version);
  // The outcome of the last SetModel (OK before any). Thread-safe.
  absl::Status set_model_status() const;

  int64_t version() const;                                  // Thread-safe.
  torch::Device device() const { return device_; }          // Thread-safe (fixed at creation).
  bool bf16() const { return dtype_ == torch::kBFloat16; }  // Thread-safe.
  bool pads_batches() const { return pad_; }                // Thread-safe.

 private:
  struct Model {
    PolicyValueNet net{nullptr};
    int64_t version = 0;
  };

  TorchEvaluator(torch::Device device, torch::ScalarType dtype, bool pad)
      : device_(device), dtype_(dtype), pad_(pad) {}
  // Clone, eval mode, device, dtype, memory format. Throws c10::Error (callers catch).
  std::shared_ptr<Model> Prepare(PolicyValueNet& net, int64_t version) const;
  std::shared_ptr<Model> Current() const;

  const torch::Device device_;
  const torch::ScalarType dtype_;  // kFloat32, or kBFloat16 on CUDA
  const bool pad_;                 // pad batches to PaddedBatchSize rows
  mutable absl::Mutex mu_;
  std::shared_ptr<Model> model_ ABSL_GUARDED_BY(mu_);
  absl::Status set_model_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace zf

#endif  // ZEROFLEET_COMMON_NN_TORCH_EVALUATOR_H_
