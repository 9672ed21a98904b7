#include "common/nn/network.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace zf {
namespace {

struct Preset {
  const char* name;
  NetConfig config;
};

// blocks, channels, value_channels, value_hidden.
constexpr Preset kPresets[] = {
    {"tiny", {2, 32, 8, 32}},
    {"small", {6, 64, 32, 64}},
    {"base", {10, 128, 32, 128}},
};

torch::nn::Conv2d Conv(int in, int out, int kernel, bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2).bias(bias));
}

// A convolution followed by an eval-mode batch norm, as one convolution with a bias.
torch::nn::Conv2d FoldedConv(const torch::nn::Conv2d& conv, const torch::nn::BatchNorm2d& bn) {
  torch::NoGradGuard no_grad;
  const auto& o = conv->options;
  torch::nn::Conv2d out(torch::nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                            .padding(o.padding())
                            .bias(true));
  const torch::Tensor scale = bn->weight / torch::sqrt(bn->running_var + bn->options.eps());
  out->weight.copy_(conv->weight * scale.reshape({-1, 1, 1, 1}));
  const torch::Tensor bias =
      conv->bias.defined() ? conv->bias : torch::zeros_like(bn->running_mean);
  out->bias.copy_(bn->bias + (bias - bn->running_mean) * scale);
  return out;
}

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus the skip, then ReLU.
class ResidualBlockImpl : public torch::nn::Cloneable<ResidualBlockImpl> {
 public:
  explicit ResidualBlockImpl(int channels) : channels_(channels) { reset(); }

  void reset() override {
    conv1_ = register_module("conv1", Conv(channels_, channels_, 3, /*bias=*/false));
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(channels_));
    conv2_ = register_module("conv2", Conv(channels_, channels_, 3, /*bias=*/false));
    bn2_ = register_module("bn2", torch::nn::BatchNorm2d(channels_));
    folded_ = false;
  }

  torch::Tensor forward(torch::Tensor x) {
    if (folded_) {
      torch::Tensor h = torch::relu(conv1_->forward(x));
      return torch::relu(conv2_->forward(h) + x);
    }
    torch::Tensor h = torch::relu(bn1_->forward(conv1_->forward(x)));
    h = bn2_->forward(conv2_->forward(h));
    return torch::relu(h + x);
  }

  // See PolicyValueNetImpl::FoldBatchNorm.
  void Fold() {
    conv1_ = replace_module("conv1", FoldedConv(conv1_, bn1_));
    conv2_ = replace_module("conv2", FoldedConv(conv2_, bn2_));
    folded_ = true;
  }

 private:
  int channels_;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Conv2d conv2_{nullptr};
  torch::nn::BatchNorm2d bn2_{nullptr};
  bool folded_ = false;
};
TORCH_MODULE(ResidualBlock);

absl::Status CheckRange(const char* field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat("net config: ", field, " = ", value, " is outside [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

// Sets the bits of `plane` that fall on the board to 1 in `out` (n*n floats).
void ScatterBits(const std::array<uint64_t, kPlaneWords>& plane, int points, float* out) {
  for (int w = 0; w < kPlaneWords && 64 * w < points; ++w) {
    uint64_t bits = plane[w];
    while (bits != 0) {
      const int p = 64 * w + __builtin_ctzll(bits);
      if (p >= points) break;  // bits past the board (never set by Encode) are ignored
      out[p] = 1.0f;
      bits &= bits - 1;
    }
  }
}

}  // namespace

absl::StatusOr<NetConfig> NetConfigFromPreset(absl::string_view name) {
  std::vector<std::string> names;
  for (const Preset& preset : kPresets) {
    if (name == preset.name) return preset.config;
    names.push_back(preset.name);
  }
  // "BxC": B residual blocks of C channels, with a value head sized like tiny's (C/4 channels,
  // at least 8, into C features).
  int blocks = 0, channels = 0;
  const std::vector<std::string> parts = absl::StrSplit(name, 'x');
  if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &blocks) &&
      absl::SimpleAtoi(parts[1], &channels)) {
    const NetConfig config{blocks, channels, std::max(8, channels / 4), channels};
    if (absl::Status s = ValidateNetConfig(config); !s.ok()) return s;
    return config;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown net preset '", name,
                                                 "'; valid: ", absl::StrJoin(names, ", "),
                                                 " or BLOCKSxCHANNELS"));
}

absl::Status ValidateNetConfig(const NetConfig& config) {
  if (absl::Status s = CheckRange("blocks", config.blocks, 1, 64); !s.ok()) return s;
  if (absl::Status s = CheckRange("channels", config.channels, 4, 1024); !s.ok()) return s;
  if (absl::Status s = CheckRange("value_channels", config.value_channels, 1, 1024); !s.ok()) {
    return s;
  }
  return CheckRange("value_hidden", config.value_hidden, 1, 4096);
}

double ForwardFlops(const NetConfig& c, int board_size) {
  const double points = static_cast<double>(board_size) * board_size;
  const double ch = c.channels;
  double macs = 9.0 * kInputPlanes * ch * points;   // input conv
  macs += c.blocks * 2.0 * 9.0 * ch * ch * points;  // residual blocks
  macs += (ch * ch + ch) * points;                  // policy head: 1x1 ch->ch, 1x1 ch->1
  macs += ch * c.value_channels * points;           // value head 1x1 conv
  macs += 2.0 * c.value_channels * c.value_hidden + c.value_hidden;  // value FCs
  return 2.0 * macs;
}

PolicyValueNetImpl::PolicyValueNetImpl(const NetConfig& config) : config_(config) { reset(); }

void PolicyValueNetImpl::reset() {
  const int ch = config_.channels;
  const int vc = config_.value_channels;
  trunk_ = torch::nn::Sequential();
  trunk_->push_back(Conv(kInputPlanes, ch, 3, /*bias=*/false));
  trunk_->push_back(torch::nn::BatchNorm2d(ch));
  trunk_->push_back(torch::nn::ReLU());
  for (int i = 0; i < config_.blocks; ++i) trunk_->push_back(ResidualBlock(ch));
  trunk_ = register_module("trunk", trunk_);

  // The policy head keeps the trunk width in its hidden 1x1 conv (cheap next to the trunk).
  policy_head_ = register_module(
      "policy_head",
      torch::nn::Sequential(Conv(ch, ch, 1, /*bias=*/false), torch::nn::BatchNorm2d(ch),
                            torch::nn::ReLU(), Conv(ch, 1, 1, /*bias=*/true)));

  value_conv_ = register_module(
      "value_conv", torch::nn::Sequential(Conv(ch, vc, 1, /*bias=*/false),
                                          torch::nn::BatchNorm2d(vc), torch::nn::ReLU()));
  // Average and max pooling, concatenated: 2 * vc features whatever the board size.
  value_fc1_ = register_module("value_fc1", torch::nn::Linear(2 * vc, config_.value_hidden));
  value_fc2_ = register_module("value_fc2", torch::nn::Linear(config_.value_hidden, 1));
}

void PolicyValueNetImpl::FoldBatchNorm() {
  // Each Sequential is rebuilt without its batch norms (a Sequential runs its own list, so
  // replacing one child would not change what it runs).
  auto conv = [](torch::nn::Sequential& s, size_t i) {
    auto p = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(s->ptr(i));
    TORCH_CHECK(p != nullptr, "FoldBatchNorm: layer ", i, " is not a convolution");
    return torch::nn::Conv2d(p);
  };
  auto bn = [](torch::nn::Sequential& s, size_t i) {
    auto p = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(s->ptr(i));
    TORCH_CHECK(p != nullptr, "FoldBatchNorm: layer ", i, " is not a batch norm");
    return torch::nn::BatchNorm2d(p);
  };
  torch::nn::Sequential trunk(FoldedConv(conv(trunk_, 0), bn(trunk_, 1)), torch::nn::ReLU());
  for (size_t i = 3; i < trunk_->size(); ++i) {
    auto impl = std::dynamic_pointer_cast<ResidualBlockImpl>(trunk_->ptr(i));
    TORCH_CHECK(impl != nullptr, "FoldBatchNorm: layer ", i, " is not a residual block");
    ResidualBlock block(impl);
    block->Fold();
    trunk->push_back(block);
  }
  torch::nn::Sequential policy(FoldedConv(conv(policy_head_, 0), bn(policy_head_, 1)),
                               torch::nn::ReLU(), conv(policy_head_, 3));
  torch::nn::Sequential value(FoldedConv(conv(value_conv_, 0), bn(value_conv_, 1)),
                              torch::nn::ReLU());
  trunk_ = replace_module("trunk", trunk);
  policy_head_ = replace_module("policy_head", policy);
  value_conv_ = replace_module("value_conv", value);
}

std::pair<torch::Tensor, torch::Tensor> PolicyValueNetImpl::forward(torch::Tensor x) {
  torch::Tensor h = trunk_->forward(x);
  torch::Tensor policy = policy_head_->forward(h).flatten(1);  // [B, n*n]
  torch::Tensor v = value_conv_->forward(h);                   // [B, vc, n, n]
  torch::Tensor pooled = torch::cat({v.mean({2, 3}), v.amax({2, 3})}, 1);
  torch::Tensor value = torch::relu(value_fc1_->forward(pooled));
  value = torch::tanh(value_fc2_->forward(value)).reshape({-1});  // [B]
  return {policy, value};
}

torch::Tensor EncodeInputs(absl::Span<const EncodedPosition> batch, int64_t rows) {
  const int64_t b = static_cast<int64_t>(batch.size());
  const int n = batch.empty() ? 0 : batch[0].size;
  const int points = n * n;
  torch::Tensor out = torch::zeros({std::max(b, rows), kInputPlanes, n, n}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  for (int64_t i = 0; i < b; ++i) {
    const EncodedPosition& pos = batch[i];
    float* planes = data + i * kInputPlanes * points;
    ScatterBits(pos.own, points, planes + 0 * points);
    ScatterBits(pos.opp, points, planes + 1 * points);
    if (pos.last_move >= 0 && pos.last_move < points) planes[2 * points + pos.last_move] = 1.0f;
    std::fill_n(planes + 3 * points, points, 1.0f);
    if (pos.to_move == Player::kBlack) std::fill_n(planes + 4 * points, points, 1.0f);
    if (pos.rule == Rule::kStandard) std::fill_n(planes + 5 * points, points, 1.0f);
  }
  return out;
}

int64_t PaddedBatchSize(int64_t batch) {
  if (batch <= 8) return 8;
  int64_t octave = 8;  // the largest power of two below `batch`
  while (octave * 2 < batch) octave *= 2;
  const int64_t step = std::max<int64_t>(8, octave / 4);
  return (batch + step - 1) / step * step;
}

}  // namespace zf
