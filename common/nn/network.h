// The policy/value network (LibTorch), its input planes and its model file.
// Implemented in network.cc (net, inputs) and model_file.cc (save/load).
//
// Architecture: a ResNet trunk of `blocks` residual blocks x `channels`, then
//   policy head: 1x1 conv (trunk width) -> BN -> ReLU -> 1x1 conv to 1 plane = one logit
//                per board point (fully convolutional, so one model serves every board size);
//   value head:  1x1 conv -> BN -> ReLU -> global average (and max) pooling -> FC -> ReLU
//                -> FC -> tanh.
//
// Input planes, [B, kInputPlanes, n, n] float32:
//   0 own stones (side to move)      3 ones on the board (marks the board inside padding)
//   1 opponent stones                4 ones if the side to move is black
//   2 last move                      5 ones if the rule is "standard" (exactly k)
#ifndef ZEROFLEET_COMMON_NN_NETWORK_H_
#define ZEROFLEET_COMMON_NN_NETWORK_H_

#include <torch/torch.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/game/encoded_position.h"

namespace zf {

constexpr int kInputPlanes = 6;

struct NetConfig {
  int blocks = 6;
  int channels = 64;
  int value_channels = 32;  // 1x1 conv width in the value head
  int value_hidden = 64;    // FC width in the value head

  bool operator==(const NetConfig& o) const {
    return blocks == o.blocks && channels == o.channels && value_channels == o.value_channels &&
           value_hidden == o.value_hidden;
  }
};

// "tiny" (2x32, CPU tests), "small" (6x64), "base" (10x128). An unknown name is
// InvalidArgument naming it and the valid ones. Thread-safe (like every free function here).
absl::StatusOr<NetConfig> NetConfigFromPreset(absl::string_view name);
// Ranges: blocks 1..64, channels 4..1024, value_channels 1..1024, value_hidden 1..4096.
absl::Status ValidateNetConfig(const NetConfig& config);
// Multiply-accumulates x2 of one forward pass on an n x n board (for benchmarks).
double ForwardFlops(const NetConfig& config, int board_size);

// net->clone() is a deep copy (weights and BN statistics), ready for another thread/device.
class PolicyValueNetImpl : public torch::nn::Cloneable<PolicyValueNetImpl> {
 public:
  // `config` should pass ValidateNetConfig. Weights start from LibTorch's default init.
  explicit PolicyValueNetImpl(const NetConfig& config);
  // Re-creates every layer (Cloneable calls it). Not thread-safe.
  void reset() override;
  // x: [B, kInputPlanes, n, n] -> {policy logits [B, n*n], value [B] in (-1, 1)}.
  // Thread-safe in eval mode without grad (nothing is written); not thread-safe in training
  // mode (batch norm updates its running statistics).
  std::pair<torch::Tensor, torch::Tensor> forward(torch::Tensor x);
  const NetConfig& config() const { return config_; }  // Thread-safe.

  // For inference only (eval mode, after the weights are final): folds every batch norm into
  // the convolution before it (w' = w * s, b' = beta + (b - mean) * s, s = gamma /
  // sqrt(var + eps)), so a forward pass runs 7 fewer ops per block structure and the bias add
  // rides in the convolution. Same outputs up to rounding. The folded net can no longer be
  // cloned or trained. Not thread-safe.
  void FoldBatchNorm();

 private:
  NetConfig config_;
  // Registered in reset() (network.cc); Cloneable::clone() re-runs reset() and copies weights.
  torch::nn::Sequential trunk_{nullptr};        // input conv + residual blocks
  torch::nn::Sequential policy_head_{nullptr};  // -> [B, 1, n, n] logits
  torch::nn::Sequential value_conv_{nullptr};   // 1x1 conv -> BN -> ReLU
  torch::nn::Linear value_fc1_{nullptr};
  torch::nn::Linear value_fc2_{nullptr};
};
TORCH_MODULE(PolicyValueNet);

// Writes the planes for `batch` into a contiguous CPU float tensor [B, kInputPlanes, n, n].
// All positions must share one board size (CheckEvaluateArgs checks it); an empty batch gives
// [rows, kInputPlanes, 0, 0]. With `rows` > batch.size(), the extra rows are all zero (padding).
// Thread-safe.
torch::Tensor EncodeInputs(absl::Span<const EncodedPosition> batch, int64_t rows = 0);

// The batch size a call with `batch` positions is padded to on CUDA: 8, 16, then at most four
// sizes per doubling (24, 32, 40, 48, 56, 64, 80, 96, ...), so that cuDNN tunes its kernels for
// a few dozen shapes instead of every size self-play happens to produce. Above 32 it adds
// under 25%.
int64_t PaddedBatchSize(int64_t batch);

}  // namespace zf

#endif  // ZEROFLEET_COMMON_NN_NETWORK_H_
