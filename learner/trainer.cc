#include "learner/trainer.h"

#include <cmath>
#include <exception>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/nn/autocast.h"
#include "common/nn/model_file.h"
#include "common/nn/torch_evaluator.h"
#include "common/util/bytes.h"

namespace zf {
namespace {

constexpr char kMagic[] = "ZFTS";
constexpr uint32_t kFormatVersion = 1;
constexpr double kPi = 3.14159265358979323846;

absl::Status Bad(absl::string_view field, double value, absl::string_view range) {
  return absl::InvalidArgumentError(
      absl::StrCat("trainer option ", field, " = ", value, " out of range: ", range));
}

absl::Status Corrupt(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("trainer state: ", why));
}

uint8_t OptimizerCode(const std::string& name) { return name == "adamw" ? 1 : 0; }

// The optimizer's state map is keyed by a string form of the parameter's TensorImpl pointer in
// LibTorch 1.x and by the pointer itself in later versions; this finds it either way.
template <typename Map>
const torch::optim::OptimizerParamState* FindState(const Map& state, const torch::Tensor& p) {
  using Key = typename Map::key_type;
  typename Map::const_iterator it;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream key;  // what c10::guts::to_string writes
    key << p.unsafeGetTensorImpl();
    it = state.find(key.str());
  } else {
    it = state.find(static_cast<Key>(p.unsafeGetTensorImpl()));
  }
  return it == state.end() ? nullptr : it->second.get();
}

struct StateHeader {
  NetConfig config;
  int64_t step = 0;
  uint8_t optimizer = 0;
  absl::string_view net_archive;
  absl::string_view optimizer_archive;
};

absl::StatusOr<StateHeader> ParseState(absl::string_view bytes) {
  if (bytes.size() < 8 || bytes.substr(0, 4) != absl::string_view(kMagic, 4)) {
    return Corrupt("bad magic (not a trainer state)");
  }
  const std::optional<absl::string_view> verified = VerifyTrailingCrc32(bytes);
  if (!verified) return Corrupt("checksum mismatch (truncated or corrupt)");
  const absl::string_view body = *verified;
  ByteReader r(body.substr(4));
  uint32_t version;
  if (!r.U32(&version)) return Corrupt("truncated");
  if (version != kFormatVersion) {
    return absl::UnimplementedError(absl::StrCat("trainer state format version ", version,
                                                 "; this build reads ", kFormatVersion));
  }
  StateHeader h;
  uint64_t step, n, m;
  if (!r.I32(&h.config.blocks) || !r.I32(&h.config.channels) || !r.I32(&h.config.value_channels) ||
      !r.I32(&h.config.value_hidden) || !r.U64(&step) || !r.U8(&h.optimizer) || !r.U64(&n) ||
      !r.Bytes(n, &h.net_archive) || !r.U64(&m) || !r.Bytes(m, &h.optimizer_archive) ||
      r.remaining() != 0) {
    return Corrupt("truncated or malformed");
  }
  if (absl::Status s = ValidateNetConfig(h.config); !s.ok()) return Corrupt(s.message());
  h.step = static_cast<int64_t>(step);
  if (h.step < 0 || h.optimizer > 1) return Corrupt("bad step or optimizer");
  return h;
}

}  // namespace

absl::Status ValidateTrainerOptions(const TrainerOptions& o) {
  if (o.batch_size < 1 || o.batch_size > (1 << 20))
    return Bad("batch_size", o.batch_size, "1..2^20");
  if (o.optimizer != "sgd" && o.optimizer != "adamw") {
    return absl::InvalidArgumentError(
        absl::StrCat("trainer option optimizer = '", o.optimizer, "'; use sgd or adamw"));
  }
  if (!(o.lr > 0 && o.lr <= 100)) return Bad("lr", o.lr, "(0, 100]");
  if (!(o.momentum >= 0 && o.momentum < 1)) return Bad("momentum", o.momentum, "[0, 1)");
  if (!(o.adam_beta1 >= 0 && o.adam_beta1 < 1)) return Bad("adam_beta1", o.adam_beta1, "[0, 1)");
  if (!(o.adam_beta2 >= 0 && o.adam_beta2 < 1)) return Bad("adam_beta2", o.adam_beta2, "[0, 1)");
  if (!(o.adam_eps > 0 && o.adam_eps < 1)) return Bad("adam_eps", o.adam_eps, "(0, 1)");
  if (!(o.weight_decay >= 0 && o.weight_decay < 1)) {
    return Bad("weight_decay", o.weight_decay, "[0, 1)");
  }
  if (!(o.ema_decay >= 0 && o.ema_decay < 1)) return Bad("ema_decay", o.ema_decay, "[0, 1)");
  if (o.warmup_steps < 0) return Bad("warmup_steps", static_cast<double>(o.warmup_steps), ">= 0");
  if (o.schedule == "cosine") {
    if (o.total_steps <= o.warmup_steps) {
      return Bad("total_steps", static_cast<double>(o.total_steps),
                 "> warmup_steps for the cosine schedule");
    }
    if (!(o.min_lr_fraction >= 0 && o.min_lr_fraction <= 1)) {
      return Bad("min_lr_fraction", o.min_lr_fraction, "[0, 1]");
    }
  } else if (o.schedule == "step") {
    if (o.step_every < 1) {
      return Bad("step_every", static_cast<double>(o.step_every), ">= 1 for the step schedule");
    }
    if (!(o.step_gamma > 0 && o.step_gamma <= 1)) return Bad("step_gamma", o.step_gamma, "(0, 1]");
  } else if (o.schedule != "constant") {
    return absl::InvalidArgumentError(
        absl::StrCat("trainer option schedule = '", o.schedule, "'; use constant, cosine or step"));
  }
  if (!(o.grad_clip_norm >= 0 && std::isfinite(o.grad_clip_norm))) {
    return Bad("grad_clip_norm", o.grad_clip_norm, ">= 0 (0 = off)");
  }
  if (o.precision != "auto" && o.precision != "fp32" && o.precision != "bf16") {
    return absl::InvalidArgumentError(
        absl::StrCat("trainer option precision = '", o.precision, "'; use auto, fp32 or bf16"));
  }
  return absl::OkStatus();
}

double LearningRateAt(const TrainerOptions& o, int64_t step) {
  if (step < o.warmup_steps) {
    return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  const int64_t s = step - o.warmup_steps;
  if (o.schedule == "cosine") {
    const double horizon =
        static_cast<double>(std::max<int64_t>(o.total_steps - o.warmup_steps, 1));
    const double progress = std::min(1.0, static_cast<double>(s) / horizon);
    const double floor_lr = o.lr * o.min_lr_fraction;
    return floor_lr + (o.lr - floor_lr) * 0.5 * (1.0 + std::cos(kPi * progress));
  }
  if (o.schedule == "step" && o.step_every > 0) {
    return o.lr * std::pow(o.step_gamma, static_cast<double>(s / o.step_every));
  }
  return o.lr;
}

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(const NetConfig& config,
                                                         const TrainerOptions& options) {
  if (absl::Status s = ValidateNetConfig(config); !s.ok()) return s;
  try {
    torch::manual_seed(options.seed);
    return Create(PolicyValueNet(config), options);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("creating the network: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(PolicyValueNet net,
                                                         const TrainerOptions& options) {
  if (net.is_empty()) return absl::InvalidArgumentError("Trainer: no network given");
  if (absl::Status s = ValidateTrainerOptions(options); !s.ok()) return s;
  absl::StatusOr<torch::Device> device = ParseDevice(options.device);
  if (!device.ok()) return device.status();
  const bool bf16 =
      options.precision == "bf16" || (options.precision == "auto" && device->is_cuda());
  std::unique_ptr<Trainer> trainer(new Trainer(options, net->config(), *device, bf16));
  try {
    trainer->Init(std::dynamic_pointer_cast<PolicyValueNetImpl>(net->clone()));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("setting up training on ", device->str(), ": ", e.what()));
  }
  return trainer;
}

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Restore(absl::string_view state,
                                                          const TrainerOptions& options) {
  absl::StatusOr<StateHeader> header = ParseState(state);
  if (!header.ok()) return header.status();
  absl::StatusOr<std::unique_ptr<Trainer>> trainer = Create(header->config, options);
  if (!trainer.ok()) return trainer.status();
  if (absl::Status s = (*trainer)->Deserialize(state); !s.ok()) return s;
  return trainer;
}

void Trainer::Init(PolicyValueNet net) {
  net->to(device_);
  net->train();
  std::vector<torch::Tensor> params = net->parameters();
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  const double lr = LearningRateAt(options_, step_);
  if (options_.optimizer == "adamw") {
    optimizer = std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(lr)
                    .betas(std::make_tuple(options_.adam_beta1, options_.adam_beta2))
                    .eps(options_.adam_eps)
                    .weight_decay(options_.weight_decay));
  } else {
    optimizer =
        std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(lr)
                                                        .momentum(options_.momentum)
                                                        .weight_decay(options_.weight_decay));
  }
  PolicyValueNet ema{nullptr};
  if (options_.ema_decay > 0) ema = std::dynamic_pointer_cast<PolicyValueNetImpl>(net->clone());
  net_ = std::move(net);
  ema_net_ = std::move(ema);
  params_ = std::move(params);
  optimizer_ = std::move(optimizer);
}

void Trainer::UpdateAverage() {
  if (!ema_net_) return;
  torch::NoGradGuard no_grad;
  const std::vector<torch::Tensor> avg = ema_net_->parameters();
  for (size_t i = 0; i < avg.size(); ++i) {
    avg[i].mul_(options_.ema_decay).add_(params_[i].detach(), 1.0 - options_.ema_decay);
  }
  const std::vector<torch::Tensor> avg_buffers = ema_net_->buffers();
  const std::vector<torch::Tensor> buffers = net_->buffers();
  for (size_t i = 0; i < avg_buffers.size(); ++i) avg_buffers[i].copy_(buffers[i]);
}

void Trainer::ApplyOptimizerOptions(double lr) {
  for (torch::optim::OptimizerParamGroup& group : optimizer_->param_groups()) {
    if (options_.optimizer == "adamw") {
      static_cast<torch::optim::AdamWOptions&>(group.options())
          .lr(lr)
          .betas(std::make_tuple(options_.adam_beta1, options_.adam_beta2))
          .eps(options_.adam_eps)
          .weight_decay(options_.weight_decay);
    } else {
      static_cast<torch::optim::SGDOptions&>(group.options())
          .lr(lr)
          .momentum(options_.momentum)
          .weight_decay(options_.weight_decay);
    }
  }
}

namespace {

absl::Status CheckBatch(const TrainingBatch& batch) {
  if (!batch.inputs.defined() || !batch.policy.defined() || !batch.value.defined() ||
      batch.inputs.dim() != 4 || batch.inputs.size(1) != kInputPlanes || batch.inputs.size(0) < 1 ||
      batch.policy.dim() != 2 || batch.policy.size(0) != batch.inputs.size(0) ||
      batch.policy.size(1) != batch.inputs.size(2) * batch.inputs.size(3) ||
      batch.value.dim() != 1 || batch.value.size(0) != batch.inputs.size(0)) {
    return absl::InvalidArgumentError(
        "training batch: want inputs [B, 6, n, n], policy [B, n*n], value [B], B >= 1");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StepStats> Trainer::Step(const TrainingBatch& batch) {
  if (absl::Status s = CheckBatch(batch); !s.ok()) return s;
  try {
    const double lr = LearningRateAt(options_, step_);
    ApplyOptimizerOptions(lr);
    net_->train();
    optimizer_->zero_grad();
    // BN running statistics change in the forward pass; keep a copy (a few KB) to undo that
    // if the step is skipped.
    std::vector<torch::Tensor> saved_buffers;
    for (const torch::Tensor& b : net_->buffers()) saved_buffers.push_back(b.detach().clone());
    StepStats out = ForwardBackward(batch);
    out.lr = lr;
    if (!std::isfinite(out.policy_loss) || !std::isfinite(out.value_loss) ||
        !std::isfinite(out.grad_norm)) {
      optimizer_->zero_grad();
      torch::NoGradGuard no_grad;
      std::vector<torch::Tensor> buffers = net_->buffers();
      for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved_buffers[i]);
      return absl::InternalError(absl::StrCat(
          "training step ", step_ + 1, ": non-finite loss or gradient (policy ", out.policy_loss,
          ", value ", out.value_loss, ", grad norm ", out.grad_norm, "); update skipped"));
    }
    ClipGradients(out.grad_norm);
    optimizer_->step();
    UpdateAverage();
    out.step = ++step_;
    return out;
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("training step ", step_ + 1, ": ", e.what()));
  }
}

StepStats Trainer::ForwardBackward(const TrainingBatch& batch) {
  // 1. Batch to the device.
  const torch::Tensor x = batch.inputs.to(device_, torch::kFloat32, /*non_blocking=*/true);
  const torch::Tensor policy_target =
      batch.policy.to(device_, torch::kFloat32, /*non_blocking=*/true);
  const torch::Tensor value_target =
      batch.value.to(device_, torch::kFloat32, /*non_blocking=*/true);
  // 2. Forward (bf16 autocast keeps fp32 weights; the losses are computed in fp32).
  torch::Tensor logits, value;
  {
    AutocastGuard autocast(device_, bf16_);
    std::tie(logits, value) = net_->forward(x);
  }
  logits = logits.to(torch::kFloat32);
  value = value.to(torch::kFloat32);
  // 3. Losses.
  const torch::Tensor log_probs = torch::log_softmax(logits, 1);
  const torch::Tensor policy_loss = -(policy_target * log_probs).sum(1).mean();
  const torch::Tensor value_loss = (value - value_target).square().mean();
  // 4. Backward; global gradient norm.
  (policy_loss + value_loss).backward();
  std::vector<torch::Tensor> norms;
  norms.reserve(params_.size());
  for (const torch::Tensor& p : params_) {
    if (p.grad().defined()) norms.push_back(p.grad().detach().norm());
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor lp = log_probs.detach();
  const torch::Tensor entropy = -(lp.exp() * lp).sum(1).mean();
  const torch::Tensor grad_norm =
      norms.empty() ? torch::zeros({}, lp.options()) : torch::stack(norms).norm();
  // 5. One sync for all the numbers.
  const torch::Tensor stats =
      torch::stack({policy_loss.detach(), value_loss.detach(), entropy, grad_norm})
          .to(torch::kCPU, torch::kFloat64);
  StepStats out;
  out.policy_loss = stats[0].item<double>();
  out.value_loss = stats[1].item<double>();
  out.policy_entropy = stats[2].item<double>();
  out.grad_norm = stats[3].item<double>();
  return out;
}

void Trainer::ClipGradients(double grad_norm) {
  if (!(options_.grad_clip_norm > 0 && grad_norm > options_.grad_clip_norm)) return;
  torch::NoGradGuard no_grad;
  const double scale = options_.grad_clip_norm / (grad_norm + 1e-6);
  for (torch::Tensor& p : params_) {
    if (p.grad().defined()) p.grad().mul_(scale);
  }
}

absl::StatusOr<std::string> Trainer::Serialize() {
  std::ostringstream net_bytes, optimizer_bytes;
  try {
    torch::serialize::OutputArchive net_archive;
    net_->save(net_archive);
    net_archive.save_to(net_bytes);
    torch::serialize::OutputArchive optimizer_archive;
    optimizer_->save(optimizer_archive);
    optimizer_archive.save_to(optimizer_bytes);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("saving the trainer state: ", e.what()));
  }
  ByteWriter w;
  w.Bytes(absl::string_view(kMagic, 4));
  w.U32(kFormatVersion);
  w.I32(config_.blocks);
  w.I32(config_.channels);
  w.I32(config_.value_channels);
  w.I32(config_.value_hidden);
  w.U64(static_cast<uint64_t>(step_));
  w.U8(OptimizerCode(options_.optimizer));
  const std::string net_str = net_bytes.str();
  const std::string optimizer_str = optimizer_bytes.str();
  w.U64(net_str.size());
  w.Bytes(net_str);
  w.U64(optimizer_str.size());
  w.Bytes(optimizer_str);
  w.U32(Crc32(w.data()));
  return w.Release();
}

absl::Status Trainer::Deserialize(absl::string_view state) {
  absl::StatusOr<StateHeader> h = ParseState(state);
  if (!h.ok()) return h.status();
  if (!(h->config == config_)) {
    return absl::InvalidArgumentError(absl::StrCat("trainer state is for a ", h->config.blocks, "x",
                                                   h->config.channels, " net; this trainer has ",
                                                   config_.blocks, "x", config_.channels));
  }
  if (h->optimizer != OptimizerCode(options_.optimizer)) {
    return absl::InvalidArgumentError(
        absl::StrCat("trainer state holds ", h->optimizer == 1 ? "adamw" : "sgd",
                     " optimizer state; this trainer uses ", options_.optimizer));
  }
  // Load into a fresh net and optimizer, then swap: a failure leaves this trainer as it was.
  const int64_t old_step = step_;
  PolicyValueNet old_net = net_;
  std::vector<torch::Tensor> old_params = params_;
  std::unique_ptr<torch::optim::Optimizer> old_optimizer = std::move(optimizer_);
  try {
    PolicyValueNet fresh(config_);
    {
      std::istringstream in(std::string(h->net_archive));
      torch::serialize::InputArchive archive;
      archive.load_from(in, device_);
      fresh->load(archive);
    }
    step_ = h->step;
    Init(fresh);
    std::istringstream in(std::string(h->optimizer_archive));
    torch::serialize::InputArchive archive;
    archive.load_from(in, device_);
    optimizer_->load(archive);
    ApplyOptimizerOptions(LearningRateAt(options_, step_));
  } catch (const std::exception& e) {
    step_ = old_step;
    net_ = old_net;
    params_ = std::move(old_params);
    optimizer_ = std::move(old_optimizer);
    return absl::DataLossError(absl::StrCat("loading the trainer state: ", e.what()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Trainer::ExportModel(int64_t version) {
  return SerializeModel(ema_net_ ? ema_net_ : net_, version);
}

std::vector<torch::Tensor> Trainer::OptimizerStateTensors() const {
  std::vector<torch::Tensor> out;
  const auto& state = optimizer_->state();
  for (const torch::Tensor& p : params_) {
    const torch::optim::OptimizerParamState* s = FindState(state, p);
    if (s == nullptr) continue;
    if (options_.optimizer == "adamw") {
      const auto& a = static_cast<const torch::optim::AdamWParamState&>(*s);
      out.push_back(a.exp_avg().detach().to(torch::kCPU).clone());
      out.push_back(a.exp_avg_sq().detach().to(torch::kCPU).clone());
    } else {
      const auto& m = static_cast<const torch::optim::SGDParamState&>(*s);
      if (m.momentum_buffer().defined()) {
        out.push_back(m.momentum_buffer().detach().to(torch::kCPU).clone());
      }
    }
  }
  return out;
}

}  // namespace zf
